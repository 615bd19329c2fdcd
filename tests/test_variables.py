"""Creating variables: ``variable``, ``model_variable``, layouts, ``local_variable`` / ``global_variable``."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim import GraphKeys

from model_helpers import X, run


# --- variable / model_variable / collections -----------------------------------------------------


def test_variable_and_model_variable_collections():
    checks = {}

    def fn(x):
        with slim.variable_scope("A"):
            slim.variable("plain", shape=[2])
            slim.variable("frozen", shape=[2], trainable=False)
            slim.model_variable("mv", shape=[3], collections=["mine"])
            slim.variable("local", shape=[1], collections=[GraphKeys.LOCAL_VARIABLES], trainable=False)
        checks["global"] = [v.name for v in slim.get_variables()]
        checks["model"] = [v.name for v in slim.get_model_variables()]
        checks["trainable"] = [v.name for v in slim.get_trainable_variables()]
        checks["local"] = [v.name for v in slim.get_local_variables()]
        checks["mine"] = [v.name for v in slim.get_variables(collection="mine")]

    run(fn, X)
    assert checks == {
        "global": ["A/plain", "A/frozen", "A/mv"],
        "model": ["A/mv"],
        "trainable": ["A/plain", "A/mv"],
        "local": ["A/local"],
        "mine": ["A/mv"],
    }


def test_variable_initializers_dtype_and_value():
    def fn(x):
        a = slim.variable("a", shape=[2, 3], initializer=slim.initializers.constant_initializer(2.5))
        b = slim.variable("b", initializer=torch.arange(4.0))
        c = slim.model_variable("c", shape=[2], dtype=torch.float64,
                                initializer=slim.initializers.zeros_initializer())
        return a, b, c

    model = slim.Model(fn)
    a, b, c = model(X)
    assert a.shape == (2, 3) and torch.all(a == 2.5)
    torch.testing.assert_close(b, torch.arange(4.0))
    assert c.dtype == torch.float64
    assert isinstance(a, torch.nn.Parameter) and a.requires_grad


def test_model_variable_is_arg_scoped():
    def fn(x):
        with slim.arg_scope([slim.model_variable], initializer=slim.initializers.ones_initializer()):
            return slim.model_variable("w", shape=[3])

    assert torch.all(slim.Model(fn)(X) == 1)


def test_variable_collections_with_arg_scope():
    # tf-slim GetVariablesCollections: slim.variable is arg-scoped too.
    found = {}

    def fn(x):
        with slim.arg_scope([slim.variable], collections="A"):
            slim.variable("a", shape=[])
            with slim.arg_scope([slim.variable], collections="B"):
                slim.variable("b", shape=[])
        with slim.arg_scope([slim.variable], trainable=False, collections=["C", "D"]):
            slim.variable("c", shape=[])
        slim.variable("d", shape=[], trainable=False)
        for key in "ABCD":
            found[key] = [v.name for v in slim.get_variables(collection=key)]
        found["restore"] = [v.name for v in slim.get_variables_to_restore()]
        found["trainable"] = [v.name for v in slim.get_trainable_variables()]

    run(fn, X)
    # given collections replace GLOBAL_VARIABLES, so "c" is not restored (TF's
    # testVariableRestoreWithArgScopeNested)
    assert found == {"A": ["a"], "B": ["b"], "C": ["c"], "D": ["c"], "restore": ["d"], "trainable": ["a", "b"]}


def test_variables_collections_list_and_dict():
    found = {}

    def fn(x):
        slim.conv2d(x, 2, 1, variables_collections=["conv_vars"])
        slim.batch_norm(x, scale=True, variables_collections={"beta": ["betas"], "moving_mean": "means"})
        found["conv"] = [v.name for v in slim.get_variables(collection="conv_vars")]
        found["betas"] = [v.name for v in slim.get_variables(collection="betas")]
        found["means"] = [v.name for v in slim.get_variables(collection="means")]

    run(fn, X)
    assert found == {"conv": ["Conv/weights", "Conv/biases"], "betas": ["BatchNorm/beta"],
                     "means": ["BatchNorm/moving_mean"]}


def test_trainable_false_makes_buffers():
    def fn(x):
        return slim.conv2d(x, 2, 1, trainable=False, scope="frozen")

    model = run(fn, X)
    assert list(dict(model.named_parameters())) == []
    assert list(dict(model.named_buffers())) == ["frozen.weights", "frozen.biases"]
    assert slim.get_trainable_variables(model=model) == []


# --- layouts -------------------------------------------------------------------------------------


def test_sharing_a_variable_with_another_layout_is_an_error_naming_it():
    def fn(x):
        with slim.variable_scope("Conv"):
            slim.variable("weights", shape=[1, 1, 3, 2])  # identity layout, TF shape of a 1x1 kernel
        return slim.conv2d(x, 2, [1, 1], scope="Conv", reuse=True)

    with pytest.raises(ValueError, match=r"share variable Conv/weights with layout 'conv'.*created with layout "
                                         r"'identity'"):
        run(fn, X)


def test_sharing_with_the_same_layout_works():
    def fn(x):
        with slim.variable_scope("Conv"):
            slim.variable("weights", shape=[1, 1, 3, 2], layout="conv",
                          initializer=slim.initializers.ones_initializer())
            slim.variable("biases", shape=[2], initializer=slim.initializers.zeros_initializer())
        return slim.conv2d(x, 2, [1, 1], scope="Conv", reuse=True)

    model = slim.Model(fn)
    torch.testing.assert_close(model(X), torch.full((1, 4, 4, 2), 3.0))
    assert model.variable("Conv/weights").tensor.shape == (2, 3, 1, 1)  # stored OIHW


def test_a_later_call_asking_for_another_layout_is_an_error_naming_it():
    # after the first call variables are found by name; the layout is checked there too
    def fn(x, as_conv=False):
        if as_conv:
            with slim.variable_scope("w"):
                return slim.variable("kernel", shape=[1, 1, 3, 2], layout="conv")
        with slim.variable_scope("w"):
            return slim.variable("kernel", shape=[1, 1, 3, 2])

    model = run(fn, X)
    model(X)
    with pytest.raises(ValueError, match=r"share variable w/kernel with layout 'conv'.*'identity'"):
        model(X, as_conv=True)


def test_auto_reuse_with_another_layout_is_an_error():
    def fn(x):
        with slim.variable_scope("s", reuse=slim.AUTO_REUSE):
            slim.variable("k", shape=[3, 2], layout="fc")
        with slim.variable_scope("s", reuse=slim.AUTO_REUSE):
            slim.variable("k", shape=[3, 2])

    with pytest.raises(ValueError, match=r"share variable s/k with layout 'identity'.*'fc'"):
        run(fn, X)


# --- local_variable / global_variable (tf-slim LocalVariableTest, GlobalVariableTest) -------------


@pytest.mark.parametrize("make, collection, other", [
    (slim.local_variable, GraphKeys.LOCAL_VARIABLES, GraphKeys.GLOBAL_VARIABLES),
    (slim.global_variable, GraphKeys.GLOBAL_VARIABLES, GraphKeys.LOCAL_VARIABLES),
])
def test_local_and_global_variables(make, collection, other):
    found = {}

    def fn(x):
        a = make(42)
        b = make(43)
        with slim.variable_scope("A"):
            c = make([1, 1, 1, 1, 1], name="a")
            d = make(0)
        with slim.variable_scope("B"):
            make(0)
        found["names"] = [v.name for v in slim.get_variables(collection=collection)]
        found["other"] = [v.name for v in slim.get_variables(collection=other)]
        found["A"] = [v.name for v in slim.get_variables("A", collection=collection)]
        found["restore"] = [v.name for v in slim.get_variables_to_restore()]
        found["trainable"] = slim.get_trainable_variables()
        return a, b, c, d

    model = slim.Model(fn)
    a, b, c, d = model(X)
    assert found["names"] == ["Variable", "Variable_1", "A/a", "A/Variable", "B/Variable"]
    assert found["other"] == [] and found["trainable"] == [] and found["A"] == ["A/a", "A/Variable"]
    assert found["restore"] == (found["names"] if collection == GraphKeys.GLOBAL_VARIABLES else [])
    assert (int(a), int(b), c.tolist()) == (42, 43, [1, 1, 1, 1, 1]) and c.shape == (5,)
    assert list(dict(model.named_parameters())) == []  # non-trainable: buffers
    a2, *_ = model(X)  # found again by the same names on the next call
    assert a2 is a and list(model.tf_variables()) == found["names"]
