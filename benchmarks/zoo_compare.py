"""``torchslim benchmark NET`` beside TF-Slim's own net from an upstream checkout, in one run: images/s and ratios.

    python benchmarks/zoo_compare.py --slim-dir /tmp/upstream/research/slim \\
        [--nets vgg_16 inception_v3 resnet_v2_152] [--batch-sizes 1 32] [--quick] [--json out.json]

For each net of ``--nets`` (any name of ``torchslim.nets.nets_factory``) and each batch size:
torchslim eager inference (``nets_factory.build_model`` and ``bench.make_step``, what ``torchslim
benchmark NET --batch_size B`` times) and TF-Slim graph-mode inference in a second process
(``benchmarks/tfslim_worker.py --slim-dir``, under ``--tf-python``, default ``$TFSLIM_PYTHON`` or
``/tmp/tfslim-ref/bin/python``). The worker builds upstream's function of the same name: torchslim's
factory entry names its module, function and arg scope, which are upstream's (``vgg.vgg_16``,
``vgg.vgg_arg_scope``), so nets added to the factory later (``mobilenet_v2``, ``nasnet_mobile``) work
unchanged; a module upstream keeps in a sub-folder (``nets/mobilenet/mobilenet_v2.py``) is found by
its file name.

Both sides use their own initializers (the time does not depend on the weights) and the net's
default image size, ``--num-classes`` logits. Timing: rounds; in each round both peers run
``--steps`` batches, in alternating order, so that machine noise hits both alike. images/s =
batch / median seconds per batch.
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
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import torch

import torchslim as slim
from torchslim.bench import make_step, random_batch
from torchslim.memory import keep_freed_memory
from torchslim.nets import nets_factory

WORKER = Path(__file__).resolve().parent / "tfslim_worker.py"


def upstream_names(net: str, slim_dir: Path, override: Optional[str] = None) -> Dict[str, str]:
    """The worker's ``--net-module`` / ``--net-fn`` / ``--arg-scope-*`` for ``net``, from torchslim's factory.

    Args:
      net: a factory name.
      slim_dir: the upstream checkout.
      override: ``module:fn:arg_scope_module:arg_scope_fn`` (under ``nets/``) where torchslim's
        names are not upstream's.

    Raises:
      ValueError: when ``slim_dir/nets`` has no file of the module's name.
    """
    if override:
        flags = ("--net-module", "--net-fn", "--arg-scope-module", "--arg-scope-fn")
        return dict(zip(flags, override.split(":")))
    fn, scope = nets_factory.networks_map[net], nets_factory.arg_scopes_map[net]
    return {"--net-module": _upstream_module(fn.__module__, slim_dir), "--net-fn": fn.__name__,
            "--arg-scope-module": _upstream_module(scope.__module__, slim_dir), "--arg-scope-fn": scope.__name__}


def _upstream_module(torchslim_module: str, slim_dir: Path) -> str:
    """``torchslim.nets.a.b`` -> the dotted path of ``b.py`` under ``slim_dir/nets`` (``a.b`` or ``x.b``)."""
    name = torchslim_module.rpartition(".")[2]
    nets = slim_dir / "nets"
    found = sorted(nets.rglob(f"{name}.py"), key=lambda p: len(p.parts))
    if not found:
        raise ValueError(f"{nets} has no {name}.py (the module of torchslim's {torchslim_module})")
    return ".".join(found[0].relative_to(nets).with_suffix("").parts)


class TFSlimPeer:
    """TF-Slim's towers of one net in a worker process (the JSON-lines protocol of ``tfslim_worker.py``)."""

    def __init__(self, python: str, net: str, batch_sizes: List[int], image_size: int, num_classes: int,
                 slim_dir: Path, threads: int, override: Optional[str] = None):
        cmd = [python, str(WORKER), "--net", net, "--batch-sizes", *map(str, batch_sizes),
               "--image-size", str(image_size), "--num-classes", str(num_classes), "--slim-dir", str(slim_dir),
               "--threads", str(threads)]
        for flag, value in upstream_names(net, slim_dir, override).items():
            cmd += [flag, value]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     stderr=subprocess.DEVNULL if os.environ.get("ZOO_COMPARE_QUIET") else None)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"TF-Slim worker for {net} exited (rc {self.proc.wait()}); command: {' '.join(cmd)}")
        self.info = json.loads(line)
        print(f"{net}: TF {self.info['tensorflow']}, net from {self.info.get('net_from')}", file=sys.stderr)

    def time(self, batch: int, steps: int) -> List[float]:
        self.proc.stdin.write(json.dumps({"cmd": "time", "tower": f"infer{batch}", "n": steps}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["durations"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)


def _torchslim_steps(net: str, batch_sizes: List[int], image_size: int, num_classes: int):
    torch.manual_seed(0)
    model = nets_factory.build_model(net, num_classes=num_classes, image_size=image_size)
    return {b: make_step(model, random_batch(model, b, image_size)) for b in batch_sizes}


def _timed(step, steps: int) -> List[float]:
    durations = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        durations.append(time.perf_counter() - start)
    return durations


def compare_net(net: str, args) -> List[dict]:
    """Rows ``{net, batch, torchslim, tf_slim, ratio}`` (images/s) for one net."""
    size = args.image_size or nets_factory.default_image_size(net)
    steps_by_batch = _torchslim_steps(net, args.batch_sizes, size, args.num_classes)
    peer: Optional[TFSlimPeer] = None
    try:
        peer = TFSlimPeer(args.tf_python, net, args.batch_sizes, size, args.num_classes, args.slim_dir,
                          args.threads, dict(item.split("=", 1) for item in args.upstream).get(net))
    except (OSError, RuntimeError, ValueError) as err:
        print(f"{net}: TF-Slim not run: {err}", file=sys.stderr)
    times: Dict[Tuple[str, int], List[float]] = {}
    try:
        for batch, step in steps_by_batch.items():
            _timed(step, args.burn_in)
            if peer:
                peer.time(batch, args.burn_in)
            for r in range(args.rounds):
                order = ("torchslim", "tf_slim") if r % 2 == 0 else ("tf_slim", "torchslim")
                for who in order:
                    if who == "torchslim":
                        times.setdefault((who, batch), []).extend(_timed(step, args.steps))
                    elif peer:
                        times.setdefault((who, batch), []).extend(peer.time(batch, args.steps))
    finally:
        if peer:
            peer.close()
    rows = []
    for batch in args.batch_sizes:
        ours = batch / statistics.median(times[("torchslim", batch)])
        theirs = batch / statistics.median(times[("tf_slim", batch)]) if ("tf_slim", batch) in times else None
        rows.append({"net": net, "batch": batch, "image_size": size, "torchslim": ours, "tf_slim": theirs,
                     "ratio": ours / theirs if theirs else None})
    return rows


def _table(rows: List[dict]) -> str:
    lines = ["| net | batch | TF-Slim img/s | torchslim img/s | x TF-Slim |", "|---|---|---|---|---|"]
    for row in rows:
        tf_cell = f"{row['tf_slim']:.2f}" if row["tf_slim"] else "-"
        ratio = f"{row['ratio']:.2f}" if row["ratio"] else "-"
        lines.append(f"| {row['net']} | {row['batch']} | {tf_cell} | {row['torchslim']:.2f} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nets", nargs="+", default=["vgg_16", "inception_v3", "resnet_v2_152"])
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    p.add_argument("--slim-dir", type=Path, default=Path("/tmp/upstream/research/slim"),
                   help="an upstream research/slim checkout (its nets/ folder)")
    p.add_argument("--tf-python", default=os.environ.get("TFSLIM_PYTHON", "/tmp/tfslim-ref/bin/python"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=4, help="batches per peer per round")
    p.add_argument("--burn-in", type=int, default=2)
    p.add_argument("--quick", action="store_true", help="1 round of 1 batch after 1 burn-in: does everything run?")
    p.add_argument("--image-size", type=int, default=0, help="0: each net's default size")
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="both peers' threads (0: each library's default)")
    p.add_argument("--json", type=Path, help="also write the rows here")
    p.add_argument("--upstream", nargs="*", default=[], metavar="NET=MODULE:FN:SCOPE_MODULE:SCOPE_FN",
                   help="upstream names where torchslim's differ, e.g. "
                        "mobilenet_v2=mobilenet.mobilenet_v2:mobilenet:mobilenet.mobilenet_v2:training_scope")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.steps, args.burn_in = 1, 1, 1
    unknown = [n for n in args.nets if n not in nets_factory.networks_map]
    if unknown:
        p.error(f"unknown nets {unknown}; choose from {', '.join(nets_factory.list_networks())}")
    if args.threads:
        torch.set_num_threads(args.threads)
    keep_freed_memory()
    rows = []
    with torch.inference_mode(), slim.utils.collecting_outputs(False):
        for net in args.nets:
            rows.extend(compare_net(net, args))
    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, "
          f"{args.rounds} rounds x {args.steps} batches")
    print(_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
