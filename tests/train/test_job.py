"""Pieces of the training job: its total loss and the nets it builds."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import torch

from torchslim.train import data, job, models


def _digits_model(**flags):
    settings = job._resolved(asdict(job.TrainConfig(image_size=16, **flags)))
    return job.build_model(settings, data.load_digits("validation", image_size=16))


def test_total_loss_is_cross_entropy_plus_the_models_weight_decay():
    model = _digits_model(weight_decay=0.5).train()
    images, labels = data.load_digits("validation", image_size=16).batch(torch.arange(8))
    accuracy = job._TrainAccuracy()
    config = job.TrainConfig(label_smoothing=0.0)
    total = job._make_loss(model, model, torch.device("cpu"), config, 10, accuracy)(images, labels).detach()
    with torch.no_grad():
        logits, _ = model(images)  # training mode: batch statistics, so the same logits again
        cross_entropy = torch.nn.functional.cross_entropy(logits, labels)
        weight_decay = sum(model.regularization_losses())
    assert float(weight_decay) > 0.01  # l2_regularizer(0.5) on every weight: not negligible
    assert float(total) == pytest.approx(float(cross_entropy + weight_decay), rel=1e-5)
    assert accuracy.count == 8 and accuracy.take() == float((logits.argmax(-1) == labels).float().mean())
    assert accuracy.take() is None  # taking resets the count


def test_label_smoothing_spreads_the_targets():
    model = _digits_model(weight_decay=0.0).eval()
    images, labels = data.load_digits("validation", image_size=16).batch(torch.arange(8))
    config = job.TrainConfig(label_smoothing=0.1)
    loss_fn = job._make_loss(model, model, torch.device("cpu"), config, 10, job._TrainAccuracy())
    smoothed = loss_fn(images, labels).detach()
    with torch.no_grad():
        logits, _ = model(images)
    expected = torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1)  # same (1 - a) + a / K rule
    assert float(smoothed) == pytest.approx(float(expected), rel=1e-5)


@pytest.mark.parametrize("name", ["resnet_v2_digits", "resnet_v1_small", "resnet_v2_small"])
def test_small_nets_build_under_their_scope(name):
    model = models.create_model(name, num_classes=10).build(torch.zeros(2, 32, 32, 3))
    logits, end_points = model(torch.zeros(2, 32, 32, 3))
    assert logits.shape == (2, 10) and f"{name}/logits" in end_points
    assert all(v.startswith(name + "/") for v in model.tf_variables())
    assert models.default_image_size(name) == 32 and name in models.list_models()


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match="--model_name: unknown net 'vgg_16'; choose from .*resnet_v2_small"):
        models.create_model("vgg_16", 10)


@pytest.mark.parametrize("name", ["resnet_v1_small", "resnet_v2_small"])
def test_small_nets_have_the_variables_of_tf_slims_fixtures(fixtures_dir, name):
    manifest = json.loads((fixtures_dir / name / "manifest.json").read_text())
    model = models.create_model(name, num_classes=10).build(torch.zeros(2, 65, 65, 3))
    assert [[n, list(v.tf_shape)] for n, v in model.tf_variables().items()] == \
        [[n, shape] for n, shape, _ in manifest["variables"]]
