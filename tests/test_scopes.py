"""Variable scopes, name scopes and TF naming within a model call (``torchslim.scopes``)."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim

from model_helpers import X, names, run


# --- naming --------------------------------------------------------------------------------------


def test_default_names_are_uniquified_within_the_enclosing_scope():
    def fn(x):
        slim.conv2d(x, 2, 1)
        slim.conv2d(x, 2, 1)
        with slim.variable_scope("outer"):
            slim.batch_norm(x)
            slim.batch_norm(x)
            slim.conv2d(x, 2, 1)
        slim.fully_connected(x, 3)
        slim.fully_connected(x, 3)

    assert names(run(fn, X)) == [
        "Conv/weights", "Conv/biases", "Conv_1/weights", "Conv_1/biases",
        "outer/BatchNorm/beta", "outer/BatchNorm/moving_mean", "outer/BatchNorm/moving_variance",
        "outer/BatchNorm_1/beta", "outer/BatchNorm_1/moving_mean", "outer/BatchNorm_1/moving_variance",
        "outer/Conv/weights", "outer/Conv/biases",
        "fully_connected/weights", "fully_connected/biases",
        "fully_connected_1/weights", "fully_connected_1/biases",
    ]


def test_default_names_of_every_layer():
    def fn(x):
        slim.conv2d_transpose(x, 2, 3)
        slim.separable_conv2d(x, 2, 3)
        slim.bias_add(x)
        slim.layer_norm(x)

    assert names(run(fn, X)) == [
        "Conv2d_transpose/weights", "Conv2d_transpose/biases",
        "SeparableConv2d/depthwise_weights", "SeparableConv2d/pointwise_weights", "SeparableConv2d/biases",
        "BiasAdd/biases", "LayerNorm/beta", "LayerNorm/gamma",
    ]


def test_explicit_name_then_default_name_skips_it():
    def fn(x):
        slim.conv2d(x, 2, 1, scope="Conv")
        slim.conv2d(x, 2, 1)

    assert names(run(fn, X)) == ["Conv/weights", "Conv/biases", "Conv_1/weights", "Conv_1/biases"]


def test_explicit_names_are_used_as_given():
    def fn(x):
        with slim.variable_scope("net"):
            net = slim.conv2d(x, 2, 1, scope="conv1")
            slim.conv2d(net, 2, 1, scope="conv2")

    assert names(run(fn, X)) == ["net/conv1/weights", "net/conv1/biases", "net/conv2/weights", "net/conv2/biases"]


def test_reusing_an_explicit_name_without_reuse_is_an_error():
    def fn(x):
        slim.conv2d(x, 2, 1, scope="conv1")
        slim.conv2d(x, 2, 1, scope="conv1")

    with pytest.raises(ValueError, match="Variable conv1/weights already exists"):
        run(fn, X)


def test_reuse_true_shares_variables():
    def fn(x):
        a = slim.conv2d(x, 2, 1, scope="conv1")
        b = slim.conv2d(x, 2, 1, scope="conv1", reuse=True)
        return a, b

    model = slim.Model(fn)
    a, b = model(torch.rand(1, 4, 4, 3))
    assert names(model) == ["conv1/weights", "conv1/biases"]
    torch.testing.assert_close(a, b)


def test_reuse_true_on_a_missing_variable_is_an_error():
    def fn(x):
        with slim.variable_scope("test", reuse=True):
            slim.conv2d(x, 2, 1, scope="conv1")

    with pytest.raises(ValueError, match="test/conv1/weights does not exist"):
        run(fn, X)


def test_reuse_is_inherited_by_subscopes():
    def fn(x):
        with slim.variable_scope("tower"):
            slim.conv2d(x, 2, 1)
            slim.batch_norm(x)
        with slim.variable_scope("tower", reuse=True) as sc:
            assert sc.reuse is True
            slim.conv2d(x, 2, 1)
            slim.batch_norm(x)

    model = run(fn, X)
    assert names(model) == ["tower/Conv/weights", "tower/Conv/biases", "tower/BatchNorm/beta",
                            "tower/BatchNorm/moving_mean", "tower/BatchNorm/moving_variance"]


def test_subscope_counters_reset_when_a_named_scope_is_left():
    seen = []

    def fn(x):
        with slim.variable_scope("a"):
            with slim.variable_scope(None, "block") as s1:
                seen.append(s1.name)
            with slim.variable_scope(None, "block") as s2:
                seen.append(s2.name)
        with slim.variable_scope("a"):
            with slim.variable_scope(None, "block") as s3:
                seen.append(s3.name)

    run(fn, X)
    assert seen == ["a/block", "a/block_1", "a/block"]


def test_counters_restart_at_every_call():
    seen = []

    def fn(x):
        with slim.variable_scope(None, "block") as sc:
            seen.append(sc.name)
            return slim.conv2d(x, 2, 1)

    model = slim.Model(fn)
    model(X)
    model(X)
    model(X)
    assert seen == ["block", "block", "block"]
    assert names(model) == ["block/Conv/weights", "block/Conv/biases"]


def test_variable_scope_object_reentry_and_original_name_scope():
    seen = []

    def fn(x):
        with slim.variable_scope("outer") as outer:
            slim.conv2d(x, 2, 1)
        with slim.variable_scope(outer, reuse=True) as again:
            assert again.name == "outer" and again.original_name_scope == "outer/"
            slim.conv2d(x, 2, 1)
            # TF opens name_scope("outer") again: ops inside are under outer_1/
            slim.max_pool2d(x, [1, 1], outputs_collections="c")
        assert outer.original_name_scope == "outer/"
        with slim.variable_scope("outer", reuse=True) as third:
            seen.append(third.original_name_scope)
            slim.max_pool2d(x, [1, 1], outputs_collections="c")
        seen.append(list(slim.utils.convert_collection_to_dict("c")))

    assert names(run(fn, X)) == ["outer/Conv/weights", "outer/Conv/biases"]
    assert seen == ["outer_2/", ["outer_1/MaxPool2D", "outer_2/MaxPool2D"]]


def test_a_reentered_scope_object_keeps_its_own_reuse():
    # TF: VariableScope(name_or_scope.reuse if not reuse else reuse): neither the enclosing scope's
    # reuse nor None replaces the reuse the scope object was made with
    def fn(x):
        with slim.variable_scope("a"):
            first = slim.variable("v", shape=[1])
        with slim.variable_scope("a", reuse=True) as shared:
            pass
        with slim.variable_scope("b") as fresh:
            pass
        with slim.variable_scope(shared):
            again = slim.variable("v", shape=[1])
        with slim.variable_scope("outer", reuse=True):
            with slim.variable_scope(fresh):
                slim.variable("w", shape=[1])  # created: "b" does not inherit "outer"'s reuse
        return first, again

    model = slim.Model(fn)
    first, again = model(X)
    assert again is first and names(model) == ["a/v", "b/w"]


def test_reuse_is_inherited_with_or():
    # TF: reuse = reuse or parent.reuse, so AUTO_REUSE under a reuse=True parent still creates
    def fn(x):
        with slim.variable_scope("p"):
            slim.variable("old", shape=[1])
        with slim.variable_scope("p", reuse=True):
            slim.variable("old", shape=[1])
            with slim.variable_scope("q", reuse=slim.AUTO_REUSE) as q:
                assert q.reuse is slim.AUTO_REUSE
                slim.variable("new", shape=[1])
            with slim.variable_scope("r", reuse=False) as r:
                assert r.reuse is True

    assert names(run(fn, X)) == ["p/old", "p/q/new"]


def test_reuse_without_a_name_is_an_error():
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        run(lambda x: slim.conv2d(x, 2, 1, reuse=True), X)
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        run(lambda x: slim.batch_norm(x, reuse=slim.AUTO_REUSE), X)


def test_auto_reuse_creates_then_shares():
    def fn(x):
        for _ in range(3):
            with slim.variable_scope("shared", reuse=slim.AUTO_REUSE):
                v = slim.variable("v", shape=[2], initializer=slim.initializers.ones_initializer())
        return v

    model = run(fn, X)
    assert names(model) == ["shared/v"]


def test_name_scope_is_uniquified_and_not_part_of_variable_names():
    seen = []

    def fn(x):
        with slim.name_scope("fe") as ns:
            seen.append(ns)
            slim.conv2d(x, 2, 1, scope="Conv")
        with slim.name_scope("fe") as ns:
            seen.append(ns)
        slim.max_pool2d(x, [1, 1], scope="pool1", outputs_collections="c")
        slim.max_pool2d(x, [1, 1], scope="pool1", outputs_collections="c")
        seen.append(list(slim.utils.convert_collection_to_dict("c")))

    assert names(run(fn, X)) == ["Conv/weights", "Conv/biases"]
    assert seen == ["fe", "fe_1", ["pool1", "pool1_1"]]
