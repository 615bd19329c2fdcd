"""Running ``torchslim`` commands in the test process."""

from __future__ import annotations

import contextlib
import io

from torchslim.cli import main

# A short run: the default net on 16x16 digits, one thread so that every run of it is bit-identical.
SHORT = ["--image_size", "16", "--batch_size", "32", "--learning_rate", "0.2", "--no_progress",
         "--num_threads", "1", "--eval_batch_size", "360"]


def run_cli(*argv):
    """``(exit status, stdout, stderr)`` of ``torchslim *argv`` run in this process."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse: --help and usage errors
            status = exc.code
    return status, out.getvalue(), err.getvalue()
