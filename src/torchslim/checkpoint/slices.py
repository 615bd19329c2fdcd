"""Tensor slices of partitioned variables: TF's slice-key encoding and extent math."""

from __future__ import annotations

import math

from .errors import CheckpointError

_SIGNED_HEADERS = {2: (0xC0, 0), 3: (0xE0, 0), 4: (0xF0, 0), 5: (0xF8, 0), 6: (0xFC, 0),
                   7: (0xFE, 0), 8: (0xFF, 0), 9: (0xFF, 0x80), 10: (0xFF, 0xC0)}


def _num_increasing(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes([len(body)]) + body


def _string(text: bytes) -> bytes:
    return _escape(text) + b"\x00\x01"


def _escape(text: bytes) -> bytes:
    out = bytearray()
    for byte in text:
        if byte == 0x00:
            out += b"\x00\xff"
        elif byte == 0xFF:
            out += b"\xff\x00"
        else:
            out.append(byte)
    return bytes(out)


def _signed_num_increasing(value: int) -> bytes:
    x = ~value if value < 0 else value
    if x < 64:
        return bytes([(0x80 ^ value) & 0xFF])
    n = x.bit_length() // 7 + 1
    body = bytearray(value.to_bytes(n, "big", signed=True))
    first, second = _SIGNED_HEADERS[n]
    body[0] ^= first
    body[1] ^= second
    return bytes(body)


def encode_tensor_name_slice(name: str, extents) -> bytes:
    """The bundle key of one slice of a partitioned tensor (TF's ``EncodeTensorNameSlice``).

    Args:
        name: the full tensor's name.
        extents: ``[(start, length_or_None), ...]``; ``None`` is a full extent.

    Returns:
        The key bytes (they start with ``b"\\x00"``).
    """
    out = bytearray(_num_increasing(0) + _string(name.encode("utf-8")) + _num_increasing(len(extents)))
    for start, length in extents:
        out += _signed_num_increasing(start) + _signed_num_increasing(-1 if length is None else length)
    return bytes(out)


def slice_bounds(extents, shape, path, name: str) -> tuple[tuple[slice, ...], tuple[int, ...]]:
    """Index tuple and shape of a slice within a full tensor of ``shape``.

    Raises:
        CheckpointError: if the rank differs or an extent leaves the tensor.
    """
    if len(extents) != len(shape):
        raise CheckpointError(path, f"{name}: slice of rank {len(extents)} for a tensor of rank {len(shape)}")
    index, sub_shape = [], []
    for (start, length), dim in zip(extents, shape):
        length = dim - start if length is None else length
        if start + length > dim or length < 0:
            raise CheckpointError(path, f"{name}: slice extent ({start}, {length}) outside dimension {dim}")
        index.append(slice(start, start + length))
        sub_shape.append(length)
    return tuple(index), tuple(sub_shape)


def numel(shape) -> int:
    """Number of elements of a shape (1 for a scalar)."""
    return math.prod(shape)
