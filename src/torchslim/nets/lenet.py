"""LeNet, TF-Slim's variant (``research/slim/nets/lenet.py``), for 28x28 MNIST digits.

LeCun et al., "Gradient-based learning applied to document recognition" (1998), with ReLUs,
max-pooling, a 1024-unit hidden layer and dropout. Same signature, defaults, variable names and
end points as TF-Slim; NHWC input (``lenet.default_image_size`` is 28).

==========  ==================  ==========================================
end point   output (28x28x1)    layer
==========  ==================  ==========================================
conv1       28 x 28 x 32        conv 5x5, SAME, ReLU
pool1       14 x 14 x 32        max-pool 2x2/2
conv2       14 x 14 x 64        conv 5x5, SAME, ReLU
pool2       7 x 7 x 64          max-pool 2x2/2
Flatten     3136
fc3         1024                fully connected, ReLU
dropout3    1024                dropout (keep 0.5 when training)
Logits      num_classes         fully connected ``fc4``, linear
Predictions num_classes         ``prediction_fn`` (softmax)
==========  ==================  ==========================================

Example::

    with slim.arg_scope(lenet.lenet_arg_scope()):
        model = slim.Model(lenet.lenet, num_classes=10, is_training=False)
    logits, end_points = model(images)                 # images: [N, 28, 28, 1]
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple, Union

import torch

import torchslim as slim

__all__ = ["lenet", "lenet_arg_scope", "default_image_size"]

EndPoints = Dict[str, torch.Tensor]

default_image_size = 28


def lenet(images: torch.Tensor, num_classes: Optional[int] = 10, is_training: Union[bool, torch.Tensor, None] = False,
          dropout_keep_prob: float = 0.5, prediction_fn: Callable = slim.softmax,
          scope: str = "LeNet") -> Tuple[torch.Tensor, EndPoints]:
    """Builds TF-Slim's LeNet.

    Args:
      images: ``[N, H, W, C]`` (28x28x1 for MNIST).
      num_classes: number of classes; 0 or None returns the ``fc3`` features (before dropout).
      is_training: dropout mode (a bool, a 0-d bool tensor, or None to follow ``model.train()``).
      dropout_keep_prob: keep probability of ``dropout3``.
      prediction_fn: makes ``Predictions`` from the logits (called with ``scope='Predictions'``).
      scope: the variable scope.

    Returns:
      ``(logits, end_points)``: ``[N, num_classes]`` logits, or ``[N, 1024]`` features when
      ``num_classes`` is 0 or None.
    """
    end_points: EndPoints = {}
    with slim.variable_scope(scope, "LeNet", [images]):
        net = end_points["conv1"] = slim.conv2d(images, 32, [5, 5], scope="conv1")
        net = end_points["pool1"] = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        net = end_points["conv2"] = slim.conv2d(net, 64, [5, 5], scope="conv2")
        net = end_points["pool2"] = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        net = end_points["Flatten"] = slim.flatten(net)
        net = end_points["fc3"] = slim.fully_connected(net, 1024, scope="fc3")
        if not num_classes:
            return net, end_points
        net = end_points["dropout3"] = slim.dropout(net, dropout_keep_prob, is_training=is_training,
                                                     scope="dropout3")
        logits = end_points["Logits"] = slim.fully_connected(net, num_classes, activation_fn=None, scope="fc4")
    end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


lenet.default_image_size = default_image_size


def lenet_arg_scope(weight_decay: float = 0.0) -> dict:
    """TF-Slim's LeNet arg scope: ReLU, truncated-normal(0.1) weights, L2 decay on the weights.

    Args:
      weight_decay: the L2 coefficient (0 adds no regularisation loss).

    Returns:
      An arg-scope dict for ``conv2d`` and ``fully_connected``.
    """
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=slim.initializers.truncated_normal_initializer(stddev=0.1),
                        activation_fn=slim.nn.relu) as sc:
        return sc
