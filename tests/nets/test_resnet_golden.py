"""ResNets against the golden files made by the real TF-Slim (``shared/fixtures``).

* Small nets (``resnet_v{1,2}_small*``): variable names, shapes and order equal the manifest's; the
  checkpoint's values are assigned by TF name (no mapping table); logits, predictions and every end
  point match TF-Slim within 1e-4.
* ResNet-50 manifests: variable names, shapes, order, trainable set, end-point keys and shapes, and
  parameter counts, in the manifests' configuration.
* Every full-size net (18 to 200 layers, v1 and v2) runs once at its default size, 224x224 (``slow``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import checkpoint
from torchslim.nets import resnet_v1, resnet_v2

from ._resnet import fast_init_scope, resnet_small, trainable_parameter_count

TOLERANCE = 1e-4
SMALL_FIXTURES = ["resnet_v1_small", "resnet_v1_small_os8", "resnet_v2_small", "resnet_v2_small_os16",
                  "resnet_v2_small_v1format"]
MODULES = {"refnets.resnet_v1": resnet_v1, "refnets.resnet_v2": resnet_v2}


def _manifest(path: Path) -> dict:
    return json.loads(path.read_text())


def _net_function(function: dict):
    """The torchslim function for a manifest's ``function`` entry."""
    module, name = function["module"], function["name"]
    if module == "refnets.test_helpers":
        net = name[: -len("_small")]
        return resnet_small(net), MODULES[f"refnets.{net}"]
    return getattr(MODULES[module], name), MODULES[module]


def _build(manifest: dict, inputs: torch.Tensor) -> slim.Model:
    fn, module = _net_function(manifest["function"])
    assert manifest["arg_scope"]["name"] == "resnet_arg_scope"
    with slim.arg_scope(module.resnet_arg_scope(**manifest["arg_scope"]["kwargs"])):
        return slim.Model(fn, **manifest["call"]["kwargs"]).build(inputs)


def _checkpoint_path(folder: Path, manifest: dict) -> str:
    return str(folder / manifest["checkpoint"]["prefix"])


@pytest.fixture(scope="module", params=SMALL_FIXTURES)
def small_case(request, fixtures_dir):
    folder = fixtures_dir / request.param
    if not folder.is_dir():
        pytest.skip(f"fixture {request.param} absent")
    manifest = _manifest(folder / "manifest.json")
    expected = dict(np.load(folder / "expected.npz"))
    model = _build(manifest, torch.from_numpy(expected["inputs"]))
    return request.param, folder, manifest, expected, model


def test_small_variables_match_manifest(small_case):
    _, _, manifest, _, model = small_case
    got = [[name, list(var.tf_shape), "float32"] for name, var in model.tf_variables().items()]
    assert got == manifest["variables"]
    assert all(var.dtype == torch.float32 for var in model.tf_variables().values())
    trainable = [name for name, var in model.tf_variables().items() if var.trainable]
    assert trainable == manifest["trainable_variables"]
    assert len(model.regularization_losses()) == len(manifest["regularization_losses"])


def test_small_outputs_match_tf_slim(small_case):
    name, folder, manifest, expected, model = small_case
    values = checkpoint.load(_checkpoint_path(folder, manifest))
    variables = model.tf_variables()
    assert sorted(values) == sorted(variables)
    for var_name, var in variables.items():
        var.assign_tf(values[var_name])
    model.train(bool(manifest["call"]["kwargs"].get("is_training", False)))
    with torch.no_grad():
        net, end_points = model(torch.from_numpy(expected["inputs"]))
    assert list(end_points) == manifest["end_point_keys"]
    outputs = {"logits": net, "net": net}
    errors = {}
    for key, shape, _ in manifest["outputs"]:
        if key == "inputs":
            continue
        got = end_points[key[len("end_points/"):]] if key.startswith("end_points/") else outputs.get(key)
        if got is None:
            got = end_points[key]
        assert list(got.shape) == shape, key
        errors[key] = float(np.abs(got.numpy() - expected[key]).max())
    worst = max(errors, key=errors.get)
    assert errors[worst] <= TOLERANCE, f"{name}: {worst} differs by {errors[worst]:.3g}"
    assert {k for k in errors if not k.startswith("end_points/")} == {
        k for k in expected if k != "inputs" and not k.startswith("end_points/")}


def test_v1format_checkpoint_holds_the_same_values(fixtures_dir):
    v1 = fixtures_dir / "resnet_v2_small_v1format"
    v2 = fixtures_dir / "resnet_v2_small"
    if not (v1.is_dir() and v2.is_dir()):
        pytest.skip("fixtures absent")
    a, b = checkpoint.load(str(v1 / "model.ckpt")), checkpoint.load(str(v2 / "model.ckpt"))
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


# --------------------------------------------------------------------------------------------------
# Full-size manifests


@pytest.fixture(scope="module", params=["resnet_v1_50", "resnet_v2_50"])
def full_case(request, fixtures_dir):
    path = fixtures_dir / "manifests" / f"{request.param}.json"
    if not path.is_file():
        pytest.skip(f"manifest {request.param} absent")
    manifest = _manifest(path)
    fn, module = _net_function(manifest["function"])
    inputs = torch.zeros(manifest["input_shape"])
    with slim.arg_scope(module.resnet_arg_scope(**manifest["arg_scope"]["kwargs"])), fast_init_scope():
        model = slim.Model(fn, **manifest["call"]["kwargs"])
    with torch.no_grad():
        outputs = model(inputs)
    return manifest, model, outputs


def test_full_variables_match_manifest(full_case):
    manifest, model, _ = full_case
    got = [[name, list(var.tf_shape), "float32"] for name, var in model.tf_variables().items()]
    assert got == manifest["variables"]
    assert len(got) == manifest["num_variables"]
    trainable = [name for name, var in model.tf_variables().items() if var.trainable]
    assert trainable == manifest["trainable_variables"]
    assert len(trainable) == manifest["num_trainable_variables"]
    assert trainable_parameter_count(model) == manifest["num_parameters_trainable"]
    assert sum(v.tensor.numel() for v in model.tf_variables().values()) == manifest["num_parameters_all"]
    assert len(model.regularization_losses()) == manifest["num_regularization_losses"]


def test_full_end_points_match_manifest(full_case):
    manifest, _, (net, end_points) = full_case
    assert [[k, list(v.shape)] for k, v in end_points.items()] == manifest["end_points"]
    for key, shape, _ in manifest["outputs"]:
        got = net if key == "logits" else end_points[key]
        assert list(got.shape) == shape


# --------------------------------------------------------------------------------------------------
# Every full-size net once on CPU


FULL_NETS = [getattr(m, f"{m.__name__.rsplit('.', 1)[-1]}_{d}") for m in (resnet_v1, resnet_v2)
             for d in (18, 34, 50, 101, 152, 200)]
UNITS = {18: 8, 34: 16, 50: 16, 101: 33, 152: 50, 200: 66}


def _he_uniform():
    """He initialisation drawn uniformly: the same variance as resnet_arg_scope's truncated normal,
    which costs most of a full-size build on CPU (this test is about running the net, not its init)."""
    return slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.variance_scaling_initializer(
        uniform=True))


@pytest.mark.slow
@pytest.mark.parametrize("net", FULL_NETS, ids=lambda f: f.__name__)
def test_full_size_net_runs_at_default_size(net):
    """Every full-size ResNet once at its default_image_size (224), batch 1, inference on CPU."""
    module = resnet_v1 if net.__name__.startswith("resnet_v1") else resnet_v2
    with slim.arg_scope(module.resnet_arg_scope()), _he_uniform():
        model = slim.Model(net, 1000, is_training=None)
    model.eval()
    size = net.default_image_size
    with torch.no_grad():
        logits, end_points = model(torch.rand(1, size, size, 3) * 2 - 1)
    depth = int(net.__name__.rsplit("_", 1)[-1])
    basic = depth in (18, 34)
    assert logits.shape == (1, 1000)
    assert torch.isfinite(logits).all()
    torch.testing.assert_close(end_points["predictions"].sum(), torch.tensor(1.0))
    assert list(end_points[f"{net.__name__}/block4"].shape) == [1, 7, 7, 512 if basic else 2048]
    units = [k for k in end_points if k.endswith(("/bottleneck_v1", "/bottleneck_v2", "/basic_v1", "/basic_v2"))]
    assert len(units) == UNITS[depth] == (depth - 2) // (2 if basic else 3)
    convs = [n for n in model.tf_variables() if n.endswith("/weights")]
    # per unit, the shortcuts (3 for basic units: block1 keeps 64 channels), conv1, logits
    assert len(convs) == (2 if basic else 3) * UNITS[depth] + (3 if basic else 4) + 2
