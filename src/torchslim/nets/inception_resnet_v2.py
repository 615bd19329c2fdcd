"""Inception-ResNet-v2, as Slim defines it (tensorflow/models research/slim/nets/inception_resnet_v2.py @608bd22).

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning"
(arXiv:1602.07261). Same functions, signatures, defaults, variable names and end points as Slim,
so the Slim zoo's ``inception_resnet_v2_2016_08_30.ckpt`` restores by name. NHWC inputs, 299x299 by
default (``inception_resnet_v2.default_image_size``).

Layout at 299x299 (``output_stride=16``, VALID stem):

==================  ===================  =========================================
end point           output               what
==================  ===================  =========================================
Conv2d_1a_3x3 ..    35 x 35 x 192        Inception v3's stem (:mod:`torchslim.nets.inception_v3`): the
MaxPool_5a_3x3                           same 7 end points, convolutions and sizes
Mixed_5b            35 x 35 x 320        Inception-A: 96 | 48->64 | 64->96->96 | avg-pool->64
Mixed_6a            17 x 17 x 1088       10 x block35 (scale 0.17), Reduction-A
PreAuxLogits        17 x 17 x 1088       20 x block17 (scale 0.10)
Mixed_7a            8 x 8 x 2080         Reduction-B
Conv2d_7b_1x1       8 x 8 x 1536         9 x block8 (scale 0.20), block8 (no activation), conv 1x1
==================  ===================  =========================================

Example::

    import torchslim as slim
    from torchslim.nets import inception_resnet_v2

    with slim.arg_scope(inception_resnet_v2.inception_resnet_v2_arg_scope()):
        model = slim.Model(inception_resnet_v2.inception_resnet_v2, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 299, 299, 3]
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_common, inception_resnet_utils as irb
from torchslim.nets.inception_resnet_utils import CHANNEL_AXIS, Activation

__all__ = ["block35", "block17", "block8", "inception_resnet_v2_base", "inception_resnet_v2",
           "inception_resnet_v2_arg_scope", "default_image_size"]

IsTraining = Union[bool, torch.Tensor, None]
EndPoints = Dict[str, torch.Tensor]

default_image_size = 299

# Branch widths of the three residual blocks (see inception_resnet_utils for the layouts).
BLOCK35_DEPTHS = (32, (32, 32), (32, 48, 64))
BLOCK17_DEPTHS = (192, (128, 160, 192))
BLOCK8_DEPTHS = (192, (192, 224, 256))

BASE_END_POINTS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_3a_3x3", "Conv2d_3b_1x1",
                   "Conv2d_4a_3x3", "MaxPool_5a_3x3", "Mixed_5b", "Mixed_6a", "PreAuxLogits", "Mixed_7a",
                   "Conv2d_7b_1x1")
"""The end points of :func:`inception_resnet_v2_base`, in order (valid ``final_endpoint`` values)."""


def block35(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
            reuse=None) -> torch.Tensor:
    """Inception-ResNet-A, the 35x35 block: 32 | 32->32 | 32->48->64, projected back to 320.

    With ``activation_fn == slim.nn.relu6`` the scaled residual is clipped to [-6, 6] first.

    Args:
      net: ``[N, H, W, C]``.
      scale: the residual scale.
      activation_fn: applied after the residual sum, or None.
      scope: the variable scope (default ``Block35``, made unique).
      reuse: share the variables of ``scope``.

    Returns:
      ``[N, H, W, C]``.
    """
    return irb.block35(net, BLOCK35_DEPTHS, scale, activation_fn, scope, reuse, clip_relu6=True)


def block17(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
            reuse=None) -> torch.Tensor:
    """Inception-ResNet-B, the 17x17 block: 192 | 128->160 (1x7)->192 (7x1), projected back to 1088.

    Args: as :func:`block35`.

    Returns:
      ``[N, H, W, C]``.
    """
    return irb.block17(net, BLOCK17_DEPTHS, scale, activation_fn, scope, reuse, clip_relu6=True)


def block8(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
           reuse=None) -> torch.Tensor:
    """Inception-ResNet-C, the 8x8 block: 192 | 192->224 (1x3)->256 (3x1), projected back to 2080.

    Args: as :func:`block35`.

    Returns:
      ``[N, H, W, C]``.
    """
    return irb.block8(net, BLOCK8_DEPTHS, scale, activation_fn, scope, reuse, clip_relu6=True)


def _mixed_5b(net: torch.Tensor) -> torch.Tensor:
    """Inception-A (``Mixed_5b``): 96 | 48->64 (5x5) | 64->96->96 | 3x3 avg-pool->64."""
    with slim.variable_scope("Mixed_5b"):
        with slim.variable_scope("Branch_0"):
            tower_0 = slim.conv2d(net, 96, 1, scope="Conv2d_1x1")
        with slim.variable_scope("Branch_1"):
            tower_1 = slim.conv2d(net, 48, 1, scope="Conv2d_0a_1x1")
            tower_1 = slim.conv2d(tower_1, 64, 5, scope="Conv2d_0b_5x5")
        with slim.variable_scope("Branch_2"):
            tower_2 = slim.conv2d(net, 64, 1, scope="Conv2d_0a_1x1")
            tower_2 = slim.conv2d(tower_2, 96, 3, scope="Conv2d_0b_3x3")
            tower_2 = slim.conv2d(tower_2, 96, 3, scope="Conv2d_0c_3x3")
        with slim.variable_scope("Branch_3"):
            tower_3 = slim.avg_pool2d(net, 3, stride=1, padding="SAME", scope="AvgPool_0a_3x3")
            tower_3 = slim.conv2d(tower_3, 64, 1, scope="Conv2d_0b_1x1")
        return torch.cat([tower_0, tower_1, tower_2, tower_3], dim=CHANNEL_AXIS)


def _stages(padding: str, use_atrous: bool, activation_fn: Activation) -> List[Tuple[str, Callable]]:
    """The base network as ``(end point, layer)`` pairs, in order (see the module's table)."""
    stride = 1 if use_atrous else 2

    def mixed_6a(net):
        net = slim.repeat(net, 10, block35, scale=0.17, activation_fn=activation_fn)
        with slim.variable_scope("Mixed_6a"):
            return irb.reduction_a(net, 256, 256, 384, 384, stride=stride, padding=padding)

    def pre_aux_logits(net):
        with slim.arg_scope([slim.conv2d], rate=2 if use_atrous else 1):
            return slim.repeat(net, 20, block17, scale=0.10, activation_fn=activation_fn)

    def mixed_7a(net):
        with slim.variable_scope("Mixed_7a"):
            return irb.reduction_b(net, (384, 288, (288, 320)), padding=padding)

    def conv2d_7b_1x1(net):
        net = slim.repeat(net, 9, block8, scale=0.20, activation_fn=activation_fn)
        net = block8(net, activation_fn=None)
        return slim.conv2d(net, 1536, 1, scope="Conv2d_7b_1x1")

    return [
        ("Conv2d_1a_3x3", lambda x: slim.conv2d(x, 32, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3")),
        ("Conv2d_2a_3x3", lambda x: slim.conv2d(x, 32, 3, padding=padding, scope="Conv2d_2a_3x3")),
        ("Conv2d_2b_3x3", lambda x: slim.conv2d(x, 64, 3, scope="Conv2d_2b_3x3")),
        ("MaxPool_3a_3x3", lambda x: slim.max_pool2d(x, 3, stride=2, padding=padding, scope="MaxPool_3a_3x3")),
        ("Conv2d_3b_1x1", lambda x: slim.conv2d(x, 80, 1, padding=padding, scope="Conv2d_3b_1x1")),
        ("Conv2d_4a_3x3", lambda x: slim.conv2d(x, 192, 3, padding=padding, scope="Conv2d_4a_3x3")),
        ("MaxPool_5a_3x3", lambda x: slim.max_pool2d(x, 3, stride=2, padding=padding, scope="MaxPool_5a_3x3")),
        ("Mixed_5b", _mixed_5b),
        ("Mixed_6a", mixed_6a),
        ("PreAuxLogits", pre_aux_logits),
        ("Mixed_7a", mixed_7a),
        ("Conv2d_7b_1x1", conv2d_7b_1x1),
    ]


def _check_base_args(final_endpoint: str, output_stride: int) -> None:
    """Slim's argument errors, raised before any layer is built."""
    if output_stride != 8 and output_stride != 16:
        raise ValueError("output_stride must be 8 or 16.")
    if final_endpoint not in BASE_END_POINTS:
        raise ValueError(f"final_endpoint ({final_endpoint}) not recognized; expected one of {list(BASE_END_POINTS)}")
    if output_stride == 8 and BASE_END_POINTS.index(final_endpoint) > BASE_END_POINTS.index("PreAuxLogits"):
        raise ValueError("output_stride==8 is only supported up to the PreAuxlogits end_point for now.")


def inception_resnet_v2_base(inputs: torch.Tensor, final_endpoint: str = "Conv2d_7b_1x1", output_stride: int = 16,
                             align_feature_maps: bool = False, scope=None,
                             activation_fn: Activation = slim.nn.relu) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception-ResNet-v2 from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, H, W, C]``.
      final_endpoint: where to stop, one of :data:`BASE_END_POINTS`.
      output_stride: 16, or 8 (Reduction-A keeps the resolution and the block17s use rate 2; only up
        to ``PreAuxLogits``).
      align_feature_maps: use ``SAME`` instead of ``VALID`` padding everywhere, so that feature maps
        are aligned with the input (299 -> 150, 75, 38, 19, 10).
      scope: the variable scope (default ``InceptionResnetV2``), a name or a scope to re-enter.
      activation_fn: the activation of the residual blocks.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: if ``final_endpoint`` is unknown, ``output_stride`` is not 8 or 16, or
        ``output_stride`` is 8 and ``final_endpoint`` comes after ``PreAuxLogits``.
    """
    _check_base_args(final_endpoint, output_stride)
    padding = "SAME" if align_feature_maps else "VALID"
    with slim.variable_scope(scope, "InceptionResnetV2", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
            return inception_common.run_stages(inputs, _stages(padding, output_stride == 8, activation_fn),
                                               final_endpoint)


def _aux_logits(net: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The auxiliary head on ``PreAuxLogits`` (scope ``AuxLogits``): 5x5/3 avg-pool, 1x1, full-size conv, fc."""
    with slim.variable_scope("AuxLogits"):
        aux = slim.avg_pool2d(net, 5, stride=3, padding="VALID", scope="Conv2d_1a_3x3")
        aux = slim.conv2d(aux, 128, 1, scope="Conv2d_1b_1x1")
        aux = slim.conv2d(aux, 768, tuple(aux.shape[1:3]), padding="VALID", scope="Conv2d_2a_5x5")
        aux = slim.flatten(aux)
        return slim.fully_connected(aux, num_classes, activation_fn=None, scope="Logits")


def inception_resnet_v2(inputs: torch.Tensor, num_classes: Optional[int] = 1001, is_training: IsTraining = True,
                        dropout_keep_prob: float = 0.8, reuse=None, scope: str = "InceptionResnetV2",
                        create_aux_logits: bool = True,
                        activation_fn: Activation = slim.nn.relu) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception-ResNet-v2 with its classifier (and auxiliary classifier).

    Args:
      inputs: ``[N, H, W, 3]`` (299x299 by default; any size works when ``create_aux_logits`` is
        False, and from about 75x75 with it).
      num_classes, is_training, dropout_keep_prob, reuse, scope, create_aux_logits: as
        :func:`torchslim.nets.inception_v4.inception_v4`.
      activation_fn: the activation of the residual blocks.

    Returns:
      As :func:`torchslim.nets.inception_v4.inception_v4`: the logits (or the ``[N, 1, 1, 1536]``
      global pool) and the end points, the same names after the base's.
    """
    with slim.variable_scope(scope, "InceptionResnetV2", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_resnet_v2_base(inputs, scope=sc, activation_fn=activation_fn)
            if create_aux_logits and num_classes:
                end_points["AuxLogits"] = _aux_logits(end_points["PreAuxLogits"], num_classes)
            with slim.variable_scope("Logits"):
                net = slim.avg_pool2d(net, tuple(net.shape[1:3]), padding="VALID", scope="AvgPool_1a_8x8")
                end_points["global_pool"] = net
                if not num_classes:
                    return net, end_points
                net = slim.flatten(net)
                net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="Dropout")
                end_points["PreLogitsFlatten"] = net
                logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="Logits")
                end_points["Logits"] = logits
                end_points["Predictions"] = slim.nn.softmax(logits)
    return logits, end_points


inception_resnet_v2.default_image_size = default_image_size


def inception_resnet_v2_arg_scope(weight_decay: float = 0.00004, batch_norm_decay: float = 0.9997,
                                  batch_norm_epsilon: float = 0.001, activation_fn: Activation = slim.nn.relu,
                                  batch_norm_updates_collections=slim.GraphKeys.UPDATE_OPS,
                                  batch_norm_scale: bool = False) -> dict:
    """Slim's arg_scope for Inception-ResNet-v2.

    L2 weight decay on the weights *and biases* of ``conv2d`` and ``fully_connected``; ``conv2d``
    gets BatchNorm (no ``gamma`` unless ``batch_norm_scale``) and ``activation_fn``.

    Args:
      weight_decay: the L2 regularisation scale.
      batch_norm_decay: decay of the BatchNorm moving averages.
      batch_norm_epsilon: added to the variance.
      activation_fn: activation of the convolutions.
      batch_norm_updates_collections: accepted for compatibility; BatchNorm updates itself in
        training calls (it only sets TF's variable creation order).
      batch_norm_scale: add BatchNorm's ``gamma``.

    Returns:
      An arg_scope dict; entering it replaces the active arg_scope.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_regularizer=slim.l2_regularizer(weight_decay)):
        normalizer_params = inception_common.batch_norm_params(batch_norm_decay, batch_norm_epsilon,
                                                               batch_norm_updates_collections, batch_norm_scale)
        with slim.arg_scope([slim.conv2d], activation_fn=activation_fn, normalizer_fn=slim.batch_norm,
                            normalizer_params=normalizer_params) as sc:
            return sc
