"""tf.nn on TF layouts: conv2d / depthwise / separable / transpose, pools, bias_add, lrn, norms, losses."""
import tensorflow.compat.v1 as tf

INPUTS = {"x": [2, 9, 8, 3], "labels": [2, 4]}


def model(x, labels):
  out = {}
  with tf.variable_scope('nn'):
    kernel = tf.get_variable('kernel', [3, 3, 3, 4], initializer=tf.truncated_normal_initializer(stddev=0.1))
    wide = tf.get_variable('wide', [5, 4, 3, 2])
    depthwise = tf.get_variable('depthwise', [3, 3, 3, 2])
    pointwise = tf.get_variable('pointwise', [1, 1, 6, 5])
    up = tf.get_variable('up', [3, 3, 3, 4])
    bias = tf.get_variable('bias', [4], initializer=tf.zeros_initializer())
  out['conv_same_s2'] = tf.nn.conv2d(x, kernel, strides=[1, 2, 2, 1], padding='SAME')
  out['conv_valid'] = tf.nn.conv2d(x, kernel, [1, 1, 1, 1], 'VALID')
  out['conv_dilated'] = tf.nn.conv2d(x, wide, [1, 1, 1, 1], 'SAME', dilations=[1, 2, 1, 1])
  out['conv_explicit'] = tf.nn.conv2d(x, kernel, [1, 2, 1, 1], [[0, 0], [2, 1], [0, 3], [0, 0]])
  out['atrous'] = tf.nn.atrous_conv2d(x, kernel, rate=2, padding='SAME')
  out['depthwise'] = tf.nn.depthwise_conv2d(x, depthwise, [1, 2, 2, 1], 'SAME')
  out['depthwise_rate'] = tf.nn.depthwise_conv2d(x, depthwise, [1, 1, 1, 1], 'VALID', rate=[2, 2])
  out['separable'] = tf.nn.separable_conv2d(x, depthwise, pointwise, [1, 1, 1, 1], 'SAME')
  net = tf.nn.bias_add(out['conv_same_s2'], bias)
  out['bias_add'] = net
  out['transpose_same'] = tf.nn.conv2d_transpose(net, up, [2, 10, 8, 3], [1, 2, 2, 1], padding='SAME')
  out['transpose_valid'] = tf.nn.conv2d_transpose(net, up, [2, 11, 9, 3], [1, 2, 2, 1], padding='VALID')
  out['max_pool'] = tf.nn.max_pool(x, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding='SAME')
  out['avg_pool'] = tf.nn.avg_pool(x, [1, 3, 3, 1], [1, 2, 2, 1], 'SAME')
  out['avg_pool_valid'] = tf.nn.avg_pool(x, [1, 2, 3, 1], [1, 1, 2, 1], 'VALID')
  out['relu'] = tf.nn.relu(x) + tf.nn.relu6(x * 8.0) + tf.nn.elu(x) + tf.nn.softplus(x) + tf.nn.leaky_relu(x)
  out['crelu'] = tf.nn.crelu(x)
  out['sigmoid_tanh'] = tf.nn.sigmoid(x) + tf.nn.tanh(x) + tf.nn.softsign(x) + tf.nn.selu(x)
  out['l2_normalize'] = tf.nn.l2_normalize(x, 3)
  out['l2_normalize_dim'] = tf.nn.l2_normalize(x, dim=[1, 2], epsilon=1e-3)
  out['lrn'] = tf.nn.lrn(x * 4.0, 2, bias=1.0, alpha=0.001 / 9.0, beta=0.75)
  logits = tf.reduce_mean(net, [1, 2])
  out['softmax'] = tf.nn.softmax(logits)
  out['softmax_axis'] = tf.nn.softmax(x, axis=1)
  out['log_softmax'] = tf.nn.log_softmax(logits)
  mean, variance = tf.nn.moments(x, axes=[0, 1, 2])
  out['moments_mean'], out['moments_variance'] = mean, variance
  out['batch_normalization'] = tf.nn.batch_normalization(x, mean, variance, offset=0.1, scale=2.0,
                                                         variance_epsilon=1e-3)
  probs = tf.nn.softmax(labels * 3.0)
  out['softmax_xent'] = tf.nn.softmax_cross_entropy_with_logits(labels=probs, logits=logits)
  out['softmax_xent_v2'] = tf.nn.softmax_cross_entropy_with_logits_v2(labels=probs, logits=logits)
  out['sparse_xent'] = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.argmax(labels, 1), logits=logits)
  out['sigmoid_xent'] = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.nn.sigmoid(labels), logits=logits)
  out['l2_loss'] = tf.nn.l2_loss(kernel)
  out['zero_fraction'] = tf.nn.zero_fraction(tf.nn.relu(x))
  values, indices = tf.nn.top_k(logits, k=2)
  out['top_k_values'], out['top_k_indices'] = values, indices
  out['in_top_k'] = tf.cast(tf.nn.in_top_k(logits, tf.argmax(labels, 1), 2), tf.float32)
  out['dropout_keep_all'] = tf.nn.dropout(x, keep_prob=1.0)
  return out
