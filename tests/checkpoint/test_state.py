import os

import numpy as np
import pytest

from torchslim.checkpoint.bundle import write_bundle
from torchslim.checkpoint.state import (CheckpointState, format_checkpoint_state, get_checkpoint_state,
                                        latest_checkpoint, parse_checkpoint_state,
                                        update_checkpoint_state)


def test_parse_tf_written_state_with_escapes():
    text = ('model_checkpoint_path: "/abs/model.ckpt-20"\n'
            'all_model_checkpoint_paths: "/abs/model.ckpt-10"\n'
            'all_model_checkpoint_paths: "/abs/model.ckpt-20"\n'
            'all_model_checkpoint_timestamps: 1700000000.5\n'
            'all_model_checkpoint_timestamps: 1700000100.25\n'
            'last_preserved_timestamp: 1699999999.0\n'
            'model_checkpoint_path_junk: "x"\n')
    parsed = parse_checkpoint_state(text)
    assert parsed.model_checkpoint_path == "/abs/model.ckpt-20"
    assert parsed.all_model_checkpoint_paths == ["/abs/model.ckpt-10", "/abs/model.ckpt-20"]
    assert parsed.all_model_checkpoint_timestamps == [1700000000.5, 1700000100.25]
    assert parsed.last_preserved_timestamp == 1699999999.0
    assert parse_checkpoint_state(r'model_checkpoint_path: "a\"b\\c\303\251"').model_checkpoint_path == 'a"b\\cé'


def test_format_round_trips():
    original = CheckpointState('we"ird\\ dir/é/model', ["a", 'we"ird\\ dir/é/model'], [1.5, 2.5], 0.5)
    assert parse_checkpoint_state(format_checkpoint_state(original)) == original
    assert format_checkpoint_state(CheckpointState("model.ckpt", ["model.ckpt"])) == \
        'model_checkpoint_path: "model.ckpt"\nall_model_checkpoint_paths: "model.ckpt"\n'


def test_latest_checkpoint_uses_relative_paths_and_checks_existence(tmp_path):
    assert latest_checkpoint(tmp_path) is None
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "model.ckpt-5"\n')
    assert latest_checkpoint(tmp_path) is None                      # named checkpoint missing
    write_bundle(tmp_path / "model.ckpt-5", {"a": np.zeros(2)})
    assert latest_checkpoint(tmp_path) == os.path.join(str(tmp_path), "model.ckpt-5")


def test_update_keeps_max_to_keep_and_deletes_old_files(tmp_path):
    for step in range(1, 5):
        write_bundle(tmp_path / f"model.ckpt-{step}", {"a": np.full(2, step)})
        deleted = update_checkpoint_state(tmp_path, tmp_path / f"model.ckpt-{step}", max_to_keep=2)
    assert deleted == [os.path.join(str(tmp_path), "model.ckpt-2")]
    current = get_checkpoint_state(tmp_path)
    assert current.model_checkpoint_path == "model.ckpt-4"
    assert current.all_model_checkpoint_paths == ["model.ckpt-3", "model.ckpt-4"]
    assert len(current.all_model_checkpoint_timestamps) == 2
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["checkpoint"] + [f"model.ckpt-{s}{ext}" for s in (3, 4) for ext in (".index", ".data-00000-of-00001")])


def test_resaving_the_same_prefix_moves_it_to_the_end(tmp_path):
    for name in ("a", "b", "a"):
        update_checkpoint_state(tmp_path, name)
    assert get_checkpoint_state(tmp_path).all_model_checkpoint_paths == ["b", "a"]
