"""Class names: Slim's ``labels.txt`` files and the ImageNet names built in.

``imagenet_labels.txt`` (beside this module) is what TF-Slim's
``datasets/imagenet.create_readable_names_for_imagenet_labels()`` builds and
``dataset_utils.write_label_file`` writes: ``0:background``, then the 1000 ILSVRC-2012 synsets in
alphabetical WordNet-id order, each with its WordNet names; see ``IMAGENET_LABELS.md`` for the source.
"""

from __future__ import annotations

import functools
import os
from typing import Dict, Optional

from torchslim.datasets.dataset_utils import read_label_file

__all__ = ["read_labels_file", "imagenet_labels", "output_labels"]

_IMAGENET_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "imagenet_labels.txt")


def read_labels_file(path: "str | os.PathLike[str]") -> Dict[int, str]:
    """Reads a Slim ``labels.txt`` given by its path: :func:`torchslim.datasets.dataset_utils.read_label_file`.

    Raises:
      FileNotFoundError: for a missing file. ValueError: naming the file and line of a bad line.
    """
    directory, filename = os.path.split(os.fspath(path))
    return read_label_file(directory, filename)


@functools.lru_cache(maxsize=1)
def _imagenet() -> Dict[int, str]:
    return read_labels_file(_IMAGENET_FILE)


def imagenet_labels() -> Dict[int, str]:
    """Slim's ImageNet names: label 0 is ``background``, 1..1000 the ILSVRC-2012 classes."""
    return dict(_imagenet())


def output_labels(num_outputs: int, labels_offset: int = 0,
                  labels_file: "Optional[str | os.PathLike[str]]" = None) -> Dict[int, str]:
    """Name of each output index of a classifier: output ``i`` is data-set label ``i + labels_offset``.

    With ``labels_file``, names come from it. Otherwise a net whose labels cover 1001 classes
    (``num_outputs + labels_offset == 1001``: the zoo's ImageNet with background at 0) or 1000
    (ImageNet without background, e.g. VGG or ResNet v1 checkpoints) gets the ImageNet names; any
    other net gets its label numbers.

    Returns:
      ``{output index: name}`` for every output index.
    """
    if labels_file is not None:
        names = read_labels_file(labels_file)
        shift = 0
    elif num_outputs + labels_offset in (1000, 1001):
        names = _imagenet()
        shift = 1001 - (num_outputs + labels_offset)
    else:
        names, shift = {}, 0
    return {i: names.get(i + labels_offset + shift, str(i + labels_offset)) for i in range(num_outputs)}
