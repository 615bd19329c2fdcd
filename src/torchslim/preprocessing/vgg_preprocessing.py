"""Slim's ``vgg_preprocessing`` (VGG and ResNet): aspect-preserving resize, crop, flip, channel means.

Training: the smaller side resized to a random integer in ``[resize_side_min, resize_side_max]``
(bilinear, TF1 arithmetic), a random ``[h, w]`` crop, float, a random flip, the ImageNet means
subtracted. Evaluation: the smaller side resized to ``resize_side_min``, the central crop (offsets
``(size - crop) / 2`` truncated), the means subtracted. Values stay on the 0..255 scale.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from . import image_ops

__all__ = ["preprocess_for_train", "preprocess_for_eval", "preprocess_image", "smallest_size_at_least",
           "aspect_preserving_resize", "R_MEAN", "G_MEAN", "B_MEAN"]

R_MEAN, G_MEAN, B_MEAN = 123.68, 116.78, 103.94
_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512


def smallest_size_at_least(height: int, width: int, smallest_side: int) -> Tuple[int, int]:
    """The size whose smaller side is ``smallest_side`` (float32 scale, ``tf.rint``: half to even)."""
    h, w, side = np.float32(height), np.float32(width), np.float32(smallest_side)
    scale = side / w if h > w else side / h
    return int(np.rint(h * scale)), int(np.rint(w * scale))


def aspect_preserving_resize(image: torch.Tensor, smallest_side: int) -> torch.Tensor:
    """Bilinear resize (TF1, ``align_corners=False``) so the smaller side is ``smallest_side``."""
    return image_ops.resize_bilinear(image, smallest_size_at_least(image.shape[0], image.shape[1], smallest_side))


def _central_crop(image: torch.Tensor, crop_height: int, crop_width: int) -> torch.Tensor:
    top = int((image.shape[0] - crop_height) / 2)
    left = int((image.shape[1] - crop_width) / 2)
    return image_ops.crop(image, top, left, crop_height, crop_width)


def _mean_image_subtraction(image: torch.Tensor, means: Sequence[float]) -> torch.Tensor:
    if image.dim() != 3:
        raise ValueError("Input must be of size [height, width, C>0]")
    if len(means) != image.shape[-1]:
        raise ValueError(f"len(means) must match the number of channels ({len(means)} means, "
                         f"{image.shape[-1]} channels)")
    return image - torch.tensor(means, dtype=image.dtype, device=image.device)


def preprocess_for_train(image, output_height: int, output_width: int, resize_side_min: int = _RESIZE_SIDE_MIN,
                         resize_side_max: int = _RESIZE_SIDE_MAX, use_grayscale: bool = False,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Preprocesses one ``[H, W, 3]`` image (0..255) for training.

    Args:
      image: the image.
      output_height, output_width: the crop size.
      resize_side_min, resize_side_max: the range of the smaller side before cropping.
      use_grayscale: convert to grey after cropping (Slim then fails on the three means, as here).
      generator: the random generator.

    Returns:
      ``[output_height, output_width, 3]`` float32 with the channel means subtracted.
    """
    side = image_ops.random_int(resize_side_min, resize_side_max + 1, generator)
    image = aspect_preserving_resize(image_ops.to_image(image), side)
    image = image_ops.random_crop(image, [output_height, output_width], generator).float()
    if use_grayscale:
        image = image_ops.rgb_to_grayscale(image)
    image = image_ops.random_flip_left_right(image, generator)
    return _mean_image_subtraction(image, [R_MEAN, G_MEAN, B_MEAN])


def preprocess_for_eval(image, output_height: int, output_width: int, resize_side: int,
                        use_grayscale: bool = False) -> torch.Tensor:
    """Preprocesses one ``[H, W, 3]`` image for evaluation (resize the smaller side, central crop, means)."""
    image = aspect_preserving_resize(image_ops.to_image(image), resize_side)
    image = _central_crop(image, output_height, output_width).float()
    if use_grayscale:
        image = image_ops.rgb_to_grayscale(image)
    return _mean_image_subtraction(image, [R_MEAN, G_MEAN, B_MEAN])


def preprocess_image(image, output_height: int, output_width: int, is_training: bool = False,
                     resize_side_min: int = _RESIZE_SIDE_MIN, resize_side_max: int = _RESIZE_SIDE_MAX,
                     use_grayscale: bool = False, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``vgg_preprocessing.preprocess_image`` (evaluation resizes to ``resize_side_min``)."""
    if is_training:
        return preprocess_for_train(image, output_height, output_width, resize_side_min, resize_side_max,
                                    use_grayscale, generator)
    return preprocess_for_eval(image, output_height, output_width, resize_side_min, use_grayscale)
