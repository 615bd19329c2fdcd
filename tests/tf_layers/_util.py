"""Helpers for the tf_layers tests: running a function as a model, the fixture folder, restoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import torchslim as slim
from torchslim import checkpoint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tf_layers"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(fn, *inputs, train=False, **kwargs):
    """Calls ``fn(*inputs, **kwargs)`` as a fresh :class:`slim.Model`; returns ``(model, result)``."""
    model = slim.Model(fn, **kwargs)
    model.train(train)
    return model, model(*inputs)


def names(model):
    return list(model.tf_variables())


def fixture(case: str):
    """``(folder, manifest, expected)`` of a golden case; skips when the files are absent."""
    folder = FIXTURES / case
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"golden files {folder} not found")
    manifest = json.loads((folder / "manifest.json").read_text())
    return folder, manifest, np.load(folder / "expected.npz")


def restore(model, prefix) -> None:
    """Copies every variable of ``model`` from the TF checkpoint ``prefix`` by TF name (all must exist)."""
    values = checkpoint.load(str(prefix))
    missing = [name for name in model.tf_variables() if name not in values]
    assert not missing, f"checkpoint lacks {missing}"
    for name, var in model.tf_variables().items():
        var.assign_tf(values[name])
