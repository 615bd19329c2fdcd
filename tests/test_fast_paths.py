"""Fast paths of the core (conv + inference BatchNorm folding, channels_last weights) against the plain path.

Correctness only: every fast path must give the plain path's numbers (float32, 1e-4) and leave the
variables, their names and their order exactly as the plain path makes them. No timings here.
"""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.layers import normalization

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


def _plain(model, x):
    """The same model with folding switched off (the normal conv -> batch_norm path)."""
    orig = normalization.conv_with_batch_norm
    import torchslim.layers.conv as conv_mod
    conv_mod.conv_with_batch_norm = lambda *a, **k: None
    try:
        return model(x)
    finally:
        conv_mod.conv_with_batch_norm = orig


@pytest.mark.parametrize("bn_params", [
    None,
    {"decay": 0.9, "epsilon": 1e-3},                                    # no gamma
    {"epsilon": 2e-3, "center": False, "scale": True},                   # no beta
    {"scale": True, "activation_fn": torch.relu, "fused": False},
    {"scale": True, "param_initializers": {"moving_variance": slim.initializers.constant_initializer(2.0)}},
])
def test_fold_matches_plain_path(bn_params):
    x = torch.randn(2, 11, 11, 3)
    fn = functools.partial(_net, bn_params=bn_params)
    model = slim.Model(fn).build(x)
    _randomize_bn(model)
    model.eval()
    with torch.no_grad():
        fast = model(x)
        plain = _plain(model, x)
    assert fast.shape == plain.shape
    torch.testing.assert_close(fast, plain, atol=TOL, rtol=0)


def test_fold_follows_a_changed_normalizer_params_dict():
    """The resolved BN arguments are cached per dict: changing the dict in place must still count."""
    bn_params = {"decay": 0.997, "epsilon": 1e-5, "scale": True}
    bn_scope = {"decay": 0.9}
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params=bn_params):
        with slim.arg_scope([slim.batch_norm], **bn_scope) as scope:  # entered once: the same dicts every call
            model = slim.Model(lambda x: slim.conv2d(slim.conv2d(x, 8, 3, scope="conv1"), 4, 1, scope="conv2"))
    x = torch.randn(2, 9, 9, 3)
    model.build(x)
    _randomize_bn(model)
    model.eval()
    with torch.no_grad():
        first = model(x)
        bn_params["epsilon"] = 0.5  # the params dict, changed in place
        changed = model(x)
        torch.testing.assert_close(changed, _plain(model, x), atol=TOL, rtol=0)
        assert not torch.allclose(first, changed)
        scope[slim.arg_scope_func_key(slim.batch_norm)]["is_training"] = True  # the arg scope's own dict
        before = model.variable("conv1/BatchNorm/moving_mean").tensor.clone()
        model(x)  # now the BN runs on batch statistics and updates itself
        assert not torch.equal(before, model.variable("conv1/BatchNorm/moving_mean").tensor)


def test_fold_plan_cache_copes_with_tensor_params():
    """normalizer_params holding tensors: a 0-d is_training is read on each call; a vector compares as unequal."""
    is_training = torch.tensor(False)
    params = {"scale": True, "is_training": is_training}
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params=params):
        model = slim.Model(lambda x: slim.conv2d(x, 4, 3, scope="c"))
    x = torch.randn(2, 5, 5, 3)
    with torch.no_grad():
        model(x)
        moving_mean = model.variable("c/BatchNorm/moving_mean").tensor
        before = moving_mean.clone()
        model(x)
        assert torch.equal(before, moving_mean)
        is_training.fill_(True)  # the same tensor, now True: batch statistics and an update
        model(x)
        assert not torch.equal(before, moving_mean)

    def fn(x, weights):
        return slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, normalizer_params={"batch_weights": weights})

    for _ in range(2):  # the second call compares a cached vector with a new one
        with pytest.raises(ValueError, match="batch_weights"):
            slim.Model(fn)(x, torch.ones(2))


def test_fold_creates_the_same_variables_as_batch_norm():
    x = torch.randn(2, 9, 9, 3)
    params = {"scale": True, "variables_collections": ["extra"],
              "param_initializers": {"moving_mean": slim.initializers.constant_initializer(0.5)}}
    fn = functools.partial(_net, bn_params=params)
    plain_model = slim.Model(fn)
    plain_model.eval()
    _plain(plain_model, x)                              # built through batch_norm itself
    fast_model = slim.Model(fn)
    fast_model.eval()
    with torch.no_grad():
        fast_model(x)                                   # built through the fold path
    a, b = plain_model.tf_variables(), fast_model.tf_variables()
    assert list(a) == list(b)
    for name in a:
        assert a[name].collections == b[name].collections, name
        assert a[name].trainable == b[name].trainable, name
        assert a[name].tf_shape == b[name].tf_shape, name
    assert torch.equal(fast_model.variable("conv1/BatchNorm/moving_mean").tensor, torch.full((8,), 0.5))


def test_fold_cache_follows_parameter_changes():
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x)
    model.eval()
    with torch.no_grad():
        first = model(x)
        model.variable("conv1/BatchNorm/gamma").tensor.mul_(2.0)       # in place: _version changes
        model.variable("conv2/BatchNorm/moving_mean").assign_tf(torch.ones(6))
        second = model(x)
        plain = _plain(model, x)
    assert not torch.allclose(first, second)
    torch.testing.assert_close(second, plain, atol=TOL, rtol=0)


def test_fold_cache_follows_load_state_dict_and_dtype():
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x).eval()
    other = slim.Model(_net).build(x).eval()
    _randomize_bn(other)
    with torch.no_grad():
        model(x)
        model.load_state_dict(other.state_dict())
        torch.testing.assert_close(model(x), other(x), atol=TOL, rtol=0)
        model.double()
        out = model(x.double())
    assert out.dtype == torch.float64
    torch.testing.assert_close(out.float(), _plain(other, x), atol=TOL, rtol=0)


def test_no_fold_while_gradients_to_parameters_are_needed():
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x).eval()
    _randomize_bn(model)
    out = model(x)                                      # grad enabled, params require grad: plain
    out.sum().backward()
    gamma = model.variable("conv1/BatchNorm/gamma").tensor
    weights = model.variable("conv1/weights").tensor
    assert gamma.grad is not None and weights.grad is not None
    with torch.no_grad():
        ref = model(x)
    torch.testing.assert_close(out.detach(), ref, atol=TOL, rtol=0)


def test_fold_with_frozen_parameters_still_gives_input_gradients():
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x).eval()
    _randomize_bn(model)
    for p in model.parameters():
        p.requires_grad_(False)
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    model(xa).square().sum().backward()
    _plain(model, xb).square().sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad, atol=TOL, rtol=1e-4)


def test_training_mode_and_unfoldable_params_take_the_plain_path():
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


def test_fold_keeps_end_points_and_nchw():
    x = torch.randn(2, 9, 9, 3)

    def fn(x):
        _net(x, outputs_collections="ends")
        return slim.utils.convert_collection_to_dict("ends")

    model = slim.Model(fn).build(x).eval()
    with torch.no_grad():
        ends = model(x)
    assert list(ends) == ["conv1"]

    nchw = functools.partial(_net, data_format="NCHW",
                             bn_params={"scale": True, "data_format": "NCHW"})
    xc = x.permute(0, 3, 1, 2).contiguous()
    m = slim.Model(nchw).build(xc).eval()
    _randomize_bn(m)
    with torch.no_grad():
        torch.testing.assert_close(m(xc), _plain(m, xc), atol=TOL, rtol=0)


def test_fold_keeps_float64_precision():
    x = torch.rand(2, 9, 9, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    model = slim.Model(_net)
    model.build(x)
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}
    _randomize_bn(model)
    model.eval()
    with torch.no_grad():
        folded, plain = model(x), _plain(model, x)
    assert folded.dtype == torch.float64
    torch.testing.assert_close(folded, plain, rtol=1e-12, atol=1e-12)


def test_batch_norm_folding_switch(monkeypatch):
    """``batch_norm_folding(False)`` runs conv and batch_norm as two ops (the plain path), inside the block only."""
    x = torch.randn(2, 9, 9, 3)
    model = slim.Model(_net).build(x)
    _randomize_bn(model)
    model.eval()
    with torch.no_grad():
        fast = model(x)
        folds = []
        real = normalization.folded_weights
        monkeypatch.setattr(normalization, "folded_weights", lambda *a: folds.append(1) or real(*a))
        with normalization.batch_norm_folding(False):
            plain = model(x)
        assert folds == []
        torch.testing.assert_close(plain, _plain(model, x), atol=0, rtol=0)
        model(x)
    assert len(folds) == 4                              # folding again after the block
    torch.testing.assert_close(fast, plain, atol=TOL, rtol=0)


@pytest.mark.parametrize("training", [True, False])
def test_in_place_relu_keeps_outputs_and_gradients(training):
    """Layers apply ReLU in place to the tensors they just made: values and gradients are the out-of-place ones."""
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
