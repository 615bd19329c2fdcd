"""Variables, variable scopes, name scopes and collections, the TF-Slim way, on a PyTorch module tree.

While a :class:`torchslim.Model` runs its model function, a *call state* is active (a context
variable). Layer ops open :func:`variable_scope` s and ask for variables by name; the first call of a
model creates them as parameters (trainable) or buffers (non-trainable) of nested scope modules, later
calls find them again by name. Scope name counters (``Conv``, ``Conv_1``) and collections (the
``end_points`` mechanism) belong to one call, so names are the same on every call.

A variable is described by :class:`SlimVariable`: its TF name and shape, and how PyTorch stores it
(``layout``: convolution kernels are OIHW in PyTorch, HWIO in TF).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from torchslim.arg_scope import add_arg_scope

__all__ = [
    "GraphKeys",
    "AUTO_REUSE",
    "SlimVariable",
    "VariableScope",
    "variable_scope",
    "name_scope",
    "get_variable_scope",
    "variable",
    "model_variable",
    "global_variable",
    "local_variable",
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
    "current_call",
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


class _AutoReuse:
    def __repr__(self) -> str:
        return "AUTO_REUSE"


AUTO_REUSE = _AutoReuse()
"""Reuse a variable if it exists in this call, create it otherwise (``tf.AUTO_REUSE``)."""


# --------------------------------------------------------------------------------------------------
# Layouts: how a TF-shaped variable is stored in PyTorch.


def _conv_to_torch(t: torch.Tensor) -> torch.Tensor:
    nd = t.dim() - 2
    return t.permute(nd + 1, nd, *range(nd))


def _conv_to_tf(t: torch.Tensor) -> torch.Tensor:
    nd = t.dim() - 2
    return t.permute(*range(2, nd + 2), 1, 0)


def _depthwise_to_torch(t: torch.Tensor) -> torch.Tensor:
    kh, kw, cin, mult = t.shape
    return t.reshape(kh, kw, cin * mult).permute(2, 0, 1).unsqueeze(1)


def _depthwise_to_tf_fn(tf_shape: Tuple[int, ...]) -> Callable[[torch.Tensor], torch.Tensor]:
    def to_tf(t: torch.Tensor) -> torch.Tensor:
        return t.squeeze(1).permute(1, 2, 0).reshape(tf_shape)

    return to_tf


_LAYOUTS = ("identity", "conv", "conv_transpose", "depthwise", "fc")


def tf_to_torch_layout(value: torch.Tensor, layout: str) -> torch.Tensor:
    """Converts a tensor in TF layout to the PyTorch layout ``layout`` (a view where possible)."""
    if layout == "identity":
        return value
    if layout in ("conv", "conv_transpose"):
        return _conv_to_torch(value)
    if layout == "depthwise":
        return _depthwise_to_torch(value)
    if layout == "fc":
        return value.t()
    raise ValueError(f"unknown variable layout {layout!r}; expected one of {_LAYOUTS}")


def torch_to_tf_layout(value: torch.Tensor, layout: str, tf_shape: Sequence[int]) -> torch.Tensor:
    """Converts a tensor in PyTorch layout ``layout`` back to TF layout (a view where possible)."""
    if layout == "identity":
        return value
    if layout in ("conv", "conv_transpose"):
        return _conv_to_tf(value)
    if layout == "depthwise":
        return _depthwise_to_tf_fn(tuple(tf_shape))(value)
    if layout == "fc":
        return value.t()
    raise ValueError(f"unknown variable layout {layout!r}; expected one of {_LAYOUTS}")


# --------------------------------------------------------------------------------------------------
# Variables.


@dataclass(eq=False)
class SlimVariable:
    """A TF-named variable stored as a parameter or buffer of a scope module.

    Attributes:
      name: TF name without ``:0``, e.g. ``resnet_v2_50/conv1/weights``.
      tf_shape: the shape TF gives it (HWIO for conv kernels, ``[in, out]`` for fully connected).
      layout: how PyTorch stores it: ``identity``, ``conv``, ``conv_transpose``, ``depthwise``, ``fc``.
      trainable: True for parameters, False for buffers (e.g. BatchNorm moving statistics).
      regularizer: a callable giving a scalar loss from the variable in TF layout, or None.
      collections: the TF collections the variable belongs to.
      owner: the scope module holding it; ``attr`` is its attribute name there.
    """

    name: str
    tf_shape: Tuple[int, ...]
    layout: str
    trainable: bool
    owner: nn.Module
    attr: str
    regularizer: Optional[Callable[[torch.Tensor], Optional[torch.Tensor]]] = None
    collections: Tuple[str, ...] = ()

    @property
    def tensor(self) -> torch.Tensor:
        """The parameter or buffer itself, in PyTorch layout."""
        if self.trainable:
            return self.owner._parameters[self.attr]
        return self.owner._buffers[self.attr]

    @property
    def dtype(self) -> torch.dtype:
        return self.tensor.dtype

    @property
    def op(self) -> "SlimVariable":
        """TF compatibility: ``var.op.name`` is the variable name."""
        return self

    @property
    def shape(self) -> torch.Size:
        """The TF shape (as ``torch.Size``)."""
        return torch.Size(self.tf_shape)

    def get_shape(self) -> torch.Size:
        return self.shape

    def tf_view(self) -> torch.Tensor:
        """The variable in TF layout, sharing storage where possible (keeps autograd)."""
        return torch_to_tf_layout(self.tensor, self.layout, self.tf_shape)

    def to_tf(self) -> torch.Tensor:
        """A detached, contiguous copy in TF layout (``shape == tf_shape``)."""
        return self.tf_view().detach().contiguous().clone()

    def assign_tf(self, value: Union[np.ndarray, torch.Tensor]) -> None:
        """Copies ``value`` (TF layout) into the variable in place.

        Args:
          value: numpy array or tensor of shape ``tf_shape``.

        Raises:
          ValueError: naming the variable, if the shape differs.
        """
        value = torch.as_tensor(np.asarray(value) if not isinstance(value, torch.Tensor) else value)
        if tuple(value.shape) != tuple(self.tf_shape):
            raise ValueError(
                f"Variable {self.name}: cannot assign a value of shape {list(value.shape)}; "
                f"the variable has shape {list(self.tf_shape)}"
            )
        target = self.tensor
        with torch.no_grad():
            target.copy_(tf_to_torch_layout(value.to(device=target.device, dtype=target.dtype), self.layout))

    def regularization_loss(self) -> Optional[torch.Tensor]:
        """The regularizer's loss on the current value, or None."""
        if self.regularizer is None:
            return None
        return self.regularizer(self.tf_view())

    def __repr__(self) -> str:
        return f"<SlimVariable '{self.name}' shape={list(self.tf_shape)} layout={self.layout}>"


class ScopeModule(nn.Module):
    """A variable scope in the module tree: holds the variables and sub-scopes of one scope."""

    def __init__(self, scope_name: str):
        super().__init__()
        self.scope_name = scope_name

    def extra_repr(self) -> str:
        return repr(self.scope_name)


# --------------------------------------------------------------------------------------------------
# Scopes and the per-call state.


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
    """What one call of a model function sees: its store, scope counters and collections."""

    def __init__(self, store: "VariableStore", is_training: bool, device: torch.device, dry_run: bool = False):
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


def current_call(what: str = "this op") -> CallState:
    """Returns the active call state.

    Args:
      what: the op or scope asking, named in the error.

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
    """Makes ``state`` the active call state inside the block."""
    token = _CALL.set(state)
    try:
        yield state
    finally:
        _CALL.reset(token)


def get_variable_scope() -> VariableScope:
    """Returns the active variable scope (``name == ''`` at the top of a model)."""
    return current_call("get_variable_scope").scope


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


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
        current = state.unique_name(_join(state.name_scope, name_or_scope.name.rpartition("/")[2]))
        scope = VariableScope(name_or_scope.name, reuse or name_or_scope.reuse, name_or_scope.original_name_scope)
        return scope, current
    if name_or_scope is None:
        if default_name is None:
            raise ValueError("If default_name is None then name_or_scope is required")
        if reuse:
            raise ValueError(f"reuse=True cannot be used without a name_or_scope (default name {default_name!r})")
        local = _unique_default_name(state, default_name)
        current = state.unique_name(_join(state.name_scope, default_name))  # TF: name_scope(default_name)
    else:
        local = name_or_scope
        ns = state.name_scope
        current = state.unique_name(f"{ns}/{local}" if ns else local)
    full = f"{parent.name}/{local}" if parent.name else local
    return _make_scope((full, reuse or parent.reuse or None, current + "/")), current


def _unique_default_name(state: CallState, prefix: str) -> str:
    base = _join(state.scope.name, prefix)
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
        full = state.unique_name(_join(state.name_scope, base))
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


# --------------------------------------------------------------------------------------------------
# The store.


class VariableStore:
    """The variables of one model, by TF name, in creation order, held in a module tree.

    Args:
      root: the module at the top of the tree (the :class:`torchslim.Model`).
    """

    def __init__(self, root: nn.Module):
        self.root = root
        self.variables: Dict[str, SlimVariable] = {}
        self.built = False

    def _scope_module(self, scope_name: str, var_name: str) -> nn.Module:
        module = self.root
        path = ""
        for part in scope_name.split("/") if scope_name else ():
            path = _join(path, part)
            _check_component(part, var_name)
            child = module._modules.get(part)
            if child is None:
                if part in module._parameters or part in module._buffers:
                    raise ValueError(
                        f"Variable {var_name}: scope '{path}' has the name of an existing variable"
                    )
                child = ScopeModule(path)
                module._modules[part] = child
            module = child
        return module

    def create(
        self,
        name: str,
        value: torch.Tensor,
        tf_shape: Tuple[int, ...],
        layout: str,
        trainable: bool,
        regularizer,
        collections: Iterable[str],
    ) -> SlimVariable:
        """Adds a new variable holding ``value`` (already in PyTorch layout)."""
        scope_name, _, attr = name.rpartition("/")
        _check_component(attr, name)
        owner = self._scope_module(scope_name, name)
        if attr in owner._modules:
            raise ValueError(f"Variable {name}: its name is already used by a variable scope")
        if trainable:
            owner._parameters[attr] = nn.Parameter(value, requires_grad=True)
        else:
            owner._buffers[attr] = value
            owner._non_persistent_buffers_set.discard(attr)
        var = SlimVariable(
            name=name,
            tf_shape=tuple(int(d) for d in tf_shape),
            layout=layout,
            trainable=trainable,
            owner=owner,
            attr=attr,
            regularizer=regularizer,
            collections=tuple(dict.fromkeys(collections)),
        )
        self.variables[name] = var
        return var


def _check_component(part: str, var_name: str) -> None:
    if not part or "." in part:
        raise ValueError(
            f"Variable {var_name}: scope and variable names must be non-empty and contain no '.', "
            f"got component {part!r}"
        )


def _as_initial_value(initializer, shape: Tuple[int, ...], dtype: torch.dtype, name: str) -> torch.Tensor:
    if initializer is None:
        from torchslim import initializers

        initializer = initializers.glorot_uniform_initializer() if dtype.is_floating_point else initializers.zeros_initializer()
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


def _get_variable(
    name: str,
    shape: Optional[Sequence[int]],
    dtype: Optional[torch.dtype],
    initializer,
    regularizer,
    trainable: bool,
    collections: Tuple[Any, bool],
    layout: str = "identity",
) -> SlimVariable:
    state = _CALL.get() or current_call(f"variable '{name}'")
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
        if store.built:
            raise ValueError(
                f"Variable {full} is new, but the model is already built: a model creates all its "
                "variables on its first call. Check that the model function makes the same layers, "
                "with the same scopes, on every call."
            )
        existing = _create(state, full, shape, dtype, initializer, regularizer, trainable, collections, layout)
    else:
        if shape is not None:
            _check_shape(full, shape, existing)
        _check_layout(full, layout, existing)
    used.add(full)
    return existing


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


def _create(state, full, shape, dtype, initializer, regularizer, trainable, collections, layout):
    dtype = dtype or torch.float32
    if shape is None:
        if initializer is None or callable(initializer):
            raise ValueError(f"Variable {full}: a shape is needed unless the initializer is a value")
        shape = tuple(np.shape(initializer))
    shape = tuple(int(d) for d in shape)
    value = _as_initial_value(initializer, shape, dtype, full)
    value = tf_to_torch_layout(value, layout).contiguous().to(state.device)
    return state.store.create(full, value, shape, layout, trainable, regularizer,
                              _collection_names(collections, trainable))


def _collection_names(spec: Tuple[Any, bool], trainable: bool) -> List[str]:
    """The collections of a new variable: ``spec`` is ``(collections argument, is_model_variable)``."""
    collections, is_model = spec
    if collections is None:
        names = []
    elif isinstance(collections, str):
        names = [collections]
    else:
        names = list(collections)
    if is_model:
        names = [GraphKeys.GLOBAL_VARIABLES, GraphKeys.MODEL_VARIABLES] + names
    elif collections is None:
        names = [GraphKeys.GLOBAL_VARIABLES]
    if trainable and GraphKeys.TRAINABLE_VARIABLES not in names:
        names.append(GraphKeys.TRAINABLE_VARIABLES)
    return names


@add_arg_scope
def variable(
    name: str,
    shape: Optional[Sequence[int]] = None,
    dtype: Optional[torch.dtype] = None,
    initializer=None,
    regularizer=None,
    trainable: bool = True,
    collections=None,
    caching_device=None,
    device=None,
    partitioner=None,
    custom_getter=None,
    use_resource=None,
    layout: str = "identity",
) -> torch.Tensor:
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
    spec = (collections, False)
    return _get_variable(name, shape, dtype, initializer, regularizer, trainable, spec, layout).tensor


@add_arg_scope
def model_variable(
    name: str,
    shape: Optional[Sequence[int]] = None,
    dtype: torch.dtype = torch.float32,
    initializer=None,
    regularizer=None,
    trainable: bool = True,
    collections=None,
    caching_device=None,
    device=None,
    partitioner=None,
    custom_getter=None,
    use_resource=None,
    layout: str = "identity",
) -> torch.Tensor:
    """Like :func:`variable`, and adds it to ``GLOBAL_VARIABLES`` and ``MODEL_VARIABLES``.

    Args: as :func:`variable`; ``collections`` are added to the two defaults.

    Returns:
      The parameter or buffer.
    """
    del caching_device, device, partitioner, custom_getter, use_resource
    spec = (collections, True)
    return _get_variable(name, shape, dtype, initializer, regularizer, trainable, spec, layout).tensor


def layer_variable(name: str, shape: Sequence[int], dtype: torch.dtype, initializer, regularizer, trainable: bool,
                   collections, layout: str = "identity") -> torch.Tensor:
    """:func:`model_variable` as the bundled layers call it, without the arg-scope lookup.

    The layers pass every argument that means something here explicitly, so a ``model_variable``
    arg scope could only add the TF arguments torchslim ignores (``device``, ``caching_device``,
    ...): skipping it changes nothing and saves two calls per variable on every layer call.

    Args: as :func:`model_variable` (all but ``layout`` required).

    Returns:
      The parameter or buffer.
    """
    return _get_variable(name, shape, dtype, initializer, regularizer, trainable, (collections, True), layout).tensor


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


def _plain_variable(initial_value, name: Optional[str], collection: str, what: str) -> torch.Tensor:
    """A ``tf.Variable``: a name unique in the name scope, found again by that name on later calls."""
    state = current_call(what)
    full = state.unique_name(_join(state.name_scope, name or "Variable"))
    if full in state.used:
        raise ValueError(f"Variable {full} already exists in this call")
    var = state.store.variables.get(full)
    if var is None:
        if state.store.built:
            raise ValueError(f"Variable {full} is new, but the model is already built: a model creates all its "
                             "variables on its first call.")
        value = torch.as_tensor(initial_value)
        var = _create(state, full, tuple(value.shape), value.dtype, value, None, False, ([collection], False),
                      "identity")
    state.used.add(full)
    return var.tensor


def variable_info(name: str) -> SlimVariable:
    """Returns the :class:`SlimVariable` for a full TF name in the active model."""
    state = current_call("variable_info")
    try:
        return state.store.variables[name]
    except KeyError:
        raise ValueError(f"Variable {name} does not exist in this model") from None


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

    Raises:
      ValueError: if there is none.
    """
    found = _store_for(model).variables.get(var_op_name)
    if found is None:
        raise ValueError(f"Couldn't find variable {var_op_name}")
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
