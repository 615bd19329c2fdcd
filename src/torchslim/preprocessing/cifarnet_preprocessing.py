"""Slim's ``cifarnet_preprocessing``: CIFAR-10's padding + random crop + flip + colour, per-image standardization.

Training: float, zero-pad 4 pixels on each side, random ``[h, w]`` crop, random flip, brightness
(±63), contrast (×[0.2, 1.8]), then ``per_image_standardization``. Evaluation: float,
``resize_image_with_crop_or_pad`` (Slim passes ``output_width`` as the height argument and
``output_height`` as the width, kept here), then ``per_image_standardization``.
"""

from __future__ import annotations

from typing import Optional

import torch

from . import image_ops

__all__ = ["preprocess_for_train", "preprocess_for_eval", "preprocess_image"]

_PADDING = 4


def _as_float(image, use_grayscale: bool) -> torch.Tensor:
    image = image_ops.to_image(image).float()
    return image_ops.rgb_to_grayscale(image) if use_grayscale else image


def preprocess_for_train(image, output_height: int, output_width: int, padding: int = _PADDING,
                         add_image_summaries: bool = True, use_grayscale: bool = False,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Preprocesses one ``[H, W, C]`` image (0..255) for training.

    Args:
      image: the image.
      output_height, output_width: the crop size.
      padding: zero padding before and after each spatial dimension.
      add_image_summaries: accepted for Slim's signature (no summaries are written).
      use_grayscale: convert to grey first.
      generator: the random generator.

    Returns:
      ``[output_height, output_width, C]`` float32, zero mean and unit variance.
    """
    del add_image_summaries
    image = _as_float(image, use_grayscale)
    if padding > 0:
        image = image_ops.pad(image, padding, padding, padding, padding)
    image = image_ops.random_crop(image, [output_height, output_width], generator)
    image = image_ops.random_flip_left_right(image, generator)
    image = image_ops.random_brightness(image, 63, generator)
    image = image_ops.random_contrast(image, 0.2, 1.8, generator)
    return image_ops.per_image_standardization(image)


def preprocess_for_eval(image, output_height: int, output_width: int, add_image_summaries: bool = True,
                        use_grayscale: bool = False) -> torch.Tensor:
    """Preprocesses one ``[H, W, C]`` image for evaluation (crop or pad, standardize)."""
    del add_image_summaries
    image = _as_float(image, use_grayscale)
    image = image_ops.resize_image_with_crop_or_pad(image, output_width, output_height)
    return image_ops.per_image_standardization(image)


def preprocess_image(image, output_height: int, output_width: int, is_training: bool = False,
                     add_image_summaries: bool = True, use_grayscale: bool = False,
                     generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``cifarnet_preprocessing.preprocess_image``: training or evaluation preprocessing of one image."""
    if is_training:
        return preprocess_for_train(image, output_height, output_width, add_image_summaries=add_image_summaries,
                                    use_grayscale=use_grayscale, generator=generator)
    return preprocess_for_eval(image, output_height, output_width, add_image_summaries=add_image_summaries,
                               use_grayscale=use_grayscale)
