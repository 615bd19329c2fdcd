"""The nets the training job can build: every ``nets_factory`` name plus small ResNets for small images.

``resnet_v2_digits`` (the default of ``torchslim train``) is a Slim ResNet v2 built with the real
``resnet_v2.resnet_v2`` builder, root block and pre-activation basic units, sized for 32x32 inputs on
a laptop CPU: root block (7x7/2 conv, 3x3/2 max pool), then ``block1`` (32, /2), ``block2`` (64, /2),
``block3`` (128), two units each; ``postnorm``, global pooling and the ``logits`` convolution.
About 0.7M parameters.

``resnet_v1_small`` and ``resnet_v2_small`` are the tiny nets of TF-Slim's own ``resnet_v1_test.py`` /
``resnet_v2_test.py`` (``_resnet_small``: bottleneck blocks of base depth 1, 2, 4, 8 with 3, 3, 3, 2
units and strides 2, 2, 2, 1), under the same scopes, so checkpoints TF-Slim wrote for them (the
golden fixtures) fine-tune here by name.
"""

from __future__ import annotations

from typing import Callable, Dict, Optional

from torchslim.arg_scope import arg_scope
from torchslim.model import Model

__all__ = ["SMALL_NETS", "resnet_v2_digits", "create_model", "default_image_size", "list_models"]


def resnet_v2_digits(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                     output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                     scope: str = "resnet_v2_digits"):
    """A small ResNet v2 (basic units, depths 32-64-128) for small images; see the module docstring.

    Arguments and returns as :func:`torchslim.nets.resnet_v2.resnet_v2`.
    """
    from torchslim.nets import resnet_v2

    blocks = [resnet_v2.resnet_v2_basic_block("block1", base_depth=32, num_units=2, stride=2),
              resnet_v2.resnet_v2_basic_block("block2", base_depth=64, num_units=2, stride=2),
              resnet_v2.resnet_v2_basic_block("block3", base_depth=128, num_units=2, stride=1)]
    return resnet_v2.resnet_v2(inputs, blocks, num_classes, is_training=is_training, global_pool=global_pool,
                               output_stride=output_stride, include_root_block=True,
                               spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


resnet_v2_digits.default_image_size = 32


def _small_blocks(block_fn: Callable) -> list:
    """``_resnet_small``'s blocks: base depths 1, 2, 4, 8; 3, 3, 3, 2 units; strides 2, 2, 2, 1."""
    return [block_fn(f"block{i + 1}", base_depth=depth, num_units=units, stride=stride)
            for i, (depth, units, stride) in enumerate(zip((1, 2, 4, 8), (3, 3, 3, 2), (2, 2, 2, 1)))]


def resnet_v1_small(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                    output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                    scope: str = "resnet_v1_small"):
    """TF-Slim's test net ``_resnet_small`` on ``resnet_v1.resnet_v1``; arguments and returns as that builder."""
    from torchslim.nets import resnet_v1

    return resnet_v1.resnet_v1(inputs, _small_blocks(resnet_v1.resnet_v1_block), num_classes,
                               is_training=is_training, global_pool=global_pool, output_stride=output_stride,
                               include_root_block=True, spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


def resnet_v2_small(inputs, num_classes: Optional[int] = None, is_training=True, global_pool: bool = True,
                    output_stride: Optional[int] = None, spatial_squeeze: bool = True, reuse=None,
                    scope: str = "resnet_v2_small"):
    """TF-Slim's test net ``_resnet_small`` on ``resnet_v2.resnet_v2``; arguments and returns as that builder."""
    from torchslim.nets import resnet_v2

    return resnet_v2.resnet_v2(inputs, _small_blocks(resnet_v2.resnet_v2_block), num_classes,
                               is_training=is_training, global_pool=global_pool, output_stride=output_stride,
                               include_root_block=True, spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)


resnet_v1_small.default_image_size = resnet_v2_small.default_image_size = 32

#: name -> network function (built in ``resnet_arg_scope`` with a batch-norm decay of 0.9)
SMALL_NETS: Dict[str, Callable] = {"resnet_v2_digits": resnet_v2_digits, "resnet_v1_small": resnet_v1_small,
                                   "resnet_v2_small": resnet_v2_small}


def list_models() -> list:
    """Every name :func:`create_model` accepts."""
    from torchslim.nets import nets_factory

    return sorted(SMALL_NETS) + nets_factory.list_networks()


def default_image_size(name: str) -> int:
    """The net's default input size (224 for the ImageNet nets, 32 for the small nets).

    Raises:
      ValueError: for an unknown name.
    """
    if name in SMALL_NETS:
        return SMALL_NETS[name].default_image_size
    from torchslim.nets import nets_factory

    if name not in nets_factory.networks_map:
        raise ValueError(f"--model_name: unknown net {name!r}; choose from {', '.join(list_models())}")
    return getattr(nets_factory.networks_map[name], "default_image_size", 224)


def create_model(name: str, num_classes: int, weight_decay: float = 0.0, **kwargs) -> Model:
    """A ``slim.Model`` for net ``name`` in its arg scope (``is_training`` follows train()/eval()).

    Args:
      name: a :func:`list_models` name.
      num_classes: classes of the logits layer.
      weight_decay: L2 coefficient of the weights (in ``model.regularization_losses()``).
      **kwargs: more arguments bound into the network function.

    Returns:
      The (unbuilt) model.

    Raises:
      ValueError: naming the choices for an unknown name.
    """
    from torchslim.nets import nets_factory, resnet_v2

    if name in SMALL_NETS:
        with arg_scope(resnet_v2.resnet_arg_scope(weight_decay=weight_decay, batch_norm_decay=0.9)):
            return Model(SMALL_NETS[name], num_classes=num_classes, is_training=None, **kwargs)
    if name not in nets_factory.networks_map:
        raise ValueError(f"--model_name: unknown net {name!r}; choose from {', '.join(list_models())}")
    return nets_factory.create(name, num_classes=num_classes, weight_decay=weight_decay, is_training=None,
                               **kwargs)
