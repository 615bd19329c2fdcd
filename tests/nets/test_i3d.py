"""I3D: upstream's ``i3d_test.py`` ported (shapes at 64 frames of 224x224 on ``meta`` tensors; the
evaluating case at 8 frames of 64 px), the arg scope's options, and ``i3d_utils`` by hand."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import i3d, i3d_utils, s3dg

from .test_s3dg import ENDPOINTS, SHAPES_224, meta, names


def build(fn, inputs, arg_scope=None, **kwargs):
    with slim.arg_scope(arg_scope if arg_scope is not None else i3d.i3d_arg_scope()):
        model = slim.Model(fn, **kwargs)
    model.eval()
    with torch.no_grad():
        return model, model(inputs)


# --- upstream i3d_test.py -----------------------------------------------------------------------


def test_build_classification_network():
    model, (logits, end_points) = build(i3d.i3d, meta(5, 64, 224, 224, 3), num_classes=1000)
    assert list(logits.shape) == [5, 1000] and list(end_points["Predictions"].shape) == [5, 1000]
    assert names(model)["InceptionV1/Logits/Conv2d_0c_1x1/biases"] == [1000]


def test_build_base_network_and_all_end_points():
    model, (net, end_points) = build(i3d.i3d_base, meta(5, 64, 224, 224, 3))
    assert list(net.shape) == [5, 8, 7, 7, 1024]
    assert {k: list(v.shape) for k, v in end_points.items()} == SHAPES_224
    assert list(end_points) == ENDPOINTS
    shapes = names(model)
    assert shapes["InceptionV1/Conv2d_1a_7x7/weights"] == [7, 7, 7, 3, 64]
    assert shapes["InceptionV1/Conv2d_2c_3x3/weights"] == [3, 3, 3, 64, 192]  # full 3-D, not separable
    assert shapes["InceptionV1/Mixed_5c/Branch_2/Conv2d_0b_3x3/weights"] == [3, 3, 3, 48, 128]
    assert not any("/temporal/" in n or "self_gating" in n for n in shapes)


@pytest.mark.slow
def test_build_only_up_to_final_endpoint():
    for index, endpoint in enumerate(ENDPOINTS):
        model, (net, end_points) = build(i3d.i3d_base, meta(5, 64, 224, 224, 3), final_endpoint=endpoint)
        assert list(end_points) == ENDPOINTS[:index + 1]
        assert list(net.shape) == SHAPES_224[endpoint]


def test_half_size_images_and_ten_frames():
    _, (net, _) = build(i3d.i3d_base, meta(5, 64, 112, 112, 3))
    assert list(net.shape) == [5, 8, 4, 4, 1024]
    _, (net, _) = build(i3d.i3d_base, meta(5, 10, 224, 224, 3))
    assert list(net.shape) == [5, 2, 7, 7, 1024]


def test_evaluation_and_two_batch_sizes():
    model, (logits, _) = build(i3d.i3d, torch.rand(2, 8, 64, 64, 3), num_classes=10, is_training=False)
    assert logits.argmax(dim=1).shape == (2,) and torch.isfinite(logits).all()
    with torch.no_grad():
        logits_3, _ = model(torch.rand(3, 8, 64, 64, 3))
    assert logits_3.shape == (3, 10)


def test_spatial_squeeze_false_and_unknown_endpoint():
    _, (logits, _) = build(i3d.i3d, meta(1, 16, 224, 224, 3), num_classes=10, spatial_squeeze=False)
    assert list(logits.shape) == [1, 1, 1, 10]
    with pytest.raises(ValueError, match="Unknown final endpoint Mixed_6a"):
        build(i3d.i3d_base, meta(1, 16, 224, 224, 3), final_endpoint="Mixed_6a")


# --- the arg scope ------------------------------------------------------------------------------


def test_arg_scope_separable_and_batch_norm():
    model, _ = build(i3d.i3d_base, meta(1, 16, 224, 224, 3), arg_scope=i3d.i3d_arg_scope(separable_conv3d=True),
                     final_endpoint="Conv2d_2c_3x3")
    shapes = names(model)
    assert shapes["InceptionV1/Conv2d_2c_3x3/weights"] == [1, 3, 3, 64, 192]
    assert shapes["InceptionV1/Conv2d_2c_3x3/temporal/weights"] == [3, 1, 1, 192, 192]
    assert shapes["InceptionV1/Conv2d_1a_7x7/weights"] == [7, 7, 7, 3, 64]  # the first layer never separable
    assert "InceptionV1/Conv2d_1a_7x7/BatchNorm/moving_mean" in shapes
    assert "InceptionV1/Conv2d_1a_7x7/BatchNorm/gamma" not in shapes  # scale off, as upstream
    assert len(model.regularization_losses()) == sum(n.endswith("/weights") for n in shapes)


def test_renorm_is_rejected_by_name():
    with pytest.raises(ValueError, match="renorm"):
        build(i3d.i3d_base, torch.rand(1, 2, 8, 8, 3), arg_scope=i3d.i3d_arg_scope(use_renorm=True),
              final_endpoint="Conv2d_1a_7x7")


# --- i3d_utils ----------------------------------------------------------------------------------


def test_center_initializer():
    value = i3d_utils.center_initializer()([3, 1, 1, 2, 2])
    want = torch.zeros(3, 1, 1, 2, 2)
    want[1, 0, 0, 0, 0] = want[1, 0, 0, 1, 1] = 1
    assert torch.equal(value, want)
    init = i3d_utils.center_initializer()
    for shape, message in (([3, 1, 1, 2], "has to be 5-D"), ([3, 1, 1, 2, 3], "must be the same"),
                           ([3, 3, 1, 2, 2], "must be 1"), ([2, 1, 1, 2, 2], "has to be odd")):
        with pytest.raises(ValueError, match=message):
            init(shape)
    with pytest.raises(ValueError, match="float32 or tf.bfloat16"):
        init([3, 1, 1, 2, 2], dtype=torch.float64)


def test_conv3d_spatiotemporal_separable_splits_kernel_and_stride():
    x = torch.rand(1, 6, 8, 8, 4)
    for stride in (2, [2, 2, 2]):
        model = slim.Model(lambda t: i3d_utils.conv3d_spatiotemporal(t, 4, [3, 3, 3], stride=stride, separable=True,
                                                                     scope="st"))
        with torch.no_grad():
            out = model(x)
        assert out.shape == (1, 3, 4, 4, 4)
        assert names(model) == {"st/weights": [1, 3, 3, 4, 4], "st/biases": [4], "st/temporal/weights": [3, 1, 1, 4, 4],
                                "st/temporal/biases": [4]}
    # The temporal kernel starts as the identity: the pair is the spatial convolution alone.
    model = slim.Model(lambda t: i3d_utils.conv3d_spatiotemporal(t, 4, [3, 3, 3], separable=True, scope="st"))
    spatial = slim.Model(lambda t: slim.conv3d(t, 4, [1, 3, 3], activation_fn=None, scope="st"))
    with torch.no_grad():
        got = model(x)
        spatial.build(x)
        spatial.load_state_dict({k: v for k, v in model.state_dict().items() if "temporal" not in k})
        torch.testing.assert_close(got, spatial(x))
    model = slim.Model(lambda t: i3d_utils.conv3d_spatiotemporal(t, 4, [1, 3, 3], separable=True, scope="st"))
    model.build(x)
    assert list(names(model)) == ["st/weights", "st/biases"]  # temporal size 1: one convolution


def test_inception_block_v1_3d_and_reduced_kernel():
    x = torch.rand(1, 4, 5, 5, 8)
    with slim.arg_scope([slim.max_pool3d], stride=1, padding="SAME"):  # as the nets' base sets it
        model = slim.Model(lambda t: i3d_utils.inception_block_v1_3d(t, 2, 3, 4, 5, 6, 7, scope="Mixed"))
    with torch.no_grad():
        out = model(x)
    assert out.shape == (1, 4, 5, 5, 2 + 4 + 6 + 7)
    assert names(model)["Mixed/Branch_2/Conv2d_0b_3x3/weights"] == [3, 3, 3, 5, 6]
    assert i3d_utils.reduced_kernel_size_3d(x, [2, 7, 7]) == [2, 5, 5]
    assert i3d_utils.reduced_kernel_size_3d(torch.zeros(1, 8, 9, 9, 1), [2, 7, 7]) == [2, 7, 7]


def test_default_image_size_and_shared_base():
    assert i3d.i3d.default_image_size == 224
    assert s3dg.BASE_END_POINTS == tuple(SHAPES_224)
