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
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import zoo_weights  # noqa: E402
from zoo_cases import CASES, CASES_BY_NAME, ZooCase  # noqa: E402

INPUTS_KEPT_UP_TO = 64 * 1024
"""Inputs with at most this many elements are stored in expected.npz; larger ones are redrawn."""

IMPORT_REWRITES = [
    (r"^import tensorflow as tf$", "import tensorflow.compat.v1 as tf"),
    (r"^slim = tf\.contrib\.slim$", "import tf_slim as slim"),
    (r"^from tensorflow\.contrib import slim as contrib_slim$", "import tf_slim as contrib_slim"),
    (r"^import tensorflow\.contrib\.slim as slim$", "import tf_slim as slim"),
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
            mean = op.inputs[3].op
            source = mean.inputs[0].op if mean.type == "Identity" else mean
            if source.name.endswith("/moving_mean"):
                inputs[source.name[: -len("/moving_mean")]] = op.inputs[0]
    return inputs


def _calibrate(sess, graph, tf, feed: dict, case: ZooCase, variables: list) -> dict:
    """Re-draws every batch-norm layer's moving statistics from its real input, in creation order."""
    generator = zoo_weights.rng(case.name, zoo_weights.CALIBRATION_STREAM)
    by_name = {v.op.name: v for v in variables}
    layers = [name[: -len("/moving_mean")] for name in by_name if name.endswith("/moving_mean")]
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
    inputs_value = zoo_weights.draw_inputs(case.name, case.input_shape)
    graph = tf.Graph()
    with graph.as_default():
        images = tf.placeholder(tf.float32, case.input_shape, name="inputs")
        if case.arg_scope_fn:
            import tf_slim as slim
            scope_module = importlib.import_module(f"nets.{case.arg_scope_module or case.module}")
            with slim.arg_scope(getattr(scope_module, case.arg_scope_fn)(**case.arg_scope_kwargs)):
                output, end_points = fn(images, **case.kwargs)
        else:
            output, end_points = fn(images, **case.kwargs)
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
        "import_rewrites": finder.rewrites, "numpy_int_shim": _NUMPY_INT_SHIM,
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


def main(argv=None) -> int:
    global _NUMPY_INT_SHIM
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slim-dir", required=True, type=Path, help="an upstream research/slim checkout")
    parser.add_argument("--out", required=True, type=Path, help="where the case folders go")
    parser.add_argument("--only", nargs="*", default=None, help="case names (default: all)")
    args = parser.parse_args(argv)
    if not (args.slim_dir / "nets").is_dir():
        parser.error(f"{args.slim_dir} has no nets/ folder")
    unknown = [name for name in args.only or [] if name not in CASES_BY_NAME]
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {sorted(CASES_BY_NAME)}")
    _install_tf_slim_shim()
    _NUMPY_INT_SHIM = _numpy_int_shim()
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
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
