"""CPU memory policy: keep freed memory in the process, as TF's allocator does (on by default).

PyTorch's CPU tensors come from ``malloc``, and glibc serves every block above its mmap threshold
(128 KiB, rising to at most 32 MiB) with a fresh ``mmap`` and unmaps it on ``free``. So each step
of an eager net faults its activations in again, page by page, each page zeroed by the kernel:
~3 GB a step for ResNet-50 at batch 32, a quarter of the step's time on a 2-core machine. TF's
allocator keeps a pool and never pays this.

So the first call of a :class:`torchslim.Model` on CPU tells glibc (``mallopt``) to serve large
blocks from the heap and to keep freed memory there for the next step. The process's memory then
stays at its peak. PyTorch has no CPU caching allocator to turn on from Python, and jemalloc or
tcmalloc can only be chosen when a process starts (``LD_PRELOAD``), so ``mallopt`` is what a
running process can do. Where the C library is not glibc nothing changes.

Opting out, for a process that must hand memory back (a long-lived server between requests):

- set the environment variable ``TORCHSLIM_KEEP_FREED_MEMORY=0`` (also ``false``, ``no``, ``off``)
  before the first model call; or
- call :func:`release_freed_memory` (before or after the first call: it restores glibc's limits
  and returns the kept memory, and models no longer change the policy).

:func:`keep_freed_memory` applies the policy at once (benchmarks call it before anything runs).
"""

from __future__ import annotations

import ctypes
import os
import platform

__all__ = ["ENV_VAR", "keep_freed_memory", "release_freed_memory", "apply_default_policy"]

ENV_VAR = "TORCHSLIM_KEEP_FREED_MEMORY"
_OFF = ("0", "false", "no", "off")

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h) and their defaults
_M_MMAP_MAX = -4
_DEFAULT_TRIM_THRESHOLD = 128 * 1024
_DEFAULT_MMAP_MAX = 65536

_decided = False  # set once the policy was applied, opted out of, or chosen explicitly


def _glibc():
    """The process's C library, if it is glibc (None otherwise)."""
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 (raises AttributeError where it is missing)
    except (OSError, AttributeError):
        return None
    return libc


def keep_freed_memory() -> bool:
    """Makes glibc's ``malloc`` keep freed memory in the process instead of giving it back to the OS.

    Large blocks come from the heap (``M_MMAP_MAX = 0``) and the heap is never trimmed
    (``M_TRIM_THRESHOLD`` at its maximum). Process-wide, until :func:`release_freed_memory`.

    Returns:
      True if applied; False where the C library is not glibc.
    """
    global _decided
    _decided = True
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1))


def release_freed_memory() -> bool:
    """Opts out: restores glibc's limits, returns the kept memory, and stops models applying the policy.

    Returns:
      True if glibc's limits were restored; False where the C library is not glibc.
    """
    global _decided
    _decided = True
    libc = _glibc()
    if libc is None:
        return False
    restored = bool(libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)) and bool(
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM_THRESHOLD))
    libc.malloc_trim(0)
    return restored


def apply_default_policy() -> None:
    """What a model's CPU call does: keeps freed memory, once, unless the process opted out.

    Cheap after the first call (one flag test). Honours :data:`ENV_VAR` and an earlier
    :func:`keep_freed_memory` / :func:`release_freed_memory`.
    """
    global _decided
    if _decided:
        return
    _decided = True
    if os.environ.get(ENV_VAR, "").strip().lower() not in _OFF:
        keep_freed_memory()
