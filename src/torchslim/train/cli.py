"""``torchslim train`` and ``torchslim eval``: Slim's ``train_image_classifier.py`` / ``eval_image_classifier.py``.

Flags keep the scripts' names (``--train_dir``, ``--max_number_of_steps``, ``--checkpoint_exclude_scopes``,
...); each is also accepted with dashes (``--train-dir``). With no flags, ``torchslim train`` trains a
small Slim ResNet v2 on the embedded digits data set, evaluates it on the held-out images and writes
everything to ``runs/digits``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional

from torchslim.train import slim_flags

__all__ = ["add_train_parser", "run_train", "add_eval_parser", "run_eval"]

_TRAIN_EPILOG = """\
examples:
  torchslim train                                   # ResNet v2 on the embedded digits -> runs/digits
  torchslim eval --checkpoint_path runs/digits      # re-evaluate the latest checkpoint
  torchslim train --dataset_dir ~/flowers --model_name resnet_v2_50 --image_size 224 \\
      --checkpoint_path resnet_v2_50.ckpt --checkpoint_exclude_scopes resnet_v2_50/logits \\
      --trainable_scopes resnet_v2_50/logits --train_dir runs/flowers
  torchrun --nproc_per_node=2 -m torchslim train     # data-parallel (DDP) on 2 processes

A run directory holds model.ckpt-<step> (TF format) + the 'checkpoint' state file, the optimizer
state beside each checkpoint, run_config.json, TensorBoard event files, train.log and eval/metrics.json.
Re-running the same command resumes from the latest checkpoint.
"""


def _flag(parser: argparse._ActionsContainer, name: str, **kwargs: Any) -> None:
    """Adds ``--name`` and, if it has underscores, ``--name-with-dashes``."""
    names = [f"--{name}"]
    if "_" in name:
        names.append(f"--{name.replace('_', '-')}")
    parser.add_argument(*names, dest=name, **kwargs)


def _optional_int(text: str) -> Optional[int]:
    return None if text.lower() in ("none", "") else int(text)


def _optional_float(text: str) -> Optional[float]:
    return None if text.lower() in ("none", "") else float(text)


def _common_flags(parser: argparse.ArgumentParser) -> None:
    _flag(parser, "dataset_dir", default=None, metavar="DIR",
          help="image folder data set: DIR/<class>/<images> (or DIR/train/... and DIR/validation/...), "
               "PNG/JPEG/PPM/PGM/.npy; with --dataset_name, the folder of that Slim data set's TFRecord files. "
               "Default: the embedded digits data set")
    _flag(parser, "device", choices=("cpu", "cuda"), default=None,
          help="where to run (default: cuda when available, else cpu)")
    _flag(parser, "precision", choices=("fp32", "bf16", "fp16"), default="fp32",
          help="autocast precision of the forward pass (default fp32)")
    _flag(parser, "num_workers", type=int, default=0, metavar="N",
          help="DataLoader worker processes for image-folder data (default 0)")
    _flag(parser, "num_threads", type=int, default=0, metavar="N",
          help="CPU threads of this process (default 0: OMP_NUM_THREADS if set, else the cores not busy "
               "with other work; PyTorch's threads spin while waiting, so oversubscribed cores are slow)")


def add_train_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``train`` command and its flags to ``subparsers``."""
    from torchslim.train.job import TrainConfig

    d = TrainConfig()
    parser = subparsers.add_parser(
        "train", help="train a Slim net (default: a ResNet on the embedded digits data)",
        description="Train a Slim net as train_image_classifier.py does, then evaluate it on the held-out "
                    "split. Same flags, eager PyTorch underneath.",
        epilog=_TRAIN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    run = parser.add_argument_group("run")
    _flag(run, "train_dir", default=d.train_dir, metavar="DIR",
          help=f"run directory for checkpoints, logs and metrics (default {d.train_dir}); alias --logdir")
    run.add_argument("--logdir", dest="train_dir", help=argparse.SUPPRESS)
    _flag(run, "seed", type=int, default=d.seed,
          help="random seed (default 0): the same flags, seed, --num_threads and device give the same run, "
               "bit for bit")
    _flag(run, "save_interval_steps", type=_optional_int, default=d.save_interval_steps, metavar="N",
          help="save a checkpoint every N steps (default: by time only)")
    _flag(run, "save_interval_secs", type=_optional_float, default=d.save_interval_secs, metavar="S",
          help="save a checkpoint every S seconds (default 600); the last step is always saved")
    _flag(run, "max_to_keep", type=int, default=d.max_to_keep, help="checkpoints kept (default 5)")
    _flag(run, "log_every_n_steps", type=int, default=d.log_every_n_steps,
          help="log the loss to train.log every N steps (default 10)")
    _flag(run, "save_summaries_steps", type=int, default=d.save_summaries_steps,
          help="write TensorBoard scalars every N steps (default 10)")
    run.add_argument("--no_progress", "--no-progress", dest="progress", action="store_false",
                     help="no progress bar")
    _common_flags(run)

    data = parser.add_argument_group("data and model")
    _flag(data, "model_name", default=d.model_name,
          help="net to train: resnet_v2_digits (small, default), resnet_v1_small / resnet_v2_small (TF-Slim's "
               "test nets), resnet_v1_18..200, resnet_v2_18..200, inception_resnet_v2, inception_resnet_v1")
    _flag(data, "preprocessing_name", default=None,
          help="cifarnet, inception, lenet or vgg (default: by model name, as Slim's preprocessing_factory)")
    _flag(data, "image_size", type=int, default=None,
          help="input height and width (default: 32 for the digits, else the net's default size)")
    _flag(data, "channels", type=int, choices=(1, 3), default=None,
          help="image channels (default: 1 for the digits, 3 for image folders)")
    _flag(data, "batch_size", type=int, default=d.batch_size, help="examples per step and process (default 64)")
    _flag(data, "epochs", type=_optional_float, default=d.epochs,
          help=f"passes over the training data (default {d.epochs:g}); ignored with --max_number_of_steps")
    _flag(data, "max_number_of_steps", type=_optional_int, default=None, metavar="N",
          help="stop at global step N")
    data.add_argument("--no_augment", "--no-augment", dest="augment", action="store_false",
                      help="no random shifts of the digits during training")
    _flag(data, "eval_batch_size", type=int, default=d.eval_batch_size, help="evaluation batch size (default 200)")

    opt = parser.add_argument_group("optimization (train_image_classifier.py's flags)")
    _flag(opt, "optimizer", default=d.optimizer,
          choices=("momentum", "sgd", "rmsprop", "adam", "adadelta", "adagrad"),
          help="optimizer with TF's update rule (default momentum)")
    _flag(opt, "learning_rate", type=float, default=d.learning_rate, help="initial learning rate (default 0.1)")
    _flag(opt, "learning_rate_decay_type", default=d.learning_rate_decay_type,
          choices=("exponential", "fixed", "polynomial", "cosine"), help="schedule (default cosine)")
    _flag(opt, "num_epochs_per_decay", type=float, default=d.num_epochs_per_decay,
          help="epochs per decay step (exponential, polynomial; default 2)")
    _flag(opt, "learning_rate_decay_factor", type=float, default=d.learning_rate_decay_factor,
          help="exponential decay factor (default 0.94)")
    _flag(opt, "end_learning_rate", type=float, default=d.end_learning_rate,
          help="final rate of polynomial and cosine decay (default 0.0001)")
    _flag(opt, "weight_decay", type=float, default=d.weight_decay, help="L2 on the weights (default 0.0001)")
    _flag(opt, "momentum", type=float, default=d.momentum, help="momentum optimizer's momentum (0.9)")
    _flag(opt, "rmsprop_momentum", type=float, default=d.rmsprop_momentum, help="RMSProp momentum (0.9)")
    _flag(opt, "rmsprop_decay", type=float, default=d.rmsprop_decay, help="RMSProp decay (0.9)")
    _flag(opt, "opt_epsilon", type=float, default=d.opt_epsilon, help="epsilon of rmsprop/adam/adadelta (1.0)")
    _flag(opt, "adadelta_rho", type=float, default=d.adadelta_rho, help="Adadelta's rho (0.95)")
    _flag(opt, "adagrad_initial_accumulator_value", type=float, default=d.adagrad_initial_accumulator_value,
          help="Adagrad's initial accumulator value (0.1)")
    _flag(opt, "adam_beta1", type=float, default=d.adam_beta1, help="Adam beta1 (0.9)")
    _flag(opt, "adam_beta2", type=float, default=d.adam_beta2, help="Adam beta2 (0.999)")
    _flag(opt, "label_smoothing", type=float, default=d.label_smoothing, help="label smoothing (0)")
    _flag(opt, "clip_gradient_norm", type=float, default=d.clip_gradient_norm,
          help="clip each gradient tensor to this norm (0: no clipping)")
    _flag(opt, "warmup_epochs", type=float, default=d.warmup_epochs,
          help="linear learning-rate warm-up from 0 over this many epochs (default 0: none)")
    _flag(opt, "moving_average_decay", type=_optional_float, default=None, metavar="D",
          help="keep exponential moving averages of the model variables (checkpoint names "
               "<variable>/ExponentialMovingAverage); the held-out evaluation uses them (default: none)")

    tune = parser.add_argument_group("fine-tuning")
    _flag(tune, "checkpoint_path", default=None, metavar="PATH",
          help="checkpoint (TF V1/V2 prefix, or a run directory) to warm-start from; ignored when "
               "--train_dir already has a checkpoint (the run resumes instead)")
    _flag(tune, "checkpoint_exclude_scopes", default=None, metavar="SCOPES",
          help="comma-separated scopes not restored from --checkpoint_path, e.g. resnet_v2_50/logits")
    _flag(tune, "trainable_scopes", default=None, metavar="SCOPES",
          help="comma-separated scopes to train (default: all trainable variables)")
    _flag(tune, "ignore_missing_vars", action="store_true",
          help="skip variables missing from --checkpoint_path instead of failing")
    slim_flags.add_dataset_flags(parser, training=True)
    slim_flags.add_stop_flags(parser, slim_flags.TRAIN_STOPS)
    return parser


def run_train(args: argparse.Namespace) -> int:
    """Runs ``torchslim train``; returns the exit status."""
    from torchslim.checkpoint import CheckpointError
    from torchslim.train import job
    from torchslim.train.learning import NonFiniteLossError

    try:
        slim_flags.check_stop_flags(args, slim_flags.TRAIN_STOPS)
        job.run(job.TrainConfig.from_namespace(args))
    except NonFiniteLossError as exc:
        print(f"torchslim train: error: {exc}; lower --learning_rate or clip the gradients with "
              "--clip_gradient_norm (the run directory keeps its last checkpoint)", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, ImportError, CheckpointError) as exc:
        print(f"torchslim train: error: {exc}", file=sys.stderr)
        return 1
    return 0


def add_eval_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``eval`` command and its flags to ``subparsers``."""
    parser = subparsers.add_parser(
        "eval", help="evaluate a checkpoint or run directory",
        description="Evaluate a checkpoint on the held-out split, as eval_image_classifier.py: top-1 / top-5 "
                    "accuracy, per-class accuracy and confusion counts, printed and written as JSON.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  torchslim eval --checkpoint_path runs/digits\n"
               "  torchslim eval --checkpoint_path runs/digits/model.ckpt-200 --eval_dir /tmp/eval")
    _flag(parser, "checkpoint_path", default=None, metavar="PATH",
          help="a run directory (its latest checkpoint) or a checkpoint prefix (default: runs/digits)")
    _flag(parser, "eval_dir", default=None, metavar="DIR",
          help="where to write metrics.json (default: <run dir>/eval for a torchslim run directory; "
               "elsewhere nothing is written without this flag)")
    _flag(parser, "batch_size", type=int, default=200, help="examples per forward pass (default 200)")
    _flag(parser, "split", choices=("validation", "train"), default="validation",
          help="which split to evaluate (default: the held-out validation split)")
    _flag(parser, "model_name", default=None,
          help="net of the checkpoint when it has no run_config.json beside it")
    _flag(parser, "num_classes", type=int, default=None, help="classes of that net (with --model_name)")
    _flag(parser, "image_size", type=int, default=None, help="input size (with --model_name)")
    _flag(parser, "channels", type=int, choices=(1, 3), default=None,
          help="image channels (with --model_name; default: 1 for the digits, 3 for image folders)")
    _flag(parser, "preprocessing_name", default=None,
          help="preprocessing (default: the run's, else by --model_name as Slim's preprocessing_factory)")
    _flag(parser, "moving_average_decay", type=_optional_float, default=None, metavar="D",
          help="restore the model variables from their moving averages (<variable>/ExponentialMovingAverage), "
               "as eval_image_classifier.py does with this flag")
    _common_flags(parser)
    slim_flags.add_dataset_flags(parser, training=False)
    slim_flags.add_stop_flags(parser, slim_flags.EVAL_STOPS)
    return parser


def _eval_config(args: argparse.Namespace, directory: str) -> Optional[dict]:
    from torchslim.train import job, run_config

    if os.path.exists(os.path.join(directory, run_config.RUN_CONFIG)):
        config = run_config.read_run_config(directory)
        if args.model_name:
            config["model_name"] = args.model_name
    elif not args.model_name:
        return None
    else:
        config = dict(vars(job.TrainConfig()), model_name=args.model_name, num_classes=args.num_classes,
                      image_size=args.image_size, channels=args.channels, dataset_dir=args.dataset_dir)
    overrides = {"dataset_name": args.dataset_name, "eval_split_name": args.dataset_split_name,
                 "preprocessing_name": args.preprocessing_name, "image_size": args.image_size,
                 "labels_offset": args.labels_offset or None, "use_grayscale": args.use_grayscale or None}
    config.update({k: v for k, v in overrides.items() if v is not None})
    return config


def run_eval(args: argparse.Namespace) -> int:
    """Runs ``torchslim eval``; returns the exit status."""
    from torchslim.checkpoint import CheckpointError
    from torchslim.train import evaluation, job, run_config, run_dir

    path = args.checkpoint_path or job.DEFAULT_TRAIN_DIR
    try:
        slim_flags.check_stop_flags(args, slim_flags.EVAL_STOPS)
        job.configure_threads(args.num_threads)
        prefix = run_dir.resolve_checkpoint_path(path)
        directory = os.path.dirname(prefix) or "."
        config = _eval_config(args, directory)
        if config is None:
            raise FileNotFoundError(f"{directory}: no {run_config.RUN_CONFIG}; pass --model_name (and --num_classes, "
                                    "--image_size, --channels) to say which net the checkpoint holds")
        device = args.device or ("cuda" if __import__("torch").cuda.is_available() else "cpu")
        metrics = evaluation.evaluate_checkpoint(prefix, config, args.batch_size, device, args.precision,
                                                 args.num_workers, args.dataset_dir, args.split,
                                                 max_num_batches=args.max_num_batches,
                                                 moving_average_decay=args.moving_average_decay)
    except (ValueError, FileNotFoundError, ImportError, CheckpointError) as exc:
        print(f"torchslim eval: error: {exc}", file=sys.stderr)
        return 1
    step = "" if metrics.global_step is None else f" (global step {metrics.global_step})"
    print(f"checkpoint: {prefix}{step}")
    print(f"{args.split} accuracy: {metrics.summary()}")
    print(f"eval/Accuracy[{metrics.top1:.6g}]")
    print(f"eval/Recall_5[{metrics.top5:.6g}]")
    _print_per_class(metrics)
    out = _metrics_path(args.eval_dir, directory)
    if out is None:
        print("metrics: not written (not a torchslim run directory; pass --eval_dir to write metrics.json)")
    else:
        evaluation.write_metrics(metrics, out)
        print(f"metrics: {out}")
    return 0


def _metrics_path(eval_dir: Optional[str], directory: str) -> Optional[str]:
    """``eval_dir/metrics.json``; by default ``<run dir>/eval/metrics.json``, None outside a run directory."""
    from torchslim.train import run_config

    if eval_dir:
        return os.path.join(eval_dir, "metrics.json")
    if os.path.exists(os.path.join(directory, run_config.RUN_CONFIG)):
        return os.path.join(directory, "eval", "metrics.json")
    return None


def _print_per_class(metrics) -> None:
    names = metrics.class_names or [str(i) for i in range(len(metrics.per_class_accuracy))]
    cells = [f"{name}: {'-' if acc is None else f'{100 * acc:.1f}%'}"
             for name, acc in zip(names, metrics.per_class_accuracy)]
    print("per class: " + ", ".join(cells))
