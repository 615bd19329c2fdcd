"""The training job behind ``torchslim train``: data, model, optimizer, loop, checkpoints, evaluation.

:func:`run` is ``train_image_classifier.py`` followed by ``eval_image_classifier.py`` on the held-out
split, eager: it builds the data set (the embedded digits unless ``dataset_dir`` is given), the net
(``models.create_model``), the optimizer and learning-rate schedule of the script's flags, optionally
warm-starts from ``checkpoint_path`` (minus ``checkpoint_exclude_scopes``), trains with
``slim.learning.train`` (resuming from the run directory's latest checkpoint), then evaluates and
writes ``eval/metrics.json``. Under ``torchrun`` it trains with DDP: one process per device, the
batch size is per process, rank 0 writes every file.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple

import torch

from torchslim import losses as slim_losses
from torchslim.checkpoint.state import atomic_write_bytes
from torchslim.train import data as data_lib
from torchslim.train import evaluation, learning, models, optim, run_dir
from torchslim.train.events import EventFileWriter

__all__ = ["TrainConfig", "TrainResult", "run", "load_dataset", "build_model", "read_run_config",
           "RUN_CONFIG", "DEFAULT_TRAIN_DIR"]

log = logging.getLogger("torchslim.train")

RUN_CONFIG = "run_config.json"
DEFAULT_TRAIN_DIR = os.path.join("runs", "digits")
DIGITS = "digits"
# What a run directory's configuration must keep for its checkpoints to stay loadable.
_IDENTITY = ("model_name", "num_classes", "image_size", "channels")


@dataclass
class TrainConfig:
    """The flags of ``torchslim train`` (see ``torchslim train --help`` for each)."""

    train_dir: str = DEFAULT_TRAIN_DIR
    dataset_dir: Optional[str] = None
    model_name: str = "resnet_v2_digits"
    preprocessing_name: Optional[str] = None
    image_size: Optional[int] = None
    channels: Optional[int] = None
    batch_size: int = 64
    epochs: Optional[float] = 12
    max_number_of_steps: Optional[int] = None
    optimizer: str = "momentum"
    learning_rate: float = 0.1
    learning_rate_decay_type: str = "cosine"
    num_epochs_per_decay: float = 2.0
    learning_rate_decay_factor: float = 0.94
    end_learning_rate: float = 0.0001
    momentum: float = 0.9
    rmsprop_momentum: float = 0.9
    rmsprop_decay: float = 0.9
    opt_epsilon: float = 1.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    weight_decay: float = 0.0001
    label_smoothing: float = 0.0
    clip_gradient_norm: float = 0.0
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
    """What a run produced: final loss, held-out metrics, files written."""

    global_step: int
    loss: Optional[float]
    metrics: Optional[evaluation.Metrics]
    checkpoint: Optional[str]
    metrics_path: Optional[str]
    seconds: float
    resumed_from: Optional[str] = None
    event_files: List[str] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# Run configuration, data and model (shared with evaluation).

def read_run_config(train_dir: str) -> Dict[str, Any]:
    """The ``run_config.json`` of a run directory.

    Raises:
      FileNotFoundError: naming the file when it is missing.
    """
    path = os.path.join(train_dir, RUN_CONFIG)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no run configuration (is {train_dir} a 'torchslim train' run "
                                "directory? Otherwise pass --model_name and the data set flags)")
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


def _resolved(config: Dict[str, Any]) -> Dict[str, Any]:
    """``config`` with the image size and channels filled in from the net and data set."""
    out = dict(config)
    digits = not out.get("dataset_dir")
    if not out.get("image_size"):
        default = models.default_image_size(out["model_name"])
        out["image_size"] = 32 if digits and out["model_name"] in models.SMALL_NETS else default
    if not out.get("channels"):
        out["channels"] = 1 if digits else 3
    return out


def load_dataset(config: Dict[str, Any], split: str, training: bool = False):
    """The run's data set: the digits or an image folder, preprocessed for ``split``.

    Args:
      config: a run configuration (``TrainConfig`` as a dict).
      split: ``train`` or ``validation``.
      training: preprocess with the training (random) path of the net's preprocessing.

    Returns:
      An ``ArrayDataset`` or ``ImageFolderDataset``.
    """
    from torchslim.train import preprocessing

    config = _resolved(config)
    size, channels = int(config["image_size"]), int(config["channels"])
    if not config.get("dataset_dir"):
        return data_lib.load_digits(split, image_size=size, channels=channels)
    name = config.get("preprocessing_name") or config["model_name"]
    preprocess = preprocessing.get_preprocessing(name, is_training=training)

    def transform(image: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] != channels:
            image = image.expand(-1, -1, channels) if image.shape[-1] == 1 else image[..., :1]
        return preprocess(image, size, size)

    return data_lib.image_folder(config["dataset_dir"], split, seed=0, transform=transform)


def build_model(config: Dict[str, Any], dataset, device: Any = "cpu") -> torch.nn.Module:
    """The run's net as a built ``slim.Model`` on ``device``."""
    config = _resolved(config)
    num_classes = config.get("num_classes") or dataset.num_classes
    model = models.create_model(config["model_name"], num_classes=num_classes,
                                weight_decay=config.get("weight_decay", 0.0))
    size, channels = int(config["image_size"]), int(config["channels"])
    model.build(torch.zeros(2, size, size, channels))
    return model.to(device)


# ----------------------------------------------------------------------------------------------
# Processes and devices.

def _setup_distributed(device_flag: Optional[str]) -> Tuple[int, int, torch.device]:
    """``(rank, world_size, device)``; joins the torchrun process group when ``WORLD_SIZE > 1``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    want_cuda = device_flag == "cuda" or (device_flag is None and torch.cuda.is_available())
    if device_flag == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (use --device cpu)")
    if device_flag not in (None, "cpu", "cuda"):
        raise ValueError(f"--device: expected cpu or cuda, got {device_flag!r}")
    if world <= 1:
        return 0, 1, torch.device("cuda" if want_cuda else "cpu")
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if want_cuda:
        torch.cuda.set_device(local_rank)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if want_cuda else "gloo")
    device = torch.device("cuda", local_rank) if want_cuda else torch.device("cpu")
    return torch.distributed.get_rank(), torch.distributed.get_world_size(), device


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

def _check_same_run(train_dir: str, config: Dict[str, Any]) -> None:
    path = os.path.join(train_dir, RUN_CONFIG)
    if not os.path.exists(path):
        return
    old = read_run_config(train_dir)
    changed = [k for k in _IDENTITY if old.get(k) != config.get(k)]
    if changed and run_dir._ckpt.latest_checkpoint(train_dir):
        details = ", ".join(f"{k}: {old.get(k)!r} -> {config.get(k)!r}" for k in changed)
        raise ValueError(f"--train_dir {train_dir} holds a run with another configuration ({details}); "
                         "use a new --train_dir or the same flags to resume it")


def _write_run_config(train_dir: str, config: Dict[str, Any]) -> None:
    os.makedirs(train_dir, exist_ok=True)
    atomic_write_bytes(os.path.join(train_dir, RUN_CONFIG), (json.dumps(config, indent=1) + "\n").encode())


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
        restored = _restore_for_fine_tuning(model, prefix, exclude, config.ignore_missing_vars)
        log.info("fine-tuning from %s: restored %d variables (excluded %s)", prefix, restored, exclude or "none")
        _say(f"fine-tuning from {prefix}: {restored} variables restored"
             + (f", excluded scopes {', '.join(exclude)}" if exclude else ""))

    return init_fn


def _restore_for_fine_tuning(model, prefix: str, exclude: List[str], ignore_missing_vars: bool) -> int:
    from torchslim import checkpoint as ckpt

    values = ckpt.load(prefix)
    count = 0
    for var in optim.variables_to_restore(model, exclude):
        if var.name not in values:
            if ignore_missing_vars:
                log.warning("%s: variable %s not in the checkpoint; keeping its initial value", prefix, var.name)
                continue
            raise ValueError(f"--checkpoint_path {prefix}: variable {var.name} is missing from the checkpoint "
                             "(exclude its scope with --checkpoint_exclude_scopes or pass --ignore_missing_vars)")
        if tuple(values[var.name].shape) != tuple(var.tf_shape):
            raise ValueError(f"--checkpoint_path {prefix}: variable {var.name} has shape "
                             f"{list(values[var.name].shape)} in the checkpoint but {list(var.tf_shape)} in the "
                             "model (exclude its scope with --checkpoint_exclude_scopes, e.g. the logits)")
        var.assign_tf(values[var.name])
        count += 1
    return count


_QUIET = False


def _say(message: str) -> None:
    if not _QUIET:
        print(message, flush=True)


def _make_loss(net: torch.nn.Module, model, device: torch.device, config: TrainConfig, num_classes: int):
    def total_loss(images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        with evaluation.autocast(device, config.precision):
            logits, _ = net(images)
        onehot = torch.nn.functional.one_hot(labels, num_classes)
        slim_losses.softmax_cross_entropy(logits.float(), onehot, label_smoothing=config.label_smoothing)
        return slim_losses.get_total_loss(model=model)

    return total_loss


class _Progress:
    """tqdm bar, images/s and learning-rate summaries (chief only)."""

    def __init__(self, config: TrainConfig, total: int, start: int, images_per_step: int,
                 writer: Optional[EventFileWriter], optimizer: torch.optim.Optimizer, enabled: bool):
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=start, unit="step", disable=not enabled, dynamic_ncols=True,
                        mininterval=0.5, file=sys.stderr, desc="train")
        self.writer, self.optimizer, self.images_per_step = writer, optimizer, images_per_step
        self.every = max(config.save_summaries_steps, 1)
        self.window_start, self.window_steps = time.time(), 0

    def __call__(self, step: int, loss: float, seconds: float) -> None:
        self.bar.update(1)
        self.window_steps += 1
        if step % self.every == 0 or step == self.bar.total:
            elapsed = max(time.time() - self.window_start, 1e-9)
            speed = self.window_steps * self.images_per_step / elapsed
            self.bar.set_postfix(loss=f"{loss:.4f}", lr=f"{self.optimizer.param_groups[0]['lr']:.3g}",
                                 img_s=f"{speed:.0f}")
            if self.writer is not None:
                self.writer.add_scalar("images_per_sec", speed, step)
            self.window_start, self.window_steps = time.time(), 0

    def close(self) -> None:
        self.bar.close()


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
      :class:`TrainResult` (metrics on rank 0 only).

    Raises:
      ValueError: for bad flags (naming the flag), a train_dir holding another run, a non-finite loss.
    """
    global _QUIET
    _QUIET = quiet
    started = time.time()
    rank, world, device = _setup_distributed(config.device)
    is_chief = rank == 0
    _QUIET = quiet or not is_chief
    try:
        return _run(config, rank, world, device, is_chief, started)
    finally:
        if world > 1 and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def _run(config: TrainConfig, rank: int, world: int, device: torch.device, is_chief: bool,
         started: float) -> TrainResult:
    torch.manual_seed(config.seed)
    settings = _resolved(asdict(config))
    train_set = load_dataset(settings, "train", training=True)
    eval_set = load_dataset(settings, "validation")
    settings["num_classes"] = settings.get("num_classes") or train_set.num_classes
    settings["class_names"] = list(getattr(train_set, "class_names", []))
    if is_chief:
        _check_same_run(config.train_dir, settings)
        _write_run_config(config.train_dir, settings)
    model = build_model(settings, train_set, device)
    torch.manual_seed(config.seed * 1000 + 1 + rank)  # per-rank augmentation randomness
    handler = _setup_logging(config.train_dir, is_chief)
    try:
        return _train_and_evaluate(config, settings, model, train_set, eval_set, rank, world, device, is_chief,
                                   started)
    finally:
        if handler is not None:
            log.removeHandler(handler)
            handler.close()


def _train_and_evaluate(config, settings, model, train_set, eval_set, rank, world, device, is_chief, started):
    trained = optim.variables_to_train(model, config.trainable_scopes)
    chosen = {id(v.tensor) for v in trained}
    for param in model.parameters():
        param.requires_grad_(id(param) in chosen)
    optimizer = optim.configure_optimizer(
        config.optimizer, [v.tensor for v in trained], config.learning_rate, momentum=config.momentum,
        rmsprop_momentum=config.rmsprop_momentum, rmsprop_decay=config.rmsprop_decay,
        opt_epsilon=config.opt_epsilon, adam_beta1=config.adam_beta1, adam_beta2=config.adam_beta2)
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
        config.num_epochs_per_decay, config.learning_rate_decay_factor, config.end_learning_rate, total)
    scaler = torch.amp.GradScaler(device.type) if config.precision == "fp16" else None
    train_op = learning.create_train_op(_make_loss(net, model, device, config, settings["num_classes"]), optimizer,
                                        clip_gradient_norm=config.clip_gradient_norm, model=model,
                                        grad_scaler=scaler)
    resumed = run_dir._ckpt.latest_checkpoint(config.train_dir) if os.path.isdir(config.train_dir) else None
    _say(f"torchslim train: {config.model_name} on {getattr(train_set, 'name', '')} "
         f"({len(train_set)} training / {len(eval_set)} held-out images), {total} steps of "
         f"{config.batch_size}{f' x {world} processes' if world > 1 else ''}, {config.optimizer} "
         f"lr {config.learning_rate} ({config.learning_rate_decay_type}), device {device}, run dir {config.train_dir}")
    if resumed:
        _say(f"resuming from {resumed} (global step {run_dir.step_from_prefix(resumed)})")
    writer = EventFileWriter(config.train_dir) if is_chief else None
    progress = _Progress(config, total, run_dir.step_from_prefix(resumed) or 0 if resumed else 0,
                         config.batch_size * world, writer, optimizer, is_chief and config.progress)

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
            extra_state=lambda: {"model_name": config.model_name})
    finally:
        progress.close()
    return _finish(config, model, eval_set, train_op, loss, device, is_chief, writer, started, resumed)


def _finish(config, model, eval_set, train_op, loss, device, is_chief, writer, started, resumed) -> TrainResult:
    checkpoint = run_dir._ckpt.latest_checkpoint(config.train_dir) if is_chief else None
    metrics = metrics_path = None
    if is_chief:
        metrics = evaluation.evaluate(model, eval_set, config.eval_batch_size, device, config.precision,
                                      config.num_workers)
        metrics.checkpoint, metrics.global_step = checkpoint, train_op.step
        metrics_path = os.path.join(config.train_dir, "eval", "metrics.json")
        evaluation.write_metrics(metrics, metrics_path)
        writer.add_scalars({"eval/accuracy": metrics.top1, "eval/top5_accuracy": metrics.top5}, train_op.step)
        writer.close()
    seconds = time.time() - started
    events = sorted(n for n in os.listdir(config.train_dir) if n.startswith("events.out")) if is_chief else []
    if is_chief:
        _say(f"held-out accuracy: {metrics.summary()}")
        _say(f"checkpoint (TF format): {checkpoint}")
        _say(f"metrics: {metrics_path}")
        _say(f"event logs: {config.train_dir} (tensorboard --logdir {config.train_dir})")
        _say(f"done in {seconds:.1f} s at global step {train_op.step}")
    return TrainResult(train_op.step, loss, metrics, checkpoint, metrics_path, seconds, resumed, events)
