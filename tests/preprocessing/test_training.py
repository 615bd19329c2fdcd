"""Training preprocessing: invariants, and distributions against TF's (distorted boxes) or the op's definition."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from torchslim.preprocessing import (cifarnet_preprocessing, image_ops, inception_preprocessing,
                                     lenet_preprocessing, preprocessing_factory, vgg_preprocessing)

BOXES = np.load(Path(__file__).resolve().parents[1] / "fixtures" / "data" / "distorted_boxes.npz")


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic."""
    grid = np.sort(np.concatenate([a, b]))
    cdf = lambda x: np.searchsorted(np.sort(x), grid, side="right") / len(x)  # noqa: E731
    return float(np.abs(cdf(a) - cdf(b)).max())


def _image(height=60, width=80):
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (height, width, 3), dtype=torch.uint8, generator=generator)


@pytest.mark.parametrize("key", ["120x90", "60x200"])
def test_distorted_boxes_follow_tfs_distribution(key):
    tf_windows = BOXES[f"{key}/windows"].astype(np.float64)
    height, width = map(int, key.split("x"))
    generator = torch.Generator().manual_seed(1)
    ours = np.array([image_ops.sample_distorted_bounding_box((height, width), BOXES[f"{key}/box"],
                                                             generator=generator) for _ in range(len(tf_windows))],
                    dtype=np.float64)
    for name, f in {"area": lambda w: w[:, 2] * w[:, 3] / (height * width),
                    "aspect": lambda w: w[:, 3] / w[:, 2],
                    "centre_y": lambda w: (w[:, 0] + w[:, 2] / 2) / height,
                    "centre_x": lambda w: (w[:, 1] + w[:, 3] / 2) / width}.items():
        assert _ks(f(ours), f(tf_windows)) < 0.045, name      # KS critical value at p=0.001 for n=m=4000: 0.044
    assert (ours[:, 0] + ours[:, 2] <= height).all() and (ours[:, 1] + ours[:, 3] <= width).all()


def test_inception_train_shape_range_and_flip_rate():
    image = _image()
    generator = torch.Generator().manual_seed(2)
    outs = [inception_preprocessing.preprocess_image(image, 32, 24, is_training=True, generator=generator)
            for _ in range(40)]
    for out in outs:
        assert out.shape == (32, 24, 3) and out.dtype == torch.float32
        assert out.min() >= -1.0 and out.max() <= 1.0
    slow = inception_preprocessing.preprocess_image(image, 32, 24, is_training=True, fast_mode=False,
                                                    generator=generator)
    assert slow.shape == (32, 24, 3) and slow.abs().max() <= 1.0


def test_inception_train_without_crop_is_resize_flip_colour():
    image = torch.full((10, 10, 3), 128, dtype=torch.uint8)
    out = inception_preprocessing.preprocess_for_train(image, 5, 5, None, random_crop=False,
                                                       generator=torch.Generator().manual_seed(0))
    assert out.shape == (5, 5, 3)
    assert torch.allclose(out, out[0, 0].expand_as(out))             # a flat image stays flat


def test_distort_color_orderings_and_errors():
    image = torch.rand(6, 7, 3)
    for ordering in range(4):
        out = inception_preprocessing.distort_color(image, ordering, fast_mode=False,
                                                    generator=torch.Generator().manual_seed(ordering))
        assert out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match=r"color_ordering must be in \[0, 3\]"):
        inception_preprocessing.distort_color(image, 4, fast_mode=False)


def test_vgg_train_crops_a_resized_image():
    image = _image(50, 70)
    generator = torch.Generator().manual_seed(3)
    for _ in range(10):
        out = vgg_preprocessing.preprocess_image(image, 32, 32, is_training=True, resize_side_min=40,
                                                 resize_side_max=60, generator=generator)
        restored = out + torch.tensor([vgg_preprocessing.R_MEAN, vgg_preprocessing.G_MEAN, vgg_preprocessing.B_MEAN])
        assert out.shape == (32, 32, 3) and restored.min() >= -1e-4 and restored.max() <= 255 + 1e-4


def test_vgg_resize_side_is_uniform_over_the_range():
    generator = torch.Generator().manual_seed(4)
    sides = [image_ops.random_int(256, 513, generator) for _ in range(5000)]
    assert min(sides) == 256 and max(sides) == 512 and abs(np.mean(sides) - 384) < 3


def test_cifarnet_train_is_standardized_and_pads():
    image = _image(32, 32)
    generator = torch.Generator().manual_seed(5)
    for _ in range(10):
        out = cifarnet_preprocessing.preprocess_image(image, 32, 32, is_training=True, generator=generator)
        assert out.shape == (32, 32, 3)
        assert abs(float(out.mean())) < 1e-4 and abs(float(out.std(unbiased=False)) - 1) < 1e-3


def test_lenet_same_for_training_and_eval():
    image = _image(28, 28)
    assert torch.equal(lenet_preprocessing.preprocess_image(image, 28, 28, True),
                       lenet_preprocessing.preprocess_image(image, 28, 28, False))


def test_random_crop_offsets_cover_every_position():
    image = torch.arange(5 * 4, dtype=torch.float32).reshape(5, 4, 1)
    generator = torch.Generator().manual_seed(6)
    corners = {float(image_ops.random_crop(image, [3, 3], generator)[0, 0, 0]) for _ in range(200)}
    assert corners == {0.0, 1.0, 4.0, 5.0, 8.0, 9.0}


def test_factory_names_and_grayscale():
    assert preprocessing_factory.preprocessing_fn_map["resnet_v2_50"] is vgg_preprocessing
    assert preprocessing_factory.preprocessing_fn_map["mobilenet_v3_large"] is inception_preprocessing
    assert len(preprocessing_factory.UPSTREAM_NAMES) == 34
    assert set(preprocessing_factory.preprocessing_fn_map) >= set(preprocessing_factory.UPSTREAM_NAMES)
    out = preprocessing_factory.get_preprocessing("inception_v3", use_grayscale=True)(_image(), 20, 20)
    assert out.shape == (20, 20, 1)
    with pytest.raises(ValueError, match=r"Preprocessing name \[alexnet\] was not recognized"):
        preprocessing_factory.get_preprocessing("alexnet")
