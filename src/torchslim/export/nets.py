"""A Slim net by name, with a checkpoint's weights, ready to export or classify with.

The one place ``torchslim export`` and ``torchslim classify`` build nets: every name of
:mod:`torchslim.nets.nets_factory` (the zoo and the small ResNets) under the net's own arg scope, as TF-Slim's ``export_inference_graph.py`` builds them.
"""

from __future__ import annotations

import os
from typing import Optional

from torchslim.model import Model
from torchslim.nets import nets_factory

__all__ = ["build_net", "default_image_size", "logits_classes"]


def default_image_size(model_name: str) -> int:
    """The net's default input size (``network_fn.default_image_size``; 224 when it has none).

    Raises:
      ValueError: ``'--model_name: unknown net <name>; choose from ...'``.
    """
    return nets_factory.default_image_size(nets_factory.check_flag(model_name))


def logits_classes(num_classes: int, labels_offset: int) -> int:
    """Classes of the net's logits: ``num_classes - labels_offset``, as ``export_inference_graph.py``.

    Raises:
      ValueError: unless ``0 <= labels_offset < num_classes``.
    """
    if num_classes <= 0 or not 0 <= labels_offset < num_classes:
        raise ValueError(f"--num_classes {num_classes} --labels_offset {labels_offset}: need "
                         "0 <= labels_offset < num_classes")
    return num_classes - labels_offset


def build_net(model_name: str, num_classes: int = 1001, labels_offset: int = 0,
              image_size: Optional[int] = None, channels: int = 3,
              checkpoint_path: "Optional[str | os.PathLike[str]]" = None) -> Model:
    """Builds net ``model_name`` in eval mode, its variables restored from ``checkpoint_path`` if given.

    Args:
      model_name: a net name (``resnet_v2_50``, ``inception_resnet_v2``, ``resnet_v2_small``...).
      num_classes: the data set's classes (1001 for Slim's ImageNet: class 0 is background).
      labels_offset: labels the net does not predict, at the start (1 for a 1000-class ImageNet net).
        The net gets ``num_classes - labels_offset`` logits; with an offset, a checkpoint with one
        class more (the zoo's 1001-class logits) is restored without its background class.
      image_size: the size the variables are built at (default: the net's default size).
      channels: input channels (1 for grayscale nets).
      checkpoint_path: a TF checkpoint prefix, run directory or ``.safetensors`` file; None keeps
        the initial values.

    Returns:
      The built model, in eval mode.

    Raises:
      ValueError: for an unknown net or a bad class count.
      torchslim.checkpoint.RestoreError / CheckpointError: when the checkpoint does not fit the
        net or cannot be read (the message names the variables or the file).
    """
    size = image_size or default_image_size(model_name)
    model = nets_factory.build_model(model_name, num_classes=logits_classes(num_classes, labels_offset),
                                     image_size=size, channels=channels)
    model.eval()
    if checkpoint_path:
        from torchslim.checkpoint import assign_from_checkpoint

        assign_from_checkpoint(model, checkpoint_path, drop_background_class=labels_offset > 0)
    model.default_image_size = size
    return model
