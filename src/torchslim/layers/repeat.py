"""``repeat`` and ``stack``: apply a layer several times under TF-Slim's scope names."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from torchslim.scopes import variable_scope

__all__ = ["repeat", "stack"]


def _layer_name(layer: Callable, fallback: str) -> str:
    """``layer.__name__``, or the wrapped function's for a ``functools.partial``, else ``fallback``."""
    if hasattr(layer, "__name__"):
        return layer.__name__
    if hasattr(layer, "func") and hasattr(layer.func, "__name__"):
        return layer.func.__name__
    return fallback


def repeat(inputs: torch.Tensor, repetitions: int, layer: Callable, *args: Any, **kwargs: Any) -> torch.Tensor:
    """Applies ``layer(outputs, *args, **kwargs)`` ``repetitions`` times.

    Scopes are ``<scope>/<scope>_1 ... <scope>_n`` for ``scope=...``, otherwise
    ``Repeat/<layer name>_1 ...`` (``slim.conv2d``'s name is ``convolution2d``, as in TF-Slim).

    Args:
      inputs: the first input.
      repetitions: how many times.
      layer: the layer function.
      *args, **kwargs: passed to every call; ``scope`` names the outer scope.

    Returns:
      The last output.
    """
    scope = kwargs.pop("scope", None)
    with variable_scope(scope, "Repeat", [inputs]):
        name = scope if scope is not None else _layer_name(layer, "repeat")
        outputs = inputs
        for i in range(repetitions):
            kwargs["scope"] = f"{name}_{i + 1}"
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs: torch.Tensor, layer: Callable, stack_args: Sequence[Any], **kwargs: Any) -> torch.Tensor:
    """Applies ``layer`` once per entry of ``stack_args`` (each entry: positional args after the input).

    Scopes as :func:`repeat`, with default outer scope ``Stack`` (and ``stack_<i>`` for a layer
    without a name).

    Args:
      inputs: the first input.
      layer: the layer function.
      stack_args: a list or tuple; an entry that is not a list or tuple is a single argument.
      **kwargs: passed to every call; ``scope`` names the outer scope.

    Returns:
      The last output.

    Raises:
      ValueError: if ``stack_args`` is not a list or tuple.
    """
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError("stack_args need to be a list or tuple")
    with variable_scope(scope, "Stack", [inputs]):
        name = scope if scope is not None else _layer_name(layer, "stack")
        outputs = inputs
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = f"{name}_{i + 1}"
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
        return outputs
