"""labels.txt and the converters' Example layout."""

from __future__ import annotations

import pytest

from torchslim.datasets.dataset_utils import has_labels, image_to_tfexample, read_label_file, write_label_file
from torchslim.datasets.example import decode_example


def test_label_file_round_trip_and_colons(tmp_path):
    write_label_file({1: "b", 0: "a:with colon"}, str(tmp_path))
    assert (tmp_path / "labels.txt").read_text() == "0:a:with colon\n1:b\n"
    assert has_labels(str(tmp_path))
    assert read_label_file(str(tmp_path)) == {0: "a:with colon", 1: "b"}


def test_bad_label_line_names_file_and_line(tmp_path):
    (tmp_path / "labels.txt").write_text("0:a\nnot a label\n")
    with pytest.raises(ValueError, match=r"labels.txt: line 2 is not '<label>:<class name>'"):
        read_label_file(str(tmp_path))


def test_image_to_tfexample_features():
    features = decode_example(image_to_tfexample(b"\xff\xd8data", b"jpg", 7, 9, 3))
    assert sorted(features) == ["image/class/label", "image/encoded", "image/format", "image/height", "image/width"]
    assert features["image/format"].values == [b"jpg"] and features["image/class/label"].values.tolist() == [3]
    assert (features["image/height"].values[0], features["image/width"].values[0]) == (7, 9)
