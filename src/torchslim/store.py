"""How torchslim stores TF variables: layouts, :class:`SlimVariable` and the module-tree store.

A model's variables live in a tree of :class:`ScopeModule` s under the :class:`torchslim.Model`
(one module per variable scope), as parameters (trainable) or buffers (non-trainable), so
``named_parameters()``, ``state_dict()``, optimizers and DDP see them unchanged. A
:class:`SlimVariable` describes one: its TF name and shape, and how PyTorch stores it
(``layout``: convolution kernels are OIHW in PyTorch, HWIO in TF).

This is the bottom of the variables tier: it knows nothing of scopes, calls or collections
(:mod:`torchslim.scopes`, :mod:`torchslim.queries`), and :mod:`torchslim.variables` creates the
variables it stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

__all__ = [
    "SlimVariable",
    "ScopeModule",
    "VariableStore",
    "scoped_name",
    "tf_to_torch_layout",
    "torch_to_tf_layout",
]


def scoped_name(prefix: str, name: str) -> str:
    """``prefix/name``, or ``name`` at the top (``prefix == ''``)."""
    return f"{prefix}/{name}" if prefix else name


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
            path = scoped_name(path, part)
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
        """Adds a new variable holding ``value`` (already in PyTorch layout).

        Args:
          name: the full TF name; its scope modules are made as needed.
          value: the initial value, in PyTorch layout ``layout``.
          tf_shape: the TF shape.
          layout: see :class:`SlimVariable`.
          trainable: True makes an ``nn.Parameter``, False a buffer.
          regularizer: kept with the variable (see :meth:`SlimVariable.regularization_loss`).
          collections: the TF collections it belongs to.

        Returns:
          The new :class:`SlimVariable`.

        Raises:
          ValueError: naming the variable, if a name component is empty or has a ``.``, or clashes
            with a scope or variable of the same name.
        """
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
