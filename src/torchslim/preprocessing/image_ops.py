"""The ``tf.image`` operations Slim's preprocessing uses, with TF's arithmetic, on ``[H, W, C]`` torch tensors.

Resizing is TF1's (``tf.compat.v1.image.resize_images``, what the Slim scripts ran): ``align_corners=False``
and no half-pixel centres, source coordinate ``= dst * in / out`` in float32. The four methods are
``ResizeMethod``'s numbers: 0 bilinear, 1 nearest neighbour, 2 bicubic (Keys, ``a = -0.75``), 3 area.
Random operations take a ``torch.Generator`` (``None``: torch's global one) and draw from the same
distributions as TF's ops (not the same numbers).
"""

from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

__all__ = [
    "BILINEAR", "NEAREST_NEIGHBOR", "BICUBIC", "AREA", "to_image", "convert_image_dtype", "resize_images",
    "resize_bilinear", "central_crop", "crop", "resize_image_with_crop_or_pad", "pad", "random_crop",
    "per_image_standardization", "rgb_to_grayscale", "adjust_brightness", "adjust_contrast", "adjust_saturation",
    "adjust_hue", "rgb_to_hsv", "hsv_to_rgb", "random_flip_left_right", "random_brightness", "random_contrast",
    "random_saturation", "random_hue", "sample_distorted_bounding_box", "random_uniform", "random_int",
]

BILINEAR, NEAREST_NEIGHBOR, BICUBIC, AREA = 0, 1, 2, 3
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)
_CUBIC_TABLE_SIZE = 1024


def to_image(image) -> torch.Tensor:
    """A ``[H, W, C]`` tensor from a tensor or numpy array (no copy when possible).

    Raises:
      ValueError: unless the image has rank 3.
    """
    image = torch.from_numpy(np.ascontiguousarray(image)) if isinstance(image, np.ndarray) else image
    if image.dim() != 3:
        raise ValueError(f"an image must be [height, width, channels], got shape {list(image.shape)}")
    return image


def random_uniform(low: float, high: float, generator: Optional[torch.Generator] = None) -> float:
    """A float uniform in ``[low, high)`` (``tf.random.uniform`` of one value)."""
    return low + (high - low) * float(torch.rand((), generator=generator))


def random_int(low: int, high: int, generator: Optional[torch.Generator] = None) -> int:
    """An int uniform in ``[low, high)`` (``tf.random.uniform(..., dtype=int32)``)."""
    return int(torch.randint(low, high, (), generator=generator))


def convert_image_dtype(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.convert_image_dtype(image, tf.float32)``: integers times ``1 / max`` (float32), floats as they are."""
    if image.is_floating_point():
        return image.float()
    return image.float() * torch.tensor(1.0 / torch.iinfo(image.dtype).max, dtype=torch.float32)


# ----------------------------------------------------------------------------------------------
# Resizing: each method is a per-axis interpolation from source coordinates ``dst * in / out``.

def _source_coordinates(in_size: int, out_size: int) -> torch.Tensor:
    scale = torch.tensor(in_size / out_size, dtype=torch.float32)
    return torch.arange(out_size, dtype=torch.float32) * scale


def _bilinear_axis(x: torch.Tensor, axis: int, out_size: int) -> torch.Tensor:
    in_size = x.shape[axis]
    src = _source_coordinates(in_size, out_size)
    low_f = src.floor()
    low = low_f.long().clamp(0, in_size - 1)
    high = src.ceil().long().clamp(0, in_size - 1)
    frac = (src - low_f).reshape([-1 if d == axis else 1 for d in range(x.dim())]).to(x.device)
    a, b = x.index_select(axis, low.to(x.device)), x.index_select(axis, high.to(x.device))
    return a + (b - a) * frac


def _nearest_axis(x: torch.Tensor, axis: int, out_size: int) -> torch.Tensor:
    in_size = x.shape[axis]
    index = _source_coordinates(in_size, out_size).floor().long().clamp_max(in_size - 1)
    return x.index_select(axis, index.to(x.device))


def _cubic_weights(t: torch.Tensor, a: float = -0.75) -> torch.Tensor:
    """Keys' cubic weights of the four taps at offsets -1, 0, 1, 2 for fractions ``t``."""
    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return torch.stack([far(t + 1), near(t), near(1 - t), far(2 - t)], -1)


def _cubic_matrix(in_size: int, out_size: int) -> torch.Tensor:
    """TF1's bicubic taps: the fraction is quantized to 1/1024, as TF's coefficient table is."""
    src = _source_coordinates(in_size, out_size)
    base = src.floor()
    weights = _cubic_weights(torch.round((src - base) * _CUBIC_TABLE_SIZE).double() / _CUBIC_TABLE_SIZE).float()
    taps = (base.long()[:, None] + torch.arange(-1, 3)[None]).clamp(0, in_size - 1)
    matrix = torch.zeros(out_size, in_size, dtype=torch.float32)
    return matrix.scatter_add_(1, taps, weights)


def _area_matrix(in_size: int, out_size: int) -> torch.Tensor:
    scale = in_size / out_size
    matrix = torch.zeros(out_size, in_size, dtype=torch.float64)
    for out in range(out_size):
        start, end = out * scale, (out + 1) * scale
        for i in range(int(math.floor(start)), int(math.ceil(end))):
            weight = min(i + 1, end) - max(i, start)
            matrix[out, min(max(i, 0), in_size - 1)] += weight / scale
    return matrix.float()


def _matrix_axis(x: torch.Tensor, axis: int, matrix: torch.Tensor) -> torch.Tensor:
    moved = x.movedim(axis, 0)
    out = torch.tensordot(matrix.to(x.device), moved, dims=([1], [0]))
    return out.movedim(0, axis)


def _resize_axis(x: torch.Tensor, axis: int, out_size: int, method: int) -> torch.Tensor:
    in_size = x.shape[axis]
    if method == NEAREST_NEIGHBOR:
        return _nearest_axis(x, axis, out_size)
    if in_size == out_size:
        return x
    if method == BILINEAR:
        return _bilinear_axis(x, axis, out_size)
    if method == BICUBIC:
        return _matrix_axis(x, axis, _cubic_matrix(in_size, out_size))
    if method == AREA:
        return _matrix_axis(x, axis, _area_matrix(in_size, out_size))
    raise ValueError(f"resize method {method} is not one of 0 (bilinear), 1 (nearest), 2 (bicubic), 3 (area)")


def resize_images(image: torch.Tensor, size: Sequence[int], method: int = BILINEAR) -> torch.Tensor:
    """``tf.compat.v1.image.resize_images(image, size, method)`` for ``[H, W, C]`` or ``[N, H, W, C]``.

    Returns float32 (nearest neighbour keeps the dtype, as TF does).

    Raises:
      ValueError: for an unknown method or a non-positive size.
    """
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"resize size must be positive, got {[out_h, out_w]}")
    x = image if method == NEAREST_NEIGHBOR else image.float()
    offset = x.dim() - 3
    return _resize_axis(_resize_axis(x, offset, out_h, method), offset + 1, out_w, method)


def resize_bilinear(image: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """``tf.compat.v1.image.resize_bilinear(image, size, align_corners=False)`` (float32)."""
    return resize_images(image, size, BILINEAR)


# ----------------------------------------------------------------------------------------------
# Cropping and padding.

def crop(image: torch.Tensor, offset_height: int, offset_width: int, crop_height: int,
         crop_width: int) -> torch.Tensor:
    """``image[offset_height : +crop_height, offset_width : +crop_width]``.

    Raises:
      ValueError: ``Crop size greater than the image size`` when the window leaves the image.
    """
    height, width = image.shape[0], image.shape[1]
    if (offset_height < 0 or offset_width < 0 or offset_height + crop_height > height
            or offset_width + crop_width > width):
        raise ValueError(f"Crop size greater than the image size: {crop_height}x{crop_width} at "
                         f"({offset_height}, {offset_width}) of a {height}x{width} image")
    return image[offset_height:offset_height + crop_height, offset_width:offset_width + crop_width]


def central_crop(image: torch.Tensor, central_fraction: float) -> torch.Tensor:
    """``tf.image.central_crop``: start ``int((size - size * fraction) / 2)`` (double), symmetric.

    Raises:
      ValueError: unless ``0 < central_fraction <= 1``.
    """
    if not 0.0 < central_fraction <= 1.0:
        raise ValueError("central_fraction must be within (0, 1]")
    if central_fraction == 1.0:
        return image
    height, width = image.shape[0], image.shape[1]
    top = int((float(height) - float(height) * central_fraction) / 2)
    left = int((float(width) - float(width) * central_fraction) / 2)
    return image[top:height - top, left:width - left]


def pad(image: torch.Tensor, top: int, bottom: int, left: int, right: int) -> torch.Tensor:
    """Zero padding of the two spatial axes (``tf.pad`` with ``[[top, bottom], [left, right], [0, 0]]``)."""
    out = image.new_zeros((image.shape[0] + top + bottom, image.shape[1] + left + right, image.shape[2]))
    out[top:top + image.shape[0], left:left + image.shape[1]] = image
    return out


def resize_image_with_crop_or_pad(image: torch.Tensor, target_height: int, target_width: int) -> torch.Tensor:
    """``tf.image.resize_image_with_crop_or_pad``: central crop where larger, zero pad where smaller."""
    height, width = image.shape[0], image.shape[1]
    crop_top, crop_left = max((height - target_height) // 2, 0), max((width - target_width) // 2, 0)
    image = image[crop_top:crop_top + min(target_height, height), crop_left:crop_left + min(target_width, width)]
    pad_top, pad_left = max((target_height - height) // 2, 0), max((target_width - width) // 2, 0)
    return pad(image, pad_top, target_height - image.shape[0] - pad_top, pad_left,
               target_width - image.shape[1] - pad_left)


def random_crop(image: torch.Tensor, size: Sequence[int], generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``tf.image.random_crop`` of ``[H, W, C]`` to ``size`` (``[h, w]`` or ``[h, w, C]``); offsets uniform.

    Raises:
      ValueError: if the crop is larger than the image.
    """
    crop_height, crop_width = int(size[0]), int(size[1])
    if len(size) > 2 and int(size[2]) != image.shape[2]:
        raise ValueError(f"random_crop size {list(size)} does not keep the image's {image.shape[2]} channels")
    if crop_height > image.shape[0] or crop_width > image.shape[1]:
        raise ValueError(f"Need value.shape >= size, got {list(image.shape)} and {list(size)}")
    top = random_int(0, image.shape[0] - crop_height + 1, generator)
    left = random_int(0, image.shape[1] - crop_width + 1, generator)
    return crop(image, top, left, crop_height, crop_width)


# ----------------------------------------------------------------------------------------------
# Colour.

def per_image_standardization(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.per_image_standardization``: ``(x - mean) / max(std, 1 / sqrt(num_values))`` (float32)."""
    x = image.float()
    mean = x.mean()
    std = ((x - mean) ** 2).mean().sqrt()
    return (x - mean) / torch.maximum(std, torch.tensor(1.0 / math.sqrt(x.numel())))


def rgb_to_grayscale(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.rgb_to_grayscale``: ``[H, W, 1]``, weights 0.2989, 0.5870, 0.1140 (integers are rounded back)."""
    weights = torch.tensor(_GRAY_WEIGHTS, dtype=torch.float32, device=image.device)
    if image.is_floating_point():
        return (image.float() @ weights)[..., None].to(image.dtype)
    scale = float(torch.iinfo(image.dtype).max)
    gray = (image.float() / scale) @ weights
    return (gray * scale + 0.5).clamp(0, scale).to(image.dtype)[..., None]


def adjust_brightness(image: torch.Tensor, delta: float) -> torch.Tensor:
    """``tf.image.adjust_brightness`` of a float image: ``x + delta``."""
    return image + delta


def adjust_contrast(image: torch.Tensor, contrast_factor: float) -> torch.Tensor:
    """``tf.image.adjust_contrast``: each channel ``(x - mean) * factor + mean`` (mean over the pixels)."""
    mean = image.mean(dim=(0, 1), keepdim=True)
    return (image - mean) * contrast_factor + mean


def rgb_to_hsv(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.rgb_to_hsv`` for float RGB in [0, 1]; hue in [0, 1)."""
    r, g, b = image.unbind(-1)
    value, _ = image.max(-1)
    minimum, _ = image.min(-1)
    delta = value - minimum
    saturation = torch.where(value > 0, delta / value.clamp_min(1e-30), torch.zeros_like(value))
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    hue = torch.where(value == r, (g - b) / safe,
                      torch.where(value == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe)) / 6.0
    hue = torch.where(hue < 0, hue + 1.0, hue)
    return torch.stack([torch.where(delta > 0, hue, torch.zeros_like(hue)), saturation, value], -1)


def hsv_to_rgb(image: torch.Tensor) -> torch.Tensor:
    """``tf.image.hsv_to_rgb``, the inverse of :func:`rgb_to_hsv`."""
    hue, saturation, value = image.unbind(-1)
    h6 = (hue - hue.floor()) * 6.0

    def channel(n: float) -> torch.Tensor:
        k = torch.remainder(n + h6, 6.0)
        return value - value * saturation * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0)
    return torch.stack([channel(5.0), channel(3.0), channel(1.0)], -1)


def _require_rgb(image: torch.Tensor, op: str) -> None:
    if image.shape[-1] != 3:
        raise ValueError(f"{op} needs an RGB image (3 channels), got {image.shape[-1]}")


def adjust_saturation(image: torch.Tensor, saturation_factor: float) -> torch.Tensor:
    """``tf.image.adjust_saturation``: HSV saturation times the factor, clipped to [0, 1].

    Raises:
      ValueError: unless the image has 3 channels.
    """
    _require_rgb(image, "adjust_saturation")
    hue, saturation, value = rgb_to_hsv(image).unbind(-1)
    return hsv_to_rgb(torch.stack([hue, (saturation * saturation_factor).clamp(0.0, 1.0), value], -1))


def adjust_hue(image: torch.Tensor, delta: float) -> torch.Tensor:
    """``tf.image.adjust_hue``: HSV hue plus ``delta`` (in [-1, 1]), wrapped to [0, 1).

    Raises:
      ValueError: unless the image has 3 channels.
    """
    _require_rgb(image, "adjust_hue")
    hue, saturation, value = rgb_to_hsv(image).unbind(-1)
    hue = torch.remainder(hue + delta, 1.0)
    return hsv_to_rgb(torch.stack([hue, saturation, value], -1))


def random_flip_left_right(image: torch.Tensor, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``tf.image.random_flip_left_right``: mirrored with probability 1/2."""
    return image.flip(1) if float(torch.rand((), generator=generator)) < 0.5 else image


def random_brightness(image: torch.Tensor, max_delta: float, generator=None) -> torch.Tensor:
    """``tf.image.random_brightness``: delta uniform in ``[-max_delta, max_delta)``."""
    return adjust_brightness(image, random_uniform(-max_delta, max_delta, generator))


def random_contrast(image: torch.Tensor, lower: float, upper: float, generator=None) -> torch.Tensor:
    """``tf.image.random_contrast``: factor uniform in ``[lower, upper)``."""
    return adjust_contrast(image, random_uniform(lower, upper, generator))


def random_saturation(image: torch.Tensor, lower: float, upper: float, generator=None) -> torch.Tensor:
    """``tf.image.random_saturation``: factor uniform in ``[lower, upper)``."""
    return adjust_saturation(image, random_uniform(lower, upper, generator))


def random_hue(image: torch.Tensor, max_delta: float, generator=None) -> torch.Tensor:
    """``tf.image.random_hue``: delta uniform in ``[-max_delta, max_delta)``."""
    return adjust_hue(image, random_uniform(-max_delta, max_delta, generator))


# ----------------------------------------------------------------------------------------------
# sample_distorted_bounding_box: TF's kernel (image/sample_distorted_bounding_box_op.cc).

def _lrint(value: float) -> int:
    return int(np.rint(np.float32(value)))


def _random_crop_rect(height: int, width: int, area_range: Tuple[float, float], aspect: float,
                      generator) -> Optional[Tuple[int, int, int, int]]:
    """One attempt of TF's ``GenerateRandomCrop``: ``(top, left, h, w)`` or None."""
    min_area, max_area = area_range[0] * width * height, area_range[1] * width * height
    crop_h = _lrint(math.sqrt(min_area / aspect))
    max_h = _lrint(math.sqrt(max_area / aspect))
    if _lrint(max_h * aspect) > width:
        max_h = int((width + 0.5 - 1e-7) / aspect)
        if _lrint(max_h * aspect) > width:
            max_h -= 1
    max_h = min(max_h, height)
    crop_h = min(crop_h, max_h)
    if crop_h < max_h:
        crop_h += random_int(0, max_h - crop_h + 1, generator)
    crop_w = _lrint(crop_h * aspect)
    if crop_w * crop_h < min_area:
        crop_h += 1
        crop_w = _lrint(crop_h * aspect)
    if crop_w * crop_h > max_area:
        crop_h -= 1
        crop_w = _lrint(crop_h * aspect)
    area = crop_w * crop_h
    if area < min_area or area > max_area or crop_w > width or crop_h > height or crop_w <= 0 or crop_h <= 0:
        return None
    top = 0 if crop_h == height else random_int(0, height - crop_h, generator)
    left = 0 if crop_w == width else random_int(0, width - crop_w, generator)
    return top, left, crop_h, crop_w


def _covers(rect: Tuple[int, int, int, int], boxes: np.ndarray, min_object_covered: float) -> bool:
    top, left, crop_h, crop_w = rect
    for y0, x0, y1, x1 in boxes:
        box_area = (y1 - y0) * (x1 - x0)
        if box_area <= 0:
            continue
        inter = max(0.0, min(y1, top + crop_h) - max(y0, top)) * max(0.0, min(x1, left + crop_w) - max(x0, left))
        if inter / box_area >= min_object_covered:
            return True
    return False


def sample_distorted_bounding_box(image_size: Sequence[int], bounding_boxes=None, min_object_covered: float = 0.1,
                                  aspect_ratio_range: Tuple[float, float] = (0.75, 1.33),
                                  area_range: Tuple[float, float] = (0.05, 1.0), max_attempts: int = 100,
                                  generator: Optional[torch.Generator] = None) -> Tuple[int, int, int, int]:
    """``tf.image.sample_distorted_bounding_box(..., use_image_if_no_bounding_boxes=True)`` as a crop window.

    Args:
      image_size: ``(height, width[, channels])``.
      bounding_boxes: ``[..., 4]`` normalized ``ymin, xmin, ymax, xmax`` boxes (None or empty: the whole image).
      min_object_covered: the crop must hold at least this fraction of one box.
      aspect_ratio_range: width / height of the crop, drawn uniformly.
      area_range: the crop's area as a fraction of the image's.
      max_attempts: attempts before falling back to the whole image.
      generator: the random generator.

    Returns:
      ``(top, left, crop_height, crop_width)`` in pixels.
    """
    height, width = int(image_size[0]), int(image_size[1])
    boxes = np.zeros((0, 4)) if bounding_boxes is None else np.asarray(bounding_boxes, dtype=np.float64).reshape(-1, 4)
    if boxes.size == 0:
        boxes = np.array([[0.0, 0.0, 1.0, 1.0]])
    boxes = np.clip(boxes, 0.0, 1.0) * np.array([height, width, height, width])
    for _ in range(max_attempts):
        aspect = random_uniform(aspect_ratio_range[0], aspect_ratio_range[1], generator)
        rect = _random_crop_rect(height, width, area_range, aspect, generator)
        if rect is not None and _covers(rect, boxes, min_object_covered):
            return rect
    return 0, 0, height, width
