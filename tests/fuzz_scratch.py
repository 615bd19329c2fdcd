"""Where the fuzz tests of checkpoints and TFRecords write their mutated files (one helper for both)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator


def scratch_folder(tmp_path_factory, prefix: str) -> Iterator[Path]:
    """Yields a folder in memory-backed /dev/shm where there is one (thousands of writes), else a pytest
    temporary folder; removes the /dev/shm one afterwards. Use it as a module fixture's body."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        root = Path(tempfile.mkdtemp(prefix=prefix, dir="/dev/shm"))
        yield root
        shutil.rmtree(root, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("fuzz")
