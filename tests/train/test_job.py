"""Pieces of the training job: its total loss and training accuracy."""

from __future__ import annotations

from dataclasses import asdict

import pytest
import torch

from torchslim.train import data, job, run_config


def _digits_model(**flags):
    settings = run_config.resolve(asdict(job.TrainConfig(image_size=16, **flags)))
    return run_config.model_from_config(settings, data.load_digits("validation", image_size=16))


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
