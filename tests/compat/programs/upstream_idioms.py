"""The tf.* idioms of upstream pix2pix, cyclegan, mobilenet, nasnet and s3dg, written as those files write them."""
import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.python.framework import tensor_util

INPUTS = {"x": [2, 4, 6, 16], "v": [1, 4, 3, 3, 8]}


def _dynamic_or_static_shape(tensor):
  shape = tf.shape(input=tensor)
  static_shape = tensor_util.constant_value(shape)
  return static_shape if static_shape is not None else shape


def model(x, v):
  out = {}
  # pix2pix / cyclegan upsampling: sizes from tf.shape, then reflect padding
  net_shape = tf.shape(x)
  height, width = net_shape[1], net_shape[2]
  out['nn_upsample'] = tf.image.resize_nearest_neighbor(x, [2 * height, 2 * width])
  out['resize_nn'] = tf.image.resize(x, [2 * height, 2 * width],
                                     method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
  out['resize_bilinear'] = tf.image.resize_bilinear(x, [2 * height, 2 * width],
                                                    align_corners=False)
  spatial_pad_1 = np.array([[0, 0], [1, 1], [1, 1], [0, 0]])
  out['pad_reflect'] = tf.pad(tensor=x, paddings=spatial_pad_1, mode='REFLECT')
  out['pad_symmetric'] = tf.pad(tensor=x, paddings=spatial_pad_1, mode='SYMMETRIC')
  spatial_pad = tf.constant([[0, 0], [2, 2], [2, 2], [0, 0]], dtype=tf.int32)
  out['pad_reflect_2'] = tf.pad(x, spatial_pad, 'REFLECT')
  out['reshape_static'] = tf.reshape(tf.nn.leaky_relu(x), _dynamic_or_static_shape(x))
  # mobilenet: hard swish, global pool by avg_pool, squeeze-excite resize, split / concat
  out['hard_swish'] = x * tf.nn.relu6(x + np.float32(3)) * np.float32(1. / 6.)
  shape = x.get_shape().as_list()
  pooled = tf.nn.avg_pool(x, (1, shape[1], shape[2], 1), strides=(1, 1, 1, 1), padding='VALID')
  pooled.set_shape([None, 1, 1, None])
  out['global_pool'] = pooled
  out['excite_resize'] = tf.image.resize_images(tf.nn.avg_pool(
      x, [1, 2, 2, 1], [1, 2, 2, 1], 'VALID'), shape[1:3], align_corners=True)
  parts = tf.split(x, [8, 8], axis=3, name='split_expand')
  out['split_concat'] = tf.concat([tf.identity(p, 'part_output') for p in parts[::-1]], 3,
                                  name='concat')
  out['squeeze'] = tf.squeeze(pooled, [1, 2])
  # nasnet / s3dg: reductions, tile, gating, transpose
  out['mean_keep_dims'] = tf.reduce_mean(x, [1, 2], keep_dims=True, name='global_pool')
  out['mean_input_tensor'] = tf.reduce_mean(input_tensor=v, axis=1)
  t, w, h = v.get_shape().as_list()[1:4]
  gate = tf.reduce_mean(v, [1, 2, 3], keepdims=True)
  tile_multiples = [1, t, w, h]
  tile_multiples.insert(4, 1)
  out['self_gating'] = tf.multiply(tf.nn.sigmoid(tf.tile(gate, tile_multiples)), v)
  out['transpose'] = tf.transpose(a=v, perm=[0, 2, 3, 4, 1])
  out['clip'] = tf.clip_by_value(x * 10.0, -6.0, 6.0)
  out['cast_floor'] = tf.floor(tf.cast(x * 3.0, tf.float32))
  return out
