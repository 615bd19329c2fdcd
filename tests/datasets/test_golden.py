"""Golden tests against the real TensorFlow + TF-Slim (tools/make_data_fixtures.py, reference env).

* Slim's four layouts written by ``tf.io.TFRecordWriter`` read to what ``tf.data`` + TF-Slim's
  ``TFExampleDecoder`` give: labels, texts and boxes exactly; PNG and raw images exactly; JPEGs
  exactly against TF's accurate DCT (``dct_method='INTEGER_ACCURATE'``, what Pillow's libjpeg runs)
  and within a few levels of TF's default fast DCT.
* The shards ``torchslim convert-data`` writes are rebuilt byte for byte, and TF reads them to the
  images and labels torchslim reads.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import numpy as np
import pytest

from torchslim.datasets import dataset_factory
from torchslim.datasets.convert import convert_image_folder

DATA = Path(__file__).resolve().parents[1] / "fixtures" / "data"
LAYOUTS = [("flowers", "train", 6), ("cifar10", "test", 4), ("mnist", "test", 4), ("imagenet", "validation", 3)]
#: The largest difference TF's fast integer DCT makes against the accurate one on these JPEGs.
FAST_DCT_LEVELS = 6


def _expected(path: Path):
    return np.load(path, allow_pickle=False)


@pytest.mark.parametrize("name, split, count", LAYOUTS)
def test_tf_written_layouts_read_as_tf_slim_decodes_them(name, split, count):
    folder = DATA / "tf_written" / name
    dataset = dataset_factory.get_dataset(name, split, str(folder))
    expected = _expected(folder / "expected.npz")
    records = dataset.records()
    assert len(records) == int(expected["count"]) == count
    for i in range(count):
        record = records[i]
        for item, value in record.items():
            want = expected[f"{item}/{i}"]
            if item == "image":
                assert value.dtype == np.uint8 and value.shape == want.shape
                np.testing.assert_array_equal(value, expected[f"image_accurate/{i}"])
                assert np.abs(value.astype(int) - want).max() <= FAST_DCT_LEVELS
            elif item == "label_text":
                assert value.dtype == object and value.item() == want.item()
            else:
                assert value.shape == want.shape and value.dtype == want.dtype, item
                np.testing.assert_array_equal(value, want)


def test_flowers_labels_and_declared_sizes():
    dataset = dataset_factory.get_dataset("flowers", "train", str(DATA / "tf_written" / "flowers"))
    assert dataset.labels_to_names == {0: "daisy", 1: "dandelion", 2: "roses", 3: "sunflowers", 4: "tulips"}
    assert (dataset.num_samples, dataset.num_classes) == (3320, 5)
    assert [Path(f).name for f in dataset.files()] == [f"flowers_train_0000{i}-of-00002.tfrecord" for i in (0, 1)]


def test_convert_data_rebuilds_the_committed_shards_byte_for_byte(tmp_path):
    convert_image_folder(str(DATA / "images"), str(tmp_path), "flowers", num_shards=2, num_validation=3, seed=0)
    committed = DATA / "written" / "flowers"
    names = sorted(p.name for p in committed.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    _, mismatch, errors = filecmp.cmpfiles(committed, tmp_path, names, shallow=False)
    assert not mismatch and not errors


@pytest.mark.parametrize("split, count", [("train", 9), ("validation", 3)])
def test_tf_reads_convert_data_shards_as_torchslim_does(split, count):
    dataset = dataset_factory.get_dataset("flowers", split, str(DATA / "written" / "flowers"))
    expected = _expected(DATA / "tf_read" / f"flowers_{split}.npz")
    records = dataset.records()
    assert len(records) == int(expected["count"]) == count
    for i in range(count):
        np.testing.assert_array_equal(records[i]["image"], expected[f"image_accurate/{i}"])
        assert np.abs(records[i]["image"].astype(int) - expected[f"image/{i}"]).max() <= FAST_DCT_LEVELS
        assert int(records[i]["label"]) == int(expected[f"label/{i}"])


# ----------------------------------------------------------------------------------------------
# CIFAR-10 and MNIST downloads converted by torchslim, read by TF (tf_read/) and by torchslim.

def _source_images(name):
    from torchslim.datasets import convert_archives

    if name == "cifar10":
        return {split: list(images) for split, images in
                convert_archives.read_cifar10_batches(str(DATA / "sources" / "cifar-10-python.tar.gz")).items()}
    return {split: list(zip(*arrays)) for split, arrays in convert_archives.read_mnist(str(DATA / "sources" /
                                                                                          "mnist")).items()}


@pytest.mark.parametrize("name, split, count", [("cifar10", "train", 10), ("cifar10", "test", 2),
                                                ("mnist", "train", 3), ("mnist", "test", 2)])
def test_tf_reads_converted_downloads_as_the_source_pixels(name, split, count, tmp_path):
    from torchslim.datasets import convert_archives

    convert = convert_archives.convert_cifar10 if name == "cifar10" else convert_archives.convert_mnist
    source = DATA / "sources" / ("cifar-10-python.tar.gz" if name == "cifar10" else "mnist")
    convert(str(source), str(tmp_path))
    committed = DATA / "written" / name
    assert filecmp.cmp(committed / f"{name}_{split}.tfrecord", tmp_path / f"{name}_{split}.tfrecord", shallow=False)
    expected = _expected(DATA / "tf_read" / f"{name}_{split}.npz")
    records = dataset_factory.get_dataset(name, split, str(committed)).records()
    sources = _source_images(name)[split]
    assert len(records) == int(expected["count"]) == len(sources) == count
    for i, (pixels, label) in enumerate(sources):
        np.testing.assert_array_equal(expected[f"image/{i}"], pixels)      # TF decodes the source pixels
        np.testing.assert_array_equal(records[i]["image"], pixels)
        assert int(expected[f"label/{i}"]) == int(records[i]["label"]) == int(label)


def test_tf_reads_converted_imagenet_folders_as_torchslim_does(tmp_path):
    from torchslim.datasets.convert_imagenet import convert_imagenet_split

    source = DATA / "sources" / "imagenet"
    convert_imagenet_split(str(source / "train"), "train", str(tmp_path), str(source / "synsets.txt"),
                           str(source / "metadata.txt"), 2, str(source / "boxes.csv"))
    committed = DATA / "written" / "imagenet"
    for name in ("train-00000-of-00002", "train-00001-of-00002"):
        assert filecmp.cmp(committed / name, tmp_path / name, shallow=False)
    expected = _expected(DATA / "tf_read" / "imagenet_train.npz")
    records = dataset_factory.get_dataset("imagenet", "train", str(committed)).records()
    assert len(records) == int(expected["count"]) == 6
    labels = []
    for i in range(6):
        np.testing.assert_array_equal(records[i]["image"], expected[f"image_accurate/{i}"])
        assert records[i]["image"].shape[-1] == 3                  # grey and PNG files stored as RGB JPEG
        assert int(records[i]["label"]) == int(expected[f"label/{i}"])
        assert records[i]["label_text"] == expected[f"label_text/{i}"].item()
        np.testing.assert_allclose(records[i]["object/bbox"], expected[f"object/bbox/{i}"].reshape(-1, 4))
        np.testing.assert_array_equal(records[i]["object/label"], expected[f"object/label/{i}"])
        labels.append(int(records[i]["label"]))
    assert sorted(labels) == [1, 1, 1, 2, 2, 2]
    boxed = [r for r in records if len(r["object/bbox"])]
    assert sorted(len(r["object/bbox"]) for r in boxed) == [1, 2]  # ymin, xmin, ymax, xmax as Slim's BoundingBox
