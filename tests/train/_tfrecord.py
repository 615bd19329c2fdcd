"""An independent reader of TensorBoard event files, for checking what torchslim writes.

Written from the formats' specifications (TFRecord framing with masked CRC-32C; the ``Event`` /
``Summary`` protobuf messages of tensorflow/core/util/event.proto and summary.proto), sharing no code
with ``torchslim.train.events`` or ``torchslim.checkpoint``, so a bug there cannot hide here.
"""

from __future__ import annotations

import os
import struct
from typing import Dict, Iterator, List, Tuple

import crc32c

_MASK_DELTA = 0xA282EAD8


def masked_crc(data: bytes) -> int:
    """TFRecord's CRC: CRC-32C rotated right by 15 bits plus a constant, modulo 2**32."""
    crc = crc32c.crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + _MASK_DELTA) & 0xFFFFFFFF


def records(path: str) -> Iterator[bytes]:
    """Each record's payload; asserts the framing and both CRCs."""
    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        length_bytes = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        assert struct.unpack("<I", data[pos + 8:pos + 12])[0] == masked_crc(length_bytes), f"length CRC at {pos}"
        payload = data[pos + 12:pos + 12 + length]
        assert len(payload) == length, f"truncated record at {pos}"
        (crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        assert crc == masked_crc(payload), f"data CRC at {pos}"
        yield payload
        pos += 16 + length


def _varint(buf: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def fields(buf: bytes) -> List[Tuple[int, int, object]]:
    """``(field number, wire type, value)``: an int for varints, raw little-endian bytes otherwise."""
    out, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        elif wire == 2:
            size, pos = _varint(buf, pos)
            value, pos = buf[pos:pos + size], pos + size
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        out.append((number, wire, value))
    return out


def parse_event(buf: bytes) -> Dict[str, object]:
    """``{"wall_time", "step", "file_version", "scalars": {tag: value}}`` of one ``Event``."""
    event: Dict[str, object] = {"wall_time": None, "step": 0, "file_version": None, "scalars": {}}
    for number, wire, value in fields(buf):
        if (number, wire) == (1, 1):
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif (number, wire) == (2, 0):
            event["step"] = value
        elif (number, wire) == (3, 2):
            event["file_version"] = value.decode("utf-8")
        elif (number, wire) == (5, 2):
            for summary_field, summary_wire, item in fields(value):
                assert (summary_field, summary_wire) == (1, 2), "Summary holds only Value messages"
                parts = {n: v for n, _, v in fields(item)}
                event["scalars"][parts[1].decode("utf-8")] = struct.unpack("<f", parts[2])[0]
    return event


def read_logdir(logdir: str) -> List[Dict[str, object]]:
    """Every event of every ``events.out.tfevents.*`` file in ``logdir``, in file then record order."""
    names = sorted(n for n in os.listdir(logdir) if n.startswith("events.out.tfevents."))
    return [parse_event(r) for name in names for r in records(os.path.join(logdir, name))]
