"""PNASNet-5, as ``research/slim/nets/nasnet/pnasnet.py`` (newest, tf_slim).

Liu et al., "Progressive Neural Architecture Search" (arXiv:1712.00559). One cell
(:class:`PNasNetNormalCell`) everywhere: the ImageNet stem's two stride-2 cells, then ``num_cells``
cells of which those at :func:`~torchslim.nets.nasnet.nasnet_utils.calc_reduction_layers` stride 2
and double the width. Same names and end points as TF-Slim (``Stem``, ``Cell_0`` ... ``Cell_<n-1>``,
``global_pool``, ``Logits``, ``Predictions``; ``AuxLogits`` in training).

==============  =======  =====  ========
net             image    cells  filters
==============  =======  =====  ========
pnasnet_mobile  224      9      54
pnasnet_large   331      12     216
==============  =======  =====  ========

The eager meanings of ``is_training`` are NASNet's (:mod:`~torchslim.nets.nasnet.nasnet`).
Upstream's PNASNet builders take no ``current_step``: drop-path runs at its full rate in training.
"""

from __future__ import annotations

import copy
from typing import Optional, Tuple

import torch

from torchslim.compat.hparams import HParams
from torchslim.nets.nasnet import nasnet, nasnet_utils

__all__ = ["large_imagenet_config", "mobile_imagenet_config", "pnasnet_large_arg_scope", "pnasnet_mobile_arg_scope",
           "PNasNetNormalCell", "build_pnasnet_base", "build_pnasnet_large", "build_pnasnet_mobile"]


def large_imagenet_config() -> HParams:
    """PNASNet-5 large ImageNet: 12 cells of 216 filters, drop-path 0.6, dense dropout 0.5."""
    return HParams(stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=12, filter_scaling_rate=2.0,
                   num_conv_filters=216, drop_path_keep_prob=0.6, use_aux_head=1, num_reduction_layers=2,
                   data_format="NHWC", skip_reduction_layer_input=1, total_training_steps=250000,
                   use_bounded_activation=False)


def mobile_imagenet_config() -> HParams:
    """PNASNet-5 mobile ImageNet: 9 cells of 54 filters, no drop-path, dense dropout 0.5."""
    return HParams(stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=9, filter_scaling_rate=2.0,
                   num_conv_filters=54, drop_path_keep_prob=1.0, use_aux_head=1, num_reduction_layers=2,
                   data_format="NHWC", skip_reduction_layer_input=1, total_training_steps=250000,
                   use_bounded_activation=False)


def pnasnet_large_arg_scope(weight_decay: float = 4e-5, batch_norm_decay: float = 0.9997,
                            batch_norm_epsilon: float = 0.001) -> dict:
    """PNASNet large's arg scope: NASNet's (:func:`~torchslim.nets.nasnet.nasnet.nasnet_scope`) with these numbers."""
    return nasnet.nasnet_large_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def pnasnet_mobile_arg_scope(weight_decay: float = 4e-5, batch_norm_decay: float = 0.9997,
                             batch_norm_epsilon: float = 0.001) -> dict:
    """PNASNet mobile's arg scope: NASNet's (:func:`~torchslim.nets.nasnet.nasnet.nasnet_scope`) with these numbers."""
    return nasnet.nasnet_mobile_arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


PNASNET_5 = dict(
    operations=["separable_5x5_2", "max_pool_3x3", "separable_7x7_2", "max_pool_3x3", "separable_5x5_2",
                "separable_3x3_2", "separable_3x3_2", "max_pool_3x3", "separable_3x3_2", "none"],
    used_hiddenstates=[1, 1, 0, 0, 0, 0, 0],
    hiddenstate_indices=[1, 1, 0, 0, 0, 0, 4, 0, 1, 0])
"""The PNASNet-5 cell (the paper's Figure 1)."""


class PNasNetNormalCell(nasnet_utils.NasNetABaseCell):
    """The PNASNet-5 cell (:data:`PNASNET_5`)."""

    def __init__(self, num_conv_filters: int, drop_path_keep_prob: float, total_num_cells: int,
                 total_training_steps: int, use_bounded_activation: bool = False):
        super().__init__(num_conv_filters, drop_path_keep_prob=drop_path_keep_prob, total_num_cells=total_num_cells,
                         total_training_steps=total_training_steps, use_bounded_activation=use_bounded_activation,
                         **PNASNET_5)


def build_pnasnet_base(images: torch.Tensor, normal_cell: nasnet_utils.NasNetABaseCell, num_classes: Optional[int],
                       hparams: HParams, is_training, final_endpoint: Optional[str] = None
                       ) -> Tuple[torch.Tensor, nasnet.EndPoints]:
    """Constructs a PNASNet image model: the ImageNet stem, the cells (striding at the reductions),
    the aux head, the final layer."""
    end_points: nasnet.EndPoints = {}
    add_and_check_endpoint = nasnet.end_point_adder(end_points, final_endpoint)
    reduction_indices = nasnet_utils.calc_reduction_layers(hparams.num_cells, hparams.num_reduction_layers)
    net, cell_outputs = nasnet.imagenet_stem(images, hparams, normal_cell)
    if add_and_check_endpoint("Stem", net):
        return net, end_points

    aux_head_cell_idxes = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
    filter_scaling = 1.0
    true_cell_num = 2  # counts the stem cells
    activation_fn = nasnet_utils.activation(hparams.use_bounded_activation)
    for cell_num in range(hparams.num_cells):
        is_reduction = cell_num in reduction_indices
        if is_reduction:
            filter_scaling *= hparams.filter_scaling_rate
        if hparams.skip_reduction_layer_input or not is_reduction:
            prev_layer = cell_outputs[-2]
        net = normal_cell(net, scope=f"cell_{cell_num}", filter_scaling=filter_scaling,
                          stride=2 if is_reduction else 1, prev_layer=prev_layer, cell_num=true_cell_num)
        if add_and_check_endpoint(f"Cell_{cell_num}", net):
            return net, end_points
        true_cell_num += 1
        cell_outputs.append(net)
        if cell_num in aux_head_cell_idxes and nasnet.builds_aux_head(hparams, num_classes, is_training):
            nasnet.build_aux_head(activation_fn(net), end_points, num_classes, hparams, scope=f"aux_{cell_num}")
    return nasnet.final_layer(net, end_points, num_classes, hparams, add_and_check_endpoint)


_build_pnasnet_base = build_pnasnet_base


def _build_pnasnet(images, num_classes, is_training, final_endpoint, config, default_config):
    hparams = copy.deepcopy(config) if config else default_config()
    nasnet.update_hparams(hparams, is_training)
    images = nasnet.to_data_format(images, hparams)
    # PNASNet has no separate reduction cells: its cells plus the two stem cells.
    total_num_cells = hparams.num_cells + 2
    normal_cell = PNasNetNormalCell(hparams.num_conv_filters, hparams.drop_path_keep_prob, total_num_cells,
                                    hparams.total_training_steps, hparams.use_bounded_activation)
    with nasnet.network_scopes(hparams, is_training):
        return build_pnasnet_base(images, normal_cell=normal_cell, num_classes=num_classes, hparams=hparams,
                                  is_training=is_training, final_endpoint=final_endpoint)


def build_pnasnet_large(images: torch.Tensor, num_classes: Optional[int], is_training=True,
                        final_endpoint: Optional[str] = None,
                        config: Optional[HParams] = None) -> Tuple[torch.Tensor, nasnet.EndPoints]:
    """Builds PNASNet-5 large for ImageNet (:func:`large_imagenet_config`).

    Args:
      images: ``[N, H, W, 3]`` (NHWC; an NCHW config transposes them).
      num_classes: classes of the logits; 0 or None stops at the global pool.
      is_training: True, False, or None (follow ``model.train()`` / ``eval()``; the aux head is built).
      final_endpoint: stop at this end point (``Stem``, ``Cell_3``, ...).
      config: an HParams like the default config; copied, never changed.

    Returns:
      ``(logits, end_points)``.
    """
    return _build_pnasnet(images, num_classes, is_training, final_endpoint, config, large_imagenet_config)


def build_pnasnet_mobile(images: torch.Tensor, num_classes: Optional[int], is_training=True,
                         final_endpoint: Optional[str] = None,
                         config: Optional[HParams] = None) -> Tuple[torch.Tensor, nasnet.EndPoints]:
    """Builds PNASNet-5 mobile for ImageNet (:func:`mobile_imagenet_config`).

    Args:
      images, num_classes, is_training, final_endpoint, config: as :func:`build_pnasnet_large`.

    Returns:
      ``(logits, end_points)``.
    """
    return _build_pnasnet(images, num_classes, is_training, final_endpoint, config, mobile_imagenet_config)


build_pnasnet_large.default_image_size = 331
build_pnasnet_mobile.default_image_size = 224
