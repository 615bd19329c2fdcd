"""``slim.Model``: the ``nn.Module`` that owns a TF-Slim model function and its variables."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional

import torch
from torch import nn

from torchslim.arg_scope import arg_scope, current_arg_scope
from torchslim import losses as _losses
from torchslim import memory, queries, scopes
from torchslim.store import SlimVariable, VariableStore
from torchslim.utils import is_collecting_outputs

__all__ = ["Model"]


def _first_device(values) -> Optional[torch.device]:
    for value in values:
        if isinstance(value, torch.Tensor):
            return value.device
        if isinstance(value, (list, tuple)):
            found = _first_device(value)
            if found is not None:
                return found
        if isinstance(value, dict):
            found = _first_device(value.values())
            if found is not None:
                return found
    return None


class Model(nn.Module):
    """Runs a model function with its own variables, as a ``torch.nn.Module``.

    ``model(*inputs, **kwargs)`` calls ``fn(*inputs, *args, **{**kwargs_given_here, **kwargs})`` with
    the model's variable store active and the ``arg_scope`` that was active when the model was
    constructed re-entered, so the model behaves the same wherever it is called. The first call (or
    :meth:`build`) creates the variables as parameters and buffers of nested scope modules; later
    calls find them by name, and a call that would create a new variable raises an error naming it.

    Layers whose ``is_training`` is None (the default) follow ``model.train()`` / ``model.eval()``.

    The first call on CPU makes the process keep freed memory for the next call, as TF's allocator
    does (``TORCHSLIM_KEEP_FREED_MEMORY=0`` or :func:`torchslim.memory.release_freed_memory` opts
    out; see :mod:`torchslim.memory`).

    Args:
      fn: the model function, e.g. ``resnet_v2.resnet_v2_50``.
      *args: extra positional arguments appended after the call's inputs.
      **kwargs: keyword arguments bound to ``fn`` (a call's own keywords win).

    Example::

        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            model = slim.Model(resnet_v2.resnet_v2_50, num_classes=10)
        logits, end_points = model(torch.rand(2, 224, 224, 3))
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any):
        super().__init__()
        if not callable(fn):
            raise TypeError(f"slim.Model needs a callable model function, got {type(fn).__name__}")
        self._fn = fn
        self._fn_args = args
        self._fn_kwargs = kwargs
        self._saved_arg_scope = dict(current_arg_scope())
        self.variable_store = VariableStore(self)

    # ------------------------------------------------------------------------------------------
    # Calling.

    @property
    def built(self) -> bool:
        """True once the first call has created the variables."""
        return self.variable_store.built

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        compiled = self.__dict__.get("_compiled_calls")
        if compiled is not None and not torch.compiler.is_compiling():
            return compiled(inputs, kwargs)
        return self._run(inputs, kwargs, dry_run=False)

    def compile(self, mode: Optional[str] = "inference", **kwargs: Any) -> "Model":
        """Runs later calls through ``torch.compile`` (returns ``self``; ``mode=None`` undoes it).

        Layers find their variables and arg scopes through context variables, which TorchDynamo
        cannot trace. So each call's tensor program is captured first with a non-strict
        ``torch.export`` (the Python runs for real, so ``arg_scope``, scopes and the
        ``is_training`` logic work unchanged; parameters and buffers stay the model's own
        tensors), and that graph is what ``torch.compile`` compiles. One graph is kept per *call
        signature*: input shapes, dtypes and devices, non-tensor arguments, ``model.training``,
        whether autograd is on, whether outputs are collected
        (:func:`torchslim.utils.collecting_outputs`), and the ``autocast`` state
        (``torch.autocast`` around the call applies inside the compiled graph). A new signature
        exports and compiles again (tens of seconds for a ResNet on CPU). An unbuilt model is
        built first (:meth:`build`).

        Modes:
          ``'inference'``: under ``torch.no_grad()`` / ``inference_mode`` the weights are frozen
            into the graph (inductor ``freezing``: constant-folded BatchNorm, pre-packed conv
            weights); the signature then includes every parameter's and buffer's version counter,
            so changing a weight (optimizer step, ``torch.nn.Module.load_state_dict``, ``assign_tf``) recompiles
            rather than using stale values. With autograd on, nothing is frozen.
          ``'training'``: nothing frozen; the graph updates BatchNorm's moving statistics in
            place and is differentiable, for ``loss.backward()`` and any optimizer.
          anything else (``'default'``, ``'max-autotune'``, ...): passed to ``torch.compile`` as
            its ``mode``, nothing frozen.

        Args:
          mode: see above; None removes the compilation.
          **kwargs: more ``torch.compile`` arguments (``backend``, ``options``, ``dynamic``...).

        Returns:
          self.
        """
        if mode is None:
            self.__dict__.pop("_compiled_calls", None)
        else:
            self.__dict__["_compiled_calls"] = _CompiledCalls(self, mode, kwargs)
        return self

    def build(self, *inputs: Any, **kwargs: Any) -> "Model":
        """Creates the variables by running the function once without gradients or state updates.

        BatchNorm moving statistics are not updated by this run. Call it before making an
        optimizer so that the optimizer sees every parameter.

        Args:
          *inputs, **kwargs: example inputs, as for a normal call.

        Returns:
          self.
        """
        with torch.no_grad():
            self._run(inputs, kwargs, dry_run=True)
        return self

    def _run(self, inputs, kwargs, dry_run: bool) -> Any:
        store = self.variable_store
        device = _first_device(inputs) or _first_device(kwargs.values()) or self._default_device()
        if device.type == "cpu":
            memory.apply_default_policy()  # keep freed memory for the next call (see torchslim.memory)
        state = scopes.CallState(store, self.training, device, dry_run=dry_run)
        call_kwargs = dict(self._fn_kwargs)
        call_kwargs.update(kwargs)
        with scopes.activate(state), arg_scope(self._saved_arg_scope):
            outputs = self._fn(*inputs, *self._fn_args, **call_kwargs)
        if not store.built:
            store.built = True
        _losses.note_model_called(self)
        return outputs

    def _default_device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        for tensor in self.buffers():
            return tensor.device
        return torch.device("cpu")

    # ------------------------------------------------------------------------------------------
    # Variables.

    def tf_variables(self) -> "OrderedDict[str, SlimVariable]":
        """TF name -> :class:`~torchslim.store.SlimVariable`, in creation order."""
        return OrderedDict(self.variable_store.variables)

    def variable(self, name: str) -> SlimVariable:
        """The variable with TF name ``name`` (``slim.get_unique_variable(name, model=self)``).

        Raises:
          VariableNotFoundError: naming the variable, if the model has none of that name; a
            ``ValueError`` as ``get_unique_variable`` raises, and a ``KeyError`` as a lookup by key.
        """
        return queries.get_unique_variable(name, model=self)

    def regularization_losses(self, scope: Optional[str] = None) -> List[torch.Tensor]:
        """The regularizers' losses on the variables' current values (``REGULARIZATION_LOSSES``).

        Args:
          scope: if given, only variables whose name starts with it.

        Returns:
          A list of scalar tensors (empty when no variable has a regularizer).
        """
        losses = []
        for var in self.variable_store.variables.values():
            if scope is not None and not var.name.startswith(scope):
                continue
            loss = var.regularization_loss()
            if loss is not None:
                losses.append(loss)
        return losses

    def save_checkpoint(self, path: str, global_step: Optional[int] = None, **kwargs: Any) -> str:
        """Writes the variables as a TF checkpoint (see :func:`torchslim.checkpoint.save_checkpoint`)."""
        from torchslim import checkpoint

        return checkpoint.save_checkpoint(self, path, global_step=global_step, **kwargs)

    def extra_repr(self) -> str:
        name = getattr(self._fn, "__name__", type(self._fn).__name__)
        return f"fn={name}, variables={len(self.variable_store.variables)}"


class _EagerCall(nn.Module):
    """What ``torch.export`` traces: the model's eager call (parameters under ``model.``)."""

    def __init__(self, model: Model):
        super().__init__()
        self.model = model

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.model._run(inputs, kwargs, dry_run=False)


def _signature(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return ("T", tuple(value.shape), value.dtype, value.device, value.requires_grad)
    if isinstance(value, (list, tuple)):
        return (type(value).__name__,) + tuple(_signature(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple((k, _signature(v)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    try:
        hash(value)
        return value
    except TypeError:
        return ("id", id(value))


class _CompiledCalls:
    """The compiled graphs of a :class:`Model`, one per call signature (see :meth:`Model.compile`)."""

    def __init__(self, model: Model, mode: str, kwargs: Dict[str, Any]):
        self.model = model
        self.mode = mode
        self.kwargs = dict(kwargs)
        self.graphs: Dict[Any, Callable] = {}

    def _options(self, freeze: bool) -> Dict[str, Any]:
        kwargs = dict(self.kwargs)
        if self.mode not in ("inference", "training"):
            kwargs.setdefault("mode", self.mode)
        if freeze:
            options = dict(kwargs.get("options") or {})
            options.setdefault("freezing", True)
            kwargs["options"] = options
        return kwargs

    def __call__(self, inputs, kwargs):
        model = self.model
        if not model.built:
            model.build(*inputs, **kwargs)
        grad = torch.is_grad_enabled()
        device = _first_device(inputs) or model._default_device()
        autocast = (torch.is_autocast_enabled(device.type), torch.get_autocast_dtype(device.type))
        freeze = self.mode == "inference" and not grad
        # The weights' versions, last in the key: None for graphs that read the live weights.
        weights = (tuple((id(t), t._version) for t in model.parameters()) +
                   tuple((id(t), t._version) for t in model.buffers())) if freeze else None
        key = (_signature(inputs), _signature(kwargs), model.training, grad, autocast, is_collecting_outputs(),
               weights)
        graph = self.graphs.get(key)
        if graph is None:
            if freeze:  # drop graphs frozen with older weights (they would keep them alive)
                self.graphs = {k: g for k, g in self.graphs.items() if k[-1] is None or k[-1] == weights}
            with torch.autocast(device.type, enabled=False):
                exported = torch.export.export(_EagerCall(model), tuple(inputs), dict(kwargs), strict=False)
            graph = torch.compile(exported.module(), **self._options(freeze))
            self.graphs[key] = graph
        outputs = graph(*inputs, **kwargs)
        _losses.note_model_called(model)
        return outputs
