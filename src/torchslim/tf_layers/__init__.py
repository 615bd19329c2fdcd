"""``torchslim.tf_layers``: TF1's ``tf.layers`` functions on torchslim's core.

The second way TF1 code writes a network (seed pages 002 and 004): ``tf.variable_scope`` plus
``tf.layers.conv2d`` / ``batch_normalization`` / ``dense`` / ... with lower-case ``'same'`` /
``'valid'`` padding, variables named ``kernel`` / ``bias`` / ``gamma`` / ``beta`` / ``moving_mean``
/ ``moving_variance`` and default scopes ``conv2d``, ``conv2d_1``, ``batch_normalization``, ...
Signatures and defaults are ``tf.compat.v1.layers``' (Keras 2.15 ``legacy_tf_layers``).

Two ways in::

    import torchslim.compat.v1 as tf          # for: import tensorflow.compat.v1 as tf
    from torchslim.tf_layers import init_ops             # for: from tensorflow.python.ops import init_ops

    def net(x):
        with tf.variable_scope('net'):
            x = tf.layers.conv2d(x, 64, 7, strides=2, padding='same')   # net/conv2d/kernel, net/conv2d/bias
            x = tf.nn.relu(tf.layers.batch_normalization(x))            # net/batch_normalization/gamma, ...
            return tf.layers.dense(tf.reduce_mean(x, axis=[1, 2]), 10)  # net/dense/kernel

    model = slim.Model(net)                    # variables are made on the first call, as for Slim code
    logits = model(torch.rand(2, 224, 224, 3))  # NHWC

or ``from torchslim import tf_layers as layers`` and ``layers.conv2d(...)``.

Nothing here is a second copy of the core: scopes and their default-name counters are
:func:`torchslim.variables.variable_scope` (which is ``tf_layers.variable_scope``), variables are
:func:`torchslim.variables.variable` with a PyTorch layout (``conv``, ``depthwise``,
``conv_transpose``, ``fc``) so a checkpoint written by TF1 code restores by name, and the padding,
convolution, pooling and batch-norm arithmetic is :mod:`torchslim.layers`'. As in TF, these
variables are in ``GLOBAL_VARIABLES`` (and ``TRAINABLE_VARIABLES``) but not ``MODEL_VARIABLES``.

Eager meanings: ``training`` of ``batch_normalization`` and ``dropout`` defaults to False as in TF;
None follows ``model.train()`` / ``model.eval()``. Batch norm updates its moving statistics in place
in training calls. Constraints, ``renorm``, ``virtual_batch_size`` and ``adjustment`` raise a
ValueError rather than be ignored.
"""

from torchslim.tf_layers import init_ops
from torchslim.tf_layers.convolutional import conv1d, conv2d, conv2d_transpose, conv3d, separable_conv2d
from torchslim.tf_layers.core import dense, dropout, flatten
from torchslim.tf_layers.init_ops import (constant_initializer, glorot_normal_initializer, glorot_uniform_initializer,
                                          he_normal, he_uniform, lecun_normal, lecun_uniform, ones_initializer,
                                          random_normal_initializer, random_uniform_initializer,
                                          truncated_normal_initializer, variance_scaling_initializer,
                                          xavier_initializer, zeros_initializer)
from torchslim.tf_layers.normalization import batch_normalization
from torchslim.tf_layers.pooling import average_pooling2d, max_pooling2d
from torchslim.scopes import AUTO_REUSE, variable_scope

__all__ = [
    "conv1d", "conv2d", "conv3d", "separable_conv2d", "conv2d_transpose", "dense", "dropout", "flatten",
    "batch_normalization", "max_pooling2d", "average_pooling2d", "variable_scope", "AUTO_REUSE", "init_ops",
    "zeros_initializer", "ones_initializer", "constant_initializer", "random_normal_initializer",
    "truncated_normal_initializer", "random_uniform_initializer", "variance_scaling_initializer",
    "glorot_uniform_initializer", "glorot_normal_initializer", "he_normal", "he_uniform", "lecun_normal",
    "lecun_uniform", "xavier_initializer",
]
