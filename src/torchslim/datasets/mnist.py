"""Slim's ``datasets/mnist.py``: MNIST as ``download_and_convert_mnist`` writes it.

Files ``mnist_<split>.tfrecord``; each image is 784 ``raw`` bytes (28x28x1), label in
``image/class/label`` (a one-value list, read as a scalar).
"""

from __future__ import annotations

from typing import Optional

from .dataset import Dataset, make_split
from .tfexample_decoder import FixedLenFeature, Image, Tensor, TFExampleDecoder

__all__ = ["get_split", "SPLITS_TO_SIZES", "FILE_PATTERN", "NUM_CLASSES"]

FILE_PATTERN = "mnist_%s.tfrecord"
SPLITS_TO_SIZES = {"train": 60000, "test": 10000}
NUM_CLASSES = 10
ITEMS_TO_DESCRIPTIONS = {
    "image": "A [28 x 28 x 1] grayscale image.",
    "label": "A single integer between 0 and 9",
}


def decoder() -> TFExampleDecoder:
    """The MNIST records' decoder (``image`` [28, 28, 1] uint8, ``label``)."""
    keys_to_features = {
        "image/encoded": FixedLenFeature((), "string", default_value=b""),
        "image/format": FixedLenFeature((), "string", default_value=b"raw"),
        "image/class/label": FixedLenFeature((1,), "int64", default_value=[0]),
    }
    return TFExampleDecoder(keys_to_features, {"image": Image(shape=[28, 28, 1], channels=1),
                                               "label": Tensor("image/class/label", shape=[])})


def get_split(split_name: str, dataset_dir: str, file_pattern: Optional[str] = None, reader=None) -> Dataset:
    """The ``train`` (60,000) or ``test`` (10,000) split under ``dataset_dir``.

    Raises:
      ValueError: for another split name.
    """
    return make_split("mnist", split_name, dataset_dir, file_pattern, FILE_PATTERN, SPLITS_TO_SIZES, decoder(),
                      NUM_CLASSES, ITEMS_TO_DESCRIPTIONS, reader)
