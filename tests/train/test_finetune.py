"""Fine-tuning from a checkpoint TF-Slim wrote (the golden fixtures), logits excluded, end to end."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pytest

from torchslim import checkpoint
from torchslim.train import job, run_config

from ._cli import run_cli

LOGITS = "resnet_v2_small/logits"


@pytest.fixture(scope="module")
def fixture_checkpoint(fixtures_dir):
    """The ``resnet_v2_small`` fixture: ``(prefix, {name: value})``, after checking its manifest's net."""
    folder = fixtures_dir / "resnet_v2_small"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["function"]["name"] == "resnet_v2_small"
    assert manifest["call"]["kwargs"]["scope"] == "resnet_v2_small" and manifest["call"]["kwargs"]["num_classes"] == 10
    prefix = str(folder / "model.ckpt")
    return prefix, checkpoint.load(prefix)


def _built_model(image_size=16):
    config = job.TrainConfig(model_name="resnet_v2_small", channels=3, image_size=image_size)
    settings = run_config.resolve(asdict(config))
    return run_config.model_from_config(settings, run_config.load_dataset(settings, "validation"))


@pytest.mark.parametrize("fixture", ["resnet_v2_small", "resnet_v2_small_v1format"])
def test_warm_start_restores_all_but_the_excluded_logits(fixtures_dir, fixture_checkpoint, fixture):
    _, expected = fixture_checkpoint
    model = _built_model()
    initial = {name: var.to_tf().clone() for name, var in model.tf_variables().items() if name.startswith(LOGITS)}
    report = job.restore_for_fine_tuning(model, str(fixtures_dir / fixture / "model.ckpt"), [LOGITS], False)
    assert sorted(report.excluded) == [f"{LOGITS}/biases", f"{LOGITS}/weights"]
    assert len(report.restored) == len(expected) - 2 and not report.missing
    for name, var in model.tf_variables().items():
        value = var.to_tf().numpy()
        if name.startswith(LOGITS):
            assert np.array_equal(value, initial[name].numpy()), name
        else:  # weights, biases, gamma/beta and the moving statistics
            assert np.array_equal(value, expected[name]), name


def test_fine_tune_the_logits_on_the_digits_from_the_fixture(fixture_checkpoint, tmp_path):
    prefix, expected = fixture_checkpoint
    status, out, err = run_cli(
        "train", "--train_dir", tmp_path / "run", "--model_name", "resnet_v2_small", "--channels", 3,
        "--image_size", 16, "--batch_size", 16, "--max_number_of_steps", 4, "--no_progress", "--num_threads", 1,
        "--checkpoint_path", prefix, "--checkpoint_exclude_scopes", LOGITS, "--trainable_scopes", LOGITS)
    assert status == 0, err
    assert f"fine-tuning from {prefix}: {len(expected) - 2} variables restored, 2 excluded ({LOGITS})" in out
    tuned = checkpoint.load(str(tmp_path / "run" / "model.ckpt-4"))
    assert int(tuned["global_step"]) == 4
    trainable = [n for n in expected if n.endswith(("weights", "biases", "gamma", "beta"))]
    frozen = [n for n in trainable if not n.startswith(LOGITS)]
    # The variables not trained still hold the checkpoint's values, bit for bit.
    assert frozen and all(np.array_equal(tuned[n], expected[n]) for n in frozen)
    # The logits were re-initialised for the new task and trained.
    assert not np.array_equal(tuned[f"{LOGITS}/weights"], expected[f"{LOGITS}/weights"])
    # BatchNorm ran in training mode and moved its averages (as TF-Slim's update ops do).
    assert not np.array_equal(tuned["resnet_v2_small/postnorm/moving_mean"],
                              expected["resnet_v2_small/postnorm/moving_mean"])


def test_fine_tuning_from_another_net_names_the_problem_and_the_flags(fixtures_dir, tmp_path):
    other = str(fixtures_dir / "resnet_v1_small" / "model.ckpt")
    status, _, err = run_cli("train", "--train_dir", tmp_path / "run", "--model_name", "resnet_v2_small",
                             "--channels", 3, "--image_size", 16, "--max_number_of_steps", 1, "--no_progress",
                             "--num_threads", 1, "--checkpoint_path", other)
    assert status == 1
    assert f"--checkpoint_path {other}: cannot restore the model" in err
    assert "resnet_v2_small/conv1/weights" in err and "--checkpoint_exclude_scopes" in err
    assert not (tmp_path / "run" / "checkpoint").exists()  # nothing trained, nothing saved
