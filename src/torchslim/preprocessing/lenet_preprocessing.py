"""Slim's ``lenet_preprocessing``: float, crop or pad to the output size, ``(x - 128) / 128``; the same for
training and evaluation (Slim passes ``output_width`` as the height argument of the crop, kept here)."""

from __future__ import annotations

from typing import Optional

import torch

from . import image_ops

__all__ = ["preprocess_image"]


def preprocess_image(image, output_height: int, output_width: int, is_training: bool = False,
                     use_grayscale: bool = False, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Preprocesses one ``[H, W, C]`` image (0..255).

    Args:
      image: the image.
      output_height, output_width: the output size.
      is_training: unused (LeNet's preprocessing has no randomness).
      use_grayscale: convert to grey first.
      generator: unused; accepted so every preprocessing takes it.

    Returns:
      ``[output_height, output_width, C]`` float32 in [-1, 1).
    """
    del is_training, generator
    image = image_ops.to_image(image).float()
    if use_grayscale:
        image = image_ops.rgb_to_grayscale(image)
    image = image_ops.resize_image_with_crop_or_pad(image, output_width, output_height)
    return (image - 128.0) / 128.0
