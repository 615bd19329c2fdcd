"""Property-based robustness of the TFRecord data readers: mutated, truncated, bit-flipped files.

Every mutated file read through a data set reader (framing, both CRCs, the Example, the features
and the image) either reads -- raw mutations: to exactly the original records, since the CRCs guard
the data -- or raises :class:`TFRecordError` naming the file and the byte offset of the record at
fault. No other exception, no hang (an alarm fails the read after 10 s), and no read request larger
than the file (every ``read(n)`` the readers make is checked against the file's size).

About 10,700 files in all, made from the first two records of three TF-written files (flowers'
JPEGs, MNIST's raw bytes, ImageNet's boxes; TF's bytes unchanged): every truncation (~4,700),
3,000 raw mutations (bit flips, byte overwrites, insertions, deletions, truncations) and 3,000
payload mutations that re-frame the mutated Example with valid CRCs, so the fuzz reaches the
protobuf and image decoders.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from fuzz_scratch import scratch_folder
from time_limits import time_limit

import torchslim.datasets.reader as reader_module
import torchslim.io.tfrecord as tfrecord_module
from torchslim.io.crc32c import masked_crc32c
from torchslim.datasets import flowers, imagenet, mnist
from torchslim.datasets.example import bytes_feature, decode_example, encode_example
from torchslim.datasets.reader import RecordDataset
from torchslim.io.tfrecord import TFRecordError, encode_record, iter_records

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "tf_written"
BASES = {
    "flowers": (DATA / "flowers" / "flowers_train_00000-of-00002.tfrecord", flowers.decoder),
    "mnist": (DATA / "mnist" / "mnist_test.tfrecord", mnist.decoder),
    "imagenet": (DATA / "imagenet" / "validation-00000-of-00001", imagenet.decoder),
}


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """Where mutated files go: memory-backed /dev/shm where there is one (thousands of writes)."""
    yield from scratch_folder(tmp_path_factory, "torchslim_data_fuzz_")


def put(path: Path, data: bytes) -> None:
    """Writes a fresh file (rewriting one in place makes ext4 flush it on close: ~5 ms each)."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)


class _GuardedFile:
    """A binary file whose reads may not ask for more than the file holds."""

    def __init__(self, path, mode: str = "r") -> None:
        self._handle = open(path, mode)
        self._size = os.path.getsize(path)

    def read(self, size: int = -1):
        assert size <= self._size, f"read({size}) requested from a {self._size}-byte file"
        return self._handle.read(size)

    def __getattr__(self, name):
        return getattr(self._handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()


@pytest.fixture(autouse=True)
def guarded_reads(monkeypatch):
    monkeypatch.setattr(tfrecord_module, "open", _GuardedFile, raising=False)
    monkeypatch.setattr(reader_module, "open", _GuardedFile, raising=False)


def read_all(path: Path, decoder):
    with time_limit(10):
        records = RecordDataset([str(path)], decoder)
        return [records[i] for i in range(len(records))]


def first_records(path: Path, count: int = 2) -> bytes:
    """The bytes of the first ``count`` records of a file, as they are on disk."""
    ends = [offset + 16 + len(data) for offset, data in iter_records(path)]
    return path.read_bytes()[:ends[count - 1]]


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    out = {}
    for name, (path, decoder) in BASES.items():
        base = tmp_path_factory.mktemp("bases") / path.name
        base.write_bytes(first_records(path))
        out[name] = (base.read_bytes(), read_all(base, decoder()), base)
    return out


def check(path: Path, decoder, expected=None) -> None:
    """Reads ``path``: the expected records (a prefix of them after truncation), or one named error."""
    try:
        records = read_all(path, decoder)
    except TFRecordError as error:
        assert str(path) in str(error), error
        assert error.offset is not None and 0 <= error.offset <= path.stat().st_size, error
        assert f"byte offset {error.offset}" in str(error), error
        return
    if expected is None:
        for record in records:
            assert isinstance(record["image"], np.ndarray) and record["image"].ndim == 3
        return
    assert len(records) <= len(expected)
    for got, want in zip(records, expected):
        assert got.keys() == want.keys()
        for key in got:
            np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(want[key]))


@pytest.mark.parametrize("name", sorted(BASES))
def test_every_truncation(name, originals, scratch):
    data, records, _ = originals[name]
    decoder = BASES[name][1]()
    path = scratch / f"truncated_{name}.tfrecord"
    for length in range(len(data)):
        put(path, data[:length])
        check(path, decoder, records)


def _mutate(data: bytes, kind: str, position: int, value: int) -> bytes:
    out = bytearray(data)
    position %= max(len(out), 1)
    if not out and kind in ("flip", "set"):
        return data
    if kind == "flip":
        out[position] ^= 1 << (value % 8)
    elif kind == "set":
        out[position] = value
    elif kind == "insert":
        out[position:position] = bytes([value]) * (value % 7 + 1)
    elif kind == "delete":
        del out[position:position + value % 16 + 1]
    else:
        del out[position:]
    return bytes(out)


KINDS = ("flip", "set", "insert", "delete", "truncate")


def decode_mutations(blob: bytes) -> list:
    """Mutations from bytes, 4 per mutation: kind, 16-bit position, value (one byte string per example
    costs Hypothesis a few choices instead of dozens)."""
    return [(KINDS[blob[i] % len(KINDS)], int.from_bytes(blob[i + 1:i + 3], "little"), blob[i + 3])
            for i in range(0, len(blob) - 3, 4)]


MUTATIONS = st.binary(min_size=4, max_size=16).map(decode_mutations)


@fuzz(3000)
@given(name=st.sampled_from(sorted(BASES)), mutations=MUTATIONS)
def test_raw_mutations(name, mutations, originals, scratch):
    data, records, _ = originals[name]
    for mutation in mutations:
        data = _mutate(data, *mutation)
    path = scratch / f"raw_{name}.tfrecord"
    put(path, data)
    check(path, BASES[name][1](), records)


@fuzz(3000)
@given(name=st.sampled_from(sorted(BASES)), record=st.integers(0, 1), mutations=MUTATIONS)
def test_reframed_payload_mutations(name, record, mutations, originals, scratch):
    """Mutate one record's Example, then frame it with valid CRCs: the decoders see the damage."""
    payloads = [payload for _, payload in iter_records(originals[name][2])]
    record %= len(payloads)
    for mutation in mutations:
        payloads[record] = _mutate(payloads[record], *mutation)
    path = scratch / f"reframed_{name}.tfrecord"
    put(path, b"".join(encode_record(p) for p in payloads))
    check(path, BASES[name][1]())


def test_corrupt_image_in_a_valid_record_names_file_and_record(tmp_path):
    """A record whose CRCs are right but whose JPEG is cut short: the error names the file and the record."""
    payloads = [payload for _, payload in iter_records(BASES["flowers"][0])]
    features = decode_example(payloads[1])
    jpeg = features["image/encoded"].values[0]
    features["image/encoded"] = bytes_feature(jpeg[:len(jpeg) // 2])    # a JPEG cut short, in a valid Example
    broken = encode_example(features)
    path = tmp_path / "corrupt_image.tfrecord"
    path.write_bytes(b"".join(encode_record(p) for p in [payloads[0], broken, payloads[2]]))
    offset = len(encode_record(payloads[0]))
    records = RecordDataset([str(path)], flowers.decoder())
    assert records[0]["image"].shape == (17, 22, 3)
    with pytest.raises(TFRecordError, match=rf"{path}: record 1 at byte offset {offset}: cannot decode the image"):
        records[1]


def test_huge_length_field_is_truncation_not_allocation(tmp_path):
    path = tmp_path / "huge.tfrecord"
    length = struct.pack("<Q", 1 << 62)
    path.write_bytes(length + struct.pack("<I", masked_crc32c(length)) + b"x" * 16)
    with pytest.raises(TFRecordError, match="record 0 at byte offset 0: truncated record: length 4611686018427387904"):
        list(iter_records(path))
