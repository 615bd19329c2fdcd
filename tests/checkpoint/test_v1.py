import numpy as np
import pytest

from torchslim.checkpoint.errors import CheckpointError
from torchslim.io.protowire import encode_varint, field_bytes, field_varint
from torchslim.checkpoint.table import build_table
from torchslim.checkpoint.v1 import V1Reader, decode_packed_varints

from ._builders import build_v1


def _write(tmp_path, data, name="model.ckpt"):
    path = tmp_path / name
    path.write_bytes(data)
    return [str(path)]


def test_every_dtype_through_typed_value_fields(tmp_path):
    rng = np.random.default_rng(1)
    tensors = {
        "f": rng.standard_normal((2, 3)).astype("f4"), "d": rng.standard_normal(4),
        "i": np.array([-5, 0, 2**31 - 1], "i4"), "u8": np.array([0, 255], "u1"), "i8": np.array([-128, 7], "i1"),
        "i16": np.array([-300, 300], "i2"), "big": np.array([-(2**63), 2**63 - 1, 0], "i8"),
        "flag": np.array([True, False, True]), "h": np.array([1.5, -2.0], "f2"),
        "c": np.array([1 + 2j, -3j], "c8"), "cc": np.array([1 - 1j], "c16"),
        "step": np.array(42, "i8"), "names": np.array([b"a", b"bc"], dtype=object),
    }
    reader = V1Reader(_write(tmp_path, build_v1(tensors)))
    assert sorted(reader.infos()) == sorted(tensors)
    for name, expected in tensors.items():
        got = reader.read(name)
        assert got.shape == expected.shape, name
        if expected.dtype != object:
            assert got.dtype == expected.dtype, name
        np.testing.assert_array_equal(got, expected)


def test_partitioned_tensor_is_assembled(tmp_path):
    full = np.arange(30, dtype="f4").reshape(5, 6)
    slices = {"w": [[(0, 2), (0, None)], [(2, 3), (0, 4)], [(2, 3), (4, 2)]]}
    reader = V1Reader(_write(tmp_path, build_v1({"w": full}, slices)))
    np.testing.assert_array_equal(reader.read("w"), full)


def test_incomplete_slices_are_an_error(tmp_path):
    full = np.arange(30, dtype="f4").reshape(5, 6)
    reader = V1Reader(_write(tmp_path, build_v1({"w": full}, {"w": [[(0, 2), (0, None)]]})))
    with pytest.raises(CheckpointError, match="cover 12 of 30"):
        reader.read("w")


def test_value_count_must_match_the_slice(tmp_path):
    meta = field_bytes(1, field_bytes(1, b"w") + field_bytes(2, field_bytes(2, field_varint(1, 3)))
                       + field_varint(3, 1))
    saved = field_bytes(1, b"w") + field_bytes(2, field_bytes(1, b"")) + field_bytes(3, field_bytes(5, bytes(8)))
    data = build_table([(b"", field_bytes(1, meta)), (b"\x00w", field_bytes(2, saved))])
    with pytest.raises(CheckpointError, match="holds 2 values, expected 3") as info:
        V1Reader(_write(tmp_path, data)).read("w")
    assert "model.ckpt" in str(info.value)


def test_not_a_v1_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="no metadata entry"):
        V1Reader(_write(tmp_path, build_table([(b"a", b"")])))
    with pytest.raises(CheckpointError, match="unknown tensor"):
        V1Reader(_write(tmp_path, build_table([(b"", field_bytes(1, b"")), (b"x", field_bytes(2, b""))])))


def test_future_version_is_refused(tmp_path):
    meta = field_bytes(2, field_varint(1, 1) + field_varint(2, 2))
    with pytest.raises(CheckpointError, match="needs V1 version 2"):
        V1Reader(_write(tmp_path, build_table([(b"", field_bytes(1, meta))])))


def test_packed_varints_vectorized():
    values = [0, 1, 127, 128, 300, 2**32, 2**64 - 1]
    chunk = b"".join(encode_varint(v) for v in values)
    assert decode_packed_varints(chunk).tolist() == values
    with pytest.raises(CheckpointError, match="truncated"):
        decode_packed_varints(chunk[:-1])
    with pytest.raises(CheckpointError, match="malformed"):
        decode_packed_varints(b"\x80" * 10 + b"\x01")
    with pytest.raises(CheckpointError, match="malformed"):
        decode_packed_varints(b"\xff" * 9 + b"\x02")
