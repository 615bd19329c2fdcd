"""torchslim convert-data: Slim's shard layout and naming, errors, the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from torchslim.cli import main
from torchslim.datasets import dataset_factory, generic
from torchslim.datasets.convert import convert_image_folder, shard_filename

IMAGES = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "images"


def test_shard_naming():
    assert shard_filename("/d", "flowers", "train", 3, 5) == "/d/flowers_train_00003-of-00005.tfrecord"


def test_layout_shards_and_splits(tmp_path):
    written = convert_image_folder(str(IMAGES), str(tmp_path), num_shards=5, num_validation=2)
    assert [Path(p).name for p in written["validation"]] == [f"flowers_validation_0000{i}-of-00005.tfrecord"
                                                            for i in range(5)]
    train = dataset_factory.get_dataset("flowers", "train", str(tmp_path)).records()
    validation = dataset_factory.get_dataset("flowers", "validation", str(tmp_path)).records()
    assert (len(train), len(validation)) == (10, 2)
    assert sorted({int(train[i]["label"]) for i in range(10)}) == [0, 1, 2]
    assert (tmp_path / "labels.txt").read_text() == "0:daisy\n1:roses\n2:tulips\n"


def test_generic_reads_another_prefix(tmp_path):
    convert_image_folder(str(IMAGES), str(tmp_path), name="mine", num_shards=1, num_validation=3)
    dataset = generic.get_split("validation", str(tmp_path), file_pattern="mine_%s_*.tfrecord")
    assert (dataset.num_samples, dataset.num_classes) == (3, 3)
    assert dataset.records()[0]["image"].shape[-1] == 3


def test_errors(tmp_path):
    with pytest.raises(ValueError, match=r"num_validation=12 must be in \[0, 12\)"):
        convert_image_folder(str(IMAGES), str(tmp_path), num_validation=12)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "x.txt").write_text("not an image")
    with pytest.raises(ValueError, match="x.txt: not an image Pillow can read"):
        convert_image_folder(str(tmp_path), str(tmp_path / "out"), num_validation=0)


def test_command_line(tmp_path, capsys):
    assert main(["convert-data", "--image_dir", str(IMAGES), "--dataset_dir", str(tmp_path), "--num_validation", "4",
                 "--num_shards", "2"]) == 0
    assert "train: 2 shards" in capsys.readouterr().out
    assert len(dataset_factory.get_dataset("flowers", "validation", str(tmp_path)).records()) == 4
