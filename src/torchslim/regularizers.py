"""Weight regularizers under TF-Slim's names: ``f(weights) -> scalar tensor or None``.

Layers keep a regularizer with the variable it was given for; ``model.regularization_losses()``
evaluates them on the current values (TF's ``REGULARIZATION_LOSSES`` collection).
"""

from __future__ import annotations

import numbers
from typing import Callable, Iterable, List, Optional, Sequence

import torch

from torchslim import queries
from torchslim.scopes import active_call

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer", "sum_regularizer", "apply_regularization"]

Regularizer = Callable[[torch.Tensor], Optional[torch.Tensor]]


def _check_scale(scale, name: str):
    """TF's rules: an integer is an error, a negative number too; a tensor is used as given."""
    if isinstance(scale, torch.Tensor):
        return scale
    if isinstance(scale, numbers.Integral):
        raise ValueError(f"scale cannot be an integer: {scale}")
    if not isinstance(scale, numbers.Real):
        raise ValueError(f"{name}: scale must be a real number or a tensor, got {scale!r}")
    if scale < 0.0:
        raise ValueError(f"Setting a scale less than 0 on a regularizer: {scale}")
    return float(scale)


def _is_zero(scale) -> bool:
    return not isinstance(scale, torch.Tensor) and scale == 0.0


def _no_loss(_weights: torch.Tensor) -> None:
    return None


def _penalty(scale, what: str, penalty: Callable[[torch.Tensor], torch.Tensor]) -> Regularizer:
    """``scale * penalty(weights)`` after ``what``'s check of ``scale``; no loss for ``scale == 0.``."""
    scale = _check_scale(scale, what)
    if _is_zero(scale):
        return _no_loss

    def regularizer(weights: torch.Tensor) -> torch.Tensor:
        return scale * penalty(weights)

    return regularizer


def l1_regularizer(scale: float, scope: Optional[str] = None) -> Regularizer:
    """``scale * sum(|w|)``; ``scale == 0.`` gives a regularizer that adds no loss.

    Args:
      scale: a non-negative float, or a scalar tensor (not validated, as in TF).
      scope: unused (TF's name scope).

    Returns:
      A regularizer ``f(weights) -> scalar tensor or None``.

    Raises:
      ValueError: for an integer or negative scale.
    """
    return _penalty(scale, "l1_regularizer", lambda weights: weights.abs().sum())


def l2_regularizer(scale: float, scope: Optional[str] = None) -> Regularizer:
    """``scale * sum(w**2) / 2`` (TF's ``l2_loss``); ``scale == 0.`` adds no loss.

    Arguments, result and errors as :func:`l1_regularizer`.
    """
    return _penalty(scale, "l2_regularizer", lambda weights: weights.square().sum() / 2)


def l1_l2_regularizer(scale_l1: float = 1.0, scale_l2: float = 1.0, scope: Optional[str] = None) -> Regularizer:
    """The sum of an L1 and an L2 regularizer; if one scale is 0 it is the other alone.

    Raises:
      ValueError: for an integer or negative scale.
    """
    for name, scale in (("scale_l1", scale_l1), ("scale_l2", scale_l2)):
        if isinstance(scale, numbers.Integral):
            raise ValueError(f"{name} cannot be an integer: {scale}")
    if _is_zero(scale_l1):
        return l2_regularizer(scale_l2, scope)
    if _is_zero(scale_l2):
        return l1_regularizer(scale_l1, scope)
    return sum_regularizer([l1_regularizer(scale_l1), l2_regularizer(scale_l2)])


def sum_regularizer(regularizer_list: Sequence[Optional[Regularizer]],
                    scope: Optional[str] = None) -> Optional[Regularizer]:
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


def _weights_collection() -> list:
    """The running call's ``WEIGHTS``: variables created in it, then tensors added to it."""
    if active_call() is None:
        return []
    key = queries.GraphKeys.WEIGHTS
    return queries.get_variables(collection=key) + queries.get_collection(key)


def apply_regularization(regularizer: Regularizer, weights_list: Optional[Iterable] = None) -> torch.Tensor:
    """Sums ``regularizer`` over tensors or variables (variables are seen in TF layout).

    Unlike TF, the penalty is only returned, not put in a ``REGULARIZATION_LOSSES`` collection:
    add it to the loss yourself (``slim.losses.add_loss(penalty)``).

    Args:
      regularizer: a regularizer.
      weights_list: tensors or :class:`~torchslim.store.SlimVariable` s; None (or empty) uses
        the running model's variables in the ``WEIGHTS`` collection, as TF does.

    Returns:
      A scalar tensor (0 when every regularizer returns None).

    Raises:
      ValueError: if there are no weights, or a regularizer returns a non-scalar.
    """
    if not weights_list:
        weights_list = _weights_collection()
    if not weights_list:
        raise ValueError("No weights to regularize.")
    total: List[torch.Tensor] = []
    for weights in weights_list:
        tensor = weights.tf_view() if hasattr(weights, "tf_view") else weights
        loss = regularizer(tensor)
        if loss is None:
            continue
        if loss.dim() != 0:
            raise ValueError(f"regularizer must return a scalar Tensor instead of a Tensor with rank {loss.dim()}.")
        total.append(loss)
    if not total:
        return torch.zeros(())
    return torch.stack(total).sum()
