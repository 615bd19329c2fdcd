"""Slim's preprocessing against values worked out by hand from TF1's definitions (moved from the old
``train/preprocessing`` tests: the same cases, on ``torchslim.preprocessing``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchslim.preprocessing import (cifarnet_preprocessing, image_ops, inception_preprocessing, preprocessing_factory,
                                     vgg_preprocessing)

MEANS = np.array([vgg_preprocessing.R_MEAN, vgg_preprocessing.G_MEAN, vgg_preprocessing.B_MEAN], dtype=np.float32)


def _ramp(height, width, channels=3):
    """``value = 10 * row + column`` in every channel."""
    rows = torch.arange(height, dtype=torch.float32)[:, None, None]
    cols = torch.arange(width, dtype=torch.float32)[None, :, None]
    return (10 * rows + cols).expand(height, width, channels).contiguous()


# ----------------------------------------------------------------------------------------------
# resize_bilinear: TF1 align_corners=False samples source = destination * in / out, no half-pixel shift.

def test_resize_bilinear_upsamples_like_tf1():
    image = torch.tensor([[0.0, 10.0], [20.0, 30.0]])[..., None]
    # sources 0, 0.5, 1, 1.5 on both axes; 1.5 interpolates between row/column 1 and itself.
    expected = [[0, 5, 10, 10], [10, 15, 20, 20], [20, 25, 30, 30], [20, 25, 30, 30]]
    np.testing.assert_allclose(image_ops.resize_bilinear(image, (4, 4))[..., 0].numpy(), expected)


def test_resize_bilinear_downsamples_by_picking_sources_and_keeps_batches():
    images = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4, 1).repeat(2, 1, 1, 1)
    out = image_ops.resize_bilinear(images, (2, 2))  # sources 0 and 2 on each axis, no averaging
    assert out.shape == (2, 2, 2, 1)
    np.testing.assert_allclose(out[1, ..., 0].numpy(), [[0, 2], [8, 10]])
    assert image_ops.resize_bilinear(torch.zeros(3, 5, 1, dtype=torch.uint8), (6, 10)).dtype == torch.float32


def test_central_crop_offsets_as_tf():
    image = _ramp(5, 5, 1)
    # offset int((5 - 2.5) / 2) = 1, size 5 - 2 * 1 = 3
    np.testing.assert_array_equal(image_ops.central_crop(image, 0.5)[..., 0].numpy(),
                                  [[11, 12, 13], [21, 22, 23], [31, 32, 33]])
    assert image_ops.central_crop(image, 1.0) is image
    with pytest.raises(ValueError, match="central_fraction"):
        image_ops.central_crop(image, 0.0)


# ----------------------------------------------------------------------------------------------
# vgg_preprocessing

def test_vgg_eval_without_resize_is_central_crop_minus_means():
    out = vgg_preprocessing.preprocess_image(_ramp(4, 6), 2, 2, is_training=False, resize_side_min=4)
    # the smaller side is already 4; offsets (4 - 2) / 2 = 1 and (6 - 2) / 2 = 2
    crop = np.array([[12, 13], [22, 23]], dtype=np.float32)
    np.testing.assert_allclose(out.numpy(), crop[..., None] - MEANS, rtol=0, atol=1e-4)


def test_vgg_eval_resizes_the_smaller_side_then_crops():
    out = vgg_preprocessing.preprocess_image(_ramp(2, 4), 2, 2, is_training=False, resize_side_min=4)
    # 2x4 -> 4x8: row sources 0, .5, 1, 1(.5 clamped) and column sources 0, .5, ..., 3, 3; crop at (1, 3):
    # rows 0.5, 1 and columns 1.5, 2 of the ramp 10 * r + c.
    expected = np.array([[6.5, 7.0], [11.5, 12.0]], dtype=np.float32)
    np.testing.assert_allclose(out.numpy(), expected[..., None] - MEANS, rtol=0, atol=1e-4)


def test_vgg_aspect_preserving_size_rounds_like_tf_rint():
    # 3x5 to a smaller side of 4: the width 5 * 4 / 3 = 6.67 rounds to 7 (truncation would give 6).
    assert vgg_preprocessing.aspect_preserving_resize(_ramp(3, 5), 4).shape == (4, 7, 3)
    assert vgg_preprocessing.aspect_preserving_resize(_ramp(8, 6), 3).shape == (4, 3, 3)  # 8 * 3 / 6 = 4 exactly
    assert vgg_preprocessing.aspect_preserving_resize(_ramp(10, 4), 2).shape == (5, 2, 3)  # 10 * 2 / 4 = 5
    assert vgg_preprocessing.aspect_preserving_resize(_ramp(2, 3), 3).shape == (3, 4, 3)  # 4.5: half to even


def test_vgg_crop_larger_than_image_is_an_error():
    with pytest.raises(ValueError, match="Crop size greater than the image size"):
        vgg_preprocessing.preprocess_image(_ramp(4, 4), 6, 6, is_training=False, resize_side_min=4)


def test_vgg_training_is_reproducible_and_a_window_of_0_255_values():
    image = torch.randint(0, 256, (20, 30, 3), dtype=torch.uint8)
    outs = [vgg_preprocessing.preprocess_image(image, 8, 8, is_training=True, resize_side_min=10,
                                               resize_side_max=12, generator=torch.Generator().manual_seed(3))
            for _ in range(2)]
    assert outs[0].shape == (8, 8, 3) and torch.equal(outs[0], outs[1])
    pixels = outs[0] + torch.tensor(MEANS)
    assert pixels.min() >= -1e-3 and pixels.max() <= 255 + 1e-3


# ----------------------------------------------------------------------------------------------
# inception_preprocessing

def test_inception_eval_central_crop_and_scale():
    image = torch.zeros(8, 8, 1, dtype=torch.uint8)
    image[2:6, 2:6, 0] = torch.tensor([[0, 51, 102, 255]] * 4, dtype=torch.uint8)
    out = inception_preprocessing.preprocess_for_eval(image, 4, 4, central_fraction=0.5)
    # crop rows/columns 2..5, no resize, then (x / 255 - 0.5) * 2
    expected = (np.array([[0, 51, 102, 255]] * 4, dtype=np.float32) / 255 - 0.5) * 2
    np.testing.assert_allclose(out[..., 0].numpy(), expected, atol=1e-6)


def test_inception_eval_resizes_like_tf1():
    image = torch.tensor([[0.0, 0.2], [0.4, 0.6]])[..., None]  # float images are taken as [0, 1]
    out = inception_preprocessing.preprocess_for_eval(image, 4, 4, central_fraction=None)
    expected = np.array([[0, .1, .2, .2], [.2, .3, .4, .4], [.4, .5, .6, .6], [.4, .5, .6, .6]])
    np.testing.assert_allclose(out[..., 0].numpy(), (expected - 0.5) * 2, atol=1e-6)


def test_rgb_hsv_known_colours_and_round_trip():
    rgb = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [.5, .5, .5], [1, .5, 0], [0, 0, 0]], dtype=torch.float32)
    hsv = [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, .5], [1 / 12, 1, 1], [0, 0, 0]]
    np.testing.assert_allclose(image_ops.rgb_to_hsv(rgb).numpy(), hsv, atol=1e-6)
    colours = torch.rand(50, 3, generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(image_ops.hsv_to_rgb(image_ops.rgb_to_hsv(colours)).numpy(), colours.numpy(),
                               atol=1e-5)


# ----------------------------------------------------------------------------------------------
# The factory's names for torchslim's own nets.

@pytest.mark.parametrize("name, module", [("resnet_v1_18", vgg_preprocessing), ("resnet_v2_34", vgg_preprocessing),
                                          ("inception_resnet_v1", inception_preprocessing),
                                          ("resnet_v2_digits", cifarnet_preprocessing),
                                          ("resnet_v1_small", cifarnet_preprocessing)])
def test_torchslim_nets_get_their_preprocessing(name, module):
    assert name not in preprocessing_factory.UPSTREAM_NAMES
    image = (_ramp(40, 40) * 2).to(torch.uint8)
    got = preprocessing_factory.get_preprocessing(name, is_training=False)(image, 32, 32)
    assert torch.equal(got, module.preprocess_image(image, 32, 32, is_training=False))


def test_small_resnets_take_grey_images():
    grey = torch.randint(0, 256, (12, 12, 1), dtype=torch.uint8)
    fn = preprocessing_factory.get_preprocessing("resnet_v2_small", is_training=True)
    out = fn(grey, 16, 16, generator=torch.Generator().manual_seed(0))
    assert out.shape == (16, 16, 1)
    assert abs(float(out.mean())) < 1e-5  # per_image_standardization
