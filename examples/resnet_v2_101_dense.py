"""ResNet-101 v2 for dense prediction: ``global_pool=False, output_stride=16`` on 513x513 inputs.

From seed page 001, the ``resnet_v2`` docstring example it quotes::

    # inputs has shape [batch, 513, 513, 3]
    with slim.arg_scope(resnet_v2.resnet_arg_scope(is_training)):
      net, end_points = resnet_v2.resnet_v2_101(inputs, 21,
                                                global_pool=False,
                                                output_stride=16)

(ResNet-101 for semantic segmentation into 21 classes.) With ``output_stride=16`` the last block
runs atrous (rate 2) instead of strided, so the 513x513 input gives 33x33 logits -- one 21-class score
vector per 16x16 patch, ``(513 - 1) / 16 + 1``.

Two arguments of the newer Slim ``resnet_v2_101`` that the page's version did not have:
``spatial_squeeze=False`` keeps the logits' ``[batch, 33, 33, 21]`` shape (the default True squeezes
the 1x1 map of a classifier and refuses a 33x33 one, as ``tf.squeeze`` does), and ``is_training``
moved from ``resnet_arg_scope`` to the net; ``None`` follows ``model.train()`` / ``model.eval()``.

    python examples/resnet_v2_101_dense.py                    # 513x513, as the page
    python examples/resnet_v2_101_dense.py --image-size 65    # quicker: 5x5 logits
"""

import argparse

import torch

import torchslim as slim
from torchslim.nets import resnet_v2


def segmentation_net(inputs, num_classes=21, output_stride=16):
    with slim.arg_scope(resnet_v2.resnet_arg_scope()):
        net, end_points = resnet_v2.resnet_v2_101(inputs, num_classes, is_training=None,
                                                  global_pool=False, output_stride=output_stride,
                                                  spatial_squeeze=False)
    return net, end_points


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--image-size', type=int, default=513)
    parser.add_argument('--num-classes', type=int, default=21)
    parser.add_argument('--output-stride', type=int, default=16, choices=[8, 16, 32])
    args = parser.parse_args(argv)

    model = slim.Model(segmentation_net, num_classes=args.num_classes, output_stride=args.output_stride)
    model.eval()  # batch norm uses its moving statistics
    inputs = torch.rand(args.batch_size, args.image_size, args.image_size, 3)
    with torch.no_grad():
        net, end_points = model(inputs)

    print('inputs', list(inputs.shape))
    for name in ('resnet_v2_101/conv1', 'resnet_v2_101/block1', 'resnet_v2_101/block2',
                 'resnet_v2_101/block3', 'resnet_v2_101/block4', 'resnet_v2_101/logits', 'predictions'):
        print('%-24s %s' % (name, list(end_points[name].shape)))
    print('net (logits)', list(net.shape))
    expected = (args.image_size - 1) // args.output_stride + 1
    assert net.shape[1:3] == (expected, expected), net.shape
    return net, end_points


if __name__ == '__main__':
    main()
