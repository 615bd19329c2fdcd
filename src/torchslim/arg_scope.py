"""TF-Slim's ``arg_scope``: default keyword arguments for decorated ops.

An ``arg_scope`` is a dict ``{op_key: {kwarg: value}}``. Entering ``arg_scope([op, ...], **kwargs)``
pushes a copy of the current scope updated with ``kwargs`` for each op (inner scopes win); entering
``arg_scope(saved_dict)`` pushes a copy of that dict, *replacing* whatever was active. An op decorated
with :func:`add_arg_scope` merges the active defaults under its explicit keyword arguments.

The stack lives in a :class:`contextvars.ContextVar`, so threads and asyncio tasks never see each
other's scopes (a new thread starts with an empty scope). This module imports nothing from torch.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import inspect
from typing import Any, Callable, Dict, Iterator, Tuple

__all__ = [
    "arg_scope",
    "add_arg_scope",
    "current_arg_scope",
    "has_arg_scope",
    "arg_scoped_arguments",
    "arg_scope_func_key",
]

ScopeDict = Dict[str, Dict[str, Any]]

_ARG_STACK: contextvars.ContextVar[Tuple[ScopeDict, ...]] = contextvars.ContextVar(
    "torchslim_arg_stack", default=({},)
)
_DECORATED_OPS: Dict[str, Tuple[str, ...]] = {}


def arg_scope_func_key(op: Callable) -> str:
    """Returns the key under which ``op``'s defaults are stored in a scope dict.

    Args:
      op: a function, decorated or not.

    Returns:
      The ``str`` of the undecorated function, as TF-Slim uses.
    """
    return getattr(op, "_key_op", str(op))


def _kwarg_names(func: Callable) -> Tuple[str, ...]:
    params = inspect.signature(func).parameters.values()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(p.name for p in params if p.kind in kinds and p.default is not inspect.Parameter.empty)


def current_arg_scope() -> ScopeDict:
    """Returns the innermost active scope dict (``{}`` when none is active)."""
    return _ARG_STACK.get()[-1]


def has_arg_scope(func: Callable) -> bool:
    """Returns True if ``func`` was decorated with :func:`add_arg_scope`."""
    return arg_scope_func_key(func) in _DECORATED_OPS


def arg_scoped_arguments(func: Callable) -> Tuple[str, ...]:
    """Returns the names of the keyword arguments (those with defaults) of a decorated op.

    Args:
      func: a function decorated with :func:`add_arg_scope`.

    Returns:
      A tuple of argument names, in signature order.

    Raises:
      KeyError: if ``func`` is not decorated.
    """
    return _DECORATED_OPS[arg_scope_func_key(func)]


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs) -> Iterator[ScopeDict]:
    """Sets default keyword arguments for the given ops inside a ``with`` block.

    Args:
      list_ops_or_scope: a list or tuple of decorated ops, or a scope dict previously yielded by
        ``arg_scope`` (re-entering it replaces the active scope).
      **kwargs: defaults for every op in the list. Must be empty when a dict is given.

    Yields:
      The new scope dict (save it to re-enter the same scope later).

    Raises:
      ValueError: if a dict is given together with kwargs, or an op is not decorated.
      TypeError: if ``list_ops_or_scope`` is neither a list/tuple nor a dict.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError(
                "When attempting to re-use a scope by suppling a dictionary, kwargs must be empty."
            )
        new_scope = list_ops_or_scope.copy()
    elif isinstance(list_ops_or_scope, (list, tuple)):
        new_scope = current_arg_scope().copy()
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                name = getattr(op, "__name__", repr(op))
                module = getattr(op, "__module__", "?")
                raise ValueError(f"{module}.{name} is not decorated with @add_arg_scope")
            key = arg_scope_func_key(op)
            if key in new_scope:
                merged = dict(new_scope[key])
                merged.update(kwargs)
                new_scope[key] = merged
            else:
                new_scope[key] = kwargs.copy()
    else:
        raise TypeError("list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict)")
    token = _ARG_STACK.set(_ARG_STACK.get() + (new_scope,))
    try:
        yield new_scope
    finally:
        _ARG_STACK.reset(token)


def add_arg_scope(func: Callable) -> Callable:
    """Decorates ``func`` so that ``arg_scope`` can supply its keyword arguments.

    Explicit keyword arguments of a call win over scoped ones; positional arguments are passed
    through unchanged (as in TF-Slim, a scoped kwarg that is also given positionally is a
    ``TypeError``). ``__name__``, ``__doc__`` and the signature are preserved.

    Args:
      func: the op to decorate.

    Returns:
      The decorated op.
    """
    key = arg_scope_func_key(func)
    _DECORATED_OPS[key] = _kwarg_names(func)

    @functools.wraps(func)
    def func_with_args(*args, **kwargs):
        scoped = _ARG_STACK.get()[-1].get(key)
        if scoped:
            merged = dict(scoped)
            merged.update(kwargs)
            kwargs = merged
        return func(*args, **kwargs)

    func_with_args._key_op = key
    return func_with_args
