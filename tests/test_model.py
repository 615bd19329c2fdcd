"""slim.Model: variables in the module tree, build, train/eval, arg_scope capture, layouts, copies."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import torchslim as slim


def small_net(x, num_classes=3):
    net = slim.conv2d(x, 4, [3, 3], normalizer_fn=slim.batch_norm, normalizer_params={"scale": True},
                      weights_regularizer=slim.l2_regularizer(0.01), scope="conv1")
    net = slim.max_pool2d(net, [2, 2], scope="pool1")
    net = slim.flatten(net)
    return slim.fully_connected(net, num_classes, activation_fn=None, scope="logits",
                                weights_regularizer=slim.l2_regularizer(0.1))


X = torch.rand(2, 6, 6, 3)


def built(fn=small_net, *inputs, **kwargs):
    torch.manual_seed(0)
    model = slim.Model(fn, **kwargs)
    model.build(*(inputs or (X,)))
    return model


# --- module tree ---------------------------------------------------------------------------------


def test_tf_variables_in_creation_order():
    model = built()
    # TF's default (rank 4, UPDATE_OPS) batch norm path creates gamma before beta
    assert [(n, list(v.tf_shape)) for n, v in model.tf_variables().items()] == [
        ("conv1/weights", [3, 3, 3, 4]),
        ("conv1/BatchNorm/gamma", [4]),
        ("conv1/BatchNorm/beta", [4]),
        ("conv1/BatchNorm/moving_mean", [4]),
        ("conv1/BatchNorm/moving_variance", [4]),
        ("logits/weights", [36, 3]),
        ("logits/biases", [3]),
    ]


def test_variable_raises_what_get_unique_variable_raises():
    model = built()
    assert model.variable("logits/biases") is slim.get_unique_variable("logits/biases", model=model)
    for lookup in (model.variable, lambda name: slim.get_unique_variable(name, model=model)):
        with pytest.raises(slim.variables.VariableNotFoundError, match="^Couldn't find variable logits/nope$") as err:
            lookup("logits/nope")
        assert isinstance(err.value, ValueError) and isinstance(err.value, KeyError)


def test_parameters_and_buffers_in_the_module_tree():
    model = built()
    assert [(n, tuple(p.shape)) for n, p in model.named_parameters()] == [
        ("conv1.weights", (4, 3, 3, 3)),  # OIHW
        ("conv1.BatchNorm.gamma", (4,)),
        ("conv1.BatchNorm.beta", (4,)),
        ("logits.weights", (3, 36)),  # [out, in]
        ("logits.biases", (3,)),
    ]
    assert [n for n, _ in model.named_buffers()] == ["conv1.BatchNorm.moving_mean", "conv1.BatchNorm.moving_variance"]
    assert list(model.state_dict()) == [
        "conv1.weights", "conv1.BatchNorm.gamma", "conv1.BatchNorm.beta", "conv1.BatchNorm.moving_mean",
        "conv1.BatchNorm.moving_variance", "logits.weights", "logits.biases"]
    assert model.variable("conv1/BatchNorm/moving_mean").tensor is model.get_buffer("conv1.BatchNorm.moving_mean")
    assert model.variable("logits/weights").tensor is model.get_parameter("logits.weights")


def test_optimizer_trains_the_parameters():
    model = built()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.variable("logits/biases").to_tf()
    loss = model(X).square().sum()
    loss.backward()
    opt.step()
    assert not torch.equal(before, model.variable("logits/biases").to_tf())


def test_new_variable_after_build_is_an_error_naming_it():
    def fn(x, extra=False):
        net = slim.conv2d(x, 2, 1, scope="conv1")
        if extra:
            net = slim.conv2d(net, 2, 1, scope="conv2")
        return net

    model = built(fn)
    with pytest.raises(ValueError, match="Variable conv2/weights is new"):
        model(X, extra=True)
    assert list(model.tf_variables()) == ["conv1/weights", "conv1/biases"]


def test_layer_outside_a_model_is_a_clear_runtime_error():
    with pytest.raises(RuntimeError, match=r"outside a model.*slim\.Model|torchslim\.Model"):
        slim.conv2d(X, 2, 1)
    with pytest.raises(RuntimeError, match="torchslim.Model"):
        slim.batch_norm(X)
    with pytest.raises(RuntimeError, match="torchslim.Model"):
        slim.max_pool2d(X, [2, 2])
    with pytest.raises(RuntimeError, match="torchslim.Model"):
        slim.variable("v", shape=[1])


def test_model_needs_a_callable():
    with pytest.raises(TypeError):
        slim.Model("not a function")


def test_bound_args_and_kwargs_and_call_kwargs_win():
    model = built(small_net, num_classes=5)
    assert model(X).shape == (2, 5)

    def fn(x, scale, offset=0.0):
        return x * scale + offset

    m = slim.Model(fn, 2.0, offset=1.0)
    torch.testing.assert_close(m(torch.ones(1)), torch.tensor([3.0]))
    torch.testing.assert_close(m(torch.ones(1), offset=0.0), torch.tensor([2.0]))


# --- build / train / eval ------------------------------------------------------------------------


def test_build_does_not_update_batch_norm_statistics():
    def fn(x):
        return slim.batch_norm(x, is_training=True, decay=0.5)

    model = slim.Model(fn)
    model.build(torch.rand(4, 3, 3, 2) + 5.0)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), torch.zeros(2))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), torch.ones(2))
    assert model.built
    model(torch.rand(4, 3, 3, 2) + 5.0)
    assert float(model.variable("BatchNorm/moving_mean").to_tf().min()) > 2.0


def test_is_training_none_follows_train_and_eval():
    def fn(x):
        net = slim.batch_norm(x, decay=0.0)
        return slim.dropout(net, keep_prob=0.5)

    model = slim.Model(fn)
    x = torch.rand(8, 4, 4, 3) * 3 + 2
    model.train()
    y = model(x)
    assert (y == 0).float().mean() > 0.2  # dropout active
    mean = model.variable("BatchNorm/moving_mean").to_tf()
    torch.testing.assert_close(mean, x.mean(dim=(0, 1, 2)))  # decay 0: batch mean copied
    model.eval()
    y = model(x)
    assert (y == 0).sum() == 0  # no dropout
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), mean)  # no update
    var = model.variable("BatchNorm/moving_variance").to_tf()
    torch.testing.assert_close(y, (x - mean) / torch.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)


def test_explicit_is_training_wins_over_the_model_mode():
    def fn(x, flag):
        return slim.batch_norm(x, decay=0.0, is_training=flag)

    x = torch.rand(8, 4, 4, 3) + 1
    model = slim.Model(fn)
    model.train()
    model(x, flag=False)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), torch.zeros(3))
    model.eval()
    out = model(x, flag=True)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), x.mean(dim=(0, 1, 2)))
    torch.testing.assert_close(out.mean(dim=(0, 1, 2)), torch.zeros(3), atol=1e-5, rtol=0)


def test_dropout_explicit_is_training():
    model = slim.Model(lambda x, t: slim.dropout(x, 0.5, is_training=t))
    model.eval()
    assert (model(torch.ones(1000), t=True) == 0).any()
    model.train()
    torch.testing.assert_close(model(torch.ones(1000), t=False), torch.ones(1000))


# --- arg_scope capture ---------------------------------------------------------------------------


def test_arg_scope_captured_at_construction_is_re_entered_on_call():
    def fn(x):
        return slim.conv2d(x, 2, [3, 3])

    with slim.arg_scope([slim.conv2d], padding="VALID", activation_fn=None):
        model = slim.Model(fn)
    assert model(X).shape == (2, 4, 4, 2)  # VALID from the captured scope, outside the with
    with slim.arg_scope([slim.conv2d], padding="SAME"):
        assert model(X).shape == (2, 4, 4, 2)  # the call site's scope does not leak in
    plain = slim.Model(fn)
    with slim.arg_scope([slim.conv2d], padding="VALID"):
        assert plain(X).shape == (2, 6, 6, 2)


def test_arg_scope_inside_the_function_still_applies():
    def fn(x):
        with slim.arg_scope([slim.conv2d], stride=2):
            return slim.conv2d(x, 2, 1)

    with slim.arg_scope([slim.conv2d], padding="VALID"):
        model = slim.Model(fn)
    assert model(X).shape == (2, 3, 3, 2)


# --- regularization ------------------------------------------------------------------------------


def test_regularization_losses_on_current_values():
    model = built()
    losses = model.regularization_losses()
    assert len(losses) == 2
    w1 = model.variable("conv1/weights").to_tf()
    w2 = model.variable("logits/weights").to_tf()
    torch.testing.assert_close(losses[0], 0.01 * w1.square().sum() / 2)
    torch.testing.assert_close(losses[1], 0.1 * w2.square().sum() / 2)
    assert len(model.regularization_losses(scope="logits")) == 1
    model.variable("logits/weights").assign_tf(torch.ones(36, 3))
    torch.testing.assert_close(model.regularization_losses()[1], torch.tensor(0.1 * 108 / 2))
    # differentiable with respect to the parameters
    sum(model.regularization_losses()).backward()
    torch.testing.assert_close(model.get_parameter("logits.weights").grad, torch.full((3, 36), 0.1))


def test_reuse_does_not_add_regularizers_and_zero_scale_adds_none():
    def fn(x):
        slim.conv2d(x, 2, 1, weights_regularizer=slim.l2_regularizer(0.1), scope="c")
        slim.conv2d(x, 2, 1, weights_regularizer=slim.l2_regularizer(0.1), scope="c", reuse=True)
        slim.conv2d(x, 2, 1, weights_regularizer=slim.l2_regularizer(0.0), scope="d")

    model = built(fn)
    assert len(model.regularization_losses()) == 1


# --- layouts -------------------------------------------------------------------------------------


def _layout_model():
    def fn(x):
        slim.conv2d(x, 5, [2, 3], scope="conv")
        slim.separable_conv2d(x, 7, [3, 2], depth_multiplier=2, scope="sep")
        slim.fully_connected(x, 4, scope="fc")
        slim.conv2d_transpose(x, 6, [3, 4], stride=2, scope="deconv")

    return built(fn)


@pytest.mark.parametrize("name, tf_shape, torch_shape, layout", [
    ("conv/weights", (2, 3, 3, 5), (5, 3, 2, 3), "conv"),
    ("sep/depthwise_weights", (3, 2, 3, 2), (6, 1, 3, 2), "depthwise"),
    ("sep/pointwise_weights", (1, 1, 6, 7), (7, 6, 1, 1), "conv"),
    ("fc/weights", (3, 4), (4, 3), "fc"),
    ("deconv/weights", (3, 4, 6, 3), (3, 6, 3, 4), "conv_transpose"),
    ("conv/biases", (5,), (5,), "identity"),
])
def test_to_tf_assign_tf_round_trip(name, tf_shape, torch_shape, layout):
    model = _layout_model()
    var = model.variable(name)
    assert var.layout == layout and var.tf_shape == tf_shape and tuple(var.tensor.shape) == torch_shape
    value = np.random.default_rng(0).standard_normal(tf_shape).astype(np.float32)
    var.assign_tf(value)
    np.testing.assert_array_equal(var.to_tf().numpy(), value)
    assert var.to_tf().is_contiguous()
    var.assign_tf(torch.from_numpy(value) * 2)
    np.testing.assert_array_equal(var.to_tf().numpy(), value * 2)
    with pytest.raises(ValueError, match=name):
        var.assign_tf(np.zeros((1,) + tf_shape, np.float32))


def test_tf_layout_values_give_tf_results():
    """Hand-computed NHWC results from HWIO / [in, out] / [kh, kw, in, mult] values."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 5, 3)).astype(np.float32)

    def fn(x):
        return {
            "conv": slim.conv2d(x, 2, [2, 3], padding="VALID", activation_fn=None, scope="conv"),
            "fc": slim.fully_connected(x, 2, activation_fn=None, scope="fc"),
            "dw": slim.separable_conv2d(x, None, [2, 2], depth_multiplier=2, padding="VALID",
                                        activation_fn=None, scope="dw"),
            "tr": slim.conv2d_transpose(x, 2, [1, 1], stride=1, activation_fn=None, scope="tr"),
        }

    model = built(fn, torch.from_numpy(x))
    values = {}
    for name, var in model.tf_variables().items():
        values[name] = rng.standard_normal(var.tf_shape).astype(np.float32)
        var.assign_tf(values[name])
    out = {k: v.detach().numpy() for k, v in model(torch.from_numpy(x)).items()}

    w = values["conv/weights"]  # [kh, kw, in, out]
    want = np.zeros((1, 3, 3, 2), np.float32)
    for i in range(3):
        for j in range(3):
            want[0, i, j] = np.einsum("hwc,hwco->o", x[0, i:i + 2, j:j + 3], w)
    np.testing.assert_allclose(out["conv"], want + values["conv/biases"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(out["fc"], x @ values["fc/weights"] + values["fc/biases"], rtol=1e-5, atol=1e-5)

    d = values["dw/depthwise_weights"]  # [kh, kw, in, mult] -> output channel c * mult + m
    want = np.zeros((1, 3, 4, 6), np.float32)
    for i in range(3):
        for j in range(4):
            want[0, i, j] = np.einsum("hwc,hwcm->cm", x[0, i:i + 2, j:j + 2], d).reshape(-1)
    np.testing.assert_allclose(out["dw"], want + values["dw/biases"], rtol=1e-5, atol=1e-5)

    t = values["tr/weights"]  # [kh, kw, out, in]
    np.testing.assert_allclose(out["tr"], x @ t[0, 0].T + values["tr/biases"], rtol=1e-5, atol=1e-5)


def test_channel_mismatch_on_reuse_names_the_variable():
    def fn(x, y):
        slim.conv2d(x, 2, 1, scope="conv1")
        return slim.conv2d(y, 2, 1, scope="conv1", reuse=True)

    with pytest.raises(ValueError, match=r"conv1/weights.*\[1, 1, 4, 2\].*\[1, 1, 3, 2\]"):
        slim.Model(fn)(X, torch.rand(2, 6, 6, 4))


def test_channel_mismatch_after_build_names_the_variable():
    model = built()
    with pytest.raises(ValueError, match="conv1/weights"):
        model(torch.rand(2, 6, 6, 5))


# --- copies --------------------------------------------------------------------------------------


def test_deepcopy_is_independent_and_identical():
    model = built()
    model.eval()
    twin = copy.deepcopy(model)
    torch.testing.assert_close(twin(X), model(X), rtol=0, atol=0)
    assert twin.variable("logits/weights").tensor is twin.get_parameter("logits.weights")
    twin.variable("logits/biases").assign_tf(torch.ones(3))
    assert not torch.equal(twin(X), model(X))
    twin.train()
    twin(X)  # BN updates the copy only
    assert not torch.equal(twin.variable("conv1/BatchNorm/moving_mean").to_tf(),
                           model.variable("conv1/BatchNorm/moving_mean").to_tf())


def test_state_dict_into_a_second_model_of_the_same_function():
    model = built()
    model.train()
    model(X)  # move the BN statistics away from their initial values
    model.eval()
    torch.manual_seed(123)
    other = slim.Model(small_net)
    other.build(X)
    assert not torch.equal(other(X), model(X))
    other.load_state_dict(model.state_dict())
    other.eval()
    torch.testing.assert_close(other(X), model(X), rtol=0, atol=0)
    for name, var in model.tf_variables().items():
        torch.testing.assert_close(other.variable(name).to_tf(), var.to_tf(), rtol=0, atol=0)


def test_repr_mentions_function_and_variable_count():
    assert "fn=small_net, variables=7" in repr(built())


def test_gradients_flow_to_the_inputs():
    model = built()
    x = X.clone().requires_grad_(True)
    model(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()

