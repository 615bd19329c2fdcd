import pytest
from hypothesis import given, strategies as st

from torchslim.io.errors import FileFormatError
from torchslim.io.protowire import (encode_varint, field_bytes, field_fixed32, field_varint, iter_fields,
                                    read_varint, to_int64)


@given(st.integers(0, 2**64 - 1))
def test_varint_round_trip(value):
    data = encode_varint(value)
    assert read_varint(data, 0, len(data)) == (value, len(data))


def test_negative_int_is_ten_byte_twos_complement():
    data = encode_varint(-1)
    assert len(data) == 10
    assert to_int64(read_varint(data, 0, 10)[0]) == -1


@pytest.mark.parametrize("data, max_bytes", [
    (b"\x80" * 10 + b"\x01", 10),          # 11 bytes
    (b"\xff" * 9 + b"\x02", 10),           # overflows 64 bits
    (b"\xff\xff\xff\xff\x1f", 5),          # overflows 32 bits
    (b"\x80\x80", 10),                     # truncated
])
def test_bad_varints_raise(data, max_bytes):
    with pytest.raises(FileFormatError, match="f.index"):
        read_varint(data, 0, len(data), "f.index", max_bytes)


def test_iter_fields_decodes_every_wire_type_and_spans():
    msg = field_varint(1, 300) + field_bytes(2, b"abc") + field_fixed32(6, 0xDEADBEEF) + b"\x39" + bytes(8)
    fields = list(iter_fields(msg, 0, len(msg)))
    assert fields[0] == (1, 0, 300)
    num, wire, (start, end) = fields[1]
    assert (num, wire, msg[start:end]) == (2, 2, b"abc")
    assert fields[2] == (6, 5, 0xDEADBEEF)
    assert fields[3] == (7, 1, 0)


@pytest.mark.parametrize("msg, fault", [
    (b"\x12\x05ab", "runs past the end"),
    (b"\x0b", "unsupported wire type 3"),
    (b"\x00\x01", "field number 0"),
    (b"\x35\x01\x02", "truncated fixed32"),
    (b"\x09\x01", "truncated fixed64"),
])
def test_malformed_messages_raise(msg, fault):
    with pytest.raises(FileFormatError, match=fault):
        list(iter_fields(msg, 0, len(msg), "f.index"))
