"""Errors raised by the checkpoint reader and writer, and :func:`checkpoint_errors` that makes them so."""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

from torchslim.io.errors import FileFormatError

__all__ = ["CheckpointError", "RestoreError", "checkpoint_errors"]

F = TypeVar("F", bound=Callable)


class CheckpointError(FileFormatError):
    """A checkpoint file is missing, corrupt, truncated or unsupported.

    The message always names the file and what is wrong with it.
    ``path`` holds the file name (or ``None`` when no single file is at fault).
    """


def checkpoint_errors(fn: F) -> F:
    """Decorates a checkpoint decoder so that malformed bytes found by :mod:`torchslim.io` raise
    :class:`CheckpointError` (same file, same message), as every checkpoint fault does."""

    @functools.wraps(fn)
    def decoder(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except CheckpointError:
            raise
        except FileFormatError as exc:
            raise CheckpointError(exc.path, exc.detail) from None

    return decoder  # type: ignore[return-value]


class RestoreError(ValueError):
    """Restoring a model from a checkpoint failed (missing or mismatched variables).

    ``report`` holds the :class:`~torchslim.checkpoint.restore.RestoreReport`.
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report
