"""TF-Slim's side of ``benchmarks/compare.py``: runs under an interpreter that has ``tensorflow`` and ``tf_slim``.

Not part of torchslim and never imported by it: ``compare.py`` starts this file with the reference
interpreter (see ``shared/reference/REFERENCE_ENV.md``, e.g. ``/tmp/tfslim-ref/bin/python``) and
talks to it in JSON lines, so that TF-Slim's runs can be interleaved with PyTorch's.

Graph mode, as the seed: ``tf_slim.nets.resnet_v{1,2}_<depth>`` under ``resnet_arg_scope()``, one
``session.run`` per batch. The input batches live in (non-trainable) variables, so nothing is fed
per step. Towers:

* ``infer<batch>``: ``is_training=False`` logits for each requested batch size;
* ``train``: ``is_training=True`` (batch statistics, ``UPDATE_OPS`` run with the step), loss
  ``0.5 * mean(logits ** 2)``, one plain SGD step.

Protocol (stdin -> stdout, one JSON object per line; TensorFlow's own output goes to stderr)::

    <- {"ready": true, "tensorflow": "2.15.1", "restored": true, "towers": ["infer1", "infer32", "train"]}
    -> {"cmd": "time", "tower": "infer32", "n": 3}
    <- {"durations": [0.81, 0.80, 0.82], "cpu": [1.6, 1.6, 1.6]}     (wall and process CPU seconds)
    -> {"cmd": "quit"}
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time


def _import_tf_slim():
    """``tf_slim`` on a current TensorFlow (the shims of REFERENCE_ENV.md)."""
    import tf_keras.src.legacy_tf_layers as legacy

    sys.modules["tf_keras.legacy_tf_layers"] = legacy
    for name in ("normalization", "core", "convolutional", "pooling", "base"):
        sys.modules["tf_keras.legacy_tf_layers." + name] = importlib.import_module(
            "tf_keras.src.legacy_tf_layers." + name)
    from tensorflow.python.framework import ops, tensor

    if not hasattr(ops, "Tensor"):
        ops.Tensor = tensor.Tensor
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    import tf_slim
    from tf_slim.nets import resnet_v1, resnet_v2

    return tf, tf_slim, {"resnet_v1": resnet_v1, "resnet_v2": resnet_v2}


def _build(tf, slim, nets, args, images):
    """The towers ``{name: op}``, sharing one set of variables."""
    family, _, _depth = args.net.rpartition("_")
    module = nets[family]
    net_fn = getattr(module, args.net)
    towers = {}
    with slim.arg_scope(module.resnet_arg_scope()):
        for i, batch in enumerate(args.batch_sizes):
            towers[f"infer{batch}"] = net_fn(images[batch], args.num_classes, is_training=False,
                                             reuse=True if i else None)[0]
        if args.train:
            logits, _ = net_fn(images[args.batch_size], args.num_classes, is_training=True, reuse=True)
            loss = 0.5 * tf.reduce_mean(tf.square(logits))
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                towers["train"] = tf.train.GradientDescentOptimizer(args.lr).minimize(loss)
    return towers


def _input_variables(tf, np, args):
    """Non-trainable variables holding the input batches (the same data as PyTorch's)."""
    largest = max(args.batch_sizes + ([args.batch_size] if args.train else []))
    data = np.load(args.input) if args.input else np.random.rand(
        largest, args.image_size, args.image_size, 3).astype(np.float32)
    feeds, images = {}, {}
    sources = {b: data[:b] for b in set(args.batch_sizes + ([args.batch_size] if args.train else []))}
    for key, value in sources.items():
        holder = tf.placeholder(tf.float32, value.shape)
        images[key] = tf.Variable(holder, trainable=False, collections=[], name=f"images_{key}")
        feeds[images[key].initializer] = (holder, value)
    return images, feeds


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--net", default="resnet_v2_50")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[32])
    p.add_argument("--batch-size", type=int, default=32, help="the training tower's batch")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--input", help=".npy with the input batch (NHWC float32), at least the largest batch")
    p.add_argument("--check-output", help=".npy to write the logits of the first inference tower to")
    p.add_argument("--checkpoint", help="TF checkpoint prefix with the weights (default: TF's initializers)")
    p.add_argument("--train", action="store_true", help="build the training tower")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=0, help="intra- and inter-op threads (0: TensorFlow's default)")
    args = p.parse_args(argv)

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())     # TF's prints go to stderr
    import numpy as np

    tf, slim, nets = _import_tf_slim()
    images, feeds = _input_variables(tf, np, args)
    towers = _build(tf, slim, nets, args, images)
    sess = tf.Session(config=tf.ConfigProto(intra_op_parallelism_threads=args.threads,
                                            inter_op_parallelism_threads=args.threads))
    sess.run(tf.global_variables_initializer())
    for init, (holder, value) in feeds.items():
        sess.run(init, {holder: value})
    restored = None
    if args.checkpoint:
        try:
            model_vars = [v for v in tf.global_variables() if v.name.startswith(args.net + "/")]
            tf.train.Saver(model_vars).restore(sess, args.checkpoint)
            restored = True
        except Exception as err:  # report and go on with TF's initializers (timing is unaffected)
            restored = f"{type(err).__name__}: {str(err).splitlines()[0]}"
    if args.check_output:  # before any training step changes the weights
        logits = sess.run(towers[f"infer{args.batch_sizes[0]}"])
        np.save(args.check_output, logits.reshape(logits.shape[0], -1))
    protocol.write(json.dumps({"ready": True, "tensorflow": tf.__version__, "restored": restored,
                               "towers": sorted(towers)}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("cmd") == "quit":
            break
        op = towers[request["tower"]]
        durations, cpu = [], []
        for _ in range(int(request["n"])):
            start, start_cpu = time.perf_counter(), time.process_time()
            sess.run(op)
            durations.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        protocol.write(json.dumps({"durations": durations, "cpu": cpu}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
