"""Each tf.layers function against values worked out by hand: padding, shapes, variables, numbers."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import tf_layers as layers
from torchslim.tf_layers import init_ops
from torchslim.variables import GraphKeys, get_collection

from ._util import names, run

ONES = init_ops.ones_initializer()


def _grid(h, w, c=1):
    """``[1, h, w, c]`` holding 1, 2, 3, ... in NHWC order."""
    return torch.arange(1, h * w * c + 1, dtype=torch.float32).reshape(1, h, w, c)


# --------------------------------------------------------------------------------------------------
# Signatures: tf.compat.v1.layers' exactly (names, order, defaults).

_TF_SIGNATURES = {
    "conv2d": "(inputs, filters, kernel_size, strides=(1, 1), padding='valid', data_format='channels_last', "
              "dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None, bias_initializer=Z, "
              "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
              "bias_constraint=None, trainable=True, name=None, reuse=None)",
    "separable_conv2d": "(inputs, filters, kernel_size, strides=(1, 1), padding='valid', "
                        "data_format='channels_last', dilation_rate=(1, 1), depth_multiplier=1, activation=None, "
                        "use_bias=True, depthwise_initializer=None, pointwise_initializer=None, bias_initializer=Z, "
                        "depthwise_regularizer=None, pointwise_regularizer=None, bias_regularizer=None, "
                        "activity_regularizer=None, depthwise_constraint=None, pointwise_constraint=None, "
                        "bias_constraint=None, trainable=True, name=None, reuse=None)",
    "conv2d_transpose": "(inputs, filters, kernel_size, strides=(1, 1), padding='valid', "
                        "data_format='channels_last', activation=None, use_bias=True, kernel_initializer=None, "
                        "bias_initializer=Z, kernel_regularizer=None, bias_regularizer=None, "
                        "activity_regularizer=None, kernel_constraint=None, bias_constraint=None, trainable=True, "
                        "name=None, reuse=None)",
    "dense": "(inputs, units, activation=None, use_bias=True, kernel_initializer=None, bias_initializer=Z, "
             "kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, "
             "bias_constraint=None, trainable=True, name=None, reuse=None)",
    "batch_normalization": "(inputs, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True, "
                           "beta_initializer=Z, gamma_initializer=O, moving_mean_initializer=Z, "
                           "moving_variance_initializer=O, beta_regularizer=None, gamma_regularizer=None, "
                           "beta_constraint=None, gamma_constraint=None, training=False, trainable=True, name=None, "
                           "reuse=None, renorm=False, renorm_clipping=None, renorm_momentum=0.99, fused=None, "
                           "virtual_batch_size=None, adjustment=None)",
    "max_pooling2d": "(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)",
    "average_pooling2d": "(inputs, pool_size, strides, padding='valid', data_format='channels_last', name=None)",
    "flatten": "(inputs, name=None, data_format='channels_last')",
    "dropout": "(inputs, rate=0.5, noise_shape=None, seed=None, training=False, name=None)",
}


@pytest.mark.parametrize("name", sorted(_TF_SIGNATURES))
def test_signature_is_tf_compat_v1_layers(name):
    params = []
    for p in inspect.signature(getattr(layers, name)).parameters.values():
        if p.default is inspect.Parameter.empty:
            params.append(p.name)
        elif callable(p.default):
            value = p.default((2,)).tolist()
            params.append(f"{p.name}={'Z' if value == [0.0, 0.0] else 'O' if value == [1.0, 1.0] else '?'}")
        else:
            params.append(f"{p.name}={p.default!r}")
    assert "(" + ", ".join(params) + ")" == _TF_SIGNATURES[name]


# --------------------------------------------------------------------------------------------------
# conv2d


def test_conv2d_same_stride2_pads_bottom_right():
    # 4x4 input 1..16, 3x3 ones kernel, stride 2, SAME: out 2x2, total pad 1 -> 0 top/left, 1 bottom/right.
    model, y = run(lambda x: layers.conv2d(x, 1, 3, strides=2, padding="same", kernel_initializer=ONES), _grid(4, 4))
    g = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    want = [[g[0:3, 0:3].sum(), g[0:3, 2:4].sum()], [g[2:4, 0:3].sum(), g[2:4, 2:4].sum()]]
    np.testing.assert_allclose(y[0, :, :, 0].detach().numpy(), want)
    assert names(model) == ["conv2d/kernel", "conv2d/bias"]
    assert [list(v.tf_shape) for v in model.tf_variables().values()] == [[3, 3, 1, 1], [1]]


def test_conv2d_valid_and_padding_case():
    for padding in ("valid", "VALID", "Valid"):
        _, y = run(lambda x: layers.conv2d(x, 2, 3, padding=padding), _grid(5, 6, 3))
        assert y.shape == (1, 3, 4, 2)
    _, y = run(lambda x: layers.conv2d(x, 2, (3, 1), padding="SAME"), _grid(5, 6, 3))
    assert y.shape == (1, 5, 6, 2)


def test_conv2d_default_padding_is_valid_and_kernel_glorot_uniform():
    model, y = run(lambda x: layers.conv2d(x, 8, 5), torch.zeros(1, 9, 9, 4))
    assert y.shape == (1, 5, 5, 8)
    kernel = model.variable("conv2d/kernel").to_tf()
    limit = np.sqrt(6.0 / (5 * 5 * 4 + 5 * 5 * 8))
    assert kernel.abs().max() <= limit and kernel.abs().max() > 0.9 * limit
    assert torch.equal(model.variable("conv2d/bias").to_tf(), torch.zeros(8))


def test_conv2d_dilation_activation_and_no_bias():
    # 5x5 ones, 3x3 ones kernel, dilation 2, SAME (pad 2 all round): centre sees 9 cells, corner 4.
    fn = lambda x: layers.conv2d(x, 1, 3, padding="same", dilation_rate=2, use_bias=False, kernel_initializer=ONES,
                                 activation=lambda t: t - 5)
    model, y = run(fn, torch.ones(1, 5, 5, 1))
    assert names(model) == ["conv2d/kernel"]
    assert y[0, 2, 2, 0] == 9 - 5 and y[0, 0, 0, 0] == 4 - 5


def test_conv2d_channels_first_matches_channels_last():
    x = torch.randn(2, 7, 6, 3)

    def net(x):
        a = layers.conv2d(x, 4, 3, strides=2, padding="same", name="c")
        b = layers.conv2d(x.permute(0, 3, 1, 2), 4, 3, strides=2, padding="same", data_format="channels_first",
                          name="c", reuse=True)
        return a, b

    _, (a, b) = run(net, x)
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


@pytest.mark.parametrize("kwargs, message", [
    (dict(padding="causal"), "padding"),
    (dict(data_format="NHWC"), "data_format"),
    (dict(strides=2, dilation_rate=2), "dilation_rate > 1"),
    (dict(kernel_size=(3, 3, 3)), "kernel_size"),
    (dict(strides=0), "strides"),
    (dict(kernel_constraint=lambda w: w), "kernel_constraint"),
])
def test_conv2d_argument_errors_name_the_layer(kwargs, message):
    args = dict(filters=2, kernel_size=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message) as info:
        run(lambda x: layers.conv2d(x, name="my_conv", **args), torch.zeros(1, 5, 5, 2))
    assert "my_conv" in str(info.value)


def test_conv2d_rank_error():
    with pytest.raises(ValueError, match="conv2d.*rank"):
        run(lambda x: layers.conv2d(x, 2, 3), torch.zeros(5, 5, 2))


def test_conv1d_and_conv3d():
    model, y = run(lambda x: layers.conv1d(x, 1, 3, padding="same", kernel_initializer=ONES), torch.ones(1, 4, 1))
    np.testing.assert_allclose(y[0, :, 0].detach().numpy(), [2, 3, 3, 2])
    assert [list(v.tf_shape) for v in model.tf_variables().values()] == [[3, 1, 1], [1]]
    model, y = run(lambda x: layers.conv3d(x, 5, 2, strides=2), torch.ones(1, 4, 4, 4, 3))
    assert y.shape == (1, 2, 2, 2, 5)
    assert model.variable("conv3d/kernel").tf_shape == (2, 2, 2, 3, 5)


def test_regularizers():
    def net(x):
        y = layers.conv2d(x, 2, 1, kernel_initializer=ONES, kernel_regularizer=lambda w: w.sum(),
                          bias_regularizer=lambda b: b.sum() + 1, activity_regularizer=lambda t: t.sum())
        return y, get_collection(GraphKeys.REGULARIZATION_LOSSES)

    model, (y, activity) = run(net, torch.ones(2, 3, 3, 3))
    losses = model.regularization_losses()
    assert [float(t.detach()) for t in losses] == [6.0, 1.0]
    assert len(activity) == 1 and float(activity[0].detach()) == pytest.approx(float(y.detach().sum()) / 2)  # divided by the batch


# --------------------------------------------------------------------------------------------------
# separable_conv2d, conv2d_transpose, dense


def test_separable_conv2d_by_hand():
    x = torch.randn(1, 5, 5, 2)
    dw = np.random.RandomState(0).randn(3, 3, 2, 2).astype(np.float32)
    pw = np.random.RandomState(1).randn(1, 1, 4, 3).astype(np.float32)
    fn = lambda x: layers.separable_conv2d(x, 3, 3, depth_multiplier=2, bias_initializer=ONES,
                                           depthwise_initializer=init_ops.constant_initializer(dw),
                                           pointwise_initializer=init_ops.constant_initializer(pw))
    model, y = run(fn, x)
    assert names(model) == ["separable_conv2d/depthwise_kernel", "separable_conv2d/pointwise_kernel",
                            "separable_conv2d/bias"]
    xn = x.numpy()[0]
    depth = np.zeros((3, 3, 4), np.float32)
    for i in range(3):
        for j in range(3):
            patch = xn[i:i + 3, j:j + 3]  # VALID
            for c in range(2):
                for m in range(2):
                    depth[i, j, c * 2 + m] = (patch[:, :, c] * dw[:, :, c, m]).sum()
    want = depth @ pw[0, 0] + 1
    np.testing.assert_allclose(y[0].detach().numpy(), want, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_sizes_and_crop():
    k = np.arange(9, dtype=np.float32).reshape(3, 3, 1, 1)
    init = init_ops.constant_initializer(k)
    # One input pixel, stride 2: VALID gives the whole 3x3 kernel; SAME gives 2x2 cropped at (0, 0).
    model, y = run(lambda x: layers.conv2d_transpose(x, 1, 3, strides=2, kernel_initializer=init), torch.ones(1, 1, 1, 1))
    np.testing.assert_allclose(y[0, :, :, 0].detach().numpy(), k[:, :, 0, 0])
    assert model.variable("conv2d_transpose/kernel").tf_shape == (3, 3, 1, 1)
    _, y = run(lambda x: layers.conv2d_transpose(x, 1, 3, strides=2, padding="same", kernel_initializer=init),
               torch.ones(1, 1, 1, 1))
    np.testing.assert_allclose(y[0, :, :, 0].detach().numpy(), k[0:2, 0:2, 0, 0])
    model, y = run(lambda x: layers.conv2d_transpose(x, 5, 3, strides=2, padding="same"), torch.zeros(2, 4, 3, 6))
    assert y.shape == (2, 8, 6, 5) and model.variable("conv2d_transpose/kernel").tf_shape == (3, 3, 5, 6)
    _, y = run(lambda x: layers.conv2d_transpose(x, 5, 4, strides=2), torch.zeros(2, 4, 3, 6))
    assert y.shape == (2, 10, 8, 5)


def test_dense_by_hand_rank2_and_rank3():
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2)
    fn = lambda x: layers.dense(x, 2, kernel_initializer=init_ops.constant_initializer(kernel),
                                bias_initializer=init_ops.constant_initializer([10.0, 20.0]), activation=torch.relu)
    x = torch.tensor([[1.0, -1.0, 2.0], [-5.0, 0.0, 0.0]])
    model, y = run(fn, x)
    np.testing.assert_allclose(y.detach().numpy(), np.maximum(x.numpy() @ kernel + [10, 20], 0))
    assert [list(v.tf_shape) for v in model.tf_variables().values()] == [[3, 2], [2]]
    assert model.variable("dense/kernel").layout == "fc"
    _, y = run(fn, x.reshape(1, 2, 3))
    assert y.shape == (1, 2, 2)


def test_dense_rejects_bad_units():
    with pytest.raises(ValueError, match="units"):
        run(lambda x: layers.dense(x, 0), torch.zeros(1, 3))


# --------------------------------------------------------------------------------------------------
# batch_normalization


def _bn_inputs():
    return torch.tensor([[1.0, 10.0], [2.0, 20.0], [3.0, 30.0], [6.0, 60.0]])


def test_batch_normalization_variables_in_keras_order():
    model, _ = run(lambda x: layers.batch_normalization(x), torch.zeros(2, 3, 3, 4))
    assert names(model) == [f"batch_normalization/{v}" for v in ("gamma", "beta", "moving_mean", "moving_variance")]
    variables = model.tf_variables()
    assert [v.trainable for v in variables.values()] == [True, True, False, False]
    assert all(v.tf_shape == (4,) for v in variables.values())


def test_batch_normalization_inference_by_hand():
    init = dict(gamma_initializer=init_ops.constant_initializer([2.0, 0.5]),
                beta_initializer=init_ops.constant_initializer([1.0, -1.0]),
                moving_mean_initializer=init_ops.constant_initializer([3.0, 30.0]),
                moving_variance_initializer=init_ops.constant_initializer([4.0, 9.0]))
    x = _bn_inputs()
    model, y = run(lambda x: layers.batch_normalization(x, **init), x, train=True)  # training=False by default
    gamma, beta, mean, var = np.array([2, .5]), np.array([1, -1]), np.array([3, 30]), np.array([4, 9])
    want = gamma * (x.numpy() - mean) / np.sqrt(var + 1e-3) + beta
    np.testing.assert_allclose(y.detach().numpy(), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(model.variable("batch_normalization/moving_mean").to_tf().numpy(), [3, 30])


@pytest.mark.parametrize("shape, fused, unbiased", [
    ((4, 2), None, False),              # rank 2: Keras' non-fused path stores the biased variance
    ((2, 1, 2, 2), None, True),         # rank 4, channels last: the fused kernel stores the unbiased one
    ((2, 1, 2, 2), True, True),
    ((2, 1, 2, 2), False, False),
    ((1, 2, 2, 1, 2), None, True),      # rank 5, axis 4: fused
    ((4, 1, 2), None, False),           # rank 3: non-fused
])
def test_batch_normalization_training_step_by_hand(shape, fused, unbiased):
    x = _bn_inputs().reshape(shape)
    model, y = run(lambda x: layers.batch_normalization(x, training=True, fused=fused), x)
    flat = x.reshape(-1, 2).numpy().astype(np.float64)
    mean, biased = flat.mean(0), flat.var(0)
    np.testing.assert_allclose(y.reshape(-1, 2).detach().numpy(), (flat - mean) / np.sqrt(biased + 1e-3), atol=1e-5)
    stored = flat.var(0, ddof=1) if unbiased else biased
    np.testing.assert_allclose(model.variable("batch_normalization/moving_mean").to_tf().numpy(), 0.01 * mean,
                               rtol=1e-6)
    np.testing.assert_allclose(model.variable("batch_normalization/moving_variance").to_tf().numpy(),
                               0.99 + 0.01 * stored, rtol=1e-6)


def test_batch_normalization_momentum_epsilon_axis_and_center_scale():
    x = _bn_inputs().t().reshape(1, 2, 4, 1)  # channels on axis 1
    fn = lambda x: layers.batch_normalization(x, axis=1, momentum=0.5, epsilon=0.25, center=False, training=True)
    model, y = run(fn, x)
    assert names(model) == [f"batch_normalization/{v}" for v in ("gamma", "moving_mean", "moving_variance")]
    flat = x.reshape(2, 4).numpy().T.astype(np.float64)
    np.testing.assert_allclose(y.reshape(2, 4).detach().numpy().T, (flat - flat.mean(0)) / np.sqrt(flat.var(0) + 0.25),
                               atol=1e-5)
    np.testing.assert_allclose(model.variable("batch_normalization/moving_variance").to_tf().numpy(),
                               0.5 + 0.5 * flat.var(0, ddof=1), rtol=1e-6)  # 4-D, axis 1: fused (NCHW)


def test_batch_normalization_training_none_follows_model_mode_and_build_does_not_update():
    model = slim.Model(lambda x: layers.batch_normalization(x, training=None))
    x = _bn_inputs()
    model.build(x)
    mean = model.variable("batch_normalization/moving_mean")
    assert torch.equal(mean.to_tf(), torch.zeros(2))
    model.eval()
    model(x)
    assert torch.equal(mean.to_tf(), torch.zeros(2))
    model.train()
    model(x)
    np.testing.assert_allclose(mean.to_tf().numpy(), [0.03, 0.3], rtol=1e-6)


def test_batch_normalization_training_tensor_and_reuse():
    def net(x):
        a = layers.batch_normalization(x, training=torch.tensor(True), name="bn")
        return layers.batch_normalization(x, name="bn", reuse=True), a

    model, (b, a) = run(net, _bn_inputs())
    assert names(model) == [f"bn/{v}" for v in ("gamma", "beta", "moving_mean", "moving_variance")]
    assert not torch.allclose(a, b)


@pytest.mark.parametrize("kwargs", [dict(renorm=True), dict(virtual_batch_size=2), dict(adjustment=lambda s: s),
                                    dict(gamma_constraint=abs), dict(axis=[1, 2]), dict(axis=5)])
def test_batch_normalization_unsupported_arguments(kwargs):
    with pytest.raises(ValueError):
        run(lambda x: layers.batch_normalization(x, **kwargs), torch.zeros(2, 2, 2, 2))


# --------------------------------------------------------------------------------------------------
# pooling, flatten, dropout


def test_max_pooling2d_same_pads_with_minus_infinity():
    # All -1, 3x3 stride 2 SAME on 4x4: padded cells must never win (zero padding would give 0).
    _, y = run(lambda x: layers.max_pooling2d(x, 3, 2, padding="same"), -torch.ones(1, 4, 4, 1))
    assert y.shape == (1, 2, 2, 1) and torch.equal(y, -torch.ones(1, 2, 2, 1))
    _, y = run(lambda x: layers.max_pooling2d(x, 2, 2), _grid(5, 5))  # VALID by default: 5 -> 2
    np.testing.assert_array_equal(y[0, :, :, 0].numpy(), [[7, 9], [17, 19]])


def test_average_pooling2d_same_excludes_padding():
    # 3x3 stride 2 SAME on 4x4 (pad 0 top/left, 1 bottom/right): the last window averages 2x2 real cells.
    _, y = run(lambda x: layers.average_pooling2d(x, 3, 2, padding="SAME"), _grid(4, 4))
    g = np.arange(1, 17, dtype=np.float32).reshape(4, 4)
    want = [[g[0:3, 0:3].mean(), g[0:3, 2:4].mean()], [g[2:4, 0:3].mean(), g[2:4, 2:4].mean()]]
    np.testing.assert_allclose(y[0, :, :, 0].numpy(), want, rtol=1e-6)
    # odd size: 5 -> 3 with one cell of padding on each side.
    _, y = run(lambda x: layers.average_pooling2d(x, 3, 2, padding="same"), torch.ones(1, 5, 5, 2))
    assert torch.equal(y, torch.ones(1, 3, 3, 2))


def test_pooling_channels_first_and_errors():
    x = torch.randn(2, 6, 5, 3)
    _, (a, b) = run(lambda x: (layers.max_pooling2d(x, 2, (2, 1), padding="same"),
                               layers.max_pooling2d(x.permute(0, 3, 1, 2), 2, (2, 1), padding="same",
                                                    data_format="channels_first")), x)
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))
    with pytest.raises(ValueError, match="pool_size"):
        run(lambda x: layers.average_pooling2d(x, (2, 2, 2), 1), x)
    with pytest.raises(ValueError, match="padding"):
        run(lambda x: layers.average_pooling2d(x, 2, 1, padding="full"), x)


def test_pooling_is_the_core_op_untouched_by_its_arg_scope():
    """tf.layers pooling runs Slim's max_pool2d / avg_pool2d; a Slim arg_scope on them changes nothing."""
    x = torch.randn(1, 7, 6, 2)

    def both(x):
        with slim.arg_scope([slim.max_pool2d, slim.avg_pool2d], kernel_size=[1, 1], padding="SAME",
                            outputs_collections="pools"):
            tf_style = (layers.max_pooling2d(x, 3, 2), layers.average_pooling2d(x, 3, 2))
            pooled = slim.get_collection("pools")
        slim_style = (slim.max_pool2d(x, [3, 3], 2), slim.avg_pool2d(x, [3, 3], 2))
        return tf_style, slim_style, pooled

    _, ((max_tf, avg_tf), (max_slim, avg_slim), pooled) = run(both, x)
    assert max_tf.shape == avg_tf.shape == (1, 3, 2, 2)
    assert torch.equal(max_tf, max_slim) and torch.equal(avg_tf, avg_slim)
    assert pooled == []


def test_flatten_order():
    x = _grid(2, 3, 4)
    _, y = run(lambda x: layers.flatten(x), x)
    assert torch.equal(y, torch.arange(1, 25, dtype=torch.float32).reshape(1, 24))
    _, y = run(lambda x: layers.flatten(x.permute(0, 3, 1, 2), data_format="channels_first"), x)
    assert torch.equal(y, torch.arange(1, 25, dtype=torch.float32).reshape(1, 24))  # Keras moves channels last
    _, y = run(lambda x: layers.flatten(x), torch.arange(3.0))
    assert y.shape == (3, 1)


def test_dropout():
    x = torch.ones(64, 32)
    _, y = run(lambda x: layers.dropout(x), x, train=True)  # training=False by default: the identity
    assert y is x
    _, y = run(lambda x: layers.dropout(x, rate=0.25, training=True), x)
    assert set(torch.unique(y).tolist()) <= {0.0, float(torch.tensor(1 / 0.75))}
    assert 0.15 < float((y == 0).float().mean()) < 0.35
    _, y = run(lambda x: layers.dropout(x, rate=0.5, noise_shape=[None, 1], seed=3, training=True), x)
    assert all(len(set(row.tolist())) == 1 for row in y)  # one mask value per row
    _, y2 = run(lambda x: layers.dropout(x, rate=0.5, noise_shape=[None, 1], seed=3, training=True), x)
    assert torch.equal(y, y2)
    model = slim.Model(lambda x: layers.dropout(x, training=None))
    assert torch.equal(model.eval()(x), x)
    with pytest.raises(ValueError, match="rate"):
        run(lambda x: layers.dropout(x, rate=1.5), x)


# --------------------------------------------------------------------------------------------------
# init_ops


def test_init_ops_variance_scaling_is_tf1_core_not_slim():
    shape = (3, 3, 16, 32)  # fan_in 144, fan_out 288
    uniform = init_ops.variance_scaling_initializer(2.0, "fan_out", "uniform", seed=1)(shape)
    limit = np.sqrt(3 * 2.0 / 288)
    assert uniform.abs().max() <= limit and uniform.abs().max() > 0.95 * limit
    normal = init_ops.variance_scaling_initializer(seed=1)(shape)  # scale 1, fan_in, truncated normal
    assert float(normal.std()) == pytest.approx(np.sqrt(1.0 / 144), rel=0.05)
    assert torch.equal(init_ops.variance_scaling_initializer(distribution="normal", seed=1)(shape), normal)
    untruncated = init_ops.variance_scaling_initializer(1.0, "fan_avg", "untruncated_normal", seed=2)(shape)
    assert float(untruncated.std()) == pytest.approx(np.sqrt(1.0 / 216), rel=0.05)
    slim_default = slim.variance_scaling_initializer(seed=1)(shape)  # Slim: factor 2.0, stddev sqrt(1.3 * 2 / n)
    assert float(slim_default.std()) == pytest.approx(np.sqrt(1.3 * 2.0 / 144) * 0.8796, rel=0.05)


@pytest.mark.parametrize("kwargs", [dict(scale=0.0), dict(mode="FAN_IN"), dict(distribution="gamma")])
def test_init_ops_variance_scaling_rejects(kwargs):
    with pytest.raises(ValueError):
        init_ops.variance_scaling_initializer(**kwargs)


def test_init_ops_glorot_xavier_and_constants():
    shape = (5, 5, 4, 8)
    limit = np.sqrt(6.0 / (100 + 200))
    for init in (init_ops.glorot_uniform_initializer(seed=0), init_ops.xavier_initializer(seed=0)):
        value = init(shape)
        assert value.abs().max() <= limit and value.abs().max() > 0.95 * limit
    assert float(init_ops.glorot_normal_initializer(seed=0)(shape).std()) == pytest.approx(np.sqrt(2 / 300), rel=0.05)
    assert float(init_ops.he_normal(seed=0)(shape).std()) == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    assert torch.equal(init_ops.constant_initializer()((2, 3)), torch.zeros(2, 3))
    assert torch.equal(init_ops.constant_initializer(7)((2,)), torch.full((2,), 7.0))
    assert torch.equal(init_ops.zeros_initializer()((3,)), torch.zeros(3))
    assert torch.equal(init_ops.ones_initializer()((3,)), torch.ones(3))
    value = init_ops.truncated_normal_initializer(1.0, 0.5, seed=0)((10000,))
    assert float(value.min()) >= 0.0 and float(value.max()) <= 2.0
    value = init_ops.random_normal_initializer(1.0, 0.5, seed=0)((10000,))
    assert float(value.mean()) == pytest.approx(1.0, abs=0.03)


# --------------------------------------------------------------------------------------------------
# compat_v1: the `tf` namespace the seed code is written against


def test_compat_v1_namespace():
    import torchslim.tf_layers.compat_v1 as tf

    assert tf.layers is layers and tf.nn.relu6 is slim.nn.relu6 and tf.variable_scope is slim.variable_scope
    assert tf.nn.relu is torch.relu
    x = _grid(2, 3, 2)
    assert tf.reduce_mean(x, axis=[1, 2]).shape == (1, 2)
    assert tf.reduce_mean(x, [1, 2], keepdims=True).shape == (1, 1, 1, 2)
    assert float(tf.reduce_sum(x)) == 78.0 and tf.reduce_sum(x, keep_dims=True).shape == (1, 1, 1, 1)
    assert float(tf.reduce_max(x, reduction_indices=3)[0, 1, 2]) == 12.0
    assert torch.equal(tf.add(x, 1), x + 1) and torch.equal(tf.multiply(x, x), x * x)
    assert tf.reshape(x, [-1, 6]).shape == (2, 6) and tf.concat([x, x], axis=3).shape == (1, 2, 3, 4)
    assert tf.squeeze(x[:, :1], axis=1).shape == (1, 3, 2) and tf.identity(x) is x
    with pytest.raises(ValueError):
        tf.squeeze(x, axis=1)

    def net(x):
        with tf.variable_scope("w", initializer=None):
            return x * tf.get_variable("scale", [2], initializer=tf.constant_initializer(3.0))

    model, y = run(net, x)
    assert names(model) == ["w/scale"] and torch.equal(y, 3 * x)
