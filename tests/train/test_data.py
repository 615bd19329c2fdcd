"""Data sets: the embedded digits, image folders (PGM/PPM/.npy read natively) and a run's batches."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from torchslim.train import data


# ----------------------------------------------------------------------------------------------
# The embedded digits.

def test_digits_split_is_stratified_disjoint_and_fixed():
    train, held_out = data.digits_splits()
    assert len(train) == 1437 and len(held_out) == data.DIGITS_HELD_OUT == 360
    assert not set(train) & set(held_out) and len(set(train) | set(held_out)) == 1797
    labels = data.load_digits("all").labels.numpy()
    counts = np.bincount(labels[held_out], minlength=10)
    assert counts.sum() == 360 and counts.min() >= 35 and counts.max() <= 37  # ~20% of each class
    assert np.array_equal(held_out, data.digits_splits()[1])


def test_digits_images_scaled_resized_and_nhwc():
    small = data.load_digits("validation")
    assert small.images.shape == (360, 8, 8, 1) and small.num_classes == 10 and small.name == "digits/validation"
    raw = small.images.numpy()
    assert raw.min() == -1.0 and raw.max() == 1.0
    assert np.allclose((raw + 1) / 2 * 16, np.round((raw + 1) / 2 * 16))  # values 0..16 scaled to [-1, 1]
    big = data.load_digits("validation", image_size=16, channels=3)
    assert big.images.shape == (360, 16, 16, 3) and torch.equal(big.images[..., 0], big.images[..., 2])
    # TF1 bilinear doubling keeps every source pixel at the even positions.
    assert torch.allclose(big.images[:, ::2, ::2, 0], small.images[..., 0])


def test_digits_bad_arguments():
    with pytest.raises(ValueError, match="unknown split 'test'"):
        data.load_digits("test")
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        data.load_digits(channels=2)


# ----------------------------------------------------------------------------------------------
# Image files and folders.

def _pgm(path, pixels, ascii_format=False, maxval=255):
    height, width = pixels.shape
    if ascii_format:
        body = "\n".join(" ".join(str(int(v)) for v in row) for row in pixels)
        path.write_text(f"P2\n# a comment\n{width} {height}\n{maxval}\n{body}\n")
    else:
        dtype = ">u2" if maxval > 255 else np.uint8
        path.write_bytes(b"P5\n%d %d\n%d\n" % (width, height, maxval) + pixels.astype(dtype).tobytes())


def test_read_image_netpbm_and_npy(tmp_path):
    pixels = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    _pgm(tmp_path / "a.pgm", pixels)
    _pgm(tmp_path / "b.pgm", pixels, ascii_format=True)
    rgb = np.stack([pixels, pixels + 1, pixels + 2], -1)
    (tmp_path / "c.ppm").write_bytes(b"P6 4 3 255\n" + rgb.tobytes())
    np.save(tmp_path / "d.npy", rgb)
    for name in ("a.pgm", "b.pgm"):
        image = data.read_image(str(tmp_path / name))
        assert image.shape == (3, 4, 1) and image.dtype == np.uint8 and np.array_equal(image[..., 0], pixels)
    for name in ("c.ppm", "d.npy"):
        assert np.array_equal(data.read_image(str(tmp_path / name)), rgb)


def test_read_image_16_bit_pgm_scales_to_8_bits(tmp_path):
    _pgm(tmp_path / "deep.pgm", np.array([[0, 257, 65535]]), maxval=65535)
    assert data.read_image(str(tmp_path / "deep.pgm"))[0, :, 0].tolist() == [0, 1, 255]


def test_read_image_errors_name_the_file(tmp_path):
    (tmp_path / "short.pgm").write_bytes(b"P5\n4 4\n255\n\x00\x01")
    (tmp_path / "odd.txt").write_text("x")
    (tmp_path / "bad.ppm").write_bytes(b"P7\n1 1\n255\n\x00")
    (tmp_path / "cut.pgm").write_bytes(b"P5 4 # a comment cut short")
    np.save(tmp_path / "cube.npy", np.zeros((2, 2, 2, 2)))
    for name, message in (("short.pgm", "truncated pixel data"), ("odd.txt", "unsupported image type '.txt'"),
                          ("bad.ppm", "not a PGM/PPM image"), ("cut.pgm", "truncated PGM/PPM header"),
                          ("cube.npy", "expected an [H, W]")):
        with pytest.raises(ValueError, match=re.escape(message)) as info:
            data.read_image(str(tmp_path / name))
        assert str(tmp_path / name) in str(info.value)


def test_png_without_pillow_says_how_to_install_it(tmp_path):
    try:
        import PIL  # noqa: F401
        pytest.skip("Pillow is installed here: PNG files are read")
    except ImportError:
        pass
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ImportError, match=r"pip install 'torchslim\[images\]'"):
        data.read_image(str(tmp_path / "x.png"))


def _folder(root, classes, per_class):
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            _pgm(root / name / f"{i:02d}.pgm", np.full((4, 4), 10 * label + i, dtype=np.uint8))
    (root / classes[0] / "notes.txt").write_text("not an image")


def test_image_folder_holds_out_a_stratified_share(tmp_path):
    _folder(tmp_path, ["cat", "dog"], per_class=10)
    train = data.image_folder(str(tmp_path), "train")
    held_out = data.image_folder(str(tmp_path), "validation")
    assert train.class_names == ["cat", "dog"] and train.num_classes == 2
    assert len(train) == 16 and len(held_out) == 4
    assert sorted(held_out.labels.tolist()) == [0, 0, 1, 1]
    assert not set(train.files) & set(held_out.files)
    image, label = held_out[0]
    assert image.shape == (4, 4, 1) and label == 0
    pixel = int(held_out.files[0][-6:-4])  # file i of class 0 holds the value i
    assert float(image[0, 0, 0]) == pytest.approx(pixel / 127.5 - 1.0)
    images, labels = train.batch(torch.tensor([0, 15]))
    assert images.shape == (2, 4, 4, 1) and labels.tolist() == [0, 1]


def test_image_folder_uses_train_and_validation_folders_and_a_transform(tmp_path):
    _folder(tmp_path / "train", ["a", "b", "c"], per_class=3)
    _folder(tmp_path / "validation", ["a", "b", "c"], per_class=1)
    held_out = data.image_folder(str(tmp_path), "validation", transform=lambda image: image.float() * 2)
    assert len(held_out) == 3 and held_out.labels.tolist() == [0, 1, 2]
    assert float(held_out[2][0][0, 0, 0]) == 40.0  # class 2, file 0: value 20, doubled
    assert len(data.image_folder(str(tmp_path), "train")) == 9


def test_image_folder_errors_name_the_folder(tmp_path):
    with pytest.raises(ValueError, match="not a directory"):
        data.image_folder(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="no class sub-folders"):
        data.image_folder(str(tmp_path))
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match=f"--dataset_dir {tmp_path}: no images"):
        data.image_folder(str(tmp_path))


# ----------------------------------------------------------------------------------------------
# The batches of a run.

def _numbers(n):
    return data.ArrayDataset(torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1), torch.arange(n), n)


def _take(batches, count):
    iterator = iter(batches)
    return [next(iterator)[1].tolist() for _ in range(count)]


def test_epoch_batches_cover_each_epoch_once_and_reshuffle():
    batches = data.EpochBatches(_numbers(10), batch_size=3, seed=1)
    assert batches.steps_per_epoch == 3  # the last partial batch is dropped
    first, second = _take(batches, 6)[:3], _take(batches, 6)[3:]
    assert len({i for b in first for i in b}) == 9 and len({i for b in second for i in b}) == 9
    assert first != second
    assert _take(data.EpochBatches(_numbers(10), 3, seed=1), 6) == _take(batches, 6)
    assert _take(data.EpochBatches(_numbers(10), 3, seed=2), 3) != first


def test_epoch_batches_resume_at_any_step():
    whole = _take(data.EpochBatches(_numbers(10), 3, seed=4), 8)
    for start in (1, 3, 5):
        assert _take(data.EpochBatches(_numbers(10), 3, seed=4, start_step=start), 8 - start) == whole[start:]


def test_epoch_batches_shard_over_processes_like_distributed_sampler():
    shards = [data.EpochBatches(_numbers(11), 2, seed=0, rank=r, world_size=2) for r in (0, 1)]
    assert shards[0].steps_per_epoch == 3  # 11 padded to 12, 6 per rank
    orders = [s.epoch_indices(0).tolist() for s in shards]
    assert len(orders[0]) == len(orders[1]) == 6
    assert set(orders[0]) | set(orders[1]) == set(range(11))
    assert len(set(orders[0]) & set(orders[1])) == 1  # the one padding example


def test_epoch_batches_augment_and_errors():
    batches = data.EpochBatches(_numbers(4), 2, augment=lambda images, labels: (images * 0, labels + 100))
    images, labels = next(iter(batches))
    assert float(images.abs().sum()) == 0.0 and min(labels.tolist()) >= 100
    with pytest.raises(ValueError, match="--batch_size 8 is larger than the 4 examples"):
        data.EpochBatches(_numbers(4), 8)
