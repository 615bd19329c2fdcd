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
from torchslim.variables import model_variable, variable

__all__ = ["batch_norm", "layer_norm", "instance_norm"]


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
      zero_debias_moving_mean: keep a zero-debiased moving mean (extra non-trainable variables
        ``BatchNorm/moving_mean/biased`` and ``local_step`` in ``GLOBAL_VARIABLES``, and in
        ``MODEL_VARIABLES`` unless fused, as TF; none with ``is_training=False``, as a TF eval graph).
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
        if zero_debias_moving_mean and is_training is not False:
            y = _zero_debias_bn(x, params, sc.name, decay, epsilon, training, update, unbiased)
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


def _zero_debias_variables(moving_mean: torch.Tensor, bn_scope: str, fused_path: bool):
    """``<bn scope>/<bn scope>/moving_mean/{biased, local_step}``, in TF's collections.

    TF's ``assign_moving_average(zero_debias=True)`` makes them with ``get_variable`` in a scope
    named after the moving mean's full name, opened inside the BN scope (hence
    ``net/conv2/BatchNorm/net/conv2/BatchNorm/moving_mean/biased``): non-trainable, in
    ``GLOBAL_VARIABLES``; the non-fused path (a Keras layer under TF-Slim's model-variable getter)
    also puts them in ``MODEL_VARIABLES``, the fused path does not. TF makes them only with the update
    ops of a training graph: a layer with ``is_training=False`` never updates and has none, as in TF;
    with ``is_training`` None (following ``model.train()``) they exist from the first call, so that
    a model built in eval mode can still train.
    """
    make = variable if fused_path else model_variable
    with variable_scope(f"{bn_scope}/moving_mean"):
        biased = make("biased", shape=moving_mean.shape, dtype=moving_mean.dtype,
                      initializer=initializers.zeros_initializer(), trainable=False)
        local_step = make("local_step", shape=(), dtype=moving_mean.dtype,
                          initializer=initializers.zeros_initializer(), trainable=False)
    return biased, local_step


def _zero_debias_bn(x, params, bn_scope, decay, epsilon, training, update, unbiased):
    """TF's ``zero_debias_moving_mean`` on ``x`` (channels on dim 1): the mean is kept biased plus a step
    count, then debiased. With zero-debiasing, TF-Slim takes the fused path exactly when the moving
    variance is unbiased (``fused`` not False, rank 2 or 4)."""
    biased, local_step = _zero_debias_variables(params["moving_mean"], bn_scope, fused_path=unbiased)
    dtype = params["moving_mean"].dtype
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


@add_arg_scope
def instance_norm(inputs: torch.Tensor, center: bool = True, scale: bool = True, epsilon: float = 1e-6,
                  activation_fn: Optional[Callable] = None, param_initializers=None, reuse=None,
                  variables_collections=None, outputs_collections=None, trainable: bool = True,
                  data_format: str = "NHWC", scope: Optional[str] = None) -> torch.Tensor:
    """Instance normalisation (Ulyanov et al.): per example and channel, over the spatial axes.

    Variables ``<scope>/beta`` (if ``center``) and ``<scope>/gamma`` (if ``scale``), ``[C]``, in the
    inputs' dtype. Default scope ``InstanceNorm``. No moving statistics: training and inference
    compute the same thing.

    Args:
      inputs: ``[N, *spatial, C]`` (``NHWC``) or ``[N, C, *spatial]`` (``NCHW``), rank >= 3.
      center, scale: add ``beta`` / multiply by ``gamma``.
      epsilon: added to the variance.
      activation_fn: applied to the result.
      param_initializers: dict with keys ``beta``, ``gamma``.
      reuse, variables_collections, outputs_collections, trainable, scope: as other layers.
      data_format: ``'NHWC'`` or ``'NCHW'``.

    Returns:
      The normalised tensor, in ``data_format``.

    Raises:
      ValueError: for an unknown data format or a rank below 3, naming the scope.
    """
    label = scope_label(scope, "InstanceNorm")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{label}: data_format has to be either NCHW or NHWC.")
    rank = check_rank(inputs, range(3, 9), label, "instance_norm")
    channel_axis = 1 if data_format == "NCHW" else rank - 1
    initializers_ = param_initializers or {}
    with variable_scope(scope, "InstanceNorm", [inputs], reuse=reuse) as sc:
        params = {}
        for name, wanted, default in (("beta", center, initializers.zeros_initializer()),
                                      ("gamma", scale, initializers.ones_initializer())):
            params[name] = None if not wanted else model_variable(
                name, shape=(int(inputs.shape[channel_axis]),), dtype=inputs.dtype,
                initializer=initializers_.get(name, default), trainable=trainable,
                collections=variable_collections(variables_collections, name))
        x = inputs.movedim(channel_axis, 1) if channel_axis != 1 else inputs
        y = norm_ops.instance_norm(x, params["gamma"], params["beta"], epsilon)
        outputs = y.movedim(1, channel_axis) if channel_axis != 1 else y
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


def _group_norm_axes(rank: int, channels_axis: int, reduction_axes, label: str):
    """``(channels_axis, reduction_axes)`` made non-negative and checked as tf-slim's ``group_norm``."""
    if not -rank <= channels_axis < rank:
        raise ValueError(f"{label}: Axis is out of bounds (channels_axis {channels_axis} for rank {rank}).")
    channels_axis %= rank
    axes = []
    for axis in reduction_axes:
        if not -rank <= axis < rank:
            raise ValueError(f"{label}: Axis is out of bounds (reduction axis {axis} for rank {rank}).")
        axis %= rank
        if axis == channels_axis:
            raise ValueError(f"{label}: reduction_axis must be mutually exclusive with channels_axis")
        axes.append(axis)
    return channels_axis, axes


@add_arg_scope
def group_norm(inputs: torch.Tensor, groups: int = 32, channels_axis: int = -1, reduction_axes=(-3, -2),
               center: bool = True, scale: bool = True, epsilon: float = 1e-6, activation_fn: Optional[Callable] = None,
               param_initializers=None, reuse=None, variables_collections=None, outputs_collections=None,
               trainable: bool = True, scope: Optional[str] = None, mean_close_to_zero: bool = False) -> torch.Tensor:
    """Group normalisation (Wu & He, arXiv:1803.08494) as tf-slim's ``group_norm`` (default scope ``GroupNorm``).

    The channels are split into ``groups``; each group is normalised by its mean and variance
    over its channels and ``reduction_axes`` (per example: the batch axis is not reduced).
    Variables ``beta`` (if ``center``) and ``gamma`` (if ``scale``), ``[channels]``, in the inputs' dtype.

    Args:
      inputs: a tensor of rank >= 2 with a channel axis.
      groups: channel groups; must divide the channels.
      channels_axis: the channel axis (``-1`` NHWC, ``-3`` NCHW).
      reduction_axes: the axes the statistics cover besides the group's channels (``(-3, -2)``
        NHWC, ``(-2, -1)`` NCHW); exclusive of ``channels_axis``.
      center, scale: add ``beta`` / multiply by ``gamma``.
      epsilon: added to the variance.
      activation_fn: applied to the result.
      param_initializers: dict with keys ``beta``, ``gamma``.
      mean_close_to_zero: the one-pass variance ``E[x^2] - E[x]^2`` (tf-slim's
        ``sufficient_statistics`` path).
      reuse, variables_collections, outputs_collections, trainable, scope: as other layers.

    Returns:
      The normalised tensor.

    Raises:
      ValueError: for rank < 2, axes out of bounds or overlapping, or groups that do not divide
        the channels, naming the scope.
    """
    label = scope_label(scope, "GroupNorm")
    rank = check_rank(inputs, range(2, 9), label, "group_norm")
    channels_axis, axes = _group_norm_axes(rank, channels_axis, reduction_axes, label)
    channels = int(inputs.shape[channels_axis])
    if groups > channels:
        raise ValueError(f"{label}: Invalid groups {groups} for {channels} channels.")
    if channels % groups != 0:
        raise ValueError(f"{label}: {channels} channels is not commensurate with {groups} groups.")
    initializers_ = param_initializers or {}
    with variable_scope(scope, "GroupNorm", [inputs], reuse=reuse) as sc:
        params = {}
        for name, wanted in (("beta", center), ("gamma", scale)):
            params[name] = None if not wanted else model_variable(
                name, shape=(channels,), dtype=inputs.dtype,
                initializer=initializers_.get(name, _DEFAULT_INITIALIZERS[name]), trainable=trainable,
                collections=variable_collections(variables_collections, name))
        outputs = norm_ops.group_norm(inputs, groups, channels_axis, axes, params["gamma"], params["beta"], epsilon,
                                      one_pass=mean_close_to_zero)
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


__all__ += ["group_norm"]
