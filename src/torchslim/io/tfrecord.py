"""TFRecord files without TensorFlow: the record framing, both masked CRC32C checks, reading and writing.

A TFRecord file is a sequence of records, each::

    uint64 length (little-endian)
    uint32 masked_crc32c(length bytes)
    byte   data[length]
    uint32 masked_crc32c(data)

Reading never allocates more than the bytes left in the file: a length field larger than the rest
of the file is reported as truncation before anything is read. Every fault raises
:class:`TFRecordError`, which names the file and the byte offset of the record at fault.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO, Iterable, Iterator, List, Optional, Tuple

from .atomic import atomic_open
from .crc32c import masked_crc32c
from .errors import FileFormatError

__all__ = ["TFRecordError", "iter_records", "read_record_at", "index_records", "count_records",
           "encode_record", "TFRecordWriter", "write_records", "HEADER_BYTES", "FOOTER_BYTES"]

HEADER_BYTES = 12  # uint64 length + uint32 masked CRC of the length
FOOTER_BYTES = 4   # uint32 masked CRC of the data
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


class TFRecordError(FileFormatError):
    """A TFRecord file (or a record in it) is truncated, corrupt or not what its reader expects.

    The message reads ``<file>: record <n> at byte offset <offset>: <what is wrong>``.

    Attributes:
      path: the file name.
      offset: byte offset of the record at fault (``None`` when no single record is at fault).
      index: the record's number in the file, counting from 0 (``None`` when unknown).
      truncated: the file ends inside the record (a writer may still be writing it, or was killed),
        as opposed to a corrupt record.
    """

    def __init__(self, path: "str | os.PathLike[str]", offset: Optional[int], message: str,
                 index: Optional[int] = None, truncated: bool = False) -> None:
        self.offset = offset
        self.index = index
        self.truncated = truncated
        where = []
        if index is not None:
            where.append(f"record {index}")
        if offset is not None:
            where.append(f"at byte offset {offset}")
        super().__init__(path, f"{' '.join(where)}: {message}" if where else message)


def _parse_header(path, offset: int, header: bytes, remaining: int, check_crc: bool, index) -> int:
    """The data length of the record whose 12-byte ``header`` starts at ``offset``."""
    if len(header) < HEADER_BYTES:
        raise TFRecordError(path, offset, f"truncated record header ({len(header)} of {HEADER_BYTES} bytes)",
                            index, truncated=True)
    length_bytes = header[:8]
    if check_crc and masked_crc32c(length_bytes) != _CRC.unpack_from(header, 8)[0]:
        raise TFRecordError(path, offset, "corrupted record: the length's CRC32C does not match", index)
    length = _LENGTH.unpack(length_bytes)[0]
    if length + FOOTER_BYTES > remaining:
        raise TFRecordError(path, offset, f"truncated record: length {length} + {FOOTER_BYTES} CRC bytes run past "
                                          f"the end of the file ({remaining} bytes left)", index, truncated=True)
    return length


def _check_data(path, offset: int, data: bytes, footer: bytes, check_crc: bool, index) -> None:
    if check_crc and masked_crc32c(data) != _CRC.unpack(footer)[0]:
        raise TFRecordError(path, offset, "corrupted record: the data's CRC32C does not match", index)


def _read_one(handle: BinaryIO, path, offset: int, file_size: int, check_crc: bool, index) -> bytes:
    header = handle.read(min(HEADER_BYTES, file_size - offset))
    length = _parse_header(path, offset, header, file_size - offset - HEADER_BYTES, check_crc, index)
    body = handle.read(length + FOOTER_BYTES)
    if len(body) != length + FOOTER_BYTES:
        raise TFRecordError(path, offset, "truncated record: the file shrank while it was read", index,
                            truncated=True)
    data = body[:length]
    _check_data(path, offset, data, body[length:], check_crc, index)
    return data


def iter_records(path: "str | os.PathLike[str]", check_crc: bool = True) -> Iterator[Tuple[int, bytes]]:
    """Iterates ``(offset, data)`` over the records of one TFRecord file, in order.

    Args:
      path: the file (uncompressed TFRecord; GZIP/ZLIB files are reported as corrupt).
      check_crc: verify both masked CRC32C checks of every record.

    Yields:
      The byte offset where each record starts and its data.

    Raises:
      TFRecordError: on a truncated or corrupt record (naming the file and the record's offset).
      OSError: if the file cannot be opened.
    """
    file_size = os.path.getsize(path)
    with open(path, "rb") as handle:
        offset, index = 0, 0
        while offset < file_size:
            data = _read_one(handle, path, offset, file_size, check_crc, index)
            yield offset, data
            offset += HEADER_BYTES + len(data) + FOOTER_BYTES
            index += 1


def read_record_at(handle: BinaryIO, path: "str | os.PathLike[str]", offset: int, file_size: int,
                   check_crc: bool = True, index: Optional[int] = None) -> bytes:
    """Reads the record that starts at ``offset`` of an open file (random access by an index).

    Args:
      handle: the file, opened in binary mode.
      path: its name, for errors.
      offset: where the record starts (from :func:`index_records`).
      file_size: the file's size in bytes.
      check_crc: verify both CRCs.
      index: the record's number, for errors.

    Returns:
      The record's data.

    Raises:
      TFRecordError: if the record is truncated or corrupt.
    """
    handle.seek(offset)
    return _read_one(handle, path, offset, file_size, check_crc, index)


def index_records(path: "str | os.PathLike[str]", check_crc: bool = True) -> List[int]:
    """The byte offsets of every record of a file, found by reading the headers only (seeking over data).

    The data CRCs are checked later, when each record is read.

    Raises:
      TFRecordError: if a header is truncated or corrupt, or a length runs past the end of the file.
    """
    file_size = os.path.getsize(path)
    offsets = []
    with open(path, "rb") as handle:
        offset = 0
        while offset < file_size:
            header = handle.read(min(HEADER_BYTES, file_size - offset))
            length = _parse_header(path, offset, header, file_size - offset - HEADER_BYTES, check_crc,
                                   len(offsets))
            offsets.append(offset)
            offset += HEADER_BYTES + length + FOOTER_BYTES
            handle.seek(offset)
    return offsets


def count_records(path: "str | os.PathLike[str]") -> int:
    """The number of records in a file (headers only; see :func:`index_records`)."""
    return len(index_records(path))


def encode_record(data: bytes) -> bytes:
    """One record's bytes: length, masked CRC of the length, data, masked CRC of the data."""
    length = _LENGTH.pack(len(data))
    return length + _CRC.pack(masked_crc32c(length)) + bytes(data) + _CRC.pack(masked_crc32c(data))


class TFRecordWriter:
    """Writes records to a TFRecord file, as ``tf.io.TFRecordWriter`` does (uncompressed).

    The file appears under its name only when :meth:`close` succeeds (written to a temporary file,
    fsync'ed and renamed), so an interrupted conversion never leaves a short shard behind.

    Use as a context manager; an exception inside the ``with`` leaves no file.
    """

    def __init__(self, path: "str | os.PathLike[str]") -> None:
        self.path = os.fspath(path)
        self._context = atomic_open(self.path)
        self._handle = self._context.__enter__()

    def write(self, data: bytes) -> None:
        """Appends one record."""
        if self._handle is None:
            raise ValueError(f"{self.path}: write to a closed TFRecordWriter")
        self._handle.write(encode_record(data))

    def close(self) -> None:
        """Finishes the file (rename into place)."""
        if self._handle is not None:
            self._handle = None
            self._context.__exit__(None, None, None)

    def abort(self, error: BaseException) -> None:
        """Discards the file (nothing appears under its name)."""
        if self._handle is not None:
            self._handle = None
            self._context.__exit__(type(error), error, error.__traceback__)

    def __enter__(self) -> "TFRecordWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is None:
            self.close()
        else:
            self.abort(exc)


def write_records(path: "str | os.PathLike[str]", records: Iterable[bytes]) -> int:
    """Writes ``records`` to a new TFRecord file; returns how many were written."""
    count = 0
    with TFRecordWriter(path) as writer:
        for data in records:
            writer.write(data)
            count += 1
    return count
