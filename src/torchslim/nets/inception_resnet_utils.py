"""The building blocks Inception-ResNet v1 (facenet) and v2 (Slim) share, with their widths as arguments.

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning"
(arXiv:1602.07261). Both nets are made of the same five pieces; only the branch widths differ, and
Slim's v2 clips the scaled residual when the activation is ``relu6``. Each net file keeps its own
public ``block35`` / ``block17`` / ``block8`` (the signatures of the TF code) and calls these with its
widths, so the variable scopes are exactly TF's:

* Inception-ResNet-A (``Block35``): ``Branch_0`` 1x1 | ``Branch_1`` 1x1 -> 3x3 | ``Branch_2`` 1x1 -> 3x3 -> 3x3.
* Inception-ResNet-B (``Block17``): ``Branch_0`` 1x1 | ``Branch_1`` 1x1 -> 1x7 -> 7x1.
* Inception-ResNet-C (``Block8``):  ``Branch_0`` 1x1 | ``Branch_1`` 1x1 -> 1x3 -> 3x1.
* each block then projects the concatenation back to the input width with a 1x1 convolution that has
  a bias and neither normaliser nor activation (``Conv2d_1x1``), adds ``scale`` times it to the input,
  and applies the activation.
* Reduction-A and Reduction-B: strided convolution towers beside a strided max-pool.

Tensors are NHWC, as in TF: branches are concatenated on axis 3, the channel axis.
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import torch

import torchslim as slim

__all__ = ["Activation", "CHANNEL_AXIS", "block35", "block17", "block8", "reduction_a", "reduction_b"]

Activation = Optional[Callable[[torch.Tensor], torch.Tensor]]

CHANNEL_AXIS = 3
"""The channel axis of the NHWC tensors these nets use (TF's ``tf.concat(axis=3, ...)``)."""


def _add_residual(net: torch.Tensor, towers: Sequence[torch.Tensor], scale: float, activation_fn: Activation,
                  clip_relu6: bool) -> torch.Tensor:
    """Concatenates the towers, projects them to ``net``'s width and adds them, scaled, to ``net``.

    Args:
      net: the block input, ``[N, H, W, C]``.
      towers: the branch outputs (same ``N, H, W``).
      scale: the residual scale.
      activation_fn: applied to the sum, or None.
      clip_relu6: clip the scaled residual to [-6, 6] when ``activation_fn`` is ``relu6`` (Slim's v2
        does, to keep the sum in relu6's band; facenet's v1 does not).

    Returns:
      ``activation_fn(net + scale * up)``.
    """
    mixed = torch.cat(list(towers), dim=CHANNEL_AXIS)
    up = slim.conv2d(mixed, net.shape[CHANNEL_AXIS], 1, normalizer_fn=None, activation_fn=None,
                     scope="Conv2d_1x1")
    scaled_up = up * scale
    if clip_relu6 and activation_fn == slim.nn.relu6:
        scaled_up = torch.clamp(scaled_up, -6.0, 6.0)
    net = net + scaled_up  # a new tensor: the input may be an end point, never changed in place
    if activation_fn:
        net = activation_fn(net)
    return net


def block35(net: torch.Tensor, depths: Tuple[int, Tuple[int, int], Tuple[int, int, int]], scale: float = 1.0,
            activation_fn: Activation = slim.nn.relu, scope: Optional[str] = None, reuse=None,
            clip_relu6: bool = False) -> torch.Tensor:
    """Inception-ResNet-A (default scope ``Block35``).

    Args:
      net: ``[N, H, W, C]``.
      depths: ``(branch_0, (branch_1 1x1, 3x3), (branch_2 1x1, 3x3, 3x3))`` output channels.
      scale: the residual scale.
      activation_fn: applied after the sum, or None.
      scope: the variable scope (default ``Block35``, made unique).
      reuse: share the variables of ``scope``.
      clip_relu6: see :func:`_add_residual`.

    Returns:
      ``[N, H, W, C]``.
    """
    d0, (d1a, d1b), (d2a, d2b, d2c) = depths
    with slim.variable_scope(scope, "Block35", [net], reuse=reuse):
        with slim.variable_scope("Branch_0"):
            tower_0 = slim.conv2d(net, d0, 1, scope="Conv2d_1x1")
        with slim.variable_scope("Branch_1"):
            tower_1 = slim.conv2d(net, d1a, 1, scope="Conv2d_0a_1x1")
            tower_1 = slim.conv2d(tower_1, d1b, 3, scope="Conv2d_0b_3x3")
        with slim.variable_scope("Branch_2"):
            tower_2 = slim.conv2d(net, d2a, 1, scope="Conv2d_0a_1x1")
            tower_2 = slim.conv2d(tower_2, d2b, 3, scope="Conv2d_0b_3x3")
            tower_2 = slim.conv2d(tower_2, d2c, 3, scope="Conv2d_0c_3x3")
        return _add_residual(net, [tower_0, tower_1, tower_2], scale, activation_fn, clip_relu6)


def _factorized_block(net: torch.Tensor, depths: Tuple[int, Tuple[int, int, int]], k: int, default_name: str,
                      scale: float, activation_fn: Activation, scope: Optional[str], reuse,
                      clip_relu6: bool) -> torch.Tensor:
    """Blocks B and C: a 1x1 branch beside a 1x1 -> 1xk -> kx1 branch."""
    d0, (d1a, d1b, d1c) = depths
    with slim.variable_scope(scope, default_name, [net], reuse=reuse):
        with slim.variable_scope("Branch_0"):
            tower_0 = slim.conv2d(net, d0, 1, scope="Conv2d_1x1")
        with slim.variable_scope("Branch_1"):
            tower_1 = slim.conv2d(net, d1a, 1, scope="Conv2d_0a_1x1")
            tower_1 = slim.conv2d(tower_1, d1b, [1, k], scope=f"Conv2d_0b_1x{k}")
            tower_1 = slim.conv2d(tower_1, d1c, [k, 1], scope=f"Conv2d_0c_{k}x1")
        return _add_residual(net, [tower_0, tower_1], scale, activation_fn, clip_relu6)


def block17(net: torch.Tensor, depths: Tuple[int, Tuple[int, int, int]], scale: float = 1.0,
            activation_fn: Activation = slim.nn.relu, scope: Optional[str] = None, reuse=None,
            clip_relu6: bool = False) -> torch.Tensor:
    """Inception-ResNet-B (default scope ``Block17``): 1x1 | 1x1 -> 1x7 -> 7x1.

    Args:
      net: ``[N, H, W, C]``.
      depths: ``(branch_0, (branch_1 1x1, 1x7, 7x1))`` output channels.
      Other arguments: as :func:`block35`.

    Returns:
      ``[N, H, W, C]``.
    """
    return _factorized_block(net, depths, 7, "Block17", scale, activation_fn, scope, reuse, clip_relu6)


def block8(net: torch.Tensor, depths: Tuple[int, Tuple[int, int, int]], scale: float = 1.0,
           activation_fn: Activation = slim.nn.relu, scope: Optional[str] = None, reuse=None,
           clip_relu6: bool = False) -> torch.Tensor:
    """Inception-ResNet-C (default scope ``Block8``): 1x1 | 1x1 -> 1x3 -> 3x1.

    Args:
      net: ``[N, H, W, C]``.
      depths: ``(branch_0, (branch_1 1x1, 1x3, 3x1))`` output channels.
      Other arguments: as :func:`block35`.

    Returns:
      ``[N, H, W, C]``.
    """
    return _factorized_block(net, depths, 3, "Block8", scale, activation_fn, scope, reuse, clip_relu6)


def reduction_a(net: torch.Tensor, k: int, l: int, m: int, n: int, stride: int = 2,
                padding: str = "VALID") -> torch.Tensor:
    """Reduction-A in the current scope: 3x3/2 (n) | 1x1 (k) -> 3x3 (l) -> 3x3/2 (m) | 3x3/2 max-pool.

    The paper's ``k, l, m, n`` table entries (facenet: 192, 192, 256, 384; Slim v2: 256, 256, 384, 384).

    Args:
      net: ``[N, H, W, C]``.
      k, l, m, n: tower widths.
      stride: the reducing stride (1 for Slim v2's ``output_stride=8``).
      padding: of the reducing layers (``'SAME'`` for v2's ``align_feature_maps``).

    Returns:
      ``[N, H', W', n + m + C]``.
    """
    with slim.variable_scope("Branch_0"):
        tower_0 = slim.conv2d(net, n, 3, stride=stride, padding=padding, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_1"):
        tower_1 = slim.conv2d(net, k, 1, scope="Conv2d_0a_1x1")
        tower_1 = slim.conv2d(tower_1, l, 3, scope="Conv2d_0b_3x3")
        tower_1 = slim.conv2d(tower_1, m, 3, stride=stride, padding=padding, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_2"):
        tower_pool = slim.max_pool2d(net, 3, stride=stride, padding=padding, scope="MaxPool_1a_3x3")
    return torch.cat([tower_0, tower_1, tower_pool], dim=CHANNEL_AXIS)


def reduction_b(net: torch.Tensor, depths: Tuple[int, int, Tuple[int, int]], bottleneck: int = 256,
                padding: str = "VALID") -> torch.Tensor:
    """Reduction-B in the current scope: three towers that end in a 3x3/2 convolution, and a 3x3/2 max-pool.

    ``Branch_0`` 1x1 -> 3x3/2 | ``Branch_1`` 1x1 -> 3x3/2 | ``Branch_2`` 1x1 -> 3x3 -> 3x3/2 |
    ``Branch_3`` max-pool; every 1x1 has ``bottleneck`` outputs.

    Args:
      net: ``[N, H, W, C]``.
      depths: ``(branch_0 3x3/2, branch_1 3x3/2, (branch_2 3x3, 3x3/2))`` output channels
        (facenet: ``(384, 256, (256, 256))``; Slim v2: ``(384, 288, (288, 320))``).
      bottleneck: width of the leading 1x1 convolutions.
      padding: of the reducing layers.

    Returns:
      ``[N, H', W', branch_0 + branch_1 + branch_2 + C]``.
    """
    d0, d1, (d2a, d2b) = depths
    with slim.variable_scope("Branch_0"):
        tower_0 = slim.conv2d(net, bottleneck, 1, scope="Conv2d_0a_1x1")
        tower_0 = slim.conv2d(tower_0, d0, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_1"):
        tower_1 = slim.conv2d(net, bottleneck, 1, scope="Conv2d_0a_1x1")
        tower_1 = slim.conv2d(tower_1, d1, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_2"):
        tower_2 = slim.conv2d(net, bottleneck, 1, scope="Conv2d_0a_1x1")
        tower_2 = slim.conv2d(tower_2, d2a, 3, scope="Conv2d_0b_3x3")
        tower_2 = slim.conv2d(tower_2, d2b, 3, stride=2, padding=padding, scope="Conv2d_1a_3x3")
    with slim.variable_scope("Branch_3"):
        tower_pool = slim.max_pool2d(net, 3, stride=2, padding=padding, scope="MaxPool_1a_3x3")
    return torch.cat([tower_0, tower_1, tower_2, tower_pool], dim=CHANNEL_AXIS)
