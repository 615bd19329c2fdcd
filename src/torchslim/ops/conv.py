"""Convolutions with TF's padding and output sizes, on channels-first tensors (``N, C, *spatial``).

Kernels are in PyTorch's layout (``[out, in / groups, *kernel]``; ``[in, out, kh, kw]`` for the
transpose), as :mod:`torchslim.variables` stores them. An NHWC caller passes the channels-first
view of its input (:func:`torchslim.ops.padding.to_channels_first`) and views the result back.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from torchslim.ops.padding import conv_padding, same_padding

__all__ = ["conv", "depthwise_conv2d", "separable_conv2d", "conv2d_transpose", "transpose_output_size"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def conv(x: torch.Tensor, weights: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int],
         rate: Sequence[int], padding, groups: int = 1) -> torch.Tensor:
    """A 1-D, 2-D or 3-D convolution with TF padding (``tf.nn.convolution``).

    Args:
      x: ``[N, C, *spatial]``.
      weights: ``[out, C / groups, *kernel]``.
      bias: ``[out]`` or None.
      stride, rate: one value per spatial dimension (``rate``: dilation).
      padding: ``'SAME'``, ``'VALID'`` or ``(before, after)`` pairs per spatial dimension.
      groups: channel groups (``C`` for a depthwise convolution).

    Returns:
      ``[N, out, *out_spatial]``; ``SAME`` gives ``ceil(in / stride)`` per dimension.
    """
    explicit, symmetric = conv_padding(x.shape[2:], weights.shape[2:], stride, rate, padding)
    if explicit is not None:
        x = F.pad(x, explicit)
    return _CONV[x.dim() - 2](x, weights, bias, stride, symmetric, rate, groups)


def depthwise_conv2d(x: torch.Tensor, weights: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int],
                     rate: Sequence[int], padding) -> torch.Tensor:
    """``tf.nn.depthwise_conv2d``: output channel ``c * multiplier + m`` filters input channel ``c`` only.

    Args:
      x: ``[N, C, H, W]``.
      weights: ``[C * multiplier, 1, kh, kw]`` (the ``depthwise`` layout of a TF
        ``[kh, kw, C, multiplier]`` kernel).
      bias, stride, rate, padding: as :func:`conv`.

    Returns:
      ``[N, C * multiplier, H', W']``.
    """
    return conv(x, weights, bias, stride, rate, padding, groups=x.shape[1])


def separable_conv2d(x: torch.Tensor, depthwise: torch.Tensor, pointwise: torch.Tensor, bias: Optional[torch.Tensor],
                     stride: Sequence[int], rate: Sequence[int], padding) -> torch.Tensor:
    """``tf.nn.separable_conv2d``: :func:`depthwise_conv2d`, then a 1x1 convolution with ``pointwise``.

    Args:
      x: ``[N, C, H, W]``.
      depthwise: ``[C * multiplier, 1, kh, kw]``.
      pointwise: ``[out, C * multiplier, 1, 1]``.
      bias: ``[out]`` or None, added after the pointwise convolution.
      stride, rate, padding: of the depthwise convolution, as :func:`conv`.

    Returns:
      ``[N, out, H', W']``.
    """
    return F.conv2d(depthwise_conv2d(x, depthwise, None, stride, rate, padding), pointwise, bias)


def transpose_output_size(in_size: int, kernel: int, stride: int, padding: str) -> int:
    """Output length of TF's ``conv2d_transpose`` (Keras ``deconv_output_length``).

    Returns:
      ``in * stride`` for ``SAME``; ``in * stride + max(kernel - stride, 0)`` for ``VALID``.
    """
    if padding == "SAME":
        return in_size * stride
    return in_size * stride + max(kernel - stride, 0)


def _transpose_crops(in_size: int, kernel: int, stride: int, padding: str) -> Tuple[int, int, int]:
    """``(first kept cell, output length, cells to add after the full transposed output)``."""
    out = transpose_output_size(in_size, kernel, stride, padding)
    before = same_padding(out, kernel, stride)[0] if padding == "SAME" else 0
    full = (in_size - 1) * stride + kernel
    return before, out, max(before + out - full, 0)


def conv2d_transpose(x: torch.Tensor, weights: torch.Tensor, bias: Optional[torch.Tensor], stride: Sequence[int],
                     padding: str) -> torch.Tensor:
    """TF's ``conv2d_transpose`` with the output size of :func:`transpose_output_size`.

    The full transposed convolution, cropped where the forward convolution's ``SAME`` padding
    would have been (its extra cell at the bottom/right), or extended where ``VALID`` with
    ``stride > kernel`` leaves cells no input reaches.

    Args:
      x: ``[N, C, H, W]``.
      weights: ``[C, out, kh, kw]`` (the ``conv_transpose`` layout of a TF ``[kh, kw, out, C]`` kernel).
      bias: ``[out]`` or None.
      stride: a pair.
      padding: ``'SAME'`` or ``'VALID'``.

    Returns:
      ``[N, out, H', W']``.
    """
    crops = [_transpose_crops(n, k, s, padding) for n, k, s in zip(x.shape[2:], weights.shape[2:], stride)]
    y = F.conv_transpose2d(x, weights, bias, stride, 0, [extra for _, _, extra in crops])
    (top, height, _), (left, width, _) = crops
    return y[:, :, top:top + height, left:left + width]
