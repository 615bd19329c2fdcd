"""Inception v1 (GoogLeNet), as TF-Slim defines it (``research/slim/nets/inception_v1.py``).

Szegedy et al., "Going deeper with convolutions" (arXiv:1409.4842), with batch norm (from
:func:`torchslim.nets.inception_utils.inception_arg_scope`) and without the auxiliary heads.
Same functions, signatures, defaults, variable names and end points as TF-Slim, so the Slim zoo's
``inception_v1.ckpt`` restores by name. NHWC input (``inception_v1.default_image_size`` is 224).

The paper's Table 1, at 224x224 (all convolutions and max-pools SAME, stride 1 unless noted)::

    end point        output           #1x1  #3x3 reduce, #3x3  #"5x5" reduce, #"5x5"*  pool proj
    Conv2d_1a_7x7    112 x 112 x 64   conv 7x7/2
    MaxPool_2a_3x3   56 x 56 x 64     max-pool 3x3/2
    Conv2d_2b_1x1    56 x 56 x 64     conv 1x1
    Conv2d_2c_3x3    56 x 56 x 192    conv 3x3
    MaxPool_3a_3x3   28 x 28 x 192    max-pool 3x3/2
    Mixed_3b         28 x 28 x 256    64    96, 128             16, 32                   32
    Mixed_3c         28 x 28 x 480    128   128, 192            32, 96                   64
    MaxPool_4a_3x3   14 x 14 x 480    max-pool 3x3/2
    Mixed_4b         14 x 14 x 512    192   96, 208             16, 48                   64
    Mixed_4c         14 x 14 x 512    160   112, 224            24, 64                   64
    Mixed_4d         14 x 14 x 512    128   128, 256            24, 64                   64
    Mixed_4e         14 x 14 x 528    112   144, 288            32, 64                   64
    Mixed_4f         14 x 14 x 832    256   160, 320            32, 128                  128
    MaxPool_5a_2x2   7 x 7 x 832      max-pool 2x2/2
    Mixed_5b         7 x 7 x 832      256   160, 320            32, 128                  128
    Mixed_5c         7 x 7 x 1024     384   192, 384            48, 128                  128

(*) TF-Slim's third branch uses a 3x3 convolution where the paper has 5x5 (as the released
checkpoint does); its scope in ``Mixed_5b`` is ``Conv2d_0a_3x3``, elsewhere ``Conv2d_0b_3x3``.
Then ``Logits``: 7x7 average pool (or ``global_pool``), dropout, 1x1 convolution, squeeze.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_utils
from torchslim.nets.conv_classifier import squeeze_spatial

__all__ = ["inception_v1_base", "inception_v1", "inception_v1_arg_scope", "default_image_size",
           "BASE_END_POINTS", "ROOT_END_POINTS"]

EndPoints = Dict[str, torch.Tensor]
IsTraining = Union[bool, torch.Tensor, None]

default_image_size = 224

# Mixed block widths: (#1x1, (#3x3 reduce, #3x3), (#"5x5" reduce, #"5x5"), pool proj).
MIXED_DEPTHS = {
    "Mixed_3b": (64, (96, 128), (16, 32), 32),
    "Mixed_3c": (128, (128, 192), (32, 96), 64),
    "Mixed_4b": (192, (96, 208), (16, 48), 64),
    "Mixed_4c": (160, (112, 224), (24, 64), 64),
    "Mixed_4d": (128, (128, 256), (24, 64), 64),
    "Mixed_4e": (112, (144, 288), (32, 64), 64),
    "Mixed_4f": (256, (160, 320), (32, 128), 128),
    "Mixed_5b": (256, (160, 320), (32, 128), 128),
    "Mixed_5c": (384, (192, 384), (48, 128), 128),
}


def _mixed(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The Inception module ``name``: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | 3x3 max-pool -> 1x1, concatenated."""
    branch_0, (reduce_1, depth_1), (reduce_2, depth_2), pool_proj = MIXED_DEPTHS[name]
    branch_2_scope = "Conv2d_0a_3x3" if name == "Mixed_5b" else "Conv2d_0b_3x3"

    def mixed(net: torch.Tensor) -> torch.Tensor:
        with slim.variable_scope(name):
            with slim.variable_scope("Branch_0"):
                tower_0 = slim.conv2d(net, branch_0, [1, 1], scope="Conv2d_0a_1x1")
            with slim.variable_scope("Branch_1"):
                tower_1 = slim.conv2d(net, reduce_1, [1, 1], scope="Conv2d_0a_1x1")
                tower_1 = slim.conv2d(tower_1, depth_1, [3, 3], scope="Conv2d_0b_3x3")
            with slim.variable_scope("Branch_2"):
                tower_2 = slim.conv2d(net, reduce_2, [1, 1], scope="Conv2d_0a_1x1")
                tower_2 = slim.conv2d(tower_2, depth_2, [3, 3], scope=branch_2_scope)
            with slim.variable_scope("Branch_3"):
                tower_3 = slim.max_pool2d(net, [3, 3], scope="MaxPool_0a_3x3")
                tower_3 = slim.conv2d(tower_3, pool_proj, [1, 1], scope="Conv2d_0b_1x1")
            return torch.cat([tower_0, tower_1, tower_2, tower_3], dim=3)

    return mixed


def _max_pool(name: str, kernel: int) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda net: slim.max_pool2d(net, [kernel, kernel], stride=2, scope=name)


def _conv(name: str, depth: int, kernel: int, stride: int = 1) -> Callable[[torch.Tensor], torch.Tensor]:
    return lambda net: slim.conv2d(net, depth, [kernel, kernel], stride=stride, scope=name)


ROOT = [
    ("Conv2d_1a_7x7", _conv("Conv2d_1a_7x7", 64, 7, stride=2)),
    ("MaxPool_2a_3x3", _max_pool("MaxPool_2a_3x3", 3)),
    ("Conv2d_2b_1x1", _conv("Conv2d_2b_1x1", 64, 1)),
    ("Conv2d_2c_3x3", _conv("Conv2d_2c_3x3", 192, 3)),
    ("MaxPool_3a_3x3", _max_pool("MaxPool_3a_3x3", 3)),
]
MODULES = [
    ("Mixed_3b", _mixed("Mixed_3b")),
    ("Mixed_3c", _mixed("Mixed_3c")),
    ("MaxPool_4a_3x3", _max_pool("MaxPool_4a_3x3", 3)),
    ("Mixed_4b", _mixed("Mixed_4b")),
    ("Mixed_4c", _mixed("Mixed_4c")),
    ("Mixed_4d", _mixed("Mixed_4d")),
    ("Mixed_4e", _mixed("Mixed_4e")),
    ("Mixed_4f", _mixed("Mixed_4f")),
    ("MaxPool_5a_2x2", _max_pool("MaxPool_5a_2x2", 2)),
    ("Mixed_5b", _mixed("Mixed_5b")),
    ("Mixed_5c", _mixed("Mixed_5c")),
]

ROOT_END_POINTS = tuple(name for name, _ in ROOT)
"""The root block's end points (absent with ``include_root_block=False``)."""

BASE_END_POINTS = ROOT_END_POINTS + tuple(name for name, _ in MODULES)
"""The end points of :func:`inception_v1_base`, in order (the valid ``final_endpoint`` values)."""


def _layers(include_root_block: bool) -> List[Tuple[str, Callable[[torch.Tensor], torch.Tensor]]]:
    return (ROOT if include_root_block else []) + MODULES


def inception_v1_base(inputs: torch.Tensor, final_endpoint: str = "Mixed_5c", include_root_block: bool = True,
                      scope="InceptionV1") -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v1 from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, H, W, C]``.
      final_endpoint: where to stop, one of :data:`BASE_END_POINTS`.
      include_root_block: build the convolutions and max-pools before ``Mixed_3b`` (without them
        the root end points are not available and ``inputs`` feed ``Mixed_3b``).
      scope: the variable scope (default ``InceptionV1``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: ``'Unknown final endpoint <name>'`` if ``final_endpoint`` is not one of the
        end points built (checked before anything is built).
    """
    layers = _layers(include_root_block)
    if final_endpoint not in [name for name, _ in layers]:
        raise ValueError("Unknown final endpoint %s" % final_endpoint)
    end_points: EndPoints = {}
    with slim.variable_scope(scope, "InceptionV1", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.fully_connected],
                            weights_initializer=slim.initializers.truncated_normal_initializer(0.0, 0.01)):
            with slim.arg_scope([slim.conv2d, slim.max_pool2d], stride=1, padding="SAME"):
                net = inputs
                for name, layer in layers:
                    net = end_points[name] = layer(net)
                    if name == final_endpoint:
                        return net, end_points
    raise AssertionError("unreachable: final_endpoint was checked")  # pragma: no cover


def inception_v1(inputs: torch.Tensor, num_classes: Optional[int] = 1000, is_training: IsTraining = True,
                 dropout_keep_prob: float = 0.8, prediction_fn: Callable = slim.softmax,
                 spatial_squeeze: bool = True, reuse=None, scope: str = "InceptionV1",
                 global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v1 with its classifier.

    Args:
      inputs: ``[N, H, W, 3]`` (224x224 by default; other sizes need ``global_pool`` or give a map
        of logits with ``spatial_squeeze=False``).
      num_classes: number of classes; 0 or None returns the pooled features before dropout.
      is_training: batch norm and dropout mode: a bool, a 0-d bool tensor, or None to follow
        ``model.train()`` / ``model.eval()``.
      dropout_keep_prob: keep probability of ``Dropout_0b``.
      prediction_fn: makes ``Predictions`` from the logits (called with ``scope='Predictions'``).
      spatial_squeeze: squeeze the logits to ``[N, num_classes]`` (else ``[N, 1, 1, num_classes]``).
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      global_pool: average ``Mixed_5c`` over all of H, W (any input size) instead of the fixed
        7x7 window.

    Returns:
      ``(logits, end_points)``: the logits, or the ``[N, 1, 1, 1024]`` pooled features when
      ``num_classes`` is 0 or None; end points are the base's plus ``AvgPool_0a_7x7`` (or
      ``global_pool``), ``Logits`` and ``Predictions``.

    Raises:
      ValueError: ``spatial_squeeze`` on logits that are not 1x1.
    """
    with slim.variable_scope(scope, "InceptionV1", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_v1_base(inputs, scope=sc)
            with slim.variable_scope("Logits"):
                if global_pool:
                    net = end_points["global_pool"] = net.mean(dim=(1, 2), keepdim=True)
                else:
                    net = slim.avg_pool2d(net, [7, 7], stride=1, scope="AvgPool_0a_7x7")
                    end_points["AvgPool_0a_7x7"] = net
                if not num_classes:
                    return net, end_points
                net = slim.dropout(net, dropout_keep_prob, scope="Dropout_0b")
                logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                                     scope="Conv2d_0c_1x1")
                if spatial_squeeze:
                    logits = squeeze_spatial(logits, f"{sc.name}/Logits/SpatialSqueeze")
                end_points["Logits"] = logits
                end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


inception_v1.default_image_size = default_image_size

inception_v1_arg_scope = inception_utils.inception_arg_scope
