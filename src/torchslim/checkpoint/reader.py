"""Public reading API: format detection, ``list_variables``, ``load_variable``, ``load``.

A checkpoint path may be

* a V2 prefix (``model.ckpt`` with ``model.ckpt.index`` next to it), or the
  ``.index`` / ``.data-*`` file itself;
* a V1 single file (``resnet_v1_50.ckpt``) or a glob of V1 shards;
* a ``.safetensors`` file;
* a directory: its ``checkpoint`` state file names the latest checkpoint; with
  no state file, a directory holding exactly one checkpoint is accepted.
"""

from __future__ import annotations

import glob
import os
import re

import numpy as np

from . import dtypes
from .bundle import BundleReader, TensorInfo
from .errors import CheckpointError
from .state import latest_checkpoint
from .v1 import V1Reader

_DATA_SUFFIX = re.compile(r"\.data-\d{5}-of-\d{5}$")


def _single_checkpoint_in(directory: str) -> str | None:
    prefixes = [p[:-len(".index")] for p in glob.glob(os.path.join(glob.escape(directory), "*.index"))]
    v1_files = [p for p in glob.glob(os.path.join(glob.escape(directory), "*.ckpt")) if os.path.isfile(p)]
    safetensors = glob.glob(os.path.join(glob.escape(directory), "*.safetensors"))
    found = prefixes + v1_files + safetensors
    return found[0] if len(found) == 1 else None


def resolve_checkpoint(path: "str | os.PathLike[str]") -> tuple[str, str]:
    """Find the checkpoint a path refers to.

    Returns:
        ``(format, location)`` with format ``'V2'`` (location: prefix), ``'V1'``
        (location: file or glob) or ``'safetensors'`` (location: file).

    Raises:
        CheckpointError: if nothing readable is found.
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        found = latest_checkpoint(path) or _single_checkpoint_in(path)
        if found is None:
            raise CheckpointError(path, "no checkpoint found in directory (no valid 'checkpoint' state "
                                  "file and not exactly one checkpoint in it)")
        path = found
    if path.endswith(".safetensors") and os.path.isfile(path):
        return "safetensors", path
    if os.path.isfile(path + ".index"):
        return "V2", path
    if path.endswith(".index") and os.path.isfile(path):
        return "V2", path[:-len(".index")]
    if _DATA_SUFFIX.search(path) and os.path.isfile(_DATA_SUFFIX.sub("", path) + ".index"):
        return "V2", _DATA_SUFFIX.sub("", path)
    if os.path.isfile(path) or glob.glob(path):
        return "V1", path
    raise CheckpointError(path, f"no checkpoint found: neither {path}.index (V2) nor a V1 checkpoint file exists")


class CheckpointReader:
    """Random access to the tensors of one checkpoint (like ``tf.train.load_checkpoint``).

    Args:
        path: prefix, file or directory (see module docstring).
        verify_crc: check each tensor's CRC when reading V2 data (default on).

    Raises:
        CheckpointError: if the checkpoint is missing or corrupt.
    """

    def __init__(self, path: "str | os.PathLike[str]", verify_crc: bool = True) -> None:
        self.format, self.path = resolve_checkpoint(path)
        if self.format == "V2":
            self._impl = BundleReader(self.path, verify_crc=verify_crc)
        elif self.format == "V1":
            files = [self.path] if os.path.isfile(self.path) else sorted(glob.glob(self.path))
            self._impl = V1Reader(files)
        else:
            from .safetensors_io import SafetensorsReader
            self._impl = SafetensorsReader(self.path)
        self._infos: dict[str, TensorInfo] = self._impl.infos()

    def __enter__(self) -> "CheckpointReader":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __repr__(self) -> str:
        return f"CheckpointReader({self.path!r}, format={self.format}, tensors={len(self._infos)})"

    def names(self) -> list[str]:
        """Tensor names, sorted."""
        return sorted(self._infos)

    def has_tensor(self, name: str) -> bool:
        """Whether the checkpoint holds ``name``."""
        return name in self._infos

    def get_variable_to_shape_map(self) -> dict[str, list[int]]:
        """Name -> shape (a list), like TF's reader."""
        return {n: list(self._infos[n].shape) for n in self.names()}

    def get_variable_to_dtype_map(self) -> dict[str, str]:
        """Name -> TF dtype name (``'float32'``, ``'int64'``, ``'string'``, ``'bfloat16'``...)."""
        return {n: dtypes.dtype_name(self._infos[n].dtype) for n in self.names()}

    def get_tensor(self, name: str) -> np.ndarray:
        """Read one tensor (bfloat16 is returned widened to float32; strings as an object array of bytes).

        Raises:
            KeyError: if the tensor does not exist.
            CheckpointError: if its data is corrupt.
        """
        if name not in self._infos:
            raise KeyError(f"tensor {name!r} not found in checkpoint {self.path}")
        return self._impl.read(name)

    def read_all(self) -> dict[str, np.ndarray]:
        """Every tensor, in name order."""
        return self._impl.read_all()


def open_checkpoint(path: "str | os.PathLike[str]", verify_crc: bool = True) -> CheckpointReader:
    """Open a checkpoint for reading; see :class:`CheckpointReader`."""
    return CheckpointReader(path, verify_crc=verify_crc)


def list_variables(path: "str | os.PathLike[str]") -> list[tuple[str, list[int]]]:
    """``[(name, shape), ...]`` sorted by name, like ``tf.train.list_variables``.

    Raises:
        CheckpointError: if the checkpoint is missing or corrupt.
    """
    reader = CheckpointReader(path)
    return [(name, shape) for name, shape in reader.get_variable_to_shape_map().items()]


def load_variable(path: "str | os.PathLike[str]", name: str) -> np.ndarray:
    """One tensor's value, like ``tf.train.load_variable``.

    Raises:
        KeyError: if there is no such tensor.
        CheckpointError: if the checkpoint is missing or corrupt.
    """
    return CheckpointReader(path).get_tensor(name)


def load(path: "str | os.PathLike[str]", verify_crc: bool = True) -> dict[str, np.ndarray]:
    """Every tensor of a checkpoint as ``{name: ndarray}`` in name order.

    Raises:
        CheckpointError: if the checkpoint is missing or corrupt.
    """
    return CheckpointReader(path, verify_crc=verify_crc).read_all()
