"""``lrn`` against hand-computed ``tf.nn.lrn`` values."""

from __future__ import annotations

import math

import pytest
import torch

import torchslim as slim
from torchslim.ops.lrn import lrn


def test_one_pixel_by_hand():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 1, 1, 4)
    got = lrn(x, depth_radius=1, bias=1.0, alpha=0.5, beta=0.75)
    # Windows (zero beyond the edges): {1,2}, {1,2,3}, {2,3,4}, {3,4}.
    sums = [1 + 4, 1 + 4 + 9, 4 + 9 + 16, 9 + 16]
    want = [v / (1.0 + 0.5 * s) ** 0.75 for v, s in zip([1, 2, 3, 4], sums)]
    assert got.flatten().tolist() == pytest.approx(want, rel=1e-6)


def test_tf_defaults_window_covers_every_channel():
    x = torch.tensor([3.0, -4.0]).reshape(1, 1, 1, 2)
    got = lrn(x)  # depth_radius 5, bias 1, alpha 1, beta 0.5
    assert got.flatten().tolist() == pytest.approx([3 / math.sqrt(26), -4 / math.sqrt(26)], rel=1e-6)


def test_depth_radius_zero_is_per_value():
    x = torch.tensor([[1.0, -2.0], [0.5, 0.0]]).reshape(1, 2, 1, 2)
    got = lrn(x, depth_radius=0, bias=2.0, alpha=1.0, beta=1.0)
    assert torch.allclose(got, x / (2.0 + x * x))


def test_cifarnet_parameters_match_reference_formula():
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5, 9)
    got = lrn(x, 4, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
    padded = torch.nn.functional.pad(x * x, (4, 4))
    want = torch.empty_like(x)
    for c in range(9):
        want[..., c] = x[..., c] / (1.0 + 0.001 / 9.0 * padded[..., c:c + 9].sum(-1)) ** 0.75
    assert torch.allclose(got, want, rtol=1e-6, atol=1e-7)


def test_channels_last_view_and_gradient():
    x = torch.randn(1, 6, 4, 4, dtype=torch.float64).permute(0, 2, 3, 1).requires_grad_()  # NHWC view
    assert not x.is_contiguous()
    assert torch.autograd.gradcheck(lambda t: lrn(t, 2, 1.0, 0.3, 0.75), (x,))


def test_exposed_in_nn():
    assert slim.nn.lrn is lrn
    assert slim.nn.local_response_normalization is lrn


@pytest.mark.parametrize("shape", [(4,), (2, 3, 4)])
def test_rank_error_names_the_op(shape):
    with pytest.raises(ValueError, match="lrn norm1: input must be 4-D"):
        lrn(torch.zeros(shape), name="norm1")


def test_negative_radius_is_an_error():
    with pytest.raises(ValueError, match="depth_radius"):
        lrn(torch.zeros(1, 1, 1, 3), depth_radius=-1)
