"""TF's padding arithmetic and data formats: what every convolution and pooling op of the tier uses.

``SAME``: ``out = ceil(in / stride)``; the total padding ``max((out - 1) * stride + (k - 1) * rate + 1 - in, 0)``
is split with the extra cell at the end (bottom/right). ``VALID``: no padding. Explicit padding:
one ``(before, after)`` pair per spatial dimension.
Channels-last tensors (NHWC) reach PyTorch's kernels as channels-first *views* (a permute, no copy),
which PyTorch treats as ``channels_last`` memory: :func:`to_channels_first` and
:func:`to_data_format`.
"""

from __future__ import annotations

import functools
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = [
    "normalize_padding",
    "normalize_conv_padding",
    "same_padding",
    "conv_padding",
    "output_size",
    "is_channels_first",
    "to_channels_first",
    "to_data_format",
    "pad_explicit",
    "pad",
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


def normalize_conv_padding(padding, rank: int, channels_first: bool, scope: str = ""):
    """A convolution's ``padding``: ``'SAME'``, ``'VALID'``, or explicit pairs, as ``tf.nn.conv2d`` takes.

    Explicit padding is one ``[before, after]`` pair per input dimension, in the layer's data format
    (``[[0, 0], [top, bottom], [left, right], [0, 0]]`` for NHWC), with zeros for the batch and
    channel dimensions.

    Args:
      padding: the layer's ``padding`` argument.
      rank: the input rank.
      channels_first: the layer's data format.
      scope: the layer scope, for messages.

    Returns:
      ``'SAME'``, ``'VALID'``, or a tuple of ``(before, after)`` pairs for the spatial dimensions
      (channels-first order).

    Raises:
      ValueError: naming ``scope``, for an unknown string, a wrong number of pairs, a negative
        amount, or padding on the batch or channel dimension.
    """
    if isinstance(padding, str):
        return normalize_padding(padding, scope)
    label = scope or "layer"
    try:
        pairs = tuple((int(before), int(after)) for before, after in padding)
    except (TypeError, ValueError):
        raise ValueError(f"{label}: padding must be 'SAME', 'VALID' or a list of [before, after] pairs, "
                         f"got {padding!r}") from None
    if len(pairs) != rank:
        raise ValueError(f"{label}: explicit padding needs {rank} [before, after] pairs (one per input "
                         f"dimension), got {len(pairs)}: {padding!r}")
    channel = 1 if channels_first else rank - 1
    if pairs[0] != (0, 0) or pairs[channel] != (0, 0):
        raise ValueError(f"{label}: explicit padding of the batch and channel dimensions must be [0, 0], "
                         f"got {padding!r}")
    if min(min(pair) for pair in pairs) < 0:
        raise ValueError(f"{label}: explicit padding must not be negative, got {padding!r}")
    spatial = pairs[2:] if channels_first else pairs[1:-1]
    return spatial


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
    spatial: Sequence[int], kernel: Sequence[int], stride: Sequence[int], rate: Sequence[int], padding
) -> Tuple[Optional[List[int]], List[int]]:
    """Splits TF padding into PyTorch's symmetric ``padding`` argument plus an explicit pad.

    Every convolution and pooling call asks, with the same few argument sets, so the split is
    computed once per set (:func:`_split_padding`, a cache of a pure function of hashable values).

    Args:
      spatial: input spatial sizes (channels-first order of dims, e.g. ``(H, W)``).
      kernel, stride, rate: per-dimension values.
      padding: ``'SAME'``, ``'VALID'``, or ``(before, after)`` pairs per spatial dimension (see
        :func:`normalize_conv_padding`).

    Returns:
      ``(explicit, symmetric)``: ``explicit`` is an ``F.pad`` list (last dimension first) or None
      when the padding is symmetric (then it goes to the kernel, no padded copy of the input);
      ``symmetric`` is the per-dimension padding for the kernel call.
    """
    pairs = padding if isinstance(padding, str) else tuple(map(tuple, padding))
    explicit, symmetric = _split_padding(tuple(spatial), tuple(kernel), tuple(stride), tuple(rate), pairs)
    return (None if explicit is None else list(explicit)), list(symmetric)


@functools.lru_cache(maxsize=4096)
def _split_padding(spatial: Tuple[int, ...], kernel: Tuple[int, ...], stride: Tuple[int, ...],
                   rate: Tuple[int, ...], padding) -> Tuple[Optional[Tuple[int, ...]], Tuple[int, ...]]:
    """:func:`conv_padding` on hashable arguments, as tuples."""
    if padding == "VALID":
        return None, (0,) * len(spatial)
    if padding == "SAME":
        pairs = [same_padding(n, k, s, r) for n, k, s, r in zip(spatial, kernel, stride, rate)]
    else:
        pairs = padding
    if all(before == after for before, after in pairs):
        return None, tuple(before for before, _ in pairs)
    explicit = tuple(amount for before, after in reversed(pairs) for amount in (before, after))
    return explicit, (0,) * len(spatial)


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


_PAD_MODES = ("CONSTANT", "REFLECT", "SYMMETRIC")


def _mirror_index(size: int, before: int, after: int, mode: str) -> torch.Tensor:
    """Source index of each cell of one padded dimension (``REFLECT`` skips the edge, ``SYMMETRIC`` repeats it)."""
    i = torch.arange(-before, size + after)
    edge = 0 if mode == "REFLECT" else 1
    i = torch.where(i < 0, -i - edge, i)
    return torch.where(i >= size, 2 * size - 2 + edge - i, i)


def pad(x: torch.Tensor, paddings: Sequence[Sequence[int]], mode: str = "CONSTANT",
        constant_values: float = 0.0) -> torch.Tensor:
    """``tf.pad``: pads every dimension of ``x`` by its ``[before, after]`` pair.

    Args:
      x: any tensor (any data format: the pairs follow its dimensions).
      paddings: one ``[before, after]`` pair per dimension of ``x``.
      mode: ``'CONSTANT'``, ``'REFLECT'`` (mirror without the edge cell: ``[1, 2, 3]`` padded by 2
        gives ``[3, 2, 1, 2, 3, 2, 1]``) or ``'SYMMETRIC'`` (mirror with it: ``[2, 1, 1, 2, 3, 3, 2]``);
        any case.
      constant_values: the fill value of ``CONSTANT``.

    Returns:
      The padded tensor.

    Raises:
      ValueError: an unknown mode, a wrong number of pairs, a negative amount, or a mirror pad
        larger than TF allows (``size - 1`` for ``REFLECT``, ``size`` for ``SYMMETRIC``).
      TypeError: a non-integer amount.
    """
    mode = str(mode).upper()
    if mode not in _PAD_MODES:
        raise ValueError(f"tf.pad: mode must be one of {', '.join(_PAD_MODES)}, got {mode!r}")
    if any(isinstance(v, float) and not float(v).is_integer() for pair in paddings for v in pair):
        raise TypeError(f"tf.pad: paddings must be integers, got {paddings!r}")
    pairs = [(int(before), int(after)) for before, after in paddings]
    if len(pairs) != x.dim():
        raise ValueError(f"tf.pad: paddings must have one [before, after] pair per dimension of the "
                         f"rank-{x.dim()} input, got {len(pairs)}")
    if pairs and min(min(pair) for pair in pairs) < 0:
        raise ValueError(f"tf.pad: paddings must be non-negative, got {pairs}")
    if mode == "CONSTANT":
        explicit: List[int] = []
        for before, after in reversed(pairs):
            explicit += [before, after]
        return F.pad(x, explicit, value=constant_values)
    limit = 1 if mode == "REFLECT" else 0
    for dim, (before, after) in enumerate(pairs):
        if before == after == 0:
            continue
        size = x.shape[dim]
        if max(before, after) > size - limit:
            raise ValueError(f"tf.pad: {mode} paddings must be at most {size - limit} for dimension {dim} "
                             f"of size {size}, got [{before}, {after}]")
        x = x.index_select(dim, _mirror_index(size, before, after, mode).to(x.device))
    return x
