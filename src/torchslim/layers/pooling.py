"""Pooling: ``max_pool2d`` and ``avg_pool2d`` with TF's ``SAME`` semantics.

``SAME`` max-pooling pads with ``-inf``; ``SAME`` average-pooling leaves padded cells out of the
count. Both put the extra padded cell at the bottom/right, as TF does. Default stride 2, VALID.
Recipe: argument checks, name scope, one :mod:`torchslim.ops.pooling` call on the channels-first
view, collect.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from torchslim import utils
from torchslim.arg_scope import add_arg_scope
from torchslim.layers.common import check_rank, scope_label
from torchslim.ops import padding as pad, pooling as pool_ops
from torchslim.scopes import name_scope

__all__ = ["max_pool2d", "avg_pool2d"]

IntOrList = Union[int, Sequence[int]]


def _checked(inputs, kernel_size, stride, padding, data_format, scope, default_name):
    """``(channels_first, kernel, strides, padding)`` of a pooling call, validated.

    Raises:
      ValueError: for a wrong rank, data format or padding, naming the scope.
    """
    label = scope_label(scope, default_name)
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{label}: data_format has to be either NCHW or NHWC.")
    check_rank(inputs, (4,), label, default_name)
    padding = pad.normalize_padding(padding, label)
    return data_format == "NCHW", utils.two_element_tuple(kernel_size), utils.two_element_tuple(stride), padding


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
    channels_first, kernel, strides, padding = _checked(inputs, kernel_size, stride, padding, data_format, scope,
                                                        "MaxPool2D")
    with name_scope(scope, "MaxPool2D") as sc:
        y = pool_ops.max_pool(pad.to_channels_first(inputs, channels_first), kernel, strides, padding)
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
    channels_first, kernel, strides, padding = _checked(inputs, kernel_size, stride, padding, data_format, scope,
                                                        "AvgPool2D")
    with name_scope(scope, "AvgPool2D") as sc:
        y = pool_ops.avg_pool(pad.to_channels_first(inputs, channels_first), kernel, strides, padding)
        outputs = pad.to_data_format(y, channels_first)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)
