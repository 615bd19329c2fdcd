"""Every example in examples/ runs, as a script, with small arguments.

Each test runs the file with ``runpy`` as ``__main__`` (so the ``if __name__ == '__main__'`` path is
the one exercised) and checks what it prints.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *argv: str, capsys) -> str:
    """Runs examples/<name> as ``__main__`` with ``argv``; returns what it printed."""
    path = EXAMPLES / name
    assert path.is_file(), f"missing example {path}"
    old_argv = sys.argv
    sys.argv = [str(path), *argv]
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = old_argv
    return capsys.readouterr().out


def test_every_example_names_its_seed():
    for path in sorted(EXAMPLES.glob("*.py")):
        if path.name.startswith("tf_layers_"):
            continue  # the tf.layers examples have their own tests
        doc = path.read_text().split('"""')[1]
        assert "seed page" in doc or "seed" in doc.lower(), f"{path.name}: docstring does not name its seed"


def test_resnet_arg_scope(capsys):
    out = run_example("resnet_arg_scope.py", "--image-size", "32", "--batch-size", "2", capsys=capsys)
    assert "convolution2d: ['activation_fn', 'normalizer_fn', 'normalizer_params'" in out
    assert "max_pool2d: ['padding']" in out
    assert "conv1/weights" in out and "[7, 7, 3, 64]  l2" in out
    assert "logits: (2, 10)" in out
    assert "regularization losses: 4," in out
    assert "moving_mean updated under model.eval(): True" in out


def test_plain_residual_network_forward(capsys):
    out = run_example("plain_residual_network.py", "--steps", "0", "--image-size", "32", "--batch-size", "2",
                      capsys=capsys)
    assert "residual_network/block1/conv1/weights" in out
    assert "logits: (2, 10)" in out


def test_plain_residual_network_trains(capsys):
    out = run_example("plain_residual_network.py", "--steps", "3", "--image-size", "16", "--batch-size", "8",
                      capsys=capsys)
    assert "step 2: total loss" in out
    assert "test accuracy after 3 steps:" in out


def test_resnet_v2_timing_small(capsys):
    out = run_example("resnet_v2_152_timing.py", "--depth", "50", "--batch-size", "1", "--image-size", "32",
                      "--num-batches", "2", "--burn-in", "1", capsys=capsys)
    assert "resnet_v2_50: 272 variables" in out
    assert re.search(r": Forward across 2 steps, \d+\.\d{3} \+/- \d+\.\d{3} sec / batch", out), out


@pytest.mark.slow
def test_resnet_v2_152_timing(capsys):
    out = run_example("resnet_v2_152_timing.py", "--batch-size", "1", "--image-size", "64",
                      "--num-batches", "2", "--burn-in", "1", capsys=capsys)
    assert "resnet_v2_152: 816 variables" in out
    assert "Forward across 2 steps" in out


def test_resnet_v2_101_dense(capsys):
    out = run_example("resnet_v2_101_dense.py", "--image-size", "33", capsys=capsys)
    assert "resnet_v2_101/block4     [1, 3, 3, 2048]" in out    # (33 - 1) / 16 + 1
    assert "net (logits) [1, 3, 3, 21]" in out
