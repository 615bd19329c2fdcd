"""batch_norm (tf-slim BatchNormTest ported) and layer_norm."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import GraphKeys


def run(fn, *inputs, train=True):
    model = slim.Model(fn)
    model.train(train)
    out = model(*inputs)
    return model, out


def images(shape, seed=0, offset=0.0):
    return torch.from_numpy(np.random.default_rng(seed).random(shape).astype(np.float32) + offset)


# --- creation, variables, errors -----------------------------------------------------------------


def test_create_op_keeps_shape_and_adds_no_regularization_losses():
    x = images((5, 3, 3, 3))
    model, out = run(lambda x: slim.batch_norm(x), x)
    assert out.shape == x.shape
    assert model.regularization_losses() == []


def test_center_false_and_nchw_zero_debias_build():
    model, out = run(lambda x: slim.batch_norm(x, center=False, data_format="NCHW", zero_debias_moving_mean=True),
                     images((5, 3, 3, 3)))
    assert out.shape == (5, 3, 3, 3)
    assert "BatchNorm/beta" not in model.tf_variables()


@pytest.mark.parametrize("data_format", ["NDHWC", "CHWN", None])
def test_invalid_data_format(data_format):
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC"):
        run(lambda x: slim.batch_norm(x, data_format=data_format), images((5, 3, 3, 3)))


def test_rank_below_two_is_an_error_naming_the_scope():
    with pytest.raises(ValueError, match="my_bn"):
        run(lambda x: slim.batch_norm(x, scope="my_bn"), torch.ones(5))


def test_create_variables():
    model, _ = run(lambda x: slim.batch_norm(x, scale=True), images((5, 3, 3, 3)))
    assert list(model.tf_variables()) == ["BatchNorm/gamma", "BatchNorm/beta", "BatchNorm/moving_mean",
                                          "BatchNorm/moving_variance"]
    assert [v.name for v in slim.get_trainable_variables(model=model)] == ["BatchNorm/gamma", "BatchNorm/beta"]
    assert all(v.dtype == torch.float32 and v.tf_shape == (3,) for v in model.tf_variables().values())


def test_default_has_no_gamma():
    model, _ = run(lambda x: slim.batch_norm(x), images((5, 3, 3, 3)))
    assert list(model.tf_variables()) == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]


@pytest.mark.parametrize("shape, kwargs, order", [
    ((5, 3, 3, 3), {}, "gamma_first"),                                # core (Keras) path
    ((5, 3, 3, 3), {"fused": False}, "gamma_first"),                  # core, non-fused
    ((5, 3, 3, 3), {"updates_collections": None}, "beta_first"),      # _fused_batch_norm
    ((5, 3, 3, 3), {"zero_debias_moving_mean": True}, "beta_first"),  # fused path
    ((5, 3), {}, "beta_first"),                                       # rank 2 -> fused path
    ((5, 3), {"fused": False}, "gamma_first"),                        # rank 2 non-fused -> core path
    ((5, 4, 3), {}, "gamma_first"),                                   # rank 3 -> core path
    ((5, 4, 3), {"updates_collections": None}, "beta_first"),         # rank 3 -> legacy path
])
def test_variable_creation_order_follows_tf_paths(shape, kwargs, order):
    model, _ = run(lambda x: slim.batch_norm(x, scale=True, **kwargs), images(shape))
    names = [n.split("/")[-1] for n in model.tf_variables()][:2]
    assert names == (["gamma", "beta"] if order == "gamma_first" else ["beta", "gamma"])


def test_moving_average_variables_are_model_variables():
    model, _ = run(lambda x: slim.batch_norm(x, scale=True), images((5, 3, 3, 3)))
    assert len(slim.get_model_variables(model=model)) == 4
    assert [v.name for v in slim.get_variables_by_name("moving_mean", model=model)] == ["BatchNorm/moving_mean"]


def test_zero_debias_variables():
    model, _ = run(lambda x: slim.batch_norm(x, scale=True, zero_debias_moving_mean=True, fused=False),
                   images((5, 3, 3, 3)))
    names = [v.name for v in slim.get_model_variables(model=model)]
    assert len(names) == 6
    assert "BatchNorm/BatchNorm/moving_mean/biased" in names
    assert "BatchNorm/BatchNorm/moving_mean/local_step" in names


@pytest.mark.parametrize("param", ["beta", "gamma"])
def test_param_regularizer(param):
    reg = lambda x: 0.1 * x.sum()  # noqa: E731
    model, _ = run(lambda x: slim.batch_norm(x, scale=True, param_regularizers={param: reg}), images((5, 3, 3, 3)))
    losses = model.regularization_losses()
    assert len(losses) == 1
    expected = 0.1 * (3.0 if param == "gamma" else 0.0)
    torch.testing.assert_close(losses[0], torch.tensor(expected))


def test_variables_collections():
    collections = {"beta": ["beta"], "gamma": ["gamma"], "moving_mean": ["moving_mean"],
                   "moving_variance": ["moving_variance"]}
    found = {}

    def fn(x):
        slim.batch_norm(x, scale=True, variables_collections=collections)
        for name in collections:
            found[name] = [v.name for v in slim.get_variables(collection=name)]

    run(fn, images((5, 3, 3, 3)))
    assert found == {name: [f"BatchNorm/{name}"] for name in collections}


def test_reuse_variables():
    def fn(x):
        slim.batch_norm(x, scale=True, scope="bn")
        return slim.batch_norm(x, scale=True, scope="bn", reuse=True)

    model, _ = run(fn, images((5, 3, 3, 3)))
    assert len(slim.get_variables_by_name("beta", model=model)) == 1
    assert len(slim.get_variables_by_name("gamma", model=model)) == 1
    assert len(slim.get_variables_by_suffix("moving_mean", model=model)) == 1
    assert len(slim.get_variables_by_suffix("moving_variance", model=model)) == 1


def test_reuse_updates_twice():
    x = images((10, 2, 2, 3))

    def fn(x):
        slim.batch_norm(x, decay=0.5, scope="bn", is_training=True)
        return slim.batch_norm(x, decay=0.5, scope="bn", reuse=True, is_training=True)

    model, _ = run(fn, x)
    mean = x.mean(dim=(0, 1, 2))
    torch.testing.assert_close(model.variable("bn/moving_mean").to_tf(), 0.75 * mean)


def test_variables_are_float32_for_half_inputs():
    model, out = run(lambda x: slim.batch_norm(x, scale=True), images((5, 3, 3, 3)).half())
    assert out.dtype == torch.float16
    assert all(v.dtype == torch.float32 for v in model.tf_variables().values())


def test_unsupported_options_are_errors():
    for kwargs in ({"renorm": True}, {"batch_weights": torch.ones(5)}, {"adjustment": lambda s: s}):
        with pytest.raises(ValueError, match="not supported"):
            run(lambda x: slim.batch_norm(x, **kwargs), images((5, 3, 3, 3)))


# --- values --------------------------------------------------------------------------------------


def test_custom_initializer():
    x = torch.full((5, 3, 3, 3), 9.0)
    init = {
        "beta": slim.initializers.constant_initializer(5.0),
        "gamma": slim.initializers.constant_initializer(2.0),
        "moving_mean": slim.initializers.constant_initializer(5.0),
        "moving_variance": slim.initializers.constant_initializer(4.0),
    }
    _, out = run(lambda x: slim.batch_norm(x, is_training=False, param_initializers=init, epsilon=0.0, scale=True), x)
    torch.testing.assert_close(out, x)


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
@pytest.mark.parametrize("fused", [None, True, False])
def test_none_updates_collections(fused, data_format):
    """decay 0.1, 10 runs: moving stats reach the batch stats (Bessel-corrected variance when fused)."""
    shape = (10, 2, 2, 3) if data_format == "NHWC" else (10, 3, 2, 2)
    x = images(shape, seed=1)
    axes = (0, 1, 2) if data_format == "NHWC" else (0, 2, 3)
    mean, var = x.mean(dim=axes), x.var(dim=axes, correction=0)
    if fused is not False:
        var = var * 40 / 39
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.1, updates_collections=None, fused=fused,
                                                 data_format=data_format, is_training=True))
    model.build(x)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), torch.zeros(3))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), torch.ones(3))
    for _ in range(10):
        model(x)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), mean)
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), var)


def test_delayed_update_moving_vars_default_collection():
    """The default UPDATE_OPS path updates in place as well (there is no graph to defer to)."""
    x = images((10, 2, 2, 3), seed=2)
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.1, is_training=True))
    for _ in range(10):
        model(x)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), x.mean(dim=(0, 1, 2)))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(),
                               x.var(dim=(0, 1, 2), correction=1))


def test_one_step_update_formula():
    x = images((4, 3, 3, 2), seed=3)
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.9, is_training=True, fused=False))
    model(x)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), 0.1 * x.mean(dim=(0, 1, 2)))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(),
                               0.9 + 0.1 * x.var(dim=(0, 1, 2), correction=0))


@pytest.mark.parametrize("fused", [None, False])
@pytest.mark.parametrize("zero_debias", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (1, 3)])
def test_one_value_per_channel_in_training_gives_beta(shape, zero_debias, fused):
    """Batch 1 on a 1x1 map (ResNet's block4 on small images): PyTorch's kernel refuses it, TF's
    batch variance is 0, so the output is beta and the moving variance decays towards 0."""
    x = images(shape, seed=5, offset=1.0).requires_grad_()
    beta = slim.initializers.constant_initializer([0.5, -1.0, 2.0])
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.9, scale=True, is_training=True, fused=fused,
                                                 zero_debias_moving_mean=zero_debias,
                                                 param_initializers={"beta": beta}))
    out = model(x)
    torch.testing.assert_close(out, torch.tensor([0.5, -1.0, 2.0]).expand(shape))
    out.sum().backward()
    torch.testing.assert_close(x.grad, torch.zeros(shape))
    moving_mean = x.detach().reshape(3) * (1.0 if zero_debias else 0.1)   # debiased after one step: the mean
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), moving_mean)
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), torch.full((3,), 0.9))


def test_eval_does_not_update_moving_vars():
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.1, is_training=False))
    for i in range(10):
        out = model(images((10, 2, 2, 3), seed=i))
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), torch.zeros(3))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), torch.ones(3))
    x = images((10, 2, 2, 3), seed=9)
    torch.testing.assert_close(out, x / np.sqrt(1 + 1e-3))


def test_train_output_is_normalized_with_batch_statistics():
    x = images((10, 7, 7, 32), offset=256.0)
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.2, updates_collections=None, is_training=True))
    for _ in range(10):
        out = model(x)
    torch.testing.assert_close(out.mean(dim=(0, 1, 2)), torch.zeros(32), atol=1e-3, rtol=0)
    # biased batch variance in the output: var(out) = var / (var + eps)
    var = x.var(dim=(0, 1, 2), correction=0)
    torch.testing.assert_close(out.var(dim=(0, 1, 2), correction=0), var / (var + 1e-3), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), x.mean(dim=(0, 1, 2)))


def test_is_training_converges_to_eval_output():
    x = images((10, 2, 2, 3), seed=4)
    model = slim.Model(lambda x, t: slim.batch_norm(x, decay=0.1, fused=False, is_training=t))
    before_train = model(x, t=True)
    for _ in range(30):
        model(x, t=True)
    torch.testing.assert_close(model(x, t=False), before_train, atol=1e-5, rtol=1e-5)


def test_is_training_as_a_bool_tensor():
    x = images((10, 2, 2, 3), seed=5)
    model = slim.Model(lambda x, t: slim.batch_norm(x, decay=0.0, is_training=t))
    model(x, t=torch.tensor(False))
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), torch.zeros(3))
    model(x, t=torch.tensor(True))
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), x.mean(dim=(0, 1, 2)))


def test_zero_debias_moving_mean():
    x = images((10, 3, 3, 3), seed=6)
    mean = x.mean(dim=(0, 1, 2))
    model = slim.Model(lambda x: slim.batch_norm(x, decay=0.1, updates_collections=None, zero_debias_moving_mean=True,
                                                 fused=False, is_training=True))
    model.build(x)
    step = model.variable("BatchNorm/BatchNorm/moving_mean/local_step")
    for i in range(10):
        assert float(step.to_tf()) == i
        model(x)
        torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), mean)
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(),
                               x.var(dim=(0, 1, 2), correction=0))
    torch.testing.assert_close(model.variable("BatchNorm/BatchNorm/moving_mean/biased").to_tf(), mean)


def test_nhwc_and_nchw_give_the_same_output():
    x = images((5, 4, 4, 3), seed=7)
    _, a = run(lambda x: slim.batch_norm(x, scale=True, is_training=True), x)
    _, b = run(lambda x: slim.batch_norm(x, scale=True, is_training=True, data_format="NCHW"),
               x.permute(0, 3, 1, 2))
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


def test_rank_two_and_activation():
    x = images((8, 3), seed=8) - 0.5
    _, out = run(lambda x: slim.batch_norm(x, activation_fn=slim.nn.relu, is_training=True), x)
    want = ((x - x.mean(0)) / torch.sqrt(x.var(0, correction=0) + 1e-3)).relu()
    torch.testing.assert_close(out, want, rtol=1e-5, atol=1e-5)


def test_outputs_collections_alias():
    def fn(x):
        slim.batch_norm(x, outputs_collections="c", scope="bn1")
        return list(slim.utils.convert_collection_to_dict("c"))

    assert run(fn, images((2, 2, 2, 2)))[1] == ["bn1"]


# --- layer_norm ----------------------------------------------------------------------------------


def test_layer_norm_values_and_variables():
    x = images((2, 3, 4), seed=9)
    model, out = run(lambda x: slim.layer_norm(x), x)
    assert list(model.tf_variables()) == ["LayerNorm/beta", "LayerNorm/gamma"]
    assert model.variable("LayerNorm/gamma").tf_shape == (4,)
    flat = x.reshape(2, -1)
    want = (flat - flat.mean(1, keepdim=True)) / torch.sqrt(flat.var(1, correction=0, keepdim=True) + 1e-12)
    torch.testing.assert_close(out, want.reshape(2, 3, 4))


def test_layer_norm_axes():
    x = images((2, 3, 4), seed=10)
    model, out = run(lambda x: slim.layer_norm(x, begin_norm_axis=-1, begin_params_axis=1, center=False), x)
    assert list(model.tf_variables()) == ["LayerNorm/gamma"]
    assert model.variable("LayerNorm/gamma").tf_shape == (3, 4)
    want = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, correction=0, keepdim=True) + 1e-12)
    torch.testing.assert_close(out, want)
    with pytest.raises(ValueError, match="LayerNorm"):
        run(lambda x: slim.layer_norm(x, begin_norm_axis=5), x)


# --- dtypes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [None, False])
def test_float64_inputs_get_float64_variables_and_update_them(fused):
    x = images((6, 3, 3, 2)).double()
    model, out = run(lambda x: slim.batch_norm(x, scale=True, decay=0.0, fused=fused), x)
    assert out.dtype == torch.float64
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}
    flat = x.reshape(-1, 2)
    correction = 0 if fused is False else 1
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), flat.mean(0))
    torch.testing.assert_close(model.variable("BatchNorm/moving_variance").to_tf(), flat.var(0, correction=correction))
    want = (flat - flat.mean(0)) / torch.sqrt(flat.var(0, correction=0) + 1e-3)
    torch.testing.assert_close(out.reshape(-1, 2), want)


def test_float64_zero_debias():
    x = images((10, 3, 3, 3)).double()
    model, _ = run(lambda x: slim.batch_norm(x, decay=0.1, zero_debias_moving_mean=True, fused=False), x)
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}
    torch.testing.assert_close(model.variable("BatchNorm/moving_mean").to_tf(), x.mean(dim=(0, 1, 2)))


def test_layer_norm_variables_take_the_input_dtype():
    model, out = run(lambda x: slim.layer_norm(x), images((2, 3, 4)).double())
    assert out.dtype == torch.float64
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}


# --- zero_debias_moving_mean: TF's variables and collections -------------------------------------------


def _zero_debias_net(fused, is_training=True):
    def fn(x):
        with slim.variable_scope("net"):
            return slim.batch_norm(x, zero_debias_moving_mean=True, fused=fused, is_training=is_training,
                                   scope="bn")
    return fn


@pytest.mark.parametrize("fused, in_model_variables", [(None, False), (True, False), (False, True)])
def test_zero_debias_variables_names_and_collections(fused, in_model_variables):
    # TF 2.15 + tf-slim 1.1.0: get_variable in a scope named after the moving mean's full name, inside
    # the BN scope; GLOBAL_VARIABLES, non-trainable; MODEL_VARIABLES too only on the non-fused path.
    model, _ = run(_zero_debias_net(fused), images((2, 3, 3, 2)))
    extra = ["net/bn/net/bn/moving_mean/biased", "net/bn/net/bn/moving_mean/local_step"]
    names = list(model.tf_variables())
    assert names[-2:] == extra
    global_names = [v.name for v in slim.get_variables(model=model)]
    assert set(extra) <= set(global_names)
    assert not set(extra) & {v.name for v in slim.get_local_variables(model=model)}
    assert not set(extra) & {v.name for v in slim.get_trainable_variables(model=model)}
    assert (set(extra) <= {v.name for v in slim.get_model_variables(model=model)}) == in_model_variables
    assert model.tf_variables()[extra[1]].tf_shape == ()


def test_zero_debias_variables_absent_when_never_training():
    model, _ = run(_zero_debias_net(False, is_training=False), images((2, 3, 3, 2)), train=False)
    assert list(model.tf_variables()) == ["net/bn/beta", "net/bn/moving_mean", "net/bn/moving_variance"]


def test_zero_debias_moving_mean_is_the_debiased_average():
    x = images((4, 3, 3, 2))
    model, _ = run(_zero_debias_net(False, is_training=None), x)
    model(x + 1.0)
    decay, batch_means = 0.999, [x.mean((0, 1, 2)), (x + 1.0).mean((0, 1, 2))]
    biased = torch.zeros(2)
    for mean in batch_means:
        biased = biased * decay + (1 - decay) * mean
    variables = model.tf_variables()
    torch.testing.assert_close(variables["net/bn/net/bn/moving_mean/local_step"].tensor, torch.tensor(2.0))
    torch.testing.assert_close(variables["net/bn/moving_mean"].tensor, biased / (1 - decay ** 2), rtol=1e-4, atol=1e-6)


# --- instance_norm --------------------------------------------------------------------------------------


def test_instance_norm_by_hand():
    # one image, one channel, values 1..4: mean 2.5, biased variance 1.25
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1)
    _, y = run(lambda t: slim.instance_norm(t, epsilon=0.0), x)
    want = (torch.tensor([1.0, 2.0, 3.0, 4.0]) - 2.5) / 1.25 ** 0.5
    torch.testing.assert_close(y.reshape(-1), want)


def test_instance_norm_per_example_and_channel_with_params():
    x = images((3, 4, 5, 2), seed=3)
    init = {"beta": slim.initializers.constant_initializer([0.5, -1.0]),
            "gamma": slim.initializers.constant_initializer([2.0, 3.0])}
    model, y = run(lambda t: slim.instance_norm(t, epsilon=1e-3, param_initializers=init), x)
    mean = x.mean((1, 2), keepdim=True)
    var = x.var((1, 2), keepdim=True, unbiased=False)
    want = (x - mean) / torch.sqrt(var + 1e-3) * torch.tensor([2.0, 3.0]) + torch.tensor([0.5, -1.0])
    torch.testing.assert_close(y, want, rtol=1e-5, atol=1e-5)
    assert {k: list(v.tf_shape) for k, v in model.tf_variables().items()} == {
        "InstanceNorm/beta": [2], "InstanceNorm/gamma": [2]}
    assert all(v.trainable for v in model.tf_variables().values())


def test_instance_norm_nchw_equals_nhwc_and_rank5():
    x = images((2, 3, 4, 5), seed=4)
    _, nhwc = run(lambda t: slim.instance_norm(t), x)
    _, nchw = run(lambda t: slim.instance_norm(t, data_format="NCHW"), x.permute(0, 3, 1, 2))
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), nhwc, rtol=1e-5, atol=1e-5)
    _, y5 = run(lambda t: slim.instance_norm(t, center=False, scale=False), images((2, 2, 3, 4, 3)))
    torch.testing.assert_close(y5.mean((1, 2, 3)), torch.zeros(2, 3), atol=1e-5, rtol=0)


def test_instance_norm_options_scope_and_activation():
    def fn(t):
        with slim.variable_scope("net"):
            return slim.instance_norm(t, center=False, scale=False, activation_fn=torch.relu, trainable=False,
                                      variables_collections=["extra"], outputs_collections="outs", scope="IN")
    model, y = run(fn, images((2, 3, 3, 2)))
    assert list(model.tf_variables()) == []
    assert float(y.min()) >= 0.0
    model, _ = run(lambda t: slim.instance_norm(t, trainable=False), images((2, 3, 3, 2)))
    assert not any(v.trainable for v in model.tf_variables().values())


@pytest.mark.parametrize("shape, data_format, match", [
    ((2, 3), "NHWC", "InstanceNorm"),
    ((2, 3, 3, 2), "NCDHW", "data_format has to be either NCHW or NHWC"),
])
def test_instance_norm_errors_name_the_scope(shape, data_format, match):
    with pytest.raises(ValueError, match=match):
        run(lambda t: slim.instance_norm(t, data_format=data_format), images(shape))


def test_instance_norm_in_conv2d_normalizer():
    model, _ = run(lambda t: slim.conv2d(t, 4, 3, normalizer_fn=slim.instance_norm), images((1, 5, 5, 2)))
    assert list(model.tf_variables()) == ["Conv/weights", "Conv/InstanceNorm/beta", "Conv/InstanceNorm/gamma"]


# --- group_norm (tf-slim's normalization.group_norm) -------------------------------------------------


def test_group_norm_variables_names_and_values():
    x = torch.arange(1.0, 9.0).reshape(1, 1, 2, 4)         # groups {1, 2, 5, 6} and {3, 4, 7, 8}: variance 4.25
    model, out = run(lambda x: slim.group_norm(x, groups=2, epsilon=0.0), x)
    assert [(name, list(v.shape)) for name, v in model.tf_variables().items()] == [
        ("GroupNorm/beta", [4]), ("GroupNorm/gamma", [4])]
    want = torch.tensor([[[[-2.5, -1.5, -2.5, -1.5], [1.5, 2.5, 1.5, 2.5]]]]) / 4.25 ** 0.5
    torch.testing.assert_close(out, want)


def test_group_norm_does_not_mix_the_batch():
    x = images((2, 3, 3, 8))
    _, out = run(lambda x: slim.group_norm(x, groups=4), x)
    _, alone = run(lambda x: slim.group_norm(x, groups=4), x[1:])
    torch.testing.assert_close(out[1:], alone)
    # every group of every example is normalised: mean 0, variance 1 (up to epsilon)
    grouped = out.reshape(2, 9, 4, 2)
    torch.testing.assert_close(grouped.mean(dim=(1, 3)), torch.zeros(2, 4), atol=1e-5, rtol=0)
    torch.testing.assert_close(grouped.var(dim=(1, 3), correction=0), torch.ones(2, 4), atol=1e-4, rtol=0)


def test_group_norm_nchw_equals_nhwc():
    x = images((2, 4, 5, 6), seed=3)
    _, nhwc = run(lambda x: slim.group_norm(x, groups=3), x)
    _, nchw = run(lambda x: slim.group_norm(x, groups=3, channels_axis=-3, reduction_axes=(-2, -1)),
                  x.permute(0, 3, 1, 2))
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), nhwc, atol=1e-6, rtol=1e-6)


def test_group_norm_options():
    x = images((1, 2, 2, 4), seed=1)
    init = {"beta": slim.initializers.constant_initializer(0.5), "gamma": slim.initializers.constant_initializer(2.0)}

    def net(x):
        plain = slim.group_norm(x, groups=2, center=False, scale=False, scope="plain")
        scaled = slim.group_norm(x, groups=2, param_initializers=init, activation_fn=slim.nn.relu, scope="scaled")
        return plain, scaled

    model, (plain, scaled) = run(net, x)
    assert list(model.tf_variables()) == ["scaled/beta", "scaled/gamma"]
    torch.testing.assert_close(scaled, torch.relu(plain * 2.0 + 0.5), atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"groups": 3}, "4 channels is not commensurate with 3 groups"),
    ({"groups": 8}, "Invalid groups 8 for 4 channels"),
    ({"groups": 2, "channels_axis": 4}, "Axis is out of bounds"),
    ({"groups": 2, "reduction_axes": (1, 5)}, "Axis is out of bounds"),
    ({"groups": 2, "reduction_axes": (-3, -1)}, "mutually exclusive"),
])
def test_group_norm_errors_name_the_scope(kwargs, message):
    with pytest.raises(ValueError, match=f"gn.*{message}"):
        run(lambda x: slim.group_norm(x, scope="gn", **kwargs), images((1, 2, 2, 4)))
