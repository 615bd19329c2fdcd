"""Errors raised by the checkpoint reader and writer."""

from __future__ import annotations

import os


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, truncated or unsupported.

    The message always names the file and what is wrong with it.
    ``path`` holds the file name (or ``None`` when no single file is at fault).
    """

    def __init__(self, path: "str | os.PathLike[str] | None", message: str) -> None:
        self.path = None if path is None else os.fspath(path)
        text = message if self.path is None else f"{self.path}: {message}"
        super().__init__(text)


class RestoreError(ValueError):
    """Restoring a model from a checkpoint failed (missing or mismatched variables).

    ``report`` holds the :class:`~torchslim.checkpoint.restore.RestoreReport`.
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report
