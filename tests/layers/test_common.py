"""layers/common.py: collections per variable, rank checks and scope labels in errors, the layer tail."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.layers import common


def test_variable_collections():
    assert common.variable_collections(None, "weights") is None
    assert common.variable_collections("mine", "weights") == ["mine"]
    assert common.variable_collections(["a", "b"], "biases") == ["a", "b"]
    per_name = {"weights": "w", "beta": ["b1", "b2"]}
    assert common.variable_collections(per_name, "weights") == ["w"]
    assert common.variable_collections(per_name, "beta") == ["b1", "b2"]
    assert common.variable_collections(per_name, "biases") is None


def test_check_rank():
    assert common.check_rank(torch.zeros(2, 3), (2,), "fc", "fully_connected") == 2
    with pytest.raises(ValueError, match=r"fc: fully_connected expects input with rank in \[2, 3\], got 1 "
                                         r"\(shape \[4\]\)"):
        common.check_rank(torch.zeros(4), (2, 3), "fc", "fully_connected")
    with pytest.raises(TypeError, match="fc: fully_connected expects a torch.Tensor input, got list"):
        common.check_rank([1.0, 2.0], (2,), "fc", "fully_connected")


def test_scope_label_inside_and_outside_a_model():
    assert common.scope_label(None, "Conv") == "Conv"
    assert common.scope_label("conv1", "Conv") == "conv1"
    seen = []

    def fn(x):
        with slim.variable_scope("net"):
            seen.append(common.scope_label(None, "Conv"))
            seen.append(common.scope_label("logits", "Conv"))
        return x

    slim.Model(fn)(torch.zeros(1))
    assert seen == ["net/Conv", "net/logits"]


def test_normalize_and_activate_order():
    calls = []

    def normalizer(x, **params):
        calls.append(("norm", params))
        return x + 1

    out = common.normalize_and_activate(torch.tensor([-3.0]), normalizer, {"decay": 0.9},
                                        lambda x: calls.append("act") or x * 10)
    assert calls == [("norm", {"decay": 0.9}), "act"]
    torch.testing.assert_close(out, torch.tensor([-20.0]))
    torch.testing.assert_close(common.normalize_and_activate(torch.tensor([-3.0]), None, None, None),
                               torch.tensor([-3.0]))


@pytest.mark.parametrize("layer, scope", [
    (lambda: slim.conv2d(torch.zeros(1, 3, 3, 1), 2, 3, scope="conv1"), "conv1"),
    (lambda: slim.conv2d(torch.zeros(1, 3, 3, 1), 2, 3), "Conv"),
    (lambda: slim.max_pool2d(torch.zeros(1, 4, 4, 1), 2, scope="pool1"), "pool1"),
    (lambda: slim.fully_connected(torch.zeros(1, 3), 2), "fully_connected"),
    (lambda: slim.batch_norm(torch.zeros(2, 3)), "BatchNorm"),
    (lambda: slim.dropout(torch.zeros(2, 3), is_training=True), "Dropout"),
    (lambda: slim.flatten(torch.zeros(2, 3)), "Flatten"),
    (lambda: slim.repeat(torch.zeros(1, 3, 3, 1), 2, slim.conv2d, 2, 3, scope="block"), "block"),
])
def test_layers_outside_a_model_name_the_scope_and_say_to_wrap_them(layer, scope):
    with pytest.raises(RuntimeError, match=rf"{scope}'? was called outside a model.*torchslim.Model\(fn\)"):
        layer()
