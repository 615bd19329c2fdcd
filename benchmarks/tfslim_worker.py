"""TF-Slim's side of ``benchmarks/compare.py``: runs under an interpreter that has ``tensorflow`` and ``tf_slim``.

Not part of torchslim and never imported by it: ``compare.py`` starts this file with the reference
interpreter (see ``shared/reference/REFERENCE_ENV.md``, e.g. ``/tmp/tfslim-ref/bin/python``) and
talks to it in JSON lines, so that TF-Slim's runs can be interleaved with PyTorch's.

Graph mode, as the seed: ``tf_slim.nets.resnet_v{1,2}_<depth>`` under ``resnet_arg_scope()``, one
``session.run`` per batch. With ``--slim-dir`` (an upstream ``research/slim`` checkout) any net of
the zoo instead: ``nets.nets_factory`` there if it imports, else ``--net-module`` / ``--net-fn`` /
``--arg-scope-module`` / ``--arg-scope-fn`` (``benchmarks/zoo_compare.py`` passes torchslim's
factory entry, whose names are upstream's), imported with ``tools/make_zoo_fixtures.py``'s import
rewrites; its towers share variables through ``AUTO_REUSE`` (not every net takes ``reuse``).
The input batches live in (non-trainable) variables, so nothing is fed
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
import pathlib
import sys
import time


TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")


def _import_tf_slim(slim_dir=None):
    """``tf_slim`` on a current TensorFlow (REFERENCE_ENV.md's shims), and upstream's ``nets`` from ``slim_dir``."""
    sys.path.insert(0, TOOLS)
    import make_zoo_fixtures as upstream

    upstream.install_tf_slim_shim()
    import tensorflow.compat.v1 as tf

    tf.disable_v2_behavior()
    import tf_slim

    if slim_dir:
        import numpy as np

        if not hasattr(np, "int"):  # old net files use np.int, which numpy >= 1.24 dropped
            np.int = int
        sys.meta_path.insert(0, upstream.UpstreamNets(pathlib.Path(slim_dir).resolve()))
    return tf, tf_slim


def _factory_net(args):
    """``(net_fn, arg_scope_fn)`` of ``args.net`` from upstream's ``nets_factory``, or from the named modules."""
    try:
        factory = importlib.import_module("nets.nets_factory")
        return factory.networks_map[args.net], factory.arg_scopes_map[args.net]
    except Exception as err:  # the stored nets_factory may import nets the checkout lacks
        if not (args.net_module and args.arg_scope_module):
            raise RuntimeError(f"nets.nets_factory has no {args.net} ({type(err).__name__}: {err}); "
                               "give --net-module and --arg-scope-module") from err
    module = importlib.import_module(f"nets.{args.net_module}")
    scope_module = importlib.import_module(f"nets.{args.arg_scope_module}")
    names = [args.net] + ([args.net_fn] if args.net_fn else [])  # the registered name (vgg_16), else the function's
    if not any(hasattr(module, name) for name in names):  # a trimmed checkout: tf_slim's own copy (ResNets)
        module = importlib.import_module(f"tf_slim.nets.{args.net_module}")
        scope_module = module
    net_fn = next((getattr(module, name) for name in names if hasattr(module, name)), None)
    if net_fn is None:
        raise RuntimeError(f"nets.{args.net_module} has none of {names}")
    arg_scope = getattr(scope_module, args.arg_scope_fn)
    kwargs = json.loads(args.arg_scope_kwargs)
    return net_fn, (lambda: arg_scope(**kwargs))


def _net(tf, args):
    """``(net_fn(images, is_training, first) -> logits, arg_scope, the file of the net's code)`` of ``args.net``."""
    if args.slim_dir:
        net_fn, arg_scope = _factory_net(args)
        source = sys.modules[net_fn.__module__].__file__

        def shared(images, is_training, first):  # AUTO_REUSE: the towers share one set of variables
            with tf.variable_scope(tf.get_variable_scope(), reuse=tf.AUTO_REUSE):
                return net_fn(images, args.num_classes, is_training=is_training)[0]
        return shared, arg_scope(), source
    module = importlib.import_module(f"tf_slim.nets.{args.net.rpartition('_')[0]}")
    net_fn = getattr(module, args.net)

    def resnet(images, is_training, first):
        return net_fn(images, args.num_classes, is_training=is_training, reuse=None if first else True)[0]
    return resnet, module.resnet_arg_scope(), module.__file__


def _build(tf, slim, args, images):
    """The towers ``{name: op}``, sharing one set of variables, and the file of the net's code."""
    net_fn, scope, source = _net(tf, args)
    towers = {}
    with slim.arg_scope(scope):
        for i, batch in enumerate(args.batch_sizes):
            towers[f"infer{batch}"] = net_fn(images[batch], False, i == 0)
        if args.train:
            logits = net_fn(images[args.batch_size], True, False)
            loss = 0.5 * tf.reduce_mean(tf.square(logits))
            with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):
                towers["train"] = tf.train.GradientDescentOptimizer(args.lr).minimize(loss)
    return towers, source


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
    p.add_argument("--slim-dir", help="an upstream research/slim checkout: build --net from its nets/")
    p.add_argument("--net-module", help="with --slim-dir: the net's module under nets/ (vgg, mobilenet.mobilenet_v2)")
    p.add_argument("--net-fn", help="with --slim-dir: the net function, where the module has none named --net")
    p.add_argument("--arg-scope-module", help="with --slim-dir: the arg scope's module under nets/")
    p.add_argument("--arg-scope-fn", help="with --slim-dir: the arg-scope function")
    p.add_argument("--arg-scope-kwargs", default="{}", help="with --slim-dir: its keyword arguments (JSON)")
    args = p.parse_args(argv)

    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())     # TF's prints go to stderr
    import numpy as np

    tf, slim = _import_tf_slim(args.slim_dir)
    images, feeds = _input_variables(tf, np, args)
    towers, source = _build(tf, slim, args, images)
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
                               "net_from": source,
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
