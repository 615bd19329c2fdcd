"""A training process killed with SIGKILL resumes from its last checkpoint when the command is rerun."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from torchslim import checkpoint
from torchslim.train import job, run_dir

from . import _tfrecord
from ._cli import SHORT, run_cli

STEPS, EVERY = 24, 3


def _flags(train_dir):
    """``torchslim train``'s arguments: a short run saving every EVERY steps."""
    return ["train", "--train_dir", str(train_dir), *SHORT, "--max_number_of_steps", str(STEPS),
            "--save_interval_steps", str(EVERY), "--max_to_keep", "3", "--save_summaries_steps", "1"]


def _latest_step(train_dir):
    state = checkpoint.get_checkpoint_state(str(train_dir)) if (train_dir / "checkpoint").exists() else None
    return run_dir.step_from_prefix(state.model_checkpoint_path) if state else None


def _kill_after_a_checkpoint(train_dir, env):
    """Starts the run and SIGKILLs it once the state file names a checkpoint."""
    command = [sys.executable, "-m", "torchslim", *_flags(train_dir)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    try:
        while _latest_step(train_dir) is None:
            if process.poll() is not None:
                pytest.fail(f"training ended before it was killed: {process.stderr.read().decode()[-2000:]}")
            if time.time() > deadline:
                pytest.fail("no checkpoint within 240 s")
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL


def _assert_every_checkpoint_loads(train_dir):
    state = checkpoint.get_checkpoint_state(str(train_dir))
    for name in state.all_model_checkpoint_paths:
        prefix = str(train_dir / name)
        values = checkpoint.load(prefix)
        assert int(values["global_step"]) == run_dir.step_from_prefix(prefix)
        _, meta = run_dir.read_train_state(run_dir.train_state_path(prefix))
        assert meta["global_step"] == run_dir.step_from_prefix(prefix)
    return state


def test_sigkill_then_rerun_resumes_and_matches_an_uninterrupted_run(tmp_path):
    train_dir = tmp_path / "killed"
    _kill_after_a_checkpoint(train_dir, dict(os.environ, OMP_NUM_THREADS="1"))
    killed_at = _latest_step(train_dir)
    assert EVERY <= killed_at < STEPS
    _assert_every_checkpoint_loads(train_dir)

    # The same command again (in this process: the restart needs no fresh interpreter).
    before = set(os.listdir(train_dir))
    status, out, err = run_cli(*_flags(train_dir))
    assert status == 0, err
    resumed = re.search(r"resuming from (\S+) \(global step (\d+)\)", out)
    assert resumed and int(resumed.group(2)) >= killed_at, out  # the latest checkpoint, not step 0
    state = _assert_every_checkpoint_loads(train_dir)
    assert state.model_checkpoint_path == f"model.ckpt-{STEPS}" and len(state.all_model_checkpoint_paths) == 3
    leftovers = [n for n in os.listdir(train_dir) if n.startswith("model.ckpt-")
                 and not any(n.startswith(f"{p}.") for p in state.all_model_checkpoint_paths)]
    assert not leftovers, leftovers  # old checkpoints, their train states and temporary files all gone

    # The restart's event file continues the step count where the checkpoint left off. (The killed
    # run's file may end in a cut record, which TensorBoard skips.)
    [events] = [n for n in set(os.listdir(train_dir)) - before if n.startswith("events.out.tfevents.")]
    steps = [_tfrecord.parse_event(r)["step"] for r in _tfrecord.records(str(train_dir / events))][1:]
    assert steps[0] == int(resumed.group(2)) + 1 and steps[-1] == STEPS, steps

    # Nothing was lost: the resumed run ends exactly where an uninterrupted one does.
    config = job.TrainConfig(train_dir=str(tmp_path / "whole"), image_size=16, batch_size=32, learning_rate=0.2,
                             max_number_of_steps=STEPS, num_threads=1, progress=False, eval_batch_size=360)
    whole = job.run(config, quiet=True)
    expected, got = checkpoint.load(whole.checkpoint), checkpoint.load(str(train_dir / f"model.ckpt-{STEPS}"))
    assert sorted(expected) == sorted(got)
    assert all(np.array_equal(expected[name], got[name]) for name in expected)
    assert f"top-1 accuracy {100 * whole.metrics.top1:.2f}%" in out
