"""``tf.layers`` pooling: ``max_pooling2d`` and ``average_pooling2d`` (``pool_size`` and ``strides`` required).

The pooling itself is the ops tier's :func:`torchslim.ops.pooling.max_pool` /
:func:`~torchslim.ops.pooling.avg_pool` (TF's ``same`` semantics: max pooling pads with ``-inf``,
average pooling leaves padded cells out of the count, the odd cell goes bottom/right); this module
adds ``tf.layers``' argument names, checks and scope names.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import torch

from torchslim.layers.common import check_rank, scope_label
from torchslim.ops import padding as pad, pooling as pool_ops
from torchslim.tf_layers.base import is_channels_first, layer_scope, normalize_padding, normalize_tuple

__all__ = ["max_pooling2d", "average_pooling2d"]

IntOrList = Union[int, Sequence[int]]


def _pool(kind: str, pool_op: Callable, inputs, pool_size, strides, padding, data_format, name) -> torch.Tensor:
    label = scope_label(name, kind)
    pool = normalize_tuple(pool_size, 2, "pool_size", label)
    stride = normalize_tuple(strides, 2, "strides", label)
    padding = normalize_padding(padding, label)
    channels_first = is_channels_first(data_format, label)
    check_rank(inputs, (4,), label, kind)
    with layer_scope(name, kind, takes_scope=False):
        y = pool_op(pad.to_channels_first(inputs, channels_first), pool, stride, padding)
        return pad.to_data_format(y, channels_first)


def max_pooling2d(inputs: torch.Tensor, pool_size: IntOrList, strides: IntOrList, padding: str = "valid",
                  data_format: str = "channels_last", name: Optional[str] = None) -> torch.Tensor:
    """2-D max pooling, ``tf.compat.v1.layers.max_pooling2d`` (name ``max_pooling2d``, uniquified).

    Args:
      inputs: a rank-4 tensor in ``data_format``.
      pool_size, strides: an int or a pair.
      padding: ``'valid'`` or ``'same'`` (any case).
      data_format: ``'channels_last'`` or ``'channels_first'``.
      name: the layer name.

    Returns:
      The pooled tensor.

    Raises:
      ValueError: for a wrong rank, padding, data format or tuple, naming the layer.
    """
    return _pool("max_pooling2d", pool_ops.max_pool, inputs, pool_size, strides, padding, data_format, name)


def average_pooling2d(inputs: torch.Tensor, pool_size: IntOrList, strides: IntOrList, padding: str = "valid",
                      data_format: str = "channels_last", name: Optional[str] = None) -> torch.Tensor:
    """2-D average pooling, ``tf.compat.v1.layers.average_pooling2d`` (name ``average_pooling2d``).

    ``same`` padding is left out of each average. Arguments as :func:`max_pooling2d`.
    """
    return _pool("average_pooling2d", pool_ops.avg_pool, inputs, pool_size, strides, padding, data_format, name)
