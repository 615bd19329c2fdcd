"""TF's padding arithmetic and data formats, shared by every layer family.

``SAME``: ``out = ceil(in / stride)``; the total padding ``max((out - 1) * stride + (k - 1) * rate + 1 - in, 0)``
is split with the extra cell at the end (bottom/right). ``VALID``: no padding.
Channels-last tensors (NHWC) reach PyTorch's kernels as channels-first *views* (a permute, no copy),
which PyTorch treats as ``channels_last`` memory.
"""

from __future__ import annotations

import functools
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = [
    "normalize_padding",
    "same_padding",
    "conv_padding",
    "output_size",
    "is_channels_first",
    "to_channels_first",
    "to_data_format",
]

_CHANNELS_LAST = {None, "NWC", "NHWC", "NDHWC"}
_CHANNELS_FIRST = {"NCW", "NCHW", "NCDHW"}


def normalize_padding(padding: str, scope: str = "") -> str:
    """Returns ``'SAME'`` or ``'VALID'``.

    Raises:
      ValueError: naming ``scope``, for any other value.
    """
    value = str(padding).upper()
    if value not in ("SAME", "VALID"):
        raise ValueError(f"{scope or 'layer'}: padding must be 'SAME' or 'VALID', got {padding!r}")
    return value


def same_padding(in_size: int, kernel: int, stride: int, rate: int = 1) -> Tuple[int, int]:
    """TF's ``SAME`` padding for one spatial dimension.

    Returns:
      ``(before, after)``; ``after`` gets the extra cell when the total is odd.
    """
    effective = (kernel - 1) * rate + 1
    out = -(-in_size // stride)
    total = max((out - 1) * stride + effective - in_size, 0)
    return total // 2, total - total // 2


def output_size(in_size: int, kernel: int, stride: int, rate: int, padding: str) -> int:
    """Output length of a convolution or pooling along one dimension."""
    if padding == "SAME":
        return -(-in_size // stride)
    effective = (kernel - 1) * rate + 1
    return max(-(-(in_size - effective + 1) // stride), 0)


def conv_padding(
    spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], rate: Sequence[int], padding: str
) -> Tuple[Optional[List[int]], List[int]]:
    """Splits TF padding into PyTorch's symmetric ``padding`` argument plus an explicit pad.

    Args:
      spatial: input spatial sizes (channels-first order of dims, e.g. ``(H, W)``).
      kernel, stride, rate: per-dimension values.
      padding: ``'SAME'`` or ``'VALID'``.

    Returns:
      ``(explicit, symmetric)``: ``explicit`` is an ``F.pad`` list (last dimension first) or None
      when the padding is symmetric; ``symmetric`` is the per-dimension padding for the kernel call.
    """
    explicit, symmetric = _conv_padding(tuple(spatial), tuple(kernel), tuple(stride), tuple(rate), padding)
    return (None if explicit is None else list(explicit)), list(symmetric)


@functools.lru_cache(maxsize=4096)
def _conv_padding(spatial, kernel, stride, rate, padding):
    """:func:`conv_padding` on tuples, cached: a net asks the same few questions on every call."""
    if padding == "VALID":
        return None, (0,) * len(spatial)
    pairs = [same_padding(n, k, s, r) for n, k, s, r in zip(spatial, kernel, stride, rate)]
    if all(b == a for b, a in pairs):
        return None, tuple(b for b, _ in pairs)
    explicit: List[int] = []
    for before, after in reversed(pairs):
        explicit += [before, after]
    return tuple(explicit), (0,) * len(spatial)


def is_channels_first(data_format: Optional[str], scope: str = "") -> bool:
    """True for ``NCW``/``NCHW``/``NCDHW``, False for channels-last formats (and None).

    Raises:
      ValueError: for an unknown data format.
    """
    if data_format in _CHANNELS_FIRST:
        return True
    if data_format in _CHANNELS_LAST:
        return False
    raise ValueError(f"{scope or 'layer'}: Invalid data_format: {data_format!r}")


# rank -> the permutations between channels-last and channels-first
_TO_FIRST = {r: (0, r - 1, *range(1, r - 1)) for r in range(2, 9)}
_TO_LAST = {r: (0, *range(2, r), 1) for r in range(2, 9)}


def to_channels_first(x: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """A channels-first view of ``x`` (``N, C, spatial...``); no copy."""
    if channels_first:
        return x
    return x.permute(_TO_FIRST[x.dim()])


def to_data_format(y: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """Turns a channels-first result back into the caller's data format (a view)."""
    if channels_first:
        return y
    return y.permute(_TO_LAST[y.dim()])


def pad_explicit(x: torch.Tensor, explicit: Optional[List[int]], value: float = 0.0) -> torch.Tensor:
    """Applies an explicit ``F.pad`` list (or returns ``x`` when it is None)."""
    if explicit is None:
        return x
    return F.pad(x, explicit, value=value)
