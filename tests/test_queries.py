"""Collections and the ``get_variables*`` / ``filter_variables`` queries (``torchslim.queries``)."""

from __future__ import annotations

import pytest

import torchslim as slim

from model_helpers import X, run


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


# --- per-call collections ---------------------------------------------------------------------


def test_collections_are_per_call():
    sizes = []

    def fn(x):
        slim.conv2d(x, 2, 1, outputs_collections="end_points")
        sizes.append(len(slim.get_collection("end_points")))

    model = slim.Model(fn)
    model(X)
    model(X)
    assert sizes == [1, 1]
