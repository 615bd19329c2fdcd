"""Local response normalisation with ``tf.nn.lrn``'s semantics (the CifarNet / AlexNet-v1 layer)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["lrn", "local_response_normalization"]


def lrn(input: torch.Tensor, depth_radius: int = 5, bias: float = 1.0, alpha: float = 1.0, beta: float = 0.5,
        name=None) -> torch.Tensor:
    """Normalises each value by the squares of its neighbours along the channels, as ``tf.nn.lrn``.

    For an NHWC ``input``::

        sqr_sum[n, h, w, c] = sum(input[n, h, w, c - depth_radius : c + depth_radius + 1] ** 2)
        output = input / (bias + alpha * sqr_sum) ** beta

    Channels beyond the edges count as zero. Unlike ``torch.nn.LocalResponseNorm``, ``alpha``
    multiplies the plain sum (it is not divided by the window size).

    Args:
      input: a 4-D ``[batch, height, width, channels]`` tensor.
      depth_radius: half-width of the window (the window holds ``2 * depth_radius + 1`` channels).
      bias: the offset (usually positive, to avoid dividing by 0).
      alpha: the scale of the sum of squares.
      beta: the exponent.
      name: accepted for TF compatibility; unused.

    Returns:
      A tensor of ``input``'s shape and dtype.

    Raises:
      ValueError: ``input`` is not 4-D, or ``depth_radius`` is negative.
    """
    if input.dim() != 4:
        raise ValueError(f"lrn{'' if name is None else ' ' + name}: input must be 4-D NHWC, got shape "
                         f"{list(input.shape)}")
    if depth_radius < 0:
        raise ValueError(f"lrn{'' if name is None else ' ' + name}: depth_radius must be >= 0, got {depth_radius}")
    window = 2 * depth_radius + 1
    squares = F.pad(input.square(), (depth_radius, depth_radius))
    sqr_sum = squares.unfold(-1, window, 1).sum(-1)
    return input * (bias + alpha * sqr_sum).pow(-beta)


local_response_normalization = lrn
