"""Every tf.* name that TF-Slim model code uses resolves in the stand-in (served through the import hook).

The lists are data: ``tests/fixtures/compat/tf_names.txt`` (made by ``tools/extract_tf_names.py``
from upstream's net files, facenet's models, the seed pages and tf-slim's bundled nets) and
``tf_names_issue.txt`` (the names issue 19 lists).
"""

from __future__ import annotations

import importlib
import pathlib
import subprocess
import sys

import pytest

import torchslim.compat as compat

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures" / "compat"
REPO = pathlib.Path(__file__).resolve().parents[2]


def _names(filename: str):
    lines = (FIXTURES / filename).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


NAMES = _names("tf_names.txt") + _names("tf_names_issue.txt")


def _resolve(entry: str):
    module_name, _, attribute = entry.partition(":")
    compat.install()
    try:
        value = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    finally:
        compat.uninstall()
    return value


@pytest.mark.parametrize("entry", NAMES)
def test_name_resolves(entry):
    assert _resolve(entry) is not None or entry.endswith(":newaxis")


def test_lists_are_not_empty():
    assert len(_names("tf_names.txt")) >= 50 and len(_names("tf_names_issue.txt")) >= 50


def test_extractor_follows_import_aliases(tmp_path):
    (tmp_path / "net.py").write_text(
        "import tensorflow.compat.v1 as tf\n"
        "from tensorflow.python.framework import tensor_util\n"
        "import tensorflow.contrib.slim as slim\n"
        "def f(x):\n"
        "  with tf.compat.v1.variable_scope('a'):\n"
        "    y = tf.nn.relu(tf.pad(x, [[0, 0]]))\n"
        "  return slim.conv2d(y, 1, 1), tensor_util.constant_value(y)\n")
    (tmp_path / "page.txt").write_text("x = tf.reduce_mean(y)  # tf.notthis\n中文 tf.prose 不要\n"
                                       "from tensorflow.python.ops import init_ops\n")
    tool = [sys.executable, str(REPO / "tools" / "extract_tf_names.py")]
    py = subprocess.run(tool + [str(tmp_path)], capture_output=True, text=True, check=True).stdout.splitlines()
    txt = subprocess.run(tool + ["--pattern", "*.txt", str(tmp_path)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert [n for n in py if not n.startswith("#")] == [
        "tensorflow.compat.v1:compat.v1.variable_scope", "tensorflow.compat.v1:nn.relu", "tensorflow.compat.v1:pad",
        "tensorflow.python.framework.tensor_util:constant_value", "tensorflow.python.framework:tensor_util"]
    assert [n for n in txt if not n.startswith("#")] == ["tensorflow.python.ops:init_ops", "tensorflow:reduce_mean"]
