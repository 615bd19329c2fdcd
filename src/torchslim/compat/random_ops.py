"""TF1's random tensors (``tf.random_uniform``, ``tf.random_normal``, ``tf.truncated_normal``) and their
TF2 names under ``tf.random``.

Draws come from torch's generator, so they are not TF's numbers for the same seed: ``seed`` and
``tf.set_random_seed`` seed torch's generator (a given ``seed`` uses its own generator for that call).
"""

from __future__ import annotations

import types
from typing import Optional

import torch

from torchslim.compat.array_ops import convert_to_tensor
from torchslim.compat.dtypes import as_dtype

__all__ = ["random_uniform", "random_normal", "truncated_normal", "set_random_seed", "random_shuffle", "random"]


def _shape(shape):
    if torch.is_tensor(shape):
        return [int(v) for v in shape.reshape(-1).tolist()]
    return [int(v) for v in ([shape] if isinstance(shape, int) else shape)]


def _generator(seed: Optional[int]) -> Optional[torch.Generator]:
    return None if seed is None else torch.Generator().manual_seed(int(seed))


def random_uniform(shape, minval=0, maxval=None, dtype=torch.float32, seed: Optional[int] = None,
                   name: Optional[str] = None) -> torch.Tensor:
    """Uniform values in ``[minval, maxval)`` (``maxval`` defaults to 1 for floats).

    Raises:
      ValueError: an integer dtype without ``maxval``.
    """
    dtype = as_dtype(dtype)
    dims = _shape(shape)
    if not dtype.is_floating_point:
        if maxval is None:
            raise ValueError("tf.random_uniform: an integer dtype needs maxval")
        return torch.randint(int(minval), int(maxval), dims, dtype=dtype, generator=_generator(seed))
    maxval = 1 if maxval is None else maxval
    values = torch.rand(dims, dtype=dtype, generator=_generator(seed))
    return values * (convert_to_tensor(maxval, dtype) - minval) + minval


def random_normal(shape, mean=0.0, stddev=1.0, dtype=torch.float32, seed: Optional[int] = None,
                  name: Optional[str] = None) -> torch.Tensor:
    """Normal values with ``mean`` and ``stddev``."""
    values = torch.randn(_shape(shape), dtype=as_dtype(dtype), generator=_generator(seed))
    return values * stddev + mean


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=torch.float32, seed: Optional[int] = None,
                     name: Optional[str] = None) -> torch.Tensor:
    """Normal values with ``mean`` and ``stddev``, redrawn where more than two stddevs from the mean."""
    values = torch.empty(_shape(shape), dtype=as_dtype(dtype))
    torch.nn.init.trunc_normal_(values, 0.0, 1.0, -2.0, 2.0, generator=_generator(seed))
    return values * stddev + mean


def random_shuffle(value, seed: Optional[int] = None, name: Optional[str] = None) -> torch.Tensor:
    """``value`` with its first axis shuffled."""
    value = convert_to_tensor(value)
    return value[torch.randperm(value.shape[0], generator=_generator(seed))]


def set_random_seed(seed: int) -> None:
    """``tf.set_random_seed``: seeds torch's global generator (not TF's op-level seeding scheme)."""
    torch.manual_seed(int(seed))


def _uniform_v2(shape, minval=0, maxval=None, dtype=torch.float32, seed=None, name=None):
    return random_uniform(shape, minval, maxval, dtype, seed, name)


random = types.SimpleNamespace(
    uniform=random_uniform, normal=random_normal, truncated_normal=truncated_normal, shuffle=random_shuffle,
    set_seed=set_random_seed, set_random_seed=set_random_seed)
random.__doc__ = "``tf.random``: TF2's names of the random functions."
