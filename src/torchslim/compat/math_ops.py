"""TF1's math functions (``tf.add_n``, ``tf.reduce_mean``, ``tf.matmul``, ``tf.clip_by_value``, ...).

Argument names and defaults are ``tf.compat.v1``'s (``keep_dims`` and ``reduction_indices`` are
the old spellings of ``keepdims`` and ``axis``); ``name`` arguments are accepted and ignored.
Element-wise functions that match TF exactly are torch's own (``tf.sqrt is torch.sqrt``).
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch

from torchslim.compat.array_ops import convert_to_tensor
from torchslim.compat.dtypes import as_dtype

__all__ = [
    "add", "subtract", "multiply", "divide", "truediv", "div", "floordiv", "mod", "floormod", "negative",
    "maximum", "minimum", "add_n", "abs", "sqrt", "rsqrt", "square", "exp", "log", "log1p", "pow", "sign", "floor",
    "ceil", "round", "sigmoid", "tanh", "reciprocal", "squared_difference", "clip_by_value", "clip_by_norm",
    "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_any", "reduce_all",
    "reduce_logsumexp", "argmax", "argmin", "matmul", "tensordot", "equal", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "logical_and", "logical_or", "logical_not", "logical_xor", "cumsum", "count_nonzero",
]

Axis = Union[None, int, Sequence[int]]

abs = torch.abs  # noqa: A001 - TF's name
sqrt, rsqrt, square, exp, log, log1p = torch.sqrt, torch.rsqrt, torch.square, torch.exp, torch.log, torch.log1p
sign, floor, ceil, reciprocal, negative = torch.sign, torch.floor, torch.ceil, torch.reciprocal, torch.neg
round = torch.round  # noqa: A001 - TF's name; both round half to even
sigmoid, tanh = torch.sigmoid, torch.tanh


def _binary(fn, x, y):
    if not torch.is_tensor(x):
        x = convert_to_tensor(x, None if not torch.is_tensor(y) else y.dtype)
    return fn(x, y)


def add(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x + y`` (broadcasting)."""
    return _binary(torch.add, x, y)


def subtract(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x - y`` (broadcasting)."""
    return _binary(torch.sub, x, y)


def multiply(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x * y`` (broadcasting)."""
    return _binary(torch.mul, x, y)


def divide(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x / y`` (true division, as ``tf.divide``)."""
    return _binary(torch.true_divide, x, y)


truediv = divide


def div(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``tf.compat.v1.div``: floor division for integer tensors, true division otherwise (Python 2's ``/``)."""
    x = convert_to_tensor(x)
    if x.is_floating_point() or (torch.is_tensor(y) and y.is_floating_point()):
        return torch.true_divide(x, y)
    return torch.floor_divide(x, y)


def floordiv(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x // y`` (rounding toward minus infinity)."""
    return _binary(torch.floor_divide, x, y)


def floormod(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``x mod y`` with the sign of ``y`` (Python's ``%``)."""
    return _binary(torch.remainder, x, y)


mod = floormod


def pow(x, y, name: Optional[str] = None) -> torch.Tensor:  # noqa: A001 - TF's name
    """``x ** y``."""
    return _binary(torch.pow, x, y)


def maximum(x, y, name: Optional[str] = None) -> torch.Tensor:
    """Element-wise maximum (broadcasting; ``y`` may be a number)."""
    x = convert_to_tensor(x)
    return torch.maximum(x, torch.as_tensor(y, dtype=x.dtype, device=x.device))


def minimum(x, y, name: Optional[str] = None) -> torch.Tensor:
    """Element-wise minimum (broadcasting; ``y`` may be a number)."""
    x = convert_to_tensor(x)
    return torch.minimum(x, torch.as_tensor(y, dtype=x.dtype, device=x.device))


def squared_difference(x, y, name: Optional[str] = None) -> torch.Tensor:
    """``(x - y) ** 2``."""
    return torch.square(_binary(torch.sub, x, y))


def add_n(inputs, name: Optional[str] = None) -> torch.Tensor:
    """The sum of a list of tensors of one shape.

    Raises:
      ValueError: the list is empty or the shapes differ.
    """
    inputs = [convert_to_tensor(t) for t in inputs]
    if not inputs:
        raise ValueError("tf.add_n needs at least one tensor")
    if any(t.shape != inputs[0].shape for t in inputs):
        raise ValueError(f"tf.add_n: all inputs must have one shape, got {[list(t.shape) for t in inputs]}")
    total = inputs[0]
    for t in inputs[1:]:
        total = total + t
    return total


def clip_by_value(t, clip_value_min, clip_value_max, name: Optional[str] = None) -> torch.Tensor:
    """``t`` clamped to ``[clip_value_min, clip_value_max]`` (numbers or broadcastable tensors)."""
    t = convert_to_tensor(t)
    if torch.is_tensor(clip_value_min) or torch.is_tensor(clip_value_max):
        return torch.clamp(t, torch.as_tensor(clip_value_min, dtype=t.dtype), torch.as_tensor(clip_value_max,
                                                                                               dtype=t.dtype))
    return torch.clamp(t, clip_value_min, clip_value_max)


def clip_by_norm(t, clip_norm, axes=None, name: Optional[str] = None) -> torch.Tensor:
    """``t * clip_norm / max(l2norm(t, axes), clip_norm)``."""
    t = convert_to_tensor(t)
    dims = None if axes is None else ((axes,) if isinstance(axes, int) else tuple(axes))
    norm = torch.sqrt(torch.sum(t * t, dim=dims, keepdim=True)) if dims else torch.sqrt(torch.sum(t * t))
    return t * clip_norm / torch.maximum(norm, torch.as_tensor(clip_norm, dtype=t.dtype))


def _reduce(fn, input_tensor, axis, keepdims, reduction_indices, keep_dims):
    input_tensor = convert_to_tensor(input_tensor)
    axis = reduction_indices if axis is None else axis
    keep = bool(keep_dims if keepdims is None else keepdims)
    if axis is None:
        out = fn(input_tensor)
        return out.reshape((1,) * input_tensor.dim()) if keep else out
    dims = (int(axis),) if isinstance(axis, int) or (torch.is_tensor(axis) and axis.dim() == 0) \
        else tuple(int(a) for a in axis)
    if not dims:
        return input_tensor
    return fn(input_tensor, dim=dims, keepdim=keep)


def _reducer(fn, what: str):
    def reduce(input_tensor, axis: Axis = None, keepdims: Optional[bool] = None, name: Optional[str] = None,
               reduction_indices: Axis = None, keep_dims: Optional[bool] = None) -> torch.Tensor:
        return _reduce(fn, input_tensor, axis, keepdims, reduction_indices, keep_dims)

    reduce.__name__ = f"reduce_{what}"
    reduce.__doc__ = (f"``tf.compat.v1.reduce_{what}`` over ``axis`` (all axes if None); ``keep_dims`` and "
                      f"``reduction_indices`` are the old names of ``keepdims`` and ``axis``.")
    return reduce


def _prod(x, dim=None, keepdim=False):
    if dim is None:
        return torch.prod(x)
    for d in sorted((d % x.dim() for d in dim), reverse=True):
        x = torch.prod(x, dim=d, keepdim=keepdim)
    return x


def _bool_reduce(fn):
    def reduce(x, dim=None, keepdim=False):
        x = x.bool()
        if dim is None:
            return fn(x)
        for d in sorted((d % x.dim() for d in dim), reverse=True):
            x = fn(x, dim=d, keepdim=keepdim)
        return x
    return reduce


def _mean(x, dim=None, keepdim=False):
    if x.is_floating_point() or x.is_complex():
        return torch.mean(x, dim=dim, keepdim=keepdim) if dim is not None else torch.mean(x)
    count = x.numel() if dim is None else _prod(torch.tensor(x.shape)[list(dim)]).item()
    total = torch.sum(x, dim=dim, keepdim=keepdim) if dim is not None else torch.sum(x)
    return torch.div(total, count, rounding_mode="trunc").to(x.dtype)  # TF's integer mean truncates


reduce_mean = _reducer(_mean, "mean")
reduce_sum = _reducer(torch.sum, "sum")
reduce_max = _reducer(torch.amax, "max")
reduce_min = _reducer(torch.amin, "min")
reduce_prod = _reducer(_prod, "prod")
reduce_any = _reducer(_bool_reduce(torch.any), "any")
reduce_all = _reducer(_bool_reduce(torch.all), "all")
reduce_logsumexp = _reducer(lambda x, dim=None, keepdim=False: torch.logsumexp(
    x, dim=tuple(range(x.dim())) if dim is None else dim, keepdim=keepdim), "logsumexp")


def _arg(fn, input, axis, dimension, output_type):  # noqa: A002 - TF's name
    axis = dimension if axis is None else axis
    return fn(convert_to_tensor(input), dim=0 if axis is None else int(axis)).to(as_dtype(output_type))


def argmax(input, axis=None, name: Optional[str] = None, dimension=None, output_type=torch.int64):  # noqa: A002
    """Index of the largest value along ``axis`` (default 0, as in TF; ``dimension`` is the old name)."""
    return _arg(torch.argmax, input, axis, dimension, output_type)


def argmin(input, axis=None, name: Optional[str] = None, dimension=None, output_type=torch.int64):  # noqa: A002
    """Index of the smallest value along ``axis`` (default 0, as in TF; ``dimension`` is the old name)."""
    return _arg(torch.argmin, input, axis, dimension, output_type)


def matmul(a, b, transpose_a: bool = False, transpose_b: bool = False, adjoint_a: bool = False,
           adjoint_b: bool = False, a_is_sparse: bool = False, b_is_sparse: bool = False, output_type=None,
           name: Optional[str] = None) -> torch.Tensor:
    """``a @ b`` over the last two axes, optionally transposing (``adjoint``: conjugate-transposing) either."""
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    if transpose_a or adjoint_a:
        a = a.transpose(-1, -2).conj() if adjoint_a else a.transpose(-1, -2)
    if transpose_b or adjoint_b:
        b = b.transpose(-1, -2).conj() if adjoint_b else b.transpose(-1, -2)
    return torch.matmul(a, b)


def tensordot(a, b, axes, name: Optional[str] = None) -> torch.Tensor:
    """``tf.tensordot``: contraction over ``axes`` (an int, or two lists of axes)."""
    return torch.tensordot(convert_to_tensor(a), convert_to_tensor(b), dims=axes)


def _compare(fn, what: str):
    def compare(x, y, name: Optional[str] = None) -> torch.Tensor:
        return _binary(fn, x, y)

    compare.__name__ = what
    compare.__doc__ = f"``tf.{what}``, element-wise (broadcasting); a bool tensor."
    return compare


equal = _compare(torch.eq, "equal")
not_equal = _compare(torch.ne, "not_equal")
less = _compare(torch.lt, "less")
less_equal = _compare(torch.le, "less_equal")
greater = _compare(torch.gt, "greater")
greater_equal = _compare(torch.ge, "greater_equal")
logical_and = _compare(torch.logical_and, "logical_and")
logical_or = _compare(torch.logical_or, "logical_or")
logical_xor = _compare(torch.logical_xor, "logical_xor")


def logical_not(x, name: Optional[str] = None) -> torch.Tensor:
    """Element-wise ``not``."""
    return torch.logical_not(convert_to_tensor(x))


def cumsum(x, axis: int = 0, exclusive: bool = False, reverse: bool = False, name: Optional[str] = None):
    """Cumulative sum along ``axis`` (``exclusive``: shifted by one; ``reverse``: from the end)."""
    x = convert_to_tensor(x)
    if reverse:
        x = torch.flip(x, [axis])
    out = torch.cumsum(x, dim=axis)
    if exclusive:
        out = out - x
    return torch.flip(out, [axis]) if reverse else out


def count_nonzero(input_tensor=None, axis: Axis = None, keepdims: Optional[bool] = None, dtype=torch.int64,
                  name: Optional[str] = None, reduction_indices: Axis = None, keep_dims: Optional[bool] = None,
                  input=None):  # noqa: A002
    """The number of non-zero entries over ``axis`` (all axes if None)."""
    tensor = convert_to_tensor(input if input_tensor is None else input_tensor)
    out = _reduce(torch.sum, tensor != 0, axis, keepdims, reduction_indices, keep_dims)
    return out.to(as_dtype(dtype))
