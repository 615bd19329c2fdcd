"""Named tensors of a block: the eager stand-in for upstream's scan of graph op names.

Upstream's ``mobilenet_base`` finds a layer's inner end points (``layer_3/expansion_output``,
``layer_3/depthwise_output``, ``layer_3/output``, split convolutions' ``expand_part_0_output``...)
after building the graph: every op whose name ends in ``output`` and that sits directly in the name
scope of the layer's output tensor. Eagerly there is no graph, so the blocks name those tensors
themselves with :func:`identity` (where upstream calls ``tf.identity(x, name=...)``): while
:func:`recording` is active, each call records the name scope it ran in, the name and the tensor.
:func:`layer_outputs` then applies upstream's rule to the records of one layer: find the name
scope where the layer's output was named, keep the names there that end in ``output``, in the
order they were made. A layer whose output was never named (a plain ``conv2d``) gives none, as in
TF, where its output is an activation op such as ``Conv/Relu6``.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator, List, NamedTuple, Optional, Tuple

import torch

from torchslim.scopes import active_call

__all__ = ["NamedOutput", "identity", "recording", "layer_outputs"]


class NamedOutput(NamedTuple):
    """One named tensor: the name scope it was named in, its name, the tensor."""

    scope: str
    name: str
    tensor: torch.Tensor


_RECORDS: contextvars.ContextVar[Optional[List[NamedOutput]]] = contextvars.ContextVar(
    "torchslim_mobilenet_named_outputs", default=None)


def identity(tensor: torch.Tensor, name: str) -> torch.Tensor:
    """``tf.identity(tensor, name=name)``: returns ``tensor``, recording its name while recording.

    Args:
      tensor: the tensor to name.
      name: its op name in the current name scope (``expansion_output``...).

    Returns:
      ``tensor`` itself.
    """
    records = _RECORDS.get()
    if records is not None:
        state = active_call()
        records.append(NamedOutput(state.name_scope if state is not None else "", name, tensor))
    return tensor


@contextlib.contextmanager
def recording() -> Iterator[List[NamedOutput]]:
    """Records every :func:`identity` inside the block; yields the list of records."""
    records: List[NamedOutput] = []
    token = _RECORDS.set(records)
    try:
        yield records
    finally:
        _RECORDS.reset(token)


def layer_outputs(records: List[NamedOutput], output: torch.Tensor) -> List[Tuple[str, torch.Tensor]]:
    """The ``(name, tensor)`` pairs upstream's scan finds for the layer that returned ``output``.

    Args:
      records: what :func:`recording` gathered while the layer ran.
      output: the layer's output tensor.

    Returns:
      The tensors named in the scope where ``output`` was named whose names end in ``output``, in
      creation order; empty when ``output`` was never named.
    """
    scope = next((record.scope for record in reversed(records) if record.tensor is output), None)
    if scope is None:
        return []
    return [(record.name, record.tensor) for record in records
            if record.scope == scope and record.name.endswith("output")]
