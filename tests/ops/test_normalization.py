"""ops/normalization.py against hand-computed values: TF's batch norm updates, moments, layer norm."""

from __future__ import annotations

import pytest
import torch

from torchslim.ops import normalization as norm


def _stats():
    return torch.zeros(1), torch.ones(1)


@pytest.mark.parametrize("unbiased, want_var", [(True, 0.9 * 1 + 0.1 * 2.0), (False, 0.9 * 1 + 0.1 * 1.0)])
def test_training_normalizes_by_the_batch_and_moves_the_averages(unbiased, want_var):
    x = torch.tensor([[1.0], [3.0]])                       # mean 2, biased variance 1, unbiased 2
    mean, var = _stats()
    y = norm.batch_norm(x, mean, var, None, None, decay=0.9, epsilon=1e-3, training=True, update=True,
                        unbiased=unbiased)
    torch.testing.assert_close(y, torch.tensor([[-1.0], [1.0]]) / (1.0 + 1e-3) ** 0.5)
    torch.testing.assert_close(mean, torch.tensor([0.2]))
    torch.testing.assert_close(var, torch.tensor([want_var]))


def test_training_without_update_leaves_the_averages():
    mean, var = _stats()
    norm.batch_norm(torch.tensor([[1.0], [3.0]]), mean, var, None, None, 0.9, 0.001, True, False, True)
    assert mean.item() == 0.0 and var.item() == 1.0


def test_inference_uses_the_moving_statistics_gamma_and_beta():
    x = torch.tensor([[3.0, 5.0]]).reshape(1, 2, 1, 1)
    y = norm.batch_norm(x, torch.tensor([1.0, 1.0]), torch.tensor([4.0, 1.0]), torch.tensor([2.0, 1.0]),
                        torch.tensor([0.5, 0.0]), 0.99, 0.0, training=False, update=False, unbiased=True)
    torch.testing.assert_close(y.flatten(), torch.tensor([(3 - 1) / 2 * 2 + 0.5, 4.0]))


def test_one_value_per_channel_gives_beta_and_a_zero_variance():
    x = torch.tensor([[7.0, -2.0]])
    mean, var = _stats()
    y = norm.batch_norm(x, mean.repeat(2), var.repeat(2), torch.tensor([3.0, 3.0]), torch.tensor([0.5, -1.0]), 0.5,
                        0.001, True, False, True)
    torch.testing.assert_close(y, torch.tensor([[0.5, -1.0]]))
    m, v = norm.batch_moments(x, unbiased=True)
    torch.testing.assert_close(m, x[0])
    torch.testing.assert_close(v, torch.zeros(2))


def test_moments_and_layer_norm():
    x = torch.tensor([[1.0, 2.0, 3.0, 6.0]])
    mean, var = norm.moments(x, [1])
    torch.testing.assert_close(mean, torch.tensor([3.0]))
    torch.testing.assert_close(var, torch.tensor([3.5]))  # (4 + 1 + 0 + 9) / 4
    y = norm.layer_norm(x, torch.full((4,), 2.0), torch.ones(4), 1, epsilon=0.0)
    torch.testing.assert_close(y, (x - 3.0) / 3.5 ** 0.5 * 2.0 + 1.0)


# --- group norm ------------------------------------------------------------------------------------


def _two_groups_input():
    """[1, 1, 2, 4] NHWC: pixel 0 has channels 1..4, pixel 1 has 5..8; groups {0, 1} and {2, 3}."""
    return torch.arange(1.0, 9.0).reshape(1, 1, 2, 4)


def test_group_norm_normalizes_each_group_over_its_channels_and_pixels():
    # group 0 = {1, 2, 5, 6}: mean 3.5, variance (2.5^2 + 1.5^2) / 2 = 4.25; group 1 = {3, 4, 7, 8}: mean 5.5, 4.25
    y = norm.group_norm(_two_groups_input(), 2, 3, [1, 2], None, None, epsilon=0.0)
    sd = 4.25 ** 0.5
    want = torch.tensor([[[[-2.5, -1.5, -2.5, -1.5], [1.5, 2.5, 1.5, 2.5]]]]) / sd
    torch.testing.assert_close(y, want)


def test_group_norm_scales_and_offsets_per_channel():
    gamma, beta = torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([0.0, 0.0, 1.0, -1.0])
    y = norm.group_norm(_two_groups_input(), 2, 3, [1, 2], gamma, beta, epsilon=0.75)
    sd = (4.25 + 0.75) ** 0.5
    want = torch.tensor([[[[-2.5 * 1, -1.5 * 2, -2.5 * 3 + sd, -1.5 * 4 - sd],
                           [1.5 * 1, 2.5 * 2, 1.5 * 3 + sd, 2.5 * 4 - sd]]]]) / sd
    torch.testing.assert_close(y, want)


def test_group_norm_channels_first_and_one_group_per_channel():
    x = _two_groups_input().permute(0, 3, 1, 2)            # [1, 4, 1, 2]: channels on axis 1
    y = norm.group_norm(x, 4, 1, [2, 3], None, None, epsilon=0.0)
    # each channel alone over its two pixels: values c and c + 4, mean c + 2, variance 4
    want = torch.tensor([-1.0, 1.0]).expand(1, 4, 1, 2)
    torch.testing.assert_close(y, want)


def test_group_norm_one_pass_variance_agrees():
    x = torch.randn(2, 3, 5, 8, generator=torch.Generator().manual_seed(0))
    two_pass = norm.group_norm(x, 4, 3, [1, 2], None, None, 1e-6)
    one_pass = norm.group_norm(x, 4, 3, [1, 2], None, None, 1e-6, one_pass=True)
    torch.testing.assert_close(one_pass, two_pass, atol=1e-5, rtol=1e-5)
