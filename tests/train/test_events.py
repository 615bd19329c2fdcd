"""TensorBoard event files: what EventFileWriter writes, checked with an independent decoder."""

from __future__ import annotations

import os

import pytest

from . import _tfrecord
from torchslim.train import events


def test_writer_output_decodes_independently(tmp_path):
    with events.EventFileWriter(str(tmp_path)) as writer:
        writer.add_scalar("losses/total_loss", 0.25, step=10, wall_time=1234.5)
        writer.add_scalars({"learning_rate": 0.1, "train/accuracy": 0.75}, step=20)
    [name] = os.listdir(tmp_path)
    assert name.startswith("events.out.tfevents.")  # TensorBoard only reads files named so
    decoded = _tfrecord.read_logdir(str(tmp_path))
    assert decoded[0]["file_version"] == "brain.Event:2" and decoded[0]["wall_time"] > 0
    assert [(e["step"], e["scalars"]) for e in decoded[1:]] == [
        (10, {"losses/total_loss": 0.25}), (20, {"learning_rate": pytest.approx(0.1)}),
        (20, {"train/accuracy": 0.75})]
    assert decoded[1]["wall_time"] == 1234.5


def test_reader_round_trip_and_scalars(tmp_path):
    with events.EventFileWriter(str(tmp_path)) as writer:
        for step in (1, 2, 3):
            writer.add_scalar("x", step / 2, step)
    assert events.scalars(str(tmp_path), "x") == [(1, 0.5), (2, 1.0), (3, 1.5)]


def test_reader_names_the_file_on_a_corrupt_record(tmp_path):
    with events.EventFileWriter(str(tmp_path)) as writer:
        writer.add_scalar("x", 1.0, 1)
    path = writer.path
    data = bytearray(open(path, "rb").read())
    data[-6] ^= 0xFF  # inside the last record's payload
    open(path, "wb").write(bytes(data))
    with pytest.raises(ValueError, match="the data's CRC32C does not match"):
        events.read_events(path)
    open(path, "wb").write(bytes(data[:-3]))
    with pytest.raises(ValueError, match="truncated record"):
        events.read_events(path)
    # A writer killed mid-record: the complete records still read, as in TensorBoard.
    assert [e.file_version for e in events.read_events(path, allow_cut_tail=True)] == ["brain.Event:2"]
    assert events.scalars(str(tmp_path), "x") == []


def test_closed_writer_refuses_to_write(tmp_path):
    writer = events.EventFileWriter(str(tmp_path))
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.add_scalar("x", 1.0, 1)
