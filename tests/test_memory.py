"""``torchslim.memory``: freed CPU memory is kept in the process by default, with an opt-out.

The policy is process-wide, so each case runs in a fresh interpreter: it allocates and frees a
256 MiB tensor and reports how much of it the process still holds (glibc unmaps such a block on
``free`` unless told to keep it).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt and /proc: Linux only")

_KEPT_AFTER_FREE = """
import sys, torch
import torchslim as slim
from torchslim import memory
def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20
for step in sys.argv[1:]:
    if step == "keep":
        assert memory.keep_freed_memory()
    elif step == "release":
        assert memory.release_freed_memory()
    elif step == "model":      # a user's plain script: a model called on CPU, nothing else
        slim.Model(lambda x: slim.conv2d(x, 2, 1))(torch.ones(1, 4, 4, 3))
before = rss_mib()
big = torch.ones(64 * 2 ** 20)   # 256 MiB, touched
del big
print(rss_mib() - before)
"""


def kept_mib(*steps, env=None):
    out = subprocess.run([sys.executable, "-c", _KEPT_AFTER_FREE, *steps], capture_output=True, text=True,
                         check=True, env={**os.environ, **(env or {})})
    return float(out.stdout.strip().splitlines()[-1])


def test_keep_freed_memory_keeps_a_freed_block_in_the_process():
    """Without it glibc unmaps a freed 256 MiB tensor at once; with it the pages stay for the next step."""
    assert kept_mib("default") < 64
    assert kept_mib("keep") > 200


def test_a_model_called_on_cpu_keeps_freed_memory_by_default():
    assert kept_mib("model", env={"TORCHSLIM_KEEP_FREED_MEMORY": ""}) > 200


@pytest.mark.parametrize("value", ["0", "false", "off"])
def test_the_environment_variable_opts_out(value):
    assert kept_mib("model", env={"TORCHSLIM_KEEP_FREED_MEMORY": value}) < 64


def test_release_freed_memory_opts_out_before_the_first_call():
    assert kept_mib("release", "model") < 64


def test_release_freed_memory_after_keeping_gives_memory_back():
    assert kept_mib("model", "release") < 64
