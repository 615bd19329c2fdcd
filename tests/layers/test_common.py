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


# --- activations after a normalizer: outputs, end points and gradients as computed out of place ---

RELU = torch.relu


def _conv_bn(bn_activation=None, outputs_collections=None, activation_fn=RELU):
    params = {"activation_fn": bn_activation, "scale": True}
    if outputs_collections:
        params["outputs_collections"] = outputs_collections
    return lambda x: slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, normalizer_params=params,
                                 activation_fn=activation_fn)


def _reference(model, x, bn_activation, activation_fn):
    """The same layer computed out of place from its variables: conv, BN (inference), activations."""
    tf = {name.split("/", 1)[1]: v.tensor for name, v in model.tf_variables().items()}
    y = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), tf["weights"], padding=1)
    y = torch.nn.functional.batch_norm(y, tf["BatchNorm/moving_mean"], tf["BatchNorm/moving_variance"],
                                       tf["BatchNorm/gamma"], tf["BatchNorm/beta"], False, 0.0, 0.001)
    for fn in (bn_activation, activation_fn):
        y = y if fn is None else fn(y)
    return y.permute(0, 2, 3, 1)


@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("bn_activation", [RELU, torch.sigmoid, None], ids=["relu", "sigmoid", "none"])
def test_activation_after_an_activated_normalizer_runs_out_of_place(training, bn_activation):
    """conv + BN(activation) + activation: ReLU's and sigmoid's backward read their outputs, so the
    layer's ReLU must not overwrite them (training, and eval with and without gradients)."""
    model = slim.Model(_conv_bn(bn_activation))
    model.train(training)
    x = torch.randn(2, 5, 5, 3, requires_grad=True)
    out = model(x)
    out.sum().backward()                                  # raised 'modified by an inplace operation'
    assert x.grad is not None
    if not training:
        torch.testing.assert_close(out, _reference(model, x, bn_activation, RELU))
        with torch.no_grad():
            torch.testing.assert_close(model(x), _reference(model, x, bn_activation, RELU))


def test_collected_normalizer_output_keeps_its_value():
    """BN's own end point is its output before the conv's activation, not after an in-place ReLU."""
    def fn(x):
        out = _conv_bn(outputs_collections="bn_outputs")(x)
        return out, slim.utils.convert_collection_to_dict("bn_outputs")

    model = slim.Model(fn).eval()
    x = torch.randn(2, 5, 5, 3)
    for grad in (True, False):                            # with and without autograd
        with torch.set_grad_enabled(grad):
            out, end_points = model(x)
        (bn_out,) = end_points.values()
        assert (bn_out < 0).any()                         # untouched by the layer's ReLU
        torch.testing.assert_close(torch.relu(bn_out), out)


def test_fully_connected_with_an_activated_layer_norm_trains():
    model = slim.Model(lambda x: slim.fully_connected(
        x, 4, normalizer_fn=slim.layer_norm, normalizer_params={"activation_fn": RELU},
        activation_fn=torch.nn.functional.relu6))
    x = torch.randn(3, 5, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None


def _graph_node_names(tensor):
    seen, names, stack = set(), [], [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        names.append(type(node).__name__)
        stack.extend(next_fn for next_fn, _ in node.next_functions)
    return names


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
def test_in_place_activation_after_a_layout_view_needs_no_gradient_copies(data_format):
    """ReLU in place on the NHWC view of a channels-first result would make autograd clone the gradient
    (CopySlices); the layers' activations leave no such node, and two models give the same numbers."""
    x = torch.randn(2, 6, 6, 3) if data_format == "NHWC" else torch.randn(2, 3, 6, 6)

    def fn(x):
        with slim.arg_scope([slim.conv2d, slim.batch_norm], data_format=data_format):
            y = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, scope="bn_conv")
            y = slim.batch_norm(y, activation_fn=torch.relu, scope="preact")
            return slim.conv2d(y, 4, 1, scope="plain_conv")

    model = slim.Model(fn).build(x)
    model.train()
    out = model(x)
    assert "CopySlices" not in _graph_node_names(out)
    out.square().mean().backward()
    grads = {name: v.tensor.grad.clone() for name, v in model.tf_variables().items() if v.trainable}
    reference = slim.Model(fn).build(x)  # the same net, its own variables
    reference.load_state_dict(model.state_dict())
    reference.train()
    ref_out = reference(x)
    torch.testing.assert_close(out, ref_out)
    ref_out.square().mean().backward()
    for name, grad in grads.items():
        torch.testing.assert_close(grad, reference.variable(name).tensor.grad, msg=name)


def test_activate_overwrites_only_an_unrecorded_tensor_nothing_else_holds():
    x = torch.tensor([-1.0, 2.0])
    with torch.no_grad():
        fresh = x.clone()
        assert common.activate(fresh, torch.relu).data_ptr() == fresh.data_ptr()  # in place
        assert fresh.tolist() == [0.0, 2.0]
        mine = x.clone()
        held = [mine]                                                          # another holder: a copy
        out = common.activate(mine, torch.relu)
        assert held[0].tolist() == [-1.0, 2.0] and out.tolist() == [0.0, 2.0]
    w = x.clone().requires_grad_()
    recorded = w * 1.0
    out = common.activate(recorded, torch.nn.functional.relu6)
    assert out is not recorded and recorded.tolist() == [-1.0, 2.0]              # autograd records it
    assert common.activate(x, None) is x
