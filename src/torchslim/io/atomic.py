"""Atomic file writes: a crash leaves the old file or the new one, never a torn one.

Every file is written to a temporary name in its own directory, flushed, fsync'ed and
``os.replace``'d into place, then the directory is fsync'ed. Files that belong together (a
checkpoint bundle's data and index) are staged first and renamed in order by :class:`StagedFiles`,
the last rename being the commit point. Used by checkpoints, run directories and metrics files.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator

__all__ = ["StagedFiles", "atomic_open", "atomic_write_bytes", "fsync_directory"]


def fsync_directory(directory: str) -> None:
    """Flushes a directory's entries (renames, new files) to disk; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class StagedFiles:
    """Files written under temporary names, then renamed into place together by :meth:`commit`.

    Each file is written to a temporary name in its own directory and fsync'ed. ``commit``
    renames them in the order they were staged (so the last one is the commit point) and
    fsyncs the directories. Leaving the ``with`` block without committing, or on an error,
    deletes the temporary files and leaves the final names untouched.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[str, str]] = []

    def __enter__(self) -> "StagedFiles":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()

    @contextlib.contextmanager
    def open(self, path: "str | os.PathLike[str]") -> Iterator:
        """Stage ``path``: yields a binary file object writing to a temporary file beside it."""
        path = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                yield handle
                handle.flush()
                os.fsync(handle.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._staged.append((tmp, path))

    def write_bytes(self, path: "str | os.PathLike[str]", data) -> None:
        """Stage ``path`` with contents ``data``."""
        with self.open(path) as handle:
            handle.write(data)

    def commit(self, remove_first: tuple = ()) -> None:
        """Rename every staged file into place, in staging order.

        Args:
            remove_first: final paths to delete before the first rename (e.g. an old index,
                so that a crash mid-commit leaves no checkpoint rather than a mixed one).
        """
        for path in remove_first:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        directories = []
        for tmp, path in self._staged:
            os.replace(tmp, path)
            directories.append(os.path.dirname(os.path.abspath(path)))
        self._staged = []
        for directory in dict.fromkeys(directories):
            fsync_directory(directory)

    def discard(self) -> None:
        """Delete the temporary files not committed yet."""
        for tmp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []


@contextlib.contextmanager
def atomic_open(path: "str | os.PathLike[str]") -> Iterator:
    """Open a temporary file next to ``path``; on success, fsync it and rename it to ``path``.

    Args:
        path: the final file name.

    Yields:
        A binary file object. If the ``with`` body raises, the temporary file is removed
        and ``path`` is untouched.
    """
    with StagedFiles() as staged:
        with staged.open(path) as handle:
            yield handle
        staged.commit()


def atomic_write_bytes(path: "str | os.PathLike[str]", data) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename)."""
    with atomic_open(path) as handle:
        handle.write(data)
