"""A small net in the upstream files' style: slim layers under arg_scope with raw tf.* between them.

Uses tf.compat.v1.* through the top-level module as the newest files do, tf.variable_scope /
tf.get_variable, tf.pad before a VALID conv (conv2d_same), tf.GraphKeys.UPDATE_OPS with
tf.control_dependencies, tf.device, tf.summary, tf.cond, get_shape() arithmetic.
"""
import tensorflow.compat.v1 as tf
import tf_slim as slim

INPUTS = {"images": [2, 17, 15, 3]}


def net_arg_scope(weight_decay=0.0004):
  with slim.arg_scope([slim.conv2d, slim.fully_connected],
                      weights_regularizer=slim.l2_regularizer(weight_decay),
                      weights_initializer=tf.truncated_normal_initializer(stddev=0.1),
                      activation_fn=tf.nn.relu6,
                      normalizer_fn=slim.batch_norm,
                      normalizer_params={'is_training': False, 'decay': 0.997, 'epsilon': 0.001}):
    with slim.arg_scope([slim.max_pool2d], padding='SAME') as sc:
      return sc


def model(images):
  with slim.arg_scope(net_arg_scope()):
    with tf.compat.v1.variable_scope('Net', 'Net', [images]) as sc:
      end_points_collection = sc.original_name_scope + '_end_points'
      with slim.arg_scope([slim.conv2d, slim.max_pool2d], outputs_collections=end_points_collection):
        kernel_size = 3
        pad_total = kernel_size - 1
        pad_beg = pad_total // 2
        net = tf.pad(images, [[0, 0], [pad_beg, pad_total - pad_beg], [pad_beg, pad_total - pad_beg], [0, 0]])
        net = slim.conv2d(net, 8, [kernel_size, kernel_size], stride=2, padding='VALID', scope='conv1')
        with tf.device('/cpu:0'):
          net = slim.max_pool2d(net, [3, 3], stride=2, scope='pool1')
        with tf.variable_scope('mixed'):
          with tf.variable_scope('Branch_0'):
            branch_0 = slim.conv2d(net, 6, [1, 1], scope='Conv2d_0a_1x1')
          with tf.variable_scope('Branch_1'):
            branch_1 = tf.nn.avg_pool(net, [1, 3, 3, 1], [1, 1, 1, 1], 'SAME')
            branch_1 = slim.conv2d(branch_1, 4, [1, 1], scope='Conv2d_0b_1x1')
          net = tf.concat(axis=3, values=[branch_0, branch_1])
        depth = net.get_shape()[3].value
        scale = tf.get_variable('scale', [depth], initializer=tf.constant_initializer(0.5))
        net = net * tf.sigmoid(scale)
        update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
        with tf.control_dependencies(update_ops):
          net = tf.identity(net)
        tf.summary.histogram('activations', net)
        kernel = net.get_shape().as_list()[1:3]
        net = slim.avg_pool2d(net, kernel, padding='VALID', scope='AvgPool')
        net = tf.cond(tf.constant(True), lambda: net, lambda: net * 0.0)
        logits = slim.conv2d(net, 5, [1, 1], activation_fn=None, normalizer_fn=None,
                             biases_initializer=tf.zeros_initializer(), scope='Logits')
        logits = tf.squeeze(logits, [1, 2], name='SpatialSqueeze')
        end_points = slim.utils.convert_collection_to_dict(end_points_collection)
        end_points['Logits'] = logits
        end_points['Predictions'] = tf.nn.softmax(logits, name='Predictions')
        end_points['Clipped'] = tf.clip_by_value(logits, -0.1, 0.1)
  return end_points
