"""Face embeddings with facenet's Inception-ResNet-v1: two images, their embeddings and distance.

From seed page 001's facenet part, which walks through facenet's ``inception_resnet_v1`` (stem,
``block35`` x5, ``reduction_a``, ``block17`` x10, ``reduction_b``, ``block8`` x5 and one more without
activation, average pool, dropout, ``Bottleneck``). facenet's ``compare.py`` then L2-normalises the
bottleneck output and compares two faces by Euclidean distance; here with
``torchslim.nets.inception_resnet_v1``, the same net with the same variable names::

    prelogits, _ = inception_resnet_v1.inference(images, 1.0, phase_train=False, bottleneck_layer_size=512)
    embeddings = tf.nn.l2_normalize(prelogits, 1, 1e-10)
    dist = np.sqrt(np.sum(np.square(np.subtract(emb[0, :], emb[1, :]))))

Weights are random unless ``--checkpoint`` names a facenet checkpoint (a V2 bundle such as
``20180402-114759/model-20180402-114759.ckpt-275``; its training-only variables are reported and
ignored). Images are ``.npy`` arrays or, with Pillow installed, image files of aligned faces; without
``--images`` two random images are used. facenet's "fixed image standardisation" ``(x - 127.5) / 128``
is applied to 0..255 pixels.

    python examples/facenet_embeddings.py                              # random weights and images
    python examples/facenet_embeddings.py --checkpoint model-20180402-114759.ckpt-275 \\
        --images face1.png face2.png
"""

import argparse

import numpy as np
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import inception_resnet_v1


def load_image(path, image_size):
    """An image file or .npy array as [H, W, 3] float pixels 0..255, resized to image_size."""
    if path.endswith('.npy'):
        image = np.load(path, allow_pickle=False).astype(np.float32)
    else:
        from PIL import Image  # optional dependency, only for image files
        image = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32)
    x = torch.from_numpy(image)[None].permute(0, 3, 1, 2)
    x = F.interpolate(x, size=(image_size, image_size), mode='bilinear', align_corners=False)
    return x.permute(0, 2, 3, 1)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--checkpoint', help='facenet checkpoint prefix (default: random weights)')
    parser.add_argument('--images', nargs=2, metavar='IMAGE', help='two images (.npy or, with Pillow, files)')
    parser.add_argument('--image-size', type=int, default=160)
    parser.add_argument('--embedding-size', type=int, default=512, help="facenet's bottleneck_layer_size")
    args = parser.parse_args(argv)
    torch.manual_seed(0)

    model = slim.Model(inception_resnet_v1.inference, keep_probability=1.0, phase_train=False,
                       bottleneck_layer_size=args.embedding_size)
    if args.images:
        pixels = torch.stack([load_image(path, args.image_size) for path in args.images])
    else:
        pixels = torch.rand(2, args.image_size, args.image_size, 3) * 255
    images = (pixels - 127.5) / 128.0                          # facenet's fixed standardisation

    model.build(images)
    print('InceptionResnetV1: %d variables' % len(model.tf_variables()))
    if args.checkpoint:
        print(slim.assign_from_checkpoint(model, args.checkpoint))

    model.eval()
    with torch.no_grad():
        prelogits, end_points = model(images)
    emb = inception_resnet_v1.embeddings(prelogits)            # tf.nn.l2_normalize(prelogits, 1, 1e-10)
    for name in ('Conv2d_1a_3x3', 'Mixed_5a', 'Mixed_6a', 'Mixed_7a', 'Mixed_8b', 'PreLogitsFlatten'):
        print('%-18s %s' % (name, list(end_points[name].shape)))
    print('embeddings', list(emb.shape), 'norms', ['%.4f' % n for n in emb.norm(dim=1).tolist()])
    dist = torch.sqrt(torch.sum(torch.square(emb[0] - emb[1]))).item()
    print('distance between the two images: %.4f' % dist)
    return emb, dist


if __name__ == '__main__':
    main()
