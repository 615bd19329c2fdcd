import pytest

from torchslim.io.protowire import field_bytes, field_varint

from torchslim.checkpoint.errors import CheckpointError
from torchslim.checkpoint.messages import (BundleEntry, decode_entry, decode_header, decode_shape,
                                           decode_slice, encode_entry, encode_header, encode_shape,
                                           encode_slice)


def test_header_bytes_are_tensorflows():
    assert encode_header(1) == bytes.fromhex("08011a020801")
    header = decode_header(encode_header(3), 0, 6)
    assert (header.num_shards, header.version.producer, header.endianness) == (3, 1, 0)


def test_global_step_entry_bytes_from_the_spec():
    entry = BundleEntry(dtype=9, shape=(), offset=94, size=8, crc32c=0x01020304)
    assert encode_entry(entry) == bytes.fromhex("0809120020 5e2808 3504030201".replace(" ", ""))
    assert decode_entry(encode_entry(entry), 0, 13) == entry


def test_entry_round_trip_with_slices_and_empty_dims():
    entry = BundleEntry(dtype=1, shape=(0, 3, 5), shard_id=2, offset=7, size=0, crc32c=5,
                        slices=[[(0, None), (1, 2), (3, 2)]])
    data = encode_entry(entry)
    assert decode_entry(data, 0, len(data)) == entry


def test_shape_and_slice_round_trip():
    assert decode_shape(encode_shape((7, 0, 3)), 0, len(encode_shape((7, 0, 3)))) == (7, 0, 3)
    body = encode_slice([(0, None), (4, 3)])
    assert decode_slice(body, 0, len(body)) == [(0, None), (4, 3)]


def test_unknown_fields_are_skipped_and_fields_may_come_in_any_order():
    data = bytes.fromhex("2805") + bytes.fromhex("ba0603616263") + bytes.fromhex("0801") + bytes.fromhex("1200")
    entry = decode_entry(data, 0, len(data))
    assert (entry.dtype, entry.size, entry.shape) == (1, 5, ())


@pytest.mark.parametrize("data, fault", [
    (bytes.fromhex("120412020801") [:-2] + bytes.fromhex("0801"), None),
    (bytes.fromhex("1204120208") , "truncated varint|runs past"),
    (bytes.fromhex("0a0101"), "wire type 2, expected 0"),
    (field_bytes(2, field_bytes(2, field_varint(1, -1))), "not fully defined"),
    (bytes.fromhex("12021801"), "unknown rank"),
    (bytes.fromhex("20ffffffffffffffffff01"), "negative"),
])
def test_malformed_entries_raise(data, fault):
    if fault is None:
        decode_entry(data, 0, len(data))
        return
    with pytest.raises(CheckpointError, match=fault):
        decode_entry(data, 0, len(data), "m.index")


def test_rank_is_bounded():
    body = encode_shape((1,) * 255)
    with pytest.raises(CheckpointError, match="rank above"):
        decode_shape(body, 0, len(body))
