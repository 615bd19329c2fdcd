"""Torch data sets over TFRecord shards: random access by an index of record offsets.

* :class:`RecordIndex`: every record's file and byte offset, found by reading the headers only.
* :class:`RecordDataset`: a map-style ``torch.utils.data.Dataset`` (record ``i`` of all shards in order);
  with ``DataLoader(..., sampler=DistributedSampler(...))`` it splits over workers and ranks as usual.
* :class:`ShardedRecords`: an ``IterableDataset`` that splits the records of an epoch over DataLoader
  workers and DDP ranks itself: consumer ``k`` of ``n`` (``n = world_size * num_workers``) reads
  positions ``k, k + n, ...`` of the epoch's order, so no record is read twice in an epoch and every
  record is read once (consumers differ by at most one record).

Decoding faults (a bad Example, a corrupt image) are raised as :class:`~torchslim.io.tfrecord.TFRecordError`
naming the file and the record, like framing faults.
"""

from __future__ import annotations

import bisect
import os
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from torchslim.io.tfrecord import TFRecordError, index_records, read_record_at

from .tfexample_decoder import DecodeError, TFExampleDecoder

__all__ = ["RecordIndex", "RecordDataset", "ShardedRecords", "consumer_slot"]


class RecordIndex:
    """The byte offset of every record of a list of TFRecord files.

    Args:
      files: the shards, in reading order.
      check_crc: check each header's length CRC while indexing.

    Raises:
      TFRecordError: if a header is truncated or corrupt.
    """

    def __init__(self, files: Sequence[str], check_crc: bool = True) -> None:
        self.files = [os.fspath(f) for f in files]
        self.offsets = [index_records(f, check_crc) for f in self.files]
        self.sizes = [os.path.getsize(f) for f in self.files]
        self._starts = np.cumsum([0] + [len(o) for o in self.offsets]).tolist()

    def __len__(self) -> int:
        return self._starts[-1]

    def locate(self, index: int) -> Tuple[int, int, int]:
        """``(file number, record number in that file, byte offset)`` of global record ``index``."""
        if not 0 <= index < len(self):
            raise IndexError(f"record {index} out of range: {len(self)} records in {len(self.files)} files")
        file_number = bisect.bisect_right(self._starts, index) - 1
        local = index - self._starts[file_number]
        return file_number, local, self.offsets[file_number][local]


class _RecordSource:
    """Reads and decodes records by global index; opens each file once per process (fork-safe)."""

    def __init__(self, files: Sequence[str], decoder: Optional[TFExampleDecoder], transform: Optional[Callable],
                 items: Optional[Sequence[str]], check_crc: bool) -> None:
        self.index = RecordIndex(files, check_crc)
        self.decoder = decoder
        self.transform = transform
        self.items = items
        self.check_crc = check_crc
        self._handles: Dict[int, object] = {}
        self._pid = None

    def _handle(self, file_number: int):
        if self._pid != os.getpid():          # a forked worker must not share the parent's file positions
            self._handles, self._pid = {}, os.getpid()
        handle = self._handles.get(file_number)
        if handle is None:
            handle = self._handles[file_number] = open(self.index.files[file_number], "rb")
        return handle

    def read(self, index: int):
        file_number, local, offset = self.index.locate(index)
        path = self.index.files[file_number]
        data = read_record_at(self._handle(file_number), path, offset, self.index.sizes[file_number],
                              self.check_crc, local)
        if self.decoder is None:
            return data if self.transform is None else self.transform(data)
        try:
            example = self.decoder.decode(data, self.items)
        except DecodeError as error:
            raise TFRecordError(path, offset, str(error), local) from None
        return example if self.transform is None else self.transform(example)

    def close(self) -> None:
        for handle in self._handles.values():
            handle.close()
        self._handles = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_handles"], state["_pid"] = {}, None
        return state


class RecordDataset(torch.utils.data.Dataset):
    """Map-style data set of the records of ``files`` (global index over the shards in order).

    Args:
      files: the TFRecord shards.
      decoder: decodes each record to ``{item: array}``; None gives the raw record bytes.
      transform: applied to each decoded record (e.g. preprocessing to ``(image, label)``).
      items: the decoder's items to decode (default: all).
      check_crc: verify both CRCs of every record.

    Raises:
      TFRecordError: when indexing finds a corrupt header, or a record read is corrupt.
    """

    def __init__(self, files: Sequence[str], decoder: Optional[TFExampleDecoder] = None,
                 transform: Optional[Callable] = None, items: Optional[Sequence[str]] = None,
                 check_crc: bool = True) -> None:
        self.source = _RecordSource(files, decoder, transform, items, check_crc)

    def __len__(self) -> int:
        return len(self.source.index)

    def __getitem__(self, index: int):
        return self.source.read(int(index))


def consumer_slot(rank: Optional[int] = None, world_size: Optional[int] = None) -> Tuple[int, int]:
    """``(consumer id, number of consumers)`` of the calling DataLoader worker on this DDP rank.

    ``rank`` / ``world_size`` default to ``torch.distributed``'s when it is initialized, else 0 / 1.
    """
    if rank is None or world_size is None:
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
        rank = torch.distributed.get_rank() if distributed else 0
        world_size = torch.distributed.get_world_size() if distributed else 1
    worker = torch.utils.data.get_worker_info()
    worker_id, num_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
    return rank * num_workers + worker_id, world_size * num_workers


class ShardedRecords(torch.utils.data.IterableDataset):
    """Iterable data set of ``files`` whose epoch is split over DataLoader workers and DDP ranks.

    Args:
      files, decoder, transform, items, check_crc: as :class:`RecordDataset`.
      shuffle: a new permutation of all records each epoch (from ``seed`` and the epoch).
      seed: the shuffling seed (the same on every rank).
      rank, world_size: this process's place (default: ``torch.distributed``'s, else 0 of 1).

    Call :meth:`set_epoch` before each epoch, as with ``DistributedSampler``.
    """

    def __init__(self, files: Sequence[str], decoder: Optional[TFExampleDecoder] = None,
                 transform: Optional[Callable] = None, items: Optional[Sequence[str]] = None,
                 shuffle: bool = False, seed: int = 0, check_crc: bool = True,
                 rank: Optional[int] = None, world_size: Optional[int] = None) -> None:
        super().__init__()
        self.source = _RecordSource(files, decoder, transform, items, check_crc)
        self.shuffle, self.seed, self.epoch = shuffle, seed, 0
        self.rank, self.world_size = rank, world_size

    def set_epoch(self, epoch: int) -> None:
        """Selects the epoch whose order the next iteration follows."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.source.index)

    def epoch_order(self) -> List[int]:
        """The global record order of the current epoch (the same on every consumer)."""
        total = len(self.source.index)
        if not self.shuffle:
            return list(range(total))
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return torch.randperm(total, generator=generator).tolist()

    def __iter__(self) -> Iterator:
        consumer, consumers = consumer_slot(self.rank, self.world_size)
        for index in self.epoch_order()[consumer::consumers]:
            yield self.source.read(index)
