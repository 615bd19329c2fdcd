"""Distributed training on CPU: ``torchslim train`` under torchrun (2 gloo processes, DDP, one writer)."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from torchslim import checkpoint
from torchslim.train import distributed, learning, run_dir

WORKER = os.path.join(os.path.dirname(__file__), "_ddp_worker.py")


def test_two_processes_train_in_step_and_only_rank_0_writes(tmp_path):
    train_dir = tmp_path / "run"
    flags = ["--train_dir", str(train_dir), "--device", "cpu", "--max_number_of_steps", "6", "--save_interval_steps",
             "3", "--batch_size", "16", "--image_size", "16", "--no_progress", "--log_every_n_steps", "1"]
    # --standalone: a rendezvous on localhost with a free port; gloo kept on the loopback interface.
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", WORKER,
               str(tmp_path), *flags]
    env = dict(os.environ, GLOO_SOCKET_IFNAME="lo", OMP_NUM_THREADS="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]

    # The ranks trained on different halves of each batch yet hold the same variables, bit for bit,
    # which are the ones rank 0 saved.
    ranks = [dict(np.load(tmp_path / f"rank{r}.npz")) for r in (0, 1)]
    assert sorted(ranks[0]) == sorted(ranks[1])
    assert all(np.array_equal(ranks[0][k], ranks[1][k]) for k in ranks[0])
    saved = checkpoint.load(str(train_dir / "model.ckpt-6"))
    assert int(saved.pop("global_step")) == 6
    assert sorted(saved) == sorted(ranks[0]) and all(np.array_equal(saved[k], ranks[0][k]) for k in saved)
    earlier = checkpoint.load(str(train_dir / "model.ckpt-3"))
    assert not np.array_equal(earlier["resnet_v2_digits/logits/weights"], saved["resnet_v2_digits/logits/weights"])

    # One writer: one event file, each step logged once, held-out metrics from rank 0.
    assert len([n for n in os.listdir(train_dir) if n.startswith("events.out.tfevents.")]) == 1
    steps = [line.split("global step ")[1].split(":")[0] for line in (train_dir / "train.log").read_text().splitlines()
             if "global step " in line and "loss" in line]
    assert steps == [str(s) for s in range(1, 7)]
    metrics = json.loads((train_dir / "eval" / "metrics.json").read_text())
    assert metrics["num_examples"] == 360 and metrics["global_step"] == 6

    # Each rank's random state is kept for resuming (they draw different augmentations).
    tensors, meta = run_dir.read_train_state(run_dir.train_state_path(str(train_dir / "model.ckpt-6")))
    assert meta["global_step"] == 6
    assert not np.array_equal(tensors["rng/rank0/torch"].numpy(), tensors["rng/rank1/torch"].numpy())


def _in_two_forked_ranks(target, store, *args):
    """Runs ``target(rank, store, *args, results)`` in 2 forked processes; returns ``{rank: what it put}``.

    Forking keeps the test process's imports (no new interpreter); the ranks meet through a file store.
    """
    torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)  # torch.optim's first use imports dynamo: once
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=target, args=(rank, store, *args, results)) for rank in (0, 1)]
    for worker in workers:
        worker.start()
    try:
        return dict(results.get(timeout=120) for _ in workers)
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()


def _nan_on_rank_1(rank, store, results):
    """One train step of a 2-process gloo group in which only rank 1's loss is nan."""
    torch.distributed.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        weights = torch.nn.Parameter(torch.ones(3))
        train_op = learning.create_train_op(lambda: (weights * (math.nan if rank else 1.0)).sum(),
                                            torch.optim.SGD([weights], lr=0.1))
        try:
            train_op()
            results.put((rank, "stepped"))
        except learning.NonFiniteLossError as exc:
            results.put((rank, str(exc)))
    finally:
        torch.distributed.destroy_process_group()


def test_a_non_finite_loss_on_one_rank_stops_every_rank(tmp_path):
    # Were rank 0 to step on alone, a DDP run would wait for ever in the next gradient all-reduce.
    outcome = _in_two_forked_ranks(_nan_on_rank_1, tmp_path / "store")
    assert outcome[1].startswith("LossTensor is inf or nan: loss = nan at global step 0")
    assert outcome[0].startswith("LossTensor is inf or nan: on another process at global step 0")


def _save_then_restore(rank, store, logdir, results):
    """Rank ``rank`` of 2: checkpoint, draw, restore, draw again."""
    import torchslim as slim

    torch.distributed.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    try:
        torch.manual_seed(0)
        model = slim.Model(lambda x: slim.fully_connected(x, 2)).build(torch.zeros(1, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        torch.manual_seed(100 + rank)  # each rank its own augmentation stream
        run_dir.save(str(logdir), model, optimizer, step=7)
        after_save = torch.rand(4).tolist()
        torch.rand(10)  # the stream moves on
        restored = run_dir.restore_latest(str(logdir), model, optimizer)
        results.put((rank, (after_save, torch.rand(4).tolist(), restored["global_step"])))
    finally:
        torch.distributed.destroy_process_group()


def test_each_rank_resumes_its_own_random_stream(tmp_path):
    outcome = _in_two_forked_ranks(_save_then_restore, tmp_path / "store", tmp_path / "run")
    for rank in (0, 1):
        after_save, after_restore, step = outcome[rank]
        assert after_restore == after_save and step == 7
    assert outcome[0][0] != outcome[1][0]
    assert os.listdir(tmp_path / "run").count("model.ckpt-7.train_state.safetensors") == 1


# ----------------------------------------------------------------------------------------------
# The context object (one process; the runs above cover several).

def test_a_process_alone_is_the_chief_of_one_on_the_cpu():
    context = distributed.current()
    assert (context.rank, context.world_size, context.device, context.initialized) == (0, 1, torch.device("cpu"), False)
    assert context.is_chief and not context.uses_cuda_collectives
    context.barrier()  # nothing to wait for


def test_join_without_torchrun_picks_the_device_only(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    context = distributed.join("cpu")
    assert context == distributed.DistributedContext() and not torch.distributed.is_initialized()
    distributed.leave(context)  # a no-op alone
    with pytest.raises(ValueError, match="--device: expected cpu or cuda, got 'tpu'"):
        distributed.join("tpu")
