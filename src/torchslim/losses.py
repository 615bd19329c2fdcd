"""``slim.losses``: TF-Slim's loss functions and loss collection, with an eager meaning.

Each loss function returns its (weighted, averaged) scalar and adds it to the ``LOSSES`` collection:
the running model call's collection inside a model function, otherwise a context-local list of
losses *pending* for the next :func:`get_total_loss`, which sums them with the regularization
losses and empties the list. So TF-Slim's pattern works step after step::

    logits, _ = model(images)
    slim.losses.softmax_cross_entropy(logits, onehot_labels)
    total_loss = slim.losses.get_total_loss()        # + model.regularization_losses()

Regularization losses come from ``model=`` or, by default, from the model called last in this
context (thread / task).
"""

from __future__ import annotations

import contextvars
import weakref
from typing import List, Optional

import torch
import torch.nn.functional as F

from torchslim import variables as _variables
from torchslim.variables import GraphKeys

__all__ = [
    "add_loss", "get_losses", "get_regularization_losses", "get_total_loss", "compute_weighted_loss",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_cross_entropy", "log_loss",
    "mean_squared_error", "absolute_difference", "hinge_loss", "cosine_distance",
]

_PENDING: contextvars.ContextVar[Optional[List[torch.Tensor]]] = contextvars.ContextVar("torchslim_losses", default=None)
_LAST_MODEL: contextvars.ContextVar[Optional[weakref.ref]] = contextvars.ContextVar("torchslim_last_model", default=None)


def note_model_called(model) -> None:
    """Records ``model`` as the last model called in this context (used by :func:`get_total_loss`)."""
    _LAST_MODEL.set(weakref.ref(model))


def _collection(loss_collection: str) -> List[torch.Tensor]:
    state = _variables._CALL.get()
    if state is not None:
        return state.collections.setdefault(loss_collection, [])
    if loss_collection != GraphKeys.LOSSES:
        raise ValueError(f"outside a model function only the '{GraphKeys.LOSSES}' collection is kept, "
                         f"got {loss_collection!r}")
    pending = _PENDING.get()
    if pending is None:
        pending = []
        _PENDING.set(pending)
    return pending


def add_loss(loss: torch.Tensor, loss_collection: Optional[str] = GraphKeys.LOSSES) -> None:
    """Adds ``loss`` to a loss collection (None: add nothing)."""
    if loss_collection:
        _collection(loss_collection).append(loss)


def get_losses(scope: Optional[str] = None, loss_collection: str = GraphKeys.LOSSES) -> List[torch.Tensor]:
    """The losses collected so far (in the model call, or pending outside one)."""
    del scope
    return list(_collection(loss_collection))


def _resolve_model(model):
    if model is not None:
        return model
    state = _variables._CALL.get()
    if state is not None:
        return state.store.root
    ref = _LAST_MODEL.get()
    return ref() if ref is not None else None


def get_regularization_losses(scope: Optional[str] = None, model=None) -> List[torch.Tensor]:
    """The regularization losses of ``model`` (default: the running or last-called model)."""
    model = _resolve_model(model)
    if model is None:
        return []
    return model.regularization_losses(scope)


def get_total_loss(add_regularization_losses: bool = True, name: str = "total_loss", model=None) -> torch.Tensor:
    """Sums the collected losses (and the regularization losses) and clears the pending list.

    Args:
      add_regularization_losses: include ``model.regularization_losses()``.
      name: unused (TF op name).
      model: the model whose regularizers count (default: the running or last-called model).

    Returns:
      A scalar tensor.

    Raises:
      ValueError: if there is no loss at all.
    """
    del name
    losses = get_losses()
    if _variables._CALL.get() is None:
        _PENDING.set(None)
    if add_regularization_losses:
        losses += get_regularization_losses(model=model)
    if not losses:
        raise ValueError("No losses were added: call a slim.losses function (or add_loss) first")
    return torch.stack([loss.reshape(()).float() for loss in losses]).sum()


def _num_present(losses: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    if weights.dim() == 0:
        return torch.where(weights == 0, 0.0, float(losses.numel())).to(losses.dtype)
    shaped = weights.reshape(tuple(weights.shape) + (1,) * (losses.dim() - weights.dim()))
    return torch.broadcast_to(shaped != 0, losses.shape).sum().to(losses.dtype)


def compute_weighted_loss(losses: torch.Tensor, weights=1.0, scope: Optional[str] = None,
                          loss_collection: Optional[str] = GraphKeys.LOSSES) -> torch.Tensor:
    """Mean of ``losses * weights`` over the elements with non-zero weight; added to the collection.

    Args:
      losses: per-element losses.
      weights: a scalar or a tensor broadcastable on the leading dimensions of ``losses``.

    Returns:
      The scalar loss (0 when every weight is 0).
    """
    del scope
    losses = losses.float()
    weights = torch.as_tensor(weights, dtype=losses.dtype, device=losses.device)
    shaped = weights.reshape(tuple(weights.shape) + (1,) * (losses.dim() - weights.dim())) if weights.dim() else weights
    total = (losses * shaped).sum()
    present = _num_present(losses, weights)
    loss = torch.where(present > 0, total / torch.clamp(present, min=1.0), torch.zeros_like(total))
    add_loss(loss, loss_collection)
    return loss


def softmax_cross_entropy(logits: torch.Tensor, onehot_labels: torch.Tensor, weights=1.0,
                          label_smoothing: float = 0.0, scope: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy of ``softmax(logits)`` against one-hot labels, optionally smoothed.

    ``label_smoothing`` ls turns labels into ``onehot * (1 - ls) + ls / num_classes``.
    """
    labels = onehot_labels.to(logits.dtype)
    if label_smoothing > 0:
        labels = labels * (1.0 - label_smoothing) + label_smoothing / labels.shape[-1]
    losses = -(labels * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    return compute_weighted_loss(losses, weights, scope)


def sparse_softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weights=1.0,
                                 scope: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy with integer class labels (shape ``[N]`` or ``[N, 1]``)."""
    labels = torch.as_tensor(labels, device=logits.device).long().reshape(logits.shape[:-1])
    losses = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1),
                             reduction="none").reshape(labels.shape)
    return compute_weighted_loss(losses, weights, scope)


def sigmoid_cross_entropy(logits: torch.Tensor, multi_class_labels: torch.Tensor, weights=1.0,
                          label_smoothing: float = 0.0, scope: Optional[str] = None) -> torch.Tensor:
    """Element-wise sigmoid cross-entropy; smoothing gives ``labels * (1 - ls) + 0.5 * ls``."""
    labels = multi_class_labels.to(logits.dtype)
    if label_smoothing > 0:
        labels = labels * (1.0 - label_smoothing) + 0.5 * label_smoothing
    losses = F.binary_cross_entropy_with_logits(logits.float(), labels.float(), reduction="none")
    return compute_weighted_loss(losses, weights, scope)


def log_loss(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0, epsilon: float = 1e-7,
             scope: Optional[str] = None) -> torch.Tensor:
    """``-labels * log(p + eps) - (1 - labels) * log(1 - p + eps)``, weighted and averaged."""
    labels = labels.to(predictions.dtype)
    losses = -labels * torch.log(predictions + epsilon) - (1 - labels) * torch.log(1 - predictions + epsilon)
    return compute_weighted_loss(losses, weights, scope)


def mean_squared_error(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0,
                       scope: Optional[str] = None) -> torch.Tensor:
    """Weighted mean of ``(predictions - labels) ** 2``."""
    return compute_weighted_loss((predictions - labels.to(predictions.dtype)).square(), weights, scope)


def absolute_difference(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0,
                        scope: Optional[str] = None) -> torch.Tensor:
    """Weighted mean of ``|predictions - labels|``."""
    return compute_weighted_loss((predictions - labels.to(predictions.dtype)).abs(), weights, scope)


def hinge_loss(logits: torch.Tensor, labels: torch.Tensor = None, scope: Optional[str] = None) -> torch.Tensor:
    """Per-element hinge loss ``relu(1 - (2 * labels - 1) * logits)`` for 0/1 labels (not reduced)."""
    signs = 2.0 * labels.to(logits.dtype) - 1.0
    return torch.relu(1.0 - signs * logits)


def cosine_distance(predictions: torch.Tensor, labels: torch.Tensor = None, axis: Optional[int] = None,
                    weights=1.0, scope: Optional[str] = None, dim: Optional[int] = None) -> torch.Tensor:
    """``1 - sum(predictions * labels, axis)`` for unit-normalised inputs, weighted and averaged.

    Raises:
      ValueError: if no axis is given.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    losses = 1.0 - (predictions * labels.to(predictions.dtype)).sum(dim=axis, keepdim=True)
    return compute_weighted_loss(losses, weights, scope)
