"""Runs upstream TF-Slim net files unchanged through ``torchslim.compat`` and compares with the real TF-Slim.

The check issue 19 asks for, automated. For each case of :data:`CASES`:

1. the reference side (run by the reference environment's Python, TensorFlow + tf-slim, never a
   project dependency) imports the upstream file with only its import lines rewritten for TF 2.15
   (as ``tools/make_zoo_fixtures.py`` does, plus a ``tf.contrib`` alias for old files), builds the
   net small under its own arg scope, gives the batch-norm statistics random values, and writes a
   TF checkpoint, the inputs and every output / end point to ``<work>/<case>/``;
2. this side installs :func:`torchslim.compat.install` (the import hook), imports the *same*
   unchanged file, builds the net under the same arg scope, restores the TF checkpoint by name
   (``assign_from_checkpoint``, strict: every variable must be there and match) and compares
   output and end points: max|torchslim - TF| / max(max|TF|, 1) <= 1e-4.

Usage (project venv; the reference side is started for you under ``nice -n 10``)::

    PYTHONPATH=src python tools/check_upstream_compat.py --slim-dir /tmp/upstream/research/slim \\
        [--facenet-dir /tmp/upstream/facenet] [--work /tmp/upstream_compat] [--only CASE ...] [--table out.md]

Prints a table: file, net (case), result (``matched`` with the worst scaled error, or the first
error: what differs, or the exception and the upstream line that raised it). Nothing upstream is
copied into the project: upstream files and the reference outputs stay in ``--work``.

Two shims, on both sides, for the environment rather than for TF: ``np.int`` (removed in numpy
1.24; old net files still call it) is put back as ``int``, and ``six.moves.xrange`` is served where
``six`` is not installed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

REFERENCE_PYTHON = "/tmp/tfslim-ref/bin/python"
TOLERANCE = 1e-4
FACENET_MODULE = "nets.facenet_inception_resnet_v1"


@dataclass(frozen=True)
class Case:
    """One net built from an upstream file.

    Attributes:
      name: the case's name (its folder under --work).
      module: the upstream module (``nets.<...>``; facenet's file is served as ``nets.facenet_inception_resnet_v1``).
      fn: the net function in ``module`` (dotted for an attribute of an attribute).
      kwargs: keyword arguments; a callable gets the imported module and returns them.
      input_shape: the input's shape (NHWC / NDHWC; a 2-D shape for noise inputs).
      arg_scope: (module, function, kwargs) of the arg scope to build under, or None.
      positional: extra positional arguments after the input.
    """

    name: str
    module: str
    fn: str
    kwargs: object = field(default_factory=dict)
    input_shape: Tuple[int, ...] = (1, 224, 224, 3)
    arg_scope: Optional[Tuple[str, str, dict]] = None
    positional: Tuple = ()

    @property
    def file(self) -> str:
        """The upstream file the net function lives in."""
        if self.module == FACENET_MODULE:
            return "facenet/inception_resnet_v1.py"
        return self.module.replace(".", "/") + ".py"


def _pix2pix_blocks(module) -> dict:
    # No decoder dropout (pix2pix keeps dropout on at test time, which no two frameworks draw alike).
    return {"blocks": [module.Block(8, 0), module.Block(16, 0), module.Block(16, 0)], "num_outputs": 3}


_CLS = {"num_classes": 10, "is_training": False}
_INCEPTION = ("nets.inception_utils", "inception_arg_scope", {})

CASES: List[Case] = [
    Case("lenet", "nets.lenet", "lenet", _CLS, (2, 28, 28, 1), ("nets.lenet", "lenet_arg_scope", {})),
    Case("cifarnet", "nets.cifarnet", "cifarnet", _CLS, (2, 32, 32, 3), ("nets.cifarnet", "cifarnet_arg_scope", {})),
    Case("alexnet_v2", "nets.alexnet", "alexnet_v2", _CLS, (1, 224, 224, 3), ("nets.alexnet", "alexnet_v2_arg_scope", {})),
    Case("overfeat", "nets.overfeat", "overfeat", _CLS, (1, 231, 231, 3), ("nets.overfeat", "overfeat_arg_scope", {})),
    Case("vgg_a_fcn", "nets.vgg", "vgg_a", {**_CLS, "spatial_squeeze": False, "fc_conv_padding": "SAME"},
         (1, 64, 96, 3), ("nets.vgg", "vgg_arg_scope", {})),
    Case("vgg_16", "nets.vgg", "vgg_16", _CLS, (1, 224, 224, 3), ("nets.vgg", "vgg_arg_scope", {})),
    Case("vgg_19", "nets.vgg", "vgg_19", _CLS, (1, 224, 224, 3), ("nets.vgg", "vgg_arg_scope", {})),
    Case("inception_v1", "nets.inception_v1", "inception_v1", _CLS, (1, 224, 224, 3), _INCEPTION),
    Case("inception_v2", "nets.inception_v2", "inception_v2", {**_CLS, "depth_multiplier": 0.5}, (1, 128, 128, 3),
         _INCEPTION),
    Case("inception_v3", "nets.inception_v3", "inception_v3", _CLS, (1, 299, 299, 3),
         ("nets.inception_v3", "inception_v3_arg_scope", {})),
    Case("inception_v4", "nets.inception_v4", "inception_v4", _CLS, (1, 299, 299, 3),
         ("nets.inception_v4", "inception_v4_arg_scope", {})),
    Case("inception_resnet_v2", "nets.inception_resnet_v2", "inception_resnet_v2", _CLS, (1, 299, 299, 3),
         ("nets.inception_resnet_v2", "inception_resnet_v2_arg_scope", {})),
    Case("resnet_v1_50", "nets.resnet_v1", "resnet_v1_50", _CLS, (1, 97, 97, 3),
         ("nets.resnet_utils", "resnet_arg_scope", {})),
    Case("resnet_v2_50", "nets.resnet_v2", "resnet_v2_50", _CLS, (1, 224, 224, 3),
         ("nets.resnet_v2", "resnet_arg_scope", {})),
    Case("resnet_v2_50_os16", "nets.resnet_v2", "resnet_v2_50",
         {**_CLS, "global_pool": False, "output_stride": 16, "spatial_squeeze": False}, (1, 97, 97, 3),
         ("nets.resnet_v2", "resnet_arg_scope", {})),
    Case("mobilenet_v1_025", "nets.mobilenet_v1", "mobilenet_v1_025", _CLS, (1, 96, 96, 3),
         ("nets.mobilenet_v1", "mobilenet_v1_arg_scope", {"is_training": False})),
    Case("mobilenet_v1_global_pool", "nets.mobilenet_v1", "mobilenet_v1",
         {**_CLS, "depth_multiplier": 0.5, "global_pool": True}, (1, 80, 80, 3),
         ("nets.mobilenet_v1", "mobilenet_v1_arg_scope", {"is_training": False})),
    Case("mobilenet_v2_035", "nets.mobilenet.mobilenet_v2", "mobilenet_v2_035", {"num_classes": 10}, (1, 96, 96, 3),
         ("nets.mobilenet.mobilenet_v2", "training_scope", {"is_training": False})),
    Case("mobilenet_v3_small", "nets.mobilenet.mobilenet_v3", "small", {"num_classes": 10}, (1, 96, 96, 3),
         ("nets.mobilenet.mobilenet_v3", "training_scope", {"is_training": False})),
    Case("mobilenet_v3_large_minimalistic", "nets.mobilenet.mobilenet_v3", "large_minimalistic",
         {"num_classes": 10, "depth_multiplier": 0.5}, (1, 96, 96, 3),
         ("nets.mobilenet.mobilenet_v3", "training_scope", {"is_training": False})),
    Case("mobilenet_edgetpu_075", "nets.mobilenet.mobilenet_v3", "edge_tpu_075", {"num_classes": 10}, (1, 96, 96, 3),
         ("nets.mobilenet.mobilenet_v3", "training_scope", {"is_training": False})),
    Case("nasnet_cifar", "nets.nasnet.nasnet", "build_nasnet_cifar", _CLS, (1, 32, 32, 3),
         ("nets.nasnet.nasnet", "nasnet_cifar_arg_scope", {})),
    Case("nasnet_mobile", "nets.nasnet.nasnet", "build_nasnet_mobile", _CLS, (1, 96, 96, 3),
         ("nets.nasnet.nasnet", "nasnet_mobile_arg_scope", {})),
    Case("pnasnet_mobile", "nets.nasnet.pnasnet", "build_pnasnet_mobile", _CLS, (1, 96, 96, 3),
         ("nets.nasnet.pnasnet", "pnasnet_mobile_arg_scope", {})),
    Case("pix2pix_generator", "nets.pix2pix", "pix2pix_generator", _pix2pix_blocks, (1, 32, 32, 3),
         ("nets.pix2pix", "pix2pix_arg_scope", {})),
    Case("pix2pix_discriminator", "nets.pix2pix", "pix2pix_discriminator", {"num_filters": [8, 16, 32]},
         (1, 32, 32, 3), ("nets.pix2pix", "pix2pix_arg_scope", {})),
    Case("cyclegan_generator", "nets.cyclegan", "cyclegan_generator_resnet",
         {"num_filters": 8, "num_resnet_blocks": 2}, (1, 32, 32, 3)),
    Case("dcgan_generator", "nets.dcgan", "generator", {"final_size": 32, "is_training": False}, (2, 64)),
    Case("dcgan_discriminator", "nets.dcgan", "discriminator", {"is_training": False}, (2, 32, 32, 3)),
    Case("i3d", "nets.i3d", "i3d", _CLS, (1, 16, 64, 64, 3), ("nets.i3d", "i3d_arg_scope", {})),
    Case("s3dg", "nets.s3dg", "s3dg", _CLS, (1, 16, 64, 64, 3), ("nets.s3dg", "s3dg_arg_scope", {})),
    Case("facenet_inception_resnet_v1", FACENET_MODULE, "inference",
         {"keep_probability": 1.0, "phase_train": False, "bottleneck_layer_size": 128}, (1, 160, 160, 3)),
]
CASES_BY_NAME: Dict[str, Case] = {case.name: case for case in CASES}


# -- shared by both sides ---------------------------------------------------------------------------------------------
def _environment_shims() -> None:
    """``np.int`` (numpy >= 1.24 dropped it) and ``six.moves.xrange`` where six is absent."""
    if not hasattr(np, "int"):
        np.int = int  # type: ignore[attr-defined]
    try:
        importlib.import_module("six.moves")
    except ImportError:
        six = types.ModuleType("six")
        six.moves = types.ModuleType("six.moves")
        six.moves.xrange = range
        sys.modules["six"], sys.modules["six.moves"] = six, six.moves


def prepare_sources(slim_dir: Path, facenet_dir: Optional[Path], work: Path) -> Path:
    """Copies the upstream ``nets`` tree (and facenet's file) unchanged to ``<work>/src``; returns that root."""
    root = work / "src"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(slim_dir / "nets", root / "nets", ignore=shutil.ignore_patterns("*_test.py", "__pycache__"))
    facenet = facenet_dir / "inception_resnet_v1.py" if facenet_dir else None
    if facenet is not None and facenet.exists():
        shutil.copy(facenet, root / (FACENET_MODULE.replace(".", "/") + ".py"))
    return root


def _resolve(module, dotted: str):
    value = module
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def build_net(case: Case, slim) -> Tuple[object, Callable]:
    """The imported upstream module and ``f(inputs) -> (net, end_points)`` under the case's arg scope."""
    module = importlib.import_module(case.module)
    fn = _resolve(module, case.fn)
    kwargs = case.kwargs(module) if callable(case.kwargs) else dict(case.kwargs)
    scope = None
    if case.arg_scope is not None:
        scope_module, scope_fn, scope_kwargs = case.arg_scope
        scope = getattr(importlib.import_module(scope_module), scope_fn)(**scope_kwargs)

    def net_fn(inputs):
        if scope is None:
            return fn(inputs, *case.positional, **kwargs)
        with slim.arg_scope(scope):
            return fn(inputs, *case.positional, **kwargs)
    return module, net_fn


def _inputs(case: Case) -> np.ndarray:
    rng = np.random.default_rng(sum(map(ord, case.name)))
    return rng.uniform(-1, 1, case.input_shape).astype(np.float32)


# -- reference side (TensorFlow) --------------------------------------------------------------------------------------
class _ReferenceHParams:
    """``tf.contrib.training.HParams`` as far as NASNet uses it (attributes, ``set_hparam``), for tf-slim 1.1.0."""

    def __init__(self, **values):
        self.__dict__.update(values)

    def set_hparam(self, name, value):
        setattr(self, name, value)


def _tf_slim_aliases(tf, tf_slim) -> None:
    """Reference-side aliases, so that files of every upstream age import under TF 2.15 + tf-slim 1.1.0.

    Old files reach Slim through ``tf.contrib.{slim,layers,framework}`` (TF 2 has no contrib): tf_slim.
    NASNet calls ``slim.layers.l2_regularizer``; in tf-slim 1.1.0 ``tf_slim.layers`` is shadowed by its
    ``layers.layers`` submodule, which lacks it: point it back at the ``tf_slim.layers`` package. NASNet
    also calls ``slim.training.HParams``, which tf-slim 1.1.0 does not have.
    """
    tf_slim.layers = sys.modules["tf_slim.layers"]
    if not hasattr(tf_slim.training, "HParams"):  # NASNet's slim.training.HParams was tf.contrib.training's
        tf_slim.training.HParams = _ReferenceHParams
    contrib = types.ModuleType("tensorflow.contrib")
    contrib.slim = contrib.layers = contrib.framework = tf_slim
    for name in ("", ".slim", ".layers", ".framework"):
        sys.modules["tensorflow.contrib" + name] = contrib if not name else tf_slim
    tf.contrib = contrib


def _random_statistics(tf, sess, rng) -> None:
    """Batch-norm statistics and affine terms away from their 0/1 initial values, so the check sees them."""
    for variable in tf.global_variables():
        name, shape = variable.op.name, variable.shape.as_list()
        if name.endswith(("moving_mean", "beta", "biases")):
            variable.load(rng.normal(0, 0.1, shape).astype(np.float32), sess)
        elif name.endswith(("moving_variance", "gamma")):
            variable.load(rng.uniform(0.5, 1.5, shape).astype(np.float32), sess)


def reference_case(case: Case, out: Path) -> str:
    """Builds ``case`` in TF-Slim and writes ``model.ckpt.*`` and ``expected.npz`` to ``out``."""
    import tensorflow.compat.v1 as tf
    import tf_slim
    out.mkdir(parents=True, exist_ok=True)
    x = _inputs(case)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        _, net_fn = build_net(case, tf_slim)
        net, end_points = net_fn(tf.constant(x))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            _random_statistics(tf, sess, np.random.default_rng(7))
            tf.train.Saver(tf.global_variables()).save(sess, str(out / "model.ckpt"), write_meta_graph=False)
            tensors = {"end_points/" + k: v for k, v in end_points.items() if isinstance(v, tf.Tensor)}
            results = sess.run({"output": net, **tensors})
        variables = [v.op.name for v in tf.global_variables()]
    np.savez(out / "expected.npz", inputs=x, **results)
    (out / "variables.json").write_text(json.dumps(variables))
    return f"{len(results)} tensors, {len(variables)} variables"


def reference_main(names: Sequence[str], work: Path) -> int:
    """The reference side: every case in ``names`` (import errors are reported per case, not raised)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    from make_zoo_fixtures import IMPORT_REWRITES, install_tf_slim_shim, UpstreamNets
    install_tf_slim_shim()
    import tensorflow.compat.v1 as tf
    import tf_slim
    tf.disable_v2_behavior()
    _tf_slim_aliases(tf, tf_slim)
    _environment_shims()
    sys.meta_path.insert(0, UpstreamNets(work / "src"))
    assert IMPORT_REWRITES  # the rewrites UpstreamNets applies (import lines only)
    status_file = work / "reference_status.json"
    status = json.loads(status_file.read_text()) if status_file.exists() else {}
    for name in names:
        try:
            status[name] = "ok: " + reference_case(CASES_BY_NAME[name], work / name)
        except Exception as error:  # noqa: BLE001 - one case's failure is reported, the rest still run
            status[name] = f"reference failed: {type(error).__name__}: {str(error)[:300]}"
        print(name, status[name], flush=True)
    status_file.write_text(json.dumps(status, indent=1))
    return 0


# -- torchslim side ---------------------------------------------------------------------------------------------------
def _upstream_line(error: BaseException, root: Path) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if frame.filename.startswith(str(root)):
            return f"{Path(frame.filename).relative_to(root)}:{frame.lineno}"
    return "?"


def compare(got_output, got_end_points: dict, expected) -> Tuple[float, Optional[str], List[str]]:
    """(worst scaled error, its key, problems: missing / extra / misshapen end points)."""
    worst, worst_key, problems = 0.0, None, []
    for key in expected.files:
        if key == "inputs":
            continue
        got = got_output if key == "output" else got_end_points.get(key[len("end_points/"):])
        if got is None:
            problems.append(f"missing {key}")
            continue
        got, want = np.asarray(got.detach().numpy()), expected[key]
        if got.shape != want.shape:
            problems.append(f"{key}: shape {got.shape}, TF {want.shape}")
            continue
        error = float(np.max(np.abs(got - want), initial=0.0)) / max(float(np.max(np.abs(want), initial=0.0)), 1.0)
        if error > worst:
            worst, worst_key = error, key
    known = {key[len("end_points/"):] for key in expected.files}
    problems += [f"extra end point {key}" for key in got_end_points if key not in known]
    return worst, worst_key, problems


def torchslim_case(case: Case, work: Path, root: Path) -> str:
    """Builds ``case`` through the hook, restores TF's checkpoint, compares; returns the table's result cell."""
    import torch
    import torchslim as slim
    folder = work / case.name
    status = json.loads((work / "reference_status.json").read_text()).get(case.name, "not run")
    if not status.startswith("ok"):
        return f"no reference ({status})"
    expected = np.load(folder / "expected.npz")
    try:
        _, net_fn = build_net(case, slim)
        model = slim.Model(net_fn).eval()
        x = torch.from_numpy(expected["inputs"])
        model.build(x)
        slim.assign_from_checkpoint(model, str(folder / "model.ckpt"))
        with torch.no_grad():
            output, end_points = model(x)
    except Exception as error:  # noqa: BLE001 - the first error is the result
        message = " ".join(str(error).split())[:240]
        return f"{type(error).__name__}: {message} ({_upstream_line(error, root)})"
    worst, worst_key, problems = compare(output, end_points, expected)
    tf_variables = set(json.loads((folder / "variables.json").read_text()))
    unrestored = sorted(tf_variables - set(model.tf_variables()))
    problems += [f"TF variable {name} not built" for name in unrestored[:3]]
    if problems or worst > TOLERANCE:
        return f"differs: {'; '.join(problems[:3]) or f'{worst:.2e} at {worst_key}'}"
    return f"matched ({worst:.1e})"


def _run_reference(names: Sequence[str], work: Path, python: str) -> None:
    command = ["nice", "-n", "10", python, str(Path(__file__).resolve()), "--reference-side", "--work", str(work),
               "--only", *names]
    environment = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    subprocess.run(command, check=True, env=environment)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slim-dir", type=Path, default=Path("/tmp/upstream/research/slim"),
                        help="an upstream research/slim folder (its nets/ is used)")
    parser.add_argument("--facenet-dir", type=Path, default=Path("/tmp/upstream/facenet"),
                        help="a folder with facenet's inception_resnet_v1.py")
    parser.add_argument("--work", type=Path, default=Path("/tmp/upstream_compat"), help="temporary folder")
    parser.add_argument("--only", nargs="*", default=None, help="case names (default: all)")
    parser.add_argument("--reference-python", default=REFERENCE_PYTHON)
    parser.add_argument("--reuse-reference", action="store_true", help="keep the reference outputs in --work")
    parser.add_argument("--table", type=Path, help="also write the table here (markdown)")
    parser.add_argument("--reference-side", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    names = args.only or [case.name for case in CASES]
    unknown = [name for name in names if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {unknown}; choose from {sorted(CASES_BY_NAME)}")
    if args.reference_side:
        return reference_main(names, args.work)
    args.work.mkdir(parents=True, exist_ok=True)
    root = prepare_sources(args.slim_dir, args.facenet_dir, args.work)
    if not args.reuse_reference:
        _run_reference(names, args.work, args.reference_python)
    return torchslim_main(names, args.work, root, args.table)


def torchslim_main(names: Sequence[str], work: Path, root: Path, table: Optional[Path]) -> int:
    """This side: the hook, each case, the table."""
    import torchslim.compat
    _environment_shims()
    torchslim.compat.install()
    sys.path.insert(0, str(root))
    rows = ["| file | net | result |", "|---|---|---|"]
    matched = 0
    for name in names:
        case = CASES_BY_NAME[name]
        result = torchslim_case(case, work, root)
        matched += result.startswith("matched")
        rows.append(f"| {case.file} | {case.name} | {result.replace('|', '/')} |")
        print(rows[-1], file=sys.stderr, flush=True)
    rows.append(f"\n{matched} of {len(names)} matched")
    text = "\n".join(rows)
    print(text)
    if table is not None:
        table.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
