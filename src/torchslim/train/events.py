"""TensorBoard event files without TensorFlow or the ``tensorboard`` package.

An event file is a sequence of TFRecords (``uint64 length``, masked CRC-32C of the length, the data,
masked CRC-32C of the data), each holding an ``Event`` protobuf: ``wall_time`` (field 1, double),
``step`` (2, int64), ``file_version`` (3, string) or ``summary`` (5, a ``Summary`` of ``Value`` s with
``tag`` (1) and ``simple_value`` (2, float)). That is all TensorBoard needs to plot scalars, so
``tensorboard --logdir <run dir>`` shows the training curves with nothing extra installed here.
The framing is :mod:`torchslim.io.tfrecord`'s; the writer appends and flushes each event to the open
file (TensorBoard reads it while training runs), where ``TFRecordWriter`` makes a file appear whole.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import BinaryIO, Dict, Iterator, List, Optional

from torchslim.io import tfrecord
from torchslim.io.protowire import (FIXED32, FIXED64, LENGTH, VARINT, encode_varint, field_bytes,
                                    field_fixed32, field_varint, iter_fields)

__all__ = ["EventFileWriter", "Event", "read_events", "iter_records", "scalars"]

FILE_VERSION = "brain.Event:2"


def _field_double(number: int, value: float) -> bytes:
    return encode_varint(number << 3 | FIXED64) + struct.pack("<d", value)


def encode_scalar_event(tag: str, value: float, step: int, wall_time: Optional[float] = None) -> bytes:
    """An ``Event`` with one scalar summary value, serialised."""
    value_msg = field_bytes(1, tag.encode("utf-8")) + field_fixed32(2, struct.unpack("<I", struct.pack("<f", value))[0])
    summary = field_bytes(1, value_msg)
    return (_field_double(1, time.time() if wall_time is None else wall_time) + field_varint(2, int(step))
            + field_bytes(5, summary))


class EventFileWriter:
    """Appends scalar summaries to ``logdir/events.out.tfevents.<time>.<host>.<pid>``.

    Args:
      logdir: the directory (created if needed).
      filename_suffix: appended to the file name.

    Example::

        with EventFileWriter("runs/digits") as writer:
            writer.add_scalar("losses/total_loss", 0.25, step=100)
    """

    def __init__(self, logdir: str, filename_suffix: str = ""):
        os.makedirs(logdir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}{filename_suffix}"
        self.path = os.path.join(logdir, name)
        self._file: Optional[BinaryIO] = open(self.path, "ab")
        version = _field_double(1, time.time()) + field_bytes(3, FILE_VERSION.encode("ascii"))
        self._write(version)

    def _write(self, event: bytes) -> None:
        if self._file is None:
            raise ValueError(f"{self.path}: the event writer is closed")
        self._file.write(tfrecord.encode_record(event))
        self._file.flush()

    def add_scalar(self, tag: str, value: float, step: int, wall_time: Optional[float] = None) -> None:
        """Writes one scalar (as TensorBoard's ``simple_value``)."""
        self._write(encode_scalar_event(tag, float(value), step, wall_time))

    def add_scalars(self, values: Dict[str, float], step: int) -> None:
        """Writes several scalars at one step."""
        for tag, value in values.items():
            self.add_scalar(tag, value, step)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flushes and closes the file (further writes raise)."""
        if self._file is not None:
            self.flush()
            self._file.close()
            self._file = None

    def __enter__(self) -> "EventFileWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ----------------------------------------------------------------------------------------------
# Reading (for tests and tools).

@dataclass
class Event:
    """One decoded event: wall time, step, file version (first event) and scalar values."""

    wall_time: float = 0.0
    step: int = 0
    file_version: str = ""
    values: Dict[str, float] = field(default_factory=dict)


def iter_records(path: str, allow_cut_tail: bool = False) -> Iterator[bytes]:
    """The records of an event file (:mod:`torchslim.io.tfrecord` framing, CRCs checked).

    Args:
      path: the file.
      allow_cut_tail: stop quietly at a last record cut short (a writer killed mid-write), as
        TensorBoard does, instead of raising.

    Raises:
      TFRecordError: naming the file and offset on a truncated record or a CRC mismatch.
    """
    try:
        for _, record in tfrecord.iter_records(path):
            yield record
    except tfrecord.TFRecordError as exc:
        if not (allow_cut_tail and exc.truncated):
            raise


def _decode_summary(buf: bytes, span, path: str) -> Dict[str, float]:
    values = {}
    for number, wire, value in iter_fields(buf, span[0], span[1], path, "Summary"):
        if number != 1 or wire != LENGTH:
            continue
        tag, simple = "", None
        for inner, inner_wire, inner_value in iter_fields(buf, value[0], value[1], path, "Summary.Value"):
            if inner == 1 and inner_wire == LENGTH:
                tag = bytes(buf[inner_value[0]:inner_value[1]]).decode("utf-8")
            elif inner == 2 and inner_wire == FIXED32:
                simple = struct.unpack("<f", struct.pack("<I", inner_value))[0]
        if simple is not None:
            values[tag] = simple
    return values


def decode_event(buf: bytes, path: str = "<event>") -> Event:
    """Decodes an ``Event`` (scalar summaries only; other fields are skipped)."""
    event = Event()
    for number, wire, value in iter_fields(buf, 0, len(buf), path, "Event"):
        if number == 1 and wire == FIXED64:
            event.wall_time = struct.unpack("<d", struct.pack("<Q", value))[0]
        elif number == 2 and wire == VARINT:
            event.step = value
        elif number == 3 and wire == LENGTH:
            event.file_version = bytes(buf[value[0]:value[1]]).decode("utf-8")
        elif number == 5 and wire == LENGTH:
            event.values = _decode_summary(buf, value, path)
    return event


def read_events(path: str, allow_cut_tail: bool = False) -> List[Event]:
    """Every event of an event file, in order (``allow_cut_tail``: as :func:`iter_records`)."""
    return [decode_event(record, path) for record in iter_records(path, allow_cut_tail)]


def scalars(logdir: str, tag: str) -> List[tuple]:
    """``[(step, value)]`` of one tag over every event file in ``logdir`` (file order, then event order).

    A last record cut short by a killed writer is skipped, as TensorBoard does.
    """
    out = []
    for name in sorted(os.listdir(logdir)):
        if name.startswith("events.out.tfevents."):
            for event in read_events(os.path.join(logdir, name), allow_cut_tail=True):
                if tag in event.values:
                    out.append((event.step, event.values[tag]))
    return out
