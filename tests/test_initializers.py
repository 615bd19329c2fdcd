"""Initializers: tf-slim's initializers_test.py ported, plus TF's truncation, fans and constants by hand.

TF's statistical cases draw one tensor and compare its variance with ``factor / n``
(``assertAllClose(np.var, v, 1e-3, 1e-3)``); here the tolerance is four standard errors of the
sample variance, which TF's absolute 1e-3 is not for the small conv variances. Their 1-D ``[100]``
cases draw 100 values, too few for that tolerance with another RNG, so there the scale is pinned
exactly instead: a variance scaling initializer with seed ``s`` must equal a truncated normal (or
uniform) with seed ``s`` and the standard deviation (or limit) TF's formula gives.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import initializers

TRUNCATED_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def _var(init, shape):
    return float(np.var(init(shape).numpy().astype(np.float64)))


def _assert_variance(init, shape, variance):
    """Within four standard errors of a sample variance (``var * sqrt(2 / n)``)."""
    n = int(np.prod(shape))
    np.testing.assert_allclose(_var(init, shape), variance, rtol=4 * math.sqrt(2.0 / n))


# --- tf-slim InitializerTest / VarianceScalingInitializerTest -------------------------------------


def test_xavier_wrong_dtype():
    with pytest.raises(TypeError, match="Cannot create initializer for non-floating point type."):
        initializers.xavier_initializer(dtype=torch.int32)
    assert slim.l1_regularizer(0.0)(None) is None


def test_variance_scaling_wrong_dtype():
    with pytest.raises(TypeError, match="non-floating point type"):
        initializers.variance_scaling_initializer(dtype=torch.int32)
    init = initializers.variance_scaling_initializer()
    with pytest.raises(TypeError, match="non-floating point type"):
        init([], dtype=torch.int32)


def test_unknown_mode_is_a_type_error():
    with pytest.raises(TypeError, match=r"Unknown mode FAN_SUM \[FAN_IN, FAN_OUT, FAN_AVG\]"):
        initializers.variance_scaling_initializer(mode="FAN_SUM")


@pytest.mark.parametrize("uniform", [False, True])
@pytest.mark.parametrize("shape, factor, mode, variance", [
    ([100, 40], 2.0, "FAN_IN", 2.0 / 100),
    ([100, 40], 2.0, "FAN_OUT", 2.0 / 40),
    ([100, 40], 2.0, "FAN_AVG", 4.0 / (100 + 40)),
    ([100, 40, 5, 7], 2.0, "FAN_IN", 2.0 / (100 * 40 * 5)),
    ([100, 40, 5, 7], 2.0, "FAN_OUT", 2.0 / (100 * 40 * 7)),
    # TF's test expects 2 / (100*40*12) here, half the true factor / n; its atol of 1e-3 hides that
    ([100, 40, 5, 7], 2.0, "FAN_AVG", 4.0 / (100 * 40 * (5 + 7))),
    ([100, 40], 1.0, "FAN_AVG", 2.0 / (100 + 40)),  # xavier
    ([100, 40, 5, 7], 1.0, "FAN_AVG", 2.0 / (100 * 40 * (5 + 7))),  # xavier conv2d
])
def test_variance(shape, factor, mode, variance, uniform):
    init = initializers.variance_scaling_initializer(factor=factor, mode=mode, uniform=uniform, seed=1)
    _assert_variance(init, shape, variance)


@pytest.mark.parametrize("shape, variance", [([100, 40], 2.0 / 140), ([100, 40, 5, 7], 2.0 / (100 * 40 * 12))])
@pytest.mark.parametrize("uniform", [False, True])
def test_xavier(shape, variance, uniform):
    for fn in (slim.xavier_initializer, slim.xavier_initializer_conv2d, initializers.xavier_initializer):
        _assert_variance(fn(uniform=uniform, seed=1), shape, variance)


@pytest.mark.parametrize("uniform", [False, True])
def test_scalar_shape_has_zero_variance(uniform):
    # TF: fan_in = fan_out = 1 for a scalar
    for init in (initializers.xavier_initializer(uniform=uniform, seed=1),
                 initializers.variance_scaling_initializer(factor=1.0, mode="FAN_AVG", uniform=uniform, seed=1)):
        value = init([])
        assert value.shape == () and _var(init, []) == 0.0
        assert abs(float(value)) <= (math.sqrt(3.0) if uniform else 2 * math.sqrt(1.3))


@pytest.mark.parametrize("mode, n", [("FAN_IN", 100.0), ("FAN_OUT", 100.0), ("FAN_AVG", 100.0)])
def test_1d_shape_fans(mode, n):
    # TF: fan_in = fan_out = shape[-1] for rank 1, so every mode gives n = 100.
    normal = initializers.variance_scaling_initializer(factor=2.0, mode=mode, seed=3)([100])
    want = initializers.truncated_normal_initializer(stddev=math.sqrt(1.3 * 2.0 / n), seed=3)([100])
    torch.testing.assert_close(normal, want, rtol=0, atol=0)
    uniform = initializers.variance_scaling_initializer(factor=2.0, mode=mode, uniform=True, seed=3)([100])
    limit = math.sqrt(3.0 * 2.0 / n)
    want = initializers.random_uniform_initializer(-limit, limit, seed=3)([100])
    torch.testing.assert_close(uniform, want, rtol=0, atol=0)


# --- TF's formulas, pinned exactly ----------------------------------------------------------------


@pytest.mark.parametrize("shape, fan_in, fan_out", [
    ([3, 3, 16, 32], 3 * 3 * 16, 3 * 3 * 32),  # conv kernel HWIO: receptive field times channels
    ([27, 10], 27, 10),
    ([5, 7, 2], 5 * 7, 5 * 2),
])
def test_truncated_normal_scale_uses_tf_fans_and_the_1_3_factor(shape, fan_in, fan_out):
    for mode, n in (("FAN_IN", fan_in), ("FAN_OUT", fan_out), ("FAN_AVG", (fan_in + fan_out) / 2)):
        got = initializers.variance_scaling_initializer(factor=2.0, mode=mode, seed=7)(shape)
        want = initializers.truncated_normal_initializer(stddev=math.sqrt(1.3 * 2.0 / n), seed=7)(shape)
        torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_truncated_normal_is_cut_at_two_standard_deviations():
    values = initializers.truncated_normal_initializer(mean=1.0, stddev=0.5, seed=0)((200000,)).double()
    assert float(values.min()) >= 0.0 and float(values.max()) <= 2.0
    # values beyond 2 sigma are re-drawn, so the std shrinks by TF's 0.8796
    np.testing.assert_allclose(float(values.std()), 0.5 * TRUNCATED_STD, rtol=5e-3)
    np.testing.assert_allclose(float(values.mean()), 1.0, atol=5e-3)


def test_he_init_of_a_conv_kernel_has_variance_two_over_fan_in():
    # The 1.3 makes up for the truncation: 1.3 * 0.8796**2 = 1.0058.
    shape = [3, 3, 64, 128]
    values = initializers.variance_scaling_initializer(seed=0)(shape).double()
    np.testing.assert_allclose(float(values.var()), 2.0 / (3 * 3 * 64) * 1.3 * TRUNCATED_STD ** 2, rtol=0.01)
    assert float(values.abs().max()) <= 2 * math.sqrt(1.3 * 2.0 / (3 * 3 * 64)) + 1e-7


def test_keras_style_truncated_normal_divides_by_0_8796():
    # init_ops / Keras VarianceScaling (glorot_normal, he_normal): stddev sqrt(scale / n) / 0.8796,
    # so that the truncated draw has variance scale / n.
    shape = [3, 3, 64, 128]
    fan_in, fan_out = 3 * 3 * 64, 3 * 3 * 128
    got = initializers.he_normal(seed=5)(shape)
    want = initializers.truncated_normal_initializer(stddev=math.sqrt(2.0 / fan_in) / TRUNCATED_STD, seed=5)(shape)
    torch.testing.assert_close(got, want, rtol=0, atol=0)
    _assert_variance(initializers.glorot_normal_initializer(seed=1), shape, 2.0 / (fan_in + fan_out))
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    glorot = initializers.glorot_uniform_initializer(seed=2)(shape)
    assert float(glorot.abs().max()) <= limit and float(glorot.abs().max()) > 0.99 * limit


def test_uniform_limits():
    limit = math.sqrt(3.0 * 1.0 / ((27 + 10) / 2))
    values = initializers.xavier_initializer(seed=0)([27, 10])
    assert float(values.abs().max()) <= limit and float(values.abs().max()) > 0.95 * limit
    values = initializers.random_uniform_initializer(-3.0, -1.0, seed=0)((1000,))
    assert float(values.min()) >= -3.0 and float(values.max()) < -1.0
    values = initializers.random_uniform_initializer(seed=0)((1000,))  # maxval None means 1
    assert float(values.min()) >= 0.0 and float(values.max()) < 1.0


def test_random_normal():
    values = initializers.random_normal_initializer(mean=2.0, stddev=3.0, seed=0)((100000,)).double()
    np.testing.assert_allclose(float(values.mean()), 2.0, atol=0.05)
    np.testing.assert_allclose(float(values.std()), 3.0, rtol=0.01)
    assert float(values.max()) > 2.0 + 2 * 3.0  # not truncated


@pytest.mark.parametrize("make", [
    lambda seed: initializers.xavier_initializer(seed=seed),
    lambda seed: initializers.xavier_initializer(uniform=False, seed=seed),
    lambda seed: initializers.variance_scaling_initializer(seed=seed),
    lambda seed: initializers.truncated_normal_initializer(seed=seed),
    lambda seed: initializers.random_normal_initializer(seed=seed),
    lambda seed: initializers.random_uniform_initializer(seed=seed),
    lambda seed: initializers.glorot_uniform_initializer(seed=seed),
    lambda seed: initializers.he_normal(seed=seed),
])
def test_seeded_initializers_are_reproducible(make):
    a, b, c = make(1)([4, 5]), make(1)([4, 5]), make(2)([4, 5])
    assert torch.equal(a, b) and not torch.equal(a, c)
    init = make(1)
    assert torch.equal(init([4, 5]), init([4, 5]))  # same seed, same values on every call, as TF


def test_unseeded_initializers_follow_the_global_torch_seed():
    init = initializers.xavier_initializer()
    torch.manual_seed(3)
    a = init([4, 5])
    torch.manual_seed(3)
    assert torch.equal(a, init([4, 5]))


@pytest.mark.parametrize("dtype, want", [(torch.float16, torch.float16), (torch.float64, torch.float64),
                                         ("float64", torch.float64), (np.float32, torch.float32)])
def test_dtypes(dtype, want):
    for init in (initializers.xavier_initializer(dtype=dtype), initializers.zeros_initializer(dtype=dtype)):
        assert init([2, 3]).dtype == want
    assert initializers.variance_scaling_initializer()([2, 3], dtype=torch.float64).dtype == torch.float64


# --- constants ------------------------------------------------------------------------------------


def test_zeros_ones_and_scalar_constant():
    assert torch.equal(initializers.zeros_initializer()([2, 3]), torch.zeros(2, 3))
    assert torch.equal(initializers.ones_initializer()([3]), torch.ones(3))
    assert torch.equal(initializers.constant_initializer(7)([2]), torch.full((2,), 7.0))
    assert torch.equal(initializers.constant_initializer(2.5)([2, 2], dtype=torch.float64),
                       torch.full((2, 2), 2.5, dtype=torch.float64))
    ints = initializers.zeros_initializer(dtype=torch.int64)([3])
    assert ints.dtype == torch.int64 and torch.equal(ints, torch.zeros(3, dtype=torch.int64))


def test_constant_array_is_reshaped_to_the_variable_shape():
    init = initializers.constant_initializer([1, 2, 3, 4, 5, 6])
    torch.testing.assert_close(init([2, 3]), torch.tensor([[1.0, 2, 3], [4, 5, 6]]))
    torch.testing.assert_close(init([3, 2]), torch.tensor([[1.0, 2], [3, 4], [5, 6]]))


def test_constant_with_fewer_values_repeats_the_last_one():
    # tf.compat.v1.constant_initializer in a graph: "the last element in value will be used to
    # fill the remaining entries".
    torch.testing.assert_close(initializers.constant_initializer([1.0, 2.0])([2, 3]),
                               torch.tensor([[1.0, 2, 2], [2, 2, 2]]))


def test_constant_with_too_many_values_or_a_wrong_verified_shape_is_an_error():
    with pytest.raises(ValueError, match="Too many elements provided"):
        initializers.constant_initializer([1.0, 2.0, 3.0])([2])
    with pytest.raises(TypeError, match="Expected Tensor's shape"):
        initializers.constant_initializer([1.0, 2.0, 3.0, 4.0], verify_shape=True)([4, 1])
    value = initializers.constant_initializer([[1.0], [2.0]], verify_shape=True)([2, 1])
    torch.testing.assert_close(value, torch.tensor([[1.0], [2.0]]))


def test_initializers_in_a_layer_use_the_tf_shape():
    def fn(x):
        kernel = initializers.constant_initializer(list(range(3 * 3 * 2 * 8)))
        return slim.conv2d(x, 8, [3, 3], weights_initializer=kernel,
                           biases_initializer=initializers.constant_initializer(0.5), scope="c")

    model = slim.Model(fn)
    model.build(torch.zeros(1, 4, 4, 2))
    weights = model.variable("c/weights").to_tf()
    assert weights.shape == (3, 3, 2, 8)
    torch.testing.assert_close(weights, torch.arange(3 * 3 * 2 * 8, dtype=torch.float32).reshape(3, 3, 2, 8))
    torch.testing.assert_close(model.variable("c/biases").to_tf(), torch.full((8,), 0.5))
