"""CRC-32C (Castagnoli) and TensorFlow's masked CRC, as TF tables, bundles and TFRecords store them.

Uses the ``crc32c`` C extension when importable (~GB/s); otherwise a pure-Python
table loop (about 13 MB/s, correct but slow).
"""

from __future__ import annotations

_MASK_DELTA = 0xA282EAD8
_U32 = 0xFFFFFFFF

try:  # pragma: no cover - exercised implicitly
    from crc32c import crc32c as _c_crc32c
except ImportError:  # pragma: no cover - depends on the environment
    _c_crc32c = None


def _make_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _make_table()


def crc32c_python(data, crc: int = 0) -> int:
    """Pure-Python CRC-32C of ``data`` continuing from ``crc`` (standard streaming)."""
    state = crc ^ _U32
    table = _TABLE
    for byte in memoryview(data).cast("B"):
        state = table[(state ^ byte) & 0xFF] ^ (state >> 8)
    return state ^ _U32


def crc32c(data, crc: int = 0) -> int:
    """CRC-32C of a bytes-like object, extending ``crc`` (the CRC of earlier data).

    Args:
        data: bytes, bytearray, memoryview or a C-contiguous numpy array.
        crc: CRC of the preceding bytes, 0 to start.

    Returns:
        The unmasked CRC as an unsigned 32-bit int.
    """
    if _c_crc32c is not None:
        return _c_crc32c(data, value=crc)
    return crc32c_python(data, crc)


def mask(crc: int) -> int:
    """TensorFlow's masked CRC: rotate right by 15 bits and add a constant."""
    return ((((crc >> 15) | (crc << 17)) & _U32) + _MASK_DELTA) & _U32


def unmask(masked: int) -> int:
    """Inverse of :func:`mask`."""
    rot = (masked - _MASK_DELTA) & _U32
    return ((rot >> 17) | (rot << 15)) & _U32


def masked_crc32c(data) -> int:
    """``mask(crc32c(data))``: the form every CRC takes on disk."""
    return mask(crc32c(data))
