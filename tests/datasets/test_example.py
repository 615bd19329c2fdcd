"""tf.train.Example decoding and encoding: TF's bytes, protobuf's rules, hand-built messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from torchslim.io.protowire import encode_varint, field_bytes, field_fixed32, field_varint
from torchslim.datasets.example import (BYTES, FLOAT, INT64, ExampleError, Feature, bytes_feature, decode_example,
                                        encode_example, float_feature, int64_feature)
from torchslim.io.tfrecord import iter_records

IMAGENET = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "tf_written" / "imagenet" / "validation-00000-of-00001"


def _example(*entries: bytes) -> bytes:
    return field_bytes(1, b"".join(field_bytes(1, e) for e in entries))


def _entry(key: str, feature: bytes) -> bytes:
    return field_bytes(1, key.encode()) + field_bytes(2, feature)


def test_decodes_what_tf_wrote():
    _, data = next(iter_records(IMAGENET))
    features = decode_example(data)
    assert features["image/format"].values == [b"JPEG"]
    assert features["image/class/label"].kind == INT64 and features["image/class/label"].values.tolist() == [1]
    assert features["image/class/text"].values == [b"synset 0"]
    assert features["image/object/bbox/xmin"].kind == FLOAT and len(features["image/object/bbox/xmin"]) == 0
    assert features["image/encoded"].values[0][:2] == b"\xff\xd8"


def test_round_trip_and_tf_bytes_re_decode_alike():
    _, data = next(iter_records(IMAGENET))
    features = decode_example(data)
    again = decode_example(encode_example(features))
    assert again.keys() == features.keys()
    for key in features:
        assert again[key].kind == features[key].kind or len(features[key]) == 0
        assert np.array_equal(np.asarray(again[key].values, dtype=object), np.asarray(features[key].values,
                                                                                       dtype=object))


def test_unpacked_and_packed_scalars_negative_int64():
    unpacked = field_varint(1, 5) + field_varint(1, -3 & ((1 << 64) - 1))
    packed = field_bytes(1, encode_varint(7) + encode_varint(-1))
    floats = field_fixed32(1, 0x3F800000) + field_bytes(1, np.array([2.5, -1.0], "<f4").tobytes())
    data = _example(_entry("a", field_bytes(3, unpacked) + field_bytes(3, packed)), _entry("f", field_bytes(2, floats)))
    features = decode_example(data)
    assert features["a"].values.tolist() == [5, -3, 7, -1]        # a sub-message given twice is merged
    assert features["f"].values.tolist() == [1.0, 2.5, -1.0]


def test_last_oneof_member_and_last_map_key_win():
    data = _example(_entry("k", field_bytes(1, field_bytes(1, b"x")) + field_bytes(3, field_varint(1, 4))),
                    _entry("d", field_bytes(1, field_bytes(1, b"old"))), _entry("d", field_bytes(1, field_bytes(1, b"new"))))
    features = decode_example(data)
    assert features["k"].kind == INT64 and features["k"].values.tolist() == [4]
    assert features["d"].values == [b"new"]


def test_empty_feature_and_unknown_fields():
    data = _example(_entry("e", b"")) + field_varint(9, 1)
    assert decode_example(data) == {"e": Feature(BYTES, [])}


@pytest.mark.parametrize("data, message", [
    (b"\x0a\x05abc", "runs past the end"),
    (_example(_entry("k", field_bytes(2, field_bytes(1, b"abc")))), "multiple of 4"),
    (field_varint(1, 3), "field 1 has wire type 0"),
    (b"\x00", "field number 0"),
])
def test_malformed(data, message):
    with pytest.raises(ExampleError, match=message):
        decode_example(data)


def test_feature_helpers():
    assert bytes_feature("é").values == ["é".encode()]
    assert float_feature(0.5).values.dtype == np.float32
    assert int64_feature([1, 2]).values.tolist() == [1, 2]
