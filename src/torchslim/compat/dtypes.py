"""TF's dtype names (``tf.float32``, ``tf.int32``, ...) as torch dtypes, and ``tf.as_dtype``."""

from __future__ import annotations

import torch

__all__ = ["float16", "half", "bfloat16", "float32", "float64", "double", "int8", "int16", "int32", "int64",
           "uint8", "bool", "complex64", "complex128", "as_dtype", "DType"]

float16 = half = torch.float16
bfloat16 = torch.bfloat16
float32 = torch.float32
float64 = double = torch.float64
int8, int16, int32, int64, uint8 = torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8
bool = torch.bool  # noqa: A001 - TF's name (tf.bool)
complex64, complex128 = torch.complex64, torch.complex128
DType = torch.dtype

_BY_NAME = {"float16": float16, "half": half, "bfloat16": bfloat16, "float32": float32, "float": float32,
            "float64": float64, "double": float64, "int8": int8, "int16": int16, "int32": int32, "int64": int64,
            "uint8": uint8, "bool": torch.bool, "complex64": complex64, "complex128": complex128}


def as_dtype(type_value) -> torch.dtype:
    """``tf.as_dtype``: a torch dtype from a torch dtype, a TF dtype name (``'float32'``) or a numpy dtype.

    Raises:
      TypeError: naming the value that is not a dtype.
    """
    if isinstance(type_value, torch.dtype):
        return type_value
    name = getattr(type_value, "name", None) or (type_value if isinstance(type_value, str) else None)
    if name is None and isinstance(type_value, type):
        name = {float: "float32", int: "int32", type(True): "bool"}.get(type_value) or type_value.__name__
    if name in _BY_NAME:
        return _BY_NAME[name]
    raise TypeError(f"tf.as_dtype: cannot convert {type_value!r} to a dtype")
