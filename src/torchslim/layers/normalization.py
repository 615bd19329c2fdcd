"""``batch_norm`` (TF-Slim's semantics, updating itself in training calls) and ``layer_norm``.

Training calls normalise with the biased batch variance and update the moving statistics in place:
``moving = decay * moving + (1 - decay) * batch``. Like TF's fused kernel (the default for rank 2
and 4 inputs), the *unbiased* batch variance goes into ``moving_variance``; ``fused=False`` stores
the biased one, as TF's non-fused path does. There is no graph to defer updates to, so
``updates_collections`` only chooses the variable creation order TF would have used.
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref
from typing import Callable, Iterator, NamedTuple, Optional

import torch
import torch.nn.functional as F

from torchslim import initializers, utils
from torchslim.arg_scope import add_arg_scope, arg_scope_func_key, current_arg_scope
from torchslim.layers.common import (FRESH_OUTPUT_OPS, activate_fresh, check_rank, leaves_fresh_output, resolved_kwargs,
                                     scope_label, variable_collections)
from torchslim.layers.padding import _TO_LAST
from torchslim.variables import _CALL, GraphKeys, current_call, layer_variable, model_variable, variable_scope

__all__ = ["batch_norm", "layer_norm", "resolve_is_training", "batch_norm_folding"]

_PARAMS = ("beta", "gamma", "moving_mean", "moving_variance")


def resolve_is_training(is_training, label: str = "layer") -> bool:
    """``None`` follows the running model's ``train()``/``eval()`` mode; bools and 0-d tensors are used as given."""
    if is_training is None:
        return current_call(label).is_training
    if isinstance(is_training, torch.Tensor):
        return bool(is_training.item())
    return bool(is_training)


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
        update = training and not _CALL.get().dry_run
        unbiased = fused is not False and rank in (2, 4)
        if zero_debias_moving_mean:
            outputs = _zero_debias_bn(inputs, params, channel_axis, decay, epsilon, training, update, unbiased,
                                      trainable)
        else:
            outputs = _batch_norm(inputs, params, channel_axis, decay, epsilon, training, update, unbiased)
        outputs = activate_fresh(outputs, activation_fn)
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
        params[name] = layer_variable(
            name, shape, dtype, initializers_.get(name, _DEFAULT_INITIALIZERS[name]), regularizers_.get(name),
            trainable, None if collections is None else variable_collections(collections, name))
    for name in ("moving_mean", "moving_variance"):
        params[name] = layer_variable(
            name, shape, dtype, initializers_.get(name, _DEFAULT_INITIALIZERS[name]), None, False,
            None if collections is None else variable_collections(collections, name))
    return params


def _to_channels_dim1(x: torch.Tensor, channel_axis: int) -> torch.Tensor:
    if channel_axis == 1:
        return x
    return x.movedim(channel_axis, 1)


def _batch_norm(inputs, params, channel_axis, decay, epsilon, training, update, unbiased):
    x = _to_channels_dim1(inputs, channel_axis)
    mean, var = params["moving_mean"], params["moving_variance"]
    weight, bias = params["gamma"], params["beta"]
    if not training:
        y = F.batch_norm(x, mean, var, weight, bias, False, 0.0, epsilon)
    elif update and unbiased and not _one_value_per_channel(x):
        # PyTorch's kernel normalizes and updates with the unbiased variance, as TF's fused kernel.
        y = F.batch_norm(x, mean, var, weight, bias, True, 1.0 - decay, epsilon)
    else:
        y = _normalize_by_batch(x, weight, bias, epsilon)
        if update:
            _update_moving(x, mean, var, decay, unbiased)
    return y if channel_axis == 1 else y.movedim(1, channel_axis)


def _one_value_per_channel(x: torch.Tensor) -> bool:
    return x.numel() == x.shape[1]


def _normalize_by_batch(x: torch.Tensor, weight, bias, epsilon: float) -> torch.Tensor:
    """Training-mode normalization by the batch's own moments (channels on dim 1).

    With one value per channel (batch 1 on a 1x1 map, or a rank-2 batch of 1), which
    ``F.batch_norm`` rejects, TF's batch variance is 0 and the output is ``beta``.
    """
    if not _one_value_per_channel(x):
        return F.batch_norm(x, None, None, weight, bias, True, 0.0, epsilon)
    y = x - x                                   # x minus its own mean: zeros, still on the graph
    per_channel = (1, -1) + (1,) * (x.dim() - 2)
    if weight is not None:
        y = y * weight.view(per_channel)
    if bias is not None:
        y = y + bias.view(per_channel)
    return y.to(x.dtype)


def _batch_moments(x: torch.Tensor, unbiased: bool):
    dims = [d for d in range(x.dim()) if d != 1]
    x = x.detach().to(torch.promote_types(x.dtype, torch.float32))
    # TF's fused kernel divides by max(n - 1, 1): one value per channel gives variance 0, not NaN.
    correction = 1 if unbiased and not _one_value_per_channel(x) else 0
    var, mean = torch.var_mean(x, dim=dims, correction=correction)
    return mean, var


def _update_moving(x, moving_mean, moving_var, decay, unbiased):
    mean, var = _batch_moments(x, unbiased)
    with torch.no_grad():
        moving_mean.lerp_(mean.to(moving_mean.dtype), 1.0 - decay)
        moving_var.lerp_(var.to(moving_var.dtype), 1.0 - decay)


def _zero_debias_bn(inputs, params, channel_axis, decay, epsilon, training, update, unbiased, trainable):
    """TF's ``zero_debias_moving_mean``: the mean is kept biased plus a step count, then debiased."""
    with variable_scope("BatchNorm"), variable_scope("moving_mean"):
        dtype = params["moving_mean"].dtype
        biased = model_variable("biased", shape=params["moving_mean"].shape, dtype=dtype,
                                initializer=initializers.zeros_initializer(), trainable=False)
        local_step = model_variable("local_step", shape=(), dtype=dtype, initializer=initializers.zeros_initializer(),
                                    trainable=False)
    x = _to_channels_dim1(inputs, channel_axis)
    if training:
        y = _normalize_by_batch(x, params["gamma"], params["beta"], epsilon)
        if update:
            mean, var = _batch_moments(x, unbiased)
            with torch.no_grad():
                biased.lerp_(mean.to(dtype), 1.0 - decay)
                local_step.add_(1.0)
                params["moving_mean"].copy_(biased / (1.0 - decay ** local_step))
                params["moving_variance"].lerp_(var.to(dtype), 1.0 - decay)
    else:
        y = F.batch_norm(x, params["moving_mean"], params["moving_variance"], params["gamma"], params["beta"],
                         False, 0.0, epsilon)
    return y if channel_axis == 1 else y.movedim(1, channel_axis)


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
        dims = tuple(range(norm_axis, rank))
        var, mean = torch.var_mean(inputs, dim=dims, correction=0, keepdim=True)
        outputs = (inputs - mean) * torch.rsqrt(var + 1e-12)
        if gamma is not None:
            outputs = outputs * gamma
        if beta is not None:
            outputs = outputs + beta
        if activation_fn is not None:
            outputs = activation_fn(outputs)
        return utils.collect_named_outputs(outputs_collections, sc.name, outputs)


# --------------------------------------------------------------------------------------------------
# Inference fast path: a convolution followed by batch_norm runs as one convolution.

_FOLDABLE_KWARGS = frozenset((
    "decay", "center", "scale", "epsilon", "activation_fn", "param_initializers", "param_regularizers",
    "updates_collections", "is_training", "reuse", "variables_collections", "outputs_collections", "trainable",
    "batch_weights", "fused", "data_format", "zero_debias_moving_mean", "scope", "renorm", "renorm_clipping",
    "renorm_decay", "adjustment"))

# id(weights) -> (weakref to weights, key, folded weights, folded bias); an entry goes when its weights do.
_FOLD_CACHE: dict = {}

_FOLDING: contextvars.ContextVar[bool] = contextvars.ContextVar("torchslim_batch_norm_folding", default=True)


@contextlib.contextmanager
def batch_norm_folding(enabled: bool) -> Iterator[None]:
    """Switches the inference conv + batch_norm fold (on by default) on or off inside the block.

    With it off, convolutions followed by ``batch_norm`` run as two ops, as in training: the
    reference that benchmarks and checks compare the fast path with. Context-local, like
    ``arg_scope``.

    Args:
      enabled: False runs the plain path.
    """
    token = _FOLDING.set(bool(enabled))
    try:
        yield
    finally:
        _FOLDING.reset(token)


def _fold_key(weights, params, epsilon):
    key = [epsilon, weights.device, weights.dtype]
    for t in (weights, params["gamma"], params["beta"], params["moving_mean"], params["moving_variance"]):
        key.append(None if t is None else (id(t), t.data_ptr(), t._version))
    return tuple(key)


def _fold(weights, params, epsilon):
    """``w * gamma / sqrt(var + eps)`` and ``beta - mean * gamma / sqrt(var + eps)``, in float32 at least."""
    # not torch.promote_types: torch.export records it as an op, and TorchDynamo breaks the graph there
    work = torch.float64 if weights.dtype == torch.float64 else torch.float32
    var = params["moving_variance"].to(work)
    scale = torch.rsqrt(var + epsilon)
    if params["gamma"] is not None:
        scale = scale * params["gamma"].to(work)
    bias = -params["moving_mean"].to(work) * scale
    if params["beta"] is not None:
        bias = bias + params["beta"].to(work)
    shape = (-1,) + (1,) * (weights.dim() - 1)
    folded = (weights.to(work) * scale.reshape(shape)).to(weights.dtype)
    return folded, bias.to(weights.dtype)


def folded_weights(weights: torch.Tensor, params: dict, epsilon: float):
    """The folded ``(weights, bias)`` of a convolution + inference BatchNorm, cached per layer.

    The cache entry is keyed by each tensor's identity, storage pointer and ``_version`` counter
    (bumped by every in-place change: optimizer steps, ``load_state_dict``, ``assign_tf``), and by
    epsilon, device and dtype, so it is recomputed whenever a parameter changes. While
    ``torch.compile`` traces, the fold is computed in the graph instead (no cache).
    """
    if torch.compiler.is_compiling():
        return _fold(weights, params, epsilon)
    try:
        key = _fold_key(weights, params, epsilon)
    except RuntimeError:  # inference tensors have no version counter
        return _fold(weights, params, epsilon)
    ident = id(weights)
    hit = _FOLD_CACHE.get(ident)
    if hit is not None and hit[0]() is weights and hit[1] == key:
        return hit[2], hit[3]
    with torch.no_grad():
        folded, bias = _fold(weights, params, epsilon)
    ref = weakref.ref(weights, lambda _, ident=ident: _FOLD_CACHE.pop(ident, None))
    _FOLD_CACHE[ident] = (ref, key, folded, bias)
    return folded, bias


def _needs_param_grads(weights, params) -> bool:
    if not torch.is_grad_enabled():
        return False
    return weights.requires_grad or any(params[n] is not None and params[n].requires_grad for n in ("gamma", "beta"))


def conv_with_batch_norm(conv: Callable, conv_args: tuple, x: torch.Tensor, weights: torch.Tensor,
                         channels_first: bool, normalizer_params: Optional[dict],
                         activation_fn: Optional[Callable] = None):
    """``batch_norm(conv(x, weights))`` as one convolution with folded weights, when that is exact.

    Called by the convolution layers when their ``normalizer_fn`` is :func:`batch_norm`. The BN
    arguments are what ``batch_norm`` itself would get (its ``arg_scope`` defaults under
    ``normalizer_params``); its variables are created or found exactly as ``batch_norm`` does, in
    the same scope, order and collections. The fold happens only when

    * the BN is in inference (``is_training`` resolves to False: explicit False, or None in
      ``model.eval()``), with no zero-debiasing, renorm or batch weights, and its channel axis is
      the convolution's; and
    * no gradient to the parameters is needed: autograd is off (``torch.no_grad()`` /
      ``torch.inference_mode()``), or none of the kernel, ``gamma``, ``beta`` requires grad.
      (Gradients to the *inputs* still flow through the folded convolution.)

    When the BN would run in inference but gradients to the parameters are needed, the
    convolution and ``F.batch_norm`` run separately (the plain path, sharing this code).

    Args:
      conv: ``conv(x, weights, bias, *conv_args) -> channels-first output``.
      conv_args: the convolution's other arguments (stride, rate, padding).
      x: the channels-first input.
      weights: the kernel (PyTorch layout).
      channels_first: the layer's data format.
      normalizer_params: the conv's ``normalizer_params``.
      activation_fn: the conv's own activation, applied after BN's (and after BN's outputs are
        collected).

    Returns:
      The output in the layer's data format (after BN's ``activation_fn``, then the conv's), or None when the
      fast path does not apply or :func:`batch_norm_folding` turned it off (the caller then calls
      ``batch_norm`` as usual; nothing was created).
    """
    if not _FOLDING.get():
        return None
    rank = x.dim()
    plan = _fold_plan(normalizer_params, channels_first, rank)
    if plan is None:
        return None
    if resolve_is_training(plan.is_training, "BatchNorm"):  # inside the conv's scope: a call is running
        return None
    with variable_scope(plan.scope, "BatchNorm", None, reuse=plan.reuse) as sc:
        params = _bn_variables(int(weights.shape[0]), plan.center, plan.scale, plan.param_initializers,
                               plan.param_regularizers, plan.variables_collections, plan.trainable, plan.order,
                               _param_dtype(x.dtype))
        epsilon = plan.epsilon
        if _needs_param_grads(weights, params):
            y = F.batch_norm(conv(x, weights, None, *conv_args), params["moving_mean"], params["moving_variance"],
                             params["gamma"], params["beta"], False, 0.0, epsilon)
        else:
            folded, bias = folded_weights(weights, params, epsilon)
            y = conv(x, folded, bias, *conv_args)
        outputs = y if channels_first else y.permute(_TO_LAST[rank])
        outputs = activate_fresh(outputs, plan.activation_fn)
        outputs = utils.collect_named_outputs(plan.outputs_collections, sc.name, outputs)
    return activate_fresh(outputs, activation_fn, plan.leaves_fresh)


class _FoldPlan(NamedTuple):
    """The ``batch_norm`` arguments a foldable conv + BN call resolves to (see :func:`_fold_plan`)."""

    is_training: object
    scope: Optional[str]
    reuse: object
    center: bool
    scale: bool
    param_initializers: dict
    param_regularizers: dict
    variables_collections: object
    trainable: bool
    order: tuple
    epsilon: float
    activation_fn: Optional[Callable]
    outputs_collections: object
    leaves_fresh: bool


# (channels_first, rank) -> the last few [(copy of the batch_norm arg-scope dict, copy of
# normalizer_params, plan or None)], newest first. An entry is used only while both dicts equal its
# copies: a dict changed in place or another arg scope is resolved afresh, and a model function that
# builds equal dicts on every call (an arg_scope entered inside it) still hits.
_FOLD_PLANS: dict = {}
_FOLD_PLANS_PER_KEY = 8


def _fold_plan(normalizer_params: Optional[dict], channels_first: bool, rank: int) -> Optional[_FoldPlan]:
    """What ``batch_norm`` would be called with here, or None when the call cannot be folded.

    Resolving the BN's arguments (arg scope merged under ``normalizer_params``) and checking them
    is the same work on every call of a net, so the result is cached; comparing two small dicts
    with the cached copies is cheaper than resolving them again.
    """
    scoped = current_arg_scope().get(_BATCH_NORM_KEY)
    entries = _FOLD_PLANS.setdefault((channels_first, rank), [])
    for cached_scope, cached_params, plan in entries:
        if _equal_dicts(cached_params, normalizer_params) and _equal_dicts(cached_scope, scoped):
            return plan
    plan = _resolve_fold_plan(resolved_kwargs(batch_norm, normalizer_params), channels_first, rank)
    entries.insert(0, (None if scoped is None else dict(scoped),
                       None if normalizer_params is None else dict(normalizer_params), plan))
    del entries[_FOLD_PLANS_PER_KEY:]
    return plan


def _equal_dicts(a: Optional[dict], b: Optional[dict]) -> bool:
    """``a == b``, False where a value cannot be compared to a bool (an array or tensor of several values)."""
    try:
        return a == b
    except (RuntimeError, TypeError, ValueError):
        return False


def _resolve_fold_plan(kw: dict, channels_first: bool, rank: int) -> Optional[_FoldPlan]:
    get = kw.get
    if (not kw.keys() <= _FOLDABLE_KWARGS or get("batch_weights") is not None or get("renorm")
            or get("adjustment") is not None or get("zero_debias_moving_mean")):
        return None
    data_format = get("data_format", "NHWC")
    if data_format not in ("NHWC", "NCHW") or (data_format == "NCHW") != channels_first:
        return None
    if rank == 3 and channels_first:  # batch_norm's NCHW channel axis for rank 3 is the last one
        return None
    return _FoldPlan(
        is_training=get("is_training"), scope=get("scope"), reuse=get("reuse"), center=get("center", True),
        scale=get("scale", False), param_initializers=get("param_initializers") or {},
        param_regularizers=get("param_regularizers") or {}, variables_collections=get("variables_collections"),
        trainable=get("trainable", True),
        order=_param_order(rank, get("fused"), get("updates_collections", GraphKeys.UPDATE_OPS), False),
        epsilon=get("epsilon", 0.001), activation_fn=get("activation_fn"),
        outputs_collections=get("outputs_collections"), leaves_fresh=leaves_fresh_output(kw))


FRESH_OUTPUT_OPS.update((batch_norm, layer_norm))
_BATCH_NORM_KEY = arg_scope_func_key(batch_norm)
