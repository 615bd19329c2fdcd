"""TFRecord framing: TF's own bytes re-encoded exactly, offsets, atomic writing, every fault named."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from torchslim.io.crc32c import masked_crc32c
from torchslim.io.tfrecord import (TFRecordError, TFRecordWriter, count_records, encode_record, index_records,
                                   iter_records, write_records)

TF_FILE = (Path(__file__).resolve().parents[1] / "fixtures" / "data" / "tf_written" / "flowers"
           / "flowers_train_00000-of-00002.tfrecord")


def test_records_of_a_tf_written_file_re_encode_to_its_bytes():
    records = list(iter_records(TF_FILE))
    assert len(records) == 3
    assert b"".join(encode_record(data) for _, data in records) == TF_FILE.read_bytes()
    assert [offset for offset, _ in records] == index_records(TF_FILE)
    assert count_records(TF_FILE) == 3


def test_frame_layout_by_hand():
    frame = encode_record(b"abc")
    assert frame[:8] == struct.pack("<Q", 3)
    assert frame[8:12] == struct.pack("<I", masked_crc32c(struct.pack("<Q", 3)))
    assert frame[12:15] == b"abc"
    assert frame[15:] == struct.pack("<I", masked_crc32c(b"abc"))


def test_write_then_read(tmp_path):
    path = tmp_path / "x.tfrecord"
    assert write_records(path, [b"", b"one", b"two" * 100]) == 3
    assert [data for _, data in iter_records(path)] == [b"", b"one", b"two" * 100]
    assert index_records(path) == [0, 16, 35]


def test_writer_leaves_no_file_when_the_body_raises(tmp_path):
    path = tmp_path / "x.tfrecord"
    with pytest.raises(RuntimeError):
        with TFRecordWriter(path) as writer:
            writer.write(b"data")
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def _corrupt(tmp_path, position: int) -> Path:
    data = bytearray(encode_record(b"first") + encode_record(b"second"))
    data[position] ^= 0x01
    path = tmp_path / "bad.tfrecord"
    path.write_bytes(bytes(data))
    return path


def test_length_crc_mismatch_names_file_and_offset(tmp_path):
    path = _corrupt(tmp_path, 21 + 9)              # the second record's length CRC
    with pytest.raises(TFRecordError, match=rf"{path}: record 1 at byte offset 21: .*length's CRC32C") as info:
        list(iter_records(path))
    assert info.value.offset == 21 and info.value.index == 1 and info.value.path == str(path)


def test_data_crc_mismatch(tmp_path):
    path = _corrupt(tmp_path, 13)                  # a data byte of the first record
    with pytest.raises(TFRecordError, match=r"record 0 at byte offset 0: corrupted record: the data's CRC32C"):
        list(iter_records(path))
    assert [data for _, data in iter_records(path, check_crc=False)][1] == b"second"


@pytest.mark.parametrize("cut, message", [(5, "truncated record header"), (15, "truncated record: length 6")])
def test_truncation(tmp_path, cut, message):
    path = tmp_path / "cut.tfrecord"
    path.write_bytes((encode_record(b"first") + encode_record(b"second"))[:21 + cut])
    with pytest.raises(TFRecordError, match=rf"record 1 at byte offset 21: {message}"):
        list(iter_records(path))
