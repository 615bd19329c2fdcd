"""slim.nn: the tf.nn functions model code passes around."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim import nn as tfnn


def test_activations_are_pytorch_functions_so_identity_checks_work():
    assert tfnn.relu is torch.relu and tfnn.relu6 is F.relu6 and tfnn.sigmoid is torch.sigmoid
    assert slim.nn.relu6 == tfnn.relu6


def test_activation_values():
    x = torch.tensor([-7.0, -1.0, 0.0, 0.5, 8.0])
    torch.testing.assert_close(tfnn.relu6(x), torch.tensor([0.0, 0.0, 0.0, 0.5, 6.0]))
    torch.testing.assert_close(tfnn.elu(x), torch.where(x > 0, x, torch.expm1(x)))
    torch.testing.assert_close(tfnn.leaky_relu(x), torch.where(x > 0, x, 0.2 * x))  # TF's default alpha 0.2
    torch.testing.assert_close(tfnn.leaky_relu(x, alpha=0.1), torch.where(x > 0, x, 0.1 * x))
    torch.testing.assert_close(tfnn.softplus(x), torch.log1p(torch.exp(x)))
    torch.testing.assert_close(tfnn.swish(x), x * torch.sigmoid(x))


def test_softmax_axis():
    x = torch.tensor([[0.0, 1.0], [1.0, 1.0]])
    low, high = 1 / (1 + math.e), math.e / (1 + math.e)
    torch.testing.assert_close(tfnn.softmax(x), torch.tensor([[low, high], [0.5, 0.5]]))
    torch.testing.assert_close(tfnn.softmax(x, axis=0), torch.tensor([[low, 0.5], [high, 0.5]]))


def test_l2_normalize_as_tf():
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]])
    torch.testing.assert_close(tfnn.l2_normalize(x, 1), torch.tensor([[0.6, 0.8], [0.0, 0.0]]))
    torch.testing.assert_close(tfnn.l2_normalize(x, dim=1), tfnn.l2_normalize(x, axis=1))
    # x / sqrt(max(sum(x**2), epsilon)): a tiny vector is scaled by 1/sqrt(epsilon), not normalised
    tiny = torch.tensor([[1e-4, 0.0]])
    torch.testing.assert_close(tfnn.l2_normalize(tiny, 1, epsilon=1e-4), torch.tensor([[1e-2, 0.0]]))
    torch.testing.assert_close(tfnn.l2_normalize(x, [0, 1]), x / 5.0)
    with pytest.raises(ValueError, match="axis"):
        tfnn.l2_normalize(x)


def test_moments_are_biased():
    x = torch.tensor([[1.0, 2.0], [3.0, 6.0]])
    mean, var = tfnn.moments(x, [0])
    torch.testing.assert_close(mean, torch.tensor([2.0, 4.0]))
    torch.testing.assert_close(var, torch.tensor([1.0, 4.0]))
    mean, var = tfnn.moments(x, [0, 1], keepdims=True)
    assert mean.shape == (1, 1) and float(var) == pytest.approx(((x - 3.0) ** 2).mean().item())


def test_hard_sigmoid_hand_values():
    x = torch.tensor([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0])
    torch.testing.assert_close(tfnn.hard_sigmoid(x), torch.tensor([0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.0]))


def test_hard_swish_hand_values():
    x = torch.tensor([-4.0, -3.0, -1.5, 0.0, 1.5, 3.0, 4.0])
    # x * relu6(x + 3) / 6: -1.5 * 1.5 / 6 = -0.375, 1.5 * 4.5 / 6 = 1.125; identity above 3.
    torch.testing.assert_close(tfnn.hard_swish(x), torch.tensor([0.0, 0.0, -0.375, 0.0, 1.125, 3.0, 4.0]))
