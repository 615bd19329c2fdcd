"""Makes the project's zoo golden cases with the real TF-Slim, from upstream's own net files.

Run in the reference environment (TensorFlow + tf-slim, never a project dependency)::

    /tmp/tfslim-ref/bin/python tools/make_zoo_fixtures.py \\
        --slim-dir /tmp/upstream/research/slim --out tests/fixtures/zoo [--only CASE ...]

For each case of ``tools/zoo_cases.py`` it imports ``nets.<module>`` from ``--slim-dir`` (only the
import lines rewritten: ``tf.contrib.slim`` -> ``tf_slim``, ``import tensorflow as tf`` ->
``tensorflow.compat.v1``; the manifest lists the rewrites made), builds the net in graph mode under
its arg scope, gives every variable its value by the recipe of ``tools/zoo_weights.py``, re-draws
each batch-norm layer's moving statistics from its real input (in creation order, one layer at a
time), runs the net and writes ``<out>/<case>/``:

    manifest.json   case, versions, variables [name, TF shape, dtype, trainable] in creation order,
                    end points [name, shape], output, weights (how to get them), param_init
    expected.npz    output; end_points/<key> (or, above the case's ``sample`` size,
                    end_points_sample/<key> at the flat indices sample_index/<key>); inputs when
                    they are small (otherwise the tests redraw them: stream 0 of the recipe)
    model.ckpt.*    the TF V2 checkpoint of every global variable (cases with ``checkpoint``), or
    values.npz      only the calibrated moving statistics (the tests redraw the rest and check
                    the manifest's per-variable checksums)

With ``--spread-from OTHER`` it makes nothing: OTHER holds the same cases made with the other
``TF_ENABLE_ONEDNN_OPTS`` setting, and each case's manifest gets ``backend_spread`` (TF's own
spread per tensor); the tests then allow twice that where it exceeds 1e-4, as the issue's
tolerance rule says::

    TF_ENABLE_ONEDNN_OPTS=0 /tmp/tfslim-ref/bin/python tools/make_zoo_fixtures.py ... --out /tmp/nodnn --only CASE
    /tmp/tfslim-ref/bin/python tools/make_zoo_fixtures.py --slim-dir ... --out tests/fixtures/zoo \\
        --only CASE --spread-from /tmp/nodnn
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.util
import json
import os
import platform
import re
import sys
import time
import types
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zoo_weights  # noqa: E402
from zoo_cases import CASES, CASES_BY_NAME, ZooCase, resolve_kwargs  # noqa: E402

INPUTS_KEPT_UP_TO = 64 * 1024
"""Inputs with at most this many elements are stored in expected.npz; larger ones are redrawn."""

IMPORT_REWRITES = [
    (r"^import tensorflow as tf$", "import tensorflow.compat.v1 as tf"),
    (r"^slim = tf\.contrib\.slim$", "import tf_slim as slim"),
    (r"^from tensorflow\.contrib import slim as contrib_slim$", "import tf_slim as contrib_slim"),
    (r"^import tensorflow\.contrib\.slim as slim$", "import tf_slim as slim"),
    (r"^from tensorflow\.contrib import training as contrib_training$", "from tf_slim import training as contrib_training"),
    (r"^from tensorflow\.contrib import framework as contrib_framework$", "import tf_slim as contrib_framework"),
    (r"^from tensorflow\.contrib import layers as contrib_layers$", "import tf_slim as contrib_layers"),
    (r"^layers = tf\.contrib\.layers$", "import tf_slim as layers"),
]


def _install_tf_slim_shim() -> None:
    """tf-slim 1.1.0 imports a tf_keras path that current tf-keras no longer exposes."""
    import tf_keras.src.legacy_tf_layers as legacy
    sys.modules["tf_keras.legacy_tf_layers"] = legacy
    for name in ("normalization", "core", "convolutional", "pooling", "base"):
        sys.modules["tf_keras.legacy_tf_layers." + name] = importlib.import_module(
            "tf_keras.src.legacy_tf_layers." + name)
    from tensorflow.python.framework import ops, tensor
    if not hasattr(ops, "Tensor"):
        ops.Tensor = tensor.Tensor
    import tf_slim
    if not hasattr(tf_slim.training, "HParams"):  # NASNet's contrib_training.HParams / slim.training.HParams
        tf_slim.training.HParams = _HParams
    # Files converted from tf.contrib.slim call slim.layers.<regularizer / initializer> (the contrib
    # namespace); they set only initial values, which the generator replaces anyway.
    for name, source in (("l2_regularizer", tf_slim.regularizers),
                         ("variance_scaling_initializer", tf_slim.initializers)):
        if not hasattr(tf_slim.layers, name):
            setattr(tf_slim.layers, name, getattr(source, name))


class _HParams:
    """The part of ``tf.contrib.training.HParams`` the nets use: keyword values and ``set_hparam``."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)

    def set_hparam(self, name, value):
        if name not in self.__dict__:
            raise KeyError(name)
        setattr(self, name, value)


class _UpstreamNets(importlib.abc.MetaPathFinder, importlib.abc.SourceLoader):
    """Imports ``nets.*`` from an upstream checkout with only the import lines rewritten."""

    def __init__(self, slim_dir: Path):
        self.slim_dir = slim_dir
        self.rewrites: dict = {}

    def _path(self, fullname: str) -> Path:
        parts = fullname.split(".")
        base = self.slim_dir.joinpath(*parts)
        return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "nets" and not fullname.startswith("nets."):
            return None
        file = self._path(fullname)
        if fullname == "nets" and not file.exists():
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        if not file.exists():
            return None
        return importlib.util.spec_from_file_location(fullname, file, loader=self,
                                                      submodule_search_locations=[str(file.parent)]
                                                      if file.name == "__init__.py" else None)

    def get_filename(self, fullname):
        return str(self._path(fullname))

    def get_data(self, path):
        if not Path(path).exists():
            return b""
        lines = Path(path).read_text().splitlines()
        for index, line in enumerate(lines):
            for pattern, replacement in IMPORT_REWRITES:
                if re.match(pattern, line):
                    self.rewrites.setdefault(Path(path).name, []).append([line, replacement])
                    lines[index] = replacement
        return ("\n".join(lines) + "\n").encode("utf-8")


def _numpy_int_shim() -> bool:
    """Old net files use ``np.int``; numpy >= 1.24 dropped it."""
    if not hasattr(np, "int"):
        np.int = int  # type: ignore[attr-defined]
        return True
    return False


def _contrib_framework_shim() -> bool:
    """Old net files (pix2pix) call ``tf.contrib.framework.arg_scope``: point ``tf.contrib`` at tf_slim."""
    import tensorflow.compat.v1 as tf
    import tf_slim
    if hasattr(tf, "contrib"):
        return False
    tf.contrib = types.SimpleNamespace(framework=tf_slim, layers=tf_slim, slim=tf_slim)
    return True


def _versions() -> dict:
    import tensorflow as tf
    import tf_slim
    versions = {"tensorflow": tf.__version__, "tf_slim": getattr(tf_slim, "__version__", "1.1.0"),
                "numpy": np.__version__, "python": platform.python_version()}
    try:
        import tf_keras
        versions["tf_keras"] = tf_keras.__version__
    except ImportError:
        pass
    return versions


def _bn_inputs(graph) -> dict:
    """Batch-norm scope -> the input tensor of its layer, found by the op reading ``moving_mean``.

    The ops' name scopes may differ from the variables' scopes (a re-entered variable scope gets
    a new name scope), so the layer is found by what it reads, not by its name.
    """
    inputs = {}
    for op in graph.get_operations():
        if op.type.startswith("FusedBatchNorm"):
            source = _variable_read(op.inputs[3].op)
            if source.name.endswith("/moving_mean"):
                inputs[source.name[: -len("/moving_mean")]] = op.inputs[0]
        elif op.type == "Mul" and _variable_read(op.inputs[0].op).name.endswith("/moving_mean"):
            # The non-fused path (``fused=False``, the video nets): ``tf.nn.batch_normalization``
            # multiplies the mean and the input by the same ``inv = rsqrt(variance + eps) [* gamma]``.
            source = _variable_read(op.inputs[0].op)
            scaled = [c for c in op.inputs[1].consumers() if c is not op and c.type == "Mul"]
            if len(scaled) == 1:
                inputs[source.name[: -len("/moving_mean")]] = scaled[0].inputs[0]
    return inputs


def _variable_read(op):
    """The variable op behind a read (``<var>/read`` Identity) or the op itself."""
    return op.inputs[0].op if op.type == "Identity" else op


def _calibrate(sess, graph, tf, feed: dict, case: ZooCase, variables: list) -> dict:
    """Re-draws every batch-norm layer's moving statistics from its real input, in creation order."""
    generator = zoo_weights.rng(case.name, zoo_weights.CALIBRATION_STREAM)
    by_name = {v.op.name: v for v in variables}
    layers = [name[: -len("/moving_mean")] for name in by_name if name.endswith("/moving_mean")]
    if case.kwargs.get("is_training") is True:  # batch statistics: the moving ones are not read
        return {"layers": 0, "rounds": 0, "seconds": 0.0, "skipped": "is_training: batch statistics"}
    bn_inputs = _bn_inputs(graph)
    missing = [scope for scope in layers if scope not in bn_inputs]
    if missing:
        raise RuntimeError(f"{case.name}: no fused batch-norm op reads {missing[0]}/moving_mean; cannot calibrate")
    started = time.time()
    for scope in layers:
        inputs = bn_inputs[scope]
        axes = list(range(len(inputs.shape) - 1))
        mean, variance = sess.run(tf.nn.moments(inputs, axes), feed)
        moving_mean, moving_variance = zoo_weights.calibrated_statistics(
            generator, mean.astype(np.float64), variance.astype(np.float64))
        by_name[scope + "/moving_mean"].load(moving_mean, sess)
        by_name[scope + "/moving_variance"].load(moving_variance, sess)
    return {"layers": len(layers), "rounds": len(layers), "seconds": round(time.time() - started, 2)}


def _store_tensor(arrays: dict, key: str, value: np.ndarray, sample: int) -> None:
    if value.size <= sample:
        arrays[f"end_points/{key}"] = value
        return
    index = zoo_weights.sample_index(value.size, sample)
    arrays[f"end_points_sample/{key}"] = value.reshape(-1)[index]
    arrays[f"sample_index/{key}"] = index


def make_case(case: ZooCase, finder: _UpstreamNets, out: Path) -> dict:
    """Builds, fills, calibrates and runs one case in TF-Slim; writes its folder; returns its manifest."""
    import tensorflow.compat.v1 as tf
    started = time.time()
    module = importlib.import_module(f"nets.{case.module}")
    fn = getattr(module, case.fn)
    kwargs = resolve_kwargs(module, case.kwargs)
    inputs_value = zoo_weights.draw_inputs(case.name, case.input_shape)
    graph = tf.Graph()
    with graph.as_default():
        images = tf.placeholder(tf.float32, case.input_shape, name="inputs")
        if case.arg_scope_fn:
            import tf_slim as slim
            scope_module = importlib.import_module(f"nets.{case.arg_scope_module or case.module}")
            with slim.arg_scope(getattr(scope_module, case.arg_scope_fn)(**case.arg_scope_kwargs)):
                output, end_points = fn(images, **kwargs)
        else:
            output, end_points = fn(images, **kwargs)
        variables = tf.global_variables()
        trainable = {v.op.name for v in tf.trainable_variables()}
        built = time.time()
        folder = out / case.name
        folder.mkdir(parents=True, exist_ok=True)
        rows = [[v.op.name, v.shape.as_list(), v.dtype.base_dtype.name, v.op.name in trainable] for v in variables]
        values = zoo_weights.draw_variables(case.name, [(row[0], row[1]) for row in rows])
        feed = {images: inputs_value}
        with tf.Session(graph=graph) as sess:
            for var in variables:
                var.load(values[var.op.name], sess)
            calibration = _calibrate(sess, graph, tf, feed, case, variables)
            tensors = {k: v for k, v in end_points.items() if isinstance(v, tf.Tensor)}
            got_output, got_end_points = sess.run([output, tensors], feed)
            final = {v.op.name: value for v, value in zip(variables, sess.run(variables))}
            if case.checkpoint:
                tf.train.Saver(variables).save(sess, str(folder / "model.ckpt"), write_meta_graph=False,
                                               write_state=False)
        forward = time.time()
    arrays = {"output": got_output}
    if inputs_value.size <= INPUTS_KEPT_UP_TO:
        arrays["inputs"] = inputs_value
    for key in tensors:
        _store_tensor(arrays, key, got_end_points[key], case.sample)
    np.savez_compressed(folder / "expected.npz", **arrays)
    statistics = {name: value for name, value in final.items() if name.endswith(("/moving_mean", "/moving_variance"))}
    weights = {"recipe": zoo_weights.RECIPE, "source": "checkpoint" if case.checkpoint else "recipe",
               "inputs": "expected.npz" if "inputs" in arrays else "recipe",
               "checksums": {name: zoo_weights.checksum(value) for name, value in final.items()}}
    if not case.checkpoint:
        weights["stored"] = sorted(statistics)
        if statistics:
            np.savez_compressed(folder / "values.npz", **statistics)
    manifest = {
        "case": case.as_dict(), "versions": _versions(), "seed": zoo_weights.SEED,
        "import_rewrites": finder.rewrites, "numpy_int_shim": _NUMPY_INT_SHIM, "contrib_shim": _CONTRIB_SHIM,
        "bn_calibration": calibration, "status": "ok", "variables": rows,
        "output": {"shape": list(got_output.shape), "dtype": str(got_output.dtype)},
        "end_points": [[k, list(got_end_points[k].shape)] for k in tensors],
        "end_points_not_tensors": [k for k in end_points if k not in tensors],
        "weights": weights, "param_init": zoo_weights.PARAM_INIT,
        "timings_s": {"build": round(built - started, 2), "forward": round(forward - built, 2),
                      "total": round(time.time() - started, 2)},
        "output_stats": {"max_abs": float(np.abs(got_output).max()), "finite": bool(np.isfinite(got_output).all())},
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default"),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


_NUMPY_INT_SHIM = False
_CONTRIB_SHIM = False


def _scaled(got: np.ndarray, want: np.ndarray) -> float:
    """``max|got - want| / max(max|want|, 1)``, the tests' measure."""
    if want.size == 0:
        return 0.0
    return float(np.abs(got.astype(np.float64) - want).max() / max(float(np.abs(want).max()), 1.0))


def record_backend_spread(out: Path, other: Path, name: str) -> dict:
    """Writes into ``<out>/<name>/manifest.json`` how far TF's other CPU backend is from this case.

    ``other`` holds the same case made with ``TF_ENABLE_ONEDNN_OPTS=0`` (or the reverse); the
    tests allow a tensor twice this spread where it exceeds their 1e-4.

    Returns:
      The ``backend_spread`` entry: ``other_onednn``, ``per_tensor`` and ``max``.
    """
    manifest_path = out / name / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    other_manifest = json.loads((other / name / "manifest.json").read_text())
    if other_manifest["onednn"] == manifest["onednn"]:
        raise SystemExit(f"{name}: {other} was made with the same oneDNN setting ({manifest['onednn']})")
    with np.load(out / name / "expected.npz") as mine, np.load(other / name / "expected.npz") as theirs:
        per_tensor = {key: _scaled(theirs[key], mine[key]) for key in mine.files
                      if key != "inputs" and not key.startswith("sample_index/")}
    spread = {"other_onednn": other_manifest["onednn"], "per_tensor": per_tensor, "max": max(per_tensor.values())}
    manifest["backend_spread"] = spread
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    return spread


def main(argv=None) -> int:
    global _NUMPY_INT_SHIM, _CONTRIB_SHIM
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slim-dir", required=True, type=Path, help="an upstream research/slim checkout")
    parser.add_argument("--out", required=True, type=Path, help="where the case folders go")
    parser.add_argument("--only", nargs="*", default=None, help="case names (default: all)")
    parser.add_argument("--spread-from", type=Path, default=None,
                        help="instead of making cases: record in each --only case of --out its distance to the "
                             "same case in this folder, made with the other TF_ENABLE_ONEDNN_OPTS setting")
    args = parser.parse_args(argv)
    if args.spread_from is not None:
        for name in args.only or []:
            spread = record_backend_spread(args.out, args.spread_from, name)
            print(f"{name}: oneDNN {spread['other_onednn']} spread, max scaled {spread['max']:.3g}")
        return 0
    if not (args.slim_dir / "nets").is_dir():
        parser.error(f"{args.slim_dir} has no nets/ folder")
    unknown = [name for name in args.only or [] if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {sorted(CASES_BY_NAME)}")
    _install_tf_slim_shim()
    _NUMPY_INT_SHIM = _numpy_int_shim()
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    _CONTRIB_SHIM = _contrib_framework_shim()
    finder = _UpstreamNets(args.slim_dir.resolve())
    sys.meta_path.insert(0, finder)
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        manifest = make_case(case, finder, args.out)
        size = sum(f.stat().st_size for f in (args.out / case.name).iterdir())
        print(f"{case.name}: {len(manifest['variables'])} variables, output {manifest['output']['shape']}, "
              f"max|out| {manifest['output_stats']['max_abs']:.3g}, {size / 1e6:.2f} MB, "
              f"{manifest['timings_s']['total']} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())


# Public names for the other reference-side tools (tools/check_upstream_compat.py).
install_tf_slim_shim = _install_tf_slim_shim
UpstreamNets = _UpstreamNets
