"""S3D-G: upstream's ``s3dg_test.py`` ported, plus the options it leaves out (gating and temporal starts,
NCDHW, depth_multiplier, min_depth, first_temporal_kernel_size) and ``self_gating`` by hand.

Upstream's cases are at 64 frames of 224x224: their shapes are checked on ``meta`` tensors (PyTorch's
shape functions, no arithmetic); the cases that compute do so on 8 frames of 32-64 px.
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import s3dg

ENDPOINTS = list(s3dg.BASE_END_POINTS)
SHAPES_224 = {  # upstream's testBuildAndCheckAllEndPointsUptoMixed5c, batch 5, 64 frames
    "Conv2d_1a_7x7": [5, 32, 112, 112, 64], "MaxPool_2a_3x3": [5, 32, 56, 56, 64],
    "Conv2d_2b_1x1": [5, 32, 56, 56, 64], "Conv2d_2c_3x3": [5, 32, 56, 56, 192],
    "MaxPool_3a_3x3": [5, 32, 28, 28, 192], "Mixed_3b": [5, 32, 28, 28, 256], "Mixed_3c": [5, 32, 28, 28, 480],
    "MaxPool_4a_3x3": [5, 16, 14, 14, 480], "Mixed_4b": [5, 16, 14, 14, 512], "Mixed_4c": [5, 16, 14, 14, 512],
    "Mixed_4d": [5, 16, 14, 14, 512], "Mixed_4e": [5, 16, 14, 14, 528], "Mixed_4f": [5, 16, 14, 14, 832],
    "MaxPool_5a_2x2": [5, 8, 7, 7, 832], "Mixed_5b": [5, 8, 7, 7, 832], "Mixed_5c": [5, 8, 7, 7, 1024],
}


def meta(*shape):
    return torch.zeros(*shape, device="meta")


def build(fn, inputs, arg_scope=True, **kwargs):
    """``(model, outputs)`` of ``fn(inputs, **kwargs)`` under ``s3dg_arg_scope`` (eval mode)."""
    with slim.arg_scope(s3dg.s3dg_arg_scope() if arg_scope else {}):
        model = slim.Model(fn, **kwargs)
    model.eval()
    with torch.no_grad():
        return model, model(inputs)


def names(model):
    return {name: list(v.tf_shape) for name, v in model.tf_variables().items()}


# --- upstream s3dg_test.py ----------------------------------------------------------------------


def test_build_classification_network():
    model, (logits, end_points) = build(s3dg.s3dg, meta(5, 64, 224, 224, 3), num_classes=1000)
    assert list(logits.shape) == [5, 1000]
    assert list(end_points["Predictions"].shape) == [5, 1000]
    assert names(model)["InceptionV1/Logits/Conv2d_0c_1x1/weights"] == [1, 1, 1, 1024, 1000]
    assert list(end_points)[-2:] == ["Logits", "Predictions"]


def test_build_base_network_and_all_end_points():
    model, (net, end_points) = build(s3dg.s3dg_base, meta(5, 64, 224, 224, 3))
    assert list(net.shape) == [5, 8, 7, 7, 1024]
    assert {k: list(v.shape) for k, v in end_points.items()} == SHAPES_224
    assert list(end_points) == ENDPOINTS
    assert list(model.tf_variables())[-1].startswith("InceptionV1/Mixed_5c/")


@pytest.mark.slow
def test_build_only_up_to_final_endpoint_no_gating():
    for index, endpoint in enumerate(ENDPOINTS):
        model, (net, end_points) = build(s3dg.s3dg_base, meta(5, 64, 224, 224, 3), final_endpoint=endpoint,
                                         gating_startat=None)
        assert list(end_points) == ENDPOINTS[:index + 1]
        assert list(net.shape) == SHAPES_224[endpoint]
        last = [name for name in model.tf_variables() if name.startswith(f"InceptionV1/{endpoint}/")]
        assert bool(last) == (not endpoint.startswith("MaxPool")), endpoint
        assert not any("self_gating" in name for name in model.tf_variables())


def test_half_size_images_and_ten_frames():
    _, (net, _) = build(s3dg.s3dg_base, meta(5, 64, 112, 112, 3))
    assert list(net.shape) == [5, 8, 4, 4, 1024]
    _, (net, _) = build(s3dg.s3dg_base, meta(5, 10, 224, 224, 3))
    assert list(net.shape) == [5, 2, 7, 7, 1024]


def test_evaluation():
    _, (logits, _) = build(s3dg.s3dg, torch.rand(2, 8, 64, 64, 3), num_classes=10, is_training=False)
    assert logits.argmax(dim=1).shape == (2,)
    assert torch.isfinite(logits).all()


def test_unknown_batch_size_one_model_two_batches():
    model, (logits, _) = build(s3dg.s3dg, torch.rand(1, 8, 32, 32, 3), num_classes=7, is_training=False)
    count = len(model.tf_variables())
    x = torch.rand(3, 8, 32, 32, 3)
    with torch.no_grad():
        batched, _ = model(x)
        single, _ = model(x[1:2])
    assert logits.shape == (1, 7) and batched.shape == (3, 7) and len(model.tf_variables()) == count
    torch.testing.assert_close(batched[1:2], single, rtol=1e-4, atol=1e-5)


# --- the options upstream's test leaves out -------------------------------------------------------


def test_default_variables_separable_and_gated_from_conv2d_2c():
    model, _ = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), final_endpoint="Mixed_3b")
    shapes = names(model)
    assert shapes["InceptionV1/Conv2d_1a_7x7/weights"] == [3, 7, 7, 3, 64]
    assert shapes["InceptionV1/Conv2d_2c_3x3/weights"] == [1, 3, 3, 64, 192]
    assert shapes["InceptionV1/Conv2d_2c_3x3/temporal/weights"] == [3, 1, 1, 192, 192]
    assert shapes["InceptionV1/Conv2d_2c_3x3/temporal/biases"] == [192]
    assert "InceptionV1/Conv2d_2c_3x3/temporal/BatchNorm/beta" not in shapes
    assert shapes["InceptionV1/Conv2d_2c_3x3/self_gating/transformer_W/weights"] == [1, 1, 1, 192, 192]
    assert "InceptionV1/Conv2d_2c_3x3/self_gating/transformer_W/biases" not in shapes
    for branch, conv in (("Branch_0", "Conv2d_0a_1x1"), ("Branch_1", "Conv2d_0b_3x3"), ("Branch_2", "Conv2d_0b_3x3"),
                         ("Branch_3", "Conv2d_0b_1x1")):
        assert f"InceptionV1/Mixed_3b/{branch}/{conv}/self_gating/transformer_W/weights" in shapes
    assert shapes["InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/temporal/weights"] == [3, 1, 1, 128, 128]


def test_temporal_conv_and_gating_start_later():
    model, _ = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), final_endpoint="Mixed_4b",
                     temporal_conv_startat="Mixed_3c", gating_startat="Mixed_4b")
    shapes = names(model)
    assert not any("/temporal/" in n for n in shapes if n.startswith(("InceptionV1/Conv2d", "InceptionV1/Mixed_3b")))
    assert shapes["InceptionV1/Mixed_3b/Branch_1/Conv2d_0b_3x3/weights"] == [1, 3, 3, 96, 128]
    assert shapes["InceptionV1/Mixed_3c/Branch_1/Conv2d_0b_3x3/temporal/weights"] == [3, 1, 1, 192, 192]
    gated = sorted({n.split("/")[1] for n in shapes if "self_gating" in n})
    assert gated == ["Mixed_4b"]


@pytest.mark.parametrize("start", [None, "MaxPool_4a_3x3", "NoSuchBlock"])
def test_a_start_that_is_no_block_switches_nothing_on(start):
    model, _ = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), final_endpoint="Mixed_4b",
                     temporal_conv_startat=start, gating_startat=start)
    assert not any("/temporal/" in n or "self_gating" in n for n in model.tf_variables())


def test_ncdhw():
    model, (net, end_points) = build(s3dg.s3dg_base, meta(5, 3, 64, 224, 224), data_format="NCDHW")
    assert {k: list(v.shape) for k, v in end_points.items()} == {
        k: [s[0], s[4], s[1], s[2], s[3]] for k, s in SHAPES_224.items()}
    _, (logits, _) = build(s3dg.s3dg, meta(2, 3, 64, 224, 224), data_format="NCDHW", num_classes=10)
    assert list(logits.shape) == [2, 10]
    # Without batch norm (which upstream's arg scope leaves in NHWC, normalising the last axis),
    # NCDHW computes what NDHWC computes.
    x = torch.rand(1, 8, 32, 32, 3)
    ndhwc, (want, _) = build(s3dg.s3dg_base, x, arg_scope=False, final_endpoint="Mixed_3b")
    ncdhw = slim.Model(s3dg.s3dg_base, final_endpoint="Mixed_3b", data_format="NCDHW")
    ncdhw.build(x.permute(0, 4, 1, 2, 3))
    ncdhw.load_state_dict(ndhwc.state_dict())
    with torch.no_grad():
        got, _ = ncdhw(x.permute(0, 4, 1, 2, 3))
    torch.testing.assert_close(got, want.permute(0, 4, 1, 2, 3), rtol=1e-4, atol=1e-5)


def test_depth_multiplier_and_min_depth():
    _, (net, end_points) = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), depth_multiplier=0.5)
    assert net.shape[-1] == 192 + 192 + 64 + 64 and end_points["Conv2d_1a_7x7"].shape[-1] == 32
    model, (net, end_points) = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), depth_multiplier=0.1)
    assert end_points["Conv2d_1a_7x7"].shape[-1] == 16  # max(int(6.4), 16)
    assert net.shape[-1] == 38 + 38 + 16 + 16
    _, (net, _) = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), depth_multiplier=0.1, min_depth=4)
    assert net.shape[-1] == 38 + 38 + 12 + 12
    for bad in (0.0, -0.1):
        with pytest.raises(ValueError, match="depth_multiplier is not greater than zero."):
            build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), depth_multiplier=bad)


def test_argument_errors():
    with pytest.raises(ValueError, match="first_temporal_kernel_size can only be 1, 3, 5 or 7."):
        build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), first_temporal_kernel_size=2)
    with pytest.raises(ValueError, match="Unknown final endpoint Logits"):
        build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), final_endpoint="Logits")
    with pytest.raises(ValueError, match="data_format"):
        build(s3dg.s3dg, meta(1, 16, 224, 224, 3), data_format="NHWC")
    model, _ = build(s3dg.s3dg_base, meta(1, 16, 224, 224, 3), first_temporal_kernel_size=7,
                     final_endpoint="Conv2d_1a_7x7")
    assert names(model)["InceptionV1/Conv2d_1a_7x7/weights"] == [7, 7, 7, 3, 64]


def test_self_gating_by_hand():
    x = torch.rand(2, 3, 4, 4, 5)
    model = slim.Model(lambda t: s3dg.self_gating(t, scope="Conv"))
    model.build(x)
    assert names(model) == {"Conv/self_gating/transformer_W/weights": [1, 1, 1, 5, 5]}
    w = model.variable("Conv/self_gating/transformer_W/weights").tensor.detach()  # [out, in, 1, 1, 1]
    with torch.no_grad():
        got = model(x)
    gate = torch.sigmoid(x.mean(dim=(1, 2, 3)) @ w[:, :, 0, 0, 0].T)  # [N, C]
    torch.testing.assert_close(got, x * gate[:, None, None, None, :])
    nc = x.permute(0, 4, 1, 2, 3)
    other = slim.Model(lambda t: s3dg.self_gating(t, scope="Conv", data_format="NCDHW"))
    other.build(nc)
    other.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(other(nc), got.permute(0, 4, 1, 2, 3))


def test_default_image_size():
    assert s3dg.s3dg.default_image_size == 224
