"""Golden tests: the tf.layers fixtures made by TensorFlow 2.15.1 (``tests/fixtures/tf_layers``).

For each case the network code that TF ran (``manifest.json`` ``source``) runs here with
``tf = torchslim.tf_layers.compat_v1``; the variables must be the manifest's, name for name, shape
for shape, in TF's creation order; TF's checkpoint restores into them by name; every recorded
tensor must match within 1e-4 (the project's bar). The two seed networks run from the examples,
whose function source must be the manifest's source character for character.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys

import numpy as np
import pytest
import torch

import torchslim as slim
import torchslim.tf_layers.compat_v1 as tf
from torchslim import checkpoint
from torchslim.tf_layers import init_ops

from ._util import EXAMPLES, fixture, restore

TOL = 1e-4
SEEDS = {
    "seed_resnet_model": ("tf_layers_resnet_model", "resnet_model"),
    "seed_residual_network": ("tf_layers_residual_network", "residual_network"),
}


def _example(name):
    module_name = f"_torchslim_example_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


def _zoo_function(manifest):
    namespace = {"tf": tf, "init_ops": init_ops}
    exec(manifest["source"]["layers_zoo"], namespace)  # the TF code, verbatim
    return namespace["layers_zoo"]


def _model(case):
    """``(model, inputs, manifest, expected, folder)``: the case's net, built on the fixture's inputs."""
    folder, manifest, expected = fixture(case)
    if case == "layers_zoo":
        fn = _zoo_function(manifest)
    else:
        fn = getattr(_example(SEEDS[case][0]), SEEDS[case][1])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in manifest["call"]["kwargs"].items()}
    inputs = [torch.from_numpy(expected[name]) for name in manifest["call"]["positional"]]
    model = slim.Model(fn, **kwargs).eval()
    model.build(*inputs)
    return model, inputs, manifest, expected, folder


CASES = ["seed_resnet_model", "seed_residual_network", "layers_zoo"]


@pytest.mark.parametrize("case", CASES)
def test_variables_are_tf_names_shapes_and_order(case):
    model, _, manifest, _, _ = _model(case)
    got = [[name, list(var.tf_shape), "float32"] for name, var in model.tf_variables().items()]
    assert got == manifest["variables"]
    assert len(got) == manifest["num_variables"]
    trainable = [name for name, var in model.tf_variables().items() if var.trainable]
    assert trainable == manifest["trainable_variables"]


@pytest.mark.parametrize("case", CASES)
def test_default_initial_values(case):
    model, _, manifest, _, _ = _model(case)
    for entry in manifest["default_initialization"]["per_variable"]:
        value = model.variable(entry["name"]).to_tf().numpy()
        if "glorot_uniform_limit" in entry:
            limit = entry["glorot_uniform_limit"]
            assert np.abs(value).max() <= limit and np.abs(value).max() > 0.5 * limit, entry["name"]
            assert value.std() == pytest.approx(limit / np.sqrt(3), rel=0.5), entry["name"]
        else:
            assert value.min() == entry["min"] and value.max() == entry["max"], entry["name"]


@pytest.mark.parametrize("case", ["seed_resnet_model", "seed_residual_network"])
def test_seed_network_matches_tensorflow(case):
    model, inputs, manifest, expected, folder = _model(case)
    restore(model, folder / "model.ckpt")
    with torch.no_grad():
        outputs, ends = model(*inputs)
    assert set(ends) | {"outputs"} == set(manifest["tensors"])
    assert np.abs(outputs.numpy() - expected["outputs"]).max() <= TOL
    for name, tensor in ends.items():
        assert tensor.shape == expected[name].shape, name
        assert np.abs(tensor.numpy() - expected[name]).max() <= TOL, name


@pytest.mark.parametrize("case", ["seed_resnet_model", "seed_residual_network"])
def test_example_is_the_code_tensorflow_ran(case):
    _, manifest, _ = fixture(case)
    module = _example(SEEDS[case][0])
    for name, source in manifest["source"].items():
        assert inspect.getsource(getattr(module, name)) == source, name


@pytest.mark.parametrize("case", ["seed_resnet_model", "seed_residual_network"])
def test_example_runs(case, capsys, monkeypatch):
    module = _example(SEEDS[case][0])
    monkeypatch.setattr(sys, "argv", [f"{SEEDS[case][0]}.py"])
    module.main()
    out = capsys.readouterr().out
    assert out.strip().endswith("match") and "MISMATCH" not in out


@pytest.fixture(scope="module")
def zoo():
    """The layers zoo after restoring TF's checkpoint and one call (its BN layers train once)."""
    model, inputs, manifest, expected, folder = _model("layers_zoo")
    restore(model, folder / "model.ckpt")
    with torch.no_grad():
        outputs, tensors = model(*inputs)
    return model, outputs, tensors, manifest, expected


def _zoo_keys():
    try:
        _, manifest, _ = fixture("layers_zoo")
    except pytest.skip.Exception:
        return ["<no fixtures>"]
    return sorted(k for k in manifest["tensors"] if k != "outputs")


@pytest.mark.parametrize("key", _zoo_keys())
def test_layers_zoo_op(zoo, key):
    _, _, tensors, manifest, expected = zoo
    name = {"batch_normalization_train": "step1/batch_normalization_1/outputs",
            "batch_normalization_train_rank2": "step1/batch_normalization_2/outputs"}.get(key, key)
    got = tensors[key].numpy()
    assert got.shape == expected[name].shape
    assert np.abs(got - expected[name]).max() <= TOL


def test_layers_zoo_output(zoo):
    _, outputs, _, _, expected = zoo
    assert np.abs(outputs.numpy() - expected["outputs"]).max() <= TOL


@pytest.mark.parametrize("layer, stat", [(layer, stat) for layer in ("batch_normalization_1", "batch_normalization_2")
                                         for stat in ("moving_mean", "moving_variance")])
def test_layers_zoo_batch_norm_training_step_updates(zoo, layer, stat):
    model, _, _, _, expected = zoo
    got = model.variable(f"{layer}/{stat}").to_tf().numpy()
    assert np.abs(got - expected[f"step1/{layer}/{stat}"]).max() <= 1e-6


def test_layers_zoo_inference_batch_norm_is_not_updated(zoo):
    model = zoo[0]
    values = checkpoint.load(str(fixture("layers_zoo")[0] / "model.ckpt"))
    for stat in ("moving_mean", "moving_variance"):
        np.testing.assert_array_equal(model.variable(f"batch_normalization/{stat}").to_tf().numpy(),
                                      values[f"batch_normalization/{stat}"])
