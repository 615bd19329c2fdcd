"""AlexNet v2, TF-Slim's "one weird trick" AlexNet (``research/slim/nets/alexnet.py``).

Krizhevsky, "One weird trick for parallelizing convolutional neural networks" (arXiv:1404.5997),
the single-column net of cuda-convnet2's ``layers-imagenet-1gpu.cfg``, without the LRN layers of
the 2012 paper, and with the fully connected layers as convolutions (see
:mod:`torchslim.nets.conv_classifier`). Same signature, defaults, variable names and end points
as TF-Slim; NHWC input (``alexnet_v2.default_image_size`` is 224).

===================  ==================  =========================================
end point            output (224x224)    layer
===================  ==================  =========================================
alexnet_v2/conv1     54 x 54 x 64        conv 11x11/4, VALID
alexnet_v2/pool1     26 x 26 x 64        max-pool 3x3/2, VALID
alexnet_v2/conv2     26 x 26 x 192       conv 5x5
alexnet_v2/pool2     12 x 12 x 192       max-pool 3x3/2
alexnet_v2/conv3     12 x 12 x 384       conv 3x3
alexnet_v2/conv4     12 x 12 x 384       conv 3x3
alexnet_v2/conv5     12 x 12 x 256       conv 3x3
alexnet_v2/pool5     5 x 5 x 256         max-pool 3x3/2
alexnet_v2/fc6       1 x 1 x 4096        conv 5x5, VALID (then dropout6)
alexnet_v2/fc7       1 x 1 x 4096        conv 1x1 (then global_pool, dropout7)
alexnet_v2/fc8       num_classes         conv 1x1, linear, squeezed
===================  ==================  =========================================

``fc6`` to ``fc8`` use truncated-normal(0.005) weights; ``fc6``, ``fc7`` biases 0.1, ``fc8`` zeros.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets.conv_classifier import (EndPoints, Head, apply_layers, classifier_arg_scope, conv,
                                             fully_convolutional_net, max_pool)

__all__ = ["alexnet_v2", "alexnet_v2_arg_scope", "default_image_size"]

default_image_size = 224

# The feature layers (scope, layer), as the table above; convolutions are SAME unless marked.
FEATURES = [
    ("conv1", conv(64, 11, 4, padding="VALID")),
    ("pool1", max_pool(3)),
    ("conv2", conv(192, 5)),
    ("pool2", max_pool(3)),
    ("conv3", conv(384, 3)),
    ("conv4", conv(384, 3)),
    ("conv5", conv(256, 3)),
    ("pool5", max_pool(3)),
]

HEAD = Head(fc6_depth=4096, fc6_kernel=5, init_stddev=0.005)


def alexnet_v2(inputs: torch.Tensor, num_classes: Optional[int] = 1000,
               is_training: Union[bool, torch.Tensor, None] = True, dropout_keep_prob: float = 0.5,
               spatial_squeeze: bool = True, scope: str = "alexnet_v2",
               global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds AlexNet v2.

    To classify, use 224x224 inputs; for a map of predictions on larger inputs, set
    ``spatial_squeeze=False``.

    Args:
      inputs: ``[N, H, W, 3]``.
      num_classes: number of classes; 0 or None returns the ``fc7`` features (or ``global_pool``).
      is_training: dropout mode (a bool, a 0-d bool tensor, or None to follow ``model.train()``).
      dropout_keep_prob: keep probability of ``dropout6`` / ``dropout7``.
      spatial_squeeze: squeeze the logits to ``[N, num_classes]``.
      scope: the variable scope.
      global_pool: average ``fc7`` to 1x1 (any input size) before the logits.

    Returns:
      ``(net, end_points)``: the logits, or the features when ``num_classes`` is 0 or None.
    """
    return fully_convolutional_net(inputs, lambda net: apply_layers(net, FEATURES), HEAD, num_classes, is_training,
                                   dropout_keep_prob, spatial_squeeze, global_pool, scope, "alexnet_v2")


alexnet_v2.default_image_size = default_image_size


def alexnet_v2_arg_scope(weight_decay: float = 0.0005) -> dict:
    """TF-Slim's AlexNet v2 arg scope: ReLU, biases 0.1, L2 decay, SAME convs, VALID max-pools.

    Args:
      weight_decay: the L2 coefficient of the weights.

    Returns:
      An arg-scope dict.
    """
    return classifier_arg_scope(weight_decay, slim.initializers.constant_initializer(0.1), max_pool_padding="VALID")
