"""Slim's Inception v2: the cases of models' inception_v2_test.py, ported (see ``_inception``).

The default-size manifest and the shared golden case ``inception_v2_dm05_small`` are checked by
test_zoo_manifests / test_zoo_golden.
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import inception, inception_utils
from torchslim.nets import inception_v2 as v2
from torchslim.nets import inception_v3 as v3

from . import _inception as check
from ._inception import meta_images, shapes

ALL_END_POINTS = v2.ROOT_END_POINTS + v2.MIXED_END_POINTS

BASE_SHAPES_224 = {
    "Mixed_3b": (5, 28, 28, 256), "Mixed_3c": (5, 28, 28, 320), "Mixed_4a": (5, 14, 14, 576),
    "Mixed_4b": (5, 14, 14, 576), "Mixed_4c": (5, 14, 14, 576), "Mixed_4d": (5, 14, 14, 576),
    "Mixed_4e": (5, 14, 14, 576), "Mixed_5a": (5, 7, 7, 1024), "Mixed_5b": (5, 7, 7, 1024),
    "Mixed_5c": (5, 7, 7, 1024), "Conv2d_1a_7x7": (5, 112, 112, 64), "MaxPool_2a_3x3": (5, 56, 56, 64),
    "Conv2d_2b_1x1": (5, 56, 56, 64), "Conv2d_2c_3x3": (5, 56, 56, 192), "MaxPool_3a_3x3": (5, 28, 28, 192),
}


@pytest.fixture(scope="module")
def classifier():
    """Inception v2 with 1000 classes, built at 224x224 (variables on the CPU, meta activations)."""
    return check.built_classifier(v2.inception_v2, v2.inception_v2_base, "InceptionV2", 224)


@pytest.fixture(scope="module")
def base_224(classifier):
    net, end_points = classifier(meta_images(5, 224), base=True)
    return classifier, net, end_points


def test_build_classification_network(classifier):
    logits, end_points = classifier(meta_images(5, 224))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Predictions"].shape) == (5, 1000)
    assert list(end_points)[-4:] == ["AvgPool_1a", "PreLogits", "Logits", "Predictions"]


def test_build_pre_logits_network():
    model = slim.Model(v2.inception_v2, num_classes=None, depth_multiplier=0.25)
    net, end_points = model(meta_images(5, 224))
    assert tuple(net.shape) == (5, 1, 1, 256)
    assert net is end_points["AvgPool_1a"]
    assert "Logits" not in end_points and "Predictions" not in end_points
    assert not any("Conv2d_1c_1x1" in name for name in model.tf_variables())


def test_zero_classes_is_no_classes(classifier):
    net, end_points = classifier(meta_images(5, 224), num_classes=0)
    assert tuple(net.shape) == (5, 1, 1, 1024)
    assert list(end_points)[-1] == "AvgPool_1a"


def test_build_base_network(base_224):
    _, net, end_points = base_224
    assert tuple(net.shape) == (5, 7, 7, 1024)
    assert net is end_points["Mixed_5c"]
    assert list(end_points) == list(ALL_END_POINTS)


@pytest.mark.parametrize("final_endpoint", ALL_END_POINTS)
def test_build_only_up_to_final_endpoint(final_endpoint):
    check.check_build_only_up_to(v2.inception_v2_base, ALL_END_POINTS, final_endpoint, 224, "InceptionV2",
                                 depth_multiplier=0.25)


def test_all_end_points_up_to_mixed_5c(base_224):
    _, _, end_points = base_224
    assert shapes(end_points) == BASE_SHAPES_224


def test_stem_variables(base_224):
    """The separable stem: depthwise 7x7x3x8 then pointwise 24->64, with biases (not in the conv arg scope)."""
    model, _, _ = base_224
    names = list(model.tf_variables())[:3]
    assert names == ["InceptionV2/Conv2d_1a_7x7/depthwise_weights", "InceptionV2/Conv2d_1a_7x7/pointwise_weights",
                     "InceptionV2/Conv2d_1a_7x7/biases"]
    assert [model.variable(name).tf_shape for name in names] == [(7, 7, 3, 8), (1, 1, 24, 64), (64,)]


@pytest.mark.parametrize("multiplier", [0.5, pytest.param(2.0, marks=pytest.mark.slow)])
def test_depth_multiplier(classifier, multiplier):
    _, plain = classifier(meta_images(1, 224))
    check.check_depth_multiplier(plain, v2.inception_v2, 224, multiplier)


def test_depthwise_multiplier_follows_depth_multiplier():
    """min(int(depth(64) / 3), 8): 8 at 1.0, 5 at 0.25 (depth 16), 8 again at 2.0."""
    for multiplier, expected in [(1.0, (7, 7, 3, 8)), (0.25, (7, 7, 3, 5)), (2.0, (7, 7, 3, 8))]:
        model = slim.Model(v2.inception_v2_base, final_endpoint="Conv2d_1a_7x7", depth_multiplier=multiplier)
        model(meta_images(1, 64))
        assert model.variable("InceptionV2/Conv2d_1a_7x7/depthwise_weights").tf_shape == expected


def test_min_depth_floors_thin_layers():
    model = slim.Model(v2.inception_v2_base, final_endpoint="Mixed_3b", depth_multiplier=0.1, min_depth=8)
    _, end_points = model(meta_images(1, 64))
    # depth(d) = max(int(0.1 d), 8): 64 -> 8, 96 -> 9, 32 -> 8
    assert end_points["Mixed_3b"].shape[3] == 8 + 8 + 9 + 8
    assert end_points["Conv2d_2c_3x3"].shape[3] == 19


def test_invalid_depth_multiplier():
    check.check_invalid_depth_multiplier(v2.inception_v2, 224)
    with pytest.raises(ValueError, match="depth_multiplier is not greater than zero"):
        slim.Model(v2.inception_v2_base, depth_multiplier=0.0)(meta_images(1, 224))


@pytest.fixture(scope="module")
def thin_base():
    """The base at depth_multiplier 0.5 (the layout options below do not depend on the widths)."""
    model = slim.Model(v2.inception_v2_base, depth_multiplier=0.5)
    _, end_points = model(meta_images(5, 224))
    return end_points


def test_use_separable_conv_false_keeps_the_shapes(thin_base):
    model = slim.Model(v2.inception_v2_base, use_separable_conv=False, depth_multiplier=0.5)
    _, replaced = model(meta_images(5, 224))
    assert shapes(replaced) == shapes(thin_base)
    assert model.variable("InceptionV2/Conv2d_1a_7x7/weights").tf_shape == (7, 7, 3, 32)


def test_nchw_data_format(thin_base):
    end_points = thin_base
    model = slim.Model(v2.inception_v2_base, use_separable_conv=False, data_format="NCHW", depth_multiplier=0.5)
    _, nchw = model(torch.empty(5, 3, 224, 224, device="meta"))
    assert {k: (s[0], s[3], s[1], s[2]) for k, s in shapes(end_points).items()} == shapes(nchw)


def test_nchw_matches_nhwc_numerically():
    """The same weights give the same numbers in both layouts (concat on the channel axis of each)."""
    def both(x):
        a, _ = v2.inception_v2_base(x, final_endpoint="Mixed_4a", use_separable_conv=False, scope="net")
        b, _ = v2.inception_v2_base(x.permute(0, 3, 1, 2), final_endpoint="Mixed_4a", use_separable_conv=False,
                                    data_format="NCHW", scope="net")
        return a, b

    def shared(x):
        with slim.variable_scope("root", reuse=slim.AUTO_REUSE):
            return both(x)

    torch.manual_seed(0)
    model = slim.Model(shared)
    with torch.no_grad():
        nhwc, nchw = model(check.images(1, 64))
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), nhwc, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"data_format": "NCWH"}, "data_format must be either NHWC or NCHW"),
    ({"data_format": "NCHW"}, "separable convolution only supports NHWC"),
    ({"final_endpoint": "Mixed_6a"}, "Unknown final endpoint Mixed_6a"),
    ({"final_endpoint": "Conv2d_1a_7x7", "include_root_block": False}, "Unknown final endpoint Conv2d_1a_7x7"),
])
def test_base_argument_errors(kwargs, message):
    model = slim.Model(v2.inception_v2_base, **kwargs)
    with pytest.raises(ValueError, match=message):
        model(meta_images(5, 224))
    assert len(model.tf_variables()) == 0


def test_half_size_images(classifier):
    logits, end_points = classifier(meta_images(5, 112))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Mixed_5c"].shape) == (5, 4, 4, 1024)
    assert tuple(end_points["AvgPool_1a"].shape) == (5, 1, 1, 1024)


def test_base_network_without_root_block(classifier):
    _, end_points = classifier(meta_images(5, 28, channels=192), base=True, include_root_block=False)
    assert shapes(end_points) == {k: s for k, s in BASE_SHAPES_224.items() if k.startswith("Mixed")}
    model = slim.Model(v2.inception_v2_base, include_root_block=False, depth_multiplier=0.25)
    model(meta_images(1, 28, channels=48))
    assert list(model.tf_variables())[0] == "InceptionV2/Mixed_3b/Branch_0/Conv2d_0a_1x1/weights"


def test_unknown_image_shape(classifier):
    check.check_unknown_image_shape(classifier, "Mixed_5c", 1024)


def test_larger_image_without_global_pool_cannot_be_squeezed(classifier):
    check.check_larger_image_cannot_be_squeezed(classifier, "InceptionV2")


def test_unknown_batch_size(classifier):
    check.check_unknown_batch_size(classifier, 224)


def test_evaluation():
    check.check_evaluation(v2.inception_v2, 128, depth_multiplier=0.25)


def test_train_eval_with_reuse():
    check.check_train_eval_with_reuse(v2.inception_v2, 150, depth_multiplier=0.25)


def test_logits_not_squeezed():
    model = slim.Model(v2.inception_v2, num_classes=25, spatial_squeeze=False, depth_multiplier=0.25)
    logits, _ = model(meta_images(1, 224))
    assert tuple(logits.shape) == (1, 1, 1, 25)


def test_prediction_fn_and_reduced_pool_kernel():
    """A small input shrinks the head's pool (AvgPool_1a_3x3 at 96x96); prediction_fn gets the logits."""
    seen = []

    def prediction_fn(logits, scope=None):
        seen.append(scope)
        return torch.sigmoid(logits)

    model = slim.Model(v2.inception_v2, num_classes=5, prediction_fn=prediction_fn, is_training=False,
                       depth_multiplier=0.25)
    with torch.no_grad():
        logits, end_points = model(check.images(1, 96))
    assert tuple(end_points["Mixed_5c"].shape) == (1, 3, 3, 256)
    torch.testing.assert_close(end_points["AvgPool_1a"], end_points["Mixed_5c"].mean(dim=(1, 2), keepdim=True))
    assert seen == ["Predictions"]
    torch.testing.assert_close(end_points["Predictions"], torch.sigmoid(logits))


def test_model_has_expected_number_of_parameters():
    assert check.model_variable_count(v2.inception_v2_base, v2.inception_v2_arg_scope, 224) == 10173112


def test_batch_norm_scale():
    """No gamma by default; with batch_norm_scale every batch norm has one (the separable stem has none)."""
    check.check_batch_norm_scale(v2.inception_v2, v2.inception_v2_arg_scope, 224, num_classes=10,
                                 depth_multiplier=0.25)


def test_arg_scope_variables():
    """Under the arg scope convs have BatchNorm (beta, moving statistics) instead of biases; the stem keeps its."""
    with slim.arg_scope(v2.inception_v2_arg_scope()):
        model = slim.Model(v2.inception_v2_base, final_endpoint="Conv2d_2b_1x1", depth_multiplier=0.25)
    model(meta_images(1, 64))
    assert list(model.tf_variables()) == [
        "InceptionV2/Conv2d_1a_7x7/depthwise_weights", "InceptionV2/Conv2d_1a_7x7/pointwise_weights",
        "InceptionV2/Conv2d_1a_7x7/biases", "InceptionV2/Conv2d_2b_1x1/weights",
        "InceptionV2/Conv2d_2b_1x1/BatchNorm/beta", "InceptionV2/Conv2d_2b_1x1/BatchNorm/moving_mean",
        "InceptionV2/Conv2d_2b_1x1/BatchNorm/moving_variance"]
    assert v2.inception_v2_arg_scope is v3.inception_v3_arg_scope is inception_utils.inception_arg_scope


def test_exported_names():
    assert v2.inception_v2.default_image_size == v2.default_image_size == 224
    assert v2._reduced_kernel_size_for_small_input(meta_images(1, 5, 9), [7, 7]) == [5, 7]
    assert inception.inception_v2 is v2.inception_v2 and inception.inception_v2_base is v2.inception_v2_base
    assert inception.inception_v2_arg_scope is v2.inception_v2_arg_scope
    for name in inception.__all__:
        assert callable(getattr(inception, name)), name
