"""``tf.layers`` convolutions: ``conv1d``, ``conv2d``, ``conv3d``, ``separable_conv2d``, ``conv2d_transpose``.

Signatures and defaults are ``tf.compat.v1.layers``' (``padding='valid'``, ``activation=None``,
``kernel_initializer=None`` meaning glorot uniform). Variables are ``<scope>/kernel`` (TF shape
``[*kernel_size, in, filters]``; ``[kh, kw, filters, in]`` for the transpose) and ``<scope>/bias``,
made by the core's :func:`torchslim.variables.variable` with a PyTorch layout, so a checkpoint
written by TF1 code restores by name. The convolution itself, with TF's ``SAME`` padding, is the
ops tier's (:mod:`torchslim.ops.conv`).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import torch

from torchslim import initializers
from torchslim.layers.common import check_rank, scope_label
from torchslim.ops import conv as conv_ops, padding as pad
from torchslim.tf_layers.base import (apply_activity_regularizer, check_unsupported, is_channels_first,
                                      layer_scope, normalize_padding, normalize_tuple)
from torchslim.variables import variable

__all__ = ["conv1d", "conv2d", "conv3d", "separable_conv2d", "conv2d_transpose"]

IntOrList = Union[int, Sequence[int]]


def _in_channels(inputs: torch.Tensor, channels_first: bool) -> int:
    return int(inputs.shape[1] if channels_first else inputs.shape[-1])


def _conv(rank: int, base_name: str, inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
          activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
          activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse) -> torch.Tensor:
    label = scope_label(name, base_name)
    check_unsupported(label, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    check_rank(inputs, (rank + 2,), label, base_name)
    kernel = normalize_tuple(kernel_size, rank, "kernel_size", label)
    stride = normalize_tuple(strides, rank, "strides", label)
    rate = normalize_tuple(dilation_rate, rank, "dilation_rate", label)
    if max(stride) > 1 and max(rate) > 1:
        raise ValueError(f"{label}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={stride} and dilation_rate={rate}")
    padding = normalize_padding(padding, label)
    channels_first = is_channels_first(data_format, label)
    filters = int(filters)
    with layer_scope(name, base_name, reuse):
        weights = variable("kernel", shape=kernel + (_in_channels(inputs, channels_first), filters),
                           initializer=kernel_initializer, regularizer=kernel_regularizer, trainable=trainable,
                           layout="conv")
        bias = _bias(use_bias, filters, bias_initializer, bias_regularizer, trainable)
        x = pad.to_channels_first(inputs, channels_first)
        outputs = pad.to_data_format(conv_ops.conv(x, weights, bias, stride, rate, padding), channels_first)
        return _activate(outputs, activation, activity_regularizer)


def _bias(use_bias: bool, filters: int, initializer, regularizer, trainable: bool) -> Optional[torch.Tensor]:
    if not use_bias:
        return None
    return variable("bias", shape=(filters,), initializer=initializer, regularizer=regularizer, trainable=trainable)


def _activate(outputs: torch.Tensor, activation: Optional[Callable], activity_regularizer) -> torch.Tensor:
    if activation is not None:
        outputs = activation(outputs)
    apply_activity_regularizer(activity_regularizer, outputs)
    return outputs


def conv2d(inputs: torch.Tensor, filters: int, kernel_size: IntOrList, strides: IntOrList = (1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrList = (1, 1),
           activation: Optional[Callable] = None, use_bias: bool = True, kernel_initializer=None,
           bias_initializer=initializers.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
           name: Optional[str] = None, reuse=None) -> torch.Tensor:
    """2-D convolution, ``tf.compat.v1.layers.conv2d`` (default scope ``conv2d``, ``conv2d_1``, ...).

    Args:
      inputs: ``[N, H, W, C]`` (``[N, C, H, W]`` with ``data_format='channels_first'``).
      filters: output channels.
      kernel_size, strides, dilation_rate: an int or a pair; strides and dilation cannot both
        exceed 1.
      padding: ``'valid'`` or ``'same'`` (any case); ``same`` puts the odd cell at the bottom/right.
      data_format: ``'channels_last'`` or ``'channels_first'``.
      activation: applied after the bias (None: linear).
      use_bias: add ``bias``.
      kernel_initializer: None is glorot uniform, as TF's ``get_variable`` default.
      bias_initializer: default zeros.
      kernel_regularizer, bias_regularizer: ``f(variable) -> scalar``, evaluated by
        ``model.regularization_losses()``.
      activity_regularizer: ``f(outputs) -> scalar``; the loss divided by the batch size goes to
        this call's ``REGULARIZATION_LOSSES`` collection.
      kernel_constraint, bias_constraint: not supported (a ValueError if given).
      trainable: False stores the variables as buffers.
      name: the variable scope (used as is); None uniquifies ``conv2d``.
      reuse: True (or ``AUTO_REUSE``) shares the variables of ``name`` (or of ``conv2d``).

    Returns:
      The output tensor, in ``data_format``.

    Raises:
      ValueError: for a wrong rank, padding, data format, tuple argument or an unsupported one,
        naming the layer.
    """
    return _conv(2, "conv2d", inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
                 activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse)


def conv1d(inputs: torch.Tensor, filters: int, kernel_size: IntOrList, strides: IntOrList = 1,
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrList = 1,
           activation: Optional[Callable] = None, use_bias: bool = True, kernel_initializer=None,
           bias_initializer=initializers.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
           name: Optional[str] = None, reuse=None) -> torch.Tensor:
    """1-D convolution on ``[N, W, C]``, ``tf.compat.v1.layers.conv1d`` (default scope ``conv1d``).

    Arguments as :func:`conv2d` with one value per spatial dimension (``'causal'`` padding is not
    supported).
    """
    return _conv(1, "conv1d", inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
                 activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse)


def conv3d(inputs: torch.Tensor, filters: int, kernel_size: IntOrList, strides: IntOrList = (1, 1, 1),
           padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrList = (1, 1, 1),
           activation: Optional[Callable] = None, use_bias: bool = True, kernel_initializer=None,
           bias_initializer=initializers.zeros_initializer(), kernel_regularizer=None, bias_regularizer=None,
           activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable: bool = True,
           name: Optional[str] = None, reuse=None) -> torch.Tensor:
    """3-D convolution on ``[N, D, H, W, C]``, ``tf.compat.v1.layers.conv3d`` (default scope ``conv3d``).

    Arguments as :func:`conv2d` with three values per tuple.
    """
    return _conv(3, "conv3d", inputs, filters, kernel_size, strides, padding, data_format, dilation_rate,
                 activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, kernel_constraint, bias_constraint, trainable, name, reuse)


def separable_conv2d(inputs: torch.Tensor, filters: int, kernel_size: IntOrList, strides: IntOrList = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last", dilation_rate: IntOrList = (1, 1),
                     depth_multiplier: int = 1, activation: Optional[Callable] = None, use_bias: bool = True,
                     depthwise_initializer=None, pointwise_initializer=None,
                     bias_initializer=initializers.zeros_initializer(), depthwise_regularizer=None,
                     pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                     depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                     trainable: bool = True, name: Optional[str] = None, reuse=None) -> torch.Tensor:
    """Depthwise then 1x1 pointwise convolution, ``tf.compat.v1.layers.separable_conv2d``.

    Variables (in this order): ``depthwise_kernel`` ``[kh, kw, in, depth_multiplier]``,
    ``pointwise_kernel`` ``[1, 1, in * depth_multiplier, filters]``, ``bias`` ``[filters]``.
    Default scope ``separable_conv2d``. Depthwise output channel ``c * depth_multiplier + m`` comes
    from input channel ``c``, as in TF.

    Args: as :func:`conv2d`; ``depthwise_*`` / ``pointwise_*`` replace ``kernel_*``
    (None initializers are glorot uniform).

    Returns:
      The output tensor, in ``data_format``.
    """
    label = scope_label(name, "separable_conv2d")
    check_unsupported(label, depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
                      bias_constraint=bias_constraint)
    check_rank(inputs, (4,), label, "separable_conv2d")
    kernel = normalize_tuple(kernel_size, 2, "kernel_size", label)
    stride = normalize_tuple(strides, 2, "strides", label)
    rate = normalize_tuple(dilation_rate, 2, "dilation_rate", label)
    if max(stride) > 1 and max(rate) > 1:
        raise ValueError(f"{label}: `strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                         f"Received: strides={stride} and dilation_rate={rate}")
    padding = normalize_padding(padding, label)
    channels_first = is_channels_first(data_format, label)
    in_channels = _in_channels(inputs, channels_first)
    multiplier = int(depth_multiplier)
    filters = int(filters)
    with layer_scope(name, "separable_conv2d", reuse):
        depthwise = variable("depthwise_kernel", shape=kernel + (in_channels, multiplier),
                             initializer=depthwise_initializer, regularizer=depthwise_regularizer,
                             trainable=trainable, layout="depthwise")
        pointwise = variable("pointwise_kernel", shape=(1, 1, in_channels * multiplier, filters),
                             initializer=pointwise_initializer, regularizer=pointwise_regularizer,
                             trainable=trainable, layout="conv")
        bias = _bias(use_bias, filters, bias_initializer, bias_regularizer, trainable)
        x = pad.to_channels_first(inputs, channels_first)
        y = conv_ops.separable_conv2d(x, depthwise, pointwise, bias, stride, rate, padding)
        return _activate(pad.to_data_format(y, channels_first), activation, activity_regularizer)


def conv2d_transpose(inputs: torch.Tensor, filters: int, kernel_size: IntOrList, strides: IntOrList = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last",
                     activation: Optional[Callable] = None, use_bias: bool = True, kernel_initializer=None,
                     bias_initializer=initializers.zeros_initializer(), kernel_regularizer=None,
                     bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                     bias_constraint=None, trainable: bool = True, name: Optional[str] = None,
                     reuse=None) -> torch.Tensor:
    """Transposed 2-D convolution, ``tf.compat.v1.layers.conv2d_transpose`` (scope ``conv2d_transpose``).

    ``kernel`` is ``[kh, kw, filters, in]``. Output size: ``in * stride`` for ``'same'``,
    ``in * stride + max(k - stride, 0)`` for ``'valid'`` (Keras ``deconv_output_length``), the
    ``same`` output cropped where TF crops it.

    Args: as :func:`conv2d` (no dilation).

    Returns:
      The output tensor, in ``data_format``.
    """
    label = scope_label(name, "conv2d_transpose")
    check_unsupported(label, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    check_rank(inputs, (4,), label, "conv2d_transpose")
    kernel = normalize_tuple(kernel_size, 2, "kernel_size", label)
    stride = normalize_tuple(strides, 2, "strides", label)
    padding = normalize_padding(padding, label)
    channels_first = is_channels_first(data_format, label)
    filters = int(filters)
    with layer_scope(name, "conv2d_transpose", reuse):
        weights = variable("kernel", shape=kernel + (filters, _in_channels(inputs, channels_first)),
                           initializer=kernel_initializer, regularizer=kernel_regularizer, trainable=trainable,
                           layout="conv_transpose")
        bias = _bias(use_bias, filters, bias_initializer, bias_regularizer, trainable)
        x = pad.to_channels_first(inputs, channels_first)
        y = conv_ops.conv2d_transpose(x, weights, bias, stride, padding)
        return _activate(pad.to_data_format(y, channels_first), activation, activity_regularizer)
