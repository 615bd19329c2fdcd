"""TF's optimizer updates against hand computations; schedules; trainable / excluded scopes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from torchslim.train import optim


def _param(values):
    return torch.nn.Parameter(torch.tensor(values, dtype=torch.float64))


def _step(optimizer, param, grad):
    param.grad = torch.tensor(grad, dtype=torch.float64)
    optimizer.step()


def test_rmsprop_tf_matches_hand_computation():
    # tf.compat.v1.train.RMSPropOptimizer: ms starts at 1, epsilon inside the sqrt, lr inside momentum.
    lr, decay, momentum, eps = 0.1, 0.9, 0.9, 1.0
    p = _param([1.0, -2.0])
    opt = optim.RMSPropTF([p], lr=lr, decay=decay, momentum=momentum, epsilon=eps)
    var, ms, mom = np.array([1.0, -2.0]), np.ones(2), np.zeros(2)
    for grad in ([0.5, -1.0], [2.0, 0.25], [-1.0, 3.0]):
        g = np.array(grad)
        ms = decay * ms + (1 - decay) * g * g
        mom = momentum * mom + lr * g / np.sqrt(ms + eps)
        var = var - mom
        _step(opt, p, grad)
        np.testing.assert_allclose(p.detach().numpy(), var, rtol=1e-12)


def test_rmsprop_tf_first_step_differs_from_torch_rmsprop():
    p_tf, p_torch = _param([1.0]), _param([1.0])
    _step(optim.RMSPropTF([p_tf], lr=0.01, epsilon=1e-10), p_tf, [1.0])
    _step(torch.optim.RMSprop([p_torch], lr=0.01, alpha=0.9, eps=1e-10), p_torch, [1.0])
    # TF: 1 - 0.01 / sqrt(0.9 + 0.1) = 0.99; torch (ms from 0): 1 - 0.01 / sqrt(0.1)
    assert float(p_tf.detach()) == pytest.approx(0.99, abs=1e-12)
    assert float(p_torch.detach()) == pytest.approx(1 - 0.01 / math.sqrt(0.1), abs=1e-9)


def test_rmsprop_tf_centered():
    lr, decay, eps = 0.5, 0.9, 0.1
    p = _param([0.0])
    opt = optim.RMSPropTF([p], lr=lr, decay=decay, momentum=0.0, epsilon=eps, centered=True)
    var, ms, mg = 0.0, 1.0, 0.0
    for g in (1.0, -2.0):
        ms = decay * ms + (1 - decay) * g * g
        mg = decay * mg + (1 - decay) * g
        var -= lr * g / math.sqrt(ms - mg * mg + eps)
        _step(opt, p, [g])
    assert float(p.detach()) == pytest.approx(var, abs=1e-12)


def test_adam_tf_matches_hand_computation():
    # tf.compat.v1.train.AdamOptimizer: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); eps added to sqrt(v).
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1.0
    p = _param([1.0, 2.0])
    opt = optim.AdamTF([p], lr=lr, betas=(b1, b2), epsilon=eps)
    var, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    for t, grad in enumerate(([0.5, -1.0], [2.0, 0.25], [-1.0, 3.0]), start=1):
        g = np.array(grad)
        lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        var = var - lr_t * m / (np.sqrt(v) + eps)
        _step(opt, p, grad)
        np.testing.assert_allclose(p.detach().numpy(), var, rtol=1e-12)


def test_optimizers_skip_parameters_without_gradients_and_round_trip_state():
    a, b = _param([1.0]), _param([1.0])
    opt = optim.AdamTF([a, b], lr=0.1)
    a.grad = torch.tensor([1.0], dtype=torch.float64)
    opt.step()
    assert float(b.detach()) == 1.0 and float(a.detach()) != 1.0
    clone = optim.AdamTF([_param([1.0]), _param([1.0])], lr=0.1)
    clone.load_state_dict(opt.state_dict())
    assert float(clone.state_dict()["state"][0]["step"]) == 1.0


@pytest.mark.parametrize("name,cls", [("momentum", torch.optim.SGD), ("sgd", torch.optim.SGD),
                                      ("rmsprop", optim.RMSPropTF), ("adam", optim.AdamTF),
                                      ("adadelta", torch.optim.Adadelta), ("adagrad", torch.optim.Adagrad)])
def test_configure_optimizer(name, cls):
    opt = optim.configure_optimizer(name, [_param([1.0])], 0.01)
    assert isinstance(opt, cls)
    if name == "rmsprop":
        group = opt.param_groups[0]
        assert (group["decay"], group["momentum"], group["epsilon"]) == (0.9, 0.9, 1.0)


def test_configure_optimizer_unknown_names_the_choices():
    with pytest.raises(ValueError, match="--optimizer.*ftrl.*momentum"):
        optim.configure_optimizer("ftrl", [_param([1.0])], 0.01)


def test_exponential_schedule_is_staircase_by_epochs():
    # 1000 examples / batch 100 * 2 epochs per decay = 20 steps per decay.
    schedule = optim.configure_learning_rate("exponential", 0.01, 1000, 100, 2.0, 0.94)
    assert schedule.decay_steps == 20
    assert schedule(0) == schedule(19) == pytest.approx(0.01)
    assert schedule(20) == pytest.approx(0.01 * 0.94)
    assert schedule(45) == pytest.approx(0.01 * 0.94 ** 2)
    # The script's operation order: 30 * 0.7 / 7 = 3.0, while 30 / 7 * 0.7 rounds down to 2.
    assert optim.configure_learning_rate("exponential", 0.01, 30, 7, 0.7).decay_steps == 3


def test_warmup_is_a_line_from_zero_capping_the_decayed_rate():
    # 1000 samples / 100 per step = 10 steps per epoch; 1.5 warm-up epochs = 15 steps
    schedule = optim.configure_learning_rate("exponential", 0.01, 1000, 100, 2.0, 0.5, warmup_epochs=1.5)
    assert schedule.warmup_steps == 15.0
    assert schedule(0) == 0.0
    assert schedule(3) == pytest.approx(0.01 * 3 / 15)
    assert schedule(15) == pytest.approx(0.01)            # the line reaches the rate
    assert schedule(20) == pytest.approx(0.005)           # decay_steps 20: 0.01 * 0.5 ** 1, under the line
    fixed = optim.configure_learning_rate("fixed", 0.2, 64, 32, warmup_epochs=2)  # 2 steps per epoch -> 4
    assert [fixed(s) for s in range(6)] == pytest.approx([0.0, 0.05, 0.1, 0.15, 0.2, 0.2])
    assert optim.configure_learning_rate("fixed", 0.2, 64, 32)(0) == 0.2  # no warm-up by default
    with pytest.raises(ValueError, match="--warmup_epochs"):
        optim.configure_learning_rate("fixed", 0.2, 64, 32, warmup_epochs=-1)


def test_polynomial_cosine_fixed_schedules():
    poly = optim.configure_learning_rate("polynomial", 0.1, 1000, 100, 2.0, end_learning_rate=0.001)
    assert poly(0) == pytest.approx(0.1) and poly(10) == pytest.approx(0.0505) and poly(99) == pytest.approx(0.001)
    cos = optim.configure_learning_rate("cosine", 0.1, 1000, 100, end_learning_rate=0.0, total_steps=100)
    assert cos(0) == pytest.approx(0.1) and cos(50) == pytest.approx(0.05) and cos(100) == pytest.approx(0.0)
    assert optim.configure_learning_rate("fixed", 0.3, 10, 1)(12345) == 0.3
    with pytest.raises(ValueError, match="learning_rate_decay_type"):
        optim.configure_learning_rate("step", 0.1, 10, 1)


def _model():
    import torchslim as slim

    def net(x):
        x = slim.fully_connected(x, 3, scope="hidden", normalizer_fn=slim.batch_norm)
        return slim.fully_connected(x, 2, scope="logits")

    model = slim.Model(net)
    model.build(torch.zeros(2, 4))
    return model


def test_variables_to_train_by_scope():
    model = _model()
    assert [v.name for v in optim.variables_to_train(model)] == [
        "hidden/weights", "hidden/BatchNorm/beta", "logits/weights", "logits/biases"]
    assert [v.name for v in optim.variables_to_train(model, "logits")] == ["logits/weights", "logits/biases"]
    assert [v.name for v in optim.variables_to_train(model, " logits/biases, hidden/weights")] == [
        "logits/biases", "hidden/weights"]
    with pytest.raises(ValueError, match="--trainable_scopes.*'logit_typo'"):
        optim.variables_to_train(model, "logit_typo")


def test_parse_scopes_splits_flag_values():
    assert optim.parse_scopes(None) == [] and optim.parse_scopes("a, ,b") == ["a", "b"]
    assert optim.parse_scopes(["x/logits", " "]) == ["x/logits"]
