"""MobileNet v3 and EdgeTPU: upstream's mobilenet_v3_test.py, ported (small inputs), and the definitions."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets.mobilenet import mobilenet_v3

from ._build import build, images


def test_large():
    logits, ep = build(mobilenet_v3.mobilenet, images(1, 64))[1:]
    assert ep["layer_19"].shape == (1, 1, 1, 1280) and logits.shape == (1, 1001)
    assert ep["layer_18"].shape == (1, 1, 1, 960)                       # reduce_to_1x1 over the 2x2 map


def test_small():
    ep = build(mobilenet_v3.mobilenet, images(1, 64), conv_defs=mobilenet_v3.V3_SMALL)[2]
    assert ep["layer_15"].shape == (1, 1, 1, 1024)


def test_edge_tpu():
    model, _, ep = build(mobilenet_v3.edge_tpu, images(1, 64))
    assert "Inference mode is created by default" in mobilenet_v3.edge_tpu.__doc__
    assert ep["layer_24"].shape == (1, 2, 2, 1280)
    assert all(name.startswith("MobilenetEdgeTPU/") for name in model.tf_variables())


def test_edge_tpu_change_scope():
    model = build(mobilenet_v3.edge_tpu, images(1, 32), scope="Scope")[0]
    assert all(name.startswith("Scope/") for name in model.tf_variables())


def test_base_only_and_two_input_sizes_on_one_model():
    model, result, ep = build(mobilenet_v3.mobilenet, images(1, 64), conv_defs=mobilenet_v3.V3_LARGE, base_only=True,
                              final_endpoint="layer_17")
    assert ep["layer_17"].shape == (1, 2, 2, 960) and result is ep["layer_17"]
    assert "global_pool" not in ep and "layer_18" not in ep
    with torch.no_grad():
        result, ep = model(images(3, 96, width=64))
    assert result.shape == (3, 3, 2, 960) and result is ep["layer_17"]


def test_squeeze_excite_and_hard_swish_in_large():
    model, _, ep = build(mobilenet_v3.large, images(1, 64))
    names = list(model.tf_variables())
    se_blocks = sorted({name.split("/")[1] for name in names if "/squeeze_excite/" in name})
    assert se_blocks == ["expanded_conv_10", "expanded_conv_11", "expanded_conv_12", "expanded_conv_13",
                         "expanded_conv_14", "expanded_conv_3", "expanded_conv_4", "expanded_conv_5"]
    assert list(model.tf_variables()["MobilenetV3/expanded_conv_3/squeeze_excite/Conv/weights"].tf_shape) == \
        [1, 1, 72, 24]
    assert ep["layer_1"].min() < 0 and ep["layer_1"].min() >= -0.375    # hard-swish's minimum is -3/8
    assert not any("Conv_2/BatchNorm" in name for name in names)         # the last 1x1 conv: no batch norm


def test_hard_swish_is_slim_nn():
    assert mobilenet_v3.hard_swish is slim.nn.hard_swish


@pytest.mark.parametrize("fn, layers, embedding", [(mobilenet_v3.small_minimalistic, 15, 1024),
                                                   (mobilenet_v3.large_minimalistic, 19, 1280)])
def test_minimalistic_has_no_squeeze_excite(fn, layers, embedding):
    model, _, ep = build(fn, images(1, 32), num_classes=7)
    assert not any("squeeze_excite" in name for name in model.tf_variables())
    assert ep[f"layer_{layers}"].shape == (1, 1, 1, embedding) and ep["Logits"].shape == (1, 7)


def test_edge_tpu_075_keeps_the_last_layer_and_fuses_early_blocks():
    model, _, ep = build(mobilenet_v3.edge_tpu_075, images(1, 32))
    assert ep["layer_1"].shape[3] == 24 and ep["layer_24"].shape[3] == 1280
    variables = model.tf_variables()
    assert list(variables["MobilenetEdgeTPU/expanded_conv_1/expand/weights"].tf_shape) == [3, 3, 16, 128]
    assert "MobilenetEdgeTPU/expanded_conv_1/depthwise/depthwise_weights" not in variables
    assert "layer_3/depthwise_output" not in ep and "layer_11/depthwise_output" in ep


def test_reduce_to_1x1_uses_the_default_window_on_non_square_maps():
    out = slim.Model(lambda x: mobilenet_v3.reduce_to_1x1(x, default_size=2, stride=1, padding="VALID"))(
        images(1, 3, width=4, channels=2))
    assert out.shape == (1, 2, 3, 2)


def test_detection_definitions_halve_the_last_blocks():
    widths = [layer.params.get("num_outputs") for layer in mobilenet_v3.V3_LARGE_DETECTION["spec"]]
    assert widths[13:17] == [80, 80, 80, 480] and widths[12] == 112
    assert [layer.params.get("num_outputs") for layer in mobilenet_v3.V3_LARGE["spec"]][13] == 160
    assert [layer.params.get("num_outputs") for layer in mobilenet_v3.V3_SMALL_DETECTION["spec"]][9:13] == \
        [48, 48, 48, 288]


def test_multiplier_is_refused():
    with pytest.raises(ValueError, match="depth_multiplier"):
        build(mobilenet_v3.mobilenet, images(1, 32), multiplier=0.5)
