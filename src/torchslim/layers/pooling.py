"""Pooling: ``max_pool2d`` and ``avg_pool2d`` with TF's ``SAME`` semantics.

``SAME`` max-pooling pads with ``-inf``; ``SAME`` average-pooling leaves padded cells out of the
count. Both put the extra padded cell at the bottom/right, as TF does. Default stride 2, VALID.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from torchslim import utils
from torchslim.arg_scope import add_arg_scope
from torchslim.layers import padding as pad
from torchslim.layers.common import check_rank, scope_label
from torchslim.variables import name_scope

__all__ = ["max_pool2d", "avg_pool2d"]

IntOrList = Union[int, Sequence[int]]


def _prepare(inputs, kernel_size, stride, padding, data_format, scope, default_name):
    label = scope_label(scope, default_name)
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{label}: data_format has to be either NCHW or NHWC.")
    check_rank(inputs, (4,), label, default_name)
    channels_first = data_format == "NCHW"
    padding = pad.normalize_padding(padding, label)
    kernel = utils.two_element_tuple(kernel_size)
    strides = utils.two_element_tuple(stride)
    x = pad.to_channels_first(inputs, channels_first)
    explicit, symmetric = pad.conv_padding(x.shape[2:], kernel, strides, (1, 1), padding)
    if explicit is None and any(p * 2 > k for p, k in zip(symmetric, kernel)):
        explicit = [symmetric[1], symmetric[1], symmetric[0], symmetric[0]]
        symmetric = [0, 0]
    return x, channels_first, kernel, strides, explicit, symmetric


@add_arg_scope
def max_pool2d(inputs: torch.Tensor, kernel_size: IntOrList, stride: IntOrList = 2, padding: str = "VALID",
               data_format: str = "NHWC", outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """2-D max pooling (name scope ``MaxPool2D``).

    Args:
      inputs: a rank-4 tensor in ``data_format``.
      kernel_size: an int or a pair.
      stride: an int or a pair (default 2).
      padding: ``'VALID'`` (default) or ``'SAME'`` (pads with ``-inf``, extra cell at the end).
      data_format: ``'NHWC'`` or ``'NCHW'``.
      outputs_collections: collections for the output (alias: the name scope).
      scope: the name scope.

    Returns:
      The pooled tensor.

    Raises:
      ValueError: for a wrong rank, data format (only NHWC and NCHW, as TF) or padding, naming
        the scope.
    """
    x, channels_first, kernel, strides, explicit, symmetric = _prepare(
        inputs, kernel_size, stride, padding, data_format, scope, "MaxPool2D")
    with name_scope(scope, "MaxPool2D") as sc:
        x = pad.pad_explicit(x, explicit, value=float("-inf"))
        y = F.max_pool2d(x, kernel, strides, symmetric)
        outputs = pad.to_data_format(y, channels_first)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def avg_pool2d(inputs: torch.Tensor, kernel_size: IntOrList, stride: IntOrList = 2, padding: str = "VALID",
               data_format: str = "NHWC", outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """2-D average pooling (name scope ``AvgPool2D``); ``SAME`` padding is left out of the average.

    Args: as :func:`max_pool2d`.

    Returns:
      The pooled tensor.

    Raises:
      ValueError: for a wrong rank, data format or padding.
    """
    x, channels_first, kernel, strides, explicit, symmetric = _prepare(
        inputs, kernel_size, stride, padding, data_format, scope, "AvgPool2D")
    with name_scope(scope, "AvgPool2D") as sc:
        if explicit is None:
            y = F.avg_pool2d(x, kernel, strides, symmetric, count_include_pad=False)
        else:
            y = _avg_pool_explicit(x, kernel, strides, explicit)
        outputs = pad.to_data_format(y, channels_first)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


def _avg_pool_explicit(x: torch.Tensor, kernel, strides, explicit) -> torch.Tensor:
    """Average over real cells only, for padding PyTorch's kernel cannot express."""
    summed = F.avg_pool2d(F.pad(x, explicit), kernel, strides, divisor_override=1)
    ones = torch.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype, device=x.device)
    counts = F.avg_pool2d(F.pad(ones, explicit), kernel, strides, divisor_override=1)
    return summed / counts
