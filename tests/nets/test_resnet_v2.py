"""ResNet v2: TF-Slim's resnet_v2_test (tensorflow/models, newest) plus the basic-unit nets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import resnet_utils, resnet_v2

from ._resnet import assert_close_to_scale, create_test_input, fast_init_scope, randomize, trainable_parameter_count
from ._resnet_checks import ResnetChecks


class TestResnetV2(ResnetChecks):
    NET = "resnet_v2"


def test_root_conv_has_biases_and_postnorm_is_not_an_end_point():
    def fn(x):
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            blocks = [resnet_v2.resnet_v2_block("block1", base_depth=1, num_units=1, stride=1)]
            return resnet_v2.resnet_v2(x, blocks, 3, scope="r")

    model = slim.Model(fn)
    _, end_points = model(torch.rand(1, 17, 17, 3))
    names = list(model.tf_variables())
    assert names[:2] == ["r/conv1/weights", "r/conv1/biases"]
    assert "r/block1/unit_1/bottleneck_v2/preact/gamma" in names
    assert "r/block1/unit_1/bottleneck_v2/shortcut/biases" in names
    assert "r/block1/unit_1/bottleneck_v2/conv3/biases" in names
    assert names[-6:] == ["r/postnorm/gamma", "r/postnorm/beta", "r/postnorm/moving_mean",
                          "r/postnorm/moving_variance", "r/logits/weights", "r/logits/biases"]
    assert not any("preact" in k or "postnorm" in k or "pool1" in k for k in end_points)


def _bn(x, model, scope, eps=1e-5):
    get = lambda n: model.variable(f"{scope}/{n}").to_tf()
    return F.batch_norm(x, get("moving_mean"), get("moving_variance"), get("gamma"), get("beta"), False, 0.0, eps)


def _conv(x, model, scope, stride=1, padding=0, bias=False):
    w = model.variable(f"{scope}/weights").to_tf().permute(3, 2, 0, 1)
    b = model.variable(f"{scope}/biases").to_tf() if bias else None
    return F.conv2d(x, w, b, stride=stride, padding=padding)


@pytest.mark.parametrize("depth_in,depth,stride", [(4, 4, 1), (4, 4, 2), (4, 8, 1), (4, 8, 2)])
def test_basic_unit_against_plain_pytorch(depth_in, depth, stride):
    """basic_v2 has no TF-Slim original: check it against its definition written with torch ops."""
    def fn(x):
        with slim.arg_scope(resnet_utils.resnet_arg_scope()), slim.arg_scope([slim.batch_norm], is_training=False):
            return resnet_v2.basic(x, depth, stride, scope="unit")

    x = torch.randn(2, 10, 11, depth_in)
    model = slim.Model(fn).build(x)
    randomize(model)
    got = model(x)
    xc = x.permute(0, 3, 1, 2)
    preact = torch.relu(_bn(xc, model, "unit/preact"))
    if depth == depth_in:
        shortcut = xc[:, :, ::stride, ::stride]
    else:
        shortcut = _conv(preact, model, "unit/shortcut", stride, bias=True)
    r = torch.relu(_bn(_conv(preact, model, "unit/conv1", 1, 1), model, "unit/conv1/BatchNorm"))
    r = _conv(r, model, "unit/conv2", stride, 1, bias=True)
    expected = (shortcut + r).permute(0, 2, 3, 1)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("num_classes,count", [(1000, 25_568_360), (1001, 25_570_409)])
def test_resnet_v2_50_trainable_parameter_count(num_classes, count):
    """TF-Slim's counts: 25,568,360 with 1000 classes (the manifest), 25,570,409 with the zoo's 1001."""
    with slim.arg_scope(resnet_v2.resnet_arg_scope()), fast_init_scope():
        model = slim.Model(resnet_v2.resnet_v2_50, num_classes, is_training=False).build(torch.zeros(1, 32, 32, 3))
    assert trainable_parameter_count(model) == count


def test_store_non_strided_activations_keyword():
    def fn(x, store):
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            return resnet_v2.resnet_v2_18(x, None, is_training=False, global_pool=False,
                                          store_non_strided_activations=store)

    model = slim.Model(fn)
    x = create_test_input(1, 64, 64, 3)
    net, plain = model(x, False)
    net_store, stored = model(x, True)
    assert_close_to_scale(net_store, net)
    assert plain["resnet_v2_18/block1"].shape == (1, 8, 8, 64)
    assert stored["resnet_v2_18/block1"].shape == (1, 16, 16, 64)
