"""The few TensorFlow protobuf messages a checkpoint uses: decoders and encoders.

Field numbers follow ``tensor_bundle.proto``, ``tensor_shape.proto``,
``tensor_slice.proto``, ``versions.proto`` and ``saved_tensor_slice.proto``.
Decoders skip unknown fields, accept any field order and default absent
fields (proto3). Nesting is fixed by the schema (at most three levels).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torchslim.io.protowire import (FIXED32, LENGTH, VARINT, expect_wire, field_bytes, field_fixed32,
                                    field_varint, iter_fields, read_varint, to_int64)

from .errors import CheckpointError, checkpoint_errors

#: TensorFlow's own limit on tensor rank.
MAX_RANK = 254


@dataclass
class VersionDef:
    producer: int = 0
    min_consumer: int = 0
    bad_consumers: list = field(default_factory=list)


@dataclass
class BundleHeader:
    num_shards: int = 0
    endianness: int = 0
    version: VersionDef = field(default_factory=VersionDef)


@dataclass
class BundleEntry:
    dtype: int = 0
    shape: tuple = ()
    shard_id: int = 0
    offset: int = 0
    size: int = 0
    crc32c: int = 0
    slices: list = field(default_factory=list)   # list of TensorSlice extents


@dataclass
class SavedSliceMeta:
    name: str = ""
    shape: tuple = ()
    dtype: int = 0
    slices: list = field(default_factory=list)


@dataclass
class SavedSlice:
    name: str = ""
    extents: list = field(default_factory=list)
    data: tuple = (0, 0)                        # span of the TensorProto in the buffer


@dataclass
class SavedTensorSlices:
    meta: list | None = None                    # list[SavedSliceMeta] when key "" holds meta
    versions: VersionDef | None = None
    data: SavedSlice | None = None


def _int32(value: int, path, what: str) -> int:
    value = to_int64(value)
    if not -(1 << 31) <= value < 1 << 31:
        raise CheckpointError(path, f"bad {what}: int32 field out of range ({value})")
    return value


def _nonneg(value: int, path, what: str) -> int:
    value = to_int64(value)
    if value < 0:
        raise CheckpointError(path, f"bad {what}: negative value {value}")
    return value


def _text(buf, span, path, what: str) -> str:
    try:
        return bytes(buf[span[0]:span[1]]).decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointError(path, f"bad {what}: name is not valid UTF-8") from None


# ----------------------------------------------------------------------------- decoders

@checkpoint_errors
def decode_version(buf, start: int, end: int, path=None) -> VersionDef:
    """Decode a ``VersionDef``."""
    out = VersionDef()
    for num, wire, value in iter_fields(buf, start, end, path, "VersionDef"):
        if num == 1:
            expect_wire(path, "VersionDef", num, wire, VARINT)
            out.producer = _int32(value, path, "VersionDef")
        elif num == 2:
            expect_wire(path, "VersionDef", num, wire, VARINT)
            out.min_consumer = _int32(value, path, "VersionDef")
        elif num == 3:
            if wire == VARINT:
                out.bad_consumers.append(_int32(value, path, "VersionDef"))
            else:
                expect_wire(path, "VersionDef", num, wire, LENGTH)
                pos, stop = value
                while pos < stop:
                    item, pos = read_varint(buf, pos, stop, path)
                    out.bad_consumers.append(_int32(item, path, "VersionDef"))
    return out


@checkpoint_errors
def decode_shape(buf, start: int, end: int, path=None) -> tuple:
    """Decode a ``TensorShapeProto`` into a tuple of non-negative dims."""
    dims = []
    for num, wire, value in iter_fields(buf, start, end, path, "TensorShapeProto"):
        if num == 2:
            expect_wire(path, "TensorShapeProto", num, wire, LENGTH)
            size = 0
            for dnum, dwire, dvalue in iter_fields(buf, value[0], value[1], path, "TensorShapeProto.Dim"):
                if dnum == 1:
                    expect_wire(path, "TensorShapeProto.Dim", dnum, dwire, VARINT)
                    size = to_int64(dvalue)
            if size < 0:
                raise CheckpointError(path, f"bad TensorShapeProto: dimension {size} is not fully defined")
            dims.append(size)
            if len(dims) > MAX_RANK:
                raise CheckpointError(path, f"bad TensorShapeProto: rank above {MAX_RANK}")
        elif num == 3:
            expect_wire(path, "TensorShapeProto", num, wire, VARINT)
            if value:
                raise CheckpointError(path, "bad TensorShapeProto: unknown rank in a checkpoint")
    return tuple(dims)


@checkpoint_errors
def decode_slice(buf, start: int, end: int, path=None) -> list:
    """Decode a ``TensorSliceProto`` into ``[(start, length_or_None), ...]``."""
    extents = []
    for num, wire, value in iter_fields(buf, start, end, path, "TensorSliceProto"):
        if num != 1:
            continue
        expect_wire(path, "TensorSliceProto", num, wire, LENGTH)
        first, length = 0, None
        for enum_, ewire, evalue in iter_fields(buf, value[0], value[1], path, "TensorSliceProto.Extent"):
            if enum_ in (1, 2):
                expect_wire(path, "TensorSliceProto.Extent", enum_, ewire, VARINT)
                if enum_ == 1:
                    first = _nonneg(evalue, path, "TensorSliceProto.Extent")
                else:
                    length = _nonneg(evalue, path, "TensorSliceProto.Extent")
        extents.append((first, length))
        if len(extents) > MAX_RANK:
            raise CheckpointError(path, f"bad TensorSliceProto: rank above {MAX_RANK}")
    return extents


@checkpoint_errors
def decode_header(buf, start: int, end: int, path=None) -> BundleHeader:
    """Decode a ``BundleHeaderProto``."""
    out = BundleHeader()
    for num, wire, value in iter_fields(buf, start, end, path, "BundleHeaderProto"):
        if num in (1, 2):
            expect_wire(path, "BundleHeaderProto", num, wire, VARINT)
            if num == 1:
                out.num_shards = _nonneg(value, path, "BundleHeaderProto")
            else:
                out.endianness = to_int64(value)
        elif num == 3:
            expect_wire(path, "BundleHeaderProto", num, wire, LENGTH)
            out.version = decode_version(buf, value[0], value[1], path)
    return out


@checkpoint_errors
def decode_entry(buf, start: int, end: int, path=None) -> BundleEntry:
    """Decode a ``BundleEntryProto``."""
    out = BundleEntry()
    what = "BundleEntryProto"
    for num, wire, value in iter_fields(buf, start, end, path, what):
        if num in (1, 3, 4, 5):
            expect_wire(path, what, num, wire, VARINT)
            if num == 1:
                out.dtype = _nonneg(value, path, what)
            elif num == 3:
                out.shard_id = _nonneg(value, path, what)
            elif num == 4:
                out.offset = _nonneg(value, path, what)
            else:
                out.size = _nonneg(value, path, what)
        elif num == 2:
            expect_wire(path, what, num, wire, LENGTH)
            out.shape = decode_shape(buf, value[0], value[1], path)
        elif num == 6:
            expect_wire(path, what, num, wire, FIXED32)
            out.crc32c = value
        elif num == 7:
            expect_wire(path, what, num, wire, LENGTH)
            out.slices.append(decode_slice(buf, value[0], value[1], path))
    return out


def _decode_slice_meta(buf, start: int, end: int, path) -> SavedSliceMeta:
    out = SavedSliceMeta()
    what = "SavedSliceMeta"
    for num, wire, value in iter_fields(buf, start, end, path, what):
        if num == 1:
            expect_wire(path, what, num, wire, LENGTH)
            out.name = _text(buf, value, path, what)
        elif num == 2:
            expect_wire(path, what, num, wire, LENGTH)
            out.shape = decode_shape(buf, value[0], value[1], path)
        elif num == 3:
            expect_wire(path, what, num, wire, VARINT)
            out.dtype = _nonneg(value, path, what)
        elif num == 4:
            expect_wire(path, what, num, wire, LENGTH)
            out.slices.append(decode_slice(buf, value[0], value[1], path))
    return out


def _decode_saved_slice(buf, start: int, end: int, path) -> SavedSlice:
    out = SavedSlice(data=(end, end))
    what = "SavedSlice"
    for num, wire, value in iter_fields(buf, start, end, path, what):
        if num == 1:
            expect_wire(path, what, num, wire, LENGTH)
            out.name = _text(buf, value, path, what)
        elif num == 2:
            expect_wire(path, what, num, wire, LENGTH)
            out.extents = decode_slice(buf, value[0], value[1], path)
        elif num == 3:
            expect_wire(path, what, num, wire, LENGTH)
            out.data = value
    return out


@checkpoint_errors
def decode_saved_tensor_slices(buf, start: int, end: int, path=None) -> SavedTensorSlices:
    """Decode a V1 ``SavedTensorSlices`` (meta or one data slice; TensorProto left as a span)."""
    out = SavedTensorSlices()
    what = "SavedTensorSlices"
    for num, wire, value in iter_fields(buf, start, end, path, what):
        if num == 1:
            expect_wire(path, what, num, wire, LENGTH)
            out.meta = out.meta or []
            for mnum, mwire, mvalue in iter_fields(buf, value[0], value[1], path, "SavedTensorSliceMeta"):
                if mnum == 1:
                    expect_wire(path, "SavedTensorSliceMeta", mnum, mwire, LENGTH)
                    out.meta.append(_decode_slice_meta(buf, mvalue[0], mvalue[1], path))
                elif mnum == 2:
                    expect_wire(path, "SavedTensorSliceMeta", mnum, mwire, LENGTH)
                    out.versions = decode_version(buf, mvalue[0], mvalue[1], path)
        elif num == 2:
            expect_wire(path, what, num, wire, LENGTH)
            out.data = _decode_saved_slice(buf, value[0], value[1], path)
    return out


# ----------------------------------------------------------------------------- encoders

def encode_header(num_shards: int = 1) -> bytes:
    """``BundleHeaderProto{num_shards, version{producer: 1}}`` exactly as TF writes it."""
    return field_varint(1, num_shards) + field_bytes(3, field_varint(1, 1))


def encode_shape(shape) -> bytes:
    """A ``TensorShapeProto`` body (a dim with size 0 is an empty Dim)."""
    out = bytearray()
    for dim in shape:
        out += field_bytes(2, field_varint(1, dim) if dim else b"")
    return bytes(out)


def encode_slice(extents) -> bytes:
    """A ``TensorSliceProto`` body from ``[(start, length_or_None), ...]``."""
    out = bytearray()
    for start, length in extents:
        body = (field_varint(1, start) if start else b"") + (b"" if length is None else field_varint(2, length))
        out += field_bytes(1, body)
    return bytes(out)


def encode_entry(entry: BundleEntry) -> bytes:
    """A ``BundleEntryProto``, fields in number order, proto3 defaults omitted (as TF does)."""
    out = bytearray(field_varint(1, entry.dtype))
    out += field_bytes(2, encode_shape(entry.shape))
    for num, value in ((3, entry.shard_id), (4, entry.offset), (5, entry.size)):
        if value:
            out += field_varint(num, value)
    if entry.crc32c:
        out += field_fixed32(6, entry.crc32c)
    for extents in entry.slices:
        out += field_bytes(7, encode_slice(extents))
    return bytes(out)
