"""The core's one fast path (convolution kernels stored in their inputs' memory format) and the plain
path's numbers where fast paths used to be (conv + BatchNorm + ReLU, in training and inference).

Correctness only: outputs and gradients must be the plain functions' (float32, 1e-4), and the
variables exactly as the layers make them. No timings here (see benchmarks/).
"""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim

TOL = 1e-4


def _randomize_bn(model):
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, var in model.tf_variables().items():
            t = var.tensor
            if name.endswith(("gamma", "moving_variance")):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith(("beta", "moving_mean")):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)


def _net(x, bn_params=None, conv_scope_params=None, outputs_collections=None, data_format=None):
    bn_params = {"decay": 0.997, "epsilon": 1e-5, "scale": True} if bn_params is None else bn_params
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params=bn_params,
                        data_format=data_format, **(conv_scope_params or {})):
        with slim.arg_scope([slim.batch_norm], **bn_params):
            x = slim.conv2d(x, 8, 3, scope="conv1", outputs_collections=outputs_collections)
            x = slim.conv2d(x, 6, 3, stride=2, padding="VALID", scope="conv2")
            x = slim.conv2d(x, 5, [1, 3], activation_fn=None, scope="conv3")
            x = slim.conv2d(x, 4, 3, rate=2, activation_fn=slim.nn.relu6)
    return x


@pytest.mark.parametrize("training", [True, False])
def test_conv_bn_relu_outputs_and_gradients_are_the_plain_functions(training):
    """conv + BN + ReLU, a collected end point and a pre-activation BN: values and gradients are F.*'s."""
    x = torch.randn(2, 7, 7, 3)

    def fn(images):
        net = slim.conv2d(images, 4, 3, normalizer_fn=slim.batch_norm, normalizer_params={"scale": True},
                          scope="bn_conv", outputs_collections="ends")
        net = slim.conv2d(net, 5, 1, scope="bias_conv")
        net = slim.batch_norm(net, activation_fn=slim.nn.relu, scope="preact")
        return net, slim.utils.convert_collection_to_dict("ends")

    model = slim.Model(fn).build(x)
    _randomize_bn(model)
    model.train(training)
    v = {name: var.tensor for name, var in model.tf_variables().items()}
    ref_params = {name: t.detach().clone().requires_grad_(t.requires_grad) for name, t in v.items()}

    def reference(images, p):
        def bn(t, scope):
            return F.batch_norm(t, p[f"{scope}/moving_mean"].clone(), p[f"{scope}/moving_variance"].clone(),
                                p.get(f"{scope}/gamma"), p[f"{scope}/beta"], training, 0.001, 0.001)
        h = F.conv2d(images.permute(0, 3, 1, 2), p["bn_conv/weights"], None, 1, 1)
        conv1 = F.relu(bn(h, "bn_conv/BatchNorm"))
        h = F.relu(F.conv2d(conv1, p["bias_conv/weights"], p["bias_conv/biases"]))
        return F.relu(bn(h, "preact")).permute(0, 2, 3, 1), conv1.permute(0, 2, 3, 1)

    out, ends = model(x)
    expected, conv1 = reference(x, ref_params)
    torch.testing.assert_close(out, expected, atol=TOL, rtol=0)
    torch.testing.assert_close(ends["bn_conv"], conv1, atol=TOL, rtol=0)
    out.square().sum().backward()
    expected.square().sum().backward()
    for name, t in v.items():
        if t.requires_grad:
            torch.testing.assert_close(t.grad, ref_params[name].grad, atol=TOL, rtol=1e-4, msg=name)


def test_training_mode_updates_batch_norm_and_zero_debias_makes_its_variables():
    x = torch.randn(4, 9, 9, 3)
    model = slim.Model(_net).build(x)
    model.train()
    with torch.no_grad():
        before = model.variable("conv1/BatchNorm/moving_mean").tensor.clone()
        model(x)
    assert not torch.equal(before, model.variable("conv1/BatchNorm/moving_mean").tensor)  # BN updated itself
    fn = functools.partial(_net, bn_params={"scale": True, "zero_debias_moving_mean": True})
    zd = slim.Model(fn).eval()
    with torch.no_grad():
        zd(x)
    assert any(name.endswith("moving_mean/local_step") for name in zd.tf_variables())


def test_channels_last_kernels_give_the_contiguous_kernels_numbers():
    """The kept fast path: NHWC conv kernels stored channels_last; re-striding them back changes nothing."""
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x)
    _randomize_bn(model)
    model.eval()
    kernels = [v.tensor for name, v in model.tf_variables().items() if name.endswith("weights")]
    assert all(k.is_contiguous(memory_format=torch.channels_last) for k in kernels)
    with torch.no_grad():
        fast = model(x)
        nchw = slim.Model(functools.partial(_net, data_format="NCHW",
                                            bn_params={"decay": 0.997, "epsilon": 1e-5, "scale": True,
                                                       "data_format": "NCHW"}))
        nchw.build(x.permute(0, 3, 1, 2))
        nchw.load_state_dict(model.state_dict())
        nchw.eval()
        plain = nchw(x.permute(0, 3, 1, 2).contiguous()).permute(0, 2, 3, 1)
    assert all(v.tensor.is_contiguous() for name, v in nchw.tf_variables().items() if name.endswith("weights"))
    torch.testing.assert_close(fast, plain, atol=TOL, rtol=0)
