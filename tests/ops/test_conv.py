"""ops/conv.py against hand-computed values: TF SAME/VALID/explicit padding, depthwise, transposed sizes."""

from __future__ import annotations

import pytest
import torch

from torchslim.ops import conv as conv_ops


def test_same_with_an_even_input_pads_the_extra_cell_at_the_bottom_right():
    x = torch.ones(1, 1, 4, 4)
    w = torch.ones(1, 1, 3, 3)
    # out = ceil(4 / 2) = 2; total padding (2 - 1) * 2 + 3 - 4 = 1: none before, one after
    y = conv_ops.conv(x, w, None, (2, 2), (1, 1), "SAME")
    torch.testing.assert_close(y, torch.tensor([[[[9.0, 6.0], [6.0, 4.0]]]]))


def test_valid_and_symmetric_same_and_bias():
    x = torch.arange(25.0).reshape(1, 1, 5, 5)
    w = torch.ones(1, 1, 3, 3)
    valid = conv_ops.conv(x, w, torch.tensor([0.5]), (1, 1), (1, 1), "VALID")
    assert valid.shape == (1, 1, 3, 3)
    assert valid[0, 0, 0, 0].item() == (0 + 1 + 2 + 5 + 6 + 7 + 10 + 11 + 12) + 0.5
    same = conv_ops.conv(x, w, None, (1, 1), (1, 1), "SAME")
    assert same.shape == (1, 1, 5, 5) and same[0, 0, 0, 0].item() == 0 + 1 + 5 + 6


def test_explicit_pairs_pad_where_they_say():
    x = torch.ones(1, 1, 2, 2)
    w = torch.ones(1, 1, 1, 1)
    y = conv_ops.conv(x, w, None, (1, 1), (1, 1), ((1, 0), (0, 2)))  # one row on top, two columns right
    torch.testing.assert_close(y, torch.tensor([[[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 0.0, 0.0],
                                                 [1.0, 1.0, 0.0, 0.0]]]]))


def test_dilated_same_1d_and_3d_sizes():
    y = conv_ops.conv(torch.ones(1, 1, 10), torch.ones(1, 1, 3), None, (1,), (2,), "SAME")
    assert y.shape == (1, 1, 10)
    assert y[0, 0].tolist() == [2.0, 2.0] + [3.0] * 6 + [2.0, 2.0]  # effective kernel 5: two cells each side
    assert conv_ops.conv(torch.ones(1, 2, 5, 6, 7), torch.ones(4, 2, 3, 3, 3), None, (2, 2, 2), (1, 1, 1),
                         "SAME").shape == (1, 4, 3, 3, 4)


def test_depthwise_output_channel_order_is_channel_times_multiplier():
    x = torch.stack([torch.full((3, 3), 1.0), torch.full((3, 3), 2.0)]).unsqueeze(0)  # channels 1 and 2
    w = torch.tensor([10.0, 20.0, 30.0, 40.0]).reshape(4, 1, 1, 1)                     # multiplier 2
    y = conv_ops.depthwise_conv2d(x, w, None, (1, 1), (1, 1), "VALID")
    assert y[0, :, 0, 0].tolist() == [10.0, 20.0, 60.0, 80.0]


def test_separable_is_depthwise_then_pointwise():
    x = torch.ones(1, 2, 3, 3)
    depthwise = torch.ones(2, 1, 3, 3)
    pointwise = torch.tensor([1.0, 2.0]).reshape(1, 2, 1, 1)
    y = conv_ops.separable_conv2d(x, depthwise, pointwise, torch.tensor([1.0]), (1, 1), (1, 1), "VALID")
    assert y.shape == (1, 1, 1, 1) and y.item() == 9.0 * 1 + 9.0 * 2 + 1.0


@pytest.mark.parametrize("size, kernel, stride, padding, want", [
    (3, 3, 2, "SAME", 6), (3, 3, 2, "VALID", 7), (3, 2, 3, "VALID", 9), (4, 1, 1, "SAME", 4),
])
def test_transpose_output_size(size, kernel, stride, padding, want):
    assert conv_ops.transpose_output_size(size, kernel, stride, padding) == want
    y = conv_ops.conv2d_transpose(torch.ones(1, 1, size, size), torch.ones(1, 1, kernel, kernel), None,
                                  (stride, stride), padding)
    assert y.shape == (1, 1, want, want)


def test_same_transpose_is_the_adjoint_of_the_same_convolution():
    """TF's conv2d_transpose is the gradient of conv2d: <conv(x), y> == <x, conv_transpose(y)>."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 2, 6, 6, generator=gen, dtype=torch.float64)
    w = torch.randn(3, 2, 3, 3, generator=gen, dtype=torch.float64)     # conv: 2 -> 3 channels
    y = torch.randn(1, 3, 3, 3, generator=gen, dtype=torch.float64)
    forward = conv_ops.conv(x, w, None, (2, 2), (1, 1), "SAME")
    assert forward.shape == y.shape
    back = conv_ops.conv2d_transpose(y, w, None, (2, 2), "SAME")   # conv_transpose weights: [in=3, out=2, kh, kw]
    assert back.shape == x.shape
    torch.testing.assert_close((forward * y).sum(), (x * back).sum())


def test_transpose_bias_is_added_to_every_cell():
    y = conv_ops.conv2d_transpose(torch.zeros(1, 1, 2, 2), torch.ones(1, 3, 2, 2), torch.tensor([1.0, 2.0, 3.0]),
                                  (2, 2), "VALID")
    torch.testing.assert_close(y, torch.tensor([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1).expand(1, 3, 4, 4))
