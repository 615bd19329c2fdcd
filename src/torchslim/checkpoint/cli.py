"""``torchslim inspect`` and ``torchslim convert``: TF's ``inspect_checkpoint.py``, and format conversion.

Both read V2 bundles, V1 files, directories (their latest checkpoint) and safetensors files.
Exit status: 0 on success, 1 when a checkpoint cannot be read or written (corrupt, truncated,
a requested tensor absent, a tensor the output format cannot hold), 2 for bad arguments
(including a path where nothing exists). Errors are one message naming the file, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import glob
import os
import sys
from typing import Iterable

import numpy as np

from .bundle import write_bundle
from .errors import CheckpointError
from .reader import CheckpointReader, open_checkpoint
from .safetensors_io import save_safetensors

__all__ = ["add_inspect_parser", "run_inspect", "add_convert_parser", "run_convert"]


class _UsageError(Exception):
    """Bad arguments: exit status 2."""


# ----------------------------------------------------------------------------- shared

def _fail(command: str, message: str, status: int) -> int:
    print(f"torchslim {command}: {message}", file=sys.stderr)
    return status


def _exists(path: str) -> bool:
    """Whether anything a checkpoint path could refer to exists (file, directory, prefix, V1 glob)."""
    return os.path.exists(path) or os.path.exists(path + ".index") or bool(glob.glob(path))


def _open(path: str) -> CheckpointReader:
    if not _exists(path):
        raise _UsageError(f"{path}: no such checkpoint (no file, directory, {os.path.basename(path)}.index "
                          "or V1 shards at this path)")
    return open_checkpoint(path)


def _run(command: str, body, args) -> int:
    try:
        return body(args)
    except _UsageError as exc:
        return _fail(command, str(exc), 2)
    except CheckpointError as exc:
        return _fail(command, str(exc), 1)
    except BrokenPipeError:                      # e.g. piped into `head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(command, f"{where}{exc.strerror or exc}", 1)


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def _megabytes(nbytes: int) -> str:
    return f"{nbytes / 1e6:,.1f} MB" if nbytes >= 100_000 else f"{nbytes / 1e3:,.1f} kB"


# ----------------------------------------------------------------------------- inspect

def add_inspect_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``torchslim inspect``."""
    parser = subparsers.add_parser(
        "inspect", help="list or print the tensors of a checkpoint",
        description="List the tensors of a checkpoint (names, dtypes, shapes), like TF's "
                    "inspect_checkpoint.py; optionally their statistics or values. PATH is a V2 prefix, "
                    "a V1 .ckpt file, a .safetensors file, or a directory (its latest checkpoint).")
    parser.add_argument("path", metavar="PATH", help="checkpoint prefix, file or directory")
    parser.add_argument("--name", "--tensor_name", action="append", metavar="NAME", dest="names",
                        help="only this tensor (repeat for several)")
    parser.add_argument("--stats", action="store_true",
                        help="add min, max, mean, std and the count of NaN / Inf values")
    parser.add_argument("--values", "--all_tensors", action="store_true", dest="values",
                        help="print the values")
    parser.add_argument("--threshold", type=int, default=1000, metavar="N",
                        help="print at most about N values per tensor (numpy's threshold; default 1000)")
    return parser


def run_inspect(args: argparse.Namespace) -> int:
    """Run ``torchslim inspect``; returns the exit status."""
    return _run("inspect", _inspect, args)


def _inspect(args: argparse.Namespace) -> int:
    reader = _open(args.path)
    names = _chosen_names(reader, args.names)
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    values = int(sum(np.prod(shapes[n], dtype=np.int64) for n in names))
    print(f"{reader.path} ({reader.format}): {_count(len(names), 'tensor')}, {_count(values, 'value')}")
    rows = [[n, dtypes[n], str(shapes[n])] for n in names]
    header = ["name", "dtype", "shape"]
    if args.stats:
        header += ["min", "max", "mean", "std", "nan", "inf"]
        rows = [row + _stats(reader.get_tensor(row[0])) for row in rows]
    _print_table(header, rows)
    if args.values:
        with np.printoptions(threshold=args.threshold):
            for name in names:
                print(f"\ntensor_name: {name}")
                print(reader.get_tensor(name))
    return 0


def _chosen_names(reader: CheckpointReader, wanted: "list[str] | None") -> list[str]:
    if not wanted:
        return reader.names()
    absent = [n for n in wanted if not reader.has_tensor(n)]
    if absent:
        close = difflib.get_close_matches(absent[0], reader.names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise CheckpointError(reader.path, f"no tensor named {absent[0]!r} in this checkpoint{hint}")
    return list(dict.fromkeys(wanted))


def _stats(value: np.ndarray) -> list[str]:
    """``[min, max, mean, std, nan count, inf count]`` as text ('-' where they do not apply)."""
    if value.dtype.kind not in "biufc" or value.size == 0:
        return ["-"] * 6
    if value.dtype.kind == "c":
        value = np.abs(value)
    data = value.astype(np.float64, copy=False)
    nan = inf = 0
    if value.dtype.kind == "f":
        nan, inf = int(np.isnan(data).sum()), int(np.isinf(data).sum())
        data = data[np.isfinite(data)] if nan or inf else data
    if data.size == 0:
        return ["-"] * 4 + [str(nan), str(inf)]
    numbers = (data.min(), data.max(), data.mean(), data.std())
    return [f"{x:.6g}" for x in numbers] + [str(nan), str(inf)]


def _print_table(header: list[str], rows: Iterable[list[str]]) -> None:
    rows = [header] + list(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


# ----------------------------------------------------------------------------- convert

def add_convert_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``torchslim convert``."""
    parser = subparsers.add_parser(
        "convert", help="convert checkpoints between TF and safetensors",
        description="Convert a checkpoint, keeping its TF names and layouts: TF (V1 or V2) to safetensors, "
                    "safetensors to a TF V2 bundle, or V1 to V2. The output format follows DST's extension "
                    "(.safetensors, anything else: a TF prefix) unless --to says otherwise. The output is "
                    "written atomically. bfloat16 tensors are widened to float32.")
    parser.add_argument("src", metavar="SRC", help="checkpoint prefix, file or directory to read")
    parser.add_argument("dst", metavar="DST", help="output: a .safetensors file or a TF checkpoint prefix")
    parser.add_argument("--to", choices=("tf", "safetensors"), help="output format (default: from DST)")
    return parser


def run_convert(args: argparse.Namespace) -> int:
    """Run ``torchslim convert``; returns the exit status."""
    return _run("convert", _convert, args)


def _output(dst: str, to: "str | None") -> tuple[str, str]:
    """``(format, path)`` of the output; a TF path loses a ``.index`` / ``.data-*`` suffix."""
    fmt = to or ("safetensors" if dst.endswith(".safetensors") else "tf")
    if fmt == "tf":
        for suffix in (".index", ".data-00000-of-00001"):
            if dst.endswith(suffix):
                dst = dst[:-len(suffix)]
    if os.path.isdir(dst):
        raise _UsageError(f"{dst} is a directory; give a file name (a .safetensors file or a TF prefix)")
    return fmt, dst


def _convert(args: argparse.Namespace) -> int:
    reader = _open(args.src)
    fmt, dst = _output(args.dst, args.to)
    target_files = [dst] if fmt == "safetensors" else [dst + ".index", dst + ".data-00000-of-00001"]
    source = os.path.abspath(reader.path)
    if any(os.path.abspath(f) in (source, source + ".index") for f in target_files):
        raise _UsageError(f"{dst} is the checkpoint being read; choose another output")
    tensors = reader.read_all()
    os.makedirs(os.path.dirname(os.path.abspath(dst)), exist_ok=True)
    if fmt == "safetensors":
        strings = [n for n, v in tensors.items() if v.dtype.kind in "OSU"]
        if strings:
            raise CheckpointError(reader.path, f"tensor {strings[0]!r} holds strings, which safetensors cannot "
                                  "store; convert to a TF checkpoint instead")
        save_safetensors(dst, tensors)
    else:
        write_bundle(dst, tensors)
    nbytes = sum(v.nbytes for v in tensors.values() if v.dtype.kind not in "OSU")
    print(f"wrote {dst} ({'safetensors' if fmt == 'safetensors' else 'TF V2'}, {_count(len(tensors), 'tensor')}, "
          f"{_megabytes(nbytes)}) from {reader.path} ({reader.format})")
    return 0
