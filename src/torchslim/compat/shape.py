"""``tf.TensorShape`` and ``tf.Dimension``, and the TF shape methods on torch tensors.

TF model code asks a tensor for its static shape: ``x.get_shape().as_list()``,
``x.get_shape()[3].value``, ``x.shape.ndims``, ``x.get_shape().assert_has_rank(4)``,
``x.set_shape([None, 7, 7, 512])``. Eagerly every shape is fully known, so these are exact.

Mechanism (:func:`add_tensor_methods`, run once when :mod:`torchslim.compat` is imported): only
*new* names are added, so nothing that plain PyTorch code already calls changes.

- ``torch.Tensor`` (a Python class) gets ``get_shape()`` (a :class:`TensorShape`) and
  ``set_shape(shape)`` (a check: a ValueError when the shapes are incompatible, never a reshape).
- ``torch.Size`` (a C type whose attributes cannot be set from Python) gets the read-only
  ``TensorShape`` queries TF code calls on ``tensor.shape``: ``as_list()``, ``ndims``, ``rank``,
  ``dims``, ``num_elements()``, ``is_fully_defined()``, ``assert_is_fully_defined()``,
  ``is_compatible_with()``, ``assert_has_rank()``, ``assert_is_compatible_with()``, ``with_rank()``.
  They are put in the type's own dictionary (the names are checked to be absent first) and the type cache is
  refreshed; ``x.shape[i]`` stays a plain ``int``, ``x.shape == (2, 3)`` and every existing
  ``torch.Size`` behaviour are untouched. ``x.shape[i].value`` (TF1's Dimension on ``.shape``)
  cannot work on an ``int``; write ``x.get_shape()[i].value`` or ``x.shape[i]``.
"""

from __future__ import annotations

import ctypes
import gc
from typing import Iterable, List, Optional, Sequence, Union

import torch

__all__ = ["Dimension", "TensorShape", "as_shape", "dimension_value", "add_tensor_methods"]


class Dimension(int):
    """A known size of one axis: an ``int`` with TF1's ``.value``."""

    __slots__ = ()

    @property
    def value(self) -> int:
        """The size as a plain ``int`` (TF1 code writes ``shape[3].value``)."""
        return int(self)

    def __repr__(self) -> str:
        return f"Dimension({int(self)})"


def dimension_value(dimension) -> Optional[int]:
    """``tf.compat.dimension_value``: the ``int`` (or None) of a Dimension, int or None."""
    return None if dimension is None else int(dimension)


ShapeLike = Union["TensorShape", torch.Size, Sequence[Optional[int]], None]


class TensorShape:
    """The static shape of a tensor, as ``tf.TensorShape`` (``None`` marks an unknown size).

    Args:
      dims: a sequence of sizes (ints, Dimensions or None), or None for an unknown rank.
    """

    __slots__ = ("_dims",)

    def __init__(self, dims: Optional[Iterable] = None):
        self._dims = None if dims is None else tuple(dimension_value(d) for d in dims)

    # -- queries -------------------------------------------------------------------------------------------------
    @property
    def dims(self) -> Optional[List[Optional[Dimension]]]:
        """The sizes as Dimensions (None where unknown), or None for an unknown rank."""
        return None if self._dims is None else [None if d is None else Dimension(d) for d in self._dims]

    @property
    def ndims(self) -> Optional[int]:
        """The rank, or None when unknown."""
        return None if self._dims is None else len(self._dims)

    rank = ndims

    def as_list(self) -> List[Optional[int]]:
        """The sizes as a list of ``int`` (None where unknown).

        Raises:
          ValueError: the rank is unknown.
        """
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def is_fully_defined(self) -> bool:
        """Whether the rank and every size are known."""
        return self._dims is not None and None not in self._dims

    def assert_is_fully_defined(self) -> None:
        """Raises ValueError unless :meth:`is_fully_defined`."""
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    def num_elements(self) -> Optional[int]:
        """The number of elements, or None when not fully defined."""
        if not self.is_fully_defined():
            return None
        count = 1
        for d in self._dims:
            count *= d
        return count

    def is_compatible_with(self, other: ShapeLike) -> bool:
        """Whether both shapes could describe the same tensor (None matches anything)."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def assert_is_compatible_with(self, other: ShapeLike) -> None:
        """Raises ValueError unless :meth:`is_compatible_with`."""
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def assert_has_rank(self, rank: int) -> None:
        """Raises ValueError unless the rank is ``rank`` (or unknown)."""
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank: int) -> "TensorShape":
        """This shape, checked to have rank ``rank``."""
        self.assert_has_rank(rank)
        return self if self._dims is not None else TensorShape([None] * rank)

    def with_rank_at_least(self, rank: int) -> "TensorShape":
        """This shape, checked to have rank ``rank`` or more."""
        if self._dims is not None and len(self._dims) < rank:
            raise ValueError(f"Shape {self} must have rank at least {rank}")
        return self

    def merge_with(self, other: ShapeLike) -> "TensorShape":
        """The most specific shape compatible with both."""
        other = as_shape(other)
        self.assert_is_compatible_with(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other: ShapeLike) -> "TensorShape":
        """This shape followed by ``other``."""
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    # -- sequence protocol ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(self.dims)

    def __getitem__(self, key):
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        size = self._dims[key]
        return None if size is None else Dimension(size)

    def __eq__(self, other) -> bool:
        try:
            other = as_shape(other)
        except TypeError:
            return NotImplemented
        return self._dims == other._dims

    def __hash__(self) -> int:
        return hash(self._dims)

    def __bool__(self) -> bool:
        return self._dims is not None

    def __repr__(self) -> str:
        return f"TensorShape({None if self._dims is None else list(self._dims)})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        sizes = ", ".join("?" if d is None else str(d) for d in self._dims)
        return f"({sizes},)" if len(self._dims) == 1 else f"({sizes})"


def as_shape(shape: ShapeLike) -> TensorShape:
    """``shape`` as a :class:`TensorShape` (a TensorShape, torch.Size, list, tuple or None)."""
    if isinstance(shape, TensorShape):
        return shape
    if shape is None:
        return TensorShape(None)
    if isinstance(shape, (int, Dimension)):
        return TensorShape([shape])
    try:
        return TensorShape(list(shape))
    except TypeError as err:
        raise TypeError(f"cannot convert {shape!r} to a TensorShape") from err


# -- the methods added to torch types -----------------------------------------------------------------------------
def _get_shape(self: torch.Tensor) -> TensorShape:
    """``tensor.get_shape()``: the shape as a ``tf.TensorShape`` (``[3]`` is a Dimension with ``.value``)."""
    return TensorShape(self.shape)


def _set_shape(self: torch.Tensor, shape: ShapeLike) -> None:
    """``tensor.set_shape(shape)``: checks that ``shape`` is compatible with the tensor's (None matches).

    Raises:
      ValueError: naming both shapes when they differ.
    """
    if not TensorShape(self.shape).is_compatible_with(shape):
        raise ValueError(f"set_shape: the tensor's shape {list(self.shape)} is not compatible with "
                         f"{as_shape(shape)} (set_shape only checks eagerly; reshape with tf.reshape)")


def _size_method(name: str):
    def method(self, *args):
        return getattr(TensorShape(self), name)(*args)

    method.__name__ = name
    method.__doc__ = f"``tf.TensorShape.{name}`` on a torch.Size (added by torchslim.compat)."
    return method


def _size_property(name: str) -> property:
    return property(lambda self: getattr(TensorShape(self), name),
                    doc=f"``tf.TensorShape.{name}`` on a torch.Size (added by torchslim.compat).")


_SIZE_PROPERTIES = ("ndims", "rank", "dims")
_SIZE_METHODS = ("as_list", "is_fully_defined", "assert_is_fully_defined", "num_elements", "is_compatible_with",
                 "assert_is_compatible_with", "assert_has_rank", "with_rank")
_added = False


def _type_dict(cls: type) -> dict:
    """The real dictionary behind ``cls.__dict__`` (a read-only proxy for C types)."""
    (namespace,) = [ref for ref in gc.get_referents(cls.__dict__) if isinstance(ref, dict)]
    return namespace


def add_tensor_methods() -> None:
    """Adds ``get_shape`` / ``set_shape`` to ``torch.Tensor`` and the TensorShape queries to ``torch.Size``.

    Idempotent. Only names that the types do not have are added.

    Raises:
      RuntimeError: a name to add already exists on the torch type (a torch version that defines it).
    """
    global _added
    if _added:
        return
    size_names = {**{n: _size_property(n) for n in _SIZE_PROPERTIES},
                  **{n: _size_method(n) for n in _SIZE_METHODS}}
    clashes = [f"torch.Tensor.{n}" for n in ("get_shape", "set_shape") if hasattr(torch.Tensor, n)]
    clashes += [f"torch.Size.{n}" for n in size_names if hasattr(torch.Size, n)]
    if clashes:
        raise RuntimeError(f"torchslim.compat would shadow existing torch names: {', '.join(clashes)}")
    torch.Tensor.get_shape = _get_shape
    torch.Tensor.set_shape = _set_shape
    _type_dict(torch.Size).update(size_names)
    ctypes.pythonapi.PyType_Modified(ctypes.py_object(torch.Size))
    _added = True
