"""MobileNet v2 (tensorflow/models research/slim/nets/mobilenet/mobilenet_v2.py).

Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks" (arXiv:1801.04381).
Variable names, end points and defaults as upstream, so the zoo's ``mobilenet_v2_1.0_224`` /
``_1.4_224`` / ``_0.35_...`` checkpoints restore by name. Scope ``MobilenetV2``; NHWC, 224x224.

``V2_DEF`` at 224x224 (``t`` expansion factor; every op ``relu6`` + batch norm, projections linear):

========  =================  ===  ======  ======
end point output             t    stride  op
========  =================  ===  ======  ======
layer_1   112 x 112 x 32     -    2       conv 3x3 (``Conv``)
layer_2   112 x 112 x 16     1    1       expanded_conv
layer_3-4  56 x 56 x 24      6    2, 1    expanded_conv_1..2
layer_5-7  28 x 28 x 32      6    2, 1    expanded_conv_3..5
layer_8-11 14 x 14 x 64      6    2, 1    expanded_conv_6..9
layer_12-14 14 x 14 x 96     6    1       expanded_conv_10..12
layer_15-17 7 x 7 x 160      6    2, 1    expanded_conv_13..15
layer_18   7 x 7 x 320       6    1       expanded_conv_16
layer_19   7 x 7 x 1280      -    1       conv 1x1 (``Conv_1``)
========  =================  ===  ======  ======

Then :func:`torchslim.nets.mobilenet.mobilenet.mobilenet`'s head (``Logits/global_pool``,
``Logits/Conv2d_1c_1x1``). Inner end points ``layer_<i>/expansion_output``,
``layer_<i>/depthwise_output``, ``layer_<i>/output`` (see :mod:`torchslim.nets.mobilenet.mobilenet`).

Example::

    import torchslim as slim
    from torchslim.nets.mobilenet import mobilenet_v2

    with slim.arg_scope(mobilenet_v2.training_scope(is_training=False)):
        model = slim.Model(mobilenet_v2.mobilenet)
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

__all__ = ["V2_DEF", "V2_DEF_GROUP_NORM", "mobilenet", "mobilenet_v2_140", "mobilenet_v2_050", "mobilenet_v2_035", "mobilenet_base",
           "mobilenet_base_group_norm", "training_scope", "wrapped_partial"]

op = lib.op
expand_input = ops.expand_input_by_factor

# The batch-norm and padding defaults shape the architecture, so they live here, not in training_scope.
V2_DEF: Dict[str, Any] = dict(
    defaults={
        (slim.batch_norm,): {"center": True, "scale": True},
        (slim.conv2d, slim.fully_connected, slim.separable_conv2d): {
            "normalizer_fn": slim.batch_norm, "activation_fn": slim.nn.relu6},
        (ops.expanded_conv,): {
            "expansion_size": expand_input(6), "split_expansion": 1, "normalizer_fn": slim.batch_norm,
            "residual": True},
        (slim.conv2d, slim.separable_conv2d): {"padding": "SAME"},
    },
    spec=[
        op(slim.conv2d, stride=2, num_outputs=32, kernel_size=[3, 3]),
        op(ops.expanded_conv, expansion_size=expand_input(1, divisible_by=1), num_outputs=16),
        op(ops.expanded_conv, stride=2, num_outputs=24),
        op(ops.expanded_conv, stride=1, num_outputs=24),
        op(ops.expanded_conv, stride=2, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=1, num_outputs=32),
        op(ops.expanded_conv, stride=2, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=64),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=1, num_outputs=96),
        op(ops.expanded_conv, stride=2, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=160),
        op(ops.expanded_conv, stride=1, num_outputs=320),
        op(slim.conv2d, stride=1, kernel_size=[1, 1], num_outputs=1280),
    ],
)


def _with_group_norm(conv_defs: Dict[str, Any]) -> Dict[str, Any]:
    """A copy of ``conv_defs`` with ``group_norm`` wherever it has ``batch_norm``, and no batch-norm entry."""
    defaults = {}
    for ops_, params in conv_defs["defaults"].items():
        if ops_ != (slim.batch_norm,):
            defaults[ops_] = {key: slim.group_norm if value is slim.batch_norm else value
                              for key, value in params.items()}
    return dict(defaults=defaults, spec=copy.deepcopy(conv_defs["spec"]))


V2_DEF_GROUP_NORM: Dict[str, Any] = _with_group_norm(V2_DEF)
"""V2_DEF with group norm in place of batch norm (upstream's ``mobilenet_base_group_norm`` uses it)."""


@slim.add_arg_scope
def mobilenet(input_tensor: torch.Tensor, num_classes: Optional[int] = 1001, depth_multiplier: float = 1.0,
              scope: str = "MobilenetV2", conv_defs: Optional[Dict[str, Any]] = None,
              finegrain_classification_mode: bool = False, min_depth: Optional[int] = None,
              divisible_by: Optional[int] = None, activation_fn: Optional[Callable] = None,
              **kwargs: Any) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """MobileNet v2 (inference mode unless the arg scope is :func:`training_scope`).

    Args:
      input_tensor: ``[batch, height, width, 3]``.
      num_classes: classes of the logits (0 or None: the pooled features).
      depth_multiplier: scales every layer's channels.
      scope: variable scope.
      conv_defs: the definition (default :data:`V2_DEF`).
      finegrain_classification_mode: keep the last layer's 1280 channels when
        ``depth_multiplier < 1`` (the paper's choice for ImageNet).
      min_depth: if given, every layer has at least this many channels.
      divisible_by: if given, every layer's channels are a multiple of this.
      activation_fn: replaces ``relu6`` of the definition's convolutions.
      **kwargs: for :func:`torchslim.nets.mobilenet.mobilenet.mobilenet` (``prediction_fn``,
        ``reuse``, ``base_only``, ``output_stride``, ``use_explicit_padding``, ``final_endpoint``,
        ``is_training``).

    Returns:
      ``(logits, end_points)``.

    Raises:
      ValueError: ``multiplier`` given (use ``depth_multiplier``).
    """
    if conv_defs is None:
        conv_defs = V2_DEF
    lib.check_depth_multiplier_only(kwargs)
    if finegrain_classification_mode:
        conv_defs = copy.deepcopy(conv_defs)
        if depth_multiplier < 1:
            conv_defs["spec"][-1].params["num_outputs"] /= depth_multiplier
    if activation_fn:
        conv_defs = copy.deepcopy(conv_defs)
        conv_defs["defaults"][(slim.conv2d, slim.fully_connected, slim.separable_conv2d)]["activation_fn"] = \
            activation_fn
    # Only the arguments given, so that an arg scope's depth_multiplier defaults survive.
    depth_args = {key: value for key, value in (("min_depth", min_depth), ("divisible_by", divisible_by))
                  if value is not None}
    with slim.arg_scope((lib.depth_multiplier,), **depth_args):
        return lib.mobilenet(input_tensor, num_classes=num_classes, conv_defs=conv_defs, scope=scope,
                             multiplier=depth_multiplier, **kwargs)


mobilenet.default_image_size = 224


def wrapped_partial(func: Callable, *args: Any, **kwargs: Any) -> Callable:
    """``functools.partial`` keeping ``func``'s name, docstring and attributes (``default_image_size``)."""
    partial_func = functools.partial(func, *args, **kwargs)
    functools.update_wrapper(partial_func, func)
    return partial_func


# Below width 1.0 the 1280-channel embedding is kept (finegrain_classification_mode).
mobilenet_v2_140 = wrapped_partial(mobilenet, depth_multiplier=1.4)
mobilenet_v2_050 = wrapped_partial(mobilenet, depth_multiplier=0.50, finegrain_classification_mode=True)
mobilenet_v2_035 = wrapped_partial(mobilenet, depth_multiplier=0.35, finegrain_classification_mode=True)


@slim.add_arg_scope
def mobilenet_base(input_tensor: torch.Tensor, depth_multiplier: float = 1.0,
                   **kwargs: Any) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """The base of MobileNet v2 (no pooling, no logits): :func:`mobilenet` with ``base_only=True``."""
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, **kwargs)


@slim.add_arg_scope
def mobilenet_base_group_norm(input_tensor: torch.Tensor, depth_multiplier: float = 1.0, groups: int = 8,
                              **kwargs: Any) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """The base of MobileNet v2 with group norm (:data:`V2_DEF_GROUP_NORM`), ``groups`` groups per layer.

    Upstream writes ``groups`` into the shared table; here each call gets its own copy.
    """
    conv_defs = copy.deepcopy(V2_DEF_GROUP_NORM)
    conv_defs["defaults"][(slim.group_norm,)] = {"groups": groups}
    return mobilenet(input_tensor, depth_multiplier=depth_multiplier, base_only=True, conv_defs=conv_defs, **kwargs)


def training_scope(**kwargs: Any) -> Dict:
    """MobileNet v2's training arg scope: :func:`torchslim.nets.mobilenet.mobilenet.training_scope`.

    Args:
      **kwargs: ``is_training``, ``weight_decay``, ``stddev``, ``dropout_keep_prob``, ``bn_decay``.

    Returns:
      The arg-scope dict.
    """
    return lib.training_scope(**kwargs)
