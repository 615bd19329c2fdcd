"""The part of ``tensorflow.compat.v1`` that ``tf.layers`` model functions use, on torchslim.

``import torchslim.tf_layers.compat_v1 as tf`` in place of ``import tensorflow as tf`` (or
``tensorflow.compat.v1``) lets a TF1 ``tf.layers`` model function run unchanged inside
:class:`torchslim.Model`: ``tf.variable_scope``, ``tf.layers.*`` (:mod:`torchslim.tf_layers`),
``tf.nn.*`` (:mod:`torchslim.nn`), ``tf.get_variable``, the initializers under their ``tf.*``
names (TF1 core semantics, see :mod:`torchslim.tf_layers.init_ops`) and the few tensor functions
such code calls between layers (``tf.add``, ``tf.reduce_mean``, ``tf.reshape``, ``tf.concat``,
...). It is not TensorFlow: there are no sessions, placeholders or graphs, only what model
functions need. The ``name`` arguments of the tensor functions are accepted and ignored (they name
graph ops, which do not exist here).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from torchslim import nn
from torchslim import tf_layers as layers
from torchslim.tf_layers.init_ops import (constant_initializer, glorot_normal_initializer, glorot_uniform_initializer,
                                          ones_initializer, random_normal_initializer, random_uniform_initializer,
                                          truncated_normal_initializer, variance_scaling_initializer,
                                          zeros_initializer)
from torchslim.scopes import AUTO_REUSE, get_variable_scope, name_scope, variable_scope
from torchslim.queries import GraphKeys, add_to_collection, get_collection
from torchslim.variables import variable as get_variable

__all__ = [
    "layers", "nn", "variable_scope", "name_scope", "get_variable_scope", "get_variable", "AUTO_REUSE",
    "GraphKeys", "get_collection", "add_to_collection", "zeros_initializer", "ones_initializer",
    "constant_initializer", "random_normal_initializer", "truncated_normal_initializer",
    "random_uniform_initializer", "variance_scaling_initializer", "glorot_uniform_initializer",
    "glorot_normal_initializer", "float32", "float64", "add", "subtract", "multiply", "reduce_mean",
    "reduce_sum", "reduce_max", "reshape", "concat", "identity", "squeeze",
]

float32 = torch.float32
float64 = torch.float64

Axis = Union[None, int, Sequence[int]]


def add(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x + y`` (broadcasting)."""
    return torch.add(torch.as_tensor(x), y)


def subtract(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x - y`` (broadcasting)."""
    return torch.sub(torch.as_tensor(x), y)


def multiply(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x * y`` (broadcasting)."""
    return torch.mul(torch.as_tensor(x), y)


def _reduce(fn, input_tensor, axis, keepdims, reduction_indices, keep_dims):
    axis = reduction_indices if axis is None else axis
    keep = bool(keep_dims if keepdims is None else keepdims)
    if axis is None:
        out = fn(input_tensor)
        return out.reshape((1,) * input_tensor.dim()) if keep else out
    dims = (axis,) if isinstance(axis, int) else tuple(int(a) for a in axis)
    return fn(input_tensor, dim=dims, keepdim=keep)


def reduce_mean(input_tensor: torch.Tensor, axis: Axis = None, keepdims: Optional[bool] = None,
                name: Optional[str] = None, reduction_indices: Axis = None, keep_dims: Optional[bool] = None):
    """Mean over ``axis`` (all axes if None), as ``tf.compat.v1.reduce_mean``."""
    return _reduce(torch.mean, input_tensor, axis, keepdims, reduction_indices, keep_dims)


def reduce_sum(input_tensor: torch.Tensor, axis: Axis = None, keepdims: Optional[bool] = None,
               name: Optional[str] = None, reduction_indices: Axis = None, keep_dims: Optional[bool] = None):
    """Sum over ``axis`` (all axes if None), as ``tf.compat.v1.reduce_sum``."""
    return _reduce(torch.sum, input_tensor, axis, keepdims, reduction_indices, keep_dims)


def reduce_max(input_tensor: torch.Tensor, axis: Axis = None, keepdims: Optional[bool] = None,
               name: Optional[str] = None, reduction_indices: Axis = None, keep_dims: Optional[bool] = None):
    """Maximum over ``axis`` (all axes if None), as ``tf.compat.v1.reduce_max``."""
    return _reduce(torch.amax, input_tensor, axis, keepdims, reduction_indices, keep_dims)


def reshape(tensor: torch.Tensor, shape: Sequence[int], name: Optional[str] = None) -> torch.Tensor:
    """``tensor`` with a new shape (one ``-1`` allowed), in row-major (NHWC) order."""
    return torch.reshape(tensor, tuple(int(d) for d in shape))


def concat(values: Sequence[torch.Tensor], axis: int, name: str = "concat") -> torch.Tensor:
    """Joins tensors along ``axis``."""
    return torch.cat(list(values), dim=axis)


def identity(input: torch.Tensor, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002 - TF's name
    """``input`` itself."""
    return input


def squeeze(input: torch.Tensor, axis: Axis = None, name: Optional[str] = None,  # noqa: A002 - TF's name
            squeeze_dims: Axis = None) -> torch.Tensor:
    """Drops size-1 axes (all of them, or those in ``axis``)."""
    axis = squeeze_dims if axis is None else axis
    if axis is None:
        return torch.squeeze(input)
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    for dim in dims:
        if input.shape[dim] != 1:
            raise ValueError(f"squeeze: cannot squeeze axis {dim} of size {input.shape[dim]}")
    return torch.squeeze(input, dim=dims)
