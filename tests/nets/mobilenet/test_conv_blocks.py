"""conv_blocks: expanded_conv, squeeze_excite, split_conv, split_separable_conv2d and the helpers."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets.mobilenet import conv_blocks as ops

from ._build import images


def test_make_divisible_hand_values():
    assert ops.make_divisible(32 * 0.35, 8) == 16        # 11.2 -> 8 is more than 10% down -> 16
    assert ops.make_divisible(1280 * 0.35, 8) == 448
    assert ops.make_divisible(3, 8) == 8                  # min_value = divisor
    assert ops.make_divisible(100, 8, min_value=32) == 104
    assert ops.expand_input_by_factor(6)(num_inputs=24) == 144
    assert ops.expand_input_by_factor(72. / 16)(num_inputs=16) == 72


def test_split_divisible_hand_values():
    assert ops.split_divisible(96, 2) == [48, 48]
    assert ops.split_divisible(40, 3) == [16, 16, 8]
    assert sum(ops.split_divisible(144, 5)) == 144
    with pytest.raises(ValueError, match="cannot split 20"):
        ops.split_divisible(20, 2)


def test_fixed_padding_pads_by_the_effective_kernel():
    x = torch.ones(1, 4, 5, 2)
    assert ops.fixed_padding(x, [3, 3]).shape == (1, 6, 7, 2)
    assert ops.fixed_padding(x, [3, 3], rate=2).shape == (1, 8, 9, 2)   # k_eff 5: 2 before, 2 after
    assert ops.fixed_padding(x, [4, 4]).shape == (1, 7, 8, 2)           # 1 before, 2 after
    padded = ops.fixed_padding(x, [4, 4])
    assert padded[0, 0].abs().sum() == 0 and padded[0, 1, 1:6].min() == 1 and padded[0, 5:].abs().sum() == 0
    assert ops.fixed_padding(x, [1, 1]) is x


def _block(inputs, **kwargs):
    endpoints = {}
    net = ops.expanded_conv(inputs, endpoints=endpoints, normalizer_fn=slim.batch_norm, **kwargs)
    return net, endpoints


def _variables(model):
    return {name: list(var.tf_shape) for name, var in model.tf_variables().items()
            if not name.endswith(("moving_mean", "moving_variance", "beta", "gamma"))}


def test_expanded_conv_variables_endpoints_and_residual():
    model = slim.Model(_block, num_outputs=8)
    x = images(2, 8, 8)
    net, endpoints = model(x)
    assert _variables(model) == {"expanded_conv/expand/weights": [1, 1, 8, 48],
                                 "expanded_conv/depthwise/depthwise_weights": [3, 3, 48, 1],
                                 "expanded_conv/project/weights": [1, 1, 48, 8]}
    assert list(endpoints) == ["expansion_output", "depthwise_output", "projection_output"]
    torch.testing.assert_close(net, endpoints["projection_output"] + x)   # stride 1, same depth


def test_expanded_conv_no_residual_when_strided_or_disabled():
    for kwargs in ({"stride": 2}, {"residual": False}):
        model = slim.Model(_block, num_outputs=8, **kwargs)
        net, endpoints = model(images(1, 8, 8))
        torch.testing.assert_close(net, endpoints["projection_output"])


def test_expanded_conv_depthwise_at_output_and_none():
    model = slim.Model(_block, num_outputs=16, depthwise_location="output", expansion_size=4)
    net, endpoints = model(images(1, 6, 8))
    assert list(endpoints) == ["projection_output", "depthwise_output"]          # expansion 4 < 8: none
    assert "expanded_conv/depthwise/depthwise_weights" in _variables(model) and net.shape == (1, 6, 6, 16)
    model = slim.Model(_block, num_outputs=8, depthwise_location=None)
    model(images(1, 6, 8))
    assert not any("depthwise" in name for name in _variables(model))


def test_expanded_conv_errors():
    with pytest.raises(TypeError, match="'middle' is unknown value for depthwise_location"):
        slim.Model(_block, num_outputs=8, depthwise_location="middle")(images(1, 4, 8))
    with pytest.raises(TypeError, match="use_explicit_padding"):
        slim.Model(_block, num_outputs=8, use_explicit_padding=True, padding="VALID")(images(1, 4, 8))


def test_expanded_conv_explicit_padding_keeps_same_sizes():
    model = slim.Model(_block, num_outputs=8, stride=2, use_explicit_padding=True, kernel_size=(5, 5))
    assert model(images(1, 9, 8))[0].shape == (1, 5, 5, 8)


def test_split_conv_parts():
    def fn(x):
        return ops.split_conv(x, 32, num_ways=2, scope="expand")

    model = slim.Model(fn)
    assert model(images(1, 4, 16)).shape == (1, 4, 4, 32)
    assert [n for n in model.tf_variables() if n.endswith("weights")] == ["expand_part_0/weights",
                                                                           "expand_part_1/weights"]
    model = slim.Model(lambda x: ops.split_conv(x, 32, num_ways=4, scope="expand"))   # 16 // 4 < 8: one conv
    model(images(1, 4, 16))
    assert [n for n in model.tf_variables() if n.endswith("weights")] == ["expand/weights"]


def test_squeeze_excite_against_its_formula():
    def fn(x):
        return ops.squeeze_excite(x, squeeze_factor=4)

    model = slim.Model(fn)
    x = images(2, 5, 32)
    got = model(x)
    v = {name: var.tensor for name, var in model.tf_variables().items()}
    assert {name: list(var.tf_shape) for name, var in model.tf_variables().items()} == {
        "squeeze_excite/Conv/weights": [1, 1, 32, 8], "squeeze_excite/Conv/biases": [8],
        "squeeze_excite/Conv_1/weights": [1, 1, 8, 32], "squeeze_excite/Conv_1/biases": [32]}
    pooled = x.mean(dim=(1, 2))
    squeeze = torch.relu(pooled @ v["squeeze_excite/Conv/weights"].reshape(8, 32).T + v["squeeze_excite/Conv/biases"])
    gate = torch.sigmoid(squeeze @ v["squeeze_excite/Conv_1/weights"].reshape(32, 8).T
                         + v["squeeze_excite/Conv_1/biases"])
    torch.testing.assert_close(got, x * gate[:, None, None, :], rtol=1e-5, atol=1e-6)


def test_squeeze_excite_pool_resizes_the_gate():
    model = slim.Model(lambda x: ops.squeeze_excite(x, pool=2))
    assert model(images(1, 6, 16)).shape == (1, 6, 6, 16)


def test_split_separable_conv2d_names():
    endpoints = {}

    def fn(x):
        a = ops.split_separable_conv2d(x, 8, endpoints=endpoints)
        return ops.split_separable_conv2d(a, 8, scope="Conv2d_1", stride=2, use_explicit_padding=True)

    model = slim.Model(fn)
    assert model(images(1, 8, 4)).shape == (1, 4, 4, 8)
    assert [n for n in model.tf_variables() if "weights" in n] == [
        "separable/depthwise/depthwise_weights", "separable/pointwise/weights",
        "Conv2d_1_depthwise/depthwise_weights", "Conv2d_1_pointwise/weights"]
    assert list(endpoints) == ["depthwise", "pointwise"]
