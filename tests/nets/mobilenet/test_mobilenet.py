"""The MobileNet framework: op definitions, depth multiplier, arg-scope helpers, the head."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets.mobilenet import mobilenet

from ._build import build, images


def test_op_and_multiplier_transform():
    layer = mobilenet.op(slim.conv2d, num_outputs=32, kernel_size=[3, 3])
    assert layer.op is slim.conv2d and layer.params == {"num_outputs": 32, "kernel_size": [3, 3]}
    assert layer.multiplier_func is mobilenet.depth_multiplier
    keep = mobilenet.op(slim.conv2d, multiplier_transform=lambda params, multiplier: None, num_outputs=8)
    assert "multiplier_transform" not in keep.params and keep.multiplier_func is not mobilenet.depth_multiplier


def test_depth_multiplier_hand_values():
    params = {"num_outputs": 96}
    mobilenet.depth_multiplier(params, 0.35)
    assert params == {"num_outputs": 32}                                # 33.6 -> 32
    params = {"num_outputs": 16}
    mobilenet.depth_multiplier(params, 0.1, divisible_by=8, min_depth=24)
    assert params["num_outputs"] == 24
    params = {"stride": 2}
    mobilenet.depth_multiplier(params, 0.5)
    assert params == {"stride": 2}


def test_safe_arg_scope_drops_none():
    with mobilenet.safe_arg_scope([slim.dropout], keep_prob=None, is_training=None) as sc:
        assert sc is None
    with mobilenet.safe_arg_scope([slim.dropout], keep_prob=0.5, is_training=None) as sc:
        assert sc[slim.arg_scope_func_key(slim.dropout)] == {"keep_prob": 0.5}
    with mobilenet.NoOpScope() as nothing:
        assert nothing is None


def test_global_pool_is_the_mean_of_any_map():
    x = images(2, 3, width=5, channels=4)
    torch.testing.assert_close(mobilenet.global_pool(x), x.mean(dim=(1, 2), keepdim=True))


def test_apply_activation():
    x = torch.tensor([-1.0, 2.0])
    assert mobilenet.apply_activation(x) is x
    torch.testing.assert_close(mobilenet.apply_activation(x, activation_fn=torch.relu), torch.tensor([0.0, 2.0]))


_TINY = dict(
    defaults={(slim.conv2d,): {"normalizer_fn": slim.batch_norm, "activation_fn": slim.nn.relu6}},
    spec=[mobilenet.op(slim.conv2d, stride=2, num_outputs=16, kernel_size=[3, 3]),
          mobilenet.op(slim.conv2d, stride=2, num_outputs=24, kernel_size=[3, 3]),
          mobilenet.op(slim.conv2d, stride=1, num_outputs=32, kernel_size=[1, 1])],
)


def test_head_names_and_end_points():
    model, logits, ep = build(mobilenet.mobilenet, images(2, 16), conv_defs=_TINY, num_classes=5)
    assert list(ep) == ["layer_1", "layer_2", "layer_3", "global_pool", "Logits", "Predictions"]
    assert logits.shape == (2, 5) and ep["global_pool"].shape == (2, 1, 1, 32)
    torch.testing.assert_close(ep["Predictions"], torch.softmax(logits, -1))
    assert list(model.tf_variables())[-2:] == ["Mobilenet/Logits/Conv2d_1c_1x1/weights",
                                               "Mobilenet/Logits/Conv2d_1c_1x1/biases"]


def test_no_prediction_fn_and_rank_check():
    ep = build(mobilenet.mobilenet, images(1, 16), conv_defs=_TINY, prediction_fn=None)[2]
    assert "Predictions" not in ep
    with pytest.raises(ValueError, match="Expected rank 4 input, was: 3"):
        build(mobilenet.mobilenet, torch.zeros(16, 16, 3), conv_defs=_TINY)


def test_explicit_padding_pads_convolutions_with_kernel_sizes():
    out = build(mobilenet.mobilenet_base, images(1, 15), conv_defs=_TINY, use_explicit_padding=True)[1]
    assert out.shape == (1, 4, 4, 32)                                      # as SAME: 15 -> 8 -> 4


def test_failing_op_is_named():
    bad = dict(spec=[mobilenet.op(slim.conv2d, num_outputs=8, kernel_size=[3, 3], no_such_arg=1)])
    with pytest.raises(TypeError) as info:
        build(mobilenet.mobilenet_base, images(1, 8), conv_defs=bad)
    assert "failed to create op 0" in "".join(getattr(info.value, "__notes__", []))


def test_factory_scope_follows_train_and_eval():
    from torchslim.nets import nets_factory

    model = nets_factory.create("mobilenet_v2_035", num_classes=3)
    model.eval()
    with torch.no_grad():
        model(images(2, 32))
    mean = model.tf_variables()["MobilenetV2/Conv/BatchNorm/moving_mean"].tensor
    assert mean.abs().sum() == 0                                          # eval: moving statistics used
    model.train()
    model(images(2, 32))
    assert mean.abs().sum() > 0                                           # train: updated


@pytest.mark.parametrize("name, module, fn", [
    ("mobilenet_v2", "mobilenet_v2", "mobilenet"), ("mobilenet_v2_140", "mobilenet_v2", "mobilenet_v2_140"),
    ("mobilenet_v2_035", "mobilenet_v2", "mobilenet_v2_035"), ("mobilenet_v3_small", "mobilenet_v3", "small"),
    ("mobilenet_v3_large", "mobilenet_v3", "large"),
    ("mobilenet_v3_small_minimalistic", "mobilenet_v3", "small_minimalistic"),
    ("mobilenet_v3_large_minimalistic", "mobilenet_v3", "large_minimalistic"),
    ("mobilenet_edgetpu", "mobilenet_v3", "edge_tpu"), ("mobilenet_edgetpu_075", "mobilenet_v3", "edge_tpu_075")])
def test_factory_entries(name, module, fn):
    import importlib

    from torchslim.nets import nets_factory
    from torchslim.preprocessing import preprocessing_factory

    net_module = importlib.import_module(f"torchslim.nets.mobilenet.{module}")
    assert nets_factory.networks_map[name] is getattr(net_module, fn)
    assert nets_factory.default_image_size(name) == 224
    assert nets_factory.arg_scopes_map[name] is net_module.training_scope
    assert name in preprocessing_factory.preprocessing_fn_map


def test_explicit_is_training_none_overrides_the_training_scope():
    from torchslim.nets.mobilenet import mobilenet_v2

    with slim.arg_scope(mobilenet_v2.training_scope()):
        model = slim.Model(mobilenet_v2.mobilenet_v2_035, num_classes=3, is_training=None)
        trains = slim.Model(mobilenet_v2.mobilenet_v2_035, num_classes=3)
    model.eval()
    trains.eval()
    with torch.no_grad():
        model(images(2, 32))
        trains(images(2, 32))
    assert model.tf_variables()["MobilenetV2/Conv/BatchNorm/moving_mean"].tensor.abs().sum() == 0
    assert trains.tf_variables()["MobilenetV2/Conv/BatchNorm/moving_mean"].tensor.abs().sum() > 0   # scope: True


@pytest.mark.parametrize("fn, signature", [
    (mobilenet.mobilenet_base, "(inputs, conv_defs, multiplier=1.0, final_endpoint=None, output_stride=None, "
                               "use_explicit_padding=False, scope=None, is_training=False)"),
    (mobilenet.mobilenet, "(inputs, num_classes=1001, prediction_fn=softmax, reuse=None, scope='Mobilenet', "
                          "base_only=False, **mobilenet_args)"),
    (mobilenet.training_scope, "(is_training=True, weight_decay=4e-05, stddev=0.09, dropout_keep_prob=0.8, "
                               "bn_decay=0.997)"),
    (mobilenet.depth_multiplier, "(output_params, multiplier, divisible_by=8, min_depth=8, **unused_kwargs)"),
])
def test_signatures_are_upstreams(fn, signature):
    import inspect

    def text(p):
        if p.kind is p.VAR_KEYWORD:
            return "**" + p.name
        if p.default is p.empty:
            return p.name
        return f"{p.name}={p.default.__name__ if callable(p.default) else repr(p.default)}"

    assert "(" + ", ".join(text(p) for p in inspect.signature(fn).parameters.values()) + ")" == signature
