"""Slim's MobileNet v1: the cases of models' mobilenet_v1_test.py, ported (see ``_inception``), and more.

Shapes are checked on the ``meta`` device (no arithmetic, as building a TF graph); an "unknown"
batch or image size is one model called with several sizes. The default-size manifests
(``mobilenet_v1``, ``mobilenet_v1_050``) and the golden cases (``mobilenet_v1_dm05_global_pool``,
``mobilenet_v1_128``, ``mobilenet_v1_base_explicit_padding_os8``) are checked by test_zoo_manifests /
test_zoo_golden.
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import mobilenet_v1 as mn

from . import _inception as check
from ._inception import meta_images, shapes

ALL_END_POINTS = ["Conv2d_0"] + [f"Conv2d_{i}_{kind}" for i in range(1, 14) for kind in ("depthwise", "pointwise")]

# (spatial size at 224 px, depth) of Conv2d_<i> (both halves of a separable block share the
# pointwise depth except the depthwise keeps its input's), output_stride None.
_SIZES_224 = [112, 112, 56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]
_DEPTHS = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]


def expected_shapes(batch: int, sizes, depths):
    """``{end point: shape}`` from each layer's spatial size and depth (a depthwise keeps the previous depth)."""
    out = {"Conv2d_0": (batch, sizes[0], sizes[0], depths[0])}
    for i in range(1, 14):
        out[f"Conv2d_{i}_depthwise"] = (batch, sizes[i], sizes[i], depths[i - 1])
        out[f"Conv2d_{i}_pointwise"] = (batch, sizes[i], sizes[i], depths[i])
    return out


BASE_SHAPES_224 = expected_shapes(5, _SIZES_224, _DEPTHS)


def bn_scope():
    """The upstream tests' ``arg_scope([conv2d, separable_conv2d], normalizer_fn=batch_norm)``."""
    return slim.arg_scope([slim.conv2d, slim.separable_conv2d], normalizer_fn=slim.batch_norm)


@pytest.fixture(scope="module")
def classifier():
    """MobileNet v1 with 1000 classes, built at 224x224 (variables on the CPU, meta activations)."""
    return check.built_classifier(mn.mobilenet_v1, mn.mobilenet_v1_base, "MobilenetV1", 224)


# --- the classifier ------------------------------------------------------------------------------


def test_build_classification_network(classifier):
    logits, end_points = classifier(meta_images(5, 224))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Predictions"].shape) == (5, 1000)
    assert list(end_points) == ALL_END_POINTS + ["AvgPool_1a", "Logits", "Predictions"]
    assert [name for name in classifier.tf_variables() if "Logits" in name] == [
        "MobilenetV1/Logits/Conv2d_1c_1x1/weights", "MobilenetV1/Logits/Conv2d_1c_1x1/biases"]


@pytest.mark.parametrize("num_classes", [None, 0])
def test_build_pre_logits_network(num_classes):
    model = slim.Model(mn.mobilenet_v1, num_classes=num_classes, depth_multiplier=0.25)
    net, end_points = model(meta_images(5, 224))
    assert tuple(net.shape) == (5, 1, 1, 256)
    assert net is end_points["AvgPool_1a"]
    assert "Logits" not in end_points and "Predictions" not in end_points
    assert not any("Conv2d_1c_1x1" in name for name in model.tf_variables())


def test_global_pool_without_classes_returns_the_pooled_features(classifier):
    net, end_points = classifier(meta_images(2, 250, 300), num_classes=None, global_pool=True)
    assert net is end_points["global_pool"] and tuple(net.shape) == (2, 1, 1, 1024)


def test_fewer_classes_and_prediction_fn_none():
    model = slim.Model(mn.mobilenet_v1, num_classes=3, prediction_fn=None, depth_multiplier=0.25)
    logits, end_points = model(meta_images(2, 128))
    assert tuple(logits.shape) == (2, 3)
    assert list(end_points)[-2:] == ["AvgPool_1a", "Logits"]
    assert model.variable("MobilenetV1/Logits/Conv2d_1c_1x1/weights").tf_shape == (1, 1, 256, 3)


def test_input_rank_error():
    with pytest.raises(ValueError, match="Invalid input tensor rank, expected 4, was: 3"):
        slim.Model(mn.mobilenet_v1)(torch.empty(224, 224, 3, device="meta"))


# --- the base ------------------------------------------------------------------------------------


def test_build_base_network(classifier):
    net, end_points = classifier(meta_images(5, 224), base=True)
    assert tuple(net.shape) == (5, 7, 7, 1024)
    assert net is end_points["Conv2d_13_pointwise"]
    assert list(end_points) == ALL_END_POINTS


@pytest.mark.parametrize("final_endpoint", ALL_END_POINTS)
def test_build_only_up_to_final_endpoint(final_endpoint):
    check.check_build_only_up_to(mn.mobilenet_v1_base, ALL_END_POINTS, final_endpoint, 224, "MobilenetV1",
                                 depth_multiplier=0.25)


def test_build_custom_network_using_conv_defs():
    conv_defs = [mn.Conv(kernel=[3, 3], stride=2, depth=32), mn.DepthSepConv(kernel=[3, 3], stride=1, depth=64),
                 mn.DepthSepConv(kernel=[3, 3], stride=2, depth=128),
                 mn.DepthSepConv(kernel=[3, 3], stride=1, depth=512)]
    model = slim.Model(mn.mobilenet_v1_base, final_endpoint="Conv2d_3_pointwise", conv_defs=conv_defs)
    net, end_points = model(meta_images(5, 224))
    assert tuple(net.shape) == (5, 56, 56, 512)
    assert list(end_points) == ALL_END_POINTS[:7]


@pytest.mark.parametrize("use_explicit_padding", [False, True])
def test_all_end_points_up_to_conv2d_13(classifier, use_explicit_padding):
    with bn_scope():
        _, end_points = classifier(meta_images(5, 224), base=True, use_explicit_padding=use_explicit_padding)
    assert shapes(end_points) == BASE_SHAPES_224


@pytest.mark.parametrize("output_stride, size", [(16, 14), (8, 28)])
@pytest.mark.parametrize("use_explicit_padding", [False, True])
def test_output_stride_all_end_points(classifier, output_stride, size, use_explicit_padding):
    with bn_scope():
        _, end_points = classifier(meta_images(5, 224), base=True, output_stride=output_stride,
                                   use_explicit_padding=use_explicit_padding)
    sizes = [max(s, size) for s in _SIZES_224]
    assert shapes(end_points) == expected_shapes(5, sizes, _DEPTHS)


@pytest.mark.parametrize("use_explicit_padding", [False, True])
def test_all_end_points_approximate_face_net(use_explicit_padding):
    """128 px at depth_multiplier 0.75."""
    with bn_scope():
        model = slim.Model(mn.mobilenet_v1_base, depth_multiplier=0.75, use_explicit_padding=use_explicit_padding)
    _, end_points = model(meta_images(5, 128))
    sizes = [64, 64, 32, 32, 16, 16, 8, 8, 8, 8, 8, 8, 4, 4]
    assert shapes(end_points) == expected_shapes(5, sizes, [int(d * 0.75) for d in _DEPTHS])


def test_model_has_expected_number_of_parameters():
    """Upstream's 3217920: the weights plus each batch norm's beta and moving statistics (no gamma without
    the arg scope's ``scale``)."""
    with bn_scope():
        model = slim.Model(mn.mobilenet_v1_base)
    model(meta_images(5, 224))
    assert sum(var.tensor.numel() for var in slim.get_model_variables(model=model)) == 3217920


def test_atrous_rates_and_strides():
    """Past output_stride 8 the depthwise layers run at stride 1 and rates 2 (Conv2d_7..12), 4 (Conv2d_13)."""
    assert mn._strides_and_rates(mn.MOBILENETV1_CONV_DEFS, 8) == (
        [(2, 1), (1, 1), (2, 1), (1, 1), (2, 1), (1, 1)] + [(1, 1)] + [(1, 2)] * 6 + [(1, 4)])
    assert mn._strides_and_rates(mn.MOBILENETV1_CONV_DEFS, None) == [(d.stride, 1) for d in mn.MOBILENETV1_CONV_DEFS]


@pytest.mark.parametrize("multiplier", [0.5, 2.0])
def test_depth_multiplier(classifier, multiplier):
    _, plain = classifier(meta_images(1, 224))
    check.check_depth_multiplier(plain, mn.mobilenet_v1, 224, multiplier)


def test_min_depth_floors_thin_layers():
    model = slim.Model(mn.mobilenet_v1_base, final_endpoint="Conv2d_2_pointwise", depth_multiplier=0.1,
                       min_depth=8)
    _, end_points = model(meta_images(1, 64))
    assert [end_points[k].shape[3] for k in ALL_END_POINTS[:5]] == [8, 8, 8, 8, 12]   # max(int(0.1 d), 8)


def test_invalid_depth_multiplier():
    check.check_invalid_depth_multiplier(mn.mobilenet_v1, 224)


@pytest.mark.parametrize("kwargs, message", [
    ({"output_stride": 4}, "Only allowed output_stride values are 8, 16, 32."),
    ({"final_endpoint": "Conv2d_14_pointwise"}, "Unknown final endpoint Conv2d_14_pointwise"),
    ({"final_endpoint": "Conv2d_0_depthwise"}, "Unknown final endpoint Conv2d_0_depthwise"),
    ({"conv_defs": [mn.Conv([3, 3], 2, 8), ("pool", 2, 8)]}, "Unknown convolution type tuple for layer 1"),
])
def test_base_argument_errors(kwargs, message):
    model = slim.Model(mn.mobilenet_v1_base, **kwargs)
    with pytest.raises(ValueError, match=message):
        model(meta_images(1, 64))
    assert len(model.tf_variables()) == 0


# --- sizes: half size, unknown sizes, global pool ------------------------------------------------


def test_half_size_images(classifier):
    logits, end_points = classifier(meta_images(5, 112))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Conv2d_13_pointwise"].shape) == (5, 4, 4, 1024)
    assert tuple(end_points["AvgPool_1a"].shape) == (5, 1, 1, 1024)


def test_reduced_kernel_size_for_small_input():
    assert mn._reduced_kernel_size_for_small_input(meta_images(1, 4, 9), [7, 7]) == [4, 7]
    assert mn._reduced_kernel_size_for_small_input(meta_images(1, 7, 7), [7, 7]) == [7, 7]


def test_unknown_image_shape(classifier):
    check.check_unknown_image_shape(classifier, "Conv2d_13_pointwise", 1024)


def test_larger_image_without_global_pool_cannot_be_squeezed(classifier):
    check.check_larger_image_cannot_be_squeezed(classifier, "MobilenetV1")


def test_unknown_batch_size(classifier):
    check.check_unknown_batch_size(classifier, 224)


def test_logits_not_squeezed():
    model = slim.Model(mn.mobilenet_v1, num_classes=25, spatial_squeeze=False, depth_multiplier=0.25)
    logits, _ = model(meta_images(1, 224))
    assert tuple(logits.shape) == (1, 1, 1, 25)


# --- numbers -------------------------------------------------------------------------------------


def test_evaluation():
    with slim.arg_scope(mn.mobilenet_v1_arg_scope()):
        check.check_evaluation(mn.mobilenet_v1, 96, depth_multiplier=0.25)


def test_train_eval_with_reuse():
    check.check_train_eval_with_reuse(mn.mobilenet_v1, 150, depth_multiplier=0.25)


def test_fixed_padding_by_hand():
    x = torch.ones(1, 4, 5, 2)
    for kernel, rate, (before, after) in [([3, 3], 1, (1, 1)), ([3, 3], 2, (2, 2)), ([2, 2], 1, (0, 1)),
                                          ([4, 4], 1, (1, 2)), ([1, 1], 1, (0, 0))]:
        padded = mn._fixed_padding(x, kernel, rate)
        assert tuple(padded.shape) == (1, 4 + before + after, 5 + before + after, 2), (kernel, rate)
        assert padded[:, before:before + 4, before:before + 5].eq(1).all() and padded.sum() == x.sum()


def test_explicit_padding_is_even_where_same_pads_at_the_end():
    """Stride 2 on an even size: SAME pads (0, 1), explicit padding (1, 1); the outputs differ, the shapes not."""
    def both(x):
        with slim.arg_scope([slim.conv2d], activation_fn=None, normalizer_fn=None):
            same, _ = mn.mobilenet_v1_base(x, final_endpoint="Conv2d_0", depth_multiplier=0.25, scope="net")
            explicit, _ = mn.mobilenet_v1_base(x, final_endpoint="Conv2d_0", depth_multiplier=0.25, scope="net",
                                               use_explicit_padding=True)
        return same, explicit

    def shared(x):
        with slim.variable_scope("root", reuse=slim.AUTO_REUSE):
            return both(x)

    torch.manual_seed(0)
    model = slim.Model(shared)
    x = check.images(1, 8)
    with torch.no_grad():
        same, explicit = model(x)
    kernel = model.variable("root/net/Conv2d_0/weights").to_tf()           # [3, 3, 3, 8]
    top_left = torch.einsum("hwc,hwco->o", x[0, 0:2, 0:2], kernel[1:, 1:])  # explicit: the window at -1, -1
    torch.testing.assert_close(explicit[0, 0, 0], top_left, rtol=1e-5, atol=1e-5)
    first = torch.einsum("hwc,hwco->o", x[0, 0:3, 0:3], kernel)             # SAME: the window at 0, 0
    torch.testing.assert_close(same[0, 0, 0], first, rtol=1e-5, atol=1e-5)
    assert same.shape == explicit.shape == (1, 4, 4, 8)


# --- variables and the arg scope -----------------------------------------------------------------


def test_arg_scope_variables_and_layers():
    with slim.arg_scope(mn.mobilenet_v1_arg_scope()):
        model = slim.Model(mn.mobilenet_v1_base, final_endpoint="Conv2d_1_pointwise", depth_multiplier=0.25)
    model(meta_images(1, 32))
    bn = ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [(name, tuple(v.tf_shape)) for name, v in model.tf_variables().items()] == (
        [("MobilenetV1/Conv2d_0/weights", (3, 3, 3, 8))] + [(f"MobilenetV1/Conv2d_0/BatchNorm/{n}", (8,)) for n in bn]
        + [("MobilenetV1/Conv2d_1_depthwise/depthwise_weights", (3, 3, 8, 1))]
        + [(f"MobilenetV1/Conv2d_1_depthwise/BatchNorm/{n}", (8,)) for n in bn]
        + [("MobilenetV1/Conv2d_1_pointwise/weights", (1, 1, 8, 16))]
        + [(f"MobilenetV1/Conv2d_1_pointwise/BatchNorm/{n}", (16,)) for n in bn])


def test_arg_scope_contents():
    sc = mn.mobilenet_v1_arg_scope(weight_decay=0.1, stddev=0.5)
    conv = sc[slim.arg_scope_func_key(slim.conv2d)]
    separable = sc[slim.arg_scope_func_key(slim.separable_conv2d)]
    assert conv["activation_fn"] is separable["activation_fn"] is slim.nn.relu6
    assert conv["normalizer_fn"] is separable["normalizer_fn"] is slim.batch_norm
    assert conv["weights_regularizer"] is not None and separable["weights_regularizer"] is None
    assert sc[slim.arg_scope_func_key(slim.batch_norm)] == {
        "center": True, "scale": True, "decay": 0.9997, "epsilon": 0.001,
        "updates_collections": slim.GraphKeys.UPDATE_OPS, "is_training": True}
    assert mn.mobilenet_v1_arg_scope(normalizer_fn=None)[slim.arg_scope_func_key(slim.conv2d)]["normalizer_fn"] is None


@pytest.mark.parametrize("regularize_depthwise, count", [(False, 2), (True, 3)])
def test_regularize_depthwise(regularize_depthwise, count):
    with slim.arg_scope(mn.mobilenet_v1_arg_scope(regularize_depthwise=regularize_depthwise)):
        model = slim.Model(mn.mobilenet_v1_base, final_endpoint="Conv2d_1_pointwise", depth_multiplier=0.25)
    model(check.images(1, 16))
    assert len(model.regularization_losses()) == count


def test_batch_norm_scope_is_training():
    """testBatchNormScopeDoesNotHaveIsTrainingWhenItsSetToNone / ...DoesHasIsTrainingWhenItsNotNone."""
    key = slim.arg_scope_func_key(slim.batch_norm)
    assert "is_training" not in mn.mobilenet_v1_arg_scope(is_training=None)[key]
    for kwargs in ({"is_training": True}, {"is_training": False}, {}):
        assert "is_training" in mn.mobilenet_v1_arg_scope(**kwargs)[key]


def test_named_widths_and_default_image_size():
    for fn, multiplier in [(mn.mobilenet_v1_075, 0.75), (mn.mobilenet_v1_050, 0.5), (mn.mobilenet_v1_025, 0.25)]:
        assert fn.func is mn.mobilenet_v1 and fn.keywords == {"depth_multiplier": multiplier}
        assert fn.default_image_size == 224 and fn.__name__ == "mobilenet_v1"
    model = slim.Model(mn.mobilenet_v1_025, num_classes=10)
    _, end_points = model(meta_images(1, 224))
    assert end_points["Conv2d_13_pointwise"].shape[3] == 256
