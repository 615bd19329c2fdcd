"""The ``torchslim`` command: ``train | eval | benchmark | summary | inspect | convert | convert-data |
export | classify``.

Each command lives with the code it drives; this module only dispatches. A command's module is
imported when that command runs, so ``torchslim inspect`` does not pay for the training stack.
Every command module provides ``add_<name>_parser(subparsers)`` and ``run_<name>(args) -> int``
(``-`` in a command's name is ``_`` in those function names).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Dict, List, Optional, Tuple

# name -> (module, one-line help)
COMMANDS: Dict[str, Tuple[str, str]] = {
    "train": ("torchslim.train.cli", "train a Slim net (default: a ResNet on the embedded digits data)"),
    "eval": ("torchslim.train.cli", "evaluate a checkpoint or run directory"),
    "benchmark": ("torchslim.bench", "time a Slim net's forward (and backward) pass"),
    "summary": ("torchslim.summary", "list a net's variables, end points and parameter count"),
    "inspect": ("torchslim.checkpoint.cli", "list or print the tensors of a checkpoint"),
    "convert": ("torchslim.checkpoint.cli", "convert checkpoints between TF and safetensors"),
    "export": ("torchslim.export.cli", "write a net with its weights as an ONNX or torch.export (.pt2) file"),
    "classify": ("torchslim.export.cli", "top-5 classes of images with a Slim net and checkpoint"),
    "convert-data": ("torchslim.datasets.convert", "write an image folder as Slim's TFRecord shards + labels.txt"),
}


def _identifier(command: str) -> str:
    """The command's name as it appears in its module's function names."""
    return command.replace("-", "_")


def _top_parser() -> argparse.ArgumentParser:
    lines = "\n".join(f"  {name:<13} {help_}" for name, (_, help_) in COMMANDS.items())
    return argparse.ArgumentParser(
        prog="torchslim",
        description="TF-Slim's scripts on PyTorch.",
        epilog=f"commands:\n{lines}\n\nRun 'torchslim COMMAND --help' for a command's flags.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser(command: str) -> argparse.ArgumentParser:
    """The parser with ``command``'s sub-parser (imports only that command's module)."""
    parser = _top_parser()
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    module = importlib.import_module(COMMANDS[command][0])
    getattr(module, f"add_{_identifier(command)}_parser")(subparsers)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        parser = _top_parser()
        if not argv or argv[0] in ("-h", "--help"):
            parser.print_help()
            return 0 if argv else 2
        parser.print_usage(sys.stderr)
        print(f"torchslim: unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    command = argv[0]
    args = build_parser(command).parse_args(argv)
    module = importlib.import_module(COMMANDS[command][0])
    return int(getattr(module, f"run_{_identifier(command)}")(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
