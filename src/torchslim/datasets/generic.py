"""A data set of any TFRecord files of image Examples: your file pattern, your feature keys.

For TFRecords that are not one of Slim's four layouts (other converters, other key names)::

    ds = generic.get_split("train", "/data/pets", file_pattern="pets-%s-*.rec", label_key="label",
                           num_classes=37)
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

from torchslim.io.tfrecord import count_records

from .dataset import Dataset, make_split, split_file_pattern
from .tfexample_decoder import FixedLenFeature, Image, Tensor, TFExampleDecoder

__all__ = ["get_split", "decoder"]


def decoder(image_key: str = "image/encoded", format_key: str = "image/format", label_key: str = "image/class/label",
            default_format: bytes = b"jpeg", image_shape: Optional[Sequence[int]] = None, channels: int = 3,
            label_default: Optional[int] = None) -> TFExampleDecoder:
    """A decoder of ``image`` (from ``image_key`` in the format ``format_key`` names) and ``label``.

    Args:
      image_key, format_key, label_key: the feature names.
      default_format: the format when ``format_key`` is absent (``raw`` needs ``image_shape``).
      image_shape: ``[H, W, C]`` to reshape every image to (None: as decoded).
      channels: channels to decode to.
      label_default: the label when ``label_key`` is absent (None: the label is required).
    """
    keys_to_features = {
        image_key: FixedLenFeature((), "string", default_value=b""),
        format_key: FixedLenFeature((), "string", default_value=default_format),
        label_key: FixedLenFeature((), "int64", default_value=label_default),
    }
    items = {"image": Image(image_key, format_key, shape=image_shape, channels=channels), "label": Tensor(label_key)}
    return TFExampleDecoder(keys_to_features, items)


def get_split(split_name: str, dataset_dir: str, file_pattern: str = "%s-*",
              splits_to_sizes: Optional[Dict[str, int]] = None, num_classes: Optional[int] = None,
              **decoder_kwargs) -> Dataset:
    """One split of a TFRecord data set under ``dataset_dir``.

    Args:
      split_name: inserted into ``file_pattern`` at ``%s``.
      dataset_dir: the folder (with an optional ``labels.txt``).
      file_pattern: the files' glob pattern.
      splits_to_sizes: declared split sizes (None: count the records of this split's files).
      num_classes: the number of classes (None: from ``labels.txt`` when present).
      **decoder_kwargs: passed to :func:`decoder` (key names, formats, shape).

    Raises:
      ValueError: for a split not in ``splits_to_sizes``.
      FileNotFoundError: when counting and no file matches.
    """
    if splits_to_sizes is None:
        files = Dataset(split_file_pattern(dataset_dir, file_pattern, split_name), None, 0).files()
        splits_to_sizes = {split_name: sum(count_records(f) for f in files)}
    sizes = splits_to_sizes
    dataset = make_split("generic", split_name, dataset_dir, file_pattern, file_pattern, sizes,
                         decoder(**decoder_kwargs), num_classes, {"image": "An image.", "label": "Its class."})
    if dataset.num_classes is None and dataset.labels_to_names:
        dataset.num_classes = max(dataset.labels_to_names) + 1
    return dataset
