"""ops/pooling.py against hand-computed values: TF SAME max (-inf padding) and avg (padding not counted)."""

from __future__ import annotations

import torch

from torchslim.ops import pooling


def test_same_max_pool_never_picks_the_padding():
    x = -torch.arange(1.0, 17.0).reshape(1, 1, 4, 4)      # all negative: a zero pad would win
    y = pooling.max_pool(x, (3, 3), (2, 2), "SAME")        # padding (0, 1) per dimension
    torch.testing.assert_close(y, torch.tensor([[[[-1.0, -3.0], [-9.0, -11.0]]]]))


def test_same_avg_pool_leaves_padded_cells_out_of_the_count():
    x = torch.arange(16.0).reshape(1, 1, 4, 4)
    y = pooling.avg_pool(x, (3, 3), (2, 2), "SAME")        # explicit (0, 1): the bottom-right window has 2x2 cells
    want = torch.tensor([[[[(0 + 1 + 2 + 4 + 5 + 6 + 8 + 9 + 10) / 9, (2 + 3 + 6 + 7 + 10 + 11) / 6],
                           [(8 + 9 + 10 + 12 + 13 + 14) / 6, (10 + 11 + 14 + 15) / 4]]]])
    torch.testing.assert_close(y, want)
    ones = pooling.avg_pool(torch.ones(1, 1, 5, 5), (3, 3), (1, 1), "SAME")  # symmetric padding, in the kernel
    torch.testing.assert_close(ones, torch.ones(1, 1, 5, 5))


def test_padding_wider_than_half_the_window_is_made_explicit():
    x = torch.ones(1, 1, 1, 1)
    # a 2x2 window with stride 3 on one cell: SAME pads (0, 1), one output over one real cell
    torch.testing.assert_close(pooling.avg_pool(x, (2, 2), (3, 3), "SAME"), torch.ones(1, 1, 1, 1))
    torch.testing.assert_close(pooling.max_pool(-x, (2, 2), (3, 3), "SAME"), -torch.ones(1, 1, 1, 1))


def test_valid_and_one_and_three_dimensions():
    assert pooling.max_pool(torch.rand(1, 2, 7, 7), (3, 3), (2, 2), "VALID").shape == (1, 2, 3, 3)
    x1 = torch.tensor([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    torch.testing.assert_close(pooling.avg_pool(x1, (2,), (2,), "SAME"), torch.tensor([[[1.5, 3.5, 5.0]]]))
    torch.testing.assert_close(pooling.max_pool(x1, (2,), (2,), "SAME"), torch.tensor([[[2.0, 4.0, 5.0]]]))
    x3 = torch.ones(1, 1, 3, 3, 3)
    torch.testing.assert_close(pooling.avg_pool(x3, (2, 2, 2), (2, 2, 2), "SAME"), torch.ones(1, 1, 2, 2, 2))


def test_three_dimensions_same_counts_and_minus_infinity():
    # [1, C, D, H, W] = [1, 1, 3, 2, 2], x = 4d + 2h + w; kernel 2, stride 2, SAME: D pads (0, 1).
    x = torch.arange(12.0).reshape(1, 1, 3, 2, 2)
    avg = pooling.avg_pool(x, (2, 2, 2), (2, 2, 2), "SAME")
    torch.testing.assert_close(avg, torch.tensor([[[[[3.5]], [[9.5]]]]]))  # mean of 0..7; of 8..11 (4 cells)
    top = pooling.max_pool(-x - 1, (2, 2, 2), (2, 2, 2), "SAME")
    torch.testing.assert_close(top, torch.tensor([[[[[-1.0]], [[-9.0]]]]]))
    # [3, 3, 3] stride 1 (the Inception block's pool): symmetric padding, 8 corner cells.
    corner = pooling.avg_pool(torch.arange(27.0).reshape(1, 1, 3, 3, 3), (3, 3, 3), (1, 1, 1), "SAME")
    assert corner[0, 0, 0, 0, 0] == (0 + 1 + 3 + 4 + 9 + 10 + 12 + 13) / 8
