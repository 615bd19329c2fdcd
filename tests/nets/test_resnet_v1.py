"""ResNet v1: TF-Slim's resnet_v1_test (tensorflow/models, newest) plus the basic-unit nets."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import resnet_utils, resnet_v1

from ._resnet import fast_init_scope, randomize, trainable_parameter_count
from ._resnet_checks import ResnetChecks

NETS = [resnet_v1.resnet_v1_50, resnet_v1.resnet_v1_101, resnet_v1.resnet_v1_152, resnet_v1.resnet_v1_200]


class TestResnetV1(ResnetChecks):
    NET = "resnet_v1"


# --------------------------------------------------------------------------------------------------
# depth_multiplier / min_base_depth (testDepthMultiplier, testMinBaseDepth)


def _block_shapes(fn, **kwargs):
    """The four block outputs' shapes (zero weights: only shapes matter; 64x64 as the depths do not depend
    on the size, TF's test uses 224x224)."""
    with slim.arg_scope(resnet_v1.resnet_arg_scope()), fast_init_scope():
        model = slim.Model(fn, 10, global_pool=True, **kwargs)
    with torch.no_grad():
        _, end_points = model(torch.zeros(2, 64, 64, 3))
    scope = kwargs["scope"]
    return [list(end_points[f"{scope}/block{b}"].shape) for b in range(1, 5)]


ALL_NETS = NETS + [resnet_v1.resnet_v1_18, resnet_v1.resnet_v1_34]


@pytest.mark.parametrize("net", ALL_NETS, ids=lambda f: f.__name__)
def test_depth_multiplier(net):
    """testDepthMultiplier: a quarter of the base depths, the same spatial sizes."""
    name = net.__name__
    base = _block_shapes(net, min_base_depth=1, scope=name + "_base")
    test = _block_shapes(net, min_base_depth=1, depth_multiplier=0.25, scope=name + "_test")
    for b, t in zip(base, test):
        assert len(b) == len(t) == 4
        assert b[:3] == t[:3]
        assert int(0.25 * b[3]) == t[3]


@pytest.mark.parametrize("net", ALL_NETS, ids=lambda f: f.__name__)
def test_min_base_depth(net):
    """testMinBaseDepth: depth_multiplier=0 leaves min_base_depth (5) everywhere."""
    expansion = 1 if net in (resnet_v1.resnet_v1_18, resnet_v1.resnet_v1_34) else 4  # basic / bottleneck
    for shape in _block_shapes(net, min_base_depth=5, depth_multiplier=0, scope=net.__name__):
        assert len(shape) == 4 and shape[3] == 5 * expansion


def test_default_min_base_depth_is_8():
    shapes = _block_shapes(resnet_v1.resnet_v1_50, depth_multiplier=0.01, scope="r")
    assert [s[3] for s in shapes] == [32, 32, 32, 32]


# --------------------------------------------------------------------------------------------------
# Units, counts


def test_bottleneck_bounded_activations():
    def fn(x):
        with slim.arg_scope(resnet_utils.resnet_arg_scope()):
            return resnet_v1.bottleneck(x, 8, 2, 2, use_bounded_activations=True, scope="unit")

    model = slim.Model(fn)
    x = torch.randn(1, 9, 9, 4) * 100
    model.build(x)
    randomize(model)
    y = model(x)
    assert y.shape == (1, 5, 5, 8)
    assert float(y.detach().max()) <= 6.0 and float(y.detach().min()) >= 0.0


def _bn(x, model, scope, eps=1e-5):
    get = lambda n: model.variable(f"{scope}/{n}").to_tf()
    return F.batch_norm(x, get("moving_mean"), get("moving_variance"), get("gamma"), get("beta"), False, 0.0, eps)


def _conv(x, model, scope, stride=1, padding=0):
    w = model.variable(f"{scope}/weights").to_tf().permute(3, 2, 0, 1)
    return F.conv2d(x, w, stride=stride, padding=padding)


@pytest.mark.parametrize("depth_in,depth,stride", [(4, 4, 1), (4, 4, 2), (4, 8, 1), (4, 8, 2)])
def test_basic_unit_against_plain_pytorch(depth_in, depth, stride):
    """basic_v1 has no TF-Slim original: check it against its definition written with torch ops."""
    def fn(x):
        with slim.arg_scope(resnet_utils.resnet_arg_scope()):
            return resnet_v1.basic(x, depth, stride, scope="unit")

    def run(x):
        with slim.arg_scope([slim.batch_norm], is_training=False):
            return fn(x)

    x = torch.randn(2, 10, 11, depth_in)
    model = slim.Model(run).build(x)
    randomize(model)
    got = model(x)
    names = [n for n in model.tf_variables()]
    assert ("unit/shortcut/weights" in names) == (depth != depth_in)
    xc = x.permute(0, 3, 1, 2)
    if depth == depth_in:
        shortcut = xc[:, :, ::stride, ::stride]
    else:
        shortcut = _bn(_conv(xc, model, "unit/shortcut", stride), model, "unit/shortcut/BatchNorm")
    r = torch.relu(_bn(_conv(xc, model, "unit/conv1", 1, 1), model, "unit/conv1/BatchNorm"))
    r = _bn(_conv(r, model, "unit/conv2", stride, 1), model, "unit/conv2/BatchNorm")
    expected = torch.relu(shortcut + r).permute(0, 2, 3, 1)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("net,count", [(resnet_v1.resnet_v1_18, 11_689_512), (resnet_v1.resnet_v1_34, 21_797_672),
                                       (resnet_v1.resnet_v1_50, 25_557_032), (resnet_v1.resnet_v1_101, 44_549_160),
                                       (resnet_v1.resnet_v1_152, 60_192_808)], ids=lambda v: getattr(v, "__name__", v))
def test_trainable_parameter_counts(net, count):
    """TF-Slim's 25,557,032 for ResNet-50; the same layer shapes as torchvision for 18-152 (1000 classes)."""
    with slim.arg_scope(resnet_v1.resnet_arg_scope()), fast_init_scope():
        model = slim.Model(net, 1000, is_training=False).build(torch.zeros(1, 32, 32, 3))
    assert trainable_parameter_count(model) == count
