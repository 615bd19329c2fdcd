"""``tf.image`` resizing with TF1's exact sampling (NHWC, or HWC for one image).

``resize_bilinear`` / ``resize_nearest_neighbor`` / ``resize_images`` (= ``tf.compat.v1.image.resize``)
take TF1's ``align_corners`` and ``half_pixel_centers`` (both False by default). The sampling is
:mod:`torchslim.ops.image`'s (TF's kernels); this module adds ``tf.image``'s argument checks and
single-image (HWC) inputs.
"""

from __future__ import annotations

import types
from typing import Optional, Tuple

import torch

from torchslim.compat.array_ops import convert_to_tensor
from torchslim.ops import image as image_ops

__all__ = ["ResizeMethod", "resize_bilinear", "resize_nearest_neighbor", "resize_images", "resize", "image"]

ResizeMethod = types.SimpleNamespace(BILINEAR=0, NEAREST_NEIGHBOR=1, BICUBIC=2, AREA=3)
ResizeMethod.__doc__ = "``tf.image.ResizeMethod`` (TF1's integer values)."


def _check(images: torch.Tensor, size, align_corners: bool, half_pixel_centers: bool, what: str):
    if align_corners and half_pixel_centers:
        raise ValueError(f"tf.image.{what}: align_corners and half_pixel_centers cannot both be True")
    if images.dim() not in (3, 4):
        raise ValueError(f"tf.image.{what}: images must be NHWC or HWC, got shape {list(images.shape)}")
    out = [int(s) for s in (size.tolist() if torch.is_tensor(size) else size)]
    if len(out) != 2 or min(out) <= 0:
        raise ValueError(f"tf.image.{what}: size must be [new_height, new_width] > 0, got {out}")
    return out


def _batched(images: torch.Tensor) -> Tuple[torch.Tensor, bool]:
    return (images.unsqueeze(0), True) if images.dim() == 3 else (images, False)


def _resize(images, size, align_corners: bool, half_pixel_centers: bool, what: str, sample) -> torch.Tensor:
    """Checks the arguments, batches a single HWC image, and applies ``sample(x, out_h, out_w)``."""
    images = convert_to_tensor(images)
    out_h, out_w = _check(images, size, align_corners, half_pixel_centers, what)
    x, single = _batched(images)
    x = sample(x, out_h, out_w)
    return x[0] if single else x


def resize_bilinear(images, size, align_corners: bool = False, name: Optional[str] = None,
                    half_pixel_centers: bool = False) -> torch.Tensor:
    """``tf.compat.v1.image.resize_bilinear``: float32 output of ``[N, new_h, new_w, C]``.

    Raises:
      ValueError: a bad rank or size, or both ``align_corners`` and ``half_pixel_centers``.
    """
    def sample(x, out_h, out_w):
        return image_ops.resize_bilinear(x, (out_h, out_w), align_corners, half_pixel_centers)

    return _resize(images, size, align_corners, half_pixel_centers, "resize_bilinear", sample)


def resize_nearest_neighbor(images, size, align_corners: bool = False, name: Optional[str] = None,
                            half_pixel_centers: bool = False) -> torch.Tensor:
    """``tf.compat.v1.image.resize_nearest_neighbor``: ``[N, new_h, new_w, C]`` in the input's dtype.

    Raises:
      ValueError: a bad rank or size, or both ``align_corners`` and ``half_pixel_centers``.
    """
    def sample(x, out_h, out_w):
        return image_ops.resize_nearest_neighbor(x, (out_h, out_w), align_corners, half_pixel_centers)

    return _resize(images, size, align_corners, half_pixel_centers, "resize_nearest_neighbor", sample)


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners: bool = False,
                  preserve_aspect_ratio: bool = False, name: Optional[str] = None) -> torch.Tensor:
    """``tf.compat.v1.image.resize_images`` (also ``tf.compat.v1.image.resize``): BILINEAR or NEAREST_NEIGHBOR.

    Raises:
      ValueError: BICUBIC or AREA (not supported), or ``preserve_aspect_ratio``.
    """
    method = {"bilinear": 0, "nearest": 1}.get(method, method) if isinstance(method, str) else method
    if preserve_aspect_ratio:
        raise ValueError("tf.image.resize_images(preserve_aspect_ratio=True) is not supported by torchslim.compat; "
                         "compute the target size and pass it")
    if method == ResizeMethod.BILINEAR:
        return resize_bilinear(images, size, align_corners=align_corners)
    if method == ResizeMethod.NEAREST_NEIGHBOR:
        return resize_nearest_neighbor(images, size, align_corners=align_corners)
    raise ValueError(f"tf.image.resize_images(method={method!r}) is not supported by torchslim.compat; "
                     "BILINEAR and NEAREST_NEIGHBOR are")


resize = resize_images

image = types.SimpleNamespace(ResizeMethod=ResizeMethod, resize_bilinear=resize_bilinear,
                              resize_nearest_neighbor=resize_nearest_neighbor, resize_images=resize_images,
                              resize=resize)
image.__doc__ = "``tf.image``: TF1's resizing."
