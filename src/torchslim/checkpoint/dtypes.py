"""TensorFlow ``DataType`` enum values and their numpy storage types."""

from __future__ import annotations

import numpy as np

DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8, DT_STRING = 1, 2, 3, 4, 5, 6, 7
DT_COMPLEX64, DT_INT64, DT_BOOL, DT_BFLOAT16, DT_UINT16, DT_COMPLEX128, DT_HALF = 8, 9, 10, 14, 17, 18, 19
DT_UINT32, DT_UINT64 = 22, 23

#: TF enum -> (name, numpy storage dtype on disk, little-endian).
_TABLE = {
    1: ("float32", "<f4"), 2: ("float64", "<f8"), 3: ("int32", "<i4"), 4: ("uint8", "u1"),
    5: ("int16", "<i2"), 6: ("int8", "i1"), 7: ("string", None), 8: ("complex64", "<c8"),
    9: ("int64", "<i8"), 10: ("bool", "?"), 11: ("qint8", "i1"), 12: ("quint8", "u1"),
    13: ("qint32", "<i4"), 14: ("bfloat16", "<u2"), 15: ("qint16", "<i2"), 16: ("quint16", "<u2"),
    17: ("uint16", "<u2"), 18: ("complex128", "<c16"), 19: ("float16", "<f2"),
    22: ("uint32", "<u4"), 23: ("uint64", "<u8"),
}

_FROM_NUMPY = {
    np.dtype("float32"): DT_FLOAT, np.dtype("float64"): DT_DOUBLE, np.dtype("int32"): DT_INT32,
    np.dtype("uint8"): DT_UINT8, np.dtype("int16"): DT_INT16, np.dtype("int8"): DT_INT8,
    np.dtype("complex64"): DT_COMPLEX64, np.dtype("int64"): DT_INT64, np.dtype("bool"): DT_BOOL,
    np.dtype("uint16"): DT_UINT16, np.dtype("complex128"): DT_COMPLEX128, np.dtype("float16"): DT_HALF,
    np.dtype("uint32"): DT_UINT32, np.dtype("uint64"): DT_UINT64,
}


def is_supported(dtype: int) -> bool:
    """Whether the reader and writer handle this TF dtype."""
    return dtype in _TABLE


def dtype_name(dtype: int) -> str:
    """TF's name for the dtype (``'float32'``, ``'string'``, ``'bfloat16'``...)."""
    return _TABLE[dtype][0] if dtype in _TABLE else f"DataType({dtype})"


def storage_dtype(dtype: int) -> np.dtype | None:
    """The little-endian numpy dtype of one stored element; ``None`` for strings."""
    code = _TABLE[dtype][1]
    return None if code is None else np.dtype(code)


def from_numpy(dtype: np.dtype) -> int:
    """The TF enum for a numpy dtype; object/bytes/str arrays map to DT_STRING.

    Raises:
        ValueError: for a dtype TensorFlow checkpoints cannot hold.
    """
    dtype = np.dtype(dtype)
    if dtype.kind in "OSU":
        return DT_STRING
    key = dtype.newbyteorder("=") if dtype.byteorder not in "=|" else dtype
    if key not in _FROM_NUMPY:
        raise ValueError(f"dtype {dtype} cannot be stored in a TensorFlow checkpoint")
    return _FROM_NUMPY[key]


def bfloat16_to_float32(bits: np.ndarray) -> np.ndarray:
    """Widen raw bfloat16 bit patterns (uint16) to float32, exactly."""
    return (bits.astype("<u4") << 16).view("<f4")
