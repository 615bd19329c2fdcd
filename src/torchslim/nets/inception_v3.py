"""Inception v3, as Slim defines it (tensorflow/models research/slim/nets/inception_v3.py).

Szegedy et al., "Rethinking the Inception Architecture for Computer Vision" (arXiv:1512.00567).
Same functions, signatures, defaults, variable names and end points as Slim (its scope names keep
the upstream file's irregularities, e.g. ``Mixed_5c/Branch_1/Conv_1_0c_5x5`` and the 3x3/2
``Mixed_6a/Branch_0/Conv2d_1a_1x1``), so the Slim zoo's ``inception_v3_2016_08_28`` checkpoint
restores by name. NHWC inputs, 299x299 by default.

Layout at 299x299 (widths at ``depth_multiplier=1``; the stem is VALID, the mixed blocks SAME):

==============  ===============  ================================================================
end point       output           what
==============  ===============  ================================================================
Conv2d_1a_3x3   149 x 149 x 32   conv 3x3/2
Conv2d_2a_3x3   147 x 147 x 32   conv 3x3
Conv2d_2b_3x3   147 x 147 x 64   conv 3x3 SAME
MaxPool_3a_3x3  73 x 73 x 64     max-pool 3x3/2
Conv2d_3b_1x1   73 x 73 x 80     conv 1x1
Conv2d_4a_3x3   71 x 71 x 192    conv 3x3
MaxPool_5a_3x3  35 x 35 x 192    max-pool 3x3/2
Mixed_5b        35 x 35 x 256    64 | 48->64 (5x5) | 64->96->96 | avg-pool->32
Mixed_5c        35 x 35 x 288    the same, avg-pool->64
Mixed_5d        35 x 35 x 288    the same, avg-pool->64
Mixed_6a        17 x 17 x 768    reduction: 384/2 | 64->96->96/2 | max-pool/2
Mixed_6b..6e    17 x 17 x 768    192 | c->c (1x7)->192 (7x1) | c->c->c->c->192 (7x1, 1x7 ...) |
                                 avg-pool->192, with c = 128, 160, 160, 192
Mixed_7a        8 x 8 x 1280     reduction: 192->320/2 | 192->192 (1x7)->192 (7x1)->192/2 | max-pool/2
Mixed_7b, 7c    8 x 8 x 2048     320 | 384->[384 (1x3), 384 (3x1)] | 448->384->[384 (1x3), 384 (3x1)] |
                                 avg-pool->192
==============  ===============  ================================================================

Then the auxiliary head on ``Mixed_6e`` (``AuxLogits``) and the ``Logits`` head of
:mod:`~torchslim.nets.inception_common` (8x8 average pool).

Example::

    import torchslim as slim
    from torchslim.nets import inception_v3

    with slim.arg_scope(inception_v3.inception_v3_arg_scope()):
        model = slim.Model(inception_v3.inception_v3, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 299, 299, 3]
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_common, inception_utils

__all__ = ["inception_v3_base", "inception_v3", "inception_v3_arg_scope", "default_image_size",
           "BASE_END_POINTS"]

IsTraining = Union[bool, torch.Tensor, None]
EndPoints = Dict[str, torch.Tensor]
Depth = Callable[[int], int]

default_image_size = 299

_reduced_kernel_size_for_small_input = inception_common.reduced_kernel_size_for_small_input  # Slim's name

BASE_END_POINTS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "MaxPool_3a_3x3", "Conv2d_3b_1x1",
                   "Conv2d_4a_3x3", "MaxPool_5a_3x3", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b",
                   "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c")
"""The end points of :func:`inception_v3_base`, in order (valid ``final_endpoint`` values)."""

# 35 x 35 modules: the width of Branch_3's pool projection, and Branch_1's two scope names.
MODULES_35 = {
    "Mixed_5b": (32, ("Conv2d_0a_1x1", "Conv2d_0b_5x5")),
    "Mixed_5c": (64, ("Conv2d_0b_1x1", "Conv_1_0c_5x5")),
    "Mixed_5d": (64, ("Conv2d_0a_1x1", "Conv2d_0b_5x5")),
}

# 17 x 17 modules: the width inside the factorised 7x7 towers.
MODULES_17 = {"Mixed_6b": 128, "Mixed_6c": 160, "Mixed_6d": 160, "Mixed_6e": 192}

# 8 x 8 modules: the scope of Branch_1's 3x1 conv (Mixed_7b's upstream name repeats the '0b').
MODULES_8 = {"Mixed_7b": "Conv2d_0b_3x1", "Mixed_7c": "Conv2d_0c_3x1"}


def trunc_normal(stddev: float):
    """Slim's ``tf.truncated_normal_initializer(0.0, stddev)``."""
    return slim.initializers.truncated_normal_initializer(0.0, stddev)


def _pool_projection(net: torch.Tensor, depth: int) -> torch.Tensor:
    """Branch_3 of the non-reducing modules: 3x3 avg-pool -> 1x1."""
    with slim.variable_scope("Branch_3"):
        net = slim.avg_pool2d(net, [3, 3], scope="AvgPool_0a_3x3")
        return slim.conv2d(net, depth, [1, 1], scope="Conv2d_0b_1x1")


def _module_35(net: torch.Tensor, pool_depth: int, branch_1_scopes, depth: Depth) -> torch.Tensor:
    """64 | 48->64 (5x5) | 64->96->96 | avg-pool->``pool_depth``."""
    with slim.variable_scope("Branch_0"):
        branch_0 = slim.conv2d(net, depth(64), [1, 1], scope="Conv2d_0a_1x1")
    with slim.variable_scope("Branch_1"):
        branch_1 = inception_common.conv_chain(net, [(depth(48), [1, 1], branch_1_scopes[0]),
                                     (depth(64), [5, 5], branch_1_scopes[1])])
    with slim.variable_scope("Branch_2"):
        branch_2 = inception_common.conv_chain(net, [(depth(64), [1, 1], "Conv2d_0a_1x1"), (depth(96), [3, 3], "Conv2d_0b_3x3"),
                                     (depth(96), [3, 3], "Conv2d_0c_3x3")])
    branch_3 = _pool_projection(net, depth(pool_depth))
    return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def _reduction(net: torch.Tensor, towers) -> torch.Tensor:
    """A grid reduction: conv towers ending in a 3x3/2 VALID conv, then a 3x3/2 VALID max-pool branch.

    Args:
      net: the block's input.
      towers: per conv branch, the ``conv_chain`` rows before the strided conv and that conv's
        ``(num_outputs, scope)``.
    """
    branches = []
    for index, (chain, (num_outputs, scope)) in enumerate(towers):
        with slim.variable_scope(f"Branch_{index}"):
            tower = inception_common.conv_chain(net, chain)
            branches.append(slim.conv2d(tower, num_outputs, [3, 3], stride=2, padding="VALID", scope=scope))
    with slim.variable_scope(f"Branch_{len(towers)}"):
        branches.append(slim.max_pool2d(net, [3, 3], stride=2, padding="VALID", scope="MaxPool_1a_3x3"))
    return torch.cat(branches, dim=3)


def _mixed_6a(net: torch.Tensor, depth: Depth) -> torch.Tensor:
    """Reduction to 17x17: 3x3/2 conv | 1x1->3x3->3x3/2 | 3x3/2 max-pool (VALID)."""
    return _reduction(net, [([], (depth(384), "Conv2d_1a_1x1")),
                            ([(depth(64), [1, 1], "Conv2d_0a_1x1"), (depth(96), [3, 3], "Conv2d_0b_3x3")],
                             (depth(96), "Conv2d_1a_1x1"))])


def _module_17(net: torch.Tensor, width: int, depth: Depth) -> torch.Tensor:
    """192 | c->c (1x7)->192 (7x1) | c->c (7x1)->c (1x7)->c (7x1)->192 (1x7) | avg-pool->192."""
    with slim.variable_scope("Branch_0"):
        branch_0 = slim.conv2d(net, depth(192), [1, 1], scope="Conv2d_0a_1x1")
    with slim.variable_scope("Branch_1"):
        branch_1 = inception_common.conv_chain(net, [(depth(width), [1, 1], "Conv2d_0a_1x1"),
                                     (depth(width), [1, 7], "Conv2d_0b_1x7"),
                                     (depth(192), [7, 1], "Conv2d_0c_7x1")])
    with slim.variable_scope("Branch_2"):
        branch_2 = inception_common.conv_chain(net, [(depth(width), [1, 1], "Conv2d_0a_1x1"),
                                     (depth(width), [7, 1], "Conv2d_0b_7x1"),
                                     (depth(width), [1, 7], "Conv2d_0c_1x7"),
                                     (depth(width), [7, 1], "Conv2d_0d_7x1"),
                                     (depth(192), [1, 7], "Conv2d_0e_1x7")])
    branch_3 = _pool_projection(net, depth(192))
    return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def _mixed_7a(net: torch.Tensor, depth: Depth) -> torch.Tensor:
    """Reduction to 8x8: 1x1->3x3/2 | 1x1->1x7->7x1->3x3/2 | 3x3/2 max-pool (VALID)."""
    return _reduction(net, [([(depth(192), [1, 1], "Conv2d_0a_1x1")], (depth(320), "Conv2d_1a_3x3")),
                            ([(depth(192), [1, 1], "Conv2d_0a_1x1"), (depth(192), [1, 7], "Conv2d_0b_1x7"),
                              (depth(192), [7, 1], "Conv2d_0c_7x1")], (depth(192), "Conv2d_1a_3x3"))])


def _module_8(net: torch.Tensor, branch_1_3x1_scope: str, depth: Depth) -> torch.Tensor:
    """320 | 384->[1x3, 3x1] | 448->384 (3x3)->[1x3, 3x1] | avg-pool->192 (the expanded-filter-bank module)."""
    with slim.variable_scope("Branch_0"):
        branch_0 = slim.conv2d(net, depth(320), [1, 1], scope="Conv2d_0a_1x1")
    with slim.variable_scope("Branch_1"):
        branch_1 = slim.conv2d(net, depth(384), [1, 1], scope="Conv2d_0a_1x1")
        branch_1 = inception_common.conv_pair_1x3_3x1(branch_1, depth(384), "Conv2d_0b_1x3", branch_1_3x1_scope)
    with slim.variable_scope("Branch_2"):
        branch_2 = inception_common.conv_chain(net, [(depth(448), [1, 1], "Conv2d_0a_1x1"), (depth(384), [3, 3], "Conv2d_0b_3x3")])
        branch_2 = inception_common.conv_pair_1x3_3x1(branch_2, depth(384), "Conv2d_0c_1x3", "Conv2d_0d_3x1")
    branch_3 = _pool_projection(net, depth(192))
    return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def _stem(depth: Depth) -> List[Tuple[str, Callable]]:
    """The VALID stem up to 35x35, as ``(end point, layer)`` pairs."""
    return [
        ("Conv2d_1a_3x3", lambda x: slim.conv2d(x, depth(32), [3, 3], stride=2, scope="Conv2d_1a_3x3")),
        ("Conv2d_2a_3x3", lambda x: slim.conv2d(x, depth(32), [3, 3], scope="Conv2d_2a_3x3")),
        ("Conv2d_2b_3x3", lambda x: slim.conv2d(x, depth(64), [3, 3], padding="SAME", scope="Conv2d_2b_3x3")),
        ("MaxPool_3a_3x3", lambda x: slim.max_pool2d(x, [3, 3], stride=2, scope="MaxPool_3a_3x3")),
        ("Conv2d_3b_1x1", lambda x: slim.conv2d(x, depth(80), [1, 1], scope="Conv2d_3b_1x1")),
        ("Conv2d_4a_3x3", lambda x: slim.conv2d(x, depth(192), [3, 3], scope="Conv2d_4a_3x3")),
        ("MaxPool_5a_3x3", lambda x: slim.max_pool2d(x, [3, 3], stride=2, scope="MaxPool_5a_3x3")),
    ]


def _mixed_blocks(depth: Depth) -> List[Tuple[str, Callable]]:
    """The inception blocks, as ``(end point, block)`` pairs; each block runs in its own scope."""
    blocks = [(name, lambda x, args=args: _module_35(x, *args, depth)) for name, args in MODULES_35.items()]
    blocks.append(("Mixed_6a", lambda x: _mixed_6a(x, depth)))
    blocks += [(name, lambda x, width=width: _module_17(x, width, depth)) for name, width in MODULES_17.items()]
    blocks.append(("Mixed_7a", lambda x: _mixed_7a(x, depth)))
    blocks += [(name, lambda x, sc=sc: _module_8(x, sc, depth)) for name, sc in MODULES_8.items()]
    return blocks


def inception_v3_base(inputs: torch.Tensor, final_endpoint: str = "Mixed_7c", min_depth: int = 16,
                      depth_multiplier: float = 1.0, scope=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v3 from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, H, W, C]``, at least 75x75 for the whole base.
      final_endpoint: where to stop, one of :data:`BASE_END_POINTS`.
      min_depth: the smallest width of any convolution (binding when ``depth_multiplier < 1``).
      depth_multiplier: multiplies every convolution's width; > 0.
      scope: the variable scope (default ``InceptionV3``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: if ``final_endpoint`` is unknown or ``depth_multiplier <= 0``.
    """
    depth = inception_common.depth_fn(depth_multiplier, min_depth)
    if final_endpoint not in BASE_END_POINTS:
        raise ValueError(f"Unknown final endpoint {final_endpoint}; expected one of {list(BASE_END_POINTS)}")
    end_points: EndPoints = {}
    net = inputs
    with slim.variable_scope(scope, "InceptionV3", [inputs]):
        for padding, stages in (("VALID", _stem(depth)), ("SAME", _mixed_blocks(depth))):
            with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding=padding):
                for name, layer in stages:
                    if name.startswith("Mixed"):
                        with slim.variable_scope(name):
                            net = layer(net)
                    else:
                        net = layer(net)
                    end_points[name] = net
                    if name == final_endpoint:
                        return net, end_points
    raise AssertionError("unreachable: final_endpoint was checked")  # pragma: no cover


def _aux_logits(net: torch.Tensor, num_classes: int, depth: Depth, spatial_squeeze: bool) -> torch.Tensor:
    """The auxiliary classifier on ``Mixed_6e`` (scope ``AuxLogits``): 5x5/3 avg-pool, 1x1, 5x5 VALID, 1x1."""
    with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
        with slim.variable_scope("AuxLogits") as sc:
            aux = slim.avg_pool2d(net, [5, 5], stride=3, padding="VALID", scope="AvgPool_1a_5x5")
            aux = slim.conv2d(aux, depth(128), [1, 1], scope="Conv2d_1b_1x1")
            kernel_size = inception_common.reduced_kernel_size_for_small_input(aux, [5, 5])
            aux = slim.conv2d(aux, depth(768), kernel_size, weights_initializer=trunc_normal(0.01), padding="VALID",
                              scope="Conv2d_2a_{}x{}".format(*kernel_size))
            aux = slim.conv2d(aux, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                              weights_initializer=trunc_normal(0.001), scope="Conv2d_2b_1x1")
            if spatial_squeeze:
                aux = inception_common.squeeze_spatial(aux, sc.name)
            return aux


def inception_v3(inputs: torch.Tensor, num_classes: Optional[int] = 1000, is_training: IsTraining = True,
                 dropout_keep_prob: float = 0.8, min_depth: int = 16, depth_multiplier: float = 1.0,
                 prediction_fn: Callable = slim.softmax, spatial_squeeze: bool = True, reuse=None,
                 create_aux_logits: bool = True, scope: str = "InceptionV3",
                 global_pool: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v3 with its classifier (and auxiliary classifier).

    Args:
      inputs: ``[N, H, W, 3]`` (299x299 by default; at least 75x75, and larger with the
        auxiliary head, whose 5x5/3 pool needs ``Mixed_6e`` to be at least 5x5).
      num_classes, is_training, dropout_keep_prob, min_depth, depth_multiplier, prediction_fn: as
        :func:`torchslim.nets.inception_v2.inception_v2` (0 or None classes: no logits layers).
      spatial_squeeze: logits ``[N, num_classes]`` (else ``[N, 1, 1, num_classes]``); also the
        auxiliary logits.
      reuse: share the variables of ``scope``.
      create_aux_logits: add the ``AuxLogits`` head (only when ``num_classes`` is set).
      scope: the variable scope.
      global_pool: average the last feature map over all of H and W (else an 8x8 window).

    Returns:
      ``(logits, end_points)``; end points are the base's plus ``AuxLogits``, ``AvgPool_1a`` (or
      ``global_pool``), ``PreLogits``, ``Logits`` and ``Predictions``.

    Raises:
      ValueError: if ``depth_multiplier <= 0``, or ``spatial_squeeze`` meets logits that are not 1x1.
    """
    depth = inception_common.depth_fn(depth_multiplier, min_depth)
    with slim.variable_scope(scope, "InceptionV3", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_v3_base(inputs, scope=sc, min_depth=min_depth,
                                                depth_multiplier=depth_multiplier)
            if create_aux_logits and num_classes:
                end_points["AuxLogits"] = _aux_logits(end_points["Mixed_6e"], num_classes, depth, spatial_squeeze)
            logits = inception_common.logits_head(net, end_points, num_classes, [8, 8], global_pool,
                                                  dropout_keep_prob, spatial_squeeze, prediction_fn)
    return logits, end_points


inception_v3.default_image_size = default_image_size

inception_v3_arg_scope = inception_utils.inception_arg_scope
