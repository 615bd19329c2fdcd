"""Slim's vgg / inception preprocessing against values worked out by hand from TF1's definitions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torchslim.train import preprocessing as pp

MEANS = np.array(pp.VGG_MEANS, dtype=np.float32)


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
    np.testing.assert_allclose(pp.resize_bilinear(image, (4, 4))[..., 0].numpy(), expected)


def test_resize_bilinear_downsamples_by_picking_sources_and_keeps_batches():
    images = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4, 1).repeat(2, 1, 1, 1)
    out = pp.resize_bilinear(images, (2, 2))  # sources 0 and 2 on each axis, no averaging
    assert out.shape == (2, 2, 2, 1)
    np.testing.assert_allclose(out[1, ..., 0].numpy(), [[0, 2], [8, 10]])
    assert pp.resize_bilinear(torch.zeros(3, 5, 1, dtype=torch.uint8), (6, 10)).dtype == torch.float32


def test_central_crop_offsets_as_tf():
    image = _ramp(5, 5, 1)
    # offset int((5 - 2.5) / 2) = 1, size 5 - 2 * 1 = 3
    np.testing.assert_array_equal(pp.central_crop(image, 0.5)[..., 0].numpy(),
                                  [[11, 12, 13], [21, 22, 23], [31, 32, 33]])
    assert pp.central_crop(image, 1.0) is image
    with pytest.raises(ValueError, match="central_fraction"):
        pp.central_crop(image, 0.0)


# ----------------------------------------------------------------------------------------------
# vgg_preprocessing

def test_vgg_eval_without_resize_is_central_crop_minus_means():
    image = _ramp(4, 6)  # the smaller side is already 4
    out = pp.vgg_preprocess_image(image, 2, 2, is_training=False, resize_side_min=4)
    # offsets (4 - 2) // 2 = 1 and (6 - 2) // 2 = 2
    crop = np.array([[12, 13], [22, 23]], dtype=np.float32)
    np.testing.assert_allclose(out.numpy(), crop[..., None] - MEANS, rtol=0, atol=1e-4)


def test_vgg_eval_resizes_the_smaller_side_then_crops():
    image = _ramp(2, 4)
    out = pp.vgg_preprocess_image(image, 2, 2, is_training=False, resize_side_min=4)
    # 2x4 -> 4x8: row sources 0, .5, 1, 1(.5 clamped) and column sources 0, .5, ..., 3, 3; crop at (1, 3):
    # rows 0.5, 1 and columns 1.5, 2 of the ramp 10 * r + c.
    expected = np.array([[6.5, 7.0], [11.5, 12.0]], dtype=np.float32)
    np.testing.assert_allclose(out.numpy(), expected[..., None] - MEANS, rtol=0, atol=1e-4)


def test_vgg_aspect_preserving_size_rounds_like_tf_rint():
    # 3x5 to a smaller side of 4: the width 5 * 4 / 3 = 6.67 rounds to 7 (truncation would give 6).
    assert pp.aspect_preserving_resize(_ramp(3, 5), 4).shape == (4, 7, 3)
    assert pp.aspect_preserving_resize(_ramp(8, 6), 3).shape == (4, 3, 3)  # 8 * 3 / 6 = 4 exactly
    assert pp.aspect_preserving_resize(_ramp(10, 4), 2).shape == (5, 2, 3)  # 10 * 2 / 4 = 5
    assert pp.aspect_preserving_resize(_ramp(2, 3), 3).shape == (3, 4, 3)  # 4.5: half to even


def test_vgg_one_channel_subtracts_the_first_mean():
    out = pp.vgg_preprocess_image(torch.full((4, 4, 1), 200, dtype=torch.uint8), 2, 2, resize_side_min=4)
    np.testing.assert_allclose(out.numpy(), np.full((2, 2, 1), 200 - MEANS[0]), atol=1e-4)


def test_vgg_training_crop_is_a_window_of_the_resized_image():
    image = torch.randint(0, 256, (20, 30, 3), dtype=torch.uint8)
    out = pp.vgg_preprocess_image(image, 8, 8, is_training=True, resize_side_min=10, resize_side_max=12,
                                  generator=torch.Generator().manual_seed(3))
    assert out.shape == (8, 8, 3)
    again = pp.vgg_preprocess_image(image, 8, 8, is_training=True, resize_side_min=10, resize_side_max=12,
                                    generator=torch.Generator().manual_seed(3))
    assert torch.equal(out, again)
    pixels = out + torch.tensor(MEANS)
    assert pixels.min() >= -1e-3 and pixels.max() <= 255 + 1e-3


def test_vgg_crop_larger_than_image_is_an_error():
    with pytest.raises(ValueError, match="Crop size greater than the image size"):
        pp.vgg_preprocess_image(_ramp(4, 4), 6, 6, is_training=False, resize_side_min=4)


# ----------------------------------------------------------------------------------------------
# inception_preprocessing

def test_inception_eval_central_crop_resize_and_scale():
    image = torch.zeros(8, 8, 1, dtype=torch.uint8)
    image[2:6, 2:6, 0] = torch.tensor([[0, 51, 102, 255]] * 4, dtype=torch.uint8)
    out = pp.inception_preprocess_image(image, 4, 4, is_training=False, central_fraction=0.5)
    # crop rows/columns 2..5, no resize, then (x / 255 - 0.5) * 2
    expected = (np.array([[0, 51, 102, 255]] * 4, dtype=np.float32) / 255 - 0.5) * 2
    np.testing.assert_allclose(out[..., 0].numpy(), expected, atol=1e-6)


def test_inception_eval_resizes_like_tf1():
    image = torch.tensor([[0.0, 0.2], [0.4, 0.6]])[..., None]  # float images are taken as [0, 1]
    out = pp.inception_preprocess_image(image, 4, 4, is_training=False, central_fraction=None)
    expected = np.array([[0, .1, .2, .2], [.2, .3, .4, .4], [.4, .5, .6, .6], [.4, .5, .6, .6]])
    np.testing.assert_allclose(out[..., 0].numpy(), (expected - 0.5) * 2, atol=1e-6)


def test_inception_training_is_reproducible_and_in_range():
    image = torch.randint(0, 256, (24, 32, 3), dtype=torch.uint8)
    outs = [pp.inception_preprocess_image(image, 16, 16, is_training=True, fast_mode=False,
                                          generator=torch.Generator().manual_seed(7)) for _ in range(2)]
    assert outs[0].shape == (16, 16, 3) and torch.equal(outs[0], outs[1])
    assert outs[0].min() >= -1.0 and outs[0].max() <= 1.0


def test_sample_distorted_bounding_box_respects_the_constraints():
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        top, left, h, w = pp.sample_distorted_bounding_box(40, 60, generator=generator)
        assert 0 <= top and top + h <= 40 and 0 <= left and left + w <= 60
        assert 0.05 * 2400 <= h * w <= 2400
        assert h * w >= 0.1 * 2400
        assert 0.75 - 0.1 <= w / h <= 1.33 + 0.1  # the aspect ratio, up to rounding to whole pixels


def test_sample_distorted_bounding_box_falls_back_to_the_whole_image():
    # A crop 10 times wider than high covers at most 1x10 pixels of a 10x10 image, not half of it.
    assert pp.sample_distorted_bounding_box(10, 10, aspect_ratio_range=(10, 10), area_range=(0.5, 1.0),
                                            max_attempts=5) == (0, 0, 10, 10)


def test_rgb_hsv_known_colours_and_round_trip():
    rgb = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [.5, .5, .5], [1, .5, 0], [0, 0, 0]], dtype=torch.float32)
    hsv = [[0, 1, 1], [1 / 3, 1, 1], [2 / 3, 1, 1], [0, 0, .5], [1 / 12, 1, 1], [0, 0, 0]]
    np.testing.assert_allclose(pp.rgb_to_hsv(rgb).numpy(), hsv, atol=1e-6)
    colours = torch.rand(50, 3, generator=torch.Generator().manual_seed(1))
    np.testing.assert_allclose(pp.hsv_to_rgb(pp.rgb_to_hsv(colours)).numpy(), colours.numpy(), atol=1e-5)


def test_distort_color_brightness_only_on_grey_and_clipped():
    grey = torch.full((4, 4, 1), 0.5)
    out = pp.distort_color(grey, 0, fast_mode=True, generator=torch.Generator().manual_seed(0))
    delta = float(out[0, 0, 0]) - 0.5
    assert torch.allclose(out, torch.full_like(out, 0.5 + delta)) and abs(delta) <= 32 / 255 + 1e-6
    bright = pp.distort_color(torch.ones(2, 2, 3), 2, fast_mode=False, generator=torch.Generator().manual_seed(0))
    assert bright.min() >= 0.0 and bright.max() <= 1.0
    with pytest.raises(ValueError, match="color_ordering"):
        pp.distort_color(grey, 4)


@pytest.mark.parametrize("name, fn", [("vgg", pp.vgg_preprocess_image), ("resnet_v1_50", pp.vgg_preprocess_image),
                                      ("inception", pp.inception_preprocess_image),
                                      ("resnet_v2_101", pp.inception_preprocess_image),
                                      ("inception_resnet_v2", pp.inception_preprocess_image)])
def test_get_preprocessing_maps_names_as_the_factory(name, fn):
    image = _ramp(8, 8).to(torch.uint8)
    got = pp.get_preprocessing(name, is_training=False)(image, 4, 4)
    assert torch.equal(got, fn(image, 4, 4, is_training=False))


def test_get_preprocessing_unknown_name():
    with pytest.raises(ValueError, match=r"Preprocessing name \[lenet\] was not recognized"):
        pp.get_preprocessing("lenet")
