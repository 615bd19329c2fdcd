"""``tf.nn`` (TF1 signatures) on torch tensors in TF layouts: NHWC activations, HWIO kernels.

The activations are :mod:`torchslim.nn`'s (``tf.nn.relu is torch.relu``). Convolutions, pools,
``bias_add`` and ``dropout`` are thin adapters onto :mod:`torchslim.ops` (TF's padding and
pooling arithmetic), taking TF's argument names: ``strides`` / ``ksize`` as 4-element lists,
``padding`` ``'SAME'`` / ``'VALID'`` (or explicit pairs for ``conv2d``), ``data_format``
``'NHWC'`` (default) or ``'NCHW'``.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from torchslim import nn as slim_nn
from torchslim.compat.array_ops import convert_to_tensor

__all__ = [
    "relu", "relu6", "elu", "selu", "sigmoid", "tanh", "softplus", "softsign", "leaky_relu", "swish", "crelu",
    "softmax", "log_softmax", "l2_normalize", "moments", "batch_normalization", "l2_loss", "zero_fraction",
    "top_k", "in_top_k", "sigmoid_cross_entropy_with_logits", "softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2", "sparse_softmax_cross_entropy_with_logits", "embedding_lookup",
]

relu, relu6, elu, selu = slim_nn.relu, slim_nn.relu6, slim_nn.elu, slim_nn.selu
sigmoid, tanh, softplus, softsign, swish = slim_nn.sigmoid, slim_nn.tanh, slim_nn.softplus, slim_nn.softsign, \
    slim_nn.swish
leaky_relu = slim_nn.leaky_relu
l2_normalize = slim_nn.l2_normalize

Axis = Union[None, int, Sequence[int]]


def crelu(features, name: Optional[str] = None, axis: int = -1) -> torch.Tensor:
    """``concat([relu(x), relu(-x)], axis)``."""
    return torch.cat([torch.relu(features), torch.relu(-features)], dim=axis)


def softmax(logits, axis: Optional[int] = None, name: Optional[str] = None, dim: Optional[int] = None):
    """Softmax over ``axis`` (default the last; ``dim`` is the old TF name)."""
    axis = dim if axis is None else axis
    return torch.softmax(convert_to_tensor(logits), dim=-1 if axis is None else axis)


def log_softmax(logits, axis: Optional[int] = None, name: Optional[str] = None, dim: Optional[int] = None):
    """Log-softmax over ``axis`` (default the last; ``dim`` is the old TF name)."""
    axis = dim if axis is None else axis
    return torch.log_softmax(convert_to_tensor(logits), dim=-1 if axis is None else axis)


def moments(x, axes, shift=None, name: Optional[str] = None, keep_dims: Optional[bool] = None,
            keepdims: Optional[bool] = None):
    """Mean and biased variance over ``axes`` (``keep_dims`` is the old TF name)."""
    keep = bool(keep_dims if keepdims is None else keepdims)
    return slim_nn.moments(convert_to_tensor(x), [int(a) for a in axes], keepdims=keep)


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name: Optional[str] = None):
    """``(x - mean) * scale / sqrt(variance + epsilon) + offset`` (``offset`` / ``scale`` may be None)."""
    inv = torch.rsqrt(variance + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    return x * inv + ((offset - mean * inv) if offset is not None else -mean * inv)


def l2_loss(t, name: Optional[str] = None) -> torch.Tensor:
    """``sum(t ** 2) / 2``."""
    t = convert_to_tensor(t)
    return torch.sum(t * t) / 2


def zero_fraction(value, name: Optional[str] = None) -> torch.Tensor:
    """The fraction of zero entries, as a float32 scalar."""
    value = convert_to_tensor(value)
    return (value == 0).float().mean()


def top_k(input, k: int = 1, sorted: bool = True, name: Optional[str] = None):  # noqa: A002 - TF's names
    """The ``k`` largest entries of the last axis and their int32 indices."""
    values, indices = torch.topk(convert_to_tensor(input), int(k), dim=-1, sorted=sorted)
    return values, indices.to(torch.int32)


def in_top_k(predictions, targets, k: int, name: Optional[str] = None) -> torch.Tensor:
    """Whether each target's prediction is among the ``k`` largest of its row (ties count as in, as in TF)."""
    predictions = convert_to_tensor(predictions)
    target_values = predictions.gather(1, convert_to_tensor(targets).long().reshape(-1, 1))
    return (predictions > target_values).sum(dim=1) < int(k)


def sigmoid_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None, name: Optional[str] = None):
    """``max(x, 0) - x * z + log(1 + exp(-|x|))``, element-wise (keyword arguments only, as in TF).

    Raises:
      ValueError: positional arguments, or labels and logits of different shapes.
    """
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("tf.nn.sigmoid_cross_entropy_with_logits takes labels= and logits= by keyword")
    labels, logits = convert_to_tensor(labels), convert_to_tensor(logits)
    if labels.shape != logits.shape:
        raise ValueError(f"labels {list(labels.shape)} and logits {list(logits.shape)} must have the same shape")
    return torch.clamp(logits, min=0) - logits * labels + torch.log1p(torch.exp(-torch.abs(logits)))


def softmax_cross_entropy_with_logits_v2(_sentinel=None, labels=None, logits=None, axis: int = -1,
                                         name: Optional[str] = None, dim: Optional[int] = None):
    """``-sum(labels * log_softmax(logits), axis)`` per example (keyword arguments only, as in TF)."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("tf.nn.softmax_cross_entropy_with_logits takes labels= and logits= by keyword")
    axis = dim if dim is not None else axis
    return -torch.sum(convert_to_tensor(labels) * torch.log_softmax(convert_to_tensor(logits), dim=axis), dim=axis)


softmax_cross_entropy_with_logits = softmax_cross_entropy_with_logits_v2


def sparse_softmax_cross_entropy_with_logits(_sentinel=None, labels=None, logits=None,
                                             name: Optional[str] = None) -> torch.Tensor:
    """Cross entropy of integer ``labels`` against ``logits`` (last axis classes), per example."""
    if _sentinel is not None or labels is None or logits is None:
        raise ValueError("tf.nn.sparse_softmax_cross_entropy_with_logits takes labels= and logits= by keyword")
    logits = convert_to_tensor(logits)
    labels = convert_to_tensor(labels).long()
    flat = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), reduction="none")
    return flat.reshape(labels.shape)


def embedding_lookup(params, ids, partition_strategy: str = "mod", name: Optional[str] = None,
                     validate_indices: bool = True, max_norm=None) -> torch.Tensor:
    """The rows of ``params`` at ``ids`` (one table; a list of shards is not supported).

    Raises:
      ValueError: ``params`` is a list of more than one shard, or ``max_norm`` is given.
    """
    if isinstance(params, (list, tuple)):
        if len(params) != 1:
            raise ValueError("tf.nn.embedding_lookup over sharded params is not supported by torchslim.compat")
        params = params[0]
    if max_norm is not None:
        raise ValueError("tf.nn.embedding_lookup(max_norm=...) is not supported by torchslim.compat")
    ids = convert_to_tensor(ids).long()
    return F.embedding(ids, convert_to_tensor(params))
