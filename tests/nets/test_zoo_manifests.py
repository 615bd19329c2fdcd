"""Every zoo net at its default size against TF-Slim's manifest (``<fixtures>/zoo/manifests``).

For each manifest whose net is in torchslim's ``nets_factory``: the net built as the manifest's
``case`` says (module, function, kwargs, arg scope) has TF-Slim's variables (names, TF shapes,
creation order, trainable), end points (names and shapes, in order), output shape and trainable
parameter count. Weights are zeros (structure only). Nets not in the factory yet are skipped with
their name.
"""

from __future__ import annotations

import pytest
import torch

from torchslim.nets import nets_factory

from ._zoo import (build_case, end_point_rows, first_difference, manifest_paths, read_json,
                   trainable_parameter_count, variable_rows)

# Default-size builds of the largest nets (100M+ parameters) take seconds each on 2 cores.
LARGE = {"vgg_16", "vgg_19", "vgg_a", "overfeat", "nasnet_large", "pnasnet_large"}
# Nets whose default-size input (64 frames of 224x224) is built on ``meta`` tensors: PyTorch's shape
# functions give the end points' shapes without the ~100 GFLOP forward pass (seconds, not minutes).
META_INPUT = {"i3d", "s3dg"}


def _params():
    paths = manifest_paths()
    if not paths:
        return [pytest.param(None, marks=pytest.mark.skip(reason="zoo manifests not found (shared fixtures absent)"),
                             id="no-manifests")]
    return [pytest.param(path, id=path.stem, marks=[pytest.mark.slow] if path.stem in LARGE else [])
            for path in paths]


@pytest.fixture(scope="module", params=_params())
def built(request):
    manifest = read_json(request.param)
    if manifest["net"] not in nets_factory.networks_map:
        pytest.skip(f"{manifest['net']} is not in torchslim's nets_factory yet")
    case = manifest["case"]
    inputs = torch.zeros(case["input_shape"], device="meta" if manifest["net"] in META_INPUT else "cpu")
    model, (output, end_points) = build_case(case, inputs, zero_weights=True)
    return manifest, model, output, end_points


def test_variables(built):
    manifest, model, _, _ = built
    got, want = variable_rows(model), [list(row) for row in manifest["variables"]]
    assert got == want, f"{manifest['net']}: {first_difference(got, want)}"


def test_end_points(built):
    manifest, _, _, end_points = built
    got, want = end_point_rows(end_points), [list(row) for row in manifest["end_points"]]
    assert got == want, f"{manifest['net']}: {first_difference(got, want)}"


def test_output_shape(built):
    manifest, _, output, _ = built
    assert list(output.shape) == manifest["output_shape"]


def test_trainable_parameters(built):
    manifest, model, _, _ = built
    assert trainable_parameter_count(model) == manifest["trainable_parameters"]
