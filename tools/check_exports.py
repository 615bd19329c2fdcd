"""Exports every net of ``nets_factory`` (and the small ResNets) to ``.onnx`` and ``.pt2`` and checks them.

    PYTHONPATH=src python tools/check_exports.py                      # every net, default sizes (long)
    PYTHONPATH=src python tools/check_exports.py --nets lenet,cifarnet,resnet_v2_small --json out.json
    PYTHONPATH=src python tools/check_exports.py --list               # the names it would check

The nets are whatever ``nets_factory.list_networks()`` holds when it runs (nets added to the
factory are checked with no change here); ``--nets`` (comma-separated) or positional names pick some.

For each net: built with 1001 classes (``inception_resnet_v1``: facenet's 128-d embedding) at its
default image size (``--image_size`` to override), batch norm's moving statistics drawn at random
(mean N(0, 0.1), variance U(0.5, 1.5), so that they matter), exported with a dynamic batch, then
run in onnxruntime and through ``torch.export.load`` at batch 1 and batch 2 on U(-1, 1) inputs and
compared with eager torchslim: per output, ``max|exported - eager| / max(max|eager|, 1)``, which
the issue bounds by 1e-4. Prints one line per net and format (export seconds, file MB, worst
error) and exits 1 if any export fails or any error is over the bound.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback

import numpy as np
import torch

TOLERANCE = 1e-4


def scaled_error(got: np.ndarray, want: np.ndarray) -> float:
    """``max|got - want| / max(max|want|, 1)``."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return float("inf")
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1.0))


def randomize_moving_statistics(model, seed: int = 0) -> None:
    """Moving means N(0, 0.1) and variances U(0.5, 1.5), so a wrong batch-norm mode shows."""
    generator = torch.Generator().manual_seed(seed)
    for name, var in model.tf_variables().items():
        if name.endswith("moving_mean"):
            var.assign_tf(torch.randn(var.shape, generator=generator) * 0.1)
        elif name.endswith("moving_variance"):
            var.assign_tf(torch.rand(var.shape, generator=generator) + 0.5)


def eager_outputs(model, images: np.ndarray, names) -> dict:
    from torchslim.export.graph import InferenceGraph

    graph = InferenceGraph(model, with_predictions=len(names) == 2)
    with torch.no_grad():
        return dict(zip(names, (t.numpy() for t in graph(torch.from_numpy(images)))))


def check_net(name: str, image_size: int, directory: str) -> list:
    """Rows ``{net, format, export_s, mb, error, ok}`` for ``name``'s two formats."""
    from torchslim.export import export_model, load_exported
    from torchslim.export.nets import build_net, default_image_size
    from torchslim.nets import nets_factory

    size = image_size or default_image_size(name)
    classes = 128 if name == "inception_resnet_v1" else 1001
    model = build_net(name, num_classes=classes, image_size=size)
    randomize_moving_statistics(model)
    rows = []
    rng = np.random.default_rng(0)
    inputs = {batch: rng.uniform(-1, 1, nets_factory.default_input_shape(name, batch, size)).astype(np.float32)
              for batch in (1, 2)}
    for fmt in ("onnx", "pt2"):
        path = os.path.join(directory, f"{name}.{fmt}")
        row = {"net": name, "format": fmt, "image_size": size}
        try:
            start = time.perf_counter()
            info = export_model(model, path, image_size=size, model_name=name)
            row["export_s"] = round(time.perf_counter() - start, 1)
            row["mb"] = round(os.path.getsize(path) / 2**20, 1)
            net = load_exported(path)
            errors = {}
            for batch, images in inputs.items():
                want = eager_outputs(model, images, info.output_names)
                got = net(images)
                for key in want:
                    errors[f"{key}@{batch}"] = scaled_error(got[key], want[key])
            row["errors"] = errors
            row["error"] = max(errors.values())
            row["ok"] = row["error"] <= TOLERANCE
        except Exception as err:  # report the net and go on with the others
            row["failed"] = f"{type(err).__name__}: {err}".splitlines()[0]
            row["trace"] = traceback.format_exc(limit=3)
            row["ok"] = False
        finally:
            if os.path.exists(path):
                os.remove(path)
        rows.append(row)
        print(format_row(row), flush=True)
    return rows


def format_row(row: dict) -> str:
    if "failed" in row:
        return f"{row['net']:<22} {row['format']:<5} FAILED {row['failed']}"
    return (f"{row['net']:<22} {row['format']:<5} {row['image_size']:>4}px  export {row['export_s']:>6.1f} s  "
            f"{row['mb']:>7.1f} MB  max scaled error {row['error']:.2e}  {'ok' if row['ok'] else 'OVER 1e-4'}")


def selected_nets(names) -> list:
    """``names`` checked against ``nets_factory`` (in the order given), or every factory net when empty.

    Raises:
      SystemExit: naming an unknown net and the choices.
    """
    from torchslim.nets import nets_factory

    try:
        return [nets_factory.check_flag(name, "--nets") for name in names] or nets_factory.list_networks()
    except ValueError as exc:
        raise SystemExit(f"check_exports: {exc}") from None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("nets", nargs="*", help="nets to check (default: every nets_factory net)")
    parser.add_argument("--nets", dest="net_list", default="", help="comma-separated nets to check (with the "
                        "positional ones; default: every nets_factory net)")
    parser.add_argument("--list", action="store_true", help="print the nets that would be checked and stop")
    parser.add_argument("--image_size", type=int, default=0, help="input size (default: each net's default)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    nets = selected_nets(args.nets + [n.strip() for n in args.net_list.split(",") if n.strip()])
    if args.list:
        print("\n".join(nets))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        for name in nets:
            rows += check_net(name, args.image_size, directory)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)
    bad = [f"{r['net']}.{r['format']}" for r in rows if not r["ok"]]
    print(f"{len(rows) - len(bad)}/{len(rows)} exports within {TOLERANCE:g}" + (f"; not: {', '.join(bad)}" if bad else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
