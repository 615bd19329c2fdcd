"""TF-Slim-style programs run on torchslim and match the real TensorFlow (golden files).

Each program in tests/compat/programs (one per group of names) runs twice: with only its import
lines changed, and unchanged through the import hook. The golden npz files come from
``tools/make_compat_fixtures.py`` (TensorFlow 2.15.1, graph mode).
"""

from __future__ import annotations

import numpy as np
import pytest

from ._programs import FIXTURES, NAMES, compare, load_changed, load_hooked, run, with_imports_changed


def _golden(name: str):
    path = FIXTURES / f"{name}.npz"
    if not path.is_file():
        pytest.fail(f"golden file {path} is missing: run tools/make_compat_fixtures.py")
    return np.load(path)


def test_every_program_has_a_golden_file():
    assert NAMES == sorted(p.stem for p in FIXTURES.glob("*.npz"))


@pytest.mark.parametrize("name", NAMES)
def test_program_with_imports_changed_matches_tf(name):
    golden = _golden(name)
    compare(run(load_changed(name), golden), golden)


@pytest.mark.parametrize("name", NAMES)
def test_program_through_the_hook_matches_tf(name):
    golden = _golden(name)
    compare(run(load_hooked(name), golden), golden)


def test_only_import_lines_change():
    source = "import tensorflow.compat.v1 as tf\nimport tf_slim as slim\nx = tf.nn.relu  # tensorflow\n"
    assert with_imports_changed(source) == ("import torchslim.compat.v1 as tf\nimport torchslim as slim\n"
                                            "x = tf.nn.relu  # tensorflow\n")
