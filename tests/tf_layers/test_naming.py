"""How tf.layers names its scopes and variables, replayed against what TensorFlow did.

``layers_zoo/manifest.json`` (``naming``) holds small graphs the fixture generator ran in TF 2.15.1;
``test_manifest_naming_experiment`` runs the same code here and wants the same variables (or the
same "already exists" error). ``TF_RECORDED`` are further cases run the same way in the reference
TF 2.15.1 venv (``/tmp/tfslim-ref``, ``tf.compat.v1`` graph mode); the results are written out
here. Op names (``ns_1/conv2d/BiasAdd``) name graph ops that do not exist in eager PyTorch and are
not compared; that variable-free layers take part in the scope counters is checked through the
counters themselves.
"""

from __future__ import annotations

import pytest
import torch

import torchslim.tf_layers.compat_v1 as tf
from torchslim import tf_layers

from ._util import fixture, names, run


def _x():
    return torch.zeros(1, 4, 4, 2)


def _counters_per_layer_type(x):
    tf.layers.conv2d(x, 2, 1)
    tf.layers.dense(x, 2)
    tf.layers.conv2d(x, 2, 1)
    tf.layers.batch_normalization(x)
    tf.layers.conv2d_transpose(x, 2, 1)


def _reenter_variable_scope_by_name(x):
    with tf.variable_scope("a"):
        tf.layers.conv2d(x, 2, 1)
    with tf.variable_scope("a"):
        tf.layers.conv2d(x, 2, 1)


def _reenter_variable_scope_reuse_true(x):
    with tf.variable_scope("a"):
        tf.layers.conv2d(x, 2, 1)
    with tf.variable_scope("a", reuse=True):
        tf.layers.conv2d(x, 2, 1)


def _name_scope_does_not_name_variables(x):
    with tf.name_scope("ns"):
        tf.layers.conv2d(x, 2, 1)
    with tf.name_scope("ns"):
        tf.layers.conv2d(x, 2, 1)


def _explicit_name_is_skipped_by_default_names(x):
    tf.layers.conv2d(x, 2, 1, name="conv2d_1")
    tf.layers.conv2d(x, 2, 1)
    tf.layers.conv2d(x, 2, 1)
    tf.layers.conv2d(x, 2, 1)


def _explicit_name_clashing_with_existing(x):
    tf.layers.conv2d(x, 2, 1)
    tf.layers.conv2d(x, 2, 1, name="conv2d")


def _variable_scope_default_name(x):
    with tf.variable_scope(None, default_name="blk"):
        tf.layers.conv2d(x, 2, 1)
    with tf.variable_scope(None, default_name="blk"):
        tf.layers.conv2d(x, 2, 1)
    with tf.variable_scope("outer"):
        with tf.variable_scope(None, default_name="blk"):
            tf.layers.conv2d(x, 2, 1)


def _variable_free_layers_still_get_numbered_names(x):
    tf.layers.max_pooling2d(x, 2, 2)
    tf.layers.max_pooling2d(x, 2, 2)
    tf.layers.dropout(x, training=False)
    tf.layers.flatten(x)


def _batch_normalization_center_scale_false(x):
    tf.layers.batch_normalization(x, center=False)
    tf.layers.batch_normalization(x, scale=False)


MANIFEST_EXPERIMENTS = {
    "counters_per_layer_type": _counters_per_layer_type,
    "reenter_variable_scope_by_name": _reenter_variable_scope_by_name,
    "reenter_variable_scope_reuse_true": _reenter_variable_scope_reuse_true,
    "name_scope_does_not_name_variables": _name_scope_does_not_name_variables,
    "explicit_name_is_skipped_by_default_names": _explicit_name_is_skipped_by_default_names,
    "explicit_name_clashing_with_existing": _explicit_name_clashing_with_existing,
    "variable_scope_default_name": _variable_scope_default_name,
    "variable_free_layers_still_get_numbered_names": _variable_free_layers_still_get_numbered_names,
    "batch_normalization_center_scale_false": _batch_normalization_center_scale_false,
}
NOT_REPLAYED = {"layer_object_called_twice": "tf.layers.Conv2D layer objects are not part of torchslim.tf_layers"}


def _outcome(fn):
    """``(variables, error message or None)`` of running ``fn(x)`` as a model's first call."""
    from torchslim import Model

    model = Model(fn)
    try:
        model(_x())
    except ValueError as error:
        return names(model), str(error)
    return names(model), None


def test_every_manifest_experiment_is_covered():
    _, manifest, _ = fixture("layers_zoo")
    assert set(manifest["naming"]) == set(MANIFEST_EXPERIMENTS) | set(NOT_REPLAYED)


@pytest.mark.parametrize("key", sorted(MANIFEST_EXPERIMENTS))
def test_manifest_naming_experiment(key):
    _, manifest, _ = fixture("layers_zoo")
    recorded = manifest["naming"][key]
    variables, error = _outcome(MANIFEST_EXPERIMENTS[key])
    if "error" in recorded:
        assert variables == recorded["variables_before_error"]
        assert error is not None and "already exists, disallowed" in error
        assert recorded["error"].startswith("ValueError: Variable " + error.split()[1] + " already exists")
    else:
        assert error is None
        assert variables == recorded["variables"]


# Run in TF 2.15.1 (tf.compat.v1 graph mode, keras.src.legacy_tf_layers) in /tmp/tfslim-ref.
def _pool_counts(x):
    tf.layers.max_pooling2d(x, 2, 2)
    tf.layers.max_pooling2d(x, 2, 2)
    with tf.variable_scope(None, default_name="max_pooling2d"):
        tf.get_variable("v", [1])


def _reuse_without_name(x):
    tf.layers.conv2d(x, 2, 1)
    tf.layers.conv2d(x, 2, 1, reuse=True)
    tf.layers.conv2d(x, 2, 1)


def _pool_named_like_a_conv(x):
    tf.layers.max_pooling2d(x, 2, 2, name="conv2d")
    tf.layers.conv2d(x, 2, 1)


def _named_reuse(x):
    tf.layers.conv2d(x, 2, 1, name="c")
    tf.layers.conv2d(x, 2, 1, name="c", reuse=True)
    tf.layers.conv2d(x, 2, 1, name="c", reuse=tf.AUTO_REUSE)


def _auto_reuse(x):
    tf.layers.conv2d(x, 2, 1, reuse=tf.AUTO_REUSE)
    tf.layers.conv2d(x, 2, 1, reuse=tf.AUTO_REUSE)
    tf.layers.conv2d(x, 2, 1)


def _scope_reuse(x):
    with tf.variable_scope("s"):
        tf.layers.dense(torch.zeros(1, 3), 2)
        tf.layers.dropout(x)
        tf.layers.dense(torch.zeros(1, 3), 2)
    with tf.variable_scope("s", reuse=True):
        tf.layers.dense(torch.zeros(1, 3), 2)
        tf.layers.dense(torch.zeros(1, 3), 2)


def _explicit_twice(x):
    tf.layers.conv2d(x, 2, 1, name="conv2d_1")
    tf.layers.conv2d(x, 2, 1, name="conv2d_1")


def _bn_named(x):
    tf.layers.batch_normalization(x, name="bn")
    tf.layers.batch_normalization(x, name="bn", reuse=True)
    tf.layers.batch_normalization(x)


def _reuse_missing(x):
    with tf.variable_scope("a"):
        tf.layers.conv2d(x, 2, 1)
    with tf.variable_scope("a", reuse=True):
        tf.layers.conv2d(x, 2, 1)
        tf.layers.conv2d(x, 2, 1)


def _dropout_named(x):
    tf.layers.dropout(x, name="drop")
    tf.layers.dropout(x, name="drop")
    with tf.variable_scope(None, default_name="drop"):
        tf.get_variable("v", [1])


_BN = ["gamma", "beta", "moving_mean", "moving_variance"]
TF_RECORDED = {
    "pool_counts": (_pool_counts, ["max_pooling2d_2/v"], None),
    "reuse_without_name": (_reuse_without_name, ["conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias"],
                           None),
    "pool_named_like_a_conv": (_pool_named_like_a_conv, ["conv2d_1/kernel", "conv2d_1/bias"], None),
    "named_reuse": (_named_reuse, ["c/kernel", "c/bias"], None),
    "auto_reuse": (_auto_reuse, ["conv2d/kernel", "conv2d/bias", "conv2d_1/kernel", "conv2d_1/bias"], None),
    "scope_reuse": (_scope_reuse, ["s/dense/kernel", "s/dense/bias", "s/dense_1/kernel", "s/dense_1/bias"], None),
    "explicit_twice": (_explicit_twice, ["conv2d_1/kernel", "conv2d_1/bias"],
                       "Variable conv2d_1/kernel already exists, disallowed"),
    "bn_named": (_bn_named, [f"bn/{v}" for v in _BN] + [f"batch_normalization/{v}" for v in _BN], None),
    "reuse_missing": (_reuse_missing, ["a/conv2d/kernel", "a/conv2d/bias"],
                      "Variable a/conv2d_1/kernel does not exist"),
    "dropout_named": (_dropout_named, ["drop_2/v"], None),
}


@pytest.mark.parametrize("key", sorted(TF_RECORDED))
def test_tf_recorded_naming(key):
    fn, expected, error = TF_RECORDED[key]
    variables, got_error = _outcome(fn)
    assert variables == expected
    if error is None:
        assert got_error is None
    else:
        assert got_error is not None and got_error.startswith(error)


@pytest.mark.parametrize("fn, args, base", [
    (tf_layers.conv1d, (torch.zeros(1, 5, 2), 3, 1), "conv1d"),
    (tf_layers.conv2d, (torch.zeros(1, 5, 5, 2), 3, 1), "conv2d"),
    (tf_layers.conv3d, (torch.zeros(1, 3, 3, 3, 2), 3, 1), "conv3d"),
    (tf_layers.separable_conv2d, (torch.zeros(1, 5, 5, 2), 3, 1), "separable_conv2d"),
    (tf_layers.conv2d_transpose, (torch.zeros(1, 5, 5, 2), 3, 1), "conv2d_transpose"),
    (tf_layers.dense, (torch.zeros(1, 2), 3), "dense"),
    (tf_layers.batch_normalization, (torch.zeros(2, 2),), "batch_normalization"),
])
def test_default_scope_is_the_snake_case_class_name_uniquified(fn, args, base):
    def net():
        fn(*args)
        fn(*args)
        with tf.variable_scope("inner"):
            fn(*args)

    model, _ = run(net)
    scopes = list(dict.fromkeys(name.rsplit("/", 1)[0] for name in names(model)))
    assert scopes == [base, f"{base}_1", f"inner/{base}"]


def test_trainable_false_makes_buffers_not_parameters():
    def net(x):
        tf.layers.conv2d(x, 2, 1, trainable=False)
        tf.layers.batch_normalization(x, trainable=False)

    model, _ = run(net, _x())
    assert names(model) == ["conv2d/kernel", "conv2d/bias"] + [f"batch_normalization/{v}" for v in _BN]
    assert list(model.parameters()) == []
    assert not any(v.trainable for v in model.tf_variables().values())


def test_variables_are_global_and_trainable_but_not_model_variables():
    def net(x):
        tf.layers.batch_normalization(tf.layers.conv2d(x, 2, 1))

    model, _ = run(net, _x())
    collections = {name: set(v.collections) for name, v in model.tf_variables().items()}
    assert collections["conv2d/kernel"] == {"variables", "trainable_variables"}
    assert collections["batch_normalization/moving_mean"] == {"variables"}


def test_names_are_stable_across_calls():
    def net(x):
        with tf.variable_scope(None, default_name="blk"):
            return tf.layers.dense(tf.layers.flatten(tf.layers.conv2d(x, 2, 1)), 3)

    model, first = run(net, _x())
    before = names(model)
    second = model(_x())
    assert names(model) == before == ["blk/conv2d/kernel", "blk/conv2d/bias", "blk/dense/kernel", "blk/dense/bias"]
    assert torch.equal(first, second)
