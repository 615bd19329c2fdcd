import pytest
from hypothesis import given, settings, strategies as st

from torchslim.checkpoint.errors import CheckpointError
from torchslim.checkpoint.snappy import decompress

from ._builders import snappy_compress


def test_hand_made_stream_with_every_element_kind():
    stream = bytes([13])                      # uncompressed length 13
    stream += bytes([3 << 2]) + b"abcd"       # literal, 4 bytes
    stream += bytes([((4 - 4) << 2) | 1, 4])  # kind 1 copy: len 4, offset 4 -> "abcd"
    stream += bytes([(2 << 2) | 2, 1, 0])     # kind 2 copy: len 3, offset 1 -> "ddd" (overlapping run)
    stream += bytes([(1 << 2) | 3, 2, 0, 0, 0])  # kind 3 copy: len 2, offset 2 -> "dd"
    assert decompress(stream) == b"abcdabcdddddd"


def test_long_literal_with_extra_length_bytes():
    data = bytes(range(256)) * 3
    assert decompress(snappy_compress(data, literal_only=True)) == data


@settings(max_examples=300)
@given(st.binary(max_size=2000), st.booleans())
def test_round_trip_through_test_compressor(data, literal_only):
    data = data + data[: len(data) // 2] + b"z" * (len(data) % 70)   # make matches likely
    assert decompress(snappy_compress(data, literal_only)) == data


@pytest.mark.parametrize("stream, fault", [
    (b"", "truncated Snappy length"),
    (b"\xff\xff\xff\xff\xff\x01", "varint32"),
    (bytes([5, 0]) , "literal runs past"),
    (bytes([4, 1 << 2 | 1, 0]), "bad Snappy copy offset"),
    (bytes([2, 0, ord("a"), (0 << 2) | 1, 0]), "bad Snappy copy offset"),
    (bytes([200, 1, 0]), "claims"),
    (bytes([3, 0, ord("a")]), "decompressed to 1 bytes"),
    (bytes([1, (60 << 2)]), "truncated Snappy literal length"),
])
def test_malformed_streams_raise(stream, fault):
    with pytest.raises(CheckpointError, match=fault):
        decompress(stream, "some.index")


@settings(max_examples=500)
@given(st.binary(max_size=64))
def test_random_bytes_decompress_or_raise_checkpoint_error(data):
    try:
        out = decompress(data, "x")
    except CheckpointError as exc:
        assert "x:" in str(exc)
    else:
        assert len(out) <= 22 * len(data)
