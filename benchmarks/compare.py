"""torchslim side by side with a hand-written ``nn.Module`` and TF-Slim, in one run: images/s and ratios.

    python benchmarks/compare.py              # resnet_v2_50, batch 32, 224x224: the README table (~11 min, 2 cores)
    python benchmarks/compare.py --quick      # the same rows with few steps (~6 min): does everything run?
    python benchmarks/compare.py --tf-python /tmp/tfslim-ref/bin/python --json results.json

Peers, all on the same weights and the same random NHWC batch:

* inference, batch B: TF-Slim fp32 (graph mode, as the seed); the plain module (``plain_resnet.py``,
  eager); torchslim eager (batch norm not folded: that is ``model.compile()``'s job), computing the logits only (as
  ``session.run(net)``) and with all end points kept; ``model.compile()``; bf16 autocast, eager
  and compiled;
* inference, batch 1: TF-Slim, the plain module, torchslim eager;
* training step, batch B (training-mode forward, ``0.5 * mean(logits ** 2)``, backward, plain
  SGD): TF-Slim, the plain module, torchslim eager (and compiled with ``--compile-training``).

TF-Slim runs in a second process under an interpreter that has ``tensorflow`` and ``tf_slim``
(``--tf-python``, default ``$TFSLIM_PYTHON`` or ``/tmp/tfslim-ref/bin/python``; see
``shared/reference/REFERENCE_ENV.md``); it is skipped when there is none. TensorFlow is never
imported here.

Weights: torchslim's initializers, then every batch norm's moving statistics set to the batch
statistics of the input (so activations are of order 1, as in a trained net). They are copied into
the plain module by TF name and written as a TF checkpoint that TF-Slim restores. Before timing,
the first output of every peer is checked against torchslim's eager fp32 path: within 1e-4 for
fp32; for bf16 the relative RMS error of the logits is reported (about 0.1 here: bf16 keeps 8
significant bits in every layer).

Timing: each section runs in rounds; in each round every peer runs ``steps`` batches, in an order
that rotates from round to round, so that machine noise hits all peers alike. Per peer: mean +/- sd
seconds per batch (as the seed), the median, and the median process CPU seconds; images/s = batch /
median; ratios are of images/s. On a machine that other jobs share, ``--threads 1 --clock cpu``
gives steadier ratios (OpenMP's thread barriers stall whenever a core is taken away).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torchslim as slim  # noqa: E402
from plain_resnet import UNITS, PlainResNet, load_from_slim  # noqa: E402
from torchslim.bench import keep_freed_memory, make_step, mean_sd  # noqa: E402
from torchslim.nets import nets_factory  # noqa: E402

FP32_TOL = 1e-4
# bf16 autocast keeps 8 significant bits in every layer; on these random (BN-calibrated) weights the
# logits of resnet_v2_50 come out with a relative RMS error of about 0.1 against fp32 (trained nets,
# with larger margins, fare better). The bound only catches a broken path (garbage is ~1 or more).
BF16_REL_RMS_TOL = 0.25
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfslim_worker.py")


# --------------------------------------------------------------------------------------------------
# Peers.


@dataclass
class Peer:
    """One contestant of a section: ``time(n)`` runs ``n`` steps and returns (wall, CPU) seconds of each."""

    name: str
    time: Callable[[int], Tuple[List[float], List[float]]]
    first_output: Callable[[], Optional[torch.Tensor]] = lambda: None
    durations: List[float] = field(default_factory=list)
    cpu: List[float] = field(default_factory=list)
    steps: Optional[int] = None     # steps per round, when not the section's (a slow peer runs fewer)


def torch_peer(name: str, step: Callable[[], torch.Tensor], steps: Optional[int] = None) -> Peer:
    """A peer timing ``step()`` here (the step synchronizes CUDA itself)."""
    first: Dict[str, torch.Tensor] = {}

    def run(n: int) -> Tuple[List[float], List[float]]:
        wall, cpu = [], []
        for _ in range(n):
            start, start_cpu = time.perf_counter(), time.process_time()
            result = step()
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            if "y" not in first:  # a copy: float() and reshape() may return the step's own tensor
                first["y"] = result.detach().float().reshape(result.shape[0], -1).clone() if result.dim() else None
        return wall, cpu

    return Peer(name, run, lambda: first.get("y"), steps=steps)


class TFSlimWorker:
    """``tfslim_worker.py`` under the TF interpreter, spoken to in JSON lines."""

    def __init__(self, python: str, args: List[str]):
        self.proc = subprocess.Popen([python, WORKER, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.info: Dict = {}

    def wait_ready(self) -> Dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("TF-Slim worker failed:\n" + self.proc.stderr.read()[-3000:])
        self.info = json.loads(line)
        return self.info

    def time(self, tower: str, n: int) -> Tuple[List[float], List[float]]:
        self.proc.stdin.write(json.dumps({"cmd": "time", "tower": tower, "n": n}) + "\n")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("TF-Slim worker died:\n" + self.proc.stderr.read()[-3000:])
        reply = json.loads(line)
        return reply["durations"], reply["cpu"]

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()


def find_tf_python(given: Optional[str]) -> Optional[str]:
    """The interpreter for TF-Slim: ``given`` ('none' turns it off), ``$TFSLIM_PYTHON``, the reference venv."""
    if given:
        return None if given.lower() == "none" else given
    for candidate in (os.environ.get("TFSLIM_PYTHON"), "/tmp/tfslim-ref/bin/python"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------------------------------
# Models.


def calibrate_batch_norm(model: slim.Model, net: str, num_classes: int, images: torch.Tensor) -> None:
    """Sets every batch norm's moving statistics to the batch statistics of ``images``.

    Runs a copy of the net whose batch norm decay is 0 once in training mode (the moving averages
    then equal the batch's mean and unbiased variance) and loads the result into ``model``.
    """
    family = net.rsplit("_", 1)[0]
    module = importlib.import_module(f"torchslim.nets.{family}")
    with slim.arg_scope(module.resnet_arg_scope(batch_norm_decay=0.0)):
        calib = slim.Model(getattr(module, net), num_classes=num_classes, is_training=None)
    calib.eval().build(images[:1])
    calib.load_state_dict(model.state_dict())
    with torch.no_grad():
        calib.train()(images)
    model.load_state_dict(calib.state_dict())


def build_models(net: str, batch: int, size: int, num_classes: int, device: torch.device):
    """The torchslim model (calibrated), the plain module with its weights, and the input batch."""
    family, depth = net.rsplit("_", 1)
    version = {"resnet_v1": 1, "resnet_v2": 2}.get(family)
    if version is None or int(depth) not in UNITS:
        raise SystemExit(f"compare.py: the plain peer exists for resnet_v1/v2_{{{','.join(map(str, UNITS))}}}, "
                         f"not {net}")
    torch.manual_seed(0)
    images = torch.rand(batch, size, size, 3)
    model = nets_factory.create(net, num_classes=num_classes)
    model.eval().build(images[:1])
    calibrate_batch_norm(model, net, num_classes, images)
    plain = load_from_slim(PlainResNet(version, int(depth), num_classes), model)
    fmt = torch.channels_last if device.type == "cuda" else torch.preserve_format
    return model.to(device, memory_format=fmt), plain.to(device, memory_format=fmt), images.to(device)


# --------------------------------------------------------------------------------------------------
# Sections.


@dataclass
class Section:
    title: str
    batch: int
    peers: List[Peer]
    steps: int
    burn_in: int


def run_section(section: Section, rounds: int, log=print) -> None:
    """Burn-in for every peer, then ``rounds`` rounds of ``section.steps`` steps each, rotating the order."""
    log(f"\n{section.title}: burn-in ({section.burn_in} steps each; compiled peers compile now)")
    for peer in section.peers:
        start = time.perf_counter()
        peer.time(section.burn_in)
        log(f"  {peer.name:<34} burn-in {time.perf_counter() - start:7.1f} s")
    for r in range(rounds):
        k = r % len(section.peers)
        order = section.peers[k:] + section.peers[:k]
        for peer in order:
            wall, cpu = peer.time(peer.steps or section.steps)
            peer.durations += wall
            peer.cpu += cpu
        log(f"  round {r + 1}/{rounds}: " + ", ".join(f"{p.name} {np.median(p.durations):.3f}" for p in section.peers))


def check_outputs(sections: List[Section], reference: str, tf_check: Optional[np.ndarray]) -> List[tuple]:
    """``(what, max |diff|, limit, ok)`` for every peer's first output against ``reference``'s (first section)."""
    first = {p.name: p.first_output() for p in sections[0].peers}
    ref = first[reference]
    scale = float(ref.abs().max())
    rows = []
    for name, out in first.items():
        if out is None or name == reference or out.shape != ref.shape:
            continue
        delta = out.to(ref.device) - ref
        diff = float(delta.abs().max())
        if "bf16" in name:
            rel = float(delta.norm() / ref.norm())
            rows.append((f"{name}: relative RMS error (max |diff| {diff:.3f}, max |logit| {scale:.2f})", rel,
                         BF16_REL_RMS_TOL, rel <= BF16_REL_RMS_TOL))
        else:
            rows.append((name, diff, FP32_TOL, diff <= FP32_TOL))
    if tf_check is not None:
        diff = float(np.abs(tf_check.reshape(ref.shape) - ref.cpu().numpy()).max())
        rows.append(("TF-Slim fp32 (restored from torchslim's checkpoint)", diff, FP32_TOL, diff <= FP32_TOL))
    return rows


def format_table(sections: List[Section], clock: str = "wall") -> str:
    """Mean +/- sd and median seconds per batch, CPU seconds, images/s and the ratios to TF-Slim and plain."""
    head = (f"{'peer':<36} {'sec/batch mean +/- sd':>22} {'median':>8} {'CPU s':>7} {'images/s':>9} "
            f"{'x TF-Slim':>10} {'x plain':>8}")
    lines = [head, "-" * len(head)]
    for s in sections:
        lines.append(f"{s.title}")
        per_batch = {p.name: float(np.median(p.cpu if clock == "cpu" else p.durations)) for p in s.peers if p.durations}
        ips = {name: s.batch / sec for name, sec in per_batch.items()}
        tf = next((v for k, v in ips.items() if k.startswith("TF-Slim")), None)
        plain = next((v for k, v in ips.items() if k.startswith("plain")), None)
        for p in s.peers:
            if not p.durations:
                continue
            mn, sd = mean_sd(p.durations)
            r_tf = f"{ips[p.name] / tf:10.2f}" if tf else f"{'-':>10}"
            r_plain = f"{ips[p.name] / plain:8.2f}" if plain else f"{'-':>8}"
            lines.append(f"  {p.name:<34} {mn:>12.4f} +/- {sd:<6.4f} {np.median(p.durations):>8.4f} "
                         f"{np.median(p.cpu):>7.3f} {ips[p.name]:>9.1f} {r_tf} {r_plain}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Main.


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--net", default="resnet_v2_50", help="resnet_v1/v2_{50,101,152,200} (resnet_v2_50)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=None, help="rounds per section (4; --quick: 2)")
    p.add_argument("--quick", action="store_true", help="few steps: checks that every row runs")
    p.add_argument("--tf-python", help="interpreter with tensorflow + tf_slim ('none': skip TF-Slim)")
    p.add_argument("--no-compile", action="store_true", help="leave out the compiled peers")
    p.add_argument("--compile-training", action="store_true", help="add a compiled torchslim training step")
    p.add_argument("--sections", default="inference,batch1,training",
                   help="comma-separated subset of inference,batch1,training")
    p.add_argument("--lr", type=float, default=1e-3, help="SGD learning rate of the training step")
    p.add_argument("--device", default="cpu", help="cpu or cuda (TF-Slim runs on CPU only: skipped on cuda)")
    p.add_argument("--threads", type=int, default=0,
                   help="threads for every peer (0: each library's default, all cores); 1 gives fair "
                        "ratios on a machine that other jobs share")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="what images/s and the ratios are computed from: wall time (default), or the "
                        "process's CPU time, steadier on a busy machine (use with --threads 1)")
    p.add_argument("--release-memory", action="store_true",
                   help="leave glibc's default of unmapping freed blocks (default: keep freed memory for the next "
                        "step in this process, as TF-Slim's allocator does in its own)")
    p.add_argument("--json", help="also write the results to this JSON file")
    return p.parse_args(argv)


def start_tf(args, model: slim.Model, images: torch.Tensor, workdir: str, wanted: List[str]) -> Optional[TFSlimWorker]:
    python = find_tf_python(args.tf_python)
    if python is None or args.device != "cpu":
        print("TF-Slim: skipped (no interpreter with tensorflow and tf_slim; see --tf-python)"
              if python is None else "TF-Slim: skipped (it runs on CPU only)")
        return None
    ckpt = model.save_checkpoint(os.path.join(workdir, "model.ckpt"))
    np.save(os.path.join(workdir, "images.npy"), images.cpu().numpy())
    batch_sizes = [args.batch_size] + ([1] if "batch1" in wanted else [])
    worker_args = ["--net", args.net, "--batch-sizes", *map(str, batch_sizes), "--batch-size", str(args.batch_size),
                   "--image-size", str(args.image_size), "--num-classes", str(args.num_classes),
                   "--input", os.path.join(workdir, "images.npy"), "--checkpoint", ckpt,
                   "--check-output", os.path.join(workdir, "tf_logits.npy"), "--lr", str(args.lr),
                   "--threads", str(args.threads)]
    if "training" in wanted:
        worker_args.append("--train")
    print(f"TF-Slim: starting {WORKER} under {python}")
    return TFSlimWorker(python, worker_args)


def make_sections(args, model, plain, images, tf: Optional[TFSlimWorker], wanted: List[str]) -> List[Section]:
    quick = args.quick
    b = args.batch_size
    sections = []
    if "inference" in wanted:
        peers = [torch_peer("torchslim eager", make_step(model, images)),
                 torch_peer("plain nn.Module eager", make_step(plain, images)),
                 torch_peer("torchslim eager, end points kept", make_step(model, images, end_points=True))]
        if tf:
            peers.insert(0, Peer("TF-Slim fp32", lambda n: tf.time(f"infer{b}", n)))
        # without native bf16 (AVX-512 BF16 / AMX) a CPU emulates it, many times slower: one step a round
        peers.append(torch_peer("torchslim bf16 autocast", make_step(model, images, precision="bf16"), steps=1))
        if not args.no_compile:
            compiled = copy.deepcopy(model).compile("inference")
            peers.append(torch_peer("torchslim compiled", make_step(compiled, images)))
            peers.append(torch_peer("torchslim bf16 + compiled", make_step(compiled, images, precision="bf16"),
                                    steps=1))
        sections.append(Section(f"inference, batch {b}", b, peers, steps=1 if quick else 2, burn_in=1 if quick else 2))
    if "batch1" in wanted:
        one = images[:1].clone()
        peers = [torch_peer("plain nn.Module eager", make_step(plain, one)),
                 torch_peer("torchslim eager", make_step(model, one))]
        if tf:
            peers.insert(0, Peer("TF-Slim fp32", lambda n: tf.time("infer1", n)))
        sections.append(Section("inference, batch 1", 1, peers, steps=5 if quick else 20, burn_in=3))
    if "training" in wanted:
        sgd = lambda m: torch.optim.SGD(m.parameters(), lr=args.lr)  # noqa: E731
        peers = [torch_peer("plain nn.Module eager", make_step(plain, images, "forward-backward", optimizer=sgd(plain))),
                 torch_peer("torchslim eager", make_step(model, images, "forward-backward", optimizer=sgd(model)))]
        if tf:
            peers.insert(0, Peer("TF-Slim fp32", lambda n: tf.time("train", n)))
        if args.compile_training:
            trained = copy.deepcopy(model).compile("training")
            peers.append(torch_peer("torchslim compiled",
                                    make_step(trained, images, "forward-backward", optimizer=sgd(trained))))
        sections.append(Section(f"training step (fwd + bwd + SGD), batch {b}", b, peers, steps=1, burn_in=1))
    return sections


def main(argv=None) -> int:
    args = parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 4)
    wanted = [s.strip() for s in args.sections.split(",") if s.strip()]
    device = torch.device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    kept = not args.release_memory and keep_freed_memory()
    start = time.perf_counter()
    print(f"{args.net}, batch {args.batch_size}, {args.image_size}x{args.image_size}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.processor() or platform.machine()}; freed memory "
          f"{'kept in the process (torchslim.bench.keep_freed_memory)' if kept else 'returned to the OS'}")
    model, plain, images = build_models(args.net, args.batch_size, args.image_size, args.num_classes, device)
    workdir = tempfile.mkdtemp(prefix="torchslim-compare-")
    tf = start_tf(args, model, images, workdir, wanted)
    try:
        tf_check = None
        if tf:
            info = tf.wait_ready()
            print(f"TF-Slim: TensorFlow {info['tensorflow']}, weights restored: {info['restored']}")
            if info["restored"] is True:
                tf_check = np.load(os.path.join(workdir, "tf_logits.npy"))
        sections = make_sections(args, model, plain, images, tf, wanted)
        for section in sections:
            run_section(section, rounds)
    finally:
        if tf:
            tf.close()
        shutil.rmtree(workdir, ignore_errors=True)
    checks = check_outputs(sections, "torchslim eager", tf_check) if "inference" in wanted else []
    print("\nchecks: max |difference| of the first outputs against torchslim's eager fp32 path")
    for what, diff, limit, ok in checks:
        print(f"  {what:<60} {diff:9.2e}  (limit {limit:.0e}) {'ok' if ok else 'FAILED'}")
    print(f"\n{format_table(sections, args.clock)}")
    print(f"\nimages/s = batch / median {'CPU' if args.clock == 'cpu' else 'wall'} seconds per batch; CPU s: median "
          f"process CPU seconds per batch; {rounds} interleaved rounds per section; "
          f"total {time.perf_counter() - start:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "checks": checks, "sections": [
                {"title": s.title, "batch": s.batch,
                 "peers": {p.name: {"wall": p.durations, "cpu": p.cpu} for p in s.peers}}
                for s in sections]}, f, indent=1)
    return 0 if all(ok for *_, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
