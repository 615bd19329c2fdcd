"""Batch and layer normalisation arithmetic as TF computes it, on tensors with channels on dim 1.

Batch norm (``tf.nn.fused_batch_norm`` / TF-Slim's ``batch_norm``): training calls normalise by the
batch's biased variance and move the averages as ``moving = decay * moving + (1 - decay) * batch``;
TF's fused kernel puts the *unbiased* batch variance into the moving variance, its non-fused path
the biased one (``unbiased``). Inference normalises by the moving statistics.
"""

from __future__ import annotations

from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = ["batch_norm", "normalize_by_batch", "batch_moments", "update_moving_averages", "moments", "layer_norm",
           "instance_norm"]


def batch_norm(x: torch.Tensor, moving_mean: torch.Tensor, moving_variance: torch.Tensor,
               gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor], decay: float, epsilon: float,
               training: bool, update: bool, unbiased: bool) -> torch.Tensor:
    """Batch normalisation of ``x`` (channels on dim 1), updating the moving statistics in place.

    Args:
      x: ``[N, C, ...]``.
      moving_mean, moving_variance: ``[C]``; changed in place by a training call with ``update``.
      gamma, beta: ``[C]`` scale and offset, or None.
      decay: moving-average decay.
      epsilon: added to the variance.
      training: normalise by the batch's statistics (True) or the moving ones (False).
      update: in a training call, move the averages towards the batch's statistics.
      unbiased: put the unbiased batch variance into ``moving_variance`` (TF's fused kernel).

    Returns:
      A new tensor like ``x``.
    """
    if not training:
        return F.batch_norm(x, moving_mean, moving_variance, gamma, beta, False, 0.0, epsilon)
    if update and unbiased and not _one_value_per_channel(x):
        # PyTorch's kernel normalizes and updates with the unbiased variance, as TF's fused kernel.
        return F.batch_norm(x, moving_mean, moving_variance, gamma, beta, True, 1.0 - decay, epsilon)
    y = normalize_by_batch(x, gamma, beta, epsilon)
    if update:
        update_moving_averages(x, moving_mean, moving_variance, decay, unbiased)
    return y


def _one_value_per_channel(x: torch.Tensor) -> bool:
    return x.numel() == x.shape[1]


def normalize_by_batch(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor],
                       epsilon: float) -> torch.Tensor:
    """Normalisation by the batch's own mean and biased variance (channels on dim 1).

    With one value per channel (batch 1 on a 1x1 map, or a rank-2 batch of 1), which
    ``F.batch_norm`` rejects, TF's batch variance is 0 and the output is ``beta``.

    Returns:
      A new tensor like ``x``.
    """
    if not _one_value_per_channel(x):
        return F.batch_norm(x, None, None, gamma, beta, True, 0.0, epsilon)
    y = x - x                                   # x minus its own mean: zeros, still on the graph
    per_channel = (1, -1) + (1,) * (x.dim() - 2)
    if gamma is not None:
        y = y * gamma.view(per_channel)
    if beta is not None:
        y = y + beta.view(per_channel)
    return y.to(x.dtype)


def batch_moments(x: torch.Tensor, unbiased: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """The per-channel ``(mean, variance)`` of ``x`` (channels on dim 1), detached, in float32 at least.

    ``unbiased`` divides by ``max(n - 1, 1)``, as TF's fused kernel: one value per channel gives
    variance 0, not NaN.
    """
    dims = [d for d in range(x.dim()) if d != 1]
    x = x.detach().to(torch.promote_types(x.dtype, torch.float32))
    correction = 1 if unbiased and not _one_value_per_channel(x) else 0
    var, mean = torch.var_mean(x, dim=dims, correction=correction)
    return mean, var


def update_moving_averages(x: torch.Tensor, moving_mean: torch.Tensor, moving_variance: torch.Tensor, decay: float,
                           unbiased: bool) -> None:
    """``moving = decay * moving + (1 - decay) * batch`` for the mean and variance of ``x``, in place."""
    mean, var = batch_moments(x, unbiased)
    with torch.no_grad():
        moving_mean.lerp_(mean.to(moving_mean.dtype), 1.0 - decay)
        moving_variance.lerp_(var.to(moving_variance.dtype), 1.0 - decay)


def moments(x: torch.Tensor, axes: Sequence[int], keepdims: bool = False) -> Tuple[torch.Tensor, torch.Tensor]:
    """Mean and (biased) variance over ``axes``, as ``tf.nn.moments``.

    Returns:
      ``(mean, variance)``.
    """
    var, mean = torch.var_mean(x, dim=tuple(axes), correction=0, keepdim=keepdims)
    return mean, var


def layer_norm(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor], begin_norm_axis: int,
               epsilon: float = 1e-12) -> torch.Tensor:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with moments over axes ``begin_norm_axis..``.

    Args:
      x: any tensor.
      gamma, beta: broadcast against the trailing axes of ``x``, or None.
      begin_norm_axis: the first normalised axis (non-negative).
      epsilon: TF-Slim's ``layer_norm`` uses 1e-12.

    Returns:
      A new tensor like ``x``.
    """
    mean, var = moments(x, range(begin_norm_axis, x.dim()), keepdims=True)
    outputs = (x - mean) * torch.rsqrt(var + epsilon)
    if gamma is not None:
        outputs = outputs * gamma
    if beta is not None:
        outputs = outputs + beta
    return outputs


def instance_norm(x: torch.Tensor, gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor],
                  epsilon: float) -> torch.Tensor:
    """Instance normalisation (TF-Slim's ``instance_norm``): moments per example and channel.

    Args:
      x: ``[N, C, *spatial]`` (channels on dim 1).
      gamma, beta: ``[C]`` scale and offset, or None.
      epsilon: added to the (biased) variance.

    Returns:
      ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with the moments over the spatial axes.
    """
    mean, var = moments(x, range(2, x.dim()), keepdims=True)
    per_channel = (1, -1) + (1,) * (x.dim() - 2)
    inv = torch.rsqrt(var + epsilon)
    if gamma is not None:
        inv = inv * gamma.reshape(per_channel)
    offset = -mean * inv
    if beta is not None:
        offset = offset + beta.reshape(per_channel)
    return x * inv + offset


def group_norm(x: torch.Tensor, groups: int, channels_axis: int, reduction_axes: Sequence[int],
               gamma: Optional[torch.Tensor], beta: Optional[torch.Tensor], epsilon: float,
               one_pass: bool = False) -> torch.Tensor:
    """Group normalisation as tf-slim computes it (``tf_slim.layers.group_norm``).

    The channel axis is split into ``[groups, channels // groups]``; each group is normalised by
    its (biased) moments over its own channels and ``reduction_axes``, then
    ``x * gain + offset`` with ``gain = rsqrt(var + epsilon) * gamma`` and
    ``offset = beta - mean * gain``, in that order of operations, as tf-slim.

    Args:
      x: any tensor with a channel axis.
      groups: channel groups; divides the number of channels.
      channels_axis: the channel axis (non-negative).
      reduction_axes: the other axes the statistics cover (non-negative, not ``channels_axis``).
      gamma, beta: ``[channels]`` scale and offset, or None.
      epsilon: added to the variance.
      one_pass: variance as ``mean(x^2) - mean^2`` (tf-slim's ``mean_close_to_zero``,
        ``tf.nn.sufficient_statistics``) instead of ``mean((x - mean)^2)``.

    Returns:
      A new tensor like ``x``.
    """
    channels = x.shape[channels_axis]
    grouped_shape = x.shape[:channels_axis] + (groups, channels // groups) + x.shape[channels_axis + 1:]
    grouped = x.reshape(grouped_shape)
    axes = [channels_axis + 1] + [a + 1 if a > channels_axis else a for a in reduction_axes]
    if one_pass:
        mean = grouped.mean(dim=axes, keepdim=True)
        variance = (grouped * grouped).mean(dim=axes, keepdim=True) - mean * mean
    else:
        mean, variance = moments(grouped, axes, keepdims=True)
    params_shape = [1] * channels_axis + [groups, channels // groups] + [1] * (x.dim() - channels_axis - 1)
    gain = torch.rsqrt(variance + epsilon)
    offset = -mean * gain
    if gamma is not None:
        gamma = gamma.reshape(params_shape)
        gain = gain * gamma
        offset = offset * gamma
    if beta is not None:
        offset = offset + beta.reshape(params_shape)
    return (grouped * gain + offset).reshape(x.shape)


__all__ += ["group_norm"]
