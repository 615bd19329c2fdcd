"""``fully_connected``, ``flatten``, ``dropout``, ``softmax``, ``bias_add``, ``one_hot_encoding``, ``unit_norm``.

Layers with variables follow the recipe of :mod:`torchslim.layers.conv`; dropout's mask and
``bias_add``'s broadcast are :mod:`torchslim.ops.core`'s.
"""

from __future__ import annotations

import functools
from typing import Callable, Optional, Sequence

import torch
import torch.nn.functional as F

from torchslim import initializers, nn as tfnn, utils
from torchslim.arg_scope import add_arg_scope
from torchslim.layers.common import (check_rank, layer_biases, normalize_and_activate, resolve_is_training, scope_label,
                                     variable_collections)
from torchslim.ops import core as core_ops
from torchslim.variables import model_variable
from torchslim.scopes import name_scope, variable_scope

__all__ = ["fully_connected", "flatten", "dropout", "softmax", "bias_add", "one_hot_encoding", "unit_norm",
           "relu", "relu6", "elu", "linear"]


@add_arg_scope
def fully_connected(inputs: torch.Tensor, num_outputs: int, activation_fn: Optional[Callable] = tfnn.relu,
                    normalizer_fn: Optional[Callable] = None, normalizer_params: Optional[dict] = None,
                    weights_initializer=initializers.xavier_initializer(), weights_regularizer=None,
                    biases_initializer=initializers.zeros_initializer(), biases_regularizer=None, reuse=None,
                    variables_collections=None, outputs_collections=None, trainable: bool = True,
                    scope: Optional[str] = None) -> torch.Tensor:
    """A dense layer on the last axis (default scope ``fully_connected``).

    Variables ``weights`` ``[in, out]`` and, unless a normalizer is given or
    ``biases_initializer`` is None, ``biases`` ``[out]``, created in the inputs' dtype (as TF).
    Inputs of rank > 2 are transformed on their last axis (what TF-Slim's implementation does,
    whatever its docstring says).

    Args:
      inputs: a tensor of rank >= 2.
      num_outputs: output units (an int).
      Other arguments: as :func:`torchslim.layers.conv.convolution`.

    Returns:
      ``[..., num_outputs]``.

    Raises:
      ValueError: if ``num_outputs`` is not an int or the rank is below 2, naming the scope.
    """
    label = scope_label(scope, "fully_connected")
    if isinstance(num_outputs, bool) or not isinstance(num_outputs, int):
        raise ValueError(f"{label}: num_outputs type should be one of (int,), got {type(num_outputs).__name__}")
    check_rank(inputs, range(2, 9), label, "fully_connected")
    in_units = utils.last_dimension(inputs.shape, min_rank=2)
    with variable_scope(scope, "fully_connected", [inputs], reuse=reuse) as sc:
        weights = model_variable(
            "weights", shape=(in_units, num_outputs), dtype=inputs.dtype, initializer=weights_initializer,
            regularizer=weights_regularizer, trainable=trainable,
            collections=variable_collections(variables_collections, "weights"), layout="fc")
        biases = layer_biases(num_outputs, inputs.dtype, normalizer_fn, biases_initializer, biases_regularizer,
                              trainable, variables_collections)
        outputs = F.linear(inputs, weights, biases)
        outputs = normalize_and_activate(outputs, normalizer_fn, normalizer_params, activation_fn)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


relu = functools.partial(fully_connected, activation_fn=tfnn.relu)
relu6 = functools.partial(fully_connected, activation_fn=tfnn.relu6)
elu = functools.partial(fully_connected, activation_fn=tfnn.elu)
linear = functools.partial(fully_connected, activation_fn=None)


@add_arg_scope
def flatten(inputs: torch.Tensor, outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """``[N, ...] -> [N, k]`` in the tensor's logical (NHWC) order; rank 1 becomes ``[N, 1]``.

    Raises:
      ValueError: for a rank-0 input, naming the scope.
    """
    label = scope_label(scope, "Flatten")
    check_rank(inputs, range(1, 9), label, "flatten")
    with name_scope(scope, "Flatten") as sc:
        outputs = inputs.reshape(inputs.shape[0], -1) if inputs.dim() != 1 else inputs.reshape(-1, 1)
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def dropout(inputs: torch.Tensor, keep_prob: float = 0.5, noise_shape: Optional[Sequence[int]] = None,
            is_training=None, outputs_collections=None, scope: Optional[str] = None,
            seed: Optional[int] = None) -> torch.Tensor:
    """Keeps each value with probability ``keep_prob`` and scales kept values by ``1 / keep_prob``.

    Args:
      inputs: any tensor.
      keep_prob: probability of keeping a value (in (0, 1]).
      noise_shape: shape of the keep mask, broadcast against ``inputs`` (e.g. ``[N, 1, 1, C]``;
        a None entry means the input's size).
      is_training: True drops, False is the identity, None follows ``model.train()``/``eval()``.
      outputs_collections: collections for the output (alias: the variable scope's name).
      scope: variable scope, as TF-Slim (default ``Dropout``; no variables are made).
      seed: makes the mask reproducible.

    Returns:
      A tensor like ``inputs``.

    Raises:
      ValueError: if ``keep_prob`` is not in (0, 1].
    """
    label = scope_label(scope, "Dropout")
    if not 0.0 < float(keep_prob) <= 1.0:
        raise ValueError(f"{label}: keep_prob must be in (0, 1], got {keep_prob}")
    training = resolve_is_training(is_training, label)
    with variable_scope(scope, "Dropout", [inputs]) as sc:
        outputs = core_ops.dropout(inputs, keep_prob, noise_shape, seed) if training else inputs
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


def softmax(logits: torch.Tensor, scope: Optional[str] = None) -> torch.Tensor:
    """Softmax over the last axis of an N-D tensor (TF-Slim's ``softmax``; not arg-scoped)."""
    label = scope_label(scope, "softmax")
    check_rank(logits, range(1, 9), label, "softmax")
    return torch.softmax(logits, dim=-1)


@add_arg_scope
def bias_add(inputs: torch.Tensor, activation_fn: Optional[Callable] = None,
             initializer=initializers.zeros_initializer(), regularizer=None, reuse=None, variables_collections=None,
             outputs_collections=None, trainable: bool = True, data_format: str = "NHWC",
             scope: Optional[str] = None) -> torch.Tensor:
    """Adds a ``biases`` variable (in the inputs' dtype) over the channel axis (default scope ``BiasAdd``).

    Raises:
      ValueError: for an unknown data format or NCHW with rank != 4, naming the scope.
    """
    label = scope_label(scope, "BiasAdd")
    rank = check_rank(inputs, range(2, 9), label, "bias_add")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{label}: data_format has to be either NCHW or NHWC.")
    if data_format == "NCHW" and rank != 4:
        raise ValueError(f"{label}: data_format NCHW only supports 4D Tensor")
    channel_axis = 1 if data_format == "NCHW" else rank - 1
    with variable_scope(scope, "BiasAdd", [inputs], reuse=reuse) as sc:
        biases = model_variable("biases", shape=(int(inputs.shape[channel_axis]),), dtype=inputs.dtype,
                                initializer=initializer, regularizer=regularizer, trainable=trainable,
                                collections=variable_collections(variables_collections, "biases"))
        outputs = core_ops.bias_add(inputs, biases, channel_axis)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


@add_arg_scope
def one_hot_encoding(labels: torch.Tensor, num_classes: int, on_value: float = 1.0, off_value: float = 0.0,
                     outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """Float one-hot rows ``[..., num_classes]`` with ``on_value`` / ``off_value``.

    As ``tf.one_hot``, a label outside ``[0, num_classes)`` (e.g. -1) gives a row of ``off_value``.
    """
    with name_scope(scope, "OneHotEncoding") as sc:
        labels = torch.as_tensor(labels).long()
        hot = labels.unsqueeze(-1) == torch.arange(num_classes, device=labels.device)
        outputs = torch.where(hot, torch.tensor(on_value, dtype=torch.float32, device=labels.device),
                              torch.tensor(off_value, dtype=torch.float32, device=labels.device))
        return utils.collect_named_outputs(outputs_collections, sc, outputs)


@add_arg_scope
def unit_norm(inputs: torch.Tensor, dim: int, epsilon: float = 1e-7, scope: Optional[str] = None) -> torch.Tensor:
    """``x / sqrt(epsilon + sum(x**2, dim))``.

    Raises:
      ValueError: if ``dim`` is outside the input's rank.
    """
    rank = inputs.dim()
    if not -rank <= dim < rank:
        raise ValueError(f"{scope_label(scope, 'UnitNorm')}: dim must be in [{-rank}, {rank}), got {dim}")
    return inputs * torch.rsqrt(epsilon + inputs.square().sum(dim=dim, keepdim=True))
