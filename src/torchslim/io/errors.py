"""The error for malformed bytes in a file: truncated, out of range, or not the expected format."""

from __future__ import annotations

import os

__all__ = ["FileFormatError"]


class FileFormatError(ValueError):
    """A file's bytes are malformed (truncated, out of range, bad wire type...).

    Attributes:
      path: the file at fault (None when no single file is).
      detail: what is wrong, without the file name.
    """

    def __init__(self, path: "str | os.PathLike[str] | None", message: str) -> None:
        self.path = None if path is None else os.fspath(path)
        self.detail = message
        super().__init__(message if self.path is None else f"{self.path}: {message}")
