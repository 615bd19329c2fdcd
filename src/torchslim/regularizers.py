"""Weight regularizers under TF-Slim's names: ``f(weights) -> scalar tensor or None``.

Layers keep a regularizer with the variable it was given for; ``model.regularization_losses()``
evaluates them on the current values (TF's ``REGULARIZATION_LOSSES`` collection).
"""

from __future__ import annotations

import numbers
from typing import Callable, Iterable, List, Optional, Sequence

import torch

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization"]

Regularizer = Callable[[torch.Tensor], Optional[torch.Tensor]]


def _check_scale(scale, name: str) -> float:
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if not isinstance(scale, numbers.Real):
        raise ValueError(f"{name}: scale must be a real number, got {scale!r}")
    if scale < 0.0:
        raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
    return float(scale)


def _no_loss(_weights: torch.Tensor) -> None:
    return None


def l1_regularizer(scale: float, scope: Optional[str] = None) -> Regularizer:
    """``scale * sum(|w|)``; ``scale == 0.`` gives a regularizer that adds no loss.

    Raises:
      ValueError: for an integer or negative scale.
    """
    scale = _check_scale(scale, "l1_regularizer")
    if scale == 0.0:
        return _no_loss

    def l1(weights: torch.Tensor) -> torch.Tensor:
        return scale * weights.abs().sum()

    return l1


def l2_regularizer(scale: float, scope: Optional[str] = None) -> Regularizer:
    """``scale * sum(w**2) / 2`` (TF's ``l2_loss``); ``scale == 0.`` adds no loss.

    Raises:
      ValueError: for an integer or negative scale.
    """
    scale = _check_scale(scale, "l2_regularizer")
    if scale == 0.0:
        return _no_loss

    def l2(weights: torch.Tensor) -> torch.Tensor:
        return scale * weights.square().sum() / 2

    return l2


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0, scope: Optional[str] = None) -> Regularizer:
    """The sum of an L1 and an L2 regularizer; if one scale is 0 it is the other alone."""
    if isinstance(scale_l1, numbers.Real) and not isinstance(scale_l1, numbers.Integral) and scale_l1 == 0.0:
        return l2_regularizer(scale_l2, scope)
    if isinstance(scale_l2, numbers.Real) and not isinstance(scale_l2, numbers.Integral) and scale_l2 == 0.0:
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)])


def sum_regularizer(regularizer_list: Sequence[Optional[Regularizer]], scope: Optional[str] = None) -> Optional[Regularizer]:
    """Adds the losses of several regularizers (None entries are dropped).

    Returns:
      A regularizer, or None if the list has no regularizer.
    """
    regs = [r for r in regularizer_list if r is not None]
    if not regs:
        return None

    def summed(weights: torch.Tensor) -> Optional[torch.Tensor]:
        losses = [loss for loss in (r(weights) for r in regs) if loss is not None]
        if not losses:
            return None
        return torch.stack(losses).sum() if len(losses) > 1 else losses[0]

    return summed


def apply_regularization(regularizer: Regularizer, weights_list: Iterable) -> torch.Tensor:
    """Sums ``regularizer`` over tensors (or SlimVariables, in TF layout).

    Args:
      regularizer: a regularizer.
      weights_list: tensors or :class:`~torchslim.variables.SlimVariable` s.

    Returns:
      A scalar tensor (0 when nothing contributes).

    Raises:
      ValueError: if a regularizer returns a non-scalar.
    """
    total: List[torch.Tensor] = []
    for weights in weights_list:
        tensor = weights.tf_view() if hasattr(weights, "tf_view") else weights
        loss = regularizer(tensor)
        if loss is None:
            continue
        if loss.dim() != 0:
            raise ValueError(f"regularizer returned a non-scalar of shape {list(loss.shape)}")
        total.append(loss)
    if not total:
        return torch.zeros(())
    return torch.stack(total).sum()
