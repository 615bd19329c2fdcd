"""Slim's ``datasets/dataset_factory.py``: a data set by name.

``get_dataset("flowers", "train", "/data/flowers")`` gives the :class:`~torchslim.datasets.dataset.Dataset`
of that split. The names are upstream's four: ``cifar10``, ``flowers``, ``imagenet``, ``mnist``; other
TFRecord layouts: :func:`torchslim.datasets.generic.get_split`.
"""

from __future__ import annotations

from typing import Optional

from . import cifar10, flowers, imagenet, mnist
from .dataset import Dataset

__all__ = ["get_dataset", "datasets_map"]

datasets_map = {
    "cifar10": cifar10,
    "flowers": flowers,
    "imagenet": imagenet,
    "mnist": mnist,
}


def get_dataset(name: str, split_name: str, dataset_dir: str, file_pattern: Optional[str] = None,
                reader=None) -> Dataset:
    """The split ``split_name`` of data set ``name`` stored under ``dataset_dir``.

    Args:
      name: ``cifar10``, ``flowers``, ``imagenet`` or ``mnist``.
      split_name: a split of that data set (e.g. ``train``, ``validation``).
      dataset_dir: the folder holding its TFRecord files (and ``labels.txt``).
      file_pattern: overrides the data set's file pattern (``%s`` is the split name).
      reader: must be None (TensorFlow's reader class has no meaning here).

    Raises:
      ValueError: for an unknown data set or split name.
    """
    if name not in datasets_map:
        raise ValueError(f"Name of dataset unknown {name} (known: {', '.join(sorted(datasets_map))}; for other "
                         "TFRecord layouts use torchslim.datasets.generic.get_split)")
    return datasets_map[name].get_split(split_name, dataset_dir, file_pattern, reader)
