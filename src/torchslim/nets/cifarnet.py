"""CifarNet, TF-Slim's CIFAR-10 model (``research/slim/nets/cifarnet.py``), with local response norm.

The network of the TensorFlow CIFAR-10 tutorial (after Krizhevsky's cuda-convnet layers-18pct):
two 5x5 convolutions with max-pooling and ``tf.nn.lrn`` (:func:`torchslim.nn.lrn`), then two
fully connected layers. Same signature, defaults, variable names and end points as TF-Slim; NHWC
input (``cifarnet.default_image_size`` is 32).

==========  ==================  ==========================================================
end point   output (32x32x3)    layer
==========  ==================  ==========================================================
conv1       32 x 32 x 64        conv 5x5, SAME, ReLU
pool1       16 x 16 x 64        max-pool 2x2/2, then LRN ``norm1``
conv2       16 x 16 x 64        conv 5x5, SAME, ReLU, then LRN ``norm2``
pool2       8 x 8 x 64          max-pool 2x2/2
Flatten     4096
fc3         384                 fully connected, ReLU (then dropout ``dropout3``)
fc4         192                 fully connected, ReLU
Logits      num_classes         fully connected ``logits``, linear, no weight decay
Predictions num_classes         ``prediction_fn`` (softmax)
==========  ==================  ==========================================================

LRN (both): ``depth_radius=4, bias=1.0, alpha=0.001 / 9.0, beta=0.75``.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional, Tuple, Union

import torch

import torchslim as slim

__all__ = ["cifarnet", "cifarnet_arg_scope", "default_image_size"]

EndPoints = Dict[str, torch.Tensor]

default_image_size = 32

LRN_PARAMS = {"depth_radius": 4, "bias": 1.0, "alpha": 0.001 / 9.0, "beta": 0.75}


def _trunc_normal(stddev: float):
    return slim.initializers.truncated_normal_initializer(stddev=stddev)


def cifarnet(images: torch.Tensor, num_classes: Optional[int] = 10,
             is_training: Union[bool, torch.Tensor, None] = False, dropout_keep_prob: float = 0.5,
             prediction_fn: Callable = slim.softmax, scope: str = "CifarNet") -> Tuple[torch.Tensor, EndPoints]:
    """Builds TF-Slim's CifarNet.

    Args:
      images: ``[N, H, W, 3]`` (32x32 for CIFAR-10).
      num_classes: number of classes; 0 or None returns the ``fc4`` features.
      is_training: dropout mode (a bool, a 0-d bool tensor, or None to follow ``model.train()``).
      dropout_keep_prob: keep probability of ``dropout3``.
      prediction_fn: makes ``Predictions`` from the logits (called with ``scope='Predictions'``).
      scope: the variable scope.

    Returns:
      ``(logits, end_points)``: ``[N, num_classes]`` logits, or ``[N, 192]`` features when
      ``num_classes`` is 0 or None.
    """
    end_points: EndPoints = {}
    with slim.variable_scope(scope, "CifarNet", [images]):
        net = end_points["conv1"] = slim.conv2d(images, 64, [5, 5], scope="conv1")
        net = end_points["pool1"] = slim.max_pool2d(net, [2, 2], 2, scope="pool1")
        net = slim.nn.lrn(net, name="norm1", **LRN_PARAMS)
        net = end_points["conv2"] = slim.conv2d(net, 64, [5, 5], scope="conv2")
        net = slim.nn.lrn(net, name="norm2", **LRN_PARAMS)
        net = end_points["pool2"] = slim.max_pool2d(net, [2, 2], 2, scope="pool2")
        net = end_points["Flatten"] = slim.flatten(net)
        net = end_points["fc3"] = slim.fully_connected(net, 384, scope="fc3")
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="dropout3")
        net = end_points["fc4"] = slim.fully_connected(net, 192, scope="fc4")
        if not num_classes:
            return net, end_points
        logits = end_points["Logits"] = slim.fully_connected(
            net, num_classes, biases_initializer=slim.initializers.zeros_initializer(),
            weights_initializer=_trunc_normal(1 / 192.0), weights_regularizer=None, activation_fn=None,
            scope="logits")
        end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits, end_points


cifarnet.default_image_size = default_image_size


def cifarnet_arg_scope(weight_decay: float = 0.004) -> dict:
    """TF-Slim's CifarNet arg scope.

    ``conv2d``: truncated-normal(0.05) weights, ReLU. ``fully_connected``: truncated-normal(0.04)
    weights, biases 0.1, L2 decay on the weights, ReLU.

    Args:
      weight_decay: the L2 coefficient of the fully connected weights.

    Returns:
      An arg-scope dict.
    """
    with slim.arg_scope([slim.conv2d], weights_initializer=_trunc_normal(5e-2), activation_fn=slim.nn.relu):
        with slim.arg_scope([slim.fully_connected],
                            biases_initializer=slim.initializers.constant_initializer(0.1),
                            weights_initializer=_trunc_normal(0.04),
                            weights_regularizer=slim.l2_regularizer(weight_decay),
                            activation_fn=slim.nn.relu) as sc:
            return sc
