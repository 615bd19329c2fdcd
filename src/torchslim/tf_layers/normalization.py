"""``tf.layers.batch_normalization``: Keras' V1 ``BatchNormalization`` on the core's batch norm.

Differences from Slim's ``batch_norm`` that TF1 code relies on: ``momentum=0.99`` (Slim:
``decay=0.999``), ``scale=True`` (Slim: False), variables created in the order ``gamma``, ``beta``,
``moving_mean``, ``moving_variance``, and ``training=False`` by default (the moving statistics are
used unless the call says ``training=True``).

TF picks the fused kernel for 4-D input with the channel axis at 1 or 3 and for 5-D input with it
at 1 or 4 (``fused=None`` and ``fused=True`` alike in V1); the fused kernel stores the *unbiased*
batch variance in ``moving_variance``, the other path the biased one. Both normalise with the biased
batch variance. The numbers and the in-place update are the core's
(:mod:`torchslim.ops.normalization`).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from torchslim import initializers
from torchslim.layers.common import check_rank, resolve_is_training, scope_label
from torchslim.ops import normalization as norm_ops
from torchslim.tf_layers.base import check_unsupported, layer_scope
from torchslim.variables import current_call, variable

__all__ = ["batch_normalization"]


def _channel_axis(axis: Union[int, Sequence[int]], rank: int, label: str) -> int:
    axes = [axis] if isinstance(axis, int) else list(axis)
    if len(axes) != 1:
        raise ValueError(f"{label}: batch_normalization over several axes ({axes}) is not supported by "
                         "torchslim.tf_layers")
    value = int(axes[0])
    if not -rank <= value < rank:
        raise ValueError(f"{label}: invalid axis {value} for a rank-{rank} input")
    return value % rank


def _uses_fused_kernel(fused: Optional[bool], rank: int, axis: int) -> bool:
    """What Keras' V1 ``BatchNormalization.build`` decides (renorm etc. are rejected before)."""
    if fused is False:
        return False
    return (rank == 4 and axis in (1, 3)) or (rank == 5 and axis in (1, 4))


def batch_normalization(inputs: torch.Tensor, axis: Union[int, Sequence[int]] = -1, momentum: float = 0.99,
                        epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                        beta_initializer=initializers.zeros_initializer(),
                        gamma_initializer=initializers.ones_initializer(),
                        moving_mean_initializer=initializers.zeros_initializer(),
                        moving_variance_initializer=initializers.ones_initializer(), beta_regularizer=None,
                        gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, training=False,
                        trainable: bool = True, name: Optional[str] = None, reuse=None, renorm: bool = False,
                        renorm_clipping=None, renorm_momentum: float = 0.99, fused: Optional[bool] = None,
                        virtual_batch_size: Optional[int] = None, adjustment=None) -> torch.Tensor:
    """Batch normalisation over every axis but ``axis`` (default scope ``batch_normalization``, ``_1``, ...).

    Variables: ``gamma`` (if ``scale``), ``beta`` (if ``center``), ``moving_mean`` and
    ``moving_variance`` (buffers), each of the channel count.

    Args:
      inputs: a tensor of rank >= 2.
      axis: the channel axis (an int, or a list of one int); -1 for channels last.
      momentum: moving averages become ``momentum * moving + (1 - momentum) * batch``.
      epsilon: added to the variance.
      center, scale: add ``beta`` / multiply by ``gamma``.
      beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer:
        initializers (zeros, ones, zeros, ones).
      beta_regularizer, gamma_regularizer: regularizers for ``beta`` / ``gamma``.
      training: False (default) normalises with the moving statistics; True with the batch's and
        updates the moving ones in place (no ``UPDATE_OPS`` to run); None follows
        ``model.train()``/``eval()`` (Keras' learning phase); a 0-d bool tensor is read.
      trainable: False stores ``gamma``/``beta`` as buffers.
      name, reuse: the variable scope, as :func:`torchslim.tf_layers.conv2d`.
      fused: None/True use TF's fused kernel where it applies, False never (see the module doc).
      beta_constraint, gamma_constraint, renorm, renorm_clipping, virtual_batch_size, adjustment:
        not supported (a ValueError if set); ``renorm_momentum`` is ignored without ``renorm``.

    Returns:
      The normalised tensor.

    Raises:
      ValueError: for a bad axis, rank below 2 or an unsupported argument, naming the layer.
    """
    del renorm_momentum
    label = scope_label(name, "batch_normalization")
    check_unsupported(label, beta_constraint=beta_constraint, gamma_constraint=gamma_constraint, renorm=renorm,
                      renorm_clipping=renorm_clipping, virtual_batch_size=virtual_batch_size,
                      adjustment=adjustment)
    rank = check_rank(inputs, range(2, 9), label, "batch_normalization")
    channel_axis = _channel_axis(axis, rank, label)
    channels = int(inputs.shape[channel_axis])
    training = resolve_is_training(training, label)
    with layer_scope(name, "batch_normalization", reuse):
        params = {
            "gamma": _param("gamma", scale, channels, gamma_initializer, gamma_regularizer, trainable),
            "beta": _param("beta", center, channels, beta_initializer, beta_regularizer, trainable),
            "moving_mean": _param("moving_mean", True, channels, moving_mean_initializer, None, False),
            "moving_variance": _param("moving_variance", True, channels, moving_variance_initializer, None, False),
        }
        update = training and not current_call(label).dry_run
        unbiased = _uses_fused_kernel(fused, rank, channel_axis)
        x = inputs.movedim(channel_axis, 1) if channel_axis != 1 else inputs
        y = norm_ops.batch_norm(x, params["moving_mean"], params["moving_variance"], params["gamma"], params["beta"],
                                momentum, epsilon, training, update, unbiased)
        return y.movedim(1, channel_axis) if channel_axis != 1 else y


def _param(name: str, wanted: bool, channels: int, initializer, regularizer, trainable: bool):
    if not wanted:
        return None
    return variable(name, shape=(channels,), dtype=torch.float32, initializer=initializer, regularizer=regularizer,
                    trainable=trainable)
