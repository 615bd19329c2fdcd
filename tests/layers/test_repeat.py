"""repeat and stack: tf-slim's RepeatTests and StackTests ported (TF's scope naming)."""

from __future__ import annotations

import functools

import pytest
import torch

import torchslim as slim


def run(fn, *inputs):
    model = slim.Model(fn)
    return model, model(*inputs)


def names(model):
    return list(model.tf_variables())


IMAGES = torch.rand(5, 3, 3, 3)
FLAT = torch.rand(5, 27)


# --- RepeatTests ----------------------------------------------------------------------------------


def test_repeat():
    model, out = run(lambda x: slim.repeat(x, 3, slim.conv2d, 32, [3, 3]), IMAGES)
    assert out.shape == (5, 3, 3, 32)
    # slim.conv2d's __name__ is 'convolution2d', as in TF-Slim
    assert names(model) == [f"Repeat/convolution2d_{i}/{v}" for i in (1, 2, 3) for v in ("weights", "biases")]


def test_repeat_with_scope():
    model, out = run(lambda x: slim.repeat(x, 3, slim.conv2d, 32, [3, 3], scope="conv1"), IMAGES)
    assert out.shape == (5, 3, 3, 32)
    assert names(model)[-2:] == ["conv1/conv1_3/weights", "conv1/conv1_3/biases"]


def test_repeat_applies_the_layer_to_its_own_output():
    calls = []

    def double(x, scope=None):
        calls.append(scope)
        return 2 * x

    _, out = run(lambda x: slim.repeat(x, 4, double), torch.ones(2))
    torch.testing.assert_close(out, torch.full((2,), 16.0))
    assert calls == ["double_1", "double_2", "double_3", "double_4"]


def test_repeats_in_one_parent_are_uniquified_like_facenet():
    def block35(net, scale=1.0, scope=None):
        with slim.variable_scope(scope, "Block35"):
            return net + scale * slim.conv2d(net, 3, 1, scope="Conv2d_1x1")

    def fn(x):
        with slim.variable_scope("InceptionResnetV1"):
            net = slim.repeat(x, 2, block35, scale=0.17)
            net = slim.repeat(net, 1, block35, scale=0.10)
            return slim.repeat(net, 1, block35, scale=0.20)

    model, _ = run(fn, IMAGES)
    assert [n for n in names(model) if n.endswith("weights")] == [
        "InceptionResnetV1/Repeat/block35_1/Conv2d_1x1/weights",
        "InceptionResnetV1/Repeat/block35_2/Conv2d_1x1/weights",
        "InceptionResnetV1/Repeat_1/block35_1/Conv2d_1x1/weights",
        "InceptionResnetV1/Repeat_2/block35_1/Conv2d_1x1/weights",
    ]


def test_repeat_of_a_partial_uses_the_wrapped_name():
    model, _ = run(lambda x: slim.repeat(x, 2, functools.partial(slim.fully_connected, activation_fn=None), 27),
                   FLAT)
    assert names(model)[0] == "Repeat/fully_connected_1/weights"


def test_repeat_of_a_nameless_callable_uses_repeat():
    class Double:
        def __call__(self, x, scope=None):
            with slim.variable_scope(scope):
                return x * slim.variable("k", shape=[], initializer=slim.initializers.constant_initializer(2.0))

    model, out = run(lambda x: slim.repeat(x, 2, Double()), torch.ones(3))
    assert names(model) == ["Repeat/repeat_1/k", "Repeat/repeat_2/k"]
    torch.testing.assert_close(out, torch.full((3,), 4.0))


# --- StackTests -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", [slim.fully_connected, slim.relu, slim.elu])
def test_stack_fully_connected(layer):
    model, out = run(lambda x: slim.stack(x, layer, [10, 20, 30]), FLAT)
    assert out.shape == (5, 30)
    assert [(n, list(v.tf_shape)) for n, v in model.tf_variables().items() if n.endswith("weights")] == [
        ("Stack/fully_connected_1/weights", [27, 10]), ("Stack/fully_connected_2/weights", [10, 20]),
        ("Stack/fully_connected_3/weights", [20, 30])]


def test_stack_elu_applies_elu():
    init = dict(weights_initializer=slim.initializers.constant_initializer(-1.0))
    _, out = run(lambda x: slim.stack(x, slim.elu, [2], **init), torch.ones(1, 3))
    torch.testing.assert_close(out, torch.full((1, 2), torch.expm1(torch.tensor(-3.0)).item()))


def test_stack_fully_connected_fails_on_reuse():
    def fn(x):
        with slim.variable_scope("test", reuse=True):
            return slim.stack(x, slim.fully_connected, [10, 20, 30])

    with pytest.raises(ValueError, match="does not exist"):
        run(fn, FLAT)


def test_stack_convolution2d():
    model, out = run(lambda x: slim.stack(x, slim.convolution2d, [10, 20, 30], kernel_size=[3, 3], padding="SAME"),
                     IMAGES)
    assert out.shape == (5, 3, 3, 30)
    assert names(model)[-2:] == ["Stack/convolution2d_3/weights", "Stack/convolution2d_3/biases"]


def test_stack_with_scope_and_tuple_args():
    model, out = run(lambda x: slim.stack(x, slim.conv2d, [(10, [3, 3]), (20, [1, 1]), (30, [3, 3])], scope="conv1"),
                     IMAGES)
    assert out.shape == (5, 3, 3, 30)
    assert [list(v.tf_shape) for n, v in model.tf_variables().items() if n.endswith("weights")] == [
        [3, 3, 3, 10], [1, 1, 10, 20], [3, 3, 20, 30]]
    assert names(model)[-2:] == ["conv1/conv1_3/weights", "conv1/conv1_3/biases"]


def test_stack_args_must_be_a_list_or_tuple():
    with pytest.raises(ValueError, match="stack_args"):
        run(lambda x: slim.stack(x, slim.fully_connected, 10), FLAT)


def test_stack_of_a_nameless_callable_uses_stack():
    class Scale:
        def __call__(self, x, factor, scope=None):
            with slim.variable_scope(scope):
                return x * slim.variable("k", shape=[], initializer=slim.initializers.constant_initializer(factor))

    model, out = run(lambda x: slim.stack(x, Scale(), [2.0, 3.0]), torch.ones(3))
    assert names(model) == ["Stack/stack_1/k", "Stack/stack_2/k"]
    torch.testing.assert_close(out, torch.full((3,), 6.0))


def test_repeat_and_stack_are_not_arg_scoped():
    assert not slim.has_arg_scope(slim.repeat) and not slim.has_arg_scope(slim.stack)
