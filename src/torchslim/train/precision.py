"""Numeric precision of a run: ``fp32``, or ``bf16`` / ``fp16`` autocast (``--precision`` of the commands)."""

from __future__ import annotations

import contextlib
from typing import Any, Dict

import torch

__all__ = ["PRECISIONS", "autocast"]

#: ``--precision`` value -> the dtype autocast computes in (fp32: no autocast).
PRECISIONS: Dict[str, torch.dtype] = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def autocast(device: Any, precision: str):
    """``torch.autocast`` on ``device``'s type for ``bf16`` / ``fp16``; a null context for ``fp32``.

    Args:
      device: a ``torch.device`` or its name.
      precision: a :data:`PRECISIONS` name.

    Returns:
      A context manager.

    Raises:
      ValueError: for an unknown precision.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"--precision: unknown precision {precision!r}; choose from {', '.join(PRECISIONS)}")
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=torch.device(device).type, dtype=PRECISIONS[precision])
