"""Collections and the queries over a model's variables (``get_variables*``, ``filter_variables``).

Two kinds of collection, as TF has them: a variable's collections (``GLOBAL_VARIABLES``,
``MODEL_VARIABLES``, ...) are kept with it in the store and queried by :func:`get_variables` and
friends; the other collections (``end_points``, ``LOSSES``, ...) belong to one model call and
are filled and read with :func:`add_to_collection` / :func:`get_collection` while the model
function runs. :class:`GraphKeys` names both kinds.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, List, Optional, Sequence, Union

from torchslim.scopes import VariableScope, current_call
from torchslim.store import SlimVariable, VariableStore

__all__ = [
    "GraphKeys",
    "VariableNotFoundError",
    "get_variables",
    "get_model_variables",
    "get_trainable_variables",
    "get_local_variables",
    "get_variables_by_name",
    "get_variables_by_suffix",
    "get_unique_variable",
    "get_variables_to_restore",
    "filter_variables",
    "add_to_collection",
    "add_to_collections",
    "get_collection",
]


class GraphKeys:
    """TF's standard collection names (plain strings, as in TensorFlow)."""

    GLOBAL_VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    LOSSES = "losses"
    UPDATE_OPS = "update_ops"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"


class VariableNotFoundError(ValueError, KeyError):
    """No variable of that name in the model.

    A ``ValueError``, as TF-Slim's ``get_unique_variable`` raises, and a ``KeyError``, as a lookup
    by key (``model.variable(name)``) is expected to raise; both raise this one error.
    """

    __str__ = ValueError.__str__  # the message as written (KeyError's would quote it)


# --------------------------------------------------------------------------------------------------
# Queries.


def _store_for(model) -> VariableStore:
    if model is not None:
        return model.variable_store
    return current_call("get_variables (pass model= outside a model function)").store


def get_variables(scope: Union[str, VariableScope, None] = None, suffix: Optional[str] = None,
                  collection: str = GraphKeys.GLOBAL_VARIABLES, *, model=None) -> List[SlimVariable]:
    """Variables of a collection whose name matches ``scope`` (a regex prefix) and ``suffix``.

    Args:
      scope: regex matched at the start of the name (``re.match``), a :class:`VariableScope`
        (its name), or None for all.
      suffix: if given, the name must end with it.
      collection: the collection (default ``GLOBAL_VARIABLES``).
      model: the model to query; defaults to the model whose function is running.

    Returns:
      A list of :class:`SlimVariable`, in creation order.
    """
    pattern = scope.name if isinstance(scope, VariableScope) else scope
    if suffix is not None:
        if ":" not in suffix:
            suffix += ":"
        pattern = (pattern or "") + ".*" + suffix
    variables = [v for v in _store_for(model).variables.values() if collection in v.collections]
    if pattern is None:
        return variables
    regex = re.compile(pattern)
    return [v for v in variables if regex.match(v.name + ":0")]


def get_model_variables(scope: Optional[str] = None, suffix: Optional[str] = None, *, model=None) -> List[SlimVariable]:
    """Variables in ``MODEL_VARIABLES`` (see :func:`get_variables`)."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES, model=model)


def get_trainable_variables(scope: Optional[str] = None, suffix: Optional[str] = None, *, model=None) -> List[SlimVariable]:
    """Variables in ``TRAINABLE_VARIABLES`` (see :func:`get_variables`)."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES, model=model)


def get_local_variables(scope: Optional[str] = None, suffix: Optional[str] = None, *, model=None) -> List[SlimVariable]:
    """Variables in ``LOCAL_VARIABLES`` (see :func:`get_variables`)."""
    return get_variables(scope, suffix, GraphKeys.LOCAL_VARIABLES, model=model)


def get_variables_by_name(given_name: str, scope: Optional[str] = None, *, model=None) -> List[SlimVariable]:
    """Variables whose last name component is ``given_name``."""
    suffix = "/" + given_name + ":|^" + given_name + ":"
    return get_variables(scope=scope, suffix=suffix, model=model)


def get_variables_by_suffix(suffix: str, scope: Optional[str] = None, *, model=None) -> List[SlimVariable]:
    """Variables whose name ends with ``suffix``."""
    return get_variables(scope=scope, suffix=suffix, model=model)


def get_unique_variable(var_op_name: str, *, model=None) -> SlimVariable:
    """The one variable named exactly ``var_op_name``.

    Args:
      var_op_name: the full TF name, without ``:0``.
      model: the model (default: the running one).

    Returns:
      The :class:`SlimVariable`.

    Raises:
      VariableNotFoundError: (a ``ValueError``) if there is none.
    """
    found = _store_for(model).variables.get(var_op_name)
    if found is None:
        raise VariableNotFoundError(f"Couldn't find variable {var_op_name}")
    return found


def get_variables_to_restore(include: Optional[List[str]] = None, exclude: Optional[List[str]] = None,
                             *, model=None) -> List[SlimVariable]:
    """Global variables under the ``include`` scopes and not under the ``exclude`` scopes.

    As TF-Slim: each scope is looked up with :func:`get_variables` (a regex matched at the start
    of the name), and the result lists the variables of each include scope in turn.

    Args:
      include: scope regexes to keep (None: all variables, in creation order).
      exclude: scope regexes to drop.
      model: the model (default: the running one).

    Returns:
      A list of :class:`SlimVariable`.

    Raises:
      TypeError: if include or exclude is not a list or tuple.
    """
    if include is None:
        variables = get_variables(model=model)
    elif not isinstance(include, (list, tuple)):
        raise TypeError("include is provided but is not a list or a tuple.")
    else:
        variables = [v for scope in include for v in get_variables(scope, model=model)]
    if exclude is None:
        return variables
    if not isinstance(exclude, (list, tuple)):
        raise TypeError("exclude is provided but is not a list or a tuple.")
    excluded = {id(v) for scope in exclude for v in get_variables(scope, model=model)}
    return [v for v in variables if id(v) not in excluded]


def filter_variables(var_list: Sequence[SlimVariable], include_patterns: Optional[Sequence[str]] = None,
                     exclude_patterns: Optional[Sequence[str]] = None, reg_search: bool = True) -> List[SlimVariable]:
    """Keeps variables matching any include pattern and no exclude pattern.

    The patterns are regexes on the name as TF writes it, with ``:0`` (so ``'weights$'`` matches
    nothing, as in TF-Slim).

    Args:
      var_list: variables to filter.
      include_patterns: regexes; None keeps all.
      exclude_patterns: regexes; None drops none.
      reg_search: True uses ``re.search``, False ``re.match``.

    Returns:
      The filtered list.
    """
    find = re.search if reg_search else re.match
    out = []
    for var in var_list:
        name = var.name if ":" in var.name else var.name + ":0"  # TF matches the tensor name
        if include_patterns is not None and not any(find(p, name) for p in include_patterns):
            continue
        if exclude_patterns is not None and any(find(p, name) for p in exclude_patterns):
            continue
        out.append(var)
    return out


# --------------------------------------------------------------------------------------------------
# Per-call collections.


def add_to_collection(name: str, value: Any) -> None:
    """Appends ``value`` to collection ``name`` of the running call."""
    current_call("add_to_collection").collections.setdefault(name, []).append(value)


def add_to_collections(names: Union[str, Iterable[str]], value: Any) -> None:
    """Appends ``value`` to every named collection of the running call."""
    for name in [names] if isinstance(names, str) else dict.fromkeys(names):
        add_to_collection(name, value)


def get_collection(name: str, scope: Optional[str] = None) -> List[Any]:
    """The items of collection ``name`` of the running call (a copy).

    Args:
      name: collection name.
      scope: if given, keep only items with a ``name`` or alias matching it as a regex prefix.
    """
    items = list(current_call("get_collection").collections.get(name, ()))
    if scope is None:
        return items
    regex = re.compile(scope)
    return [item for item in items if regex.match(_item_name(item))]


def _item_name(item: Any) -> str:
    if isinstance(item, tuple) and item and isinstance(item[0], str):
        return item[0]
    return getattr(item, "name", "")
