"""Helpers shared by the model-zoo tests: golden cases made by the real TF-Slim, and manifests.

A *golden case* is a folder ``<case>/`` with ``model.ckpt.{index,data-00000-of-00001}`` (every
global variable, TF names and layout), ``expected.npz`` (``inputs``, ``output``,
``end_points/<key>``) and ``manifest.json`` whose ``case`` says how TF-Slim built the net::

    {"name": ..., "module": "inception_v2", "fn": "inception_v2", "kwargs": {...},
     "arg_scope": {"module": "inception_utils", "fn": "inception_arg_scope", "kwargs": {}} | null,
     "input_shape": [2, 128, 128, 3]}

Cases too large to commit as a checkpoint (``manifest["weights"]["source"] == "recipe"``) keep the
calibrated batch-norm statistics in ``values.npz``; the weights (and large inputs) are redrawn
with ``tools/zoo_weights.py`` and checked against the manifest's checksums, then written as a
checkpoint in a temporary folder and restored by TF name like any other. Large end points are
stored as samples (``end_points_sample/<key>`` at flat indices ``sample_index/<key>``).

``module`` is the upstream module path under ``research/slim/nets``, which is torchslim's path
under ``torchslim.nets``. A *manifest* (``zoo/manifests/<net>.json``) describes a net at its default
size: variables (creation order, TF shapes, trainable), end points, output shape, parameter count.

Golden folders live in the shared fixtures (``<fixtures>/zoo/<case>/``) and, for cases the project
makes itself with ``tools/make_zoo_fixtures.py``, in ``tests/fixtures/zoo/<case>/``.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import pytest
import torch

import torchslim as slim
from conftest import REPO_ROOT, find_fixtures_dir
from torchslim import checkpoint

sys.path.append(str(REPO_ROOT / "tools"))
import zoo_weights  # noqa: E402  (the generator's values recipe, plain numpy)
from zoo_cases import resolve_kwargs  # noqa: E402  (kwargs JSON cannot hold: Block lists, partials)

TOLERANCE = 1e-4
"""Per tensor: ``max|ours - TF| / max(max|TF|, 1)`` may not exceed this."""

PROJECT_ZOO = REPO_ROOT / "tests" / "fixtures" / "zoo"


def shared_zoo_dir() -> Optional[Path]:
    """``<fixtures>/zoo`` of the shared golden files, or None when absent."""
    root = find_fixtures_dir()
    return root / "zoo" if root is not None and (root / "zoo").is_dir() else None


def _case_folders(root: Optional[Path]) -> List[Path]:
    if root is None or not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "manifest.json").is_file() and (p / "expected.npz").is_file())


def golden_case_folders() -> List[Path]:
    """Every golden case folder: the shared ones, then the project's own (``tests/fixtures/zoo``)."""
    return _case_folders(shared_zoo_dir()) + _case_folders(PROJECT_ZOO)


def manifest_paths() -> List[Path]:
    """Every ``<fixtures>/zoo/manifests/*.json``, sorted (empty when the fixtures are absent)."""
    root = shared_zoo_dir()
    folder = root / "manifests" if root is not None else None
    return sorted(folder.glob("*.json")) if folder is not None and folder.is_dir() else []


def read_json(path: Path) -> dict:
    return json.loads(Path(path).read_text())


# --------------------------------------------------------------------------------------------------
# Building a net the way a manifest's ``case`` says


def net_module(module: str):
    """``torchslim.nets.<module>``; skips the test (naming the module) when torchslim lacks it."""
    try:
        return importlib.import_module(f"torchslim.nets.{module}")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("torchslim.nets"):
            pytest.skip(f"torchslim.nets.{module} does not exist yet")
        raise


def case_function(case: dict) -> Callable:
    """The torchslim function a case names (``module`` + ``fn``)."""
    module = net_module(case["module"])
    if not hasattr(module, case["fn"]):
        pytest.skip(f"torchslim.nets.{case['module']} has no {case['fn']}")
    return getattr(module, case["fn"])


def case_arg_scope(case: dict) -> dict:
    """The arg-scope dict a case names, or an empty one when the case has no arg scope."""
    spec = case.get("arg_scope")
    if not spec:
        return {}
    module = net_module(spec["module"])
    return getattr(module, spec["fn"])(**spec.get("kwargs", {}))


def build_case(case: dict, inputs: torch.Tensor, zero_weights: bool = False) -> Tuple[slim.Model, object]:
    """A ``slim.Model`` of the case's net in its arg scope, in eval mode, called once on ``inputs``.

    Args:
      case: a manifest's ``case``.
      inputs: the input batch.
      zero_weights: default the weights to zeros (structure-only builds skip the random
        initialisers' cost; a net's own explicit initialisers still apply).

    Returns:
      ``(model, outputs of the first call)``.
    """
    fn = case_function(case)
    zeros = slim.initializers.zeros_initializer()
    with slim.arg_scope(case_arg_scope(case)):
        with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                            **({"weights_initializer": zeros} if zero_weights else {})):
            model = slim.Model(fn, **resolve_kwargs(net_module(case["module"]), case["kwargs"]))
    model.eval()
    with torch.no_grad():
        outputs = model(inputs)
    return model, outputs


# --------------------------------------------------------------------------------------------------
# Golden cases


@dataclass
class GoldenCase:
    """One golden folder, read."""

    folder: Path
    manifest: dict
    expected: Dict[str, np.ndarray]

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def case(self) -> dict:
        return self.manifest["case"]

    @property
    def weights(self) -> dict:
        return self.manifest.get("weights", {"source": "checkpoint"})

    def inputs(self) -> np.ndarray:
        """The case's inputs: stored, or redrawn by the recipe."""
        if "inputs" in self.expected:
            return self.expected["inputs"]
        return zoo_weights.draw_inputs(self.case["name"], self.case["input_shape"])


def load_golden(folder: Path) -> GoldenCase:
    """Reads a golden folder (manifest, expected values); skips when its status is not ``ok``."""
    manifest = read_json(folder / "manifest.json")
    if manifest.get("status", "ok") != "ok":
        pytest.skip(f"golden case {folder.name}: status {manifest.get('status')!r}")
    with np.load(folder / "expected.npz") as data:
        expected = {key: data[key] for key in data.files}
    return GoldenCase(folder, manifest, expected)


def tolerance(golden: "GoldenCase", key: str) -> float:
    """The bound for one expected tensor: :data:`TOLERANCE`, or twice TF's own spread between its
    two CPU backends (``manifest["backend_spread"]``, recorded by the generator) where larger."""
    spread = golden.manifest.get("backend_spread", {}).get("per_tensor", {}).get(key, 0.0)
    return max(TOLERANCE, 2.0 * spread)


def scaled_error(got: np.ndarray, want: np.ndarray) -> float:
    """``max|got - want| / max(max|want|, 1)``."""
    if want.size == 0:
        return 0.0
    return float(np.abs(got.astype(np.float64) - want).max() / max(float(np.abs(want).max()), 1.0))


def recipe_values(golden: GoldenCase) -> Dict[str, np.ndarray]:
    """Every variable of a recipe case: redrawn, with the stored calibrated statistics, checksummed.

    Raises:
      AssertionError: a value's checksum differs from the generator's (the recipe or numpy's
        random streams changed).
    """
    values = zoo_weights.draw_variables(golden.case["name"], [(row[0], row[1]) for row in golden.manifest["variables"]])
    stored = golden.folder / "values.npz"
    if stored.is_file():
        with np.load(stored) as data:
            values.update({key: data[key] for key in data.files})
    for name, want in golden.weights["checksums"].items():
        got = zoo_weights.checksum(values[name])
        assert np.allclose(got, want, rtol=1e-9, atol=1e-9), f"{golden.name}: {name} redrawn differs ({got} != {want})"
    return values


def restore_golden(golden: GoldenCase) -> Tuple[slim.Model, object]:
    """Builds the case's net, restores its checkpoint by TF name, runs it on the case's inputs.

    A recipe case's values are written as a checkpoint in a temporary folder first.

    Returns:
      ``(model, (output, end_points))`` of the call after the restore.
    """
    inputs = torch.from_numpy(golden.inputs())
    model, _ = build_case(golden.case, inputs, zero_weights=True)
    if golden.weights["source"] == "checkpoint":
        report = slim.assign_from_checkpoint(model, str(golden.folder / "model.ckpt"))
    else:
        with tempfile.TemporaryDirectory(prefix=f"zoo-{golden.name}-") as folder:
            prefix = str(Path(folder) / "model.ckpt")
            checkpoint.write_checkpoint(prefix, recipe_values(golden))
            report = slim.assign_from_checkpoint(model, prefix)
    assert not report.unexpected, f"{golden.name}: checkpoint tensors the model lacks: {report.unexpected}"
    with torch.no_grad():
        outputs = model(inputs)
    return model, outputs


def golden_errors(golden: GoldenCase, output: torch.Tensor, end_points: dict) -> Dict[str, float]:
    """Scaled error per expected tensor (``output``, every ``end_points/<key>`` or its samples).

    Raises:
      AssertionError: an expected tensor is missing from ours or has another shape.
    """
    ours = {"output": output}
    ours.update({f"end_points/{key}": value for key, value in end_points.items()})
    shapes = {f"end_points/{key}": shape for key, shape in golden.manifest["end_points"]}
    errors = {}
    for key, want in golden.expected.items():
        if key == "inputs" or key.startswith("sample_index/"):
            continue
        sampled = key.startswith("end_points_sample/")
        name = "end_points/" + key[len("end_points_sample/"):] if sampled else key
        assert name in ours, f"{golden.name}: no {name} in torchslim's outputs"
        got = ours[name].detach().numpy()
        if sampled:
            assert list(got.shape) == shapes[name], f"{golden.name}: {name} has shape {got.shape}, TF-Slim {shapes[name]}"
            got = got.reshape(-1)[golden.expected["sample_index/" + key[len("end_points_sample/"):]]]
        assert got.shape == want.shape, f"{golden.name}: {key} has shape {got.shape}, TF-Slim {want.shape}"
        errors[key] = scaled_error(got, want)
    return errors


# --------------------------------------------------------------------------------------------------
# Manifests


def variable_rows(model: slim.Model) -> List[list]:
    """``[name, TF shape, 'float32', trainable]`` per variable, in creation order (the manifests' rows)."""
    rows = []
    for name, var in model.tf_variables().items():
        dtype = str(var.tensor.dtype).replace("torch.", "")
        rows.append([name, list(var.tf_shape), dtype, bool(var.trainable)])
    return rows


def end_point_rows(end_points: dict) -> List[list]:
    """``[name, shape]`` per end point, in dict order; non-tensor end points keep only their name."""
    return [[key, list(value.shape)] if isinstance(value, torch.Tensor) else [key, None]
            for key, value in end_points.items()]


def trainable_parameter_count(model: slim.Model) -> int:
    return sum(var.tensor.numel() for var in model.tf_variables().values() if var.trainable)


def first_difference(got: list, want: list) -> str:
    """Where two row lists first differ, for assertion messages."""
    for index, (a, b) in enumerate(zip(got, want)):
        if a != b:
            return f"row {index}: torchslim {a} != TF-Slim {b}"
    return f"torchslim has {len(got)} rows, TF-Slim {len(want)}"
