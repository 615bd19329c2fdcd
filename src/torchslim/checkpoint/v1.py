"""TensorFlow V1 checkpoints (``TensorSliceWriter``): one SSTable file, or several shards.

Used by the old TF-Slim model-zoo ``.ckpt`` files. Key ``""`` holds the metadata
(names, shapes, dtypes, slices); every other entry holds one slice of one tensor
as a ``TensorProto`` with typed, packed value fields.
"""

from __future__ import annotations

import os

import numpy as np

from torchslim.io.protowire import FIXED32, FIXED64, LENGTH, VARINT, iter_fields

from . import dtypes
from .bundle import TensorInfo
from .errors import CheckpointError, checkpoint_errors
from .messages import SavedSliceMeta, decode_saved_tensor_slices
from .slices import numel, slice_bounds
from .table import read_table

#: ``TF_CHECKPOINT_VERSION``: newest V1 layout this reader understands.
V1_VERSION = 1

# TF dtype -> (TensorProto field number, how it is encoded)
_VALUE_FIELDS = {
    dtypes.DT_FLOAT: (5, "<f4"), dtypes.DT_DOUBLE: (6, "<f8"), dtypes.DT_STRING: (8, "bytes"),
    dtypes.DT_COMPLEX64: (9, "<f4"), dtypes.DT_INT64: (10, "varint"), dtypes.DT_BOOL: (11, "varint"),
    dtypes.DT_COMPLEX128: (12, "<f8"), dtypes.DT_HALF: (13, "varint"), dtypes.DT_BFLOAT16: (13, "varint"),
    dtypes.DT_UINT32: (16, "varint"), dtypes.DT_UINT64: (17, "varint"),
}
for _dt in (3, 4, 5, 6, 11, 12, 13, 15, 16, 17):
    _VALUE_FIELDS[_dt] = (7, "varint")


class V1Reader:
    """Reads a V1 checkpoint made of one or more table files.

    Args:
        files: the table files (a single ``.ckpt`` file, or every shard).

    Raises:
        CheckpointError: if a file is not a V1 checkpoint or is corrupt.
    """

    def __init__(self, files: list[str]) -> None:
        self.files = [os.fspath(f) for f in files]
        self._meta: dict[str, SavedSliceMeta] = {}
        self._slices: dict[str, list] = {}
        for path in self.files:
            self._load_file(path)

    def _load_file(self, path: str) -> None:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CheckpointError(path, f"cannot read checkpoint file: {exc.strerror or exc}") from None
        entries = read_table(data, path)
        if not entries or entries[0][0] != b"":
            raise CheckpointError(path, "not a V1 checkpoint: no metadata entry")
        head = decode_saved_tensor_slices(entries[0][1], 0, len(entries[0][1]), path)
        if head.meta is None:
            raise CheckpointError(path, "not a V1 checkpoint: metadata entry has no SavedTensorSliceMeta")
        if head.versions is not None and (head.versions.min_consumer > V1_VERSION
                                          or V1_VERSION in head.versions.bad_consumers):
            raise CheckpointError(path, f"checkpoint needs V1 version {head.versions.min_consumer}; "
                                  f"this reader supports {V1_VERSION}")
        for meta in head.meta:
            self._add_meta(meta, path)
        for _, value in entries[1:]:
            item = decode_saved_tensor_slices(value, 0, len(value), path).data
            if item is None or item.name not in self._meta:
                raise CheckpointError(path, f"slice entry for unknown tensor {getattr(item, 'name', None)!r}")
            self._slices[item.name].append((item.extents, value, item.data, path))

    def _add_meta(self, meta: SavedSliceMeta, path: str) -> None:
        known = self._meta.get(meta.name)
        if known is not None and (known.shape != meta.shape or known.dtype != meta.dtype):
            raise CheckpointError(path, f"tensor {meta.name!r}: shards disagree on its shape or dtype")
        if known is None:
            self._meta[meta.name] = meta
            self._slices[meta.name] = []

    def infos(self) -> dict[str, TensorInfo]:
        """Every tensor, in name order."""
        return {n: TensorInfo(n, m.dtype, m.shape) for n, m in sorted(self._meta.items())}

    def read(self, name: str) -> np.ndarray:
        """Assemble one tensor from its slices.

        Raises:
            KeyError: if there is no such tensor.
            CheckpointError: on bad slices, counts or values.
        """
        meta = self._meta.get(name)
        if meta is None:
            raise KeyError(f"tensor {name!r} not found in checkpoint {self.files[0]}")
        path = self._slices[name][0][3] if self._slices[name] else self.files[0]
        if meta.dtype not in _VALUE_FIELDS:
            raise CheckpointError(path, f"tensor {name!r}: unsupported dtype {dtypes.dtype_name(meta.dtype)}")
        parts, covered = [], 0
        for extents, buf, span, part_path in self._slices[name]:
            index, sub_shape = slice_bounds(extents, meta.shape, part_path, name)
            values = _decode_values(buf, span, meta.dtype, numel(sub_shape), part_path, name)
            parts.append((index, values.reshape(sub_shape)))
            covered += numel(sub_shape)
        if covered != numel(meta.shape):
            raise CheckpointError(path, f"tensor {name!r}: slices cover {covered} of {numel(meta.shape)} elements")
        if len(parts) == 1:
            return parts[0][1]
        full = np.empty(meta.shape, parts[0][1].dtype)
        for index, part in parts:
            full[index] = part
        return full

    def read_all(self) -> dict[str, np.ndarray]:
        """Every tensor, in name order."""
        return {name: self.read(name) for name in sorted(self._meta)}


@checkpoint_errors
def _decode_values(buf, span, dtype: int, count: int, path: str, name: str) -> np.ndarray:
    """The values of one slice's ``TensorProto``, as a flat native-endian array of ``count`` items."""
    number, kind = _VALUE_FIELDS[dtype]
    chunks: list = []
    for num, wire, value in iter_fields(buf, span[0], span[1], path, "TensorProto"):
        if num != number:
            continue
        if kind == "bytes":
            if wire != LENGTH:
                raise CheckpointError(path, f"tensor {name!r}: bad string_val wire type {wire}")
            chunks.append(bytes(buf[value[0]:value[1]]))
        elif wire == LENGTH:
            chunks.append(_unpack(buf[value[0]:value[1]], kind, path, name))
        elif (kind, wire) in (("varint", VARINT), ("<f4", FIXED32), ("<f8", FIXED64)):
            chunks.append(_single(value, kind))
        else:
            raise CheckpointError(path, f"tensor {name!r}: bad wire type {wire} for TensorProto field {num}")
    if kind == "bytes":
        values = np.empty(len(chunks), dtype=object)
        values[:] = chunks
    else:
        values = np.concatenate(chunks) if chunks else np.empty(0, kind if kind != "varint" else "<u8")
    if dtype in (dtypes.DT_COMPLEX64, dtypes.DT_COMPLEX128):
        if len(values) % 2:
            raise CheckpointError(path, f"tensor {name!r}: odd number of complex components")
        values = values.view("<c8" if dtype == dtypes.DT_COMPLEX64 else "<c16")
    if len(values) != count:
        raise CheckpointError(path, f"tensor {name!r}: slice holds {len(values)} values, expected {count}")
    return _convert(values, dtype, path, name)


def _single(value: int, kind: str) -> np.ndarray:
    if kind == "varint":
        return np.array([value], "<u8")
    width = 4 if kind == "<f4" else 8
    return np.frombuffer(value.to_bytes(width, "little"), kind)


def _unpack(chunk, kind: str, path: str, name: str) -> np.ndarray:
    if kind == "varint":
        return decode_packed_varints(chunk, path, name)
    width = np.dtype(kind).itemsize
    if len(chunk) % width:
        raise CheckpointError(path, f"tensor {name!r}: packed field of {len(chunk)} bytes, not a multiple of {width}")
    return np.frombuffer(chunk, kind)


def decode_packed_varints(chunk, path=None, name: str = "") -> np.ndarray:
    """Decode a packed run of varints with numpy (no per-element Python); returns uint64.

    Raises:
        CheckpointError: if the run is truncated or a varint is longer than 10 bytes.
    """
    raw = np.frombuffer(chunk, np.uint8)
    if not len(raw):
        return np.empty(0, "<u8")
    if raw[-1] & 0x80:
        raise CheckpointError(path, f"tensor {name!r}: truncated packed varint")
    ends = np.flatnonzero(raw < 0x80)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > 10 or np.any(raw[ends[lengths == 10]] > 1):
        raise CheckpointError(path, f"tensor {name!r}: malformed packed varint")
    position = np.arange(len(raw)) - np.repeat(starts, lengths)
    parts = (raw & 0x7F).astype(np.uint64) << (7 * position).astype(np.uint64)
    return np.bitwise_or.reduceat(parts, starts)


_INT_RANGES = {3: "<i4", 4: "u1", 5: "<i2", 6: "i1", 11: "i1", 12: "u1", 13: "<i4", 15: "<i2", 16: "<u2",
               17: "<u2", 9: "<i8", 22: "<u4", 23: "<u8"}


def _convert(values: np.ndarray, dtype: int, path: str, name: str) -> np.ndarray:
    if dtype in (dtypes.DT_FLOAT, dtypes.DT_DOUBLE, dtypes.DT_COMPLEX64, dtypes.DT_COMPLEX128):
        return values.astype(values.dtype.newbyteorder("="))          # copy: own the memory
    if dtype == dtypes.DT_STRING:
        return values
    if dtype == dtypes.DT_BOOL:
        return values != 0
    if dtype in (dtypes.DT_HALF, dtypes.DT_BFLOAT16):
        if len(values) and values.max() > 0xFFFF:
            raise CheckpointError(path, f"tensor {name!r}: half_val out of range")
        bits = values.astype("<u2")
        return bits.view("<f2").astype("=f2") if dtype == dtypes.DT_HALF else dtypes.bfloat16_to_float32(bits)
    target = np.dtype(_INT_RANGES[dtype])
    signed = values.view("<i8") if target.kind == "i" else values
    info = np.iinfo(target)
    if len(signed) and (signed.min() < info.min or signed.max() > info.max):
        raise CheckpointError(path, f"tensor {name!r}: integer value out of range for {dtypes.dtype_name(dtype)}")
    return signed.astype(target.newbyteorder("="))
