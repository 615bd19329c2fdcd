"""The MobileNet op-definition framework (tensorflow/models research/slim/nets/mobilenet/mobilenet.py).

A net is a *conv def*: ``{'defaults': {(op, ...): {arg: value}}, 'overrides': {...}, 'spec':
[op(fn, **params), ...]}``. :func:`mobilenet_base` enters the defaults as arg scopes, scales each
op's ``num_outputs`` by its ``multiplier_func`` (:func:`depth_multiplier`), turns strides into
atrous rates past ``output_stride``, and calls the ops in order; the i-th op's output is end point
``layer_<i+1>``. :func:`mobilenet` adds the classification head (``Logits/global_pool``, dropout,
``Logits/Conv2d_1c_1x1``).

Inner end points: upstream finds them by scanning the graph for ops whose names end in ``output``
in each layer's name scope (``layer_3/expansion_output``, ``layer_3/depthwise_output``,
``layer_3/output``, ``layer_<i>/expand_part_0_output``...), all added after the ``layer_<i>`` keys
in creation order. Eagerly the blocks name those tensors with
:func:`torchslim.nets.mobilenet.named_outputs.identity`; ``mobilenet_base`` records each layer's
named tensors and applies the same rule (:func:`~torchslim.nets.mobilenet.named_outputs.layer_outputs`),
so the keys, their order and their tensors are upstream's.

``is_training``: as upstream, ``mobilenet_base`` builds inference mode by default
(``is_training=False``) and :func:`training_scope` sets training mode (explicit arguments win over
it). The eager meaning of ``is_training=None`` given to ``mobilenet_base`` / ``mobilenet``: the
batch norms and the dropout follow ``model.train()`` / ``model.eval()`` (upstream adds no arg scope
then, which in a graph left an outer scope's value in force; here None overrides it, so the
factory's ``is_training=None`` under ``training_scope(...)`` follows the model's mode).
``training_scope(is_training=None)`` sets no mode, as upstream.
"""

from __future__ import annotations

import collections
import contextlib
import copy
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch

import torchslim as slim
from torchslim.compat import nn as tf_nn
from torchslim.nets.mobilenet import named_outputs
from torchslim.nets.mobilenet.conv_blocks import fixed_padding, make_divisible

__all__ = ["apply_activation", "depth_multiplier", "op", "Op", "NoOpScope", "safe_arg_scope", "mobilenet_base",
           "mobilenet", "global_pool", "training_scope", "check_depth_multiplier_only"]

EndPoints = Dict[str, torch.Tensor]
ConvDefs = Dict[str, Any]


@slim.add_arg_scope
def apply_activation(x: torch.Tensor, name: Optional[str] = None,
                     activation_fn: Optional[Callable] = None) -> torch.Tensor:
    """``activation_fn(x)``, or ``x`` when there is none."""
    return activation_fn(x) if activation_fn else x


@contextlib.contextmanager
def _set_arg_scope_defaults(defaults: Union[Dict, Sequence]) -> Iterator[None]:
    """Enters ``slim.arg_scope(ops, **args)`` for every ``(ops, args)`` item of ``defaults``, in order."""
    items = list(defaults.items()) if hasattr(defaults, "items") else list(defaults)
    with contextlib.ExitStack() as stack:
        for ops, args in items:
            stack.enter_context(slim.arg_scope(ops, **args))
        yield


@slim.add_arg_scope
def depth_multiplier(output_params: Dict[str, Any], multiplier: float, divisible_by: int = 8, min_depth: int = 8,
                     **unused_kwargs: Any) -> None:
    """Scales ``output_params['num_outputs']`` (in place) by ``multiplier``, made divisible.

    Arg-scoped: ``mobilenet_v2.mobilenet(min_depth=, divisible_by=)`` set its defaults.
    """
    if "num_outputs" not in output_params:
        return
    output_params["num_outputs"] = make_divisible(output_params["num_outputs"] * multiplier, divisible_by, min_depth)


class Op(collections.namedtuple("Op", ["op", "params", "multiplier_func"])):
    """One layer of a conv def: ``op`` (the function), ``params`` (its keyword arguments) and
    ``multiplier_func(params, multiplier)``, which scales them in place."""

    __slots__ = ()


_Op = Op  # upstream's name


def op(opfunc: Callable, multiplier_func: Callable = depth_multiplier, **params: Any) -> Op:
    """A conv-def layer: ``opfunc(net, **params)`` (``multiplier_transform=`` replaces ``multiplier_func``)."""
    multiplier = params.pop("multiplier_transform", multiplier_func)
    return Op(opfunc, params=params, multiplier_func=multiplier)


class NoOpScope:
    """A context manager that does nothing."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc_value, traceback) -> bool:
        return False


def safe_arg_scope(funcs, **kwargs: Any):
    """``slim.arg_scope(funcs, **kwargs)`` without the None arguments (a :class:`NoOpScope` if none remain)."""
    filtered = {name: value for name, value in kwargs.items() if value is not None}
    return slim.arg_scope(funcs, **filtered) if filtered else NoOpScope()


def check_depth_multiplier_only(kwargs: Dict[str, Any]) -> None:
    """The v2 / v3 constructors take ``depth_multiplier``, not the framework's ``multiplier``.

    Raises:
      ValueError: ``multiplier`` is among ``kwargs``.
    """
    if "multiplier" in kwargs:
        raise ValueError("mobilenetv2 doesn't support generic multiplier parameter use \"depth_multiplier\" instead.")


def _check_base_args(multiplier: float, output_stride: Optional[int]) -> None:
    if multiplier <= 0:
        raise ValueError("multiplier is not greater than zero.")
    if output_stride is not None and (output_stride == 0 or (output_stride > 1 and output_stride % 2)):
        raise ValueError("Output stride must be None, 1 or a multiple of 2.")


def _overrides(conv_defs: ConvDefs, use_explicit_padding: bool) -> Dict:
    overrides = conv_defs.get("overrides", {})
    if use_explicit_padding:
        overrides = copy.deepcopy(overrides)
        overrides[(slim.conv2d, slim.separable_conv2d)] = {"padding": "VALID"}
    return overrides


class _StrideTracker:
    """Past ``output_stride``, strides become atrous rates (upstream's ``current_stride`` / ``rate``)."""

    def __init__(self, output_stride: Optional[int]):
        self.output_stride = output_stride
        self.current_stride = 1
        self.rate = 1

    def layer(self, stride: int) -> Tuple[int, int]:
        """``(layer_stride, layer_rate)`` of the next layer with ``stride``."""
        if self.output_stride is not None and self.current_stride == self.output_stride:
            layer_rate = self.rate
            self.rate *= stride
            return 1, layer_rate
        self.current_stride *= stride
        return stride, 1


def _layer_params(opdef: Op, multiplier: float, strides: _StrideTracker) -> Tuple[Dict[str, Any], int]:
    """The op's parameters scaled by the multiplier, with this layer's stride (and rate); and the rate."""
    params = dict(opdef.params)
    opdef.multiplier_func(params, multiplier)
    layer_stride, layer_rate = strides.layer(params.get("stride", 1))
    params["stride"] = layer_stride
    if layer_rate > 1 and tuple(params.get("kernel_size", [])) != (1, 1):
        params["rate"] = layer_rate
    return params, layer_rate


@slim.add_arg_scope
def mobilenet_base(inputs: torch.Tensor, conv_defs: ConvDefs, multiplier: float = 1.0,
                   final_endpoint: Optional[str] = None, output_stride: Optional[int] = None,
                   use_explicit_padding: bool = False, scope=None, is_training: Optional[bool] = False
                   ) -> Tuple[torch.Tensor, EndPoints]:
    """The layers of ``conv_defs`` from ``inputs`` to ``final_endpoint``.

    Args:
      inputs: ``[batch, height, width, channels]``.
      conv_defs: ``{'defaults', 'overrides', 'spec'}`` (see the module docstring).
      multiplier: depth multiplier of every op (> 0).
      final_endpoint: stop after this end point (``layer_<i>``).
      output_stride: 1 or an even ratio of input to output size; later strides become atrous rates.
      use_explicit_padding: pad explicitly and convolve ``VALID``.
      scope: variable scope (default ``Mobilenet``).
      is_training: batch norm's mode (None: it follows ``model.train()`` / ``model.eval()``).

    Returns:
      ``(net, end_points)``.

    Raises:
      ValueError: ``multiplier <= 0`` or an ``output_stride`` that is not None, 1 or even.
    """
    _check_base_args(multiplier, output_stride)
    overrides = _overrides(conv_defs, use_explicit_padding)
    with _scope_all(scope, default_scope="Mobilenet"), \
            slim.arg_scope([slim.batch_norm], is_training=is_training), \
            _set_arg_scope_defaults(conv_defs.get("defaults", {})), \
            _set_arg_scope_defaults(overrides):
        strides = _StrideTracker(output_stride)
        net = inputs
        end_points: EndPoints = {}
        inner: List[Tuple[str, torch.Tensor]] = []
        for i, opdef in enumerate(conv_defs["spec"]):
            params, layer_rate = _layer_params(opdef, multiplier, strides)
            if use_explicit_padding:
                if "kernel_size" in params:
                    net = fixed_padding(net, params["kernel_size"], layer_rate)
                else:
                    params["use_explicit_padding"] = True
            end_point = f"layer_{i + 1}"
            with named_outputs.recording() as records:
                net = _call_op(opdef, net, params, i)
            end_points[end_point] = net
            inner.extend((f"{end_point}/{name}", tensor) for name, tensor in named_outputs.layer_outputs(records, net))
            if final_endpoint is not None and end_point == final_endpoint:
                break
        end_points.update(inner)
        return net, end_points


def _call_op(opdef: Op, net: torch.Tensor, params: Dict[str, Any], index: int) -> torch.Tensor:
    """``opdef.op(net, **params)``; an error gets a note naming the op, as upstream prints."""
    try:
        return opdef.op(net, **params)
    except Exception as error:
        name = getattr(opdef.op, "__name__", repr(opdef.op))
        error.add_note(f"mobilenet: failed to create op {index} ({name}) with params {params!r}")
        raise


@contextlib.contextmanager
def _scope_all(scope, default_scope: Optional[str] = None) -> Iterator[slim.VariableScope]:
    with slim.variable_scope(scope, default_name=default_scope) as s:
        yield s


@slim.add_arg_scope
def mobilenet(inputs: torch.Tensor, num_classes: Optional[int] = 1001,
              prediction_fn: Optional[Callable] = slim.softmax, reuse=None, scope: str = "Mobilenet",
              base_only: bool = False, **mobilenet_args: Any) -> Tuple[torch.Tensor, EndPoints]:
    """A MobileNet classifier: :func:`mobilenet_base`, then global pool, dropout and 1x1 logits.

    Args:
      inputs: ``[batch, height, width, channels]``.
      num_classes: classes of the logits; 0 or None returns the pooled features (after
        ``Logits/global_pool``, before dropout).
      prediction_fn: end point ``Predictions`` of the logits (default softmax; None: none).
      reuse: reuse the variables of ``scope``.
      scope: variable scope.
      base_only: return :func:`mobilenet_base`'s output (no pooling, no logits).
      **mobilenet_args: for :func:`mobilenet_base` (``conv_defs``, ``multiplier``,
        ``output_stride``, ``use_explicit_padding``, ``final_endpoint``, ``is_training``).

    Returns:
      ``(logits [batch, num_classes], end_points)``; the features or the base's output as above.

    Raises:
      ValueError: the input is not rank 4.
    """
    is_training = mobilenet_args.get("is_training", False)
    if inputs.dim() != 4:
        raise ValueError("Expected rank 4 input, was: %d" % inputs.dim())
    with slim.variable_scope(scope, "Mobilenet", reuse=reuse) as net_scope:
        net, end_points = mobilenet_base(inputs, scope=net_scope, **mobilenet_args)
        if base_only:
            return net, end_points
        with slim.variable_scope("Logits"):
            net = global_pool(net)
            end_points["global_pool"] = net
            if not num_classes:
                return net, end_points
            net = slim.dropout(net, scope="Dropout", is_training=is_training)
            logits = slim.conv2d(net, num_classes, [1, 1], activation_fn=None, normalizer_fn=None,
                                 biases_initializer=slim.initializers.zeros_initializer(), scope="Conv2d_1c_1x1")
            logits = torch.squeeze(logits, dim=(1, 2))
        end_points["Logits"] = logits
        if prediction_fn:
            end_points["Predictions"] = prediction_fn(logits, "Predictions")
    return logits, end_points


def global_pool(input_tensor: torch.Tensor, pool_op: Callable = tf_nn.avg_pool) -> torch.Tensor:
    """Average-pools the whole map: ``[batch, 1, 1, channels]`` (an ``avg_pool`` the size of the input).

    Args:
      input_tensor: ``[batch, height, width, channels]``.
      pool_op: ``tf.nn.avg_pool``-style ``pool_op(x, ksize=, strides=, padding=)``.
    """
    kernel_size = [1, input_tensor.shape[1], input_tensor.shape[2], 1]
    return pool_op(input_tensor, ksize=kernel_size, strides=[1, 1, 1, 1], padding="VALID")


def training_scope(is_training: Optional[bool] = True, weight_decay: float = 0.00004, stddev: float = 0.09,
                   dropout_keep_prob: Optional[float] = 0.8, bn_decay: Optional[float] = 0.997) -> Dict:
    """The arg scope for training a MobileNet (upstream's defaults).

    Args:
      is_training: batch norm's and dropout's mode, also given to :func:`mobilenet_base` and
        :func:`mobilenet`; None sets no mode (torchslim: they follow ``model.train()`` /
        ``model.eval()``).
      weight_decay: L2 coefficient of the ``conv2d`` weights (depthwise weights are not regularised).
      stddev: the weights' truncated-normal stddev; negative: Xavier.
      dropout_keep_prob: dropout's keep probability (None: not set).
      bn_decay: batch norm's moving-average decay (None: not set).

    Returns:
      The arg-scope dict.
    """
    batch_norm_params = {"decay": bn_decay, "is_training": is_training}
    if stddev < 0:
        weight_initializer = slim.initializers.xavier_initializer()
    else:
        weight_initializer = slim.initializers.truncated_normal_initializer(stddev=stddev)
    with slim.arg_scope([slim.conv2d, slim.fully_connected, slim.separable_conv2d],
                        weights_initializer=weight_initializer, normalizer_fn=slim.batch_norm), \
            slim.arg_scope([mobilenet_base, mobilenet], is_training=is_training), \
            safe_arg_scope([slim.batch_norm], **batch_norm_params), \
            safe_arg_scope([slim.dropout], is_training=is_training, keep_prob=dropout_keep_prob), \
            slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(weight_decay)), \
            slim.arg_scope([slim.separable_conv2d], weights_regularizer=None) as s:
        return s
