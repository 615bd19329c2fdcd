"""``SlimVariable``: a variable's TF name, shape and layout (``torchslim.store``)."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim import GraphKeys

from model_helpers import X, run


def _query_model():
    """A model holding ``A/sep/depthwise_weights``."""
    def fn(x):
        with slim.variable_scope("A"):
            slim.separable_conv2d(x, 2, 3, scope="sep")

    return run(fn, X)


def test_slim_variable_tf_metadata():
    model = _query_model()
    var = model.variable("A/sep/depthwise_weights")
    assert var.name == var.op.name == "A/sep/depthwise_weights"
    assert var.shape == torch.Size([3, 3, 3, 1]) == var.get_shape()
    assert var.layout == "depthwise" and var.trainable
    assert GraphKeys.MODEL_VARIABLES in var.collections
    with pytest.raises(KeyError, match="nope"):
        model.variable("nope")
