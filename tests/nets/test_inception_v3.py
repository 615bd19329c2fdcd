"""Slim's Inception v3: the cases of models' inception_v3_test.py, ported (see ``_inception``).

The default-size manifest and the golden cases (``inception_v3_dm05_small``,
``inception_v3_global_pool``) are checked by test_zoo_manifests / test_zoo_golden.
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import inception
from torchslim.nets import inception_v3 as v3

from . import _inception as check
from ._inception import meta_images, shapes

BASE_SHAPES_299 = {
    "Conv2d_1a_3x3": (5, 149, 149, 32), "Conv2d_2a_3x3": (5, 147, 147, 32), "Conv2d_2b_3x3": (5, 147, 147, 64),
    "MaxPool_3a_3x3": (5, 73, 73, 64), "Conv2d_3b_1x1": (5, 73, 73, 80), "Conv2d_4a_3x3": (5, 71, 71, 192),
    "MaxPool_5a_3x3": (5, 35, 35, 192), "Mixed_5b": (5, 35, 35, 256), "Mixed_5c": (5, 35, 35, 288),
    "Mixed_5d": (5, 35, 35, 288), "Mixed_6a": (5, 17, 17, 768), "Mixed_6b": (5, 17, 17, 768),
    "Mixed_6c": (5, 17, 17, 768), "Mixed_6d": (5, 17, 17, 768), "Mixed_6e": (5, 17, 17, 768),
    "Mixed_7a": (5, 8, 8, 1280), "Mixed_7b": (5, 8, 8, 2048), "Mixed_7c": (5, 8, 8, 2048),
}


@pytest.fixture(scope="module")
def classifier():
    """Inception v3 with 1000 classes and AuxLogits, built at 299x299 (meta activations)."""
    return check.built_classifier(v3.inception_v3, v3.inception_v3_base, "InceptionV3", 299)


def test_build_classification_network(classifier):
    logits, end_points = classifier(meta_images(5, 299))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Predictions"].shape) == (5, 1000)


def test_build_pre_logits_network(classifier):
    for no_classes in (None, 0):
        net, end_points = classifier(meta_images(5, 299), num_classes=no_classes)
        assert tuple(net.shape) == (5, 1, 1, 2048)
        assert net is end_points["AvgPool_1a"]
        assert not {"Logits", "Predictions", "AuxLogits", "PreLogits"} & set(end_points)


def test_build_base_network(classifier):
    net, end_points = classifier(meta_images(5, 299), base=True)
    assert tuple(net.shape) == (5, 8, 8, 2048)
    assert net is end_points["Mixed_7c"]
    assert list(end_points) == list(v3.BASE_END_POINTS)
    assert shapes(end_points) == BASE_SHAPES_299


@pytest.mark.parametrize("final_endpoint", v3.BASE_END_POINTS)
def test_build_only_up_to_final_endpoint(final_endpoint):
    check.check_build_only_up_to(v3.inception_v3_base, v3.BASE_END_POINTS, final_endpoint, 299, "InceptionV3",
                                 depth_multiplier=0.25)


def test_build_end_points(classifier):
    _, end_points = classifier(meta_images(5, 299))
    assert tuple(end_points["Logits"].shape) == (5, 1000)
    assert tuple(end_points["AuxLogits"].shape) == (5, 1000)
    assert tuple(end_points["Mixed_7c"].shape) == (5, 8, 8, 2048)
    assert tuple(end_points["PreLogits"].shape) == (5, 1, 1, 2048)
    assert list(end_points)[18:] == ["AuxLogits", "AvgPool_1a", "PreLogits", "Logits", "Predictions"]


def test_upstream_scope_names_are_kept(classifier):
    names = set(classifier.tf_variables())
    for name in ("InceptionV3/Mixed_5c/Branch_1/Conv2d_0b_1x1/weights",
                 "InceptionV3/Mixed_5c/Branch_1/Conv_1_0c_5x5/weights",
                 "InceptionV3/Mixed_6a/Branch_0/Conv2d_1a_1x1/weights",
                 "InceptionV3/Mixed_7b/Branch_1/Conv2d_0b_3x1/weights",
                 "InceptionV3/Mixed_7c/Branch_1/Conv2d_0c_3x1/weights",
                 "InceptionV3/AuxLogits/Conv2d_2a_5x5/weights", "InceptionV3/AuxLogits/Conv2d_2b_1x1/biases",
                 "InceptionV3/Logits/Conv2d_1c_1x1/biases"):
        assert name in names, name
    assert classifier.variable("InceptionV3/Mixed_6a/Branch_0/Conv2d_1a_1x1/weights").tf_shape[:2] == (3, 3)


@pytest.mark.parametrize("multiplier", [0.5, pytest.param(2.0, marks=pytest.mark.slow)])
def test_depth_multiplier(classifier, multiplier):
    _, plain = classifier(meta_images(1, 299))
    check.check_depth_multiplier(plain, v3.inception_v3, 299, multiplier)


def test_invalid_depth_multiplier():
    check.check_invalid_depth_multiplier(v3.inception_v3, 299)
    with pytest.raises(ValueError, match="depth_multiplier is not greater than zero"):
        slim.Model(v3.inception_v3_base, depth_multiplier=-1.0)(meta_images(1, 299))


def test_unknown_final_endpoint():
    model = slim.Model(v3.inception_v3_base, final_endpoint="Mixed_8a")
    with pytest.raises(ValueError, match="Unknown final endpoint Mixed_8a"):
        model(meta_images(1, 299))
    assert len(model.tf_variables()) == 0


def test_half_size_images(classifier):
    # AuxLogits' "5x5" conv would be 1x1 at this size: a model built at 299 has a 5x5 one.
    logits, end_points = classifier(meta_images(5, 150), create_aux_logits=False)
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Mixed_7c"].shape) == (5, 3, 3, 2048)
    assert tuple(end_points["AvgPool_1a"].shape) == (5, 1, 1, 2048)


def test_aux_logits_kernel_follows_the_input_size():
    """At 160x160 Mixed_6e is 8x8, the 5x5/3 pool leaves 2x2, so the "5x5" conv is Conv2d_2a_2x2."""
    model = slim.Model(v3.inception_v3, num_classes=10, depth_multiplier=0.25)
    _, end_points = model(meta_images(2, 160))
    assert tuple(end_points["AuxLogits"].shape) == (2, 10)
    assert model.variable("InceptionV3/AuxLogits/Conv2d_2a_2x2/weights").tf_shape == (2, 2, 32, 192)


def test_without_aux_logits():
    model = slim.Model(v3.inception_v3, num_classes=10, depth_multiplier=0.25, create_aux_logits=False)
    _, end_points = model(meta_images(2, 150))
    assert "AuxLogits" not in end_points
    assert not any("AuxLogits" in name for name in model.tf_variables())


def test_unknown_image_shape(classifier):
    """testUnknownImageShape / testGlobalPoolUnknownImageShape: one model, several image sizes."""
    logits, end_points = classifier(meta_images(2, 299))
    assert tuple(logits.shape) == (2, 1000) and tuple(end_points["Mixed_7c"].shape) == (2, 8, 8, 2048)
    logits, end_points = classifier(meta_images(2, 400, 600), global_pool=True, create_aux_logits=False)
    assert tuple(end_points["Mixed_7c"].shape) == (2, 11, 17, 2048)
    assert tuple(end_points["global_pool"].shape) == (2, 1, 1, 2048)
    assert tuple(logits.shape) == (2, 1000)


def test_unknown_batch_size(classifier):
    check.check_unknown_batch_size(classifier, 299)


def test_evaluation():
    check.check_evaluation(v3.inception_v3, 96, depth_multiplier=0.25, create_aux_logits=False)


def test_train_eval_with_reuse():
    check.check_train_eval_with_reuse(v3.inception_v3, 150, depth_multiplier=0.25)


def test_logits_not_squeezed(classifier):
    logits, end_points = classifier(meta_images(1, 299), spatial_squeeze=False)
    assert tuple(logits.shape) == (1, 1, 1, 1000)
    assert tuple(end_points["AuxLogits"].shape) == (1, 1, 1, 1000)


def test_global_pool_matches_the_mean():
    model = slim.Model(v3.inception_v3, num_classes=10, depth_multiplier=0.25, global_pool=True,
                       create_aux_logits=False, is_training=False)
    with torch.no_grad():
        _, end_points = model(check.images(1, 96, 128))
    torch.testing.assert_close(end_points["global_pool"], end_points["Mixed_7c"].mean(dim=(1, 2), keepdim=True))


def test_model_has_expected_number_of_parameters():
    assert check.model_variable_count(v3.inception_v3_base, v3.inception_v3_arg_scope, 299) == 21802784


def test_batch_norm_scale():
    check.check_batch_norm_scale(v3.inception_v3, v3.inception_v3_arg_scope, 160, num_classes=10,
                                 depth_multiplier=0.25)


def test_exported_names():
    assert v3.inception_v3.default_image_size == v3.default_image_size == 299
    assert v3._reduced_kernel_size_for_small_input(meta_images(1, 3, 12), [8, 8]) == [3, 8]
    assert inception.inception_v3 is v3.inception_v3 and inception.inception_v3_base is v3.inception_v3_base
