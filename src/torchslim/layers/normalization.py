"""``batch_norm`` (TF-Slim's semantics, updating itself in training calls) and ``layer_norm``.

Training calls normalise with the biased batch variance and update the moving statistics in place:
``moving = decay * moving + (1 - decay) * batch``. Like TF's fused kernel (the default for rank 2
and 4 inputs), the *unbiased* batch variance goes into ``moving_variance``; ``fused=False`` stores
the biased one, as TF's non-fused path does. There is no graph to defer updates to, so
``updates_collections`` only chooses the variable creation order TF would have used.

The arithmetic is :mod:`torchslim.ops.normalization`'s; these layers add TF-Slim's arguments,
scopes and variables.
"""

from __future__ import annotations

from typing import Callable, Optional

import torch

from torchslim import initializers, utils
from torchslim.arg_scope import add_arg_scope
from torchslim.layers.common import activate, check_rank, resolve_is_training, scope_label, variable_collections
from torchslim.ops import normalization as norm_ops
from torchslim.queries import GraphKeys
from torchslim.scopes import current_call, variable_scope
from torchslim.variables import model_variable

__all__ = ["batch_norm", "layer_norm"]


def _unsupported(label: str, **flags) -> None:
    for name, value in flags.items():
        if value:
            raise ValueError(f"{label}: batch_norm({name}=...) is not supported by torchslim")


def _param_order(rank: int, fused, updates_collections, zero_debias: bool):
    """TF's core (Keras) path creates gamma before beta; the fused and legacy paths beta first.

    TF-Slim takes the fused path when it can (``fused`` not False, rank 2 or 4) and either
    zero-debiases, has a rank-2 input or is not using ``UPDATE_OPS``; otherwise the core path when
    ``updates_collections`` is ``UPDATE_OPS`` without zero-debiasing (any rank); else the legacy one.
    """
    default_updates = updates_collections == GraphKeys.UPDATE_OPS
    fused_path = (fused is not False and rank in (2, 4)
                  and (zero_debias or rank == 2 or not default_updates))
    core_path = not fused_path and default_updates and not zero_debias
    return ("gamma", "beta") if core_path else ("beta", "gamma")


@add_arg_scope
def batch_norm(inputs: torch.Tensor, decay: float = 0.999, center: bool = True, scale: bool = False,
               epsilon: float = 0.001, activation_fn: Optional[Callable] = None, param_initializers=None,
               param_regularizers=None, updates_collections=GraphKeys.UPDATE_OPS, is_training=None,
               reuse=None, variables_collections=None, outputs_collections=None, trainable: bool = True,
               batch_weights=None, fused=None, data_format: str = "NHWC", zero_debias_moving_mean: bool = False,
               scope: Optional[str] = None, renorm: bool = False, renorm_clipping=None, renorm_decay: float = 0.99,
               adjustment=None) -> torch.Tensor:
    """Batch normalisation over every axis but the channel axis (default scope ``BatchNorm``).

    Variables: ``beta`` (if ``center``), ``gamma`` (only if ``scale``), ``moving_mean`` and
    ``moving_variance`` (non-trainable buffers), all float32 (float64 for float64 inputs).

    Args:
      inputs: a tensor of rank >= 2, channels last (or channel axis 1 with ``data_format='NCHW'``).
      decay: moving-average decay (PyTorch ``momentum = 1 - decay``).
      center, scale: add ``beta`` / multiply by ``gamma``.
      epsilon: added to the variance.
      activation_fn: applied to the result.
      param_initializers: dict with keys ``beta``, ``gamma``, ``moving_mean``, ``moving_variance``.
      param_regularizers: dict with keys ``beta``, ``gamma``.
      updates_collections: accepted for compatibility: updates always happen in place during
        training calls (no ``UPDATE_OPS`` to run). It only sets TF's variable creation order.
      is_training: True uses batch statistics and updates the moving ones; False uses the moving
        statistics; None (default) follows ``model.train()`` / ``model.eval()``.
      reuse, variables_collections, outputs_collections, trainable, scope: as other layers.
      fused: None/True store the unbiased batch variance in ``moving_variance`` (TF's fused kernel);
        False stores the biased one (TF's non-fused path).
      data_format: ``'NHWC'`` or ``'NCHW'``.
      zero_debias_moving_mean: keep a zero-debiased moving mean (extra variables ``BatchNorm/
        moving_mean/biased`` and ``local_step``, as TF).
      batch_weights, renorm, renorm_clipping, renorm_decay, adjustment: not supported (a ValueError
        if set).

    Returns:
      The normalised tensor.

    Raises:
      ValueError: for rank < 2, an unknown data format, or unsupported options, naming the scope.
    """
    if batch_weights is not None or renorm or adjustment is not None:
        _unsupported(scope_label(scope, "BatchNorm"), batch_weights=batch_weights is not None, renorm=renorm,
                     adjustment=adjustment is not None)
    rank = inputs.dim() if isinstance(inputs, torch.Tensor) else 0
    if not 2 <= rank <= 8 or data_format not in ("NHWC", "NCHW"):  # the label only when it is needed
        label = scope_label(scope, "BatchNorm")
        check_rank(inputs, range(2, 9), label, "batch_norm")
        raise ValueError(f"{label}: data_format has to be either NCHW or NHWC.")
    channel_axis = 1 if data_format == "NCHW" and rank > 2 else rank - 1
    channels = int(inputs.shape[channel_axis])
    # outside a model the error names the layer as scope_label would there: its own scope or default name
    training = resolve_is_training(is_training, scope if isinstance(scope, str) else "BatchNorm")
    with variable_scope(scope, "BatchNorm", [inputs], reuse=reuse) as sc:
        params = _bn_variables(channels, center, scale, param_initializers or {}, param_regularizers or {},
                               variables_collections, trainable,
                               _param_order(rank, fused, updates_collections, zero_debias_moving_mean),
                               _param_dtype(inputs.dtype))
        update = training and not current_call("BatchNorm").dry_run
        unbiased = fused is not False and rank in (2, 4)
        x = inputs.movedim(channel_axis, 1) if channel_axis != 1 else inputs
        if zero_debias_moving_mean:
            y = _zero_debias_bn(x, params, decay, epsilon, training, update, unbiased)
        else:
            y = norm_ops.batch_norm(x, params["moving_mean"], params["moving_variance"], params["gamma"],
                                    params["beta"], decay, epsilon, training, update, unbiased)
        outputs = activate(y.movedim(1, channel_axis) if channel_axis != 1 else y, activation_fn)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


_DEFAULT_INITIALIZERS = {"beta": initializers.zeros_initializer(), "gamma": initializers.ones_initializer(),
                         "moving_mean": initializers.zeros_initializer(),
                         "moving_variance": initializers.ones_initializer()}


def _param_dtype(input_dtype: torch.dtype) -> torch.dtype:
    """float32, as TF-Slim's fused path for every input it takes; float64 for float64 inputs (TF's core path)."""
    return torch.float64 if input_dtype == torch.float64 else torch.float32


def _bn_variables(channels, center, scale, initializers_, regularizers_, collections, trainable, order,
                  dtype=torch.float32):
    """``{beta, gamma, moving_mean, moving_variance}`` of the BN scope (None for an unused one), in TF's order."""
    shape = (channels,)
    params = {}
    for name in order:  # beta and gamma, trainable
        if not (center if name == "beta" else scale):
            params[name] = None
            continue
        params[name] = model_variable(
            name, shape=shape, dtype=dtype, initializer=initializers_.get(name, _DEFAULT_INITIALIZERS[name]),
            regularizer=regularizers_.get(name), trainable=trainable,
            collections=variable_collections(collections, name))
    for name in ("moving_mean", "moving_variance"):
        params[name] = model_variable(
            name, shape=shape, dtype=dtype, initializer=initializers_.get(name, _DEFAULT_INITIALIZERS[name]),
            trainable=False, collections=variable_collections(collections, name))
    return params


def _zero_debias_bn(x, params, decay, epsilon, training, update, unbiased):
    """TF's ``zero_debias_moving_mean`` on ``x`` (channels on dim 1): the mean is kept biased plus a step
    count, then debiased."""
    with variable_scope("BatchNorm"), variable_scope("moving_mean"):
        dtype = params["moving_mean"].dtype
        biased = model_variable("biased", shape=params["moving_mean"].shape, dtype=dtype,
                                initializer=initializers.zeros_initializer(), trainable=False)
        local_step = model_variable("local_step", shape=(), dtype=dtype, initializer=initializers.zeros_initializer(),
                                    trainable=False)
    if training:
        y = norm_ops.normalize_by_batch(x, params["gamma"], params["beta"], epsilon)
        if update:
            mean, var = norm_ops.batch_moments(x, unbiased)
            with torch.no_grad():
                biased.lerp_(mean.to(dtype), 1.0 - decay)
                local_step.add_(1.0)
                params["moving_mean"].copy_(biased / (1.0 - decay ** local_step))
                params["moving_variance"].lerp_(var.to(dtype), 1.0 - decay)
        return y
    return norm_ops.batch_norm(x, params["moving_mean"], params["moving_variance"], params["gamma"], params["beta"],
                               decay, epsilon, training=False, update=False, unbiased=unbiased)


@add_arg_scope
def layer_norm(inputs: torch.Tensor, center: bool = True, scale: bool = True, activation_fn: Optional[Callable] = None,
               reuse=None, variables_collections=None, outputs_collections=None, trainable: bool = True,
               begin_norm_axis: int = 1, begin_params_axis: int = -1, scope: Optional[str] = None) -> torch.Tensor:
    """Layer normalisation over axes ``begin_norm_axis..`` (default scope ``LayerNorm``, epsilon 1e-12).

    Variables ``beta`` and ``gamma`` of shape ``inputs.shape[begin_params_axis:]``, in the inputs' dtype.

    Returns:
      The normalised tensor.

    Raises:
      ValueError: for an axis outside the input's rank, naming the scope.
    """
    label = scope_label(scope, "LayerNorm")
    rank = check_rank(inputs, range(1, 9), label, "layer_norm")
    norm_axis = begin_norm_axis % rank if begin_norm_axis < 0 else begin_norm_axis
    params_axis = begin_params_axis % rank if begin_params_axis < 0 else begin_params_axis
    if not (0 <= norm_axis < rank and 0 <= params_axis < rank):
        raise ValueError(f"{label}: begin_norm_axis/begin_params_axis out of range for rank {rank}")
    shape = tuple(inputs.shape[params_axis:])
    with variable_scope(scope, "LayerNorm", [inputs], reuse=reuse) as sc:
        beta = gamma = None
        if center:
            beta = model_variable("beta", shape=shape, dtype=inputs.dtype,
                                  initializer=initializers.zeros_initializer(), trainable=trainable,
                                  collections=variable_collections(variables_collections, "beta"))
        if scale:
            gamma = model_variable("gamma", shape=shape, dtype=inputs.dtype,
                                   initializer=initializers.ones_initializer(), trainable=trainable,
                                   collections=variable_collections(variables_collections, "gamma"))
        outputs = norm_ops.layer_norm(inputs, gamma, beta, norm_axis)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)
