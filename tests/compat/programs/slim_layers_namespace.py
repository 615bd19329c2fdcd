"""tf_slim.layers' namespace as upstream NASNet reaches it: slim.layers.{conv2d, max_pool2d, flatten} and
the initializers / regularizers that live there too (slim.layers.l2_regularizer, variance_scaling_initializer)."""
import tensorflow.compat.v1 as tf
import tf_slim as slim

INPUTS = {"x": [2, 8, 8, 3]}


def model(x):
  out = {}
  weights_regularizer = slim.layers.l2_regularizer(0.25)
  weights_initializer = slim.layers.variance_scaling_initializer(
      factor=1.0 / 3.0, mode='FAN_IN', uniform=True)
  with slim.arg_scope([slim.conv2d], weights_regularizer=weights_regularizer,
                      weights_initializer=weights_initializer):
    net = slim.layers.conv2d(x, 4, [3, 3], scope='conv')
  net = slim.layers.max_pool2d(net, [2, 2], scope='pool')
  out['flatten'] = slim.layers.flatten(net)
  out['l2_of_input'] = weights_regularizer(x)
  out['l1_l2_of_input'] = slim.layers.l1_l2_regularizer(0.5, 0.125)(x)
  return out
