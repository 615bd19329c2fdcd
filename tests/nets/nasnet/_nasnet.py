"""Helpers shared by the NASNet and PNASNet tests: build a net in its arg scope, small configs."""

from __future__ import annotations

from typing import Callable, Dict, List, Tuple

import torch

import torchslim as slim


def build(fn: Callable, arg_scope: Callable, inputs: torch.Tensor, **kwargs) -> Tuple[slim.Model, torch.Tensor, Dict]:
    """A model of ``fn(images, **kwargs)`` in ``arg_scope()``, called once (no grad) on ``inputs``."""
    with slim.arg_scope(arg_scope()):
        model = slim.Model(fn, **kwargs)
    with torch.no_grad():
        logits, end_points = model(inputs)
    return model, logits, end_points


def small(config_fn: Callable, **overrides):
    """``config_fn()`` with 3 cells of 8 filters (reductions before cells 1 and 2), plus ``overrides``."""
    config = config_fn()
    for name, value in {"num_cells": 3, "num_conv_filters": 8, **overrides}.items():
        config.set_hparam(name, value)
    return config


def end_point_shapes(batch: int, num_classes: int, stem: List[int], stages: List[Tuple[int, int, int]],
                     reductions: List[List[int]] = ()) -> Dict[str, List[int]]:
    """The end points of a training build, in TF-Slim's order.

    Args:
      stem: the Stem's ``[H, W, C]``.
      stages: ``(cells, size, width)`` per stack of cells; ``AuxLogits`` follows the second stack.
      reductions: NASNet's reduction cells' ``[H, W, C]``, one before each stack but the first.
    """
    want = {"Stem": [batch] + list(stem)}
    cell = 0
    for stage, (count, size, width) in enumerate(stages):
        if stage and reductions:
            want[f"Reduction_Cell_{stage - 1}"] = [batch] + list(reductions[stage - 1])
        for _ in range(count):
            want[f"Cell_{cell}"] = [batch, size, size, width]
            cell += 1
        if stage == 1:
            want["AuxLogits"] = [batch, num_classes]
    want.update({"global_pool": [batch, stages[-1][2]], "Logits": [batch, num_classes],
                 "Predictions": [batch, num_classes]})
    return want


def shapes(end_points: Dict[str, torch.Tensor]) -> Dict[str, List[int]]:
    return {name: list(value.shape) for name, value in end_points.items()}


def count_activations(monkeypatch) -> Dict[str, int]:
    """Counts the calls of ``slim.nn.relu`` and ``slim.nn.relu6`` (the graph op scan of upstream's test)."""
    counts = {"relu": 0, "relu6": 0}
    for name in counts:
        original = getattr(slim.nn, name)

        def counted(x, _name=name, _original=original):
            counts[_name] += 1
            return _original(x)

        monkeypatch.setattr(slim.nn, name, counted)
    return counts


def nchw_matches_nhwc(fn: Callable, arg_scope: Callable, config, inputs: torch.Tensor, **kwargs) -> None:
    """The net with ``data_format='NCHW'`` and the NHWC net's weights gives the NHWC net's numbers."""
    model, logits, end_points = build(fn, arg_scope, inputs, config=config, **kwargs)
    model.eval()
    nchw_config = type(config)(**config.values())
    nchw_config.set_hparam("data_format", "NCHW")
    with slim.arg_scope(arg_scope()):
        nchw = slim.Model(fn, config=nchw_config, **kwargs)
    nchw.eval()
    with torch.no_grad():
        logits, end_points = model(inputs)
        nchw.build(inputs)
        nchw.load_state_dict(model.state_dict())
        nchw_logits, nchw_end_points = nchw(inputs)
    for name, value in {"logits": logits, **end_points}.items():
        got = nchw_logits if name == "logits" else nchw_end_points[name]
        got = got.permute(0, 2, 3, 1) if got.dim() == 4 else got
        scaled = ((got - value).abs().max() / value.abs().max().clamp_min(1.0)).item()
        assert scaled <= 1e-5, f"{name}: NCHW differs from NHWC by {scaled:.3g} (scaled)"
