"""Slim's ``inception_preprocessing`` (Inception, MobileNet, NASNet, ...): values in [-1, 1].

Training: to float in [0, 1]; a crop from ``sample_distorted_bounding_box`` (the image's boxes or
the whole image; coverage 0.1, aspect 0.75..1.33, area 0.05..1, 100 attempts); resize to the output
size (bilinear; outside ``fast_mode`` one of the four methods at random); a random flip; colour
distortion (``fast_mode``: brightness then saturation; otherwise one of four orderings of
brightness, saturation, hue and contrast, at random), clipped to [0, 1]; then ``(x - 0.5) * 2``.
Evaluation: to float, the central ``central_fraction`` (0.875), bilinear resize, ``(x - 0.5) * 2``.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch

from . import image_ops

__all__ = ["apply_with_random_selector", "distort_color", "distorted_bounding_box_crop", "preprocess_for_train",
           "preprocess_for_eval", "preprocess_image"]

_BRIGHTNESS = 32.0 / 255.0
_ORDERINGS = (("brightness", "saturation", "hue", "contrast"), ("saturation", "brightness", "contrast", "hue"),
              ("contrast", "hue", "brightness", "saturation"), ("hue", "saturation", "contrast", "brightness"))


def apply_with_random_selector(x, func, num_cases: int, generator: Optional[torch.Generator] = None):
    """``func(x, sel)`` with ``sel`` uniform in ``[0, num_cases)``."""
    return func(x, image_ops.random_int(0, num_cases, generator))


def _colour_op(name: str, image: torch.Tensor, generator) -> torch.Tensor:
    if name == "brightness":
        return image_ops.random_brightness(image, _BRIGHTNESS, generator)
    if name == "saturation":
        return image_ops.random_saturation(image, 0.5, 1.5, generator)
    if name == "hue":
        return image_ops.random_hue(image, 0.2, generator)
    return image_ops.random_contrast(image, 0.5, 1.5, generator)


def distort_color(image: torch.Tensor, color_ordering: int = 0, fast_mode: bool = True, scope=None,
                  generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``distort_color`` of a float RGB ``[H, W, 3]`` image in [0, 1]; the result is clipped to [0, 1].

    Raises:
      ValueError: if ``color_ordering`` is not in [0, 3], or the image is not RGB.
    """
    del scope
    if color_ordering not in (0, 1, 2, 3):
        raise ValueError("color_ordering must be in [0, 3]")
    if fast_mode:
        order = ("brightness", "saturation") if color_ordering == 0 else ("saturation", "brightness")
    else:
        order = _ORDERINGS[color_ordering]
    for name in order:
        image = _colour_op(name, image, generator)
    return image.clamp(0.0, 1.0)


def distorted_bounding_box_crop(image: torch.Tensor, bbox=None, min_object_covered: float = 0.1,
                                aspect_ratio_range: Tuple[float, float] = (0.75, 1.33),
                                area_range: Tuple[float, float] = (0.05, 1.0), max_attempts: int = 100,
                                scope=None, generator: Optional[torch.Generator] = None):
    """The crop of ``image`` chosen by ``sample_distorted_bounding_box``; returns ``(crop, (top, left, h, w))``."""
    del scope
    window = image_ops.sample_distorted_bounding_box(image.shape, bbox, min_object_covered, aspect_ratio_range,
                                                     area_range, max_attempts, generator)
    return image_ops.crop(image, *window), window


def preprocess_for_train(image, height: int, width: int, bbox=None, fast_mode: bool = True, scope=None,
                         add_image_summaries: bool = True, random_crop: bool = True, use_grayscale: bool = False,
                         generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Distorts one ``[H, W, 3]`` image for training.

    Args:
      image: uint8 (0..255) or float (0..1).
      height, width: the output size.
      bbox: ``[..., 4]`` normalized ``ymin, xmin, ymax, xmax`` boxes (None: the whole image).
      fast_mode: bilinear resizing only, no hue / contrast, one colour ordering.
      scope, add_image_summaries: accepted for Slim's signature (no graph, no summaries).
      random_crop: take the distorted bounding-box crop (else resize the whole image).
      use_grayscale: convert to grey after the colour distortion.
      generator: the random generator.

    Returns:
      ``[height, width, C]`` float32 in [-1, 1].
    """
    del scope, add_image_summaries
    image = image_ops.convert_image_dtype(image_ops.to_image(image))
    if random_crop:
        image, _ = distorted_bounding_box_crop(image, bbox, generator=generator)
    image = apply_with_random_selector(image, lambda x, method: image_ops.resize_images(x, [height, width], method),
                                       1 if fast_mode else 4, generator)
    image = image_ops.random_flip_left_right(image, generator)
    image = apply_with_random_selector(image, lambda x, ordering: distort_color(x, ordering, fast_mode,
                                                                               generator=generator),
                                       1 if fast_mode else 4, generator)
    if use_grayscale:
        image = image_ops.rgb_to_grayscale(image)
    return (image - 0.5) * 2.0


def preprocess_for_eval(image, height: int, width: int, central_fraction: Optional[float] = 0.875, scope=None,
                        central_crop: bool = True, use_grayscale: bool = False) -> torch.Tensor:
    """Prepares one ``[H, W, C]`` image for evaluation (central crop, bilinear resize, [-1, 1])."""
    del scope
    image = image_ops.convert_image_dtype(image_ops.to_image(image))
    if central_crop and central_fraction:
        image = image_ops.central_crop(image, central_fraction)
    if height and width:
        image = image_ops.resize_bilinear(image, [height, width])
    if use_grayscale:
        image = image_ops.rgb_to_grayscale(image)
    return (image - 0.5) * 2.0


def preprocess_image(image, height: int, width: int, is_training: bool = False, bbox=None, fast_mode: bool = True,
                     add_image_summaries: bool = True, crop_image: bool = True, use_grayscale: bool = False,
                     generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``inception_preprocessing.preprocess_image``: training or evaluation preprocessing of one image."""
    if is_training:
        return preprocess_for_train(image, height, width, bbox, fast_mode, add_image_summaries=add_image_summaries,
                                    random_crop=crop_image, use_grayscale=use_grayscale, generator=generator)
    return preprocess_for_eval(image, height, width, central_crop=crop_image, use_grayscale=use_grayscale)
