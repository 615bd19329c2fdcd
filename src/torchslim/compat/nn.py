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
from torchslim.ops import conv as conv_ops
from torchslim.ops import core as core_ops
from torchslim.ops import pooling as pool_ops
from torchslim.ops.padding import is_channels_first, normalize_conv_padding, normalize_padding, to_channels_first, \
    to_data_format
from torchslim.variables import tf_to_torch_layout

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
lrn = local_response_normalization = slim_nn.lrn

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


# -- convolutions and pools: TF layouts in, ops tier (channels-first views, PyTorch kernels) inside --------------
def _spatial(values, rank: int, channels_first: bool, what: str, arg: str):
    """Per-spatial-dimension values from TF's int / ``[s]`` * spatial / full-rank list (batch and channel 1).

    Raises:
      ValueError: naming the call, for a non-1 batch or channel entry or a wrong length.
    """
    spatial = rank - 2
    if values is None:
        return [1] * spatial
    items = [int(v) for v in ([values] if isinstance(values, int) else values)]
    if len(items) == 1:
        return items * spatial
    if len(items) == spatial:
        return items
    if len(items) == rank:
        outer = (items[0], items[1]) if channels_first else (items[0], items[-1])
        if outer != (1, 1):
            raise ValueError(f"tf.nn.{what}: {arg} on the batch and channel dimensions must be 1, got {items}")
        return items[2:] if channels_first else items[1:-1]
    raise ValueError(f"tf.nn.{what}: {arg} must have 1, {spatial} or {rank} entries, got {items}")


def _format(data_format: Optional[str], rank: int, what: str) -> bool:
    return is_channels_first(data_format, f"tf.nn.{what}")


def _conv(x, kernel, layout: str, strides, padding, data_format, dilations, what: str, groups_from_input=False):
    x = convert_to_tensor(x)
    first = _format(data_format, x.dim(), what)
    stride = _spatial(strides, x.dim(), first, what, "strides")
    rate = _spatial(dilations, x.dim(), first, what, "dilations")
    pad = normalize_conv_padding(padding, x.dim(), first, f"tf.nn.{what}")
    weights = tf_to_torch_layout(convert_to_tensor(kernel), layout)
    view = to_channels_first(x, first)
    if groups_from_input:
        y = conv_ops.depthwise_conv2d(view, weights, None, stride, rate, pad)
    else:
        y = conv_ops.conv(view, weights, None, stride, rate, pad)
    return to_data_format(y, first)


def conv2d(input=None, filter=None, strides=None, padding=None, use_cudnn_on_gpu: bool = True,  # noqa: A002
           data_format: str = "NHWC", dilations=None, name: Optional[str] = None, filters=None) -> torch.Tensor:
    """``tf.nn.conv2d``: ``filter`` is HWIO ``[kh, kw, in, out]``; ``padding`` SAME, VALID or explicit pairs."""
    return _conv(input, filters if filter is None else filter, "conv", strides, padding, data_format, dilations,
                 "conv2d")


def conv3d(input, filter=None, strides=None, padding=None, data_format: str = "NDHWC",  # noqa: A002
           dilations=None, name: Optional[str] = None, filters=None) -> torch.Tensor:
    """``tf.nn.conv3d``: ``filter`` is ``[kd, kh, kw, in, out]``."""
    return _conv(input, filters if filter is None else filter, "conv", strides, padding, data_format, dilations,
                 "conv3d")


def convolution(input, filter=None, padding=None, strides=None, dilation_rate=None,  # noqa: A002
                name: Optional[str] = None, data_format: Optional[str] = None, filters=None, dilations=None):
    """``tf.nn.convolution``: 1-3 spatial dimensions, ``filter`` ``[*kernel, in, out]``."""
    return _conv(input, filters if filter is None else filter, "conv", strides, padding, data_format,
                 dilation_rate if dilations is None else dilations, "convolution")


def atrous_conv2d(value, filters, rate: int, padding: str, name: Optional[str] = None) -> torch.Tensor:
    """``tf.nn.atrous_conv2d``: ``conv2d`` with dilation ``rate`` (NHWC, HWIO)."""
    return _conv(value, filters, "conv", 1, padding, "NHWC", int(rate), "atrous_conv2d")


def depthwise_conv2d(input, filter, strides, padding, rate=None, name: Optional[str] = None,  # noqa: A002
                     data_format: Optional[str] = None, dilations=None) -> torch.Tensor:
    """``tf.nn.depthwise_conv2d``: ``filter`` ``[kh, kw, in, multiplier]``; ``rate`` is the dilation."""
    return _conv(input, filter, "depthwise", strides, normalize_padding(padding, "tf.nn.depthwise_conv2d"),
                 data_format, rate if dilations is None else dilations, "depthwise_conv2d", groups_from_input=True)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, rate=None,  # noqa: A002
                     name: Optional[str] = None, data_format: Optional[str] = None, dilations=None) -> torch.Tensor:
    """``tf.nn.separable_conv2d``: depthwise ``[kh, kw, in, m]``, then pointwise ``[1, 1, in * m, out]``."""
    depthwise = depthwise_conv2d(input, depthwise_filter, strides, padding, rate, data_format=data_format,
                                 dilations=dilations)
    return _conv(depthwise, pointwise_filter, "conv", 1, "VALID", data_format, 1, "separable_conv2d")


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None, padding: str = "SAME",  # noqa: A002
                     data_format: str = "NHWC", name: Optional[str] = None, input=None, filters=None,
                     dilations=None) -> torch.Tensor:
    """``tf.nn.conv2d_transpose``: ``filter`` ``[kh, kw, out, in]``; the output is TF's size for the padding.

    Raises:
      ValueError: an ``output_shape`` other than that size (TF's other admissible sizes are not
        supported), or dilations other than 1.
    """
    x = convert_to_tensor(input if value is None else value)
    kernel = convert_to_tensor(filters if filter is None else filter)
    first = _format(data_format, x.dim(), "conv2d_transpose")
    if any(r != 1 for r in _spatial(dilations, 4, first, "conv2d_transpose", "dilations")):
        raise ValueError("tf.nn.conv2d_transpose with dilations is not supported by torchslim.compat")
    stride = _spatial(strides, 4, first, "conv2d_transpose", "strides")
    pad = normalize_padding(padding, "tf.nn.conv2d_transpose")
    y = to_data_format(conv_ops.conv2d_transpose(to_channels_first(x, first), tf_to_torch_layout(kernel,
                                                 "conv_transpose"), None, stride, pad), first)
    if output_shape is not None:
        wanted = [int(d) for d in (output_shape.tolist() if torch.is_tensor(output_shape) else output_shape)]
        if wanted != list(y.shape):
            raise ValueError(f"tf.nn.conv2d_transpose: output_shape {wanted} is not TF's output size "
                             f"{list(y.shape)} for this input, kernel, stride and padding; only that size is "
                             "supported by torchslim.compat")
    return y


def _pool(pool, value, ksize, strides, padding, data_format, what: str) -> torch.Tensor:
    x = convert_to_tensor(value)
    first = _format(data_format, x.dim(), what)
    kernel = _spatial(ksize, x.dim(), first, what, "ksize")
    stride = _spatial(strides, x.dim(), first, what, "strides")
    y = pool(to_channels_first(x, first), kernel, stride, normalize_padding(padding, f"tf.nn.{what}"))
    return to_data_format(y, first)


def max_pool(value=None, ksize=None, strides=None, padding=None, data_format: str = "NHWC",
             name: Optional[str] = None, input=None) -> torch.Tensor:  # noqa: A002
    """``tf.nn.max_pool``: ``ksize`` / ``strides`` as 4-element lists (or ints); SAME pads with ``-inf``."""
    return _pool(pool_ops.max_pool, input if value is None else value, ksize, strides, padding, data_format,
                 "max_pool")


def avg_pool(value=None, ksize=None, strides=None, padding=None, data_format: str = "NHWC",
             name: Optional[str] = None, input=None) -> torch.Tensor:  # noqa: A002
    """``tf.nn.avg_pool``: SAME leaves the padded cells out of each window's count, as TF does."""
    return _pool(pool_ops.avg_pool, input if value is None else value, ksize, strides, padding, data_format,
                 "avg_pool")


def max_pool2d(input, ksize, strides, padding, data_format: str = "NHWC", name: Optional[str] = None):  # noqa: A002
    """``tf.nn.max_pool2d`` (TF2's name of :func:`max_pool`)."""
    return max_pool(input, ksize, strides, padding, data_format)


def avg_pool2d(input, ksize, strides, padding, data_format: str = "NHWC", name: Optional[str] = None):  # noqa: A002
    """``tf.nn.avg_pool2d`` (TF2's name of :func:`avg_pool`)."""
    return avg_pool(input, ksize, strides, padding, data_format)


def max_pool3d(input, ksize, strides, padding, data_format: str = "NDHWC", name: Optional[str] = None):  # noqa: A002
    """``tf.nn.max_pool3d``."""
    return _pool(pool_ops.max_pool, input, ksize, strides, padding, data_format, "max_pool3d")


def avg_pool3d(input, ksize, strides, padding, data_format: str = "NDHWC", name: Optional[str] = None):  # noqa: A002
    """``tf.nn.avg_pool3d``."""
    return _pool(pool_ops.avg_pool, input, ksize, strides, padding, data_format, "avg_pool3d")


def bias_add(value, bias, data_format: Optional[str] = None, name: Optional[str] = None) -> torch.Tensor:
    """``tf.nn.bias_add``: ``bias`` added along the channel axis (last, or 1 for ``NC...``)."""
    value = convert_to_tensor(value)
    first = data_format is not None and data_format.startswith("NC")
    return core_ops.bias_add(value, convert_to_tensor(bias), 1 if first else -1)


def dropout(x, keep_prob=None, noise_shape=None, seed: Optional[int] = None, name: Optional[str] = None,
            rate=None) -> torch.Tensor:
    """``tf.compat.v1.nn.dropout``: always drops (it has no training switch); ``rate = 1 - keep_prob``.

    Raises:
      ValueError: both or neither of ``keep_prob`` and ``rate``, or a value outside (0, 1].
    """
    if (keep_prob is None) == (rate is None):
        raise ValueError("tf.nn.dropout needs exactly one of keep_prob and rate")
    keep = float(keep_prob) if keep_prob is not None else 1.0 - float(rate)
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"tf.nn.dropout: keep_prob must be in (0, 1], got {keep}")
    return core_ops.dropout(convert_to_tensor(x), keep, noise_shape, seed)
