"""TF1's array functions (``tf.pad``, ``tf.shape``, ``tf.split``, ``tf.gather``, ...) on torch tensors.

Argument names and defaults are ``tf.compat.v1``'s; ``name`` arguments name graph ops, which do not
exist here, so they are accepted and ignored. Axes follow TF (NHWC data stays NHWC). Python
integers become ``int32`` tensors and Python floats ``float32``, as in TF.
"""

from __future__ import annotations

import builtins
from typing import List, Optional, Sequence, Union

import torch

from torchslim.compat.dtypes import as_dtype
from torchslim.compat.shape import TensorShape, as_shape

__all__ = [
    "convert_to_tensor", "constant", "zeros", "ones", "zeros_like", "ones_like", "fill", "range", "shape", "size",
    "rank", "reshape", "transpose", "expand_dims", "squeeze", "concat", "stack", "unstack", "split", "tile", "pad",
    "gather", "slice", "boolean_mask", "where", "one_hot", "identity", "cast", "to_float", "to_int32",
    "stop_gradient", "placeholder_with_default",
]

Axis = Union[None, int, Sequence[int]]


def _ints(values) -> List[int]:
    """Python ints from a list/tuple/Size/tensor of sizes (``tf.shape(x)[0]`` entries included)."""
    if torch.is_tensor(values):
        return [int(v) for v in values.reshape(-1).tolist()]
    if isinstance(values, int):
        return [values]
    return [int(v) for v in values]


def convert_to_tensor(value, dtype=None, name: Optional[str] = None, preferred_dtype=None) -> torch.Tensor:
    """``value`` as a tensor (a tensor is returned as is when its dtype matches).

    Python ints become int32 and Python floats float32, as in TF.
    """
    if torch.is_tensor(value):
        return value if dtype is None else value.to(as_dtype(dtype))
    if dtype is None and preferred_dtype is not None:
        dtype = preferred_dtype
    if dtype is not None:
        return torch.as_tensor(value, dtype=as_dtype(dtype))
    tensor = torch.as_tensor(value)
    if tensor.dtype == torch.int64 and not hasattr(value, "dtype"):
        return tensor.to(torch.int32)
    if tensor.dtype == torch.float64 and not hasattr(value, "dtype"):
        return tensor.to(torch.float32)
    return tensor


def constant(value, dtype=None, shape=None, name: str = "Const", verify_shape: bool = False) -> torch.Tensor:
    """``tf.constant``: a tensor of ``value``; a scalar or single value fills ``shape``.

    Raises:
      TypeError: ``value`` does not have ``shape`` and is not a single value (or ``verify_shape``).
    """
    tensor = convert_to_tensor(value, dtype)
    if shape is None:
        return tensor
    dims = _ints(shape)
    if list(tensor.shape) == dims:
        return tensor
    if verify_shape or tensor.numel() not in (1, _numel(dims)):
        raise TypeError(f"tf.constant: value of shape {list(tensor.shape)} does not fit shape {dims}")
    return tensor.reshape(-1).expand(_numel(dims)).reshape(dims).clone() if tensor.numel() == 1 \
        else tensor.reshape(dims)


def _numel(dims: Sequence[int]) -> int:
    count = 1
    for d in dims:
        count *= d
    return count


def zeros(shape, dtype=torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """A tensor of zeros (float32 by default)."""
    return torch.zeros(_ints(shape), dtype=as_dtype(dtype))


def ones(shape, dtype=torch.float32, name: Optional[str] = None) -> torch.Tensor:
    """A tensor of ones (float32 by default)."""
    return torch.ones(_ints(shape), dtype=as_dtype(dtype))


def zeros_like(tensor, dtype=None, name: Optional[str] = None, optimize: bool = True) -> torch.Tensor:
    """Zeros with the shape (and, unless given, dtype) of ``tensor``."""
    tensor = convert_to_tensor(tensor)
    return torch.zeros_like(tensor, dtype=None if dtype is None else as_dtype(dtype))


def ones_like(tensor, dtype=None, name: Optional[str] = None, optimize: bool = True) -> torch.Tensor:
    """Ones with the shape (and, unless given, dtype) of ``tensor``."""
    tensor = convert_to_tensor(tensor)
    return torch.ones_like(tensor, dtype=None if dtype is None else as_dtype(dtype))


def fill(dims, value, name: Optional[str] = None) -> torch.Tensor:
    """A tensor of shape ``dims`` filled with ``value`` (its dtype is ``value``'s)."""
    value = convert_to_tensor(value)
    return torch.full(_ints(dims), value.item(), dtype=value.dtype)


def range(start, limit=None, delta=1, dtype=None, name: str = "range") -> torch.Tensor:  # noqa: A001 - TF's name
    """``tf.range``: ``[start, limit)`` in steps of ``delta`` (``range(n)`` is ``[0, n)``); ints give int32."""
    if limit is None:
        start, limit = 0, start
    values = [v.item() if torch.is_tensor(v) else v for v in (start, limit, delta)]
    if dtype is None:
        dtype = torch.float32 if any(isinstance(v, float) for v in values) else torch.int32
    return torch.arange(*values, dtype=as_dtype(dtype))


def shape(input, name: Optional[str] = None, out_type=torch.int32) -> torch.Tensor:  # noqa: A002 - TF's names
    """``tf.shape``: the dynamic shape as a 1-D int32 tensor (eagerly, the static shape's values)."""
    return torch.tensor(list(convert_to_tensor(input).shape), dtype=as_dtype(out_type))


def size(input, name: Optional[str] = None, out_type=torch.int32) -> torch.Tensor:  # noqa: A002 - TF's names
    """``tf.size``: the number of elements, as a 0-d int32 tensor."""
    return torch.tensor(convert_to_tensor(input).numel(), dtype=as_dtype(out_type))


def rank(input, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002 - TF's name
    """``tf.rank``: the number of axes, as a 0-d int32 tensor."""
    return torch.tensor(convert_to_tensor(input).dim(), dtype=torch.int32)


def reshape(tensor, shape, name: Optional[str] = None) -> torch.Tensor:
    """``tensor`` with a new shape (one ``-1`` allowed), in row-major (NHWC) order."""
    return torch.reshape(convert_to_tensor(tensor), _ints(shape))


def transpose(a, perm=None, name: str = "transpose", conjugate: bool = False) -> torch.Tensor:
    """Permutes the axes (``perm=None`` reverses them)."""
    a = convert_to_tensor(a)
    dims = list(reversed(builtins.range(a.dim()))) if perm is None else _ints(perm)
    out = a.permute(dims)
    return out.conj() if conjugate else out


def expand_dims(input, axis=None, name: Optional[str] = None, dim=None) -> torch.Tensor:  # noqa: A002
    """Inserts a size-1 axis at ``axis`` (``dim`` is the old TF name).

    Raises:
      ValueError: neither ``axis`` nor ``dim`` is given.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("tf.expand_dims needs an axis")
    return torch.unsqueeze(convert_to_tensor(input), int(axis))


def squeeze(input, axis: Axis = None, name: Optional[str] = None, squeeze_dims: Axis = None):  # noqa: A002
    """Drops size-1 axes (all of them, or those in ``axis``; ``squeeze_dims`` is the old TF name).

    Raises:
      ValueError: an axis in ``axis`` does not have size 1.
    """
    axis = squeeze_dims if axis is None else axis
    input = convert_to_tensor(input)
    if axis is None:
        return torch.squeeze(input)
    dims = tuple(_ints(axis))
    for dim in dims:
        if input.shape[dim] != 1:
            raise ValueError(f"tf.squeeze: cannot squeeze axis {dim} of size {input.shape[dim]} "
                             f"(shape {list(input.shape)})")
    return torch.squeeze(input, dim=dims)


def concat(values, axis, name: str = "concat") -> torch.Tensor:
    """Joins tensors along ``axis``.

    Raises:
      TypeError: the pre-1.0 order ``tf.concat(axis, values)``.
    """
    if isinstance(values, int) and not isinstance(axis, int):
        raise TypeError("tf.concat(axis, values) is the pre-TF-1.0 argument order; write "
                        "tf.concat(values, axis)")
    return torch.cat([convert_to_tensor(v) for v in values], dim=int(axis))


def stack(values, axis: int = 0, name: str = "stack") -> torch.Tensor:
    """Stacks tensors of one shape along a new ``axis``."""
    return torch.stack([convert_to_tensor(v) for v in values], dim=axis)


def unstack(value, num: Optional[int] = None, axis: int = 0, name: str = "unstack") -> List[torch.Tensor]:
    """Splits ``value`` along ``axis`` into a list of tensors one rank lower.

    Raises:
      ValueError: ``num`` is given and differs from the axis' size.
    """
    value = convert_to_tensor(value)
    if num is not None and value.shape[axis] != num:
        raise ValueError(f"tf.unstack: num={num} but axis {axis} has size {value.shape[axis]}")
    return list(torch.unbind(value, dim=axis))


def split(value, num_or_size_splits, axis=0, num: Optional[int] = None, name: str = "split") -> List[torch.Tensor]:
    """``tf.split``: ``num_or_size_splits`` equal parts (an int) or parts of the listed sizes (one may be -1).

    Raises:
      ValueError: the axis does not divide evenly, or the sizes do not add up.
    """
    value = convert_to_tensor(value)
    axis = int(axis)
    total = value.shape[axis]
    if isinstance(num_or_size_splits, int) or (torch.is_tensor(num_or_size_splits) and num_or_size_splits.dim() == 0):
        parts = int(num_or_size_splits)
        if parts <= 0 or total % parts:
            raise ValueError(f"tf.split: axis {axis} of size {total} does not split into {parts} equal parts")
        return list(torch.split(value, total // parts, dim=axis))
    sizes = _ints(num_or_size_splits)
    if sizes.count(-1) == 1:
        sizes[sizes.index(-1)] = total - (sum(sizes) + 1)
    if sum(sizes) != total or min(sizes) < 0:
        raise ValueError(f"tf.split: sizes {_ints(num_or_size_splits)} do not add up to axis {axis}'s size {total}")
    return list(torch.split(value, sizes, dim=axis))


def tile(input, multiples, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002 - TF's name
    """Repeats ``input`` ``multiples[i]`` times along axis ``i``."""
    return convert_to_tensor(input).repeat(*_ints(multiples))


def _pad_indices(size: int, before: int, after: int, mode: str) -> torch.Tensor:
    """Source indices along one axis for REFLECT (edge not repeated) or SYMMETRIC (edge repeated) padding."""
    limit = size - 1 if mode == "REFLECT" else size
    if before > limit or after > limit:
        raise ValueError(f"tf.pad: {mode} padding of {max(before, after)} needs an axis longer than "
                         f"{max(before, after) - (mode == 'SYMMETRIC')}, got {size}")
    index = torch.arange(-before, size + after)
    if mode == "REFLECT":
        index = index.abs()
        return torch.where(index > size - 1, 2 * (size - 1) - index, index)
    index = torch.where(index < 0, -index - 1, index)
    return torch.where(index > size - 1, 2 * size - 1 - index, index)


def pad(tensor, paddings, mode: str = "CONSTANT", name: Optional[str] = None, constant_values=0) -> torch.Tensor:
    """``tf.pad``: ``paddings[i] = [before, after]`` for axis ``i``; CONSTANT, REFLECT or SYMMETRIC.

    Raises:
      ValueError: an unknown mode, a paddings shape other than ``[rank, 2]``, or a reflection longer
        than the axis allows.
    """
    tensor = convert_to_tensor(tensor)
    pairs = [_ints(p) for p in (paddings.tolist() if torch.is_tensor(paddings) else paddings)]
    if len(pairs) != tensor.dim() or any(len(p) != 2 for p in pairs):
        raise ValueError(f"tf.pad: paddings must have shape [{tensor.dim()}, 2] for a rank-{tensor.dim()} tensor, "
                         f"got {pairs}")
    mode = mode.upper()
    if mode == "CONSTANT":
        flat = [v for before, after in reversed(pairs) for v in (before, after)]
        value = constant_values.item() if torch.is_tensor(constant_values) else constant_values
        return torch.nn.functional.pad(tensor, flat, value=value)
    if mode not in ("REFLECT", "SYMMETRIC"):
        raise ValueError(f"tf.pad: unknown mode {mode!r} (CONSTANT, REFLECT or SYMMETRIC)")
    for axis, (before, after) in enumerate(pairs):
        if before or after:
            index = _pad_indices(tensor.shape[axis], before, after, mode).to(tensor.device)
            tensor = tensor.index_select(axis, index)
    return tensor


def gather(params, indices, validate_indices=None, name: Optional[str] = None, axis=None, batch_dims: int = 0):
    """``tf.gather``: slices of ``params`` along ``axis`` (default 0) at ``indices`` (any rank).

    Raises:
      ValueError: ``batch_dims`` other than 0 (write the batch loop or use ``torch.gather``).
    """
    if batch_dims:
        raise ValueError("tf.gather with batch_dims is not supported by torchslim.compat; use torch.gather")
    params = convert_to_tensor(params)
    indices = convert_to_tensor(indices).long()
    axis = 0 if axis is None else int(axis) % params.dim()
    picked = params.index_select(axis, indices.reshape(-1))
    return picked.reshape(params.shape[:axis] + indices.shape + params.shape[axis + 1:])


def slice(input_, begin, size, name: Optional[str] = None) -> torch.Tensor:  # noqa: A001 - TF's name
    """``tf.slice``: ``size[i]`` elements from ``begin[i]`` on each axis (``-1``: to the end)."""
    out = convert_to_tensor(input_)
    for axis, (start, length) in enumerate(zip(_ints(begin), _ints(size))):
        out = out.narrow(axis, start, out.shape[axis] - start if length == -1 else length)
    return out


def boolean_mask(tensor, mask, name: str = "boolean_mask", axis=None) -> torch.Tensor:
    """The entries of ``tensor`` where ``mask`` (covering its first axes) is True."""
    tensor, mask = convert_to_tensor(tensor), convert_to_tensor(mask).bool()
    axis = 0 if axis is None else int(axis)
    return tensor[(builtins.slice(None),) * axis + (mask,)]


def where(condition, x=None, y=None, name: Optional[str] = None) -> torch.Tensor:
    """``tf.compat.v1.where``: ``x`` where ``condition`` else ``y``; with neither, the True coordinates.

    As in TF1, a 1-D ``condition`` with higher-rank ``x`` picks whole rows; otherwise shapes must match.

    Raises:
      ValueError: only one of ``x`` and ``y`` is given.
    """
    condition = convert_to_tensor(condition).bool()
    if x is None and y is None:
        return torch.nonzero(condition)
    if x is None or y is None:
        raise ValueError("tf.where needs both x and y, or neither")
    x, y = convert_to_tensor(x), convert_to_tensor(y)
    if condition.dim() == 1 and x.dim() > 1:
        condition = condition.reshape((-1,) + (1,) * (x.dim() - 1))
    return torch.where(condition, x, y)


def one_hot(indices, depth: int, on_value=None, off_value=None, axis=None, dtype=None, name: Optional[str] = None):
    """``tf.one_hot``: ``on_value`` (1) at each index along a new ``axis`` (last), ``off_value`` (0) elsewhere.

    Indices outside ``[0, depth)`` give a row of ``off_value``, as in TF.
    """
    indices = convert_to_tensor(indices).long()
    dtype = as_dtype(dtype) if dtype is not None else (
        convert_to_tensor(on_value).dtype if on_value is not None else torch.float32)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    hot = indices.unsqueeze(-1) == torch.arange(int(depth), device=indices.device)
    out = torch.where(hot, torch.tensor(on, dtype=dtype), torch.tensor(off, dtype=dtype))
    return out if axis is None or axis == -1 else torch.movedim(out, -1, int(axis))


def identity(input, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002 - TF's name
    """``input`` itself."""
    return convert_to_tensor(input)


def stop_gradient(input, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002 - TF's name
    """``input`` with no gradient flowing back (``detach``)."""
    return convert_to_tensor(input).detach()


def cast(x, dtype, name: Optional[str] = None) -> torch.Tensor:
    """``x`` converted to ``dtype`` (float to int truncates toward zero, as in TF)."""
    return convert_to_tensor(x).to(as_dtype(dtype))


def to_float(x, name: str = "ToFloat") -> torch.Tensor:
    """``tf.to_float``: ``cast(x, tf.float32)``."""
    return cast(x, torch.float32)


def to_int32(x, name: str = "ToInt32") -> torch.Tensor:
    """``tf.to_int32``: ``cast(x, tf.int32)``."""
    return cast(x, torch.int32)


def placeholder_with_default(input, shape, name: Optional[str] = None) -> torch.Tensor:  # noqa: A002
    """``tf.placeholder_with_default``: eagerly nothing is fed, so the default ``input`` (checked against ``shape``)."""
    tensor = convert_to_tensor(input)
    if not TensorShape(tensor.shape).is_compatible_with(shape):
        raise ValueError(f"tf.placeholder_with_default: default of shape {list(tensor.shape)} does not fit "
                         f"{as_shape(shape)}")
    return tensor
