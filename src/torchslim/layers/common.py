"""Small pieces every layer's recipe uses: argument checks, scope labels, collections, biases, the
normalizer + activation tail, and the layers' two fast paths, each in one function: convolution kernels
kept in their inputs' memory format, and ReLU / ReLU6 in place where nothing can tell (:func:`activate`)."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, Dict, List, Optional, Union

import torch
import torch.nn.functional as F

from torchslim.arg_scope import arg_scope_func_key, current_arg_scope
from torchslim.scopes import current_call
from torchslim.variables import model_variable

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
        prefix = current_call("layer").scope.name
    except RuntimeError:
        prefix = ""
    local = scope if isinstance(scope, str) else default_name
    return f"{prefix}/{local}" if prefix else local


def kernel_in_input_memory_format(weights: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """Stores a 2-D convolution kernel (OIHW) channels_last when its layer's inputs are NHWC.

    A fast path, kept because it pays: ``benchmarks/batch1_ab.py``-style interleaved A/B on
    ``resnet_v2_50``, batch 1, inference: contiguous kernels take 1.079x the time of channels_last
    ones (1.032x at batch 32). The first call re-strides the kernel; later calls find it so.

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


def resolved_kwargs(func: Callable, kwargs: Optional[dict]) -> dict:
    """The keyword arguments an arg-scoped ``func`` gets when called here with ``kwargs`` (these win)."""
    scoped = current_arg_scope().get(arg_scope_func_key(func))
    merged = dict(scoped) if scoped else {}
    if kwargs:
        merged.update(kwargs)
    return merged


def resolve_is_training(is_training, label: str = "layer") -> bool:
    """``None`` follows the running model's ``train()``/``eval()`` mode; bools and 0-d tensors are used as given.

    Raises:
      RuntimeError: for None outside a model, naming ``label``.
    """
    if is_training is None:
        return current_call(label).is_training
    if isinstance(is_training, torch.Tensor):
        return bool(is_training.item())
    return bool(is_training)


def normalize_and_activate(outputs: torch.Tensor, normalizer_fn: Optional[Callable],
                           normalizer_params: Optional[dict], activation_fn: Optional[Callable]) -> torch.Tensor:
    """The tail of a layer: ``normalizer_fn(outputs, **normalizer_params)``, then ``activation_fn``.

    Either may be None (skipped). The normalizer runs in the caller's variable scope, so its
    variables are ``<layer scope>/<normalizer scope>/...``, as in TF-Slim.
    """
    if normalizer_fn is not None:
        outputs = normalizer_fn(outputs, **(normalizer_params or {}))
    return activate(outputs, activation_fn)


# ReLU and ReLU6 (as torchslim.nn and torch.nn.functional spell them) and their in-place forms.
_IN_PLACE = {torch.relu: torch.relu_, F.relu: torch.relu_, F.relu6: functools.partial(F.relu6, inplace=True)}

# sys.getrefcount of a tensor held only by the caller's variable: that variable, this function's
# argument and getrefcount's own.
_SOLE_REFERENCE = 3


def activate(outputs: torch.Tensor, activation_fn: Optional[Callable]) -> torch.Tensor:
    """``activation_fn(outputs)``; ReLU and ReLU6 overwrite ``outputs`` where nothing can tell.

    The one in-place step of the layers (pass the layer's own fresh result, held in one variable).
    It applies when autograd does not record ``outputs`` (``torch.no_grad()``, ``inference_mode``,
    or no input requires grad), so no saved tensor can change, and when nothing but the caller
    holds the tensor (an end point collected by a normalizer is another holder, so it keeps its
    pre-activation value). It pays at batch 1: ``benchmarks/batch1_ab.py`` (resnet_v2_50, one
    thread) takes about 3% longer without it. A normalizer that keeps a *view* of its result
    (not the result itself) would see the activation.

    Args:
      outputs: the layer's result before activation.
      activation_fn: the activation, or None (then ``outputs`` is returned).

    Returns:
      The activated tensor.
    """
    if activation_fn is None:
        return outputs
    in_place = _IN_PLACE.get(activation_fn)
    if (in_place is not None and not (outputs.requires_grad and torch.is_grad_enabled())
            and sys.getrefcount(outputs) <= _SOLE_REFERENCE):
        return in_place(outputs)
    return activation_fn(outputs)


def layer_biases(num_outputs: int, dtype: torch.dtype, normalizer_fn: Optional[Callable], initializer, regularizer,
                 trainable: bool, variables_collections: Collections) -> Optional[torch.Tensor]:
    """A layer's ``biases`` ``[num_outputs]``, or None: TF-Slim makes none under a normalizer or without an initializer.

    Args:
      num_outputs: the layer's output channels.
      dtype: the variable's dtype (the inputs').
      normalizer_fn, initializer, regularizer, trainable, variables_collections: the layer's
        ``normalizer_fn``, ``biases_initializer``, ``biases_regularizer``, ``trainable`` and
        ``variables_collections``.

    Returns:
      The variable's tensor, or None.
    """
    if normalizer_fn is not None or initializer is None:
        return None
    return model_variable("biases", shape=(int(num_outputs),), dtype=dtype, initializer=initializer,
                          regularizer=regularizer, trainable=trainable,
                          collections=variable_collections(variables_collections, "biases"))
