"""Seed page 004's residual network (``tf.layers`` + ``init_ops`` initializers), running on torchslim.

The network code below is the code TensorFlow ran to make the golden files in
``tests/fixtures/tf_layers/seed_residual_network`` (its ``manifest.json`` holds the same source,
character for character, with the fixes to the seed explained in its ``notes``: projection shortcuts
where a block changes shape, explicit initializers on every layer). Only the imports changed::

    import tensorflow as tf                          ->   import torchslim.compat.v1 as tf
    from tensorflow.python.ops import init_ops       ->   from torchslim.tf_layers import init_ops

(The page itself calls ``init_ops.xavier_initializer()``, which TF1's ``init_ops`` never had; the
fixture uses its equivalent ``glorot_uniform_initializer()``. torchslim's ``init_ops`` has both.)

Run it (a few seconds on CPU)::

    python examples/tf_layers_residual_network.py                # restore the TF checkpoint, compare
    python examples/tf_layers_residual_network.py --seed-size    # the seed's 224x224 / 1000-class net

The first form builds the fixture's small configuration (filters 8/16/32, 10 units, 64x64 input),
restores the checkpoint that the TF1 code wrote (by TF name, e.g.
``residual_network/batch_normalization_3/moving_variance``) and prints the largest difference from
TensorFlow's outputs.
"""

import argparse
import os

import numpy as np
import torch

import torchslim as slim
from torchslim import checkpoint
import torchslim.compat.v1 as tf
from torchslim.tf_layers import init_ops


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


# --------------------------------------------------------------------------------------------------
# Running it.

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "fixtures", "tf_layers",
                       "seed_residual_network")
FIXTURE_CONFIG = {"filters": [8, 16, 32], "units": 10}
SEED_CONFIG = {"filters": [64, 128, 256], "units": 1000}


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
    model = slim.Model(residual_network, **FIXTURE_CONFIG).eval()
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
        model = slim.Model(residual_network, **SEED_CONFIG).eval()
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
