"""Golden files for the TF stand-in (issue 19): the test programs run by the real TensorFlow.

Runs ONLY in the reference venv (``/work/shared/reference/REFERENCE_ENV.md``; TensorFlow is never a
dependency of torchslim)::

    TF_CPP_MIN_LOG_LEVEL=2 /tmp/tfslim-ref/bin/python tools/make_compat_fixtures.py \\
        [--programs tests/compat/programs] [--out tests/fixtures/compat] [--only NAME ...]

For every program ``<name>.py`` (see ``tests/compat/programs/README.md``) it builds ``model(**inputs)``
in ``tf.compat.v1`` graph mode on ``tf.constant`` inputs, gives every global variable a fresh value
and writes ``<out>/<name>.npz``: ``input/<key>``, ``var/<variable name>`` and ``output/<key>``, plus
``<out>/manifest.json`` (versions, seed, the sha256 of each program's source, variable shapes).

Values: inputs ~ U(-1, 1) from ``numpy.random.default_rng([seed, crc32(name), 0])``; variables, in
``tf.global_variables()`` order from ``default_rng([seed, crc32(name), 1])``: ``gamma`` /
``moving_variance`` ~ U(0.5, 1.5), everything else ~ N(0, 0.3).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import pathlib
import sys
import zlib

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)

HERE = pathlib.Path(__file__).resolve().parent
SEED = 19


def _shim_tf_slim() -> None:
    """tf-slim 1.1.0 imports a path current tf-keras lacks (REFERENCE_ENV.md)."""
    import tf_keras.src.legacy_tf_layers as legacy
    sys.modules["tf_keras.legacy_tf_layers"] = legacy
    for name in ("normalization", "core", "convolutional", "pooling", "base"):
        sys.modules["tf_keras.legacy_tf_layers." + name] = importlib.import_module(
            "tf_keras.src.legacy_tf_layers." + name)
    import tf_slim
    # tf-slim 1.1.0's ``tf_slim.layers`` attribute is its ``layers.layers`` submodule; TF 1's contrib
    # ``slim.layers`` was the package, with the initializers and regularizers (upstream NASNet calls
    # ``slim.layers.l2_regularizer``): point the attribute back at the package.
    tf_slim.layers = sys.modules["tf_slim.layers"]


def _load(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(f"compat_program_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _value(name: str, shape, rng: np.random.Generator) -> np.ndarray:
    if name.endswith(("gamma", "moving_variance")):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return rng.normal(0.0, 0.3, shape).astype(np.float32)


def run_program(path: pathlib.Path) -> dict:
    """Runs one program with TensorFlow; returns the arrays to store (npz keys -> arrays)."""
    module = _load(path)
    key = zlib.crc32(path.stem.encode())
    rng_in = np.random.default_rng([SEED, key, 0])
    inputs = {k: rng_in.uniform(-1.0, 1.0, shape).astype(np.float32) for k, shape in module.INPUTS.items()}
    arrays = {f"input/{k}": v for k, v in inputs.items()}
    with tf.Graph().as_default():
        outputs = module.model(**{k: tf.constant(v) for k, v in inputs.items()})
        variables = tf.global_variables()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            rng_var = np.random.default_rng([SEED, key, 1])
            for var in variables:
                value = _value(var.op.name, var.shape.as_list(), rng_var)
                var.load(value, sess)
                arrays[f"var/{var.op.name}"] = value
            results = sess.run(outputs)
    arrays.update({f"output/{k}": np.asarray(v) for k, v in results.items()})
    return arrays


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", default=str(HERE.parent / "tests" / "compat" / "programs"))
    parser.add_argument("--out", default=str(HERE.parent / "tests" / "fixtures" / "compat"))
    parser.add_argument("--only", nargs="*", help="program names to (re)make")
    args = parser.parse_args(argv)
    _shim_tf_slim()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"programs": {}}
    import tf_slim
    manifest.update({"seed": SEED, "versions": {"tensorflow": tf.__version__, "tf_slim": tf_slim.__version__
                                                 if hasattr(tf_slim, "__version__") else "1.1.0",
                                                 "numpy": np.__version__}})
    for path in sorted(pathlib.Path(args.programs).glob("*.py")):
        if path.name.startswith("_") or (args.only and path.stem not in args.only):
            continue
        arrays = run_program(path)
        np.savez_compressed(out / f"{path.stem}.npz", **arrays)
        manifest["programs"][path.stem] = {
            "source_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "variables": {k[4:]: list(v.shape) for k, v in arrays.items() if k.startswith("var/")},
            "outputs": sorted(k[7:] for k in arrays if k.startswith("output/")),
        }
        print(f"{path.stem}: {len(arrays)} arrays")
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
