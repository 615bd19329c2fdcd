"""TensorFlow V2 checkpoints ("tensor bundles"): ``<prefix>.index`` + ``<prefix>.data-SSSSS-of-NNNNN``.

The reader checks every block and tensor CRC and bounds every size and offset
by the actual file sizes before allocating. The writer's output is
byte-identical to TensorFlow's for the same tensors.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import dtypes
from torchslim.io.atomic import StagedFiles
from torchslim.io.crc32c import crc32c, mask, unmask
from torchslim.io.protowire import encode_varint, read_varint

from .errors import CheckpointError, checkpoint_errors
from .messages import BundleEntry, decode_entry, decode_header, encode_entry, encode_header
from .slices import encode_tensor_name_slice, numel, slice_bounds
from .table import build_table, read_table

#: The bundle format version this code reads and writes (``kTensorBundleVersion``).
BUNDLE_VERSION = 1
_MAX_SHARDS = 99999


def index_filename(prefix: str) -> str:
    """``<prefix>.index``."""
    return prefix + ".index"


def data_filename(prefix: str, shard: int, num_shards: int) -> str:
    """``<prefix>.data-%05d-of-%05d``."""
    return f"{prefix}.data-{shard:05d}-of-{num_shards:05d}"


@dataclass(frozen=True)
class TensorInfo:
    """Name, TF dtype enum and shape of a stored tensor."""

    name: str
    dtype: int
    shape: tuple


# ----------------------------------------------------------------------------- reading

class BundleReader:
    """Reads a V2 checkpoint.

    Args:
        prefix: the checkpoint prefix (``<prefix>.index`` must exist).
        verify_crc: check each tensor's CRC-32C (block CRCs are always checked).

    Raises:
        CheckpointError: if the index is missing, corrupt or of an unsupported version.
    """

    def __init__(self, prefix: "str | os.PathLike[str]", verify_crc: bool = True) -> None:
        self.prefix = os.fspath(prefix)
        self.index_path = index_filename(self.prefix)
        self.verify_crc = verify_crc
        try:
            with open(self.index_path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CheckpointError(self.index_path, f"cannot read index file: {exc.strerror or exc}") from None
        entries = read_table(data, self.index_path)
        if not entries or entries[0][0] != b"":
            raise CheckpointError(self.index_path, "missing bundle header (no entry with the empty key)")
        self.num_shards = self._check_header(entries[0][1])
        self._entries: dict[bytes, BundleEntry] = {}
        for key, value in entries[1:]:
            self._entries[key] = decode_entry(value, 0, len(value), self.index_path)
        self._infos = {}
        for key, entry in self._entries.items():
            if key[:1] == b"\x00":
                continue                                   # slice of a partitioned tensor: hidden
            try:
                name = key.decode("utf-8")
            except UnicodeDecodeError:
                raise CheckpointError(self.index_path, f"tensor name {key[:64]!r} is not UTF-8") from None
            self._infos[name] = TensorInfo(name, entry.dtype, entry.shape)
        self._sizes: dict[int, int] = {}

    def _check_header(self, value) -> int:
        header = decode_header(value, 0, len(value), self.index_path)
        version = header.version
        if version.min_consumer > BUNDLE_VERSION or BUNDLE_VERSION in version.bad_consumers:
            raise CheckpointError(self.index_path, f"checkpoint needs bundle version {version.min_consumer}; "
                                  f"this reader supports version {BUNDLE_VERSION}")
        if header.endianness != 0:
            raise CheckpointError(self.index_path, "big-endian checkpoints are not supported")
        if not 1 <= header.num_shards <= _MAX_SHARDS:
            raise CheckpointError(self.index_path, f"bad number of shards {header.num_shards}")
        return header.num_shards

    def infos(self) -> dict[str, TensorInfo]:
        """Every visible tensor (slices of partitioned tensors hidden), in key order."""
        return dict(self._infos)

    def read(self, name: str) -> np.ndarray:
        """Read one tensor by name.

        Raises:
            KeyError: if there is no such tensor.
            CheckpointError: on a bad entry, a short data file or a CRC mismatch.
        """
        entry = self._entries.get(name.encode("utf-8")) if name else None
        if entry is None:
            raise KeyError(f"tensor {name!r} not found in checkpoint {self.prefix}")
        with _ShardFiles(self) as files:
            return self._read_entry(name, entry, files)

    def read_all(self) -> dict[str, np.ndarray]:
        """Read every visible tensor, in name order, with data files read sequentially."""
        names = sorted(self._infos)
        order = sorted(names, key=lambda n: (self._entries[n.encode("utf-8")].shard_id,
                                             self._entries[n.encode("utf-8")].offset))
        out = {}
        with _ShardFiles(self) as files:
            for name in order:
                out[name] = self._read_entry(name, self._entries[name.encode("utf-8")], files)
        return {name: out[name] for name in names}

    # --- internals

    def _read_entry(self, name: str, entry: BundleEntry, files: "_ShardFiles") -> np.ndarray:
        if not dtypes.is_supported(entry.dtype):
            raise CheckpointError(self.index_path, f"tensor {name!r}: unsupported dtype "
                                  f"{dtypes.dtype_name(entry.dtype)}")
        if entry.slices:
            return self._read_partitioned(name, entry, files)
        raw, path = self._read_bytes(name, entry, files)
        if entry.dtype == dtypes.DT_STRING:
            return _decode_strings(raw, entry, name, path, self.verify_crc)
        self._check_crc(raw, entry, name, path)
        array = raw.view(dtypes.storage_dtype(entry.dtype)).reshape(entry.shape)
        return _to_native(array, entry.dtype)

    def _read_bytes(self, name: str, entry: BundleEntry, files: "_ShardFiles") -> tuple[np.ndarray, str]:
        if entry.shard_id >= self.num_shards:
            raise CheckpointError(self.index_path, f"tensor {name!r}: shard {entry.shard_id} "
                                  f"of {self.num_shards}")
        path = data_filename(self.prefix, entry.shard_id, self.num_shards)
        handle, file_size = files.get(entry.shard_id, path)
        if entry.offset > file_size or entry.size > file_size - entry.offset:
            raise CheckpointError(path, f"tensor {name!r}: bytes [{entry.offset}, {entry.offset + entry.size}) "
                                  f"run past the end of the file ({file_size} bytes; truncated?)")
        storage = dtypes.storage_dtype(entry.dtype)
        if storage is not None and numel(entry.shape) * storage.itemsize != entry.size:
            raise CheckpointError(self.index_path, f"tensor {name!r}: invalid size {entry.size} for "
                                  f"{dtypes.dtype_name(entry.dtype)} {list(entry.shape)}")
        raw = np.empty(entry.size, np.uint8)
        handle.seek(entry.offset)
        if handle.readinto(memoryview(raw)) != entry.size:
            raise CheckpointError(path, f"tensor {name!r}: data file is truncated")
        return raw, path

    def _check_crc(self, raw: np.ndarray, entry: BundleEntry, name: str, path: str) -> None:
        if self.verify_crc and crc32c(raw) != unmask(entry.crc32c):
            raise CheckpointError(path, f"tensor {name!r}: checksum does not match (data is corrupt)")

    def _read_partitioned(self, name: str, entry: BundleEntry, files: "_ShardFiles") -> np.ndarray:
        storage = dtypes.storage_dtype(entry.dtype)
        if storage is None:
            raise CheckpointError(self.index_path, f"tensor {name!r}: partitioned string tensors are not supported")
        parts, covered = [], 0
        for extents in entry.slices:
            index, sub_shape = slice_bounds(extents, entry.shape, self.index_path, name)
            part = self._entries.get(encode_tensor_name_slice(name, extents))
            if part is None or part.slices or part.dtype != entry.dtype or part.shape != sub_shape:
                raise CheckpointError(self.index_path, f"tensor {name!r}: missing or bad slice entry {extents}")
            raw, path = self._read_bytes(name, part, files)
            self._check_crc(raw, part, name, path)
            parts.append((index, raw.view(storage).reshape(sub_shape)))
            covered += numel(sub_shape)
        if covered != numel(entry.shape):
            raise CheckpointError(self.index_path, f"tensor {name!r}: slices cover {covered} of "
                                  f"{numel(entry.shape)} elements")
        full = np.empty(entry.shape, storage)
        for index, part in parts:
            full[index] = part
        return _to_native(full, entry.dtype)


class _ShardFiles:
    """Opens each data shard once per read and caches its size."""

    def __init__(self, reader: BundleReader) -> None:
        self.reader = reader
        self.handles: dict[int, tuple] = {}

    def __enter__(self) -> "_ShardFiles":
        return self

    def __exit__(self, *exc) -> None:
        for handle, _ in self.handles.values():
            handle.close()

    def get(self, shard: int, path: str):
        if shard not in self.handles:
            try:
                handle = open(path, "rb")
            except OSError as exc:
                raise CheckpointError(path, f"cannot open data file: {exc.strerror or exc}") from None
            self.handles[shard] = (handle, os.fstat(handle.fileno()).st_size)
        return self.handles[shard]


def _to_native(array: np.ndarray, dtype: int) -> np.ndarray:
    if dtype == dtypes.DT_BFLOAT16:
        return dtypes.bfloat16_to_float32(array)
    native = array.dtype.newbyteorder("=")
    return array if array.dtype == native or array.dtype.byteorder == "|" else array.astype(native)


@checkpoint_errors
def _decode_strings(raw: np.ndarray, entry: BundleEntry, name: str, path: str, verify: bool) -> np.ndarray:
    count = numel(entry.shape)
    buf = raw.tobytes()
    out = np.empty(count, dtype=object)
    if not buf:
        if count:
            raise CheckpointError(path, f"tensor {name!r}: empty data for {count} strings")
        return out.reshape(entry.shape)
    if count > len(buf):
        raise CheckpointError(path, f"tensor {name!r}: {count} strings cannot fit in {len(buf)} bytes")
    lengths, pos = [], 0
    for _ in range(count):
        length, pos = read_varint(buf, pos, len(buf), path)
        lengths.append(length)
    if pos + 4 > len(buf) or sum(lengths) > len(buf) - pos - 4:
        raise CheckpointError(path, f"tensor {name!r}: string data is truncated")
    fixed = b"".join(n.to_bytes(4 if n <= 0xFFFFFFFF else 8, "little") for n in lengths)
    stored = buf[pos:pos + 4]
    if verify and unmask(int.from_bytes(stored, "little")) != crc32c(fixed):
        raise CheckpointError(path, f"tensor {name!r}: string length checksum does not match")
    pos += 4
    body_start = pos
    for i, length in enumerate(lengths):
        out[i] = buf[pos:pos + length]
        pos += length
    if verify:
        crc = crc32c(buf[body_start:pos], crc32c(stored, crc32c(fixed)))
        if crc != unmask(entry.crc32c):
            raise CheckpointError(path, f"tensor {name!r}: checksum does not match (data is corrupt)")
    return out.reshape(entry.shape)


# ----------------------------------------------------------------------------- writing

def _encode_tensor(value) -> tuple[int, tuple, object, int]:
    """``(tf_dtype, shape, payload, masked_crc)`` for one tensor; payload is bytes-like."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        torch = None
    if torch is not None and isinstance(value, torch.Tensor):
        value = value.detach().cpu()
        if value.dtype == torch.bfloat16:
            bits = value.contiguous().view(torch.int16).numpy().view("<u2")
            flat = bits.reshape(-1)
            return dtypes.DT_BFLOAT16, bits.shape, flat, mask(crc32c(flat.view(np.uint8)))
        value = value.numpy()
    array = np.asarray(value)
    shape = tuple(int(d) for d in array.shape)
    dtype = dtypes.from_numpy(array.dtype)
    if dtype == dtypes.DT_STRING:
        payload, crc = _encode_strings(array)
        return dtype, shape, payload, crc
    flat = np.ascontiguousarray(array.astype(dtypes.storage_dtype(dtype), copy=False)).reshape(-1)
    return dtype, shape, flat, mask(crc32c(flat.view(np.uint8)))


def _encode_strings(array: np.ndarray) -> tuple[bytes, int]:
    """TF's string tensor layout (varint lengths, masked length CRC, bytes) and its masked CRC."""
    items = [x.encode("utf-8") if isinstance(x, str) else bytes(x) for x in array.reshape(-1).tolist()]
    lengths = [len(x) for x in items]
    fixed = b"".join(n.to_bytes(4 if n <= 0xFFFFFFFF else 8, "little") for n in lengths)
    length_crc = mask(crc32c(fixed)).to_bytes(4, "little")
    body = b"".join(items)
    crc = crc32c(body, crc32c(length_crc, crc32c(fixed)))
    return b"".join(encode_varint(n) for n in lengths) + length_crc + body, mask(crc)


def write_bundle(prefix: "str | os.PathLike[str]", tensors: Mapping[str, object]) -> None:
    """Write a V2 checkpoint TensorFlow reads, byte-identical to TF's for the same tensors.

    Both files are first written under temporary names (fsync'ed), then renamed into
    place: the data file, then the index, which is the commit point. An existing index
    at ``prefix`` is deleted before the renames, so a crash while replacing a checkpoint
    leaves either the old checkpoint, no checkpoint, or the new one -- never an index
    with someone else's data. Tensors are laid out in name order, as TF1's Saver does.

    Args:
        prefix: checkpoint prefix; writes ``<prefix>.index`` and ``<prefix>.data-00000-of-00001``.
        tensors: TF name -> numpy array, torch tensor, Python scalar, or an array of str/bytes.

    Raises:
        ValueError: for an empty or reserved name, or a dtype TF cannot store.
    """
    prefix = os.fspath(prefix)
    keyed = sorted(((_check_name(name), name) for name in tensors), key=lambda kn: kn[0])
    entries = []
    with StagedFiles() as staged:
        with staged.open(data_filename(prefix, 0, 1)) as handle:
            offset = 0
            for key, name in keyed:
                dtype, shape, payload, crc = _encode_tensor(tensors[name])
                size = len(payload) if isinstance(payload, bytes) else payload.nbytes
                handle.write(payload if isinstance(payload, bytes) else payload.view(np.uint8))
                entries.append((key, encode_entry(BundleEntry(dtype, shape, 0, offset, size, crc))))
                offset += size
        staged.write_bytes(index_filename(prefix), build_table([(b"", encode_header(1))] + entries))
        staged.commit(remove_first=(index_filename(prefix),))


def _check_name(name: str) -> bytes:
    if not isinstance(name, str) or not name:
        raise ValueError(f"tensor names must be non-empty strings, got {name!r}")
    key = name.encode("utf-8")
    if key[:1] == b"\x00":
        raise ValueError(f"tensor name {name!r} may not start with NUL (reserved for slices)")
    return key
