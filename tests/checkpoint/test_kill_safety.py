"""SIGKILL a process that is writing checkpoints, at random moments: the latest one must still load.

After every kill, ``latest_checkpoint(dir)`` must name a checkpoint that loads and equals one the
writer had completely saved (or was just completing when it died): never a torn, mixed or deleted
one. The writer (``_kill_writer.py``) runs in its own process; the next round continues in the same
directory, so leftovers of a killed save (temporary files, a half-replaced checkpoint) are in the way.
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from torchslim.checkpoint import latest_checkpoint, load

from ._kill_writer import MODES, expected_value

ROUNDS = 4            # kills per mode
TIMEOUT = 120.0       # seconds for any one wait on the writer


class _Writer:
    """The forking writer process and its output lines."""

    def __init__(self, stderr_path: Path) -> None:
        self.stderr = open(stderr_path, "w+b")
        script = Path(__file__).with_name("_kill_writer.py")
        self.proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, bufsize=0)
        self.buffer = b""

    def start(self, mode: str, directory: Path, step: int) -> None:
        self.proc.stdin.write(f"{mode} {directory} {step}\n".encode())
        self.proc.stdin.flush()

    def read_line(self) -> str:
        deadline = time.monotonic() + TIMEOUT
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self.proc.stdout], [], [], max(left, 0))
            chunk = os.read(self.proc.stdout.fileno(), 65536) if ready else b""
            if not chunk:
                self.stderr.seek(0)
                pytest.fail(f"checkpoint writer stopped or hung; its stderr:\n{self.stderr.read().decode()}")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=TIMEOUT)
        self.stderr.close()


def _kill_one_round(writer: _Writer, mode: str, directory: Path, step: int, rng: random.Random) -> list[int]:
    """Start a writer at ``step``, let it save 1-3 checkpoints, SIGKILL it a moment later; return the steps."""
    writer.start(mode, directory, step)
    pid, saved = None, []
    wanted = rng.randint(1, 3)
    while pid is None or len(saved) < wanted:
        kind, value = writer.read_line().split()
        if kind == "pid":
            pid = int(value)
        else:
            saved.append(int(value))
    time.sleep(rng.uniform(0.0, 0.15))
    os.kill(pid, signal.SIGKILL)
    while True:                                        # lines written before the kill
        ready, _, _ = select.select([writer.proc.stdout], [], [], 0.2)
        if not ready and b"\n" not in writer.buffer:
            break
        if ready:
            writer.buffer += os.read(writer.proc.stdout.fileno(), 65536)
        while b"\n" in writer.buffer:
            saved.append(int(writer.read_line().split()[1]))
    return saved


def _check_latest(directory: Path, allowed: set[int]) -> int:
    latest = latest_checkpoint(directory)
    assert latest is not None, f"{directory}: no loadable latest checkpoint after a kill"
    values = load(latest)
    step = int(values["net/step"])
    assert step in allowed, f"{latest} holds step {step}, which was never completely saved ({sorted(allowed)})"
    for name, value in values.items():
        np.testing.assert_array_equal(value, expected_value(name, value.shape, step), err_msg=f"{latest}: {name}")
    return step


def test_latest_checkpoint_survives_sigkill_at_random_moments(tmp_path):
    rng = random.Random(0)                              # the kill moments also depend on scheduling
    writer = _Writer(tmp_path / "writer.stderr")
    try:
        for mode in MODES:
            directory = tmp_path / mode
            directory.mkdir()
            step, completed = 0, set()
            for _ in range(ROUNDS):
                saved = _kill_one_round(writer, mode, directory, step, rng)
                completed.update(saved)
                # the save after the last reported one may have completed just before the kill
                found = _check_latest(directory, completed | {saved[-1] + 1})
                step = max(found, saved[-1]) + 1
    finally:
        writer.close()
