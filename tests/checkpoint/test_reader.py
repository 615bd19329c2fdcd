import os

import numpy as np
import pytest

from torchslim.checkpoint import (CheckpointError, latest_checkpoint, list_variables, load, load_variable,
                                  open_checkpoint, save_safetensors, update_checkpoint_state,
                                  write_checkpoint)

from ._builders import build_v1

TENSORS = {"net/conv1/weights": np.ones((3, 3, 2, 4), "f4"), "net/conv1/biases": np.zeros(4, "f4"),
           "global_step": np.array(9, "i8"), "Net/upper": np.arange(3, dtype="i4")}


@pytest.fixture
def v2(tmp_path):
    write_checkpoint(tmp_path / "model.ckpt-9", TENSORS)
    return tmp_path / "model.ckpt-9"


def test_list_variables_is_sorted_like_tf(v2):
    assert list_variables(v2) == [("Net/upper", [3]), ("global_step", []), ("net/conv1/biases", [4]),
                                  ("net/conv1/weights", [3, 3, 2, 4])]


def test_the_same_checkpoint_is_reachable_by_every_kind_of_path(v2, tmp_path):
    update_checkpoint_state(tmp_path, v2)
    for path in (v2, str(v2), str(v2) + ".index", str(v2) + ".data-00000-of-00001", tmp_path):
        reader = open_checkpoint(path)
        assert reader.format == "V2" and reader.path == str(v2), path
        np.testing.assert_array_equal(load_variable(path, "Net/upper"), [0, 1, 2])


def test_directory_without_state_file_but_one_checkpoint(v2, tmp_path):
    assert open_checkpoint(tmp_path).path == str(v2)
    write_checkpoint(tmp_path / "other", TENSORS)
    with pytest.raises(CheckpointError, match="no checkpoint found in directory"):
        open_checkpoint(tmp_path)


def test_v1_and_safetensors_are_detected(tmp_path):
    (tmp_path / "zoo.ckpt").write_bytes(build_v1(TENSORS))
    save_safetensors(tmp_path / "w.safetensors", {k: v for k, v in TENSORS.items()})
    for path, fmt in ((tmp_path / "zoo.ckpt", "V1"), (tmp_path / "w.safetensors", "safetensors")):
        reader = open_checkpoint(path)
        assert reader.format == fmt
        out = load(path)
        assert list(out) == sorted(TENSORS)
        for name in TENSORS:
            np.testing.assert_array_equal(out[name], TENSORS[name])
            assert out[name].dtype == TENSORS[name].dtype
            assert out[name].shape == TENSORS[name].shape, (fmt, name)


def test_missing_things(v2, tmp_path):
    with pytest.raises(CheckpointError, match="no checkpoint found") as info:
        load(tmp_path / "nope")
    assert "nope" in str(info.value)
    with pytest.raises(KeyError, match="missing"):
        load_variable(v2, "missing")
    with pytest.raises(CheckpointError, match="not an sstable|too short"):
        (tmp_path / "junk.ckpt").write_bytes(b"hello")
        load(tmp_path / "junk.ckpt")


def test_reader_maps(v2):
    reader = open_checkpoint(v2)
    assert reader.get_variable_to_dtype_map()["global_step"] == "int64"
    assert reader.get_variable_to_shape_map()["net/conv1/biases"] == [4]
    assert reader.has_tensor("global_step") and not reader.has_tensor("x")
    assert latest_checkpoint(os.path.dirname(v2)) is None
