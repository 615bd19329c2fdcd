"""Small Slim models for the export tests, and the scaled error the issue's tolerance is stated in."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim

TOLERANCE = 1e-4


def scaled_error(got, want) -> float:
    """``max|got - want| / max(max|want|, 1)``, per tensor."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1.0))


def tiny_classifier(images, num_classes=5, is_training=None, scope="tiny"):
    """conv (+ batch norm) -> max pool -> global mean -> logits, with a Predictions end point."""
    end_points = {}
    with slim.variable_scope(scope):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm,
                            normalizer_params={"is_training": is_training}):
            net = slim.conv2d(images, 4, [3, 3], scope="conv1")
        net = slim.max_pool2d(net, [2, 2], scope="pool1")
        net = torch.mean(net, dim=(1, 2))
        logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")
    end_points["Predictions"] = slim.softmax(logits, scope="predictions")
    return logits, end_points


def tiny_model(seed: int = 0) -> slim.Model:
    """A built :func:`tiny_classifier` with non-trivial batch-norm statistics (8x8x3 inputs)."""
    torch.manual_seed(seed)
    model = slim.Model(tiny_classifier).build(torch.zeros(1, 8, 8, 3))
    for name, var in model.tf_variables().items():
        if name.endswith(("moving_mean", "beta", "biases")):
            var.assign_tf(torch.randn(var.shape) * 0.1)
        elif name.endswith("moving_variance"):
            var.assign_tf(torch.rand(var.shape) + 0.5)
    return model.eval()


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """``(model, {"onnx": path, "pt2": path})``: the tiny net exported with a dynamic batch."""
    from torchslim.export import export_model

    model = tiny_model()
    out = tmp_path_factory.mktemp("tiny")
    paths = {fmt: str(out / f"tiny.{fmt}") for fmt in ("onnx", "pt2")}
    for path in paths.values():
        export_model(model, path, image_size=8, model_name="tiny")
    return model, paths
