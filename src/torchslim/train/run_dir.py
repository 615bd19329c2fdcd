"""A run directory like TF-Slim's ``logdir``: TF checkpoints plus what it takes to resume.

Layout of ``logdir`` after saving at step N::

    model.ckpt-N.index, model.ckpt-N.data-00000-of-00001   every model variable by TF name (+ global_step)
    model.ckpt-N.train_state.safetensors                   optimizer and random state (each rank's; no pickle)
    checkpoint                                             TF's state file: latest + the kept checkpoints

Writes are atomic (temporary file, fsync, rename) and ordered so that a process killed at any moment
leaves a loadable run: the train state and the checkpoint are complete before the state file names
them, and old checkpoints are deleted only after the state file no longer does. Under
``torch.distributed`` every rank calls :func:`save`: the ranks' random states are gathered, rank 0
writes, and a barrier holds the others until the files are complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from typing import Any, Dict, List, Optional

import torch

from torchslim import checkpoint
from torchslim.io.atomic import atomic_write_bytes
from torchslim.train import distributed

__all__ = ["CHECKPOINT_BASENAME", "checkpoint_prefix", "save", "restore_latest", "restore_model",
           "resolve_checkpoint_path", "train_state_path", "step_from_prefix", "read_train_state",
           "write_train_state", "gather_rank_rng_states", "remove_incomplete"]

log = logging.getLogger("torchslim.train")

CHECKPOINT_BASENAME = "model.ckpt"
TRAIN_STATE_SUFFIX = ".train_state.safetensors"
_METADATA_KEY = "torchslim_train_state"


def checkpoint_prefix(logdir: str, step: int) -> str:
    """``logdir/model.ckpt-<step>``."""
    return os.path.join(logdir, f"{CHECKPOINT_BASENAME}-{int(step)}")


def train_state_path(prefix: str) -> str:
    """The file beside checkpoint ``prefix`` holding optimizer and random state."""
    return prefix + TRAIN_STATE_SUFFIX


def step_from_prefix(prefix: str) -> Optional[int]:
    """The step in a ``...-<step>`` checkpoint name, or None."""
    match = re.search(r"-(\d+)$", prefix)
    return int(match.group(1)) if match else None


# ----------------------------------------------------------------------------------------------
# Saving.

def _optimizer_payload(optimizer: torch.optim.Optimizer) -> tuple[Dict[str, torch.Tensor], Dict[str, Any]]:
    """Splits ``optimizer.state_dict()`` into tensors and a JSON-able description."""
    state_dict = optimizer.state_dict()
    tensors: Dict[str, torch.Tensor] = {}
    scalars: Dict[str, Dict[str, Any]] = {}
    for index, entries in state_dict["state"].items():
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer/{index}/{key}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def _rng_payload() -> Dict[str, torch.Tensor]:
    tensors = {"rng/torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng/cuda/{i}"] = state
    return tensors


def _own_rng_states(context: distributed.DistributedContext) -> Dict[str, torch.Tensor]:
    """This process's CPU random state and, under NCCL, its current CUDA device's."""
    states = {"torch": torch.get_rng_state()}
    if context.uses_cuda_collectives:
        states["cuda"] = torch.cuda.get_rng_state()
    return states


def gather_rank_rng_states() -> Dict[str, torch.Tensor]:
    """Every rank's random states as ``{"rng/rank<r>/torch" | "rng/rank<r>/cuda": state}`` (collective).

    Each rank of a distributed run draws its own augmentation randomness, so a resumed run needs each
    rank's state, not only the writer's. Empty when not distributed.
    """
    context = distributed.current()
    if not context.initialized:
        return {}
    gathered: Dict[str, torch.Tensor] = {}
    for kind, state in _own_rng_states(context).items():
        local = state.cuda() if context.uses_cuda_collectives else state
        parts = [torch.empty_like(local) for _ in range(context.world_size)]
        torch.distributed.all_gather(parts, local)
        for rank, part in enumerate(parts):
            gathered[f"rng/rank{rank}/{kind}"] = part.cpu()
    return gathered


def write_train_state(path: str, optimizer: Optional[torch.optim.Optimizer], step: int,
                      extra: Optional[Dict[str, Any]] = None,
                      rank_rng: Optional[Dict[str, torch.Tensor]] = None) -> None:
    """Writes the optimizer and random state to a safetensors file (atomically).

    Args:
      path: the file.
      optimizer: its ``state_dict`` is stored (tensors as tensors, the rest as JSON metadata).
      step: the global step.
      extra: JSON-able values to keep (e.g. the run's configuration).
      rank_rng: every rank's random states (:func:`gather_rank_rng_states`) in a distributed run.
    """
    from safetensors.torch import save as save_bytes

    tensors, description = _optimizer_payload(optimizer) if optimizer is not None else ({}, None)
    tensors.update(_rng_payload())
    tensors.update(rank_rng or {})
    meta = {"global_step": int(step), "optimizer": description, "extra": extra or {}}
    data = save_bytes(tensors, metadata={_METADATA_KEY: json.dumps(meta)})
    atomic_write_bytes(path, data)


def save(logdir: str, model, optimizer: Optional[torch.optim.Optimizer], step: int, max_to_keep: int = 5,
         extra: Optional[Dict[str, Any]] = None, tensors: Optional[Dict[str, Any]] = None) -> Optional[str]:
    """Saves checkpoint ``logdir/model.ckpt-<step>`` and its train state; updates the state file.

    Args:
      logdir: the run directory (created if needed).
      model: a ``slim.Model``.
      optimizer: its state is saved beside the checkpoint (None: none).
      step: the global step.
      max_to_keep: how many checkpoints to keep (0 or None: all).
      extra: JSON-able values saved with the train state.
      tensors: more ``{TF name: array}`` for the checkpoint (the moving averages' shadows).

    Returns:
      The checkpoint prefix on the writing rank, None on the others.
    """
    rank_rng = gather_rank_rng_states()  # also the first barrier: every rank has finished the step
    context = distributed.current()
    prefix = None
    try:
        if context.is_chief:
            prefix = _write(logdir, model, optimizer, step, max_to_keep, extra, rank_rng, tensors)
    finally:
        context.barrier()
    return prefix


def _write(logdir, model, optimizer, step, max_to_keep, extra, rank_rng, tensors=None) -> str:
    os.makedirs(logdir, exist_ok=True)
    prefix = checkpoint_prefix(logdir, step)
    write_train_state(train_state_path(prefix), optimizer, step, extra, rank_rng)
    checkpoint.save_checkpoint(model, os.path.join(logdir, CHECKPOINT_BASENAME), global_step=step, update_state=False,
                               extra_tensors=tensors)
    # The state file takes paths relative to its directory (or absolute), not to the working directory.
    checkpoint.update_checkpoint_state(logdir, os.path.abspath(prefix), max_to_keep=max_to_keep or None)
    remove_incomplete(logdir)  # the train states of deleted checkpoints, and remnants of killed runs
    log.info("saved checkpoint %s", prefix)
    return prefix


def remove_incomplete(logdir: str) -> List[str]:
    """Deletes what an interrupted save or clean-up left in a run directory; returns the paths removed.

    A checkpoint is complete when its ``.index`` exists (written last, deleted first), so data files
    and train-state files without one are remnants, and so are the temporary files of atomic writes
    that never finished (``model.ckpt-*.tmp``, ``checkpoint.*.tmp``). Complete checkpoints are kept,
    listed in the state file or not. Call it when no save is running; under ``torch.distributed``
    only rank 0 (the writer) removes anything.
    """
    if not os.path.isdir(logdir) or not distributed.current().is_chief:
        return []
    removed = []
    for name in sorted(os.listdir(logdir)):
        if _is_remnant(logdir, name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(logdir, name))
                removed.append(os.path.join(logdir, name))
    if removed:
        log.info("removed what an interrupted save left: %s", ", ".join(os.path.basename(p) for p in removed))
    return removed


def _is_remnant(logdir: str, name: str) -> bool:
    if not name.startswith((f"{CHECKPOINT_BASENAME}-", "checkpoint.", "run_config.json.")):
        return False
    if name.endswith(".tmp"):
        return True
    for marker in (TRAIN_STATE_SUFFIX, ".data-"):
        if marker in name and name.startswith(f"{CHECKPOINT_BASENAME}-"):
            prefix = name[:name.index(marker)]
            return not os.path.exists(os.path.join(logdir, prefix + ".index"))
    return False


# ----------------------------------------------------------------------------------------------
# Restoring.

def restore_model(model, path: str, exclude: Optional[List[str]] = None) -> List[str]:
    """Assigns every variable of ``model`` from checkpoint ``path``, all or nothing.

    Args:
      model: a built ``slim.Model``.
      path: checkpoint prefix, or a directory with a ``checkpoint`` state file.
      exclude: scopes not to restore.

    Returns:
      The names restored.

    Raises:
      FileNotFoundError: naming ``path`` when a directory has no checkpoint.
      RestoreError: naming the checkpoint and the variables missing or of another shape.
    """
    prefix = resolve_checkpoint_path(path)
    return checkpoint.assign_from_checkpoint(model, prefix, exclude=list(exclude) if exclude else None).restored


def resolve_checkpoint_path(path: str) -> str:
    """A checkpoint prefix from a prefix or a run directory (its latest checkpoint).

    Raises:
      FileNotFoundError: naming ``path`` when it is neither a checkpoint nor a directory holding one.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        prefix = checkpoint.latest_checkpoint(path)
        if prefix is None:
            raise FileNotFoundError(f"{path}: no checkpoint in this directory (no 'checkpoint' state file "
                                    "naming an existing model.ckpt-*)")
        return prefix
    if not (os.path.isfile(path) or os.path.isfile(path + ".index")):
        raise FileNotFoundError(f"{path}: no such checkpoint (not a run directory, a V1 checkpoint file or a "
                                f"V2 prefix with a {os.path.basename(path)}.index file)")
    return path


def read_train_state(path: str) -> tuple[Dict[str, torch.Tensor], Dict[str, Any]]:
    """Reads a train-state file: ``(tensors, metadata)``.

    Raises:
      ValueError: naming the file if it is not a torchslim train-state file.
    """
    from safetensors import safe_open

    tensors = {}
    with safe_open(path, framework="pt") as handle:
        raw = (handle.metadata() or {}).get(_METADATA_KEY)
        if raw is None:
            raise ValueError(f"{path}: not a torchslim train-state file (no {_METADATA_KEY} metadata)")
        for key in handle.keys():
            tensors[key] = handle.get_tensor(key)
    return tensors, json.loads(raw)


def _load_optimizer(optimizer: torch.optim.Optimizer, tensors: Dict[str, torch.Tensor],
                    description: Dict[str, Any]) -> None:
    state: Dict[int, Dict[str, Any]] = {}
    for index, entries in description["scalars"].items():
        state.setdefault(int(index), {}).update(entries)
    for key, value in tensors.items():
        if key.startswith("optimizer/"):
            _, index, name = key.split("/", 2)
            state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": description["param_groups"]})


def _restore_rng(tensors: Dict[str, torch.Tensor]) -> None:
    """Sets this process's random state: its own rank's in a distributed run, else the saved one."""
    context = distributed.current()
    own = f"rng/rank{context.rank}/" if context.initialized else None
    if own is not None and own + "torch" in tensors:
        torch.set_rng_state(tensors[own + "torch"])
        if own + "cuda" in tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(tensors[own + "cuda"])
        return
    if "rng/torch" in tensors:
        torch.set_rng_state(tensors["rng/torch"])
    cuda = [tensors[k] for k in sorted(tensors) if k.startswith("rng/cuda/")]
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def restore_latest(logdir: str, model, optimizer: Optional[torch.optim.Optimizer] = None,
                   global_step: Optional[torch.Tensor] = None) -> Optional[Dict[str, Any]]:
    """Restores the latest checkpoint of ``logdir`` (model, optimizer, random state, global step).

    Args:
      logdir: the run directory.
      model: a built ``slim.Model``.
      optimizer: restored from the train-state file when there is one.
      global_step: 0-d tensor set to the checkpoint's step.

    Returns:
      None when ``logdir`` has no checkpoint; else ``{"prefix", "global_step", "extra"}``.
    """
    prefix = checkpoint.latest_checkpoint(logdir) if os.path.isdir(logdir) else None
    if prefix is None:
        return None
    restore_model(model, prefix)
    step = step_from_prefix(prefix) or 0
    extra: Dict[str, Any] = {}
    state_file = train_state_path(prefix)
    if os.path.exists(state_file):
        tensors, meta = read_train_state(state_file)
        step, extra = int(meta["global_step"]), meta.get("extra", {})
        if optimizer is not None and meta.get("optimizer") is not None:
            _load_optimizer(optimizer, tensors, meta["optimizer"])
        _restore_rng(tensors)
    else:
        log.warning("%s: no train state beside the checkpoint; the optimizer starts afresh", prefix)
    if global_step is not None:
        global_step.fill_(step)
    log.info("restored %s (global step %d)", prefix, step)
    return {"prefix": prefix, "global_step": step, "extra": extra}
