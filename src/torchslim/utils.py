"""``slim.utils``: named outputs (the ``end_points`` mechanism) and small shape helpers."""

from __future__ import annotations

import contextlib
import contextvars
from collections import OrderedDict
from typing import Any, Iterable, Iterator, Sequence, Tuple, Union

import torch

from torchslim.queries import add_to_collections
from torchslim.scopes import current_call

__all__ = [
    "collect_named_outputs",
    "collecting_outputs",
    "convert_collection_to_dict",
    "last_dimension",
    "n_positive_integers",
    "two_element_tuple",
]


_COLLECTING: contextvars.ContextVar[bool] = contextvars.ContextVar("torchslim_collecting_outputs", default=True)


@contextlib.contextmanager
def collecting_outputs(enabled: bool) -> Iterator[None]:
    """Turns :func:`collect_named_outputs` off (or on again) inside the block.

    A net's end points are collected outputs, and a model call returns them all, so every
    activation stays alive until the call returns. When only the logits are wanted (inference,
    as ``session.run(logits)`` in TF-Slim, which frees what it does not return), turning the
    collection off lets each activation go as soon as the next layer has read it: less memory,
    and no page faults for memory that would have stayed allocated. The nets then return only the
    end points they add by hand (``predictions``, ``global_pool``...). Context-local; a compiled
    model (``Model.compile``) keeps one graph for each setting.

    Args:
      enabled: False skips the collections.
    """
    token = _COLLECTING.set(bool(enabled))
    try:
        yield
    finally:
        _COLLECTING.reset(token)


def is_collecting_outputs() -> bool:
    """False inside ``collecting_outputs(False)``."""
    return _COLLECTING.get()


def collect_named_outputs(collections: Union[str, Iterable[str], None], alias: str, outputs: Any) -> Any:
    """Adds ``(alias, outputs)`` to each named collection of the running call.

    Args:
      collections: a collection name, a list of names, or None/empty (then nothing happens, as
        inside ``collecting_outputs(False)``).
      alias: the end-point name; a trailing ``/`` is removed.
      outputs: the tensor.

    Returns:
      ``outputs`` unchanged.
    """
    if collections and _COLLECTING.get():
        add_to_collections(collections, (alias.rstrip("/"), outputs))
    return outputs


def convert_collection_to_dict(collection: str, clear_collection: bool = False) -> "OrderedDict[str, Any]":
    """Returns ``OrderedDict(alias -> tensor)`` of a collection of the running call.

    Args:
      collection: the collection name.
      clear_collection: empty the collection afterwards.

    Returns:
      The aliases in collection order (a later alias of the same name wins, as in TF-Slim).
    """
    state = current_call("convert_collection_to_dict")
    items = state.collections.get(collection, [])
    result: "OrderedDict[str, Any]" = OrderedDict()
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            result[item[0]] = item[1]
    if clear_collection:
        state.collections[collection] = []
    return result


def last_dimension(shape: Union[torch.Size, Sequence[int]], min_rank: int = 1) -> int:
    """The last dimension of ``shape``.

    Args:
      shape: a shape.
      min_rank: the least rank allowed.

    Returns:
      The last dimension.

    Raises:
      ValueError: if the rank is below ``min_rank`` or the last dimension is unknown.
    """
    dims = list(shape)
    if len(dims) < min_rank:
        raise ValueError(f"rank of shape must be at least {min_rank} not: {len(dims)}")
    value = dims[-1]
    if value is None:
        raise ValueError("last dimension shape must be known but is None")
    return int(value)


def n_positive_integers(n: int, value: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    """Turns an int, or a sequence of ``n`` values convertible to int, into ``n`` positive ints.

    As TF-Slim: anything ``int()`` accepts (``np.int64(3)``, ``3.0``) counts as one value.

    Args:
      n: the length wanted (a positive int).
      value: one value for every position, or ``n`` values (list, tuple, ``torch.Size``).

    Returns:
      A tuple of ``n`` positive ints.

    Raises:
      ValueError: for a bad ``n``, a wrong length, a non-integer entry or a value below 1.
    """
    n_orig = n
    n = int(n)
    if n < 1 or n != n_orig:
        raise ValueError(f"n must be a positive integer, got {n_orig!r}")
    if isinstance(value, (list, tuple)):  # the common sequences, without an exception first
        return _positive_sequence(n, value)
    try:
        single = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _positive_sequence(n, value)
    if single < 1:
        raise ValueError(f"expected positive integer, but received {single}")
    return (single,) * n


def _positive_sequence(n: int, value) -> Tuple[int, ...]:
    try:
        values = tuple(map(int, value))
    except (TypeError, ValueError):
        raise ValueError(f"Expected sequence of {n} positive integers, but received {value!r}") from None
    if len(values) != n:
        raise ValueError(f"Expected sequence of {n} positive integers, but received {value!r}")
    if min(values) < 1:
        raise ValueError(f"expected positive integer, but received {next(x for x in values if x < 1)}")
    return values


def two_element_tuple(int_or_tuple: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """``3 -> (3, 3)``; ``[3, 5] -> (3, 5)``."""
    return n_positive_integers(2, int_or_tuple)  # type: ignore[return-value]
