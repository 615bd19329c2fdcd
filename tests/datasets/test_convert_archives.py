"""convert-data for CIFAR-10's and MNIST's downloads: layout, labels.txt, inputs, errors."""

from __future__ import annotations

import gzip
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from torchslim.cli import main
from torchslim.datasets import convert_archives, dataset_factory

SOURCES = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "sources"


def test_cifar10_from_the_archive_and_from_its_folder(tmp_path):
    assert convert_archives.convert_cifar10(str(SOURCES / "cifar-10-python.tar.gz"), str(tmp_path / "a")) == \
        {"train": 10, "test": 2}
    with tarfile.open(SOURCES / "cifar-10-python.tar.gz") as archive:
        archive.extractall(tmp_path / "x", filter="data")
    convert_archives.convert_cifar10(str(tmp_path / "x"), str(tmp_path / "b"))
    for name in ("cifar10_train.tfrecord", "cifar10_test.tfrecord", "labels.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "labels.txt").read_text().splitlines()[:2] == ["0:airplane", "1:automobile"]
    split = dataset_factory.get_dataset("cifar10", "train", str(tmp_path / "a"))
    assert split.labels_to_names[9] == "truck" and split.records()[0]["image"].shape == (32, 32, 3)


def test_cifar10_rows_are_channels_first():
    batches = convert_archives.read_cifar10_batches(str(SOURCES / "cifar-10-python.tar.gz"))
    first, _ = next(batches["train"])
    with tarfile.open(SOURCES / "cifar-10-python.tar.gz") as archive:
        raw = archive.extractfile("cifar-10-batches-py/data_batch_1").read()
    row = pickle.loads(raw, encoding="bytes")[b"data"][0]  # our own fixture: safe to unpickle here
    assert first[0, 1, 0] == row[1] and first[0, 1, 1] == row[1024 + 1] and first[2, 0, 2] == row[2048 + 64]


def test_cifar10_refuses_code_in_a_pickle(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(b"cos\nsystem\n(S'echo hi'\ntR.")
    with pytest.raises(ValueError, match=r"data_batch_1: not a CIFAR-10 python batch \(os.system is not allowed"):
        convert_archives.convert_cifar10(str(tmp_path), str(tmp_path / "out"))
    (folder / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="no test_batch"):
        convert_archives.convert_cifar10(str(tmp_path), str(tmp_path / "out"))


def test_mnist_idx_files_and_their_errors(tmp_path):
    data = convert_archives.read_mnist(str(SOURCES / "mnist"))
    assert data["train"][0].shape == (3, 28, 28, 1) and data["test"][1].shape == (2,)
    assert convert_archives.convert_mnist(str(SOURCES / "mnist"), str(tmp_path / "out")) == {"train": 3, "test": 2}
    assert (tmp_path / "out" / "labels.txt").read_text().splitlines()[-1] == "9:nine"
    folder = tmp_path / "bad"
    shutil.copytree(SOURCES / "mnist", folder)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(b"\x00\x00\x08\x01\x00\x00\x00\x05" + bytes(5))
    with pytest.raises(ValueError, match="2 t10k images but 5 labels"):
        convert_archives.read_mnist(str(folder))
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz", "wb") as handle:
        handle.write(b"\x00\x00\x08\x03\x00\x00\x00\x02" + bytes(2))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte: not an IDX file with magic number 2049"):
        convert_archives.read_mnist(str(folder))
    (folder / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte.gz"):
        convert_archives.read_mnist(str(folder))


def test_command_line(tmp_path, capsys):
    assert main(["convert-data", "--dataset_name", "mnist", "--source", str(SOURCES / "mnist"),
                 "--dataset_dir", str(tmp_path)]) == 0
    assert "train: 3 images in" in capsys.readouterr().out
    assert len(dataset_factory.get_dataset("mnist", "test", str(tmp_path)).records()) == 2
    assert main(["convert-data", "--dataset_name", "cifar10", "--dataset_dir", str(tmp_path)]) == 1
    assert "--dataset_name cifar10 needs --source" in capsys.readouterr().err
    assert main(["convert-data", "--dataset_dir", str(tmp_path)]) == 1
    assert "give --image_dir" in capsys.readouterr().err


def test_imagenet_command_line_and_errors(tmp_path, capsys):
    source = SOURCES / "imagenet"
    flags = ["convert-data", "--dataset_name", "imagenet", "--dataset_dir", str(tmp_path / "out"),
             "--labels_file", str(source / "synsets.txt"), "--imagenet_metadata_file", str(source / "metadata.txt")]
    assert main(flags + ["--train_directory", str(source / "train"), "--train_shards", "3"]) == 0
    assert "train: 3 shards" in capsys.readouterr().out
    assert len(dataset_factory.get_dataset("imagenet", "train", str(tmp_path / "out")).records()) == 6
    assert main(flags) == 1
    assert "needs --train_directory and/or --validation_directory" in capsys.readouterr().err
    (tmp_path / "labels.txt").write_text("n01440764\nn00000001\n")
    assert main(flags[:-4] + ["--labels_file", str(tmp_path / "labels.txt"), "--imagenet_metadata_file",
                              str(source / "metadata.txt"), "--train_directory", str(source / "train")]) == 1
    assert "no text for synsets n00000001" in capsys.readouterr().err
