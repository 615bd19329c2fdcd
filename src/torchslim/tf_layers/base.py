"""How a ``tf.layers`` function names its scope, and the argument checks every layer shares.

TF1's ``tf.layers.conv2d(...)`` builds a legacy Keras layer and calls it once. The layer's
*variable scope* decides the variable names; Keras' own graph-wide layer name
(``backend.unique_object_name``) names nothing that a checkpoint or a model function can see. The
scope is (``keras.src.legacy_tf_layers.base.Layer._set_scope``):

- ``name`` given, layer with variables (conv, dense, batch norm pass ``_scope=name``):
  ``variable_scope(name, reuse=reuse)``, used as is (a clash is an "already exists" error);
- ``reuse`` true and no name: ``variable_scope(base_name)`` (so ``reuse=True`` finds ``conv2d``);
- otherwise ``variable_scope(None, default_name=name or base_name)``: uniquified within the
  *current variable scope* (``conv2d``, ``conv2d_1``, ...), counters restarting when an enclosing
  named scope is re-entered. Name scopes do not take part. Variable-free layers (pooling,
  dropout, flatten) always take this branch, with their ``name`` as the default name.

``base_name`` is the layer class name in snake case (``Conv2D`` -> ``conv2d``,
``BatchNormalization`` -> ``batch_normalization``, ``MaxPooling2D`` -> ``max_pooling2d``).
These rules need nothing beyond :func:`torchslim.variables.variable_scope`, whose default-name
counters are TF's ``variable_scopes_count``. ``tests/fixtures/tf_layers/layers_zoo/manifest.json``
(``naming``) records each rule as TF applied it; ``tests/tf_layers/test_naming.py`` replays them.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional, Sequence, Tuple, Union

import torch

from torchslim.ops import padding as pad
from torchslim.variables import GraphKeys, VariableScope, add_to_collection, variable_scope

__all__ = ["layer_scope", "normalize_tuple", "normalize_padding", "is_channels_first", "check_unsupported",
           "apply_activity_regularizer"]


@contextlib.contextmanager
def layer_scope(name: Optional[str], base_name: str, reuse: Any = None,
                takes_scope: bool = True) -> Iterator[VariableScope]:
    """Opens the variable scope a legacy ``tf.layers`` layer would open (rules in the module doc).

    Args:
      name: the ``name`` argument of the layer function.
      base_name: the snake-case class name (``conv2d``, ``batch_normalization``, ...).
      reuse: the ``reuse`` argument (True, ``AUTO_REUSE``, False or None).
      takes_scope: True for layers whose function passes ``_scope=name`` (those with variables).

    Yields:
      The layer's :class:`~torchslim.variables.VariableScope`.
    """
    if takes_scope and name is not None:
        scope = variable_scope(name, reuse=reuse)
    elif reuse and takes_scope:
        scope = variable_scope(base_name, reuse=reuse)
    else:
        scope = variable_scope(None, default_name=name or base_name, reuse=reuse or None)
    with scope as sc:
        yield sc


def normalize_tuple(value: Union[int, Sequence[int]], n: int, what: str, label: str,
                    allow_zero: bool = False) -> Tuple[int, ...]:
    """Keras' ``conv_utils.normalize_tuple``: an int or ``n`` ints -> a tuple of ``n`` ints.

    Raises:
      ValueError: naming the layer and argument, for a wrong length, a non-integer or a value < 1
        (< 0 with ``allow_zero``).
    """
    values = (value,) * n if isinstance(value, int) else tuple(value)
    if len(values) != n or not all(hasattr(v, "__index__") for v in values):
        raise ValueError(f"{label}: the `{what}` argument must be a tuple of {n} integers. Received: {value!r}")
    values = tuple(int(v) for v in values)
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError(f"{label}: the `{what}` argument must be a tuple of {n} integers >= {low}. "
                         f"Received: {value!r}")
    return values


def normalize_padding(padding: str, label: str) -> str:
    """``'same'``/``'valid'`` in any case -> the core's ``'SAME'``/``'VALID'``.

    Raises:
      ValueError: naming the layer, for anything else (``'causal'`` included).
    """
    value = str(padding).lower()
    if value not in ("same", "valid"):
        raise ValueError(f"{label}: the `padding` argument must be 'valid' or 'same'. Received: {padding!r}")
    return pad.normalize_padding(value, label)


def is_channels_first(data_format: Optional[str], label: str) -> bool:
    """``'channels_last'`` (or None) -> False, ``'channels_first'`` -> True (any case).

    Raises:
      ValueError: naming the layer, for any other value.
    """
    value = "channels_last" if data_format is None else str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"{label}: the `data_format` argument must be 'channels_last' or 'channels_first'. "
                         f"Received: {data_format!r}")
    return value == "channels_first"


def check_unsupported(label: str, **arguments: Any) -> None:
    """Raises a ValueError naming the first argument that is set but has no meaning here.

    Constraints are the case in point: TF1 optimizers project a variable through its constraint
    after each update; a PyTorch optimizer knows nothing of it, so silently accepting one would
    train a different model.
    """
    for what, value in arguments.items():
        if value is not None and value is not False:
            raise ValueError(f"{label}: `{what}` is not supported by torchslim.tf_layers (got {value!r})")


def apply_activity_regularizer(activity_regularizer, outputs: torch.Tensor) -> None:
    """Adds ``activity_regularizer(outputs)`` to this call's ``REGULARIZATION_LOSSES`` collection.

    As in TF1, the loss is a tensor of this call (read it with
    ``slim.get_collection(GraphKeys.REGULARIZATION_LOSSES)`` inside the model function); Keras
    divides it by the batch size.
    """
    if activity_regularizer is None:
        return
    loss = activity_regularizer(outputs)
    if loss is not None:
        add_to_collection(GraphKeys.REGULARIZATION_LOSSES, loss / outputs.shape[0])
