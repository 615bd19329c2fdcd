"""ResNet v1: the original residual networks, batch norm *after* every convolution.

Proposed in

  [1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Deep Residual Learning for Image Recognition. arXiv:1512.03385
  [2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Identity Mappings in Deep Residual Networks. arXiv:1603.05027 (ResNet-200, and [2, Fig. 1a]
      compares v1 with the pre-activation v2 of :mod:`torchslim.nets.resnet_v2`).

This is ``tensorflow/models`` ``research/slim/nets/resnet_v1.py`` (newest version: ``spatial_squeeze``,
``store_non_strided_activations``, ``min_base_depth``, ``depth_multiplier``) on torchslim: the same
signatures, variable names, end points and numbers. Projection shortcuts are used only where the
depth changes, and the stride of each block sits in its last unit, as in Slim (not in the first
unit as in the "official" TF ResNets or torchvision; checkpoints are not interchangeable).

Typical use (NHWC input)::

    import torchslim as slim
    from torchslim.nets import resnet_v1

    def classify(images):                       # [batch, 224, 224, 3]
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            return resnet_v1.resnet_v1_101(images, 1000, is_training=False)

    def segment(images):                        # [batch, 513, 513, 3]
        with slim.arg_scope(resnet_v1.resnet_arg_scope()):
            return resnet_v1.resnet_v1_101(images, 21, is_training=False, global_pool=False,
                                           output_stride=16)

    model = slim.Model(classify)
    logits, end_points = model(images)

``is_training``: the constructors keep TF-Slim's default ``True`` (batch norm uses batch statistics
and updates its moving ones in every call). Pass ``is_training=None`` to let batch norm follow
``model.train()`` / ``model.eval()`` (or an enclosing ``arg_scope([slim.batch_norm], ...)``).

Variable names (``resnet_v1_50``, ``resnet_arg_scope()``)::

    resnet_v1_50/conv1/weights                                  [7, 7, 3, 64]
    resnet_v1_50/conv1/BatchNorm/{gamma,beta,moving_mean,moving_variance}
    resnet_v1_50/block1/unit_1/bottleneck_v1/shortcut/weights   [1, 1, 64, 256]   (+ BatchNorm/*)
    resnet_v1_50/block1/unit_1/bottleneck_v1/conv1/weights      [1, 1, 64, 64]    (+ BatchNorm/*)
    resnet_v1_50/block1/unit_1/bottleneck_v1/conv2/weights      [3, 3, 64, 64]    (+ BatchNorm/*)
    resnet_v1_50/block1/unit_1/bottleneck_v1/conv3/weights      [1, 1, 64, 256]   (+ BatchNorm/*)
    ...
    resnet_v1_50/logits/{weights [1, 1, 2048, num_classes], biases [num_classes]}

Basic-block networks (``resnet_v1_18``, ``resnet_v1_34``) have no TF-Slim original; they follow the
same conventions. Units are named ``basic_v1``; the first 3x3 convolution runs at the unit's input
resolution and the second carries the unit's stride (the last unit of each block), which keeps
``output_stride`` (atrous) features exactly equal to subsampled nominal ones::

    resnet_v1_18/conv1/weights                                  [7, 7, 3, 64]     (+ BatchNorm/*)
    resnet_v1_18/block1/unit_1/basic_v1/conv1/weights           [3, 3, 64, 64]    (+ BatchNorm/*)
    resnet_v1_18/block1/unit_1/basic_v1/conv2/weights           [3, 3, 64, 64]    (+ BatchNorm/*)
    resnet_v1_18/block2/unit_1/basic_v1/shortcut/weights        [1, 1, 64, 128]   (+ BatchNorm/*)
    resnet_v1_18/block2/unit_1/basic_v1/conv1/weights           [3, 3, 64, 128]   (+ BatchNorm/*)
    resnet_v1_18/block2/unit_1/basic_v1/conv2/weights           [3, 3, 128, 128]  (+ BatchNorm/*)
    ...
    resnet_v1_18/logits/{weights [1, 1, 512, num_classes], biases [num_classes]}

``shortcut`` exists only where the depth changes (``unit_1`` of blocks 2-4); every ``BatchNorm`` has
``gamma``, ``beta``, ``moving_mean`` and ``moving_variance`` under ``resnet_arg_scope()``.
End points: ``.../basic_v1/{shortcut,conv1,conv2}``, ``.../unit_<u>/basic_v1``, ``<scope>/block<b>``,
then ``global_pool``, ``<scope>/logits``, ``<scope>/spatial_squeeze``, ``predictions``.
"""

from __future__ import annotations

import contextlib
from typing import Dict, List, Optional, Sequence, Tuple

import torch

from torchslim import nn as tfnn, utils
from torchslim.arg_scope import add_arg_scope, arg_scope
from torchslim.layers import batch_norm, conv2d, max_pool2d
from torchslim.nets import resnet_utils
from torchslim.scopes import variable_scope

__all__ = [
    "resnet_arg_scope", "bottleneck", "basic", "resnet_v1", "resnet_v1_block", "resnet_v1_basic_block",
    "resnet_v1_18", "resnet_v1_34", "resnet_v1_50", "resnet_v1_101", "resnet_v1_152", "resnet_v1_200",
]

resnet_arg_scope = resnet_utils.resnet_arg_scope

Endpoints = Dict[str, torch.Tensor]


# --------------------------------------------------------------------------------------------------
# Residual units.


@add_arg_scope
def bottleneck(inputs: torch.Tensor, depth: int, depth_bottleneck: int, stride: int, rate: int = 1,
               outputs_collections=None, scope: Optional[str] = None,
               use_bounded_activations: bool = False) -> torch.Tensor:
    """The bottleneck residual unit of [1] with batch norm after each convolution ([2, Fig. 1a]).

    ``conv1`` (1x1, ``depth_bottleneck``) -> ``conv2`` (3x3, ``stride``, ``rate``) -> ``conv3``
    (1x1, ``depth``, no activation), plus the shortcut: the input (subsampled by ``stride``) if it
    already has ``depth`` channels, else a 1x1 ``shortcut`` conv with ``stride`` (no activation);
    the sum goes through ReLU. Default scope ``bottleneck_v1``.

    Args:
      inputs: ``[batch, height, width, channels]``.
      depth: output channels.
      depth_bottleneck: channels of the bottleneck (the two inner convolutions).
      stride: the unit's stride (in the 3x3 convolution). Put stride 2 in the last unit of a block.
      rate: atrous rate of the 3x3 convolution.
      outputs_collections: collections to add the unit's output to (under its scope name).
      scope: the variable scope.
      use_bounded_activations: clip the residual to [-6, 6] and use ReLU6 on the shortcut conv and
        the output (bounded activations quantize better).

    Returns:
      ``[batch, ceil(height / stride), ceil(width / stride), depth]``.
    """
    with variable_scope(scope, "bottleneck_v1", [inputs]) as sc:
        depth_in = utils.last_dimension(inputs.shape, min_rank=4)
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv2d(inputs, depth, [1, 1], stride=stride,
                              activation_fn=tfnn.relu6 if use_bounded_activations else None, scope="shortcut")
        residual = conv2d(inputs, depth_bottleneck, [1, 1], stride=1, scope="conv1")
        residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate, scope="conv2")
        residual = conv2d(residual, depth, [1, 1], stride=1, activation_fn=None, scope="conv3")
        if use_bounded_activations:
            output = tfnn.relu6(shortcut + torch.clamp(residual, -6.0, 6.0))
        else:
            output = tfnn.relu(shortcut + residual)
        return utils.collect_named_outputs(outputs_collections, sc.name, output)


@add_arg_scope
def basic(inputs: torch.Tensor, depth: int, stride: int, rate: int = 1, outputs_collections=None,
          scope: Optional[str] = None, use_bounded_activations: bool = False) -> torch.Tensor:
    """The basic (two 3x3 convolutions) residual unit of [1], batch norm after each convolution.

    ``conv1`` (3x3, ``depth``, stride 1, ``rate``) -> ``conv2`` (3x3, ``depth``, ``stride``,
    ``rate``, no activation), plus the shortcut as in :func:`bottleneck`; ReLU of the sum. The
    stride sits in the second convolution so that atrous (``output_stride``) features equal the
    subsampled nominal ones. Default scope ``basic_v1``. Not in TF-Slim (see the module docstring).

    Args:
      inputs: ``[batch, height, width, channels]``.
      depth: output channels of both convolutions.
      stride: the unit's stride. Put stride 2 in the last unit of a block.
      rate: atrous rate of both 3x3 convolutions.
      outputs_collections: collections to add the unit's output to (under its scope name).
      scope: the variable scope.
      use_bounded_activations: as in :func:`bottleneck`.

    Returns:
      ``[batch, ceil(height / stride), ceil(width / stride), depth]``.
    """
    with variable_scope(scope, "basic_v1", [inputs]) as sc:
        depth_in = utils.last_dimension(inputs.shape, min_rank=4)
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv2d(inputs, depth, [1, 1], stride=stride,
                              activation_fn=tfnn.relu6 if use_bounded_activations else None, scope="shortcut")
        residual = conv2d(inputs, depth, [3, 3], stride=1, rate=rate, scope="conv1")
        with arg_scope([conv2d], activation_fn=None):
            residual = resnet_utils.conv2d_same(residual, depth, 3, stride, rate=rate, scope="conv2")
        if use_bounded_activations:
            output = tfnn.relu6(shortcut + torch.clamp(residual, -6.0, 6.0))
        else:
            output = tfnn.relu(shortcut + residual)
        return utils.collect_named_outputs(outputs_collections, sc.name, output)


# --------------------------------------------------------------------------------------------------
# The generic network.


def resnet_v1(inputs: torch.Tensor, blocks: Sequence[resnet_utils.Block], num_classes: Optional[int] = None,
              is_training=True, global_pool: bool = True, output_stride: Optional[int] = None,
              include_root_block: bool = True, spatial_squeeze: bool = True,
              store_non_strided_activations: bool = False, reuse=None,
              scope: Optional[str] = None) -> Tuple[torch.Tensor, Endpoints]:
    """Builds a v1 ResNet from its blocks (the ``resnet_v1_*`` functions choose the blocks).

    Root block: ``conv1`` (7x7, 64, stride 2, :func:`~torchslim.nets.resnet_utils.conv2d_same`) and
    ``pool1`` (3x3 max pool, stride 2); then the blocks; then optional global average pooling and a
    1x1 ``logits`` convolution.

    ImageNet classification usually runs on 224x224 inputs, giving 7x7 features after the last
    block (nominal stride 32). For dense prediction, run fully convolutionally
    (``global_pool=False``) on inputs of size ``32k + 1`` (e.g. 321x321): the features are then
    ``(size - 1) / output_stride + 1`` wide with corners aligned to the image corners;
    ``output_stride=16`` is a good density/cost trade-off (http://arxiv.org/abs/1606.00915).

    Args:
      inputs: ``[batch, height, width, channels]``.
      blocks: a list of :class:`~torchslim.nets.resnet_utils.Block`.
      num_classes: classes of the ``logits`` layer; 0 or None returns the features before it.
      is_training: True or False sets batch norm's mode (True also updates its moving statistics);
        None leaves it to an enclosing ``arg_scope([slim.batch_norm], is_training=...)`` or, by
        default, to ``model.train()`` / ``model.eval()``.
      global_pool: average the last block's output over H and W (classification); False for dense
        prediction.
      output_stride: None for the nominal stride (32 with the root block); else the requested
        ratio of input to output resolution (a multiple of 4 with the root block), reached with
        atrous convolution.
      include_root_block: run ``conv1`` + ``pool1``.
      spatial_squeeze: return logits as ``[batch, num_classes]`` rather than
        ``[batch, 1, 1, num_classes]`` (needs 1x1 logits, e.g. ``global_pool=True``).
      store_non_strided_activations: collect each block's last-unit output at full resolution
        before subsampling (see :func:`~torchslim.nets.resnet_utils.stack_blocks_dense`).
      reuse: share the variables of ``scope`` (``scope`` must then be given).
      scope: the variable scope (default ``resnet_v1``).

    Returns:
      ``(net, end_points)``: ``net`` is the logits if ``num_classes`` is truthy, else the last
      block's output (``[batch, 1, 1, C]`` after global pooling, else ``[batch, h, w, C]`` with
      ``h, w`` reduced by ``output_stride``); ``end_points`` maps TF-Slim's end-point names
      (``<scope>/conv1``, every unit and its convolutions, ``<scope>/block1``..., ``global_pool``,
      ``<scope>/logits``, ``<scope>/spatial_squeeze``, ``predictions``) to tensors.

    Raises:
      ValueError: if ``output_stride`` is not a multiple of 4 (with the root block) or cannot be
        reached, or if ``spatial_squeeze`` meets logits that are not 1x1.
    """
    with variable_scope(scope, "resnet_v1", [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with arg_scope([conv2d, bottleneck, basic, resnet_utils.stack_blocks_dense],
                       outputs_collections=end_points_collection):
            with (arg_scope([batch_norm], is_training=is_training) if is_training is not None
                  else contextlib.nullcontext()):
                net = inputs
                output_stride = resnet_utils.check_output_stride(output_stride, include_root_block)
                if include_root_block:
                    net = resnet_utils.conv2d_same(net, 64, 7, stride=2, scope="conv1")
                    net = max_pool2d(net, [3, 3], stride=2, scope="pool1")
                net = resnet_utils.stack_blocks_dense(net, blocks, output_stride, store_non_strided_activations)
                end_points = utils.convert_collection_to_dict(end_points_collection)
                net = resnet_utils.classification_head(net, end_points, num_classes, global_pool,
                                                       spatial_squeeze, sc.name)
                return net, end_points


resnet_v1.default_image_size = 224


# --------------------------------------------------------------------------------------------------
# Blocks (the depth table is resnet_utils.UNITS_PER_BLOCK).


def resnet_v1_block(scope: str, base_depth: int, num_units: int, stride: int) -> resnet_utils.Block:
    """A block of ``num_units`` :func:`bottleneck` units of depth ``4 * base_depth``.

    Args:
      scope: the block's scope name.
      base_depth: the bottleneck depth of each unit.
      num_units: how many units.
      stride: the block's stride, carried by its last unit (the others have stride 1).

    Returns:
      A :class:`~torchslim.nets.resnet_utils.Block`.
    """
    return resnet_utils.unit_block(scope, bottleneck, num_units, stride, depth=base_depth * 4,
                                   depth_bottleneck=base_depth)


def resnet_v1_basic_block(scope: str, base_depth: int, num_units: int, stride: int) -> resnet_utils.Block:
    """A block of ``num_units`` :func:`basic` units of depth ``base_depth``.

    Args:
      scope: the block's scope name.
      base_depth: the depth of each unit.
      num_units: how many units.
      stride: the block's stride, carried by its last unit (the others have stride 1).

    Returns:
      A :class:`~torchslim.nets.resnet_utils.Block`.
    """
    return resnet_utils.unit_block(scope, basic, num_units, stride, depth=base_depth)


def _blocks(layers: int, min_base_depth: int, depth_multiplier: float) -> List[resnet_utils.Block]:
    """The four blocks of ``resnet_v1_<layers>``, base depths ``max(int(d * multiplier), min)``."""
    make_block = resnet_v1_basic_block if layers in resnet_utils.BASIC_LAYERS else resnet_v1_block
    return resnet_utils.make_blocks(make_block, resnet_utils.UNITS_PER_BLOCK[layers],
                                    lambda d: max(int(d * depth_multiplier), min_base_depth))


def _named(layers, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
           store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope):
    return resnet_v1(inputs, _blocks(layers, min_base_depth, depth_multiplier), num_classes, is_training,
                     global_pool=global_pool, output_stride=output_stride, include_root_block=True,
                     spatial_squeeze=spatial_squeeze, store_non_strided_activations=store_non_strided_activations,
                     reuse=reuse, scope=scope)


# --------------------------------------------------------------------------------------------------
# Named networks. Arguments and returns: see resnet_v1(); min_base_depth and depth_multiplier set
# each block's base depth to max(int(base_depth * depth_multiplier), min_base_depth).


def resnet_v1_18(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1,
                 reuse=None, scope="resnet_v1_18"):
    """ResNet-18 of [1] (basic units, 2-2-2-2; not in TF-Slim). See :func:`resnet_v1`."""
    return _named(18, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


def resnet_v1_34(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1,
                 reuse=None, scope="resnet_v1_34"):
    """ResNet-34 of [1] (basic units, 3-4-6-3; not in TF-Slim). See :func:`resnet_v1`."""
    return _named(34, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


def resnet_v1_50(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1,
                 reuse=None, scope="resnet_v1_50"):
    """ResNet-50 of [1] (bottleneck units, 3-4-6-3). See :func:`resnet_v1`."""
    return _named(50, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


def resnet_v1_101(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  spatial_squeeze=True, store_non_strided_activations=False, min_base_depth=8, depth_multiplier=1,
                  reuse=None, scope="resnet_v1_101"):
    """ResNet-101 of [1] (bottleneck units, 3-4-23-3). See :func:`resnet_v1`."""
    return _named(101, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


def resnet_v1_152(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  store_non_strided_activations=False, spatial_squeeze=True, min_base_depth=8, depth_multiplier=1,
                  reuse=None, scope="resnet_v1_152"):
    """ResNet-152 of [1] (bottleneck units, 3-8-36-3). See :func:`resnet_v1`.

    As in TF-Slim, ``store_non_strided_activations`` comes before ``spatial_squeeze`` here.
    """
    return _named(152, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


def resnet_v1_200(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  store_non_strided_activations=False, spatial_squeeze=True, min_base_depth=8, depth_multiplier=1,
                  reuse=None, scope="resnet_v1_200"):
    """ResNet-200 of [2] (bottleneck units, 3-24-36-3). See :func:`resnet_v1`.

    As in TF-Slim, ``store_non_strided_activations`` comes before ``spatial_squeeze`` here.
    """
    return _named(200, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze,
                  store_non_strided_activations, min_base_depth, depth_multiplier, reuse, scope)


for _fn in (resnet_v1_18, resnet_v1_34, resnet_v1_50, resnet_v1_101, resnet_v1_152, resnet_v1_200):
    _fn.default_image_size = resnet_v1.default_image_size
del _fn
