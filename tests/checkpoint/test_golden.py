"""Golden checkpoints written by real TensorFlow (../shared/fixtures)."""

import json
from pathlib import Path

import numpy as np
import pytest

from torchslim.checkpoint import CheckpointReader, load, write_checkpoint


def _checkpoint_fixtures(fixtures_dir: Path):
    index = json.loads((fixtures_dir / "INDEX.json").read_text())
    return [fixtures_dir / f["path"] for f in index["fixtures"] if f["checkpoint_format"]]


def test_every_fixture_matches_its_manifest(fixtures_dir):
    folders = _checkpoint_fixtures(fixtures_dir)
    assert len(folders) >= 20
    formats = set()
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        reader = CheckpointReader(folder / manifest["checkpoint"]["prefix"])
        formats.add(reader.format)
        assert reader.format == manifest["checkpoint"]["format"]
        values = reader.read_all()
        expected = {name: (tuple(shape), dtype) for name, shape, dtype in manifest["variables"]}
        assert {n: (v.shape, str(v.dtype)) for n, v in values.items()} == expected, folder.name
        assert reader.get_variable_to_dtype_map() == {n: d for n, (_, d) in expected.items()}
        for name, value in values.items():
            assert np.all(np.isfinite(value)), name
    assert formats == {"V1", "V2"}


def test_v1_fixtures_hold_the_same_values_as_their_v2_siblings(fixtures_dir):
    pairs = 0
    for folder in _checkpoint_fixtures(fixtures_dir):
        manifest = json.loads((folder / "manifest.json").read_text())
        if "same_values_as" not in manifest:
            continue
        sibling = fixtures_dir / manifest["same_values_as"]
        v1, v2 = load(folder / "model.ckpt"), load(sibling / "model.ckpt")
        assert list(v1) == list(v2)
        for name in v1:
            np.testing.assert_array_equal(v1[name], v2[name], err_msg=name)
        pairs += 1
    assert pairs >= 1


def test_writing_fixture_tensors_back_is_byte_identical(fixtures_dir, tmp_path):
    count = 0
    for folder in _checkpoint_fixtures(fixtures_dir):
        index = folder / "model.ckpt.index"
        if not index.exists():
            continue
        out = tmp_path / folder.name / "model.ckpt"
        out.parent.mkdir()
        write_checkpoint(out, load(folder / "model.ckpt"))
        assert out.with_name("model.ckpt.index").read_bytes() == index.read_bytes(), folder.name
        data = "model.ckpt.data-00000-of-00001"
        assert out.with_name(data).read_bytes() == (folder / data).read_bytes(), folder.name
        count += 1
    assert count >= 20


def test_v1_fixture_converts_to_the_v2_siblings_exact_bytes(fixtures_dir, tmp_path):
    write_checkpoint(tmp_path / "model.ckpt", load(fixtures_dir / "resnet_v2_small_v1format" / "model.ckpt"))
    sibling = fixtures_dir / "resnet_v2_small"
    for name in ("model.ckpt.index", "model.ckpt.data-00000-of-00001"):
        assert (tmp_path / name).read_bytes() == (sibling / name).read_bytes()
