"""ExponentialMovingAverage: TF's update by hand, the shadows in training checkpoints under TF's names,
evaluation restoring them, and a checkpoint written by TF-Slim (tools/make_ema_fixture.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import checkpoint
from torchslim.train import learning
from torchslim.train.evaluation import restore_moving_averages
from torchslim.train.moving_averages import ExponentialMovingAverage

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "train_ema"


def _net(images):
    with slim.variable_scope("net"):
        net = slim.conv2d(images, 3, [3, 3], normalizer_fn=slim.batch_norm, scope="conv")
        return slim.fully_connected(slim.flatten(net), 5, scope="fc"), {}


def _model():
    torch.manual_seed(0)
    return slim.Model(_net).build(torch.zeros(1, 4, 4, 2))


def test_updates_by_hand():
    model = _model()
    var = model.variable("net/fc/biases")
    ema = ExponentialMovingAverage(0.9)
    with torch.no_grad():
        var.tensor.fill_(1.0)
    ema.track([var])                                   # shadow = 1
    with torch.no_grad():
        var.tensor.fill_(3.0)
    ema.apply(num_updates=1)                           # decay min(0.9, 2/11): 1 - (1 - 3) * 9/11 = 2.636363..
    np.testing.assert_allclose(ema.average(var).numpy(), np.full(5, 1 + 2 * 9 / 11), rtol=1e-6)
    with torch.no_grad():
        var.tensor.fill_(0.0)
    ema.apply(num_updates=2)                           # decay 3/12: s - s * 0.75
    np.testing.assert_allclose(ema.average(var).numpy(), np.full(5, (1 + 2 * 9 / 11) * 0.25), rtol=1e-6)
    ema.apply()                                        # no num_updates: decay 0.9
    np.testing.assert_allclose(ema.average(var).numpy(), np.full(5, (1 + 2 * 9 / 11) * 0.25 * 0.9), rtol=1e-6)
    assert ema.effective_decay(1000) == pytest.approx(0.9) and ema.average_name(var) == \
        "net/fc/biases/ExponentialMovingAverage"
    with pytest.raises(ValueError, match=r"must be in \[0, 1\]"):
        ExponentialMovingAverage(1.5)


def test_matches_tensorflow_on_its_trajectory():
    """TF's shadows after three applies (steps 1, 2, 3) from the stored variable values, in float32."""
    record = np.load(FIXTURE / "trajectory.npz")
    model = _model()
    ema = ExponentialMovingAverage(float(record["decay"]))
    variables = slim.get_model_variables(model=model)
    for var in variables:
        var.assign_tf(record[f"{var.name}@init"])
    ema.track(variables)
    for step in record["steps"]:
        for var in variables:
            var.assign_tf(record[f"{var.name}@{step}"])
        ema.apply(num_updates=int(step))
    tf_values = checkpoint.load(str(FIXTURE / "model.ckpt"))
    mine = ema.tf_tensors()
    assert set(mine) == {f"{v.name}/ExponentialMovingAverage" for v in variables} == \
        {k for k in tf_values if k.endswith("/ExponentialMovingAverage")}
    for name, value in mine.items():
        np.testing.assert_allclose(value, tf_values[name], rtol=0, atol=1e-6, err_msg=name)


def test_eval_restores_tensorflow_averages():
    model = _model()
    restored = restore_moving_averages(model, str(FIXTURE / "model.ckpt"), 0.9)
    tf_values = checkpoint.load(str(FIXTURE / "model.ckpt"))
    assert "net/fc/weights" in restored and len(restored) == 6
    for var in model.tf_variables().values():
        np.testing.assert_array_equal(var.to_tf().numpy(), tf_values[f"{var.name}/ExponentialMovingAverage"])
        assert not np.array_equal(var.to_tf().numpy(), tf_values[var.name])


def test_eval_without_averages_names_them(tmp_path):
    model = _model()
    prefix = checkpoint.save_checkpoint(model, str(tmp_path / "plain.ckpt"))
    with pytest.raises(checkpoint.RestoreError, match="ExponentialMovingAverage") as info:
        restore_moving_averages(_model(), prefix, 0.9)
    assert "--moving_average_decay" in str(info.value)


def _train(logdir, steps, ema_decay=0.5):
    model = _model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    images = torch.randn(4, 4, 4, 2, generator=torch.Generator().manual_seed(1))

    def loss_fn():
        logits, _ = model(images)
        return logits.square().mean()

    ema = ExponentialMovingAverage(ema_decay)
    ema.track(slim.get_model_variables(model=model))
    train_op = learning.create_train_op(loss_fn, optimizer, model=model)
    seen = {}

    def record(step, loss, seconds):
        seen[step] = {v.name: v.to_tf().numpy() for v in slim.get_model_variables(model=model)}

    learning.train(train_op, str(logdir), model=model, number_of_steps=steps, save_interval_secs=None,
                   summary_writer=None, moving_averages=ema, step_callback=record,
                   init_fn=lambda m: record(0, 0.0, 0.0))
    return model, ema, seen


def test_training_saves_averages_by_hand_and_resumes_them(tmp_path):
    _, ema, seen = _train(tmp_path / "run", 3)
    prefix = checkpoint.latest_checkpoint(str(tmp_path / "run"))
    saved = checkpoint.load(prefix)
    for name in seen[0]:
        expected = seen[0][name].astype(np.float32)
        for step in (1, 2, 3):  # num_updates = the global step the step reached
            rate = np.float32(1) - np.float32(min(0.5, (1 + step) / (10 + step)))
            expected = expected - (expected - seen[step][name]) * rate
        np.testing.assert_allclose(saved[f"{name}/ExponentialMovingAverage"], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(saved[name], seen[3][name])
    # resuming to step 4 starts from the saved shadows
    _, resumed, seen4 = _train(tmp_path / "run", 4)
    name = "net/fc/weights"
    rate = np.float32(1) - np.float32(min(0.5, 5 / 14))
    start = saved[f"{name}/ExponentialMovingAverage"]
    np.testing.assert_allclose(resumed.tf_tensors()[f"{name}/ExponentialMovingAverage"],
                               start - (start - seen4[4][name]) * rate, rtol=1e-5, atol=1e-6)


def test_averages_in_place_swaps_and_restores():
    model = _model()
    var = model.variable("net/fc/biases")
    ema = ExponentialMovingAverage(0.9)
    ema.track([var])
    with torch.no_grad():
        var.tensor.fill_(7.0)
    ema.apply()
    before = var.tensor.clone()
    with ema.averages_in_place():
        assert torch.equal(var.tensor, ema.average(var))
    assert torch.equal(var.tensor, before)
