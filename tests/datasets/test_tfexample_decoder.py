"""Slim's tfexample_decoder semantics: defaults, shapes, kinds, raw images, boxes, image limits."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image as PILImage

from torchslim.datasets.example import bytes_feature, encode_example, float_feature, int64_feature
from torchslim.datasets.tfexample_decoder import (BoundingBox, DecodeError, FixedLenFeature, Image, Tensor,
                                                  TFExampleDecoder, VarLenFeature, decode_image_bytes)


def _png(height: int, width: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    PILImage.new(mode, (width, height), 7).save(out, "PNG")
    return out.getvalue()


def _decoder(**image):
    keys = {"image/encoded": FixedLenFeature((), "string", b""), "image/format": FixedLenFeature((), "string", b"png"),
            "label": FixedLenFeature((), "int64", None), "n": FixedLenFeature((2,), "int64", [1, 2]),
            "box/ymin": VarLenFeature("float32"), "box/xmin": VarLenFeature("float32"),
            "box/ymax": VarLenFeature("float32"), "box/xmax": VarLenFeature("float32")}
    items = {"image": Image(**image), "label": Tensor("label"), "n": Tensor("n", shape=[2, 1]),
             "box": BoundingBox(prefix="box/")}
    return TFExampleDecoder(keys, items)


def test_defaults_shapes_and_boxes():
    record = encode_example({"image/encoded": bytes_feature(_png(3, 4, "L")), "label": int64_feature(4),
                             "box/ymin": float_feature([0.1]), "box/xmin": float_feature([0.2]),
                             "box/ymax": float_feature([0.3]), "box/xmax": float_feature([0.4])})
    items = _decoder().decode(record)
    assert items["image"].shape == (3, 4, 3) and (items["image"] == 7).all()    # grey repeated to 3 channels
    assert int(items["label"]) == 4 and items["n"].tolist() == [[1], [2]]
    np.testing.assert_allclose(items["box"], [[0.1, 0.2, 0.3, 0.4]])


def test_raw_needs_and_uses_the_shape():
    record = encode_example({"image/encoded": bytes_feature(bytes(range(6))), "image/format": bytes_feature("raw"),
                             "label": int64_feature(0)})
    assert _decoder(shape=[2, 3, 1], channels=1).decode(record, ["image"])["image"][1, 2, 0] == 5
    with pytest.raises(DecodeError, match="raw image needs the handler's shape"):
        _decoder().decode(record, ["image"])
    with pytest.raises(DecodeError, match=r"6 values cannot be reshaped to \[2, 2, 1\]"):
        _decoder(shape=[2, 2, 1]).decode(record, ["image"])


def test_missing_required_wrong_kind_and_wrong_size():
    with pytest.raises(DecodeError, match="'label' is required and missing"):
        _decoder().decode(encode_example({}), ["label"])
    with pytest.raises(DecodeError, match="'label' holds a float list, the data set expects int64"):
        _decoder().decode(encode_example({"label": float_feature(1.0)}), ["label"])
    with pytest.raises(DecodeError, match=r"'n' has 3 values, the data set expects shape \[2\]"):
        _decoder().decode(encode_example({"n": int64_feature([1, 2, 3])}), ["n"])


def test_undeclared_feature_is_a_construction_error():
    with pytest.raises(ValueError, match=r"item 'x' reads features \['y'\]"):
        TFExampleDecoder({}, {"x": Tensor("y")})


def test_corrupt_and_oversized_images(monkeypatch):
    with pytest.raises(DecodeError, match="cannot decode the image"):
        decode_image_bytes(b"\x89PNG\r\n\x1a\nnot really")
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 100)
    assert decode_image_bytes(_png(10, 10)).shape == (10, 10, 3)
    with pytest.warns(PILImage.DecompressionBombWarning), pytest.raises(DecodeError, match="MAX_IMAGE_PIXELS"):
        decode_image_bytes(_png(10, 11))
