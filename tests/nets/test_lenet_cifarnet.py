"""LeNet and CifarNet (upstream has no tests for them): end points, no classes, arg scopes.

Their numbers against TF-Slim are checked by the shared golden cases (``test_zoo_golden.py``).
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import cifarnet, lenet

NETS = {
    "lenet": (lenet.lenet, lenet.lenet_arg_scope, (28, 28, 1), "LeNet",
              ["conv1", "pool1", "conv2", "pool2", "Flatten", "fc3", "dropout3", "Logits", "Predictions"], 1024),
    "cifarnet": (cifarnet.cifarnet, cifarnet.cifarnet_arg_scope, (32, 32, 3), "CifarNet",
                 ["conv1", "pool1", "conv2", "pool2", "Flatten", "fc3", "fc4", "Logits", "Predictions"], 192),
}


def _model(name, **kwargs):
    fn, arg_scope, _, _, _, _ = NETS[name]
    with slim.arg_scope(arg_scope()):
        return slim.Model(fn, **kwargs)


@pytest.mark.parametrize("name", sorted(NETS))
def test_end_points_and_predictions(name):
    _, _, shape, scope, end_points_names, _ = NETS[name]
    model = _model(name, num_classes=10)
    logits, end_points = model(torch.rand(3, *shape))
    assert list(end_points) == end_points_names
    assert list(logits.shape) == [3, 10]
    assert torch.allclose(end_points["Predictions"], torch.softmax(logits, dim=-1))
    assert all(var.startswith(scope + "/") for var in model.tf_variables())


@pytest.mark.parametrize("name", sorted(NETS))
@pytest.mark.parametrize("num_classes", [0, None])
def test_no_classes_returns_the_features(name, num_classes):
    _, _, shape, _, names, depth = NETS[name]
    model = _model(name, num_classes=num_classes)
    net, end_points = model(torch.rand(2, *shape))
    assert list(net.shape) == [2, depth]
    assert "Logits" not in end_points and "Predictions" not in end_points
    assert net is end_points[names[names.index("Logits") - 1 - (name == "lenet")]]


@pytest.mark.parametrize("name", sorted(NETS))
def test_two_batch_sizes_on_one_model(name):
    _, _, shape, _, _, _ = NETS[name]
    model = _model(name, num_classes=5)
    assert list(model(torch.rand(1, *shape))[0].shape) == [1, 5]
    names = list(model.tf_variables())
    assert list(model(torch.rand(4, *shape))[0].shape) == [4, 5]
    assert list(model.tf_variables()) == names


def test_default_image_sizes():
    assert lenet.lenet.default_image_size == 28
    assert cifarnet.cifarnet.default_image_size == 32


def test_lenet_dropout_follows_is_training():
    model = _model("lenet", num_classes=10, is_training=True)
    images = torch.rand(2, 28, 28, 1)
    with torch.no_grad():
        assert not torch.equal(model(images)[1]["dropout3"], model(images)[1]["fc3"])
    model = _model("lenet", num_classes=10)          # upstream default: is_training=False
    with torch.no_grad():
        _, end_points = model(images)
    assert torch.equal(end_points["dropout3"], end_points["fc3"])


def test_cifarnet_regularizes_the_hidden_fully_connected_layers_only():
    model = _model("cifarnet", num_classes=10)
    model(torch.rand(1, 32, 32, 3))
    assert len(model.regularization_losses()) == 2           # fc3, fc4 (not the logits, not the convs)
    assert float(model.variable("CifarNet/fc3/biases").to_tf()[0]) == pytest.approx(0.1)
    assert float(model.variable("CifarNet/logits/biases").to_tf().abs().sum()) == 0.0


def test_lenet_weight_decay_zero_adds_no_loss():
    model = _model("lenet", num_classes=10)
    model(torch.rand(1, 28, 28, 1))
    assert model.regularization_losses() == []
    with slim.arg_scope(lenet.lenet_arg_scope(weight_decay=0.1)):
        decayed = slim.Model(lenet.lenet)
    decayed(torch.rand(1, 28, 28, 1))
    assert len(decayed.regularization_losses()) == 4
