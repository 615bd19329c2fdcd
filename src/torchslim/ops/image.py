"""TF1's ``tf.image`` resizing kernels (``ResizeBilinear``, ``ResizeNearestNeighbor``) on NHWC tensors.

TF1's default sampling (``align_corners=False``, ``half_pixel_centers=False``: source = destination
* in / out, no half-pixel offset), which ``tf.compat.v1.image.resize_*`` and ``resize_images`` still
use in TF 2.15, is not a mode of ``torch.nn.functional.interpolate``; the source rows and columns are
computed here as TF's kernels compute them (float32 scale) and gathered. Bilinear interpolates along
the width first, then the height, in float32, as TF does.
"""

from __future__ import annotations

from typing import Sequence

import torch

__all__ = ["resize_bilinear", "resize_nearest_neighbor"]


def _scale(in_size: int, out_size: int, align_corners: bool) -> float:
    if align_corners and out_size > 1:
        return (in_size - 1) / (out_size - 1)
    return in_size / out_size


def _source(out_size: int, in_size: int, align_corners: bool, half_pixel: bool) -> torch.Tensor:
    """TF's float source coordinate of each destination index along one axis."""
    x = torch.arange(out_size, dtype=torch.float32)
    scale = torch.tensor(_scale(in_size, out_size, align_corners), dtype=torch.float32)
    return (x + 0.5) * scale - 0.5 if half_pixel else x * scale


def _lerp_axis(x: torch.Tensor, axis: int, out_size: int, align_corners: bool, half_pixel: bool) -> torch.Tensor:
    in_size = x.shape[axis]
    src = _source(out_size, in_size, align_corners, half_pixel)
    floor = torch.floor(src)
    lower = floor.clamp(min=0).long().clamp(max=in_size - 1).to(x.device)
    upper = torch.ceil(src).clamp(max=in_size - 1).long().clamp(min=0).to(x.device)
    shape = [1] * x.dim()
    shape[axis] = out_size
    lerp = (src - floor).to(x.device).reshape(shape)
    low, high = x.index_select(axis, lower), x.index_select(axis, upper)
    return low + (high - low) * lerp


def _nearest_index(out_size: int, in_size: int, align_corners: bool, half_pixel: bool) -> torch.Tensor:
    scale = torch.tensor(_scale(in_size, out_size, align_corners), dtype=torch.float32)
    x = torch.arange(out_size, dtype=torch.float32)
    if align_corners:
        src = torch.floor(x * scale + 0.5)  # roundf of a non-negative value
    elif half_pixel:
        src = torch.floor((x + 0.5) * scale)
    else:
        src = torch.floor(x * scale)
    return src.long().clamp(0, in_size - 1)


def resize_bilinear(images: torch.Tensor, size: Sequence[int], align_corners: bool = False,
                    half_pixel_centers: bool = False) -> torch.Tensor:
    """TF's ``ResizeBilinear`` kernel.

    Args:
      images: ``[N, H, W, C]``.
      size: ``(new_height, new_width)``.
      align_corners, half_pixel_centers: TF's sampling flags (TF1 default: both False).

    Returns:
      ``[N, new_height, new_width, C]`` in float32.
    """
    out_h, out_w = (int(s) for s in size)
    x = _lerp_axis(images.float(), 2, out_w, align_corners, half_pixel_centers)
    return _lerp_axis(x, 1, out_h, align_corners, half_pixel_centers)


def resize_nearest_neighbor(images: torch.Tensor, size: Sequence[int], align_corners: bool = False,
                            half_pixel_centers: bool = False) -> torch.Tensor:
    """TF's ``ResizeNearestNeighbor`` kernel (arguments as :func:`resize_bilinear`).

    Returns:
      ``[N, new_height, new_width, C]`` in the input's dtype.
    """
    out_h, out_w = (int(s) for s in size)
    rows = _nearest_index(out_h, images.shape[1], align_corners, half_pixel_centers).to(images.device)
    cols = _nearest_index(out_w, images.shape[2], align_corners, half_pixel_centers).to(images.device)
    return images.index_select(1, rows).index_select(2, cols)
