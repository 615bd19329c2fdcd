"""``time_limit``: fail a test whose code hangs, for the fuzz tests of readers (checkpoints, TFRecords)."""

from __future__ import annotations

import contextlib
import signal
from typing import Iterator


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raises TimeoutError in the body if it runs longer than ``seconds`` (SIGALRM; main thread only)."""
    def fail(*_):
        raise TimeoutError(f"reader hung for more than {seconds} s")
    old = signal.signal(signal.SIGALRM, fail)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
