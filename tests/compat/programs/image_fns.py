"""tf.image resizing with TF1's sampling: bilinear / nearest, align_corners, half_pixel_centers."""
import tensorflow.compat.v1 as tf

INPUTS = {"x": [2, 5, 7, 3]}


def model(x):
  out = {}
  for size in ([9, 12], [3, 4], [5, 14]):
    key = '%dx%d' % tuple(size)
    out['bilinear_' + key] = tf.image.resize_bilinear(x, size)
    out['bilinear_corners_' + key] = tf.image.resize_bilinear(x, size, align_corners=True)
    out['bilinear_half_' + key] = tf.image.resize_bilinear(x, size, half_pixel_centers=True)
    out['nearest_' + key] = tf.image.resize_nearest_neighbor(x, size)
    out['nearest_corners_' + key] = tf.image.resize_nearest_neighbor(x, size, align_corners=True)
    out['nearest_half_' + key] = tf.image.resize_nearest_neighbor(x, size, half_pixel_centers=True)
  height, width = x.get_shape().as_list()[1:3]
  out['resize_images'] = tf.image.resize_images(x, [height * 2, width * 2])
  out['resize_nearest'] = tf.image.resize_images(x, [height * 2, width * 2],
                                                 method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
  out['resize'] = tf.image.resize(x, [4, 4], align_corners=True)
  out['single_image'] = tf.image.resize_bilinear(x[:1], [6, 6])[0]
  return out
