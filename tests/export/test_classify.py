"""``torchslim classify``: the net's eval preprocessing, top-k labels with probabilities, label offsets."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from torchslim.cli import main
from torchslim.export.classify import classify_batch, to_channels, top_k
from torchslim.export.labels import output_labels
from torchslim.export.nets import build_net
from torchslim.preprocessing import cifarnet_preprocessing


def write_ppm(path, image: np.ndarray) -> str:
    height, width, _ = image.shape
    path.write_bytes(b"P6\n%d %d\n255\n" % (width, height) + image.astype(np.uint8).tobytes())
    return str(path)


def test_top_k_by_hand():
    logits = torch.tensor([[0.0, 2.0, 1.0, 2.0]])
    top = top_k(logits, {0: "a", 1: "b", 2: "c", 3: "d"}, k=3, labels_offset=1)[0]
    e = np.exp([0.0, 2.0, 1.0, 2.0])
    assert [t["index"] for t in top] == [1, 3, 2]            # ties: lower index first
    assert [t["label"] for t in top] == [2, 4, 3]
    assert [t["name"] for t in top] == ["b", "d", "c"]
    np.testing.assert_allclose([t["probability"] for t in top], e[[1, 3, 2]] / e.sum(), rtol=1e-6)
    assert len(top_k(logits, {}, k=10)[0]) == 4
    with pytest.raises(ValueError, match=r"expected \[batch, classes\] logits, got shape \[4\]"):
        top_k(torch.zeros(4), {})


def test_to_channels():
    rgb = np.array([[[255, 0, 0], [0, 255, 0]]], np.uint8)
    np.testing.assert_array_equal(to_channels(rgb, 1)[..., 0], [[76, 150]])      # TF's rgb_to_grayscale
    np.testing.assert_array_equal(to_channels(rgb[..., :1], 3), np.repeat(rgb[..., :1], 3, -1))


def test_top5_of_tf_slim_checkpoint_is_tf_slims(fixtures_dir):
    """On the fixture's inputs, classify's top-5 and probabilities are those of TF-Slim's own logits."""
    case = fixtures_dir / "resnet_v2_small"
    expected = np.load(case / "expected.npz")
    model = build_net("resnet_v2_small", num_classes=10, image_size=65, checkpoint_path=str(case / "model.ckpt"))
    results = classify_batch(model, torch.from_numpy(expected["inputs"]), output_labels(10))
    for top, logits, predictions in zip(results, expected["logits"], expected["predictions"]):
        assert [t["index"] for t in top] == list(np.argsort(-logits, kind="stable")[:5])
        np.testing.assert_allclose([t["probability"] for t in top], np.sort(predictions)[::-1][:5], atol=1e-5)


def test_cli_on_tf_slim_checkpoint_gives_eager_top5(fixtures_dir, tmp_path, capsys):
    case = fixtures_dir / "resnet_v2_small"
    ckpt = str(case / "model.ckpt")
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (90, 70, 3)), rng.integers(0, 256, (40, 60, 3))]
    paths = [write_ppm(tmp_path / f"image{i}.ppm", image) for i, image in enumerate(images)]
    assert main(["classify", "--model_name", "resnet_v2_small", "--checkpoint_path", ckpt, "--num_classes", "10",
                 "--image_size", "65", "--json"] + paths) == 0
    results = json.loads(capsys.readouterr().out)
    # eager torchslim by hand: the small ResNets' eval preprocessing (cifarnet's), the net, softmax
    model = build_net("resnet_v2_small", num_classes=10, image_size=65, checkpoint_path=ckpt)
    batch = torch.stack([cifarnet_preprocessing.preprocess_for_eval(torch.from_numpy(image.astype(np.uint8)), 65, 65)
                         for image in images])
    with torch.no_grad():
        probabilities = torch.softmax(model(batch)[0], -1).numpy()
    assert [r["image"] for r in results] == paths
    for result, row in zip(results, probabilities):
        assert [t["index"] for t in result["top"]] == list(np.argsort(-row, kind="stable")[:5])
        np.testing.assert_allclose([t["probability"] for t in result["top"]], np.sort(row)[::-1][:5], atol=1e-6)


def _checkpoint_predicting(tmp_path, output_index: int) -> str:
    """A 1001-class resnet_v2_small checkpoint whose logits favour ``output_index`` on every image."""
    model = build_net("resnet_v2_small", num_classes=1001, image_size=32)
    biases = model.variable("resnet_v2_small/logits/biases")
    value = torch.zeros(1001)
    value[output_index] = 50.0
    biases.assign_tf(value)
    return model.save_checkpoint(str(tmp_path / "model.ckpt"))


def test_label_offset_of_a_1001_class_net(tmp_path, capsys):
    ckpt = _checkpoint_predicting(tmp_path, output_index=2)       # label 2 = goldfish; 0 = background
    image = write_ppm(tmp_path / "fish.ppm", np.full((40, 40, 3), 128))
    common = ["classify", "--model_name", "resnet_v2_small", "--checkpoint_path", ckpt, "--image_size", "32",
              "--json", image]
    assert main(common) == 0
    first = json.loads(capsys.readouterr().out)[0]["top"][0]
    assert (first["index"], first["label"], first["name"]) == (2, 2, "goldfish, Carassius auratus")
    # --labels_offset 1: a 1000-class net, the checkpoint's background class dropped; output 1 is label 2
    assert main(common + ["--labels_offset", "1"]) == 0
    first = json.loads(capsys.readouterr().out)[0]["top"][0]
    assert (first["index"], first["label"], first["name"]) == (1, 2, "goldfish, Carassius auratus")
    assert first["probability"] > 0.99


def test_labels_file_and_text_output(tmp_path, capsys):
    ckpt = _checkpoint_predicting(tmp_path, output_index=1)
    labels = tmp_path / "labels.txt"
    labels.write_text("".join(f"{i}:flower{i}\n" for i in range(1001)))
    image = write_ppm(tmp_path / "a.ppm", np.zeros((33, 33, 3)))
    assert main(["classify", "--model_name", "resnet_v2_small", "--checkpoint_path", ckpt, "--image_size", "32",
                 "--labels_file", str(labels), "--top_k", "2", image]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == image and len(lines) == 3
    assert lines[1].split() == ["1.0000", "1", "flower1"]


def test_checkpoint_of_another_size_says_which_flag(fixtures_dir, tmp_path, capsys):
    image = write_ppm(tmp_path / "a.ppm", np.zeros((33, 33, 3)))
    code = main(["classify", "--model_name", "resnet_v2_small", "--checkpoint_path",
                 str(fixtures_dir / "resnet_v2_small" / "model.ckpt"), image])
    err = capsys.readouterr().err
    assert code == 2
    assert "torchslim classify: resnet_v2_small: " in err
    assert "resnet_v2_small/logits/weights: model [1, 1, 32, 1001] float32, checkpoint [1, 1, 32, 10]" in err
    assert "hint: --num_classes (default 1001)" in err
