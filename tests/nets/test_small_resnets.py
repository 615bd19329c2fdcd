"""The small ResNets of nets/small_resnets.py, built through the factory as ``torchslim train`` builds them."""

from __future__ import annotations

import json

import pytest
import torch

from torchslim.nets import nets_factory, resnet_utils, small_resnets


@pytest.mark.parametrize("name", ["resnet_v2_digits", "resnet_v1_small", "resnet_v2_small"])
def test_small_nets_build_under_their_scope(name):
    model = nets_factory.create(name, num_classes=10).build(torch.zeros(2, 32, 32, 3))
    logits, end_points = model(torch.zeros(2, 32, 32, 3))
    assert logits.shape == (2, 10) and f"{name}/logits" in end_points
    assert all(v.startswith(name + "/") for v in model.tf_variables())
    assert nets_factory.default_image_size(name) == 32 and name in nets_factory.list_networks()


@pytest.mark.parametrize("name", ["resnet_v1_small", "resnet_v2_small"])
def test_small_nets_have_the_variables_of_tf_slims_fixtures(fixtures_dir, name):
    manifest = json.loads((fixtures_dir / name / "manifest.json").read_text())
    model = nets_factory.create(name, num_classes=10).build(torch.zeros(2, 65, 65, 3))
    assert [[n, list(v.tf_shape)] for n, v in model.tf_variables().items()] == \
        [[n, shape] for n, shape, _ in manifest["variables"]]


def test_small_nets_are_registered_with_their_arg_scope():
    for name in ("resnet_v2_digits", "resnet_v1_small", "resnet_v2_small"):
        assert nets_factory.networks_map[name] is getattr(small_resnets, name)
        assert nets_factory.arg_scopes_map[name] is small_resnets.small_resnet_arg_scope


def test_small_resnet_arg_scope_is_resnets_with_a_faster_batch_norm_decay():
    def decays(scope):
        return sorted(params["decay"] for op in scope.values()
                      for params in (op, op.get("normalizer_params") or {}) if "decay" in params)

    assert decays(small_resnets.small_resnet_arg_scope(weight_decay=0.5)) == [0.9, 0.9]
    assert decays(resnet_utils.resnet_arg_scope()) == [0.997, 0.997]
