"""The flags of Slim's ``train_image_classifier.py`` / ``eval_image_classifier.py`` that ``torchslim train`` /
``torchslim eval`` take beyond their own: the data set flags, and the graph-era flags that have no
meaning here, which stop with an error saying why and what to use instead.

Every one of the scripts' flags is accepted by name. Those that work are listed in :data:`TRAIN_FLAGS`
/ :data:`EVAL_FLAGS` with what they map to; a flag in :data:`TRAIN_STOPS` / :data:`EVAL_STOPS` is
accepted only at its neutral value (the one that asks for nothing: ``--num_clones 1``,
``--master ''``) and otherwise stops the command with the message given there.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, Dict, Tuple

__all__ = ["TRAIN_FLAGS", "EVAL_FLAGS", "TRAIN_STOPS", "EVAL_STOPS", "add_dataset_flags", "add_stop_flags",
           "check_stop_flags"]

_TORCHRUN = "one process per device with torchrun (torchrun --nproc_per_node N -m torchslim train ...)"

#: ``flag: (type, neutral value, why it stops and what to use instead)``.
TRAIN_STOPS: Dict[str, Tuple[Callable[[str], Any], Any, str]] = {
    "master": (str, "", f"there is no TensorFlow master; run several machines with {_TORCHRUN} and torchrun's "
                        "--nnodes/--rdzv_endpoint"),
    "num_clones": (int, 1, f"model clones are TensorFlow's in-graph replication; use {_TORCHRUN}"),
    "clone_on_cpu": (lambda s: s.lower() in ("1", "true", "yes"), False,
                     "clones are not used; --device cpu trains on the CPU"),
    "worker_replicas": (int, 1, f"replicas are torchrun processes: use {_TORCHRUN}"),
    "num_ps_tasks": (int, 0, f"there are no parameter servers; DDP averages gradients: use {_TORCHRUN}"),
    "task": (int, 0, "the task id is torchrun's RANK (set by torchrun, not by a flag)"),
    "sync_replicas": (lambda s: s.lower() in ("1", "true", "yes"), False,
                      "DDP processes are always synchronous; use torchrun"),
    "replicas_to_aggregate": (int, 1, "DDP averages every process's gradients each step; use torchrun"),
    "save_summaries_secs": (int, None, "summaries are written by step: use --save_summaries_steps N"),
    "ftrl_learning_rate_power": (float, -0.5, "the ftrl optimizer is not available; use another --optimizer"),
    "ftrl_initial_accumulator_value": (float, 0.1, "the ftrl optimizer is not available; use another --optimizer"),
    "ftrl_l1": (float, 0.0, "the ftrl optimizer is not available; use another --optimizer"),
    "ftrl_l2": (float, 0.0, "the ftrl optimizer is not available; use another --optimizer"),
    "quantize_delay": (int, -1, "quantization-aware training (tf.contrib.quantize) has no counterpart here"),
}

EVAL_STOPS: Dict[str, Tuple[Callable[[str], Any], Any, str]] = {
    "master": TRAIN_STOPS["master"],
    "quantize": (lambda s: s.lower() in ("1", "true", "yes"), False,
                 "quantized evaluation graphs (tf.contrib.quantize) have no counterpart here"),
}

#: The scripts' flags that work, and what each is in torchslim (same name unless said).
TRAIN_FLAGS = {
    "train_dir": "", "log_every_n_steps": "", "save_interval_secs": "", "weight_decay": "", "optimizer": "",
    "adadelta_rho": "", "adagrad_initial_accumulator_value": "", "adam_beta1": "", "adam_beta2": "",
    "opt_epsilon": "", "momentum": "", "rmsprop_momentum": "", "rmsprop_decay": "",
    "learning_rate_decay_type": "", "learning_rate": "", "end_learning_rate": "", "label_smoothing": "",
    "learning_rate_decay_factor": "", "num_epochs_per_decay": "", "dataset_name": "", "dataset_split_name": "",
    "dataset_dir": "", "labels_offset": "", "model_name": "", "preprocessing_name": "", "batch_size": "",
    "train_image_size": "--image_size", "max_number_of_steps": "", "use_grayscale": "", "checkpoint_path": "",
    "checkpoint_exclude_scopes": "", "trainable_scopes": "", "ignore_missing_vars": "",
    "num_readers": "--num_workers (DataLoader workers read and preprocess)",
    "num_preprocessing_threads": "--num_workers (DataLoader workers read and preprocess)",
    "warmup_epochs": "", "moving_average_decay": "",
}
EVAL_FLAGS = {
    "batch_size": "", "max_num_batches": "", "checkpoint_path": "", "eval_dir": "", "dataset_name": "",
    "dataset_split_name": "", "dataset_dir": "", "labels_offset": "", "model_name": "", "preprocessing_name": "",
    "eval_image_size": "--image_size", "use_grayscale": "",
    "num_preprocessing_threads": "--num_workers (DataLoader workers read and preprocess)",
    "moving_average_decay": "",
}


def _add(parser, name: str, **kwargs) -> None:
    names = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
    parser.add_argument(*names, dest=name, **kwargs)


def add_dataset_flags(parser, training: bool) -> None:
    """``--dataset_name``, ``--dataset_split_name``, ``--labels_offset``, ``--use_grayscale`` and the aliases."""
    group = parser.add_argument_group("Slim data sets (TFRecord files, as dataset_factory reads them)")
    _add(group, "dataset_name", default=None, choices=("cifar10", "flowers", "imagenet", "mnist"),
         help="read --dataset_dir's TFRecord files as this Slim data set (default: an image folder, or the "
              "embedded digits without --dataset_dir)")
    _add(group, "dataset_split_name", default="train" if training else None,
         help="the split to train on (default train)" if training else
              "the split to evaluate (default: the data set's held-out split, validation or test)")
    _add(group, "labels_offset", type=int, default=0,
         help="subtracted from every label (1: a 1000-class net on ImageNet's 1001 labels)")
    _add(group, "use_grayscale", action="store_true", help="convert images to grey in the preprocessing")
    if training:
        group.add_argument("--train_image_size", "--train-image-size", dest="image_size", type=int,
                           help="alias of --image_size")
    else:
        group.add_argument("--eval_image_size", "--eval-image-size", dest="image_size", type=int,
                           help="alias of --image_size")
        _add(group, "max_num_batches", type=int, default=None,
             help="evaluate at most this many batches (default: the whole split)")
    for name in ("num_readers", "num_preprocessing_threads") if training else ("num_preprocessing_threads",):
        group.add_argument(f"--{name}", f"--{name.replace('_', '-')}", dest="num_workers", type=int,
                           help="alias of --num_workers")


def add_stop_flags(parser, stops: Dict[str, Tuple[Callable[[str], Any], Any, str]]) -> None:
    """The scripts' flags that have no meaning here (hidden from ``--help``; checked by :func:`check_stop_flags`)."""
    for name, (kind, _, _) in stops.items():
        _add(parser, name, type=kind, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def check_stop_flags(args: argparse.Namespace, stops: Dict[str, Tuple[Callable[[str], Any], Any, str]]) -> None:
    """Raises for the first stop flag given with a value other than its neutral one.

    Raises:
      ValueError: ``--flag value: why; what to use instead``.
    """
    for name, (_, neutral, message) in stops.items():
        if hasattr(args, name) and getattr(args, name) != neutral:
            raise ValueError(f"--{name} {getattr(args, name)}: {message}")

