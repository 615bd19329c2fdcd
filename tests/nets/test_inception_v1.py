"""Inception v1: upstream's ``inception_v1_test.py`` ported (eager: unknown sizes are just other sizes)."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import inception_utils, inception_v1

ALL_END_POINTS = ["Conv2d_1a_7x7", "MaxPool_2a_3x3", "Conv2d_2b_1x1", "Conv2d_2c_3x3", "MaxPool_3a_3x3",
                  "Mixed_3b", "Mixed_3c", "MaxPool_4a_3x3", "Mixed_4b", "Mixed_4c", "Mixed_4d", "Mixed_4e",
                  "Mixed_4f", "MaxPool_5a_2x2", "Mixed_5b", "Mixed_5c"]

SHAPES_224 = {
    "Conv2d_1a_7x7": [112, 112, 64], "MaxPool_2a_3x3": [56, 56, 64], "Conv2d_2b_1x1": [56, 56, 64],
    "Conv2d_2c_3x3": [56, 56, 192], "MaxPool_3a_3x3": [28, 28, 192], "Mixed_3b": [28, 28, 256],
    "Mixed_3c": [28, 28, 480], "MaxPool_4a_3x3": [14, 14, 480], "Mixed_4b": [14, 14, 512],
    "Mixed_4c": [14, 14, 512], "Mixed_4d": [14, 14, 512], "Mixed_4e": [14, 14, 528],
    "Mixed_4f": [14, 14, 832], "MaxPool_5a_2x2": [7, 7, 832], "Mixed_5b": [7, 7, 832],
    "Mixed_5c": [7, 7, 1024],
}


def _zeros():
    return slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.zeros_initializer())


def _model(fn=inception_v1.inception_v1, arg_scope=None, **kwargs) -> slim.Model:
    """A model of ``fn`` (with zero weights unless an arg scope is given) under ``arg_scope``."""
    with slim.arg_scope(arg_scope if arg_scope is not None else {}):
        if arg_scope is None:
            with _zeros():
                return slim.Model(fn, **kwargs)
        return slim.Model(fn, **kwargs)


@pytest.fixture(scope="module")
def classifier():
    """Inception v1 with 1000 classes (no arg scope, as upstream's tests), built at 224x224."""
    model = _model(num_classes=1000, is_training=False)
    with torch.no_grad():
        outputs = model(torch.rand(2, 224, 224, 3))
    return model, outputs


def test_build_classification_network(classifier):
    _, (logits, end_points) = classifier
    assert list(logits.shape) == [2, 1000]
    assert list(end_points["Predictions"].shape) == [2, 1000]
    assert list(end_points)[-3:] == ["AvgPool_0a_7x7", "Logits", "Predictions"]
    assert end_points["Logits"] is logits


def test_build_and_check_all_end_points_up_to_mixed_5c(classifier):
    _, (_, end_points) = classifier
    assert list(end_points)[:16] == ALL_END_POINTS
    for name, shape in SHAPES_224.items():
        assert list(end_points[name].shape) == [2, *shape], name


def test_build_pre_logits_network():
    model = _model(num_classes=None)
    with torch.no_grad():
        net, end_points = model(torch.rand(1, 224, 224, 3))
    assert list(net.shape) == [1, 1, 1, 1024]
    assert net is end_points["AvgPool_0a_7x7"]
    assert "Logits" not in end_points and "Predictions" not in end_points


def test_build_base_network():
    model = _model(inception_v1.inception_v1_base)
    with torch.no_grad():
        mixed_5c, end_points = model(torch.rand(1, 224, 224, 3))
    assert list(mixed_5c.shape) == [1, 7, 7, 1024]
    assert list(end_points) == ALL_END_POINTS
    assert list(inception_v1.BASE_END_POINTS) == ALL_END_POINTS


@pytest.mark.parametrize("index", range(len(ALL_END_POINTS)))
def test_build_only_up_to_final_endpoint(index):
    endpoint = ALL_END_POINTS[index]
    model = _model(inception_v1.inception_v1_base, final_endpoint=endpoint)
    with torch.no_grad():
        out, end_points = model(torch.rand(1, 64, 64, 3))
    assert list(end_points) == ALL_END_POINTS[:index + 1]
    assert out is end_points[endpoint]
    assert all(name.startswith("InceptionV1/" + (endpoint if endpoint.startswith("Mixed") else ""))
               for name in list(model.tf_variables())[-2:])


def test_model_has_expected_number_of_parameters():
    with slim.arg_scope(inception_v1.inception_v1_arg_scope()):
        with _zeros():
            model = slim.Model(inception_v1.inception_v1_base)
    model(torch.zeros(1, 224, 224, 3))
    assert sum(v.tensor.numel() for v in slim.get_model_variables(model=model)) == 5607184


def test_half_size_images():
    model = _model(inception_v1.inception_v1_base)
    with torch.no_grad():
        mixed_5c, _ = model(torch.rand(1, 112, 112, 3))
    assert list(mixed_5c.shape) == [1, 4, 4, 1024]


def test_build_base_network_without_root_block():
    model = _model(inception_v1.inception_v1_base, include_root_block=False)
    with torch.no_grad():
        _, end_points = model(torch.rand(1, 28, 28, 192))
    assert list(end_points) == ALL_END_POINTS[5:]
    for name in ALL_END_POINTS[5:]:
        assert list(end_points[name].shape) == [1, *SHAPES_224[name]], name
    assert next(iter(model.tf_variables())) == "InceptionV1/Mixed_3b/Branch_0/Conv2d_0a_1x1/weights"


def test_global_pool_other_image_shape(classifier):
    model, _ = classifier
    with torch.no_grad():
        logits, end_points = model(torch.rand(1, 250, 300, 3), global_pool=True)
    assert list(logits.shape) == [1, 1000]
    assert list(end_points["Mixed_5c"].shape) == [1, 8, 10, 1024]
    assert list(end_points["global_pool"].shape) == [1, 1, 1, 1024]
    assert "AvgPool_0a_7x7" not in end_points


def test_other_image_shape_without_global_pool_cannot_squeeze(classifier):
    model, _ = classifier
    with pytest.raises(ValueError, match="InceptionV1/Logits/SpatialSqueeze: can not squeeze"):
        model(torch.rand(1, 256, 256, 3))


def test_unknown_batch_size(classifier):
    """Two batch sizes on one model: the same variables serve both."""
    model, _ = classifier
    names = list(model.tf_variables())
    with torch.no_grad():
        one, _ = model(torch.rand(1, 224, 224, 3))
    assert list(one.shape) == [1, 1000]
    assert list(model.tf_variables()) == names


def test_evaluation(classifier):
    _, (logits, _) = classifier
    assert list(logits.argmax(dim=1).shape) == [2]


def test_train_eval_with_reuse():
    def train_then_eval(train_inputs, eval_inputs):
        inception_v1.inception_v1(train_inputs, 1000)
        return inception_v1.inception_v1(eval_inputs, 1000, reuse=True, is_training=False)

    model = _model(train_then_eval)
    with torch.no_grad():
        logits, _ = model(torch.rand(2, 224, 224, 3), torch.rand(1, 224, 224, 3))
    assert list(logits.shape) == [1, 1000]
    single = _model(num_classes=1000)
    single(torch.rand(1, 224, 224, 3))
    assert list(model.tf_variables()) == list(single.tf_variables())


def test_logits_not_squeezed():
    model = _model(num_classes=25, spatial_squeeze=False)
    with torch.no_grad():
        logits, _ = model(torch.rand(1, 224, 224, 3))
    assert list(logits.shape) == [1, 1, 1, 25]


def test_no_batch_norm_scale_by_default():
    model = _model(arg_scope=inception_v1.inception_v1_arg_scope(), num_classes=10, is_training=False)
    model(torch.zeros(1, 64, 64, 3), global_pool=True)
    assert not [n for n in model.tf_variables() if n.endswith("/BatchNorm/gamma")]


def test_batch_norm_scale():
    model = _model(arg_scope=inception_v1.inception_v1_arg_scope(batch_norm_scale=True), num_classes=10,
                   is_training=False)
    model(torch.zeros(1, 64, 64, 3), global_pool=True)
    names = set(model.tf_variables())
    means = [n for n in names if n.endswith("/BatchNorm/moving_mean")]
    assert means and all(n[: -len("moving_mean")] + "gamma" in names for n in means)


def test_unknown_final_endpoint():
    model = _model(inception_v1.inception_v1_base, final_endpoint="Mixed_9z")
    with pytest.raises(ValueError, match="Unknown final endpoint Mixed_9z"):
        model(torch.zeros(1, 64, 64, 3))
    model = _model(inception_v1.inception_v1_base, final_endpoint="Conv2d_1a_7x7", include_root_block=False)
    with pytest.raises(ValueError, match="Unknown final endpoint Conv2d_1a_7x7"):
        model(torch.zeros(1, 28, 28, 192))


def test_arg_scope_is_inception_utils():
    assert inception_v1.inception_v1_arg_scope is inception_utils.inception_arg_scope
    assert inception_v1.inception_v1.default_image_size == 224


def test_inception_arg_scope_without_batch_norm_gives_biases():
    model = _model(arg_scope=inception_utils.inception_arg_scope(use_batch_norm=False),
                   fn=inception_v1.inception_v1_base, final_endpoint="Conv2d_1a_7x7")
    model(torch.zeros(1, 32, 32, 3))
    assert list(model.tf_variables()) == ["InceptionV1/Conv2d_1a_7x7/weights", "InceptionV1/Conv2d_1a_7x7/biases"]
    assert len(model.regularization_losses()) == 1
