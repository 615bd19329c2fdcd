"""Slim's image preprocessing (``research/slim/preprocessing``) in PyTorch, on HWC / NHWC tensors.

* :func:`vgg_preprocess_image` (``vgg_preprocessing``; Slim uses it for ResNet v1 and VGG): training
  resizes the smaller side to a random value in ``[resize_side_min, resize_side_max]``, takes a random
  crop and a random left-right flip; evaluation resizes the smaller side to ``resize_side_min`` and
  takes the central crop. Both subtract the ImageNet channel means from 0..255 values.
* :func:`inception_preprocess_image` (``inception_preprocessing``; Slim uses it for ResNet v2 and the
  Inception nets): training takes a distorted bounding-box crop (TF's ``sample_distorted_bounding_box``
  with Slim's settings), resizes, flips and distorts the colours; evaluation takes the central 87.5%
  and resizes. Both give values in [-1, 1].

Resizing is TF1's ``resize_bilinear`` with ``align_corners=False`` (no half-pixel centres), what the
Slim scripts ran, so pixels line up with TF-Slim's. Random choices use ``torch``'s global generator
(or ``generator=``). Colour distortions (saturation, hue) apply to 3-channel images only.
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch

__all__ = [
    "resize_bilinear", "central_crop", "convert_image_dtype", "vgg_preprocess_image", "inception_preprocess_image",
    "sample_distorted_bounding_box", "distort_color", "rgb_to_hsv", "hsv_to_rgb", "get_preprocessing",
    "preprocess_batch", "VGG_MEANS",
]

VGG_MEANS = (123.68, 116.78, 103.94)
_RESIZE_SIDE_MIN = 256
_RESIZE_SIDE_MAX = 512


def _uniform(low: float, high: float, generator: Optional[torch.Generator]) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def _randint(low: int, high: int, generator: Optional[torch.Generator]) -> int:
    """Uniform integer in ``[low, high)``."""
    return int(torch.randint(low, high, (), generator=generator))


# ----------------------------------------------------------------------------------------------
# Geometry.

def resize_bilinear(images: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """TF1 ``resize_bilinear(align_corners=False)``: source ``= dst * in / out``, no half-pixel offset.

    Args:
      images: ``[H, W, C]`` or ``[N, H, W, C]``, any real dtype (computed in float32).
      size: ``(out_height, out_width)``.

    Returns:
      float32 images of the new size, same rank.
    """
    single = images.dim() == 3
    x = (images[None] if single else images).float()
    out_h, out_w = int(size[0]), int(size[1])
    x = _lerp_axis(x, 1, out_h)
    x = _lerp_axis(x, 2, out_w)
    return x[0] if single else x


def _lerp_axis(x: torch.Tensor, axis: int, out_size: int) -> torch.Tensor:
    in_size = x.shape[axis]
    if in_size == out_size:
        return x
    scale = in_size / out_size
    src = torch.arange(out_size, dtype=torch.float32) * scale
    low = src.floor().long().clamp_max(in_size - 1)
    high = (low + 1).clamp_max(in_size - 1)
    frac = (src - low.float()).reshape([-1 if d == axis else 1 for d in range(x.dim())])
    a, b = x.index_select(axis, low.to(x.device)), x.index_select(axis, high.to(x.device))
    return a + (b - a) * frac.to(x.device)


def _crop(image: torch.Tensor, top: int, left: int, height: int, width: int) -> torch.Tensor:
    if top < 0 or left < 0 or top + height > image.shape[0] or left + width > image.shape[1]:
        raise ValueError(f"Crop size greater than the image size: crop {height}x{width} at ({top}, {left}) "
                         f"of a {image.shape[0]}x{image.shape[1]} image")
    return image[top:top + height, left:left + width]


def central_crop(image: torch.Tensor, central_fraction: float) -> torch.Tensor:
    """``tf.image.central_crop``: keeps the central ``central_fraction`` of each side.

    Raises:
      ValueError: unless ``0 < central_fraction <= 1``.
    """
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return image
    height, width = image.shape[0], image.shape[1]
    top = int((height - height * central_fraction) / 2)
    left = int((width - width * central_fraction) / 2)
    return image[top:height - top, left:width - left]


def _smallest_size_at_least(height: int, width: int, smallest_side: int) -> Tuple[int, int]:
    """The size whose smaller side is ``smallest_side``: float32 arithmetic rounded half to even (``tf.rint``)."""
    h, w, side = np.float32(height), np.float32(width), np.float32(smallest_side)
    scale = side / w if height > width else side / h
    return int(np.rint(h * scale)), int(np.rint(w * scale))


def aspect_preserving_resize(image: torch.Tensor, smallest_side: int) -> torch.Tensor:
    """Resizes so the smaller side is ``smallest_side``, keeping the aspect ratio (float32 result)."""
    return resize_bilinear(image, _smallest_size_at_least(image.shape[0], image.shape[1], smallest_side))


def random_flip_left_right(image: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Mirrors the image with probability 1/2."""
    return image.flip(1) if float(torch.rand((), generator=generator)) < 0.5 else image


def convert_image_dtype(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.convert_image_dtype`` to float32: integers scale to [0, 1] by their max value."""
    if image.is_floating_point():
        return image.float()
    return image.float() / float(torch.iinfo(image.dtype).max)


# ----------------------------------------------------------------------------------------------
# VGG preprocessing.

def _mean_image_subtraction(image: torch.Tensor, means: Sequence[float]) -> torch.Tensor:
    if image.dim() != 3:
        raise ValueError("Input must be of size [height, width, C>0]")
    if len(means) != image.shape[-1]:
        raise ValueError("len(means) must match the number of channels")
    return image - torch.tensor(means, dtype=image.dtype, device=image.device)


def vgg_preprocess_image(image: torch.Tensor, output_height: int, output_width: int, is_training: bool = False,
                         resize_side_min: int = _RESIZE_SIDE_MIN, resize_side_max: int = _RESIZE_SIDE_MAX,
                         generator: Optional[torch.Generator] = None,
                         means: Sequence[float] = VGG_MEANS) -> torch.Tensor:
    """Slim's ``vgg_preprocessing.preprocess_image`` for one ``[H, W, C]`` image (values 0..255).

    Args:
      image: ``[H, W, C]`` uint8 or float (0..255).
      output_height, output_width: the crop size.
      is_training: random resize, crop and flip; otherwise resize to ``resize_side_min`` + central crop.
      resize_side_min, resize_side_max: range of the smaller side for training (evaluation uses min).
      generator: random generator (default: torch's global one).
      means: channel means to subtract (one per channel).

    Returns:
      ``[output_height, output_width, C]`` float32, mean-subtracted.
    """
    if is_training:
        side = _randint(resize_side_min, resize_side_max + 1, generator)
        image = aspect_preserving_resize(image, side)
        top = _randint(0, image.shape[0] - output_height + 1, generator)
        left = _randint(0, image.shape[1] - output_width + 1, generator)
        image = random_flip_left_right(_crop(image, top, left, output_height, output_width), generator)
    else:
        image = aspect_preserving_resize(image, resize_side_min)
        top, left = (image.shape[0] - output_height) // 2, (image.shape[1] - output_width) // 2
        image = _crop(image, top, left, output_height, output_width)
    return _mean_image_subtraction(image.float(), means[: image.shape[-1]] if image.shape[-1] == 1 else means)


# ----------------------------------------------------------------------------------------------
# Inception preprocessing.

def sample_distorted_bounding_box(height: int, width: int, min_object_covered: float = 0.1,
                                  aspect_ratio_range: Tuple[float, float] = (0.75, 1.33),
                                  area_range: Tuple[float, float] = (0.05, 1.0), max_attempts: int = 100,
                                  generator: Optional[torch.Generator] = None) -> Tuple[int, int, int, int]:
    """A random crop ``(top, left, crop_height, crop_width)`` as ``tf.image.sample_distorted_bounding_box``.

    The object is the whole image (Slim's default box). Each attempt draws an aspect ratio and a
    height giving an area in ``area_range``; the first crop that fits and covers at least
    ``min_object_covered`` of the image is taken; after ``max_attempts`` failures, the whole image.
    """
    area = height * width
    for _ in range(max_attempts):
        aspect = _uniform(aspect_ratio_range[0], aspect_ratio_range[1], generator)
        min_h = int(round(math.sqrt(area_range[0] * area / aspect)))
        max_h = int(round(math.sqrt(area_range[1] * area / aspect)))
        if round(max_h * aspect) > width:
            max_h = int((width + 0.5 - 1e-7) / aspect)
        max_h = min(max_h, height)
        if min_h > max_h:
            continue
        crop_h = _randint(min_h, max_h + 1, generator)
        crop_w = int(round(crop_h * aspect))
        crop_area = crop_h * crop_w
        if crop_w > width or crop_w < 1 or crop_h < 1:
            continue
        if not (area_range[0] * area <= crop_area <= area_range[1] * area):
            continue
        if crop_area < min_object_covered * area:
            continue
        top = _randint(0, height - crop_h + 1, generator)
        left = _randint(0, width - crop_w + 1, generator)
        return top, left, crop_h, crop_w
    return 0, 0, height, width


def rgb_to_hsv(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.rgb_to_hsv`` for float images in [0, 1], channels last; hue in [0, 1)."""
    r, g, b = image.unbind(-1)
    value, _ = image.max(-1)
    minimum, _ = image.min(-1)
    delta = value - minimum
    saturation = torch.where(value > 0, delta / value.clamp_min(1e-12), torch.zeros_like(value))
    safe = delta.clamp_min(1e-12)
    hue = torch.where(value == r, (g - b) / safe,
                      torch.where(value == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    hue = torch.where(delta > 0, (hue / 6.0) % 1.0, torch.zeros_like(hue))
    return torch.stack([hue, saturation, value], -1)


def hsv_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.hsv_to_rgb``, the inverse of :func:`rgb_to_hsv`."""
    hue, saturation, value = image.unbind(-1)
    h6 = (hue % 1.0) * 6.0
    def channel(n: float) -> torch.Tensor:
        k = (n + h6) % 6.0
        return value - value * saturation * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return torch.stack([channel(5.0), channel(3.0), channel(1.0)], -1)


def _adjust_saturation(image: torch.Tensor, factor: float) -> torch.Tensor:
    hsv = rgb_to_hsv(image)
    hsv = torch.stack([hsv[..., 0], (hsv[..., 1] * factor).clamp(0.0, 1.0), hsv[..., 2]], -1)
    return hsv_to_rgb(hsv)


def _adjust_hue(image: torch.Tensor, delta: float) -> torch.Tensor:
    hsv = rgb_to_hsv(image)
    return hsv_to_rgb(torch.stack([(hsv[..., 0] + delta) % 1.0, hsv[..., 1], hsv[..., 2]], -1))


def _adjust_contrast(image: torch.Tensor, factor: float) -> torch.Tensor:
    mean = image.mean(dim=(0, 1), keepdim=True)
    return (image - mean) * factor + mean


def distort_color(image: torch.Tensor, color_ordering: int = 0, fast_mode: bool = True,
                  generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``distort_color`` for a float ``[H, W, C]`` image in [0, 1]; the result is clipped to [0, 1].

    Brightness (±32/255), saturation (×[0.5, 1.5]) and, unless ``fast_mode``, hue (±0.2) and contrast
    (×[0.5, 1.5]), in one of four orders. Saturation and hue are skipped for non-RGB images.

    Raises:
      ValueError: if ``color_ordering`` is not in [0, 3].
    """
    if color_ordering not in (0, 1, 2, 3):
        raise ValueError("color_ordering must be in [0, 3]")
    rgb = image.shape[-1] == 3
    ops = {
        "brightness": lambda x: x + _uniform(-32.0 / 255.0, 32.0 / 255.0, generator),
        "saturation": lambda x: _adjust_saturation(x, _uniform(0.5, 1.5, generator)) if rgb else x,
        "hue": lambda x: _adjust_hue(x, _uniform(-0.2, 0.2, generator)) if rgb else x,
        "contrast": lambda x: _adjust_contrast(x, _uniform(0.5, 1.5, generator)),
    }
    if fast_mode:
        order = ("brightness", "saturation") if color_ordering == 0 else ("saturation", "brightness")
    else:
        order = (("brightness", "saturation", "hue", "contrast"), ("saturation", "brightness", "contrast", "hue"),
                 ("contrast", "hue", "brightness", "saturation"),
                 ("hue", "saturation", "contrast", "brightness"))[color_ordering]
    for name in order:
        image = ops[name](image)
    return image.clamp(0.0, 1.0)


def inception_preprocess_image(image: torch.Tensor, height: int, width: int, is_training: bool = False,
                               fast_mode: bool = True, central_fraction: Optional[float] = 0.875,
                               generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Slim's ``inception_preprocessing.preprocess_image`` for one ``[H, W, C]`` image.

    Args:
      image: uint8 (0..255) or float (0..1) ``[H, W, C]``.
      height, width: output size.
      is_training: distorted crop, flip and colour distortion; otherwise central crop.
      fast_mode: skip hue and contrast (training). Slim's slow mode also resizes with one of four
        methods at random; here resizing is always bilinear.
      central_fraction: evaluation's central crop (None or 1: none).
      generator: random generator (default: torch's global one).

    Returns:
      ``[height, width, C]`` float32 in [-1, 1].
    """
    image = convert_image_dtype(image)
    if is_training:
        top, left, crop_h, crop_w = sample_distorted_bounding_box(image.shape[0], image.shape[1],
                                                                  generator=generator)
        image = resize_bilinear(_crop(image, top, left, crop_h, crop_w), (height, width))
        image = random_flip_left_right(image, generator)
        image = distort_color(image, _randint(0, 4, generator), fast_mode, generator)
    else:
        if central_fraction:
            image = central_crop(image, central_fraction)
        if height and width:
            image = resize_bilinear(image, (height, width))
    return (image - 0.5) * 2.0


# ----------------------------------------------------------------------------------------------
# Factory.

_BY_PREFIX = (("resnet_v1", "vgg"), ("vgg", "vgg"), ("resnet_v2", "inception"), ("inception", "inception"))


def get_preprocessing(name: str, is_training: bool = False) -> Callable[..., torch.Tensor]:
    """Slim's ``preprocessing_factory.get_preprocessing``: ``fn(image, height, width) -> image``.

    ``name`` is a preprocessing name (``vgg``, ``inception``) or a net name (``resnet_v1_*`` -> vgg,
    ``resnet_v2_*`` and ``inception*`` -> inception, as the factory maps them).

    Raises:
      ValueError: for an unknown name.
    """
    kind = name if name in ("vgg", "inception") else next((k for p, k in _BY_PREFIX if name.startswith(p)), None)
    if kind is None:
        raise ValueError(f"Preprocessing name [{name}] was not recognized; use vgg, inception or a net name")
    fn = vgg_preprocess_image if kind == "vgg" else inception_preprocess_image

    def preprocessing_fn(image: torch.Tensor, output_height: int, output_width: int, **kwargs) -> torch.Tensor:
        return fn(image, output_height, output_width, is_training=is_training, **kwargs)

    return preprocessing_fn


def preprocess_batch(images: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """Applies a one-image preprocessing ``fn`` to each image of an ``[N, H, W, C]`` batch."""
    return torch.stack([fn(image) for image in images])
