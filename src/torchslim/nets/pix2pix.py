"""pix2pix (``research/slim/nets/pix2pix.py``): the U-Net generator and the PatchGAN discriminator.

Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with Conditional Adversarial Networks"
(2017). Same signatures, defaults, variable names and end points as TF-Slim; NHWC inputs.

Generator (``blocks`` = ``[Block(num_filters, decoder_keep_prob), ...]``, default 7 blocks):

==============  ===========================================================================
end point       layer
==============  ===========================================================================
encoder<i>      conv 4x4/2 SAME, leaky ReLU; instance norm but on the first and last block
decoder<i>      ReLU -> upsample x2 (``nn_upsample_conv``: nearest resize + conv 4x4, or
                ``conv2d_transpose`` 4x4/2) -> dropout (always on) when ``decoder_keep_prob``;
                from the second block on, the input is concatenated with the mirror encoder output
logits          ``output/Conv``: conv 4x4, linear, reshaped to the input's shape
predictions     tanh(logits)
==============  ===========================================================================

Discriminator: per ``num_filters`` entry a reflect-padded 4x4 VALID convolution (stride 2, the last
stride 1; instance norm but on the first), then a 1-channel stride-1 ``logits`` convolution
(``predictions``: sigmoid).

Example::

    with slim.arg_scope(pix2pix.pix2pix_arg_scope()):
        model = slim.Model(pix2pix.pix2pix_generator, num_outputs=3)
    logits, end_points = model(images)                 # images: [N, 256, 256, 3]
"""

from __future__ import annotations

import collections
import functools
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

import torchslim as slim
from torchslim.ops import image as image_ops, padding as pad_ops

__all__ = ["pix2pix_arg_scope", "upsample", "Block", "pix2pix_generator", "pix2pix_discriminator"]

EndPoints = Dict[str, torch.Tensor]


def pix2pix_arg_scope() -> dict:
    """Instance norm (center, scale, epsilon 1e-5) and N(0, 0.02) weights for ``conv2d`` and ``conv2d_transpose``.

    Returns:
      An arg scope.
    """
    instance_norm_params = {"center": True, "scale": True, "epsilon": 0.00001}
    with slim.arg_scope([slim.conv2d, slim.conv2d_transpose], normalizer_fn=slim.instance_norm,
                        normalizer_params=instance_norm_params,
                        weights_initializer=slim.initializers.random_normal_initializer(0, 0.02)) as sc:
        return sc


def upsample(net: torch.Tensor, num_outputs: int, kernel_size: Sequence[int],
             method: str = "nn_upsample_conv") -> torch.Tensor:
    """Upsamples ``net`` by ``kernel_size`` (the height and width factors) to ``num_outputs`` channels.

    Args:
      net: ``[N, H, W, C]``.
      num_outputs: output channels.
      kernel_size: ``[height factor, width factor]``.
      method: ``'nn_upsample_conv'`` (TF1 nearest-neighbour resize, then a 4x4 convolution) or
        ``'conv2d_transpose'`` (a 4x4 transposed convolution with stride ``kernel_size``).

    Returns:
      ``[N, H * kernel_size[0], W * kernel_size[1], num_outputs]``, linear.

    Raises:
      ValueError: an unknown ``method``.
    """
    height, width = net.shape[1], net.shape[2]
    if method == "nn_upsample_conv":
        net = image_ops.resize_nearest_neighbor(net, [kernel_size[0] * height, kernel_size[1] * width])
        return slim.conv2d(net, num_outputs, [4, 4], activation_fn=None)
    if method == "conv2d_transpose":
        return slim.conv2d_transpose(net, num_outputs, [4, 4], stride=kernel_size, activation_fn=None)
    raise ValueError(f"Unknown method: [{method}]")


class Block(collections.namedtuple("Block", ["num_filters", "decoder_keep_prob"])):
    """One encoder convolution and its mirror decoder step (concatenation, upsample, dropout)."""


def _default_generator_blocks() -> List[Block]:
    """The paper's generator: 64, 128, 256 filters with decoder dropout 0.5, then four blocks of 512 without."""
    return [Block(64, 0.5), Block(128, 0.5), Block(256, 0.5), Block(512, 0), Block(512, 0), Block(512, 0),
            Block(512, 0)]


def _encoder(net: torch.Tensor, blocks: Sequence[Block], end_points: EndPoints) -> List[torch.Tensor]:
    """The encoder's outputs, one per block (``encoder/Conv``, ``encoder/Conv_1``, ...)."""
    activations = []
    with slim.variable_scope("encoder"):
        with slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2, activation_fn=slim.nn.leaky_relu):
            for block_id, block in enumerate(blocks):
                if block_id == 0:  # no normalizer on the first layer ('Image-to-Image', 5.1.1)
                    net = slim.conv2d(net, block.num_filters, normalizer_fn=None)
                elif block_id < len(blocks) - 1:
                    net = slim.conv2d(net, block.num_filters)
                else:  # nor activation on the last
                    net = slim.conv2d(net, block.num_filters, activation_fn=None, normalizer_fn=None)
                activations.append(net)
                end_points["encoder%d" % block_id] = net
    return activations


def _decoder(encoder_activations: List[torch.Tensor], blocks: Sequence[Block], upsample_fn: Callable,
             end_points: EndPoints) -> torch.Tensor:
    """The decoder, from the last encoder output up, with skip connections from the encoder."""
    net = encoder_activations[-1]
    with slim.variable_scope("decoder"):
        # dropout at both train and test time ('Image-to-Image', 2.1)
        with slim.arg_scope([slim.dropout], is_training=True):
            for block_id, block in enumerate(reversed(blocks)):
                if block_id > 0:
                    net = torch.cat([net, encoder_activations[-block_id - 1]], dim=3)
                net = upsample_fn(torch.relu(net), block.num_filters, [2, 2])  # the ReLU comes before
                if block.decoder_keep_prob > 0:
                    net = slim.dropout(net, keep_prob=block.decoder_keep_prob)
                end_points["decoder%d" % block_id] = net
    return net


def pix2pix_generator(net: torch.Tensor, num_outputs: int, blocks: Optional[Sequence[Block]] = None,
                      upsample_method: str = "nn_upsample_conv",
                      is_training: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """The U-Net generator.

    Args:
      net: ``[N, H, W, C]``, square, with ``H`` divisible by ``2 ** len(blocks)``.
      num_outputs: per-pixel outputs.
      blocks: generator blocks, or None for :func:`_default_generator_blocks`.
      upsample_method: ``'nn_upsample_conv'`` or ``'conv2d_transpose'`` (see :func:`upsample`).
      is_training: unused (the decoder's dropout is always on, as upstream).

    Returns:
      ``(logits [N, H, W, num_outputs], end_points)``.

    Raises:
      ValueError: an unknown ``upsample_method``.
    """
    del is_training
    end_points: EndPoints = {}
    blocks = blocks or _default_generator_blocks()
    output_shape = list(net.shape[:3]) + [num_outputs]
    upsample_fn = functools.partial(upsample, method=upsample_method)
    encoder_activations = _encoder(net, blocks, end_points)
    net = _decoder(encoder_activations, blocks, upsample_fn, end_points)
    with slim.variable_scope("output"):
        # normalizer_fn None overrides an arg scope such as pix2pix_arg_scope's
        logits = slim.conv2d(net, num_outputs, [4, 4], activation_fn=None, normalizer_fn=None)
        logits = logits.reshape(output_shape)
        end_points["logits"] = logits
        end_points["predictions"] = torch.tanh(logits)
    return logits, end_points


def pix2pix_discriminator(net: torch.Tensor, num_filters: Sequence[int], padding: int = 2, pad_mode: str = "REFLECT",
                          activation_fn: Callable = slim.nn.leaky_relu,
                          is_training: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """The PatchGAN discriminator.

    Args:
      net: ``[N, H, W, C]``.
      num_filters: filters of each layer; its length is the number of layers.
      padding: spatial padding (``pad_mode``) before each convolution; 0 for none.
      pad_mode: ``tf.pad``'s mode: ``'REFLECT'``, ``'SYMMETRIC'`` or ``'CONSTANT'``.
      activation_fn: the hidden layers' activation.
      is_training: unused.

    Returns:
      ``(logits [N, patches, patches, 1], end_points)``.
    """
    del is_training
    end_points: EndPoints = {}
    num_layers = len(num_filters)

    def padded(x: torch.Tensor) -> torch.Tensor:
        if not padding:
            return x
        return pad_ops.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]], pad_mode)

    with slim.arg_scope([slim.conv2d], kernel_size=[4, 4], stride=2, padding="valid", activation_fn=activation_fn):
        net = slim.conv2d(padded(net), num_filters[0], normalizer_fn=None, scope="conv0")  # no norm on the input
        end_points["conv0"] = net
        for i in range(1, num_layers - 1):
            net = slim.conv2d(padded(net), num_filters[i], scope="conv%d" % i)
            end_points["conv%d" % i] = net
        last = "conv%d" % (num_layers - 1)
        net = slim.conv2d(padded(net), num_filters[-1], stride=1, scope=last)
        end_points[last] = net
        logits = slim.conv2d(padded(net), 1, stride=1, activation_fn=None, normalizer_fn=None,
                             scope="conv%d" % num_layers)
        end_points["logits"] = logits
        end_points["predictions"] = torch.sigmoid(logits)
    return logits, end_points
