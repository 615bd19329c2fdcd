"""NASNet-A, as ``research/slim/nets/nasnet/nasnet.py`` (newest, tf_slim).

Zoph et al., "Learning Transferable Architectures for Scalable Image Recognition" (arXiv:1707.07012).
Same functions, signatures, hyper-parameters, variable names and end points as TF-Slim, so the
zoo's ``nasnet-a_mobile`` / ``nasnet-a_large`` checkpoints restore by name.

=================  ========  ======  ===========  =====================================
net                image     cells   filters      stem
=================  ========  ======  ===========  =====================================
nasnet_cifar       32        18      32           3x3 conv (96)
nasnet_mobile      224       12      44           3x3/2 conv (32), two reduction cells
nasnet_large       331       18      168          3x3/2 conv (96), two reduction cells
=================  ========  ======  ===========  =====================================

``num_cells`` normal cells in three stacks, a reduction cell (``Reduction_Cell_i``) before the
second and third (:func:`~torchslim.nets.nasnet.nasnet_utils.calc_reduction_layers`), each doubling
the width; then ReLU, global average pool, dropout and the ``FC`` logits. In training an auxiliary
head (``AuxLogits``, scope ``aux_<cell>``) sits on the cell before the second reduction.

Eager meanings (``docs/porting.md``): ``is_training=None`` follows ``model.train()`` / ``eval()`` for
batch norm, dropout and drop-path and builds the auxiliary head (its variables exist whatever the
mode, so a checkpoint restores in both); ``is_training=False`` leaves the head out, as upstream.
``current_step=None``: eager torchslim has no graph global step, so drop-path runs at its full
(burnt-in) rate; pass the training step for upstream's schedule by step.

Example::

    import torchslim as slim
    from torchslim.nets.nasnet import nasnet

    with slim.arg_scope(nasnet.nasnet_mobile_arg_scope()):
        model = slim.Model(nasnet.build_nasnet_mobile, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 224, 224, 3]
"""

from __future__ import annotations

import contextlib
import copy
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import torch

import torchslim as slim
from torchslim.compat.hparams import HParams
from torchslim.nets.nasnet import nasnet_utils

__all__ = ["cifar_config", "large_imagenet_config", "mobile_imagenet_config", "update_hparams",
           "nasnet_cifar_arg_scope", "nasnet_mobile_arg_scope", "nasnet_large_arg_scope", "build_aux_head",
           "imagenet_stem", "cifar_stem", "build_nasnet_cifar", "build_nasnet_mobile", "build_nasnet_large",
           "build_nasnet_base", "builds_aux_head", "nasnet_scope", "final_layer", "end_point_adder",
           "to_data_format", "network_scopes"]

EndPoints = Dict[str, torch.Tensor]

arg_scope = slim.arg_scope


# --------------------------------------------------------------------------------------------------
# Hyper-parameters (upstream's training notes are in the docstrings)


def cifar_config() -> HParams:
    """NASNet-A CIFAR-10: 18 cells of 32 filters; drop-path 0.6 over 937500 steps (600 epochs, batch 32).

    Training notes: learning rate 0.025, cosine decay, aux head loss weight 0.4, gradient clip 5.
    """
    return HParams(stem_multiplier=3.0, drop_path_keep_prob=0.6, num_cells=18, use_aux_head=1, num_conv_filters=32,
                   dense_dropout_keep_prob=1.0, filter_scaling_rate=2.0, num_reduction_layers=2, data_format="NHWC",
                   skip_reduction_layer_input=0, total_training_steps=937500, use_bounded_activation=False)


def large_imagenet_config() -> HParams:
    """NASNet-A large ImageNet: 18 cells of 168 filters, drop-path 0.7, dense dropout 0.5.

    Training notes: batch 16 per replica on 100 replicas, learning rate 0.015 * 100 decayed 0.97
    every 2.4 epochs, aux head weight 0.4, label smoothing 0.1, gradient clip 10.
    """
    return HParams(stem_multiplier=3.0, dense_dropout_keep_prob=0.5, num_cells=18, filter_scaling_rate=2.0,
                   num_conv_filters=168, drop_path_keep_prob=0.7, use_aux_head=1, num_reduction_layers=2,
                   data_format="NHWC", skip_reduction_layer_input=1, total_training_steps=250000,
                   use_bounded_activation=False)


def mobile_imagenet_config() -> HParams:
    """NASNet-A mobile ImageNet: 12 cells of 44 filters, no drop-path, dense dropout 0.5.

    Training notes: batch 32 per replica on 50 replicas, learning rate 0.04 * 50 decayed 0.97
    every 2.4 epochs, aux head weight 0.4, label smoothing 0.1, gradient clip 10.
    """
    return HParams(stem_multiplier=1.0, dense_dropout_keep_prob=0.5, num_cells=12, filter_scaling_rate=2.0,
                   drop_path_keep_prob=1.0, num_conv_filters=44, use_aux_head=1, num_reduction_layers=2,
                   data_format="NHWC", skip_reduction_layer_input=0, total_training_steps=250000,
                   use_bounded_activation=False)


def update_hparams(hparams: HParams, is_training) -> None:
    """Turns drop-path off (keep probability 1) when ``is_training`` is False (None keeps it: the mode decides)."""
    if is_training is not None and not is_training:
        hparams.set_hparam("drop_path_keep_prob", 1.0)


_update_hparams = update_hparams


# --------------------------------------------------------------------------------------------------
# Arg scopes


def nasnet_scope(weight_decay: float, batch_norm_decay: float, batch_norm_epsilon: float) -> dict:
    """The arg scope all NASNet / PNASNet variants share, with their numbers.

    L2 ``weight_decay`` and variance scaling (``FAN_OUT``) on the weights of ``fully_connected``
    (scope ``FC``), ``conv2d`` and ``separable_conv2d``; no activation and no biases on the
    convolutions; batch norm with ``gamma``.
    """
    batch_norm_params = {"decay": batch_norm_decay, "epsilon": batch_norm_epsilon, "scale": True, "fused": True}
    with arg_scope([slim.fully_connected, slim.conv2d, slim.separable_conv2d],
                   weights_regularizer=slim.l2_regularizer(weight_decay),
                   weights_initializer=slim.variance_scaling_initializer(mode="FAN_OUT")):
        with arg_scope([slim.fully_connected], activation_fn=None, scope="FC"):
            with arg_scope([slim.conv2d, slim.separable_conv2d], activation_fn=None, biases_initializer=None):
                with arg_scope([slim.batch_norm], **batch_norm_params) as sc:
                    return sc


def nasnet_cifar_arg_scope(weight_decay: float = 5e-4, batch_norm_decay: float = 0.9,
                           batch_norm_epsilon: float = 1e-5) -> dict:
    """The arg scope of NASNet-A CIFAR (:func:`nasnet_scope`).

    Args:
      weight_decay: L2 regularisation scale of the weights.
      batch_norm_decay: decay of the batch-norm moving averages.
      batch_norm_epsilon: added to the variance.

    Returns:
      An arg_scope dict.
    """
    return nasnet_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_mobile_arg_scope(weight_decay: float = 4e-5, batch_norm_decay: float = 0.9997,
                            batch_norm_epsilon: float = 1e-3) -> dict:
    """The arg scope of NASNet-A mobile (:func:`nasnet_scope`); arguments as :func:`nasnet_cifar_arg_scope`."""
    return nasnet_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


def nasnet_large_arg_scope(weight_decay: float = 5e-5, batch_norm_decay: float = 0.9997,
                           batch_norm_epsilon: float = 1e-3) -> dict:
    """The arg scope of NASNet-A large (:func:`nasnet_scope`); arguments as :func:`nasnet_cifar_arg_scope`."""
    return nasnet_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)


# --------------------------------------------------------------------------------------------------
# Pieces: stems, auxiliary head


def _spatial_shape(net: torch.Tensor, data_format: str) -> Tuple[int, int]:
    return tuple(net.shape[1:3]) if data_format == "NHWC" else tuple(net.shape[2:4])


def build_aux_head(net: torch.Tensor, end_points: EndPoints, num_classes: int, hparams: HParams, scope: str) -> None:
    """The auxiliary classifier: 5x5/3 avg pool, 1x1 conv ``proj`` (128), full-size conv (768), ``FC``.

    Adds ``end_points['AuxLogits']``.
    """
    activation_fn = nasnet_utils.activation(hparams.use_bounded_activation)
    with slim.variable_scope(scope):
        with slim.variable_scope("aux_logits"):
            aux = slim.avg_pool2d(net, [5, 5], stride=3, padding="VALID")
            aux = slim.conv2d(aux, 128, [1, 1], scope="proj")
            aux = activation_fn(slim.batch_norm(aux, scope="aux_bn0"))
            aux = slim.conv2d(aux, 768, _spatial_shape(aux, hparams.data_format), padding="VALID")
            aux = activation_fn(slim.batch_norm(aux, scope="aux_bn1"))
            end_points["AuxLogits"] = slim.fully_connected(slim.flatten(aux), num_classes)


_build_aux_head = build_aux_head


def imagenet_stem(inputs: torch.Tensor, hparams: HParams, stem_cell: Callable,
                  current_step=None) -> Tuple[torch.Tensor, List[Optional[torch.Tensor]]]:
    """The ImageNet stem: 3x3/2 VALID conv ``conv0`` (``32 * stem_multiplier``), then two stride-2 cells.

    Returns:
      ``(net, cell_outputs)``: the last stem cell's output and ``[None, conv0, cell_stem_0, cell_stem_1]``.
    """
    num_stem_cells = 2
    net = slim.conv2d(inputs, int(32 * hparams.stem_multiplier), [3, 3], stride=2, scope="conv0", padding="VALID")
    net = slim.batch_norm(net, scope="conv0_bn")
    cell_outputs = [None, net]
    filter_scaling = 1.0 / (hparams.filter_scaling_rate ** num_stem_cells)
    for cell_num in range(num_stem_cells):
        net = stem_cell(net, scope=f"cell_stem_{cell_num}", filter_scaling=filter_scaling, stride=2,
                        prev_layer=cell_outputs[-2], cell_num=cell_num, current_step=current_step)
        cell_outputs.append(net)
        filter_scaling *= hparams.filter_scaling_rate
    return net, cell_outputs


_imagenet_stem = imagenet_stem


def cifar_stem(inputs: torch.Tensor, hparams: HParams) -> Tuple[torch.Tensor, List[Optional[torch.Tensor]]]:
    """The CIFAR stem: a 3x3 conv ``l1_stem_3x3`` (``num_conv_filters * stem_multiplier``) and batch norm."""
    net = slim.conv2d(inputs, int(hparams.num_conv_filters * hparams.stem_multiplier), 3, scope="l1_stem_3x3")
    net = slim.batch_norm(net, scope="l1_stem_bn")
    return net, [None, net]


_cifar_stem = cifar_stem


def builds_aux_head(hparams: HParams, num_classes: Optional[int], is_training) -> bool:
    """Whether the auxiliary head is built: ``use_aux_head``, classes, and ``is_training`` True or None."""
    return bool(hparams.use_aux_head and num_classes and (is_training is None or is_training))


def final_layer(net: torch.Tensor, end_points: EndPoints, num_classes: Optional[int], hparams: HParams,
                add_and_check_endpoint: Callable) -> Tuple[torch.Tensor, EndPoints]:
    """Scope ``final_layer``: activation, global pool, dropout, ``FC`` logits, softmax.

    Returns:
      ``(net, end_points)``: as upstream, the global pool when it is the final end point or there
      are no classes; the dropout output when the final end point is ``Logits`` or ``Predictions``
      (upstream's return value there); the logits otherwise.
    """
    activation_fn = nasnet_utils.activation(hparams.use_bounded_activation)
    with slim.variable_scope("final_layer"):
        net = nasnet_utils.global_avg_pool(activation_fn(net))
        if add_and_check_endpoint("global_pool", net) or not num_classes:
            return net, end_points
        net = slim.dropout(net, hparams.dense_dropout_keep_prob, scope="dropout")
        logits = slim.fully_connected(net, num_classes)
        if add_and_check_endpoint("Logits", logits):
            return net, end_points
        if add_and_check_endpoint("Predictions", slim.nn.softmax(logits)):
            return net, end_points
    return logits, end_points


def end_point_adder(end_points: EndPoints, final_endpoint: Optional[str]) -> Callable[[str, torch.Tensor], bool]:
    """``add(name, net)``: records the end point and says whether it is ``final_endpoint``."""
    def add_and_check_endpoint(name: str, net: torch.Tensor) -> bool:
        end_points[name] = net
        return bool(final_endpoint) and name == final_endpoint
    return add_and_check_endpoint


# --------------------------------------------------------------------------------------------------
# The generic builder


def build_nasnet_base(images: torch.Tensor, normal_cell: nasnet_utils.NasNetABaseCell,
                      reduction_cell: nasnet_utils.NasNetABaseCell, num_classes: Optional[int], hparams: HParams,
                      is_training, stem_type: str, final_endpoint: Optional[str] = None,
                      current_step=None) -> Tuple[torch.Tensor, EndPoints]:
    """Constructs a NASNet image model: stem, cells with reductions, aux head, final layer.

    Raises:
      ValueError: an unknown ``stem_type``.
    """
    end_points: EndPoints = {}
    add_and_check_endpoint = end_point_adder(end_points, final_endpoint)
    reduction_indices = nasnet_utils.calc_reduction_layers(hparams.num_cells, hparams.num_reduction_layers)
    if stem_type == "imagenet":
        net, cell_outputs = imagenet_stem(images, hparams, reduction_cell)
    elif stem_type == "cifar":
        net, cell_outputs = cifar_stem(images, hparams)
    else:
        raise ValueError(f"Unknown stem_type: {stem_type!r}")
    if add_and_check_endpoint("Stem", net):
        return net, end_points

    aux_head_cell_idxes = [reduction_indices[1] - 1] if len(reduction_indices) >= 2 else []
    filter_scaling = 1.0
    true_cell_num = 2 if stem_type == "imagenet" else 0  # counts the stem cells
    activation_fn = nasnet_utils.activation(hparams.use_bounded_activation)
    for cell_num in range(hparams.num_cells):
        if hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        if cell_num in reduction_indices:
            filter_scaling *= hparams.filter_scaling_rate
            index = reduction_indices.index(cell_num)
            net = reduction_cell(net, scope=f"reduction_cell_{index}", filter_scaling=filter_scaling, stride=2,
                                 prev_layer=cell_outputs[-2], cell_num=true_cell_num, current_step=current_step)
            if add_and_check_endpoint(f"Reduction_Cell_{index}", net):
                return net, end_points
            true_cell_num += 1
            cell_outputs.append(net)
        if not hparams.skip_reduction_layer_input:
            prev_layer = cell_outputs[-2]
        net = normal_cell(net, scope=f"cell_{cell_num}", filter_scaling=filter_scaling, stride=1,
                          prev_layer=prev_layer, cell_num=true_cell_num, current_step=current_step)
        if add_and_check_endpoint(f"Cell_{cell_num}", net):
            return net, end_points
        true_cell_num += 1
        if cell_num in aux_head_cell_idxes and builds_aux_head(hparams, num_classes, is_training):
            build_aux_head(activation_fn(net), end_points, num_classes, hparams, scope=f"aux_{cell_num}")
        cell_outputs.append(net)
    return final_layer(net, end_points, num_classes, hparams, add_and_check_endpoint)


_build_nasnet_base = build_nasnet_base


def to_data_format(images: torch.Tensor, hparams: HParams) -> torch.Tensor:
    """NHWC images in the config's ``data_format`` (transposed for ``'NCHW'``)."""
    return images.permute(0, 3, 1, 2) if hparams.data_format == "NCHW" else images


@contextlib.contextmanager
def network_scopes(hparams: HParams, is_training) -> Iterator[None]:
    """The arg scopes every builder enters: ``is_training`` for dropout, drop-path and batch norm,
    ``data_format`` for the layers and the helpers of :mod:`nasnet_utils`."""
    with arg_scope([slim.dropout, nasnet_utils.drop_path, slim.batch_norm], is_training=is_training):
        with arg_scope([slim.avg_pool2d, slim.max_pool2d, slim.conv2d, slim.batch_norm, slim.separable_conv2d,
                        nasnet_utils.factorized_reduction, nasnet_utils.global_avg_pool,
                        nasnet_utils.get_channel_index, nasnet_utils.get_channel_dim],
                       data_format=hparams.data_format):
            yield


def _build_nasnet(images, num_classes, is_training, final_endpoint, config, current_step, default_config,
                  stem_type: str):
    """The three builders: the config (copied), the data format, the two cells, the scopes, the net."""
    hparams = default_config() if config is None else copy.deepcopy(config)
    update_hparams(hparams, is_training)
    images = to_data_format(images, hparams)
    num_stem_cells = 2 if stem_type == "imagenet" else 0
    total_num_cells = hparams.num_cells + 2 + num_stem_cells  # + the two reduction cells
    cell_args = (hparams.num_conv_filters, hparams.drop_path_keep_prob, total_num_cells,
                 hparams.total_training_steps, hparams.use_bounded_activation)
    normal_cell = nasnet_utils.NasNetANormalCell(*cell_args)
    reduction_cell = nasnet_utils.NasNetAReductionCell(*cell_args)
    with network_scopes(hparams, is_training):
        return build_nasnet_base(images, normal_cell=normal_cell, reduction_cell=reduction_cell,
                                 num_classes=num_classes, hparams=hparams, is_training=is_training,
                                 stem_type=stem_type, final_endpoint=final_endpoint, current_step=current_step)


# --------------------------------------------------------------------------------------------------
# The named nets

def build_nasnet_cifar(images: torch.Tensor, num_classes: Optional[int], is_training=True,
                       config: Optional[HParams] = None, current_step=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds NASNet-A for CIFAR-10 (:func:`cifar_config`; upstream gives it no ``final_endpoint``).

    Args:
      images: ``[N, 32, 32, 3]`` (NHWC whatever ``config.data_format``; an NCHW config transposes
        them, and its end points are NCHW).
      num_classes: classes of the logits; 0 or None stops at the global pool.
      is_training: True, False, or None (follow ``model.train()`` / ``eval()``; the aux head is built).
      config: an HParams like :func:`cifar_config`'s; copied, never changed.
      current_step: the training step for drop-path's schedule by step (None: the full rate).

    Returns:
      ``(logits, end_points)``.
    """
    return _build_nasnet(images, num_classes, is_training, None, config, current_step, cifar_config, "cifar")


def build_nasnet_mobile(images: torch.Tensor, num_classes: Optional[int], is_training=True,
                        final_endpoint: Optional[str] = None, config: Optional[HParams] = None,
                        current_step=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds NASNet-A mobile for ImageNet (:func:`mobile_imagenet_config`, 224 px).

    Args:
      images, num_classes, is_training, config, current_step: as :func:`build_nasnet_cifar`.
      final_endpoint: stop at this end point (``Stem``, ``Cell_3``, ``Reduction_Cell_0``, ...).

    Returns:
      ``(logits, end_points)``.
    """
    return _build_nasnet(images, num_classes, is_training, final_endpoint, config, current_step,
                         mobile_imagenet_config, "imagenet")


def build_nasnet_large(images: torch.Tensor, num_classes: Optional[int], is_training=True,
                       final_endpoint: Optional[str] = None, config: Optional[HParams] = None,
                       current_step=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds NASNet-A large for ImageNet (:func:`large_imagenet_config`, 331 px).

    Args:
      images, num_classes, is_training, config, current_step: as :func:`build_nasnet_cifar`.
      final_endpoint: stop at this end point (``Stem``, ``Cell_3``, ``Reduction_Cell_0``, ...).

    Returns:
      ``(logits, end_points)``.
    """
    return _build_nasnet(images, num_classes, is_training, final_endpoint, config, current_step,
                         large_imagenet_config, "imagenet")


build_nasnet_cifar.default_image_size = 32
build_nasnet_mobile.default_image_size = 224
build_nasnet_large.default_image_size = 331
