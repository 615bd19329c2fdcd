"""Where this process stands in a run: :class:`DistributedContext` (rank, world size, device, chief).

One process trains alone (rank 0 of 1, the chief). Under ``torchrun`` each process joins the
``torch.distributed`` process group (:func:`join`) and trains on its own device; the chief (rank 0)
writes every file, the others wait at barriers. :func:`current` reads the state of
``torch.distributed`` as it is, so ``slim.learning.train`` and the run directory work the same
whether the job or the user's own script set the group up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import torch

__all__ = ["DistributedContext", "current", "join", "leave"]


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in a run.

    Attributes:
      rank: this process's rank (0 when alone).
      world_size: the number of processes.
      device: the device this process trains on.
      initialized: whether a ``torch.distributed`` process group is active (collectives needed).
    """

    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    initialized: bool = False

    @property
    def is_chief(self) -> bool:
        """Whether this process writes the run's files (rank 0)."""
        return self.rank == 0

    @property
    def uses_cuda_collectives(self) -> bool:
        """Whether the process group's collectives take CUDA tensors (the NCCL backend)."""
        return self.initialized and torch.distributed.get_backend() == "nccl"

    def barrier(self) -> None:
        """Waits for every process (nothing to wait for when alone)."""
        if self.initialized:
            torch.distributed.barrier()


def current() -> DistributedContext:
    """The context of ``torch.distributed`` as it stands now (alone on the CPU when no group is active)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return DistributedContext()
    nccl = torch.distributed.get_backend() == "nccl"
    device = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
    return DistributedContext(torch.distributed.get_rank(), torch.distributed.get_world_size(), device, True)


def join(device_flag: Optional[str] = None) -> DistributedContext:
    """Picks this process's device and, under ``torchrun`` (``WORLD_SIZE > 1``), joins the process group.

    Args:
      device_flag: ``'cpu'``, ``'cuda'`` or None (CUDA when available); with several processes
        on CUDA, each takes the GPU of its ``LOCAL_RANK`` (backend NCCL; gloo on CPU).

    Returns:
      The context.

    Raises:
      ValueError: naming ``--device`` for another value, or ``cuda`` without a CUDA device.
    """
    if device_flag not in (None, "cpu", "cuda"):
        raise ValueError(f"--device: expected cpu or cuda, got {device_flag!r}")
    if device_flag == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available (use --device cpu)")
    want_cuda = device_flag == "cuda" or (device_flag is None and torch.cuda.is_available())
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistributedContext(device=torch.device("cuda" if want_cuda else "cpu"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if want_cuda:
        torch.cuda.set_device(local_rank)
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend="nccl" if want_cuda else "gloo")
    device = torch.device("cuda", local_rank) if want_cuda else torch.device("cpu")
    return DistributedContext(torch.distributed.get_rank(), torch.distributed.get_world_size(), device, True)


def leave(context: DistributedContext) -> None:
    """Leaves the process group that :func:`join` joined (nothing when the process was alone)."""
    if context.world_size > 1 and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
