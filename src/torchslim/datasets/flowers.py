"""Slim's ``datasets/flowers.py``: the 5-class flowers data set as ``download_and_convert_flowers`` writes it.

Files ``flowers_<split>_NNNNN-of-00005.tfrecord``; PNG/JPEG images, label in ``image/class/label``.
"""

from __future__ import annotations

from typing import Optional

from .dataset import Dataset, make_split
from .tfexample_decoder import FixedLenFeature, Image, Tensor, TFExampleDecoder

__all__ = ["get_split", "SPLITS_TO_SIZES", "FILE_PATTERN", "NUM_CLASSES"]

FILE_PATTERN = "flowers_%s_*.tfrecord"
SPLITS_TO_SIZES = {"train": 3320, "validation": 350}
NUM_CLASSES = 5
ITEMS_TO_DESCRIPTIONS = {
    "image": "A color image of varying size.",
    "label": "A single integer between 0 and 4",
}


def decoder() -> TFExampleDecoder:
    """The flowers records' decoder (``image``, ``label``)."""
    keys_to_features = {
        "image/encoded": FixedLenFeature((), "string", default_value=b""),
        "image/format": FixedLenFeature((), "string", default_value=b"png"),
        "image/class/label": FixedLenFeature((), "int64", default_value=0),
    }
    return TFExampleDecoder(keys_to_features, {"image": Image(), "label": Tensor("image/class/label")})


def get_split(split_name: str, dataset_dir: str, file_pattern: Optional[str] = None, reader=None) -> Dataset:
    """The ``train`` (3,320) or ``validation`` (350) split under ``dataset_dir``.

    Raises:
      ValueError: for another split name.
    """
    return make_split("flowers", split_name, dataset_dir, file_pattern, FILE_PATTERN, SPLITS_TO_SIZES, decoder(),
                      NUM_CLASSES, ITEMS_TO_DESCRIPTIONS, reader)
