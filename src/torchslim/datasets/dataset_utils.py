"""Slim's ``datasets/dataset_utils.py``: ``labels.txt`` and the Example layout of Slim's converters.

``labels.txt`` holds one ``<label>:<class name>`` line per class (``0:daisy``), sorted by label;
reading splits each line at its first colon, as Slim does, so class names may contain colons.
"""

from __future__ import annotations

import os
from typing import Dict, Mapping

from .example import Feature, bytes_feature, encode_example, int64_feature

__all__ = ["LABELS_FILENAME", "has_labels", "read_label_file", "write_label_file", "image_to_tfexample",
           "int64_feature", "bytes_feature"]

LABELS_FILENAME = "labels.txt"


def has_labels(dataset_dir: str, filename: str = LABELS_FILENAME) -> bool:
    """Whether ``dataset_dir`` holds a labels file."""
    return os.path.isfile(os.path.join(dataset_dir, filename))


def read_label_file(dataset_dir: str, filename: str = LABELS_FILENAME) -> Dict[int, str]:
    """Reads ``labels.txt`` into ``{label: class name}`` (the one reader of Slim's labels files).

    One ``label:name`` line per class; the name is everything after the first colon. Blank lines
    are skipped and line ends (``\\n`` or ``\\r\\n``) are not part of the name.

    Raises:
      ValueError: naming the file and line when a non-blank line has no ``<int>:`` prefix.
      OSError: if the file cannot be read (FileNotFoundError for a missing one).
    """
    path = os.path.join(dataset_dir, filename)
    labels_to_names = {}
    with open(path, "r", encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            index, colon, name = line.partition(":")
            if not colon or not index.strip().lstrip("-").isdigit():
                raise ValueError(f"{path}: line {number} is not '<label>:<class name>': {line!r}")
            labels_to_names[int(index)] = name
    return labels_to_names


def write_label_file(labels_to_class_names: Mapping[int, str], dataset_dir: str,
                     filename: str = LABELS_FILENAME) -> None:
    """Writes ``{label: class name}`` as ``labels.txt`` (one ``label:name`` line each, in label order)."""
    with open(os.path.join(dataset_dir, filename), "w", encoding="utf-8") as handle:
        for label in sorted(labels_to_class_names):
            handle.write(f"{label}:{labels_to_class_names[label]}\n")


def image_to_tfexample(image_data: bytes, image_format: bytes, height: int, width: int, class_id: int) -> bytes:
    """The serialized Example Slim's converters write for one image (``dataset_utils.image_to_tfexample``).

    Features: ``image/encoded``, ``image/format``, ``image/class/label``, ``image/height``, ``image/width``.
    """
    features: Dict[str, Feature] = {
        "image/encoded": bytes_feature(image_data),
        "image/format": bytes_feature(image_format),
        "image/class/label": int64_feature(class_id),
        "image/height": int64_feature(height),
        "image/width": int64_feature(width),
    }
    return encode_example(features)
