"""Inception v4, as Slim defines it (tensorflow/models research/slim/nets/inception_v4.py).

Szegedy et al., "Inception-v4, Inception-ResNet and the Impact of Residual Connections on Learning"
(arXiv:1602.07261). Same functions, signatures, defaults, variable names and end points as Slim,
so the Slim zoo's ``inception_v4_2016_09_09`` checkpoint restores by name. NHWC inputs, 299x299
by default. The paper's blocks are public, as in Slim: :func:`block_inception_a`,
:func:`block_reduction_a`, :func:`block_inception_b`, :func:`block_reduction_b`,
:func:`block_inception_c` (each stride 1 and SAME unless noted).

Layout at 299x299:

==============  ================  ===============================================================
end point       output            what
==============  ================  ===============================================================
Conv2d_1a_3x3   149 x 149 x 32    conv 3x3/2 VALID
Conv2d_2a_3x3   147 x 147 x 32    conv 3x3 VALID
Conv2d_2b_3x3   147 x 147 x 64    conv 3x3
Mixed_3a        73 x 73 x 160     3x3/2 max-pool | 3x3/2 conv 96 (VALID)
Mixed_4a        71 x 71 x 192     64->96 (3x3 VALID) | 64->64 (1x7)->64 (7x1)->96 (3x3 VALID)
Mixed_5a        35 x 35 x 384     3x3/2 conv 192 | 3x3/2 max-pool (VALID)
Mixed_5b..5e    35 x 35 x 384     4 x Inception-A: 96 | 64->96 | 64->96->96 | avg-pool->96
Mixed_6a        17 x 17 x 1024    Reduction-A: 384/2 | 192->224->256/2 | max-pool/2
Mixed_6b..6h    17 x 17 x 1024    7 x Inception-B: 384 | 192->224 (1x7)->256 (7x1) |
                                  192->192 (7x1)->224 (1x7)->224 (7x1)->256 (1x7) | avg-pool->128
Mixed_7a        8 x 8 x 1536      Reduction-B: 192->192/2 | 256->256 (1x7)->320 (7x1)->320/2 | max-pool/2
Mixed_7b..7d    8 x 8 x 1536      3 x Inception-C: 256 | 384->[256 (1x3), 256 (3x1)] |
                                  384->448 (3x1)->512 (1x3)->[256 (1x3), 256 (3x1)] | avg-pool->256
==============  ================  ===============================================================

Then the auxiliary head on ``Mixed_6h`` (``AuxLogits``) and the classifier (``Logits``): an
average pool over the whole feature map, dropout, flatten and a fully connected layer.

Example::

    import torchslim as slim
    from torchslim.nets import inception_v4

    with slim.arg_scope(inception_v4.inception_v4_arg_scope()):
        model = slim.Model(inception_v4.inception_v4, num_classes=1001, is_training=False)
    logits, end_points = model(images)                  # images: [N, 299, 299, 3]
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_common, inception_utils

__all__ = ["block_inception_a", "block_reduction_a", "block_inception_b", "block_reduction_b",
           "block_inception_c", "inception_v4_base", "inception_v4", "inception_v4_arg_scope",
           "default_image_size", "BASE_END_POINTS"]

IsTraining = Union[bool, torch.Tensor, None]
EndPoints = Dict[str, torch.Tensor]

default_image_size = 299

BASE_END_POINTS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "Mixed_3a", "Mixed_4a", "Mixed_5a",
                   "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_5e", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                   "Mixed_6e", "Mixed_6f", "Mixed_6g", "Mixed_6h", "Mixed_7a", "Mixed_7b", "Mixed_7c", "Mixed_7d")
"""The end points of :func:`inception_v4_base`, in order (valid ``final_endpoint`` values)."""

_POOLS_AND_CONVS = [slim.conv2d, slim.avg_pool2d, slim.max_pool2d]


def _pool_projection(net: torch.Tensor, num_outputs: int) -> torch.Tensor:
    """``Branch_3`` of the Inception blocks: 3x3 avg-pool -> 1x1."""
    with slim.variable_scope("Branch_3"):
        net = slim.avg_pool2d(net, [3, 3], scope="AvgPool_0a_3x3")
        return slim.conv2d(net, num_outputs, [1, 1], scope="Conv2d_0b_1x1")


def _reducing_max_pool(net: torch.Tensor, branch: str, scope: str = "MaxPool_1a_3x3") -> torch.Tensor:
    """A 3x3/2 VALID max-pool in its own branch scope."""
    with slim.variable_scope(branch):
        return slim.max_pool2d(net, [3, 3], stride=2, padding="VALID", scope=scope)


def block_inception_a(inputs: torch.Tensor, scope=None, reuse=None) -> torch.Tensor:
    """Inception-A (default scope ``BlockInceptionA``): 96 | 64->96 | 64->96->96 | avg-pool->96.

    Args:
      inputs: ``[N, H, W, C]`` (35x35x384 in the net).
      scope: the variable scope.
      reuse: share the variables of ``scope``.

    Returns:
      ``[N, H, W, 384]``.
    """
    with slim.arg_scope(_POOLS_AND_CONVS, stride=1, padding="SAME"):
        with slim.variable_scope(scope, "BlockInceptionA", [inputs], reuse=reuse):
            with slim.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 96, [1, 1], scope="Conv2d_0a_1x1")
            with slim.variable_scope("Branch_1"):
                branch_1 = inception_common.conv_chain(inputs, [(64, [1, 1], "Conv2d_0a_1x1"),
                                                                (96, [3, 3], "Conv2d_0b_3x3")])
            with slim.variable_scope("Branch_2"):
                branch_2 = inception_common.conv_chain(inputs, [(64, [1, 1], "Conv2d_0a_1x1"),
                                                                (96, [3, 3], "Conv2d_0b_3x3"),
                                                                (96, [3, 3], "Conv2d_0c_3x3")])
            branch_3 = _pool_projection(inputs, 96)
            return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def block_reduction_a(inputs: torch.Tensor, scope=None, reuse=None) -> torch.Tensor:
    """Reduction-A (default scope ``BlockReductionA``): 3x3/2 384 | 192->224->256/2 | 3x3/2 max-pool.

    Args: as :func:`block_inception_a`.

    Returns:
      ``[N, (H - 3) // 2 + 1, (W - 3) // 2 + 1, 640 + C]``.
    """
    with slim.arg_scope(_POOLS_AND_CONVS, stride=1, padding="SAME"):
        with slim.variable_scope(scope, "BlockReductionA", [inputs], reuse=reuse):
            with slim.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 384, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            with slim.variable_scope("Branch_1"):
                branch_1 = inception_common.conv_chain(inputs, [(192, [1, 1], "Conv2d_0a_1x1"),
                                                                (224, [3, 3], "Conv2d_0b_3x3")])
                branch_1 = slim.conv2d(branch_1, 256, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            branch_2 = _reducing_max_pool(inputs, "Branch_2")
            return torch.cat([branch_0, branch_1, branch_2], dim=3)


def block_inception_b(inputs: torch.Tensor, scope=None, reuse=None) -> torch.Tensor:
    """Inception-B (default scope ``BlockInceptionB``), the factorised 7x7 block.

    ``384 | 192->224 (1x7)->256 (7x1) | 192->192 (7x1)->224 (1x7)->224 (7x1)->256 (1x7) | avg-pool->128``.

    Args: as :func:`block_inception_a`.

    Returns:
      ``[N, H, W, 1024]``.
    """
    with slim.arg_scope(_POOLS_AND_CONVS, stride=1, padding="SAME"):
        with slim.variable_scope(scope, "BlockInceptionB", [inputs], reuse=reuse):
            with slim.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 384, [1, 1], scope="Conv2d_0a_1x1")
            with slim.variable_scope("Branch_1"):
                branch_1 = inception_common.conv_chain(inputs, [(192, [1, 1], "Conv2d_0a_1x1"),
                                                                (224, [1, 7], "Conv2d_0b_1x7"),
                                                                (256, [7, 1], "Conv2d_0c_7x1")])
            with slim.variable_scope("Branch_2"):
                branch_2 = inception_common.conv_chain(inputs, [(192, [1, 1], "Conv2d_0a_1x1"),
                                                                (192, [7, 1], "Conv2d_0b_7x1"),
                                                                (224, [1, 7], "Conv2d_0c_1x7"),
                                                                (224, [7, 1], "Conv2d_0d_7x1"),
                                                                (256, [1, 7], "Conv2d_0e_1x7")])
            branch_3 = _pool_projection(inputs, 128)
            return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def block_reduction_b(inputs: torch.Tensor, scope=None, reuse=None) -> torch.Tensor:
    """Reduction-B (default scope ``BlockReductionB``): 192->192/2 | 256->256 (1x7)->320 (7x1)->320/2 | max-pool.

    Args: as :func:`block_inception_a`.

    Returns:
      ``[N, (H - 3) // 2 + 1, (W - 3) // 2 + 1, 512 + C]``.
    """
    with slim.arg_scope(_POOLS_AND_CONVS, stride=1, padding="SAME"):
        with slim.variable_scope(scope, "BlockReductionB", [inputs], reuse=reuse):
            with slim.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 192, [1, 1], scope="Conv2d_0a_1x1")
                branch_0 = slim.conv2d(branch_0, 192, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            with slim.variable_scope("Branch_1"):
                branch_1 = inception_common.conv_chain(inputs, [(256, [1, 1], "Conv2d_0a_1x1"),
                                                                (256, [1, 7], "Conv2d_0b_1x7"),
                                                                (320, [7, 1], "Conv2d_0c_7x1")])
                branch_1 = slim.conv2d(branch_1, 320, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
            branch_2 = _reducing_max_pool(inputs, "Branch_2")
            return torch.cat([branch_0, branch_1, branch_2], dim=3)


def block_inception_c(inputs: torch.Tensor, scope=None, reuse=None) -> torch.Tensor:
    """Inception-C (default scope ``BlockInceptionC``), with expanded 1x3 | 3x1 filter banks.

    ``256 | 384->[256 (1x3), 256 (3x1)] | 384->448 (3x1)->512 (1x3)->[256 (1x3), 256 (3x1)] | avg-pool->256``.

    Args: as :func:`block_inception_a`.

    Returns:
      ``[N, H, W, 1536]``.
    """
    with slim.arg_scope(_POOLS_AND_CONVS, stride=1, padding="SAME"):
        with slim.variable_scope(scope, "BlockInceptionC", [inputs], reuse=reuse):
            with slim.variable_scope("Branch_0"):
                branch_0 = slim.conv2d(inputs, 256, [1, 1], scope="Conv2d_0a_1x1")
            with slim.variable_scope("Branch_1"):
                branch_1 = slim.conv2d(inputs, 384, [1, 1], scope="Conv2d_0a_1x1")
                branch_1 = inception_common.conv_pair_1x3_3x1(branch_1, 256, "Conv2d_0b_1x3", "Conv2d_0c_3x1")
            with slim.variable_scope("Branch_2"):
                branch_2 = inception_common.conv_chain(inputs, [(384, [1, 1], "Conv2d_0a_1x1"),
                                                                (448, [3, 1], "Conv2d_0b_3x1"),
                                                                (512, [1, 3], "Conv2d_0c_1x3")])
                branch_2 = inception_common.conv_pair_1x3_3x1(branch_2, 256, "Conv2d_0d_1x3", "Conv2d_0e_3x1")
            branch_3 = _pool_projection(inputs, 256)
            return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=3)


def _mixed_3a(net: torch.Tensor) -> torch.Tensor:
    """3x3/2 max-pool | 3x3/2 conv 96 (VALID)."""
    with slim.variable_scope("Mixed_3a"):
        branch_0 = _reducing_max_pool(net, "Branch_0", scope="MaxPool_0a_3x3")
        with slim.variable_scope("Branch_1"):
            branch_1 = slim.conv2d(net, 96, [3, 3], stride=2, padding="VALID", scope="Conv2d_0a_3x3")
        return torch.cat([branch_0, branch_1], dim=3)


def _mixed_4a(net: torch.Tensor) -> torch.Tensor:
    """64->96 (3x3 VALID) | 64->64 (1x7)->64 (7x1)->96 (3x3 VALID)."""
    with slim.variable_scope("Mixed_4a"):
        with slim.variable_scope("Branch_0"):
            branch_0 = slim.conv2d(net, 64, [1, 1], scope="Conv2d_0a_1x1")
            branch_0 = slim.conv2d(branch_0, 96, [3, 3], padding="VALID", scope="Conv2d_1a_3x3")
        with slim.variable_scope("Branch_1"):
            branch_1 = inception_common.conv_chain(net, [(64, [1, 1], "Conv2d_0a_1x1"), (64, [1, 7], "Conv2d_0b_1x7"),
                                                         (64, [7, 1], "Conv2d_0c_7x1")])
            branch_1 = slim.conv2d(branch_1, 96, [3, 3], padding="VALID", scope="Conv2d_1a_3x3")
        return torch.cat([branch_0, branch_1], dim=3)


def _mixed_5a(net: torch.Tensor) -> torch.Tensor:
    """3x3/2 conv 192 | 3x3/2 max-pool (VALID)."""
    with slim.variable_scope("Mixed_5a"):
        with slim.variable_scope("Branch_0"):
            branch_0 = slim.conv2d(net, 192, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")
        branch_1 = _reducing_max_pool(net, "Branch_1")
        return torch.cat([branch_0, branch_1], dim=3)


def _stages() -> List[Tuple[str, Callable]]:
    """The base network as ``(end point, layer)`` pairs, in order (see the module's table)."""
    def repeated(prefix: str, count: int, block: Callable) -> List[Tuple[str, Callable]]:
        names = [prefix + chr(ord("b") + index) for index in range(count)]
        return [(name, lambda x, name=name: block(x, name)) for name in names]

    return [
        ("Conv2d_1a_3x3", lambda x: slim.conv2d(x, 32, [3, 3], stride=2, padding="VALID", scope="Conv2d_1a_3x3")),
        ("Conv2d_2a_3x3", lambda x: slim.conv2d(x, 32, [3, 3], padding="VALID", scope="Conv2d_2a_3x3")),
        ("Conv2d_2b_3x3", lambda x: slim.conv2d(x, 64, [3, 3], scope="Conv2d_2b_3x3")),
        ("Mixed_3a", _mixed_3a),
        ("Mixed_4a", _mixed_4a),
        ("Mixed_5a", _mixed_5a),
        *repeated("Mixed_5", 4, block_inception_a),
        ("Mixed_6a", lambda x: block_reduction_a(x, "Mixed_6a")),
        *repeated("Mixed_6", 7, block_inception_b),
        ("Mixed_7a", lambda x: block_reduction_b(x, "Mixed_7a")),
        *repeated("Mixed_7", 3, block_inception_c),
    ]


def inception_v4_base(inputs: torch.Tensor, final_endpoint: str = "Mixed_7d",
                      scope=None) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v4 from the inputs up to ``final_endpoint``.

    Args:
      inputs: ``[N, H, W, C]``, at least 75x75 for the whole base.
      final_endpoint: where to stop, one of :data:`BASE_END_POINTS`.
      scope: the variable scope (default ``InceptionV4``), a name or a scope to re-enter.

    Returns:
      ``(net, end_points)``: the ``final_endpoint`` tensor and the end points up to it.

    Raises:
      ValueError: if ``final_endpoint`` is unknown.
    """
    if final_endpoint not in BASE_END_POINTS:
        raise ValueError(f"Unknown final endpoint {final_endpoint}; expected one of {list(BASE_END_POINTS)}")
    with slim.variable_scope(scope, "InceptionV4", [inputs]):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
            return inception_common.run_stages(inputs, _stages(), final_endpoint)


def _aux_logits(net: torch.Tensor, num_classes: int) -> torch.Tensor:
    """The auxiliary classifier on ``Mixed_6h`` (scope ``AuxLogits``): 5x5/3 avg-pool, 1x1, full-size conv, fc."""
    with slim.variable_scope("AuxLogits"):
        aux = slim.avg_pool2d(net, [5, 5], stride=3, padding="VALID", scope="AvgPool_1a_5x5")
        aux = slim.conv2d(aux, 128, [1, 1], scope="Conv2d_1b_1x1")
        aux = slim.conv2d(aux, 768, list(aux.shape[1:3]), padding="VALID", scope="Conv2d_2a")
        aux = slim.flatten(aux)
        return slim.fully_connected(aux, num_classes, activation_fn=None, scope="Aux_logits")


def _logits(net: torch.Tensor, end_points: EndPoints, num_classes: Optional[int],
            dropout_keep_prob: float) -> torch.Tensor:
    """The classifier (scope ``Logits``): whole-map avg-pool, dropout, flatten, fc; adds the end points."""
    with slim.variable_scope("Logits"):
        net = slim.avg_pool2d(net, list(net.shape[1:3]), padding="VALID", scope="AvgPool_1a")
        end_points["global_pool"] = net
        if not num_classes:
            return net
        net = slim.dropout(net, dropout_keep_prob, scope="Dropout_1b")
        net = slim.flatten(net, scope="PreLogitsFlatten")
        end_points["PreLogitsFlatten"] = net
        logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="Logits")
        end_points["Logits"] = logits
        end_points["Predictions"] = slim.nn.softmax(logits)
        return logits


def inception_v4(inputs: torch.Tensor, num_classes: Optional[int] = 1001, is_training: IsTraining = True,
                 dropout_keep_prob: float = 0.8, reuse=None, scope: str = "InceptionV4",
                 create_aux_logits: bool = True) -> Tuple[torch.Tensor, EndPoints]:
    """Builds Inception v4 with its classifier (and auxiliary classifier).

    Args:
      inputs: ``[N, H, W, 3]`` (299x299 by default; any size from 75x75 without the auxiliary
        head, whose 5x5/3 pool needs ``Mixed_6h`` to be at least 5x5, i.e. inputs from 107x107).
      num_classes: number of classes; 0 or None omits the logits layers and returns the global
        pool (before dropout).
      is_training: BatchNorm and dropout mode: a bool, a 0-d bool tensor, or None to follow
        ``model.train()`` / ``model.eval()``.
      dropout_keep_prob: keep probability of the dropout before the logits.
      reuse: share the variables of ``scope``.
      scope: the variable scope.
      create_aux_logits: add the ``AuxLogits`` head (only when ``num_classes`` is set).

    Returns:
      ``(logits, end_points)``: ``[N, num_classes]`` logits, or the ``[N, 1, 1, 1536]`` global pool
      when ``num_classes`` is 0 or None; end points are the base's plus ``AuxLogits``,
      ``global_pool``, ``PreLogitsFlatten``, ``Logits`` and ``Predictions`` (softmax).
    """
    with slim.variable_scope(scope, "InceptionV4", [inputs], reuse=reuse) as sc:
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            net, end_points = inception_v4_base(inputs, scope=sc)
            with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
                if create_aux_logits and num_classes:
                    end_points["AuxLogits"] = _aux_logits(end_points["Mixed_6h"], num_classes)
                logits = _logits(net, end_points, num_classes, dropout_keep_prob)
    return logits, end_points


inception_v4.default_image_size = default_image_size

inception_v4_arg_scope = inception_utils.inception_arg_scope
