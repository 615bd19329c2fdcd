"""Element-wise ops with TF's semantics: dropout with a keep mask, bias over a channel axis."""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F

__all__ = ["keep_mask", "dropout", "bias_add"]


def keep_mask(inputs: torch.Tensor, keep_prob: float, noise_shape: Optional[Sequence[Optional[int]]] = None,
              seed: Optional[int] = None) -> torch.Tensor:
    """A mask of zeros and ``1 / keep_prob``: each entry kept with probability ``keep_prob``.

    Args:
      inputs: the tensor the mask is for (its shape, device and dtype).
      keep_prob: the probability of keeping an entry, in (0, 1].
      noise_shape: the mask's shape, broadcast against ``inputs`` (e.g. ``[N, 1, 1, C]``); a None
        entry takes the input's size there; None is the input's shape.
      seed: makes the mask reproducible (its own generator; the global RNG is untouched).

    Returns:
      The mask, in the inputs' dtype.
    """
    if noise_shape is None:
        shape = tuple(inputs.shape)
    else:
        shape = tuple(inputs.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    gen = None
    if seed is not None:
        gen = torch.Generator(device=inputs.device)
        gen.manual_seed(int(seed))
    random = torch.rand(shape, generator=gen, device=inputs.device)
    return (random < keep_prob).to(inputs.dtype) / keep_prob


def dropout(inputs: torch.Tensor, keep_prob: float, noise_shape: Optional[Sequence[Optional[int]]] = None,
            seed: Optional[int] = None) -> torch.Tensor:
    """``tf.nn.dropout``: keeps each entry with probability ``keep_prob``, scaled by ``1 / keep_prob``.

    Args: as :func:`keep_mask`.

    Returns:
      A tensor like ``inputs`` (``inputs`` itself when ``keep_prob`` is 1).
    """
    if keep_prob == 1.0:
        return inputs
    if noise_shape is None and seed is None:
        return F.dropout(inputs, p=1.0 - keep_prob, training=True)
    return inputs * keep_mask(inputs, keep_prob, noise_shape, seed)


def bias_add(inputs: torch.Tensor, bias: torch.Tensor, channel_axis: int = -1) -> torch.Tensor:
    """``tf.nn.bias_add``: ``bias`` (``[C]``) added along ``channel_axis`` of ``inputs``.

    Returns:
      A new tensor like ``inputs``.
    """
    shape = [1] * inputs.dim()
    shape[channel_axis] = -1
    return inputs + bias.reshape(shape)
