"""Shape methods and array functions: get_shape / set_shape / tf.shape / reshape / split / pad / gather ..."""
import tensorflow.compat.v1 as tf

INPUTS = {"x": [2, 5, 6, 3]}


def model(x):
  out = {}
  shape = x.get_shape().as_list()
  assert shape == [2, 5, 6, 3] and x.shape.as_list() == shape
  assert x.get_shape().ndims == 4 and x.shape.ndims == 4 and x.get_shape().is_fully_defined()
  x.get_shape().assert_has_rank(4)
  x.get_shape().assert_is_compatible_with([None, 5, 6, 3])
  x.set_shape([None, 5, None, 3])
  channels = x.get_shape()[3].value
  height = x.get_shape()[1]
  batch = tf.shape(x)[0]
  out['flat'] = tf.reshape(x, [batch, -1])
  out['shape'] = tf.shape(x)
  out['size'] = tf.size(x)
  out['rank'] = tf.rank(x)
  out['transposed'] = tf.transpose(x, [0, 3, 1, 2])
  a, b, c = tf.split(x, num_or_size_splits=channels, axis=3)
  left, right = tf.split(x, [2, -1], 2)
  out['split'] = a + 2 * b + 3 * c
  out['split_sizes'] = right
  out['concat'] = tf.concat(axis=3, values=[a, x[:, :, :, 1:]])
  out['pad'] = tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]])
  out['pad_value'] = tf.pad(x, [[0, 0], [1, 0], [0, 1], [0, 0]], constant_values=-1.5)
  out['pad_reflect'] = tf.pad(x, [[0, 0], [2, 3], [1, 0], [0, 0]], mode='REFLECT')
  out['pad_symmetric'] = tf.pad(x, [[0, 0], [3, 0], [2, 4], [0, 0]], mode='SYMMETRIC')
  out['expanded'] = tf.expand_dims(x, 1)
  out['expanded_dim'] = tf.expand_dims(x, dim=-1)
  out['squeezed'] = tf.squeeze(tf.reduce_mean(x, [1, 2], keep_dims=True), [1, 2])
  out['squeezed_all'] = tf.squeeze(a[:1])
  out['tiled'] = tf.tile(a, [1, 1, 2, 3])
  out['stacked'] = tf.stack([a, b], axis=1)
  rows = tf.unstack(x, axis=1)
  out['unstacked'] = rows[height - 1] - rows[0]
  out['gathered'] = tf.gather(x, [2, 0, 2], axis=3)
  out['gathered_rows'] = tf.gather(tf.reshape(x, [-1, channels]), [[1, 4], [7, 0]])
  out['sliced'] = tf.slice(x, [0, 1, 2, 0], [-1, 3, 2, 2])
  labels = tf.argmax(tf.reshape(x, [-1, channels]), axis=1)
  out['one_hot'] = tf.one_hot(labels, depth=4)
  out['one_hot_values'] = tf.one_hot(labels, 3, on_value=2.0, off_value=-1.0, axis=0)
  out['where'] = tf.where(x > 0, x, tf.zeros_like(x))
  out['cast'] = tf.cast(tf.cast(x * 4, tf.int32), tf.float32)
  out['identity'] = tf.identity(x)
  out['stop_gradient'] = tf.stop_gradient(x)
  out['fill'] = tf.fill([2, 3], 0.5)
  out['constant'] = tf.constant(1.5, shape=[2, 2])
  out['constant_list'] = tf.constant([[1, 2], [3, 4]], dtype=tf.float32)
  out['range'] = tf.range(3, 11, 2)
  out['ones'] = tf.ones([2, channels]) + tf.zeros([1, 1])
  out['ones_like'] = tf.ones_like(a) * 2.0 + tf.zeros_like(a)
  return out
