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
from typing import Callable, List, Optional

import numpy as np
import torch
import torch.nn.functional as F

from torchslim.arg_scope import add_arg_scope
from torchslim.queries import GraphKeys
from torchslim.scopes import active_call

__all__ = [
    "add_loss", "get_losses", "get_regularization_losses", "get_total_loss", "compute_weighted_loss",
    "softmax_cross_entropy", "sparse_softmax_cross_entropy", "sigmoid_cross_entropy", "log_loss",
    "mean_squared_error", "absolute_difference", "mean_pairwise_squared_error", "hinge_loss", "cosine_distance",
]

_PENDING: contextvars.ContextVar[Optional[List[torch.Tensor]]] = contextvars.ContextVar("torchslim_losses", default=None)
_LAST_MODEL: contextvars.ContextVar[Optional[weakref.ref]] = contextvars.ContextVar("torchslim_last_model", default=None)


def note_model_called(model) -> None:
    """Records ``model`` as the last model called in this context (used by :func:`get_total_loss`)."""
    _LAST_MODEL.set(weakref.ref(model))


def _collection(loss_collection: str) -> List[torch.Tensor]:
    state = active_call()
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


@add_arg_scope
def add_loss(loss: torch.Tensor, loss_collection: Optional[str] = GraphKeys.LOSSES) -> None:
    """Adds ``loss`` to a loss collection (None: add nothing).

    Arg-scoped as in TF-Slim: ``arg_scope([slim.losses.add_loss], loss_collection=None)`` keeps
    every loss function in the block from collecting.
    """
    if loss_collection:
        _collection(loss_collection).append(loss)


def get_losses(scope: Optional[str] = None, loss_collection: str = GraphKeys.LOSSES) -> List[torch.Tensor]:
    """The losses collected so far (in the model call, or pending outside one).

    Args:
      scope: accepted and ignored: eager losses have no op names to filter on.
      loss_collection: the collection (outside a model function only ``LOSSES`` is kept).

    Returns:
      A new list of loss tensors.
    """
    del scope
    return list(_collection(loss_collection))


def _resolve_model(model):
    if model is not None:
        return model
    state = active_call()
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
    if active_call() is None:
        _PENDING.set(None)
    if add_regularization_losses:
        losses += get_regularization_losses(model=model)
    if not losses:
        raise ValueError("No losses were added: call a slim.losses function (or add_loss) first")
    return torch.stack([loss.reshape(()).float() for loss in losses]).sum()


# --------------------------------------------------------------------------------------------------
# Weighting (TF-Slim's compute_weighted_loss, step by step).


def _float(tensor) -> torch.Tensor:
    """A float tensor at least float32 wide (TF computes losses in float32; float64 stays float64)."""
    tensor = torch.as_tensor(tensor)
    return tensor.to(torch.promote_types(tensor.dtype, torch.float32)) if tensor.is_floating_point() else tensor.float()


def _check_same_shape(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{what}: shapes {list(a.shape)} and {list(b.shape)} are incompatible")


def _weights_for(losses: torch.Tensor, weights) -> torch.Tensor:
    """``weights`` as a tensor, squeezed like TF (``[..., 1]`` loses its last axis), shape-checked."""
    if weights is None:
        raise ValueError("weights cannot be None")
    weights = torch.as_tensor(weights, device=losses.device).to(losses.dtype)
    if weights.dim() > 1 and weights.shape[-1] == 1:
        weights = weights.squeeze(-1)
    leading = losses.shape[:weights.dim()]
    if weights.dim() > losses.dim() or not _broadcasts_to(weights.shape, leading):
        raise ValueError(f"weights of shape {list(weights.shape)} do not fit losses of shape {list(losses.shape)}: "
                         "expected a scalar or the leading dimensions of the losses")
    return weights


def _broadcasts_to(shape: torch.Size, target: torch.Size) -> bool:
    return len(shape) == len(target) and all(a in (1, b) for a, b in zip(shape, target))


def _scale_losses(losses: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Sums the losses down to the weights' rank, multiplies by the weights, sums."""
    axes = tuple(range(weights.dim(), losses.dim()))
    reduced = losses.sum(dim=axes) if axes else losses  # (torch reads dim=() as "every axis")
    return (reduced * weights).sum()


def _num_present(losses: torch.Tensor, weights: torch.Tensor, per_batch: bool = False) -> torch.Tensor:
    """TF's count of the loss elements a weight applies to (non-zero weights times broadcast size)."""
    if weights.dim() == 0:
        batch = losses.shape[0] if losses.dim() else 1
        per_row = losses.numel() / batch if batch else 0.0
        counts = torch.full((batch,), per_row, dtype=losses.dtype, device=losses.device) * (weights != 0)
    else:
        nonzero = (weights != 0).to(losses.dtype)
        if weights.dim() > 1:
            nonzero = nonzero.sum(dim=tuple(range(1, weights.dim())))
        counts = nonzero * float(np.prod(losses.shape[weights.dim():]))
    return counts if per_batch else counts.sum()


def _div_no_nan(numerator: torch.Tensor, denominator: torch.Tensor) -> torch.Tensor:
    safe = torch.where(denominator == 0, torch.ones_like(denominator), denominator)
    return torch.where(denominator == 0, torch.zeros_like(numerator), numerator / safe)


def compute_weighted_loss(losses: torch.Tensor, weights=1.0, scope: Optional[str] = None) -> torch.Tensor:
    """The weighted mean of ``losses`` over the elements with a non-zero weight; added to ``LOSSES``.

    As TF-Slim: ``weights`` is a scalar or a tensor matching the leading dimensions of ``losses``
    (a trailing axis of size 1 is squeezed away). The losses are summed down to the weights' rank
    and multiplied by them; the count is the number of non-zero weights times the elements each
    one covers. Every weight zero gives 0 (with finite gradients).

    Args:
      losses: per-element losses ``[batch, d1, ... dN]``.
      weights: a scalar, ``[batch]``, ``[batch, 1]`` or ``[batch, d1, ... dK]`` (K <= N).
      scope: unused (TF's name scope).

    Returns:
      A scalar in the losses' dtype (computed in float32 at least).

    Raises:
      ValueError: if ``weights`` is None or its shape does not fit the losses.
    """
    del scope
    losses = torch.as_tensor(losses)
    out_dtype = losses.dtype if losses.is_floating_point() else torch.float32
    losses = _float(losses)
    weights = _weights_for(losses, weights)
    loss = _div_no_nan(_scale_losses(losses, weights), _num_present(losses, weights)).to(out_dtype)
    add_loss(loss)
    return loss


# --------------------------------------------------------------------------------------------------
# Loss functions.


def softmax_cross_entropy(logits: torch.Tensor, onehot_labels: torch.Tensor, weights=1.0,
                          label_smoothing: float = 0.0, scope: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy of ``softmax(logits)`` against one-hot labels ``[batch, num_classes]``.

    ``label_smoothing`` ls turns labels into ``onehot * (1 - ls) + ls / num_classes``.

    Args:
      logits: ``[batch, num_classes]``.
      onehot_labels: same shape (any dtype; cast to the logits' dtype).
      weights: a scalar or ``[batch]`` (see :func:`compute_weighted_loss`).
      label_smoothing: amount of smoothing.
      scope: unused.

    Returns:
      The weighted mean loss, added to ``LOSSES``.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    logits, labels = _smoothed(logits, onehot_labels, label_smoothing, None, "softmax_cross_entropy")
    losses = -(labels * F.log_softmax(logits, dim=-1)).sum(dim=-1)
    return compute_weighted_loss(losses, weights, scope)


def sparse_softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, weights=1.0,
                                 scope: Optional[str] = None) -> torch.Tensor:
    """Cross-entropy with integer class labels ``[batch]`` or ``[batch, 1]``.

    Raises:
      ValueError: if the labels are not one per row of ``logits`` ``[batch, num_classes]``, or the
        weights do not fit.
    """
    labels = torch.as_tensor(labels, device=logits.device)
    if labels.dim() == 0 or labels.numel() != labels.shape[0]:
        raise ValueError(f"sparse_softmax_cross_entropy: labels of shape {list(labels.shape)} are not "
                         "[batch] or [batch, 1]")
    labels = labels.reshape(labels.shape[0]).long()
    if logits.dim() != 2 or logits.shape[0] != labels.shape[0]:
        raise ValueError(f"sparse_softmax_cross_entropy: logits of shape {list(logits.shape)} do not match "
                         f"{labels.shape[0]} labels")
    losses = F.cross_entropy(_float(logits), labels, reduction="none")
    return compute_weighted_loss(losses, weights, scope)


def sigmoid_cross_entropy(logits: torch.Tensor, multi_class_labels: torch.Tensor, weights=1.0,
                          label_smoothing: float = 0.0, scope: Optional[str] = None) -> torch.Tensor:
    """Element-wise sigmoid cross-entropy; smoothing gives ``labels * (1 - ls) + 0.5 * ls``.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    logits, labels = _smoothed(logits, multi_class_labels, label_smoothing, 0.5, "sigmoid_cross_entropy")
    losses = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return compute_weighted_loss(losses, weights, scope)


def _smoothed(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float, share: Optional[float],
              name: str) -> "tuple[torch.Tensor, torch.Tensor]":
    """Float logits and labels of the same shape; smoothing gives ``labels * (1 - ls) + ls * share``
    (``share`` None: ``1 / num_classes``, the labels' dim 1)."""
    _check_same_shape(logits, labels, name)
    logits = _float(logits)
    labels = labels.to(logits.dtype)
    if label_smoothing > 0:
        added = label_smoothing / labels.shape[1] if share is None else share * label_smoothing
        labels = labels * (1.0 - label_smoothing) + added
    return logits, labels


def _float_pair(predictions, labels, what: str):
    if labels is None:
        raise ValueError(f"{what}: labels are required")
    _check_same_shape(predictions, labels, what)
    return _float(predictions), _float(labels)


def log_loss(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0, epsilon: float = 1e-7,
             scope: Optional[str] = None) -> torch.Tensor:
    """``-labels * log(p + eps) - (1 - labels) * log(1 - p + eps)``, weighted and averaged.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    predictions, labels = _float_pair(predictions, labels, "log_loss")
    losses = -labels * torch.log(predictions + epsilon) - (1 - labels) * torch.log(1 - predictions + epsilon)
    return compute_weighted_loss(losses, weights, scope)


def mean_squared_error(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0,
                       scope: Optional[str] = None) -> torch.Tensor:
    """Weighted mean of ``(predictions - labels) ** 2``.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    return _difference_loss("mean_squared_error", torch.square, predictions, labels, weights, scope)


def absolute_difference(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0,
                        scope: Optional[str] = None) -> torch.Tensor:
    """Weighted mean of ``|predictions - labels|``.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    return _difference_loss("absolute_difference", torch.abs, predictions, labels, weights, scope)


def _difference_loss(name: str, penalty: Callable[[torch.Tensor], torch.Tensor], predictions: torch.Tensor,
                     labels: torch.Tensor, weights, scope: Optional[str]) -> torch.Tensor:
    """``compute_weighted_loss(penalty(predictions - labels))``, with ``name``'s checks of the pair."""
    predictions, labels = _float_pair(predictions, labels, name)
    return compute_weighted_loss(penalty(predictions - labels), weights, scope)


def mean_pairwise_squared_error(predictions: torch.Tensor, labels: torch.Tensor = None, weights=1.0,
                                scope: Optional[str] = None) -> torch.Tensor:
    """Mean over pairs ``(i, j)`` within each sample of ``((p_i - p_j) - (l_i - l_j)) ** 2``.

    Computed as TF-Slim does: per sample ``2 * sum(d**2) / n - 2 * sum(d)**2 / n**2`` with
    ``d = predictions - labels`` and ``n`` the elements a non-zero weight covers, then weighted
    and summed over the batch (not averaged). Added to ``LOSSES``.

    Args:
      predictions: ``[batch, d0, ... dN]``.
      labels: same shape.
      weights: a scalar or ``[batch]``.
      scope: unused.

    Returns:
      A scalar.

    Raises:
      ValueError: if the shapes differ or the weights do not fit.
    """
    del scope
    predictions, labels = _float_pair(predictions, labels, "mean_pairwise_squared_error")
    diffs = predictions - labels
    weights = _weights_for(diffs, weights)
    axes = tuple(range(1, diffs.dim()))
    present = _num_present(diffs, weights, per_batch=True)
    term1 = 2.0 * _div_no_nan(diffs.square().sum(dim=axes), present)
    term2 = 2.0 * _div_no_nan(diffs.sum(dim=axes).square(), present.square())
    loss = _scale_losses(term1 - term2, weights)
    loss = torch.where(present.sum() > 0, loss, torch.zeros_like(loss))
    add_loss(loss)
    return loss


def hinge_loss(logits: torch.Tensor, labels: torch.Tensor = None, scope: Optional[str] = None) -> torch.Tensor:
    """Per-element hinge loss ``relu(1 - (2 * labels - 1) * logits)`` for 0/1 labels (not reduced or collected).

    Raises:
      ValueError: if the shapes differ.
    """
    if labels is None:
        raise ValueError("hinge_loss: labels are required")
    _check_same_shape(logits, labels, "hinge_loss")
    signs = 2.0 * _float(labels) - 1.0
    return torch.relu(1.0 - signs * logits)


def cosine_distance(predictions: torch.Tensor, labels: torch.Tensor = None, axis: Optional[int] = None,
                    weights=1.0, scope: Optional[str] = None, dim: Optional[int] = None) -> torch.Tensor:
    """``1 - sum(predictions * labels, axis)`` for unit-normalised inputs, weighted and averaged.

    The axis is summed away (TF-Slim's version, unlike ``tf.losses``), so weights fit the other
    dimensions (e.g. ``[batch]`` or ``[batch, d1]`` for ``[batch, d1, channels]`` with ``axis=2``).

    Raises:
      ValueError: if no axis is given, the shapes differ or the weights do not fit.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("You must specify 'axis'.")
    predictions, labels = _float_pair(predictions, labels, "cosine_distance")
    losses = 1.0 - (predictions * labels).sum(dim=axis)
    return compute_weighted_loss(losses, weights, scope)
