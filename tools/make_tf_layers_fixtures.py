"""Golden files for TF1's ``tf.layers`` style (issue 8), produced by the real TensorFlow.

Runs ONLY in the throwaway reference venv (TensorFlow is never a dependency of torchslim), set up as
``/work/shared/reference/REFERENCE_ENV.md`` says::

    python3 -m venv /tmp/tfslim-ref
    /tmp/tfslim-ref/bin/pip install "tensorflow-cpu==2.15.1" "tf-keras==2.15.1" tf-slim
    cd <repo root>
    TF_CPP_MIN_LOG_LEVEL=2 /tmp/tfslim-ref/bin/python tools/make_tf_layers_fixtures.py   # all cases
    TF_CPP_MIN_LOG_LEVEL=2 /tmp/tfslim-ref/bin/python tools/make_tf_layers_fixtures.py --case layers_zoo

It writes ``tests/fixtures/tf_layers/<case>/``:

* ``model.ckpt.index`` + ``model.ckpt.data-00000-of-00001``: TF V2 checkpoint of every global variable
  (``tf.compat.v1.train.Saver``, ``write_meta_graph=False``), holding the state BEFORE any training step.
* ``expected.npz``: ``inputs`` (and ``inputs_odd`` for the zoo), ``outputs``, named intermediate tensors,
  and for training-mode batch normalization ``step1/...`` (outputs and moving statistics after one step).
  Every array is float32. The zip has fixed timestamps, so a re-run gives byte-identical files.
* ``manifest.json``: the exact Python source of the network function(s) that ran, call args, ordered
  variables ``[name, shape, dtype]`` from ``tf.global_variables()``, trainable names, the default
  (pre-randomization) initial values of every variable, tensor names, op types, versions, notes.

Cases:

* ``seed_resnet_model``: the ``resnet_model`` of ``/work/shared/seeds/002_ca5f12147ad5413f.txt``
  (``tf.variable_scope`` + ``tf.layers``), at small size; its ``nets.resnet_utils.Block(...)`` call (a
  misreading: ``Block`` is a namedtuple) is replaced by ``residual_unit`` written here in ``tf.layers``.
* ``seed_residual_network``: ``residual_network`` / ``residual_block`` of
  ``/work/shared/seeds/004_82d794b05a6e0878.txt`` with explicit ``init_ops`` initializers, small size.
* ``layers_zoo``: every ``tf.compat.v1.layers`` function once, with non-default arguments, at the root
  variable scope, so the port can be checked op by op and default layer names can be seen.

Values (as in ``/work/shared/fixtures``): inputs ~ U(-1, 1) from
``numpy.random.default_rng([seed, zlib.crc32(case), 0])``; kernels keep the values of their initializer
under graph-level seed ``seed``; then, one draw per variable in ``tf.global_variables()`` order from
``default_rng([seed, zlib.crc32(case), 1])``: bias / beta / moving_mean ~ N(0, 0.1), gamma /
moving_variance ~ U(0.5, 1.5). Everything runs in ``tf.compat.v1`` graph mode on CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import io
import json
import os
import platform
import sys
import zipfile
import zlib

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow.compat.v1 as tf  # noqa: E402  (the seeds' `tf`)
from tensorflow.python.ops import init_ops  # noqa: E402  (as seed 004 imports it)

tf.disable_v2_behavior()
tf.logging.set_verbosity(tf.logging.ERROR)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_ROOT = os.path.normpath(os.path.join(HERE, os.pardir, "tests", "fixtures", "tf_layers"))
SEEDS = "/work/shared/seeds"


# ---------------------------------------------------------------------------------------------------
# Case 1: seed 002 (resnet_model). Seed code kept line for line; changes are marked "# CHANGED".
# ---------------------------------------------------------------------------------------------------

def residual_unit(input, filters, strides=1):
    # CHANGED: stands in for the seed's `nets.resnet_utils.Block(input, filters, strides=strides)`.
    # A basic (two 3x3 convs) residual unit in tf.layers, no scope of its own (the caller's
    # 'block_%d' variable scope holds it), layer names left to TF's defaults.
    shortcut = input
    x = tf.layers.conv2d(input, filters=filters, kernel_size=3, strides=strides, padding='same')
    x = tf.layers.batch_normalization(x)
    x = tf.nn.relu(x)
    x = tf.layers.conv2d(x, filters=filters, kernel_size=3, padding='same')
    x = tf.layers.batch_normalization(x)
    if strides != 1 or input.shape[-1] != filters:
        # 1x1 projection shortcut, created after the main path.
        shortcut = tf.layers.conv2d(input, filters=filters, kernel_size=1, strides=strides, padding='same')
    x = tf.add(x, shortcut)
    return tf.nn.relu(x)


def resnet_block(input, filters, blocks, strides=1):
    # 构建一个ResNet基本残差块
    # CHANGED: one variable scope per group (resnet_block, resnet_block_1, ...). The seed opens
    # 'block_%d' directly in resnet_model's scope, so group 2 re-enters resnet_model/block_1, where
    # the default layer names restart at conv2d and TF raises "Variable
    # resnet_model/block_1/conv2d/kernel already exists".
    with tf.variable_scope(None, default_name='resnet_block'):
        shortcut = input
        for i in range(blocks):
            with tf.variable_scope('block_%d' % (i+1)):
                input = residual_unit(input, filters, strides=strides)  # CHANGED: was nets.resnet_utils.Block
                strides = 1  # 下一个残差块的步长应为1
        if shortcut.shape[1:] != input.shape[1:]:
            # CHANGED: the seed's group-level add fails when the group changes shape (stride 2 / more
            # channels); project the group's input with a strided 1x1 conv (in the group's scope).
            shortcut = tf.layers.conv2d(shortcut, filters=filters, kernel_size=1,
                                        strides=int(shortcut.shape[1]) // int(input.shape[1]), padding='same')
        return tf.add(input, shortcut)  # 使用残差连接将输入与输出相加


def resnet_model(input, filters=(64, 128, 256, 512), units=1000):
    # CHANGED: `filters` and `units` are parameters (seed: 64/128/256/512 and 1000) so the fixture is small.
    # 基于ResNet基本残差块构建一个简单的ResNet网络
    with tf.variable_scope('resnet_model'):
        with tf.variable_scope('conv1'):
            input = tf.layers.conv2d(input, filters=filters[0], kernel_size=7, strides=2, padding='same')
            input = tf.layers.batch_normalization(input)
            input = tf.nn.relu(input)
        conv1 = input
        # 残差块堆叠
        input = resnet_block(input, filters=filters[0], blocks=2, strides=1)
        group1 = input
        input = resnet_block(input, filters=filters[1], blocks=2, strides=2)
        group2 = input
        input = resnet_block(input, filters=filters[2], blocks=2, strides=2)
        group3 = input
        input = resnet_block(input, filters=filters[3], blocks=2, strides=2)
        group4 = input
        # 全局平均池化
        input = tf.reduce_mean(input, axis=[1, 2])
        pooled = input
        # 全连接层
        with tf.variable_scope('fc'):
            input = tf.layers.dense(input, units=units)
        # CHANGED: also return intermediates for the fixture (the seed returns only `input`).
        return input, {'conv1': conv1, 'group1': group1, 'group2': group2, 'group3': group3,
                       'group4': group4, 'pooled': pooled}


# ---------------------------------------------------------------------------------------------------
# Case 2: seed 004 (residual_network with init_ops initializers).
# ---------------------------------------------------------------------------------------------------

def residual_block(input_tensor, filters, kernel_size, stride, projection_shortcut=False):
    shortcut = input_tensor
    if projection_shortcut:
        shortcut = tf.layers.conv2d(input_tensor, filters, kernel_size=1, strides=stride, padding='same',
                                    kernel_initializer=init_ops.glorot_uniform_initializer(),
                                    bias_initializer=init_ops.constant_initializer())
        shortcut = tf.layers.batch_normalization(shortcut)
    x = tf.layers.conv2d(input_tensor, filters, kernel_size, strides=stride, padding='same',
                         kernel_initializer=init_ops.glorot_uniform_initializer(),
                         bias_initializer=init_ops.constant_initializer())
    x = tf.layers.batch_normalization(x)
    x = tf.nn.relu(x)
    x = tf.layers.conv2d(x, filters, kernel_size, padding='same',
                         kernel_initializer=init_ops.glorot_uniform_initializer(),
                         bias_initializer=init_ops.constant_initializer())
    x = tf.layers.batch_normalization(x)
    x = x + shortcut
    x = tf.nn.relu(x)
    return x


def residual_network(input_tensor, filters=[64, 128, 256], units=1000):
    # CHANGED: `filters` and `units` are parameters (seed: [64, 128, 256] and 1000) so the fixture is small.
    strides = [1, 2, 2]  # 每个残差块的步长
    ends = {}
    with tf.variable_scope('residual_network'):
        x = tf.layers.conv2d(input_tensor, filters[0], 7, strides=2, padding='same',
                             kernel_initializer=init_ops.glorot_uniform_initializer(),
                             bias_initializer=init_ops.constant_initializer())
        x = tf.layers.batch_normalization(x)
        x = tf.nn.relu(x)
        ends['conv1'] = x
        for i in range(3):
            # CHANGED: the seed passes no projection_shortcut, so `x + shortcut` fails when the block
            # changes shape; project where the stride is not 1 or the channel count changes.
            x = residual_block(x, filters[i], 3, strides[i],
                               projection_shortcut=(strides[i] != 1 or x.shape[-1] != filters[i]))
            ends['block%d' % (i + 1)] = x
        x = tf.layers.average_pooling2d(x, pool_size=7, strides=1)
        ends['avg_pool'] = x
        x = tf.layers.flatten(x)
        ends['flatten'] = x
        x = tf.layers.dense(x, units=units,
                            kernel_initializer=init_ops.glorot_uniform_initializer(),
                            bias_initializer=init_ops.constant_initializer())
    return x, ends  # CHANGED: also returns intermediates for the fixture


# ---------------------------------------------------------------------------------------------------
# Case 3: every tf.layers function once, non-default arguments, root scope, default names.
# ---------------------------------------------------------------------------------------------------

def layers_zoo(inputs, inputs_odd):
    """inputs: [2, 10, 10, 4] (even size), inputs_odd: [2, 9, 9, 4] (odd size)."""
    t = {}
    # conv2d: VALID; SAME with stride 2 on an even size (pad 0 top/left, 1 bottom/right);
    # dilation 2, no bias, relu.
    t['conv2d_valid'] = tf.layers.conv2d(inputs, 6, 3, padding='valid')
    t['conv2d_same_s2'] = tf.layers.conv2d(inputs, 6, 3, strides=2, padding='same')
    t['conv2d_dilated_nobias'] = tf.layers.conv2d(inputs, 6, 3, padding='same', dilation_rate=2,
                                                  use_bias=False, activation=tf.nn.relu)
    # separable_conv2d with depth_multiplier 2.
    t['separable_conv2d'] = tf.layers.separable_conv2d(inputs, 8, 3, padding='same', depth_multiplier=2)
    # conv2d_transpose, stride 2: SAME (out = in * 2) and VALID (out = (in - 1) * 2 + 3).
    t['conv2d_transpose_same'] = tf.layers.conv2d_transpose(t['conv2d_same_s2'], 5, 3, strides=2,
                                                            padding='same')
    t['conv2d_transpose_valid'] = tf.layers.conv2d_transpose(t['conv2d_same_s2'], 5, 3, strides=2,
                                                             padding='valid')
    # batch_normalization: inference (moving statistics) and one training step (batch statistics,
    # 4-D input -> fused kernel), momentum 0.99 / epsilon 1e-3 (the defaults).
    t['batch_normalization_eval'] = tf.layers.batch_normalization(t['conv2d_valid'], training=False)
    t['batch_normalization_train'] = tf.layers.batch_normalization(t['conv2d_same_s2'], training=True)
    # pooling, SAME, 3x3 stride 2 on odd (9 -> 5, pad 1/1) and even (10 -> 5, pad 0/1) sizes.
    t['max_pooling2d_same_odd'] = tf.layers.max_pooling2d(inputs_odd, 3, 2, padding='same')
    t['max_pooling2d_same_even'] = tf.layers.max_pooling2d(inputs, 3, 2, padding='same')
    t['average_pooling2d_same_odd'] = tf.layers.average_pooling2d(inputs_odd, 3, 2, padding='same')
    t['average_pooling2d_same_even'] = tf.layers.average_pooling2d(inputs, 3, 2, padding='same')
    # flatten (NHWC order) and dense on a rank-3 input (applies to the last axis).
    t['flatten'] = tf.layers.flatten(t['conv2d_same_s2'])
    t['dense_rank3'] = tf.layers.dense(tf.reshape(t['conv2d_valid'], [2, 64, 6]), 7, activation=tf.nn.tanh)
    t['dense_named'] = tf.layers.dense(t['flatten'], 10, name='logits')
    # rank-2 training-mode batch normalization (not fused: moving variance gets the biased variance).
    t['batch_normalization_train_rank2'] = tf.layers.batch_normalization(t['dense_named'], training=True)
    # dropout with training=False is the identity.
    t['dropout_eval'] = tf.layers.dropout(inputs, rate=0.3, training=False)
    return t['dense_named'], t


# ---------------------------------------------------------------------------------------------------
# Naming experiments (layers_zoo manifest `naming`): what TF does with default layer names.
# ---------------------------------------------------------------------------------------------------

def _vars_of(g):
    return [v.name[:-2] for v in g.get_collection(tf.GraphKeys.GLOBAL_VARIABLES)]


def naming_experiments():
    """Small graphs that show how tf.layers names variables; returns {experiment: result}."""
    out = {}

    def run(key, code, body):
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [1, 4, 4, 2], name='x')
            try:
                ops_ = body(x)
                res = {'variables': _vars_of(g)}
                if ops_:
                    res['op_names'] = [t.name for t in ops_]
            except Exception as e:  # noqa: BLE001 -- the error is the result
                res = {'variables_before_error': _vars_of(g), 'error': '%s: %s' % (type(e).__name__,
                                                                                   str(e).split('\n')[0])}
        out[key] = dict(code=code, **res)

    def b1(x):
        return [tf.layers.conv2d(x, 2, 1), tf.layers.dense(x, 2), tf.layers.conv2d(x, 2, 1),
                tf.layers.batch_normalization(x), tf.layers.conv2d_transpose(x, 2, 1)]
    run('counters_per_layer_type', 'conv2d; dense; conv2d; batch_normalization; conv2d_transpose', b1)

    def b2(x):
        with tf.variable_scope('a'):
            tf.layers.conv2d(x, 2, 1)
        with tf.variable_scope('a'):
            tf.layers.conv2d(x, 2, 1)
    run('reenter_variable_scope_by_name',
        "with variable_scope('a'): conv2d  (twice)  -- counters of a's sub-scopes restart on re-entry", b2)

    def b3(x):
        with tf.variable_scope('a'):
            t1 = tf.layers.conv2d(x, 2, 1)
        with tf.variable_scope('a', reuse=True):
            t2 = tf.layers.conv2d(x, 2, 1)
        return [t1, t2]
    run('reenter_variable_scope_reuse_true', "variable_scope('a'): conv2d; variable_scope('a', reuse=True): conv2d",
        b3)

    def b4(x):
        with tf.name_scope('ns'):
            t1 = tf.layers.conv2d(x, 2, 1)
        with tf.name_scope('ns'):
            t2 = tf.layers.conv2d(x, 2, 1)
        return [t1, t2]
    run('name_scope_does_not_name_variables', "with name_scope('ns'): conv2d  (twice)", b4)

    def b5(x):
        tf.layers.conv2d(x, 2, 1, name='conv2d_1')
        tf.layers.conv2d(x, 2, 1)
        tf.layers.conv2d(x, 2, 1)
        tf.layers.conv2d(x, 2, 1)
    run('explicit_name_is_skipped_by_default_names', "conv2d(name='conv2d_1'); conv2d; conv2d; conv2d", b5)

    def b6(x):
        tf.layers.conv2d(x, 2, 1)
        tf.layers.conv2d(x, 2, 1, name='conv2d')
    run('explicit_name_clashing_with_existing', "conv2d; conv2d(name='conv2d')", b6)

    def b7(x):
        layer = tf.layers.Conv2D(2, 1)
        return [layer(x), layer(x)]
    run('layer_object_called_twice', 'layer = tf.layers.Conv2D(2, 1); layer(x); layer(x)', b7)

    def b8(x):
        with tf.variable_scope(None, default_name='blk'):
            tf.layers.conv2d(x, 2, 1)
        with tf.variable_scope(None, default_name='blk'):
            tf.layers.conv2d(x, 2, 1)
        with tf.variable_scope('outer'):
            with tf.variable_scope(None, default_name='blk'):
                tf.layers.conv2d(x, 2, 1)
    run('variable_scope_default_name', "variable_scope(None, default_name='blk') twice, then inside 'outer'", b8)

    def b9(x):
        t1 = tf.layers.max_pooling2d(x, 2, 2)
        t2 = tf.layers.max_pooling2d(x, 2, 2)
        t3 = tf.layers.dropout(x, training=False)
        t4 = tf.layers.flatten(x)
        return [t1, t2, t3, t4]
    run('variable_free_layers_still_get_numbered_names', 'max_pooling2d; max_pooling2d; dropout; flatten', b9)

    def b10(x):
        return [tf.layers.batch_normalization(x, center=False), tf.layers.batch_normalization(x, scale=False)]
    run('batch_normalization_center_scale_false', 'batch_normalization(center=False); (scale=False)', b10)
    return out


# ---------------------------------------------------------------------------------------------------
# Independent numpy re-computation of the zoo (layers_zoo manifest `checks`)
# ---------------------------------------------------------------------------------------------------

def _same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def _np_conv(x, w, s=1, d=1, padding='VALID', pad_value=0.0):
    """x [N,H,W,C], w [kh,kw,C,O] cross-correlation as TF's Conv2D."""
    kh, kw = w.shape[:2]
    if padding == 'SAME':
        (pt, pb), (pl, pr) = _same_pads(x.shape[1], kh, s, d), _same_pads(x.shape[2], kw, s, d)
    else:
        pt = pb = pl = pr = 0
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    oh = (xp.shape[1] - (kh - 1) * d - 1) // s + 1
    ow = (xp.shape[2] - (kw - 1) * d - 1) // s + 1
    y = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for a in range(kh):
        for b in range(kw):
            patch = xp[:, a * d: a * d + (oh - 1) * s + 1: s, b * d: b * d + (ow - 1) * s + 1: s, :]
            y += patch @ w[a, b].astype(np.float64)
    return y, (pt, pb, pl, pr)


def _np_pool(x, k, s, kind):
    (pt, pb), (pl, pr) = _same_pads(x.shape[1], k, s), _same_pads(x.shape[2], k, s)
    oh, ow = -(-x.shape[1] // s), -(-x.shape[2] // s)
    xp = np.pad(x.astype(np.float64), ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=np.nan)
    y = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, i * s:i * s + k, j * s:j * s + k, :]
            y[:, i, j] = np.nanmax(win, axis=(1, 2)) if kind == 'max' else np.nanmean(win, axis=(1, 2))
    return y, (pt, pb, pl, pr)


def _np_conv_transpose(x, w, s, padding):
    """x [N,h,w,C], w [kh,kw,O,C] as TF's conv2d_transpose (the gradient of Conv2D)."""
    kh, kw, o, _ = w.shape
    n, h, wd, _ = x.shape
    if padding == 'SAME':
        oh, ow = h * s, wd * s
        pt, pl = _same_pads(oh, kh, s)[0], _same_pads(ow, kw, s)[0]
    else:
        oh, ow = (h - 1) * s + kh, (wd - 1) * s + kw
        pt = pl = 0
    full = np.zeros((n, (h - 1) * s + kh, (wd - 1) * s + kw, o))
    for a in range(kh):
        for b in range(kw):
            full[:, a:a + (h - 1) * s + 1:s, b:b + (wd - 1) * s + 1:s, :] += x.astype(np.float64) @ \
                w[a, b].astype(np.float64).T
    return full[:, pt:pt + oh, pl:pl + ow, :], (pt, pl)


def zoo_checks(a, p):
    """a: the npz arrays, p: the checkpoint values. Returns {check: {max_abs_err, ...}}."""
    c = {}

    def err(key, ref, **extra):
        c[key] = dict(max_abs_err=float(np.max(np.abs(a[key] - ref))) if key in a else None, **extra)

    x, xo = a['inputs'], a['inputs_odd']
    y, pads = _np_conv(x, p['conv2d/kernel'], padding='VALID')
    err('conv2d_valid', y + p['conv2d/bias'], pads_top_bottom_left_right=pads)
    y, pads = _np_conv(x, p['conv2d_1/kernel'], s=2, padding='SAME')
    err('conv2d_same_s2', y + p['conv2d_1/bias'], pads_top_bottom_left_right=pads,
        note='SAME, stride 2, 3x3 on 10x10: pad 0 top/left, 1 bottom/right')
    y, pads = _np_conv(x, p['conv2d_2/kernel'], d=2, padding='SAME')
    err('conv2d_dilated_nobias', np.maximum(y, 0), pads_top_bottom_left_right=pads)
    dw, pw = p['separable_conv2d/depthwise_kernel'], p['separable_conv2d/pointwise_kernel']
    kh, kw, cin, mult = dw.shape
    dwf = np.zeros((kh, kw, cin, cin * mult))  # depthwise as a block-diagonal dense kernel
    for ci in range(cin):
        dwf[:, :, ci, ci * mult:(ci + 1) * mult] = dw[:, :, ci, :]
    y, _ = _np_conv(x, dwf, padding='SAME')
    err('separable_conv2d', y @ pw[0, 0].astype(np.float64) + p['separable_conv2d/bias'],
        note='depthwise output channel order: c * depth_multiplier + m')
    h = a['conv2d_same_s2']
    y, pads = _np_conv_transpose(h, p['conv2d_transpose/kernel'], 2, 'SAME')
    err('conv2d_transpose_same', y + p['conv2d_transpose/bias'], crop_top_left=pads,
        note='SAME: out = in * stride; the full (in-1)*s+k output is cropped starting at the top/left pad '
             'of the forward conv (0 here: 10 -> 5 pads 0/1)')
    y, _ = _np_conv_transpose(h, p['conv2d_transpose_1/kernel'], 2, 'VALID')
    err('conv2d_transpose_valid', y + p['conv2d_transpose_1/bias'], note='VALID: out = (in-1)*stride + k')
    bn = 'batch_normalization/'
    err('batch_normalization_eval',
        p[bn + 'gamma'] * (a['conv2d_valid'] - p[bn + 'moving_mean']) / np.sqrt(p[bn + 'moving_variance'] + 1e-3)
        + p[bn + 'beta'], formula='gamma * (x - moving_mean) / sqrt(moving_variance + 1e-3) + beta')
    for layer, src, axes in (('batch_normalization_1', a['conv2d_same_s2'], (0, 1, 2)),
                             ('batch_normalization_2', a['outputs'], (0,))):
        n = int(np.prod([src.shape[i] for i in axes]))
        mean = src.astype(np.float64).mean(axis=axes)
        var_b = src.astype(np.float64).var(axis=axes)
        var_u = var_b * n / (n - 1)
        q = lambda s: p[layer + '/' + s]  # noqa: E731
        ref = q('gamma') * (src - mean) / np.sqrt(var_b + 1e-3) + q('beta')
        key = 'step1/%s/outputs' % layer
        c[key] = dict(max_abs_err=float(np.max(np.abs(a[key] - ref))),
                      formula='gamma * (x - batch_mean) / sqrt(biased_batch_var + 1e-3) + beta')
        mm = 0.99 * q('moving_mean') + 0.01 * mean
        c['step1/%s/moving_mean' % layer] = dict(
            max_abs_err=float(np.max(np.abs(a['step1/%s/moving_mean' % layer] - mm))),
            formula='0.99 * moving_mean + 0.01 * batch_mean')
        got = a['step1/%s/moving_variance' % layer]
        e_u = float(np.max(np.abs(got - (0.99 * q('moving_variance') + 0.01 * var_u))))
        e_b = float(np.max(np.abs(got - (0.99 * q('moving_variance') + 0.01 * var_b))))
        c['step1/%s/moving_variance' % layer] = dict(
            max_abs_err_if_unbiased=e_u, max_abs_err_if_biased=e_b, batch_count=n,
            stores='unbiased (n/(n-1)) batch variance' if e_u < e_b else 'biased batch variance')
    for kind, key_odd, key_even in (('max', 'max_pooling2d_same_odd', 'max_pooling2d_same_even'),
                                    ('avg', 'average_pooling2d_same_odd', 'average_pooling2d_same_even')):
        y, pads = _np_pool(xo, 3, 2, kind)
        err(key_odd, y, pads_top_bottom_left_right=pads)
        y, pads = _np_pool(x, 3, 2, kind)
        err(key_even, y, pads_top_bottom_left_right=pads)
    c['average_pooling2d_same_even']['note'] = 'padded cells are excluded from the average (count = valid cells)'
    err('flatten', a['conv2d_same_s2'].reshape(2, -1), note='NHWC order: reshape([N, -1]) of the NHWC tensor')
    err('dense_rank3', np.tanh(a['conv2d_valid'].reshape(2, 64, 6).astype(np.float64) @ p['dense/kernel']
                               + p['dense/bias']), note='applied to the last axis, rank kept')
    err('dense_named', a['flatten'].astype(np.float64) @ p['logits/kernel'] + p['logits/bias'])
    err('dropout_eval', x, note='identity when training=False')
    return c


# ---------------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------------

CASES = {
    'seed_resnet_model': dict(
        seed_file='002_ca5f12147ad5413f.txt',
        functions=[residual_unit, resnet_block, resnet_model],
        entry='resnet_model',
        inputs={'inputs': [2, 32, 32, 3]},
        kwargs={'filters': [8, 16, 32, 64], 'units': 10},
        notes=[
            "Seed 002 builds resnet_model with tf.variable_scope + tf.layers; its call "
            "`nets.resnet_utils.Block(input, filters, strides=strides)` is a misreading (Block is a namedtuple "
            "describing a group of units, not a layer). It is replaced by `residual_unit` (source in "
            "`source`): conv2d 3x3 (strides) 'same' -> batch_normalization -> relu -> conv2d 3x3 'same' -> "
            "batch_normalization; when the stride is not 1 or the channel count changes, a 1x1 conv2d "
            "(strides, 'same', with bias, no batch norm) projects the shortcut, created AFTER the main path; "
            "tf.add; relu. No scope of its own: it lives in the seed's 'block_%d' variable scope.",
            "The seed's group-level `tf.add(input, shortcut)` in resnet_block also fails whenever a group changes "
            "shape (groups 2-4: stride 2 and more channels). Fix: the group's input is projected by a 1x1 "
            "conv2d (stride = spatial ratio, 'same', with bias, no batch norm) created in the group's scope "
            "(resnet_model/resnet_block_N/conv2d) after the group's units. Group 1 keeps the seed's plain add.",
            "The seed opens `tf.variable_scope('block_%d')` directly in resnet_model's scope for every group, so "
            "group 2 RE-ENTERS resnet_model/block_1. Leaving a variable scope resets the default-name counters of "
            "its sub-scopes, so tf.layers names the first conv of group 2 'conv2d' again and TF raises "
            "\"ValueError: Variable resnet_model/block_1/conv2d/kernel already exists, disallowed\" (verified by "
            "running the seed's structure as written; see layers_zoo manifest naming.reenter_variable_scope_by_name). "
            "Fix: resnet_block wraps each group in `tf.variable_scope(None, default_name='resnet_block')`, "
            "which TF uniquifies to resnet_block, resnet_block_1, resnet_block_2, resnet_block_3.",
            "Default layer names restart in every 'block_%d' scope: each unit has conv2d, batch_normalization, "
            "conv2d_1, batch_normalization_1 (+ conv2d_2 for the projection); the group projection is "
            "resnet_block_N/conv2d.",
            "Sizes reduced from the seed (224x224 input, 64/128/256/512 filters, 1000 units) to keep files small; "
            "structure and layer types unchanged. No max-pool (the seed has none).",
            "Inference: batch_normalization is called with its default training=False (moving statistics).",
        ],
    ),
    'seed_residual_network': dict(
        seed_file='004_82d794b05a6e0878.txt',
        functions=[residual_block, residual_network],
        entry='residual_network',
        inputs={'inputs': [2, 64, 64, 3]},
        kwargs={'filters': [8, 16, 32], 'units': 10},
        notes=[
            "Seed 004's residual_network calls residual_block(x, filters[i], 3, strides[i]) without "
            "projection_shortcut, so blocks 2 and 3 (stride 2, 8->16 and 16->32 channels) would fail at "
            "`x + shortcut`. Fixed by passing projection_shortcut=True where the stride is not 1 or the channel "
            "count changes (blocks 2 and 3; block 1 is 8->8 stride 1 and keeps the identity shortcut).",
            "The seed shows explicit initializers (kernel_initializer=init_ops.xavier_initializer(), "
            "bias_initializer=init_ops.constant_initializer()) on the first conv and says the residual blocks "
            "can use the same; here every conv2d and the dense layer get them. tensorflow.python.ops.init_ops "
            "has no xavier_initializer (verified on TF 2.15.1); its equivalent "
            "init_ops.glorot_uniform_initializer() (Xavier/Glorot uniform, limit sqrt(6/(fan_in+fan_out))) is "
            "used. constant_initializer() with no value is zeros. batch_normalization keeps its defaults.",
            "In residual_block the projection shortcut (conv2d + batch_normalization) is created BEFORE the main "
            "path, as in the seed, so in blocks 2 and 3 the shortcut owns the lower layer numbers.",
            "No variable scope per block: every layer is directly under 'residual_network/' with TF's default "
            "uniquified names (conv2d, conv2d_1, ..., batch_normalization, batch_normalization_1, ..., dense).",
            "average_pooling2d(pool_size=7, strides=1) keeps its default padding 'valid': 8x8 -> 2x2, so "
            "flatten (NHWC order) feeds 2*2*32 = 128 features to dense.",
            "Sizes reduced from the seed (224x224 input, 64/128/256 filters, 1000 units) to keep files small; "
            "structure and layer types unchanged.",
            "Inference: batch_normalization is called with its default training=False (moving statistics).",
        ],
    ),
    'layers_zoo': dict(
        seed_file=None,
        functions=[layers_zoo],
        entry='layers_zoo',
        inputs={'inputs': [2, 10, 10, 4], 'inputs_odd': [2, 9, 9, 4]},
        kwargs={},
        notes=[
            "Every tf.compat.v1.layers function once (conv2d several times), at the ROOT variable scope, no "
            "names given except dense(name='logits'), so the variable names are TF's defaults.",
            "Training-mode batch normalization: the checkpoint holds the state BEFORE the step; `step1/<layer>/"
            "outputs` is the layer output of the one training step (normalized with the biased batch variance) "
            "and `step1/<layer>/moving_mean|moving_variance` the variable values after its UPDATE_OPS ran once "
            "(moving = momentum * moving + (1 - momentum) * batch, momentum 0.99). The npz `outputs` is the "
            "network output ('logits' dense) of that same run; batch_normalization_train_rank2 consumes it.",
            "All forward tensors and the UPDATE_OPS were evaluated in ONE session.run with the same feed.",
            "batch_normalization_eval (on conv2d_valid) uses the randomized moving statistics; "
            "dropout(rate=0.3, training=False) is the identity.",
        ],
    ),
}


def _shim_versions():
    import keras  # the package behind tf.compat.v1.layers on TF 2.15
    v = {
        'tensorflow': tf.__version__,
        'keras': keras.__version__,
        'numpy': np.__version__,
        'python': platform.python_version(),
        'tf.compat.v1.layers implementation': tf.layers.conv2d.__module__,
        'TF_ENABLE_ONEDNN_OPTS': os.environ.get('TF_ENABLE_ONEDNN_OPTS', '<unset: oneDNN on by default on x86>'),
    }
    try:
        import tf_keras
        v['tf_keras (installed, not used by tf.compat.v1.layers)'] = tf_keras.__version__
    except Exception:  # pragma: no cover
        pass
    return v


def _param_kind(var_name):
    base = var_name.split(':')[0].rsplit('/', 1)[-1]
    return base


def _draw(rng, kind, shape):
    if kind in ('bias', 'beta', 'moving_mean'):
        return rng.normal(0.0, 0.1, shape).astype(np.float32)
    if kind in ('gamma', 'moving_variance'):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    return None  # kernels keep their initializer values


def _glorot_limit(shape):
    shape = list(shape)
    if len(shape) == 2:
        fan_in, fan_out = shape
    else:
        rf = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * rf, shape[-1] * rf
    return float(np.sqrt(6.0 / (fan_in + fan_out))), fan_in, fan_out


def npz_bytes(arrays):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + '.npy', date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def _tensor_name(t):
    return t.name if hasattr(t, 'name') else None


def build_and_run(case, seed):
    spec = CASES[case]
    fn = globals()[spec['entry']]
    g = tf.Graph()
    with g.as_default():
        tf.set_random_seed(seed)
        placeholders = {k: tf.placeholder(tf.float32, shape, name=k) for k, shape in spec['inputs'].items()}
        outputs, named = fn(*placeholders.values(), **spec['kwargs'])
        forward_ops = list(g.get_operations())
        gvars = tf.global_variables()
        tvars = set(v.name for v in tf.trainable_variables())
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        reg_losses = tf.get_collection(tf.GraphKeys.REGULARIZATION_LOSSES)
        init = tf.global_variables_initializer()
        saver = tf.train.Saver(var_list=gvars, write_version=tf.train.SaverDef.V2)

        in_rng = np.random.default_rng([seed, zlib.crc32(case.encode()), 0])
        feed_np = {k: in_rng.uniform(-1, 1, shape).astype(np.float32) for k, shape in spec['inputs'].items()}
        feed = {placeholders[k]: v for k, v in feed_np.items()}

        with tf.Session(graph=g, config=tf.ConfigProto(inter_op_parallelism_threads=1)) as sess:
            sess.run(init)
            # Default (pre-randomization) initial values.
            init_vals = sess.run(gvars)
            default_init = []
            for v, val in zip(gvars, init_vals):
                kind = _param_kind(v.name)
                ent = {'name': v.name[:-2], 'initializer_op': v.initial_value.op.name,
                       'min': float(val.min()), 'max': float(val.max())}
                if kind in ('kernel', 'depthwise_kernel', 'pointwise_kernel'):
                    lim, fi, fo = _glorot_limit(val.shape)
                    ent.update({'glorot_uniform_limit': lim, 'fan_in': fi, 'fan_out': fo,
                                'within_limit': bool(np.abs(val).max() <= lim)})
                default_init.append(ent)
            # Randomize the non-kernel parameters.
            p_rng = np.random.default_rng([seed, zlib.crc32(case.encode()), 1])
            for v in gvars:
                val = _draw(p_rng, _param_kind(v.name), v.shape.as_list())
                if val is not None:
                    v.load(val, sess)
            before = dict(zip([v.name[:-2] for v in gvars], sess.run(gvars)))
            fetch = {'outputs': outputs}
            fetch.update({k: t for k, t in named.items()})
            res = sess.run({'t': fetch, 'u': update_ops}, feed)['t']
            after = dict(zip([v.name[:-2] for v in gvars], sess.run(gvars)))
            ckpt_state = before

            out_dir = os.path.join(OUT_ROOT, case)
            os.makedirs(out_dir, exist_ok=True)
            # Save the pre-step state: restore `before` values, then save.
            for v in gvars:
                v.load(before[v.name[:-2]], sess)
            for fname in os.listdir(out_dir):
                if fname.startswith('model.ckpt'):
                    os.remove(os.path.join(out_dir, fname))
            saver.save(sess, os.path.join(out_dir, 'model.ckpt'), write_meta_graph=False, write_state=False)

    arrays = dict(feed_np)
    arrays['outputs'] = res['outputs']
    training_layers = sorted({n.split('/moving_')[0] for n in after
                              if n.split('/')[-1].startswith('moving_')
                              and not np.array_equal(after[n], before[n])})
    for k, t in named.items():
        if 'train' in k and k.startswith('batch_normalization'):
            continue
        arrays[k] = res[k]
    for k, t in named.items():
        if 'train' in k and k.startswith('batch_normalization'):
            layer = t.name.split('/')[0]
            arrays['step1/%s/outputs' % layer] = res[k]
            for s in ('moving_mean', 'moving_variance'):
                arrays['step1/%s/%s' % (layer, s)] = after['%s/%s' % (layer, s)]
    arrays = {k: np.asarray(v, dtype=np.float32) for k, v in arrays.items()}

    info = dict(
        gvars=[[v.name[:-2], v.shape.as_list(), v.dtype.base_dtype.name] for v in gvars],
        trainable=[v.name[:-2] for v in gvars if v.name in tvars],
        update_ops=[op.name for op in update_ops],
        reg_losses=[t.name for t in reg_losses],
        tensors={k: _tensor_name(t) for k, t in [('outputs', outputs)] + list(named.items())},
        op_types=sorted({op.type for op in forward_ops
                         if '/Initializer/' not in op.name and not (op.type == 'Assign' and op.name.endswith('/Assign'))}),
        default_init=default_init,
        changed_by_step=training_layers,
        ckpt_state=ckpt_state,
    )
    return arrays, info


def write_case(case, seed):
    spec = CASES[case]
    arrays, info = build_and_run(case, seed)
    out_dir = os.path.join(OUT_ROOT, case)
    with open(os.path.join(out_dir, 'expected.npz'), 'wb') as f:
        f.write(npz_bytes(arrays))

    # Read the checkpoint back with TF to make sure it holds exactly the pre-step values.
    reader = tf.train.load_checkpoint(os.path.join(out_dir, 'model.ckpt'))
    ck_names = sorted(reader.get_variable_to_shape_map())
    assert ck_names == sorted(n for n, _, _ in info['gvars']), (ck_names, info['gvars'])
    for n in ck_names:
        assert np.array_equal(reader.get_tensor(n), info['ckpt_state'][n]), n

    sources = {f.__name__: inspect.getsource(f) for f in spec['functions']}
    manifest = {
        'fixture': case,
        'kind': 'tf_layers',
        'issue': 8,
        'generator': 'tools/make_tf_layers_fixtures.py --case %s --seed %d' % (case, seed),
        'seed_page': (os.path.join(SEEDS, spec['seed_file']) if spec['seed_file'] else None),
        'function': {'module': 'tools/make_tf_layers_fixtures.py', 'name': spec['entry'],
                     'uses': 'tensorflow.compat.v1 as tf (tf.layers = tf.compat.v1.layers), '
                             'tensorflow.python.ops.init_ops'},
        'source': sources,
        'call': {'positional': list(spec['inputs']), 'kwargs': spec['kwargs'],
                 'returns': '(outputs, dict of named intermediate tensors)'},
        'inputs': {k: {'shape': s, 'dtype': 'float32',
                       'distribution': 'numpy.random.default_rng([seed, zlib.crc32(case.encode()), 0])'
                                       '.uniform(-1, 1, shape).astype(float32), drawn in this order'}
                   for k, s in spec['inputs'].items()},
        'seed': seed,
        'graph_seed': seed,
        'param_init': {
            'order': 'tf.global_variables() creation order; one numpy draw per non-kernel variable, in that order',
            'rng': 'numpy.random.default_rng([seed, zlib.crc32(case.encode()), 1])',
            'kernel / depthwise_kernel / pointwise_kernel': 'kept from the initializer (graph-level seed = seed '
                                                            'via tf.set_random_seed)',
            'bias': 'normal(0, 0.1)', 'beta': 'normal(0, 0.1)', 'moving_mean': 'normal(0, 0.1)',
            'gamma': 'uniform(0.5, 1.5)', 'moving_variance': 'uniform(0.5, 1.5)',
        },
        'default_initialization': {
            'summary': [
                'tf.layers conv2d / separable_conv2d / conv2d_transpose / dense: kernel_initializer=None -> the '
                'variable scope default, glorot_uniform (uniform in +-sqrt(6/(fan_in+fan_out)), fans from the '
                'kernel shape: receptive field * shape[-2] / shape[-1]; conv2d_transpose kernel is [h, w, out, in]); '
                'bias_initializer=zeros.',
                'batch_normalization: gamma=ones, beta=zeros, moving_mean=zeros, moving_variance=ones.',
                'These are the values before randomization; `per_variable` lists each variable\'s initializer op '
                'and the min/max it produced (kernels checked against the Glorot limit).',
            ],
            'per_variable': info['default_init'],
        },
        'mode': 'tf.compat.v1 graph mode (tf.disable_v2_behavior()), CPU',
        'versions': _shim_versions(),
        'checkpoint': {
            'prefix': 'model.ckpt', 'format': 'V2',
            'files': ['model.ckpt.index', 'model.ckpt.data-00000-of-00001'],
            'saver': "tf.compat.v1.train.Saver(var_list=tf.global_variables(), write_version=tf.compat.v1.train."
                     "SaverDef.V2).save(sess, 'model.ckpt', write_meta_graph=False, write_state=False)",
            'state': 'after randomization, before any training step (read back and checked)',
        },
        'variables': info['gvars'],
        'num_variables': len(info['gvars']),
        'trainable_variables': info['trainable'],
        'update_ops': info['update_ops'],
        'regularization_losses': info['reg_losses'],
        'tensors': info['tensors'],
        'outputs': [[k, list(v.shape), str(v.dtype)] for k, v in arrays.items()],
        'forward_op_types': info['op_types'],
        'notes': spec['notes'],
    }
    if case == 'layers_zoo':
        checks = zoo_checks(arrays, info['ckpt_state'])
        worst = max(ch['max_abs_err'] if 'max_abs_err' in ch else
                    min(ch['max_abs_err_if_unbiased'], ch['max_abs_err_if_biased']) for ch in checks.values())
        assert worst < 1e-4, checks
        manifest['checks'] = {
            'what': 'every zoo tensor recomputed in float64 numpy from the checkpoint values and the inputs '
                    '(functions _np_conv, _np_pool, _np_conv_transpose, zoo_checks in the generator); '
                    'max_abs_err is against the TF result in expected.npz',
            'worst_max_abs_err': worst,
            'per_tensor': checks,
        }
        manifest['naming'] = naming_experiments()
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
        f.write('\n')
    sizes = {n: os.path.getsize(os.path.join(out_dir, n)) for n in sorted(os.listdir(out_dir))}
    print(case, sizes, 'variables:', len(info['gvars']))
    return manifest


def main(argv=None):
    ap = argparse.ArgumentParser(description='tf.layers golden fixtures (run under /tmp/tfslim-ref only)')
    ap.add_argument('--case', action='append', choices=sorted(CASES), help='default: all cases')
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args(argv)
    for case in args.case or list(CASES):
        write_case(case, args.seed)
    return 0


if __name__ == '__main__':
    sys.exit(main())
