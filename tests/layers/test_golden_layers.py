"""Golden tests: every layer case of ``shared/fixtures/layers`` against the real TF-Slim's numbers.

Each case builds a :class:`slim.Model` that calls the manifest's function with the manifest's
``call.kwargs``, restores the TF checkpoint into it by TF name, and compares the outputs (and, for
the ``batch_norm_train*`` cases, the moving statistics after steps 1 and 3) within 1e-5.
The variable names, shapes and their order must be the manifest's ``variables`` exactly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import torchslim as slim
import torchslim.checkpoint
from torchslim.nets import resnet_utils
from conftest import find_fixtures_dir

TOL = 1e-5

_ACTIVATIONS = {
    "relu": slim.nn.relu,
    "relu6": slim.nn.relu6,
    "elu": slim.nn.elu,
    "sigmoid": slim.nn.sigmoid,
    "tanh": slim.nn.tanh,
    "softplus": slim.nn.softplus,
}
_CALLABLES = {
    "tf_slim.l2_regularizer": slim.l2_regularizer,
    "tf_slim.l1_regularizer": slim.l1_regularizer,
    "tf_slim.l1_l2_regularizer": slim.l1_l2_regularizer,
    "tf_slim.batch_norm": slim.batch_norm,
}


def _cases():
    root = find_fixtures_dir()
    if root is None or not (root / "layers").is_dir():
        return ["<no fixtures>"]
    return sorted(p.name for p in (root / "layers").iterdir() if (p / "manifest.json").is_file())


def _decode(value):
    """Turns manifest values back into Python objects (activation strings, regularizer calls)."""
    if isinstance(value, str):
        match = re.fullmatch(r"<tensorflow\.python\.ops\.[\w.]*?(\w+)>", value)
        if match:
            name = match.group(1)
            if name not in _ACTIVATIONS:
                raise KeyError(f"no torchslim activation for {value}")
            return _ACTIVATIONS[name]
        return value
    if isinstance(value, dict):
        if "__call__" in value:
            fn = _CALLABLES[value["__call__"]]
            return fn(*[_decode(a) for a in value.get("args", [])],
                      **{k: _decode(v) for k, v in value.get("kwargs", {}).items()})
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _function(name):
    if name == "conv2d_same":
        return resnet_utils.conv2d_same, slim.conv2d
    fn = getattr(slim, name)
    return fn, fn


@pytest.fixture(params=_cases())
def case(request, fixtures_dir):
    folder = Path(fixtures_dir) / "layers" / request.param
    if not folder.is_dir():
        pytest.skip("no layer fixtures")
    manifest = json.loads((folder / "manifest.json").read_text())
    expected = dict(np.load(folder / "expected.npz"))
    return folder, manifest, expected


def _build(folder, manifest, expected):
    fn, scoped = _function(manifest["function"]["name"])
    kwargs = {k: _decode(v) for k, v in manifest["call"]["kwargs"].items()}
    outputs = [name for name, _, _ in manifest["outputs"]]
    wants_pre = "preactivation" in outputs

    def model_fn(inputs):
        out = fn(inputs, **kwargs)
        result = {"outputs": out}
        if wants_pre:
            with slim.arg_scope([scoped], activation_fn=None, reuse=True):
                result["preactivation"] = fn(inputs, **kwargs)
        return result

    model = slim.Model(model_fn)
    inputs = torch.from_numpy(expected["inputs"])
    model.build(inputs)
    got = [[name, list(var.tf_shape), "float32"] for name, var in model.tf_variables().items()]
    assert got == manifest["variables"]
    trainable = [name for name, var in model.tf_variables().items() if var.trainable]
    assert trainable == manifest["trainable_variables"]
    if manifest["checkpoint"] is not None:
        values = slim.checkpoint.load(str(folder / manifest["checkpoint"]["prefix"]))
        assert sorted(values) == sorted(model.tf_variables())
        for name, var in model.tf_variables().items():
            var.assign_tf(values[name])
            np.testing.assert_array_equal(var.to_tf().numpy(), values[name])
    return model, inputs


def _close(name, got, want):
    got = got.detach().numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
    assert got.shape == want.shape, name
    err = float(np.max(np.abs(got - want))) if want.size else 0.0
    assert err <= TOL, f"{name}: max abs error {err:.3g} > {TOL}"
    return err


def test_golden_layer(case):
    folder, manifest, expected = case
    model, inputs = _build(folder, manifest, expected)
    name = manifest["fixture"]
    errors = []
    if manifest["kind"] == "bn_train":
        scope = manifest["call"]["kwargs"]["scope"]
        mean, var = model.variable(f"{scope}/moving_mean"), model.variable(f"{scope}/moving_variance")
        model.eval()  # is_training=True is explicit in the call and must win over eval()
        for step in (1, 2, 3):
            out = model(inputs)["outputs"]
            if step in (1, 3):
                errors += [
                    _close(f"{name} step{step}/outputs", out, expected[f"step{step}/outputs"]),
                    _close(f"{name} step{step}/moving_mean", mean.to_tf(), expected[f"step{step}/moving_mean"]),
                    _close(f"{name} step{step}/moving_variance", var.to_tf(),
                           expected[f"step{step}/moving_variance"]),
                ]
        _close(f"{name} outputs", expected["step1/outputs"], expected["outputs"])
        print(f"\n{name}: max abs error {max(errors):.3g}")
        return
    model.train()  # layers of these cases are inference-only or take no is_training
    result = model(inputs)
    for out_name, _, _ in manifest["outputs"]:
        if out_name == "inputs":
            continue
        if out_name == "regularization_loss":
            losses = model.regularization_losses()
            assert len(losses) == len(manifest["regularization_losses"]) == 1
            errors.append(_close(f"{name} {out_name}", losses[0], expected[out_name]))
            continue
        errors.append(_close(f"{name} {out_name}", result[out_name], expected[out_name]))
    print(f"\n{name}: max abs error {max(errors):.3g}")
    if not manifest["regularization_losses"]:
        assert model.regularization_losses() == []
