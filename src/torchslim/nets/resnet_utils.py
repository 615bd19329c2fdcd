"""Building blocks shared by every Slim ResNet: ``Block``, ``subsample``, ``conv2d_same``,
``stack_blocks_dense`` and ``resnet_arg_scope``.

Residual networks were proposed in

  [1] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Deep Residual Learning for Image Recognition. arXiv:1512.03385, 2015.
  [2] Kaiming He, Xiangyu Zhang, Shaoqing Ren, Jian Sun.
      Identity Mappings in Deep Residual Networks. arXiv:1603.05027, 2016.

As in ``tensorflow/models`` ``research/slim/nets/resnet_utils.py``, a network is a list of
:class:`Block` s; each block is a list of residual units, and the *last* unit of each block carries
the block's stride (the activations are subsampled at the end of a block rather than at the start
of the next one, which gives the same values with less memory). :func:`stack_blocks_dense` runs the
blocks and, given an ``output_stride``, switches to atrous (dilated) convolution once that stride is
reached, so dense-prediction features come out at any resolution the unit strides allow.

Tensors are NHWC, as in TF-Slim. The concrete units and networks live in
:mod:`torchslim.nets.resnet_v1` and :mod:`torchslim.nets.resnet_v2`.
"""

from __future__ import annotations

import collections
from typing import Callable, Dict, Optional, Sequence

import torch

from torchslim import initializers, nn as tfnn, regularizers, utils
from torchslim.arg_scope import add_arg_scope, arg_scope
from torchslim.layers import batch_norm, conv2d, max_pool2d, softmax
from torchslim.layers.common import resolved_kwargs
from torchslim.ops import padding as pad
from torchslim.variables import GraphKeys, variable_scope

__all__ = ["Block", "subsample", "conv2d_same", "stack_blocks_dense", "resnet_arg_scope", "check_output_stride",
           "classification_head", "unit_block", "make_blocks", "UNITS_PER_BLOCK", "BASIC_LAYERS", "BASE_DEPTHS",
           "BLOCK_STRIDES"]


class Block(collections.namedtuple("Block", ["scope", "unit_fn", "args"])):
    """A ResNet block: ``Block(scope, unit_fn, args)``.

    Attributes:
      scope: the block's variable scope name (``'block1'``, ...).
      unit_fn: the residual unit, called as ``unit_fn(net, rate=..., **unit_args)``; it must accept
        ``rate`` and ``stride`` keyword arguments (``bottleneck`` and ``basic`` in the net modules).
      args: a list with one dict of keyword arguments per unit, e.g.
        ``{'depth': 256, 'depth_bottleneck': 64, 'stride': 1}``.
    """


def subsample(inputs: torch.Tensor, factor: int, scope: Optional[str] = None) -> torch.Tensor:
    """Keeps every ``factor``-th row and column of an NHWC tensor.

    TF-Slim computes this as ``max_pool2d(inputs, [1, 1], stride=factor)``; a 1x1 window holds
    one value, so that is exactly ``inputs[:, ::factor, ::factor, :]``, which is what runs here
    (a view, no copy).

    Args:
      inputs: ``[batch, height, width, channels]``.
      factor: the subsampling factor (1 returns ``inputs`` unchanged).
      scope: accepted for compatibility (the op creates no variables).

    Returns:
      ``[batch, ceil(height / factor), ceil(width / factor), channels]``.
    """
    del scope
    if factor == 1:
        return inputs
    return inputs[:, ::factor, ::factor, :]


def conv2d_same(inputs: torch.Tensor, num_outputs: int, kernel_size: int, stride: int, rate: int = 1,
                scope: Optional[str] = None) -> torch.Tensor:
    """A strided 2-D convolution whose output equals a stride-1 ``SAME`` convolution, subsampled.

    With ``stride == 1`` this is ``conv2d(..., stride=1, rate=rate, padding='SAME')``. Otherwise
    the input is zero-padded by ``k_eff - 1`` cells in H and W (``k_eff = k + (k - 1)(rate - 1)``;
    ``(k_eff - 1) // 2`` before, the rest after) and convolved without further padding (TF-Slim's
    ``tf.pad`` + ``'VALID'``; here as the convolution's explicit padding). So::

        net = conv2d_same(inputs, n, 3, stride=2)

    equals ``subsample(conv2d(inputs, n, 3, stride=1, padding='SAME'), 2)``, whereas
    ``conv2d(inputs, n, 3, stride=2, padding='SAME')`` differs when the input size is even (TF's
    ``SAME`` pads the extra cell at the end). Everything else (normalizer, activation, initializer)
    comes from the ``conv2d`` arg scope.

    Args:
      inputs: ``[batch, height, width, channels]``.
      num_outputs: output channels.
      kernel_size: an int, the square kernel size.
      stride: an int, the output stride.
      rate: an int, the atrous rate.
      scope: the convolution's variable scope.

    Returns:
      ``[batch, ceil(height / stride), ceil(width / stride), num_outputs]``.
    """
    if stride == 1:
        return conv2d(inputs, num_outputs, kernel_size, stride=1, rate=rate, padding="SAME", scope=scope)
    effective = kernel_size + (kernel_size - 1) * (rate - 1)
    pad_total = effective - 1
    pad_beg = pad_total // 2
    pad_end = pad_total - pad_beg
    # TF-Slim pads with tf.pad and convolves VALID; explicit padding gives the same numbers, and when
    # it is symmetric (odd kernels) the kernel pads as it reads, with no padded copy of the input.
    spatial = (pad_beg, pad_end)
    if pad.is_channels_first(resolved_kwargs(conv2d, None).get("data_format")):
        padding = ((0, 0), (0, 0), spatial, spatial)
    else:
        padding = ((0, 0), spatial, spatial, (0, 0))
    return conv2d(inputs, num_outputs, kernel_size, stride=stride, rate=rate, padding=padding, scope=scope)


@add_arg_scope
def stack_blocks_dense(net: torch.Tensor, blocks: Sequence[Block], output_stride: Optional[int] = None,
                       store_non_strided_activations: bool = False, outputs_collections=None) -> torch.Tensor:
    """Runs ResNet blocks in scopes ``<block.scope>/unit_<i>`` and controls the output density.

    Most ResNets have four blocks whose strides multiply to a nominal output stride (8 without the
    root block, 32 with it). With ``output_stride`` set, units run with their nominal stride until
    the accumulated stride reaches ``output_stride``; from then on they run with stride 1 and an
    atrous rate that grows by each skipped stride, which computes the same features densely.

    Args:
      net: ``[batch, height, width, channels]``.
      blocks: a list of :class:`Block`.
      output_stride: None for the nominal stride; otherwise the ratio of input to output resolution,
        which must be a product of unit strides from the start (for unit strides 1, 2, 1, 3, 4, 1:
        1, 2, 6 or 24).
      store_non_strided_activations: if True, the last unit of each block runs with stride 1, its
        (full resolution) output is what the block collects, and the block's stride is applied
        afterwards by subsampling (or folded into the atrous rate). Costs 4x at those units.
      outputs_collections: collections to add each block's output to, under the block's scope
        name (the units add their own outputs through their arg scope).

    Returns:
      The output of the last block, at ``output_stride``.

    Raises:
      ValueError: ``'The target output_stride cannot be reached.'`` when ``output_stride`` is not
        a product of unit strides from the start.
    """
    current_stride = 1
    rate = 1
    for block in blocks:
        with variable_scope(block.scope, "block", [net]) as sc:
            block_stride = 1
            for i, unit in enumerate(block.args):
                if store_non_strided_activations and i == len(block.args) - 1:
                    block_stride = unit.get("stride", 1)
                    unit = dict(unit, stride=1)
                with variable_scope("unit_%d" % (i + 1), values=[net]):
                    if output_stride is not None and current_stride == output_stride:
                        net = block.unit_fn(net, rate=rate, **dict(unit, stride=1))
                        rate *= unit.get("stride", 1)
                    else:
                        net = block.unit_fn(net, rate=1, **unit)
                        current_stride *= unit.get("stride", 1)
                        if output_stride is not None and current_stride > output_stride:
                            raise ValueError("The target output_stride cannot be reached.")
            net = utils.collect_named_outputs(outputs_collections, sc.name, net)
            if output_stride is not None and current_stride == output_stride:
                rate *= block_stride
            else:
                net = subsample(net, block_stride)
                current_stride *= block_stride
                if output_stride is not None and current_stride > output_stride:
                    raise ValueError("The target output_stride cannot be reached.")
    if output_stride is not None and current_stride != output_stride:
        raise ValueError("The target output_stride cannot be reached.")
    return net


def resnet_arg_scope(weight_decay: float = 0.0001, batch_norm_decay: float = 0.997,
                     batch_norm_epsilon: float = 1e-5, batch_norm_scale: bool = True,
                     activation_fn: Optional[Callable] = tfnn.relu, use_batch_norm: bool = True,
                     batch_norm_updates_collections=GraphKeys.UPDATE_OPS) -> dict:
    """The default ResNet arg scope (TF-Slim's, value for value).

    Every ``conv2d`` gets He (variance scaling, truncated normal) weights, an L2 weight decay,
    ``activation_fn`` and batch norm with the parameters below (so no biases); ``batch_norm`` gets
    the same parameters when called directly; ``max_pool2d`` pads ``'SAME'`` (pool1 then aligns
    features with the image corners, as in fb.resnet.torch; the paper's code used ``'VALID'``,
    which ``arg_scope([max_pool2d], padding='VALID')`` restores).

    The batch-norm defaults suit the reference models of He et al.; training from scratch may want
    other values.

    Args:
      weight_decay: the L2 coefficient for conv weights (TF's ``scale * sum(w**2) / 2``).
      batch_norm_decay: moving-average decay of the batch-norm statistics.
      batch_norm_epsilon: added to the variance in batch norm.
      batch_norm_scale: if True, batch norm has a ``gamma`` variable.
      activation_fn: the activation after every conv (``slim.nn.relu``).
      use_batch_norm: if False, convs have biases and no batch norm.
      batch_norm_updates_collections: accepted as in TF-Slim; batch norm updates its moving
        statistics itself in training calls (see :func:`torchslim.batch_norm`).

    Returns:
      An arg-scope dict, to be entered with ``slim.arg_scope(resnet_arg_scope())``.
    """
    batch_norm_params = {
        "decay": batch_norm_decay,
        "epsilon": batch_norm_epsilon,
        "scale": batch_norm_scale,
        "updates_collections": batch_norm_updates_collections,
        "fused": None,
    }
    with arg_scope([conv2d], weights_regularizer=regularizers.l2_regularizer(weight_decay),
                   weights_initializer=initializers.variance_scaling_initializer(),
                   activation_fn=activation_fn, normalizer_fn=batch_norm if use_batch_norm else None,
                   normalizer_params=batch_norm_params):
        with arg_scope([batch_norm], **batch_norm_params):
            with arg_scope([max_pool2d], padding="SAME") as arg_sc:
                return arg_sc


# --------------------------------------------------------------------------------------------------
# The depth table of the Slim ResNets: units per block for each number of layers (bottleneck units
# for 50-200, basic units for 18 and 34), the base depth and the stride of each block. The root
# block adds stride 4, so the nominal output stride is 32.

UNITS_PER_BLOCK = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
    200: (3, 24, 36, 3),
}
BASIC_LAYERS = (18, 34)
BASE_DEPTHS = (64, 128, 256, 512)
BLOCK_STRIDES = (2, 2, 2, 1)


def unit_block(scope: str, unit_fn: Callable, num_units: int, stride: int, **unit_args) -> Block:
    """A :class:`Block` of ``num_units`` identical units; only the last one has the block's stride.

    What every ``resnet_vX_block`` builds (``resnet_v1_block`` passes ``bottleneck``,
    ``depth=4 * base_depth`` and ``depth_bottleneck=base_depth``).

    Args:
      scope: the block's scope name.
      unit_fn: the residual unit.
      num_units: how many units.
      stride: the block's stride, carried by its last unit (the others have stride 1).
      **unit_args: the keyword arguments of every unit but ``stride``.

    Returns:
      ``Block(scope, unit_fn, [{**unit_args, 'stride': 1}] * (num_units - 1) + [{**unit_args, 'stride': stride}])``.
    """
    return Block(scope, unit_fn, [dict(unit_args, stride=1)] * (num_units - 1) + [dict(unit_args, stride=stride)])


def make_blocks(block_fn: Callable[..., Block], units: Sequence[int],
                depth_func: Callable[[int], int] = int) -> list:
    """The four blocks ``block1..block4`` of a Slim ResNet.

    Args:
      block_fn: ``block_fn(scope, base_depth=..., num_units=..., stride=...)`` (e.g.
        ``resnet_v1.resnet_v1_block``).
      units: units per block (a row of :data:`UNITS_PER_BLOCK`).
      depth_func: maps each of :data:`BASE_DEPTHS` to the base depth used.

    Returns:
      A list of :class:`Block` with strides :data:`BLOCK_STRIDES`.
    """
    return [block_fn("block%d" % (i + 1), base_depth=depth_func(d), num_units=n, stride=s)
            for i, (d, n, s) in enumerate(zip(BASE_DEPTHS, units, BLOCK_STRIDES))]


# --------------------------------------------------------------------------------------------------
# Pieces of the generic builders that ResNet v1 and v2 share word for word.


def check_output_stride(output_stride: Optional[int], include_root_block: bool) -> Optional[int]:
    """The ``output_stride`` left for the blocks once the root block (stride 4) is accounted for.

    Args:
      output_stride: the requested network output stride, or None.
      include_root_block: whether the stride-4 root (conv1 + pool1) runs.

    Returns:
      ``output_stride // 4`` with the root block, ``output_stride`` without it.

    Raises:
      ValueError: ``'The output_stride needs to be a multiple of 4.'`` with the root block.
    """
    if output_stride is None or not include_root_block:
        return output_stride
    if output_stride % 4 != 0:
        raise ValueError("The output_stride needs to be a multiple of 4.")
    return output_stride // 4


def classification_head(net: torch.Tensor, end_points: Dict[str, torch.Tensor], num_classes: Optional[int],
                        global_pool: bool, spatial_squeeze: bool, scope_name: str) -> torch.Tensor:
    """Global pooling, the 1x1 ``logits`` conv and softmax, adding TF-Slim's end points.

    Adds ``'global_pool'`` (``[N, 1, 1, C]``, if ``global_pool``), then, if ``num_classes`` is
    truthy, ``'<scope_name>/logits'``, ``'<scope_name>/spatial_squeeze'`` (if ``spatial_squeeze``)
    and ``'predictions'`` (softmax over the last axis).

    Args:
      net: the features, ``[N, H, W, C]``.
      end_points: the dict to add to (changed in place).
      num_classes: classes of the ``logits`` conv (with biases, no normalizer); 0 or None skips it.
      global_pool: average over H and W first (keeping them as size 1).
      spatial_squeeze: squeeze H and W of the logits (``tf.squeeze(net, [1, 2])``).
      scope_name: the network's variable scope name, for the end-point keys.

    Returns:
      The logits (``[N, num_classes]`` when squeezed) or, without classes, the (pooled) features.

    Raises:
      ValueError: when ``spatial_squeeze`` is asked of logits whose H or W is not 1 (as
        ``tf.squeeze``); pass ``spatial_squeeze=False`` or ``global_pool=True``.
    """
    if global_pool:
        net = torch.mean(net, dim=(1, 2), keepdim=True)
        end_points["global_pool"] = net
    if num_classes:
        net = conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None, scope="logits")
        end_points[scope_name + "/logits"] = net
        if spatial_squeeze:
            if net.shape[1] != 1 or net.shape[2] != 1:
                raise ValueError(
                    f"{scope_name}/SpatialSqueeze: can not squeeze dims 1 and 2 of logits with shape "
                    f"{list(net.shape)}, expected size 1; use spatial_squeeze=False (or global_pool=True)")
            net = net.squeeze(2).squeeze(1)
            end_points[scope_name + "/spatial_squeeze"] = net
        end_points["predictions"] = softmax(net, scope="predictions")
    return net
