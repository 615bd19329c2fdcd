"""Initializers under TF's names: ``f(shape, dtype=None, partition_info=None) -> torch.Tensor``.

Shapes are TF shapes (HWIO for conv kernels), so fans are computed as TF computes them.
A ``seed`` makes an initializer reproducible on its own; without one, the global torch RNG is used
(``torch.manual_seed`` makes the whole model reproducible).
"""

from __future__ import annotations

import math
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import torch

__all__ = [
    "xavier_initializer",
    "xavier_initializer_conv2d",
    "variance_scaling_initializer",
    "keras_variance_scaling",
    "zeros_initializer",
    "ones_initializer",
    "constant_initializer",
    "truncated_normal_initializer",
    "random_normal_initializer",
    "random_uniform_initializer",
    "glorot_uniform_initializer",
    "glorot_normal_initializer",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
]

Initializer = Callable[..., torch.Tensor]


def _dtype(dtype) -> torch.dtype:
    if dtype is None:
        return torch.float32
    if isinstance(dtype, torch.dtype):
        return dtype
    return torch.from_numpy(np.zeros((), dtype=np.dtype(dtype))).dtype


def _generator(seed: Optional[int]) -> Optional[torch.Generator]:
    if seed is None:
        return None
    gen = torch.Generator()
    gen.manual_seed(int(seed))
    return gen


def _check_float(dtype: torch.dtype, what: str) -> None:
    if not dtype.is_floating_point:
        raise TypeError(f"Cannot create initializer for non-floating point type. ({what}, {dtype})")


def _truncated_normal(shape, mean, stddev, dtype, gen) -> torch.Tensor:
    """Normal values re-drawn outside two standard deviations (TF's truncated_normal).

    Only the ~4.6% of values that fall outside are drawn again, round after round, which is
    several times faster than ``torch.nn.init.trunc_normal_``'s inverse-CDF transform.
    """
    out = torch.randn(int(np.prod(shape, dtype=np.int64)), generator=gen)
    outside = (out.abs() > 2.0).nonzero().squeeze(1)
    while outside.numel():
        redrawn = torch.randn(outside.numel(), generator=gen)
        out[outside] = redrawn
        outside = outside[redrawn.abs() > 2.0]
    return (out.view(tuple(shape)) * stddev + mean).to(dtype)


def _fans(shape: Sequence[int]) -> Tuple[float, float]:
    if not shape:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = float(np.prod(shape[:-2])) if len(shape) > 2 else 1.0
    return shape[-2] * receptive, shape[-1] * receptive


def variance_scaling_initializer(factor: float = 2.0, mode: str = "FAN_IN", uniform: bool = False,
                                 seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """TF-Slim's variance scaling: variance ``factor / n``.

    Args:
      factor: the scale (2.0 is He/MSRA).
      mode: ``FAN_IN``, ``FAN_OUT`` or ``FAN_AVG`` (``n`` = fan_in, fan_out or their mean).
      uniform: U(-sqrt(3 factor/n), +sqrt(3 factor/n)) if True; else truncated normal with
        stddev sqrt(1.3 factor / n) (the 1.3 makes up for the truncation at 2 sigma).
      seed: optional seed.
      dtype: a floating dtype.

    Returns:
      An initializer.

    Raises:
      TypeError: for a non-float dtype or an unknown mode.
    """
    _check_float(_dtype(dtype), "variance_scaling_initializer")
    if mode not in ("FAN_IN", "FAN_OUT", "FAN_AVG"):
        raise TypeError(f"Unknown mode {mode} [FAN_IN, FAN_OUT, FAN_AVG]")

    def init(shape, dtype=dtype, partition_info=None):
        dtype = _dtype(dtype)
        _check_float(dtype, "variance_scaling_initializer")
        fan_in, fan_out = _fans(list(shape))
        n = {"FAN_IN": fan_in, "FAN_OUT": fan_out, "FAN_AVG": (fan_in + fan_out) / 2.0}[mode]
        gen = _generator(seed)
        if uniform:
            limit = math.sqrt(3.0 * factor / n)
            out = torch.empty(tuple(shape), dtype=torch.float32).uniform_(-limit, limit, generator=gen)
            return out.to(dtype)
        return _truncated_normal(shape, 0.0, math.sqrt(1.3 * factor / n), dtype, gen)

    return init


def xavier_initializer(uniform: bool = True, seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """Glorot/Xavier: ``variance_scaling_initializer(1.0, 'FAN_AVG', uniform)``.

    The default ``weights_initializer`` of conv2d, fully_connected and their relatives.
    """
    return variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer


def zeros_initializer(dtype=torch.float32) -> Initializer:
    """All zeros."""
    return constant_initializer(0.0, dtype=dtype)


def ones_initializer(dtype=torch.float32) -> Initializer:
    """All ones."""
    return constant_initializer(1.0, dtype=dtype)


def constant_initializer(value=0, dtype=torch.float32, verify_shape: bool = False) -> Initializer:
    """A constant, as ``tf.compat.v1.constant_initializer`` in a graph.

    A scalar fills the variable. An array is laid out in row-major order over the variable's shape;
    if it has fewer elements, its last element fills the rest (TF's documented behaviour).

    Args:
      value: a scalar or an array (nested lists, numpy, tensor).
      dtype: the default dtype.
      verify_shape: if True, an array must have exactly the variable's shape.

    Returns:
      An initializer. When called it raises ValueError for more elements than the shape holds,
      and TypeError for a shape that ``verify_shape`` rejects.
    """

    def init(shape, dtype=dtype, partition_info=None):
        dtype = _dtype(dtype)
        shape = tuple(int(d) for d in shape)
        array = np.asarray(value)
        if verify_shape and array.shape != shape:
            raise TypeError(f"Expected Tensor's shape: {shape}, but got {array.shape}.")
        if array.ndim == 0:
            return torch.full(shape, float(array) if dtype.is_floating_point else int(array), dtype=dtype)
        size = int(np.prod(shape))
        if array.size > size:
            raise ValueError(f"Too many elements provided. Needed at most {size}, but received {array.size}")
        flat = array.reshape(-1)
        if flat.size < size:
            flat = np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)])
        return torch.as_tensor(flat.reshape(shape)).to(dtype)

    return init


def truncated_normal_initializer(mean: float = 0.0, stddev: float = 1.0, seed: Optional[int] = None,
                                 dtype=torch.float32) -> Initializer:
    """Normal(mean, stddev) with values beyond two stddevs re-drawn."""

    def init(shape, dtype=dtype, partition_info=None):
        return _truncated_normal(shape, mean, stddev, _dtype(dtype), _generator(seed))

    return init


def random_normal_initializer(mean: float = 0.0, stddev: float = 1.0, seed: Optional[int] = None,
                              dtype=torch.float32) -> Initializer:
    """Normal(mean, stddev)."""

    def init(shape, dtype=dtype, partition_info=None):
        out = torch.empty(tuple(shape), dtype=torch.float32).normal_(mean, stddev, generator=_generator(seed))
        return out.to(_dtype(dtype))

    return init


def random_uniform_initializer(minval: float = 0.0, maxval: Optional[float] = None, seed: Optional[int] = None,
                               dtype=torch.float32) -> Initializer:
    """Uniform on [minval, maxval) (maxval defaults to 1)."""
    high = 1.0 if maxval is None else maxval

    def init(shape, dtype=dtype, partition_info=None):
        out = torch.empty(tuple(shape), dtype=torch.float32).uniform_(minval, high, generator=_generator(seed))
        return out.to(_dtype(dtype))

    return init


def keras_variance_scaling(scale: float, mode: str, distribution: str, seed: Optional[int] = None,
                           dtype=torch.float32) -> Initializer:
    """``tf.keras`` / TF1 core ``init_ops`` VarianceScaling: variance ``scale / max(1, n)``.

    Not TF-Slim's :func:`variance_scaling_initializer` (``factor``, ``FAN_IN``, ``uniform``); this is
    what :mod:`torchslim.tf_layers.init_ops` and the glorot/he/lecun initializers build on.

    Args:
      scale: the variance numerator.
      mode: ``'fan_in'``, ``'fan_out'`` or ``'fan_avg'`` (``n``; a conv kernel's fans include its
        receptive field).
      distribution: ``'uniform'`` (``+-sqrt(3 * variance)``), ``'untruncated_normal'``, or
        ``'truncated_normal'`` (stddev corrected by 0.8796 to keep the variance, cut at 2 stddevs).
      seed: optional seed.
      dtype: the default dtype.

    Returns:
      An initializer.
    """

    def init(shape, dtype=dtype, partition_info=None):
        dtype = _dtype(dtype)
        fan_in, fan_out = _fans(list(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[mode]
        variance = scale / max(1.0, n)
        gen = _generator(seed)
        if distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return torch.empty(tuple(shape)).uniform_(-limit, limit, generator=gen).to(dtype)
        if distribution == "untruncated_normal":
            return torch.empty(tuple(shape)).normal_(0.0, math.sqrt(variance), generator=gen).to(dtype)
        return _truncated_normal(shape, 0.0, math.sqrt(variance) / 0.87962566103423978, dtype, gen)

    return init


def glorot_uniform_initializer(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """Glorot uniform (``tf.glorot_uniform_initializer``): U(±sqrt(6/(fan_in+fan_out)))."""
    return keras_variance_scaling(1.0, "fan_avg", "uniform", seed, dtype)


def glorot_normal_initializer(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """Glorot normal (truncated): stddev sqrt(2/(fan_in+fan_out)) / 0.8796."""
    return keras_variance_scaling(1.0, "fan_avg", "truncated_normal", seed, dtype)


def he_normal(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """He normal (truncated): variance 2/fan_in."""
    return keras_variance_scaling(2.0, "fan_in", "truncated_normal", seed, dtype)


def he_uniform(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """He uniform: U(±sqrt(6/fan_in))."""
    return keras_variance_scaling(2.0, "fan_in", "uniform", seed, dtype)


def lecun_normal(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """LeCun normal (truncated): variance 1/fan_in."""
    return keras_variance_scaling(1.0, "fan_in", "truncated_normal", seed, dtype)


def lecun_uniform(seed: Optional[int] = None, dtype=torch.float32) -> Initializer:
    """LeCun uniform: U(±sqrt(3/fan_in))."""
    return keras_variance_scaling(1.0, "fan_in", "uniform", seed, dtype)
