"""VGG, the Oxford nets A (11 layers), D (16) and E (19) (``research/slim/nets/vgg.py``).

Simonyan, Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(arXiv:1409.1556), with the fully connected layers as convolutions (see
:mod:`torchslim.nets.conv_classifier`). Same signatures, defaults, variable names and end points
as TF-Slim, so the Slim zoo's ``vgg_16.ckpt`` / ``vgg_19.ckpt`` restore by name. NHWC input
(``default_image_size`` 224).

Five blocks of 3x3 SAME convolutions (``slim.repeat``: ``conv3/conv3_1`` ...), each followed by a
2x2/2 max-pool, then the head:

=========  ======  =========  ======  =======  ===========================================
net        conv1   conv2      conv3   conv4    conv5
=========  ======  =========  ======  =======  ===========================================
depth      64      128        256     512      512
vgg_a      1       1          2       2        2
vgg_16     2       2          3       3        3
vgg_19     2       2          4       4        4
=========  ======  =========  ======  =======  ===========================================

then ``fc6`` (7x7 conv, 4096, ``fc_conv_padding``), ``dropout6``, ``fc7`` (1x1, 4096),
[``global_pool``], ``dropout7``, ``fc8`` (1x1, linear, squeezed). At 224x224: ``pool5`` is 7x7x512,
``fc6`` / ``fc7`` 1x1x4096. End points are ``<scope>/conv1/conv1_1`` ... ``<scope>/pool5``,
``<scope>/fc6``, ``<scope>/fc7``, ``<scope>/fc8``.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets.conv_classifier import classifier_head

__all__ = ["vgg", "vgg_a", "vgg_16", "vgg_19", "vgg_d", "vgg_e", "vgg_arg_scope", "default_image_size"]

EndPoints = Dict[str, torch.Tensor]
IsTraining = Union[bool, torch.Tensor, None]

default_image_size = 224

BLOCK_DEPTHS = (64, 128, 256, 512, 512)
"""Output depth of the five convolution blocks."""

BLOCK_REPEATS = {"vgg_a": (1, 1, 2, 2, 2), "vgg_16": (2, 2, 3, 3, 3), "vgg_19": (2, 2, 4, 4, 4)}
"""3x3 convolutions per block, by net (the paper's configurations A, D and E)."""


def vgg(inputs: torch.Tensor, repeats: Sequence[int], num_classes: Optional[int] = 1000,
        is_training: IsTraining = True, dropout_keep_prob: float = 0.5, spatial_squeeze: bool = True,
        scope: Optional[str] = "vgg", fc_conv_padding: str = "VALID", global_pool: bool = False,
        collect_fully_connected: bool = True, default_name: str = "vgg") -> Tuple[torch.Tensor, EndPoints]:
    """Builds a VGG net with ``repeats[i]`` convolutions in block ``i + 1``.

    Args:
      inputs: ``[N, H, W, 3]``.
      repeats: convolutions per block (five entries; see :data:`BLOCK_REPEATS`).
      num_classes: number of classes; 0 or None returns the ``fc7`` features (or ``global_pool``).
      is_training: dropout mode (a bool, a 0-d bool tensor, or None to follow ``model.train()``).
      dropout_keep_prob: keep probability of ``dropout6`` / ``dropout7``.
      spatial_squeeze: squeeze the logits to ``[N, num_classes]``.
      scope: the variable scope; None uses ``default_name`` (made unique).
      fc_conv_padding: padding of ``fc6``: ``'VALID'`` (a 224 input gives 1x1 logits; a larger one
        a map of ``input / 32 - 6``), or ``'SAME'`` (a map of ``input / 32``).
      global_pool: average ``fc7`` to 1x1 (any input size) before the logits (not in the paper).
      collect_fully_connected: also collect ``slim.fully_connected`` outputs as end points (TF-Slim's
        ``vgg_16`` / ``vgg_19`` do, ``vgg_a`` does not; the nets have no such layer either way).
      default_name: the scope's name when ``scope`` is None.

    Returns:
      ``(net, end_points)``: the logits, or the features when ``num_classes`` is 0 or None.
    """
    with slim.variable_scope(scope, default_name, [inputs]) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        collected = [slim.conv2d, slim.fully_connected, slim.max_pool2d] if collect_fully_connected else [
            slim.conv2d, slim.max_pool2d]
        with slim.arg_scope(collected, outputs_collections=end_points_collection):
            net = inputs
            for block, (depth, repeat) in enumerate(zip(BLOCK_DEPTHS, repeats), start=1):
                net = slim.repeat(net, repeat, slim.conv2d, depth, [3, 3], scope=f"conv{block}")
                net = slim.max_pool2d(net, [2, 2], scope=f"pool{block}")
            return classifier_head(net, end_points_collection, sc.name, num_classes, is_training,
                                   dropout_keep_prob, spatial_squeeze, global_pool, 4096, [7, 7],
                                   fc6_padding=fc_conv_padding)


def _named(name: str, paper: str):
    """The constructor ``name`` (TF-Slim's signature and defaults) for one row of :data:`BLOCK_REPEATS`."""

    def constructor(inputs: torch.Tensor, num_classes: Optional[int] = 1000, is_training: IsTraining = True,
                    dropout_keep_prob: float = 0.5, spatial_squeeze: bool = True, scope: Optional[str] = name,
                    fc_conv_padding: str = "VALID", global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
        return vgg(inputs, BLOCK_REPEATS[name], num_classes, is_training, dropout_keep_prob, spatial_squeeze,
                   scope, fc_conv_padding, global_pool, collect_fully_connected=name != "vgg_a", default_name=name)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = f"""Oxford Net VGG {paper}; :func:`vgg` with ``repeats={BLOCK_REPEATS[name]}``.

    To classify, use 224x224 inputs.

    Args: as :func:`vgg` (``scope`` defaults to ``'{name}'``).

    Returns:
      ``(net, end_points)``: the logits, or the features when ``num_classes`` is 0 or None.
    """
    constructor.default_image_size = default_image_size
    return constructor


vgg_a = _named("vgg_a", "11-Layers version A")
vgg_16 = _named("vgg_16", "16-Layers version D")
vgg_19 = _named("vgg_19", "19-Layers version E")

# Aliases, as TF-Slim.
vgg_d = vgg_16
vgg_e = vgg_19


def vgg_arg_scope(weight_decay: float = 0.0005) -> dict:
    """TF-Slim's VGG arg scope: ReLU, zero biases, L2 decay on the weights, SAME convolutions.

    Args:
      weight_decay: the L2 coefficient of the weights.

    Returns:
      An arg-scope dict.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected], activation_fn=slim.nn.relu,
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        biases_initializer=slim.initializers.zeros_initializer()):
        with slim.arg_scope([slim.conv2d], padding="SAME") as arg_sc:
            return arg_sc
