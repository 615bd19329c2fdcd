"""Evaluation of a classifier: top-1 / top-5 accuracy, per-class accuracy, confusion counts, JSON.

:func:`evaluate` runs a model (in eval mode: BatchNorm uses its moving statistics) over a data set;
:func:`evaluate_checkpoint` rebuilds the model of a run directory (from its ``run_config.json``, see
:mod:`~torchslim.train.run_config`) and restores a checkpoint into it first — the run's latest, or the
one given. :func:`write_metrics` writes ``eval/metrics.json``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

import torch

from torchslim.io.atomic import atomic_write_bytes
from torchslim import checkpoint
from torchslim.train import run_config, run_dir
from torchslim.train.moving_averages import ExponentialMovingAverage
from torchslim.train.precision import autocast

__all__ = ["Metrics", "evaluate", "accumulate", "write_metrics", "evaluate_checkpoint", "restore_moving_averages"]


@dataclass
class Metrics:
    """Classification metrics over a data set.

    Attributes:
      num_examples: examples evaluated.
      top1, top5: accuracy (fraction) of the first / five first predictions (top-k is capped at the
        number of classes).
      per_class_accuracy: recall of each class (None for a class with no example).
      confusion: ``confusion[true][predicted]`` counts.
      class_names: one name per class.
      checkpoint: the evaluated checkpoint, if any.
      global_step: its step, if known.
      loss: mean cross-entropy.
    """

    num_examples: int
    top1: float
    top5: float
    per_class_accuracy: List[Optional[float]]
    confusion: List[List[int]]
    class_names: List[str] = field(default_factory=list)
    checkpoint: Optional[str] = None
    global_step: Optional[int] = None
    loss: Optional[float] = None

    @property
    def correct(self) -> int:
        """Examples whose first prediction is right."""
        return sum(self.confusion[i][i] for i in range(len(self.confusion)))

    def summary(self) -> str:
        """One line: ``top-1 97.78% (352/360), top-5 ...``."""
        return (f"top-1 accuracy {100 * self.top1:.2f}% ({self.correct}/{self.num_examples}), "
                f"top-5 {100 * self.top5:.2f}%")

    def to_dict(self) -> Dict[str, Any]:
        """The fields, plus ``Accuracy`` and ``Recall_5`` (``eval_image_classifier``'s metric names)."""
        return dict(asdict(self), Accuracy=self.top1, Recall_5=self.top5)


def accumulate(logits: torch.Tensor, labels: torch.Tensor, num_classes: int, state: Optional[dict] = None) -> dict:
    """Adds a batch's counts (correct top-1/top-k, confusion, loss sum) to ``state``."""
    if state is None:
        state = {"n": 0, "top1": 0, "topk": 0, "loss": 0.0,
                 "confusion": torch.zeros(num_classes, num_classes, dtype=torch.int64)}
    logits, labels = logits.float().cpu(), labels.cpu().long()
    k = min(5, num_classes)
    topk = logits.topk(k, dim=-1).indices
    predicted = topk[:, 0]
    state["n"] += int(labels.numel())
    state["top1"] += int((predicted == labels).sum())
    state["topk"] += int((topk == labels[:, None]).any(dim=1).sum())
    state["loss"] += float(torch.nn.functional.cross_entropy(logits, labels, reduction="sum"))
    state["confusion"] += torch.bincount(labels * num_classes + predicted,
                                         minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    return state


def _finish(state: dict, class_names: List[str]) -> Metrics:
    confusion = state["confusion"]
    totals = confusion.sum(dim=1)
    per_class = [float(confusion[i, i]) / int(totals[i]) if int(totals[i]) else None for i in range(len(totals))]
    n = max(state["n"], 1)
    return Metrics(state["n"], state["top1"] / n, state["topk"] / n, per_class, confusion.tolist(),
                   list(class_names), loss=state["loss"] / n)


@torch.no_grad()
def evaluate(model: torch.nn.Module, dataset, batch_size: int = 200, device: Any = "cpu",
             precision: str = "fp32", num_workers: int = 0, max_num_batches: Optional[int] = None) -> Metrics:
    """Evaluates a classifier over ``dataset`` (in eval mode; the model's mode is restored after).

    Args:
      model: returns ``logits`` or ``(logits, end_points)`` for an NHWC batch.
      dataset: an ``ArrayDataset`` or ``ImageFolderDataset`` (``batch(indices)``, ``num_classes``).
      batch_size: examples per forward pass.
      device: where to run.
      precision: ``fp32``, ``bf16`` or ``fp16`` (autocast).
      num_workers: DataLoader workers for file data sets.
      max_num_batches: evaluate at most this many batches (None: all).

    Returns:
      :class:`Metrics`.
    """
    was_training = model.training
    model.eval()
    state = None
    try:
        for images, labels in _eval_batches(dataset, batch_size, num_workers, max_num_batches):
            with autocast(device, precision):
                outputs = model(images.to(device))
            logits = outputs[0] if isinstance(outputs, (tuple, list)) else outputs
            state = accumulate(logits.reshape(logits.shape[0], -1), labels, dataset.num_classes, state)
    finally:
        model.train(was_training)
    if state is None:
        raise ValueError(f"evaluate: the data set {getattr(dataset, 'name', '')} is empty")
    return _finish(state, getattr(dataset, "class_names", []))


def _eval_batches(dataset, batch_size: int, num_workers: int, max_num_batches: Optional[int] = None):
    order = torch.arange(len(dataset))
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)][:max_num_batches]
    if num_workers and isinstance(dataset, torch.utils.data.Dataset):
        yield from torch.utils.data.DataLoader(dataset, batch_sampler=[b.tolist() for b in batches],
                                               num_workers=num_workers)
        return
    for indices in batches:
        yield dataset.batch(indices)


def write_metrics(metrics: Metrics, path: str) -> None:
    """Writes the metrics as indented JSON, atomically."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write_bytes(path, (json.dumps(metrics.to_dict(), indent=1) + "\n").encode("utf-8"))


def evaluate_checkpoint(checkpoint_path: str, config: Optional[dict] = None, batch_size: int = 200,
                        device: Any = "cpu", precision: str = "fp32", num_workers: int = 0,
                        dataset_dir: Optional[str] = None, split: str = "validation",
                        max_num_batches: Optional[int] = None,
                        moving_average_decay: Optional[float] = None) -> Metrics:
    """Restores a checkpoint into its run's model and evaluates it on the held-out split.

    Args:
      checkpoint_path: a run directory (its latest checkpoint) or a checkpoint prefix.
      config: the run configuration (default: ``run_config.json`` beside the checkpoint).
      batch_size, device, precision, num_workers: as :func:`evaluate`.
      dataset_dir: overrides the run's data set (None: the run's; the embedded digits by default).
      split: ``validation`` (held out) or ``train``.
      max_num_batches: evaluate at most this many batches (None: all).
      moving_average_decay: when given, the model variables are restored from their averages
        (``<variable>/ExponentialMovingAverage``, eval_image_classifier.py's ``variables_to_restore``).

    Returns:
      :class:`Metrics` with ``checkpoint`` and ``global_step`` set.

    Raises:
      FileNotFoundError: naming the path when there is no checkpoint or no run configuration.
      RestoreError: naming the averages the checkpoint lacks.
    """
    prefix = run_dir.resolve_checkpoint_path(checkpoint_path)
    if config is None:
        config = run_config.read_run_config(os.path.dirname(prefix) or ".")
    if dataset_dir is not None:
        config = dict(config, dataset_dir=dataset_dir)
    dataset = run_config.load_dataset(config, split)
    model = run_config.model_from_config(config, dataset, device)
    if moving_average_decay is None:
        run_dir.restore_model(model, prefix)
    else:
        restore_moving_averages(model, prefix, moving_average_decay)
    metrics = evaluate(model, dataset, batch_size, device, precision, num_workers, max_num_batches)
    metrics.checkpoint, metrics.global_step = prefix, run_dir.step_from_prefix(prefix)
    return metrics


def restore_moving_averages(model, path: str, moving_average_decay: float) -> List[str]:
    """Restores ``model``'s model variables from their averages in checkpoint ``path``, the rest by name.

    Raises:
      RestoreError: naming the checkpoint and the averages it lacks (a run trained without
        ``--moving_average_decay`` has none).
    """
    averages = ExponentialMovingAverage(moving_average_decay)
    var_list = averages.variables_to_restore(model=model)
    try:
        return checkpoint.assign_from_checkpoint_fn(path, var_list)(model).restored
    except checkpoint.RestoreError as exc:
        raise checkpoint.RestoreError(f"--moving_average_decay: {exc}\nhint: the averages exist only in "
                                      "checkpoints of runs trained with --moving_average_decay",
                                      getattr(exc, "report", None)) from None
