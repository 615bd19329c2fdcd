"""Convolutions: ``convolution`` (1-3 D), ``conv2d``, ``separable_conv2d``, ``conv2d_transpose``.

Each layer is one recipe, top to bottom: check the arguments, open the variable scope, get or
create the variables (TF-shaped, ``[kh, kw, in, out]``, stored in PyTorch's layout), make one call
to :mod:`torchslim.ops.conv` on the channels-first view of the inputs (TF's ``SAME`` padding with
its extra cell at the bottom/right), then the normalizer, the activation, and the collection.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Union

import torch

from torchslim import initializers, nn as tfnn, utils
from torchslim.arg_scope import add_arg_scope
from torchslim.layers.common import (check_rank, kernel_in_input_memory_format, layer_biases, normalize_and_activate,
                                     scope_label, variable_collections)
from torchslim.ops import conv as conv_ops, padding as pad
from torchslim.variables import model_variable
from torchslim.scopes import variable_scope

__all__ = [
    "convolution", "convolution1d", "convolution2d", "convolution3d", "conv1d", "conv2d", "conv3d",
    "separable_convolution2d", "separable_conv2d", "convolution2d_transpose", "conv2d_transpose",
]

IntOrList = Union[int, Sequence[int]]


def _check_rate_stride(stride, rate, label):
    if max(rate) > 1 and max(stride) > 1:
        raise ValueError(f"{label}: stride must be 1 when rate > 1 (stride={list(stride)}, rate={list(rate)})")


def _conv_config(inputs, kernel_size, stride, padding, data_format, rate, conv_dims, label):
    """``(channels_first, padding, kernel, strides, rates)`` of a convolution call, validated.

    Raises:
      ValueError: as :func:`convolution` documents, naming the scope.
    """
    if conv_dims is not None:
        if not isinstance(inputs, torch.Tensor) or inputs.dim() != conv_dims + 2:
            got = inputs.dim() if isinstance(inputs, torch.Tensor) else type(inputs).__name__
            raise ValueError(f"{label}: Convolution expects input with rank {conv_dims + 2}, got {got}")
    rank = check_rank(inputs, (3, 4, 5), label, "convolution")
    nd = rank - 2
    channels_first = pad.is_channels_first(data_format, label)
    if data_format is not None and len(data_format) != rank:
        raise ValueError(f"{label}: Invalid data_format {data_format!r} for a rank-{rank} input")
    padding = pad.normalize_conv_padding(padding, rank, channels_first, label)
    kernel = utils.n_positive_integers(nd, kernel_size)
    strides = utils.n_positive_integers(nd, stride)
    rates = utils.n_positive_integers(nd, rate)
    _check_rate_stride(strides, rates, label)
    return channels_first, padding, kernel, strides, rates


def _conv2d_config(inputs, kernel_size, stride, padding, data_format, label, what):
    """``(label, channels_first, padding, kernel, strides)`` of a rank-4 layer (``'SAME'``/``'VALID'`` only), checked.

    Raises:
      ValueError: for a wrong rank, data format or padding, naming ``label``.
    """
    check_rank(inputs, (4,), label, what)
    channels_first = pad.is_channels_first(data_format, label)
    padding = pad.normalize_padding(padding, label)
    return label, channels_first, padding, utils.two_element_tuple(kernel_size), utils.two_element_tuple(stride)


@add_arg_scope
def convolution(inputs: torch.Tensor, num_outputs: int, kernel_size: IntOrList, stride: IntOrList = 1,
                padding: Union[str, Sequence[Sequence[int]]] = "SAME", data_format: Optional[str] = None,
                rate: IntOrList = 1,
                activation_fn: Optional[Callable] = tfnn.relu, normalizer_fn: Optional[Callable] = None,
                normalizer_params: Optional[dict] = None,
                weights_initializer=initializers.xavier_initializer(), weights_regularizer=None,
                biases_initializer=initializers.zeros_initializer(), biases_regularizer=None,
                reuse=None, variables_collections=None, outputs_collections=None, trainable: bool = True,
                scope: Optional[str] = None, conv_dims: Optional[int] = None) -> torch.Tensor:
    """A 1-D, 2-D or 3-D convolution with optional bias, normalizer and activation.

    Variables ``<scope>/weights`` ``[*kernel, in, out]`` and, unless a normalizer is given or
    ``biases_initializer`` is None, ``<scope>/biases`` ``[out]``. The normalizer runs inside the
    layer's scope (``<scope>/BatchNorm/...``). Default scope: ``Conv``.

    Args:
      inputs: ``[N, *spatial, C]`` (or ``[N, C, *spatial]`` with a channels-first ``data_format``).
      num_outputs: output channels.
      kernel_size, stride, rate: an int or one value per spatial dimension; ``rate > 1`` is an
        atrous (dilated) convolution and needs ``stride == 1``.
      padding: ``'SAME'``, ``'VALID'``, or explicit ``[before, after]`` pairs for every input
        dimension in ``data_format`` order, zero for batch and channels (as ``tf.nn.conv2d``
        takes; a torchslim extension).
      data_format: None/``NWC``/``NHWC``/``NDHWC`` or ``NCW``/``NCHW``/``NCDHW``.
      activation_fn, normalizer_fn, normalizer_params: applied in the order conv, normalizer,
        activation.
      weights_initializer, weights_regularizer, biases_initializer, biases_regularizer: as TF-Slim.
      reuse: share the variables of ``scope``.
      variables_collections: extra collections for the variables (list, or dict by variable name).
      outputs_collections: collections to add the output to (alias: the scope name).
      trainable: False makes the variables buffers.
      scope: the variable scope.
      conv_dims: if given, the input rank must be ``conv_dims + 2``.

    Returns:
      The output tensor, in ``data_format``.

    Raises:
      ValueError: for a wrong input rank, an unknown data format or padding, stride and rate both
        above 1, or a channel mismatch on reuse (each naming the scope or variable).
    """
    channels_first, padding, kernel, strides, rates = _conv_config(
        inputs, kernel_size, stride, padding, data_format, rate, conv_dims, scope_label(scope, "Conv"))
    num_outputs = int(num_outputs)
    in_channels = inputs.shape[1] if channels_first else inputs.shape[-1]
    with variable_scope(scope, "Conv", [inputs], reuse=reuse) as sc:
        weights = model_variable(
            "weights", shape=tuple(kernel) + (in_channels, num_outputs), dtype=inputs.dtype,
            initializer=weights_initializer, regularizer=weights_regularizer, trainable=trainable,
            collections=variable_collections(variables_collections, "weights"), layout="conv")
        weights = kernel_in_input_memory_format(weights, channels_first)
        biases = layer_biases(num_outputs, inputs.dtype, normalizer_fn, biases_initializer, biases_regularizer,
                              trainable, variables_collections)
        y = conv_ops.conv(pad.to_channels_first(inputs, channels_first), weights, biases, strides, rates, padding)
        outputs = normalize_and_activate(pad.to_data_format(y, channels_first), normalizer_fn, normalizer_params,
                                         activation_fn)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


def _fixed_dims(conv_dims: int, name: str) -> Callable:
    def conv(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
             activation_fn=tfnn.relu, normalizer_fn=None, normalizer_params=None,
             weights_initializer=initializers.xavier_initializer(), weights_regularizer=None,
             biases_initializer=initializers.zeros_initializer(), biases_regularizer=None, reuse=None,
             variables_collections=None, outputs_collections=None, trainable=True, scope=None):
        return convolution(inputs, num_outputs, kernel_size, stride, padding, data_format, rate,
                           activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                           weights_regularizer, biases_initializer, biases_regularizer, reuse,
                           variables_collections, outputs_collections, trainable, scope, conv_dims)

    conv.__name__ = conv.__qualname__ = name
    conv.__doc__ = (f"A {conv_dims}-D convolution: :func:`convolution` with ``conv_dims={conv_dims}`` "
                    "(same arguments, default scope ``Conv``).")
    return add_arg_scope(conv)


convolution1d = _fixed_dims(1, "convolution1d")
convolution2d = _fixed_dims(2, "convolution2d")
convolution3d = _fixed_dims(3, "convolution3d")
conv1d = convolution1d
conv2d = convolution2d
conv3d = convolution3d


@add_arg_scope
def separable_convolution2d(inputs: torch.Tensor, num_outputs: Optional[int], kernel_size: IntOrList,
                            depth_multiplier: int = 1, stride: IntOrList = 1, padding: str = "SAME",
                            data_format: str = "NHWC", rate: IntOrList = 1,
                            activation_fn: Optional[Callable] = tfnn.relu, normalizer_fn: Optional[Callable] = None,
                            normalizer_params: Optional[dict] = None,
                            weights_initializer=initializers.xavier_initializer(), pointwise_initializer=None,
                            weights_regularizer=None, biases_initializer=initializers.zeros_initializer(),
                            biases_regularizer=None, reuse=None, variables_collections=None,
                            outputs_collections=None, trainable: bool = True,
                            scope: Optional[str] = None) -> torch.Tensor:
    """A depthwise convolution, then (if ``num_outputs``) a 1x1 pointwise one.

    Variables: ``depthwise_weights`` ``[kh, kw, in, depth_multiplier]``, ``pointwise_weights``
    ``[1, 1, in * depth_multiplier, out]`` (when ``num_outputs`` is not None) and ``biases``.
    Default scope: ``SeparableConv2d``.

    Args:
      inputs: a rank-4 tensor in ``data_format``.
      num_outputs: output channels, or None for the depthwise part alone.
      kernel_size, stride, rate: ints or pairs.
      depth_multiplier: depthwise outputs per input channel.
      pointwise_initializer: None uses ``weights_initializer``.
      Other arguments: as :func:`convolution`.

    Returns:
      The output tensor.

    Raises:
      ValueError: for a wrong rank, data format, padding, or stride and rate both above 1.
    """
    label, channels_first, padding, kernel, strides = _conv2d_config(
        inputs, kernel_size, stride, padding, data_format, scope_label(scope, "SeparableConv2d"), "separable_conv2d")
    rates = utils.two_element_tuple(rate)
    _check_rate_stride(strides, rates, label)
    in_channels = inputs.shape[1] if channels_first else inputs.shape[-1]
    depth = in_channels * int(depth_multiplier)
    pointwise_initializer = pointwise_initializer or weights_initializer
    with variable_scope(scope, "SeparableConv2d", [inputs], reuse=reuse) as sc:
        depthwise = model_variable(
            "depthwise_weights", shape=tuple(kernel) + (in_channels, int(depth_multiplier)), dtype=inputs.dtype,
            initializer=weights_initializer, regularizer=weights_regularizer, trainable=trainable,
            collections=variable_collections(variables_collections, "weights"), layout="depthwise")
        pointwise = None
        if num_outputs is not None:
            pointwise = model_variable(
                "pointwise_weights", shape=(1, 1, depth, int(num_outputs)), dtype=inputs.dtype,
                initializer=pointwise_initializer, regularizer=weights_regularizer, trainable=trainable,
                collections=variable_collections(variables_collections, "weights"), layout="conv")
        biases = layer_biases(depth if num_outputs is None else num_outputs, inputs.dtype, normalizer_fn,
                              biases_initializer, biases_regularizer, trainable, variables_collections)
        x = pad.to_channels_first(inputs, channels_first)
        if pointwise is None:
            y = conv_ops.depthwise_conv2d(x, depthwise, biases, strides, rates, padding)
        else:
            y = conv_ops.separable_conv2d(x, depthwise, pointwise, biases, strides, rates, padding)
        outputs = normalize_and_activate(pad.to_data_format(y, channels_first), normalizer_fn,
                                         normalizer_params, activation_fn)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


separable_conv2d = separable_convolution2d


@add_arg_scope
def convolution2d_transpose(inputs: torch.Tensor, num_outputs: int, kernel_size: IntOrList, stride: IntOrList = 1,
                            padding: str = "SAME", data_format: str = "NHWC",
                            activation_fn: Optional[Callable] = tfnn.relu, normalizer_fn: Optional[Callable] = None,
                            normalizer_params: Optional[dict] = None,
                            weights_initializer=initializers.xavier_initializer(), weights_regularizer=None,
                            biases_initializer=initializers.zeros_initializer(), biases_regularizer=None,
                            reuse=None, variables_collections=None, outputs_collections=None,
                            trainable: bool = True, scope: Optional[str] = None) -> torch.Tensor:
    """A transposed ("deconvolution") 2-D convolution with TF's output sizes and cropping.

    Variables: ``weights`` ``[kh, kw, out, in]`` and ``biases`` ``[out]``. ``SAME`` gives
    ``in * stride``; ``VALID`` gives ``in * stride + max(k - stride, 0)``.
    Default scope: ``Conv2d_transpose``.

    Args: as :func:`convolution` (2-D, no rate).

    Returns:
      The output tensor.

    Raises:
      ValueError: for a wrong rank, data format or padding.
    """
    _, channels_first, padding, kernel, strides = _conv2d_config(
        inputs, kernel_size, stride, padding, data_format, scope_label(scope, "Conv2d_transpose"), "conv2d_transpose")
    in_channels = inputs.shape[1] if channels_first else inputs.shape[-1]
    with variable_scope(scope, "Conv2d_transpose", [inputs], reuse=reuse) as sc:
        weights = model_variable(
            "weights", shape=tuple(kernel) + (int(num_outputs), in_channels), dtype=inputs.dtype,
            initializer=weights_initializer, regularizer=weights_regularizer, trainable=trainable,
            collections=variable_collections(variables_collections, "weights"), layout="conv_transpose")
        weights = kernel_in_input_memory_format(weights, channels_first)
        biases = layer_biases(num_outputs, inputs.dtype, normalizer_fn, biases_initializer, biases_regularizer,
                              trainable, variables_collections)
        y = conv_ops.conv2d_transpose(pad.to_channels_first(inputs, channels_first), weights, biases, strides,
                                      padding)
        outputs = normalize_and_activate(pad.to_data_format(y, channels_first), normalizer_fn,
                                         normalizer_params, activation_fn)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


conv2d_transpose = convolution2d_transpose
