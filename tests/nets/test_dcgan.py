"""DCGAN: upstream's ``dcgan_test.py`` ported (sizes, end points, depths, input errors), plus batch norm."""

from __future__ import annotations

import inspect

import pytest
import torch

import torchslim as slim
from torchslim.nets import dcgan


def _run(fn, inputs, **kwargs):
    model = slim.Model(fn, **kwargs)
    with torch.no_grad():
        return model, model(inputs)


def test_generator_run():
    _, (image, _) = _run(dcgan.generator, torch.randn(10, 64))   # upstream: 100 noise vectors
    assert list(image.shape) == [10, 32, 32, 3]
    assert torch.isfinite(image).all()


@pytest.mark.parametrize("i, batch_size", list(zip(range(3, 7), range(3, 8))))
def test_generator_graph(i, batch_size):
    final_size = 2 ** i
    _, (image, end_points) = _run(dcgan.generator, torch.randn(batch_size, 64), depth=32, final_size=final_size)
    assert list(image.shape) == [batch_size, final_size, final_size, 3]
    assert set(end_points) == {"deconv%i" % j for j in range(1, i)} | {"logits"}
    for j in range(1, i):
        assert end_points["deconv%i" % j].shape[-1] == 32 * 2 ** (i - j - 1)


def test_generator_invalid_input():
    with pytest.raises(ValueError):
        _run(dcgan.generator, torch.zeros(5, 32, 32))
    with pytest.raises(ValueError, match="must be a power of 2"):
        _run(dcgan.generator, torch.zeros(3, 2), final_size=30)
    with pytest.raises(ValueError, match="must be greater than 8"):
        _run(dcgan.generator, torch.zeros(3, 2), final_size=4)


def test_discriminator_run():
    _, (output, _) = _run(dcgan.discriminator, torch.rand(5, 32, 32, 3) * 2 - 1)
    assert list(output.shape) == [5, 1]


@pytest.mark.parametrize("i, batch_size", list(zip(range(1, 6), range(3, 8))))
def test_discriminator_graph(i, batch_size):
    img_w = 2 ** i
    _, (output, end_points) = _run(dcgan.discriminator, torch.rand(batch_size, img_w, img_w, 3), depth=32)
    assert list(output.shape) == [batch_size, 1]
    assert set(end_points) == {"conv%i" % j for j in range(1, i + 1)} | {"logits"}
    for j in range(1, i + 1):
        assert end_points["conv%i" % j].shape[-1] == 32 * 2 ** (j - 1)


def test_discriminator_invalid_input():
    with pytest.raises(ValueError):
        _run(dcgan.discriminator, torch.zeros(5, 32, 32))
    with pytest.raises(ValueError, match="not have equal width and height"):
        _run(dcgan.discriminator, torch.zeros(5, 32, 16, 3))
    with pytest.raises(ValueError, match="not a power of 2"):
        _run(dcgan.discriminator, torch.zeros(5, 30, 30, 3))


def test_validate_image_inputs():
    dcgan._validate_image_inputs(torch.zeros(1, 8, 8, 3))
    with pytest.raises(ValueError, match="rank 4"):
        dcgan._validate_image_inputs(torch.zeros(8, 8, 3))


@pytest.mark.parametrize("is_training, zero_debias", [(True, True), (False, False)])
def test_batch_norm_zero_debias_follows_is_training(is_training, zero_debias):
    model, _ = _run(dcgan.discriminator, torch.rand(2, 4, 4, 3), depth=4, is_training=is_training)
    names = list(model.tf_variables())
    assert ("Discriminator/conv2/BatchNorm/Discriminator/conv2/BatchNorm/moving_mean/biased" in names) == zero_debias
    assert names[:2] == ["Discriminator/conv1/weights", "Discriminator/conv1/biases"]
    assert "Discriminator/Conv/weights" in names


def test_generator_reuse_and_scope():
    def two_generators(noise):
        first, _ = dcgan.generator(noise, depth=4, final_size=8, is_training=False, scope="G")
        second, _ = dcgan.generator(noise, depth=4, final_size=8, is_training=False, scope="G", reuse=True)
        return first, second
    model, (first, second) = _run(two_generators, torch.randn(2, 5))
    torch.testing.assert_close(first, second)
    assert all(name.startswith("G/") for name in model.tf_variables())
    assert "G/deconv1/BatchNorm/moving_mean" in model.tf_variables()


def test_signatures_are_upstreams():
    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]
    empty = inspect.Parameter.empty
    assert params(dcgan.generator) == [("inputs", empty), ("depth", 64), ("final_size", 32), ("num_outputs", 3),
                                       ("is_training", True), ("reuse", None), ("scope", "Generator"),
                                       ("fused_batch_norm", False)]
    assert params(dcgan.discriminator) == [("inputs", empty), ("depth", 64), ("is_training", True), ("reuse", None),
                                           ("scope", "Discriminator"), ("fused_batch_norm", False)]
