"""slim.losses: tf-slim's loss_ops_test.py ported case by case, plus the eager collection and total loss."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import losses


@pytest.fixture(autouse=True)
def fresh_losses():
    """Each test starts with no pending losses and no last-called model (context variables)."""
    pending, last = losses._PENDING.set(None), losses._LAST_MODEL.set(None)
    yield
    losses._PENDING.reset(pending)
    losses._LAST_MODEL.reset(last)


def close(got, want, places=3):
    """``assertAlmostEqual(want, got, places)`` as in the TF tests."""
    got = float(torch.as_tensor(got).detach())
    assert round(abs(got - want), places) == 0, f"{got} != {want}"


T = torch.tensor
LOGITS = T([[10.0, 0.0, 0.0], [0.0, 10.0, 0.0], [0.0, 0.0, 10.0]])
ONEHOT_WRONG = T([[0, 0, 1], [1, 0, 0], [0, 1, 0]])
SPARSE_WRONG = T([[2], [0], [1]])


# --- AbsoluteDifferenceLossTest / MeanSquaredErrorTest ---------------------------------------------

PREDICTIONS = T([4.0, 8, 12, 8, 1, 3]).reshape(2, 3)
LABELS = T([1.0, 9, 2, -5, -2, 6]).reshape(2, 3)


@pytest.mark.parametrize("fn, unweighted, batch_weighted, sample_weighted, most_zero", [
    (losses.absolute_difference, 5.5, 5.6, 16.6, 6.0),
    (losses.mean_squared_error, 49.5, None, 587 / 5.0, 18.0),
])
def test_absolute_difference_and_mean_squared_error(fn, unweighted, batch_weighted, sample_weighted, most_zero):
    with pytest.raises(ValueError):
        fn(PREDICTIONS, PREDICTIONS, weights=None)
    close(fn(PREDICTIONS, PREDICTIONS), 0.0)
    close(fn(PREDICTIONS, LABELS), unweighted)
    close(fn(PREDICTIONS, LABELS, 2.3), unweighted * 2.3)
    close(fn(PREDICTIONS, LABELS, T(2.3)), unweighted * 2.3)
    close(fn(PREDICTIONS, LABELS, T([3.0, 6, 5, 0, 4, 2]).reshape(2, 3)), sample_weighted)
    close(fn(PREDICTIONS, LABELS, T([0.0, 0, 0, 0, 0, 2]).reshape(2, 3)), most_zero)
    close(fn(PREDICTIONS, LABELS, torch.zeros(2, 3)), 0.0)
    if batch_weighted is not None:
        close(fn(PREDICTIONS, LABELS, T([1.2, 0.0])), batch_weighted)
        close(fn(PREDICTIONS, LABELS, T([[1.2], [0.0]])), batch_weighted)


def test_mean_squared_error_batch_weights():
    close(losses.mean_squared_error(PREDICTIONS, LABELS, T([1.2, 3.4])), 767.8 / 6.0)
    close(losses.mean_squared_error(PREDICTIONS, LABELS, T([[1.2], [3.4]])), 767.8 / 6.0)


def test_integer_inputs_are_cast_to_float():
    close(losses.absolute_difference(PREDICTIONS.long(), LABELS.long()), 5.5)


# --- SoftmaxCrossEntropyLossTest ------------------------------------------------------------------


def test_softmax_cross_entropy():
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(LOGITS, torch.eye(3, dtype=torch.long), weights=None)
    close(losses.softmax_cross_entropy(LOGITS, torch.eye(3, dtype=torch.long)), 0.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG), 10.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, 2.3), 23.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T(2.3)), 23.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T([1.2, 3.4, 5.6])), (1.2 + 3.4 + 5.6) * 10.0 / 3.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T([0.0, 0, 0])), 0.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T([1.2, 0, 0])), 12.0)


def test_softmax_cross_entropy_with_column_weights():
    # testLossWithDynamicallyShapedWeights1D/2D: weights [3] and [3, 1] weigh the three samples
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T([2.3, 2.4, 2.5])), 2.4 * 10.0)
    close(losses.softmax_cross_entropy(LOGITS, ONEHOT_WRONG, T([[2.3], [2.4], [2.5]])), 2.4 * 10.0)


def test_softmax_with_measurement_specific_weights_raises():
    logits = T([[100.0, -100.0, -100.0], [-100.0, 100.0, -100.0], [-100.0, -100.0, 100.0]])
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(logits, torch.eye(3), weights=T([[3.0, 4, 5], [2, 6, 0], [8, 0, 1]]))


def test_softmax_label_smoothing():
    # log-softmax of [100, -100, -100] is [0, -200, -200]; smoothed labels put L/3 on each class
    label_smoothing = 0.1
    loss = losses.softmax_cross_entropy(T([[100.0, -100.0, -100.0]]), T([[1, 0, 0]]), label_smoothing=label_smoothing)
    close(loss, 400.0 * label_smoothing / 3.0)


def test_softmax_label_smoothing_with_weights_by_hand():
    logits = T([[1.0, 2.0, 3.0, 4.0], [0.5, -0.5, 0.0, 2.0]], dtype=torch.float64)
    onehot = T([[0.0, 0, 1, 0], [1, 0, 0, 0]], dtype=torch.float64)
    ls, weights = 0.2, T([0.7, 1.9], dtype=torch.float64)
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    smoothed = onehot * (1 - ls) + ls / 4
    per_sample = -(smoothed * log_p).sum(dim=1)
    want = float((per_sample * weights).sum() / 2)
    got = losses.softmax_cross_entropy(logits, onehot, weights, label_smoothing=ls)
    assert got.dtype == torch.float64  # TF returns the loss in the logits' dtype
    np.testing.assert_allclose(float(got), want, rtol=1e-12)


def test_softmax_cross_entropy_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(LOGITS, T([0, 0, 1]))
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(LOGITS, torch.eye(4))


# --- SparseSoftmaxCrossEntropyLossTest ------------------------------------------------------------


@pytest.mark.parametrize("labels", [T([[0], [1], [2]], dtype=torch.int32), T([[0], [1], [2]]), T([0, 1, 2])])
def test_sparse_all_correct(labels):
    close(losses.sparse_softmax_cross_entropy(LOGITS, labels), 0.0)


@pytest.mark.parametrize("labels", [T([[2], [0], [1]], dtype=torch.int32), SPARSE_WRONG, T([2, 0, 1])])
def test_sparse_all_wrong(labels):
    close(losses.sparse_softmax_cross_entropy(LOGITS, labels), 10.0)


def test_sparse_softmax_cross_entropy_weights():
    with pytest.raises(ValueError):
        losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, weights=None)
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, 2.3), 23.0)
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, T(2.3)), 23.0)
    want = (1.2 + 3.4 + 5.6) * 10.0 / 3.0
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, T([1.2, 3.4, 5.6])), want)
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, T([[1.2], [3.4], [5.6]])), want)
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, T([0.0, 0, 0])), 0.0)
    close(losses.sparse_softmax_cross_entropy(LOGITS, SPARSE_WRONG, T([1.2, 0, 0])), 12.0)
    close(losses.sparse_softmax_cross_entropy(LOGITS, T([2, 0, 1]), T([[2.3], [2.4], [2.5]])), 24.0)


LOGITS_4 = torch.full((4, 4), -100.0) + 200.0 * torch.eye(4)


@pytest.mark.parametrize("logits, labels, weights", [
    (LOGITS, T([[0], [1], [2]]), T([[3.0, 4, 5], [2, 6, 0], [8, 0, 1]])),  # measurement-specific weights
    (LOGITS, T([[0], [1], [2]]), T([1.2, 3.4, 5.6, 7.8])),  # inconsistent weight size
    (LOGITS, T([[0], [1], [2], [3]]), T([1.2, 3.4, 5.6])),  # inconsistent label size
    (LOGITS_4, T([[0], [1], [2], [3]]), T([[1.2, 3.4], [5.6, 7.8]])),  # inconsistent weight shape
    (LOGITS_4, T([[0, 1], [2, 3]]), T([1.2, 3.4, 5.6, 7.8])),  # inconsistent label shape
])
def test_sparse_inconsistent_shapes_raise(logits, labels, weights):
    with pytest.raises(ValueError):
        losses.sparse_softmax_cross_entropy(logits, labels, weights=weights)


# --- SigmoidCrossEntropyLossTest ------------------------------------------------------------------

SIG_LOGITS = T([[100.0, -100.0, -100.0], [-100.0, 100.0, -100.0], [-100.0, -100.0, 100.0]])


def test_sigmoid_cross_entropy():
    close(losses.sigmoid_cross_entropy(SIG_LOGITS, torch.eye(3, dtype=torch.long)), 0.0)
    close(losses.sigmoid_cross_entropy(SIG_LOGITS, ONEHOT_WRONG), 600.0 / 9.0)
    weights = T([[3.0, 4, 5], [2, 6, 0], [8, 0, 1]])
    close(losses.sigmoid_cross_entropy(SIG_LOGITS, ONEHOT_WRONG, weights), 1700.0 / 7.0)
    multi = T([[100.0, -100.0, 100.0], [100.0, 100.0, -100.0], [-100.0, 100.0, 100.0]])
    close(losses.sigmoid_cross_entropy(multi, T([[1, 0, 1], [1, 1, 0], [0, 1, 1]])), 0.0)


@pytest.mark.parametrize("width", [1, 2])
def test_sigmoid_with_ones_like_weights(width):
    logits = torch.ones(32, width)
    close(losses.sigmoid_cross_entropy(logits, torch.ones(32, width), torch.ones_like(logits)), 0.313)


def test_sigmoid_label_smoothing():
    loss = losses.sigmoid_cross_entropy(T([[100.0, -100.0, -100.0]]), T([[1, 0, 1]]), label_smoothing=0.1)
    close(loss, (100.0 + 50.0 * 0.1) / 3.0)


def test_sigmoid_label_smoothing_equals_softmax_two_label():
    sigmoid = losses.sigmoid_cross_entropy(T([[100.0, -100.0, -100.0]]), T([[1, 0, 1]]), label_smoothing=0.1)
    softmax = losses.softmax_cross_entropy(T([[0.0, 100.0], [100.0, 0.0], [100.0, 0.0]]),
                                           T([[0, 1], [1, 0], [0, 1]]), label_smoothing=0.1)
    close(sigmoid, float(softmax))


# --- LogLossTest ------------------------------------------------------------------------------------

LOG_PRED = np.asarray([0.9, 0.2, 0.2, 0.8, 0.4, 0.6]).reshape((2, 3))
LOG_LABELS = np.asarray([1.0, 0.0, 1.0, 1.0, 0.0, 0.0]).reshape((2, 3))
LOG_EXPECTED = LOG_LABELS * np.log(LOG_PRED + 1e-7) + (1 - LOG_LABELS) * np.log(1 - LOG_PRED + 1e-7)


def test_log_loss():
    pred, labels = torch.from_numpy(LOG_PRED), torch.from_numpy(LOG_LABELS)
    with pytest.raises(ValueError):
        losses.log_loss(labels, labels, weights=None)
    close(losses.log_loss(labels, labels), 0.0)
    close(losses.log_loss(pred, labels), -np.sum(LOG_EXPECTED) / 6.0)
    close(losses.log_loss(pred, labels, 2.3), 2.3 * -np.sum(LOG_EXPECTED) / 6.0)
    close(losses.log_loss(pred, labels, T(2.3)), 2.3 * -np.sum(LOG_EXPECTED) / 6.0)
    batch = np.asarray([1.2, 1.2, 1.2, 3.4, 3.4, 3.4]).reshape((2, 3))
    close(losses.log_loss(pred, labels, T([1.2, 3.4])), -np.sum(LOG_EXPECTED * batch) / 6.0)
    some_zero = np.asarray([1.2, 1.2, 1.2, 0, 0, 0]).reshape((2, 3))
    close(losses.log_loss(pred, labels, T([1.2, 0.0])), -np.sum(LOG_EXPECTED * some_zero) / 3.0)
    close(losses.log_loss(pred, labels, T([[1.2], [0.0]])), -np.sum(LOG_EXPECTED * some_zero) / 3.0)
    measured = np.array([3, 6, 5, 0, 4, 2]).reshape((2, 3))
    close(losses.log_loss(pred, labels, torch.from_numpy(measured)), -np.sum(LOG_EXPECTED * measured) / 5.0)
    most_zero = np.array([0, 0, 0, 0, 0, 2]).reshape((2, 3))
    close(losses.log_loss(pred, labels, torch.from_numpy(most_zero)), -np.sum(LOG_EXPECTED * most_zero))
    close(losses.log_loss(pred, labels, torch.zeros(2, 3)), 0.0)


def test_log_loss_weights_with_same_rank_but_wrong_shape_raise():
    with pytest.raises(ValueError):
        losses.log_loss(torch.from_numpy(LOG_PRED), torch.from_numpy(LOG_LABELS), torch.rand(2, 4))


# --- HingeLossTest / ComputeWeightedLossTest ------------------------------------------------------


def test_hinge_loss():
    with pytest.raises(ValueError):
        losses.hinge_loss(T([[-1.0], [2.1]]), T([0.0, 1.0]))
    torch.testing.assert_close(losses.hinge_loss(T([1.2, -1.4, -1.0, 2.1]), T([1.0, 0.0, 0.0, 1.0])), torch.zeros(4))
    torch.testing.assert_close(losses.hinge_loss(T([[-0.7], [-1.4], [1.4], [0.6]]), T([[0.0], [0.0], [1.0], [1.0]])),
                               T([[0.3], [0.0], [0.0], [0.4]]))
    logits, labels = T([[[1.2], [0.4], [-1.0], [-1.1]]]), T([[[1.0], [0.0], [0.0], [1.0]]])
    torch.testing.assert_close(losses.hinge_loss(logits, labels), T([[[0.0], [1.4], [0.0], [2.1]]]))


def test_hinge_loss_is_not_collected_until_weighted():
    per_example = losses.hinge_loss(T([1.2, 0.4, -1.0, -1.1]), T([1.0, 0.0, 0.0, 1.0]))
    assert not losses.get_losses()
    loss = losses.compute_weighted_loss(per_example)
    assert len(losses.get_losses()) == 1
    close(loss, 3.5 / 4.0)


# --- MeanPairwiseSquaresErrorTest -----------------------------------------------------------------

PW_PRED = np.array([[4, 8, 12], [8, 1, 3]])
PW_LABELS = np.array([[1, 9, 2], [-5, -5, 7]])


def _pairwise_expected():
    total = np.zeros((2, 1))
    for b in range(2):
        for i in range(3):
            for j in range(3):
                x = PW_PRED[b, i] - PW_PRED[b, j]
                y = PW_LABELS[b, i] - PW_LABELS[b, j]
                total[b] += (x - y) ** 2
    return total / 9.0


def test_mean_pairwise_squared_error():
    pred, labels, expected = torch.from_numpy(PW_PRED), torch.from_numpy(PW_LABELS), _pairwise_expected()
    with pytest.raises(ValueError):
        losses.mean_pairwise_squared_error(labels, labels, weights=None)
    close(losses.mean_pairwise_squared_error(labels, labels), 0.0)
    close(losses.mean_pairwise_squared_error(pred, labels), np.sum(expected))
    close(losses.mean_pairwise_squared_error(pred, labels, 2.3), 2.3 * np.sum(expected))
    close(losses.mean_pairwise_squared_error(pred, labels, T(2.3)), 2.3 * np.sum(expected))
    close(losses.mean_pairwise_squared_error(pred, labels, T(0)), 0.0)
    close(losses.mean_pairwise_squared_error(pred, labels, T([2.0, 1.0])), np.sum(expected * [[2.0], [1.0]]))
    close(losses.mean_pairwise_squared_error(pred.float(), labels.int(), T([1.2, 3.4])),
          np.sum(expected * [[1.2], [3.4]]))
    close(losses.mean_pairwise_squared_error(pred, labels, T([0.0, 0.0])), 0.0)


def test_mean_pairwise_squared_error_gradient_with_zero_weight_is_finite():
    weights = torch.randn(3, 4, requires_grad=True)
    predictions = torch.ones(2, 3) @ weights
    losses.mean_pairwise_squared_error(predictions, predictions, 0.0).backward()
    assert torch.isfinite(weights.grad).all()


def test_mean_pairwise_squared_error_is_associative_across_batch_elements():
    gen = torch.Generator().manual_seed(0)
    labels0, pred0, labels1, pred1 = (torch.rand((1, 3, 4, 1), generator=gen) for _ in range(4))
    loss0 = losses.mean_pairwise_squared_error(pred0, labels0)
    loss1 = losses.mean_pairwise_squared_error(pred1, labels1)
    loss01 = losses.mean_pairwise_squared_error(torch.cat([pred0, pred1]), torch.cat([labels0, labels1]))
    assert loss0 > 0 and loss1 > 0
    close(loss01, float(loss0 + loss1), places=5)


# --- CosineDistanceLossTest -------------------------------------------------------------------------

COS_PRED = T([[1, 0, 0], [0, 0, -1], [1, 0, 0], [1, 0, 0], [0, 0, -1], [1, 0, 0]]).reshape(3, 2, 3)
COS_LABELS = T([[1, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 1, 0]]).reshape(3, 2, 3)


def test_cosine_distance():
    with pytest.raises(ValueError):
        losses.cosine_distance(COS_LABELS, COS_LABELS, dim=2, weights=None)
    with pytest.raises(ValueError, match="axis"):
        losses.cosine_distance(COS_LABELS, COS_LABELS)
    close(losses.cosine_distance(COS_LABELS, COS_LABELS, dim=2), 0.0, places=5)
    close(losses.cosine_distance(COS_PRED, COS_LABELS, dim=2), 1.0, places=5)
    assert float(losses.cosine_distance(COS_PRED, COS_LABELS, axis=2, weights=T([1, 0, 0]))) == 1.0
    weights = T([1, 0, 0, 1, 1, 1]).reshape(3, 2)
    assert float(losses.cosine_distance(COS_PRED, COS_LABELS, dim=2, weights=weights)) == 3.0 / 4.0
    assert float(losses.cosine_distance(COS_PRED, COS_LABELS, dim=2, weights=torch.zeros(3))) == 0.0
    assert float(losses.cosine_distance(COS_PRED, COS_LABELS, dim=2, weights=torch.zeros(3, 2))) == 0.0


def test_cosine_distance_floating_point_values():
    pred = T([[0.819031913261206, 0.567041924552012, 0.087465312324590],
              [-0.665139432070255, -0.739487441769973, -0.103671883216994],
              [0.707106781186548, -0.707106781186548, 0]]).reshape(3, 1, 3)
    labels = T([[0.819031913261206, 0.567041924552012, 0.087465312324590],
                [0.665139432070255, 0.739487441769973, 0.103671883216994],
                [0.707106781186548, 0.707106781186548, 0]]).reshape(3, 1, 3)
    close(losses.cosine_distance(pred, labels, dim=2), 1.0, places=5)


def test_cosine_distance_reduces_the_axis_so_weights_shaped_like_predictions_raise():
    # TF-Slim's cosine_distance sums the axis away (no keepdims): weights of rank 3 do not fit.
    with pytest.raises(ValueError):
        losses.cosine_distance(COS_PRED, COS_LABELS, dim=2, weights=torch.ones(3, 2, 3))


# --- compute_weighted_loss --------------------------------------------------------------------------


def test_compute_weighted_loss_reductions_by_hand():
    values = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4)
    close(losses.compute_weighted_loss(values), float(values.mean()), places=10)
    # weights [2]: sum_b w_b * sum(values[b]) / (number of non-zero w_b * 12)
    close(losses.compute_weighted_loss(values, T([2.0, 0.0])), 2.0 * float(values[0].sum()) / 12, places=10)
    # weights [2, 3]: broadcast over the last axis; zero weights drop their 4 elements from the count
    w = T([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    want = float((values * w[..., None].double()).sum()) / (3 * 4)
    close(losses.compute_weighted_loss(values, w), want, places=10)
    # weights [2, 3, 1] are squeezed to [2, 3]
    close(losses.compute_weighted_loss(values, w[..., None]), want, places=10)
    # weights shaped like the losses
    w3 = (torch.arange(24) % 5 == 0).double().reshape(2, 3, 4) * 2
    close(losses.compute_weighted_loss(values, w3), float((values * w3).sum()) / 5, places=10)
    # all weights zero: 0, not nan
    assert float(losses.compute_weighted_loss(values, torch.zeros(2))) == 0.0
    assert float(losses.compute_weighted_loss(values, 0.0)) == 0.0


def test_compute_weighted_loss_single_element_weight_counts_one_row_as_tf():
    # TF's _num_present: weights of shape [1] count non-zero weights per batch row of the weights,
    # times the size of one row of the losses, so [w] gives w * sum / (elements per row).
    values = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    close(losses.compute_weighted_loss(values, T([2.0])), 2.0 * 15.0 / 3.0, places=10)


def test_compute_weighted_loss_keeps_the_input_dtype_and_gradients():
    values = torch.rand(3, 2, dtype=torch.float64, requires_grad=True)
    loss = losses.compute_weighted_loss(values, T([1.0, 2.0, 0.0]))
    assert loss.dtype == torch.float64
    loss.backward()
    torch.testing.assert_close(values.grad, T([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0]], dtype=torch.float64) / 4)


def test_compute_weighted_loss_rank_of_weights_above_losses_raises():
    with pytest.raises(ValueError):
        losses.compute_weighted_loss(torch.ones(3), torch.ones(3, 3))


# --- AddLossTest: collections, get_total_loss --------------------------------------------------------


def test_add_external_loss_and_total():
    per_example = losses.hinge_loss(T([[1.2, 0.4, -1.0, -1.1]]), T([[1.0, 0.0, 0.0, 1.0]]))
    assert not losses.get_losses()
    losses.add_loss(per_example.mean())
    assert losses.get_losses()
    close(losses.get_total_loss(), 3.5 / 4.0)
    assert not losses.get_losses()  # get_total_loss consumed the pending losses


def test_none_loss_collection():
    losses.add_loss(T(1.0), loss_collection=None)
    assert not losses.get_losses()


@pytest.mark.parametrize("batch", [1, 2])
def test_no_collect_losses_with_arg_scope(batch):
    logits = T([[1.2, 0.4, -1.0, -1.1]] * batch)
    labels = T([[1.0, 0.0, 0.0, 1.0]] * batch)
    with slim.arg_scope([losses.add_loss], loss_collection=None):
        losses.absolute_difference(logits, labels)
        losses.log_loss(logits, labels)
        losses.mean_squared_error(logits, labels)
        losses.sigmoid_cross_entropy(logits, labels)
        losses.softmax_cross_entropy(logits, labels)
    assert not losses.get_losses()
    losses.mean_squared_error(logits, labels)
    assert len(losses.get_losses()) == 1


def test_get_total_loss_without_any_loss_raises():
    with pytest.raises(ValueError, match="No losses"):
        losses.get_total_loss()


def _regularized_net(x):
    return slim.fully_connected(x, 2, activation_fn=None, weights_regularizer=slim.l2_regularizer(0.5),
                                weights_initializer=slim.initializers.ones_initializer(), scope="fc")


def test_get_total_loss_adds_the_last_called_models_regularization_losses():
    model = slim.Model(_regularized_net)
    logits = model(torch.zeros(4, 3))
    losses.sparse_softmax_cross_entropy(logits, T([0, 1, 0, 1]))
    reg = 0.5 * 6 / 2  # ones [3, 2]
    close(losses.get_total_loss(), math.log(2) + reg, places=6)
    losses.sparse_softmax_cross_entropy(logits, T([0, 1, 0, 1]))
    close(losses.get_total_loss(add_regularization_losses=False), math.log(2), places=6)
    assert [float(loss.detach()) for loss in losses.get_regularization_losses()] == [reg]
    assert [float(loss.detach()) for loss in losses.get_regularization_losses(model=model)] == [reg]


def test_get_total_loss_of_an_explicit_model():
    model = slim.Model(_regularized_net)
    other = slim.Model(lambda x: slim.fully_connected(x, 2, scope="other"))
    logits = model(torch.zeros(1, 3))
    other(torch.zeros(1, 3))  # last called, has no regularizer
    losses.add_loss(logits.sum())
    close(losses.get_total_loss(model=model), 1.5, places=6)


def test_losses_inside_a_model_function_go_to_the_calls_collection():
    seen = {}

    def fn(x, labels):
        logits = _regularized_net(x)
        losses.sparse_softmax_cross_entropy(logits, labels)
        seen["losses"] = len(losses.get_losses())
        seen["total"] = losses.get_total_loss()
        return logits

    model = slim.Model(fn)
    model(torch.zeros(2, 3), T([0, 1]))
    assert seen["losses"] == 1
    close(seen["total"], math.log(2) + 1.5, places=6)
    assert not losses.get_losses()  # nothing left pending outside the model
    model(torch.zeros(2, 3), T([0, 1]))
    assert seen["losses"] == 1  # collections are per call
