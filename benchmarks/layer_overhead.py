"""Python cost per layer of the define-by-run call, against a hand-written ``nn.Module``.

A stack of ``--layers`` conv2d + batch_norm + relu layers at a tiny spatial size (the kernels cost
next to nothing, so the time is the Python and dispatch cost of one layer). Prints microseconds per
layer for: the slim model (eval and train), and ``nn.Conv2d`` + ``nn.BatchNorm2d`` + ``relu`` in an
``nn.Sequential`` (channels_last).

    python benchmarks/layer_overhead.py [--layers 50] [--repeats 200] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import torch
from torch import nn

import torchslim as slim


def slim_stack(layers: int):
    def fn(x):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                            normalizer_params={"decay": 0.997, "epsilon": 1e-5, "scale": True}):
            for i in range(layers):
                x = slim.conv2d(x, 8, 3, scope=f"conv{i}")
        return x
    return fn


class PlainStack(nn.Module):
    def __init__(self, layers: int):
        super().__init__()
        self.body = nn.Sequential(*[nn.Sequential(nn.Conv2d(8, 8, 3, padding=1, bias=False),
                                                  nn.BatchNorm2d(8, eps=1e-5, momentum=0.003), nn.ReLU())
                                    for _ in range(layers)])

    def forward(self, x):  # NHWC in, NHWC out, as the slim model
        return self.body(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


def per_layer_us(fn, x, layers, repeats):
    for _ in range(10):
        fn(x)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            fn(x)
        best = min(best, (time.perf_counter() - start) / repeats)
    return best / layers * 1e6


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--layers", type=int, default=50)
    p.add_argument("--repeats", type=int, default=100)
    p.add_argument("--profile", action="store_true", help="cProfile the slim eval call and print the top entries")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    x = torch.rand(1, 4, 4, 8)
    model = slim.Model(slim_stack(args.layers)).build(x)
    plain = PlainStack(args.layers).to(memory_format=torch.channels_last)
    rows = []
    for mode in ("eval", "train"):
        model.train(mode == "train")
        plain.train(mode == "train")
        for grad in (False, True):
            ctx = torch.enable_grad if grad else torch.no_grad
            with ctx():
                s = per_layer_us(model, x, args.layers, args.repeats)
                q = per_layer_us(plain, x, args.layers, args.repeats)
            rows.append((mode, "grad" if grad else "no_grad", s, q))
    print(f"{'mode':<6} {'autograd':<8} {'torchslim us/layer':>19} {'nn.Module us/layer':>19} {'ratio':>6}")
    for mode, grad, s, q in rows:
        print(f"{mode:<6} {grad:<8} {s:>19.1f} {q:>19.1f} {s / q:>6.2f}")
    if args.profile:
        model.eval()
        prof = cProfile.Profile()
        with torch.no_grad():
            prof.enable()
            for _ in range(args.repeats):
                model(x)
            prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
