"""MobileNet v2: upstream's mobilenet_v2_test.py, ported (small inputs: the checked sizes scale)."""

from __future__ import annotations

import copy

import pytest
import torch

import torchslim as slim
from torchslim.nets.mobilenet import conv_blocks as ops
from torchslim.nets.mobilenet import mobilenet, mobilenet_v2

from ._build import build, conv_depths, images


def test_creation():
    spec = dict(mobilenet_v2.V2_DEF)
    model, _, ep = build(mobilenet.mobilenet, images(1, 32, channels=16), conv_defs=spec)
    # All but the first 2 and the last op have two convolutions; the logits add one.
    assert len(conv_depths(model)) == len(spec["spec"]) * 2 - 2
    for i in range(2, 17):
        assert f"layer_{i}/depthwise_output" in ep


def test_creation_no_classes():
    net, ep = build(mobilenet.mobilenet, images(1, 32, channels=16), conv_defs=copy.deepcopy(mobilenet_v2.V2_DEF),
                    num_classes=None)[1:]
    assert net is ep["global_pool"] and net.shape == (1, 1, 1, 1280)


def test_image_sizes_and_two_batch_sizes_on_one_model():
    model, _, _ = build(mobilenet_v2.mobilenet, images(1, 32))
    for batch, input_size, output_size in [(1, 160, 5), (3, 128, 4), (2, 96, 3), (1, 64, 2)]:
        with torch.no_grad():
            logits, ep = model(images(batch, input_size))
        assert list(ep["layer_18/output"].shape[1:3]) == [output_size] * 2
        assert logits.shape == (batch, 1001)


def test_with_splits():
    spec = copy.deepcopy(mobilenet_v2.V2_DEF)
    spec["overrides"] = {(ops.expanded_conv,): dict(split_expansion=2)}
    model, _, ep = build(mobilenet.mobilenet, images(1, 32, channels=16), conv_defs=spec)
    # All but 3 ops have 3 convolutions, those 3 have one, and the logits add one.
    assert len(conv_depths(model)) == len(spec["spec"]) * 3 - 5
    # The parts' outputs are end points, before the block's own (upstream's graph scan).
    assert [k for k in ep if k.startswith("layer_3/")] == [
        "layer_3/expand_part_0_output", "layer_3/expand_part_1_output", "layer_3/expansion_output",
        "layer_3/depthwise_output", "layer_3/output"]
    assert "MobilenetV2/expanded_conv_1/expand_part_1/weights" not in model.tf_variables()   # scope Mobilenet
    assert "Mobilenet/expanded_conv_1/expand_part_1/weights" in model.tf_variables()


@pytest.mark.parametrize("output_stride, explicit, size", [(8, False, 8), (16, False, 4), (8, True, 8),
                                                           (16, True, 4)])
def test_with_output_stride(output_stride, explicit, size):
    out = build(mobilenet.mobilenet_base, images(1, 64, channels=16), conv_defs=mobilenet_v2.V2_DEF,
                output_stride=output_stride, use_explicit_padding=explicit, scope="MobilenetV2")[1]
    assert list(out.shape[1:3]) == [size, size]


def test_output_stride_turns_strides_into_rates():
    model = build(mobilenet.mobilenet_base, images(1, 64), conv_defs=mobilenet_v2.V2_DEF, output_stride=8)[0]
    # expanded_conv_6 (layer_8) is the 4th stride-2 op: stride 1 and rate 2 from there, 4 after the 5th.
    assert model(images(1, 64))[1]["layer_8/depthwise_output"].shape == (1, 8, 8, 192)


def test_bad_output_stride_and_multiplier():
    with pytest.raises(ValueError, match="Output stride must be None, 1 or a multiple of 2"):
        build(mobilenet.mobilenet_base, images(1, 32), conv_defs=mobilenet_v2.V2_DEF, output_stride=3)
    with pytest.raises(ValueError, match="multiplier is not greater than zero"):
        build(mobilenet.mobilenet_base, images(1, 32), conv_defs=mobilenet_v2.V2_DEF, multiplier=0)
    with pytest.raises(ValueError, match="depth_multiplier"):
        build(mobilenet_v2.mobilenet, images(1, 32), multiplier=0.5)


def test_divisible_by():
    model = build(mobilenet_v2.mobilenet, images(1, 32, channels=16), conv_defs=mobilenet_v2.V2_DEF,
                  divisible_by=16, min_depth=32)[0]
    assert set(conv_depths(model)) == {32, 64, 96, 160, 192, 320, 384, 576, 960, 1280, 1001}


def test_divisible_by_with_arg_scope():
    with slim.arg_scope((mobilenet.depth_multiplier,), min_depth=32):
        model = build(mobilenet_v2.mobilenet, images(1, 32, channels=2), conv_defs=mobilenet_v2.V2_DEF,
                      depth_multiplier=0.1)[0]
    assert set(conv_depths(model)) == {32, 192, 128, 1001}


def test_fine_grained():
    model = build(mobilenet_v2.mobilenet, images(1, 32, channels=2), conv_defs=mobilenet_v2.V2_DEF,
                  depth_multiplier=0.01, finegrain_classification_mode=True)[0]
    # All convolutions 8 -> 48, but the last one.
    assert set(conv_depths(model)) == {8, 48, 1001, 1280}


def test_mobilenet_base():
    with slim.arg_scope((mobilenet.depth_multiplier,), min_depth=32):
        net = build(mobilenet_v2.mobilenet_base, images(2, 64, channels=16), conv_defs=mobilenet_v2.V2_DEF,
                    depth_multiplier=0.1)[1]
    assert net.shape == (2, 2, 2, 128)


def test_multiplier_func():
    new_def = copy.deepcopy(mobilenet_v2.V2_DEF)

    def inverse_multiplier(output_params, multiplier):
        output_params["num_outputs"] = int(output_params["num_outputs"] / multiplier)

    new_def["spec"][0] = mobilenet.op(slim.conv2d, kernel_size=(3, 3), multiplier_func=inverse_multiplier,
                                      num_outputs=16)
    model = build(mobilenet_v2.mobilenet_base, images(1, 32, channels=16), conv_defs=new_def,
                  depth_multiplier=0.1)[0]
    # The first layer 16 / 0.1; the others max(size * 0.1, 8).
    assert conv_depths(model)[:5] == [160, 8, 48, 8, 48]


def test_batch_norm_scope_has_no_is_training_when_it_is_none():
    sc = mobilenet.training_scope(is_training=None)
    assert "is_training" not in sc[slim.arg_scope_func_key(slim.batch_norm)]
    for sc in (mobilenet.training_scope(is_training=False), mobilenet.training_scope(is_training=True),
               mobilenet.training_scope()):
        assert "is_training" in sc[slim.arg_scope_func_key(slim.batch_norm)]


def test_activation_fn_override_leaves_v2_def_alone():
    model, _, ep = build(mobilenet_v2.mobilenet, images(1, 32), activation_fn=torch.tanh, num_classes=None,
                         final_endpoint="layer_1")
    assert ep["layer_1"].min() < 0                                   # relu6 would be >= 0
    assert mobilenet_v2.V2_DEF["defaults"][(slim.conv2d, slim.fully_connected, slim.separable_conv2d)][
        "activation_fn"] is slim.nn.relu6


@pytest.mark.parametrize("fn, depth, last", [(mobilenet_v2.mobilenet_v2_140, 48, 1792),
                                             (mobilenet_v2.mobilenet_v2_050, 16, 1280),
                                             (mobilenet_v2.mobilenet_v2_035, 16, 1280)])
def test_width_constructors(fn, depth, last):
    model, _, ep = build(fn, images(1, 32), num_classes=10)
    assert ep["layer_1"].shape[3] == depth and ep["layer_19"].shape[3] == last
    assert fn.default_image_size == 224 and next(iter(model.tf_variables())).startswith("MobilenetV2/")


def test_training_scope_trains_batch_norm_and_regularizes_conv_weights_only():
    with slim.arg_scope(mobilenet_v2.training_scope(weight_decay=1e-3)):
        model = slim.Model(mobilenet_v2.mobilenet, num_classes=5, depth_multiplier=0.35)
    model.train()
    model(images(2, 32))
    moving = model.tf_variables()["MobilenetV2/Conv/BatchNorm/moving_mean"].tensor
    assert moving.abs().sum() > 0                                    # updated by the training call
    decayed = [name for name, var in model.tf_variables().items() if var.regularizer is not None]
    assert decayed and all(name.endswith("/weights") for name in decayed)
    assert not any("depthwise" in name for name in decayed)
    assert len(model.regularization_losses()) == len(conv_depths(model))


def test_eval_scope_keeps_moving_statistics():
    model = build(mobilenet_v2.mobilenet, images(2, 32), arg_scope=mobilenet_v2.training_scope(is_training=False),
                  depth_multiplier=0.35, num_classes=5)[0]
    model.train()
    model(images(2, 32))
    assert model.tf_variables()["MobilenetV2/Conv/BatchNorm/moving_mean"].tensor.abs().sum() == 0


def test_mobilenet_base_group_norm_replaces_batch_norm_and_leaves_its_table_alone():
    before = copy.deepcopy(mobilenet_v2.V2_DEF_GROUP_NORM["defaults"])
    model, net, _ = build(mobilenet_v2.mobilenet_base_group_norm, images(2, 32), depth_multiplier=0.25, groups=4)
    names = list(model.tf_variables())
    assert net.shape == (2, 1, 1, 320)  # 1280 at width 0.25
    assert "MobilenetV2/Conv/GroupNorm/gamma" in names
    assert "MobilenetV2/expanded_conv_1/expand/GroupNorm/beta" in names
    assert not any("BatchNorm" in name or "moving_mean" in name for name in names)
    assert mobilenet_v2.V2_DEF_GROUP_NORM["defaults"] == before
