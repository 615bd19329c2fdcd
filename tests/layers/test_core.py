"""Core layers: tf-slim's FCTest, FlattenTest, DropoutTest, SoftmaxTests, BiasAddTest, OneHotEncodingTest and
UnitNormTests ported, with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchslim as slim


def run(fn, *inputs, train=True):
    model = slim.Model(fn)
    model.train(train)
    return model, model(*inputs)


def names(model):
    return list(model.tf_variables())


def uniform(*shape, dtype=torch.float32):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(1), dtype=dtype)


# --- FCTest ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [slim.fully_connected, slim.relu])
def test_create_fc(layer):
    model, out = run(lambda x: layer(x, 32), uniform(5, 27))
    assert out.shape == (5, 32) and bool((out >= 0).all())
    assert names(model) == ["fully_connected/weights", "fully_connected/biases"]
    assert model.variable("fully_connected/weights").tf_shape == (27, 32)
    assert model.variable("fully_connected/biases").tf_shape == (32,)


def test_fc_values_are_x_times_w_plus_b():
    w = np.arange(6, dtype=np.float32).reshape(3, 2) - 2.5
    init = dict(weights_initializer=slim.initializers.constant_initializer(w),
                biases_initializer=slim.initializers.constant_initializer([1.0, -1.0]))
    x = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 1.0]])
    _, out = run(lambda x: slim.fully_connected(x, 2, activation_fn=None, **init), x)
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ w + [1.0, -1.0], rtol=1e-6)
    _, out = run(lambda x: slim.fully_connected(x, 2, **init), x)  # relu by default
    np.testing.assert_allclose(out.detach().numpy(), np.maximum(x.numpy() @ w + [1.0, -1.0], 0), rtol=1e-6)


def test_fc_on_rank_3_and_4_inputs_acts_on_the_last_axis():
    # TF-Slim's docstring says rank > 2 inputs are flattened; tf.layers.Dense acts on the last axis.
    x = uniform(2, 5, 7, 3)
    model, out = run(lambda x: slim.fully_connected(x, 4, activation_fn=None), x)
    assert out.shape == (2, 5, 7, 4)
    w, b = model.variable("fully_connected/weights").to_tf(), model.variable("fully_connected/biases").to_tf()
    torch.testing.assert_close(out, x @ w + b)
    _, out = run(lambda x: slim.fully_connected(x, 4), uniform(3, 6, 5))
    assert out.shape == (3, 6, 4)


def test_fc_with_scope_collection_and_name_scope():
    def fn(x):
        with slim.name_scope("fe"):
            slim.fully_connected(x, 7, outputs_collections="outputs", scope="fc")
        return list(slim.utils.convert_collection_to_dict("outputs"))

    model, aliases = run(fn, uniform(5, 27))
    assert aliases == ["fc"] and names(model) == ["fc/weights", "fc/biases"]


def test_fc_reuse_and_non_reuse():
    def reuse(x):
        slim.fully_connected(x, 32, scope="fc1")
        return slim.fully_connected(x, 32, scope="fc1", reuse=True)

    assert names(run(reuse, uniform(5, 27))[0]) == ["fc1/weights", "fc1/biases"]

    def non_reuse(x):
        slim.fully_connected(x, 32)
        return slim.fully_connected(x, 32)

    assert len(slim.get_variables("fully_connected", model=run(non_reuse, uniform(5, 27))[0])) == 4


def test_fc_reuse_with_regularizer_adds_no_loss():
    regularizer = lambda x: x.sum() * 1e-3  # noqa: E731

    def fn(x):
        slim.fully_connected(x, 32, scope="fc1", weights_regularizer=regularizer)
        slim.fully_connected(x, 32, scope="fc1", weights_regularizer=regularizer, reuse=True)
        with slim.variable_scope("outer", reuse=False):
            slim.fully_connected(x, 32, weights_regularizer=regularizer)
        with slim.variable_scope("outer", reuse=True):
            slim.fully_connected(x, 32, weights_regularizer=regularizer)

    model, _ = run(fn, uniform(5, 27))
    assert len(model.regularization_losses()) == 2


def test_fc_weight_and_bias_decay():
    model, _ = run(lambda x: slim.fully_connected(x, 32, weights_regularizer=slim.l2_regularizer(0.01)), uniform(5, 27))
    (wd,) = model.regularization_losses()
    w = model.variable("fully_connected/weights").to_tf()
    torch.testing.assert_close(wd.detach(), 0.01 * w.square().sum() / 2)
    assert float(wd.detach()) < 0.4
    model, _ = run(lambda x: slim.fully_connected(x, 32, biases_regularizer=slim.l2_regularizer(0.01),
                                                  biases_initializer=slim.initializers.ones_initializer()),
                   uniform(5, 27))
    (bd,) = model.regularization_losses()
    torch.testing.assert_close(bd.detach(), torch.tensor(0.01 * 32 / 2))
    model, _ = run(lambda x: slim.fully_connected(x, 32), uniform(5, 27))
    assert model.regularization_losses() == []


def test_fc_with_batch_norm():
    def fn(x):
        with slim.arg_scope([slim.fully_connected], normalizer_fn=slim.batch_norm, normalizer_params={"decay": 0.9}):
            net = slim.fully_connected(x, 27)
            return slim.fully_connected(net, 27)

    model, _ = run(fn, uniform(5, 27))
    assert len(model.tf_variables()) == 8
    assert [n for n in names(model) if n.startswith("fully_connected/BatchNorm")] == [
        "fully_connected/BatchNorm/beta", "fully_connected/BatchNorm/moving_mean",
        "fully_connected/BatchNorm/moving_variance"]
    assert len(slim.get_variables("fully_connected_1/BatchNorm", model=model)) == 3
    assert "fully_connected/biases" not in names(model)

    def reuse(x):
        with slim.arg_scope([slim.fully_connected], normalizer_fn=slim.batch_norm, normalizer_params={"decay": 0.9}):
            net = slim.fully_connected(x, 27, scope="fc1")
            return slim.fully_connected(net, 27, scope="fc1", reuse=True)

    model, _ = run(reuse, uniform(5, 27))
    assert len(model.tf_variables()) == 4 and len(slim.get_variables("fc1/BatchNorm", model=model)) == 3


def test_fc_num_outputs_must_be_an_int():
    for bad in (3.0, "3", np.int64(3), None):
        with pytest.raises(ValueError, match=r"fc: num_outputs type should be one of"):
            run(lambda x: slim.fully_connected(x, bad, scope="fc"), uniform(5, 27))


def test_fc_rank_below_two_names_the_scope():
    with pytest.raises(ValueError, match=r"net/logits: fully_connected expects input with rank"):
        def fn(x):
            with slim.variable_scope("net"):
                return slim.fully_connected(x, 3, scope="logits")

        run(fn, uniform(5))


def test_fc_partials():
    x = torch.tensor([[-1.0, 2.0]])
    init = dict(weights_initializer=slim.initializers.constant_initializer([[-10.0, 1.0], [0.0, 5.0]]))
    torch.testing.assert_close(run(lambda x: slim.linear(x, 2, **init), x)[1], torch.tensor([[10.0, 9.0]]))
    torch.testing.assert_close(run(lambda x: slim.relu6(x, 2, **init), x)[1], torch.tensor([[6.0, 6.0]]))
    x = torch.tensor([[1.0, 0.0]])
    torch.testing.assert_close(run(lambda x: slim.elu(x, 2, **init), x)[1],
                               torch.tensor([[math.exp(-10.0) - 1.0, 1.0]]))


def test_fc_variables_take_the_input_dtype():
    # TF: dtype=inputs.dtype.base_dtype
    model, out = run(lambda x: slim.fully_connected(x, 4), uniform(5, 3, dtype=torch.float64))
    assert out.dtype == torch.float64
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}


# --- FlattenTest ----------------------------------------------------------------------------------


def test_flatten_keeps_h_w_c_order():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    _, out = run(lambda x: slim.flatten(x), x)
    assert out.shape == (2, 60)
    torch.testing.assert_close(out, torch.from_numpy(x.numpy().reshape(2, -1)))
    # an NHWC tensor stored channels-first (as conv outputs are) flattens the same way
    nchw_storage = x.permute(0, 3, 1, 2).contiguous().permute(0, 2, 3, 1)
    torch.testing.assert_close(run(lambda x: slim.flatten(x), nchw_storage)[1], out)


def test_flatten_shapes():
    assert run(lambda x: slim.flatten(x), uniform(5, 3, 3))[1].shape == (5, 9)
    assert run(lambda x: slim.flatten(x), uniform(5))[1].shape == (5, 1)
    assert run(lambda x: slim.flatten(x), uniform(5, 7))[1].shape == (5, 7)


def test_flatten_collect_outputs():
    def fn(x):
        slim.flatten(x, outputs_collections="outputs")
        slim.flatten(x, outputs_collections="outputs")
        return list(slim.utils.convert_collection_to_dict("outputs"))

    assert run(fn, uniform(5, 3, 3, 3))[1] == ["Flatten", "Flatten_1"]


# --- DropoutTest ----------------------------------------------------------------------------------


def test_dropout_keeps_about_keep_prob_and_scales():
    x = uniform(5, 10, 10, 3) + 0.1
    _, out = run(lambda x: slim.dropout(x, is_training=True), x)
    kept = (out > 0).float().mean()
    assert 0.4 < float(kept) < 0.6
    torch.testing.assert_close(out[out > 0], (x * 2)[out > 0])
    _, out = run(lambda x: slim.dropout(x, keep_prob=0.8, is_training=True), x)
    assert 0.7 < float((out > 0).float().mean()) < 0.9
    torch.testing.assert_close(out[out > 0], (x / 0.8)[out > 0])


def test_dropout_not_training_is_the_identity():
    x = uniform(5, 3, 3, 3)
    for is_training in (False, torch.tensor(False)):
        torch.testing.assert_close(run(lambda x: slim.dropout(x, is_training=is_training), x)[1], x)
    torch.testing.assert_close(run(lambda x: slim.dropout(x, keep_prob=1.0, is_training=True), x)[1], x)


def test_dropout_is_training_none_follows_the_model_mode():
    x = uniform(5, 10, 10, 3) + 0.1
    torch.testing.assert_close(run(lambda x: slim.dropout(x), x, train=False)[1], x)
    out = run(lambda x: slim.dropout(x), x, train=True)[1]
    assert 0.4 < float((out > 0).float().mean()) < 0.6
    out = run(lambda x: slim.dropout(x, is_training=torch.tensor(True)), x, train=False)[1]
    assert 0.4 < float((out > 0).float().mean()) < 0.6


def test_dropout_seed():
    x = uniform(5, 10, 10, 3)

    def fn(x):
        return slim.dropout(x, seed=1, is_training=True), slim.dropout(x, seed=1, is_training=True)

    a, b = run(fn, x)[1]
    torch.testing.assert_close(a, b)


def test_dropout_noise_shape_shares_the_mask():
    x = uniform(4, 6, 6, 8) + 0.1
    _, out = run(lambda x: slim.dropout(x, noise_shape=[4, 1, 1, 8], is_training=True), x)
    kept = out > 0
    assert bool((kept == kept[:, :1, :1, :]).all())  # one decision per (sample, channel)
    # None in noise_shape means the input's size there (Keras' rule)
    _, out = run(lambda x: slim.dropout(x, noise_shape=[None, 1, 1, None], seed=3, is_training=True), x)
    kept = out > 0
    assert bool((kept == kept[:, :1, :1, :]).all()) and 0 < int(kept[:, 0, 0, :].sum()) < 32


def test_dropout_collect_outputs_alias_is_the_variable_scope_name():
    # TF-Slim's dropout opens variable_scope(scope, 'Dropout'): an explicit scope is not uniquified
    def fn(x):
        slim.dropout(x, is_training=True, outputs_collections="outputs")
        slim.dropout(x, is_training=True, outputs_collections="outputs")
        with slim.variable_scope("Logits"):
            slim.dropout(x, is_training=False, scope="Dropout", outputs_collections="outputs")
        with slim.variable_scope("Logits", reuse=True):
            slim.dropout(x, is_training=False, scope="Dropout", outputs_collections="outputs")
        return [alias for alias, _ in slim.get_collection("outputs")]

    assert run(fn, uniform(5, 3, 3, 3))[1] == ["Dropout", "Dropout_1", "Logits/Dropout", "Logits/Dropout"]


def test_fc_followed_by_dropout_and_dropout_as_normalizer():
    x = uniform(5, 3, 3, 3)
    _, (before, after) = run(lambda x: (lambda y: (y, slim.dropout(y, is_training=True)))(slim.fully_connected(x, 50)),
                             x)
    frac_before, frac_after = float((before > 0).float().mean()), float((after > 0).float().mean())
    assert frac_before / 2 - 0.1 < frac_after < frac_before / 2 + 0.1
    _, out = run(lambda x: slim.fully_connected(x, 50, normalizer_fn=slim.dropout,
                                                normalizer_params={"is_training": True}), x)
    assert 0.1 < float((out > 0).float().mean()) < 0.5


def test_dropout_keep_prob_out_of_range_is_an_error():
    for keep_prob in (0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match="keep_prob"):
            run(lambda x: slim.dropout(x, keep_prob=keep_prob, is_training=True), uniform(2, 3))


# --- SoftmaxTests ---------------------------------------------------------------------------------

LOW, HIGH = 1 / (1 + math.e), math.e / (1 + math.e)


def test_softmax_2d():
    logits = torch.tensor([[0.0, 1], [1, 1], [1, 0]])
    want = torch.tensor([[LOW, HIGH], [0.5, 0.5], [HIGH, LOW]])
    torch.testing.assert_close(run(lambda x: slim.softmax(x), logits)[1], want)


def test_softmax_3d_is_over_the_last_axis():
    logits = torch.ones(2, 3, 2, dtype=torch.float64)
    logits[0, 0, 0] = 0
    logits[1, 1, 1] = 0
    want = 0.5 * torch.ones(2, 3, 2, dtype=torch.float64)
    want[0, 0] = torch.tensor([LOW, HIGH])
    want[1, 1] = torch.tensor([HIGH, LOW])
    torch.testing.assert_close(run(lambda x: slim.softmax(x), logits)[1], want)


def test_softmax_of_a_scalar_is_an_error():
    with pytest.raises(ValueError, match="softmax"):
        run(lambda x: slim.softmax(x), torch.tensor(1.0))


# --- BiasAddTest ----------------------------------------------------------------------------------


def test_bias_add_create():
    model, out = run(lambda x: slim.bias_add(x), uniform(5, 3, 3, 3))
    assert out.shape == (5, 3, 3, 3) and names(model) == ["BiasAdd/biases"]
    model, out = run(lambda x: slim.bias_add(x, activation_fn=torch.relu,
                                             initializer=slim.initializers.constant_initializer(-0.5)),
                     uniform(5, 3, 3, 3))
    torch.testing.assert_close(out, torch.relu(uniform(5, 3, 3, 3) - 0.5))


@pytest.mark.parametrize("rank", [2, 3, 4])
def test_bias_add_dimensions(rank):
    shape = [5, 2, 3, 4][:rank]
    model, out = run(lambda x: slim.bias_add(x), uniform(*shape))
    assert list(out.shape) == shape
    assert model.variable("BiasAdd/biases").tf_shape == (shape[-1],)


def test_bias_add_nchw_adds_over_axis_1():
    x = torch.zeros(2, 3, 4, 5)
    model, out = run(lambda x: slim.bias_add(x, data_format="NCHW",
                                             initializer=slim.initializers.constant_initializer([1.0, 2.0, 3.0])), x)
    assert model.variable("BiasAdd/biases").tf_shape == (3,)
    torch.testing.assert_close(out, torch.tensor([1.0, 2.0, 3.0]).reshape(1, 3, 1, 1).expand(2, 3, 4, 5))


def test_bias_add_errors():
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC"):
        run(lambda x: slim.bias_add(x, data_format="CHWN"), uniform(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"b: data_format NCHW only supports 4D Tensor"):
        run(lambda x: slim.bias_add(x, data_format="NCHW", scope="b"), uniform(2, 3, 4))


def test_bias_add_variables_take_the_input_dtype():
    model, out = run(lambda x: slim.bias_add(x), uniform(2, 3, dtype=torch.float64))
    assert out.dtype == torch.float64 and model.variable("BiasAdd/biases").dtype == torch.float64


# --- OneHotEncodingTest ---------------------------------------------------------------------------


@pytest.mark.parametrize("labels", [np.array([0, 1, 2]), torch.tensor([0, 1, 2]),
                                    torch.tensor([0, 1, 2], dtype=torch.int32)])
def test_one_hot_encoding(labels):
    _, out = run(lambda x: slim.one_hot_encoding(labels, num_classes=3), torch.zeros(1))
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, torch.eye(3))


def test_one_hot_on_off_values_and_collection():
    def fn(x):
        out = slim.one_hot_encoding(torch.tensor([[1], [0]]), 3, on_value=0.9, off_value=0.05,
                                    outputs_collections="outputs")
        return out, list(slim.utils.convert_collection_to_dict("outputs"))

    _, (out, aliases) = run(fn, torch.zeros(1))
    assert aliases == ["OneHotEncoding"]
    torch.testing.assert_close(out, torch.tensor([[[0.05, 0.9, 0.05]], [[0.9, 0.05, 0.05]]]))


def test_one_hot_out_of_range_labels_give_off_value_rows():
    # tf.one_hot: an index outside [0, depth) (e.g. -1 for "no class") gives a row of off_value
    _, out = run(lambda x: slim.one_hot_encoding(torch.tensor([2, -1, 3]), 3), torch.zeros(1))
    torch.testing.assert_close(out, torch.tensor([[0.0, 0, 1], [0, 0, 0], [0, 0, 0]]))


# --- UnitNormTests --------------------------------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, 2])
def test_unit_norm_with_random_matrix(dim):
    x = uniform(2, 3, 3)
    _, out = run(lambda x: slim.unit_norm(x, dim=dim, epsilon=1e-6), x)
    torch.testing.assert_close(out.square().sum(dim=dim).sqrt(), torch.ones([2, 3, 3][:dim] + [2, 3, 3][dim + 1:]),
                               rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out, x / torch.sqrt(1e-6 + x.square().sum(dim=dim, keepdim=True)))


def test_unit_norm_dim_equal_to_rank_raises():
    with pytest.raises(ValueError, match="dim"):
        run(lambda x: slim.unit_norm(x, dim=3, epsilon=1e-6), uniform(2, 3, 3))


def test_unit_norm_is_arg_scoped():
    def fn(x):
        with slim.arg_scope([slim.unit_norm], dim=1):
            return slim.unit_norm(x)

    x = torch.tensor([[3.0, 4.0]])
    torch.testing.assert_close(run(fn, x)[1], torch.tensor([[0.6, 0.8]]))
