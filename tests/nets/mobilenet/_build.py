"""Helpers of the MobileNet tests: build a net in a model, read its convolutions' widths."""

from __future__ import annotations

import contextlib

from typing import Any, Callable, Dict, List, Optional, Tuple

import torch

import torchslim as slim


def build(fn: Callable, inputs: torch.Tensor, arg_scope: Optional[dict] = None,
          **kwargs: Any) -> Tuple[slim.Model, torch.Tensor, Dict[str, torch.Tensor]]:
    """``slim.Model(fn, **kwargs)`` made in ``arg_scope`` (None: the active one), in eval mode, called once on ``inputs``."""
    with slim.arg_scope(arg_scope) if arg_scope is not None else contextlib.nullcontext():
        model = slim.Model(fn, **kwargs)
    model.eval()
    with torch.no_grad():
        net, end_points = model(inputs)
    return model, net, end_points


def conv_depths(model: slim.Model) -> List[int]:
    """Output channels of every ``conv2d`` (not depthwise) in creation order: upstream's ``find_ops('Conv2D')``."""
    return [var.tf_shape[3] for name, var in model.tf_variables().items()
            if name.endswith("/weights") and len(var.tf_shape) == 4]


def images(batch: int, size: int, channels: int = 3, width: Optional[int] = None) -> torch.Tensor:
    """A random NHWC batch ``[batch, size, width or size, channels]``."""
    generator = torch.Generator().manual_seed(size * 31 + batch)
    return torch.rand(batch, size, width or size, channels, generator=generator) * 2 - 1
