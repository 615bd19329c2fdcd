"""Small Slim ResNets for small images (32x32), registered in :mod:`~torchslim.nets.nets_factory`.

``resnet_v2_digits`` (the default of ``torchslim train``) is a Slim ResNet v2 built with the real
``resnet_v2.resnet_v2`` builder, root block and pre-activation basic units, sized for 32x32 inputs on
a laptop CPU: root block (7x7/2 conv, 3x3/2 max pool), then ``block1`` (32, /2), ``block2`` (64, /2),
``block3`` (128), two units each; ``postnorm``, global pooling and the ``logits`` convolution.
About 0.7M parameters.

``resnet_v1_small`` and ``resnet_v2_small`` are the tiny nets of TF-Slim's own ``resnet_v1_test.py`` /
``resnet_v2_test.py`` (``_resnet_small``: bottleneck blocks of base depth 1, 2, 4, 8 with 3, 3, 3, 2
units and strides 2, 2, 2, 1), under the same scopes, so checkpoints TF-Slim wrote for them (the
golden fixtures) fine-tune here by name.

All three are built in :func:`small_resnet_arg_scope`: ``resnet_arg_scope`` with a batch-norm decay of
0.9, so the moving averages settle within the few hundred steps a small data set trains for.
"""

from __future__ import annotations

from typing import Callable, Optional

from torchslim.nets import resnet_utils, resnet_v1, resnet_v2

__all__ = ["resnet_v2_digits", "resnet_v1_small", "resnet_v2_small", "small_resnet_arg_scope"]


def small_resnet_arg_scope(weight_decay: float = 0.0001, batch_norm_decay: float = 0.9, **kwargs) -> dict:
    """:func:`~torchslim.nets.resnet_utils.resnet_arg_scope` with a batch-norm decay of 0.9 by default.

    Args:
      weight_decay: the L2 coefficient of the weights.
      batch_norm_decay: the decay of the moving averages.
      **kwargs: more ``resnet_arg_scope`` arguments.

    Returns:
      The arg scope dict.
    """
    return resnet_utils.resnet_arg_scope(weight_decay=weight_decay, batch_norm_decay=batch_norm_decay, **kwargs)


def resnet_v2_digits(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                     output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                     scope: str = "resnet_v2_digits"):
    """A small ResNet v2 (basic units, depths 32-64-128) for small images; see the module docstring.

    Arguments and returns as :func:`torchslim.nets.resnet_v2.resnet_v2`.
    """
    blocks = [resnet_v2.resnet_v2_basic_block("block1", base_depth=32, num_units=2, stride=2),
              resnet_v2.resnet_v2_basic_block("block2", base_depth=64, num_units=2, stride=2),
              resnet_v2.resnet_v2_basic_block("block3", base_depth=128, num_units=2, stride=1)]
    return resnet_v2.resnet_v2(inputs, blocks, num_classes, is_training=is_training, global_pool=global_pool,
                               output_stride=output_stride, include_root_block=True,
                               spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


resnet_v2_digits.default_image_size = 32


def _small_blocks(block_fn: Callable) -> list:
    """``_resnet_small``'s blocks: base depths 1, 2, 4, 8; 3, 3, 3, 2 units; strides 2, 2, 2, 1."""
    return [block_fn(f"block{i + 1}", base_depth=depth, num_units=units, stride=stride)
            for i, (depth, units, stride) in enumerate(zip((1, 2, 4, 8), (3, 3, 3, 2), (2, 2, 2, 1)))]


def resnet_v1_small(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                    output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                    scope: str = "resnet_v1_small"):
    """TF-Slim's test net ``_resnet_small`` on ``resnet_v1.resnet_v1``; arguments and returns as that builder."""
    return resnet_v1.resnet_v1(inputs, _small_blocks(resnet_v1.resnet_v1_block), num_classes,
                               is_training=is_training, global_pool=global_pool, output_stride=output_stride,
                               include_root_block=True, spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


def resnet_v2_small(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                    output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                    scope: str = "resnet_v2_small"):
    """TF-Slim's test net ``_resnet_small`` on ``resnet_v2.resnet_v2``; arguments and returns as that builder."""
    return resnet_v2.resnet_v2(inputs, _small_blocks(resnet_v2.resnet_v2_block), num_classes,
                               is_training=is_training, global_pool=global_pool, output_stride=output_stride,
                               include_root_block=True, spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


resnet_v1_small.default_image_size = resnet_v2_small.default_image_size = 32
