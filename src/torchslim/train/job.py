"""The training job behind ``torchslim train``: data, model, optimizer, loop, checkpoints, evaluation.

:func:`run` is ``train_image_classifier.py`` followed by ``eval_image_classifier.py`` on the held-out
split, eager: it writes the run's configuration (:mod:`~torchslim.train.run_config`), builds the data
set (the embedded digits unless ``dataset_dir`` is given), the net (any ``nets_factory`` name), the
optimizer and learning-rate schedule of the script's flags, optionally warm-starts from
``checkpoint_path`` (minus ``checkpoint_exclude_scopes``), trains with ``slim.learning.train``
(resuming from the run directory's latest checkpoint), then evaluates and writes
``eval/metrics.json``. Under ``torchrun`` it trains with DDP: one process per device
(:mod:`~torchslim.train.distributed`), the batch size is per process, rank 0 writes every file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, List, Optional

import torch

from torchslim import checkpoint
from torchslim import losses as slim_losses
from torchslim.queries import get_model_variables
from torchslim.train import data as data_lib
from torchslim.train import distributed, evaluation, learning, optim, run_config, run_dir
from torchslim.train.events import EventFileWriter
from torchslim.train.moving_averages import ExponentialMovingAverage
from torchslim.train.precision import autocast

__all__ = ["TrainConfig", "TrainResult", "run", "configure_threads", "restore_for_fine_tuning", "DEFAULT_TRAIN_DIR"]

log = logging.getLogger("torchslim.train")

DEFAULT_TRAIN_DIR = os.path.join("runs", "digits")


@dataclass
class TrainConfig:
    """The flags of ``torchslim train`` (see ``torchslim train --help`` for each)."""

    train_dir: str = DEFAULT_TRAIN_DIR
    dataset_dir: Optional[str] = None
    dataset_name: Optional[str] = None
    dataset_split_name: str = "train"
    labels_offset: int = 0
    use_grayscale: bool = False
    model_name: str = "resnet_v2_digits"
    preprocessing_name: Optional[str] = None
    image_size: Optional[int] = None
    channels: Optional[int] = None
    batch_size: int = 64
    epochs: Optional[float] = 12
    max_number_of_steps: Optional[int] = None
    # the optimizer and its learning-rate schedule
    optimizer: str = "momentum"
    learning_rate: float = 0.1
    learning_rate_decay_type: str = "cosine"
    num_epochs_per_decay: float = 2.0
    learning_rate_decay_factor: float = 0.94
    end_learning_rate: float = 0.0001
    warmup_epochs: float = 0.0
    # each optimizer's parameters
    momentum: float = 0.9
    rmsprop_momentum: float = 0.9
    rmsprop_decay: float = 0.9
    opt_epsilon: float = 1.0
    adadelta_rho: float = 0.95
    adagrad_initial_accumulator_value: float = 0.1
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    # the loss and the gradients
    weight_decay: float = 0.0001
    label_smoothing: float = 0.0
    clip_gradient_norm: float = 0.0
    moving_average_decay: Optional[float] = None
    augment: bool = True
    checkpoint_path: Optional[str] = None
    checkpoint_exclude_scopes: Optional[str] = None
    trainable_scopes: Optional[str] = None
    ignore_missing_vars: bool = False
    save_interval_steps: Optional[int] = None
    save_interval_secs: Optional[float] = 600
    max_to_keep: int = 5
    log_every_n_steps: int = 10
    save_summaries_steps: int = 10
    seed: int = 0
    num_threads: int = 0
    device: Optional[str] = None
    precision: str = "fp32"
    num_workers: int = 0
    eval_batch_size: int = 200
    progress: bool = True
    num_classes: Optional[int] = None

    @classmethod
    def from_namespace(cls, args: Any) -> "TrainConfig":
        """Picks this dataclass's fields from an ``argparse.Namespace`` (others are ignored)."""
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if hasattr(args, f.name)})


@dataclass
class TrainResult:
    """What a run produced: final loss, held-out metrics, files written, the trained model.

    ``metrics``, ``checkpoint``, ``metrics_path`` and ``event_files`` are set on rank 0 only (the
    process that writes); ``model`` is this process's trained ``slim.Model`` on every rank.
    """

    global_step: int
    loss: Optional[float]
    metrics: Optional[evaluation.Metrics]
    checkpoint: Optional[str]
    metrics_path: Optional[str]
    seconds: float
    resumed_from: Optional[str] = None
    event_files: List[str] = field(default_factory=list)
    model: Optional[torch.nn.Module] = None
    num_threads: int = 0


# ----------------------------------------------------------------------------------------------
# Processes and devices.

def configure_threads(requested: Optional[int]) -> int:
    """Sets PyTorch's intra-op CPU threads for this process; returns how many it uses.

    PyTorch's OpenMP threads spin while they wait for each other, so more threads than free cores
    slows small nets many times over (40 steps of the digits net: 12 s on one thread, 99 s on two
    threads while other work kept the two cores busy). The automatic choice avoids that.

    Args:
      requested: a thread count, or 0/None for automatic: ``OMP_NUM_THREADS`` when it is set (torchrun
        sets 1 per process), else the cores not busy with other work (usable CPUs minus the 1-minute
        load average, rounded, at least 1).

    Returns:
      The number of threads.

    Raises:
      ValueError: for a negative count.
    """
    if requested is not None and requested < 0:
        raise ValueError(f"--num_threads must be >= 0 (0: automatic), got {requested}")
    if requested:
        torch.set_num_threads(int(requested))
    elif not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(_free_cores())
    return torch.get_num_threads()


def _free_cores() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average on this platform: use every core
        return cpus
    return max(1, min(cpus, int(round(cpus - load))))


def _random_shift(images: torch.Tensor, labels: torch.Tensor, max_shift: int, fill: float = -1.0):
    """Moves each image by up to ``max_shift`` pixels in each direction (background ``fill``)."""
    n, h, w, _ = images.shape
    padded = torch.nn.functional.pad(images, (0, 0, max_shift, max_shift, max_shift, max_shift), value=fill)
    dy = torch.randint(0, 2 * max_shift + 1, (n, 1, 1))
    dx = torch.randint(0, 2 * max_shift + 1, (n, 1, 1))
    rows = (torch.arange(h).view(1, h, 1) + dy).expand(n, h, w)
    cols = (torch.arange(w).view(1, 1, w) + dx).expand(n, h, w)
    return padded[torch.arange(n).view(n, 1, 1), rows, cols], labels


# ----------------------------------------------------------------------------------------------
# The job.

def _setup_logging(train_dir: str, is_chief: bool) -> Optional[logging.Handler]:
    if not is_chief:
        return None
    handler = logging.FileHandler(os.path.join(train_dir, "train.log"))
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def _init_fn(config: TrainConfig):
    """Warm start from ``--checkpoint_path`` minus ``--checkpoint_exclude_scopes`` (first start only)."""
    if not config.checkpoint_path:
        return None

    def init_fn(model) -> None:
        exclude = optim.parse_scopes(config.checkpoint_exclude_scopes)
        prefix = run_dir.resolve_checkpoint_path(config.checkpoint_path)
        report = restore_for_fine_tuning(model, prefix, exclude, config.ignore_missing_vars)
        log.info("fine-tuning: %s", report)
        _say(f"fine-tuning from {report.checkpoint}: {len(report.restored)} variables restored"
             + (f", {len(report.excluded)} excluded ({', '.join(exclude)})" if exclude else "")
             + (f", {len(report.missing)} missing kept as initialised" if report.missing else ""))

    return init_fn


def restore_for_fine_tuning(model, prefix: str, exclude: List[str], ignore_missing_vars: bool):
    """``slim.assign_from_checkpoint`` with the script's flags, its errors phrased for the command line.

    Args:
      model: the built model.
      prefix: the checkpoint (``--checkpoint_path``).
      exclude: scopes not restored (``--checkpoint_exclude_scopes``).
      ignore_missing_vars: keep the initial values of variables the checkpoint lacks.

    Returns:
      The ``RestoreReport``.

    Raises:
      ValueError: naming the flag, the checkpoint and the variables when the restore fails (nothing
        is assigned then).
    """
    try:
        return checkpoint.assign_from_checkpoint(model, prefix, exclude=exclude or None,
                                           ignore_missing_vars=ignore_missing_vars)
    except checkpoint.RestoreError as exc:
        raise ValueError(f"--checkpoint_path {exc}\nhint: on the command line, --checkpoint_exclude_scopes "
                         "SCOPES leaves scopes out (e.g. the logits) and --ignore_missing_vars keeps the "
                         "initial values of variables the checkpoint lacks") from None


_QUIET = False


def _say(message: str) -> None:
    """Prints ``message`` (unless quiet) and records it in ``train.log``."""
    log.info(message)
    if not _QUIET:
        print(message, flush=True)


class _TrainAccuracy:
    """Top-1 accuracy of this process's training batches since it was last taken."""

    def __init__(self) -> None:
        self.correct: Optional[torch.Tensor] = None
        self.count = 0

    def add(self, logits: torch.Tensor, labels: torch.Tensor) -> None:
        hits = (logits.detach().reshape(labels.shape[0], -1).argmax(-1) == labels).sum()
        self.correct = hits if self.correct is None else self.correct + hits
        self.count += int(labels.shape[0])

    def take(self) -> Optional[float]:
        """The accuracy since the last call (None if no batch); resets the count."""
        if not self.count:
            return None
        value = float(self.correct) / self.count
        self.correct, self.count = None, 0
        return value


def _make_loss(net: torch.nn.Module, model, device: torch.device, config: TrainConfig, num_classes: int,
               accuracy: _TrainAccuracy):
    def total_loss(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with autocast(device, config.precision):
            logits, _ = net(images)
        accuracy.add(logits, labels)
        onehot = torch.nn.functional.one_hot(labels, num_classes)
        slim_losses.softmax_cross_entropy(logits.float(), onehot, label_smoothing=config.label_smoothing)
        return slim_losses.get_total_loss(model=model)

    return total_loss


class _Progress:
    """The tqdm bar and the images/s and training-accuracy summaries (chief only)."""

    def __init__(self, config: TrainConfig, total: int, start: int, images_per_step: int,
                 writer: Optional[EventFileWriter], optimizer: torch.optim.Optimizer, enabled: bool,
                 accuracy: _TrainAccuracy):
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=start, unit="step", disable=not enabled, dynamic_ncols=True,
                        mininterval=0.5, file=sys.stderr, desc="train")
        self.writer, self.optimizer, self.images_per_step = writer, optimizer, images_per_step
        self.accuracy = accuracy
        self.every = max(config.save_summaries_steps, 1)
        self.window_start, self.window_steps = time.time(), 0

    def __call__(self, step: int, loss: float, seconds: float) -> None:
        self.bar.update(1)
        self.window_steps += 1
        if step % self.every == 0 or step == self.bar.total:
            elapsed = max(time.time() - self.window_start, 1e-9)
            speed = self.window_steps * self.images_per_step / elapsed
            accuracy = self.accuracy.take()
            self.bar.set_postfix(loss=f"{loss:.4f}", acc="-" if accuracy is None else f"{accuracy:.3f}",
                                 lr=f"{self.optimizer.param_groups[0]['lr']:.3g}", img_s=f"{speed:.0f}")
            if self.writer is not None:
                self.writer.add_scalar("images_per_sec", speed, step)
                if accuracy is not None:
                    self.writer.add_scalar("train/accuracy", accuracy, step)
            self.window_start, self.window_steps = time.time(), 0

    def close(self) -> None:
        self.bar.close()


def _describe(device: torch.device) -> str:
    threads = torch.get_num_threads()
    return f"{device} ({threads} thread{'s' if threads != 1 else ''})" if device.type == "cpu" else str(device)


def _total_steps(config: TrainConfig, steps_per_epoch: int) -> int:
    if config.max_number_of_steps:
        return int(config.max_number_of_steps)
    if config.epochs:
        return max(1, int(round(config.epochs * steps_per_epoch)))
    raise ValueError("give --max_number_of_steps or --epochs")


def run(config: TrainConfig, quiet: bool = False) -> TrainResult:
    """Trains, checkpoints and evaluates as configured; see the module docstring.

    Args:
      config: the flags.
      quiet: print nothing (the result has everything).

    Returns:
      :class:`TrainResult` (metrics and files on rank 0 only, the trained model on every rank).

    Raises:
      ValueError: for bad flags (naming the flag) or a train_dir holding another run.
      learning.NonFiniteLossError: when the loss becomes inf or nan (the step is not applied).
    """
    global _QUIET
    _QUIET = quiet
    started = time.time()
    previous_threads = torch.get_num_threads()
    threads = configure_threads(config.num_threads)
    context = distributed.DistributedContext()
    try:
        context = distributed.join(config.device)
        _QUIET = quiet or not context.is_chief
        result = _run(config, context, started)
        result.num_threads = threads
        return result
    finally:
        torch.set_num_threads(previous_threads)
        distributed.leave(context)


def _run(config: TrainConfig, context: distributed.DistributedContext, started: float) -> TrainResult:
    torch.manual_seed(config.seed)
    settings = run_config.resolve(asdict(config))
    train_set = run_config.load_dataset(settings, "train", training=True)
    eval_set = run_config.load_dataset(settings, "validation")
    settings["num_classes"] = settings.get("num_classes") or train_set.num_classes
    settings["class_names"] = list(getattr(train_set, "class_names", []))
    if context.is_chief:
        run_config.check_same_run(config.train_dir, settings)
        run_config.write_run_config(config.train_dir, settings)
    model = run_config.model_from_config(settings, train_set, context.device)
    torch.manual_seed(config.seed * 1000 + 1 + context.rank)  # per-rank augmentation randomness
    handler = _setup_logging(config.train_dir, context.is_chief)
    try:
        return _train_and_evaluate(config, settings, model, train_set, eval_set, context, started)
    finally:
        if handler is not None:
            log.removeHandler(handler)
            handler.close()


def _train_and_evaluate(config, settings, model, train_set, eval_set, context, started):
    rank, world, device, is_chief = context.rank, context.world_size, context.device, context.is_chief
    trained = optim.variables_to_train(model, config.trainable_scopes)
    chosen = {id(v.tensor) for v in trained}
    for param in model.parameters():
        param.requires_grad_(id(param) in chosen)
    optimizer = optim.configure_optimizer(
        config.optimizer, [v.tensor for v in trained], config.learning_rate, momentum=config.momentum,
        rmsprop_momentum=config.rmsprop_momentum, rmsprop_decay=config.rmsprop_decay,
        opt_epsilon=config.opt_epsilon, adam_beta1=config.adam_beta1, adam_beta2=config.adam_beta2,
        adadelta_rho=config.adadelta_rho,
        adagrad_initial_accumulator_value=config.adagrad_initial_accumulator_value)
    net = model
    if world > 1:
        net = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    augment = None
    if config.augment and not config.dataset_dir:
        shift = max(1, int(settings["image_size"]) // 16)
        augment = lambda images, labels: _random_shift(images, labels, shift)  # noqa: E731
    probe = data_lib.EpochBatches(train_set, config.batch_size, config.seed, 0, rank, world)
    total = _total_steps(config, probe.steps_per_epoch)
    schedule = optim.configure_learning_rate(
        config.learning_rate_decay_type, config.learning_rate, len(train_set), config.batch_size * world,
        config.num_epochs_per_decay, config.learning_rate_decay_factor, config.end_learning_rate, total,
        config.warmup_epochs)
    scaler = torch.amp.GradScaler(device.type) if config.precision == "fp16" else None
    accuracy = _TrainAccuracy()
    loss_fn = _make_loss(net, model, device, config, settings["num_classes"], accuracy)
    train_op = learning.create_train_op(loss_fn, optimizer, clip_gradient_norm=config.clip_gradient_norm,
                                        model=model, grad_scaler=scaler)
    resumed = checkpoint.latest_checkpoint(config.train_dir) if os.path.isdir(config.train_dir) else None
    _say(f"torchslim train: {config.model_name} on {getattr(train_set, 'name', '')} "
         f"({len(train_set)} training / {len(eval_set)} held-out images), {total} steps of "
         f"{config.batch_size}{f' x {world} processes' if world > 1 else ''}, {config.optimizer} "
         f"lr {config.learning_rate} ({config.learning_rate_decay_type}), device {_describe(device)}, "
         f"run dir {config.train_dir}")
    if resumed:
        _say(f"resuming from {resumed} (global step {run_dir.step_from_prefix(resumed)})")
    writer = EventFileWriter(config.train_dir) if is_chief else None
    averages = _moving_averages(config, model)
    progress = _Progress(config, total, run_dir.step_from_prefix(resumed) or 0 if resumed else 0,
                         config.batch_size * world, writer, optimizer, is_chief and config.progress, accuracy)

    def data(start_step: int):
        progress.bar.n = start_step
        return data_lib.EpochBatches(train_set, config.batch_size, config.seed, start_step, rank, world,
                                     config.num_workers, augment)

    try:
        loss = learning.train(
            train_op, config.train_dir, data=data, model=model, log_every_n_steps=config.log_every_n_steps,
            number_of_steps=total, init_fn=_init_fn(config), save_interval_secs=config.save_interval_secs,
            save_interval_steps=config.save_interval_steps, max_to_keep=config.max_to_keep,
            summary_writer=writer if is_chief else None, save_summaries_steps=config.save_summaries_steps,
            is_chief=is_chief, schedule=schedule, step_callback=progress,
            extra_state=lambda: {"model_name": config.model_name}, moving_averages=averages)
    finally:
        progress.close()
    if world > 1:
        _broadcast_buffers(model)
    return _finish(config, model, eval_set, train_op, loss, device, is_chief, writer, started, resumed, averages)


def _moving_averages(config: TrainConfig, model) -> Optional[ExponentialMovingAverage]:
    """``--moving_average_decay``: an average of the model variables, as train_image_classifier.py keeps."""
    if config.moving_average_decay is None:
        return None
    averages = ExponentialMovingAverage(config.moving_average_decay)
    averages.track(get_model_variables(model=model))
    return averages


def _broadcast_buffers(model: torch.nn.Module) -> None:
    """Gives every rank rank 0's moving statistics, as saved in the checkpoint.

    DDP copies rank 0's buffers to the others before each forward pass, so after the last step each
    rank still holds the update from its own last batch.
    """
    with torch.no_grad():
        for buffer in model.buffers():
            torch.distributed.broadcast(buffer, 0)


def _finish(config, model, eval_set, train_op, loss, device, is_chief, writer, started, resumed,
            averages=None) -> TrainResult:
    latest = checkpoint.latest_checkpoint(config.train_dir) if is_chief else None
    metrics = metrics_path = None
    if is_chief:
        # with --moving_average_decay the held-out figures are the averages', as eval with that flag gives
        with averages.averages_in_place() if averages is not None else contextlib.nullcontext():
            metrics = evaluation.evaluate(model, eval_set, config.eval_batch_size, device, config.precision,
                                          config.num_workers)
        metrics.checkpoint, metrics.global_step = latest, train_op.step
        metrics_path = os.path.join(config.train_dir, "eval", "metrics.json")
        evaluation.write_metrics(metrics, metrics_path)
        writer.add_scalars({"eval/accuracy": metrics.top1, "eval/top5_accuracy": metrics.top5}, train_op.step)
        writer.close()
    seconds = time.time() - started
    events = sorted(n for n in os.listdir(config.train_dir) if n.startswith("events.out")) if is_chief else []
    if is_chief:
        _say(f"held-out accuracy: {metrics.summary()}")
        _say(f"checkpoint (TF format): {latest}")
        _say(f"metrics: {metrics_path}")
        _say(f"event logs: {config.train_dir} (tensorboard --logdir {config.train_dir})")
        _say(f"done in {seconds:.1f} s at global step {train_op.step}")
    return TrainResult(train_op.step, loss, metrics, latest, metrics_path, seconds, resumed, events, model)
