"""A ``resnet_arg_scope()`` of nested ``slim.arg_scope``s and a model built under it.

From seed page 000 ("Python中ResNet_arg_scope()的用法详解"): the page defines ``resnet_arg_scope`` as
three nested ``arg_scope``s (L2 weight decay, variance-scaling init, ReLU and BatchNorm for
``slim.conv2d``; ``is_training=True`` for ``slim.batch_norm``; ``padding='SAME'`` for
``slim.max_pool2d``), returns the innermost scope dict, and builds a network under it ending in
``avg_pool`` / ``flatten`` / ``logits``. The page leaves the body as ``net = ...``; here it is a small
stem (7x7/2 conv, 3x3/2 max-pool) and three 3x3/2 convs, so a 224x224 input reaches ``avg_pool`` at
7x7, as the page's ``kernel_size=[7, 7]`` expects.

The TF-Slim code ports with ``import torchslim as slim`` and ``tf.nn.relu`` -> ``slim.nn.relu``; the
model function runs inside ``slim.Model``, which creates the variables on the first call.

    python examples/resnet_arg_scope.py                    # 224x224, as the page
    python examples/resnet_arg_scope.py --image-size 64    # quicker
"""

import argparse

import torch

import torchslim as slim


def resnet_arg_scope(weight_decay=0.0001, batch_norm_decay=0.997, batch_norm_epsilon=1e-5):
    # Defaults for every slim.conv2d, slim.batch_norm and slim.max_pool2d built under the scope.
    with slim.arg_scope([slim.conv2d],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=slim.variance_scaling_initializer(),
                        activation_fn=slim.nn.relu,
                        normalizer_fn=slim.batch_norm,
                        normalizer_params={'decay': batch_norm_decay, 'epsilon': batch_norm_epsilon}):
        # An explicit is_training=True wins over model.eval(); leave it out (None) to follow the mode.
        with slim.arg_scope([slim.batch_norm], is_training=True):
            with slim.arg_scope([slim.max_pool2d], padding='SAME') as arg_sc:
                return arg_sc


def build_resnet(inputs, num_classes):
    with slim.arg_scope(resnet_arg_scope()):
        net = slim.conv2d(inputs, 64, [7, 7], stride=2, scope='conv1')
        net = slim.max_pool2d(net, [3, 3], stride=2, scope='pool1')
        net = slim.conv2d(net, 128, [3, 3], stride=2, scope='conv2')
        net = slim.conv2d(net, 256, [3, 3], stride=2, scope='conv3')
        net = slim.conv2d(net, 512, [3, 3], stride=2, scope='conv4')
        # Global average pooling: [7, 7] on the page's 224x224 input.
        net = slim.avg_pool2d(net, kernel_size=list(net.shape[1:3]), stride=1, padding='VALID', scope='avg_pool')
        net = slim.flatten(net, scope='flatten')
        net = slim.fully_connected(net, num_classes, activation_fn=None, scope='logits')
        return net


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=2)
    parser.add_argument('--image-size', type=int, default=224)
    parser.add_argument('--num-classes', type=int, default=10)
    args = parser.parse_args(argv)

    # The scope dict: {op key: {argument: default}}, as TF-Slim returns it.
    arg_sc = resnet_arg_scope()
    print('resnet_arg_scope():')
    for op_key, defaults in arg_sc.items():
        print('  %s: %s' % (op_key.split()[1], sorted(defaults)))

    model = slim.Model(build_resnet, num_classes=args.num_classes)
    inputs = torch.rand(args.batch_size, args.image_size, args.image_size, 3)  # NHWC, like TF-Slim
    logits = model(inputs)  # first call: creates the variables
    print('logits:', tuple(logits.shape))

    print('variables:')
    for name, var in model.tf_variables().items():
        kind = 'trainable' if var.trainable else 'moving   '
        reg = '  l2' if var.regularizer is not None else ''
        print('  %s %-36s %s%s' % (kind, name, list(var.tf_shape), reg))

    reg_losses = model.regularization_losses()  # tf.losses.get_regularization_losses()
    print('regularization losses: %d, sum %.6f' % (len(reg_losses), torch.stack(reg_losses).sum().item()))

    # is_training=True in the scope: BatchNorm uses batch statistics and updates its moving
    # averages even after model.eval().
    model.eval()
    moving_mean = model.variable('conv1/BatchNorm/moving_mean').tensor
    before = moving_mean.clone()
    with torch.no_grad():
        model(inputs)
    print('conv1/BatchNorm/moving_mean updated under model.eval():', not torch.equal(before, moving_mean))
    return model


if __name__ == '__main__':
    main()
