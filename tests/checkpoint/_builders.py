"""Test-only builders: a small Snappy compressor, V1 checkpoint files, table surgery."""

from __future__ import annotations

import struct

import numpy as np

from torchslim.io.crc32c import crc32c, mask
from torchslim.checkpoint.messages import encode_shape, encode_slice
from torchslim.io.protowire import encode_varint, field_bytes, field_varint
from torchslim.checkpoint.table import build_table


# ----------------------------------------------------------------------------- Snappy

def _literal(chunk: bytes) -> bytes:
    n = len(chunk) - 1
    if n < 60:
        return bytes([n << 2]) + chunk
    width = (n.bit_length() + 7) // 8
    return bytes([(59 + width) << 2]) + n.to_bytes(width, "little") + chunk


def _copy(offset: int, length: int) -> bytes:
    if 4 <= length <= 11 and offset < 2048:
        return bytes([((offset >> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xFF])
    if offset < 65536:
        return bytes([((length - 1) << 2) | 2]) + offset.to_bytes(2, "little")
    return bytes([((length - 1) << 2) | 3]) + offset.to_bytes(4, "little")


def snappy_compress(data: bytes, literal_only: bool = False, chunk: int = 1 << 16) -> bytes:
    """A simple correct Snappy compressor (greedy 4-byte matches, all element kinds)."""
    out = bytearray(encode_varint(len(data)))
    if literal_only:
        for i in range(0, len(data), chunk):
            out += _literal(data[i:i + chunk])
        return bytes(out)
    table: dict[bytes, int] = {}
    pos = lit_start = 0
    while pos + 4 <= len(data):
        key = data[pos:pos + 4]
        cand = table.get(key)
        table[key] = pos
        if cand is None or pos - cand > 70000:
            pos += 1
            continue
        if lit_start < pos:
            out += _literal(data[lit_start:pos])
        length = 4
        while pos + length < len(data) and length < 64 and data[cand + length] == data[pos + length]:
            length += 1
        out += _copy(pos - cand, length)
        pos += length
        lit_start = pos
    if lit_start < len(data):
        out += _literal(data[lit_start:])
    return bytes(out)


# ----------------------------------------------------------------------------- tables

def block_handles(table: bytes) -> list[tuple[int, int]]:
    """Handles of every data block and of the index block of a table (index block last)."""
    from torchslim.io.protowire import read_varint
    from torchslim.checkpoint.table import _block_entries, _read_block, _read_footer
    view = memoryview(table)
    index_handle = _read_footer(view, None)
    index = _read_block(view, index_handle, None, "index")
    handles = []
    for _, value in _block_entries(index, None, "index"):
        offset, pos = read_varint(value, 0, len(value))
        size, _ = read_varint(value, pos, len(value))
        handles.append((offset, size))
    return handles + [index_handle]


def fix_block_crc(table: bytearray, handle: tuple[int, int]) -> None:
    """Recompute the trailer CRC of one block in place."""
    offset, size = handle
    crc = mask(crc32c(bytes(table[offset:offset + size + 1])))
    table[offset + size + 1:offset + size + 5] = struct.pack("<I", crc)


def compress_table_blocks(table: bytes, literal_only: bool = False) -> bytes:
    """Rewrite a table so every data block and the index block are Snappy-compressed."""
    from torchslim.checkpoint.table import read_table
    from torchslim.checkpoint.table import _BlockBuilder, _handle, MAGIC
    entries = read_table(table)
    out = bytearray()

    def write(block_bytes: bytes) -> tuple[int, int]:
        stored = snappy_compress(block_bytes, literal_only)
        offset = len(out)
        out.extend(stored + b"\x01")
        out.extend(struct.pack("<I", mask(crc32c(stored + b"\x01"))))
        return offset, len(stored)

    data = _BlockBuilder(16)
    for key, value in entries:
        data.add(key, bytes(value))
    data_handle = write(data.finish())
    meta_handle = write(_BlockBuilder(16).finish())
    index = _BlockBuilder(1)
    index.add(b"\xff" * 8, _handle(*data_handle))
    index_handle = write(index.finish())
    footer = _handle(*meta_handle) + _handle(*index_handle)
    out += footer + bytes(40 - len(footer)) + struct.pack("<Q", MAGIC)
    return bytes(out)


# ----------------------------------------------------------------------------- V1 files

_V1_FIELD = {"float32": (5, "f4"), "float64": (6, "f8"), "int32": (7, "varint"), "uint8": (7, "varint"),
             "int16": (7, "varint"), "int8": (7, "varint"), "int64": (10, "varint"), "bool": (11, "varint"),
             "float16": (13, "half"), "complex64": (9, "f4"), "complex128": (12, "f8")}
_TF_DTYPE = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "int64": 9,
             "bool": 10, "float16": 19, "complex64": 8, "complex128": 18}


def tensor_proto_values(array: np.ndarray) -> bytes:
    """A TensorProto holding only the typed, packed value field for ``array``."""
    if array.dtype.kind in "OSU":
        return b"".join(field_bytes(8, x if isinstance(x, bytes) else x.encode()) for x in array.reshape(-1))
    number, kind = _V1_FIELD[array.dtype.name]
    flat = array.reshape(-1)
    if kind in ("f4", "f8"):
        real = flat.view("<f4" if kind == "f4" else "<f8") if array.dtype.kind == "c" else flat
        payload = np.asarray(real, "<" + kind).tobytes()
    elif kind == "half":
        payload = b"".join(encode_varint(int(x)) for x in flat.view("<u2"))
    else:
        payload = b"".join(encode_varint(int(x)) for x in flat)
    return field_bytes(number, payload) if payload else b""


def v1_slice_key(name: str, extents) -> bytes:
    from torchslim.checkpoint.slices import encode_tensor_name_slice
    return encode_tensor_name_slice(name, extents)


def build_v1(tensors: dict, slices: dict | None = None) -> bytes:
    """A V1 checkpoint file: ``tensors`` name -> array; ``slices`` name -> list of extents to split into."""
    slices = slices or {}
    metas, entries = b"", []
    for name in sorted(tensors):
        array = np.asarray(tensors[name])
        dtype = 7 if array.dtype.kind in "OSU" else _TF_DTYPE[array.dtype.name]
        parts = slices.get(name, [[(0, None)] * array.ndim])
        meta = field_bytes(1, name.encode()) + field_bytes(2, encode_shape(array.shape)) + field_varint(3, dtype)
        for extents in parts:
            meta += field_bytes(4, encode_slice(extents))
            index = tuple(slice(s, None if n is None else s + n) for s, n in extents)
            saved = (field_bytes(1, name.encode()) + field_bytes(2, encode_slice(extents))
                     + field_bytes(3, tensor_proto_values(np.ascontiguousarray(array[index]))))
            entries.append((v1_slice_key(name, extents), field_bytes(2, saved)))
        metas += field_bytes(1, meta)
    metas += field_bytes(2, field_varint(1, 1))
    entries.sort()
    return build_table([(b"", field_bytes(1, metas))] + entries)
