"""NASNet-A's cells and helpers, as ``research/slim/nets/nasnet/nasnet_utils.py`` (newest, tf_slim).

Zoph et al., "Learning Transferable Architectures for Scalable Image Recognition" (arXiv:1707.07012).

A cell takes the two previous hidden states (``net`` and ``prev_layer``), brings both to the cell's
width (``_cell_base``), then runs five *combinations*: each picks two hidden states by index,
applies one operation to each (``separable_KxK_N``: N stacked ReLU-separable-conv-BN, ``avg_pool_KxK``
/ ``max_pool_KxK``, ``none``: identity) and adds them, appending the sum to the hidden states. The
states no combination used are concatenated on the channel axis: the cell's output.
:class:`NasNetANormalCell` and :class:`NasNetAReductionCell` (stride 2) are the paper's cells; PNASNet's
cell (:mod:`~torchslim.nets.nasnet.pnasnet`) is the same machine with another table.

The operation strings are parsed once, when a cell is made (:func:`parse_operation`).

``data_format`` of :func:`get_channel_index`, :func:`get_channel_dim`, :func:`global_avg_pool` and
:func:`factorized_reduction` defaults to ``INVALID`` and comes from the builders' ``arg_scope``, as
upstream. Variable names are TF-Slim's (``cell_0/comb_iter_0/left/separable_5x5_1/depthwise_weights``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.layers.common import resolve_is_training

__all__ = ["DATA_FORMAT_NCHW", "DATA_FORMAT_NHWC", "INVALID", "CLIP_BY_VALUE_CAP", "calc_reduction_layers",
           "get_channel_index", "get_channel_dim", "global_avg_pool", "factorized_reduction", "drop_path",
           "Operation", "parse_operation", "activation", "NasNetABaseCell", "NasNetANormalCell", "NasNetAReductionCell"]

DATA_FORMAT_NCHW = "NCHW"
DATA_FORMAT_NHWC = "NHWC"
INVALID = "null"
CLIP_BY_VALUE_CAP = 6
"""With ``use_bounded_activation``, the outputs of operations are clipped to [-6, 6]."""

NUM_COMBINATIONS = 5
"""Each NASNet-A / PNASNet cell has five combinations (ten operations)."""

Number = Union[int, float, torch.Tensor]


def calc_reduction_layers(num_cells: int, num_reduction_layers: int) -> List[int]:
    """The cell numbers before which a reduction happens: evenly spaced, ``int(k / (n + 1) * num_cells)``.

    Returns:
      ``num_reduction_layers`` cell indices, e.g. ``[6, 12]`` for 18 cells and 2 reductions.
    """
    return [int(float(pool_num) / (num_reduction_layers + 1) * num_cells)
            for pool_num in range(1, num_reduction_layers + 1)]


def _check_data_format(data_format: str, what: str) -> None:
    if data_format == INVALID:
        raise ValueError(f"nasnet_utils.{what}: data_format is not set; pass it or call inside the net's arg_scope")
    if data_format not in (DATA_FORMAT_NHWC, DATA_FORMAT_NCHW):
        raise ValueError(f"nasnet_utils.{what}: Not a valid data_format {data_format!r}")


@slim.add_arg_scope
def get_channel_index(data_format: str = INVALID) -> int:
    """The channel axis: 3 for NHWC, 1 for NCHW.

    Raises:
      ValueError: ``data_format`` is unset or unknown.
    """
    _check_data_format(data_format, "get_channel_index")
    return 3 if data_format == DATA_FORMAT_NHWC else 1


@slim.add_arg_scope
def get_channel_dim(shape: Sequence[int], data_format: str = INVALID) -> int:
    """The number of channels of a rank-4 ``shape``.

    Raises:
      ValueError: ``data_format`` is unset or unknown, or ``shape`` is not rank 4.
    """
    _check_data_format(data_format, "get_channel_dim")
    if len(shape) != 4:
        raise ValueError(f"nasnet_utils.get_channel_dim: expected a rank-4 shape, got {list(shape)}")
    return int(shape[3 if data_format == DATA_FORMAT_NHWC else 1])


@slim.add_arg_scope
def global_avg_pool(x: torch.Tensor, data_format: str = INVALID) -> torch.Tensor:
    """The mean over height and width: ``[N, C]``.

    Raises:
      ValueError: ``data_format`` is unset or unknown, or ``x`` is not rank 4.
    """
    _check_data_format(data_format, "global_avg_pool")
    if x.dim() != 4:
        raise ValueError(f"nasnet_utils.global_avg_pool: expected a rank-4 input, got shape {list(x.shape)}")
    return x.mean(dim=(1, 2) if data_format == DATA_FORMAT_NHWC else (2, 3))


def _subsample(x: torch.Tensor, stride: int, channels_first: bool) -> torch.Tensor:
    """Every ``stride``-th row and column (TF's 1x1 ``avg_pool`` with that stride, VALID)."""
    return x[:, :, ::stride, ::stride] if channels_first else x[:, ::stride, ::stride, :]


def _shift_up_left(x: torch.Tensor, channels_first: bool) -> torch.Tensor:
    """Pads a zero row and column at the bottom and right, then drops the first row and column."""
    if channels_first:
        return F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
    return F.pad(x, (0, 0, 0, 1, 0, 1))[:, 1:, 1:, :]


@slim.add_arg_scope
def factorized_reduction(net: torch.Tensor, output_filters: int, stride: int,
                         data_format: str = INVALID) -> torch.Tensor:
    """Reduces ``net`` to ``output_filters`` channels (and by ``stride``) without losing what striding skips.

    Stride 1: a 1x1 conv (``path_conv``) and batch norm (``path_bn``). Stride 2: two 1x1 convs on
    the input subsampled at even (``path1_conv``) and at odd positions (``path2_conv``, which gets
    the extra filter when ``output_filters`` is odd), concatenated, then batch norm
    (``final_path_bn``).

    Args:
      net: the input, in ``data_format``.
      output_filters: channels of the output.
      stride: 1 or 2.
      data_format: ``'NHWC'`` or ``'NCHW'`` (from the arg scope).

    Returns:
      The reduced tensor.

    Raises:
      ValueError: ``data_format`` is unset or unknown.
    """
    _check_data_format(data_format, "factorized_reduction")
    if stride == 1:
        net = slim.conv2d(net, output_filters, 1, scope="path_conv")
        return slim.batch_norm(net, scope="path_bn")
    channels_first = data_format == DATA_FORMAT_NCHW
    path1 = slim.conv2d(_subsample(net, stride, channels_first), output_filters // 2, 1, scope="path1_conv")
    path2 = _subsample(_shift_up_left(net, channels_first), stride, channels_first)
    path2 = slim.conv2d(path2, output_filters // 2 + output_filters % 2, 1, scope="path2_conv")
    final_path = torch.cat([path1, path2], dim=1 if channels_first else 3)
    return slim.batch_norm(final_path, scope="final_path_bn")


@slim.add_arg_scope
def drop_path(net: torch.Tensor, keep_prob: Number, is_training=True) -> torch.Tensor:
    """Drops whole examples of ``net`` with probability ``1 - keep_prob``, scaling the kept by ``1 / keep_prob``.

    Args:
      net: ``[N, ...]``.
      keep_prob: a number or a 0-d tensor.
      is_training: True drops; False is the identity; None follows ``model.train()`` / ``eval()``.

    Returns:
      ``net`` with each example kept (and scaled) or zeroed.
    """
    if not resolve_is_training(is_training, "drop_path"):
        return net
    noise_shape = (net.shape[0],) + (1,) * (net.dim() - 1)
    keep = torch.as_tensor(keep_prob, dtype=net.dtype, device=net.device)
    binary = torch.floor(keep + torch.rand(noise_shape, dtype=net.dtype, device=net.device))
    return net * (1.0 / keep) * binary


# --------------------------------------------------------------------------------------------------
# Operation strings: 'separable_5x5_2', 'avg_pool_3x3', 'max_pool_3x3', 'none'


def _operation_to_filter_shape(operation: str) -> int:
    """``'separable_5x5_2'`` -> 5 (square kernels only)."""
    height, width = operation.split("x")[:2]
    if int(height[-1]) != int(width[0]):
        raise ValueError(f"nasnet operation {operation!r}: Rectangular filters not supported.")
    return int(height[-1])


def _operation_to_num_layers(operation: str) -> int:
    """``'separable_5x5_2'`` -> 2; ``'separable_3x3'`` -> 1."""
    last = operation.split("_")[-1]
    return 1 if "x" in last else int(last)


def _operation_to_info(operation: str):
    """``'separable_3x3_4'`` -> ``(4, 3)``: (number of layers, filter shape)."""
    return _operation_to_num_layers(operation), _operation_to_filter_shape(operation)


def _operation_to_pooling_type(operation: str) -> str:
    """``'avg_pool_3x3'`` -> ``'avg'``."""
    return operation.split("_")[0]


def _operation_to_pooling_shape(operation: str) -> int:
    """``'avg_pool_3x3'`` -> 3 (square windows only)."""
    shape = operation.split("_")[-1]
    if "x" not in shape or len(set(shape.split("x"))) != 1:
        raise ValueError(f"nasnet operation {operation!r}: expected a square pooling shape such as 3x3")
    return int(shape.split("x")[0])


def _operation_to_pooling_info(operation: str):
    """``'max_pool_3x3'`` -> ``('max', 3)``."""
    return _operation_to_pooling_type(operation), _operation_to_pooling_shape(operation)


@dataclass(frozen=True)
class Operation:
    """One operation of a cell, parsed from its string.

    Attributes:
      name: the string (``'separable_5x5_2'``).
      kind: ``'separable'``, ``'pool'`` or ``'none'``.
      kernel_size: the square kernel or window (1 for ``'none'``).
      num_layers: stacked separable convolutions (1 otherwise).
      pooling_type: ``'avg'`` or ``'max'`` for pools, else ``''``.
    """

    name: str
    kind: str
    kernel_size: int = 1
    num_layers: int = 1
    pooling_type: str = ""


def parse_operation(operation: Union[str, Operation]) -> Operation:
    """Parses ``'separable_KxK_N'``, ``'avg_pool_KxK'``, ``'max_pool_KxK'`` or ``'none'``.

    Raises:
      ValueError: an operation NASNet does not have (naming it).
    """
    if isinstance(operation, Operation):
        return operation
    if "separable" in operation:
        num_layers, kernel_size = _operation_to_info(operation)
        return Operation(operation, "separable", kernel_size, num_layers)
    if operation == "none":
        return Operation(operation, "none")
    if "pool" in operation:
        pooling_type, kernel_size = _operation_to_pooling_info(operation)
        if pooling_type not in ("avg", "max"):
            raise NotImplementedError(f"Unimplemented pooling type: {pooling_type!r} ({operation!r})")
        return Operation(operation, "pool", kernel_size, pooling_type=pooling_type)
    raise ValueError(f"Unimplemented operation {operation!r}")


def activation(use_bounded_activation: bool) -> Callable[[torch.Tensor], torch.Tensor]:
    """ReLU6 for bounded activations, else ReLU (looked up at call time in :mod:`torchslim.nn`)."""
    return slim.nn.relu6 if use_bounded_activation else slim.nn.relu


def _stacked_separable_conv(net: torch.Tensor, stride: int, operation: Union[str, Operation], filter_size: int,
                            use_bounded_activation: bool) -> torch.Tensor:
    """``num_layers`` x (activation, separable conv ``separable_KxK_i``, batch norm ``bn_sep_KxK_i``).

    Only the first convolution strides.
    """
    op = parse_operation(operation)
    activation_fn = activation(use_bounded_activation)
    for layer_num in range(1, op.num_layers + 1):
        net = activation_fn(net)
        net = slim.separable_conv2d(net, filter_size, op.kernel_size, depth_multiplier=1, stride=stride,
                                    scope="separable_{0}x{0}_{1}".format(op.kernel_size, layer_num))
        net = slim.batch_norm(net, scope="bn_sep_{0}x{0}_{1}".format(op.kernel_size, layer_num))
        stride = 1
    return net


def _pooling(net: torch.Tensor, stride: int, operation: Union[str, Operation],
             use_bounded_activation: bool) -> torch.Tensor:
    """The operation's SAME average or max pool (after ReLU6 with bounded activations)."""
    op = parse_operation(operation)
    if op.kind != "pool":
        raise ValueError(f"nasnet _pooling: {op.name!r} is not a pooling operation")
    if use_bounded_activation:
        net = slim.nn.relu6(net)
    pool = slim.avg_pool2d if op.pooling_type == "avg" else slim.max_pool2d
    return pool(net, op.kernel_size, stride=stride, padding="SAME")


def _clip(net: torch.Tensor) -> torch.Tensor:
    return torch.clamp(net, -CLIP_BY_VALUE_CAP, CLIP_BY_VALUE_CAP)


# --------------------------------------------------------------------------------------------------
# Cells


class NasNetABaseCell:
    """A NASNet cell, used as a 'layer' of the image nets.

    Args:
      num_conv_filters: filters of each convolution at ``filter_scaling`` 1.
      operations: the ten operation strings, two per combination, in order.
      used_hiddenstates: one flag per hidden state (the two inputs, then one per combination):
        1 where a combination consumed it; the unused states are concatenated as the output.
      hiddenstate_indices: the ten hidden-state indices the operations read.
      drop_path_keep_prob: keep probability of drop-path before its schedule (1.0: none).
      total_num_cells: cells of the net (for the drop-path schedule by layer).
      total_training_steps: burn-in steps of the drop-path schedule by step.
      use_bounded_activation: ReLU6 and clipping to [-6, 6] (for quantized inference).

    Raises:
      ValueError: the tables have the wrong lengths or an index points past the states.
    """

    def __init__(self, num_conv_filters: int, operations: Sequence[str], used_hiddenstates: Sequence[int],
                 hiddenstate_indices: Sequence[int], drop_path_keep_prob: float, total_num_cells: int,
                 total_training_steps: int, use_bounded_activation: bool = False):
        _check_cell_tables(operations, used_hiddenstates, hiddenstate_indices)
        self._num_conv_filters = num_conv_filters
        self._operations = list(operations)
        self._parsed_operations = [parse_operation(op) for op in operations]
        self._used_hiddenstates = list(used_hiddenstates)
        self._hiddenstate_indices = list(hiddenstate_indices)
        self._drop_path_keep_prob = drop_path_keep_prob
        self._total_num_cells = total_num_cells
        self._total_training_steps = total_training_steps
        self._use_bounded_activation = use_bounded_activation
        self._cell_num = -1
        self._filter_scaling = 1
        self._filter_size = num_conv_filters

    def __call__(self, net: torch.Tensor, scope: Optional[str] = None, filter_scaling: float = 1, stride: int = 1,
                 prev_layer: Optional[torch.Tensor] = None, cell_num: int = -1,
                 current_step: Optional[Number] = None) -> torch.Tensor:
        """Runs the cell.

        Args:
          net: the previous cell's output.
          scope: the cell's variable scope (``cell_3``, ``reduction_cell_0``).
          filter_scaling: the cell's width is ``int(num_conv_filters * filter_scaling)``.
          stride: 2 in reduction cells (applied to the operations on the two inputs).
          prev_layer: the output of the cell before the previous one (None: ``net``).
          cell_num: the cell's number in the whole net (for drop-path's schedule by layer).
          current_step: the training step for drop-path's schedule by step (see ``_apply_drop_path``).

        Returns:
          The concatenated unused hidden states.
        """
        self._cell_num = cell_num
        self._filter_scaling = filter_scaling
        self._filter_size = int(self._num_conv_filters * filter_scaling)
        with slim.variable_scope(scope):
            states = self._cell_base(net, prev_layer)
            for iteration in range(NUM_COMBINATIONS):
                with slim.variable_scope(f"comb_iter_{iteration}"):
                    states.append(self._combination(states, iteration, stride, current_step))
            with slim.variable_scope("cell_output"):
                return self._combine_unused_states(states)

    def _combination(self, states: List[torch.Tensor], iteration: int, stride: int,
                     current_step: Optional[Number]) -> torch.Tensor:
        """Combination ``iteration``: an operation on each of two states (``left``, ``right``), added."""
        outputs = []
        for side, i in (("left", 2 * iteration), ("right", 2 * iteration + 1)):
            index = self._hiddenstate_indices[i]
            with slim.variable_scope(side):
                outputs.append(self._apply_conv_operation(states[index], self._parsed_operations[i], stride,
                                                          index < 2, current_step))
        with slim.variable_scope("combine"):
            h = outputs[0] + outputs[1]
            return slim.nn.relu6(h) if self._use_bounded_activation else h

    def _reduce_prev_layer(self, prev_layer: Optional[torch.Tensor], curr_layer: torch.Tensor) -> torch.Tensor:
        """Brings ``prev_layer`` to ``curr_layer``'s spatial size and the cell's width."""
        if prev_layer is None:
            return curr_layer
        curr_num_filters = self._filter_size
        prev_num_filters = get_channel_dim(prev_layer.shape)
        activation_fn = activation(self._use_bounded_activation)
        if int(curr_layer.shape[2]) != int(prev_layer.shape[2]):
            return factorized_reduction(activation_fn(prev_layer), curr_num_filters, stride=2)
        if curr_num_filters != prev_num_filters:
            prev_layer = slim.conv2d(activation_fn(prev_layer), curr_num_filters, 1, scope="prev_1x1")
            prev_layer = slim.batch_norm(prev_layer, scope="prev_bn")
        return prev_layer

    def _cell_base(self, net: torch.Tensor, prev_layer: Optional[torch.Tensor]) -> List[torch.Tensor]:
        """The two input hidden states at the cell's width: ``[1x1(net), reduced prev_layer]``."""
        prev_layer = self._reduce_prev_layer(prev_layer, net)
        net = activation(self._use_bounded_activation)(net)
        net = slim.conv2d(net, self._filter_size, 1, scope="1x1")
        net = slim.batch_norm(net, scope="beginning_bn")
        return [net, prev_layer]

    def _apply_conv_operation(self, net: torch.Tensor, operation: Union[str, Operation], stride: int,
                              is_from_original_input: bool, current_step: Optional[Number]) -> torch.Tensor:
        """One operation on one hidden state (only the cell's two inputs are strided), then drop-path."""
        op = parse_operation(operation)
        if stride > 1 and not is_from_original_input:
            stride = 1
        input_filters = get_channel_dim(net.shape)
        filter_size = self._filter_size
        bounded = self._use_bounded_activation
        if op.kind == "separable":
            net = _stacked_separable_conv(net, stride, op, filter_size, bounded)
            if bounded:
                net = _clip(net)
        elif op.kind == "none":
            if bounded:
                net = slim.nn.relu6(net)
            if stride > 1 or input_filters != filter_size:
                if not bounded:
                    net = slim.nn.relu(net)
                net = slim.conv2d(net, filter_size, 1, stride=stride, scope="1x1")
                net = slim.batch_norm(net, scope="bn_1")
                if bounded:
                    net = _clip(net)
        else:
            net = _pooling(net, stride, op, bounded)
            if input_filters != filter_size:
                net = slim.conv2d(net, filter_size, 1, stride=1, scope="1x1")
                net = slim.batch_norm(net, scope="bn_1")
            if bounded:
                net = _clip(net)
        if op.kind != "none":
            net = self._apply_drop_path(net, current_step=current_step)
        return net

    def _combine_unused_states(self, states: List[torch.Tensor]) -> torch.Tensor:
        """Reduces the unused states to the last state's size and width (``reduction_<i>``), then concatenates."""
        final_height = int(states[-1].shape[2])
        final_num_filters = get_channel_dim(states[-1].shape)
        for idx, used in enumerate(self._used_hiddenstates):
            height = int(states[idx].shape[2])
            if not used and (height != final_height or get_channel_dim(states[idx].shape) != final_num_filters):
                with slim.variable_scope(f"reduction_{idx}"):
                    states[idx] = factorized_reduction(states[idx], final_num_filters,
                                                       2 if height != final_height else 1)
        unused = [h for h, used in zip(states, self._used_hiddenstates) if not used]
        return torch.cat(unused, dim=get_channel_index())

    @slim.add_arg_scope
    def _apply_drop_path(self, net: torch.Tensor, current_step: Optional[Number] = None,
                         use_summaries: bool = False, drop_connect_version: str = "v3") -> torch.Tensor:
        """Drop-path with upstream's schedule.

        The keep probability ``p`` becomes ``1 - r * (1 - p)``, with ``r`` the layer ratio
        ``(cell_num + 1) / total_num_cells`` (``'v2'``), the step ratio
        ``min(1, current_step / total_training_steps)`` (``'v1'``) or both, one after the other
        (``'v3'``, the default).

        Args:
          net: the operation's output.
          current_step: the training step (a number or tensor). Upstream's None reads the graph's
            global step; eager torchslim has none, so None skips the schedule by step (ratio 1,
            the full rate, as after burn-in). Pass the step for the burn-in.
          use_summaries: accepted for compatibility; no summaries are written.
          drop_connect_version: ``'v1'``, ``'v2'`` or ``'v3'``.

        Returns:
          ``net`` after drop-path (unchanged when the keep probability is 1 or not training).

        Raises:
          ValueError: an unknown ``drop_connect_version``, or a schedule by layer without ``cell_num``.
        """
        keep_prob = self._drop_path_keep_prob
        if keep_prob >= 1.0:
            return net
        if drop_connect_version not in ("v1", "v2", "v3"):
            raise ValueError(f"drop_path: drop_connect_version must be 'v1', 'v2' or 'v3', "
                             f"got {drop_connect_version!r}")
        if drop_connect_version in ("v2", "v3"):
            if self._cell_num == -1:
                raise ValueError("drop_path: the schedule by layer needs the cell's cell_num")
            layer_ratio = (self._cell_num + 1) / float(self._total_num_cells)
            keep_prob = 1 - layer_ratio * (1 - keep_prob)
        if drop_connect_version in ("v1", "v3") and current_step is not None:
            step = torch.as_tensor(current_step, dtype=torch.float32)
            current_ratio = torch.clamp(step / self._total_training_steps, max=1.0)
            keep_prob = 1 - current_ratio * (1 - keep_prob)
        return drop_path(net, keep_prob)


def _check_cell_tables(operations, used_hiddenstates, hiddenstate_indices) -> None:
    num_states = 2 + NUM_COMBINATIONS
    if len(operations) != 2 * NUM_COMBINATIONS or len(hiddenstate_indices) != 2 * NUM_COMBINATIONS:
        raise ValueError(f"nasnet cell: expected {2 * NUM_COMBINATIONS} operations and hidden-state indices, "
                         f"got {len(operations)} and {len(hiddenstate_indices)}")
    if len(used_hiddenstates) != num_states:
        raise ValueError(f"nasnet cell: expected {num_states} used_hiddenstates flags, got {len(used_hiddenstates)}")
    for i, index in enumerate(hiddenstate_indices):
        if not 0 <= index < 2 + i // 2:
            raise ValueError(f"nasnet cell: hiddenstate_indices[{i}] = {index} reads a state not made yet")


NASNET_A_NORMAL = dict(
    operations=["separable_5x5_2", "separable_3x3_2", "separable_5x5_2", "separable_3x3_2", "avg_pool_3x3",
                "none", "avg_pool_3x3", "avg_pool_3x3", "separable_3x3_2", "none"],
    used_hiddenstates=[1, 0, 0, 0, 0, 0, 0],
    hiddenstate_indices=[0, 1, 1, 1, 0, 1, 1, 1, 0, 0])
"""NASNet-A's normal cell (the paper's Figure 4, left)."""

NASNET_A_REDUCTION = dict(
    operations=["separable_5x5_2", "separable_7x7_2", "max_pool_3x3", "separable_7x7_2", "avg_pool_3x3",
                "separable_5x5_2", "none", "avg_pool_3x3", "separable_3x3_2", "max_pool_3x3"],
    used_hiddenstates=[1, 1, 1, 0, 0, 0, 0],
    hiddenstate_indices=[0, 1, 0, 1, 0, 1, 3, 2, 2, 0])
"""NASNet-A's reduction cell (the paper's Figure 4, right)."""


class NasNetANormalCell(NasNetABaseCell):
    """NASNet-A's normal cell (:data:`NASNET_A_NORMAL`)."""

    def __init__(self, num_conv_filters: int, drop_path_keep_prob: float, total_num_cells: int,
                 total_training_steps: int, use_bounded_activation: bool = False):
        super().__init__(num_conv_filters, drop_path_keep_prob=drop_path_keep_prob, total_num_cells=total_num_cells,
                         total_training_steps=total_training_steps, use_bounded_activation=use_bounded_activation,
                         **NASNET_A_NORMAL)


class NasNetAReductionCell(NasNetABaseCell):
    """NASNet-A's reduction cell (:data:`NASNET_A_REDUCTION`)."""

    def __init__(self, num_conv_filters: int, drop_path_keep_prob: float, total_num_cells: int,
                 total_training_steps: int, use_bounded_activation: bool = False):
        super().__init__(num_conv_filters, drop_path_keep_prob=drop_path_keep_prob, total_num_cells=total_num_cells,
                         total_training_steps=total_training_steps, use_bounded_activation=use_bounded_activation,
                         **NASNET_A_REDUCTION)
