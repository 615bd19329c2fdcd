"""The variable names and shapes the ResNet module docstrings list are the ones the nets create.

The basic-unit nets (``resnet_v{1,2}_{18,34}``) have no TF-Slim original, so their docstring is
where their checkpoint names are documented; this keeps that documentation true. Notation parsed:
``prefix/{a [shape], b [shape]}``, ``prefix/{a,b}  [shape]``, ``name  [shape]  (+ BatchNorm/*)``
(the conv's batch norm, of its output width) and ``prefix/*  [shape]`` (a batch norm's four).
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

import pytest
import torch

import torchslim as slim
from torchslim.nets import resnet_v1, resnet_v2

from ._resnet import fast_init_scope

NUM_CLASSES = 10
BATCH_NORM = ("gamma", "beta", "moving_mean", "moving_variance")
_LINE = re.compile(r"^\s+(resnet_v\d_\d+/\S*?)(?:\{(.*)\})?\s*(\[[^\]]*\])?\s*(\(\+ BatchNorm/\*\))?\s*$")


def _shape(text: Optional[str]) -> Optional[List[int]]:
    if not text:
        return None
    return [NUM_CLASSES if d.strip() == "num_classes" else int(d) for d in text.strip("[]").split(",")]


def documented(doc: str) -> Dict[str, Optional[List[int]]]:
    """``{variable name: shape or None}`` from a module docstring's listing lines."""
    names: Dict[str, Optional[List[int]]] = {}
    for line in doc.splitlines():
        match = _LINE.match(line)
        if not match:
            continue
        prefix, group, shape, with_bn = match.groups()
        items: List[Tuple[str, Optional[str]]]
        if group is not None:
            items = [(m.group(1), m.group(2) or shape) for m in re.finditer(r"(\w+)\s*(\[[^\]]*\])?", group)]
        elif prefix.endswith("/*"):
            prefix, items = prefix[:-1], [(leaf, shape) for leaf in BATCH_NORM]
        else:
            prefix, leaf = prefix.rsplit("/", 1)
            prefix, items = prefix + "/", [(leaf, shape)]
        for leaf, leaf_shape in items:
            names[prefix + leaf] = _shape(leaf_shape)
        if with_bn:
            width = _shape(shape)[-1]
            for leaf in BATCH_NORM:
                names[f"{prefix}BatchNorm/{leaf}"] = [width]
    return names


@pytest.mark.parametrize("module, nets", [(resnet_v1, ("resnet_v1_18", "resnet_v1_50")),
                                          (resnet_v2, ("resnet_v2_18", "resnet_v2_50"))],
                         ids=["resnet_v1", "resnet_v2"])
def test_docstring_variables_exist_with_their_shapes(module, nets):
    listed = documented(module.__doc__)
    assert len(listed) >= 30
    made = {}
    for net in nets:
        with slim.arg_scope(module.resnet_arg_scope()), fast_init_scope():
            model = slim.Model(getattr(module, net), NUM_CLASSES, is_training=False).build(torch.zeros(1, 32, 32, 3))
        made.update({name: list(var.tf_shape) for name, var in model.tf_variables().items()})
    for name, shape in listed.items():
        assert name in made, name
        assert shape is None or made[name] == shape, (name, made[name], shape)


def test_parser_reads_each_notation():
    doc = """
    resnet_v2_18/conv1/{weights [7, 7, 3, 64], biases [64]}
    resnet_v2_18/postnorm/{gamma,beta}          [512]
    resnet_v2_18/block2/unit_1/basic_v2/preact/*  [64]
    resnet_v1_18/conv1/weights   [7, 7, 3, 64]     (+ BatchNorm/*)
    resnet_v1_18/logits/{weights [1, 1, 512, num_classes], biases [num_classes]}
    """
    got = documented(doc)
    assert got["resnet_v2_18/conv1/biases"] == [64]
    assert got["resnet_v2_18/postnorm/beta"] == [512]
    assert got["resnet_v2_18/block2/unit_1/basic_v2/preact/moving_variance"] == [64]
    assert got["resnet_v1_18/conv1/weights"] == [7, 7, 3, 64]
    assert got["resnet_v1_18/conv1/BatchNorm/gamma"] == [64]
    assert got["resnet_v1_18/logits/weights"] == [1, 1, 512, NUM_CLASSES]
    assert len(got) == 2 + 2 + 4 + 5 + 2
