"""Atomic writes: the old file or the new one, never a torn one."""

import os

import pytest

from torchslim.io import atomic
from torchslim.io.atomic import atomic_open


def test_atomic_open_leaves_the_old_file_when_the_write_fails(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write(b"new, partial")
            raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f"]
    atomic.atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
