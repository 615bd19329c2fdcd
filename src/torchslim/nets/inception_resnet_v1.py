"""Inception-ResNet-v1 as facenet defines it, for face embeddings.

A port of davidsandberg/facenet ``src/models/inception_resnet_v1.py`` (@096ed77): the same functions,
signatures, defaults, variable names (``InceptionResnetV1/Repeat/block35_1/Branch_0/Conv2d_1x1/weights``,
...) and end points, so facenet's released checkpoints restore by name. Paper: Szegedy et al.,
arXiv:1602.07261. Inputs are NHWC images (facenet trains on 160x160, "fixed image standardisation"
``(x - 127.5) / 128``).

The net returns the *prelogits* (the ``Bottleneck`` output); facenet's face embedding is their L2
normalisation, :func:`embeddings`. With ``bottleneck_layer_size=512`` the model has 490 variables:
no BatchNorm ``gamma`` anywhere, and the moving statistics (buffers here) are also listed in
``TRAINABLE_VARIABLES`` as in facenet, where that is how they reach the checkpoints.

Example::

    import torchslim as slim
    from torchslim.nets import inception_resnet_v1

    model = slim.Model(inception_resnet_v1.inference, keep_probability=1.0, phase_train=False,
                       bottleneck_layer_size=512)
    prelogits, end_points = model(images)              # images: [N, 160, 160, 3]
    emb = inception_resnet_v1.embeddings(prelogits)    # unit rows, [N, 512]
"""

from __future__ import annotations

import contextlib
from typing import Dict, Iterator, Tuple, Union

import torch

import torchslim as slim
from torchslim.nets import inception_resnet_utils as irb
from torchslim.nets.inception_resnet_utils import Activation

__all__ = ["block35", "block17", "block8", "reduction_a", "reduction_b", "inception_resnet_v1", "inference",
           "inception_resnet_v1_arg_scope", "embeddings"]

IsTraining = Union[bool, torch.Tensor, None]

# Branch widths of the three residual blocks (see inception_resnet_utils for the layouts).
BLOCK35_DEPTHS = (32, (32, 32), (32, 32, 32))
BLOCK17_DEPTHS = (128, (128, 128, 128))
BLOCK8_DEPTHS = (192, (192, 192, 192))


def block35(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
            reuse=None) -> torch.Tensor:
    """Inception-ResNet-A, the 35x35 block of the paper (17x17 at 160x160): 32 | 32->32 | 32->32->32.

    Args:
      net: ``[N, H, W, 256]``.
      scale: the residual scale (facenet: 0.17).
      activation_fn: applied after the residual sum, or None.
      scope: the variable scope (default ``Block35``, made unique).
      reuse: share the variables of ``scope``.

    Returns:
      ``[N, H, W, 256]``.
    """
    return irb.block35(net, BLOCK35_DEPTHS, scale, activation_fn, scope, reuse)


def block17(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
            reuse=None) -> torch.Tensor:
    """Inception-ResNet-B, the 17x17 block: 128 | 128->128 (1x7)->128 (7x1).

    Args: as :func:`block35` (facenet's scale: 0.10); ``net`` is ``[N, H, W, 896]``.

    Returns:
      ``[N, H, W, 896]``.
    """
    return irb.block17(net, BLOCK17_DEPTHS, scale, activation_fn, scope, reuse)


def block8(net: torch.Tensor, scale: float = 1.0, activation_fn: Activation = slim.nn.relu, scope=None,
           reuse=None) -> torch.Tensor:
    """Inception-ResNet-C, the 8x8 block: 192 | 192->192 (1x3)->192 (3x1).

    Args: as :func:`block35` (facenet's scale: 0.20); ``net`` is ``[N, H, W, 1792]``.

    Returns:
      ``[N, H, W, 1792]``.
    """
    return irb.block8(net, BLOCK8_DEPTHS, scale, activation_fn, scope, reuse)


def reduction_a(net: torch.Tensor, k: int, l: int, m: int, n: int) -> torch.Tensor:
    """Reduction-A with the paper's ``k, l, m, n`` widths (facenet calls it with 192, 192, 256, 384).

    Args:
      net: ``[N, H, W, C]``.
      k, l, m, n: tower widths.

    Returns:
      ``[N, (H-3)//2+1, (W-3)//2+1, n + m + C]``.
    """
    return irb.reduction_a(net, k, l, m, n)


def reduction_b(net: torch.Tensor) -> torch.Tensor:
    """Reduction-B: 256->384/2 | 256->256/2 | 256->256->256/2 | max-pool/2.

    Args:
      net: ``[N, H, W, C]``.

    Returns:
      ``[N, (H-3)//2+1, (W-3)//2+1, 896 + C]``.
    """
    return irb.reduction_b(net, (384, 256, (256, 256)))


def inception_resnet_v1(inputs: torch.Tensor, is_training: IsTraining = True, dropout_keep_prob: float = 0.8,
                        bottleneck_layer_size: int = 128, reuse=None,
                        scope: str = "InceptionResnetV1") -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """Builds facenet's Inception-ResNet-v1 up to the ``Bottleneck`` layer.

    Call it inside :func:`inception_resnet_v1_arg_scope` (or use :func:`inference`): facenet's
    BatchNorm, initialiser and weight decay come from there.

    Args:
      inputs: ``[N, H, W, 3]`` images (facenet: 160x160).
      is_training: BatchNorm and dropout mode: a bool, a 0-d bool tensor (facenet's ``phase_train``
        placeholder), or None to follow ``model.train()`` / ``model.eval()``.
      dropout_keep_prob: keep probability of the dropout before the bottleneck.
      bottleneck_layer_size: the embedding size (facenet's released models: 512).
      reuse: share the variables of ``scope`` (e.g. a second tower in the same model).
      scope: the variable scope.

    Returns:
      ``(prelogits, end_points)``: the ``[N, bottleneck_layer_size]`` bottleneck output (not
      normalised, see :func:`embeddings`) and facenet's 15 end points, ``Conv2d_1a_3x3`` ...
      ``PrePool``, ``PreLogitsFlatten``.
    """
    end_points: Dict[str, torch.Tensor] = {}
    with slim.variable_scope(scope, "InceptionResnetV1", [inputs], reuse=reuse):
        with slim.arg_scope([slim.batch_norm, slim.dropout], is_training=is_training):
            with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.avg_pool2d], stride=1, padding="SAME"):
                net = _stem(inputs, end_points)
                net = slim.repeat(net, 5, block35, scale=0.17)
                end_points["Mixed_5a"] = net
                with slim.variable_scope("Mixed_6a"):
                    net = reduction_a(net, 192, 192, 256, 384)
                end_points["Mixed_6a"] = net
                net = slim.repeat(net, 10, block17, scale=0.10)
                end_points["Mixed_6b"] = net
                with slim.variable_scope("Mixed_7a"):
                    net = reduction_b(net)
                end_points["Mixed_7a"] = net
                net = slim.repeat(net, 5, block8, scale=0.20)
                end_points["Mixed_8a"] = net
                net = block8(net, activation_fn=None)
                end_points["Mixed_8b"] = net
                net = _pre_logits(net, dropout_keep_prob, is_training, end_points)
                net = slim.fully_connected(net, bottleneck_layer_size, activation_fn=None, scope="Bottleneck",
                                           reuse=False)
    return net, end_points


inception_resnet_v1.default_image_size = 160


def _stem(inputs: torch.Tensor, end_points: Dict[str, torch.Tensor]) -> torch.Tensor:
    """The stem, 160x160x3 -> 17x17x256 (299 -> 35), recording each layer as an end point."""
    net = slim.conv2d(inputs, 32, 3, stride=2, padding="VALID", scope="Conv2d_1a_3x3")
    end_points["Conv2d_1a_3x3"] = net
    net = slim.conv2d(net, 32, 3, padding="VALID", scope="Conv2d_2a_3x3")
    end_points["Conv2d_2a_3x3"] = net
    net = slim.conv2d(net, 64, 3, scope="Conv2d_2b_3x3")
    end_points["Conv2d_2b_3x3"] = net
    net = slim.max_pool2d(net, 3, stride=2, padding="VALID", scope="MaxPool_3a_3x3")
    end_points["MaxPool_3a_3x3"] = net
    net = slim.conv2d(net, 80, 1, padding="VALID", scope="Conv2d_3b_1x1")
    end_points["Conv2d_3b_1x1"] = net
    net = slim.conv2d(net, 192, 3, padding="VALID", scope="Conv2d_4a_3x3")
    end_points["Conv2d_4a_3x3"] = net
    net = slim.conv2d(net, 256, 3, stride=2, padding="VALID", scope="Conv2d_4b_3x3")
    end_points["Conv2d_4b_3x3"] = net
    return net


def _pre_logits(net: torch.Tensor, dropout_keep_prob: float, is_training: IsTraining,
                end_points: Dict[str, torch.Tensor]) -> torch.Tensor:
    """``Logits`` scope: global average pool (``AvgPool_1a_8x8``), flatten, dropout."""
    with slim.variable_scope("Logits"):
        end_points["PrePool"] = net
        net = slim.avg_pool2d(net, tuple(net.shape[1:3]), padding="VALID", scope="AvgPool_1a_8x8")
        net = slim.flatten(net)
        net = slim.dropout(net, dropout_keep_prob, is_training=is_training, scope="Dropout")
        end_points["PreLogitsFlatten"] = net
    return net


@contextlib.contextmanager
def _facenet_scope(weight_decay: float) -> Iterator[dict]:
    """facenet's defaults for conv2d and fully_connected, added to the active arg_scope."""
    batch_norm_params = {
        "decay": 0.995,
        "epsilon": 0.001,
        # TF: force in-place updates; torchslim always updates in place in training calls.
        "updates_collections": None,
        # TF: how the moving statistics reach facenet's checkpoints; here they stay buffers, listed
        # in TRAINABLE_VARIABLES as in facenet.
        "variables_collections": [slim.GraphKeys.TRAINABLE_VARIABLES],
    }
    with slim.arg_scope([slim.conv2d, slim.fully_connected],
                        weights_initializer=slim.initializers.xavier_initializer(),
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        normalizer_fn=slim.batch_norm,
                        normalizer_params=batch_norm_params) as sc:
        yield sc


def inception_resnet_v1_arg_scope(weight_decay: float = 0.0) -> dict:
    """facenet's arg_scope (what :func:`inference` uses), for ``slim.arg_scope(...)`` and the nets factory.

    BatchNorm with decay 0.995, epsilon 0.001, no ``gamma``; Xavier (Glorot uniform) weights; L2
    weight decay on the weights (``weight_decay == 0`` adds no loss).

    Args:
      weight_decay: the L2 regularisation scale.

    Returns:
      An arg_scope dict; entering it replaces the active arg_scope.
    """
    with _facenet_scope(weight_decay) as sc:
        return sc


def inference(images: torch.Tensor, keep_probability: float, phase_train: IsTraining = True,
              bottleneck_layer_size: int = 128, weight_decay: float = 0.0,
              reuse=None) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """facenet's entry point: :func:`inception_resnet_v1` in facenet's arg_scope.

    Args:
      images: ``[N, H, W, 3]``.
      keep_probability: dropout keep probability.
      phase_train: the training switch (bool, 0-d bool tensor, or None to follow the model's mode).
      bottleneck_layer_size: the embedding size.
      weight_decay: L2 regularisation scale of the weights.
      reuse: share the variables of an earlier call in the same model.

    Returns:
      ``(prelogits, end_points)`` as :func:`inception_resnet_v1`.
    """
    with _facenet_scope(weight_decay):
        return inception_resnet_v1(images, is_training=phase_train, dropout_keep_prob=keep_probability,
                                   bottleneck_layer_size=bottleneck_layer_size, reuse=reuse)


def embeddings(prelogits: torch.Tensor) -> torch.Tensor:
    """facenet's face embeddings: ``tf.nn.l2_normalize(prelogits, 1, 1e-10)``.

    Args:
      prelogits: ``[N, D]``, the output of :func:`inference`.

    Returns:
      ``[N, D]`` rows of unit L2 norm.
    """
    return slim.nn.l2_normalize(prelogits, 1, 1e-10)
