"""Record readers: every record once per epoch across DataLoader workers and DDP ranks."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from torchslim.datasets import dataset_factory
from torchslim.datasets.reader import RecordDataset, RecordIndex, ShardedRecords
from torchslim.io.tfrecord import write_records

FLOWERS = Path(__file__).resolve().parents[1] / "fixtures" / "data" / "tf_written" / "flowers"


@pytest.fixture()
def shards(tmp_path):
    """Three shards of 4, 0 and 7 records whose payloads are their global numbers."""
    files, number = [], 0
    for size in (4, 0, 7):
        path = tmp_path / f"s-{len(files)}"
        write_records(path, [str(number + i).encode() for i in range(size)])
        files.append(str(path))
        number += size
    return files


def test_index_locates_records_across_shards(shards):
    index = RecordIndex(shards)
    assert len(index) == 11
    assert index.locate(0) == (0, 0, 0) and index.locate(4)[:2] == (2, 0) and index.locate(10)[:2] == (2, 6)
    with pytest.raises(IndexError):
        index.locate(11)
    records = RecordDataset(shards, transform=lambda data: int(data))
    assert [records[i] for i in range(len(records))] == list(range(11))


@pytest.mark.parametrize("shuffle", [False, True])
def test_sharded_epoch_split_over_ranks_and_workers(shards, shuffle):
    seen = []
    for rank in range(2):
        dataset = ShardedRecords(shards, transform=lambda data: int(data), shuffle=shuffle, seed=3, rank=rank,
                                 world_size=2)
        dataset.set_epoch(1)
        loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=2)
        seen.extend(int(x) for x in loader)
    assert sorted(seen) == list(range(11))                         # each record exactly once


def test_shuffled_order_changes_with_the_epoch_and_is_shared_by_ranks(shards):
    a = ShardedRecords(shards, shuffle=True, seed=1, rank=0, world_size=2)
    b = ShardedRecords(shards, shuffle=True, seed=1, rank=1, world_size=2)
    first = a.epoch_order()
    assert first == b.epoch_order() and sorted(first) == list(range(11))
    a.set_epoch(1)
    assert a.epoch_order() != first


def test_map_style_with_distributed_sampler_and_workers(shards):
    dataset = RecordDataset(shards, transform=lambda data: int(data))
    seen = []
    for rank in range(2):
        sampler = torch.utils.data.distributed.DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=False,
                                                                  drop_last=True)
        seen.extend(int(x) for x in torch.utils.data.DataLoader(dataset, sampler=sampler, batch_size=None,
                                                                num_workers=2))
    assert len(seen) == len(set(seen)) == 10


def test_split_and_name_errors(tmp_path):
    with pytest.raises(ValueError, match="Name of dataset unknown pets"):
        dataset_factory.get_dataset("pets", "train", str(tmp_path))
    with pytest.raises(ValueError, match="split name test was not recognized .*train, validation"):
        dataset_factory.get_dataset("flowers", "test", str(tmp_path))
    with pytest.raises(ValueError, match="reader="):
        dataset_factory.get_dataset("flowers", "train", str(tmp_path), reader=object)
    with pytest.raises(FileNotFoundError, match="flowers_train_"):
        dataset_factory.get_dataset("flowers", "train", str(tmp_path)).files()


def test_items_subset_and_decoded_types():
    dataset = dataset_factory.get_dataset("flowers", "train", str(FLOWERS))
    record = dataset.records(items=["label"])[0]
    assert list(record) == ["label"] and record["label"].dtype.kind == "i"
