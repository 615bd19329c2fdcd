"""Small pieces every layer uses: collection lookup, bias + normalizer + activation tail."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Union

import torch

from torchslim import variables as _variables

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


def normalize_and_activate(outputs: torch.Tensor, normalizer_fn: Optional[Callable],
                           normalizer_params: Optional[dict], activation_fn: Optional[Callable]) -> torch.Tensor:
    """Applies ``normalizer_fn(outputs, **normalizer_params)`` then ``activation_fn``."""
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    if activation_fn is not None:
        outputs = activation_fn(outputs)
    return outputs
