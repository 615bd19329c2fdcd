"""Variable scopes, TF naming, variables, collections and the get_variables* queries."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim import GraphKeys


def run(fn, *inputs):
    """Builds and calls a model running ``fn``; returns the model."""
    model = slim.Model(fn)
    model(*inputs)
    return model


def names(model):
    return list(model.tf_variables())


X = torch.ones(1, 4, 4, 3)


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


def test_collections_are_per_call():
    sizes = []

    def fn(x):
        slim.conv2d(x, 2, 1, outputs_collections="end_points")
        sizes.append(len(slim.get_collection("end_points")))

    model = slim.Model(fn)
    model(X)
    model(X)
    assert sizes == [1, 1]


# --- queries -------------------------------------------------------------------------------------


def _query_model():
    def fn(x):
        with slim.variable_scope("A"):
            slim.conv2d(x, 2, 1, scope="conv1")
            slim.separable_conv2d(x, 2, 3, scope="sep")
        with slim.variable_scope("AB"):
            slim.conv2d(x, 2, 1, scope="conv1", normalizer_fn=slim.batch_norm)
        with slim.variable_scope("B"):
            slim.fully_connected(x, 2, scope="logits")

    return run(fn, X)


def test_get_variables_scope_is_a_regex_prefix():
    model = _query_model()
    got = lambda **kw: [v.name for v in slim.get_variables(model=model, **kw)]  # noqa: E731
    assert got(scope="A/") == ["A/conv1/weights", "A/conv1/biases", "A/sep/depthwise_weights",
                               "A/sep/pointwise_weights", "A/sep/biases"]
    # re.match: "A" also matches "AB/..." (TF's behaviour)
    assert len(got(scope="A")) == 5 + 4
    assert got(scope="A[B]/conv1/B.*mean") == ["AB/conv1/BatchNorm/moving_mean"]
    assert got(scope="B/logits") == ["B/logits/weights", "B/logits/biases"]
    assert got(scope="nothing") == []


def test_get_variables_accepts_a_variable_scope():
    found = {}

    def fn(x):
        with slim.variable_scope("A") as scope:
            slim.variable("a", shape=[5])
            slim.variable("b", shape=[5])
        slim.variable("c", shape=[5])
        found["A"] = [v.name for v in slim.get_variables(scope)]

    run(fn, X)
    assert found["A"] == ["A/a", "A/b"]


def test_get_variables_suffix():
    model = _query_model()
    got = lambda *a, **kw: [v.name for v in slim.get_variables(*a, model=model, **kw)]  # noqa: E731
    assert got(suffix="biases") == ["A/conv1/biases", "A/sep/biases", "B/logits/biases"]
    assert got("A/", "weights") == ["A/conv1/weights", "A/sep/depthwise_weights", "A/sep/pointwise_weights"]


def test_get_model_and_trainable_variables():
    model = _query_model()
    assert len(slim.get_model_variables(model=model)) == 11
    trainable = [v.name for v in slim.get_trainable_variables(model=model)]
    assert "AB/conv1/BatchNorm/moving_mean" not in trainable and "AB/conv1/BatchNorm/beta" in trainable
    assert len(trainable) == 9
    with pytest.raises(RuntimeError, match="outside a model"):
        slim.get_model_variables("B")


def test_get_variables_by_name_and_suffix():
    model = _query_model()
    by_name = [v.name for v in slim.get_variables_by_name("weights", model=model)]
    assert by_name == ["A/conv1/weights", "AB/conv1/weights", "B/logits/weights"]
    assert [v.name for v in slim.get_variables_by_name("weights", scope="A/", model=model)] == ["A/conv1/weights"]
    by_suffix = [v.name for v in slim.get_variables_by_suffix("weights", model=model)]
    assert by_suffix == ["A/conv1/weights", "A/sep/depthwise_weights", "A/sep/pointwise_weights",
                         "AB/conv1/weights", "B/logits/weights"]
    assert [v.name for v in slim.get_variables_by_suffix("variance", "AB", model=model)] == [
        "AB/conv1/BatchNorm/moving_variance"]


def test_get_unique_variable():
    model = _query_model()
    assert slim.get_unique_variable("B/logits/weights", model=model).tf_shape == (3, 2)
    with pytest.raises(ValueError, match="Couldn't find variable B/logits/nope"):
        slim.get_unique_variable("B/logits/nope", model=model)


def test_get_variables_to_restore():
    model = _query_model()
    all_names = list(model.tf_variables())
    restore = lambda **kw: [v.name for v in slim.get_variables_to_restore(model=model, **kw)]  # noqa: E731
    assert restore() == all_names
    assert restore(exclude=["B/logits"]) == [n for n in all_names if not n.startswith("B/")]
    assert restore(include=["A/conv1", "B"]) == ["A/conv1/weights", "A/conv1/biases", "B/logits/weights",
                                                  "B/logits/biases"]
    assert restore(include=["A"], exclude=["A/sep", "AB/conv1/BatchNorm"]) == [
        "A/conv1/weights", "A/conv1/biases", "AB/conv1/weights"]
    # TF's order: the variables of each include scope in turn (then the exclusions)
    assert restore(include=["B", "A/conv1"]) == ["B/logits/weights", "B/logits/biases", "A/conv1/weights",
                                                  "A/conv1/biases"]
    assert restore(include=["a"]) == []  # testWrongIncludeGetVariablesToRestore
    with pytest.raises(TypeError):
        slim.get_variables_to_restore(include="A", model=model)
    with pytest.raises(TypeError):
        slim.get_variables_to_restore(exclude="B/logits", model=model)


def test_get_variables_to_restore_scopes_are_regexes():
    # TF looks the scopes up with get_variables(scope), i.e. re.match on the names (with ":0")
    model = _query_model()
    restore = lambda **kw: [v.name for v in slim.get_variables_to_restore(model=model, **kw)]  # noqa: E731
    assert restore(exclude=[".*biases", ".*BatchNorm"]) == ["A/conv1/weights", "A/sep/depthwise_weights",
                                                            "A/sep/pointwise_weights", "AB/conv1/weights",
                                                            "B/logits/weights"]
    assert restore(include=["A/(conv1|sep)/.*weights"]) == ["A/conv1/weights", "A/sep/depthwise_weights",
                                                            "A/sep/pointwise_weights"]
    assert restore(include=["B|AB/conv1/weights"]) == ["AB/conv1/weights", "B/logits/weights", "B/logits/biases"]


def test_get_variables_inside_the_model_function():
    seen = {}

    def fn(x):
        slim.conv2d(x, 2, 1, scope="conv1")
        seen["inside"] = [v.name for v in slim.get_variables_to_restore(exclude=["conv1/biases"])]

    run(fn, X)
    assert seen["inside"] == ["conv1/weights"]


def test_filter_variables():
    model = _query_model()
    var_list = list(model.tf_variables().values())
    filt = lambda *a, **kw: [v.name for v in slim.filter_variables(var_list, *a, **kw)]  # noqa: E731
    assert filt(["biases"]) == ["A/conv1/biases", "A/sep/biases", "B/logits/biases"]
    assert filt(["conv1"], ["BatchNorm", "biases"]) == ["A/conv1/weights", "AB/conv1/weights"]
    assert filt(exclude_patterns=["^A"]) == ["B/logits/weights", "B/logits/biases"]
    assert filt(["weights"], reg_search=False) == []
    assert filt(["AB"], reg_search=False) == ["AB/conv1/weights", "AB/conv1/BatchNorm/beta",
                                              "AB/conv1/BatchNorm/moving_mean", "AB/conv1/BatchNorm/moving_variance"]


def test_filter_variables_matches_tf_tensor_names():
    model = _query_model()
    var_list = list(model.tf_variables().values())
    filt = lambda *a, **kw: [v.name for v in slim.filter_variables(var_list, *a, **kw)]  # noqa: E731
    assert filt(["logits/weights:0"]) == ["B/logits/weights"]
    assert filt(["weights$"]) == []  # TF's names end in ":0"
    assert filt([".*biases"], reg_search=False) == ["A/conv1/biases", "A/sep/biases", "B/logits/biases"]
    assert filt(["conv1", "weights"]) == [  # two include patterns: no variable twice
        "A/conv1/weights", "A/conv1/biases", "A/sep/depthwise_weights", "A/sep/pointwise_weights",
        "AB/conv1/weights", "AB/conv1/BatchNorm/beta", "AB/conv1/BatchNorm/moving_mean",
        "AB/conv1/BatchNorm/moving_variance", "B/logits/weights"]


def test_slim_variable_tf_metadata():
    model = _query_model()
    var = model.variable("A/sep/depthwise_weights")
    assert var.name == var.op.name == "A/sep/depthwise_weights"
    assert var.shape == torch.Size([3, 3, 3, 1]) == var.get_shape()
    assert var.layout == "depthwise" and var.trainable
    assert GraphKeys.MODEL_VARIABLES in var.collections
    with pytest.raises(KeyError, match="nope"):
        model.variable("nope")


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
