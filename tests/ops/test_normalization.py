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
