"""The SSTable ("table", LevelDB format) used by ``.index`` files and V1 checkpoints.

Reading walks the index block and every data block (checking each block CRC
and decompressing Snappy blocks). Writing reproduces TensorFlow's
``TableBuilder`` byte for byte: 256 KiB blocks, restart interval 16 for data
blocks and 1 for the index block, an empty metaindex block, no compression.
"""

from __future__ import annotations

import struct

from torchslim.io.crc32c import crc32c, mask, unmask
from torchslim.io.protowire import encode_varint, read_varint

from . import snappy
from .errors import CheckpointError, checkpoint_errors

FOOTER_SIZE = 48
MAGIC = 0xDB4775248B80FB57
BLOCK_TRAILER_SIZE = 5
NO_COMPRESSION, SNAPPY_COMPRESSION = 0, 1
BLOCK_SIZE = 262144
RESTART_INTERVAL = 16


# ----------------------------------------------------------------------------- reading

@checkpoint_errors
def read_table(data, path=None) -> list[tuple[bytes, memoryview]]:
    """Parse a whole table.

    Args:
        data: the file contents (bytes-like).
        path: file name for error messages.

    Returns:
        ``[(key, value), ...]`` in file order (strictly increasing keys);
        values are memoryviews into ``data`` or into a decompressed block.

    Raises:
        CheckpointError: on a bad footer, block, CRC, entry or key order.
    """
    data = memoryview(data).cast("B")
    index_handle = _read_footer(data, path)
    index = _read_block(data, index_handle, path, "index block")
    entries: list[tuple[bytes, memoryview]] = []
    for _, handle_bytes in _block_entries(index, path, "index block"):
        handle, _ = _decode_handle(handle_bytes, 0, path)
        block = _read_block(data, handle, path, f"data block at offset {handle[0]}")
        for key, value in _block_entries(block, path, f"data block at offset {handle[0]}"):
            if entries and key <= entries[-1][0]:
                raise CheckpointError(path, f"table keys out of order at {key[:64]!r}")
            entries.append((key, value))
    return entries


def _decode_handle(buf, pos: int, path) -> tuple[tuple[int, int], int]:
    offset, pos = read_varint(buf, pos, len(buf), path)
    size, pos = read_varint(buf, pos, len(buf), path)
    return (offset, size), pos


def _read_footer(data: memoryview, path) -> tuple[int, int]:
    if len(data) < FOOTER_SIZE:
        raise CheckpointError(path, f"file is too short ({len(data)} bytes) to be an sstable")
    footer = data[len(data) - FOOTER_SIZE:]
    if struct.unpack_from("<Q", footer, 40)[0] != MAGIC:
        raise CheckpointError(path, "not an sstable (bad magic number)")
    head = footer[:40]
    _, pos = _decode_handle(head, 0, path)          # metaindex: decoded, never used (as TF)
    index_handle, _ = _decode_handle(head, pos, path)
    return index_handle


def _read_block(data: memoryview, handle: tuple[int, int], path, what: str) -> memoryview:
    offset, size = handle
    limit = len(data) - FOOTER_SIZE
    if offset > limit or size + BLOCK_TRAILER_SIZE > limit - offset:
        raise CheckpointError(path, f"{what}: handle ({offset}, {size}) runs past the end of the file")
    contents = data[offset:offset + size]
    kind = data[offset + size]
    stored = struct.unpack_from("<I", data, offset + size + 1)[0]
    actual = crc32c(data[offset:offset + size + 1])
    if unmask(stored) != actual:
        raise CheckpointError(path, f"{what}: block checksum mismatch (file is corrupt)")
    if kind == NO_COMPRESSION:
        return contents
    if kind == SNAPPY_COMPRESSION:
        return memoryview(snappy.decompress(contents, path))
    raise CheckpointError(path, f"{what}: bad block type {kind}")


def _block_entries(block: memoryview, path, what: str):
    size = len(block)
    if size < 4:
        raise CheckpointError(path, f"{what}: block too short ({size} bytes)")
    num_restarts = struct.unpack_from("<I", block, size - 4)[0]
    if num_restarts == 0 or num_restarts > (size - 4) // 4:
        raise CheckpointError(path, f"{what}: bad restart count {num_restarts}")
    end = size - 4 * (num_restarts + 1)
    for i in range(num_restarts):
        restart = struct.unpack_from("<I", block, end + 4 * i)[0]
        if restart > end or (restart == end and end):
            raise CheckpointError(path, f"{what}: restart point {restart} outside the entries")
    pos = 0
    key = b""
    while pos < end:
        shared, pos = read_varint(block, pos, end, path, 5)
        non_shared, pos = read_varint(block, pos, end, path, 5)
        value_len, pos = read_varint(block, pos, end, path, 5)
        if shared > len(key) or non_shared + value_len > end - pos:
            raise CheckpointError(path, f"{what}: bad entry at byte {pos}")
        key = key[:shared] + bytes(block[pos:pos + non_shared])
        pos += non_shared
        yield key, block[pos:pos + value_len]
        pos += value_len


# ----------------------------------------------------------------------------- writing

class _BlockBuilder:
    """LevelDB's BlockBuilder: prefix-compressed entries plus a restart array."""

    def __init__(self, restart_interval: int) -> None:
        self.interval = restart_interval
        self.reset()

    def reset(self) -> None:
        self.buffer = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""

    def empty(self) -> bool:
        return not self.buffer

    def size_estimate(self) -> int:
        return len(self.buffer) + 4 * len(self.restarts) + 4

    def add(self, key: bytes, value: bytes) -> None:
        shared = 0
        if self.counter < self.interval:
            limit = min(len(key), len(self.last_key))
            while shared < limit and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buffer))
            self.counter = 0
        self.buffer += encode_varint(shared) + encode_varint(len(key) - shared) + encode_varint(len(value))
        self.buffer += key[shared:]
        self.buffer += value
        self.last_key = key
        self.counter += 1

    def finish(self) -> bytes:
        tail = struct.pack(f"<{len(self.restarts)}I", *self.restarts) + struct.pack("<I", len(self.restarts))
        return bytes(self.buffer) + tail


def shortest_separator(start: bytes, limit: bytes) -> bytes:
    """LevelDB's ``FindShortestSeparator`` for the bytewise comparator."""
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i < n and start[i] < 0xFF and start[i] + 1 < limit[i]:
        return start[:i] + bytes([start[i] + 1])
    return start


def short_successor(key: bytes) -> bytes:
    """LevelDB's ``FindShortSuccessor``: increment the first byte that is not 0xFF."""
    for i, byte in enumerate(key):
        if byte != 0xFF:
            return key[:i] + bytes([byte + 1])
    return key


def _handle(offset: int, size: int) -> bytes:
    return encode_varint(offset) + encode_varint(size)


class TableWriter:
    """Builds a table in memory exactly as TensorFlow's ``TableBuilder`` does."""

    def __init__(self, block_size: int = BLOCK_SIZE) -> None:
        self.block_size = block_size
        self.out = bytearray()
        self.data_block = _BlockBuilder(RESTART_INTERVAL)
        self.index_block = _BlockBuilder(1)
        self.last_key: bytes | None = None
        self.pending: tuple[int, int] | None = None

    def add(self, key: bytes, value: bytes) -> None:
        """Append one entry; keys must be strictly increasing bytewise."""
        if self.last_key is not None and key <= self.last_key:
            raise ValueError(f"table keys must be strictly increasing: {key!r} after {self.last_key!r}")
        if self.last_key is not None and len(key) + len(value) >= 2 * self.block_size:
            self._flush()
        if self.pending is not None:
            self.index_block.add(shortest_separator(self.last_key, key), _handle(*self.pending))
            self.pending = None
        self.last_key = key
        self.data_block.add(key, value)
        if self.data_block.size_estimate() >= self.block_size:
            self._flush()

    def _write_block(self, block: _BlockBuilder) -> tuple[int, int]:
        contents = block.finish()
        block.reset()
        offset = len(self.out)
        self.out += contents
        self.out.append(NO_COMPRESSION)
        self.out += struct.pack("<I", mask(crc32c(contents + bytes([NO_COMPRESSION]))))
        return offset, len(contents)

    def _flush(self) -> None:
        if self.data_block.empty():
            return
        self.pending = self._write_block(self.data_block)

    def finish(self) -> bytes:
        """Write the last data block, metaindex, index and footer; return the table bytes."""
        self._flush()
        meta_handle = self._write_block(_BlockBuilder(RESTART_INTERVAL))
        if self.pending is not None:
            self.index_block.add(short_successor(self.last_key), _handle(*self.pending))
            self.pending = None
        index_handle = self._write_block(self.index_block)
        footer = _handle(*meta_handle) + _handle(*index_handle)
        self.out += footer + bytes(40 - len(footer)) + struct.pack("<Q", MAGIC)
        return bytes(self.out)


def build_table(entries) -> bytes:
    """Encode ``[(key, value), ...]`` (sorted, unique keys) as a TF-identical table."""
    writer = TableWriter()
    for key, value in entries:
        writer.add(key, value)
    return writer.finish()
