"""``torchslim train`` / ``torchslim eval`` end to end, in process (a short run on the embedded digits)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from torchslim import checkpoint
from torchslim.cli import COMMANDS
from torchslim.train import data, job

from . import _tfrecord
from ._cli import SHORT, run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 30-step run saving every 10 steps and keeping 2 checkpoints."""
    train_dir = tmp_path_factory.mktemp("cli") / "run"
    status, out, err = run_cli("train", "--train_dir", train_dir, "--max_number_of_steps", 30,
                               "--save_interval_steps", 10, "--max_to_keep", 2, "--save_summaries_steps", 5, *SHORT)
    assert status == 0, err
    return train_dir, out


def _metrics(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_train_writes_a_slim_logdir(trained):
    train_dir, out = trained
    names = set(os.listdir(train_dir))
    for step in (20, 30):
        assert {f"model.ckpt-{step}.index", f"model.ckpt-{step}.data-00000-of-00001",
                f"model.ckpt-{step}.train_state.safetensors"} <= names
    assert not any(n.startswith("model.ckpt-10") for n in names)  # max_to_keep 2 deleted it, side file too
    assert {"checkpoint", "run_config.json", "train.log", "eval"} <= names
    state = checkpoint.get_checkpoint_state(str(train_dir))
    assert state.model_checkpoint_path == "model.ckpt-30"
    assert list(state.all_model_checkpoint_paths) == ["model.ckpt-20", "model.ckpt-30"]
    values = checkpoint.load(str(train_dir / "model.ckpt-30"))
    assert int(values["global_step"]) == 30
    # TF layout: the root conv's kernel is HWIO [7, 7, 1, 64] for 1-channel digits.
    assert values["resnet_v2_digits/conv1/weights"].shape == (7, 7, 1, 64)
    assert "resnet_v2_digits/postnorm/moving_variance" in values
    metrics = _metrics(train_dir / "eval" / "metrics.json")
    assert metrics["num_examples"] == data.DIGITS_HELD_OUT and metrics["global_step"] == 30
    assert metrics["top1"] > 0.5  # 30 steps: far above the 10% of chance
    assert f"top-1 accuracy {100 * metrics['top1']:.2f}%" in out


@pytest.mark.parametrize("which", ["run_dir", "prefix"])
def test_eval_reproduces_the_held_out_metrics(trained, tmp_path, which):
    train_dir, _ = trained
    path = train_dir if which == "run_dir" else train_dir / "model.ckpt-30"
    status, out, err = run_cli("eval", "--checkpoint_path", path, "--eval_dir", tmp_path, "--num_threads", 1)
    assert status == 0, err
    again, first = _metrics(tmp_path / "metrics.json"), _metrics(train_dir / "eval" / "metrics.json")
    for key in ("num_examples", "top1", "top5", "per_class_accuracy", "confusion", "global_step", "class_names"):
        assert again[key] == first[key], key
    assert again["loss"] == pytest.approx(first["loss"], rel=1e-6)
    assert "(global step 30)" in out and f"{100 * first['top1']:.2f}%" in out and "per class: 0:" in out


def test_eval_of_an_older_checkpoint_and_the_train_split(trained, tmp_path):
    train_dir, _ = trained
    status, out, _ = run_cli("eval", "--checkpoint_path", train_dir / "model.ckpt-20", "--split", "train",
                             "--eval_dir", tmp_path, "--num_threads", 1)
    assert status == 0 and "(global step 20)" in out
    metrics = _metrics(tmp_path / "metrics.json")
    assert metrics["global_step"] == 20 and metrics["num_examples"] == 1437


def test_event_file_has_loss_learning_rate_accuracy_and_speed(trained):
    train_dir, _ = trained
    decoded = _tfrecord.read_logdir(str(train_dir))
    assert decoded[0]["file_version"] == "brain.Event:2"
    by_tag = {}
    for event in decoded:
        for tag, value in event["scalars"].items():
            by_tag.setdefault(tag, []).append((event["step"], value))
    for tag in ("losses/total_loss", "learning_rate", "train/accuracy", "images_per_sec"):
        assert [s for s, _ in by_tag[tag]] == [5, 10, 15, 20, 25, 30], tag
    rates = [v for _, v in by_tag["learning_rate"]]
    assert rates == sorted(rates, reverse=True) and rates[0] <= 0.2  # cosine decay from --learning_rate
    assert all(0.0 <= v <= 1.0 for _, v in by_tag["train/accuracy"])
    final = _metrics(train_dir / "eval" / "metrics.json")
    assert by_tag["eval/accuracy"] == [(30, pytest.approx(final["top1"]))]


def test_rerunning_a_finished_run_resumes_and_trains_no_further(trained):
    train_dir, _ = trained
    status, out, err = run_cli("train", "--train_dir", train_dir, "--max_number_of_steps", 30, *SHORT)
    assert status == 0, err
    assert "resuming from" in out and "global step 30" in out
    assert checkpoint.get_checkpoint_state(str(train_dir)).model_checkpoint_path == "model.ckpt-30"


def test_train_dir_holding_another_net_is_refused(trained):
    train_dir, _ = trained
    status, _, err = run_cli("train", "--train_dir", train_dir, "--model_name", "resnet_v2_small", *SHORT)
    assert status == 1
    assert "holds a run with another configuration" in err and "model_name" in err


# ----------------------------------------------------------------------------------------------
# Reproducibility and precision.

def _short_run(train_dir, seed=0, precision="fp32", steps=3):
    config = job.TrainConfig(train_dir=str(train_dir), image_size=16, batch_size=16, max_number_of_steps=steps,
                             seed=seed, precision=precision, num_threads=1, progress=False, eval_batch_size=360)
    return job.run(config, quiet=True)


def test_same_seed_same_run_other_seed_other_run(tmp_path):
    first, second, other = (_short_run(tmp_path / name, seed) for name, seed in (("a", 5), ("b", 5), ("c", 6)))
    a, b, c = (checkpoint.load(r.checkpoint) for r in (first, second, other))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert first.loss == second.loss and first.metrics.confusion == second.metrics.confusion
    assert not np.array_equal(a["resnet_v2_digits/logits/weights"], c["resnet_v2_digits/logits/weights"])


@pytest.fixture(scope="module")
def fp32_run(tmp_path_factory):
    return _short_run(tmp_path_factory.mktemp("fp32") / "run", steps=2)


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_trains_and_keeps_float32_variables(tmp_path, precision, fp32_run):
    reference = fp32_run
    result = _short_run(tmp_path / precision, precision=precision, steps=2)
    assert np.isfinite(result.loss) and result.loss != reference.loss  # autocast changed the arithmetic
    assert abs(result.loss - reference.loss) < 0.1 * reference.loss
    values = checkpoint.load(result.checkpoint)
    assert values["resnet_v2_digits/conv1/weights"].dtype == np.float32
    assert all(np.isfinite(v).all() for v in values.values())


def test_num_threads_flag_and_automatic_choice(monkeypatch):
    before = torch.get_num_threads()
    assert job.configure_threads(1) == 1
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (1000.0, 0.0, 0.0))
    assert job.configure_threads(0) == 1  # every core is busy: one thread
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert job.configure_threads(0) == len(os.sched_getaffinity(0))  # an idle machine: every core
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    torch.set_num_threads(1)
    assert job.configure_threads(0) == 1  # an explicit OMP_NUM_THREADS wins
    with pytest.raises(ValueError, match="--num_threads"):
        job.configure_threads(-1)
    torch.set_num_threads(before)


# ----------------------------------------------------------------------------------------------
# Errors.

def test_non_finite_loss_stops_with_a_clear_error(tmp_path):
    status, _, err = run_cli("train", "--train_dir", tmp_path / "run", "--max_number_of_steps", 5,
                             *SHORT, "--learning_rate", "1e30")
    assert status == 1
    assert "LossTensor is inf or nan" in err and "global step" in err and "--learning_rate" in err


@pytest.mark.parametrize("argv, message", [
    (["train", "--no_such_flag"], "unrecognized arguments: --no_such_flag"),
    (["train", "--optimizer", "lbfgs"], "argument --optimizer: invalid choice: 'lbfgs'"),
    (["train", "--batch_size", "many"], "invalid int value: 'many'"),
    (["eval", "--split", "test"], "argument --split: invalid choice: 'test'"),
])
def test_bad_flags_are_usage_errors(argv, message):
    status, _, err = run_cli(*argv)
    assert status == 2 and message in err and "usage: torchslim" in err


def test_bad_paths_and_values_name_the_flag(tmp_path):
    cases = [
        (["train", "--dataset_dir", tmp_path / "nowhere"], f"--dataset_dir {tmp_path / 'nowhere'}: not a directory"),
        (["train", "--model_name", "resnet_v3_50"], "--model_name: unknown net 'resnet_v3_50'"),
        (["train", "--trainable_scopes", "typo/logits"],
         "--trainable_scopes: scope 'typo/logits' matches no trainable variable"),
        (["train", "--checkpoint_path", tmp_path / "missing.ckpt"], str(tmp_path / "missing.ckpt")),
        (["train", "--num_threads", "-2"], "--num_threads must be >= 0"),
        (["eval", "--checkpoint_path", tmp_path], f"{tmp_path}: no checkpoint in this directory"),
        (["eval", "--checkpoint_path", tmp_path / "model.ckpt-7"], str(tmp_path / "model.ckpt-7")),
    ]
    if not torch.cuda.is_available():
        cases.append((["train", "--device", "cuda"], "--device cuda: no CUDA device is available"))
    for argv, message in cases:
        if argv[0] == "train":  # at most one step should a check not fire
            argv = ["train", "--train_dir", tmp_path / "run", *SHORT, "--max_number_of_steps", 1, *argv[1:]]
        status, _, err = run_cli(*argv)
        assert status == 1 and f"torchslim {argv[0]}: error:" in err and message in err, (argv, err)
        assert "Traceback" not in err


def test_eval_outside_a_run_directory_needs_the_net_and_writes_nothing_by_default(trained, tmp_path):
    train_dir, _ = trained
    lone = tmp_path / "lone"
    lone.mkdir()
    for suffix in (".index", ".data-00000-of-00001"):
        os.link(f"{train_dir}/model.ckpt-30{suffix}", lone / f"model.ckpt-30{suffix}")
    status, _, err = run_cli("eval", "--checkpoint_path", lone / "model.ckpt-30")
    assert status == 1 and "--model_name" in err
    status, out, err = run_cli("eval", "--checkpoint_path", lone / "model.ckpt-30", "--model_name",
                               "resnet_v2_digits", "--image_size", 16, "--num_threads", 1)
    assert status == 0, err
    assert "metrics: not written" in out and sorted(os.listdir(lone)) == ["model.ckpt-30.data-00000-of-00001",
                                                                        "model.ckpt-30.index"]
    expected = _metrics(train_dir / "eval" / "metrics.json")
    assert f"top-1 accuracy {100 * expected['top1']:.2f}%" in out


# ----------------------------------------------------------------------------------------------
# --help

@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_of_every_command(command):
    status, out, _ = run_cli(command, "--help")
    assert status == 0 and f"usage: torchslim {command}" in out


def test_help_shows_the_slim_script_flags():
    _, train_help, _ = run_cli("train", "--help")
    for flag in ("--train_dir", "--max_number_of_steps", "--optimizer", "--learning_rate_decay_type",
                 "--checkpoint_exclude_scopes", "--trainable_scopes", "--clip_gradient_norm", "--seed",
                 "--device", "--precision", "--num_threads", "torchrun --nproc_per_node=2"):
        assert flag in train_help, flag
    _, eval_help, _ = run_cli("eval", "--help")
    assert "--checkpoint_path" in eval_help and "--eval_dir" in eval_help
    status, top, _ = run_cli("--help")
    assert status == 0 and all(name in top for name in COMMANDS)


# ----------------------------------------------------------------------------------------------
# An image-folder data set.

def _write_pgm(path, image):
    height, width = image.shape
    path.write_bytes(b"P5\n%d %d\n255\n" % (width, height) + image.astype(np.uint8).tobytes())


def test_train_and_eval_an_image_folder(tmp_path):
    digits = data.load_digits("all", image_size=12)
    root = tmp_path / "folder"
    for label in (3, 7):
        (root / f"digit{label}").mkdir(parents=True)
        picked = (digits.labels == label).nonzero().flatten()[:10]
        for i, index in enumerate(picked.tolist()):
            pixels = ((digits.images[index, ..., 0].numpy() + 1) * 127.5).round()
            _write_pgm(root / f"digit{label}" / f"{i}.pgm", pixels)
    args = ["--dataset_dir", root, "--model_name", "resnet_v2_small", "--image_size", 16, "--channels", 1,
            "--batch_size", 4, "--max_number_of_steps", 3, "--no_progress", "--num_threads", 1]
    status, out, err = run_cli("train", "--train_dir", tmp_path / "run", *args)
    assert status == 0, err
    assert "16 training / 4 held-out images" in out
    metrics = _metrics(tmp_path / "run" / "eval" / "metrics.json")
    assert metrics["class_names"] == ["digit3", "digit7"] and metrics["num_examples"] == 4
    assert metrics["top5"] == 1.0  # top-5 of two classes
    status, out, err = run_cli("eval", "--checkpoint_path", tmp_path / "run", "--num_threads", 1)
    assert status == 0, err
    assert "per class: digit3:" in out and _metrics(tmp_path / "run" / "eval" / "metrics.json")["top1"] == \
        metrics["top1"]


# ----------------------------------------------------------------------------------------------
# --moving_average_decay and --warmup_epochs end to end.

def test_moving_averages_are_trained_saved_and_evaluated(tmp_path):
    run = tmp_path / "run"
    status, out, err = run_cli("train", "--train_dir", run, *SHORT, "--max_number_of_steps", 4,
                               "--moving_average_decay", "0.9", "--warmup_epochs", "0.5")
    assert status == 0, err
    prefix = checkpoint.latest_checkpoint(str(run))
    names = dict(checkpoint.list_variables(prefix))
    model_weights = [n for n in names if n.endswith("/weights")]
    assert model_weights and all(f"{n}/ExponentialMovingAverage" in names for n in model_weights)
    in_job = _metrics(run / "eval" / "metrics.json")       # the averages' figures
    status, out, err = run_cli("eval", "--checkpoint_path", run, "--num_threads", 1, "--moving_average_decay", "0.9")
    assert status == 0, err
    assert _metrics(run / "eval" / "metrics.json")["loss"] == pytest.approx(in_job["loss"], rel=1e-5)
    status, out, err = run_cli("eval", "--checkpoint_path", run, "--num_threads", 1, "--eval_dir", tmp_path / "raw")
    assert status == 0, err
    assert _metrics(tmp_path / "raw" / "metrics.json")["loss"] != pytest.approx(in_job["loss"], rel=1e-5)
