"""tools/check_upstream_compat.py's torchslim side on a tiny TF-style net file: matched, differs, first error.

The reference here is written by torchslim itself (a TF checkpoint by ``save_checkpoint``), so this
checks the tool's machinery (copy, hook import, restore by name, compare, table), not TF parity:
the tool's real runs use the reference environment.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import sys

import numpy as np
import pytest
import torch

import torchslim as slim
import torchslim.compat as compat

TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "check_upstream_compat.py"

TINY = '''import tensorflow.compat.v1 as tf
import tf_slim as slim


def tiny(images, num_classes=3, scope='Tiny'):
  end_points = {}
  with tf.variable_scope(scope, 'Tiny', [images]):
    net = end_points['conv1'] = slim.conv2d(images, 4, [3, 3], scope='conv1')
    net = tf.reduce_mean(net, [1, 2], keep_dims=False)
    logits = end_points['Logits'] = slim.fully_connected(net, num_classes, activation_fn=None, scope='logits')
  return logits, end_points


def broken(images):
  return tf.get_default_graph().get_operations(), {}
'''


@pytest.fixture()
def tool():
    spec = importlib.util.spec_from_file_location("check_upstream_compat_under_test", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    # Another test file may have imported a package named ``nets`` (pytest's rootdir import of tests/nets).
    stashed = {n: sys.modules.pop(n) for n in list(sys.modules) if n == "nets" or n.startswith("nets.")}
    yield module
    del sys.modules[spec.name]
    compat.uninstall()
    for name in [n for n in sys.modules if n == "nets" or n.startswith("nets.")]:
        del sys.modules[name]
    sys.modules.update(stashed)


def _reference(tool, case, work: pathlib.Path, root: pathlib.Path, scale: float = 1.0) -> None:
    """What the reference side writes, made here by torchslim: checkpoint, inputs/outputs, variables, status."""
    _, net_fn = tool.build_net(case, slim)
    model = slim.Model(net_fn).eval()
    x = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, case.input_shape).astype(np.float32))
    with torch.no_grad():
        output, end_points = model(x)
    folder = work / case.name
    folder.mkdir(parents=True)
    model.save_checkpoint(str(folder / "model.ckpt"))
    np.savez(folder / "expected.npz", inputs=x.numpy(), output=output.numpy() * scale,
             **{"end_points/" + k: v.numpy() for k, v in end_points.items()})
    (folder / "variables.json").write_text(json.dumps(list(model.tf_variables())))


def test_tool_reports_matched_differs_and_the_first_error(tool, tmp_path):
    slim_dir = tmp_path / "slim"
    (slim_dir / "nets").mkdir(parents=True)
    (slim_dir / "nets" / "__init__.py").write_text("")
    (slim_dir / "nets" / "tiny.py").write_text(TINY)
    work = tmp_path / "work"
    root = tool.prepare_sources(slim_dir, None, work)
    assert (root / "nets" / "tiny.py").read_text() == TINY  # copied unchanged
    compat.install()
    sys.path.insert(0, str(root))
    try:
        same = tool.Case("tiny_same", "nets.tiny", "tiny", {}, (2, 6, 6, 3))
        off = tool.Case("tiny_off", "nets.tiny", "tiny", {}, (2, 6, 6, 3))
        broken = tool.Case("tiny_broken", "nets.tiny", "broken", {}, (2, 6, 6, 3))
        _reference(tool, same, work, root)
        _reference(tool, off, work, root, scale=1.5)
        (work / "tiny_broken").mkdir()
        np.savez(work / "tiny_broken" / "expected.npz", inputs=np.zeros((2, 6, 6, 3), np.float32))
        status = {name: "ok" for name in ("tiny_same", "tiny_off", "tiny_broken")}
        (work / "reference_status.json").write_text(json.dumps({**status, "tiny_missing": "reference failed: X"}))
        assert tool.torchslim_case(same, work, root).startswith("matched (")
        assert tool.torchslim_case(off, work, root).startswith("differs: ") and "at output" in \
            tool.torchslim_case(off, work, root)
        error = tool.torchslim_case(broken, work, root)
        assert error.startswith("UnsupportedError: tf.get_default_graph is not supported") and \
            error.endswith("(nets/tiny.py:15)")
        assert tool.torchslim_case(tool.Case("tiny_missing", "nets.tiny", "tiny"), work, root) == \
            "no reference (reference failed: X)"
    finally:
        sys.path.remove(str(root))


def test_every_case_names_an_upstream_file_and_a_unique_name(tool):
    assert len(tool.CASES_BY_NAME) == len(tool.CASES)
    for case in tool.CASES:
        assert case.file.endswith(".py") and (case.file.startswith("nets/") or case.file.startswith("facenet/"))
