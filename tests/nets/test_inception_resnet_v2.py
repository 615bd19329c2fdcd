"""Slim's Inception-ResNet-v2: the manifest, the shape tables of models' inception_resnet_v2_test.py, numbers.

There are no golden values for this net (only the manifest made by running Slim's code), so the
numeric tests check a block and the heads against plain PyTorch ops on the same weights. Shape-only
tests run on the ``meta`` device (no arithmetic), the analogue of building a TF graph.
"""

from __future__ import annotations

import json

import pytest
import torch

import torchslim as slim
from torchslim.nets import inception_resnet_v2 as irv2

from . import _inception_resnet as ref

PARAMS = 59_182_258  # excluding the moving statistics
PARAMS_ALL = 59_244_594


def _images(batch: int, height: int = 299, width: int = None, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, height, width or height, 3, generator=gen) * 2 - 1


def _meta(batch: int, height: int, width: int = None) -> torch.Tensor:
    return torch.empty(batch, height, width or height, 3, device="meta")


def _shapes(end_points):
    return {k: tuple(v.shape[1:]) for k, v in end_points.items()}


@pytest.fixture(scope="module")
def manifest(fixtures_dir):
    return json.loads((fixtures_dir / "manifests" / "inception_resnet_v2.json").read_text())


@pytest.fixture(scope="module")
def full_v2():
    """The manifest's configuration (default arg_scope, 1001 classes, is_training=False), 1x299x299."""
    torch.manual_seed(0)
    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
        model = slim.Model(irv2.inception_resnet_v2, num_classes=1001, is_training=False)
    with torch.no_grad():
        model.build(_images(1))
        ref.randomize_batch_norm(model)
        logits, end_points = model(_images(1))
    return model, logits, end_points


# ------------------------------------------------------------------------------------------------
# Against Slim's variables and end points.


def test_variables_match_manifest_names_shapes_order(full_v2, manifest):
    model, _, _ = full_v2
    got = [(name, list(var.tf_shape)) for name, var in model.tf_variables().items()]
    assert got == [(name, shape) for name, shape, _ in manifest["variables"]]
    assert len(got) == manifest["num_variables"] == 908
    assert [v.name for v in slim.get_trainable_variables(model=model)] == manifest["trainable_variables"]


def test_end_points_match_manifest(full_v2, manifest):
    _, logits, end_points = full_v2
    assert [(k, [2] + list(v.shape[1:])) for k, v in end_points.items()] == [(k, s) for k, s in manifest["end_points"]]
    assert list(logits.shape) == [1, 1001]


def test_parameter_counts_and_regularization(full_v2, manifest):
    model, _, _ = full_v2
    trainable = sum(p.numel() for p in model.parameters())
    assert trainable == manifest["num_parameters_trainable"] == PARAMS
    assert trainable + sum(b.numel() for b in model.buffers()) == manifest["num_parameters_all"] == PARAMS_ALL
    losses = model.regularization_losses()
    assert len(losses) == manifest["num_regularization_losses"] == 290  # weights and biases, 4e-5
    bias = model.variable("InceptionResnetV2/Logits/Logits/biases").to_tf()
    assert any(torch.equal(loss, 4e-5 * bias.square().sum() / 2) for loss in losses)


def test_base_shape_table_299(full_v2):
    """models' testBuildBaseNetwork / shape table (VALID stem, output_stride 16)."""
    _, _, end_points = full_v2
    assert list(end_points)[:12] == list(irv2.BASE_END_POINTS)
    assert _shapes(end_points) == {
        "Conv2d_1a_3x3": (149, 149, 32), "Conv2d_2a_3x3": (147, 147, 32), "Conv2d_2b_3x3": (147, 147, 64),
        "MaxPool_3a_3x3": (73, 73, 64), "Conv2d_3b_1x1": (73, 73, 80), "Conv2d_4a_3x3": (71, 71, 192),
        "MaxPool_5a_3x3": (35, 35, 192), "Mixed_5b": (35, 35, 320), "Mixed_6a": (17, 17, 1088),
        "PreAuxLogits": (17, 17, 1088), "Mixed_7a": (8, 8, 2080), "Conv2d_7b_1x1": (8, 8, 1536),
        "AuxLogits": (1001,), "global_pool": (1, 1, 1536), "PreLogitsFlatten": (1536,), "Logits": (1001,),
        "Predictions": (1001,),
    }


def test_heads_match_plain_torch_ops(full_v2):
    model, logits, end_points = full_v2
    var = model.tf_variables()
    pooled = end_points["Conv2d_7b_1x1"].mean(dim=(1, 2))
    torch.testing.assert_close(end_points["global_pool"].flatten(1), pooled, rtol=0, atol=1e-5)
    assert end_points["Logits"] is logits
    expected = pooled @ var["InceptionResnetV2/Logits/Logits/weights"].to_tf() + \
        var["InceptionResnetV2/Logits/Logits/biases"].to_tf()
    torch.testing.assert_close(logits, expected, rtol=0, atol=1e-4)
    torch.testing.assert_close(end_points["Predictions"], torch.softmax(logits, dim=-1), rtol=0, atol=0)
    torch.testing.assert_close(end_points["Predictions"].sum(dim=-1), torch.ones(1))
    assert var["InceptionResnetV2/AuxLogits/Conv2d_2a_5x5/weights"].tf_shape == (5, 5, 128, 768)


def test_exported_names():
    assert irv2.inception_resnet_v2.default_image_size == irv2.default_image_size == 299
    for name in ("inception_resnet_v2", "inception_resnet_v2_base", "inception_resnet_v2_arg_scope", "block35",
                 "block17", "block8"):
        assert callable(getattr(irv2, name))


# ------------------------------------------------------------------------------------------------
# inception_resnet_v2_base options (shape tables of models' inception_resnet_v2_test.py).


@pytest.mark.parametrize("final_endpoint", irv2.BASE_END_POINTS[:10])
def test_build_only_up_to_final_endpoint(final_endpoint):
    model = slim.Model(irv2.inception_resnet_v2_base, final_endpoint=final_endpoint)
    net, end_points = model(_meta(1, 299))
    index = irv2.BASE_END_POINTS.index(final_endpoint)
    assert list(end_points) == list(irv2.BASE_END_POINTS[:index + 1])
    assert net is end_points[final_endpoint]
    names = list(model.tf_variables())
    assert all(n.startswith("InceptionResnetV2/") for n in names)
    assert not any("Mixed_7a" in n or "Conv2d_7b" in n for n in names)


def test_align_feature_maps_shapes():
    model = slim.Model(irv2.inception_resnet_v2_base, final_endpoint="PreAuxLogits", align_feature_maps=True)
    _, end_points = model(_meta(2, 299))
    sizes = {k: s[:2] for k, s in _shapes(end_points).items()}
    assert sizes == {"Conv2d_1a_3x3": (150, 150), "Conv2d_2a_3x3": (150, 150), "Conv2d_2b_3x3": (150, 150),
                     "MaxPool_3a_3x3": (75, 75), "Conv2d_3b_1x1": (75, 75), "Conv2d_4a_3x3": (75, 75),
                     "MaxPool_5a_3x3": (38, 38), "Mixed_5b": (38, 38), "Mixed_6a": (19, 19),
                     "PreAuxLogits": (19, 19)}
    assert _shapes(end_points)["PreAuxLogits"][2] == 1088


def test_output_stride_8_shapes():
    model = slim.Model(irv2.inception_resnet_v2_base, final_endpoint="PreAuxLogits", output_stride=8)
    _, end_points = model(_meta(2, 299))
    sizes = _shapes(end_points)
    assert sizes["Mixed_5b"] == (35, 35, 320)
    assert sizes["Mixed_6a"] == sizes["PreAuxLogits"] == (33, 33, 1088)


def test_output_stride_8_has_the_variables_of_output_stride_16():
    """Only strides and rates change: a checkpoint of the usual net restores into the atrous one."""
    def both(x):
        with slim.variable_scope("os16"):
            irv2.inception_resnet_v2_base(x, final_endpoint="PreAuxLogits")
        with slim.variable_scope("os8"):
            return irv2.inception_resnet_v2_base(x, final_endpoint="PreAuxLogits", output_stride=8)

    model = slim.Model(both)
    model(_meta(1, 160))
    shapes = {}
    for name, var in model.tf_variables().items():
        shapes.setdefault(name.split("/", 1)[0], []).append((name.split("/", 1)[1], var.tf_shape))
    assert shapes["os16"] == shapes["os8"]


@pytest.mark.parametrize("kwargs, message", [
    ({"final_endpoint": "Mixed_8a"}, "final_endpoint"),
    ({"output_stride": 32}, "output_stride must be 8 or 16"),
    ({"output_stride": 8, "final_endpoint": "Mixed_7a"}, "only supported up to the PreAuxlogits"),
    ({"output_stride": 8}, "only supported up to the PreAuxlogits"),
])
def test_base_argument_errors_before_any_variable(kwargs, message):
    model = slim.Model(irv2.inception_resnet_v2_base, **kwargs)
    with pytest.raises(ValueError, match=message):
        model(_meta(1, 299))
    assert len(model.tf_variables()) == 0


@pytest.fixture(scope="module")
def no_aux_meta():
    """The full net without AuxLogits: its variables do not depend on the image size."""
    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
        model = slim.Model(irv2.inception_resnet_v2, num_classes=1000, create_aux_logits=False)
    model.build(_meta(1, 299))
    return model


def test_half_size_images(no_aux_meta):
    logits, end_points = no_aux_meta(_meta(5, 150))
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Conv2d_7b_1x1"].shape) == (5, 3, 3, 1536)
    assert "AuxLogits" not in end_points


@pytest.mark.parametrize("height, width, rows, cols", [(330, 400, 8, 11), (400, 600, 11, 17)])
def test_global_pool_on_larger_images(no_aux_meta, height, width, rows, cols):
    """testGlobalPool (330x400) and a wider image: the head pools whatever Conv2d_7b_1x1's size is."""
    logits, end_points = no_aux_meta(_meta(1, height, width))
    assert tuple(end_points["Conv2d_7b_1x1"].shape) == (1, rows, cols, 1536)
    assert tuple(end_points["global_pool"].shape) == (1, 1, 1, 1536)
    assert tuple(logits.shape) == (1, 1000)


def test_no_classes_returns_the_global_pool(no_aux_meta):
    net, end_points = no_aux_meta(_meta(5, 299), num_classes=None)
    assert tuple(net.shape) == (5, 1, 1, 1536)
    assert list(end_points)[-1] == "global_pool"
    assert "Logits" not in end_points and "PreLogitsFlatten" not in end_points


def test_aux_logits_at_half_size():
    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
        model = slim.Model(irv2.inception_resnet_v2, num_classes=1000)
    logits, end_points = model(_meta(2, 150))
    assert tuple(end_points["AuxLogits"].shape) == (2, 1000)
    # PreAuxLogits is 7x7 at 150x150; the 5x5/3 pool leaves 1x1, so the "5x5" conv is 1x1.
    assert model.variable("InceptionResnetV2/AuxLogits/Conv2d_2a_5x5/weights").tf_shape == (1, 1, 128, 768)


def test_train_and_eval_with_reuse():
    def train_then_eval(train_images, eval_images):
        logits, _ = irv2.inception_resnet_v2(train_images, num_classes=10)
        eval_logits, _ = irv2.inception_resnet_v2(eval_images, num_classes=10, is_training=False, reuse=True)
        return logits, eval_logits

    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
        model = slim.Model(train_then_eval)
    logits, eval_logits = model(_meta(5, 299), _meta(2, 299))
    assert tuple(logits.shape) == (5, 10) and tuple(eval_logits.shape) == (2, 10)
    assert len(model.tf_variables()) == 908


# ------------------------------------------------------------------------------------------------
# The arg_scope.


def test_arg_scope_options():
    def stem(x):
        return irv2.inception_resnet_v2_base(x, final_endpoint="Conv2d_1a_3x3")

    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope(weight_decay=0.0, batch_norm_scale=True,
                                                           activation_fn=slim.nn.relu6)):
        model = slim.Model(stem)
    model.eval()  # moving statistics (0, 1): large inputs stay large until relu6
    net, _ = model(_images(1, 33) * 100)
    assert list(model.tf_variables()) == [  # TF's Keras BatchNorm path: gamma before beta
        "InceptionResnetV2/Conv2d_1a_3x3/weights", "InceptionResnetV2/Conv2d_1a_3x3/BatchNorm/gamma",
        "InceptionResnetV2/Conv2d_1a_3x3/BatchNorm/beta", "InceptionResnetV2/Conv2d_1a_3x3/BatchNorm/moving_mean",
        "InceptionResnetV2/Conv2d_1a_3x3/BatchNorm/moving_variance"]
    assert model.regularization_losses() == []
    assert float(net.detach().max()) == 6.0 and float(net.detach().min()) >= 0.0


# ------------------------------------------------------------------------------------------------
# Blocks: numeric self-consistency against plain PyTorch.


V2_WIDTHS = {"block35": 320, "block17": 1088, "block8": 2080}


@pytest.mark.parametrize("block", ["block35", "block17", "block8"])
def test_block_matches_plain_torch_ops(block):
    """A block in Slim's arg_scope (eval BatchNorm with gamma) against NCHW convolutions on the same weights."""
    torch.manual_seed(1)
    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope(batch_norm_scale=True)):
        with slim.arg_scope([slim.batch_norm], is_training=False):
            model = slim.Model(getattr(irv2, block), scale=0.2)
    x = torch.randn(2, 5, 4, V2_WIDTHS[block])
    model.build(x)
    ref.randomize_batch_norm(model, seed=2)
    with torch.no_grad():
        got = model(x)
        expected = ref.block(model, ref.BLOCK_SCOPES[block], ref.BLOCK_TOWERS[block], x.permute(0, 3, 1, 2), 0.2)
    torch.testing.assert_close(got, expected.permute(0, 2, 3, 1), rtol=0, atol=1e-4)


def test_relu6_clips_the_scaled_residual():
    def pair(x):
        plain = irv2.block35(x, scale=1.0, activation_fn=None, scope="Block35")
        clipped = irv2.block35(x, scale=1000.0, activation_fn=slim.nn.relu6, scope="Block35", reuse=True)
        return plain, clipped

    torch.manual_seed(3)
    model = slim.Model(pair)
    x = torch.randn(1, 4, 4, 320) * 3
    with torch.no_grad():
        plain, clipped = model(x)
    scaled_up = 1000.0 * (plain - x)  # float32 round-off of `plain`, times 1000: compare within 2e-3
    assert (scaled_up.abs() > 6).float().mean() > 0.5  # the clip is active for most values
    expected = torch.clamp(x + torch.clamp(scaled_up, -6.0, 6.0), 0.0, 6.0)
    torch.testing.assert_close(clipped, expected, rtol=0, atol=2e-3)
    unclipped = torch.clamp(x + scaled_up, 0.0, 6.0)
    assert (clipped - unclipped).abs().max() > 1.0
    assert len(model.tf_variables()) == 14  # shared: 6 branch convs + the up-projection, weights and biases


# ------------------------------------------------------------------------------------------------
# Full size.


@pytest.mark.slow
def test_full_size_training_step():
    """Forward and backward at 299x299 in training mode; BatchNorm updates its moving statistics."""
    torch.manual_seed(4)
    with slim.arg_scope(irv2.inception_resnet_v2_arg_scope()):
        model = slim.Model(irv2.inception_resnet_v2, num_classes=1001)
    model.train()
    images = _images(2)
    model.build(images)
    name = "InceptionResnetV2/Conv2d_7b_1x1/BatchNorm/moving_mean"
    before = model.variable(name).to_tf()
    logits, end_points = model(images)
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor([3, 7]))
    loss = loss + 0.4 * torch.nn.functional.cross_entropy(end_points["AuxLogits"], torch.tensor([3, 7]))
    loss = loss + torch.stack(model.regularization_losses()).sum()
    loss.backward()
    first = model.variable("InceptionResnetV2/Conv2d_1a_3x3/weights").tensor
    assert torch.isfinite(loss) and first.grad is not None and first.grad.abs().sum() > 0
    assert not torch.equal(model.variable(name).to_tf(), before)
