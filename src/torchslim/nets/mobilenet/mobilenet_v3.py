"""MobileNet v3 and MobileNet EdgeTPU (tensorflow/models research/slim/nets/mobilenet/mobilenet_v3.py).

Howard et al., "Searching for MobileNetV3" (arXiv:1905.02244); EdgeTPU: Gupta & Akin, "Accelerator-
aware Neural Network Design using AutoML" (arXiv:2003.02838). Same definitions, names and defaults
as upstream: scope ``MobilenetV3`` (``MobilenetEdgeTPU`` for :func:`edge_tpu`), NHWC, 224x224.

A block ``mbv3_op(ef, n, k, s, act, se)`` is an ``expanded_conv``: 1x1 expansion to ``ef`` times the
input (divisible by 8), ``k x k`` depthwise with stride ``s``, optional squeeze-excite (``_se4``:
squeeze 1/4, relu, hard-sigmoid gate), linear 1x1 projection to ``n``, residual when the shapes
allow. ``act`` is the inner activation (relu or :func:`hard_swish`). ``mbv3_fused`` replaces
expansion + depthwise by one ``k x k`` convolution (EdgeTPU's early layers). The head of the
classifiers ``V3_*``: 1x1 conv, :func:`reduce_to_1x1` (``layer_14`` / ``layer_18``: an average pool
over the map), a 1x1 conv without batch norm, then the framework's ``Logits``.

==================  ======  ======================================================
definition          layers  what
==================  ======  ======================================================
V3_LARGE            19      15 blocks (squeeze-excite in 8, hard-swish in the last 9)
V3_SMALL            15      11 blocks (squeeze-excite in 9, hard-swish in the last 8)
V3_*_MINIMALISTIC   19/15   no squeeze-excite, no hard-swish, 3x3 depthwise only
V3_EDGETPU          24      9 fused blocks, then 13 depthwise blocks, conv 1x1 to 1280
==================  ======  ======================================================

Example::

    import torchslim as slim
    from torchslim.nets.mobilenet import mobilenet_v3

    with slim.arg_scope(mobilenet_v3.training_scope(is_training=False)):
        model = slim.Model(mobilenet_v3.large)
    logits, end_points = model(images)                      # images: [N, 224, 224, 3]
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Callable, Dict, Optional, Tuple

import torch

import torchslim as slim
from torchslim.nets.mobilenet import conv_blocks as ops
from torchslim.nets.mobilenet import mobilenet as lib

__all__ = ["hard_swish", "reduce_to_1x1", "mbv3_op", "mbv3_fused", "mbv3_op_se", "squeeze_excite", "DEFAULTS",
           "V3_LARGE", "V3_LARGE_MINIMALISTIC", "V3_SMALL", "V3_SMALL_MINIMALISTIC", "V3_EDGETPU",
           "V3_LARGE_DETECTION", "V3_SMALL_DETECTION", "mobilenet", "mobilenet_base", "training_scope",
           "wrapped_partial", "large", "small", "edge_tpu", "edge_tpu_075", "large_minimalistic",
           "small_minimalistic"]

op = lib.op
expand_input = ops.expand_input_by_factor

hard_swish = slim.nn.hard_swish
"""``x * relu6(x + 3) / 6``."""


def _hard_sigmoid_gate(x: torch.Tensor) -> torch.Tensor:
    """Upstream's squeeze-excite gate, ``relu6(x + 3) * 0.16667`` (its constant, not exactly 1/6)."""
    return slim.nn.relu6(x + 3) * 0.16667


squeeze_excite = functools.partial(ops.squeeze_excite, squeeze_factor=4, inner_activation_fn=slim.nn.relu,
                                   gating_fn=_hard_sigmoid_gate)
"""Squeeze-excite as MobileNet v3 uses it: squeeze by 4, relu, hard-sigmoid gate."""


def _se4(expansion_tensor: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
    """:data:`squeeze_excite` as an ``expansion_transform`` (gates the depthwise output)."""
    return squeeze_excite(expansion_tensor)


def reduce_to_1x1(input_tensor: torch.Tensor, default_size: int = 7, **kwargs: Any) -> torch.Tensor:
    """Average-pools a square map to 1x1 (a ``default_size`` window when the map is not square).

    Args:
      input_tensor: ``[batch, height, width, channels]``.
      default_size: the window for non-square maps.
      **kwargs: for ``slim.avg_pool2d`` (``stride``, ``padding``).
    """
    h, w = input_tensor.shape[1:3]
    kernel = [h, h] if w == h else [default_size, default_size]
    return slim.avg_pool2d(input_tensor, kernel_size=kernel, **kwargs)


def mbv3_op(ef: float, n: int, k: int, s: int = 1, act: Callable = slim.nn.relu, se: Optional[Callable] = None,
            **kwargs: Any) -> lib.Op:
    """One MobileNet v3 block (an ``expanded_conv``).

    Args:
      ef: expansion factor.
      n: output channels.
      k: depthwise kernel size.
      s: stride.
      act: activation of the inner layers.
      se: squeeze-excite ``expansion_transform`` (None: none).
      **kwargs: for ``expanded_conv``.

    Returns:
      The conv-def op.
    """
    return op(ops.expanded_conv, expansion_size=expand_input(ef), kernel_size=(k, k), stride=s, num_outputs=n,
              inner_activation_fn=act, expansion_transform=se, **kwargs)


def mbv3_fused(ef: float, n: int, k: int, s: int = 1, **kwargs: Any) -> lib.Op:
    """A fused block: one ``k x k`` expansion convolution with stride ``s``, no depthwise, projection.

    Args:
      ef, n, k, s: as :func:`mbv3_op`.
      **kwargs: for :func:`mbv3_op`.
    """
    expansion_fn = functools.partial(slim.conv2d, kernel_size=k, stride=s)
    return mbv3_op(ef, n, k=1, s=s, depthwise_location=None, expansion_fn=expansion_fn, **kwargs)


mbv3_op_se = functools.partial(mbv3_op, se=_se4)

DEFAULTS: Dict[Any, Dict[str, Any]] = {
    (ops.expanded_conv,): dict(normalizer_fn=slim.batch_norm, residual=True),
    (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
        "normalizer_fn": slim.batch_norm, "activation_fn": slim.nn.relu},
    (slim.batch_norm,): {"center": True, "scale": True},
}


def _head(last_conv: int, embedding: int, act: Optional[Callable]) -> list:
    """1x1 conv to ``last_conv``, pool to 1x1, 1x1 conv to ``embedding`` without batch norm."""
    act_args = {"activation_fn": act} if act is not None else {}
    return [
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=last_conv, **act_args),
        op(reduce_to_1x1, default_size=7, stride=1, padding="VALID"),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=embedding, normalizer_fn=None, **act_args),
    ]


def _stem(num_outputs: int, act: Optional[Callable]) -> lib.Op:
    act_args = {"activation_fn": act} if act is not None else {}
    return op(slim.conv2d, stride=2, num_outputs=num_outputs, kernel_size=(3, 3), **act_args)


V3_LARGE = dict(defaults=dict(DEFAULTS), spec=[
    _stem(16, hard_swish),
    mbv3_op(ef=1, n=16, k=3),
    mbv3_op(ef=4, n=24, k=3, s=2),
    mbv3_op(ef=3, n=24, k=3, s=1),
    mbv3_op_se(ef=3, n=40, k=5, s=2),
    mbv3_op_se(ef=3, n=40, k=5, s=1),
    mbv3_op_se(ef=3, n=40, k=5, s=1),
    mbv3_op(ef=6, n=80, k=3, s=2, act=hard_swish),
    mbv3_op(ef=2.5, n=80, k=3, s=1, act=hard_swish),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=112, k=3, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=160, k=5, s=2, act=hard_swish),
    mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=160, k=5, s=1, act=hard_swish),
    *_head(960, 1280, hard_swish),
])

V3_LARGE_MINIMALISTIC = dict(defaults=dict(DEFAULTS), spec=[
    _stem(16, None),
    mbv3_op(ef=1, n=16, k=3),
    mbv3_op(ef=4, n=24, k=3, s=2),
    mbv3_op(ef=3, n=24, k=3, s=1),
    mbv3_op(ef=3, n=40, k=3, s=2),
    mbv3_op(ef=3, n=40, k=3, s=1),
    mbv3_op(ef=3, n=40, k=3, s=1),
    mbv3_op(ef=6, n=80, k=3, s=2),
    mbv3_op(ef=2.5, n=80, k=3, s=1),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1),
    mbv3_op(ef=184 / 80., n=80, k=3, s=1),
    mbv3_op(ef=6, n=112, k=3, s=1),
    mbv3_op(ef=6, n=112, k=3, s=1),
    mbv3_op(ef=6, n=160, k=3, s=2),
    mbv3_op(ef=6, n=160, k=3, s=1),
    mbv3_op(ef=6, n=160, k=3, s=1),
    *_head(960, 1280, None),
])

V3_SMALL = dict(defaults=dict(DEFAULTS), spec=[
    _stem(16, hard_swish),
    mbv3_op_se(ef=1, n=16, k=3, s=2),
    mbv3_op(ef=72. / 16, n=24, k=3, s=2),
    mbv3_op(ef=(88. / 24), n=24, k=3, s=1),
    mbv3_op_se(ef=4, n=40, k=5, s=2, act=hard_swish),
    mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=40, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=3, n=48, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=96, k=5, s=2, act=hard_swish),
    mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
    mbv3_op_se(ef=6, n=96, k=5, s=1, act=hard_swish),
    *_head(576, 1024, hard_swish),
])

V3_SMALL_MINIMALISTIC = dict(defaults=dict(DEFAULTS), spec=[
    _stem(16, None),
    mbv3_op(ef=1, n=16, k=3, s=2),
    mbv3_op(ef=72. / 16, n=24, k=3, s=2),
    mbv3_op(ef=(88. / 24), n=24, k=3, s=1),
    mbv3_op(ef=4, n=40, k=3, s=2),
    mbv3_op(ef=6, n=40, k=3, s=1),
    mbv3_op(ef=6, n=40, k=3, s=1),
    mbv3_op(ef=3, n=48, k=3, s=1),
    mbv3_op(ef=3, n=48, k=3, s=1),
    mbv3_op(ef=6, n=96, k=3, s=2),
    mbv3_op(ef=6, n=96, k=3, s=1),
    mbv3_op(ef=6, n=96, k=3, s=1),
    *_head(576, 1024, None),
])

# EdgeTPU-friendly: fused convolutions instead of depthwise ones in the early layers.
V3_EDGETPU = dict(defaults=dict(DEFAULTS), spec=[
    _stem(32, None),
    mbv3_fused(k=3, s=1, ef=1, n=16),
    mbv3_fused(k=3, s=2, ef=8, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=1, ef=4, n=32),
    mbv3_fused(k=3, s=2, ef=8, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_fused(k=3, s=1, ef=4, n=48),
    mbv3_op(k=3, s=2, ef=8, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=8, n=96, residual=False),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=3, s=1, ef=4, n=96),
    mbv3_op(k=5, s=2, ef=8, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=5, s=1, ef=4, n=160),
    mbv3_op(k=3, s=1, ef=8, n=192),
    op(slim.conv2d, stride=1, num_outputs=1280, kernel_size=(1, 1)),
])


def _keep_depth(params: Dict[str, Any], multiplier: float) -> Dict[str, Any]:
    """A ``multiplier_func`` that leaves the layer's width alone (finegrain classification mode)."""
    return params


@slim.add_arg_scope
def mobilenet(input_tensor: torch.Tensor, num_classes: Optional[int] = 1001, depth_multiplier: float = 1.0,
              scope: str = "MobilenetV3", conv_defs: Optional[Dict[str, Any]] = None,
              finegrain_classification_mode: bool = False,
              **kwargs: Any) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """MobileNet v3.

    Inference mode is created by default; for training, build it under :func:`training_scope`.

    Args:
      input_tensor: ``[batch, height, width, 3]``.
      num_classes: classes of the logits (0 or None: the pooled features).
      depth_multiplier: scales every layer's channels.
      scope: variable scope.
      conv_defs: the definition (default :data:`V3_LARGE`).
      finegrain_classification_mode: the last layer keeps its width whatever the multiplier.
      **kwargs: for :func:`torchslim.nets.mobilenet.mobilenet.mobilenet` (``prediction_fn``,
        ``reuse``, ``base_only``, ``output_stride``, ``use_explicit_padding``, ``final_endpoint``,
        ``is_training``).

    Returns:
      ``(logits, end_points)``.

    Raises:
      ValueError: ``multiplier`` given (use ``depth_multiplier``).
    """
    if conv_defs is None:
        conv_defs = V3_LARGE
    lib.check_depth_multiplier_only(kwargs)
    if finegrain_classification_mode:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs["spec"][-1] = conv_defs["spec"][-1]._replace(multiplier_func=_keep_depth)
    return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs, scope=scope,
                         multiplier=depth_multiplier, **kwargs)


mobilenet.default_image_size = 224
training_scope = lib.training_scope


@slim.add_arg_scope
def mobilenet_base(input_tensor: torch.Tensor, depth_multiplier: float = 1.0,
                   **kwargs: Any) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """The base of the net (no pooling, no logits): :func:`mobilenet` with ``base_only=True``."""
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, **kwargs)


def wrapped_partial(func: Callable, new_defaults: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Callable:
    """``functools.partial(func, **kwargs)`` whose ``new_defaults`` a call may override; keeps ``func``'s attributes."""
    defaults = dict(new_defaults or {})

    def func_wrapper(*f_args: Any, **f_kwargs: Any):
        return func(*f_args, **{**defaults, **f_kwargs})

    functools.update_wrapper(func_wrapper, func)
    partial_func = functools.partial(func_wrapper, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


large = wrapped_partial(mobilenet, conv_defs=V3_LARGE)
small = wrapped_partial(mobilenet, conv_defs=V3_SMALL)
edge_tpu = wrapped_partial(mobilenet, new_defaults={"scope": "MobilenetEdgeTPU"}, conv_defs=V3_EDGETPU)
edge_tpu_075 = wrapped_partial(mobilenet, new_defaults={"scope": "MobilenetEdgeTPU"}, conv_defs=V3_EDGETPU,
                               depth_multiplier=0.75, finegrain_classification_mode=True)
# No squeeze-excite, no hard-swish, no 5x5 depthwise: friendly to a wide range of hardware.
large_minimalistic = wrapped_partial(mobilenet, conv_defs=V3_LARGE_MINIMALISTIC)
small_minimalistic = wrapped_partial(mobilenet, conv_defs=V3_SMALL_MINIMALISTIC)


def _reduce_consecutive_layers(conv_defs: Dict[str, Any], start_id: int, end_id: int,
                               multiplier: float = 0.5) -> Dict[str, Any]:
    """A copy of ``conv_defs`` whose layers ``start_id..end_id`` (inclusive, 0-based) are ``multiplier`` as wide.

    Raises:
      KeyError: a layer in the range has no ``num_outputs``.
    """
    defs = copy.deepcopy(conv_defs)
    for layer in defs["spec"][start_id:end_id + 1]:
        layer.params.update({"num_outputs": int(round(layer.params["num_outputs"] * multiplier))})
    return defs


V3_LARGE_DETECTION = _reduce_consecutive_layers(V3_LARGE, 13, 16)
V3_SMALL_DETECTION = _reduce_consecutive_layers(V3_SMALL, 9, 12)
