"""Writes tests/fixtures/train_ema: a TF-Slim checkpoint with ``tf.train.ExponentialMovingAverage`` shadows.

Run with the reference TensorFlow (never a project dependency)::

    /tmp/tfslim-ref/bin/python tools/make_ema_fixture.py tests/fixtures/train_ema

A conv2d + batch_norm + fully_connected net under scope ``net``; the EMA of ``slim.get_model_variables()``
with ``num_updates=global_step``, as train_image_classifier.py makes it. Three times: the variables are
given new values, the global step set to k, and the EMA's apply op run. ``trajectory.npz`` holds each
variable's initial value and its values at each apply (TF layout), the decay and the steps; the
checkpoint holds the last values and the shadows.
"""

import importlib
import os
import sys

import numpy as np

import tf_keras.src.legacy_tf_layers as _legacy
sys.modules["tf_keras.legacy_tf_layers"] = _legacy
for _m in ("normalization", "core", "convolutional", "pooling", "base"):
    sys.modules["tf_keras.legacy_tf_layers." + _m] = importlib.import_module("tf_keras.src.legacy_tf_layers." + _m)

import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()
import tf_slim as slim  # noqa: E402

DECAY = 0.9
STEPS = (1, 2, 3)


def main(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(0)
    images = tf.placeholder(tf.float32, [1, 4, 4, 2])
    with tf.variable_scope("net"):
        net = slim.conv2d(images, 3, [3, 3], normalizer_fn=slim.batch_norm, scope="conv")
        slim.fully_connected(slim.flatten(net), 5, scope="fc")
    global_step = slim.create_global_step()
    variables = slim.get_model_variables()
    ema = tf.train.ExponentialMovingAverage(DECAY, global_step)
    apply_op = ema.apply(variables)
    saver = tf.train.Saver()
    record = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for var in variables:
            record[f"{var.op.name}@init"] = sess.run(var)
        for step in STEPS:
            for var in variables:
                value = rng.normal(size=var.shape.as_list()).astype(np.float32)
                var.load(value, sess)
                record[f"{var.op.name}@{step}"] = value
            global_step.load(step, sess)
            sess.run(apply_op)
        saver.save(sess, os.path.join(out_dir, "model.ckpt"), write_meta_graph=False)
    np.savez(os.path.join(out_dir, "trajectory.npz"), decay=np.float32(DECAY), steps=np.array(STEPS), **record)
    os.remove(os.path.join(out_dir, "checkpoint"))


if __name__ == "__main__":
    main(sys.argv[1])
