"""CycleGAN: upstream's ``cyclegan_test.py`` ported (shapes, non-square inputs, kernel sizes, size errors),
plus the upsample methods, names and end points."""

from __future__ import annotations

import functools
import inspect

import pytest
import torch

import torchslim as slim
from torchslim.nets import cyclegan


def _generator(images, **kwargs):
    model = slim.Model(cyclegan.cyclegan_generator_resnet, **kwargs)
    with torch.no_grad():
        return model, model(images)


def test_generator_inference():
    _, (output, _) = _generator(torch.zeros(2, 32, 32, 3))
    assert torch.isfinite(output).all()


@pytest.mark.parametrize("shape, num_filters", [
    ([4, 32, 32, 3], 64),
    ([3, 128, 128, 3], 8),   # upstream: 64 filters; fewer to keep the CPU test fast
    ([2, 80, 400, 3], 4),
])
def test_generator_graph(shape, num_filters):
    _, (output, _) = _generator(torch.ones(shape), num_filters=num_filters)
    assert list(output.shape) == shape


@pytest.mark.parametrize("kernel_size", [3, 4, 5, 6])
def test_input_and_output_same_shape(kernel_size):
    _, (output, _) = _generator(torch.ones(1, 32, 32, 3), kernel_size=kernel_size, num_filters=4, num_resnet_blocks=2)
    assert list(output.shape) == [1, 32, 32, 3]


@pytest.mark.parametrize("size", [29, 30, 31])
def test_error_if_height_or_width_not_multiple_of_four(size):
    with pytest.raises(ValueError, match="The input height must be a multiple of 4."):
        _generator(torch.ones(1, size, 32, 3))
    with pytest.raises(ValueError, match="The input width must be a multiple of 4."):
        _generator(torch.ones(1, 32, size, 3))


@pytest.mark.parametrize("method, scope", [("nn_upsample_conv", "Conv"), ("bilinear_upsample_conv", "Conv"),
                                           ("conv2d_transpose", "Conv2d_transpose")])
def test_upsample_methods_names_and_shapes(method, scope):
    upsample = functools.partial(cyclegan.cyclegan_upsample, method=method)
    model, (output, end_points) = _generator(torch.rand(1, 12, 20, 3), num_filters=4, num_resnet_blocks=1,
                                             upsample_fn=upsample)
    assert list(output.shape) == [1, 12, 20, 3]
    assert list(end_points) == ["encoder_0", "encoder_1", "encoder_2", "resnet_block_0", "decoder1", "decoder2",
                                "logits", "predictions"]
    assert list(end_points["decoder1"].shape) == [1, 6, 10, 8]
    names = list(model.tf_variables())
    assert names[:3] == ["input/Conv/weights", "input/Conv/InstanceNorm/beta", "input/Conv/InstanceNorm/gamma"]
    assert f"decoder/decoder1/upconv/{scope}/weights" in names
    assert "residual_blocks/block_0/Conv_1/weights" in names
    assert names[-2:] == ["output/Conv/weights", "output/Conv/biases"]


def test_upsample_unknown_method():
    with pytest.raises(ValueError, match="Unknown method"):
        slim.Model(cyclegan.cyclegan_upsample, num_outputs=2, stride=[2, 2], method="area")(torch.ones(1, 4, 4, 2))


def test_tanh_linear_slope_and_arg_scope():
    model, (output, end_points) = _generator(torch.rand(1, 8, 8, 3), num_filters=2, num_resnet_blocks=1,
                                             tanh_linear_slope=0.5)
    torch.testing.assert_close(output, torch.tanh(end_points["logits"]) + 0.5 * end_points["logits"])
    scope = cyclegan.cyclegan_arg_scope(weight_decay=0.1, instance_norm_epsilon=0.01)
    conv = next(v for k, v in scope.items() if "conv" in k.lower())
    assert conv["normalizer_params"] == {"center": True, "scale": True, "epsilon": 0.01}
    assert conv["weights_regularizer"] is not None
    assert cyclegan._dynamic_or_static_shape(torch.ones(2, 3, 4, 5)) == [2, 3, 4, 5]


def test_signatures_are_upstreams():
    def params(fn):
        return [(p.name, getattr(p.default, "__name__", p.default)) for p in inspect.signature(fn).parameters.values()]
    empty = "_empty"
    assert params(cyclegan.cyclegan_generator_resnet) == [
        ("images", empty), ("arg_scope_fn", "cyclegan_arg_scope"), ("num_resnet_blocks", 6), ("num_filters", 64),
        ("upsample_fn", "cyclegan_upsample"), ("kernel_size", 3), ("tanh_linear_slope", 0.0), ("is_training", False)]
    assert params(cyclegan.cyclegan_upsample) == [("net", empty), ("num_outputs", empty), ("stride", empty),
                                                  ("method", "conv2d_transpose"), ("pad_mode", "REFLECT"),
                                                  ("align_corners", False)]
    assert params(cyclegan.cyclegan_arg_scope) == [("instance_norm_center", True), ("instance_norm_scale", True),
                                                   ("instance_norm_epsilon", 0.001), ("weights_init_stddev", 0.02),
                                                   ("weight_decay", 0.0)]
