"""Seed page 002's ResNet, written with ``tf.variable_scope`` + ``tf.layers``, running on torchslim.

The network code below is the code TensorFlow ran to make the golden files in
``tests/fixtures/tf_layers/seed_resnet_model`` (its ``manifest.json`` holds the same source,
character for character, with the fixes to the seed explained in its ``notes``: the seed's
``nets.resnet_utils.Block`` call, which is not a layer, became a basic residual unit, and each group
got its own ``resnet_block`` scope). Only the imports changed::

    import tensorflow as tf                      ->   import torchslim.compat.v1 as tf

Run it (a few seconds on CPU)::

    python examples/tf_layers_resnet_model.py                 # restore the TF checkpoint, compare
    python examples/tf_layers_resnet_model.py --seed-size     # the seed's own 224x224 / 1000-class net

The first form builds the fixture's small configuration (filters 8/16/32/64, 10 units), restores the
checkpoint that the TF1 code wrote (variables found by their TF names, e.g.
``resnet_model/resnet_block_1/block_1/conv2d/kernel``) and prints the largest difference from
TensorFlow's outputs on the same inputs.
"""

import argparse
import os

import numpy as np
import torch

import torchslim as slim
from torchslim import checkpoint
import torchslim.compat.v1 as tf


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


# --------------------------------------------------------------------------------------------------
# Running it.

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "tf_layers",
                       "seed_resnet_model")
FIXTURE_CONFIG = {"filters": (8, 16, 32, 64), "units": 10}
SEED_CONFIG = {"filters": (64, 128, 256, 512), "units": 1000}


def restore(model, prefix):
    """Copies every variable of ``model`` from the TF checkpoint ``prefix``, by TF name."""
    values = checkpoint.load(prefix)
    missing = [name for name in model.tf_variables() if name not in values]
    if missing:
        raise KeyError(f"{prefix} lacks {len(missing)} of the model's variables, e.g. {missing[0]}")
    for name, var in model.tf_variables().items():
        var.assign_tf(values[name])


def compare_with_tensorflow(fixture=FIXTURE):
    """Builds the fixture's net, restores TF's checkpoint, returns ``{tensor: max abs difference}``."""
    expected = np.load(os.path.join(fixture, "expected.npz"))
    model = slim.Model(resnet_model, **FIXTURE_CONFIG).eval()
    inputs = torch.from_numpy(expected["inputs"])
    model.build(inputs)
    restore(model, os.path.join(fixture, "model.ckpt"))
    with torch.no_grad():
        outputs, ends = model(inputs)
    errors = {"outputs": float(np.abs(outputs.numpy() - expected["outputs"]).max())}
    for name, tensor in ends.items():
        errors[name] = float(np.abs(tensor.numpy() - expected[name]).max())
    return model, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed-size", action="store_true", help="build the seed's full-size net on random input")
    args = parser.parse_args()
    if args.seed_size:
        model = slim.Model(resnet_model, **SEED_CONFIG).eval()
        with torch.no_grad():
            outputs, _ = model(torch.rand(1, 224, 224, 3) * 2 - 1)
        count = sum(v.tensor.numel() for v in model.tf_variables().values())
        print(f"{len(model.tf_variables())} variables, {count:,} values; logits {list(outputs.shape)}")
        return
    model, errors = compare_with_tensorflow()
    print(f"{len(model.tf_variables())} variables restored from {os.path.normpath(FIXTURE)}/model.ckpt")
    for name, error in errors.items():
        print(f"  {name:10s} max |torch - tf| = {error:.2e}")
    print("match" if max(errors.values()) <= 1e-4 else "MISMATCH")


if __name__ == "__main__":
    main()
