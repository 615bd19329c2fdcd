"""Building blocks of the video nets I3D and S3D-G (``research/slim/nets/i3d_utils.py``).

* :func:`center_initializer`: an identity temporal kernel, so that a separable 3-D convolution
  starts as its spatial part alone;
* :func:`conv3d_spatiotemporal`: a full ``[t, k, k]`` 3-D convolution, or (``separable=True``) a
  ``[1, k, k]`` spatial one followed by a ``[t, 1, 1]`` temporal one in ``<scope>/temporal``;
* :func:`inception_block_v1_3d`: Inception v1's four-branch module inflated to 3-D, with an
  optional self-gating function after each branch;
* :func:`reduced_kernel_size_3d`: the classifier's pooling window, shrunk to small inputs.

Same names, signatures, defaults and variable scopes as TF-Slim.
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence, Union

import torch

import torchslim as slim

__all__ = ["center_initializer", "conv3d_spatiotemporal", "inception_block_v1_3d", "reduced_kernel_size_3d"]

IntOrList = Union[int, Sequence[int]]


def center_initializer() -> Callable:
    """An initializer of ``[t, 1, 1, C, C]`` kernels: 1 at ``[t // 2, 0, 0, c, c]``, 0 elsewhere.

    A temporal convolution so initialised maps its input to itself, which a separable I3D needs
    to train well. The kernel must be 5-D, pointwise in space, square in channels and odd in time.

    Returns:
      ``initializer(shape, dtype=torch.float32, partition_info=None)``.

    Raises (when called):
      ValueError: a dtype other than float32 or bfloat16, a shape that is not 5-D, different input
        and output channels, spatial sizes other than 1, or an even temporal size.
    """

    def initializer(shape, dtype=torch.float32, partition_info=None):  # noqa: ARG001 (TF's signature)
        dtype = dtype or torch.float32
        if dtype not in (torch.float32, torch.bfloat16):
            raise ValueError("Input tensor data type has to be tf.float32 or tf.bfloat16.")
        if len(shape) != 5:
            raise ValueError("Input tensor has to be 5-D.")
        if shape[3] != shape[4]:
            raise ValueError("Input and output channel dimensions must be the same.")
        if shape[1] != 1 or shape[2] != 1:
            raise ValueError("Spatial kernel sizes must be 1 (pointwise conv).")
        if shape[0] % 2 == 0:
            raise ValueError("Temporal kernel size has to be odd.")
        value = torch.zeros(tuple(shape), dtype=torch.float32)
        channels = torch.arange(shape[3])
        value[shape[0] // 2, 0, 0, channels, channels] = 1.0
        return value.to(dtype)

    return initializer


def _separable_strides(stride: IntOrList):
    """``(spatial [1, sh, sw], temporal [sd, 1, 1])`` strides, as upstream splits them."""
    if isinstance(stride, (list, tuple)) and len(stride) == 3:
        return [1, stride[1], stride[2]], [stride[0], 1, 1]
    return [1, stride, stride], [stride, 1, 1]


@slim.add_arg_scope
def conv3d_spatiotemporal(inputs: torch.Tensor, num_outputs: int, kernel_size: Sequence[int], stride: IntOrList = 1,
                          padding: str = "SAME", activation_fn: Optional[Callable] = None,
                          normalizer_fn: Optional[Callable] = None, normalizer_params: Optional[dict] = None,
                          weights_regularizer=None, separable: bool = False, data_format: str = "NDHWC",
                          scope: str = "") -> torch.Tensor:
    """A 3-D convolution, or a separable spatial-then-temporal pair of them.

    With ``separable`` and ``kernel_size[0] != 1``: ``conv3d`` ``[1, kh, kw]`` in ``scope`` (with
    the normalizer), then ``conv3d`` ``[kd, 1, 1]`` in ``<scope>/temporal`` (no normalizer, so with
    biases; kernel from :func:`center_initializer`). Otherwise one ``conv3d`` ``kernel_size``.

    Args:
      inputs: ``[N, D, H, W, C]`` (or ``[N, C, D, H, W]`` with ``data_format='NCDHW'``).
      num_outputs: output channels.
      kernel_size: ``[kd, kh, kw]``.
      stride: an int or ``[sd, sh, sw]``.
      padding: ``'SAME'`` or ``'VALID'``.
      activation_fn, normalizer_fn, normalizer_params, weights_regularizer: of the convolution(s)
        (the temporal one takes the activation, not the normalizer).
      separable: split the kernel into its spatial and temporal parts.
      data_format: ``'NDHWC'`` or ``'NCDHW'``.
      scope: the variable scope.

    Returns:
      The output tensor.

    Raises:
      ValueError: ``kernel_size`` is not of length 3, or as :func:`torchslim.conv3d`.
    """
    if len(kernel_size) != 3:
        raise ValueError(f"{scope or 'conv3d_spatiotemporal'}: kernel_size must be [depth, height, width], "
                         f"got {kernel_size!r}")
    if not (separable and kernel_size[0] != 1):
        return slim.conv3d(inputs, num_outputs, kernel_size, stride=stride, padding=padding,
                           activation_fn=activation_fn, normalizer_fn=normalizer_fn,
                           normalizer_params=normalizer_params, weights_regularizer=weights_regularizer,
                           data_format=data_format, scope=scope)
    spatial_stride, temporal_stride = _separable_strides(stride)
    net = slim.conv3d(inputs, num_outputs, [1, kernel_size[1], kernel_size[2]], stride=spatial_stride,
                      padding=padding, activation_fn=activation_fn, normalizer_fn=normalizer_fn,
                      normalizer_params=normalizer_params, weights_regularizer=weights_regularizer,
                      data_format=data_format, scope=scope)
    return slim.conv3d(net, num_outputs, [kernel_size[0], 1, 1], stride=temporal_stride, padding=padding,
                       scope=scope + "/temporal", activation_fn=activation_fn, normalizer_fn=None,
                       data_format=data_format, weights_initializer=center_initializer())


def _channel_axis(data_format: str) -> int:
    axis = data_format.index("C")
    if not 1 <= axis <= 4:
        raise ValueError(f"Cannot identify channel dimension of data_format {data_format!r}.")
    return axis


@slim.add_arg_scope
def inception_block_v1_3d(inputs: torch.Tensor, num_outputs_0_0a: int, num_outputs_1_0a: int, num_outputs_1_0b: int,
                          num_outputs_2_0a: int, num_outputs_2_0b: int, num_outputs_3_0b: int,
                          temporal_kernel_size: int = 3, self_gating_fn: Optional[Callable] = None,
                          data_format: str = "NDHWC", scope: str = "") -> torch.Tensor:
    """Inception v1's module in 3-D: 1x1x1 | 1x1x1 -> t x3x3 | 1x1x1 -> t x3x3 | 3x3x3 max-pool -> 1x1x1.

    The ``t x 3 x 3`` convolutions are :func:`conv3d_spatiotemporal` (separable when the arg scope
    says so). ``self_gating_fn(branch, scope=<last conv's scope>)`` follows each branch when given.
    The convolutions' ``data_format`` comes from the arg scope, as upstream; ``data_format`` here
    only picks the concatenation axis.

    Args:
      inputs: a 5-D tensor.
      num_outputs_0_0a: ``Branch_0/Conv2d_0a_1x1`` channels.
      num_outputs_1_0a, num_outputs_1_0b: ``Branch_1/Conv2d_0a_1x1`` and ``Branch_1/Conv2d_0b_3x3``.
      num_outputs_2_0a, num_outputs_2_0b: ``Branch_2/Conv2d_0a_1x1`` and ``Branch_2/Conv2d_0b_3x3``.
      num_outputs_3_0b: ``Branch_3/Conv2d_0b_1x1`` (after ``MaxPool_0a_3x3``).
      temporal_kernel_size: the temporal size of the 3x3 convolutions (1: 2-D in effect).
      self_gating_fn: ``fn(inputs, scope)`` returning a tensor of the same shape, or None.
      data_format: ``'NDHWC'`` or ``'NCDHW'``.
      scope: the variable scope.

    Returns:
      The four branches concatenated along the channel axis.
    """

    def gate(net: torch.Tensor, conv_scope: str) -> torch.Tensor:
        return self_gating_fn(net, scope=conv_scope) if self_gating_fn is not None else net

    with slim.variable_scope(scope):
        with slim.variable_scope("Branch_0"):
            branch_0 = slim.conv3d(inputs, num_outputs_0_0a, [1, 1, 1], scope="Conv2d_0a_1x1")
            branch_0 = gate(branch_0, "Conv2d_0a_1x1")
        with slim.variable_scope("Branch_1"):
            branch_1 = slim.conv3d(inputs, num_outputs_1_0a, [1, 1, 1], scope="Conv2d_0a_1x1")
            branch_1 = conv3d_spatiotemporal(branch_1, num_outputs_1_0b, [temporal_kernel_size, 3, 3],
                                             scope="Conv2d_0b_3x3")
            branch_1 = gate(branch_1, "Conv2d_0b_3x3")
        with slim.variable_scope("Branch_2"):
            branch_2 = slim.conv3d(inputs, num_outputs_2_0a, [1, 1, 1], scope="Conv2d_0a_1x1")
            branch_2 = conv3d_spatiotemporal(branch_2, num_outputs_2_0b, [temporal_kernel_size, 3, 3],
                                             scope="Conv2d_0b_3x3")
            branch_2 = gate(branch_2, "Conv2d_0b_3x3")
        with slim.variable_scope("Branch_3"):
            branch_3 = slim.max_pool3d(inputs, [3, 3, 3], scope="MaxPool_0a_3x3")
            branch_3 = slim.conv3d(branch_3, num_outputs_3_0b, [1, 1, 1], scope="Conv2d_0b_1x1")
            branch_3 = gate(branch_3, "Conv2d_0b_1x1")
        return torch.cat([branch_0, branch_1, branch_2, branch_3], dim=_channel_axis(data_format))


def reduced_kernel_size_3d(input_tensor: torch.Tensor, kernel_size: Sequence[int]) -> List[int]:
    """``kernel_size`` (``[t, h, w]``) capped at the input's ``[D, H, W]`` (an NDHWC tensor).

    Args:
      input_tensor: ``[N, D, H, W, C]``.
      kernel_size: the wanted ``[t, h, w]``.

    Returns:
      ``[min(D, t), min(H, h), min(W, w)]``.

    Raises:
      ValueError: ``kernel_size`` not of length 3 or an input that is not 5-D.
    """
    if len(kernel_size) != 3:
        raise ValueError(f"reduced_kernel_size_3d: kernel_size must have 3 values, got {kernel_size!r}")
    if input_tensor.dim() != 5:
        raise ValueError(f"reduced_kernel_size_3d: expects a 5-D input, got shape {list(input_tensor.shape)}")
    return [min(int(size), int(k)) for size, k in zip(input_tensor.shape[1:4], kernel_size)]

