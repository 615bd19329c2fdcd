"""MobileNet's convolution blocks (tensorflow/models research/slim/nets/mobilenet/conv_blocks.py).

- :func:`expanded_conv`: the inverted residual of MobileNet v2/v3, ``1x1 expansion -> depthwise
  (kernel_size) -> [expansion_transform, e.g. squeeze-excite] -> 1x1 projection (+ input)``, with
  the depthwise step movable to the input or the output, or left out (EdgeTPU's fused blocks);
- :func:`squeeze_excite`: ``x * gating(conv(inner(conv(avg_pool(x)))))``, Hu et al. (arXiv:1709.01507);
- :func:`split_conv`: a 1x1 convolution split into ``num_ways`` independent groups;
- :func:`split_separable_conv2d`: MobileNet v1's depthwise + pointwise pair.

Variable names as upstream (``expanded_conv_3/expand/weights``, ``.../depthwise/depthwise_weights``,
``.../squeeze_excite/Conv/weights``, ``.../project/BatchNorm/gamma``). The tensors upstream names
with ``tf.identity`` (``expansion_output``, ``depthwise_output``, ``output``) are named with
:func:`torchslim.nets.mobilenet.named_outputs.identity`, which is how ``mobilenet_base`` finds its
inner end points. NHWC tensors.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.compat import nn as tf_nn
from torchslim.compat.array_ops import identity as tf_identity
from torchslim.nets.mobilenet import named_outputs

__all__ = ["fixed_padding", "make_divisible", "split_divisible", "split_separable_conv2d",
           "expand_input_by_factor", "split_conv", "expanded_conv", "squeeze_excite"]

Activation = Optional[Callable[[torch.Tensor], torch.Tensor]]
IntPair = Union[int, Sequence[int]]


def fixed_padding(inputs: torch.Tensor, kernel_size: Sequence[int], rate: int = 1) -> torch.Tensor:
    """Pads H and W so that a ``VALID`` convolution gives the size a ``SAME`` one would.

    As upstream, both dimensions are padded by the first kernel dimension's effective size
    ``k + (k - 1)(rate - 1)``: ``(k_eff - 1) // 2`` before, the rest after.

    Args:
      inputs: ``[batch, height, width, channels]``.
      kernel_size: the kernel of the convolution or pooling that follows.
      rate: its atrous rate.

    Returns:
      The padded tensor (the input itself for a 1x1 kernel).
    """
    kernel = kernel_size[0] + (kernel_size[0] - 1) * (rate - 1)
    total = kernel - 1
    if total == 0:
        return inputs
    before = total // 2
    return F.pad(inputs, (0, 0, before, total - before, before, total - before))


def make_divisible(v: float, divisor: int, min_value: Optional[int] = None) -> int:
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``), never 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return int(new_v)


def split_divisible(num: int, num_ways: int, divisible_by: int = 8) -> List[int]:
    """Splits ``num`` into ``num_ways`` near-equal parts, each a multiple of ``divisible_by``.

    Raises:
      ValueError: ``num`` is not a multiple of ``divisible_by`` or the parts would be smaller than it.
    """
    if num % divisible_by or num / num_ways < divisible_by:
        raise ValueError(f"cannot split {num} channels {num_ways} ways into multiples of {divisible_by}")
    base = num // num_ways // divisible_by * divisible_by
    parts: List[int] = []
    accumulated = 0
    for i in range(num_ways):
        part = base
        while accumulated + part < num * (i + 1) / num_ways:
            part += divisible_by
        parts.append(part)
        accumulated += part
    return parts


# Upstream's private names, for code ported from it.
_fixed_padding = fixed_padding
_make_divisible = make_divisible
_split_divisible = split_divisible


@contextlib.contextmanager
def _v1_compatible_scope_naming(scope: Optional[str]) -> Iterator[str]:
    """No scope: a new ``separable`` scope and prefix ``''``; a scope: the prefix ``scope_`` (v1 names)."""
    if scope is None:
        with slim.variable_scope(None, default_name="separable"):
            yield ""
    else:
        yield scope + "_"


@slim.add_arg_scope
def split_separable_conv2d(input_tensor: torch.Tensor, num_outputs: int, scope: Optional[str] = None,
                           normalizer_fn: Optional[Callable] = None, stride: IntPair = 1, rate: IntPair = 1,
                           endpoints: Optional[Dict[str, torch.Tensor]] = None,
                           use_explicit_padding: bool = False) -> torch.Tensor:
    """MobileNet v1's 3x3 depthwise convolution then 1x1 pointwise one, each normalised and activated.

    Args:
      input_tensor: ``[batch, height, width, channels]``.
      num_outputs: channels of the pointwise convolution.
      scope: None for a new ``separable`` scope with ``depthwise`` / ``pointwise`` inside; a name
        ``s`` for the v1 checkpoint names ``s_depthwise`` / ``s_pointwise``.
      normalizer_fn: for both convolutions.
      stride, rate: of the depthwise convolution.
      endpoints: filled with both outputs, keyed by their scope names.
      use_explicit_padding: pad explicitly and convolve ``VALID`` instead of ``SAME``.

    Returns:
      The pointwise output.
    """
    with _v1_compatible_scope_naming(scope) as prefix:
        endpoints = endpoints if endpoints is not None else {}
        kernel_size = [3, 3]
        padding = "SAME"
        if use_explicit_padding:
            padding = "VALID"
            input_tensor = fixed_padding(input_tensor, kernel_size, rate)
        depthwise_scope = prefix + "depthwise"
        net = slim.separable_conv2d(input_tensor, None, kernel_size, depth_multiplier=1, stride=stride, rate=rate,
                                    normalizer_fn=normalizer_fn, padding=padding, scope=depthwise_scope)
        endpoints[depthwise_scope] = net
        pointwise_scope = prefix + "pointwise"
        net = slim.conv2d(net, num_outputs, [1, 1], stride=1, normalizer_fn=normalizer_fn, scope=pointwise_scope)
        endpoints[pointwise_scope] = net
    return net


def expand_input_by_factor(n: float, divisible_by: int = 8) -> Callable[..., int]:
    """An ``expansion_size``: ``num_inputs * n`` made divisible by ``divisible_by``."""
    return lambda num_inputs, **_: make_divisible(num_inputs * n, divisible_by)


def split_conv(input_tensor: torch.Tensor, num_outputs: int, num_ways: int, scope: str, divisible_by: int = 8,
               **kwargs: Any) -> torch.Tensor:
    """A 1x1 convolution whose inputs and outputs are split into ``num_ways`` groups, group i to group i.

    One plain ``conv2d`` (scope ``scope``) when ``num_ways == 1`` or a group would have fewer than
    ``divisible_by`` channels; else convolutions ``scope_part_<i>`` whose outputs are named
    ``scope_part_<i>_output`` and concatenated.

    Args:
      input_tensor: ``[batch, height, width, channels]``.
      num_outputs: output channels.
      num_ways: groups.
      scope: the convolution's scope (the parts' prefix).
      divisible_by: every group's channels are a multiple of this.
      **kwargs: for ``slim.conv2d``.

    Returns:
      ``[batch, height, width, num_outputs]``.
    """
    channels = input_tensor.shape[3]
    if num_ways == 1 or min(channels // num_ways, num_outputs // num_ways) < divisible_by:
        return slim.conv2d(input_tensor, num_outputs, [1, 1], scope=scope, **kwargs)
    input_splits = split_divisible(channels, num_ways, divisible_by=divisible_by)
    output_splits = split_divisible(num_outputs, num_ways, divisible_by=divisible_by)
    parts = []
    for i, (part, out_size) in enumerate(zip(torch.split(input_tensor, input_splits, dim=3), output_splits)):
        part_scope = f"{scope}_part_{i}"
        part = slim.conv2d(part, out_size, [1, 1], scope=part_scope, **kwargs)
        parts.append(named_outputs.identity(part, part_scope + "_output"))
    return torch.cat(parts, dim=3)


def _check_block(depthwise_location: Optional[str], use_explicit_padding: bool, padding: str) -> str:
    """The padding the block's convolutions use; raises TypeError on a bad location or padding."""
    if depthwise_location not in (None, "input", "output", "expansion"):
        raise TypeError(f"{depthwise_location!r} is unknown value for depthwise_location")
    if use_explicit_padding:
        if padding != "SAME":
            raise TypeError('`use_explicit_padding` should only be used with "SAME" padding.')
        return "VALID"
    return padding


def _with_split(fn: Callable, num_ways: int, divisible_by: int) -> Callable:
    """``fn`` with the block's split arguments when it is :func:`split_conv` (custom functions get none)."""
    if fn is split_conv:
        return functools.partial(split_conv, num_ways=num_ways, divisible_by=divisible_by, stride=1)
    return fn


@slim.add_arg_scope
def expanded_conv(input_tensor: torch.Tensor, num_outputs: int,
                  expansion_size: Union[int, Callable[..., int]] = expand_input_by_factor(6),
                  stride: int = 1, rate: int = 1, kernel_size: IntPair = (3, 3), residual: Any = True,
                  normalizer_fn: Optional[Callable] = None, split_projection: int = 1, split_expansion: int = 1,
                  split_divisible_by: int = 8, expansion_transform: Optional[Callable] = None,
                  depthwise_location: Optional[str] = "expansion", depthwise_channel_multiplier: int = 1,
                  endpoints: Optional[Dict[str, torch.Tensor]] = None, use_explicit_padding: bool = False,
                  padding: str = "SAME", inner_activation_fn: Activation = None,
                  depthwise_activation_fn: Activation = None, project_activation_fn: Activation = tf_identity,
                  depthwise_fn: Callable = slim.separable_conv2d, expansion_fn: Callable = split_conv,
                  projection_fn: Callable = split_conv, scope: Optional[str] = None) -> torch.Tensor:
    """The inverted residual block: expansion (1x1) -> depthwise (``kernel_size``) -> projection (1x1).

    Args:
      input_tensor: ``[batch, height, width, channels]``.
      num_outputs: channels of the projection.
      expansion_size: inner channels, or a callable of ``num_inputs=`` (default: 6x the input,
        divisible by 8). No expansion when it is not above the input's channels.
      stride, rate: of the depthwise convolution.
      kernel_size: of the depthwise convolution.
      residual: add the input when the stride is 1 and the depths match; or a callable
        ``residual(input_tensor=, output_tensor=)``.
      normalizer_fn: of every convolution (the training scope's ``batch_norm``).
      split_projection, split_expansion: groups of the 1x1 convolutions (see :func:`split_conv`).
      split_divisible_by: each group's channels are a multiple of this.
      expansion_transform: ``f(expansion_tensor=, input_tensor=)`` applied after the depthwise
        step (MobileNet v3's squeeze-excite).
      depthwise_location: ``'expansion'`` (after the expansion), ``'input'``, ``'output'`` (after
        the projection; both without activation) or None (no depthwise convolution).
      depthwise_channel_multiplier: depthwise outputs per channel.
      endpoints: filled with ``expansion_output``, ``depthwise_output``, ``projection_output``
        when those steps run.
      use_explicit_padding: pad explicitly and convolve ``VALID`` (only with ``padding='SAME'``).
      padding: the depthwise convolution's padding otherwise.
      inner_activation_fn: activation of the expansion and depthwise convolutions (None: the arg
        scope's).
      depthwise_activation_fn: activation of the depthwise convolution alone (wins over
        ``inner_activation_fn``).
      project_activation_fn: activation of the projection (default: none).
      depthwise_fn, expansion_fn, projection_fn: the convolutions (custom expansion / projection
        functions get no split arguments).
      scope: variable scope (default ``expanded_conv``, made unique).

    Returns:
      ``[batch, height', width', num_outputs]``.

    Raises:
      TypeError: an unknown ``depthwise_location``, or explicit padding with ``padding != 'SAME'``.
    """
    conv_defaults: Dict[str, Any] = {}
    dw_defaults: Dict[str, Any] = {}
    if inner_activation_fn is not None:
        conv_defaults["activation_fn"] = inner_activation_fn
        dw_defaults["activation_fn"] = inner_activation_fn
    if depthwise_activation_fn is not None:
        dw_defaults["activation_fn"] = depthwise_activation_fn
    with slim.variable_scope(scope, default_name="expanded_conv"), \
            slim.arg_scope((slim.conv2d,), **conv_defaults), \
            slim.arg_scope((slim.separable_conv2d,), **dw_defaults):
        prev_depth = input_tensor.shape[3]
        padding = _check_block(depthwise_location, use_explicit_padding, padding)
        depthwise = functools.partial(depthwise_fn, num_outputs=None, kernel_size=kernel_size,
                                      depth_multiplier=depthwise_channel_multiplier, stride=stride, rate=rate,
                                      normalizer_fn=normalizer_fn, padding=padding, scope="depthwise")

        def depthwise_step(net: torch.Tensor, **kwargs: Any) -> torch.Tensor:
            if use_explicit_padding:
                net = fixed_padding(net, kernel_size, rate)
            net = named_outputs.identity(depthwise(net, **kwargs), "depthwise_output")
            if endpoints is not None:
                endpoints["depthwise_output"] = net
            return net

        input_tensor = named_outputs.identity(input_tensor, "input")
        net = input_tensor
        if depthwise_location == "input":
            net = depthwise_step(net, activation_fn=None)

        inner_size = expansion_size(num_inputs=prev_depth) if callable(expansion_size) else expansion_size
        if inner_size > net.shape[3]:
            expand = _with_split(expansion_fn, split_expansion, split_divisible_by)
            net = named_outputs.identity(expand(net, inner_size, scope="expand", normalizer_fn=normalizer_fn),
                                         "expansion_output")
            if endpoints is not None:
                endpoints["expansion_output"] = net

        if depthwise_location == "expansion":
            net = depthwise_step(net)
        if expansion_transform:
            net = expansion_transform(expansion_tensor=net, input_tensor=input_tensor)

        project = _with_split(projection_fn, split_projection, split_divisible_by)
        net = project(net, num_outputs, scope="project", normalizer_fn=normalizer_fn,
                      activation_fn=project_activation_fn)
        if endpoints is not None:
            endpoints["projection_output"] = net
        if depthwise_location == "output":
            net = depthwise_step(net, activation_fn=None)

        if callable(residual):
            net = residual(input_tensor=input_tensor, output_tensor=net)
        elif residual and stride == 1 and net.shape[3] == input_tensor.shape[3]:
            net = net + input_tensor
        return named_outputs.identity(net, "output")


@slim.add_arg_scope
def squeeze_excite(input_tensor: torch.Tensor, divisible_by: int = 8, squeeze_factor: float = 3,
                   inner_activation_fn: Activation = slim.nn.relu, gating_fn: Activation = slim.nn.sigmoid,
                   squeeze_input_tensor: Optional[torch.Tensor] = None, pool: Optional[int] = None) -> torch.Tensor:
    """Squeeze-and-excite: ``input * gating(conv_1x1(inner(conv_1x1(avg_pool(squeeze_input)))))``.

    Scope ``squeeze_excite`` with the convolutions ``Conv`` (``channels / squeeze_factor`` made
    divisible, with biases) and ``Conv_1`` (the input's channels).

    Args:
      input_tensor: ``[batch, height, width, channels]``, the tensor gated.
      divisible_by: the squeezed channels are a multiple of this.
      squeeze_factor: input channels per squeezed channel.
      inner_activation_fn: activation of the squeeze convolution.
      gating_fn: activation of the excite convolution.
      squeeze_input_tensor: compute the gate from this tensor instead of ``input_tensor``.
      pool: average-pool with this window and stride (then resize the gate bilinearly,
        corners aligned) instead of over the whole map, when the map is at least this tall.

    Returns:
      The gated ``input_tensor``.
    """
    with slim.variable_scope("squeeze_excite"):
        if squeeze_input_tensor is None:
            squeeze_input_tensor = input_tensor
        input_size = list(input_tensor.shape[1:3])
        pool_height, pool_width = squeeze_input_tensor.shape[1:3]
        stride = 1
        if pool is not None and pool_height >= pool:
            pool_height, pool_width, stride = pool, pool, pool
        squeeze_channels = make_divisible(squeeze_input_tensor.shape[3] / squeeze_factor, divisor=divisible_by)
        pooled = tf_nn.avg_pool(squeeze_input_tensor, (1, pool_height, pool_width, 1), strides=(1, stride, stride, 1),
                                padding="VALID")
        squeeze = slim.conv2d(pooled, kernel_size=(1, 1), num_outputs=squeeze_channels, normalizer_fn=None,
                              activation_fn=inner_activation_fn)
        excite = slim.conv2d(squeeze, num_outputs=input_tensor.shape[3], kernel_size=[1, 1], normalizer_fn=None,
                             activation_fn=gating_fn)
        if pool is not None:
            excite = F.interpolate(excite.permute(0, 3, 1, 2), size=input_size, mode="bilinear",
                                   align_corners=True).permute(0, 2, 3, 1)
        return input_tensor * excite
