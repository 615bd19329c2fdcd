"""``torchslim benchmark NET``: time a Slim net's forward (and backward) pass, as the seed's timing script.

The seed (page 001) times ``session.run(net)`` for ResNet-152 v2: 10 burn-in steps, then 100 batches,
a line every 10 steps and ``mean +/- sd sec / batch`` (population standard deviation). This module
keeps that report (:func:`time_run`, also used by ``examples/resnet_v2_152_timing.py``) and adds
images per second and peak memory, for any net of :mod:`torchslim.nets.nets_factory`, in eager or
compiled mode, in float32 or under ``bfloat16`` / ``float16`` autocast, on CPU or CUDA::

    torchslim benchmark resnet_v2_152                      # the seed's run
    torchslim benchmark resnet_v2_50 --precision bf16 --compile
    torchslim benchmark resnet_v2_50 --mode forward-backward --batch-size 16 --json

Modes: ``forward`` is inference (``model.eval()``, ``torch.inference_mode()``: batch norm
with its moving statistics); ``forward-backward`` is a training-mode forward (batch statistics, moving
averages updated), the loss ``0.5 * mean(logits ** 2)`` and its gradients to every parameter (the
seed's ``tf.gradients(l2_loss, parameters)``), without an optimizer step.

Like the seed's ``session.run(net)``, a step computes the logits only: the end points are not
collected (``torchslim.utils.collecting_outputs(False)``), so each activation is freed once the
next layer has read it; ``--end-points`` keeps them all alive until the step returns.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Callable, List, Optional, Tuple

import torch

from torchslim.memory import keep_freed_memory, release_freed_memory
from torchslim.nets import nets_factory
from torchslim.train.precision import PRECISIONS, autocast
from torchslim.utils import collecting_outputs

__all__ = ["PRECISIONS", "MODES", "keep_freed_memory", "BenchmarkResult", "time_run", "mean_sd", "PeakMemory",
           "random_batch", "make_step", "benchmark", "format_result"]

MODES = ("forward", "forward-backward")
_INFO = {"forward": "Forward", "forward-backward": "Forward-backward"}


# --------------------------------------------------------------------------------------------------
# The seed's report.


def mean_sd(durations: List[float]) -> Tuple[float, float]:
    """Mean and population standard deviation, computed as the seed does (from sums of squares)."""
    n = len(durations)
    if n == 0:
        return 0.0, 0.0
    mn = sum(durations) / n
    vr = sum(d * d for d in durations) / n - mn * mn
    return mn, math.sqrt(max(vr, 0.0))


def time_run(run: Callable[[], Any], info_string: str, num_batches: int, num_steps_burn_in: int = 10,
             log: Optional[Callable[[str], None]] = print) -> List[float]:
    """Times ``run()`` like the seed's ``time_tensorflow_run(session, target, info_string)``.

    Runs ``num_steps_burn_in + num_batches`` steps; the first ``num_steps_burn_in`` are not timed.
    Prints ``<now>: step <i>, duration = <s>`` every 10 timed steps and finally
    ``<now>: <info_string> across <n> steps, <mean> +/- <sd> sec / batch``.

    Args:
      run: one step; it must finish its work before returning (synchronize CUDA inside it).
      info_string: what is timed, e.g. ``'Forward'``.
      num_batches: timed steps.
      num_steps_burn_in: untimed steps first.
      log: where the lines go (None: nowhere).

    Returns:
      The durations of the timed steps, in seconds.
    """
    durations: List[float] = []
    for i in range(num_batches + num_steps_burn_in):
        start_time = time.perf_counter()
        run()
        duration = time.perf_counter() - start_time
        if i >= num_steps_burn_in:
            if not i % 10 and log is not None:
                log('%s: step %d, duration = %.3f' % (datetime.now(), i - num_steps_burn_in, duration))
            durations.append(duration)
    if log is not None:
        mn, sd = mean_sd(durations)
        log('%s: %s across %d steps, %.3f +/- %.3f sec / batch' % (datetime.now(), info_string, num_batches, mn, sd))
    return durations


# --------------------------------------------------------------------------------------------------
# Peak memory.


def _rss_bytes() -> Optional[int]:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _hwm_bytes() -> Optional[int]:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _reset_hwm() -> bool:
    """Resets the kernel's peak-RSS mark of this process (Linux ``clear_refs`` value 5)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class PeakMemory:
    """Measures the peak memory of the code inside ``with PeakMemory(device) as peak:``.

    CUDA: ``torch.cuda.max_memory_allocated`` (reset on entry). CPU: the process's peak resident
    set size minus its size on entry (Linux ``VmHWM``, reset on entry; elsewhere the growth of
    ``ru_maxrss``, which misses peaks lower than an earlier one).

    Attributes:
      bytes: the peak, after the block (None where it cannot be measured).
      kind: what ``bytes`` means, in words.
    """

    def __init__(self, device: torch.device):
        self.device = torch.device(device)
        self.bytes: Optional[int] = None
        self.kind = ""

    def __enter__(self) -> "PeakMemory":
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
            self.kind = "CUDA max_memory_allocated"
        else:
            self._base = _rss_bytes()
            self._hwm = self._base is not None and _reset_hwm() and _hwm_bytes() is not None
            self._maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            self.kind = ("CPU peak RSS increase" if self._hwm
                         else "CPU peak RSS increase (ru_maxrss growth, a lower bound)")
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
            self.bytes = torch.cuda.max_memory_allocated(self.device)
        elif self._hwm:
            self.bytes = max(_hwm_bytes() - self._base, 0)
        else:
            self.bytes = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - self._maxrss, 0)


# --------------------------------------------------------------------------------------------------
# What is timed.


def random_batch(model: torch.nn.Module, batch_size: int, image_size: int = 0, device: Any = "cpu",
                 channels: int = 3) -> torch.Tensor:
    """A uniform random NHWC batch for ``model`` (``image_size`` 0: the model's ``default_image_size``).

    A video net's model (with ``default_num_frames``: I3D, S3D-G) gets ``[N, frames, H, W, C]`` clips.
    """
    size = image_size or getattr(model, "default_image_size", 224)
    frames = getattr(model, "default_num_frames", None)
    return torch.rand([batch_size] + ([frames] if frames else []) + [size, size, channels], device=device)


def _first_tensor(outputs: Any) -> torch.Tensor:
    """The logits of ``(logits, end_points)`` (or the output itself)."""
    if isinstance(outputs, (tuple, list)):
        return outputs[0]
    return outputs


def make_step(model: torch.nn.Module, inputs: torch.Tensor, mode: str = "forward", precision: str = "fp32",
              optimizer: Optional[torch.optim.Optimizer] = None,
              end_points: bool = False) -> Callable[[], torch.Tensor]:
    """One benchmark step of ``model`` on ``inputs`` (in ``model.eval()`` or ``model.train()``, set at every step).

    Args:
      model: a built model (``slim.Model``, or any module taking the NHWC batch).
      inputs: the batch.
      mode: ``'forward'`` (inference) or ``'forward-backward'`` (training-mode forward, the loss
        ``0.5 * mean(logits ** 2)`` and its gradients).
      precision: ``'fp32'``, ``'bf16'`` or ``'fp16'`` (autocast around the forward).
      optimizer: with ``'forward-backward'``, also ``optimizer.step()`` (a full training step).
      end_points: collect the net's end points (every activation then stays alive until the
        call returns). False computes the logits only, as the seed's ``session.run(net)``
        (see :func:`torchslim.utils.collecting_outputs`).

    Returns:
      A function running one step and returning its output (the loss in training modes); on CUDA
      it synchronizes before returning.

    Raises:
      ValueError: for an unknown mode or precision.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    device = inputs.device
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    # The mode is set at every step too: steps of several modes made for one model may interleave.
    if mode == "forward":
        model.eval()

        def forward() -> torch.Tensor:
            if model.training:
                model.eval()
            with torch.inference_mode(), autocast(device, precision), collecting_outputs(end_points):
                out = _first_tensor(model(inputs))
            sync()
            return out

        return forward
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]

    def forward_backward() -> torch.Tensor:
        if not model.training:
            model.train()
        for p in params:
            p.grad = None
        with autocast(device, precision), collecting_outputs(end_points):
            logits = _first_tensor(model(inputs))
        loss = 0.5 * logits.float().square().mean()
        loss.backward()
        if optimizer is not None:
            optimizer.step()
        sync()
        return loss

    return forward_backward


@dataclass
class BenchmarkResult:
    """What :func:`benchmark` measured (``asdict`` gives the ``--json`` output)."""

    network: str
    mode: str
    precision: str
    compiled: bool
    end_points: bool
    device: str
    threads: int
    batch_size: int
    input_shape: List[int]
    parameters: int
    burn_in: int
    num_batches: int
    mean_sec: float
    sd_sec: float
    images_per_sec: float
    peak_memory_bytes: Optional[int]
    peak_memory_kind: str
    durations: List[float] = field(default_factory=list)


def benchmark(name: str, batch_size: int = 32, num_batches: int = 100, mode: str = "forward",
              precision: str = "fp32", compile: bool = False, device: str = "cpu", image_size: int = 0,
              num_classes: int = 1000, burn_in: int = 10, end_points: bool = False,
              log: Optional[Callable[[str], None]] = print) -> BenchmarkResult:
    """Builds net ``name`` and times ``burn_in + num_batches`` steps (see the module docstring).

    Peak memory covers the burn-in and the timed steps (so a compilation in the first step counts)
    and leaves out the weights and the input, which exist before.

    Args:
      name: a network name (``nets_factory.list_networks()``).
      batch_size, num_batches, burn_in: as the seed (32, 100, 10).
      mode: ``'forward'`` or ``'forward-backward'``.
      precision: ``'fp32'``, ``'bf16'`` or ``'fp16'`` autocast.
      compile: run through ``model.compile()`` (``'inference'`` or ``'training'`` settings).
      device: ``'cpu'`` or ``'cuda'``.
      image_size: input height and width (0: the net's default).
      num_classes: logits width (0: no logits layer).
      end_points: also collect the end points (see :func:`make_step`).
      log: where the seed's lines go (None: nowhere).

    Returns:
      A :class:`BenchmarkResult`.

    Raises:
      ValueError: for an unknown network, mode or precision, a non-positive size, or CUDA
        unavailable.
    """
    if batch_size < 1 or num_batches < 1 or burn_in < 0:
        raise ValueError("batch size and number of batches must be positive, burn-in not negative")
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    autocast("cpu", precision)  # validates the precision before the (slow) build
    if torch.device(device).type == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: CUDA is not available on this machine")
    torch.manual_seed(0)
    model = nets_factory.build_model(name, num_classes=num_classes, image_size=image_size, device=device)
    inputs = random_batch(model, batch_size, image_size, device)
    if compile:
        model.compile("inference" if mode == "forward" else "training")
    step = make_step(model, inputs, mode, precision, end_points=end_points)
    dev = inputs.device
    threads = torch.get_num_threads()
    if log is not None:
        log("%s: %s, %s%s%s, %s (%d threads), input %s, %.1fM parameters" % (
            name, mode, precision, ", compiled" if compile else "", ", end points" if end_points else "", dev,
            threads, list(inputs.shape), sum(p.numel() for p in model.parameters()) / 1e6))
    with PeakMemory(dev) as peak:
        durations = time_run(step, _INFO[mode], num_batches, burn_in, log)
    mn, sd = mean_sd(durations)
    return BenchmarkResult(
        network=name, mode=mode, precision=precision, compiled=compile, end_points=end_points, device=str(dev),
        threads=threads,
        batch_size=batch_size, input_shape=list(inputs.shape),
        parameters=sum(p.numel() for p in model.parameters()), burn_in=burn_in, num_batches=num_batches,
        mean_sec=mn, sd_sec=sd, images_per_sec=batch_size / mn if mn > 0 else float("inf"),
        peak_memory_bytes=peak.bytes, peak_memory_kind=peak.kind, durations=durations)


def format_result(result: BenchmarkResult) -> str:
    """The lines printed after the seed's report: images/s and peak memory."""
    peak = ("n/a" if result.peak_memory_bytes is None
            else "%.1f MiB" % (result.peak_memory_bytes / 2 ** 20))
    return "images/s: %.1f\npeak memory: %s (%s)" % (result.images_per_sec, peak, result.peak_memory_kind)


# --------------------------------------------------------------------------------------------------
# The command.


def add_benchmark_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``benchmark`` command."""
    parser = subparsers.add_parser(
        "benchmark", help="time a Slim net's forward (and backward) pass",
        description="Time a net from the factory on a random NHWC batch: burn-in steps, then the "
                    "seed's per-step lines and 'mean +/- sd sec / batch', images/s and peak memory.")
    parser.add_argument("network", nargs="?", help="network name, e.g. resnet_v2_152 (see --list)")
    parser.add_argument("--list", action="store_true", help="list the available networks and exit")
    parser.add_argument("--batch-size", "--batch_size", type=int, default=32, help="images per batch (32)")
    parser.add_argument("--num-batches", "--num_batches", type=int, default=100, help="timed batches (100)")
    parser.add_argument("--burn-in", "--burn_in", type=int, default=10, help="untimed batches first (10)")
    parser.add_argument("--mode", choices=MODES, default="forward",
                        help="forward: inference; forward-backward: training-mode forward and gradients")
    parser.add_argument("--precision", choices=tuple(PRECISIONS), default="fp32",
                        help="fp32, or bf16/fp16 autocast (fp32)")
    parser.add_argument("--compile", action="store_true", help="run through model.compile() (torch.compile)")
    parser.add_argument("--end-points", action="store_true",
                        help="also collect the end points (default: the logits only, as session.run(net))")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (cpu)")
    parser.add_argument("--image-size", "--image_size", type=int, default=0,
                        help="input height/width (default: the net's default_image_size)")
    parser.add_argument("--num-classes", "--num_classes", type=int, default=1000,
                        help="logits width; 0 builds the net without logits (1000)")
    parser.add_argument("--num-threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    parser.add_argument("--release-memory", action="store_true",
                        help="give freed blocks back to the OS (on CPU the benchmark otherwise keeps freed "
                             "memory for the next step, as TF's allocator does; see torchslim.memory)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the text report")
    return parser


def run_benchmark(args: argparse.Namespace) -> int:
    """Runs the ``benchmark`` command; returns the exit status."""
    if args.list or not args.network:
        print("\n".join(nets_factory.list_networks()))
        if not args.list:
            print("torchslim benchmark: give a network name")
        return 0 if args.list else 2
    if args.network not in nets_factory.list_networks():
        print(f"torchslim benchmark: unknown network {args.network!r}; 'torchslim benchmark --list' "
              "shows the names")
        return 2
    if args.num_threads > 0:
        torch.set_num_threads(args.num_threads)
    if args.release_memory:
        release_freed_memory()
    elif args.device == "cpu":
        keep_freed_memory()
    try:
        result = benchmark(args.network, args.batch_size, args.num_batches, args.mode, args.precision,
                           args.compile, args.device, args.image_size, args.num_classes, args.burn_in,
                           end_points=args.end_points, log=None if args.json else print)
    except ValueError as err:
        print(f"torchslim benchmark: {err}")
        return 2
    print(json.dumps(asdict(result), indent=1) if args.json else format_result(result))
    return 0
