"""Slim's ``dataset.Dataset``: where a split's TFRecord files are and how to decode them.

``Dataset.files()`` lists the files the pattern matches (sorted, as ``tf.io.gfile.glob`` + Slim's
readers see them); :meth:`Dataset.records` and :meth:`Dataset.sharded` give the torch data sets that
read them (see :mod:`torchslim.datasets.reader`).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from .dataset_utils import has_labels, read_label_file
from .reader import RecordDataset, ShardedRecords
from .tfexample_decoder import TFExampleDecoder

__all__ = ["Dataset", "split_file_pattern", "make_split"]


def split_file_pattern(dataset_dir: str, file_pattern: str, split_name: str) -> str:
    """``os.path.join(dataset_dir, file_pattern % split_name)`` (the pattern may omit ``%s``)."""
    return os.path.join(dataset_dir, file_pattern % split_name if "%s" in file_pattern else file_pattern)


@dataclass
class Dataset:
    """One split of a data set, as ``slim.dataset.Dataset``.

    Attributes:
      data_sources: a glob pattern (or a list of files / patterns).
      decoder: the :class:`TFExampleDecoder` for its records.
      num_samples: the split's declared size (Slim's ``SPLITS_TO_SIZES``; readers count the records present).
      items_to_descriptions: ``{item: description}``.
      num_classes: number of classes (including Slim's background class where the data set has one).
      labels_to_names: ``{label: class name}`` from ``labels.txt``, or None.
      name: the data set's name.
    """

    data_sources: object
    decoder: TFExampleDecoder
    num_samples: int
    items_to_descriptions: Dict[str, str] = field(default_factory=dict)
    num_classes: Optional[int] = None
    labels_to_names: Optional[Dict[int, str]] = None
    name: str = ""

    def files(self) -> List[str]:
        """The files of this split, sorted.

        Raises:
          FileNotFoundError: naming the pattern when nothing matches.
        """
        sources = [self.data_sources] if isinstance(self.data_sources, (str, os.PathLike)) else self.data_sources
        files: List[str] = []
        for source in sources:
            source = os.fspath(source)
            if glob.has_magic(source):
                files.extend(sorted(glob.glob(source)))
            elif os.path.isfile(source):
                files.append(source)
        if not files:
            raise FileNotFoundError(f"no TFRecord files match {self.data_sources!r}"
                                    f"{' (data set ' + self.name + ')' if self.name else ''}")
        return files

    def records(self, transform: Optional[Callable] = None, items=None, check_crc: bool = True):
        """A map-style torch data set of the decoded records (:class:`~torchslim.datasets.reader.RecordDataset`)."""
        return RecordDataset(self.files(), self.decoder, transform=transform, items=items, check_crc=check_crc)

    def sharded(self, transform: Optional[Callable] = None, items=None, shuffle: bool = False, seed: int = 0,
                check_crc: bool = True):
        """An iterable torch data set split over DataLoader workers and DDP ranks
        (see :class:`~torchslim.datasets.reader.ShardedRecords`)."""
        return ShardedRecords(self.files(), self.decoder, transform=transform, items=items, shuffle=shuffle,
                              seed=seed, check_crc=check_crc)


def make_split(name: str, split_name: str, dataset_dir: str, file_pattern: Optional[str], default_pattern: str,
               splits_to_sizes: Dict[str, int], decoder: TFExampleDecoder, num_classes: Optional[int],
               items_to_descriptions: Dict[str, str], reader=None) -> Dataset:
    """The :class:`Dataset` of one split, as every Slim data set module's ``get_split`` builds it.

    ``labels_to_names`` is read from ``dataset_dir/labels.txt`` when it exists (ImageNet's fallback
    of downloading the synset names is not taken: write ``labels.txt`` beside the shards instead).

    Raises:
      ValueError: for an unknown split name, or a ``reader`` other than None (TFRecord is the one format).
    """
    if split_name not in splits_to_sizes:
        raise ValueError(f"split name {split_name} was not recognized (data set {name}: "
                         f"{', '.join(sorted(splits_to_sizes))})")
    if reader is not None:
        raise ValueError(f"data set {name}: reader={reader!r} is TensorFlow's reader class; torchslim reads "
                         "TFRecord files only, leave reader=None")
    pattern = split_file_pattern(dataset_dir, file_pattern or default_pattern, split_name)
    labels = read_label_file(dataset_dir) if has_labels(dataset_dir) else None
    return Dataset(data_sources=pattern, decoder=decoder, num_samples=splits_to_sizes[split_name],
                   items_to_descriptions=dict(items_to_descriptions), num_classes=num_classes,
                   labels_to_names=labels, name=name)
