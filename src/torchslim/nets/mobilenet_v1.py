"""MobileNet v1, as Slim defines it (tensorflow/models research/slim/nets/mobilenet_v1.py).

Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
(arXiv:1704.04861). Same functions, signatures, defaults, variable names and end points as Slim's
newest file, so the zoo's ``mobilenet_v1_{1.0,0.75,0.5,0.25}_*`` checkpoints restore by name.
NHWC inputs, 224x224 by default.

The body is a table of layers (:data:`MOBILENETV1_CONV_DEFS`): a 3x3 convolution, then 13
depthwise-separable blocks, each a 3x3 depthwise convolution (``Conv2d_<i>_depthwise``,
``depthwise_weights`` ``[3, 3, C, 1]``) and a 1x1 convolution (``Conv2d_<i>_pointwise``), every
one followed by batch norm and ReLU6 from :func:`mobilenet_v1_arg_scope`:

==========================  ==============  ==========================
end point                   output (224px)  layer
==========================  ==============  ==========================
Conv2d_0                    112 x 112 x 32  conv 3x3/2
Conv2d_1_{depth,point}wise  112 x 112 x 64  dw 3x3, pw 64
Conv2d_2_*                  56 x 56 x 128   dw 3x3/2, pw 128
Conv2d_3_*                  56 x 56 x 128   dw 3x3, pw 128
Conv2d_4_*                  28 x 28 x 256   dw 3x3/2, pw 256
Conv2d_5_*                  28 x 28 x 256   dw 3x3, pw 256
Conv2d_6_*                  14 x 14 x 512   dw 3x3/2, pw 512
Conv2d_7_* ... Conv2d_11_*  14 x 14 x 512   dw 3x3, pw 512 (five times)
Conv2d_12_*                 7 x 7 x 1024    dw 3x3/2, pw 1024
Conv2d_13_*                 7 x 7 x 1024    dw 3x3, pw 1024
==========================  ==============  ==========================

Then ``Logits``: a 7x7 average pool (``AvgPool_1a``, smaller for small inputs) or a global mean
(``global_pool``), dropout (``Dropout_1b``), a 1x1 convolution with biases (``Conv2d_1c_1x1``).

Example::

    import torchslim as slim
    from torchslim.nets import mobilenet_v1

    with slim.arg_scope(mobilenet_v1.mobilenet_v1_arg_scope(is_training=False)):
        model = slim.Model(mobilenet_v1.mobilenet_v1_050, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 224, 224, 3]
"""

from __future__ import annotations

import functools
from collections import namedtuple
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import inception_common

__all__ = ["Conv", "DepthSepConv", "MOBILENETV1_CONV_DEFS", "mobilenet_v1_base", "mobilenet_v1",
           "mobilenet_v1_075", "mobilenet_v1_050", "mobilenet_v1_025", "mobilenet_v1_arg_scope", "wrapped_partial"]

IsTraining = Union[bool, torch.Tensor, None]
EndPoints = Dict[str, torch.Tensor]

Conv = namedtuple("Conv", ["kernel", "stride", "depth"])
"""A plain convolution of the body: ``kernel`` ``[kh, kw]``, ``stride``, ``depth`` (output channels)."""

DepthSepConv = namedtuple("DepthSepConv", ["kernel", "stride", "depth"])
"""A depthwise ``kernel`` convolution (with ``stride``), then a 1x1 convolution to ``depth`` channels."""

MOBILENETV1_CONV_DEFS = [
    Conv(kernel=[3, 3], stride=2, depth=32),
    DepthSepConv(kernel=[3, 3], stride=1, depth=64),
    DepthSepConv(kernel=[3, 3], stride=2, depth=128),
    DepthSepConv(kernel=[3, 3], stride=1, depth=128),
    DepthSepConv(kernel=[3, 3], stride=2, depth=256),
    DepthSepConv(kernel=[3, 3], stride=1, depth=256),
    DepthSepConv(kernel=[3, 3], stride=2, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=1, depth=512),
    DepthSepConv(kernel=[3, 3], stride=2, depth=1024),
    DepthSepConv(kernel=[3, 3], stride=1, depth=1024),
]
"""The MobileNet v1 body of the paper's Table 1."""

_reduced_kernel_size_for_small_input = inception_common.reduced_kernel_size_for_small_input  # Slim's name


def _fixed_padding(inputs: torch.Tensor, kernel_size: Sequence[int], rate: int = 1) -> torch.Tensor:
    """Zero-pads H and W so that a ``VALID`` convolution gives the ``SAME`` output size at stride 1.

    ``k_eff - 1`` cells per dimension, ``(k_eff - 1) // 2`` before and the rest after, with
    ``k_eff = k + (k - 1)(rate - 1)``. As Slim, both dimensions use ``kernel_size[0]`` (the same
    for MobileNet's square kernels).

    Args:
      inputs: ``[N, H, W, C]``.
      kernel_size: ``[kh, kw]`` of the convolution that follows.
      rate: its atrous rate.

    Returns:
      ``[N, H + k_eff - 1, W + k_eff - 1, C]``.
    """
    effective = kernel_size[0] + (kernel_size[0] - 1) * (rate - 1)
    pad_beg = (effective - 1) // 2
    pad_end = effective - 1 - pad_beg
    return F.pad(inputs, (0, 0, pad_beg, pad_end, pad_beg, pad_end))


def _end_point_names(conv_defs: Sequence) -> List[str]:
    """Every end point the body of ``conv_defs`` has, in order.

    Raises:
      ValueError: for a layer that is neither :class:`Conv` nor :class:`DepthSepConv`.
    """
    names = []
    for i, conv_def in enumerate(conv_defs):
        if isinstance(conv_def, Conv):
            names.append(f"Conv2d_{i}")
        elif isinstance(conv_def, DepthSepConv):
            names += [f"Conv2d_{i}_depthwise", f"Conv2d_{i}_pointwise"]
        else:
            raise ValueError(f"Unknown convolution type {type(conv_def).__name__} for layer {i}")
    return names


def _strides_and_rates(conv_defs: Sequence, output_stride: Optional[int]) -> List[Tuple[int, int]]:
    """``(stride, rate)`` of each layer: past ``output_stride``, strides turn into atrous rates.

    Once the running product of strides reaches ``output_stride``, a layer runs at stride 1 and
    the rate it would have added multiplies the rate of the layers after it.
    """
    current_stride, rate, layers = 1, 1, []
    for conv_def in conv_defs:
        if output_stride is not None and current_stride == output_stride:
            layers.append((1, rate))
            rate *= conv_def.stride
        else:
            layers.append((conv_def.stride, 1))
            current_stride *= conv_def.stride
    return layers


def _depthwise(net: torch.Tensor, conv_def: DepthSepConv, stride: int, rate: int, explicit_padding: bool,
               scope: str) -> torch.Tensor:
    """The depthwise half of a separable block (``separable_conv2d`` with ``num_outputs=None``)."""
    if explicit_padding:
        net = _fixed_padding(net, conv_def.kernel, rate)
    return slim.separable_conv2d(net, None, conv_def.kernel, depth_multiplier=1, stride=stride, rate=rate,
                                 scope=scope)


def _layers(conv_def, index: int, stride: int, rate: int, depth: Callable[[int], int],
            explicit_padding: bool) -> List[Tuple[str, Callable]]:
    """``(end point, layer)`` pairs of one row of the conv definitions."""
    name = f"Conv2d_{index}"
    if isinstance(conv_def, Conv):
        def conv(x):
            if explicit_padding:
                x = _fixed_padding(x, conv_def.kernel)
            # Slim gives a plain convolution its own stride even past output_stride.
            return slim.conv2d(x, depth(conv_def.depth), conv_def.kernel, stride=conv_def.stride, scope=name)

        return [(name, conv)]
    return [(name + "_depthwise", lambda x: _depthwise(x, conv_def, stride, rate, explicit_padding,
                                                      name + "_depthwise")),
            (name + "_pointwise", lambda x: slim.conv2d(x, depth(conv_def.depth), [1, 1], stride=1,
                                                        scope=name + "_pointwise"))]


def mobilenet_v1_base(inputs: torch.Tensor, final_endpoint: str = "Conv2d_13_pointwise", min_depth: int = 8,
                      depth_multiplier: float = 1.0, conv_defs: Optional[Sequence] = None,
                      output_stride: Optional[int] = None, use_explicit_padding: bool = False,
                      scope=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds MobileNet v1 from the inputs up to ``final_endpoint``.

    Normalizer and activation come from the arg scope (:func:`mobilenet_v1_arg_scope`: batch
    norm and ReLU6); without one, ``conv2d`` and ``separable_conv2d`` have biases and ReLU.

    Args:
      inputs: ``[N, H, W, C]``.
      final_endpoint: where to stop: ``Conv2d_0``, ``Conv2d_<i>_depthwise`` or
        ``Conv2d_<i>_pointwise`` (``i`` in 1..13 with the default definitions).
      min_depth: the smallest width of any convolution (binding when ``depth_multiplier < 1``).
      depth_multiplier: multiplies every convolution's width; > 0. The depthwise convolutions
        keep one output per input channel.
      conv_defs: the body as a list of :class:`Conv` / :class:`DepthSepConv` (default
        :data:`MOBILENETV1_CONV_DEFS`).
      output_stride: 8, 16 or 32: the largest input / output size ratio; later strides become
        atrous rates of the depthwise convolutions. None: no limit.
      use_explicit_padding: zero-pad each 3x3 layer's input (:func:`_fixed_padding`) and
        convolve ``VALID``: the ``SAME`` output sizes, with the padding split evenly.
      scope: the variable scope (default ``MobilenetV1``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: if ``final_endpoint`` is unknown, ``depth_multiplier <= 0``, ``output_stride``
        is not 8, 16 or 32, or a definition is of an unknown type.
    """
    depth = inception_common.depth_fn(depth_multiplier, min_depth)
    if conv_defs is None:
        conv_defs = MOBILENETV1_CONV_DEFS
    if output_stride is not None and output_stride not in [8, 16, 32]:
        raise ValueError("Only allowed output_stride values are 8, 16, 32.")
    if final_endpoint not in _end_point_names(conv_defs):
        raise ValueError(f"Unknown final endpoint {final_endpoint}")
    end_points: EndPoints = {}
    padding = "VALID" if use_explicit_padding else "SAME"
    with slim.variable_scope(scope, "MobilenetV1", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.separable_conv2d], padding=padding):
            net = inputs
            for i, (conv_def, (stride, rate)) in enumerate(zip(conv_defs, _strides_and_rates(conv_defs,
                                                                                              output_stride))):
                for name, layer in _layers(conv_def, i, stride, rate, depth, use_explicit_padding):
                    net = layer(net)
                    end_points[name] = net
                    if name == final_endpoint:
                        return net, end_points
    raise AssertionError("unreachable: final_endpoint was checked")  # pragma: no cover


def _logits_head(net: torch.Tensor, end_points: EndPoints, num_classes: Optional[int], dropout_keep_prob: float,
                 spatial_squeeze: bool, global_pool: bool) -> Optional[torch.Tensor]:
    """The ``Logits`` scope: pool, then (with classes) dropout and the 1x1 logits convolution.

    Returns:
      The logits, or None when ``num_classes`` is 0 or None (the pooled features are then
      the last end point).
    """
    with slim.variable_scope("Logits") as sc:
        if global_pool:
            net = torch.mean(net, dim=(1, 2), keepdim=True)
            end_points["global_pool"] = net
        else:
            kernel_size = _reduced_kernel_size_for_small_input(net, [7, 7])
            net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a")
            end_points["AvgPool_1a"] = net
        if not num_classes:
            return None
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                             scope="Conv2d_1c_1x1")
        if spatial_squeeze:
            logits = inception_common.squeeze_spatial(logits, sc.name)
    return logits


def mobilenet_v1(inputs: torch.Tensor, num_classes: Optional[int] = 1000, dropout_keep_prob: float = 0.999,
                 is_training: IsTraining = True, min_depth: int = 8, depth_multiplier: float = 1.0,
                 conv_defs: Optional[Sequence] = None, prediction_fn: Optional[Callable] = slim.softmax,
                 spatial_squeeze: bool = True, reuse=None, scope: str = "MobilenetV1",
                 global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds MobileNet v1 with its classifier.

    Args:
      inputs: ``[N, H, W, C]`` (224x224 by default).
      num_classes: number of classes; 0 or None omits the logits layer and returns the pooled
        features (before dropout).
      dropout_keep_prob: keep probability of ``Dropout_1b``.
      is_training: BatchNorm and dropout mode: a bool, a 0-d bool tensor, or None to follow
        ``model.train()`` / ``model.eval()``.
      min_depth: the smallest width of any convolution.
      depth_multiplier: multiplies every convolution's width; > 0.
      conv_defs: the body (default :data:`MOBILENETV1_CONV_DEFS`).
      prediction_fn: maps the logits to ``end_points['Predictions']``; None leaves it out.
      spatial_squeeze: logits ``[N, num_classes]`` (else ``[N, 1, 1, num_classes]``).
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      global_pool: average the last feature map over all of H and W (else a 7x7 window: larger
        inputs give larger outputs, which only ``spatial_squeeze=False`` accepts).

    Returns:
      ``(logits, end_points)``; end points are the base's plus ``AvgPool_1a`` (or ``global_pool``),
      ``Logits`` and ``Predictions``. Without classes: ``(pooled features, end_points)``.

    Raises:
      ValueError: ``'Invalid input tensor rank, expected 4, was: <r>'``, the base's errors, or
        ``spatial_squeeze`` meeting logits that are not 1x1.
    """
    if inputs.dim() != 4:
        raise ValueError(f"Invalid input tensor rank, expected 4, was: {inputs.dim()}")
    with slim.variable_scope(scope, "MobilenetV1", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = mobilenet_v1_base(inputs, scope=sc, min_depth=min_depth,
                                                depth_multiplier=depth_multiplier, conv_defs=conv_defs)
            logits = _logits_head(net, end_points, num_classes, dropout_keep_prob, spatial_squeeze, global_pool)
            if logits is None:
                return end_points["global_pool" if global_pool else "AvgPool_1a"], end_points
            end_points["Logits"] = logits
            if prediction_fn:
                end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


mobilenet_v1.default_image_size = 224


def wrapped_partial(func: Callable, *args, **kwargs) -> Callable:
    """``functools.partial(func, ...)`` that keeps ``func``'s name, docstring and attributes.

    (``default_image_size`` included, which the factory reads.)
    """
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


mobilenet_v1_075 = wrapped_partial(mobilenet_v1, depth_multiplier=0.75)
mobilenet_v1_050 = wrapped_partial(mobilenet_v1, depth_multiplier=0.50)
mobilenet_v1_025 = wrapped_partial(mobilenet_v1, depth_multiplier=0.25)


def mobilenet_v1_arg_scope(is_training: Optional[bool] = True, weight_decay: float = 0.00004, stddev: float = 0.09,
                           regularize_depthwise: bool = False, batch_norm_decay: float = 0.9997,
                           batch_norm_epsilon: float = 0.001,
                           batch_norm_updates_collections=slim.GraphKeys.UPDATE_OPS,
                           normalizer_fn: Optional[Callable] = slim.batch_norm) -> dict:
    """The default MobileNet v1 arg scope.

    ``conv2d`` and ``separable_conv2d``: truncated-normal weights, ReLU6, ``normalizer_fn``;
    L2 decay on the convolution weights (on the depthwise ones only with ``regularize_depthwise``).
    ``batch_norm``: ``center`` and ``scale``, the given decay and epsilon.

    Args:
      is_training: batch norm's mode; None leaves ``is_training`` out of the batch-norm scope.
      weight_decay: the L2 coefficient.
      stddev: standard deviation of the truncated-normal weight initializer.
      regularize_depthwise: also decay the depthwise weights.
      batch_norm_decay: decay of the batch-norm moving averages.
      batch_norm_epsilon: added to the variance.
      batch_norm_updates_collections: accepted for compatibility (batch norm updates itself in
        training calls); it sets TF's variable creation order.
      normalizer_fn: the normalizer after each convolution.

    Returns:
      An arg-scope dict; entering it replaces the active arg scope.
    """
    batch_norm_params = {
        "center": True,
        "scale": True,
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "updates_collections": batch_norm_updates_collections,
    }
    if is_training is not None:
        batch_norm_params["is_training"] = is_training
    weights_init = slim.initializers.truncated_normal_initializer(stddev=stddev)
    regularizer = slim.l2_regularizer(weight_decay)
    depthwise_regularizer = regularizer if regularize_depthwise else None
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], weights_initializer=weights_init,
                        activation_fn=slim.nn.relu6, normalizer_fn=normalizer_fn):
        with slim.arg_scope([slim.batch_norm], **batch_norm_params):
            with slim.arg_scope([slim.conv2d], weights_regularizer=regularizer):
                with slim.arg_scope([slim.separable_conv2d], weights_regularizer=depthwise_regularizer) as sc:
                    return sc
