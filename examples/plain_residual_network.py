"""A residual network from plain ``slim.conv2d`` / ``slim.batch_norm``, with explicit initializers.

From seed page 004 ("TensorFlow中使用init_ops初始化残差网络参数的示例"): the page writes a residual
block (two 3x3 convs with batch normalisation, an optional 1x1 projection shortcut) and a three-block
network (7x7/2 stem, blocks of 64/128/256 filters with strides 1/2/2, average pool, dense layer) with
``tf.layers``, and initialises the weights with ``xavier_initializer()`` and the biases with
``constant_initializer()``. Here it is in Slim style: ``tf.layers.conv2d`` -> ``slim.conv2d`` with
``activation_fn=None``, ``tf.layers.batch_normalization`` -> ``slim.batch_norm``, ``tf.layers.dense``
-> ``slim.fully_connected``, and the initializers set once in an ``arg_scope``.

Two fixes to the page's code: its network calls ``residual_block`` without
``projection_shortcut=True``, so blocks 2 and 3 (64 -> 128 and 128 -> 256 filters, stride 2) could
not add their shortcut; here a block projects whenever its shape changes. And its 7x7/stride-1
average pool at 224x224 leaves 22x22x256 features (a 124M-parameter dense layer); here the pool
covers the whole feature map (global average pooling).

The network then trains for a few steps on the embedded handwritten digits (8x8, upsampled), the
TF-Slim way: ``slim.losses`` + ``get_total_loss()`` (which adds the L2 weight decay), and BatchNorm
updating its moving averages in training calls (no ``UPDATE_OPS``).

    python examples/plain_residual_network.py                      # 16x16 digits, 60 steps
    python examples/plain_residual_network.py --image-size 224 --steps 0   # the page's shapes
"""

import argparse

import torch

import torchslim as slim
from torchslim.train.data import load_digits


def residual_block(net, filters, kernel_size, stride, projection_shortcut=False, scope=None):
    with slim.variable_scope(scope, 'residual_block', [net]):
        shortcut = net
        if projection_shortcut:
            shortcut = slim.conv2d(net, filters, [1, 1], stride=stride, scope='shortcut')
            shortcut = slim.batch_norm(shortcut, scope='shortcut_bn')
        x = slim.conv2d(net, filters, kernel_size, stride=stride, scope='conv1')
        x = slim.batch_norm(x, scope='bn1')
        x = slim.nn.relu(x)
        x = slim.conv2d(x, filters, kernel_size, scope='conv2')
        x = slim.batch_norm(x, scope='bn2')
        x = x + shortcut
        return slim.nn.relu(x)


def residual_network(inputs, num_classes=1000, weight_decay=1e-4, batch_norm_decay=0.9):
    filters = [64, 128, 256]  # channels of each residual block
    strides = [1, 2, 2]       # stride of each residual block
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_initializer=slim.xavier_initializer(),
                        biases_initializer=slim.initializers.constant_initializer(),
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        activation_fn=None), \
            slim.arg_scope([slim.batch_norm], scale=True, decay=batch_norm_decay):
        with slim.variable_scope('residual_network'):
            x = slim.conv2d(inputs, filters[0], [7, 7], stride=2, scope='conv1')
            x = slim.batch_norm(x, scope='bn1')
            x = slim.nn.relu(x)
            for i in range(3):
                depth_in = slim.utils.last_dimension(x.shape, min_rank=4)
                x = residual_block(x, filters[i], [3, 3], strides[i],
                                   projection_shortcut=(strides[i] != 1 or depth_in != filters[i]),
                                   scope='block%d' % (i + 1))
            x = slim.avg_pool2d(x, list(x.shape[1:3]), stride=1, scope='avg_pool')
            x = slim.flatten(x)
            x = slim.fully_connected(x, num_classes, scope='logits')
    return x


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--image-size', type=int, default=16)
    parser.add_argument('--steps', type=int, default=60)
    parser.add_argument('--learning-rate', type=float, default=0.05)
    # Slim's default decay of 0.999 needs thousands of steps before the moving averages fit: after a
    # few dozen, eval-mode predictions would all fall into one class (seed 003's pitfall).
    parser.add_argument('--batch-norm-decay', type=float, default=0.9)
    args = parser.parse_args(argv)
    torch.manual_seed(0)

    model = slim.Model(residual_network, num_classes=10, batch_norm_decay=args.batch_norm_decay)
    model.build(torch.zeros(1, args.image_size, args.image_size, 3))  # variables exist before the optimizer
    print('%d variables, %d parameters' % (len(model.tf_variables()),
                                           sum(p.numel() for p in model.parameters())))
    for name in list(model.tf_variables())[:12]:
        print('  ', name)
    print('   ...')

    if args.steps > 0:
        train = load_digits('train', image_size=args.image_size, channels=3)       # NHWC, in [-1, 1]
        held_out = load_digits('validation', image_size=args.image_size, channels=3)
        optimizer = torch.optim.SGD(model.parameters(), lr=args.learning_rate, momentum=0.9)
        model.train()
        for step in range(args.steps):
            images, labels = train.batch(torch.randint(0, len(train), (args.batch_size,)))
            logits = model(images)
            slim.losses.sparse_softmax_cross_entropy(logits, labels)
            total_loss = slim.losses.get_total_loss()  # cross entropy + L2 weight decay
            optimizer.zero_grad()
            total_loss.backward()
            optimizer.step()
            if step % 10 == 0 or step == args.steps - 1:
                print('step %d: total loss %.4f' % (step, total_loss.item()))
        model.eval()  # BatchNorm now uses its moving averages
        with torch.no_grad():
            accuracy = (model(held_out.images).argmax(1) == held_out.labels).float().mean().item()
        print('held-out accuracy after %d steps: %.3f' % (args.steps, accuracy))
    else:
        model.eval()
        with torch.no_grad():
            logits = model(torch.rand(args.batch_size, args.image_size, args.image_size, 3))
        print('logits:', tuple(logits.shape))
    return model


if __name__ == '__main__':
    main()
