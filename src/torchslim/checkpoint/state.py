"""The ``checkpoint`` state file: TF's text ``CheckpointState`` naming the latest checkpoints.

Written atomically (:mod:`torchslim.io.atomic`), so a crash leaves the old state file or the new one.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import time
from dataclasses import dataclass, field

from torchslim.io.atomic import atomic_write_bytes

STATE_FILENAME = "checkpoint"


@dataclass
class CheckpointState:
    """Contents of a ``checkpoint`` state file (paths as written, maybe relative)."""

    model_checkpoint_path: str = ""
    all_model_checkpoint_paths: list[str] = field(default_factory=list)
    all_model_checkpoint_timestamps: list[float] = field(default_factory=list)
    last_preserved_timestamp: float | None = None


_LINE = re.compile(r'^\s*(\w+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([-+0-9.eEinfa]+))\s*$')


def _unescape(text: str) -> str:
    raw = text.encode("utf-8")
    out = bytearray()
    i = 0
    simple = {ord("n"): 10, ord("t"): 9, ord("r"): 13, ord('"'): 34, ord("'"): 39, ord("\\"): 92}
    while i < len(raw):
        byte = raw[i]
        if byte != 0x5C or i + 1 >= len(raw):
            out.append(byte)
            i += 1
            continue
        nxt = raw[i + 1]
        octal = re.match(rb"[0-7]{1,3}", raw[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            out.append(simple.get(nxt, nxt))
            i += 2
    return out.decode("utf-8", errors="surrogateescape")


def _escape(text: str) -> str:
    out = []
    for byte in text.encode("utf-8", errors="surrogateescape"):
        if byte in (0x22, 0x5C):
            out.append("\\" + chr(byte))
        elif 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def parse_checkpoint_state(text: str) -> CheckpointState:
    """Parse the text format of a ``checkpoint`` state file (unknown lines are ignored)."""
    state = CheckpointState()
    for line in text.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        key, quoted, number = match.groups()
        if key == "model_checkpoint_path" and quoted is not None:
            state.model_checkpoint_path = _unescape(quoted)
        elif key == "all_model_checkpoint_paths" and quoted is not None:
            state.all_model_checkpoint_paths.append(_unescape(quoted))
        elif key == "all_model_checkpoint_timestamps" and number is not None:
            state.all_model_checkpoint_timestamps.append(float(number))
        elif key == "last_preserved_timestamp" and number is not None:
            state.last_preserved_timestamp = float(number)
    return state


def format_checkpoint_state(state: CheckpointState) -> str:
    """Serialize a :class:`CheckpointState` in TF's text format."""
    lines = [f'model_checkpoint_path: "{_escape(state.model_checkpoint_path)}"']
    lines += [f'all_model_checkpoint_paths: "{_escape(p)}"' for p in state.all_model_checkpoint_paths]
    lines += [f"all_model_checkpoint_timestamps: {t!r}" for t in state.all_model_checkpoint_timestamps]
    if state.last_preserved_timestamp is not None:
        lines.append(f"last_preserved_timestamp: {state.last_preserved_timestamp!r}")
    return "\n".join(lines) + "\n"


def get_checkpoint_state(directory: "str | os.PathLike[str]") -> CheckpointState | None:
    """Read ``<directory>/checkpoint``; ``None`` if it does not exist."""
    path = os.path.join(os.fspath(directory), STATE_FILENAME)
    try:
        with open(path, "rb") as handle:
            text = handle.read(1 << 20).decode("utf-8", errors="surrogateescape")
    except (FileNotFoundError, NotADirectoryError):
        return None
    return parse_checkpoint_state(text)


def checkpoint_exists(prefix: "str | os.PathLike[str]") -> bool:
    """Whether a V2 (``prefix.index``) or V1 (``prefix`` file or glob) checkpoint exists."""
    prefix = os.fspath(prefix)
    if os.path.isfile(prefix + ".index") or os.path.isfile(prefix):
        return True
    return bool(glob.glob(prefix))


def resolve_in_dir(directory: str, path: str) -> str:
    """Join a relative checkpoint path with the directory of the state file."""
    return path if os.path.isabs(path) else os.path.join(directory, path)


def latest_checkpoint(directory: "str | os.PathLike[str]") -> str | None:
    """The newest checkpoint prefix named by ``<directory>/checkpoint``, like ``tf.train.latest_checkpoint``.

    Returns:
        The prefix (relative paths joined with ``directory``), or ``None`` when there is no
        state file or the checkpoint it names does not exist.
    """
    directory = os.fspath(directory)
    state = get_checkpoint_state(directory)
    if state is None or not state.model_checkpoint_path:
        return None
    prefix = resolve_in_dir(directory, state.model_checkpoint_path)
    return prefix if checkpoint_exists(prefix) else None


def remove_checkpoint(prefix: "str | os.PathLike[str]") -> None:
    """Delete the files of one checkpoint (``.index``, ``.data-*``, ``.meta``); missing files are fine."""
    prefix = os.fspath(prefix)
    paths = [prefix + ".index", prefix + ".meta"] + glob.glob(glob.escape(prefix) + ".data-?????-of-?????")
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def update_checkpoint_state(directory: "str | os.PathLike[str]", prefix: "str | os.PathLike[str]",
                            max_to_keep: int | None = None) -> list[str]:
    """Record ``prefix`` as the latest checkpoint; optionally delete old ones.

    The state file is rewritten atomically with paths relative to ``directory``.
    Checkpoints dropped from the list are deleted *after* the new state is in place,
    so a crash never leaves the state pointing at deleted files.

    Args:
        directory: where the ``checkpoint`` file lives.
        prefix: the newly written checkpoint (absolute or relative to ``directory``).
        max_to_keep: keep this many newest checkpoints (``None`` or 0 keeps all).

    Returns:
        The prefixes (joined with ``directory``) that were deleted.
    """
    directory = os.fspath(directory)
    relative = _relative(directory, os.fspath(prefix))
    old = get_checkpoint_state(directory) or CheckpointState()
    pairs = list(zip(old.all_model_checkpoint_paths, old.all_model_checkpoint_timestamps)) \
        if len(old.all_model_checkpoint_timestamps) == len(old.all_model_checkpoint_paths) \
        else [(p, None) for p in old.all_model_checkpoint_paths]
    pairs = [(p, t) for p, t in pairs if _relative(directory, p) != relative]
    pairs.append((relative, time.time()))
    removed: list[tuple[str, float | None]] = []
    if max_to_keep:
        removed, pairs = pairs[:-max_to_keep], pairs[-max_to_keep:]
    state = CheckpointState(relative, [p for p, _ in pairs], [t for _, t in pairs if t is not None],
                            old.last_preserved_timestamp)
    if len(state.all_model_checkpoint_timestamps) != len(state.all_model_checkpoint_paths):
        state.all_model_checkpoint_timestamps = []
    atomic_write_bytes(os.path.join(directory, STATE_FILENAME), format_checkpoint_state(state).encode("utf-8"))
    deleted = []
    for path, _ in removed:
        full = resolve_in_dir(directory, path)
        remove_checkpoint(full)
        deleted.append(full)
    return deleted


def replace_checkpoint_path(directory: "str | os.PathLike[str]", old: "str | os.PathLike[str]",
                            new: "str | os.PathLike[str]") -> None:
    """Rewrite the state file so that it names ``new`` wherever it named ``old`` (atomically).

    Used to keep the state file pointing at a complete checkpoint while the one it names
    is being replaced in place. Does nothing when there is no state file.
    """
    directory = os.fspath(directory)
    state = get_checkpoint_state(directory)
    if state is None:
        return
    old_rel, new_rel = _relative(directory, os.fspath(old)), _relative(directory, os.fspath(new))

    def swap(path: str) -> str:
        return new_rel if _relative(directory, path) == old_rel else path

    state.model_checkpoint_path = swap(state.model_checkpoint_path)
    state.all_model_checkpoint_paths = [swap(p) for p in state.all_model_checkpoint_paths]
    atomic_write_bytes(os.path.join(directory, STATE_FILENAME), format_checkpoint_state(state).encode("utf-8"))


def _relative(directory: str, prefix: str) -> str:
    full = resolve_in_dir(directory, prefix)
    rel = os.path.relpath(os.path.abspath(full), os.path.abspath(directory))
    return rel if not rel.startswith("..") else os.path.abspath(full)
