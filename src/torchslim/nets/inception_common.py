"""What Slim's Inception v2, v3 and v4 share: thinned depths, conv towers, the small-input pool and the head.

Their mixed blocks are towers of convolutions (:func:`conv_chain`), v3's 8x8 modules and v4's
Inception-C end towers in a 1x3 | 3x1 pair (:func:`conv_pair_1x3_3x1`). v2 and v3
(``research/slim/nets/inception_v2.py``, ``inception_v3.py``) scale every convolution's width by
``depth_multiplier`` with a floor of ``min_depth``, shrink their final average pool for inputs
smaller than the default size, and end in the same ``Logits`` head:

    average pool (``AvgPool_1a_<k>x<k>``, or a global mean with ``global_pool``)
    -> dropout (``Dropout_1b``) -> 1x1 conv with biases (``Conv2d_1c_1x1``) -> squeeze -> prediction_fn

with the end points ``AvgPool_1a`` (or ``global_pool``), ``PreLogits``, ``Logits`` and ``Predictions``.
Tensors are NHWC.
"""

from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import torch

import torchslim as slim

__all__ = ["depth_fn", "conv_chain", "conv_pair_1x3_3x1", "reduced_kernel_size_for_small_input", "squeeze_spatial",
           "logits_head", "run_stages", "batch_norm_params"]

EndPoints = Dict[str, torch.Tensor]


def depth_fn(depth_multiplier: float, min_depth: int) -> Callable[[int], int]:
    """Slim's ``depth = lambda d: max(int(d * depth_multiplier), min_depth)``.

    Args:
      depth_multiplier: the width multiplier, > 0.
      min_depth: the smallest width a convolution gets (binding only when ``depth_multiplier < 1``).

    Returns:
      ``depth(d)``: the thinned width of a layer that has ``d`` channels at multiplier 1.

    Raises:
      ValueError: ``'depth_multiplier is not greater than zero.'``
    """
    if depth_multiplier <= 0:
        raise ValueError("depth_multiplier is not greater than zero.")
    return lambda d: max(int(d * depth_multiplier), min_depth)


def conv_chain(net: torch.Tensor, layers: Sequence[Tuple[int, Sequence[int], str]]) -> torch.Tensor:
    """Convolutions in sequence (a tower of a mixed block), in the active arg scope.

    Args:
      net: the tower's input.
      layers: ``(num_outputs, kernel_size, scope)`` of each convolution, in order.

    Returns:
      The last convolution's output.
    """
    for num_outputs, kernel_size, scope in layers:
        net = slim.conv2d(net, num_outputs, kernel_size, scope=scope)
    return net


def conv_pair_1x3_3x1(net: torch.Tensor, num_outputs: int, scope_1x3: str, scope_3x1: str) -> torch.Tensor:
    """A 1x3 and a 3x1 convolution side by side on the same input, concatenated on the channels.

    The "expanded filter bank" ending a tower in v3's 8x8 modules and v4's Inception-C.

    Args:
      net: ``[N, H, W, C]``.
      num_outputs: the width of each of the two convolutions.
      scope_1x3, scope_3x1: their scopes.

    Returns:
      ``[N, H, W, 2 * num_outputs]``.
    """
    return torch.cat([slim.conv2d(net, num_outputs, [1, 3], scope=scope_1x3),
                      slim.conv2d(net, num_outputs, [3, 1], scope=scope_3x1)], dim=3)


def reduced_kernel_size_for_small_input(input_tensor: torch.Tensor, kernel_size: Sequence[int]) -> List[int]:
    """The pool kernel, cut down to the input's height and width where the input is smaller.

    (Slim's ``_reduced_kernel_size_for_small_input``; eager tensors always have a known shape.)

    Args:
      input_tensor: ``[N, H, W, C]``.
      kernel_size: the wanted ``[kh, kw]``.

    Returns:
      ``[min(H, kh), min(W, kw)]``.
    """
    return [min(int(input_tensor.shape[1]), kernel_size[0]), min(int(input_tensor.shape[2]), kernel_size[1])]


def squeeze_spatial(logits: torch.Tensor, label: str) -> torch.Tensor:
    """``tf.squeeze(logits, [1, 2])``: ``[N, 1, 1, C]`` -> ``[N, C]``.

    Args:
      logits: ``[N, 1, 1, C]``.
      label: the scope, for the error message.

    Returns:
      ``[N, C]``.

    Raises:
      ValueError: if H or W is not 1 (as ``tf.squeeze``); the net needs ``spatial_squeeze=False``
        or ``global_pool=True`` for such inputs.
    """
    if logits.dim() != 4 or logits.shape[1] != 1 or logits.shape[2] != 1:
        raise ValueError(f"{label}/SpatialSqueeze: can not squeeze dims 1 and 2 of logits with shape "
                         f"{list(logits.shape)}, expected size 1; use spatial_squeeze=False or global_pool=True")
    return logits.squeeze(2).squeeze(1)


def logits_head(net: torch.Tensor, end_points: EndPoints, num_classes: Optional[int], pool_size: Sequence[int],
                global_pool: bool, dropout_keep_prob: float, spatial_squeeze: bool,
                prediction_fn: Callable) -> torch.Tensor:
    """The ``Logits`` scope of Inception v2 / v3, in the current variable scope; adds the end points.

    Args:
      net: the last mixed block, ``[N, H, W, C]``.
      end_points: the net's end points (changed in place).
      num_classes: classes of ``Conv2d_1c_1x1``; 0 or None stops after the pool.
      pool_size: the average pool kernel at the default image size (``[7, 7]`` v2, ``[8, 8]`` v3),
        reduced for smaller inputs; its stride is ``avg_pool2d``'s default, as in Slim.
      global_pool: average over all of H and W instead (any input size gives 1x1).
      dropout_keep_prob: keep probability of ``Dropout_1b``.
      spatial_squeeze: return ``[N, num_classes]`` instead of ``[N, 1, 1, num_classes]``.
      prediction_fn: maps the logits to ``Predictions`` (called with ``scope='Predictions'``).

    Returns:
      The logits, or the pooled features when ``num_classes`` is 0 or None.

    Raises:
      ValueError: from :func:`squeeze_spatial` when the logits are not 1x1.
    """
    with slim.variable_scope("Logits") as sc:
        if global_pool:
            net = torch.mean(net, dim=(1, 2), keepdim=True)
            end_points["global_pool"] = net
        else:
            kernel_size = reduced_kernel_size_for_small_input(net, pool_size)
            net = slim.avg_pool2d(net, kernel_size, padding="VALID", scope="AvgPool_1a_{}x{}".format(*kernel_size))
            end_points["AvgPool_1a"] = net
        if not num_classes:
            return net
        net = slim.dropout(net, keep_prob=dropout_keep_prob, scope="Dropout_1b")
        end_points["PreLogits"] = net
        logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                             scope="Conv2d_1c_1x1")
        if spatial_squeeze:
            logits = squeeze_spatial(logits, sc.name)
    end_points["Logits"] = logits
    end_points["Predictions"] = prediction_fn(logits, scope="Predictions")
    return logits


def run_stages(net: torch.Tensor, stages: Iterable[Tuple[str, Callable[[torch.Tensor], torch.Tensor]]],
               final_endpoint: str) -> Tuple[torch.Tensor, EndPoints]:
    """Applies the ``(end point name, layer)`` stages of a ``*_base`` in order, up to ``final_endpoint``.

    Returns:
      ``(net, end_points)``: the output of ``final_endpoint`` and every end point so far.

    Raises:
      AssertionError: when no stage is named ``final_endpoint`` (callers check the name first).
    """
    end_points: EndPoints = {}
    for name, layer in stages:
        net = end_points[name] = layer(net)
        if name == final_endpoint:
            return net, end_points
    raise AssertionError(f"unreachable: final_endpoint {final_endpoint!r} was checked")


def batch_norm_params(decay: float, epsilon: float, updates_collections, scale: bool) -> dict:
    """The ``normalizer_params`` of the Inception arg scopes (TF's default ``fused``)."""
    return {"decay": decay, "epsilon": epsilon, "updates_collections": updates_collections, "fused": None,
            "scale": scale}
