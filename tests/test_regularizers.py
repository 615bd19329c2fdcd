"""Regularizers: tf-slim's regularizers_test.py ported, plus TF's validation rules and layer use."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import regularizers

VALUES = torch.tensor([1.0, -1.0, 4.0, 2.0], dtype=torch.float64)


def test_l1():
    with pytest.raises(ValueError, match="less than 0"):
        regularizers.l1_regularizer(-1.0)
    with pytest.raises(ValueError, match="cannot be an integer"):
        regularizers.l1_regularizer(0)
    assert regularizers.l1_regularizer(0.0)(None) is None
    np.testing.assert_allclose(float(regularizers.l1_regularizer(0.5)(VALUES)), 0.5 * 8.0)


def test_l2_is_scale_times_half_the_sum_of_squares():
    with pytest.raises(ValueError, match="less than 0"):
        regularizers.l2_regularizer(-1.0)
    with pytest.raises(ValueError, match="cannot be an integer"):
        regularizers.l2_regularizer(0)
    assert regularizers.l2_regularizer(0.0)(None) is None
    np.testing.assert_allclose(float(regularizers.l2_regularizer(0.42)(VALUES)), 22.0 / 2.0 * 0.42)


def test_integer_like_scales_are_rejected_and_numpy_floats_accepted():
    with pytest.raises(ValueError):
        regularizers.l2_regularizer(np.int64(1))
    with pytest.raises(ValueError):
        regularizers.l2_regularizer(True)
    np.testing.assert_allclose(float(regularizers.l2_regularizer(np.float32(0.5))(VALUES)), 0.5 * 11.0)


def test_tensor_scale_is_used_as_given():
    # TF: "scale: A scalar multiplier Tensor"; a tensor is not validated, it multiplies.
    scale = torch.tensor(0.25, dtype=torch.float64)
    np.testing.assert_allclose(float(regularizers.l2_regularizer(scale)(VALUES)), 0.25 * 11.0)
    np.testing.assert_allclose(float(regularizers.l1_regularizer(scale)(VALUES)), 0.25 * 8.0)


def test_l1_l2():
    for args in ((-1.0, 0.5), (0.5, -1.0), (0, 0.5), (0.5, 0)):
        with pytest.raises(ValueError):
            regularizers.l1_l2_regularizer(*args)
    num_elem = 5 * 5 * 5
    tensor = torch.ones(5, 5, 5)
    np.testing.assert_allclose(float(regularizers.l1_l2_regularizer(1.0, 1.0)(tensor)), num_elem + num_elem / 2,
                               rtol=1e-6)
    np.testing.assert_allclose(float(regularizers.l1_l2_regularizer()(tensor)), num_elem + num_elem / 2, rtol=1e-6)


def test_l1_l2_with_one_scale_zero_is_the_other():
    tensor = torch.ones(5, 5, 5)
    np.testing.assert_allclose(float(regularizers.l1_l2_regularizer(0.0, 1.0)(tensor)), 125 / 2, rtol=1e-6)
    np.testing.assert_allclose(float(regularizers.l1_l2_regularizer(1.0, 0.0)(tensor)), 125, rtol=1e-6)
    assert regularizers.l1_l2_regularizer(0.0, 0.0)(tensor) is None


def test_sum_regularizer():
    l1_function = regularizers.l1_regularizer(0.1)
    l2_function = regularizers.l2_regularizer(0.2)
    assert regularizers.sum_regularizer([]) is None
    assert regularizers.sum_regularizer([None]) is None
    assert regularizers.sum_regularizer([regularizers.l1_regularizer(0.0)])(None) is None
    values = torch.tensor([-3.0], dtype=torch.float64)
    for reg in ([l1_function], [l1_function, None], [l1_function, regularizers.l2_regularizer(0.0)]):
        np.testing.assert_allclose(float(regularizers.sum_regularizer(reg)(values)), 0.1 * 3.0)
    np.testing.assert_allclose(float(regularizers.sum_regularizer([l1_function, l2_function])(values)),
                               0.1 * 3.0 + 0.2 * 9.0 / 2.0)


ARRAYS = [[1.5], [2, 3, 4.2], [10, 42, 666.6]]


def test_apply_regularization():
    tensors = [torch.tensor(x, dtype=torch.float64) for x in ARRAYS]
    result = regularizers.apply_regularization(lambda x: (2 * x).sum(), tensors)
    np.testing.assert_allclose(float(result), sum(2 * x for row in ARRAYS for x in row))


def test_apply_zero_regularization():
    tensors = [torch.tensor(x) for x in ARRAYS]
    assert float(regularizers.apply_regularization(regularizers.l2_regularizer(0.0), tensors)) == 0.0


def test_apply_regularization_invalid_regularizer():
    tensors = [torch.tensor(x) for x in ARRAYS]
    with pytest.raises(ValueError, match="scalar"):
        regularizers.apply_regularization(lambda x: x.repeat(2), tensors)


def test_apply_regularization_without_weights_is_an_error():
    with pytest.raises(ValueError, match="No weights to regularize"):
        regularizers.apply_regularization(regularizers.l2_regularizer(0.1), [])


def test_apply_regularization_defaults_to_the_weights_collection_and_reads_tf_layout():
    seen = {}

    def fn(x):
        slim.fully_connected(x, 2, variables_collections={"weights": [slim.GraphKeys.WEIGHTS]}, scope="fc",
                             weights_initializer=slim.initializers.constant_initializer([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]))
        seen["penalty"] = regularizers.apply_regularization(lambda w: w[0, 1] + w.sum())  # TF layout [in, out]
        return x

    slim.Model(fn)(torch.zeros(1, 3))
    np.testing.assert_allclose(float(seen["penalty"].detach()), 2.0 + 21.0)


def test_layer_regularizers_are_evaluated_on_current_values():
    def fn(x):
        return slim.conv2d(x, 2, [1, 1], weights_regularizer=regularizers.l1_l2_regularizer(0.5, 0.25),
                           biases_regularizer=regularizers.l2_regularizer(0.0), scope="c")

    model = slim.Model(fn)
    model.build(torch.zeros(1, 2, 2, 3))
    weights = model.variable("c/weights")
    weights.assign_tf(torch.full((1, 1, 3, 2), -2.0))
    losses = model.regularization_losses()
    assert len(losses) == 1  # the zero-scale biases regularizer adds nothing
    np.testing.assert_allclose(float(losses[0].detach()), 0.5 * 12.0 + 0.25 * 24.0 / 2)
