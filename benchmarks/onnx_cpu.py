"""An exported Slim net in onnxruntime (CPU) beside torchslim eager and TF-Slim, in one run: images/s and ratios.

    python benchmarks/onnx_cpu.py                    # resnet_v2_50, batch 32, 224x224, 1000 classes
    python benchmarks/onnx_cpu.py --quick            # few steps: does every row run?
    python benchmarks/onnx_cpu.py --threads 1 --clock cpu      # steadier on a shared machine

The net is ``nets_factory.create(net)`` with torchslim's initializers and batch norm's moving
statistics set to the batch statistics of the input (as ``compare.py``), exported by
``torchslim.export.export_model`` to ``.onnx`` with a dynamic batch (what ``torchslim export``
writes by default) and run by onnxruntime's CPU provider. Peers on the same weights and the same
random NHWC batch: TF-Slim fp32 (graph mode, ``tfslim_worker.py`` under ``--tf-python``, restored
from torchslim's checkpoint; skipped when there is no such interpreter), torchslim eager
(``torchslim.bench.make_step``: ``model.eval()``, no gradients, logits only) and onnxruntime.
Before timing, onnxruntime's and TF-Slim's logits are checked against torchslim's (within 1e-4,
scaled by max(max|x|, 1)). Timing, rounds and the table are ``compare.py``'s.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from compare import (Peer, Section, calibrate_batch_norm, format_table, run_section, start_tf,  # noqa: E402
                     torch_peer)
from torchslim.bench import keep_freed_memory, make_step  # noqa: E402
from torchslim.export import export_model, load_exported  # noqa: E402
from torchslim.nets import nets_factory  # noqa: E402

TOLERANCE = 1e-4


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--net", default="resnet_v2_50", help="resnet_v1/v2_{50,101,152,200} (resnet_v2_50)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=None, help="rounds (4; --quick: 2)")
    p.add_argument("--quick", action="store_true", help="few steps: checks that every row runs")
    p.add_argument("--tf-python", help="interpreter with tensorflow + tf_slim ('none': skip TF-Slim)")
    p.add_argument("--threads", type=int, default=0,
                   help="threads for every peer (0: each library's default, all cores)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="images/s from wall time (default) or process CPU time (with --threads 1)")
    return p.parse_args(argv)


def scaled_error(got: np.ndarray, want: np.ndarray) -> float:
    got, want = np.asarray(got, np.float64).reshape(want.shape[0], -1), np.asarray(want, np.float64)
    return float(np.abs(got - want.reshape(got.shape)).max() / max(np.abs(want).max(), 1.0))


def onnx_peer(path: str, images: np.ndarray, threads: int) -> Peer:
    """onnxruntime on the exported file; ``time(n)`` runs ``n`` batches."""
    net = load_exported(path, num_threads=threads)

    def run(n: int):
        wall, cpu = [], []
        for _ in range(n):
            start, start_cpu = time.perf_counter(), time.process_time()
            net(images)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        return wall, cpu

    return Peer("onnxruntime (exported .onnx)", run)


def main(argv=None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 4)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    keep_freed_memory()
    import onnxruntime

    start = time.perf_counter()
    print(f"{args.net}, batch {args.batch_size}, {args.image_size}x{args.image_size}; torch {torch.__version__}, "
          f"onnxruntime {onnxruntime.__version__}, {torch.get_num_threads()} threads, "
          f"{platform.processor() or platform.machine()}")
    torch.manual_seed(0)
    images = torch.rand(args.batch_size, args.image_size, args.image_size, 3)
    model = nets_factory.create(args.net, num_classes=args.num_classes).eval()
    model.build(images[:1])
    calibrate_batch_norm(model, args.net, args.num_classes, images)
    model.eval()
    workdir = tempfile.mkdtemp(prefix="torchslim-onnx-")
    try:
        onnx_path = os.path.join(workdir, f"{args.net}.onnx")
        t0 = time.perf_counter()
        export_model(model, onnx_path, image_size=args.image_size, model_name=args.net)
        print(f"exported {onnx_path} ({os.path.getsize(onnx_path) / 2**20:.0f} MB) in {time.perf_counter() - t0:.0f} s")
        tf_args = argparse.Namespace(tf_python=args.tf_python, device="cpu", net=args.net, batch_size=args.batch_size,
                                     image_size=args.image_size, num_classes=args.num_classes, lr=1e-3,
                                     threads=args.threads)
        tf = start_tf(tf_args, model, images, workdir, ["inference"])
        try:
            with torch.no_grad():
                eager = model(images)[0].numpy()
            checks = [("onnxruntime logits", scaled_error(load_exported(onnx_path)(images)["logits"], eager))]
            peers = [torch_peer("torchslim eager", make_step(model, images)),
                     onnx_peer(onnx_path, images.numpy(), args.threads)]
            if tf:
                info = tf.wait_ready()
                print(f"TF-Slim: TensorFlow {info['tensorflow']}, weights restored: {info['restored']}")
                if info["restored"] is True:
                    checks.append(("TF-Slim logits", scaled_error(np.load(os.path.join(workdir, "tf_logits.npy")),
                                                                  eager)))
                peers.insert(0, Peer("TF-Slim fp32", lambda n: tf.time(f"infer{args.batch_size}", n)))
            section = Section(f"inference, batch {args.batch_size}", args.batch_size, peers,
                              steps=1 if args.quick else 2, burn_in=1 if args.quick else 2)
            run_section(section, rounds)
        finally:
            if tf:
                tf.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nchecks: max |difference| / max(max |eager logits|, 1) against torchslim eager")
    for what, error in checks:
        print(f"  {what:<40} {error:9.2e}  (limit {TOLERANCE:.0e}) {'ok' if error <= TOLERANCE else 'FAILED'}")
    print(f"\n{format_table([section], args.clock)}")
    print(f"\nimages/s = batch / median {args.clock} seconds per batch; {rounds} interleaved rounds; "
          f"total {time.perf_counter() - start:.0f} s")
    return 0 if all(error <= TOLERANCE for _, error in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
