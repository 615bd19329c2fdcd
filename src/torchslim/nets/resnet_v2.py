"""ResNet v2: pre-activation residual networks, batch norm *before* every weight layer.

Proposed in

  [1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Deep Residual Learning for Image Recognition. arXiv:1512.03385
  [2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Identity Mappings in Deep Residual Networks. arXiv:1603.05027

This is ``tensorflow/models`` ``research/slim/nets/resnet_v2.py`` (newest version, with
``spatial_squeeze``) on torchslim: the same signatures, variable names, end points and numbers.
Each unit starts with ``preact`` (batch norm + ReLU); the root ``conv1`` has neither batch norm nor
activation (the first unit supplies them) and ``postnorm`` follows the last block [2, Appendix].
The stride of each block sits in its last unit, as in Slim.

Typical use (NHWC input)::

    import torchslim as slim
    from torchslim.nets import resnet_v2

    def classify(images):                       # [batch, 224, 224, 3]
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            return resnet_v2.resnet_v2_101(images, 1001, is_training=False)

    def segment(images):                        # [batch, 513, 513, 3]
        with slim.arg_scope(resnet_v2.resnet_arg_scope()):
            return resnet_v2.resnet_v2_101(images, 21, is_training=False, global_pool=False,
                                           output_stride=16)

    model = slim.Model(classify)
    logits, end_points = model(images)

The released Slim ``resnet_v2_*`` checkpoints have 1001 classes (class 0 is background) and were
trained with Inception preprocessing.

``is_training``: the constructors keep TF-Slim's default ``True`` (batch norm uses batch statistics
and updates its moving ones in every call). Pass ``is_training=None`` to let batch norm follow
``model.train()`` / ``model.eval()`` (or an enclosing ``arg_scope([slim.batch_norm], ...)``).

Variable names (``resnet_v2_50``, ``resnet_arg_scope()``)::

    resnet_v2_50/conv1/{weights [7, 7, 3, 64], biases [64]}
    resnet_v2_50/block1/unit_1/bottleneck_v2/preact/{gamma,beta,moving_mean,moving_variance}  [64]
    resnet_v2_50/block1/unit_1/bottleneck_v2/shortcut/{weights [1, 1, 64, 256], biases [256]}
    resnet_v2_50/block1/unit_1/bottleneck_v2/conv1/weights      [1, 1, 64, 64]    (+ BatchNorm/*)
    resnet_v2_50/block1/unit_1/bottleneck_v2/conv2/weights      [3, 3, 64, 64]    (+ BatchNorm/*)
    resnet_v2_50/block1/unit_1/bottleneck_v2/conv3/{weights [1, 1, 64, 256], biases [256]}
    ...
    resnet_v2_50/postnorm/{gamma,beta,moving_mean,moving_variance}                            [2048]
    resnet_v2_50/logits/{weights [1, 1, 2048, num_classes], biases [num_classes]}

Basic-block networks (``resnet_v2_18``, ``resnet_v2_34``) have no TF-Slim original; they follow the
same conventions. Units are named ``basic_v2``: ``preact``, a projection ``shortcut`` (from
``preact``, with biases) where the depth changes, ``conv1`` (3x3, batch norm + ReLU) and ``conv2``
(3x3, with biases, no batch norm or activation; it carries the unit's stride, so that atrous
features equal the subsampled nominal ones)::

    resnet_v2_18/conv1/{weights [7, 7, 3, 64], biases [64]}
    resnet_v2_18/block1/unit_1/basic_v2/preact/{gamma,beta,moving_mean,moving_variance}       [64]
    resnet_v2_18/block1/unit_1/basic_v2/conv1/weights           [3, 3, 64, 64]    (+ BatchNorm/*)
    resnet_v2_18/block1/unit_1/basic_v2/conv2/{weights [3, 3, 64, 64], biases [64]}
    resnet_v2_18/block2/unit_1/basic_v2/preact/*                                              [64]
    resnet_v2_18/block2/unit_1/basic_v2/shortcut/{weights [1, 1, 64, 128], biases [128]}
    resnet_v2_18/block2/unit_1/basic_v2/conv1/weights           [3, 3, 64, 128]   (+ BatchNorm/*)
    resnet_v2_18/block2/unit_1/basic_v2/conv2/{weights [3, 3, 128, 128], biases [128]}
    ...
    resnet_v2_18/postnorm/*                                                                   [512]
    resnet_v2_18/logits/{weights [1, 1, 512, num_classes], biases [num_classes]}

End points: ``.../basic_v2/{shortcut,conv1,conv2}``, ``.../unit_<u>/basic_v2``, ``<scope>/block<b>``,
then ``global_pool``, ``<scope>/logits``, ``<scope>/spatial_squeeze``, ``predictions``
(``preact`` and ``postnorm`` are not end points, as in TF-Slim).
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
    "resnet_arg_scope", "bottleneck", "basic", "resnet_v2", "resnet_v2_block", "resnet_v2_basic_block",
    "resnet_v2_18", "resnet_v2_34", "resnet_v2_50", "resnet_v2_101", "resnet_v2_152", "resnet_v2_200",
]

resnet_arg_scope = resnet_utils.resnet_arg_scope

Endpoints = Dict[str, torch.Tensor]


# --------------------------------------------------------------------------------------------------
# Residual units.


@add_arg_scope
def bottleneck(inputs: torch.Tensor, depth: int, depth_bottleneck: int, stride: int, rate: int = 1,
               outputs_collections=None, scope: Optional[str] = None) -> torch.Tensor:
    """The full pre-activation bottleneck unit of [2, Fig. 1b].

    ``preact`` = batch norm + ReLU of the input; ``conv1`` (1x1, ``depth_bottleneck``) ->
    ``conv2`` (3x3, ``stride``, ``rate``) -> ``conv3`` (1x1, ``depth``, biases, no normalizer or
    activation). Shortcut: the raw input (subsampled by ``stride``) if it already has ``depth``
    channels, else a 1x1 ``shortcut`` conv of ``preact`` with ``stride`` (biases, no normalizer or
    activation). The output is the plain sum. Default scope ``bottleneck_v2``.

    Args:
      inputs: ``[batch, height, width, channels]``.
      depth: output channels.
      depth_bottleneck: channels of the bottleneck (the two inner convolutions).
      stride: the unit's stride (in the 3x3 convolution). Put stride 2 in the last unit of a block.
      rate: atrous rate of the 3x3 convolution.
      outputs_collections: collections to add the unit's output to (under its scope name).
      scope: the variable scope.

    Returns:
      ``[batch, ceil(height / stride), ceil(width / stride), depth]``.
    """
    with variable_scope(scope, "bottleneck_v2", [inputs]) as sc:
        depth_in = utils.last_dimension(inputs.shape, min_rank=4)
        preact = batch_norm(inputs, activation_fn=tfnn.relu, scope="preact")
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv2d(preact, depth, [1, 1], stride=stride, normalizer_fn=None, activation_fn=None,
                              scope="shortcut")
        residual = conv2d(preact, depth_bottleneck, [1, 1], stride=1, scope="conv1")
        residual = resnet_utils.conv2d_same(residual, depth_bottleneck, 3, stride, rate=rate, scope="conv2")
        residual = conv2d(residual, depth, [1, 1], stride=1, normalizer_fn=None, activation_fn=None, scope="conv3")
        return utils.collect_named_outputs(outputs_collections, sc.name, shortcut + residual)


@add_arg_scope
def basic(inputs: torch.Tensor, depth: int, stride: int, rate: int = 1, outputs_collections=None,
          scope: Optional[str] = None) -> torch.Tensor:
    """The full pre-activation basic unit (two 3x3 convolutions) of [2].

    ``preact`` = batch norm + ReLU of the input; ``conv1`` (3x3, ``depth``, stride 1, ``rate``,
    batch norm + ReLU) -> ``conv2`` (3x3, ``depth``, ``stride``, ``rate``, biases, no normalizer
    or activation); the shortcut as in :func:`bottleneck`; the output is the plain sum. The stride
    sits in the second convolution so that atrous features equal the subsampled nominal ones.
    Default scope ``basic_v2``. Not in TF-Slim (see the module docstring).

    Args:
      inputs: ``[batch, height, width, channels]``.
      depth: output channels of both convolutions.
      stride: the unit's stride. Put stride 2 in the last unit of a block.
      rate: atrous rate of both 3x3 convolutions.
      outputs_collections: collections to add the unit's output to (under its scope name).
      scope: the variable scope.

    Returns:
      ``[batch, ceil(height / stride), ceil(width / stride), depth]``.
    """
    with variable_scope(scope, "basic_v2", [inputs]) as sc:
        depth_in = utils.last_dimension(inputs.shape, min_rank=4)
        preact = batch_norm(inputs, activation_fn=tfnn.relu, scope="preact")
        if depth == depth_in:
            shortcut = resnet_utils.subsample(inputs, stride, "shortcut")
        else:
            shortcut = conv2d(preact, depth, [1, 1], stride=stride, normalizer_fn=None, activation_fn=None,
                              scope="shortcut")
        residual = conv2d(preact, depth, [3, 3], stride=1, rate=rate, scope="conv1")
        with arg_scope([conv2d], normalizer_fn=None, activation_fn=None):
            residual = resnet_utils.conv2d_same(residual, depth, 3, stride, rate=rate, scope="conv2")
        return utils.collect_named_outputs(outputs_collections, sc.name, shortcut + residual)


# --------------------------------------------------------------------------------------------------
# The generic network.


def resnet_v2(inputs: torch.Tensor, blocks: Sequence[resnet_utils.Block], num_classes: Optional[int] = None,
              is_training=True, global_pool: bool = True, output_stride: Optional[int] = None,
              include_root_block: bool = True, spatial_squeeze: bool = True, reuse=None,
              scope: Optional[str] = None, *,
              store_non_strided_activations: bool = False) -> Tuple[torch.Tensor, Endpoints]:
    """Builds a v2 (pre-activation) ResNet from its blocks (the ``resnet_v2_*`` functions choose them).

    Root block: ``conv1`` (7x7, 64, stride 2, biases, no batch norm or activation) and ``pool1``
    (3x3 max pool, stride 2); then the blocks; ``postnorm`` (batch norm + ReLU); then optional
    global average pooling and a 1x1 ``logits`` convolution.

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
      global_pool: average the features over H and W (classification); False for dense prediction.
      output_stride: None for the nominal stride (32 with the root block); else the requested
        ratio of input to output resolution (a multiple of 4 with the root block), reached with
        atrous convolution.
      include_root_block: run ``conv1`` + ``pool1``. Without it, ``inputs`` should come from a
        convolution with no activation.
      spatial_squeeze: return logits as ``[batch, num_classes]`` rather than
        ``[batch, 1, 1, num_classes]`` (needs 1x1 logits, e.g. ``global_pool=True``).
      reuse: share the variables of ``scope`` (``scope`` must then be given).
      scope: the variable scope (default ``resnet_v2``).
      store_non_strided_activations: keyword only, a torchslim addition (TF-Slim's resnet_v2 lacks
        it): collect each block's last-unit output at full resolution before subsampling (see
        :func:`~torchslim.nets.resnet_utils.stack_blocks_dense`).

    Returns:
      ``(net, end_points)``: ``net`` is the logits if ``num_classes`` is truthy, else the
      post-normalized features (``[batch, 1, 1, C]`` after global pooling, else
      ``[batch, h, w, C]`` with ``h, w`` reduced by ``output_stride``); ``end_points`` maps
      TF-Slim's end-point names (``<scope>/conv1``, every unit and its convolutions,
      ``<scope>/block1``..., ``global_pool``, ``<scope>/logits``, ``<scope>/spatial_squeeze``,
      ``predictions``) to tensors.

    Raises:
      ValueError: if ``output_stride`` is not a multiple of 4 (with the root block) or cannot be
        reached, or if ``spatial_squeeze`` meets logits that are not 1x1.
    """
    with variable_scope(scope, "resnet_v2", [inputs], reuse=reuse) as sc:
        end_points_collection = sc.original_name_scope + "_end_points"
        with arg_scope([conv2d, bottleneck, basic, resnet_utils.stack_blocks_dense],
                       outputs_collections=end_points_collection):
            with (arg_scope([batch_norm], is_training=is_training) if is_training is not None
                  else contextlib.nullcontext()):
                net = inputs
                output_stride = resnet_utils.check_output_stride(output_stride, include_root_block)
                if include_root_block:
                    with arg_scope([conv2d], activation_fn=None, normalizer_fn=None):
                        net = resnet_utils.conv2d_same(net, 64, 7, stride=2, scope="conv1")
                    net = max_pool2d(net, [3, 3], stride=2, scope="pool1")
                net = resnet_utils.stack_blocks_dense(net, blocks, output_stride, store_non_strided_activations)
                net = batch_norm(net, activation_fn=tfnn.relu, scope="postnorm")
                end_points = utils.convert_collection_to_dict(end_points_collection)
                net = resnet_utils.classification_head(net, end_points, num_classes, global_pool,
                                                       spatial_squeeze, sc.name)
                return net, end_points


resnet_v2.default_image_size = 224


# --------------------------------------------------------------------------------------------------
# Blocks (the depth table is resnet_utils.UNITS_PER_BLOCK).


def resnet_v2_block(scope: str, base_depth: int, num_units: int, stride: int) -> resnet_utils.Block:
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


def resnet_v2_basic_block(scope: str, base_depth: int, num_units: int, stride: int) -> resnet_utils.Block:
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


def _blocks(layers: int) -> List[resnet_utils.Block]:
    """The four blocks of ``resnet_v2_<layers>``."""
    make_block = resnet_v2_basic_block if layers in resnet_utils.BASIC_LAYERS else resnet_v2_block
    return resnet_utils.make_blocks(make_block, resnet_utils.UNITS_PER_BLOCK[layers])


def _named(layers, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
           store_non_strided_activations):
    return resnet_v2(inputs, _blocks(layers), num_classes, is_training=is_training, global_pool=global_pool,
                     output_stride=output_stride, include_root_block=True, spatial_squeeze=spatial_squeeze,
                     reuse=reuse, scope=scope, store_non_strided_activations=store_non_strided_activations)


# --------------------------------------------------------------------------------------------------
# Named networks. Arguments and returns: see resnet_v2() (store_non_strided_activations is a
# keyword-only torchslim addition; the positional signature is TF-Slim's).


def resnet_v2_18(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, reuse=None, scope="resnet_v2_18", *, store_non_strided_activations=False):
    """ResNet-18 with pre-activation basic units (2-2-2-2; not in TF-Slim). See :func:`resnet_v2`."""
    return _named(18, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


def resnet_v2_34(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, reuse=None, scope="resnet_v2_34", *, store_non_strided_activations=False):
    """ResNet-34 with pre-activation basic units (3-4-6-3; not in TF-Slim). See :func:`resnet_v2`."""
    return _named(34, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


def resnet_v2_50(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                 spatial_squeeze=True, reuse=None, scope="resnet_v2_50", *, store_non_strided_activations=False):
    """ResNet-50 of [2] (bottleneck units, 3-4-6-3). See :func:`resnet_v2`."""
    return _named(50, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


def resnet_v2_101(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  spatial_squeeze=True, reuse=None, scope="resnet_v2_101", *, store_non_strided_activations=False):
    """ResNet-101 of [2] (bottleneck units, 3-4-23-3). See :func:`resnet_v2`."""
    return _named(101, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


def resnet_v2_152(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  spatial_squeeze=True, reuse=None, scope="resnet_v2_152", *, store_non_strided_activations=False):
    """ResNet-152 of [2] (bottleneck units, 3-8-36-3). See :func:`resnet_v2`."""
    return _named(152, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


def resnet_v2_200(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
                  spatial_squeeze=True, reuse=None, scope="resnet_v2_200", *, store_non_strided_activations=False):
    """ResNet-200 of [2] (bottleneck units, 3-24-36-3). See :func:`resnet_v2`."""
    return _named(200, inputs, num_classes, is_training, global_pool, output_stride, spatial_squeeze, reuse, scope,
                  store_non_strided_activations)


for _fn in (resnet_v2_18, resnet_v2_34, resnet_v2_50, resnet_v2_101, resnet_v2_152, resnet_v2_200):
    _fn.default_image_size = resnet_v2.default_image_size
del _fn
