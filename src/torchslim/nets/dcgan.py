"""DCGAN's generator and discriminator (``research/slim/nets/dcgan.py``).

Radford, Metz and Chintala, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks" (2015). Same signatures, defaults, variable names and end points
as TF-Slim; NHWC images. Batch norm (``zero_debias_moving_mean=True``, ``fused=fused_batch_norm``)
follows ``is_training``, True by default as upstream.

Discriminator (square power-of-2 input of width ``2**n``): ``conv1``..``conv<n>``, conv 4x4/2
SAME, leaky ReLU, ``depth * 2**i`` filters, batch norm but on ``conv1``; ``logits``: 1x1 conv
(scope ``Conv``), linear, ``[N, 1]``.

Generator (noise ``[N, d]``, ``final_size = 2**(L + 1)``): ``deconv1`` 4x4 VALID on the 1x1 noise
map, ``depth * 2**(L - 1)`` filters; ``deconv2``..``deconv<L-1>`` 4x4/2, halving the filters,
batch norm, ReLU; ``deconv<L>`` 4x4/2, ``depth`` filters, linear; ``logits`` 1x1 conv to
``num_outputs``.

Example::

    model = slim.Model(dcgan.generator, final_size=32, is_training=False)
    images, end_points = model(torch.randn(16, 64))     # [16, 32, 32, 3]
"""

from __future__ import annotations

from math import log
from typing import Dict, Optional, Tuple

import torch

import torchslim as slim

__all__ = ["discriminator", "generator"]

EndPoints = Dict[str, torch.Tensor]


def _validate_image_inputs(inputs: torch.Tensor) -> None:
    """Checks for a rank-4 input of equal, power-of-2 height and width.

    Raises:
      ValueError: as TF-Slim's messages say.
    """
    if inputs.dim() != 4:
        raise ValueError(f"Shape {tuple(inputs.shape)} must have rank 4")
    if inputs.shape[1] != inputs.shape[2]:
        raise ValueError("Input tensor does not have equal width and height: ", tuple(inputs.shape[1:3]))
    width = inputs.shape[1]
    if log(width, 2) != int(log(width, 2)):
        raise ValueError("Input tensor `width` is not a power of 2: ", width)


def _batch_norm_args(is_training, fused_batch_norm: bool) -> dict:
    return {"is_training": is_training, "zero_debias_moving_mean": True, "fused": fused_batch_norm}


def discriminator(inputs: torch.Tensor, depth: int = 64, is_training=True, reuse=None,
                  scope: Optional[str] = "Discriminator",
                  fused_batch_norm: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """The DCGAN discriminator.

    Args:
      inputs: ``[N, W, W, C]`` with ``W`` a power of 2.
      depth: filters of the first layer (doubling per layer).
      is_training: batch norm's mode.
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      fused_batch_norm: batch norm's ``fused``.

    Returns:
      ``(logits [N, 1], end_points)``.

    Raises:
      ValueError: a non-square, non-power-of-2 or not rank-4 input.
    """
    _validate_image_inputs(inputs)
    inp_shape = inputs.shape[1]
    end_points: EndPoints = {}
    with slim.variable_scope(scope, values=[inputs], reuse=reuse):
        with slim.arg_scope([slim.batch_norm], **_batch_norm_args(is_training, fused_batch_norm)):
            with slim.arg_scope([slim.conv2d], stride=2, kernel_size=4, activation_fn=slim.nn.leaky_relu):
                net = inputs
                for i in range(int(log(inp_shape, 2))):
                    name = "conv%i" % (i + 1)
                    net = slim.conv2d(net, depth * 2 ** i, normalizer_fn=None if i == 0 else slim.batch_norm,
                                      scope=name)
                    end_points[name] = net
                logits = slim.conv2d(net, 1, kernel_size=1, stride=1, padding="VALID", normalizer_fn=None,
                                     activation_fn=None)
                logits = logits.reshape(-1, 1)
                end_points["logits"] = logits
    return logits, end_points


def _check_generator_args(inputs: torch.Tensor, final_size: int) -> None:
    if inputs.dim() != 2:
        raise ValueError(f"Shape {tuple(inputs.shape)} must have rank 2")
    if log(final_size, 2) != int(log(final_size, 2)):
        raise ValueError("`final_size` (%i) must be a power of 2." % final_size)
    if final_size < 8:
        raise ValueError("`final_size` (%i) must be greater than 8." % final_size)


def generator(inputs: torch.Tensor, depth: int = 64, final_size: int = 32, num_outputs: int = 3, is_training=True,
              reuse=None, scope: Optional[str] = "Generator",
              fused_batch_norm: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """The DCGAN generator.

    Args:
      inputs: ``[N, d]`` noise.
      depth: filters of the last transposed convolution (doubling towards the input).
      final_size: output height and width, a power of 2, at least 8.
      num_outputs: output channels.
      is_training: batch norm's mode.
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      fused_batch_norm: batch norm's ``fused``.

    Returns:
      ``(logits [N, final_size, final_size, num_outputs], end_points)``.

    Raises:
      ValueError: ``inputs`` not rank 2, or ``final_size`` not a power of 2 or below 8.
    """
    _check_generator_args(inputs, final_size)
    end_points: EndPoints = {}
    num_layers = int(log(final_size, 2)) - 1
    with slim.variable_scope(scope, values=[inputs], reuse=reuse):
        with slim.arg_scope([slim.batch_norm], **_batch_norm_args(is_training, fused_batch_norm)):
            with slim.arg_scope([slim.conv2d_transpose], normalizer_fn=slim.batch_norm, stride=2, kernel_size=4):
                net = inputs[:, None, None, :]
                # the first upscaling takes the noise vector
                net = slim.conv2d_transpose(net, depth * 2 ** (num_layers - 1), stride=1, padding="VALID",
                                            scope="deconv1")
                end_points["deconv1"] = net
                for i in range(2, num_layers):
                    name = "deconv%i" % i
                    net = slim.conv2d_transpose(net, depth * 2 ** (num_layers - i), scope=name)
                    end_points[name] = net
                name = "deconv%i" % num_layers  # the last: no normalizer, linear
                net = slim.conv2d_transpose(net, depth, normalizer_fn=None, activation_fn=None, scope=name)
                end_points[name] = net
                logits = slim.conv2d(net, num_outputs, normalizer_fn=None, activation_fn=None, kernel_size=1,
                                     stride=1, padding="VALID", scope="logits")
                end_points["logits"] = logits
    return logits, end_points
