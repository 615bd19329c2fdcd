"""The protobuf wire format: varints, fixed32/64 and length-delimited fields, decoded with bounds checks.

What checkpoint messages (:mod:`torchslim.checkpoint.messages`) and TensorBoard events
(:mod:`torchslim.train.events`) need, without the ``protobuf`` package. Groups (wire types 3 and 4)
are rejected. Nothing here recurses, so the nesting depth is set by the message decoders that call
:func:`iter_fields`. Malformed bytes raise :class:`~torchslim.io.errors.FileFormatError` naming the file.
"""

from __future__ import annotations

import struct
from typing import Iterator

from torchslim.io.errors import FileFormatError

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5
_U64 = (1 << 64) - 1


def read_varint(buf, pos: int, end: int, path=None, max_bytes: int = 10) -> tuple[int, int]:
    """Decode an unsigned varint from ``buf[pos:end]``.

    Args:
        buf: bytes-like object.
        pos: start offset.
        end: offset the varint must not cross.
        path: file name for error messages.
        max_bytes: 10 for 64-bit values, 5 for 32-bit ones.

    Returns:
        ``(value, new_pos)``.

    Raises:
        FileFormatError: if truncated, longer than ``max_bytes`` or out of range.
    """
    if end > len(buf):
        end = len(buf)
    if pos < end and buf[pos] < 0x80:                   # fast path: one-byte varint
        return buf[pos], pos + 1
    value = 0
    shift = 0
    for i in range(max_bytes):
        if pos + i >= end:
            raise FileFormatError(path, f"truncated varint at byte {pos + i}")
        byte = buf[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            limit = 0xFFFFFFFF if max_bytes == 5 else _U64
            if value > limit:
                break
            return value, pos + i + 1
        shift += 7
    raise FileFormatError(path, f"malformed varint at byte {pos} (too long or out of range)")


def to_int64(value: int) -> int:
    """Reinterpret a decoded 64-bit varint as a two's-complement signed integer."""
    return value - (1 << 64) if value >= 1 << 63 else value


def iter_fields(buf, start: int, end: int, path=None, what: str = "message") -> Iterator[tuple[int, int, object]]:
    """Iterate ``(field_number, wire_type, value)`` over one message in ``buf[start:end]``.

    ``value`` is an int for varint/fixed fields and a ``(begin, end)`` span for
    length-delimited ones (never copied).

    Raises:
        FileFormatError: on truncation, group wire types or field number 0.
    """
    if end > len(buf):
        end = len(buf)
    pos = start
    while pos < end:
        key = buf[pos]
        if key < 0x80:
            pos += 1
        else:
            key, pos = read_varint(buf, pos, end, path)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise FileFormatError(path, f"bad {what}: field number 0")
        if wire == VARINT:
            if pos < end and buf[pos] < 0x80:           # one-byte value, inline (no tuple)
                value = buf[pos]
                pos += 1
            else:
                value, pos = read_varint(buf, pos, end, path)
        elif wire == FIXED32:
            if pos + 4 > end:
                raise FileFormatError(path, f"bad {what}: truncated fixed32 field {field}")
            value = int.from_bytes(buf[pos:pos + 4], "little")
            pos += 4
        elif wire == FIXED64:
            if pos + 8 > end:
                raise FileFormatError(path, f"bad {what}: truncated fixed64 field {field}")
            value = int.from_bytes(buf[pos:pos + 8], "little")
            pos += 8
        elif wire == LENGTH:
            if pos < end and buf[pos] < 0x80:
                size = buf[pos]
                pos += 1
            else:
                size, pos = read_varint(buf, pos, end, path)
            if size > end - pos:
                raise FileFormatError(path, f"bad {what}: field {field} length {size} runs past the end")
            value = (pos, pos + size)
            pos += size
        else:
            raise FileFormatError(path, f"bad {what}: unsupported wire type {wire} (field {field})")
        yield field, wire, value


def expect_wire(path, what: str, field: int, wire: int, expected: int) -> None:
    """Raise unless a field has the wire type its schema says."""
    if wire != expected:
        raise FileFormatError(path, f"bad {what}: field {field} has wire type {wire}, expected {expected}")


# ----------------------------------------------------------------------------- encoding

def encode_varint(value: int) -> bytes:
    """Encode a non-negative int (negative ints as 64-bit two's complement)."""
    value &= _U64
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_varint(field: int, value: int) -> bytes:
    """A varint field (tag + value)."""
    return encode_varint(field << 3 | VARINT) + encode_varint(value)


def field_bytes(field: int, payload: bytes) -> bytes:
    """A length-delimited field (tag + length + payload)."""
    return encode_varint(field << 3 | LENGTH) + encode_varint(len(payload)) + payload


def field_fixed32(field: int, value: int) -> bytes:
    """A fixed32 field (tag + 4 little-endian bytes)."""
    return encode_varint(field << 3 | FIXED32) + struct.pack("<I", value)
