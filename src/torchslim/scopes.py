"""Variable scopes, name scopes and the per-call state, the TF way.

While a :class:`torchslim.Model` runs its model function, a *call state* (:class:`CallState`, a
context variable) is active: the model's store, ``is_training``, the device, the scope name
counters (``Conv``, ``Conv_1``), the name scopes in use and the call's collections. All of it
belongs to one call, so names are the same on every call. :func:`current_call` gives the active
state (raising outside a model), :func:`active_call` gives it or None.

:func:`variable_scope` and :func:`name_scope` follow TF's naming rules; the variables themselves
are created by :mod:`torchslim.variables` in the store of :mod:`torchslim.store`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Tuple, Union

import torch

from torchslim.store import VariableStore, scoped_name

__all__ = [
    "AUTO_REUSE",
    "VariableScope",
    "CallState",
    "current_call",
    "active_call",
    "activate",
    "get_variable_scope",
    "name_scope",
    "variable_scope",
]


class _AutoReuse:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _AutoReuse()
"""Reuse a variable if it exists in this call, create it otherwise (``tf.AUTO_REUSE``)."""


class VariableScope(NamedTuple):
    """The active variable scope: ``name`` (``''`` at the top), ``reuse`` and its name scope.

    Immutable; a named tuple rather than a frozen dataclass because every layer call makes one or
    two, and a tuple is several times cheaper to build.
    """

    name: str
    reuse: object = None  # None, True or AUTO_REUSE
    original_name_scope: str = ""


# VariableScope from a (name, reuse, original_name_scope) tuple, without the Python-level __new__.
_make_scope = functools.partial(tuple.__new__, VariableScope)


class CallState:
    """What one call of a model function sees: its store, scope counters and collections.

    Attributes:
      store: the model's :class:`~torchslim.store.VariableStore`.
      is_training: the model's ``training`` flag (what ``is_training=None`` resolves to).
      device: where new variables are made (the inputs' device).
      dry_run: True in :meth:`torchslim.Model.build` (no state updates such as moving averages).
      scope: the active :class:`VariableScope`; ``name_scope``: the active name scope.
      used: the variable names asked for so far in this call.
      collections: the call's collections, ``{name: [items]}``.
    """

    def __init__(self, store: VariableStore, is_training: bool, device: torch.device, dry_run: bool = False):
        self.store = store
        self.is_training = is_training
        self.device = device
        self.dry_run = dry_run
        self.scope = VariableScope("")
        self.name_scope = ""
        self.scope_counts: Dict[str, int] = {}
        self.scope_log: List[str] = []
        self.names_in_use: Dict[str, int] = {}
        self.used: set = set()
        self.collections: Dict[str, List[Any]] = {}

    def unique_name(self, name: str) -> str:
        """TF's ``Graph.unique_name``: ``name``, ``name_1``, ... over names used in this call."""
        key = name.lower()
        i = self.names_in_use.get(key, 0)
        self.names_in_use[key] = i + 1
        if i == 0:
            return name
        base = key
        while key in self.names_in_use:
            key = f"{base}_{i}"
            i += 1
        self.names_in_use[key] = 1
        return f"{name}_{i - 1}"


_CALL: contextvars.ContextVar[Optional[CallState]] = contextvars.ContextVar("torchslim_call", default=None)


active_call: Callable[[], Optional[CallState]] = _CALL.get
"""``active_call()`` returns the active call state, or None when no model function is running.

The context variable's own ``get``: the variable lookup of every layer call asks, so no Python
frame is spent on it.
"""


def current_call(what: str = "this op") -> CallState:
    """Returns the active call state, for code that only works inside a model function.

    Args:
      what: the op or scope asking, named in the error.

    Returns:
      The :class:`CallState` of the running model call.

    Raises:
      RuntimeError: if no model function is running.
    """
    state = _CALL.get()
    if state is None:
        raise RuntimeError(
            f"{what} was called outside a model: slim layers create and find their variables in the "
            "model that runs them. Wrap the code in a function and call it through "
            "torchslim.Model(fn)(inputs)."
        )
    return state


@contextlib.contextmanager
def activate(state: CallState) -> Iterator[CallState]:
    """Makes ``state`` the active call state inside the block (what :class:`torchslim.Model` does).

    Args:
      state: the call state.

    Yields:
      ``state``.
    """
    token = _CALL.set(state)
    try:
        yield state
    finally:
        _CALL.reset(token)


def get_variable_scope() -> VariableScope:
    """Returns the active variable scope (``name == ''`` at the top of a model)."""
    return current_call("get_variable_scope").scope


def _scope_label(name_or_scope, default_name: Optional[str]) -> Optional[str]:
    if isinstance(name_or_scope, VariableScope):
        return name_or_scope.name
    return name_or_scope if name_or_scope is not None else default_name


def _new_scope(state: CallState, name_or_scope, default_name: Optional[str], reuse) -> Tuple[VariableScope, str]:
    """The scope ``variable_scope`` enters and the name scope its ops get, by TF's rules.

    A :class:`VariableScope` is re-entered with its own name, ``original_name_scope`` and reuse
    (``reuse`` overrides it; the enclosing scope's is not inherited), under a new name scope made
    unique from its last name component. A name extends the enclosing scope and inherits its reuse
    (``reuse or parent.reuse``). A default name is made unique in the enclosing scope and cannot be
    reused.
    """
    parent = state.scope
    if isinstance(name_or_scope, VariableScope):
        current = state.unique_name(scoped_name(state.name_scope, name_or_scope.name.rpartition("/")[2]))
        scope = VariableScope(name_or_scope.name, reuse or name_or_scope.reuse, name_or_scope.original_name_scope)
        return scope, current
    if name_or_scope is None:
        if default_name is None:
            raise ValueError("If default_name is None then name_or_scope is required")
        if reuse:
            raise ValueError(f"reuse=True cannot be used without a name_or_scope (default name {default_name!r})")
        local = _unique_default_name(state, default_name)
        current = state.unique_name(scoped_name(state.name_scope, default_name))  # TF: name_scope(default_name)
    else:
        local = name_or_scope
        ns = state.name_scope
        current = state.unique_name(f"{ns}/{local}" if ns else local)
    full = f"{parent.name}/{local}" if parent.name else local
    return _make_scope((full, reuse or parent.reuse or None, current + "/")), current


def _unique_default_name(state: CallState, prefix: str) -> str:
    base = scoped_name(state.scope.name, prefix)
    if state.scope_counts.get(base, 0) == 0:
        return prefix
    idx = 1
    while state.scope_counts.get(f"{base}_{idx}", 0) > 0:
        idx += 1
    return f"{prefix}_{idx}"


def _close_subscopes(state: CallState, name: str, log_start: int) -> None:
    """Resets the counters of ``name``'s sub-scopes (TF's ``close_variable_subscopes``).

    Only scopes first opened since ``name`` was entered are visited (the log keeps the order in
    which counters appeared), so leaving a scope costs what was opened inside it, not the model size.
    """
    prefix = name + "/"
    counts = state.scope_counts
    for key in state.scope_log[log_start:]:
        if key.startswith(prefix):
            counts.pop(key, None)


@contextlib.contextmanager
def name_scope(name: Optional[str], default_name: Optional[str] = None, values=None) -> Iterator[str]:
    """Opens a name scope (no variables), uniquified within the call as TF does.

    Args:
      name: the scope name, or None to use ``default_name``.
      default_name: used when ``name`` is None.
      values: ignored (TF graph argument).

    Yields:
      The full name scope string, without trailing ``/``.
    """
    del values
    base = name if name is not None else default_name
    state = _CALL.get() or current_call(f"name_scope {base!r}")  # the label only when it is needed
    if base is None:
        raise ValueError("name_scope needs a name or a default_name")
    if base.endswith("/"):
        full = base[:-1]
    else:
        full = state.unique_name(scoped_name(state.name_scope, base))
    old = state.name_scope
    state.name_scope = full
    try:
        yield full
    finally:
        state.name_scope = old


class variable_scope:  # noqa: N801 (TF's name; a class rather than a generator: layers enter two per call)
    """Opens a variable scope, as ``tf.variable_scope`` does.

    A given name is used as is; with ``name_or_scope=None`` the ``default_name`` is made unique
    within the enclosing scope (``Conv``, ``Conv_1``, ...). Counters of sub-scopes restart when a
    named scope is left, so re-entering a scope with ``reuse=True`` finds the same names. Each
    entry also opens a name scope, made unique in the call (``outer``, ``outer_1``), as TF does.

    Args:
      name_or_scope: a name, a :class:`VariableScope` to re-enter, or None.
      default_name: the name to uniquify when ``name_or_scope`` is None.
      values: ignored (TF graph argument).
      reuse: True to share existing variables (inherited by sub-scopes), ``AUTO_REUSE`` to create
        or share, None to inherit (a re-entered :class:`VariableScope` keeps its own reuse).
      **unused_tf_kwargs: TF arguments with no meaning here (initializer, custom_getter, ...).

    ``with variable_scope(...) as sc`` gives the new :class:`VariableScope`.

    Raises:
      ValueError: if both ``name_or_scope`` and ``default_name`` are None, or ``reuse`` is set
        without ``name_or_scope``.
    """

    __slots__ = ("_name_or_scope", "_default_name", "_reuse", "_exit")

    def __init__(self, name_or_scope: Union[str, VariableScope, None], default_name: Optional[str] = None,
                 values=None, reuse: Any = None, **unused_tf_kwargs: Any):
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._reuse = reuse
        self._exit: list = []  # what __exit__ restores, one entry per (nested) entry

    def __enter__(self) -> VariableScope:
        name_or_scope = self._name_or_scope
        state = _CALL.get()
        if state is None:
            current_call(f"variable_scope {_scope_label(name_or_scope, self._default_name)!r}")
        scope, current_ns = _new_scope(state, name_or_scope, self._default_name, self._reuse)
        name = scope.name
        log = state.scope_log
        log_start = len(log)
        counts = state.scope_counts
        count = counts.get(name, 0)
        if count == 0:
            log.append(name)
        counts[name] = count + 1
        saved_counts = dict(counts) if isinstance(name_or_scope, VariableScope) else None
        self._exit.append((state, name, log_start, saved_counts, state.scope, state.name_scope))
        state.scope = scope
        state.name_scope = current_ns
        return scope

    def __exit__(self, *exc_info) -> None:
        state, new_name, log_start, saved_counts, old_scope, old_ns = self._exit.pop()
        state.scope = old_scope
        state.name_scope = old_ns
        if saved_counts is not None:
            state.scope_counts = saved_counts
        else:
            opened = len(state.scope_log) - log_start  # scopes first opened since the entry
            if opened > 1 or (opened == 1 and state.scope_log[log_start] != new_name):
                _close_subscopes(state, new_name, log_start)
