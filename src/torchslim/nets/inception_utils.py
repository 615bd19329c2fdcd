"""What every Inception net shares: TF-Slim's ``inception_arg_scope`` (``research/slim/nets/inception_utils.py``).

Usage::

    with slim.arg_scope(inception_utils.inception_arg_scope()):
        logits, end_points = inception_v1.inception_v1(images, num_classes, is_training=False)
"""

from __future__ import annotations

from typing import Callable, Optional

import torchslim as slim
from torchslim.nets import inception_common

__all__ = ["inception_arg_scope"]


def inception_arg_scope(weight_decay: float = 0.00004, use_batch_norm: bool = True,
                        batch_norm_decay: float = 0.9997, batch_norm_epsilon: float = 0.001,
                        activation_fn: Optional[Callable] = slim.nn.relu,
                        batch_norm_updates_collections=slim.GraphKeys.UPDATE_OPS,
                        batch_norm_scale: bool = False) -> dict:
    """The default arg scope of the Inception nets.

    ``conv2d`` and ``fully_connected`` get L2 decay on their weights; ``conv2d`` gets He
    (variance-scaling) weights, ``activation_fn`` and, with ``use_batch_norm``, batch norm
    (no ``gamma`` unless ``batch_norm_scale``) instead of biases.

    Args:
      weight_decay: the L2 coefficient of the weights.
      use_batch_norm: follow each convolution by batch norm.
      batch_norm_decay: decay of the batch-norm moving averages.
      batch_norm_epsilon: added to the variance.
      activation_fn: activation of the convolutions.
      batch_norm_updates_collections: accepted for compatibility; batch norm updates itself in
        training calls.
      batch_norm_scale: give batch norm a ``gamma``.

    Returns:
      An arg-scope dict; entering it replaces the active arg scope.
    """
    normalizer_fn = slim.batch_norm if use_batch_norm else None
    normalizer_params = (inception_common.batch_norm_params(batch_norm_decay, batch_norm_epsilon,
                                                            batch_norm_updates_collections, batch_norm_scale)
                         if use_batch_norm else {})
    with slim.arg_scope([slim.conv2d, slim.fully_connected], weights_regularizer=slim.l2_regularizer(weight_decay)):
        with slim.arg_scope([slim.conv2d], weights_initializer=slim.variance_scaling_initializer(),
                            activation_fn=activation_fn, normalizer_fn=normalizer_fn,
                            normalizer_params=normalizer_params) as sc:
            return sc
