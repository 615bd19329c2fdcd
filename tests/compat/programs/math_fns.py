"""Math functions: add_n, reduce_*, maximum / minimum, clip_by_value, argmax, matmul, comparisons ..."""
import tensorflow.compat.v1 as tf

INPUTS = {"x": [3, 4, 5], "y": [3, 4, 5], "m": [3, 5, 2]}


def model(x, y, m):
  out = {}
  out['add_n'] = tf.add_n([x, y, x * y])
  out['add'] = tf.add(x, 1.0) + tf.subtract(x, y) - tf.multiply(x, 2.0)
  out['divide'] = tf.divide(x, tf.abs(y) + 1.0) + tf.truediv(y, 2.0)
  out['mean'] = tf.reduce_mean(x, [1, 2], keep_dims=True)
  out['mean_all'] = tf.reduce_mean(x)
  out['sum'] = tf.reduce_sum(x, reduction_indices=[0])
  out['sum_keep'] = tf.reduce_sum(x, axis=-1, keepdims=True)
  out['max'] = tf.reduce_max(x, axis=1)
  out['min'] = tf.reduce_min(x, axis=[0, 2])
  out['prod'] = tf.reduce_prod(x + 2.0, axis=2)
  out['logsumexp'] = tf.reduce_logsumexp(x, axis=1)
  out['any'] = tf.cast(tf.reduce_any(x > 0.9, axis=2), tf.float32)
  out['all'] = tf.cast(tf.reduce_all(x > -0.9, axis=1), tf.float32)
  out['maximum'] = tf.maximum(x, y)
  out['minimum'] = tf.minimum(x, 0.25)
  out['clip'] = tf.clip_by_value(x, -0.5, 0.3)
  out['sigmoid'] = tf.sigmoid(x)
  out['tanh'] = tf.tanh(y)
  out['sqrt'] = tf.sqrt(tf.abs(x)) + tf.rsqrt(tf.abs(y) + 1.0)
  out['square'] = tf.square(x) + tf.exp(y) + tf.log(tf.abs(x) + 1.0) + tf.pow(tf.abs(y), 1.5)
  out['squared_difference'] = tf.squared_difference(x, y)
  out['sign'] = tf.sign(x) + tf.floor(x * 3.0) + tf.ceil(y * 3.0) + tf.round(x * 2.5)
  out['argmax'] = tf.argmax(x, axis=2)
  out['argmax_default'] = tf.argmax(x)
  out['argmin'] = tf.argmin(y, 1)
  out['matmul'] = tf.matmul(x, m)
  out['matmul_t'] = tf.matmul(x, y, transpose_b=True)
  out['matmul_ta'] = tf.matmul(x, y, transpose_a=True)
  out['equal'] = tf.cast(tf.equal(tf.argmax(x, 2), tf.argmax(y, 2)), tf.float32)
  out['compare'] = tf.cast(tf.logical_and(tf.greater(x, y), tf.less_equal(x, 0.5)), tf.float32) + \
      tf.cast(tf.logical_or(tf.less(x, -0.5), tf.greater_equal(y, 0.5)), tf.float32) * 2.0 + \
      tf.cast(tf.logical_not(tf.not_equal(x, x)), tf.float32)
  out['cumsum'] = tf.cumsum(x, axis=1) + tf.cumsum(y, axis=2, exclusive=True, reverse=True)
  out['floordiv'] = tf.floordiv(x * 10.0, 3.0) + tf.floormod(x * 10.0, 3.0)
  out['negative'] = tf.negative(x) + tf.reciprocal(tf.abs(y) + 1.0)
  out['tensordot'] = tf.tensordot(x, m, axes=[[2], [1]])
  out['count_nonzero'] = tf.count_nonzero(tf.nn.relu(x), axis=1)
  return out
