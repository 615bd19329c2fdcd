"""The pieces Inception v2, v3 and v4 share, against hand-computed values."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import inception_common as common


@pytest.mark.parametrize("multiplier, min_depth, width, expected", [
    (1.0, 16, 64, 64), (0.5, 16, 64, 32), (0.5, 16, 20, 16), (2.0, 16, 96, 192), (0.1, 8, 96, 9),
    (0.1, 8, 32, 8), (0.75, 16, 100, 75), (0.3, 1, 10, 3),
])
def test_depth_fn(multiplier, min_depth, width, expected):
    assert common.depth_fn(multiplier, min_depth)(width) == expected


@pytest.mark.parametrize("multiplier", [0.0, -0.1])
def test_depth_fn_rejects_non_positive_multipliers(multiplier):
    with pytest.raises(ValueError, match="depth_multiplier is not greater than zero."):
        common.depth_fn(multiplier, 16)


def test_reduced_kernel_size_for_small_input():
    x = torch.empty(2, 5, 9, 4, device="meta")
    assert common.reduced_kernel_size_for_small_input(x, [7, 7]) == [5, 7]
    assert common.reduced_kernel_size_for_small_input(x, [3, 3]) == [3, 3]


def test_squeeze_spatial():
    x = torch.arange(6.0).view(2, 1, 1, 3)
    torch.testing.assert_close(common.squeeze_spatial(x, "Net/Logits"), torch.arange(6.0).view(2, 3))
    with pytest.raises(ValueError, match=r"Net/Logits/SpatialSqueeze: can not squeeze .* \[2, 1, 2, 3\]"):
        common.squeeze_spatial(torch.zeros(2, 1, 2, 3), "Net/Logits")


def test_conv_chain_names_and_shapes():
    def tower(x):
        return common.conv_chain(x, [(4, [1, 1], "Conv2d_0a_1x1"), (6, [1, 7], "Conv2d_0b_1x7"),
                                     (5, [7, 1], "Conv2d_0c_7x1")])

    model = slim.Model(tower)
    net = model(torch.empty(1, 9, 9, 3, device="meta"))
    assert tuple(net.shape) == (1, 9, 9, 5)
    assert {name: v.tf_shape for name, v in model.tf_variables().items() if name.endswith("weights")} == {
        "Conv2d_0a_1x1/weights": (1, 1, 3, 4), "Conv2d_0b_1x7/weights": (1, 7, 4, 6),
        "Conv2d_0c_7x1/weights": (7, 1, 6, 5)}


def test_conv_pair_1x3_3x1_matches_plain_convolutions():
    """The 1x3 output first, then the 3x1 one, both SAME (stride 1: one zero row/column each side)."""
    def pair(x):
        with slim.arg_scope([slim.conv2d], activation_fn=None):
            return common.conv_pair_1x3_3x1(x, 2, "Conv2d_0b_1x3", "Conv2d_0c_3x1")

    torch.manual_seed(0)
    model = slim.Model(pair)
    x = torch.randn(1, 4, 5, 3)
    with torch.no_grad():
        got = model(x)
    var = model.tf_variables()
    nchw = x.permute(0, 3, 1, 2)
    w13 = var["Conv2d_0b_1x3/weights"].to_tf().permute(3, 2, 0, 1)
    w31 = var["Conv2d_0c_3x1/weights"].to_tf().permute(3, 2, 0, 1)
    expected = torch.cat([F.conv2d(nchw, w13, var["Conv2d_0b_1x3/biases"].to_tf(), padding=(0, 1)),
                          F.conv2d(nchw, w31, var["Conv2d_0c_3x1/biases"].to_tf(), padding=(1, 0))], dim=1)
    torch.testing.assert_close(got, expected.permute(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def _head(net, **kwargs):
    end_points = {}
    logits = common.logits_head(net, end_points, **kwargs)
    return logits, end_points


HEAD = dict(num_classes=2, pool_size=[7, 7], global_pool=False, dropout_keep_prob=0.5, spatial_squeeze=True,
            prediction_fn=slim.softmax)


def _assign_logits_weights(model):
    var = model.tf_variables()
    var["Logits/Conv2d_1c_1x1/weights"].assign_tf(torch.tensor([[1.0, -1.0], [0.5, 2.0]]).view(1, 1, 2, 2))
    var["Logits/Conv2d_1c_1x1/biases"].assign_tf(torch.tensor([0.25, -0.5]))


def test_logits_head_by_hand():
    """A 3x3x2 map: the 7x7 pool shrinks to 3x3 (its mean), dropout is the identity in eval, then W x + b."""
    net = torch.arange(18.0).view(1, 3, 3, 2)           # channel means: 8 and 9
    model = slim.Model(_head, **HEAD)
    model.build(net)
    _assign_logits_weights(model)
    model.eval()
    with torch.no_grad():
        logits, end_points = model(net)
    assert list(end_points) == ["AvgPool_1a", "PreLogits", "Logits", "Predictions"]
    torch.testing.assert_close(end_points["AvgPool_1a"], torch.tensor([8.0, 9.0]).view(1, 1, 1, 2))
    expected = torch.tensor([[8 * 1.0 + 9 * 0.5 + 0.25, 8 * -1.0 + 9 * 2.0 - 0.5]])  # [[12.75, 9.5]]
    torch.testing.assert_close(logits, expected)
    torch.testing.assert_close(end_points["Predictions"], torch.softmax(expected, dim=-1))
    assert list(model.tf_variables()) == ["Logits/Conv2d_1c_1x1/weights", "Logits/Conv2d_1c_1x1/biases"]


def test_logits_head_pool_keeps_avg_pool_stride():
    """Slim's head pool has avg_pool2d's default stride 2: a 9x11 map under a 7x7 window gives 2x3."""
    logits, end_points = slim.Model(_head, **{**HEAD, "spatial_squeeze": False})(torch.zeros(1, 9, 11, 2))
    assert tuple(end_points["AvgPool_1a"].shape) == (1, 2, 3, 2)
    assert tuple(logits.shape) == (1, 2, 3, 2)


def test_logits_head_global_pool_and_no_classes():
    net = torch.arange(30.0).view(1, 3, 5, 2)
    pooled, end_points = slim.Model(_head, **{**HEAD, "global_pool": True, "num_classes": None})(net)
    assert list(end_points) == ["global_pool"]
    assert pooled is end_points["global_pool"]
    torch.testing.assert_close(pooled, torch.tensor([14.0, 15.0]).view(1, 1, 1, 2))


def test_logits_head_dropout_in_training():
    """keep_prob 0.5 in training: each feature is 0 or doubled."""
    model = slim.Model(_head, **{**HEAD, "num_classes": 3})
    model.train()
    net = torch.ones(64, 1, 1, 8)
    _, end_points = model(net)
    values = set(end_points["PreLogits"].unique().tolist())
    assert values == {0.0, 2.0}
