"""Every example in examples/ runs, as a script, with small arguments.

Each test runs the file with ``runpy`` as ``__main__`` (so the ``if __name__ == '__main__'`` path is
the one exercised) and checks what it prints.
"""

from __future__ import annotations

import re
import runpy
import sys
from pathlib import Path

import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *argv: str, capsys) -> str:
    """Runs examples/<name> as ``__main__`` with ``argv``; returns what it printed."""
    path = EXAMPLES / name
    assert path.is_file(), f"missing example {path}"
    old_argv = sys.argv
    sys.argv = [str(path), *argv]
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = old_argv
    return capsys.readouterr().out


def test_every_example_names_its_seed():
    for path in sorted(EXAMPLES.glob("*.py")):
        if path.name.startswith("tf_layers_"):
            continue  # the tf.layers examples have their own tests
        doc = path.read_text().split('"""')[1]
        assert "seed page" in doc or "seed" in doc.lower(), f"{path.name}: docstring does not name its seed"


def test_resnet_arg_scope(capsys):
    out = run_example("resnet_arg_scope.py", "--image-size", "32", "--batch-size", "2", capsys=capsys)
    assert "convolution2d: ['activation_fn', 'normalizer_fn', 'normalizer_params'" in out
    assert "max_pool2d: ['padding']" in out
    assert "conv1/weights" in out and "[7, 7, 3, 64]  l2" in out
    assert "logits: (2, 10)" in out
    assert "regularization losses: 4," in out
    assert "moving_mean updated under model.eval(): True" in out


def test_plain_residual_network_forward(capsys):
    out = run_example("plain_residual_network.py", "--steps", "0", "--image-size", "32", "--batch-size", "2",
                      capsys=capsys)
    assert "residual_network/block1/conv1/weights" in out
    assert "logits: (2, 10)" in out


def test_plain_residual_network_trains(capsys):
    out = run_example("plain_residual_network.py", "--steps", "3", "--image-size", "16", "--batch-size", "8",
                      capsys=capsys)
    assert "step 2: total loss" in out
    assert "held-out accuracy after 3 steps:" in out


def test_resnet_v2_timing_small(capsys):
    out = run_example("resnet_v2_152_timing.py", "--depth", "50", "--batch-size", "1", "--image-size", "32",
                      "--num-batches", "2", "--burn-in", "1", capsys=capsys)
    assert "resnet_v2_50: 272 variables" in out
    assert re.search(r": Forward across 2 steps, \d+\.\d{3} \+/- \d+\.\d{3} sec / batch", out), out


def test_resnet_v2_152_timing(capsys):
    out = run_example("resnet_v2_152_timing.py", "--batch-size", "1", "--image-size", "64",
                      "--num-batches", "2", "--burn-in", "1", capsys=capsys)
    assert "resnet_v2_152: 816 variables" in out
    assert "Forward across 2 steps" in out


def test_resnet_v2_101_dense(capsys):
    out = run_example("resnet_v2_101_dense.py", "--image-size", "33", capsys=capsys)
    assert "resnet_v2_101/block4     [1, 3, 3, 2048]" in out    # (33 - 1) / 16 + 1
    assert "net (logits) [1, 3, 3, 21]" in out


def test_facenet_embeddings(capsys):
    out = run_example("facenet_embeddings.py", "--image-size", "75", capsys=capsys)  # the smallest input
    assert "InceptionResnetV1: 490 variables" in out
    assert "Mixed_8b           [2, 1, 1, 1792]" in out
    assert "embeddings [2, 512] norms ['1.0000', '1.0000']" in out
    assert re.search(r"distance between the two images: \d\.\d{4}", out)


def test_facenet_embeddings_from_checkpoint(tmp_path, capsys):
    """--checkpoint and --images: a checkpoint written with facenet's names restores into the example."""
    import numpy as np
    import torchslim as slim
    from torchslim.nets import inception_resnet_v1

    model = slim.Model(inception_resnet_v1.inference, keep_probability=1.0, phase_train=False,
                       bottleneck_layer_size=512).build(torch.zeros(1, 75, 75, 3))
    prefix = model.save_checkpoint(str(tmp_path / "model-20180402-114759.ckpt-275"))
    for i in range(2):
        np.save(tmp_path / f"face{i}.npy", np.random.default_rng(i).uniform(0, 255, (80, 80, 3)))
    out = run_example("facenet_embeddings.py", "--image-size", "75", "--checkpoint", prefix,
                      "--images", str(tmp_path / "face0.npy"), str(tmp_path / "face1.npy"), capsys=capsys)
    assert "embeddings [2, 512]" in out


def test_finetune_from_stand_in_checkpoint(tmp_path, capsys):
    out = run_example("finetune_from_checkpoint.py", "--steps", "3", "--batch-size", "8",
                      "--output", str(tmp_path / "finetuned.ckpt"), capsys=capsys)
    assert "wrote a stand-in pretrained checkpoint" in out
    assert "step 2: total loss" in out
    assert (tmp_path / "finetuned.ckpt.index").is_file()


def test_finetune_from_tf_slim_fixture(fixtures_dir, tmp_path, capsys):
    """Starts from the checkpoint the real TF-Slim wrote for resnet_v2_small."""
    checkpoint = fixtures_dir / "resnet_v2_small" / "model.ckpt"
    if not (fixtures_dir / "resnet_v2_small" / "model.ckpt.index").is_file():
        pytest.skip("fixture resnet_v2_small is absent")
    out = run_example("finetune_from_checkpoint.py", "--checkpoint", str(checkpoint), "--steps", "2",
                      "--batch-size", "8", "--trainable-scopes", "resnet_v2_small/logits",
                      "--output", str(tmp_path / "finetuned.ckpt"), capsys=capsys)
    assert "stand-in" not in out
    assert "training 2 of " in out            # logits/weights and logits/biases
    assert "held-out accuracy after 2 steps" in out
