"""Graph-only TF1 calls with their eager meaning: ``tf.device``, ``tf.control_dependencies``,
``tf.group``, ``tf.no_op``, ``tf.cond``, ``tf.while_loop``, ``tf.get_default_graph``.

Eagerly every op runs when it is called, in program order, so

- ``tf.control_dependencies(ops)`` is a context manager that does nothing: its ops have already run
  (batch norm's moving-average updates happen inside the training call itself);
- ``tf.group(*ops)`` and ``tf.no_op()`` return None (there is nothing left to run);
- ``tf.device(name)`` is a context manager that does nothing: tensors are where they were made;
  move a model with ``model.to(device)`` and inputs with ``x.to(device)``;
- ``tf.cond`` calls one branch and ``tf.while_loop`` loops in Python.
"""

from __future__ import annotations

import builtins
import contextlib
from typing import Any, Callable, Optional

import torch

__all__ = ["device", "control_dependencies", "group", "no_op", "cond", "while_loop", "tuple"]


@contextlib.contextmanager
def device(device_name_or_function):
    """``tf.device``: nothing to place eagerly (tensors stay where they are; use ``.to(device)``)."""
    del device_name_or_function
    yield


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """``tf.control_dependencies``: the listed ops ran already (eager order), so nothing is deferred."""
    del control_inputs
    yield


def group(*inputs, **kwargs) -> None:
    """``tf.group``: the inputs have run already; returns None (there is no op to run later)."""
    return None


def no_op(name: Optional[str] = None) -> None:
    """``tf.no_op``: None."""
    return None


def tuple(tensors, name: Optional[str] = None, control_inputs=None) -> list:  # noqa: A001 - TF's name
    """``tf.tuple``: the tensors themselves (as a list)."""
    return list(tensors)


def _truth(pred) -> bool:
    if torch.is_tensor(pred):
        if pred.numel() != 1:
            raise ValueError(f"tf.cond: pred must be a scalar, got shape {list(pred.shape)}")
        return bool(pred.item())
    return bool(pred)


def cond(pred, true_fn: Optional[Callable] = None, false_fn: Optional[Callable] = None, strict: bool = False,
         name: Optional[str] = None, fn1: Optional[Callable] = None, fn2: Optional[Callable] = None) -> Any:
    """``tf.cond``: calls ``true_fn`` or ``false_fn`` (``fn1`` / ``fn2`` are the old names) by ``pred``.

    Raises:
      TypeError: a branch function is missing.
    """
    true_fn = fn1 if true_fn is None else true_fn
    false_fn = fn2 if false_fn is None else false_fn
    if true_fn is None or false_fn is None:
        raise TypeError("tf.cond needs true_fn and false_fn")
    return true_fn() if _truth(pred) else false_fn()


def while_loop(cond: Callable, body: Callable, loop_vars, shape_invariants=None, parallel_iterations: int = 10,
               back_prop: bool = True, swap_memory: bool = False, name: Optional[str] = None,
               maximum_iterations=None, return_same_structure: bool = False):
    """``tf.while_loop``: ``while cond(*vars): vars = body(*vars)`` in Python; returns the final vars.

    As in TF1, a single loop variable (or a list of one, unless ``return_same_structure``) comes
    back as itself, not in a list.
    """
    sequence = isinstance(loop_vars, (list, builtins.tuple))
    values = list(loop_vars) if sequence else [loop_vars]
    steps = 0
    while _truth(cond(*values)) and (maximum_iterations is None or steps < int(maximum_iterations)):
        out = body(*values)
        values = list(out) if isinstance(out, (list, builtins.tuple)) else [out]
        steps += 1
    if len(values) == 1 and not (sequence and return_same_structure):
        return values[0]
    return type(loop_vars)(values) if sequence else values
