"""ops/image.py: TF1's nearest and bilinear resize kernels against hand-computed values."""

from __future__ import annotations

import torch

from torchslim.ops import image


def _row(values):
    return torch.tensor(values, dtype=torch.float32).reshape(1, 1, -1, 1)


def test_nearest_upsample_x2_repeats_each_cell():
    # TF1 (no half-pixel): source = floor(dst * in / out) = floor(dst / 2)
    y = image.resize_nearest_neighbor(_row([1, 2, 3]), [1, 6])
    assert y.reshape(-1).tolist() == [1, 1, 2, 2, 3, 3]


def test_nearest_downsample_and_odd_ratio():
    # 3 -> 2: scale 1.5, sources floor(0), floor(1.5) = 0, 1 (half-pixel would give 0, 2)
    assert image.resize_nearest_neighbor(_row([1, 2, 3]), [1, 2]).reshape(-1).tolist() == [1, 2]
    assert image.resize_nearest_neighbor(_row([1, 2, 3]), [1, 2], half_pixel_centers=True).reshape(-1).tolist() == [1, 3]
    # align_corners: scale (3 - 1) / (2 - 1) = 2, round(0), round(2) = 0, 2
    assert image.resize_nearest_neighbor(_row([1, 2, 3]), [1, 2], align_corners=True).reshape(-1).tolist() == [1, 3]


def test_nearest_keeps_dtype_and_resizes_both_axes():
    x = torch.arange(4, dtype=torch.int32).reshape(1, 2, 2, 1)
    y = image.resize_nearest_neighbor(x, [4, 4])
    assert y.dtype == torch.int32
    assert y[0, :, :, 0].tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]]


def test_bilinear_upsample_x2_by_hand():
    # source = dst * 0.5: 0, .5, 1, 1.5, 2, 2.5 -> the last clamps to the edge (TF1: no half-pixel)
    y = image.resize_bilinear(_row([0, 2, 4]), [1, 6])
    assert y.reshape(-1).tolist() == [0, 1, 2, 3, 4, 4]


def test_bilinear_align_corners_and_half_pixel():
    assert image.resize_bilinear(_row([0, 3]), [1, 4], align_corners=True).reshape(-1).tolist() == [0, 1, 2, 3]
    # half-pixel: source (dst + .5) * .5 - .5 = -.25, .25, .75, 1.25 -> 0, .75, 2.25, 3
    got = image.resize_bilinear(_row([0, 3]), [1, 4], half_pixel_centers=True).reshape(-1).tolist()
    assert got == [0.0, 0.75, 2.25, 3.0]


def test_bilinear_two_axes_is_float32():
    x = torch.tensor([[0, 2], [4, 6]], dtype=torch.int32).reshape(1, 2, 2, 1)
    y = image.resize_bilinear(x, [3, 3])      # sources 0, 2/3, 4/3 -> clamp
    assert y.dtype == torch.float32
    torch.testing.assert_close(y[0, :, :, 0], torch.tensor([[0, 4 / 3, 2], [8 / 3, 4, 14 / 3], [4, 16 / 3, 6]]))
