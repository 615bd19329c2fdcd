"""Reading a ~100 MB checkpoint: ``torchslim.checkpoint.load`` on ResNet-50-sized V2 and V1 files.

Builds, in a temporary directory, a TF V2 bundle and a V1 single-file checkpoint with
ResNet-50 v1's 267 variable names and shapes (``shared/fixtures/manifests/resnet_v1_50.json``;
random float32 values, 102 MB), then times ``load(path)`` (every tensor read, every CRC checked)
and prints the median of ``--repeats`` runs in seconds and MB/s. The files are in the page cache
(just written), so this measures the reader, not the disk. Target: 100 MB in at most 1 s.

    python benchmarks/checkpoint_read.py [--repeats 5] [--manifest PATH] [--no-v1] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from torchslim.checkpoint import load, write_checkpoint

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MANIFEST = ROOT.parent / "shared" / "fixtures" / "manifests" / "resnet_v1_50.json"


def resnet50_tensors(manifest: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """Random float32 values with the manifest's variable names and shapes."""
    variables = json.loads(manifest.read_text())["variables"]
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape, dtype=np.float32) for name, shape, _ in variables}


def write_v1(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """A V1 checkpoint (the Slim zoo's format), built with the tests' V1 writer."""
    sys.path.insert(0, str(ROOT / "tests"))
    from checkpoint._builders import build_v1  # noqa: E402  (test-only writer: torchslim writes V2 only)

    path.write_bytes(build_v1(tensors))


def time_load(path: Path, repeats: int, verify_crc: bool = True) -> list[float]:
    load(path, verify_crc=verify_crc)                       # warm-up (imports, page cache)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        values = load(path, verify_crc=verify_crc)
        times.append(time.perf_counter() - start)
        del values                                          # freeing 100 MB is not the reader's time
    return times


def report(label: str, nbytes: int, times: list[float]) -> None:
    median = statistics.median(times)
    print(f"{label:<28} {median:7.3f} s  {nbytes / 1e6 / median:8.0f} MB/s   "
          f"(min {min(times):.3f} s, max {max(times):.3f} s, {len(times)} runs)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--no-v1", action="store_true", help="skip the V1 file")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one V2 and one V1 load")
    args = parser.parse_args(argv)
    if not args.manifest.is_file():
        parser.error(f"{args.manifest}: manifest not found (pass --manifest)")

    tensors = resnet50_tensors(args.manifest)
    nbytes = sum(v.nbytes for v in tensors.values())
    print(f"{len(tensors)} tensors, {nbytes / 1e6:.1f} MB (ResNet-50 v1 names and shapes, float32)")
    with tempfile.TemporaryDirectory(prefix="ckpt_bench_") as tmp:
        v2 = Path(tmp) / "model.ckpt"
        write_checkpoint(v2, tensors)
        paths = [("V2 bundle", v2)]
        if not args.no_v1:
            v1 = Path(tmp) / "resnet_v1_50.ckpt"
            write_v1(v1, tensors)
            paths.append(("V1 file", v1))
        for label, path in paths:
            values = load(path)
            assert all(np.array_equal(values[n], tensors[n]) for n in tensors), f"{label}: values differ"
            report(f"load {label}", nbytes, time_load(path, args.repeats))
        report("load V2 bundle, no CRC check", nbytes, time_load(v2, args.repeats, verify_crc=False))
        if args.profile:
            for label, path in paths:
                print(f"\n--- profile: load {label}")
                profiler = cProfile.Profile()
                profiler.runcall(load, path)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(12)
    return 0


if __name__ == "__main__":
    sys.exit(main())
