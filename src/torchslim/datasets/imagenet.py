"""Slim's ``datasets/imagenet.py``: ILSVRC-2012 as ``build_imagenet_data.py`` writes it.

Files ``<split>-NNNNN-of-NNNNN`` (1,024 train / 128 validation shards); JPEG images; labels 1..1000
with 0 the background class (1,001 classes); ``image/class/text`` and the ``image/object/bbox/*``
boxes (``object/bbox`` as ``[num_boxes, 4]`` ``ymin, xmin, ymax, xmax``).
"""

from __future__ import annotations

from typing import Optional

from .dataset import Dataset, make_split
from .tfexample_decoder import BoundingBox, FixedLenFeature, Image, Tensor, TFExampleDecoder, VarLenFeature

__all__ = ["get_split", "SPLITS_TO_SIZES", "FILE_PATTERN", "NUM_CLASSES"]

FILE_PATTERN = "%s-*"
SPLITS_TO_SIZES = {"train": 1281167, "validation": 50000}
NUM_CLASSES = 1001
ITEMS_TO_DESCRIPTIONS = {
    "image": "A color image of varying height and width.",
    "label": "The label id of the image, integer between 0 and 999",
    "label_text": "The text of the label.",
    "object/bbox": "A list of bounding boxes.",
    "object/label": "A list of labels, one per each object.",
}


def decoder() -> TFExampleDecoder:
    """The ImageNet records' decoder (``image``, ``label``, ``label_text``, ``object/bbox``, ``object/label``)."""
    keys_to_features = {
        "image/encoded": FixedLenFeature((), "string", default_value=b""),
        "image/format": FixedLenFeature((), "string", default_value=b"jpeg"),
        "image/class/label": FixedLenFeature((), "int64", default_value=-1),
        "image/class/text": FixedLenFeature((), "string", default_value=b""),
        "image/object/bbox/xmin": VarLenFeature("float32"),
        "image/object/bbox/ymin": VarLenFeature("float32"),
        "image/object/bbox/xmax": VarLenFeature("float32"),
        "image/object/bbox/ymax": VarLenFeature("float32"),
        "image/object/class/label": VarLenFeature("int64"),
    }
    items_to_handlers = {
        "image": Image("image/encoded", "image/format"),
        "label": Tensor("image/class/label"),
        "label_text": Tensor("image/class/text"),
        "object/bbox": BoundingBox(["ymin", "xmin", "ymax", "xmax"], "image/object/bbox/"),
        "object/label": Tensor("image/object/class/label"),
    }
    return TFExampleDecoder(keys_to_features, items_to_handlers)


def get_split(split_name: str, dataset_dir: str, file_pattern: Optional[str] = None, reader=None) -> Dataset:
    """The ``train`` (1,281,167) or ``validation`` (50,000) split under ``dataset_dir``.

    Raises:
      ValueError: for another split name.
    """
    return make_split("imagenet", split_name, dataset_dir, file_pattern, FILE_PATTERN, SPLITS_TO_SIZES, decoder(),
                      NUM_CLASSES, ITEMS_TO_DESCRIPTIONS, reader)
