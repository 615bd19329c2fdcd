"""The run directory: saving, restoring, and cleaning up after a killed run."""

from __future__ import annotations

import os
import shutil

import pytest
import torch

import torchslim as slim
from torchslim import checkpoint
from torchslim.train import run_dir


def _model_and_optimizer():
    torch.manual_seed(0)
    model = slim.Model(lambda x: slim.fully_connected(x, 2)).build(torch.zeros(1, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.ones(4, 3)).sum().backward()
    optimizer.step()  # momentum buffers to save
    return model, optimizer


def test_save_and_restore_latest_round_trip(tmp_path):
    model, optimizer = _model_and_optimizer()
    for step in (5, 10, 15):
        run_dir.save(str(tmp_path), model, optimizer, step, max_to_keep=2, extra={"note": step})
    assert sorted(n for n in os.listdir(tmp_path) if n.endswith(".index")) == ["model.ckpt-10.index",
                                                                              "model.ckpt-15.index"]
    assert not (tmp_path / "model.ckpt-5.train_state.safetensors").exists()
    fresh, fresh_optimizer = _model_and_optimizer()
    with torch.no_grad():
        fresh.variable("fully_connected/weights").tensor.zero_()
    step = torch.tensor(0)
    restored = run_dir.restore_latest(str(tmp_path), fresh, fresh_optimizer, step)
    assert restored["global_step"] == 15 == int(step) and restored["extra"] == {"note": 15}
    assert torch.equal(fresh.variable("fully_connected/weights").tensor, model.variable("fully_connected/weights").tensor)
    momentum = next(iter(optimizer.state.values()))["momentum_buffer"]
    assert torch.equal(next(iter(fresh_optimizer.state.values()))["momentum_buffer"], momentum)
    assert run_dir.restore_latest(str(tmp_path / "empty"), fresh) is None


def test_remove_incomplete_keeps_complete_checkpoints_only(tmp_path):
    model, optimizer = _model_and_optimizer()
    run_dir.save(str(tmp_path), model, optimizer, 3)
    run_dir.save(str(tmp_path), model, optimizer, 6)
    # A complete checkpoint the state file does not list (e.g. copied in by hand) stays.
    for suffix in (".index", ".data-00000-of-00001"):
        shutil.copy(tmp_path / f"model.ckpt-3{suffix}", tmp_path / f"model.ckpt-1{suffix}")
    remnants = ["model.ckpt-9.data-00000-of-00001",            # killed before its index was written
                "model.ckpt-2.train_state.safetensors",        # its checkpoint deleted, then killed
                "model.ckpt-9.index.k2x8.tmp", "checkpoint.q1w2.tmp", "run_config.json.zz.tmp"]
    for name in remnants:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / "notes.tmp").write_text("not ours")
    removed = run_dir.remove_incomplete(str(tmp_path))
    assert sorted(os.path.basename(p) for p in removed) == sorted(remnants)
    left = set(os.listdir(tmp_path))
    assert {"model.ckpt-1.index", "model.ckpt-3.index", "model.ckpt-6.index", "notes.tmp",
            "model.ckpt-6.train_state.safetensors", "checkpoint"} <= left
    assert not left & set(remnants)
    assert checkpoint.latest_checkpoint(str(tmp_path)).endswith("model.ckpt-6")


def test_resolve_and_read_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint in this directory"):
        run_dir.resolve_checkpoint_path(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="no such checkpoint"):
        run_dir.resolve_checkpoint_path(str(tmp_path / "model.ckpt-4"))
    from safetensors.torch import save_file
    save_file({"x": torch.zeros(1)}, str(tmp_path / "foreign.safetensors"))
    with pytest.raises(ValueError, match="foreign.safetensors: not a torchslim train-state file"):
        run_dir.read_train_state(str(tmp_path / "foreign.safetensors"))
    assert run_dir.step_from_prefix("a/model.ckpt-120") == 120 and run_dir.step_from_prefix("a/model.ckpt") is None
