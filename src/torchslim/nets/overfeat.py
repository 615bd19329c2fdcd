"""OverFeat, the "fast" model of Sermanet et al. (``research/slim/nets/overfeat.py``).

Sermanet, Eigen, Zhang, Mathieu, Fergus, LeCun, "OverFeat: Integrated Recognition, Localization
and Detection using Convolutional Networks" (arXiv:1312.6229), with the fully connected layers as
convolutions (see :mod:`torchslim.nets.conv_classifier`). Same signature, defaults, variable names
and end points as TF-Slim; NHWC input (``overfeat.default_image_size`` is 231).

=================  ==================  =========================================
end point          output (231x231)    layer
=================  ==================  =========================================
overfeat/conv1     56 x 56 x 64        conv 11x11/4, VALID
overfeat/pool1     28 x 28 x 64        max-pool 2x2/2, VALID
overfeat/conv2     24 x 24 x 256       conv 5x5, VALID
overfeat/pool2     12 x 12 x 256       max-pool 2x2/2
overfeat/conv3     12 x 12 x 512       conv 3x3
overfeat/conv4     12 x 12 x 1024      conv 3x3
overfeat/conv5     12 x 12 x 1024      conv 3x3
overfeat/pool5     6 x 6 x 1024        max-pool 2x2/2
overfeat/fc6       1 x 1 x 3072        conv 6x6, VALID (then dropout6)
overfeat/fc7       1 x 1 x 4096        conv 1x1 (then global_pool, dropout7)
overfeat/fc8       num_classes         conv 1x1, linear, squeezed
=================  ==================  =========================================

``fc6`` to ``fc8`` use truncated-normal(0.005) weights; ``fc6``, ``fc7`` biases 0.1, ``fc8`` zeros.
"""

from __future__ import annotations

from typing import Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets.conv_classifier import (EndPoints, Head, apply_layers, classifier_arg_scope, conv,
                                             fully_convolutional_net, max_pool)

__all__ = ["overfeat", "overfeat_arg_scope", "default_image_size"]

default_image_size = 231

# The feature layers (scope, layer), as the table above; convolutions are SAME unless marked.
FEATURES = [
    ("conv1", conv(64, 11, 4, padding="VALID")),
    ("pool1", max_pool(2)),
    ("conv2", conv(256, 5, padding="VALID")),
    ("pool2", max_pool(2)),
    ("conv3", conv(512, 3)),
    ("conv4", conv(1024, 3)),
    ("conv5", conv(1024, 3)),
    ("pool5", max_pool(2)),
]

HEAD = Head(fc6_depth=3072, fc6_kernel=6, init_stddev=0.005)


def overfeat(inputs: torch.Tensor, num_classes: Optional[int] = 1000,
             is_training: Union[bool, torch.Tensor, None] = True, dropout_keep_prob: float = 0.5,
             spatial_squeeze: bool = True, scope: str = "overfeat",
             global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds OverFeat.

    To classify, use 231x231 inputs; for a map of predictions on larger inputs, set
    ``spatial_squeeze=False``. Arguments and result as :func:`torchslim.nets.alexnet.alexnet_v2`
    (the same head; ``global_pool`` is not in the paper).
    """
    return fully_convolutional_net(inputs, lambda net: apply_layers(net, FEATURES), HEAD, num_classes, is_training,
                                   dropout_keep_prob, spatial_squeeze, global_pool, scope, "overfeat")


overfeat.default_image_size = default_image_size


def overfeat_arg_scope(weight_decay: float = 0.0005) -> dict:
    """TF-Slim's OverFeat arg scope: ReLU, zero biases, L2 decay (``weight_decay``), SAME convs, VALID
    max-pools; an arg-scope dict."""
    return classifier_arg_scope(weight_decay, slim.initializers.zeros_initializer(), max_pool_padding="VALID")
