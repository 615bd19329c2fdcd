"""Creating variables, the TF-Slim way: ``variable``, ``model_variable``, ``global_variable``, ``local_variable``.

While a :class:`torchslim.Model` runs its model function, layer ops ask for variables by name in
the active variable scope; the first call of a model creates them as parameters (trainable) or
buffers (non-trainable) of nested scope modules, later calls find them again by name.
:func:`model_variable` is the one way the layers create theirs (arg-scoped, as in TF-Slim);
:func:`variable` is the general one.

``slim.variables`` is also the module TF-Slim users know, so it re-exports the names of the modules
its jobs are split into (``torchslim.variables.get_variables`` keeps working):

- :mod:`torchslim.store`: layouts, :class:`SlimVariable` and the module-tree store (the bottom);
- :mod:`torchslim.scopes`: the per-call state, ``variable_scope`` and ``name_scope``;
- :mod:`torchslim.queries`: ``GraphKeys``, per-call collections and the ``get_variables*`` queries;
- this module: creating variables (it is the only one of the four that imports the other three).

Code inside torchslim imports each name from its home module.
"""

from __future__ import annotations

from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from torchslim import initializers
from torchslim.arg_scope import add_arg_scope
from torchslim.queries import (GraphKeys, VariableNotFoundError, add_to_collection, add_to_collections,
                               filter_variables, get_collection, get_local_variables, get_model_variables,
                               get_trainable_variables, get_unique_variable, get_variables, get_variables_by_name,
                               get_variables_by_suffix, get_variables_to_restore)
from torchslim.scopes import (AUTO_REUSE, CallState, VariableScope, activate, active_call, current_call,
                              get_variable_scope, name_scope, variable_scope)
from torchslim.store import (ScopeModule, SlimVariable, VariableStore, scoped_name, tf_to_torch_layout,
                             torch_to_tf_layout)

# The creation functions, then the public names of the three modules this one re-exports.
__all__ = [
    "variable", "model_variable", "global_variable", "local_variable", "variable_info",
    # torchslim.store
    "SlimVariable", "ScopeModule", "VariableStore", "scoped_name", "tf_to_torch_layout", "torch_to_tf_layout",
    # torchslim.scopes
    "AUTO_REUSE", "VariableScope", "CallState", "current_call", "active_call", "activate", "get_variable_scope",
    "name_scope", "variable_scope",
    # torchslim.queries
    "GraphKeys", "VariableNotFoundError", "get_variables", "get_model_variables", "get_trainable_variables",
    "get_local_variables", "get_variables_by_name", "get_variables_by_suffix", "get_unique_variable",
    "get_variables_to_restore", "filter_variables", "add_to_collection", "add_to_collections", "get_collection",
]

_GLOBAL = (GraphKeys.GLOBAL_VARIABLES,)
_GLOBAL_AND_MODEL = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES)


def _collection_names(collections: Union[str, Iterable[str]]) -> Tuple[str, ...]:
    return (collections,) if isinstance(collections, str) else tuple(collections)


@add_arg_scope
def variable(name: str, shape: Optional[Sequence[int]] = None, dtype: Optional[torch.dtype] = None, initializer=None,
             regularizer=None, trainable: bool = True, collections=None, caching_device=None, device=None,
             partitioner=None, custom_getter=None, use_resource=None, layout: str = "identity") -> torch.Tensor:
    """Gets or creates a variable in the active scope and returns its tensor (PyTorch layout).

    Arg-scoped, as in TF-Slim.

    Args:
      name: the variable's name within the current scope.
      shape: its TF shape; None when ``initializer`` is a value.
      dtype: a torch dtype (default float32).
      initializer: a TF-style initializer ``f(shape, dtype=...)``, a value, or None (glorot uniform).
      regularizer: ``f(tensor) -> scalar or None``, evaluated by ``model.regularization_losses()``.
      trainable: True makes an ``nn.Parameter``, False a buffer.
      collections: collection names (default ``[GLOBAL_VARIABLES]``).
      caching_device, device, partitioner, custom_getter, use_resource: TF graph arguments, ignored.
      layout: how to store it (see :class:`SlimVariable`); layers use ``conv``/``fc``/``depthwise``.

    Returns:
      The parameter or buffer.

    Raises:
      ValueError: on a name clash without reuse, a missing variable under reuse, a shape mismatch,
        or a new variable after the model was built.
    """
    del caching_device, device, partitioner, custom_getter, use_resource
    names = _GLOBAL if collections is None else _collection_names(collections)
    return _get_or_create(name, shape, dtype, initializer, regularizer, trainable, names, layout).tensor


@add_arg_scope
def model_variable(name: str, shape: Optional[Sequence[int]] = None, dtype: torch.dtype = torch.float32,
                   initializer=None, regularizer=None, trainable: bool = True, collections=None, caching_device=None,
                   device=None, partitioner=None, custom_getter=None, use_resource=None,
                   layout: str = "identity") -> torch.Tensor:
    """Like :func:`variable`, and adds it to ``GLOBAL_VARIABLES`` and ``MODEL_VARIABLES``.

    Arg-scoped, as in TF-Slim; the bundled layers create all their variables with it.

    Args: as :func:`variable`; ``collections`` are added to the two defaults.

    Returns:
      The parameter or buffer.

    Raises:
      ValueError: as :func:`variable`.
    """
    del caching_device, device, partitioner, custom_getter, use_resource
    names = _GLOBAL_AND_MODEL if collections is None else _GLOBAL_AND_MODEL + _collection_names(collections)
    return _get_or_create(name, shape, dtype, initializer, regularizer, trainable, names, layout).tensor


def global_variable(initial_value, validate_shape: bool = True, name: Optional[str] = None,
                    use_resource=None) -> torch.Tensor:
    """A non-trainable variable in ``GLOBAL_VARIABLES`` holding ``initial_value`` (TF-Slim's).

    Like the ``tf.Variable`` it stands for, it is named in the current name scope and made unique
    there (``Variable``, ``Variable_1``, ...); reuse does not apply.

    Args:
      initial_value: the value (its shape and dtype are the variable's).
      validate_shape, use_resource: TF arguments, ignored.
      name: the name (default ``Variable``).

    Returns:
      The buffer.
    """
    del validate_shape, use_resource
    return _plain_variable(initial_value, name, GraphKeys.GLOBAL_VARIABLES, "global_variable")


def local_variable(initial_value, validate_shape: bool = True, name: Optional[str] = None,
                   use_resource=None) -> torch.Tensor:
    """A non-trainable variable in ``LOCAL_VARIABLES`` holding ``initial_value`` (TF-Slim's).

    Named as :func:`global_variable`. Not in ``GLOBAL_VARIABLES``, so not restored.

    Args: as :func:`global_variable`.

    Returns:
      The buffer.
    """
    del validate_shape, use_resource
    return _plain_variable(initial_value, name, GraphKeys.LOCAL_VARIABLES, "local_variable")


def variable_info(name: str) -> SlimVariable:
    """Returns the :class:`SlimVariable` for a full TF name in the active model.

    Raises:
      VariableNotFoundError: (a ``ValueError``) if the model has none of that name.
    """
    state = current_call("variable_info")
    try:
        return state.store.variables[name]
    except KeyError:
        raise VariableNotFoundError(f"Variable {name} does not exist in this model") from None


# --------------------------------------------------------------------------------------------------
# Get or create, by TF's sharing rules.


def _get_or_create(name: str, shape: Optional[Sequence[int]], dtype: Optional[torch.dtype], initializer,
                   regularizer, trainable: bool, collections: Tuple[str, ...], layout: str) -> SlimVariable:
    """The variable ``name`` of the active scope: found again, shared, or created.

    ``collections`` are the names it joins when created (``TRAINABLE_VARIABLES`` is added for a
    trainable one). The first branch is what every call of a built model takes.
    """
    state = active_call() or current_call(f"variable '{name}'")
    scope = state.scope
    full = f"{scope.name}/{name}" if scope.name else name
    store = state.store
    existing = store.variables.get(full)
    used = state.used
    if existing is not None and store.built and full not in used and scope.reuse is not True:
        if shape is not None and tuple(shape) != existing.tf_shape:
            _check_shape(full, shape, existing)
        if existing.layout != layout:
            _check_layout(full, layout, existing)
        used.add(full)
        return existing
    if full in used and scope.reuse is None:
        raise ValueError(
            f"Variable {full} already exists, disallowed. Did you mean to set reuse=True or "
            "reuse=AUTO_REUSE in the variable scope?"
        )
    if scope.reuse is True and full not in used and (existing is None or not store.built):
        raise ValueError(
            f"Variable {full} does not exist, or was not created with slim.variable(). "
            "Did you mean to set reuse=None in the variable scope?"
        )
    if existing is None:
        _check_not_built(state, full)
        existing = _create(state, full, shape, dtype, initializer, regularizer, trainable, collections, layout)
    else:
        if shape is not None:
            _check_shape(full, shape, existing)
        _check_layout(full, layout, existing)
    used.add(full)
    return existing


def _plain_variable(initial_value, name: Optional[str], collection: str, what: str) -> torch.Tensor:
    """A ``tf.Variable``: a name unique in the name scope, found again by that name on later calls."""
    state = current_call(what)
    full = state.unique_name(scoped_name(state.name_scope, name or "Variable"))
    if full in state.used:
        raise ValueError(f"Variable {full} already exists in this call")
    var = state.store.variables.get(full)
    if var is None:
        _check_not_built(state, full)
        value = torch.as_tensor(initial_value)
        var = _create(state, full, tuple(value.shape), value.dtype, value, None, False, (collection,), "identity")
    state.used.add(full)
    return var.tensor


def _check_not_built(state: CallState, full: str) -> None:
    if state.store.built:
        raise ValueError(
            f"Variable {full} is new, but the model is already built: a model creates all its "
            "variables on its first call. Check that the model function makes the same layers, "
            "with the same scopes, on every call."
        )


def _check_layout(full: str, layout: str, existing: SlimVariable) -> None:
    if layout != existing.layout:
        raise ValueError(
            f"Trying to share variable {full} with layout {layout!r}, but it was created with layout "
            f"{existing.layout!r}: create it with slim.variable(..., layout={layout!r}) to share it with "
            "this layer."
        )


def _check_shape(full: str, shape: Sequence[int], existing: SlimVariable) -> None:
    if tuple(int(d) for d in shape) != existing.tf_shape:
        raise ValueError(
            f"Trying to share variable {full}, but specified shape {list(shape)} and found shape "
            f"{list(existing.tf_shape)}."
        )


def _create(state: CallState, full: str, shape, dtype, initializer, regularizer, trainable: bool,
            collections: Tuple[str, ...], layout: str) -> SlimVariable:
    dtype = dtype or torch.float32
    if shape is None:
        if initializer is None or callable(initializer):
            raise ValueError(f"Variable {full}: a shape is needed unless the initializer is a value")
        shape = tuple(np.shape(initializer))
    shape = tuple(int(d) for d in shape)
    value = _as_initial_value(initializer, shape, dtype, full)
    value = tf_to_torch_layout(value, layout).contiguous().to(state.device)
    if trainable and GraphKeys.TRAINABLE_VARIABLES not in collections:
        collections += (GraphKeys.TRAINABLE_VARIABLES,)
    return state.store.create(full, value, shape, layout, trainable, regularizer, collections)


def _as_initial_value(initializer, shape: Tuple[int, ...], dtype: torch.dtype, name: str) -> torch.Tensor:
    if initializer is None:
        initializer = (initializers.glorot_uniform_initializer() if dtype.is_floating_point
                       else initializers.zeros_initializer())
    if callable(initializer):
        value = initializer(shape, dtype=dtype)
    else:
        value = torch.as_tensor(np.asarray(initializer) if not isinstance(initializer, torch.Tensor) else initializer)
    value = torch.as_tensor(value).to(dtype)
    if tuple(value.shape) != tuple(shape):
        if value.dim() == 0:
            value = value.expand(shape).clone()
        else:
            raise ValueError(
                f"Variable {name}: initial value has shape {list(value.shape)}, expected {list(shape)}"
            )
    return value
