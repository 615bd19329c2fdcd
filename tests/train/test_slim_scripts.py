"""The Slim scripts' recipe end to end on a small flowers-style TFRecord set made in the test:
convert-data, train, fine-tune with the logits excluded, eval reporting Accuracy and Recall_5."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PIL import Image

from torchslim.datasets import classification
from torchslim.train import slim_flags

from ._cli import run_cli

NET = "resnet_v2_digits"
LOGITS = "resnet_v2_digits/logits"
COMMON = ["--model_name", NET, "--preprocessing_name", "inception", "--train_image_size", "16", "--batch_size", "4",
          "--no_progress", "--num_threads", "1", "--eval_batch_size", "8"]


@pytest.fixture(scope="module")
def flowers_dir(tmp_path_factory):
    """5 classes x 5 images (one colour per class, with noise), as Slim's flowers shards + labels.txt."""
    root = tmp_path_factory.mktemp("flowers")
    rng = np.random.RandomState(0)
    for c, name in enumerate(["daisy", "dandelion", "roses", "sunflowers", "tulips"]):
        os.makedirs(root / "photos" / name)
        for i in range(5):
            pixels = np.clip(rng.randint(-20, 21, (20, 24, 3)) + 50 * c, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / "photos" / name / f"{i}.png")
    status, _, err = run_cli("convert-data", "--image_dir", root / "photos", "--dataset_dir", root / "tfrecord",
                             "--num_validation", "10", "--num_shards", "2")
    assert status == 0, err
    return root / "tfrecord"


def test_train_fine_tune_and_eval(flowers_dir, tmp_path):
    base, tuned = tmp_path / "base", tmp_path / "tuned"
    data = ["--dataset_name", "flowers", "--dataset_split_name", "train", "--dataset_dir", flowers_dir]
    status, out, err = run_cli("train", *data, *COMMON, "--max_number_of_steps", "3", "--train_dir", base)
    assert status == 0, err
    assert "15 training / 10 held-out images" in out
    status, out, err = run_cli("train", *data, *COMMON, "--max_number_of_steps", "2", "--train_dir", tuned,
                               "--checkpoint_path", base, "--checkpoint_exclude_scopes", LOGITS,
                               "--trainable_scopes", LOGITS)
    assert status == 0, err
    assert "2 excluded" in out and LOGITS in out
    status, out, err = run_cli("eval", "--dataset_name", "flowers", "--dataset_split_name", "validation",
                               "--dataset_dir", flowers_dir, "--checkpoint_path", tuned, "--model_name", NET,
                               "--batch_size", "4", "--max_num_batches", "2", "--num_threads", "1")
    assert status == 0, err
    assert "eval/Accuracy[" in out and "eval/Recall_5[" in out
    with open(tuned / "eval" / "metrics.json") as handle:
        metrics = json.load(handle)
    assert metrics["num_examples"] == 8                       # two batches of 4 (--max_num_batches)
    assert 0 <= metrics["Accuracy"] <= metrics["Recall_5"] == 1.0  # 5 classes: the top 5 hold every label
    assert metrics["class_names"] == ["daisy", "dandelion", "roses", "sunflowers", "tulips"]


def test_labels_offset_grayscale_and_image_size(flowers_dir):
    split = classification.load_split("flowers", "validation", str(flowers_dir), "inception_v3", 12, False,
                                      labels_offset=1, use_grayscale=True)
    plain = classification.load_split("flowers", "validation", str(flowers_dir), "vgg_16", 12, False)
    assert (split.num_classes, split.class_names) == (4, ["dandelion", "roses", "sunflowers", "tulips"])
    image, label = split[0]
    assert tuple(image.shape) == (12, 12, 1) and label == plain[0][1] - 1
    images, labels = plain.batch([0, 1])
    assert tuple(images.shape) == (2, 12, 12, 3) and labels.dtype.is_floating_point is False


@pytest.mark.parametrize("command, flag, value, hint", [
    ("train", "num_clones", "2", "torchrun"), ("train", "master", "grpc://x", "torchrun"),
    ("train", "sync_replicas", "true", "torchrun"), ("train", "save_summaries_secs", "60", "--save_summaries_steps"),
    ("train", "quantize_delay", "100", "quantiz"), ("eval", "quantize", "true", "quantized"),
    ("eval", "master", "local", "torchrun"),
])
def test_graph_era_flags_stop_with_what_to_use(command, flag, value, hint, tmp_path):
    status, _, err = run_cli(command, f"--{flag}", value, "--train_dir" if command == "train" else "--eval_dir",
                             tmp_path)
    assert status == 1 and f"--{flag} {value.lower() in ('true',) and 'True' or value}" in err and hint in err


def test_neutral_values_of_graph_era_flags_are_accepted():
    import argparse
    args = argparse.Namespace(num_clones=1, master="", task=0, clone_on_cpu=False)
    slim_flags.check_stop_flags(args, slim_flags.TRAIN_STOPS)


def test_every_script_flag_is_known():
    """train_image_classifier.py's 51 flags (its newest version) and eval_image_classifier.py's 16."""
    train = set(slim_flags.TRAIN_FLAGS) | set(slim_flags.TRAIN_STOPS)
    evaluation = set(slim_flags.EVAL_FLAGS) | set(slim_flags.EVAL_STOPS)
    assert len(train) == 51 and len(evaluation) == 16
    assert not set(slim_flags.TRAIN_FLAGS) & set(slim_flags.TRAIN_STOPS)
