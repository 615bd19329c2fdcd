"""Raw Snappy block decompression (no framing), with strict bounds checks.

TensorFlow never writes compressed tables today, but old index files and V1
checkpoints can hold Snappy blocks, so only the decompressor is needed.
"""

from __future__ import annotations

from .errors import CheckpointError

#: Longest output one input byte can produce (a 3-byte copy of 64 bytes), rounded up.
MAX_EXPANSION = 22


def _uncompressed_length(data: bytes, path) -> tuple[int, int]:
    value = 0
    for i in range(5):
        if i >= len(data):
            raise CheckpointError(path, "truncated Snappy length header")
        byte = data[i]
        value |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            if value > 0xFFFFFFFF:
                break
            return value, i + 1
    raise CheckpointError(path, "bad Snappy length header (varint32 too long)")


def decompress(data: bytes, path=None) -> bytes:
    """Decompress a raw Snappy block.

    Args:
        data: the compressed bytes.
        path: file name used in error messages.

    Returns:
        The uncompressed bytes.

    Raises:
        CheckpointError: on any malformed input; output never exceeds
            ``MAX_EXPANSION * len(data)`` bytes.
    """
    data = bytes(data)
    length, pos = _uncompressed_length(data, path)
    if length > MAX_EXPANSION * len(data):
        raise CheckpointError(path, f"Snappy block claims {length} bytes from {len(data)}: corrupt")
    out = bytearray()
    end = len(data)
    while pos < end:
        tag = data[pos]
        pos += 1
        kind = tag & 3
        if kind == 0:
            n = tag >> 2
            if n >= 60:
                extra = n - 59
                if pos + extra > end:
                    raise CheckpointError(path, "truncated Snappy literal length")
                n = int.from_bytes(data[pos:pos + extra], "little")
                pos += extra
            n += 1
            if pos + n > end or len(out) + n > length:
                raise CheckpointError(path, "Snappy literal runs past the end of the block")
            out += data[pos:pos + n]
            pos += n
            continue
        if kind == 1:
            if pos + 1 > end:
                raise CheckpointError(path, "truncated Snappy copy")
            n = ((tag >> 2) & 7) + 4
            offset = ((tag >> 5) << 8) | data[pos]
            pos += 1
        else:
            width = 2 if kind == 2 else 4
            if pos + width > end:
                raise CheckpointError(path, "truncated Snappy copy")
            n = (tag >> 2) + 1
            offset = int.from_bytes(data[pos:pos + width], "little")
            pos += width
        _copy(out, offset, n, length, path)
    if len(out) != length:
        raise CheckpointError(path, f"Snappy block decompressed to {len(out)} bytes, header says {length}")
    return bytes(out)


def _copy(out: bytearray, offset: int, n: int, limit: int, path) -> None:
    if offset == 0 or offset > len(out):
        raise CheckpointError(path, f"bad Snappy copy offset {offset} (output has {len(out)} bytes)")
    if len(out) + n > limit:
        raise CheckpointError(path, "Snappy copy runs past the declared length")
    start = len(out) - offset
    if offset >= n:
        out += out[start:start + n]
        return
    pattern = out[start:]
    reps, rest = divmod(n, offset)
    out += pattern * reps + pattern[:rest]
