"""The fully convolutional classifier shared by AlexNet v2, OverFeat and VGG.

Those nets replace their fully connected layers by convolutions (``fc6`` with the kernel of the
feature map at the default image size, ``fc7`` and ``fc8`` 1x1), so a larger input gives a map of
predictions. This is that head, written once::

    fc6 (k x k conv) -> dropout6 -> fc7 (1x1) -> [global_pool] -> dropout7 -> fc8 (1x1, linear)
        -> [squeeze H, W]

``conv``, ``max_pool`` and ``apply_layers`` write the feature layers before it as a table of
``(scope, layer)`` rows. The head also turns the net's ``outputs_collections`` into the end points dict at the point TF-Slim
does (after ``fc7``), adding ``global_pool`` and ``<scope>/fc8`` after it.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch

import torchslim as slim
from torchslim import utils

__all__ = ["conv", "max_pool", "apply_layers", "squeeze_spatial", "classifier_head"]

EndPoints = Dict[str, torch.Tensor]
Layer = Callable[[torch.Tensor, str], torch.Tensor]


def conv(depth: int, kernel: int, stride: int = 1, **kwargs) -> Layer:
    """A ``kernel x kernel`` ``slim.conv2d`` row of a layer table (``kwargs``: e.g. its padding)."""
    return lambda net, scope: slim.conv2d(net, depth, [kernel, kernel], stride, scope=scope, **kwargs)


def max_pool(kernel: int, stride: int = 2) -> Layer:
    """A ``kernel x kernel`` ``slim.max_pool2d`` row of a layer table."""
    return lambda net, scope: slim.max_pool2d(net, [kernel, kernel], stride, scope=scope)


def apply_layers(net: torch.Tensor, layers: List[Tuple[str, Layer]]) -> torch.Tensor:
    """Runs a table of ``(scope, layer)`` rows in order."""
    for scope, layer in layers:
        net = layer(net, scope)
    return net


def squeeze_spatial(net: torch.Tensor, name: str) -> torch.Tensor:
    """``tf.squeeze(net, [1, 2])``: drops the 1x1 spatial dimensions of an NHWC tensor.

    Raises:
      ValueError: a spatial dimension is not 1 (TF's squeeze fails the same way); name the op.
    """
    if net.dim() != 4 or net.shape[1] != 1 or net.shape[2] != 1:
        raise ValueError(f"{name}: can not squeeze dims [1, 2] of shape {list(net.shape)}, expected 1x1 "
                         "(use the default image size, global_pool=True or spatial_squeeze=False)")
    return net.squeeze(2).squeeze(1)


def classifier_head(net: torch.Tensor, end_points_collection: str, scope_name: str,
                    num_classes: Optional[int], is_training: Union[bool, torch.Tensor, None],
                    dropout_keep_prob: float, spatial_squeeze: bool, global_pool: bool,
                    fc6_depth: int, fc6_kernel: Sequence[int], fc6_padding: str = "VALID",
                    fc7_depth: int = 4096, **fc8_kwargs) -> Tuple[torch.Tensor, EndPoints]:
    """``fc6``, ``fc7`` and (with ``num_classes``) ``fc8``, and the net's end points.

    Args:
      net: the last feature map, ``[N, H, W, C]``.
      end_points_collection: the collection the net's layers add their outputs to.
      scope_name: the net's variable scope name (``<scope_name>/fc8`` is the logits' end point).
      num_classes: classes of ``fc8``; 0 or None stops after ``fc7`` (and ``global_pool``).
      is_training: dropout mode (a bool, a 0-d bool tensor, or None to follow ``model.train()``).
      dropout_keep_prob: keep probability of ``dropout6`` and ``dropout7``.
      spatial_squeeze: squeeze the logits' 1x1 spatial dimensions.
      global_pool: average ``fc7`` over H and W (keeping them as 1x1) before the logits.
      fc6_depth, fc6_kernel, fc6_padding: the first "fully connected" convolution.
      fc7_depth: depth of ``fc7``.
      **fc8_kwargs: more arguments of the ``fc8`` convolution (e.g. its biases' initializer).

    Returns:
      ``(net, end_points)``: the logits (or the features when ``num_classes`` is 0 or None).

    Raises:
      ValueError: ``spatial_squeeze`` on logits that are not 1x1.
    """
    net = slim.conv2d(net, fc6_depth, fc6_kernel, padding=fc6_padding, scope="fc6")
    net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout6")
    net = slim.conv2d(net, fc7_depth, [1, 1], scope="fc7")
    end_points = utils.convert_collection_to_dict(end_points_collection)
    if global_pool:
        net = end_points["global_pool"] = net.mean(dim=(1, 2), keepdim=True)
    if num_classes:
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout7")
        net = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="fc8",
                          **fc8_kwargs)
        if spatial_squeeze:
            net = squeeze_spatial(net, f"{scope_name}/fc8/squeezed")
        end_points[scope_name + "/fc8"] = net
    return net, end_points
