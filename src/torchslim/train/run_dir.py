"""A run directory like TF-Slim's ``logdir``: TF checkpoints plus what it takes to resume.

Layout of ``logdir`` after saving at step N::

    model.ckpt-N.index, model.ckpt-N.data-00000-of-00001   every model variable by TF name (+ global_step)
    model.ckpt-N.train_state.safetensors                   optimizer state and random state (no pickle)
    checkpoint                                             TF's state file: latest + the kept checkpoints

Writes are atomic (temporary file, fsync, rename) and ordered so that a process killed at any moment
leaves a loadable run: the train state and the checkpoint are complete before the state file names
them, and old checkpoints are deleted only after the state file no longer does. Under
``torch.distributed`` every rank calls :func:`save`; rank 0 writes, between two barriers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from typing import Any, Dict, List, Optional

import numpy as np
import torch

from torchslim import checkpoint as _ckpt
from torchslim.checkpoint.state import atomic_write_bytes

__all__ = ["CHECKPOINT_BASENAME", "checkpoint_prefix", "save", "restore_latest", "restore_model",
           "train_state_path", "step_from_prefix", "read_train_state"]

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


def _distributed() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def _barrier() -> None:
    if _distributed():
        torch.distributed.barrier()


# ----------------------------------------------------------------------------------------------
# Saving.

def model_tensors(model) -> Dict[str, np.ndarray]:
    """Every variable of a ``slim.Model`` as ``{TF name: array in TF layout}``."""
    out = {}
    for name, var in model.tf_variables().items():
        value = var.to_tf()
        if value.dtype == torch.bfloat16:
            value = value.float()
        out[name] = value.cpu().numpy()
    return out


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


def write_train_state(path: str, optimizer: Optional[torch.optim.Optimizer], step: int,
                      extra: Optional[Dict[str, Any]] = None) -> None:
    """Writes the optimizer and random state to a safetensors file (atomically).

    Args:
      path: the file.
      optimizer: its ``state_dict`` is stored (tensors as tensors, the rest as JSON metadata).
      step: the global step.
      extra: JSON-able values to keep (e.g. the run's configuration).
    """
    from safetensors.torch import save as save_bytes

    tensors, description = _optimizer_payload(optimizer) if optimizer is not None else ({}, None)
    tensors.update(_rng_payload())
    meta = {"global_step": int(step), "optimizer": description, "extra": extra or {}}
    data = save_bytes(tensors, metadata={_METADATA_KEY: json.dumps(meta)})
    atomic_write_bytes(path, data)


def save(logdir: str, model, optimizer: Optional[torch.optim.Optimizer], step: int, max_to_keep: int = 5,
         extra: Optional[Dict[str, Any]] = None) -> Optional[str]:
    """Saves checkpoint ``logdir/model.ckpt-<step>`` and its train state; updates the state file.

    Args:
      logdir: the run directory (created if needed).
      model: a ``slim.Model``.
      optimizer: its state is saved beside the checkpoint (None: none).
      step: the global step.
      max_to_keep: how many checkpoints to keep (0 or None: all).
      extra: JSON-able values saved with the train state.

    Returns:
      The checkpoint prefix on the writing rank, None on the others.
    """
    _barrier()
    prefix = None
    try:
        if not _distributed() or torch.distributed.get_rank() == 0:
            prefix = _write(logdir, model, optimizer, step, max_to_keep, extra)
    finally:
        _barrier()
    return prefix


def _write(logdir, model, optimizer, step, max_to_keep, extra) -> str:
    os.makedirs(logdir, exist_ok=True)
    prefix = checkpoint_prefix(logdir, step)
    write_train_state(train_state_path(prefix), optimizer, step, extra)
    tensors = model_tensors(model)
    tensors["global_step"] = np.asarray(int(step), dtype=np.int64)
    _ckpt.write_checkpoint(prefix, tensors)
    # The state file takes paths relative to its directory (or absolute), not to the working directory.
    for old in _ckpt.update_checkpoint_state(logdir, os.path.abspath(prefix), max_to_keep=max_to_keep or None):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(train_state_path(old))
    log.info("saved checkpoint %s", prefix)
    return prefix


# ----------------------------------------------------------------------------------------------
# Restoring.

def restore_model(model, path: str, exclude: Optional[List[str]] = None) -> List[str]:
    """Assigns every variable of ``model`` from checkpoint ``path`` (a TF prefix or run directory).

    Args:
      model: a built ``slim.Model``.
      path: checkpoint prefix, or a directory with a ``checkpoint`` state file.
      exclude: scope prefixes not to restore.

    Returns:
      The names restored.

    Raises:
      ValueError: naming the checkpoint and the variable when one is missing or has another shape.
    """
    prefix = resolve_checkpoint_path(path)
    values = _ckpt.load(prefix)
    restored = []
    for name, var in model.tf_variables().items():
        if exclude and any(name.startswith(e) for e in exclude):
            continue
        if name not in values:
            raise ValueError(f"checkpoint {prefix}: variable {name} is missing")
        var.assign_tf(values[name])
        restored.append(name)
    return restored


def resolve_checkpoint_path(path: str) -> str:
    """A checkpoint prefix from a prefix or a run directory (its latest checkpoint).

    Raises:
      FileNotFoundError: naming ``path`` when a directory has no checkpoint.
    """
    if os.path.isdir(path):
        prefix = _ckpt.latest_checkpoint(path)
        if prefix is None:
            raise FileNotFoundError(f"{path}: no checkpoint in this directory (no 'checkpoint' state file "
                                    "naming an existing model.ckpt-*)")
        return prefix
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
    prefix = _ckpt.latest_checkpoint(logdir) if os.path.isdir(logdir) else None
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
