"""``tf.layers`` core layers: ``dense``, ``dropout``, ``flatten``."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from torchslim import initializers
from torchslim.layers.common import check_rank, resolve_is_training, scope_label
from torchslim.ops import core as core_ops
from torchslim.tf_layers.base import apply_activity_regularizer, check_unsupported, is_channels_first, layer_scope
from torchslim.variables import variable

__all__ = ["dense", "dropout", "flatten"]


def dense(inputs: torch.Tensor, units: int, activation: Optional[Callable] = None, use_bias: bool = True,
          kernel_initializer=None, bias_initializer=initializers.zeros_initializer(), kernel_regularizer=None,
          bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
          trainable: bool = True, name: Optional[str] = None, reuse=None) -> torch.Tensor:
    """Densely connected layer on the last axis, ``tf.compat.v1.layers.dense`` (scope ``dense``, ``dense_1``...).

    Variables ``kernel`` ``[in, units]`` and ``bias`` ``[units]``. Inputs of rank > 2 keep their
    leading axes (``[..., in] -> [..., units]``).

    Args: as :func:`torchslim.tf_layers.conv2d` (``units`` for ``filters``).

    Returns:
      ``[..., units]``.

    Raises:
      ValueError: for a rank below 2, a non-positive ``units`` or an unsupported argument.
    """
    label = scope_label(name, "dense")
    check_unsupported(label, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    check_rank(inputs, range(2, 9), label, "dense")
    units = int(units)
    if units <= 0:
        raise ValueError(f"{label}: received an invalid value for `units`, expected a positive integer. "
                         f"Received: units={units}")
    with layer_scope(name, "dense", reuse):
        kernel = variable("kernel", shape=(int(inputs.shape[-1]), units), initializer=kernel_initializer,
                          regularizer=kernel_regularizer, trainable=trainable, layout="fc")
        bias = None
        if use_bias:
            bias = variable("bias", shape=(units,), initializer=bias_initializer, regularizer=bias_regularizer,
                            trainable=trainable)
        outputs = F.linear(inputs, kernel, bias)
        if activation is not None:
            outputs = activation(outputs)
        apply_activity_regularizer(activity_regularizer, outputs)
        return outputs


def dropout(inputs: torch.Tensor, rate: float = 0.5, noise_shape: Optional[Sequence[Optional[int]]] = None,
            seed: Optional[int] = None, training=False, name: Optional[str] = None) -> torch.Tensor:
    """Drops each value with probability ``rate``, scaling kept values by ``1 / (1 - rate)``.

    ``tf.compat.v1.layers.dropout``: note ``rate`` is the *drop* probability (Slim's ``dropout``
    takes ``keep_prob``) and ``training`` defaults to False (the identity).

    Args:
      inputs: any tensor.
      rate: drop probability in [0, 1).
      noise_shape: shape of the keep mask; None entries take the input's size (Keras).
      seed: makes the mask reproducible.
      training: True drops; False is the identity; None follows ``model.train()``/``eval()``
        (Keras' learning phase); a 0-d bool tensor is read.
      name: the layer name (default ``dropout``, uniquified).

    Returns:
      A tensor like ``inputs``.

    Raises:
      ValueError: if ``rate`` is outside [0, 1], or is 1 in a training call.
    """
    label = scope_label(name, "dropout")
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"{label}: invalid value received for argument `rate`. Expected a float value "
                         f"between 0 and 1. Received: rate={rate}")
    training = resolve_is_training(training, label)
    with layer_scope(name, "dropout", takes_scope=False):
        if not training or rate == 0:
            return inputs
        if rate >= 1.0:
            raise ValueError(f"{label}: rate must be a scalar tensor or a float in the range [0, 1), got {rate}")
        return core_ops.dropout(inputs, 1.0 - float(rate), noise_shape, seed)


def flatten(inputs: torch.Tensor, name: Optional[str] = None, data_format: str = "channels_last") -> torch.Tensor:
    """``[N, ...] -> [N, k]`` in channels-last order, ``tf.compat.v1.layers.flatten``.

    A ``channels_first`` input is moved to channels last first (Keras' ``Flatten``), so the
    features come in the same order either way; a rank-1 input becomes ``[N, 1]``.

    Raises:
      ValueError: for a rank-0 input or an unknown data format.
    """
    label = scope_label(name, "flatten")
    check_rank(inputs, range(1, 9), label, "flatten")
    channels_first = is_channels_first(data_format, label)
    with layer_scope(name, "flatten", takes_scope=False):
        if inputs.dim() == 1:
            return inputs.reshape(-1, 1)
        if channels_first and inputs.dim() > 2:
            inputs = inputs.permute(0, *range(2, inputs.dim()), 1)
        return inputs.reshape(inputs.shape[0], -1)
