"""Loads the TF-style test programs (tests/compat/programs) two ways and runs them against their golden npz."""

from __future__ import annotations

import importlib.util
import pathlib
import re
import types

import numpy as np
import torch

import torchslim as slim
import torchslim.compat as compat

PROGRAMS = pathlib.Path(__file__).parent / "programs"
FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "compat"
NAMES = sorted(p.stem for p in PROGRAMS.glob("*.py") if not p.name.startswith("_"))

# The only change a user makes to run a file without the hook: its import lines.
IMPORTS = {
    r"^import tensorflow\.compat\.v1 as (\w+)$": r"import torchslim.compat.v1 as \1",
    r"^import tensorflow as (\w+)$": r"import torchslim.compat as \1",
    r"^import tf_slim as (\w+)$": r"import torchslim as \1",
    r"^from tensorflow\.python\.framework import tensor_util$": r"from torchslim.compat import tensor_util",
}


def with_imports_changed(source: str) -> str:
    """``source`` with its TensorFlow import lines pointed at torchslim (and nothing else changed)."""
    for pattern, replacement in IMPORTS.items():
        source = re.sub(pattern, replacement, source, flags=re.M)
    return source


def load_changed(name: str) -> types.ModuleType:
    """The program with only its import lines changed."""
    path = PROGRAMS / f"{name}.py"
    source = with_imports_changed(path.read_text())
    assert "tensorflow" not in re.sub(r"#.*|\"\"\"[\s\S]*?\"\"\"", "", source).replace("torchslim.compat", "")
    module = types.ModuleType(f"compat_program_changed_{name}")
    exec(compile(source, str(path), "exec"), module.__dict__)  # noqa: S102 - the program under test
    return module


def load_hooked(name: str) -> types.ModuleType:
    """The program, unchanged, imported through torchslim.compat.install()."""
    path = PROGRAMS / f"{name}.py"
    compat.install()
    try:
        spec = importlib.util.spec_from_file_location(f"compat_program_hooked_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        compat.uninstall()
    return module


def run(module: types.ModuleType, golden) -> dict:
    """Builds ``module.model`` on the golden inputs, loads the golden variable values, returns its outputs."""
    inputs = {k[len("input/"):]: torch.from_numpy(golden[k]) for k in golden.files if k.startswith("input/")}
    model = slim.Model(module.model).eval()
    model.build(**inputs)
    expected_vars = {k[len("var/"):] for k in golden.files if k.startswith("var/")}
    assert set(model.tf_variables()) == expected_vars
    for name in expected_vars:
        model.variable(name).assign_tf(golden[f"var/{name}"])
    with torch.no_grad():
        outputs = model(**inputs)
    return {k: v.numpy() if torch.is_tensor(v) else np.asarray(v) for k, v in outputs.items()}


def compare(outputs: dict, golden, atol: float = 2e-5) -> None:
    """Every golden output matches in shape, dtype and value (floats within ``atol`` + 1e-5 relative)."""
    expected = {k[len("output/"):]: golden[k] for k in golden.files if k.startswith("output/")}
    assert sorted(outputs) == sorted(expected)
    for key, want in expected.items():
        got = outputs[key]
        assert got.shape == want.shape, f"{key}: shape {got.shape} != TF's {want.shape}"
        assert got.dtype == want.dtype, f"{key}: dtype {got.dtype} != TF's {want.dtype}"
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=atol, err_msg=key)
