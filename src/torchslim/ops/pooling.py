"""Max and average pooling with TF's padding, on channels-first tensors (``N, C, *spatial``), 1-3 D.

``SAME`` max pooling pads with ``-inf``; ``SAME`` average pooling leaves padded cells out of each
count. Both put the extra padded cell at the end (bottom/right), as TF does.
"""

from __future__ import annotations

from typing import List, Sequence

import torch
import torch.nn.functional as F

from torchslim.ops.padding import conv_padding

__all__ = ["max_pool", "avg_pool"]



def _max_kernel(nd: int):
    return (F.max_pool1d, F.max_pool2d, F.max_pool3d)[nd - 1]


def _avg_kernel(nd: int):
    return (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[nd - 1]


def _pool_padding(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], padding: str):
    """``(explicit, symmetric)`` as :func:`~torchslim.ops.padding.conv_padding`, with symmetric padding
    PyTorch's pooling kernels reject (more than half the window) made explicit."""
    explicit, symmetric = conv_padding(x.shape[2:], kernel, stride, (1,) * len(kernel), padding)
    if explicit is None and any(p * 2 > k for p, k in zip(symmetric, kernel)):
        explicit = [amount for p in reversed(symmetric) for amount in (p, p)]
        symmetric = [0] * len(kernel)
    return explicit, symmetric


def max_pool(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], padding: str) -> torch.Tensor:
    """``tf.nn.max_pool``: the maximum of each window; ``SAME`` padding never wins (``-inf``).

    Args:
      x: ``[N, C, *spatial]`` with 1 to 3 spatial dimensions.
      kernel, stride: one value per spatial dimension.
      padding: ``'SAME'`` or ``'VALID'``.

    Returns:
      ``[N, C, *out_spatial]``.
    """
    explicit, symmetric = _pool_padding(x, kernel, stride, padding)
    if explicit is not None:
        x = F.pad(x, explicit, value=float("-inf"))
    return _max_kernel(len(kernel))(x, kernel, stride, symmetric)


def avg_pool(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], padding: str) -> torch.Tensor:
    """``tf.nn.avg_pool``: the mean of each window over the input cells it covers (not the padding).

    Args: as :func:`max_pool`.

    Returns:
      ``[N, C, *out_spatial]``.
    """
    explicit, symmetric = _pool_padding(x, kernel, stride, padding)
    if explicit is None:
        return _avg_kernel(len(kernel))(x, kernel, stride, symmetric, count_include_pad=False)
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    return _window_sums(x, kernel, stride, explicit) / _window_sums(ones, kernel, stride, explicit)


def _window_sums(x: torch.Tensor, kernel: Sequence[int], stride: Sequence[int], explicit: List[int]) -> torch.Tensor:
    """The sum of each window of ``x`` zero-padded by ``explicit``."""
    padded = F.pad(x, explicit)
    if len(kernel) == 1:  # avg_pool1d has no divisor_override
        return F.avg_pool1d(padded, kernel, stride) * kernel[0]
    return _avg_kernel(len(kernel))(padded, kernel, stride, divisor_override=1)

