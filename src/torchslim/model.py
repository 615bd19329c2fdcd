"""``slim.Model``: the ``nn.Module`` that owns a TF-Slim model function and its variables."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterator, List, Optional

import torch
from torch import nn

from torchslim.arg_scope import arg_scope, current_arg_scope
from torchslim import losses as _losses
from torchslim import variables as _variables

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
        self.variable_store = _variables.VariableStore(self)

    # ------------------------------------------------------------------------------------------
    # Calling.

    @property
    def built(self) -> bool:
        """True once the first call has created the variables."""
        return self.variable_store.built

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self._run(inputs, kwargs, dry_run=False)

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
        state = _variables.CallState(store, self.training, device, dry_run=dry_run)
        call_kwargs = dict(self._fn_kwargs)
        call_kwargs.update(kwargs)
        with _variables.activate(state), arg_scope(self._saved_arg_scope):
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

    def tf_variables(self) -> "OrderedDict[str, _variables.SlimVariable]":
        """TF name -> :class:`~torchslim.variables.SlimVariable`, in creation order."""
        return OrderedDict(self.variable_store.variables)

    def variable(self, name: str) -> _variables.SlimVariable:
        """The variable with TF name ``name``.

        Raises:
          KeyError: naming the variable, if the model has none of that name.
        """
        try:
            return self.variable_store.variables[name]
        except KeyError:
            raise KeyError(f"model has no variable named {name!r}") from None

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
