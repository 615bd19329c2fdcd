"""Small pieces every layer uses: collection lookup, bias + normalizer + activation tail."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Union

import torch
import torch.nn.functional as F

from torchslim import variables as _variables
from torchslim.arg_scope import arg_scope_func_key, current_arg_scope
from torchslim.layers.padding import _TO_FIRST, _TO_LAST

Collections = Union[None, str, List[str], Dict[str, Any]]


def variable_collections(variables_collections: Collections, name: str) -> Optional[List[str]]:
    """The extra collections for variable ``name`` (``variables_collections`` may be per-name)."""
    if isinstance(variables_collections, dict):
        found = variables_collections.get(name)
    else:
        found = variables_collections
    if found is None:
        return None
    return [found] if isinstance(found, str) else list(found)


def check_rank(inputs: torch.Tensor, allowed, scope: str, what: str) -> int:
    """Returns ``inputs.dim()`` or raises a ValueError naming the scope.

    Args:
      inputs: the input tensor.
      allowed: a collection of ranks allowed.
      scope: the layer scope (or default name), for the message.
      what: the layer type, for the message.
    """
    if not isinstance(inputs, torch.Tensor):
        raise TypeError(f"{scope}: {what} expects a torch.Tensor input, got {type(inputs).__name__}")
    rank = inputs.dim()
    if rank not in allowed:
        raise ValueError(f"{scope}: {what} expects input with rank in {sorted(allowed)}, got {rank} "
                         f"(shape {list(inputs.shape)})")
    return rank


def scope_label(scope: Optional[str], default_name: str) -> str:
    """The name to use in error messages before the variable scope is open."""
    try:
        prefix = _variables.current_call("layer").scope.name
    except RuntimeError:
        prefix = ""
    local = scope if isinstance(scope, str) else default_name
    return f"{prefix}/{local}" if prefix else local


def kernel_in_input_memory_format(weights: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """Stores a 2-D convolution kernel (OIHW) channels_last when its layer's inputs are NHWC.

    NHWC inputs reach PyTorch as channels_last views, and a contiguous OIHW kernel would then be
    copied into channels_last at every call (for 3x3 kernels and up; 1x1 ones are both at once) —
    what ``module.to(memory_format=torch.channels_last)`` avoids for a hand-written module. The
    variable keeps its shape, value and identity (optimizers, ``state_dict`` and hooks see the same
    parameter); only its strides change, once.

    Args:
      weights: the kernel variable's tensor, in PyTorch layout.
      channels_first: whether the layer's data format is channels-first (then nothing changes).

    Returns:
      ``weights``.
    """
    if channels_first or weights.dim() != 4 or weights.is_contiguous(memory_format=torch.channels_last):
        return weights
    with torch.no_grad():
        weights.data = weights.data.contiguous(memory_format=torch.channels_last)
    return weights


# Activations with an in-place twin. A layer applies them in place to a tensor it has just made
# (nobody else holds it; the ops before a ReLU do not need their output for backward), which saves
# allocating and page-faulting one more output-sized tensor per layer.
_IN_PLACE: Dict[Callable, Callable] = {torch.relu: torch.relu_, F.relu: torch.relu_,
                                       F.relu6: lambda t: F.hardtanh_(t, 0.0, 6.0)}

# Normalizers whose result is a new tensor (registered by their modules): an activation after them
# may run in place, unless they applied an activation or collected their output (see leaves_fresh_output).
FRESH_OUTPUT_OPS: set = set()


def activate_fresh(outputs: torch.Tensor, activation_fn: Optional[Callable], fresh: bool = True) -> torch.Tensor:
    """``activation_fn(outputs)``, with ReLU and ReLU6 in place when ``outputs`` is fresh.

    Args:
      outputs: the tensor to activate.
      activation_fn: the activation, or None.
      fresh: whether ``outputs`` is a tensor the layer has just computed that nothing else holds
        or needs for backward (a convolution's or a normalizer's own result, not an activation's,
        which may keep its output for backward, nor an end point already collected).

    Returns:
      The activated tensor.
    """
    if activation_fn is None:
        return outputs
    in_place = _IN_PLACE.get(activation_fn) if fresh else None
    if in_place is None:
        return activation_fn(outputs)
    if outputs.requires_grad and outputs._base is not None:
        perm = _permutation_of_base(outputs)
        if perm is not None:
            # On the channels-first result itself, then the same view again: autograd handles an
            # in-place op on a view with CopySlices, a clone and a copy of the gradient in backward.
            return in_place(outputs._base).permute(perm)
    return in_place(outputs)


def _permutation_of_base(view: torch.Tensor) -> Optional[tuple]:
    """The ``perm`` with ``view`` equal to ``view._base.permute(perm)`` for the layers' two layout
    permutations (channels-first to -last and back), or None."""
    base = view._base
    rank = view.dim()
    if base.dim() != rank or rank < 3 or view.storage_offset() != base.storage_offset():
        return None
    for perm in (_TO_LAST[rank], _TO_FIRST[rank]):
        if (all(view.shape[i] == base.shape[p] for i, p in enumerate(perm))
                and all(view.stride(i) == base.stride(p) for i, p in enumerate(perm))):
            return perm
    return None


def resolved_kwargs(func: Callable, kwargs: Optional[dict]) -> dict:
    """The keyword arguments an arg-scoped ``func`` gets when called here with ``kwargs`` (these win)."""
    scoped = current_arg_scope().get(arg_scope_func_key(func))
    merged = dict(scoped) if scoped else {}
    if kwargs:
        merged.update(kwargs)
    return merged


def leaves_fresh_output(kwargs: dict) -> bool:
    """Whether a normalizer called with these resolved ``kwargs`` leaves its result fresh.

    It does unless it applied an activation of its own (ReLU's backward reads ReLU's output, so a
    second, in-place activation would corrupt it) or added its result to ``outputs_collections``
    (an end point keeps the value it had).
    """
    return kwargs.get("activation_fn") is None and not kwargs.get("outputs_collections")


def normalize_and_activate(outputs: torch.Tensor, normalizer_fn: Optional[Callable],
                           normalizer_params: Optional[dict], activation_fn: Optional[Callable]) -> torch.Tensor:
    """Applies ``normalizer_fn(outputs, **normalizer_params)`` then ``activation_fn``.

    ``outputs`` must be a tensor the layer has just made: the activation runs in place on it, or on
    the normalizer's result when the normalizer is one of :data:`FRESH_OUTPUT_OPS` and
    :func:`leaves_fresh_output`.
    """
    if normalizer_fn is None:
        return activate_fresh(outputs, activation_fn)
    fresh = (activation_fn is not None and normalizer_fn in FRESH_OUTPUT_OPS
             and leaves_fresh_output(resolved_kwargs(normalizer_fn, normalizer_params)))
    outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    return activate_fresh(outputs, activation_fn, fresh)
