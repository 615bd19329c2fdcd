"""run_config: the run configuration file and what it resolves to."""

from __future__ import annotations

import pytest
import torch

from torchslim.train import data, run_config


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match="--model_name: unknown net 'no_such_net'; choose from .*resnet_v2_small"):
        run_config.resolve({"model_name": "no_such_net"})


def test_resolve_fills_in_the_nets_size_and_the_data_sets_channels():
    digits = run_config.resolve({"model_name": "resnet_v2_digits"})
    assert (digits["image_size"], digits["channels"]) == (32, 1)
    folder = run_config.resolve({"model_name": "resnet_v1_50", "dataset_dir": "images", "image_size": 0})
    assert (folder["image_size"], folder["channels"]) == (224, 3)
    kept = run_config.resolve({"model_name": "resnet_v2_digits", "image_size": 16, "channels": 3})
    assert (kept["image_size"], kept["channels"]) == (16, 3)


def test_run_config_round_trips_and_guards_the_runs_identity(tmp_path):
    config = run_config.resolve({"model_name": "resnet_v2_digits", "num_classes": 10})
    run_config.write_run_config(str(tmp_path), config)
    assert run_config.read_run_config(str(tmp_path)) == config
    run_config.check_same_run(str(tmp_path), dict(config, num_classes=5))  # no checkpoint yet: allowed
    (tmp_path / "model.ckpt-1.index").write_bytes(b"")
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-1"\n')
    with pytest.raises(ValueError, match=r"another configuration \(num_classes: 10 -> 5\)"):
        run_config.check_same_run(str(tmp_path), dict(config, num_classes=5))
    with pytest.raises(FileNotFoundError, match="no run configuration"):
        run_config.read_run_config(str(tmp_path / "elsewhere"))


def test_model_from_config_takes_the_classes_from_the_data_set():
    dataset = data.load_digits("validation", image_size=16)
    model = run_config.model_from_config({"model_name": "resnet_v2_digits", "image_size": 16}, dataset)
    logits, _ = model(torch.zeros(2, 16, 16, 1))
    assert logits.shape == (2, dataset.num_classes)
