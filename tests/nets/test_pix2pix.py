"""pix2pix: upstream's ``pix2pix_test.py`` ported (shapes, layer counts, padding errors), plus names and options."""

from __future__ import annotations

import inspect

import pytest
import torch

import torchslim as slim
from torchslim.nets import pix2pix


def _generator(images, num_outputs, **kwargs):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
        model = slim.Model(pix2pix.pix2pix_generator, num_outputs=num_outputs, **kwargs)
    with torch.no_grad():
        return model, model(images)


def _discriminator(images, **kwargs):
    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
        model = slim.Model(pix2pix.pix2pix_discriminator, **kwargs)
    with torch.no_grad():
        return model, model(images)


def _reduced_default_blocks():
    """The default blocks with 1/32 of the filters (upstream's, to run fast)."""
    return [pix2pix.Block(b.num_filters // 32, b.decoder_keep_prob) for b in pix2pix._default_generator_blocks()]


@pytest.mark.parametrize("upsample_method", ["nn_upsample_conv", "conv2d_transpose"])
def test_output_size(upsample_method):
    _, (logits, end_points) = _generator(torch.ones(2, 256, 256, 3), 4, blocks=_reduced_default_blocks(),
                                         upsample_method=upsample_method)
    assert list(logits.shape) == [2, 256, 256, 4]
    assert list(end_points["predictions"].shape) == [2, 256, 256, 4]


def test_block_number_dictates_number_of_layers():
    blocks = [pix2pix.Block(8, 0.5), pix2pix.Block(16, 0)]  # upstream: 64, 128 filters
    _, (_, end_points) = _generator(torch.ones(2, 64, 64, 3), 4, blocks=blocks)
    assert sum(key.startswith("encoder") for key in end_points) == len(blocks)
    assert sum(key.startswith("decoder") for key in end_points) == len(blocks)


def test_generator_variables_and_end_points():
    model, (_, end_points) = _generator(torch.ones(1, 16, 16, 3), 2,
                                        blocks=[pix2pix.Block(4, 0.5), pix2pix.Block(8, 0)],
                                        upsample_method="conv2d_transpose")
    assert list(end_points) == ["encoder0", "encoder1", "decoder0", "decoder1", "logits", "predictions"]
    assert [list(end_points[k].shape) for k in ("encoder0", "encoder1", "decoder0", "decoder1")] == [
        [1, 8, 8, 4], [1, 4, 4, 8], [1, 8, 8, 8], [1, 16, 16, 4]]
    assert list(model.tf_variables()) == [
        "encoder/Conv/weights", "encoder/Conv/biases",                    # first: no normalizer
        "encoder/Conv_1/weights", "encoder/Conv_1/biases",                # last: no normalizer either
        "decoder/Conv2d_transpose/weights", "decoder/Conv2d_transpose/InstanceNorm/beta",
        "decoder/Conv2d_transpose/InstanceNorm/gamma",
        "decoder/Conv2d_transpose_1/weights", "decoder/Conv2d_transpose_1/InstanceNorm/beta",
        "decoder/Conv2d_transpose_1/InstanceNorm/gamma",
        "output/Conv/weights", "output/Conv/biases"]
    assert torch.equal(end_points["predictions"], torch.tanh(end_points["logits"]))


def test_decoder_dropout_is_on_at_test_time():
    blocks = [pix2pix.Block(4, 0.5), pix2pix.Block(8, 0)]
    model, (first, _) = _generator(torch.ones(1, 16, 16, 3), 2, blocks=blocks)
    model.eval()
    with torch.no_grad():
        second, _ = model(torch.ones(1, 16, 16, 3))
    assert not torch.equal(first, second)


def test_unknown_upsample_method():
    with pytest.raises(ValueError, match="Unknown method"):
        _generator(torch.ones(1, 16, 16, 3), 2, blocks=[pix2pix.Block(4, 0)], upsample_method="bicubic")


def _layer_output_size(input_size, kernel_size=4, stride=2, pad=2):
    return (input_size + pad * 2 - kernel_size) // stride + 1


@pytest.mark.parametrize("padding, input_size", [(2, 64), (0, 128)])  # upstream: 256 px
def test_four_layers(padding, input_size):
    size = input_size
    for stride in (2, 2, 2, 1, 1):
        size = _layer_output_size(size, stride=stride, pad=padding)
    _, (logits, end_points) = _discriminator(torch.ones(2, input_size, input_size, 3), num_filters=[64, 128, 256, 512],
                                             padding=padding)
    assert list(logits.shape) == [2, size, size, 1]
    assert list(end_points["predictions"].shape) == [2, size, size, 1]
    assert list(end_points) == ["conv0", "conv1", "conv2", "conv3", "logits", "predictions"]


def test_four_layers_wrong_padding():
    with pytest.raises(TypeError):
        _discriminator(torch.ones(2, 64, 64, 3), num_filters=[64, 128, 256, 512], padding=1.5)


def test_four_layers_negative_padding():
    with pytest.raises(ValueError):
        _discriminator(torch.ones(2, 64, 64, 3), num_filters=[64, 128, 256, 512], padding=-1)


def test_discriminator_pad_mode_and_activation():
    x = torch.rand(1, 16, 16, 3)
    model, (reflect, _) = _discriminator(x, num_filters=[4, 8])
    assert list(model.tf_variables()) == [
        "conv0/weights", "conv0/biases", "conv1/weights", "conv1/InstanceNorm/beta", "conv1/InstanceNorm/gamma",
        "conv2/weights", "conv2/biases"]
    values = {name: var.tensor.detach().clone() for name, var in model.tf_variables().items()}

    def rebuilt(**kwargs):
        other, _ = _discriminator(x, num_filters=[4, 8], **kwargs)
        with torch.no_grad():
            for name, var in other.tf_variables().items():
                var.tensor.copy_(values[name])
            return other(x)[0]

    torch.testing.assert_close(rebuilt(pad_mode="REFLECT"), reflect)
    assert not torch.allclose(rebuilt(pad_mode="CONSTANT"), reflect)
    assert not torch.allclose(rebuilt(activation_fn=torch.relu), reflect)


def _params(fn):
    return [(p.name, getattr(p.default, "__name__", p.default)) for p in inspect.signature(fn).parameters.values()]


def test_signatures_are_upstreams():
    # research/slim/nets/pix2pix.py; the discriminator's pad_mode and activation_fn are the newest file's
    empty = "_empty"
    assert _params(pix2pix.pix2pix_generator) == [("net", empty), ("num_outputs", empty), ("blocks", None),
                                                 ("upsample_method", "nn_upsample_conv"), ("is_training", False)]
    assert _params(pix2pix.pix2pix_discriminator) == [("net", empty), ("num_filters", empty), ("padding", 2),
                                                     ("pad_mode", "REFLECT"), ("activation_fn", "leaky_relu"),
                                                     ("is_training", False)]
    assert _params(pix2pix.upsample) == [("net", empty), ("num_outputs", empty), ("kernel_size", empty),
                                        ("method", "nn_upsample_conv")]
    assert pix2pix.Block._fields == ("num_filters", "decoder_keep_prob")
