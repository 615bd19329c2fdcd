"""Save a ``slim.Model`` as a TF checkpoint (or safetensors file): TF names, TF layouts, atomically.

:func:`save_checkpoint` is the eager ``tf.train.Saver().save(sess, path, global_step)``. The
bundle's files are staged and committed index last (see :func:`~torchslim.checkpoint.bundle.write_bundle`)
and the ``checkpoint`` state file is updated after that, so a process killed at any moment leaves
the state file naming a complete checkpoint. When the checkpoint being replaced is the one the
state file names, the state file points at a hard-linked copy of it while the new files go in.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
from typing import Dict, Mapping, Optional

import numpy as np
import torch

from torchslim.queries import GraphKeys

from .bundle import index_filename, write_bundle
from .safetensors_io import save_safetensors
from .state import latest_checkpoint, remove_checkpoint, replace_checkpoint_path, update_checkpoint_state

__all__ = ["model_tensors", "save_checkpoint"]

_REPLACING = ".replacing"


def model_tensors(model) -> Dict[str, np.ndarray]:
    """The model's global variables (what TF's ``Saver`` saves) as ``{TF name: array in TF layout}``.

    bfloat16 variables are widened to float32 (exactly), which every TF reader accepts.
    Local variables (``LOCAL_VARIABLES``, e.g. metric accumulators) are left out, as in TF.
    """
    out = {}
    for name, var in model.tf_variables().items():
        if GraphKeys.GLOBAL_VARIABLES not in var.collections:
            continue
        value = var.to_tf()
        if value.dtype == torch.bfloat16:
            value = value.float()
        out[name] = value.cpu().numpy()
    return out


def _with_step(path: str, global_step: Optional[int]) -> str:
    if global_step is None:
        return path
    stem, ext = (path[:-len(".safetensors")], ".safetensors") if path.endswith(".safetensors") else (path, "")
    return f"{stem}-{int(global_step)}{ext}"


def save_checkpoint(model, path: "str | os.PathLike[str]", global_step: Optional[int] = None,
                    update_state: bool = True, max_to_keep: Optional[int] = None,
                    extra_tensors: Optional[Mapping[str, np.ndarray]] = None) -> str:
    """Write a model's variables as a TF V2 checkpoint that TF-Slim restores by name.

    Like TF's ``Saver.save``: the prefix gets ``-<global_step>`` appended when a step is given,
    and the directory's ``checkpoint`` state file then names it as the latest. A path ending in
    ``.safetensors`` writes one safetensors file with the same names and TF layouts instead.

    Args:
        model: a built ``slim.Model``.
        path: checkpoint prefix (``.../model.ckpt``) or ``.safetensors`` file; its directory is
            created if needed.
        global_step: appended to the prefix and stored as an int64 ``global_step`` tensor (as in
            a TF-Slim training checkpoint) unless the model has a variable of that name.
        update_state: record the checkpoint in ``<directory>/checkpoint``.
        max_to_keep: with ``update_state``, delete the oldest checkpoints the state file lists
            beyond this many (None or 0: keep all).
        extra_tensors: more ``{TF name: array}`` to save beside the variables (e.g. the
            ``.../ExponentialMovingAverage`` shadows of a training run).

    Returns:
        The checkpoint prefix (or safetensors file) written.

    Raises:
        ValueError: the model is not built, ``path`` is a directory, or an extra tensor has the name
            of one of the model's variables.
    """
    if not getattr(model, "built", False):
        raise ValueError("the model has no variables yet: build it (model.build(example_inputs)) before saving")
    prefix = _with_step(os.fspath(path), global_step)
    if os.path.isdir(prefix):
        raise ValueError(f"{prefix} is a directory; give a checkpoint prefix such as "
                         f"{os.path.join(prefix, 'model.ckpt')}")
    tensors = model_tensors(model)
    clash = sorted(set(extra_tensors or {}) & set(tensors))
    if clash:
        raise ValueError(f"save_checkpoint: extra tensors {', '.join(clash[:5])} have the names of model variables")
    tensors.update(extra_tensors or {})
    if global_step is not None and "global_step" not in tensors:
        tensors["global_step"] = np.asarray(int(global_step), dtype=np.int64)
    directory = os.path.dirname(os.path.abspath(prefix))
    os.makedirs(directory, exist_ok=True)
    if prefix.endswith(".safetensors"):
        save_safetensors(prefix, tensors)
    elif update_state and (_is_latest(directory, prefix) or _is_latest(directory, prefix + _REPLACING)):
        _replace_latest(directory, os.path.abspath(prefix), tensors)
    else:
        write_bundle(prefix, tensors)
    if update_state:
        update_checkpoint_state(directory, os.path.abspath(prefix), max_to_keep=max_to_keep or None)
    return prefix


def _is_latest(directory: str, prefix: str) -> bool:
    latest = latest_checkpoint(directory)
    return latest is not None and os.path.normpath(os.path.abspath(latest)) == os.path.normpath(os.path.abspath(prefix))


def _replace_latest(directory: str, prefix: str, tensors: Dict[str, np.ndarray]) -> None:
    """Rewrite the checkpoint the state file names, keeping the state file on a complete one throughout.

    The state file is pointed at a hard-linked copy of the old checkpoint while the new one is
    written, then back. If it already names that copy, an earlier replacement was interrupted:
    the copy is the complete checkpoint, and the files at ``prefix`` are overwritten.
    """
    backup = prefix + _REPLACING
    if not _is_latest(directory, backup):
        _link_bundle(prefix, backup)
        replace_checkpoint_path(directory, prefix, backup)
    write_bundle(prefix, tensors)
    replace_checkpoint_path(directory, backup, prefix)
    remove_checkpoint(backup)


def _bundle_files(prefix: str) -> list[str]:
    data = sorted(glob.glob(glob.escape(prefix) + ".data-?????-of-?????"))
    return data + [index_filename(prefix)]


def _link_bundle(source: str, target: str) -> None:
    """Give a bundle's files a second name (hard links; copies where links are not supported)."""
    remove_checkpoint(target)
    for path in _bundle_files(source):
        linked = target + path[len(source):]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(linked)
        try:
            os.link(path, linked)
        except OSError:
            shutil.copyfile(path, linked)
            with open(linked, "rb") as handle:
                os.fsync(handle.fileno())
