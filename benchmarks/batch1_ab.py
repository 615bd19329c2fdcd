"""Batch-1 inference, torchslim against the hand-written module, one call each in turn.

``compare.py`` runs each peer for 20 batches in a row per round; this alternates single calls
(plain, torchslim, torchslim, plain, ...), so both see the same machine state call by call, and
prints the median of the per-pair time ratios. The two methods can disagree by several percent
on a shared 2-core machine; the README gives both.

    python benchmarks/batch1_ab.py [--net resnet_v2_50] [--pairs 60] [--threads 2] [--no-grad]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torchslim as slim  # noqa: E402
from plain_resnet import PlainResNet, load_from_slim  # noqa: E402
from torchslim.memory import keep_freed_memory, release_freed_memory  # noqa: E402
from torchslim.nets import nets_factory  # noqa: E402


def build(net: str, size: int):
    """The slim net (eval) and the plain module on its weights, channels_last."""
    version, layers = int(net[len("resnet_v")]), int(net.rsplit("_", 1)[1])
    with slim.arg_scope(nets_factory.arg_scopes_map[net]()):
        model = slim.Model(nets_factory.networks_map[net], 1000, is_training=None)
    images = torch.rand(1, size, size, 3)
    model.build(images)
    model.eval()
    plain = PlainResNet(version=version, layers=layers, num_classes=1000)
    load_from_slim(plain, model)
    return model, plain.eval().to(memory_format=torch.channels_last), images


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--net", default="resnet_v2_50", help="resnet_v1/v2_{50,101,152,200}")
    p.add_argument("--pairs", type=int, default=60)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--no-grad", action="store_true", help="torch.no_grad() instead of torch.inference_mode()")
    p.add_argument("--release-memory", action="store_true", help="give freed memory back to the OS (torchslim.memory.release_freed_memory)")
    args = p.parse_args(argv)
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    if args.release_memory:
        release_freed_memory()
    else:
        keep_freed_memory()
    model, plain, images = build(args.net, args.image_size)
    mode = torch.no_grad if args.no_grad else torch.inference_mode

    def timed(fn) -> float:
        start = time.perf_counter()
        fn(images)
        return time.perf_counter() - start

    ratios, slim_times, plain_times = [], [], []
    with mode(), slim.utils.collecting_outputs(False):
        for _ in range(5):
            model(images), plain(images)
        for i in range(args.pairs):
            if i % 2:
                a, b = timed(model), timed(plain)
            else:
                b, a = timed(plain), timed(model)
            slim_times.append(a)
            plain_times.append(b)
            ratios.append(a / b)
    print(f"{args.net}, batch 1, {args.image_size}x{args.image_size}, {torch.get_num_threads()} threads, "
          f"{'no_grad' if args.no_grad else 'inference_mode'}, {args.pairs} pairs")
    print(f"torchslim median {statistics.median(slim_times) * 1e3:.1f} ms, plain median "
          f"{statistics.median(plain_times) * 1e3:.1f} ms; median ratio of times {statistics.median(ratios):.3f} "
          f"(torchslim's extra time {100 * (statistics.median(ratios) - 1):+.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
