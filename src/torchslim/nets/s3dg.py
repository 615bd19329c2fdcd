"""S3D-G, the gated separable 3-D Inception v1, as TF-Slim defines it (``research/slim/nets/s3dg.py``).

Xie, Sun, Huang, Tu and Murphy, "Rethinking Spatiotemporal Feature Learning For Video
Understanding" (arXiv:1712.04851). Inception v1 inflated to video (``[N, T, H, W, C]``): the
3x3 convolutions become separable ``[1, 3, 3]`` + ``[3, 1, 1]`` pairs from
``temporal_conv_startat`` on (2-D ``[1, 3, 3]`` before it), and from ``gating_startat`` on each
branch ends in :func:`self_gating`. Variable names are Inception v1's (scope ``InceptionV1``), so
an image-trained Inception v1 checkpoint's names carry over. ``s3dg.default_image_size`` is 224.

The layers at 64 frames of 224x224 (convolutions and max-pools SAME, stride 1 unless noted)::

    end point        output              layer
    Conv2d_1a_7x7    32 x 112 x 112 x 64  conv [first_temporal_kernel_size, 7, 7] / 2 (never separable)
    MaxPool_2a_3x3   32 x 56 x 56 x 64    max-pool [1, 3, 3] / [1, 2, 2]
    Conv2d_2b_1x1    32 x 56 x 56 x 64    conv 1x1x1
    Conv2d_2c_3x3    32 x 56 x 56 x 192   conv [t, 3, 3] (+ gating)
    MaxPool_3a_3x3   32 x 28 x 28 x 192   max-pool [1, 3, 3] / [1, 2, 2]
    Mixed_3b, 3c     32 x 28 x 28 x 480   Inception blocks (widths of inception_v1.MIXED_DEPTHS)
    MaxPool_4a_3x3   16 x 14 x 14 x 480   max-pool [3, 3, 3] / 2
    Mixed_4b ... 4f  16 x 14 x 14 x 832
    MaxPool_5a_2x2   8 x 7 x 7 x 832      max-pool [2, 2, 2] / 2
    Mixed_5b, 5c     8 x 7 x 7 x 1024

Then ``Logits``: average pool ``[2, 7, 7]`` (reduced for small inputs), dropout, 1x1x1
convolution, mean over time, squeeze.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets.conv_classifier import squeeze_spatial
from torchslim.nets.i3d_utils import conv3d_spatiotemporal, inception_block_v1_3d, reduced_kernel_size_3d
from torchslim.nets.inception_v1 import MIXED_DEPTHS

__all__ = ["s3dg_arg_scope", "self_gating", "s3dg_base", "s3dg", "trunc_normal", "batch_norm_params", "video_logits",
           "BASE_END_POINTS", "default_image_size"]

EndPoints = Dict[str, torch.Tensor]
IsTraining = Union[bool, torch.Tensor, None]

default_image_size = 224

DATA_FORMATS = ("NDHWC", "NCDHW")
FIRST_TEMPORAL_KERNEL_SIZES = (1, 3, 5, 7)

# The layers of the base, in order: (end point, kind, arguments).
# "conv": (depth, kernel); "pool": (kernel, stride); "temporal": a conv [t, 3, 3] of depth that
# may switch on temporal convolutions and gating; "mixed": an Inception block (MIXED_DEPTHS).
LAYERS: List[Tuple[str, str, tuple]] = [
    ("Conv2d_1a_7x7", "first", (64,)),
    ("MaxPool_2a_3x3", "pool", ([1, 3, 3], [1, 2, 2])),
    ("Conv2d_2b_1x1", "conv", (64, [1, 1, 1])),
    ("Conv2d_2c_3x3", "temporal", (192,)),
    ("MaxPool_3a_3x3", "pool", ([1, 3, 3], [1, 2, 2])),
    ("Mixed_3b", "mixed", ()),
    ("Mixed_3c", "mixed", ()),
    ("MaxPool_4a_3x3", "pool", ([3, 3, 3], [2, 2, 2])),
    ("Mixed_4b", "mixed", ()),
    ("Mixed_4c", "mixed", ()),
    ("Mixed_4d", "mixed", ()),
    ("Mixed_4e", "mixed", ()),
    ("Mixed_4f", "mixed", ()),
    ("MaxPool_5a_2x2", "pool", ([2, 2, 2], [2, 2, 2])),
    ("Mixed_5b", "mixed", ()),
    ("Mixed_5c", "mixed", ()),
]

BASE_END_POINTS = tuple(name for name, _, _ in LAYERS)
"""The end points of :func:`s3dg_base`, in order (the valid ``final_endpoint`` values)."""


def trunc_normal(stddev: float) -> Callable:
    """``truncated_normal_initializer(0.0, stddev)``, upstream's shorthand."""
    return slim.initializers.truncated_normal_initializer(0.0, stddev)


def batch_norm_params(decay: float, epsilon: float, **extra) -> dict:
    """The video nets' batch-norm parameters: non-fused, moving statistics in ``moving_vars``."""
    return {"decay": decay, "epsilon": epsilon, "fused": False, **extra,
            "variables_collections": {"beta": None, "gamma": None, "moving_mean": ["moving_vars"],
                                      "moving_variance": ["moving_vars"]}}


def s3dg_arg_scope(weight_decay: float = 1e-7, batch_norm_decay: float = 0.999,
                   batch_norm_epsilon: float = 0.001) -> dict:
    """The arg scope of S3D-G: L2-regularised, batch-normalised ReLU convolutions, separable 3-D ones.

    Batch norm is TF's non-fused path (``fused=False``: the biased batch variance goes into the
    moving one in training); its moving statistics are also in the ``moving_vars`` collection.

    Args:
      weight_decay: the L2 regularizer's scale.
      batch_norm_decay: moving-average decay.
      batch_norm_epsilon: added to the variance.

    Returns:
      The arg-scope dict, for ``slim.arg_scope(...)``.
    """
    with slim.arg_scope([slim.conv3d, conv3d_spatiotemporal], weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=slim.nn.relu, normalizer_fn=slim.batch_norm,
                        normalizer_params=batch_norm_params(batch_norm_decay, batch_norm_epsilon)):
        with slim.arg_scope([conv3d_spatiotemporal], separable=True) as sc:
            return sc


def self_gating(input_tensor: torch.Tensor, scope: str, data_format: str = "NDHWC") -> torch.Tensor:
    """S3D-G's feature gating: ``input * sigmoid(W · mean over T, H, W of input)``, per channel.

    Variables: ``<scope>/self_gating/transformer_W/weights`` ``[1, 1, 1, C, C]`` (no biases,
    truncated normal 0.01). As upstream, the pooling window is ``[T, W, H]`` (frames must be
    square for this to cover the whole of each).

    Args:
      input_tensor: a 5-D tensor in ``data_format``.
      scope: the scope of the layer being gated.
      data_format: ``'NDHWC'`` or ``'NCDHW'``.

    Returns:
      A tensor of the input's shape.
    """
    shape = list(input_tensor.shape)
    t, h, w = (shape[data_format.index(axis)] for axis in "DHW")
    channels = shape[data_format.index("C")]
    average = slim.avg_pool3d(input_tensor, [t, w, h], stride=1, data_format=data_format,
                              scope=scope + "/self_gating/avg_pool3d")
    weights = slim.conv3d(average, channels, [1, 1, 1], activation_fn=None, normalizer_fn=None,
                          biases_initializer=None, data_format=data_format, weights_initializer=trunc_normal(0.01),
                          scope=scope + "/self_gating/transformer_W")
    multiples = [1, t, w, h]
    multiples.insert(data_format.index("C"), 1)
    return torch.sigmoid(weights.repeat(multiples)) * input_tensor


class _Schedule:
    """Where temporal convolutions and self-gating start: switched on at their end points, never off."""

    def __init__(self, temporal_conv_startat: Optional[str], gating_startat: Optional[str], data_format: str):
        self.temporal_conv_startat, self.gating_startat, self.data_format = (
            temporal_conv_startat, gating_startat, data_format)
        self.t = 1
        self.gating_fn: Optional[Callable] = None

    def enter(self, end_point: str) -> None:
        if end_point == self.temporal_conv_startat:
            self.t = 3
        if end_point == self.gating_startat:
            self.gating_fn = lambda net, scope: self_gating(net, scope, data_format=self.data_format)


def _check_base_args(first_temporal_kernel_size: int, final_endpoint: str, depth_multiplier: float,
                     data_format: str) -> None:
    if data_format not in DATA_FORMATS:
        raise ValueError(f"data_format must be 'NDHWC' or 'NCDHW', got {data_format!r}")
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")
    if first_temporal_kernel_size not in FIRST_TEMPORAL_KERNEL_SIZES:
        raise ValueError("first_temporal_kernel_size can only be 1, 3, 5 or 7.")
    if final_endpoint not in BASE_END_POINTS:
        raise ValueError("Unknown final endpoint %s" % final_endpoint)


def _layer(net: torch.Tensor, end_point: str, kind: str, args: tuple, depth: Callable[[int], int],
           schedule: _Schedule, first_temporal_kernel_size: int, data_format: str) -> torch.Tensor:
    """One row of :data:`LAYERS`, built in the base's scopes."""
    if kind == "first":  # separable convolution is slow on the first layer
        return conv3d_spatiotemporal(net, depth(args[0]), [first_temporal_kernel_size, 7, 7], stride=2,
                                     separable=False, scope=end_point)
    if kind == "pool":
        return slim.max_pool3d(net, args[0], stride=args[1], scope=end_point)
    if kind == "conv":
        return slim.conv3d(net, depth(args[0]), args[1], scope=end_point)
    schedule.enter(end_point)
    if kind == "temporal":
        net = conv3d_spatiotemporal(net, depth(args[0]), [schedule.t, 3, 3], scope=end_point)
        return schedule.gating_fn(net, end_point) if schedule.gating_fn is not None else net
    branch_0, (reduce_1, depth_1), (reduce_2, depth_2), pool_proj = MIXED_DEPTHS[end_point]
    return inception_block_v1_3d(
        net, num_outputs_0_0a=depth(branch_0), num_outputs_1_0a=depth(reduce_1), num_outputs_1_0b=depth(depth_1),
        num_outputs_2_0a=depth(reduce_2), num_outputs_2_0b=depth(depth_2), num_outputs_3_0b=depth(pool_proj),
        temporal_kernel_size=schedule.t, self_gating_fn=schedule.gating_fn, data_format=data_format,
        scope=end_point)


def s3dg_base(inputs: torch.Tensor, first_temporal_kernel_size: int = 3,
              temporal_conv_startat: Optional[str] = "Conv2d_2c_3x3", gating_startat: Optional[str] = "Conv2d_2c_3x3",
              final_endpoint: str = "Mixed_5c", min_depth: int = 16, depth_multiplier: float = 1.0,
              data_format: str = "NDHWC", scope="InceptionV1") -> Tuple[torch.Tensor, EndPoints]:
    """Builds the I3D / S3D-G base from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, T, H, W, C]`` (``[N, C, T, H, W]`` with ``data_format='NCDHW'``).
      first_temporal_kernel_size: temporal size of ``Conv2d_1a_7x7``: 1, 3, 5 or 7.
      temporal_conv_startat: the first block (``Conv2d_2c_3x3`` or a ``Mixed_*``) whose 3x3
        convolutions are 3-D (``[3, 3, 3]``, separable in :func:`s3dg_arg_scope`); earlier ones are
        ``[1, 3, 3]``. A name that is no such block (or None) keeps every block 2-D.
      gating_startat: the first such block with :func:`self_gating`; None or another name: none.
      final_endpoint: where to stop, one of :data:`BASE_END_POINTS`.
      min_depth: the fewest channels of any convolution when ``depth_multiplier`` shrinks them.
      depth_multiplier: scales every convolution's channels (``max(int(d * m), min_depth)``).
      data_format: ``'NDHWC'`` or ``'NCDHW'``.
      scope: the variable scope (default ``InceptionV1``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: an unknown ``data_format``, ``depth_multiplier <= 0``, a
        ``first_temporal_kernel_size`` not in 1, 3, 5, 7, or ``'Unknown final endpoint <name>'``
        (all checked before anything is built).
    """
    _check_base_args(first_temporal_kernel_size, final_endpoint, depth_multiplier, data_format)
    depth = lambda d: max(int(d * depth_multiplier), min_depth)  # noqa: E731
    schedule = _Schedule(temporal_conv_startat, gating_startat, data_format)
    end_points: EndPoints = {}
    with slim.variable_scope(scope, "InceptionV1", [inputs]):
        with slim.arg_scope([slim.conv3d], weights_initializer=trunc_normal(0.01)):
            with slim.arg_scope([slim.conv3d, slim.max_pool3d, conv3d_spatiotemporal], stride=1,
                                data_format=data_format, padding="SAME"):
                net = inputs
                for end_point, kind, args in LAYERS:
                    net = end_points[end_point] = _layer(net, end_point, kind, args, depth, schedule,
                                                         first_temporal_kernel_size, data_format)
                    if end_point == final_endpoint:
                        return net, end_points
    raise AssertionError("unreachable: final_endpoint was checked")  # pragma: no cover


def video_logits(net: torch.Tensor, end_points: EndPoints, num_classes: int, dropout_keep_prob: float,
                 prediction_fn: Callable, spatial_squeeze: bool, scope_name: str) -> torch.Tensor:
    """The video nets' ``Logits`` scope on an NDHWC feature map; adds ``Logits`` and ``Predictions``.

    Average pool ``[2, 7, 7]`` (capped at the map's size, VALID), ``Dropout_0b``, the 1x1x1
    ``Conv2d_0c_1x1`` (biases, no normalizer or activation), the mean over time and (with
    ``spatial_squeeze``) the squeeze of the 1x1 spatial dimensions.

    Raises:
      ValueError: ``spatial_squeeze`` on logits that are not 1x1.
    """
    with slim.variable_scope("Logits"):
        kernel_size = reduced_kernel_size_3d(net, [2, 7, 7])
        net = slim.avg_pool3d(net, kernel_size, stride=1, data_format="NDHWC", scope="AvgPool_0a_7x7")
        net = slim.dropout(net, dropout_keep_prob, scope="Dropout_0b")
        logits = slim.conv3d(net, num_classes, [1, 1, 1], activation_fn=None, normalizer_fn=None,
                             data_format="NDHWC", scope="Conv2d_0c_1x1")
        logits = logits.mean(dim=1)  # temporal average pooling
        if spatial_squeeze:
            logits = squeeze_spatial(logits, f"{scope_name}/Logits/SpatialSqueeze")
        end_points["Logits"] = logits
        end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits


def s3dg(inputs: torch.Tensor, num_classes: int = 1000, first_temporal_kernel_size: int = 3,
         temporal_conv_startat: Optional[str] = "Conv2d_2c_3x3", gating_startat: Optional[str] = "Conv2d_2c_3x3",
         final_endpoint: str = "Mixed_5c", min_depth: int = 16, depth_multiplier: float = 1.0,
         dropout_keep_prob: float = 0.8, is_training: IsTraining = True, prediction_fn: Callable = slim.softmax,
         spatial_squeeze: bool = True, reuse=None, data_format: str = "NDHWC",
         scope: str = "InceptionV1") -> Tuple[torch.Tensor, EndPoints]:
    """Builds S3D-G with its classifier.

    Args:
      inputs: ``[N, T, H, W, 3]`` (``[N, 3, T, H, W]`` with ``data_format='NCDHW'``); 224x224
        frames by default.
      num_classes: number of classes.
      first_temporal_kernel_size, temporal_conv_startat, gating_startat, final_endpoint, min_depth,
        depth_multiplier, data_format: as :func:`s3dg_base`.
      dropout_keep_prob: keep probability of ``Dropout_0b``.
      is_training: batch norm and dropout mode: a bool, a 0-d bool tensor, or None to follow
        ``model.train()`` / ``model.eval()``.
      prediction_fn: makes ``Predictions`` from the logits (called with ``scope='Predictions'``).
      spatial_squeeze: squeeze the logits to ``[N, num_classes]`` (else ``[N, 1, 1, num_classes]``).
      reuse: share the variables of ``scope``.
      scope: the variable scope.

    Returns:
      ``(logits, end_points)``: end points are the base's plus ``Logits`` and ``Predictions``.

    Raises:
      ValueError: as :func:`s3dg_base`, or ``spatial_squeeze`` on logits that are not 1x1.
    """
    _check_base_args(first_temporal_kernel_size, final_endpoint, depth_multiplier, data_format)
    with slim.variable_scope(scope, "InceptionV1", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = s3dg_base(inputs, first_temporal_kernel_size=first_temporal_kernel_size,
                                        temporal_conv_startat=temporal_conv_startat, gating_startat=gating_startat,
                                        final_endpoint=final_endpoint, min_depth=min_depth,
                                        depth_multiplier=depth_multiplier, data_format=data_format, scope=sc)
            if data_format.startswith("NC"):
                net = net.permute(0, 2, 3, 4, 1)
            logits = video_logits(net, end_points, num_classes, dropout_keep_prob, prediction_fn, spatial_squeeze,
                                  sc.name)
    return logits, end_points


s3dg.default_image_size = default_image_size
s3dg.default_num_frames = 64  # torchslim: the clip length upstream's tests and the zoo use (input [N, 64, 224, 224, 3])
