"""``Model.compile``: compiled calls give the eager numbers, keep the model's state live, and can be undone.

Inductor on CPU compiles C++ (seconds per graph), so the nets are tiny and the tests that only
check the bookkeeping use a counting backend that runs the captured graph as it is.
"""

from __future__ import annotations

import copy
import shutil

import pytest
import torch

import torchslim as slim

TOL = 1e-4
X = torch.rand(2, 8, 8, 3, generator=torch.Generator().manual_seed(0))


def _net(x):
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                        normalizer_params={"decay": 0.9, "epsilon": 1e-5, "scale": True}):
        x = slim.conv2d(x, 4, 3, scope="conv1")
        x = slim.conv2d(x, 5, 3, stride=2, scope="conv2")
    x = torch.mean(x, dim=(1, 2))
    return slim.fully_connected(x, 3, activation_fn=None, scope="logits")


def _model() -> slim.Model:
    torch.manual_seed(0)
    model = slim.Model(_net).build(X)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, var in model.tf_variables().items():
            if name.endswith(("gamma", "moving_variance")):
                var.tensor.copy_(torch.rand(var.tensor.shape, generator=gen) + 0.5)
            elif name.endswith(("beta", "moving_mean")):
                var.tensor.copy_(torch.randn(var.tensor.shape, generator=gen) * 0.1)
    return model


def _needs_inductor():
    if shutil.which("g++") is None and shutil.which("gcc") is None and shutil.which("clang++") is None:
        pytest.skip("torch.compile's inductor backend needs a C++ compiler, and none is on PATH")


class CountingBackend:
    """A ``torch.compile`` backend that counts the graphs it is given and runs them unchanged."""

    def __init__(self):
        self.graphs = 0

    def __call__(self, gm, example_inputs, **kwargs):
        self.graphs += 1
        return gm.forward


def test_compile_returns_self_and_none_undoes_it():
    model = _model().eval()
    backend = CountingBackend()
    assert model.compile(backend=backend) is model
    with torch.no_grad():
        expected = model.compile(None)(X)
        model.compile(backend=backend)
        compiled = model(X)
        graphs = backend.graphs
        assert graphs == 1                          # one graph: nothing in the layers breaks the trace
        model.compile(None)
        again = model(X)
    assert backend.graphs == graphs                 # the last call ran eagerly
    torch.testing.assert_close(compiled, expected, atol=TOL, rtol=0)
    torch.testing.assert_close(again, expected, atol=0, rtol=0)


def test_one_graph_per_call_signature():
    model = _model().eval()
    backend = CountingBackend()
    model.compile(backend=backend)
    counts = []

    def call(x, training=False, collecting=True):
        with slim.utils.collecting_outputs(collecting):
            model.train(training)(x)
        counts.append(backend.graphs)

    with torch.no_grad():
        call(X)
        call(X + 1)                                 # same signature: compiled before
        call(X[:1])                                 # a new shape
        call(X)                                     # seen before
        call(X, collecting=False)                   # no end points collected
        call(X, training=True)                      # training mode
    assert counts[0] > 0
    assert counts[1] == counts[0] and counts[3] == counts[2]
    assert counts[0] < counts[2] < counts[4] < counts[5]


def test_frozen_inference_matches_eager_and_recompiles_when_a_weight_changes():
    _needs_inductor()
    model = _model().eval()
    with torch.no_grad():
        eager = model(X)
        model.compile("inference")
        compiled = model(X)
        torch.testing.assert_close(compiled, eager, atol=TOL, rtol=0)
        model.variable("conv2/weights").tensor.mul_(-0.5)   # frozen graphs hold the old weights
        model.variable("conv2/BatchNorm/moving_mean").tensor.add_(0.3)
        recompiled = model(X)
        model.compile(None)
        eager_new = model(X)
    assert (eager_new - eager).abs().max() > 1e-2
    torch.testing.assert_close(recompiled, eager_new, atol=TOL, rtol=0)


def test_training_mode_matches_eager_updates_moving_averages_and_follows_optimizer_steps():
    _needs_inductor()
    eager = _model().train()
    compiled = copy.deepcopy(eager).compile("training")
    before = eager.variable("conv2/BatchNorm/moving_mean").tensor.clone()
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (eager, compiled)]
    for step in range(2):
        outputs = []
        for model, opt in zip((eager, compiled), optimizers):
            opt.zero_grad()
            out = model(X)
            out.square().mean().backward()
            opt.step()
            outputs.append(out.detach())
        torch.testing.assert_close(outputs[1], outputs[0], atol=TOL, rtol=0, msg=f"step {step}")
    for name, var in eager.tf_variables().items():
        torch.testing.assert_close(compiled.variable(name).tensor, var.tensor, atol=TOL, rtol=0, msg=name)
    moved = compiled.variable("conv2/BatchNorm/moving_mean").tensor
    assert (moved - before).abs().max() > 1e-4       # the compiled graph updated the moving mean


def test_autocast_applies_inside_the_compiled_graph():
    """bf16 autocast: the compiled output is bf16 and within bf16 rounding of eager autocast."""
    _needs_inductor()
    model = _model().eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        eager = model(X)
        compiled = model.compile("inference")(X)
    assert eager.dtype == compiled.dtype == torch.bfloat16
    # bf16 keeps 8 significant bits: a few units in the last place of values of order 1
    torch.testing.assert_close(compiled.float(), eager.float(), atol=5e-2, rtol=2e-2)
