import os

import numpy as np
import pytest
import torch

from torchslim.checkpoint import bundle
from torchslim.checkpoint.bundle import BundleReader, write_bundle
from torchslim.io.crc32c import crc32c, mask
from torchslim.checkpoint.errors import CheckpointError
from torchslim.checkpoint.messages import BundleEntry, encode_entry, encode_header
from torchslim.io.protowire import field_bytes, field_varint
from torchslim.checkpoint.slices import encode_tensor_name_slice
from torchslim.checkpoint.table import build_table

ALL_DTYPES = ["float32", "float64", "int32", "uint8", "int16", "int8", "complex64", "int64", "bool",
              "uint16", "complex128", "float16", "uint32", "uint64"]


def test_string_tensor_layout_matches_the_spec_example():
    dtype, shape, payload, crc = bundle._encode_tensor(np.array([b"ab", b"c"], dtype=object))
    assert (dtype, shape) == (7, (2,))
    assert payload == bytes.fromhex("0201" "03717c67" "616263")
    assert crc == 0x5FD830D5


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_every_fixed_size_dtype_round_trips(tmp_path, dtype):
    rng = np.random.default_rng(0)
    value = (rng.standard_normal((3, 4)) * 50).astype(dtype)
    write_bundle(tmp_path / "m", {"v": value, "scalar": value.reshape(-1)[0], "empty": value[:0]})
    reader = BundleReader(tmp_path / "m")
    out = reader.read_all()
    assert list(out) == ["empty", "scalar", "v"]
    for name, expected in (("v", value), ("scalar", value.reshape(-1)[0]), ("empty", value[:0])):
        assert out[name].dtype == np.dtype(dtype)
        assert out[name].shape == np.shape(expected)
        np.testing.assert_array_equal(out[name], expected)


def test_strings_scalars_and_unicode_names(tmp_path):
    tensors = {"texte/é": np.array(["ab", "", "ünï"], dtype=object), "s": np.array(b"xyz", dtype=object),
               "none": np.array([], dtype=object), "grid": np.array([[b"a", b"bb"], [b"", b"c"]], dtype=object)}
    write_bundle(tmp_path / "m", tensors)
    out = BundleReader(tmp_path / "m").read_all()
    assert out["texte/é"].tolist() == ["ab".encode(), b"", "ünï".encode()]
    assert out["s"].shape == () and out["s"].item() == b"xyz"
    assert out["none"].shape == (0,)
    assert out["grid"].tolist() == [[b"a", b"bb"], [b"", b"c"]]


def test_torch_tensors_including_bfloat16(tmp_path):
    t = torch.randn(5, 3)
    write_bundle(tmp_path / "m", {"f": t, "b": t.to(torch.bfloat16), "step": torch.tensor(7)})
    reader = BundleReader(tmp_path / "m")
    assert reader.infos()["b"].dtype == 14
    out = reader.read_all()
    np.testing.assert_array_equal(out["b"], t.to(torch.bfloat16).float().numpy())
    np.testing.assert_array_equal(out["f"], t.numpy())
    assert out["step"].dtype == np.int64 and out["step"] == 7


def test_writer_rejects_bad_names(tmp_path):
    for name in ("", "\x00slice"):
        with pytest.raises(ValueError, match="name"):
            write_bundle(tmp_path / "m", {name: np.zeros(1)})


def test_bit_flip_in_data_is_caught_by_the_tensor_crc(tmp_path):
    write_bundle(tmp_path / "m", {"a": np.arange(10, dtype=np.float32)})
    data = tmp_path / "m.data-00000-of-00001"
    raw = bytearray(data.read_bytes())
    raw[5] ^= 0x10
    data.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="'a': checksum does not match") as info:
        BundleReader(tmp_path / "m").read("a")
    assert str(data) in str(info.value)
    assert BundleReader(tmp_path / "m", verify_crc=False).read("a")[0] == 0


def test_truncated_and_missing_data_files(tmp_path):
    write_bundle(tmp_path / "m", {"a": np.arange(10, dtype=np.float32)})
    data = tmp_path / "m.data-00000-of-00001"
    data.write_bytes(data.read_bytes()[:20])
    with pytest.raises(CheckpointError, match="run past the end"):
        BundleReader(tmp_path / "m").read("a")
    os.unlink(data)
    with pytest.raises(CheckpointError, match="cannot open data file"):
        BundleReader(tmp_path / "m").read_all()


def test_missing_index_and_unknown_name(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read index file"):
        BundleReader(tmp_path / "nothing")
    write_bundle(tmp_path / "m", {"a": np.zeros(1)})
    with pytest.raises(KeyError, match="'b' not found"):
        BundleReader(tmp_path / "m").read("b")


def _write_index(prefix, header, entries):
    with open(str(prefix) + ".index", "wb") as handle:
        handle.write(build_table([(b"", header)] + sorted(entries)))


def _entry(dtype, shape, data, offset=0, shard=0):
    return encode_entry(BundleEntry(dtype, shape, shard, offset, len(data), mask(crc32c(data))))


@pytest.mark.parametrize("header, fault", [
    (field_varint(1, 1) + field_bytes(3, field_varint(2, 2)), "min_consumer|needs bundle version 2"),
    (field_varint(1, 1) + field_bytes(3, field_varint(3, 1)), "needs bundle version"),
    (field_varint(1, 1) + field_varint(2, 1), "big-endian"),
    (field_varint(1, 0), "bad number of shards 0"),
])
def test_header_checks(tmp_path, header, fault):
    _write_index(tmp_path / "m", header, [])
    with pytest.raises(CheckpointError, match=fault):
        BundleReader(tmp_path / "m")


def test_missing_header_entry(tmp_path):
    with open(tmp_path / "m.index", "wb") as handle:
        handle.write(build_table([(b"a", _entry(1, (), b"\0\0\0\0"))]))
    with pytest.raises(CheckpointError, match="missing bundle header"):
        BundleReader(tmp_path / "m")


def test_sharded_bundle(tmp_path):
    a, b = np.arange(4, dtype="<f4").tobytes(), np.arange(3, dtype="<i8").tobytes()
    (tmp_path / "m.data-00000-of-00002").write_bytes(b"pad" + a)
    (tmp_path / "m.data-00001-of-00002").write_bytes(b)
    _write_index(tmp_path / "m", encode_header(2), [(b"a", _entry(1, (2, 2), a, offset=3)),
                                                    (b"b", _entry(9, (3,), b, shard=1))])
    out = BundleReader(tmp_path / "m").read_all()
    np.testing.assert_array_equal(out["a"], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(out["b"], [0, 1, 2])


def test_size_must_match_shape(tmp_path):
    a = np.arange(4, dtype="<f4").tobytes()
    (tmp_path / "m.data-00000-of-00001").write_bytes(a)
    _write_index(tmp_path / "m", encode_header(1), [(b"a", _entry(1, (5,), a))])
    with pytest.raises(CheckpointError, match="invalid size 16"):
        BundleReader(tmp_path / "m").read("a")


def test_slice_key_matches_the_spec_example():
    key = encode_tensor_name_slice("big/part", [(66667, 66667), (0, 3)])
    assert key == bytes.fromhex("00") + b"big/part" + bytes.fromhex("0001" "0102" "e1046b" "e1046b" "80" "83")
    assert encode_tensor_name_slice("x", [(0, None)])[-2:] == b"\x80\x7f"


def test_partitioned_tensor_is_assembled_and_its_slices_hidden(tmp_path):
    full = np.arange(24, dtype="<f4").reshape(6, 4)
    top, bottom = full[:2].tobytes(), full[2:].tobytes()
    (tmp_path / "m.data-00000-of-00001").write_bytes(top + bottom)
    ext_top, ext_bottom = [(0, 2), (0, None)], [(2, 4), (0, None)]
    whole = encode_entry(BundleEntry(1, (6, 4), slices=[ext_top, ext_bottom]))
    _write_index(tmp_path / "m", encode_header(1), [
        (b"w", whole),
        (encode_tensor_name_slice("w", ext_top), _entry(1, (2, 4), top)),
        (encode_tensor_name_slice("w", ext_bottom), _entry(1, (4, 4), bottom, offset=len(top)))])
    reader = BundleReader(tmp_path / "m")
    assert list(reader.infos()) == ["w"]
    np.testing.assert_array_equal(reader.read("w"), full)


def test_partitioned_tensor_with_a_missing_slice(tmp_path):
    (tmp_path / "m.data-00000-of-00001").write_bytes(b"")
    whole = encode_entry(BundleEntry(1, (6, 4), slices=[[(0, 2), (0, None)]]))
    _write_index(tmp_path / "m", encode_header(1), [(b"w", whole)])
    with pytest.raises(CheckpointError, match="missing or bad slice"):
        BundleReader(tmp_path / "m").read("w")
