"""Pooling: ``max_pool2d``, ``avg_pool2d``, ``max_pool3d`` and ``avg_pool3d`` with TF's ``SAME`` semantics.

``SAME`` max-pooling pads with ``-inf``; ``SAME`` average-pooling leaves padded cells out of the
count. Both put the extra padded cell at the bottom/right, as TF does. Default stride 2, VALID.
Recipe (one :func:`_pool` for all four): argument checks, name scope, one
:mod:`torchslim.ops.pooling` call on the channels-first view, collect.
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
__all__ += ["max_pool3d", "avg_pool3d"]

IntOrList = Union[int, Sequence[int]]

# spatial dimensions -> (channels-last, channels-first) data formats TF accepts
_FORMATS = {2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}


def _pool(pool_op, nd: int, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
          default_name: str) -> torch.Tensor:
    """The pooling recipe: checks, name scope ``default_name``, ``pool_op`` on the channels-first view, collect.

    Raises:
      ValueError: for a wrong rank, data format or padding, naming the scope.
    """
    label = scope_label(scope, default_name)
    channels_last, channels_first = _FORMATS[nd]
    if data_format not in (channels_last, channels_first):
        raise ValueError(f"{label}: data_format has to be either {channels_first} or {channels_last}.")
    check_rank(inputs, (nd + 2,), label, default_name)
    padding = pad.normalize_padding(padding, label)
    kernel, strides = utils.n_positive_integers(nd, kernel_size), utils.n_positive_integers(nd, stride)
    first = data_format == channels_first
    with name_scope(scope, default_name) as sc:
        y = pool_op(pad.to_channels_first(inputs, first), kernel, strides, padding)
        return utils.collect_named_outputs(outputs_collections, sc, pad.to_data_format(y, first))


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
    return _pool(pool_ops.max_pool, 2, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
                 "MaxPool2D")


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
    return _pool(pool_ops.avg_pool, 2, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
                 "AvgPool2D")


@add_arg_scope
def max_pool3d(inputs: torch.Tensor, kernel_size: IntOrList, stride: IntOrList = 2, padding: str = "VALID",
               data_format: str = "NDHWC", outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """3-D max pooling over depth (time), height and width (name scope ``MaxPool3D``).

    Args:
      inputs: ``[N, D, H, W, C]`` (``NDHWC``) or ``[N, C, D, H, W]`` (``NCDHW``).
      kernel_size: an int or ``[kd, kh, kw]``.
      stride: an int or ``[sd, sh, sw]`` (default 2).
      padding: ``'VALID'`` (default) or ``'SAME'`` (pads with ``-inf``, extra cell at the end of
        each dimension).
      data_format: ``'NDHWC'`` or ``'NCDHW'``.
      outputs_collections: collections for the output (alias: the name scope).
      scope: the name scope.

    Returns:
      The pooled tensor, in ``data_format``.

    Raises:
      ValueError: for a wrong rank, data format or padding, naming the scope.
    """
    return _pool(pool_ops.max_pool, 3, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
                 "MaxPool3D")


@add_arg_scope
def avg_pool3d(inputs: torch.Tensor, kernel_size: IntOrList, stride: IntOrList = 2, padding: str = "VALID",
               data_format: str = "NDHWC", outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """3-D average pooling (name scope ``AvgPool3D``); ``SAME`` padding is left out of each count.

    Args: as :func:`max_pool3d`.

    Returns:
      The pooled tensor, in ``data_format``.

    Raises:
      ValueError: for a wrong rank, data format or padding, naming the scope.
    """
    return _pool(pool_ops.avg_pool, 3, inputs, kernel_size, stride, padding, data_format, outputs_collections, scope,
                 "AvgPool3D")
