"""Inception v2 (BN-Inception), as Slim defines it (tensorflow/models research/slim/nets/inception_v2.py).

Ioffe & Szegedy, "Batch Normalization: Accelerating Deep Network Training by Reducing Internal
Covariate Shift" (arXiv:1502.03167). Same functions, signatures, defaults, variable names and end
points as Slim, so the Slim zoo's ``inception_v2_2016_08_28`` checkpoint restores by name. NHWC
inputs (NCHW in :func:`inception_v2_base` without the separable stem), 224x224 by default.

Layout at 224x224 (every layer stride 1 and SAME unless noted; widths at ``depth_multiplier=1``):

==============  ==============  ==================================================================
end point       output          what
==============  ==============  ==================================================================
Conv2d_1a_7x7   112 x 112 x 64  7x7/2 separable conv (depthwise x8, then 1x1), or a plain conv
MaxPool_2a_3x3  56 x 56 x 64    max-pool 3x3/2
Conv2d_2b_1x1   56 x 56 x 64    conv 1x1
Conv2d_2c_3x3   56 x 56 x 192   conv 3x3
MaxPool_3a_3x3  28 x 28 x 192   max-pool 3x3/2
Mixed_3b        28 x 28 x 256   64 | 64->64 | 64->96->96 | avg-pool->32
Mixed_3c        28 x 28 x 320   64 | 64->96 | 64->96->96 | avg-pool->64
Mixed_4a        14 x 14 x 576   reduction: 128->160/2 | 64->96->96/2 | max-pool/2
Mixed_4b        14 x 14 x 576   224 | 64->96 | 96->128->128 | avg-pool->128
Mixed_4c        14 x 14 x 576   192 | 96->128 | 96->128->128 | avg-pool->128
Mixed_4d        14 x 14 x 576   160 | 128->160 | 128->160->160 | avg-pool->96
Mixed_4e        14 x 14 x 576   96 | 128->192 | 160->192->192 | avg-pool->96
Mixed_5a        7 x 7 x 1024    reduction: 128->192/2 | 192->256->256/2 | max-pool/2
Mixed_5b        7 x 7 x 1024    352 | 192->320 | 160->224->224 | avg-pool->128
Mixed_5c        7 x 7 x 1024    352 | 192->320 | 192->224->224 | max-pool->128
==============  ==============  ==================================================================

Then the ``Logits`` head of :mod:`~torchslim.nets.inception_common` (7x7 average pool).

Example::

    import torchslim as slim
    from torchslim.nets import inception_v2

    with slim.arg_scope(inception_v2.inception_v2_arg_scope()):
        model = slim.Model(inception_v2.inception_v2, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 224, 224, 3]
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_common, inception_utils

__all__ = ["inception_v2_base", "inception_v2", "inception_v2_arg_scope", "default_image_size",
           "ROOT_END_POINTS", "MIXED_END_POINTS"]

IsTraining = Union[bool, torch.Tensor, None]
EndPoints = Dict[str, torch.Tensor]
Depth = Callable[[int], int]

default_image_size = 224

_reduced_kernel_size_for_small_input = inception_common.reduced_kernel_size_for_small_input  # Slim's name


def trunc_normal(stddev: float):
    """Slim's ``tf.truncated_normal_initializer(0.0, stddev)``."""
    return slim.initializers.truncated_normal_initializer(0.0, stddev)


ROOT_END_POINTS = ("Conv2d_1a_7x7", "MaxPool_2a_3x3", "Conv2d_2b_1x1", "Conv2d_2c_3x3", "MaxPool_3a_3x3")
"""The stem's end points (left out with ``include_root_block=False``)."""

# Inception modules: (Branch_0 1x1, (Branch_1 1x1, 3x3), (Branch_2 1x1, 3x3 twice), Branch_3 pool, 1x1).
INCEPTION_MODULES = {
    "Mixed_3b": (64, (64, 64), (64, 96), "avg", 32),
    "Mixed_3c": (64, (64, 96), (64, 96), "avg", 64),
    "Mixed_4b": (224, (64, 96), (96, 128), "avg", 128),
    "Mixed_4c": (192, (96, 128), (96, 128), "avg", 128),
    "Mixed_4d": (160, (128, 160), (128, 160), "avg", 96),
    "Mixed_4e": (96, (128, 192), (160, 192), "avg", 96),
    "Mixed_5b": (352, (192, 320), (160, 224), "avg", 128),
    "Mixed_5c": (352, (192, 320), (192, 224), "max", 128),
}

# Reduction modules: ((Branch_0 1x1, 3x3/2), (Branch_1 1x1, 3x3, 3x3/2)); Branch_2 is a 3x3/2 max-pool.
REDUCTION_MODULES = {
    "Mixed_4a": ((128, 160), (64, 96)),
    "Mixed_5a": ((128, 192), (192, 256)),
}

MIXED_END_POINTS = ("Mixed_3b", "Mixed_3c", "Mixed_4a", "Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e",
                    "Mixed_5a", "Mixed_5b", "Mixed_5c")
"""The end points after the stem, in order."""


def _inception_module(net: torch.Tensor, widths, depth: Depth, axis: int) -> torch.Tensor:
    """1x1 | 1x1->3x3 | 1x1->3x3->3x3 | 3x3 pool->1x1, concatenated on ``axis``."""
    d0, (d1a, d1b), (d2a, d2b), pool, d3 = widths
    with slim.variable_scope("Branch_0"):
        branch_0 = slim.conv2d(net, depth(d0), [1, 1], scope="Conv2d_0a_1x1")
    with slim.variable_scope("Branch_1"):
        branch_1 = slim.conv2d(net, depth(d1a), [1, 1], weights_initializer=trunc_normal(0.09),
                               scope="Conv2d_0a_1x1")
        branch_1 = slim.conv2d(branch_1, depth(d1b), [3, 3], scope="Conv2d_0b_3x3")
    with slim.variable_scope("Branch_2"):
        branch_2 = slim.conv2d(net, depth(d2a), [1, 1], weights_initializer=trunc_normal(0.09),
                               scope="Conv2d_0a_1x1")
        branch_2 = slim.conv2d(branch_2, depth(d2b), [3, 3], scope="Conv2d_0b_3x3")
        branch_2 = slim.conv2d(branch_2, depth(d2b), [3, 3], scope="Conv2d_0c_3x3")
    with slim.variable_scope("Branch_3"):
        if pool == "max":
            branch_3 = slim.max_pool2d(net, [3, 3], scope="MaxPool_0a_3x3")
        else:
            branch_3 = slim.avg_pool2d(net, [3, 3], scope="AvgPool_0a_3x3")
        branch_3 = slim.conv2d(branch_3, depth(d3), [1, 1], weights_initializer=trunc_normal(0.1),
                               scope="Conv2d_0b_1x1")
    return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=axis)


def _reduction_module(net: torch.Tensor, widths, depth: Depth, axis: int) -> torch.Tensor:
    """1x1->3x3/2 | 1x1->3x3->3x3/2 | 3x3/2 max-pool, concatenated on ``axis``."""
    (d0a, d0b), (d1a, d1b) = widths
    with slim.variable_scope("Branch_0"):
        branch_0 = slim.conv2d(net, depth(d0a), [1, 1], weights_initializer=trunc_normal(0.09),
                               scope="Conv2d_0a_1x1")
        branch_0 = slim.conv2d(branch_0, depth(d0b), [3, 3], stride=2, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_1"):
        branch_1 = slim.conv2d(net, depth(d1a), [1, 1], weights_initializer=trunc_normal(0.09),
                               scope="Conv2d_0a_1x1")
        branch_1 = slim.conv2d(branch_1, depth(d1b), [3, 3], scope="Conv2d_0b_3x3")
        branch_1 = slim.conv2d(branch_1, depth(d1b), [3, 3], stride=2, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_2"):
        branch_2 = slim.max_pool2d(net, [3, 3], stride=2, scope="MaxPool_1a_3x3")
    return torch.cat([branch_0, branch_1, branch_2], dim=axis)


def _stem_conv(net: torch.Tensor, depth: Depth, use_separable_conv: bool) -> torch.Tensor:
    """``Conv2d_1a_7x7``: a 7x7/2 separable conv (its depthwise multiplier keeps in*mult <= out), or a conv."""
    if use_separable_conv:
        depthwise_multiplier = min(int(depth(64) / 3), 8)
        return slim.separable_conv2d(net, depth(64), [7, 7], depth_multiplier=depthwise_multiplier, stride=2,
                                     padding="SAME", weights_initializer=trunc_normal(1.0), scope="Conv2d_1a_7x7")
    return slim.conv2d(net, depth(64), [7, 7], stride=2, weights_initializer=trunc_normal(1.0),
                       scope="Conv2d_1a_7x7")


def _stages(depth: Depth, use_separable_conv: bool, include_root_block: bool,
            axis: int) -> List[Tuple[str, Callable]]:
    """The base network as ``(end point, layer)`` pairs, in order (see the module's table)."""
    root = [
        ("Conv2d_1a_7x7", lambda x: _stem_conv(x, depth, use_separable_conv)),
        ("MaxPool_2a_3x3", lambda x: slim.max_pool2d(x, [3, 3], stride=2, scope="MaxPool_2a_3x3")),
        ("Conv2d_2b_1x1", lambda x: slim.conv2d(x, depth(64), [1, 1], weights_initializer=trunc_normal(0.1),
                                                scope="Conv2d_2b_1x1")),
        ("Conv2d_2c_3x3", lambda x: slim.conv2d(x, depth(192), [3, 3], scope="Conv2d_2c_3x3")),
        ("MaxPool_3a_3x3", lambda x: slim.max_pool2d(x, [3, 3], stride=2, scope="MaxPool_3a_3x3")),
    ]

    def mixed(name):
        module = _reduction_module if name in REDUCTION_MODULES else _inception_module
        widths = REDUCTION_MODULES.get(name) or INCEPTION_MODULES[name]

        def layer(x):
            with slim.variable_scope(name):
                return module(x, widths, depth, axis)

        return name, layer

    return (root if include_root_block else []) + [mixed(name) for name in MIXED_END_POINTS]


def _check_base_args(final_endpoint: str, data_format: str, use_separable_conv: bool,
                     include_root_block: bool) -> None:
    """Slim's argument errors, raised before any layer is built."""
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError("data_format must be either NHWC or NCHW.")
    if data_format == "NCHW" and use_separable_conv:
        raise ValueError("separable convolution only supports NHWC layout. NCHW data format can only be used "
                         "when use_separable_conv is False.")
    valid = (ROOT_END_POINTS if include_root_block else ()) + MIXED_END_POINTS
    if final_endpoint not in valid:
        raise ValueError(f"Unknown final endpoint {final_endpoint}; expected one of {list(valid)}")


def inception_v2_base(inputs: torch.Tensor, final_endpoint: str = "Mixed_5c", min_depth: int = 16,
                      depth_multiplier: float = 1.0, use_separable_conv: bool = True, data_format: str = "NHWC",
                      include_root_block: bool = True, scope=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v2 from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, H, W, C]`` (``[N, C, H, W]`` with ``data_format='NCHW'``); any size from 32x32.
      final_endpoint: where to stop: one of :data:`ROOT_END_POINTS` (with the root block) or
        :data:`MIXED_END_POINTS`.
      min_depth: the smallest width of any convolution (binding when ``depth_multiplier < 1``).
      depth_multiplier: multiplies every convolution's width; > 0.
      use_separable_conv: ``Conv2d_1a_7x7`` is a separable convolution (else a plain one; same
        output shape, different variables).
      data_format: ``'NHWC'``, or ``'NCHW'`` (only without the separable convolution).
      include_root_block: build the stem (``Conv2d_1a_7x7`` ... ``MaxPool_3a_3x3``); without it
        the inputs go straight into ``Mixed_3b`` (e.g. 28x28x192 features).
      scope: the variable scope (default ``InceptionV2``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: if ``final_endpoint`` is unknown (or a stem end point without the root block),
        ``depth_multiplier <= 0``, ``data_format`` is neither NHWC nor NCHW, or NCHW is asked
        with the separable convolution.
    """
    depth = inception_common.depth_fn(depth_multiplier, min_depth)
    _check_base_args(final_endpoint, data_format, use_separable_conv, include_root_block)
    axis = 3 if data_format == "NHWC" else 1
    with slim.variable_scope(scope, "InceptionV2", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME",
                            data_format=data_format):
            return inception_common.run_stages(inputs, _stages(depth, use_separable_conv, include_root_block, axis),
                                               final_endpoint)


def inception_v2(inputs: torch.Tensor, num_classes: Optional[int] = 1000, is_training: IsTraining = True,
                 dropout_keep_prob: float = 0.8, min_depth: int = 16, depth_multiplier: float = 1.0,
                 prediction_fn: Callable = slim.softmax, spatial_squeeze: bool = True, reuse=None,
                 scope: str = "InceptionV2", global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v2 with its classifier.

    Args:
      inputs: ``[N, H, W, 3]`` (224x224 by default; any size from 32x32).
      num_classes: number of classes; 0 or None omits the logits layer and returns the pooled
        features (before dropout).
      is_training: BatchNorm and dropout mode: a bool, a 0-d bool tensor, or None to follow
        ``model.train()`` / ``model.eval()``.
      dropout_keep_prob: keep probability of the dropout before the logits.
      min_depth: the smallest width of any convolution.
      depth_multiplier: multiplies every convolution's width; > 0.
      prediction_fn: maps the logits to ``end_points['Predictions']``.
      spatial_squeeze: logits ``[N, num_classes]`` (else ``[N, 1, 1, num_classes]``).
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      global_pool: average the last feature map over all of H and W (else a 7x7 window: larger
        inputs give larger outputs, which only ``spatial_squeeze=False`` accepts).

    Returns:
      ``(logits, end_points)``; end points are the base's plus ``AvgPool_1a`` (or ``global_pool``),
      ``PreLogits``, ``Logits`` and ``Predictions``.

    Raises:
      ValueError: if ``depth_multiplier <= 0``, or ``spatial_squeeze`` meets logits that are not 1x1.
    """
    inception_common.depth_fn(depth_multiplier, min_depth)  # the argument check, before any layer
    with slim.variable_scope(scope, "InceptionV2", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_v2_base(inputs, scope=sc, min_depth=min_depth,
                                                depth_multiplier=depth_multiplier)
            logits = inception_common.logits_head(net, end_points, num_classes, [7, 7], global_pool,
                                                  dropout_keep_prob, spatial_squeeze, prediction_fn)
    return logits, end_points


inception_v2.default_image_size = default_image_size

inception_v2_arg_scope = inception_utils.inception_arg_scope
