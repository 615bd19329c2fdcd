"""The stand-in's functions against hand-computed values (TF semantics where torch's differ)."""

from __future__ import annotations

import logging

import pytest
import torch

import torchslim as slim
import torchslim.compat as tf
from torchslim.compat.hparams import HParams


def t(values, dtype=torch.float32):
    return torch.tensor(values, dtype=dtype)


# -- array functions --------------------------------------------------------------------------------------------
def test_pad_modes():
    x = t([1, 2, 3])
    assert tf.pad(x, [[2, 1]]).tolist() == [0, 0, 1, 2, 3, 0]
    assert tf.pad(x, [[1, 0]], constant_values=9).tolist() == [9, 1, 2, 3]
    assert tf.pad(x, [[2, 2]], "REFLECT").tolist() == [3, 2, 1, 2, 3, 2, 1]
    assert tf.pad(x, [[3, 2]], mode="symmetric").tolist() == [3, 2, 1, 1, 2, 3, 3, 2]
    with pytest.raises(ValueError, match="REFLECT padding of 3"):
        tf.pad(x, [[3, 0]], "REFLECT")
    with pytest.raises(ValueError, match=r"shape \[1, 2\]"):
        tf.pad(x, [[1, 1], [0, 0]])
    grid = torch.arange(6.).reshape(2, 3)
    assert tf.pad(grid, [[1, 0], [0, 1]]).tolist() == [[0, 0, 0, 0], [0, 1, 2, 0], [3, 4, 5, 0]]


def test_dtypes_follow_tf():
    assert tf.constant(1).dtype == torch.int32 and tf.constant(1.5).dtype == torch.float32
    assert tf.range(4).dtype == torch.int32 and tf.range(0.0, 1.0, 0.5).tolist() == [0.0, 0.5]
    assert tf.shape(torch.zeros(2, 3)).tolist() == [2, 3] and tf.shape(torch.zeros(2)).dtype == torch.int32
    assert tf.argmax(t([[1, 5], [3, 2]])).tolist() == [1, 0]  # axis 0 by default, as in TF
    assert tf.argmax(t([[1, 5], [3, 2]]), 1, output_type=tf.int32).dtype == torch.int32
    assert tf.as_dtype("float32") is torch.float32 and tf.as_dtype(tf.int64) is torch.int64
    with pytest.raises(TypeError, match="tf.as_dtype"):
        tf.as_dtype("float128")


def test_split_and_friends():
    x = torch.arange(12.).reshape(2, 6)
    a, b, c = tf.split(x, 3, axis=1)
    assert a.tolist() == [[0, 1], [6, 7]] and c.shape == (2, 2)
    first, rest = tf.split(x, [1, -1], 1)
    assert first.shape == (2, 1) and rest.shape == (2, 5)
    with pytest.raises(ValueError, match="4 equal parts"):
        tf.split(x, 4, axis=1)
    with pytest.raises(ValueError, match="do not add up"):
        tf.split(x, [2, 2], axis=1)
    assert [u.tolist() for u in tf.unstack(x[:, :2], axis=1)] == [[0, 6], [1, 7]]
    with pytest.raises(ValueError, match="num=3"):
        tf.unstack(x, num=3)
    assert tf.gather(x, [[1], [0]], axis=0).shape == (2, 1, 6) and tf.gather(x, [5, 0], axis=1).tolist() == [[5, 0],
                                                                                                            [11, 6]]
    assert tf.slice(x, [1, 2], [-1, 2]).tolist() == [[8, 9]]
    assert tf.tile(t([[1, 2]]), [2, 2]).tolist() == [[1, 2, 1, 2], [1, 2, 1, 2]]
    assert tf.expand_dims(x, -1).shape == (2, 6, 1) and tf.expand_dims(x, dim=0).shape == (1, 2, 6)
    assert tf.transpose(torch.zeros(2, 3, 4)).shape == (4, 3, 2)
    assert tf.boolean_mask(t([1, 2, 3]), t([True, False, True], torch.bool)).tolist() == [1, 3]
    assert tf.constant(2.0, shape=[2, 2]).tolist() == [[2, 2], [2, 2]]
    with pytest.raises(TypeError, match="does not fit"):
        tf.constant([1.0, 2.0], shape=[3])
    assert tf.fill([2], 7).tolist() == [7, 7] and tf.fill([1], 7).dtype == torch.int32


def test_where_and_one_hot():
    cond = t([True, False], torch.bool)
    x, y = torch.ones(2, 3), torch.zeros(2, 3)
    assert tf.where(cond, x, y).tolist() == [[1, 1, 1], [0, 0, 0]]  # TF1: a vector condition picks rows
    assert tf.where(t([[True, False], [False, True]], torch.bool)).tolist() == [[0, 0], [1, 1]]
    assert tf.one_hot([0, 2, 5], 3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0]]  # out of range: all off
    assert tf.one_hot([1], 2, on_value=5, off_value=-1).tolist() == [[-1, 5]]
    assert tf.one_hot([1, 0], 2, axis=0).tolist() == [[0, 1], [1, 0]]


# -- math -------------------------------------------------------------------------------------------------------
def test_reductions():
    x = torch.arange(6.).reshape(2, 3)
    assert tf.reduce_mean(x, [0, 1], keep_dims=True).tolist() == [[2.5]]
    assert tf.reduce_sum(x, reduction_indices=1).tolist() == [3, 12]
    assert tf.reduce_prod(x + 1, axis=[0, 1]).item() == 720
    assert tf.reduce_mean(t([1, 2], torch.int32)).item() == 1  # integer mean truncates, as in TF
    assert tf.reduce_any(x > 4, axis=1).tolist() == [False, True] and tf.reduce_all(x >= 0).item()
    assert tf.reduce_sum(x, axis=[]).tolist() == x.tolist()
    assert tf.reduce_max(x, keepdims=True).shape == (1, 1)


def test_elementwise():
    x = t([-1.5, 0.5, 2.5])
    assert tf.add_n([x, x, x]).tolist() == [-4.5, 1.5, 7.5]
    with pytest.raises(ValueError, match="one shape"):
        tf.add_n([x, x[:2]])
    assert tf.clip_by_value(x, -1.0, 1.0).tolist() == [-1, 0.5, 1]
    assert tf.maximum(x, 0.0).tolist() == [0, 0.5, 2.5] and tf.minimum(x, 0).tolist() == [-1.5, 0, 0]
    assert tf.round(x).tolist() == [-2, 0, 2]  # half to even
    assert tf.div(t([7, -7], torch.int32), 2).tolist() == [3, -4] and tf.div(t([7.0]), 2).tolist() == [3.5]
    assert tf.matmul(t([[1, 2]]), t([[3, 4]]), transpose_b=True).tolist() == [[11]]
    assert tf.cumsum(t([1, 2, 3]), exclusive=True).tolist() == [0, 1, 3]
    assert tf.cumsum(t([1, 2, 3]), reverse=True).tolist() == [6, 5, 3]
    assert tf.clip_by_norm(t([3, 4]), 1.0).tolist() == pytest.approx([0.6, 0.8])
    assert tf.equal(t([1, 2]), 2).tolist() == [False, True] and tf.math.reduce_sum is tf.reduce_sum


# -- nn ---------------------------------------------------------------------------------------------------------
def test_nn_arguments():
    x = torch.rand(1, 5, 5, 2)
    with pytest.raises(ValueError, match="batch and channel dimensions must be 1"):
        tf.nn.max_pool(x, [2, 3, 3, 1], [1, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        tf.nn.avg_pool(x, 2, 2, "FULL")
    with pytest.raises(ValueError, match="exactly one of keep_prob and rate"):
        tf.nn.dropout(x)
    assert tf.nn.dropout(x, rate=0.0) is x
    kept = tf.nn.dropout(torch.ones(1000), keep_prob=0.5)
    assert set(kept.unique().tolist()) <= {0.0, 2.0}
    assert tf.nn.max_pool(x, 3, 2, "SAME", data_format="NHWC").shape == (1, 3, 3, 2)
    nchw = x.permute(0, 3, 1, 2)
    assert torch.equal(tf.nn.max_pool(nchw, [1, 1, 3, 3], [1, 1, 2, 2], "SAME", data_format="NCHW"),
                       tf.nn.max_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], "SAME").permute(0, 3, 1, 2))
    assert tf.nn.bias_add(torch.zeros(1, 2, 3, 3), t([1, 2]), data_format="NCHW")[0, :, 0, 0].tolist() == [1, 2]
    with pytest.raises(ValueError, match="labels= and logits="):
        tf.nn.sigmoid_cross_entropy_with_logits(x, x)
    assert tf.nn.in_top_k(t([[0.1, 0.9, 0.5]]), [2], 2).tolist() == [True]


def test_image_nearest_matches_tf_index_rule():
    x = torch.arange(4.).reshape(1, 1, 4, 1)
    assert tf.image.resize_nearest_neighbor(x, [1, 3])[0, 0, :, 0].tolist() == [0, 1, 2]  # floor(j * 4 / 3)
    assert tf.image.resize_nearest_neighbor(x, [1, 3], align_corners=True)[0, 0, :, 0].tolist() == [0, 2, 3]
    assert tf.image.resize_bilinear(x, [1, 8])[0, 0, :, 0].tolist() == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3]
    with pytest.raises(ValueError, match="cannot both be True"):
        tf.image.resize_bilinear(x, [2, 2], align_corners=True, half_pixel_centers=True)


# -- graph-only names, variables, summaries ---------------------------------------------------------------------
def test_graph_only_names_have_their_eager_meaning():
    with tf.device("/gpu:0"), tf.control_dependencies([tf.no_op()]):
        assert tf.group(torch.zeros(1)) is None
    assert tf.cond(t(True, torch.bool), lambda: 1, lambda: 2) == 1 and tf.cond(False, fn1=lambda: 1, fn2=lambda: 2) == 2
    assert tf.while_loop(lambda i: i < 5, lambda i: i + 2, 0) == 6
    assert tf.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s + i), (0, 0)) == (3, 3)
    assert tf.while_loop(lambda i: True, lambda i: i + 1, [0], maximum_iterations=4) == 4
    assert tf.test.is_gpu_available() == torch.cuda.is_available()


def test_variables_and_summaries_inside_a_model():
    def net(x):
        with tf.variable_scope("block"):
            w = tf.get_variable("w", [2], initializer=tf.constant_initializer(3.0))
            step = tf.Variable(0, trainable=False, name="step")
        tf.summary.scalar("mean", tf.reduce_mean(x))
        tf.summary.histogram("w", w, collections=["mine"])
        summaries = tf.get_collection(tf.GraphKeys.SUMMARIES)
        names = [v.name for v in tf.global_variables()] + [v.name for v in tf.trainable_variables()]
        return x * w, step, summaries, tf.get_collection("mine"), names

    model = slim.Model(net)
    y, step, summaries, mine, names = model(torch.ones(2))
    assert y.tolist() == [3, 3] and step.item() == 0
    assert [name for name, _ in summaries] == ["mean"] and [name for name, _ in mine] == ["w"]
    assert names == ["block/w", "block/step", "block/w"]
    tf.summary.scalar("outside", t(1.0))  # outside a model call: nothing to collect into, no error


def test_get_variable_arguments():
    with pytest.raises(ValueError, match="constraint is not supported"):
        slim.Model(lambda x: tf.get_variable("v", [1], constraint=abs))(torch.ones(1))
    model = slim.Model(lambda x: tf.get_variable("v", [3, 4]) if x is not None else None)
    value = model(torch.ones(1))
    assert value.shape == (3, 4) and value.abs().max() <= (6 / 7) ** 0.5  # glorot uniform, as TF's default


def test_random_ops_shapes_and_ranges():
    u = tf.random_uniform([1000], minval=2, maxval=3, seed=1)
    assert u.shape == (1000,) and 2 <= u.min() and u.max() < 3 and torch.equal(u, tf.random.uniform([1000], 2, 3,
                                                                                                        seed=1))
    assert tf.random_uniform([5], maxval=4, dtype=tf.int32).dtype == torch.int32
    assert tf.truncated_normal([1000], stddev=2.0).abs().max() <= 4.0
    assert tf.random_normal([2, 3], mean=1.0).shape == (2, 3)
    with pytest.raises(ValueError, match="needs maxval"):
        tf.random_uniform([2], dtype=tf.int32)


def test_logging_and_hparams(caplog):
    with caplog.at_level(logging.INFO, logger="tensorflow"):
        tf.logging.info("built %d layers", 3)
    assert "built 3 layers" in caplog.text
    hp = HParams(filter_scaling_rate=2.0, num_cells=12, use_aux_head=True)
    hp.set_hparam("num_cells", 6)
    hp.parse("filter_scaling_rate=1.5,use_aux_head=false")
    assert hp.values() == {"filter_scaling_rate": 1.5, "num_cells": 6, "use_aux_head": False}
    with pytest.raises(KeyError):
        hp.set_hparam("missing", 1)
    with pytest.raises(ValueError, match="already in use"):
        hp.add_hparam("values", 1)
    assert tf.contrib.training.HParams is HParams


def test_tensor_util():
    from torchslim.compat import tensor_util
    assert tensor_util.constant_value(t([1, 2])).tolist() == [1, 2] and tensor_util.is_tensor(t(1))
