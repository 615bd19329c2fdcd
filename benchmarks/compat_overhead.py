"""Per-call cost of the TF stand-in (``torchslim.compat``) against the torch op each call wraps.

For each ``tf.*`` function, times the stand-in call and the bare torch call that computes the same
thing, on a tiny input (where the wrapper's Python shows most) and a typical one, and prints the
microseconds per call and their difference. Single thread, best of 5 rounds.

    python benchmarks/compat_overhead.py [--repeats 2000]
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

import torchslim.compat.v1 as tf


def cases(x: torch.Tensor):
    """``(name, stand-in call, torch call)`` triples on NHWC ``x``."""
    c = x.shape[-1]
    w_tf = torch.rand(3, 3, c, c)
    w_torch = w_tf.permute(3, 2, 0, 1).contiguous()
    nchw = x.permute(0, 3, 1, 2)
    pairs = [[0, 0], [1, 1], [1, 1], [0, 0]]
    return [
        ("nn.conv2d SAME", lambda: tf.nn.conv2d(x, w_tf, [1, 1, 1, 1], "SAME"),
         lambda: F.conv2d(nchw, w_torch, None, 1, 1).permute(0, 2, 3, 1)),
        ("nn.max_pool VALID", lambda: tf.nn.max_pool(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID"),
         lambda: F.max_pool2d(nchw, 2, 2).permute(0, 2, 3, 1)),
        ("nn.bias_add", lambda: tf.nn.bias_add(x, x[0, 0, 0]), lambda: x + x[0, 0, 0]),
        ("nn.relu", lambda: tf.nn.relu(x), lambda: torch.relu(x)),
        ("pad", lambda: tf.pad(x, pairs), lambda: F.pad(x, [0, 0, 1, 1, 1, 1])),
        ("reduce_mean keep_dims", lambda: tf.reduce_mean(x, [1, 2], keep_dims=True),
         lambda: torch.mean(x, dim=(1, 2), keepdim=True)),
        ("concat", lambda: tf.concat([x, x], axis=3), lambda: torch.cat([x, x], dim=3)),
        ("add_n", lambda: tf.add_n([x, x, x]), lambda: x + x + x),
        ("squeeze", lambda: tf.squeeze(x[:, :1, :1], [1, 2]), lambda: x[:, :1, :1].squeeze((1, 2))),
        ("reshape", lambda: tf.reshape(x, [-1, c]), lambda: torch.reshape(x, (-1, c))),
        ("get_shape().as_list()", lambda: x.get_shape().as_list(), lambda: list(x.shape)),
    ]


def per_call_us(fn, repeats: int) -> float:
    for _ in range(50):
        fn()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        best = min(best, (time.perf_counter() - start) / repeats)
    return best * 1e6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"{'input':<14} {'tf.* call':<24} {'stand-in us':>11} {'torch us':>9} {'extra us':>9} {'ratio':>6}")
    for label, shape in (("1x8x8x8", (1, 8, 8, 8)), ("8x28x28x32", (8, 28, 28, 32))):
        x = torch.rand(shape)
        repeats = args.repeats if label == "1x8x8x8" else max(args.repeats // 20, 20)
        with torch.no_grad():
            for name, stand_in, plain in cases(x):
                s, p = per_call_us(stand_in, repeats), per_call_us(plain, repeats)
                print(f"{label:<14} {name:<24} {s:>11.1f} {p:>9.1f} {s - p:>9.1f} {s / p:>6.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
