"""TF1's ``tensorflow.python.ops.init_ops`` initializers, under their names, with their semantics.

``from torchslim.tf_layers import init_ops`` stands in for ``from tensorflow.python.ops import
init_ops``. Each function returns ``f(shape, dtype=None, partition_info=None) -> torch.Tensor`` with
a TF shape (HWIO kernels), as the core's initializers do; most *are* the core's
(:mod:`torchslim.initializers`).

Watch the one name that means two things: ``init_ops.variance_scaling_initializer(scale=1.0,
mode='fan_in', distribution='truncated_normal')`` is TF1 core / Keras' (variance ``scale / n``,
truncated normal corrected to keep that variance), while ``torchslim.variance_scaling_initializer
(factor=2.0, mode='FAN_IN', uniform=False)`` is TF-Slim's (``tf.contrib.layers``).

``xavier_initializer`` is not in TF1's ``init_ops`` (it was ``tf.contrib.layers.xavier_initializer``);
seed page 004 calls ``init_ops.xavier_initializer()`` anyway, so it is provided here as that contrib
function (the core's :func:`torchslim.initializers.xavier_initializer`): its default
``uniform=True`` draws from the same distribution as :func:`glorot_uniform_initializer`,
``U(+-sqrt(6 / (fan_in + fan_out)))``.
"""

from __future__ import annotations

from typing import Optional

import torch

from torchslim.initializers import (keras_variance_scaling, constant_initializer, glorot_normal_initializer,
                                    glorot_uniform_initializer, ones_initializer, random_normal_initializer,
                                    random_uniform_initializer, truncated_normal_initializer, xavier_initializer,
                                    xavier_initializer_conv2d, zeros_initializer)

__all__ = [
    "zeros_initializer", "ones_initializer", "constant_initializer", "random_normal_initializer",
    "truncated_normal_initializer", "random_uniform_initializer", "variance_scaling_initializer",
    "glorot_uniform_initializer", "glorot_normal_initializer", "he_normal", "he_uniform", "lecun_normal",
    "lecun_uniform", "xavier_initializer", "xavier_initializer_conv2d",
]

_DISTRIBUTIONS = {"normal": "truncated_normal", "truncated_normal": "truncated_normal",
                  "untruncated_normal": "untruncated_normal", "uniform": "uniform"}


def variance_scaling_initializer(scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                                 seed: Optional[int] = None, dtype=torch.float32):
    """TF1 ``init_ops.VarianceScaling``: variance ``scale / max(1, n)``.

    Args:
      scale: a positive float.
      mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` (``n``; fans of a conv kernel include the
        receptive field).
      distribution: ``'truncated_normal'`` (stddev ``sqrt(scale / n) / 0.8796``, cut at two
        stddevs), ``'untruncated_normal'``, ``'uniform'`` (``+-sqrt(3 scale / n)``), or ``'normal'``
        (TF1's deprecated alias of ``'truncated_normal'``); any case.
      seed: optional seed.
      dtype: a floating dtype.

    Returns:
      An initializer.

    Raises:
      ValueError: for a non-positive scale, an unknown mode or distribution.
    """
    if scale <= 0.0:
        raise ValueError(f"Argument `scale` must be a positive float. Received: {scale}")
    if mode not in ("fan_in", "fan_out", "fan_avg"):
        raise ValueError(f"Argument `mode` should be one of ('fan_in', 'fan_out', 'fan_avg'). Received: {mode}")
    key = str(distribution).lower()
    if key not in _DISTRIBUTIONS:
        raise ValueError("Argument `distribution` should be one of ('normal', 'uniform', 'truncated_normal', "
                         f"'untruncated_normal'). Received: {distribution}")
    return keras_variance_scaling(float(scale), mode, _DISTRIBUTIONS[key], seed, dtype)


def he_normal(seed: Optional[int] = None):
    """He normal (truncated): ``variance_scaling_initializer(2.0, 'fan_in', 'truncated_normal')``."""
    return variance_scaling_initializer(2.0, "fan_in", "truncated_normal", seed)


def he_uniform(seed: Optional[int] = None):
    """He uniform: ``variance_scaling_initializer(2.0, 'fan_in', 'uniform')``."""
    return variance_scaling_initializer(2.0, "fan_in", "uniform", seed)


def lecun_normal(seed: Optional[int] = None):
    """LeCun normal (truncated): ``variance_scaling_initializer(1.0, 'fan_in', 'truncated_normal')``."""
    return variance_scaling_initializer(1.0, "fan_in", "truncated_normal", seed)


def lecun_uniform(seed: Optional[int] = None):
    """LeCun uniform: ``variance_scaling_initializer(1.0, 'fan_in', 'uniform')``."""
    return variance_scaling_initializer(1.0, "fan_in", "uniform", seed)
