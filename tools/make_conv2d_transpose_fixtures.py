"""Golden values of TF-Slim's ``conv2d_transpose`` in every padding case, from the real TF-Slim.

Run in the reference environment (TensorFlow + tf-slim, never a project dependency)::

    /tmp/tfslim-ref/bin/python tools/make_conv2d_transpose_fixtures.py tests/fixtures/conv2d_transpose.npz

Cases: input sizes 4x5 and 5x4 (odd/even), kernels 1-5, strides 1-3, SAME and VALID (kernel
smaller, equal and larger than the stride), NHWC (TF's CPU kernel has no NCHW; the tests check
NCHW against the same values transposed). Per case ``<name>/inputs``, ``/weights`` (TF layout
``[kh, kw, out, in]``), ``/biases``, ``/output``.
"""

from __future__ import annotations

import importlib
import itertools
import sys

import numpy as np

SIZES = [(4, 5), (5, 4)]
KERNELS = [1, 2, 3, 4, 5]
STRIDES = [1, 2, 3]
PADDINGS = ["SAME", "VALID"]


def case_name(size, kernel, stride, padding) -> str:
    return f"{size[0]}x{size[1]}_k{kernel}_s{stride}_{padding}"


def main(out: str) -> int:
    import tf_keras.src.legacy_tf_layers as legacy
    sys.modules["tf_keras.legacy_tf_layers"] = legacy
    for name in ("normalization", "core", "convolutional", "pooling", "base"):
        sys.modules["tf_keras.legacy_tf_layers." + name] = importlib.import_module(
            "tf_keras.src.legacy_tf_layers." + name)
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    import tf_slim as slim
    rng = np.random.default_rng(1717)
    arrays = {}
    for size, kernel, stride, padding in itertools.product(SIZES, KERNELS, STRIDES, PADDINGS):
        name = case_name(size, kernel, stride, padding)
        x = rng.uniform(-1, 1, size=(2, *size, 2)).astype(np.float32)
        w = rng.normal(size=(kernel, kernel, 3, 2)).astype(np.float32)
        b = rng.normal(size=(3,)).astype(np.float32)
        with tf.Graph().as_default(), tf.Session() as sess:
            y = slim.conv2d_transpose(tf.constant(x), 3, kernel, stride=stride, padding=padding, activation_fn=None,
                                      weights_initializer=tf.constant_initializer(w),
                                      biases_initializer=tf.constant_initializer(b))
            sess.run(tf.global_variables_initializer())
            arrays.update({f"{name}/inputs": x, f"{name}/weights": w, f"{name}/biases": b,
                           f"{name}/output": sess.run(y)})
    np.savez_compressed(out, **arrays)
    print(f"{out}: {len(arrays) // 4} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
