"""safetensors files keyed by TF names, in TF layout, plus ``torch.save`` helpers.

A safetensors file written here holds exactly what a TF checkpoint would
(``resnet_v2_50/conv1/weights`` as HWIO), so it is framework-neutral and
converts to and from TF checkpoints losslessly (except string tensors, which
safetensors cannot hold). Nothing here unpickles: ``torch.load`` is only ever
called with ``weights_only=True``.
"""

from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from torchslim.io.atomic import atomic_open, atomic_write_bytes

from . import dtypes
from .bundle import TensorInfo
from .errors import CheckpointError

_ST_DTYPES = {
    "F32": dtypes.DT_FLOAT, "F64": dtypes.DT_DOUBLE, "I32": dtypes.DT_INT32, "U8": dtypes.DT_UINT8,
    "I16": dtypes.DT_INT16, "I8": dtypes.DT_INT8, "I64": dtypes.DT_INT64, "BOOL": dtypes.DT_BOOL,
    "BF16": dtypes.DT_BFLOAT16, "U16": dtypes.DT_UINT16, "F16": dtypes.DT_HALF, "U32": dtypes.DT_UINT32,
    "U64": dtypes.DT_UINT64, "C64": dtypes.DT_COMPLEX64,
}

#: Metadata stored in every file this module writes.
METADATA = {"format": "tf", "layout": "tensorflow", "producer": "torchslim"}


def _safetensors_error():
    from safetensors import SafetensorError
    return SafetensorError


class SafetensorsReader:
    """Reads a safetensors file with the same interface as the TF checkpoint readers.

    Raises:
        CheckpointError: if the file is missing or not a valid safetensors file.
    """

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        from safetensors import safe_open
        self.path = os.fspath(path)
        try:
            with safe_open(self.path, framework="pt") as handle:
                self._infos = {}
                self._unsupported: dict[str, str] = {}
                for name in sorted(handle.keys()):
                    part = handle.get_slice(name)
                    dtype = _ST_DTYPES.get(part.get_dtype(), 0)
                    if not dtype:
                        self._unsupported[name] = part.get_dtype()
                    self._infos[name] = TensorInfo(name, dtype, tuple(part.get_shape()))
        except (_safetensors_error(), OSError) as exc:
            raise CheckpointError(self.path, f"not a readable safetensors file: {exc}") from None

    def infos(self) -> dict[str, TensorInfo]:
        """Every tensor, in name order."""
        return dict(self._infos)

    def read(self, name: str) -> np.ndarray:
        """One tensor as numpy (bfloat16 widened to float32)."""
        return self._read([name])[name]

    def read_all(self) -> dict[str, np.ndarray]:
        """Every tensor, in name order."""
        return self._read(list(self._infos))

    def _read(self, names: list[str]) -> dict[str, np.ndarray]:
        import torch
        from safetensors import safe_open
        unsupported = [n for n in names if n in self._unsupported]
        if unsupported:
            raise CheckpointError(self.path, f"tensor {unsupported[0]!r}: dtype {self._unsupported[unsupported[0]]} "
                                  "has no numpy or TF checkpoint equivalent")
        out = {}
        try:
            with safe_open(self.path, framework="pt") as handle:
                for name in names:
                    tensor = handle.get_tensor(name)
                    if tensor.dtype == torch.bfloat16:
                        tensor = tensor.float()
                    out[name] = tensor.numpy()
        except (_safetensors_error(), OSError) as exc:
            raise CheckpointError(self.path, f"cannot read tensor data: {exc}") from None
        return out


def save_safetensors(path: "str | os.PathLike[str]", tensors: Mapping[str, object],
                     metadata: Mapping[str, str] | None = None) -> None:
    """Write ``{tf_name: array}`` to a safetensors file, atomically.

    Args:
        path: the ``.safetensors`` file.
        tensors: TF name -> numpy array or torch tensor (TF layout).
        metadata: extra string metadata (merged over :data:`METADATA`).

    Raises:
        ValueError: for string tensors or other dtypes safetensors cannot hold.
    """
    import torch
    from safetensors.torch import save
    converted = {}
    for name, value in tensors.items():
        if isinstance(value, torch.Tensor):
            converted[name] = value.detach().cpu().contiguous()
            continue
        array = np.asarray(value)
        if array.dtype.kind in "OSU":
            raise ValueError(f"tensor {name!r}: string tensors cannot be stored in safetensors")
        # np.array, not np.ascontiguousarray, which would turn a scalar into shape [1]
        converted[name] = torch.from_numpy(np.array(array, dtype=array.dtype.newbyteorder("="), order="C"))
    data = save(converted, metadata={**METADATA, **(metadata or {})})
    atomic_write_bytes(path, data)


def load_safetensors(path: "str | os.PathLike[str]") -> dict[str, np.ndarray]:
    """Read every tensor of a safetensors file as ``{name: ndarray}`` (name order).

    Raises:
        CheckpointError: if the file is missing or corrupt.
    """
    return SafetensorsReader(path).read_all()


def save_state_dict(module_or_state, path: "str | os.PathLike[str]") -> None:
    """``torch.save`` a module's ``state_dict`` (tensors only) atomically.

    Args:
        module_or_state: an ``nn.Module`` or a state dict.
        path: destination file.
    """
    import torch
    state = module_or_state.state_dict() if hasattr(module_or_state, "state_dict") else module_or_state
    with atomic_open(path) as handle:
        torch.save(dict(state), handle)


def load_state_dict(path: "str | os.PathLike[str]", map_location="cpu") -> dict:
    """``torch.load`` a state dict with ``weights_only=True`` (no arbitrary unpickling).

    Raises:
        CheckpointError: if the file is missing, corrupt, or holds anything but plain tensors/containers.
    """
    import torch
    try:
        return torch.load(os.fspath(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except Exception as exc:  # torch raises UnpicklingError/RuntimeError for bad or unsafe files
        raise CheckpointError(path, f"cannot load state dict safely: {exc}") from None
