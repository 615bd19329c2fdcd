"""named_outputs: the eager stand-in for upstream's scan of graph op names."""

from __future__ import annotations

import torch

import torchslim as slim
from torchslim.nets.mobilenet import named_outputs


def test_identity_returns_the_tensor_and_records_only_while_recording():
    x = torch.ones(2)
    assert named_outputs.identity(x, "output") is x
    with named_outputs.recording() as records:
        named_outputs.identity(x, "output")
    assert [(r.scope, r.name) for r in records] == [("", "output")]
    named_outputs.identity(x, "output")
    assert len(records) == 1


def test_layer_outputs_keeps_the_output_scope_names_ending_in_output():
    def fn(x):
        with named_outputs.recording() as records:
            with slim.variable_scope("block"):
                a = named_outputs.identity(x + 1, "expansion_output")
                named_outputs.identity(a, "input")  # does not end in 'output'
                with slim.variable_scope("inner"):
                    named_outputs.identity(a * 2, "inner_output")  # another scope
                out = named_outputs.identity(a * 3, "output")
        return named_outputs.layer_outputs(records, out), named_outputs.layer_outputs(records, x)

    found, unnamed = slim.Model(fn)(torch.zeros(1))
    assert [name for name, _ in found] == ["expansion_output", "output"]
    torch.testing.assert_close(found[1][1], torch.tensor([3.0]))
    assert unnamed == []
