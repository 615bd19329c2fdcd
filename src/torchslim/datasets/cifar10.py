"""Slim's ``datasets/cifar10.py``: CIFAR-10 as ``download_and_convert_cifar10`` writes it.

Files ``cifar10_<split>.tfrecord``; 32x32x3 PNG images, label in ``image/class/label``.
"""

from __future__ import annotations

from typing import Optional

from .dataset import Dataset, make_split
from .tfexample_decoder import FixedLenFeature, Image, Tensor, TFExampleDecoder

__all__ = ["get_split", "SPLITS_TO_SIZES", "FILE_PATTERN", "NUM_CLASSES"]

FILE_PATTERN = "cifar10_%s.tfrecord"
SPLITS_TO_SIZES = {"train": 50000, "test": 10000}
NUM_CLASSES = 10
ITEMS_TO_DESCRIPTIONS = {
    "image": "A [32 x 32 x 3] color image.",
    "label": "A single integer between 0 and 9",
}


def decoder() -> TFExampleDecoder:
    """The CIFAR-10 records' decoder (``image`` [32, 32, 3], ``label``)."""
    keys_to_features = {
        "image/encoded": FixedLenFeature((), "string", default_value=b""),
        "image/format": FixedLenFeature((), "string", default_value=b"png"),
        "image/class/label": FixedLenFeature((), "int64", default_value=0),
    }
    return TFExampleDecoder(keys_to_features,
                            {"image": Image(shape=[32, 32, 3]), "label": Tensor("image/class/label")})


def get_split(split_name: str, dataset_dir: str, file_pattern: Optional[str] = None, reader=None) -> Dataset:
    """The ``train`` (50,000) or ``test`` (10,000) split under ``dataset_dir``.

    Raises:
      ValueError: for another split name.
    """
    return make_split("cifar10", split_name, dataset_dir, file_pattern, FILE_PATTERN, SPLITS_TO_SIZES, decoder(),
                      NUM_CLASSES, ITEMS_TO_DESCRIPTIONS, reader)
