"""A process that writes checkpoints until it is killed, for ``test_kill_safety.py``.

Run as a script, it imports torchslim once and then serves the test over stdin/stdout: for each
line ``<mode> <directory> <first step>`` it forks a writer, prints ``pid <pid>`` and waits for the
writer to die (the test SIGKILLs it). The writer saves checkpoints with steps ``first``, ``first+1``,
... into the directory forever, printing ``saved <step>`` once each save (state file included) is
complete. Forking from this idle process spares each writer the seconds torch takes to import.

Modes:
  bundle       ``write_checkpoint(dir/model.ckpt-<step>)`` + ``update_checkpoint_state(max_to_keep=3)``
  model        ``Model.save_checkpoint(dir/model.ckpt, global_step=step, max_to_keep=3)``
  model_fixed  ``Model.save_checkpoint(dir/model.ckpt)``: the latest checkpoint rewritten in place

Every checkpoint holds ``net/step`` = step and, for every other tensor, :func:`expected_value`.
"""

from __future__ import annotations

import os
import sys

import numpy as np

MODES = ("bundle", "model", "model_fixed")


def expected_value(name: str, shape, step: int) -> np.ndarray:
    """The value a tensor has in the checkpoint of ``step`` (exact in float32 for step < 16000)."""
    if name in ("net/step", "global_step"):
        return np.asarray(step, np.int64)
    count = int(np.prod(shape, dtype=np.int64))
    salt = sum(name.encode()) % 7
    return ((np.arange(count) % 997 + salt) + step * 1000).astype(np.float32).reshape(shape)


def _net(images):
    import torch

    import torchslim as slim

    with slim.variable_scope("net"):
        slim.variable("step", [], dtype=torch.int64, trainable=False)
        net = slim.conv2d(images, 64, [3, 3], scope="conv1")
        net = slim.fully_connected(slim.flatten(net), 256, scope="fc")       # 4096 x 256: 4 MB
        return slim.fully_connected(net, 10, activation_fn=None, scope="logits")


def _bundle_writer(directory: str, step: int):
    from torchslim.checkpoint import update_checkpoint_state, write_checkpoint

    shapes = {"net/a/weights": (3, 3, 64, 64), "net/b/weights": (4096, 256), "net/b/biases": (256,)}
    while True:
        prefix = os.path.join(directory, f"model.ckpt-{step}")
        tensors = {name: expected_value(name, shape, step) for name, shape in shapes.items()}
        tensors["net/step"] = expected_value("net/step", (), step)
        write_checkpoint(prefix, tensors)
        update_checkpoint_state(directory, prefix, max_to_keep=3)
        yield step
        step += 1


def _model_writer(directory: str, step: int, fixed: bool):
    import torch

    import torchslim as slim

    torch.set_num_threads(1)
    model = slim.Model(_net).build(torch.zeros(1, 8, 8, 3))
    while True:
        for name, var in model.tf_variables().items():
            var.assign_tf(expected_value(name, var.tf_shape, step))
        if fixed:
            model.save_checkpoint(os.path.join(directory, "model.ckpt"))
        else:
            model.save_checkpoint(os.path.join(directory, "model.ckpt"), global_step=step, max_to_keep=3)
        yield step
        step += 1


def _write_forever(mode: str, directory: str, step: int) -> None:
    writer = _bundle_writer(directory, step) if mode == "bundle" else _model_writer(directory, step, mode != "model")
    for done in writer:
        os.write(1, f"saved {done}\n".encode())


def serve() -> None:
    import torchslim.checkpoint  # noqa: F401  (imported once, before forking)

    for line in sys.stdin:
        mode, directory, step = line.split()
        pid = os.fork()
        if pid == 0:
            try:
                _write_forever(mode, directory, int(step))
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                os._exit(1)
        os.write(1, f"pid {pid}\n".encode())
        os.waitpid(pid, 0)


if __name__ == "__main__":
    serve()
