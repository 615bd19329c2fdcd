"""tf_slim learning_test.py cases (SLIM_SEMANTICS §3.4), ported to the eager train op."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.train import learning, run_dir


def _problem():
    """learning_test's data: 16 one-hot rows of 4 whose position encodes the 0/1 label."""
    rng = np.random.RandomState(0)
    inputs = np.zeros((16, 4), dtype=np.float32)
    labels = rng.randint(0, 2, size=(16, 1)).astype(np.float32)
    for i in range(16):
        inputs[i, int(2 * labels[i, 0] + rng.randint(0, 2))] = 1
    return torch.from_numpy(inputs), torch.from_numpy(labels)


def logistic_classifier(inputs):
    return slim.fully_connected(inputs, 1, activation_fn=torch.sigmoid)


def batch_norm_classifier(inputs):
    inputs = slim.batch_norm(inputs, decay=0.1, fused=True)
    return slim.fully_connected(inputs, 1, activation_fn=torch.sigmoid)


def _setup(net=logistic_classifier, lr=1.0, seed=0, **kwargs):
    torch.manual_seed(seed)
    inputs, labels = _problem()
    model = slim.Model(net)
    model.build(inputs)
    model.train()

    def total_loss():
        slim.losses.log_loss(model(inputs), labels)
        return slim.losses.get_total_loss(model=model)

    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    return model, inputs, learning.create_train_op(total_loss, optimizer, model=model, **kwargs)


# ----------------------------------------------------------------------------------------------
# ClipGradientNormsTest


def test_clip_gradient_norms_clips_each_tensor_to_max_norm():
    grad = torch.tensor([1.0, 2.0, 3.0])
    var = torch.zeros(3, requires_grad=True)
    [(clipped, same_var)] = learning.clip_gradient_norms([(grad, var)], 1.0)
    np.testing.assert_allclose(clipped.numpy(), (grad / grad.norm()).numpy(), rtol=1e-6)
    assert same_var is var


def test_clip_gradient_norms_is_per_tensor_not_global():
    small, big = torch.tensor([0.3, 0.4]), torch.tensor([30.0, 40.0])
    out = learning.clip_gradient_norms([(small, "a"), (big, "b")], 1.0)
    np.testing.assert_allclose(out[0][0].numpy(), [0.3, 0.4], rtol=1e-6)  # norm 0.5 < 1: unchanged
    np.testing.assert_allclose(out[1][0].numpy(), [0.6, 0.8], rtol=1e-6)


def test_clip_gradient_norms_passes_none_and_zero():
    out = learning.clip_gradient_norms([(None, "v"), (torch.zeros(2), "w")], 1.0)
    assert out[0][0] is None
    assert torch.equal(out[1][0], torch.zeros(2))


def test_clip_gradient_norms_sparse_keeps_indices_and_shape():
    sparse = torch.sparse_coo_tensor([[0, 2]], torch.tensor([[3.0, 0.0], [0.0, 4.0]]), (4, 2), check_invariants=True)
    [(clipped, _)] = learning.clip_gradient_norms([(sparse, "v")], 1.0)
    assert clipped.is_sparse and clipped.shape == (4, 2)
    assert torch.equal(clipped.coalesce().indices(), torch.tensor([[0, 2]]))
    np.testing.assert_allclose(clipped.coalesce().values().numpy(), [[0.6, 0.0], [0.0, 0.8]], rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# MultiplyGradientsTest


def test_multiply_gradients_errors():
    var = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="must be a list"):
        learning.multiply_gradients(((torch.ones(2), var),), {var: 2.0})
    with pytest.raises(ValueError, match="is empty"):
        learning.multiply_gradients([(torch.ones(2), var)], {})
    with pytest.raises(ValueError, match="must be a dict"):
        learning.multiply_gradients([(torch.ones(2), var)], [(var, 2.0)])
    with pytest.raises(ValueError, match="`None` gradient"):
        learning.multiply_gradients([(None, var)], {var: 2.0})


def test_multiply_gradients_by_variable_name_and_tensor_multiplier():
    model = slim.Model(logistic_classifier)
    model.build(torch.zeros(2, 4))
    weights = model.variable("fully_connected/weights")
    biases = model.variable("fully_connected/biases")
    grads = [(torch.ones(1, 4), weights), (torch.ones(1), biases)]
    by_var = learning.multiply_gradients(grads, {weights: 3.0})
    assert torch.equal(by_var[0][0], torch.full((1, 4), 3.0)) and torch.equal(by_var[1][0], torch.ones(1))
    by_name = learning.multiply_gradients(grads, {"fully_connected/biases": torch.tensor(5.0)})
    assert torch.equal(by_name[1][0], torch.full((1,), 5.0)) and torch.equal(by_name[0][0], torch.ones(1, 4))
    by_tensor = learning.multiply_gradients(grads, {weights.tensor: torch.tensor(2.0)})
    assert torch.equal(by_tensor[0][0], torch.full((1, 4), 2.0))


def test_multiply_gradients_sparse():
    var = torch.zeros(4, 2, requires_grad=True)
    sparse = torch.sparse_coo_tensor([[1]], torch.tensor([[1.0, 2.0]]), (4, 2), check_invariants=True)
    [(out, _)] = learning.multiply_gradients([(sparse, var)], {var: 3.0})
    assert out.is_sparse
    assert torch.equal(out.to_dense()[1], torch.tensor([3.0, 6.0]))


# ----------------------------------------------------------------------------------------------
# CreateTrainOpTest


def test_use_update_ops_moving_stats_reach_the_batch_stats():
    inputs, _ = _problem()
    expected_mean = inputs.numpy().mean(axis=0)
    expected_var = inputs.numpy().var(axis=0) * 16.0 / 15.0  # Bessel's correction (fused kernel)
    model, _, train_op = _setup(batch_norm_classifier)
    for _ in range(10):
        train_op()
    np.testing.assert_allclose(model.variable("BatchNorm/moving_mean").tensor.numpy(), expected_mean, atol=1e-6)
    np.testing.assert_allclose(model.variable("BatchNorm/moving_variance").tensor.numpy(), expected_var,
                               atol=1e-6)


def test_empty_update_ops_keep_moving_stats():
    model, _, train_op = _setup(batch_norm_classifier, update_ops=[])
    for _ in range(10):
        train_op()
    assert torch.equal(model.variable("BatchNorm/moving_mean").tensor, torch.zeros(4))
    assert torch.equal(model.variable("BatchNorm/moving_variance").tensor, torch.ones(4))


def test_update_ops_callables_run_after_each_step():
    calls = []
    _, _, train_op = _setup(update_ops=[lambda: calls.append(1)])
    for _ in range(3):
        train_op()
    assert calls == [1, 1, 1]


def test_use_global_step():
    _, _, train_op = _setup(batch_norm_classifier)
    for _ in range(10):
        train_op()
    assert int(train_op.global_step) == 10


def test_given_global_step_and_none_global_step():
    step = learning.create_global_step(5)
    _, _, counted = _setup(global_step=step)
    counted()
    assert int(step) == 6
    _, _, uncounted = _setup(global_step=None)
    uncounted()
    assert uncounted.global_step is None and uncounted.step == 0


def test_train_op_returns_the_loss_before_the_update():
    model, inputs, train_op = _setup()
    labels = _problem()[1]
    with torch.no_grad():
        before = float(slim.losses.log_loss(model(inputs), labels))
    slim.losses.get_total_loss(model=model)  # clear the pending loss
    assert float(train_op()) == pytest.approx(before, rel=1e-6)


def test_check_numerics_names_the_step_and_skips_the_update():
    model = slim.Model(logistic_classifier)
    model.build(torch.zeros(2, 4))
    weights_before = model.variable("fully_connected/weights").tensor.detach().clone()
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    train_op = learning.create_train_op(lambda: model(torch.zeros(2, 4)).sum() * float("nan"), optimizer,
                                        global_step=learning.create_global_step(7), model=model)
    with pytest.raises(learning.NonFiniteLossError, match="LossTensor is inf or nan.*global step 7"):
        train_op()
    assert torch.equal(model.variable("fully_connected/weights").tensor, weights_before)
    unchecked = learning.create_train_op(lambda: model(torch.zeros(2, 4)).sum() * float("inf"), optimizer,
                                         check_numerics=False, model=model)
    assert torch.isinf(unchecked())


def test_clip_gradient_norm_in_train_op_bounds_each_update():
    model, _, train_op = _setup(lr=1.0, clip_gradient_norm=1e-3)
    before = {n: v.tensor.detach().clone() for n, v in model.tf_variables().items()}
    train_op()
    for name, var in model.tf_variables().items():
        assert float((var.tensor.detach() - before[name]).norm()) <= 1e-3 + 1e-7


def test_summarize_gradients_records_norms_by_tf_name():
    _, _, train_op = _setup(summarize_gradients=True)
    train_op()
    assert set(train_op.gradient_norms) == {"fully_connected/weights", "fully_connected/biases"}


def test_variables_to_train_must_be_trainable():
    model, _, _ = _setup(batch_norm_classifier)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    with pytest.raises(ValueError, match="moving_mean is not a trainable variable"):
        learning.create_train_op(lambda: torch.zeros(()), optimizer, model=model,
                                 variables_to_train=[model.variable("BatchNorm/moving_mean")])


# ----------------------------------------------------------------------------------------------
# TrainBNClassifierTest / TrainTest


def test_train_bn_classifier_reaches_low_loss():
    _, _, train_op = _setup(batch_norm_classifier)
    loss = learning.train(train_op, None, number_of_steps=300, log_every_n_steps=0)
    assert loss < 0.1


def test_train_300_steps_logistic_loss_below_0_015():
    _, _, train_op = _setup()
    loss = learning.train(train_op, None, number_of_steps=300, log_every_n_steps=0)
    assert loss is not None and loss < 0.015


def test_train_argument_errors(tmp_path):
    _, _, train_op = _setup()
    with pytest.raises(ValueError, match="number_of_steps"):
        learning.train(train_op, None, number_of_steps=0)
    with pytest.raises(ValueError, match="logdir is None"):
        learning.train(train_op, None, number_of_steps=1, summary_writer=object())


def test_a_saver_object_is_refused_with_what_to_set_instead(tmp_path):
    _, _, train_op = _setup()
    for saver in (object(), "model.ckpt", True):
        with pytest.raises(TypeError, match=f"saver must be None .* got {type(saver).__name__}; set max_to_keep"):
            learning.train(train_op, str(tmp_path), number_of_steps=1, saver=saver)
    assert train_op.step == 0 and not (tmp_path / "checkpoint").exists()
    learning.train(train_op, str(tmp_path), number_of_steps=1, saver=None, summary_writer=None)
    assert train_op.step == 1 and not (tmp_path / "checkpoint").exists()  # None: no checkpoint


def test_resume_train_achieves_roughly_the_same_loss(tmp_path):
    logdir = str(tmp_path / "run")
    _, _, train_op = _setup()
    loss = learning.train(train_op, logdir, number_of_steps=300, log_every_n_steps=0)
    assert loss < 0.015
    assert run_dir.step_from_prefix(slim_latest(logdir)) == 300
    for steps in (301, 305):
        _, _, resumed = _setup(seed=1)  # a different initialisation: the checkpoint must win
        loss = learning.train(resumed, logdir, number_of_steps=steps, log_every_n_steps=0)
        assert int(resumed.global_step) == steps
        assert loss < 0.015
    assert run_dir.step_from_prefix(slim_latest(logdir)) == 305


def slim_latest(logdir):
    from torchslim import checkpoint
    return checkpoint.latest_checkpoint(logdir)


def test_train_with_init_fn_from_checkpoint(tmp_path):
    logdir1, logdir2 = str(tmp_path / "a"), str(tmp_path / "b")
    _, _, train_op = _setup()
    assert learning.train(train_op, logdir1, number_of_steps=300, log_every_n_steps=0) < 0.015
    _, _, fresh = _setup(seed=3)
    seen = []

    def init_fn(model):
        seen.append(run_dir.restore_model(model, logdir1 + "/model.ckpt-300"))

    loss = learning.train(fresh, logdir2, number_of_steps=1, init_fn=init_fn, log_every_n_steps=0)
    assert seen and loss < 0.02
    # init_fn is not called again once logdir2 has a checkpoint: the run resumes instead.
    _, _, again = _setup(seed=4)
    learning.train(again, logdir2, number_of_steps=2, init_fn=lambda m: pytest.fail("init_fn ran"),
                   log_every_n_steps=0)


def test_training_subsets_update_only_those_variables():
    model, _, _ = _setup()
    weights, biases = model.variable("fully_connected/weights"), model.variable("fully_connected/biases")
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    inputs, labels = _problem()

    def total_loss():
        slim.losses.log_loss(model(inputs), labels)
        return slim.losses.get_total_loss(model=model)

    for trained, frozen in ((weights, biases), (biases, weights)):
        op = learning.create_train_op(total_loss, optimizer, variables_to_train=[trained], model=model)
        t0, f0 = trained.tensor.detach().clone(), frozen.tensor.detach().clone()
        op()
        assert not torch.equal(trained.tensor, t0)
        assert torch.equal(frozen.tensor, f0)


def test_train_all_vars_has_lower_loss_than_subset():
    losses = []
    for subset in (None, "biases"):
        model, inputs, _ = _setup()
        labels = _problem()[1]

        def total_loss():
            slim.losses.log_loss(model(inputs), labels)
            return slim.losses.get_total_loss(model=model)

        chosen = None if subset is None else [model.variable("fully_connected/biases")]
        op = learning.create_train_op(total_loss, torch.optim.SGD(model.parameters(), lr=1.0),
                                      variables_to_train=chosen, model=model)
        losses.append(learning.train(op, None, number_of_steps=50, log_every_n_steps=0))
    assert losses[0] < losses[1]


def test_train_with_altered_gradients():
    losses = []
    for multiplier in (1.0, 1000.0):
        model, _, _ = _setup(lr=0.001)
        inputs, labels = _problem()

        def total_loss():
            slim.losses.log_loss(model(inputs), labels)
            return slim.losses.get_total_loss(model=model)

        multipliers = {v: multiplier for v in model.tf_variables().values()}
        op = learning.create_train_op(total_loss, torch.optim.SGD(model.parameters(), lr=0.001),
                                      gradient_multipliers=multipliers, model=model)
        losses.append(learning.train(op, None, number_of_steps=10, log_every_n_steps=0))
    assert losses[1] < losses[0]


def test_train_with_epoch_limited_input_stops_at_the_end_of_the_data():
    model, inputs, _ = _setup()
    labels = _problem()[1]

    def total_loss(x, y):
        slim.losses.log_loss(model(x), y)
        return slim.losses.get_total_loss(model=model)

    op = learning.create_train_op(total_loss, torch.optim.SGD(model.parameters(), lr=1.0), model=model)
    batches = iter([(inputs[:8], labels[:8]), (inputs[8:], labels[8:])] * 3)
    learning.train(op, None, data=batches, log_every_n_steps=0)
    assert int(op.global_step) == 6


def test_train_writes_checkpoints_and_event_file(tmp_path):
    from torchslim.train import events
    logdir = str(tmp_path / "run")
    _, _, train_op = _setup()
    learning.train(train_op, logdir, number_of_steps=20, save_interval_steps=10, save_interval_secs=None,
                   save_summaries_steps=5, log_every_n_steps=0)
    from torchslim import checkpoint
    state = checkpoint.get_checkpoint_state(logdir)
    assert [p for p in state.all_model_checkpoint_paths] == ["model.ckpt-10", "model.ckpt-20"]
    values = checkpoint.load(logdir + "/model.ckpt-20")
    assert set(values) == {"fully_connected/weights", "fully_connected/biases", "global_step"}
    assert int(values["global_step"]) == 20
    assert [s for s, _ in events.scalars(logdir, "losses/total_loss")] == [5, 10, 15, 20]
