"""CycleGAN's ResNet generator (``research/slim/nets/cyclegan.py``).

Zhu, Park, Isola and Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
Adversarial Networks" (2017), following the authors' Lua ``architectures.lua``. Same signatures,
defaults, variable names and end points as TF-Slim; NHWC inputs with height and width multiples of 4.

==================  ========================================================================
end point           layer
==================  ========================================================================
encoder_0           ``input``: reflect pad 3, conv 7x7 VALID, instance norm, ReLU
encoder_1, _2       ``encoder``: reflect pad, conv ``kernel_size``/2 VALID (2x, 4x filters)
resnet_block_<i>    ``residual_blocks/block_<i>``: x + conv(ReLU(conv(x))), reflect-padded
decoder1, 2         ``decoder/decoder<i>/upconv``: :func:`cyclegan_upsample` x2 (2x, 1x filters)
logits              ``output``: reflect pad 3, conv 7x7 VALID, linear, the input's shape
predictions         tanh(logits) + tanh_linear_slope * logits
==================  ========================================================================

Example::

    model = slim.Model(cyclegan.cyclegan_generator_resnet, num_resnet_blocks=6)
    predictions, end_points = model(images)            # images: [N, 256, 256, 3]
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple, Union

import torch

import torchslim as slim
from torchslim.ops import image as image_ops, padding as pad_ops

__all__ = ["cyclegan_arg_scope", "cyclegan_upsample", "cyclegan_generator_resnet"]

EndPoints = Dict[str, torch.Tensor]


def cyclegan_arg_scope(instance_norm_center: bool = True, instance_norm_scale: bool = True,
                       instance_norm_epsilon: float = 0.001, weights_init_stddev: float = 0.02,
                       weight_decay: float = 0.0) -> dict:
    """Instance norm, N(0, ``weights_init_stddev``) weights and optional L2 decay for every ``conv2d``.

    Args:
      instance_norm_center, instance_norm_scale, instance_norm_epsilon: the instance norm's options.
      weights_init_stddev: standard deviation of the kernels' initial values.
      weight_decay: L2 weight decay of the kernels; 0 for none.

    Returns:
      An arg scope.
    """
    instance_norm_params = {"center": instance_norm_center, "scale": instance_norm_scale,
                            "epsilon": instance_norm_epsilon}
    weights_regularizer = slim.l2_regularizer(weight_decay) if weight_decay and weight_decay > 0.0 else None
    with slim.arg_scope([slim.conv2d], normalizer_fn=slim.instance_norm, normalizer_params=instance_norm_params,
                        weights_initializer=slim.initializers.random_normal_initializer(0, weights_init_stddev),
                        weights_regularizer=weights_regularizer) as sc:
        return sc


def _reflect(net: torch.Tensor, pads: Sequence[Sequence[int]], mode: str = "REFLECT") -> torch.Tensor:
    """``tf.pad`` of the spatial dimensions of an NHWC tensor by ``pads`` = ``[[top, bottom], [left, right]]``."""
    return pad_ops.pad(net, [[0, 0], *pads, [0, 0]], mode)


def cyclegan_upsample(net: torch.Tensor, num_outputs: int, stride: Sequence[int], method: str = "conv2d_transpose",
                      pad_mode: str = "REFLECT", align_corners: bool = False) -> torch.Tensor:
    """Upsamples ``net`` by ``stride`` in scope ``upconv``.

    Args:
      net: ``[N, H, W, C]``.
      num_outputs: output channels.
      stride: ``[height factor, width factor]``.
      method: ``'nn_upsample_conv'`` / ``'bilinear_upsample_conv'`` (TF1 nearest / bilinear resize,
        ``pad_mode`` pad 1, 3x3 VALID convolution) or ``'conv2d_transpose'`` (3x3 VALID transposed
        convolution, first row and column dropped: conv2d is left- and conv2d_transpose right-aligned).
      pad_mode: ``tf.pad``'s mode for the resize methods.
      align_corners: of the bilinear resize.

    Returns:
      ``[N, H * stride[0], W * stride[1], num_outputs]``.

    Raises:
      ValueError: an unknown ``method``.
    """
    with slim.variable_scope("upconv"):
        height, width = net.shape[1], net.shape[2]
        size = [stride[0] * height, stride[1] * width]
        if method == "nn_upsample_conv":
            net = _reflect(image_ops.resize_nearest_neighbor(net, size), [[1, 1], [1, 1]], pad_mode)
            return slim.conv2d(net, num_outputs, kernel_size=[3, 3], padding="valid")
        if method == "bilinear_upsample_conv":
            net = image_ops.resize_bilinear(net, size, align_corners=align_corners)
            net = _reflect(net, [[1, 1], [1, 1]], pad_mode)
            return slim.conv2d(net, num_outputs, kernel_size=[3, 3], padding="valid")
        if method == "conv2d_transpose":
            net = slim.conv2d_transpose(net, num_outputs, kernel_size=[3, 3], stride=stride, padding="valid")
            return net[:, 1:, 1:, :]
        raise ValueError(f"Unknown method: [{method}]")


def _dynamic_or_static_shape(tensor: torch.Tensor) -> List[int]:
    """The tensor's shape (eager shapes are always known)."""
    return list(tensor.shape)


def _kernel_paddings(kernel_size: Sequence[int]) -> List[List[int]]:
    """Spatial pads that make a stride-1 VALID convolution keep the size (the extra cell after)."""
    return [[(k - 1) // 2, k // 2] for k in kernel_size]


def _check_input_size(images: torch.Tensor) -> None:
    height, width = images.shape[1], images.shape[2]
    if height % 4 != 0:
        raise ValueError("The input height must be a multiple of 4.")
    if width % 4 != 0:
        raise ValueError("The input width must be a multiple of 4.")


def cyclegan_generator_resnet(images: torch.Tensor, arg_scope_fn: Callable = cyclegan_arg_scope,
                              num_resnet_blocks: int = 6, num_filters: int = 64,
                              upsample_fn: Callable = cyclegan_upsample, kernel_size: Union[int, Sequence[int]] = 3,
                              tanh_linear_slope: float = 0.0,
                              is_training: bool = False) -> Tuple[torch.Tensor, EndPoints]:
    """The CycleGAN ResNet generator.

    Args:
      images: ``[N, H, W, C]`` with ``H`` and ``W`` multiples of 4.
      arg_scope_fn: makes the network's arg scope.
      num_resnet_blocks: residual blocks in the middle.
      num_filters: filters of the first layer (then 2x, 4x).
      upsample_fn: the decoder's upsampling, called as ``upsample_fn(net, num_outputs=, stride=)``.
      kernel_size: an int or ``[h, w]``, of every inner convolution.
      tanh_linear_slope: slope of the linear term added to tanh(logits).
      is_training: unused (no dropout, no batch norm).

    Returns:
      ``(predictions [N, H, W, C], end_points)``.

    Raises:
      ValueError: a height or width not a multiple of 4.
    """
    del is_training
    end_points: EndPoints = {}
    _check_input_size(images)
    num_outputs = images.shape[3]
    kernel_size = list(kernel_size) if isinstance(kernel_size, (list, tuple)) else [kernel_size, kernel_size]
    paddings = _kernel_paddings(kernel_size)
    with slim.arg_scope(arg_scope_fn()):
        with slim.variable_scope("input"):  # 7x7 input stage
            net = slim.conv2d(_reflect(images, [[3, 3], [3, 3]]), num_filters, kernel_size=[7, 7], padding="VALID")
            end_points["encoder_0"] = net
        with slim.variable_scope("encoder"):
            with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=2, activation_fn=slim.nn.relu,
                                padding="VALID"):
                net = slim.conv2d(_reflect(net, paddings), num_filters * 2)
                end_points["encoder_1"] = net
                net = slim.conv2d(_reflect(net, paddings), num_filters * 4)
                end_points["encoder_2"] = net
        with slim.variable_scope("residual_blocks"):
            with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=1, activation_fn=slim.nn.relu,
                                padding="VALID"):
                for block_id in range(num_resnet_blocks):
                    with slim.variable_scope("block_{}".format(block_id)):
                        res_net = slim.conv2d(_reflect(net, paddings), num_filters * 4)
                        res_net = slim.conv2d(_reflect(res_net, paddings), num_filters * 4, activation_fn=None)
                        net = net + res_net
                        end_points["resnet_block_%d" % block_id] = net
        with slim.variable_scope("decoder"):
            with slim.arg_scope([slim.conv2d], kernel_size=kernel_size, stride=1, activation_fn=slim.nn.relu):
                with slim.variable_scope("decoder1"):
                    net = upsample_fn(net, num_outputs=num_filters * 2, stride=[2, 2])
                end_points["decoder1"] = net
                with slim.variable_scope("decoder2"):
                    net = upsample_fn(net, num_outputs=num_filters, stride=[2, 2])
                end_points["decoder2"] = net
        with slim.variable_scope("output"):
            logits = slim.conv2d(_reflect(net, [[3, 3], [3, 3]]), num_outputs, [7, 7], activation_fn=None,
                                 normalizer_fn=None, padding="valid")
            logits = logits.reshape(_dynamic_or_static_shape(images))
            end_points["logits"] = logits
            end_points["predictions"] = torch.tanh(logits) + logits * tanh_linear_slope
    return end_points["predictions"], end_points
