"""Slim's ``preprocessing_factory``: the preprocessing of a net (or of a preprocessing name).

The name map is upstream's newest (34 names), including nets torchslim has not built yet (their
preprocessing works already), plus torchslim's own nets (:data:`TORCHSLIM_NETS`): the ResNet depths 18
and 34 with their family's (vgg), facenet's ``inception_resnet_v1`` with inception, and the small
32x32 ResNets (``resnet_v2_digits``, ``resnet_v1_small``, ``resnet_v2_small``) with CIFAR-10's
``cifarnet`` preprocessing, which suits small images of any channel count.
``get_preprocessing(name, is_training)(image, output_height, output_width, **kwargs)``.
"""

from __future__ import annotations

from typing import Callable

import torch

from . import cifarnet_preprocessing, inception_preprocessing, lenet_preprocessing, vgg_preprocessing

__all__ = ["get_preprocessing", "preprocessing_fn_map", "UPSTREAM_NAMES", "TORCHSLIM_NETS"]

_INCEPTION_NETS = ("inception", "inception_v1", "inception_v2", "inception_v3", "inception_v4",
                   "inception_resnet_v2", "mobilenet_v1", "mobilenet_v2", "mobilenet_v2_035", "mobilenet_v3_small",
                   "mobilenet_v3_large", "mobilenet_v3_small_minimalistic", "mobilenet_v3_large_minimalistic",
                   "mobilenet_edgetpu", "mobilenet_edgetpu_075", "mobilenet_v2_140", "nasnet_mobile",
                   "nasnet_large", "pnasnet_mobile", "pnasnet_large")
_VGG_NETS = ("resnet_v1_50", "resnet_v1_101", "resnet_v1_152", "resnet_v1_200", "resnet_v2_50", "resnet_v2_101",
             "resnet_v2_152", "resnet_v2_200", "vgg", "vgg_a", "vgg_16", "vgg_19")

_UPSTREAM = {
    "cifarnet": cifarnet_preprocessing,
    "lenet": lenet_preprocessing,
    **{name: inception_preprocessing for name in _INCEPTION_NETS},
    **{name: vgg_preprocessing for name in _VGG_NETS},
}
#: The names of upstream's ``preprocessing_fn_map``.
UPSTREAM_NAMES = tuple(_UPSTREAM)

#: torchslim's nets that upstream's map does not name, with the preprocessing they get (append new lines).
TORCHSLIM_NETS = {
    **{f"resnet_v{v}_{depth}": vgg_preprocessing for v in (1, 2) for depth in (18, 34)},
    "inception_resnet_v1": inception_preprocessing,
    **{name: cifarnet_preprocessing for name in ("resnet_v2_digits", "resnet_v1_small", "resnet_v2_small")},
}

preprocessing_fn_map = {**_UPSTREAM, **TORCHSLIM_NETS}


def get_preprocessing(name: str, is_training: bool = False, use_grayscale: bool = False) -> Callable[..., torch.Tensor]:
    """``preprocessing_fn(image, output_height, output_width, **kwargs)`` for ``name``.

    Args:
      name: a net name or ``cifarnet``, ``inception``, ``lenet``, ``vgg``.
      is_training: training (random) or evaluation preprocessing.
      use_grayscale: convert images to grey.

    Raises:
      ValueError: if ``name`` is not in the map.
    """
    if name not in preprocessing_fn_map:
        raise ValueError(f"Preprocessing name [{name}] was not recognized (known: "
                         f"{', '.join(sorted(preprocessing_fn_map))})")
    module = preprocessing_fn_map[name]

    def preprocessing_fn(image, output_height: int, output_width: int, **kwargs) -> torch.Tensor:
        return module.preprocess_image(image, output_height, output_width, is_training=is_training,
                                       use_grayscale=use_grayscale, **kwargs)

    return preprocessing_fn
