"""ops/core.py: dropout's keep mask (values, seed, noise shape) and bias_add's channel axis."""

from __future__ import annotations

import torch

from torchslim.ops import core


def test_keep_mask_is_zero_or_one_over_keep_prob_and_seeded():
    x = torch.ones(4, 50)
    mask = core.keep_mask(x, 0.25, seed=3)
    assert set(mask.unique().tolist()) <= {0.0, 4.0}
    assert torch.equal(mask, core.keep_mask(x, 0.25, seed=3))
    assert not torch.equal(mask, core.keep_mask(x, 0.25, seed=4))


def test_noise_shape_broadcasts_and_none_takes_the_input_size():
    x = torch.ones(3, 5, 5, 8)
    mask = core.keep_mask(x, 0.5, noise_shape=[None, 1, 1, 8], seed=0)
    assert mask.shape == (3, 1, 1, 8)
    y = core.dropout(x, 0.5, noise_shape=[None, 1, 1, 8], seed=0)
    assert torch.equal(y, x * mask)                        # one decision per (example, channel)


def test_dropout_keeps_all_at_keep_prob_one_and_scales_kept_values():
    x = torch.rand(10, 10)
    assert core.dropout(x, 1.0) is x
    y = core.dropout(torch.ones(1000), 0.8)
    assert set(y.unique().tolist()) <= {0.0, 1.25}


def test_bias_add_on_the_channel_axis():
    x = torch.zeros(1, 2, 3, 3)
    torch.testing.assert_close(core.bias_add(x, torch.tensor([1.0, 2.0]), 1)[0, :, 0, 0], torch.tensor([1.0, 2.0]))
    torch.testing.assert_close(core.bias_add(torch.zeros(2, 3), torch.tensor([1.0, 2.0, 3.0])),
                               torch.tensor([[1.0, 2.0, 3.0]] * 2))
