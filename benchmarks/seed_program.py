"""The seed's timing program as a torchslim user writes it, timed beside TF-Slim fp32 in one run.

Seed page 001 builds a ResNet v2 under ``resnet_arg_scope(is_training=False)`` on a random batch of
32 and times ``session.run(net)`` after a burn-in. A user porting it writes :func:`user_program`:
``slim.Model``, ``torch.no_grad()``, a call per batch, nothing else: no ``torchslim.bench`` helper,
no memory or thread settings, no compilation. It runs in a fresh interpreter of its own, so nothing
this harness imports or calls can reach it. TF-Slim runs the same net and batch in graph mode
(``benchmarks/tfslim_worker.py`` under the reference interpreter, default TensorFlow threading),
before and after the user's program; the ratio is torchslim's images/s over TF-Slim's.

    python benchmarks/seed_program.py                       # resnet_v2_50, batch 32, 224x224
    python benchmarks/seed_program.py --net resnet_v2_152 --num-batches 20
    python benchmarks/seed_program.py --tf-python /tmp/tfslim-ref/bin/python

The machine's other load moves both sides; run it where nothing else runs for a steady figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def user_program(net: str, batch_size: int, image_size: int, num_batches: int, burn_in: int) -> list:
    """The seed's program in torchslim, as a user writes it; returns the seconds of each timed batch."""
    import torch

    import torchslim as slim
    from torchslim.nets import resnet_v2

    inputs = torch.rand(batch_size, image_size, image_size, 3)
    with slim.arg_scope(resnet_v2.resnet_arg_scope()):
        model = slim.Model(getattr(resnet_v2, net), 1000, is_training=False)
    durations = []
    with torch.no_grad():
        for i in range(burn_in + num_batches):
            start = time.perf_counter()
            net_out, end_points = model(inputs)
            if i >= burn_in:
                durations.append(time.perf_counter() - start)
    return durations


def run_user_program(args) -> list:
    """:func:`user_program` in a fresh interpreter (this one, with the same ``PYTHONPATH``)."""
    call = (f"import json, sys; sys.path.insert(0, {HERE!r}); from seed_program import user_program; "
            f"print(json.dumps(user_program({args.net!r}, {args.batch_size}, {args.image_size}, "
            f"{args.num_batches}, {args.burn_in})))")
    out = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_tf_slim(args):
    """``tfslim_worker.py`` (through ``compare.py``'s client), warmed up; None without a TF interpreter."""
    sys.path.insert(0, HERE)
    from compare import TFSlimWorker, find_tf_python

    python = find_tf_python(args.tf_python)
    if python is None:
        return None
    worker = TFSlimWorker(python, ["--net", args.net, "--batch-sizes", str(args.batch_size),
                                   "--image-size", str(args.image_size)])
    worker.wait_ready()
    worker.time(f"infer{args.batch_size}", args.burn_in)
    return worker


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def report(name: str, durations: list, batch_size: int) -> float:
    mean = statistics.mean(durations)
    print(f"{name:<34} {batch_size / mean:7.1f} img/s   {mean:.3f} +/- {statistics.pstdev(durations):.3f} s/batch "
          f"({len(durations)} batches)")
    return batch_size / mean


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", default="resnet_v2_50", choices=["resnet_v2_50", "resnet_v2_101", "resnet_v2_152"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--num-batches", type=int, default=10, help="timed batches per side and round (10)")
    p.add_argument("--burn-in", type=int, default=3, help="untimed batches first (3)")
    p.add_argument("--tf-python", help="interpreter with tensorflow and tf_slim ('none': skip TF-Slim; "
                                       "default: $TFSLIM_PYTHON or /tmp/tfslim-ref/bin/python)")
    args = p.parse_args(argv)
    print(f"{args.net}, batch {args.batch_size}, {args.image_size}x{args.image_size}, fp32, CPU: {cpu_model()}, "
          f"{os.cpu_count()} cores")
    tf = start_tf_slim(args)
    tf_durations = tf.time(f"infer{args.batch_size}", args.num_batches)[0] if tf else []
    slim_durations = run_user_program(args)
    if tf:
        tf_durations += tf.time(f"infer{args.batch_size}", args.num_batches)[0]
        tf.close()
    slim_rate = report("torchslim, the user's program", slim_durations, args.batch_size)
    if not tf_durations:
        print("TF-Slim: skipped (no interpreter with tensorflow and tf_slim; see --tf-python)")
        return 0
    tf_rate = report("TF-Slim fp32 (graph, session.run)", tf_durations, args.batch_size)
    print(f"ratio torchslim / TF-Slim: {slim_rate / tf_rate:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
