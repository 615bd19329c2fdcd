"""I3D, the inflated 3-D Inception v1, as TF-Slim defines it (``research/slim/nets/i3d.py``).

Carreira and Zisserman, "Quo Vadis, Action Recognition? A New Model and the Kinetics Dataset"
(arXiv:1705.07750). The S3D-G base (:func:`torchslim.nets.s3dg.s3dg_base`) with a ``[7, 7, 7]``
first convolution, full 3-D convolutions from ``Conv2d_2c_3x3`` on (separable only with
``i3d_arg_scope(separable_conv3d=True)``) and no gating. Variable names are Inception v1's
(scope ``InceptionV1``). NDHWC input; ``i3d.default_image_size`` is 224.
"""

from __future__ import annotations

from typing import Callable, Tuple

import torch

import torchslim as slim
from torchslim.nets import s3dg as s3dg_lib
from torchslim.nets.i3d_utils import conv3d_spatiotemporal

__all__ = ["i3d_arg_scope", "i3d_base", "i3d", "default_image_size"]

default_image_size = 224


def i3d_arg_scope(weight_decay: float = 1e-7, batch_norm_decay: float = 0.999, batch_norm_epsilon: float = 0.001,
                  use_renorm: bool = False, separable_conv3d: bool = False) -> dict:
    """The arg scope of I3D: L2-regularised, batch-normalised ReLU convolutions.

    Args:
      weight_decay: the L2 regularizer's scale.
      batch_norm_decay: moving-average decay.
      batch_norm_epsilon: added to the variance.
      use_renorm: batch renormalisation (``renorm`` of :func:`torchslim.batch_norm`, which
        rejects True: not supported).
      separable_conv3d: make :func:`~torchslim.nets.i3d_utils.conv3d_spatiotemporal` separable.

    Returns:
      The arg-scope dict, for ``slim.arg_scope(...)``.
    """
    params = s3dg_lib.batch_norm_params(batch_norm_decay, batch_norm_epsilon, renorm=use_renorm)
    with slim.arg_scope([slim.conv3d, conv3d_spatiotemporal], weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=slim.nn.relu, normalizer_fn=slim.batch_norm, normalizer_params=params):
        with slim.arg_scope([conv3d_spatiotemporal], separable=separable_conv3d) as sc:
            return sc


def i3d_base(inputs: torch.Tensor, final_endpoint: str = "Mixed_5c",
             scope="InceptionV1") -> Tuple[torch.Tensor, s3dg_lib.EndPoints]:
    """Builds the I3D base up to ``final_endpoint``: :func:`~torchslim.nets.s3dg.s3dg_base` with
    ``first_temporal_kernel_size=7``, temporal convolutions from ``Conv2d_2c_3x3``, no gating.

    Args:
      inputs: ``[N, T, H, W, C]``.
      final_endpoint: where to stop, one of :data:`torchslim.nets.s3dg.BASE_END_POINTS`.
      scope: the variable scope (default ``InceptionV1``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``.

    Raises:
      ValueError: ``'Unknown final endpoint <name>'``.
    """
    return s3dg_lib.s3dg_base(inputs, first_temporal_kernel_size=7, temporal_conv_startat="Conv2d_2c_3x3",
                              gating_startat=None, final_endpoint=final_endpoint, min_depth=16,
                              depth_multiplier=1.0, data_format="NDHWC", scope=scope)


def i3d(inputs: torch.Tensor, num_classes: int = 1000, dropout_keep_prob: float = 0.8,
        is_training: s3dg_lib.IsTraining = True, prediction_fn: Callable = slim.softmax,
        spatial_squeeze: bool = True, reuse=None, scope: str = "InceptionV1") -> Tuple[torch.Tensor,
                                                                                      s3dg_lib.EndPoints]:
    """Builds I3D with its classifier (the ``Logits`` scope of :func:`torchslim.nets.s3dg.s3dg`).

    Args:
      inputs: ``[N, T, H, W, 3]``; 224x224 frames by default.
      num_classes: number of classes.
      dropout_keep_prob, is_training, prediction_fn, spatial_squeeze, reuse, scope: as
        :func:`torchslim.nets.s3dg.s3dg`.

    Returns:
      ``(logits, end_points)``: end points are the base's plus ``Logits`` and ``Predictions``.

    Raises:
      ValueError: ``spatial_squeeze`` on logits that are not 1x1.
    """
    with slim.variable_scope(scope, "InceptionV1", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = i3d_base(inputs, scope=sc)
            logits = s3dg_lib.video_logits(net, end_points, num_classes, dropout_keep_prob, prediction_fn,
                                           spatial_squeeze, sc.name)
    return logits, end_points


i3d.default_image_size = default_image_size
i3d.default_num_frames = 64  # torchslim: the clip length upstream's tests and the zoo use (input [N, 64, 224, 224, 3])
