"""save_checkpoint / Model.save_checkpoint, and the commit order that makes saving crash-safe."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.checkpoint import (get_checkpoint_state, latest_checkpoint, list_variables, load, open_checkpoint,
                                  save_checkpoint, write_checkpoint)
from torchslim.checkpoint import bundle

from .test_restore import IMAGES, make_model, small_net


def test_saves_global_variables_in_tf_layout_and_returns_the_prefix(tmp_path):
    model = make_model(1)
    prefix = save_checkpoint(model, str(tmp_path / "model.ckpt"))
    assert prefix == str(tmp_path / "model.ckpt")
    assert dict(list_variables(prefix)) == {name: list(v.tf_shape) for name, v in model.tf_variables().items()}
    values = load(prefix)
    for name, var in model.tf_variables().items():
        np.testing.assert_array_equal(values[name], var.to_tf().numpy())
    assert latest_checkpoint(tmp_path) == os.path.abspath(prefix)
    assert get_checkpoint_state(tmp_path).model_checkpoint_path == "model.ckpt"


def test_global_step_names_the_checkpoint_and_is_stored(tmp_path):
    model = make_model(1)
    prefix = model.save_checkpoint(str(tmp_path / "run" / "model.ckpt"), global_step=42)
    assert prefix == str(tmp_path / "run" / "model.ckpt-42")
    value = load(prefix)["global_step"]
    assert value.dtype == np.int64 and value.shape == () and value == 42
    assert latest_checkpoint(tmp_path / "run") == os.path.abspath(prefix)


def test_max_to_keep_and_update_state(tmp_path):
    model = make_model(1)
    for step in range(1, 5):
        save_checkpoint(model, str(tmp_path / "model.ckpt"), global_step=step, max_to_keep=2)
    assert get_checkpoint_state(tmp_path).all_model_checkpoint_paths == ["model.ckpt-3", "model.ckpt-4"]
    assert not (tmp_path / "model.ckpt-2.index").exists()
    save_checkpoint(model, str(tmp_path / "other" / "x.ckpt"), update_state=False)
    assert sorted(os.listdir(tmp_path / "other")) == ["x.ckpt.data-00000-of-00001", "x.ckpt.index"]


def test_local_variables_are_not_saved(tmp_path):
    def net(images):
        slim.local_variable(torch.zeros(3), name="metric_total")
        return small_net(images)

    model = slim.Model(net).build(IMAGES)
    names = dict(list_variables(save_checkpoint(model, str(tmp_path / "m.ckpt"))))
    assert "metric_total" not in names and "net/conv1/weights" in names


def test_safetensors_output(tmp_path):
    model = make_model(1)
    path = save_checkpoint(model, str(tmp_path / "weights.safetensors"), global_step=3)
    assert path == str(tmp_path / "weights-3.safetensors")
    reader = open_checkpoint(tmp_path)                    # the state file names it
    assert reader.format == "safetensors"
    np.testing.assert_array_equal(reader.get_tensor("net/conv1/weights"),
                                  model.variable("net/conv1/weights").to_tf().numpy())


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="is a directory"):
        save_checkpoint(make_model(1), str(tmp_path))
    with pytest.raises(ValueError, match="build it"):
        save_checkpoint(slim.Model(small_net), str(tmp_path / "m.ckpt"))


def test_rewriting_the_latest_checkpoint_leaves_no_helper_files(tmp_path):
    model = make_model(1)
    for seed in (1, 2, 3):
        model = make_model(seed)
        prefix = save_checkpoint(model, str(tmp_path / "model.ckpt"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt.data-00000-of-00001", "model.ckpt.index"]
    assert get_checkpoint_state(tmp_path).all_model_checkpoint_paths == ["model.ckpt"]
    np.testing.assert_array_equal(load(prefix)["net/logits/biases"],
                                  model.variable("net/logits/biases").to_tf().numpy())


# ----------------------------------------------------------------------------- a crash mid-commit

class _Crash(Exception):
    pass


def _crash_on_index_rename(monkeypatch):
    """Make the rename of a ``.index`` into place fail, as if the process died just before it."""
    real = os.replace

    def replace(src, dst):
        if str(dst).endswith(".index") and str(src).endswith(".tmp"):
            raise _Crash(dst)
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)


def test_a_crash_before_the_index_commit_never_leaves_a_mixed_bundle(tmp_path, monkeypatch):
    write_checkpoint(tmp_path / "m", {"a": np.zeros(4, np.float32)})
    _crash_on_index_rename(monkeypatch)
    with pytest.raises(_Crash):
        write_checkpoint(tmp_path / "m", {"a": np.ones(4, np.float32)})
    assert not (tmp_path / "m.index").exists()            # no checkpoint, rather than old index + new data
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_a_crash_while_replacing_the_latest_keeps_the_state_file_on_a_complete_checkpoint(tmp_path, monkeypatch):
    old = make_model(1)
    prefix = save_checkpoint(old, str(tmp_path / "model.ckpt"))
    _crash_on_index_rename(monkeypatch)
    with pytest.raises(_Crash):
        save_checkpoint(make_model(2), prefix)
    latest = latest_checkpoint(tmp_path)
    assert latest is not None and latest != os.path.abspath(prefix)
    np.testing.assert_array_equal(load(latest)["net/logits/weights"], old.variable("net/logits/weights").to_tf())
    monkeypatch.undo()
    new = make_model(3)
    save_checkpoint(new, prefix)                          # the next save recovers and cleans up
    assert latest_checkpoint(tmp_path) == os.path.abspath(prefix)
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model.ckpt.data-00000-of-00001", "model.ckpt.index"]
    np.testing.assert_array_equal(load(prefix)["net/logits/weights"], new.variable("net/logits/weights").to_tf())


def test_write_bundle_is_still_byte_identical_after_staging(tmp_path):
    tensors = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.array(3, np.int64)}
    write_checkpoint(tmp_path / "one", tensors)
    write_checkpoint(tmp_path / "two", tensors)
    write_checkpoint(tmp_path / "two", tensors)           # over an existing checkpoint
    for suffix in (".index", ".data-00000-of-00001"):
        assert (tmp_path / f"one{suffix}").read_bytes() == (tmp_path / f"two{suffix}").read_bytes()
    assert bundle.BundleReader(tmp_path / "two").read_all()["a"] == 3
