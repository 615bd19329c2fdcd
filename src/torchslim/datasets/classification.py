"""A Slim data set split as the training and evaluation loops read it: ``(preprocessed image, label)``.

What ``train_image_classifier.py`` / ``eval_image_classifier.py`` do with ``dataset_factory`` and
``preprocessing_factory``: decode each record's ``image`` and ``label``, subtract ``labels_offset``
from the label, and preprocess the image to ``image_size`` for training or evaluation.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Tuple

import torch

from torchslim.preprocessing import preprocessing_factory

from . import dataset_factory
from .dataset import Dataset
from .reader import RecordDataset

__all__ = ["ImageClassificationSplit", "load_split", "held_out_split_name"]


def held_out_split_name(dataset_name: str, train_split: str = "train") -> str:
    """The split a data set holds out for evaluation: ``validation`` (flowers, imagenet) or ``test``."""
    splits = dataset_factory.datasets_map[dataset_name].SPLITS_TO_SIZES
    return next((s for s in ("validation", "test") if s in splits and s != train_split), train_split)


class ImageClassificationSplit(torch.utils.data.Dataset):
    """``dataset[i] -> (image [size, size, channels] float32, label - labels_offset)``.

    Args:
      split: the :class:`~torchslim.datasets.dataset.Dataset` split.
      preprocessing_fn: ``fn(image, height, width) -> float image`` (from ``preprocessing_factory``).
      image_size: the output height and width.
      channels: channels the net takes (grey images are repeated to 3; 3 to 1 takes the first).
      labels_offset: subtracted from every label (Slim's ``--labels_offset``; 1 for ImageNet's
        background class with a 1000-class net).

    Attributes:
      num_classes: the split's classes less ``labels_offset``.
      class_names: from ``labels.txt`` (shifted by the offset), or the label numbers.
    """

    def __init__(self, split: Dataset, preprocessing_fn: Callable[..., torch.Tensor], image_size: int,
                 channels: int = 3, labels_offset: int = 0) -> None:
        self.records = RecordDataset(split.files(), split.decoder, items=["image", "label"])
        self.preprocessing_fn, self.image_size, self.channels = preprocessing_fn, image_size, channels
        self.labels_offset = labels_offset
        self.num_classes = (split.num_classes or 0) - labels_offset
        names = split.labels_to_names or {}
        self.class_names: List[str] = [names.get(i + labels_offset, str(i + labels_offset))
                                       for i in range(self.num_classes)]
        self.name = f"{split.name} {split.data_sources}"

    def __len__(self) -> int:
        return len(self.records)

    def _channels(self, image: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] == self.channels:
            return image
        return image.expand(-1, -1, self.channels) if image.shape[-1] == 1 else image[..., :self.channels]

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, int]:
        record = self.records[index]
        image = self._channels(torch.from_numpy(record["image"]))
        image = self.preprocessing_fn(image, self.image_size, self.image_size)
        return image, int(record["label"]) - self.labels_offset

    def batch(self, indices: Sequence[int]) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(images [N, size, size, C], labels [N])`` of the records at ``indices``."""
        items = [self[int(i)] for i in indices]
        return torch.stack([x for x, _ in items]), torch.tensor([y for _, y in items], dtype=torch.int64)


def load_split(dataset_name: str, split_name: str, dataset_dir: str, preprocessing_name: str, image_size: int,
               is_training: bool, channels: int = 3, labels_offset: int = 0, use_grayscale: bool = False,
               file_pattern: Optional[str] = None) -> ImageClassificationSplit:
    """The split ``split_name`` of ``dataset_name`` under ``dataset_dir``, preprocessed as the Slim scripts do.

    Raises:
      ValueError: for an unknown data set, split or preprocessing name (the message says which).
      FileNotFoundError: when no file matches the split's pattern.
    """
    split = dataset_factory.get_dataset(dataset_name, split_name, dataset_dir, file_pattern)
    preprocessing_fn = preprocessing_factory.get_preprocessing(preprocessing_name, is_training=is_training,
                                                               use_grayscale=use_grayscale)
    # with use_grayscale the preprocessing makes the grey channel from RGB, as Slim's does
    return ImageClassificationSplit(split, preprocessing_fn, image_size, 3 if use_grayscale else channels,
                                    labels_offset)
