"""facenet's Inception-ResNet-v1: variables and end points against the TF manifest, facenet's options, numbers.

There are no golden values for this net (only the manifest made by running facenet's code), so the
numeric tests check the blocks and the head against plain PyTorch ops on the same weights.
"""

from __future__ import annotations

import json

import pytest
import torch

import torchslim as slim
from torchslim.nets import inception_resnet_v1 as irv1
from torchslim.nets import inception_resnet_v2 as irv2

from . import _inception_resnet as ref

PARAMS_512 = 23_467_824  # excluding the moving statistics (facenet's README figure for 512-d embeddings)
PARAMS_128 = 22_779_312


def _images(batch: int = 2, size: int = 160, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, size, size, 3, generator=gen) * 2 - 1


@pytest.fixture(scope="module")
def manifest(fixtures_dir):
    return json.loads((fixtures_dir / "manifests" / "facenet_inception_resnet_v1.json").read_text())


@pytest.fixture(scope="module")
def facenet():
    """The manifest's configuration: inference(x, 0.8, phase_train=False, bottleneck_layer_size=512), 2x160x160."""
    torch.manual_seed(0)
    model = slim.Model(irv1.inference, keep_probability=0.8, phase_train=False, bottleneck_layer_size=512,
                       weight_decay=0.0)
    with torch.no_grad():
        model.build(_images())
        ref.randomize_batch_norm(model)
        prelogits, end_points = model(_images())
    return model, prelogits, end_points


# ------------------------------------------------------------------------------------------------
# Against facenet's variables and end points.


def test_variables_match_manifest_names_shapes_order(facenet, manifest):
    model, _, _ = facenet
    got = [(name, list(var.tf_shape)) for name, var in model.tf_variables().items()]
    assert manifest["call"]["kwargs"]["bottleneck_layer_size"] == 512
    assert got == [(name, shape) for name, shape, _ in manifest["variables"]]
    assert len(got) == manifest["num_variables"] == 490


def test_end_points_match_manifest(facenet, manifest):
    _, prelogits, end_points = facenet
    assert [(k, list(v.shape)) for k, v in end_points.items()] == [(k, s) for k, s in manifest["end_points"]]
    assert list(prelogits.shape) == manifest["outputs"][0][1] == [2, 512]


def test_parameter_counts_and_facenet_collections(facenet, manifest):
    model, _, _ = facenet
    trainable = sum(p.numel() for p in model.parameters())
    everything = trainable + sum(b.numel() for b in model.buffers())
    assert trainable == PARAMS_512
    assert everything == manifest["num_parameters_all"]
    # facenet puts the moving statistics into TRAINABLE_VARIABLES (they stay buffers here).
    names = [v.name for v in slim.get_trainable_variables(model=model)]
    assert names == manifest["trainable_variables"]
    assert not any(n.endswith("/gamma") for n in model.tf_variables())
    assert not model.variable("InceptionResnetV1/Bottleneck/BatchNorm/moving_mean").trainable
    assert model.regularization_losses() == []  # weight_decay=0.0 adds no loss


def test_parameter_count_with_bottleneck_128():
    model = slim.Model(irv1.inference, keep_probability=1.0, phase_train=False)  # facenet's default 128
    model.build(_images(batch=2, size=96))
    assert sum(p.numel() for p in model.parameters()) == PARAMS_128
    assert model.variable("InceptionResnetV1/Bottleneck/weights").tf_shape == (1792, 128)


def test_end_point_shapes_at_299():
    model = slim.Model(irv1.inference, keep_probability=1.0, phase_train=False)
    with torch.no_grad():
        _, end_points = model(torch.zeros(1, 299, 299, 3, device="meta"))
    sizes = {k: tuple(v.shape[1:]) for k, v in end_points.items()}
    assert sizes["Conv2d_1a_3x3"] == (149, 149, 32)
    assert sizes["MaxPool_3a_3x3"] == (73, 73, 64)
    assert sizes["Mixed_5a"] == (35, 35, 256)
    assert sizes["Mixed_6a"] == sizes["Mixed_6b"] == (17, 17, 896)
    assert sizes["Mixed_7a"] == sizes["Mixed_8b"] == sizes["PrePool"] == (8, 8, 1792)
    assert sizes["PreLogitsFlatten"] == (1792,)


# ------------------------------------------------------------------------------------------------
# facenet's head, embeddings and options.


def test_head_is_pool_then_bottleneck_batch_norm(facenet):
    model, prelogits, end_points = facenet
    pooled = end_points["Mixed_8b"].mean(dim=(1, 2))
    torch.testing.assert_close(end_points["PreLogitsFlatten"], pooled, rtol=0, atol=1e-5)
    assert end_points["PrePool"] is end_points["Mixed_8b"]
    weights = model.variable("InceptionResnetV1/Bottleneck/weights").to_tf()
    bn = {k: model.variable(f"InceptionResnetV1/Bottleneck/BatchNorm/{k}").to_tf()
          for k in ("beta", "moving_mean", "moving_variance")}
    expected = (pooled @ weights - bn["moving_mean"]) / torch.sqrt(bn["moving_variance"] + 0.001) + bn["beta"]
    torch.testing.assert_close(prelogits, expected, rtol=0, atol=1e-4)


def test_embeddings_are_unit_norm(facenet):
    _, prelogits, _ = facenet
    emb = irv1.embeddings(prelogits)
    torch.testing.assert_close(emb.norm(dim=1), torch.ones(2), rtol=0, atol=1e-6)
    torch.testing.assert_close(emb * prelogits.norm(dim=1, keepdim=True), prelogits, rtol=1e-5, atol=1e-6)
    assert torch.equal(irv1.embeddings(torch.zeros(1, 4)), torch.zeros(1, 4))  # epsilon, no NaN


def test_phase_train_as_bool_tensor():
    torch.manual_seed(1)
    model = slim.Model(irv1.inference, keep_probability=1.0, bottleneck_layer_size=16)
    x = _images(batch=2, size=80)
    with torch.no_grad():
        as_bool, _ = model(x, phase_train=False)
        as_tensor, _ = model(x, phase_train=torch.tensor(False))
        torch.testing.assert_close(as_tensor, as_bool, rtol=0, atol=0)
        moving = model.variable("InceptionResnetV1/Conv2d_1a_3x3/BatchNorm/moving_mean").to_tf()
        model(x, phase_train=torch.tensor(True))
    updated = model.variable("InceptionResnetV1/Conv2d_1a_3x3/BatchNorm/moving_mean").to_tf()
    assert not torch.equal(updated, moving)  # training call: batch statistics, in-place update (decay .995)


def test_is_training_none_follows_model_mode():
    torch.manual_seed(2)
    model = slim.Model(irv1.inference, keep_probability=0.5, phase_train=None, bottleneck_layer_size=8)
    x = _images(batch=2, size=80)
    name = "InceptionResnetV1/Bottleneck/BatchNorm/moving_variance"
    model.eval()
    with torch.no_grad():
        first, _ = model(x)
        second, _ = model(x)
    torch.testing.assert_close(first, second, rtol=0, atol=0)
    before = model.variable(name).to_tf()
    model.train()
    with torch.no_grad():
        model(x)
    assert not torch.equal(model.variable(name).to_tf(), before)


def test_reuse_shares_every_variable():
    def siamese(a, b):
        emb_a, _ = irv1.inference(a, 1.0, phase_train=False, bottleneck_layer_size=8)
        emb_b, _ = irv1.inference(b, 1.0, phase_train=False, bottleneck_layer_size=8, reuse=True)
        return emb_a, emb_b

    torch.manual_seed(3)
    model = slim.Model(siamese)
    x = _images(batch=1, size=80)
    with torch.no_grad():
        emb_a, emb_b = model(x, x)
    assert len(model.tf_variables()) == 490
    torch.testing.assert_close(emb_a, emb_b, rtol=0, atol=0)


def test_second_tower_without_reuse_is_an_error():
    def twice(x):
        irv1.inference(x, 1.0, phase_train=False, bottleneck_layer_size=8)
        return irv1.inference(x, 1.0, phase_train=False, bottleneck_layer_size=8)

    with pytest.raises(ValueError, match="InceptionResnetV1/Conv2d_1a_3x3/weights already exists"):
        slim.Model(twice)(torch.zeros(1, 80, 80, 3, device="meta"))


def test_weight_decay_regularizes_weights_only():
    torch.manual_seed(4)
    model = slim.Model(irv1.inference, keep_probability=1.0, phase_train=False, weight_decay=5e-4)
    model.build(torch.zeros(1, 80, 80, 3))
    losses = model.regularization_losses()
    assert len(losses) == 133  # every conv2d / fully_connected `weights`, no biases, no BatchNorm
    bottleneck = model.variable("InceptionResnetV1/Bottleneck/weights").to_tf()
    expected = sum(0.5 * 5e-4 * v.to_tf().square().sum() for n, v in model.tf_variables().items()
                   if n.endswith("/weights"))
    torch.testing.assert_close(torch.stack(losses).sum(), expected)
    assert bottleneck.shape == (1792, 128)


def test_arg_scope_function_matches_inference(facenet):
    reference, prelogits, _ = facenet
    with slim.arg_scope(irv1.inception_resnet_v1_arg_scope()):
        model = slim.Model(irv1.inception_resnet_v1, is_training=False, bottleneck_layer_size=512)
    model.build(_images())
    assert list(model.tf_variables()) == list(reference.tf_variables())
    model.load_state_dict(reference.state_dict())
    with torch.no_grad():
        again, _ = model(_images())
    torch.testing.assert_close(again, prelogits, rtol=0, atol=0)


def test_names_exported_for_the_nets_factory():
    assert irv1.inception_resnet_v1.default_image_size == 160
    for name in ("inference", "inception_resnet_v1", "inception_resnet_v1_arg_scope", "block35", "block17",
                 "block8", "reduction_a", "reduction_b", "embeddings"):
        assert callable(getattr(irv1, name))


# ------------------------------------------------------------------------------------------------
# Blocks: numeric self-consistency against plain PyTorch.


V1_WIDTHS = {"block35": 256, "block17": 896, "block8": 1792}


@pytest.mark.parametrize("block", ["block35", "block17", "block8"])
def test_block_matches_plain_torch_ops(block):
    """A facenet block in facenet's arg_scope (eval BatchNorm) against NCHW convolutions on the same weights."""
    torch.manual_seed(5)
    scope = ref.BLOCK_SCOPES[block]
    fn = getattr(irv1, block)
    with slim.arg_scope(irv1.inception_resnet_v1_arg_scope()):
        with slim.arg_scope([slim.batch_norm], is_training=False):
            model = slim.Model(fn, scale=0.3)
    x = torch.randn(2, 7, 6, V1_WIDTHS[block])
    model.build(x)
    ref.randomize_batch_norm(model, seed=6)
    with torch.no_grad():
        got = model(x)
        expected = ref.block(model, scope, ref.BLOCK_TOWERS[block], x.permute(0, 3, 1, 2), 0.3)
    assert next(iter(model.tf_variables())).startswith(scope + "/Branch_0/Conv2d_1x1/")
    torch.testing.assert_close(got, expected.permute(0, 2, 3, 1), rtol=0, atol=1e-4)


@pytest.mark.parametrize("module", [irv1, irv2], ids=["v1", "v2"])
@pytest.mark.parametrize("block", ["block35", "block17", "block8"])
def test_block_with_scale_zero_is_activation_of_input(module, block):
    torch.manual_seed(7)
    width = V1_WIDTHS[block] if module is irv1 else {"block35": 320, "block17": 1088, "block8": 2080}[block]
    x = torch.randn(1, 3, 4, width)
    fn = getattr(module, block)
    model = slim.Model(fn, scale=0.0)
    with torch.no_grad():
        torch.testing.assert_close(model(x), torch.relu(x), rtol=0, atol=0)
        torch.testing.assert_close(model(x, activation_fn=None), x, rtol=0, atol=0)
    assert not x.requires_grad


def test_block_does_not_modify_its_input():
    x = torch.randn(1, 3, 3, 256)
    copy = x.clone()
    slim.Model(irv1.block35, scale=1.0)(x)
    assert torch.equal(x, copy)


def test_repeat_names_blocks_as_facenet():
    def three_stages(x):
        x = slim.repeat(x, 2, irv1.block35, scale=0.17)
        return slim.repeat(x, 1, irv1.block35, scale=0.17)

    model = slim.Model(three_stages)
    model.build(torch.zeros(1, 3, 3, 256, device="meta"))
    scopes = {name.split("/")[0] + "/" + name.split("/")[1] for name in model.tf_variables()}
    assert scopes == {"Repeat/block35_1", "Repeat/block35_2", "Repeat_1/block35_1"}


def test_reductions_shapes():
    def both(x, y):
        with slim.variable_scope("Mixed_6a"):
            a = irv1.reduction_a(x, 192, 192, 256, 384)
        with slim.variable_scope("Mixed_7a"):
            return a, irv1.reduction_b(y)

    a, b = slim.Model(both)(torch.zeros(1, 35, 35, 256, device="meta"), torch.zeros(1, 17, 17, 896, device="meta"))
    assert tuple(a.shape) == (1, 17, 17, 896)
    assert tuple(b.shape) == (1, 8, 8, 1792)


# ------------------------------------------------------------------------------------------------
# Full size, as facenet runs it.


@pytest.mark.slow
def test_full_size_batch_1_and_a_training_step():
    torch.manual_seed(8)
    model = slim.Model(irv1.inference, keep_probability=0.8, bottleneck_layer_size=512)
    model.eval()
    with torch.no_grad():
        prelogits, end_points = model(_images(batch=1), phase_train=False)
    assert tuple(prelogits.shape) == (1, 512) and torch.isfinite(prelogits).all()
    assert len(end_points) == 15
    # A training step (BatchNorm needs two images for the 1x1 Bottleneck batch statistics).
    model.train()
    prelogits, _ = model(_images(batch=2), phase_train=True)
    loss = irv1.embeddings(prelogits)[:, 0].sum()
    loss.backward()
    first = model.variable("InceptionResnetV1/Conv2d_1a_3x3/weights").tensor
    assert first.grad is not None and first.grad.abs().sum() > 0
