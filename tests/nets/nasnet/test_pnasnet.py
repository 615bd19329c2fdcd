"""PNASNet-5: the cases of upstream's pnasnet_test.py, ported.

The default-size manifests (is_training False) and the golden cases ``pnasnet_*_small`` are checked
by test_zoo_manifests / test_zoo_golden. PNASNet-large is only built small or to its ``Stem``.
"""

from __future__ import annotations

import pytest
import torch

from torchslim.nets import nets_factory
from torchslim.nets.nasnet import pnasnet

from ._nasnet import build, count_activations, end_point_shapes, nchw_matches_nhwc, shapes, small

MOBILE = (pnasnet.build_pnasnet_mobile, pnasnet.pnasnet_mobile_arg_scope)
LARGE = (pnasnet.build_pnasnet_large, pnasnet.pnasnet_large_arg_scope)


def mobile_end_point_shapes(batch, num_classes):
    return end_point_shapes(batch, num_classes, [28, 28, 135], [(3, 28, 270), (3, 14, 540), (3, 7, 1080)])


def test_build_logits_and_all_end_points_mobile_model():
    """testBuildLogitsMobileModel + testAllEndPointsShapesMobileModel (training: the aux head is built)."""
    _, logits, end_points = build(*MOBILE, torch.rand(1, 224, 224, 3), num_classes=1000)
    assert list(logits.shape) == [1, 1000]
    assert shapes(end_points) == mobile_end_point_shapes(1, 1000)
    assert list(end_points) == list(mobile_end_point_shapes(1, 1000))


def test_build_logits_large_model_small_config():
    """testBuildLogitsLargeModel / testAllEndPointsShapesLargeModel at 3 cells of 8 filters.

    Widths: five concatenated states of ``int(8 * scaling)`` filters (stem 1/2, then 1, 2, 4).
    """
    _, logits, end_points = build(*LARGE, torch.rand(2, 96, 96, 3), num_classes=7,
                                  config=small(pnasnet.large_imagenet_config))
    assert shapes(end_points) == {
        "Stem": [2, 12, 12, 20], "Cell_0": [2, 12, 12, 40], "Cell_1": [2, 6, 6, 80], "AuxLogits": [2, 7],
        "Cell_2": [2, 3, 3, 160], "global_pool": [2, 160], "Logits": [2, 7], "Predictions": [2, 7]}
    assert list(logits.shape) == [2, 7]


@pytest.mark.parametrize("fn,arg_scope,config", [(*MOBILE, None), (*LARGE, pnasnet.large_imagenet_config)])
def test_build_non_existing_layer(fn, arg_scope, config):
    """testBuildNonExistingLayer*Model: the stem's second cell has no 1x1 on its 'none' input."""
    kwargs = {"config": small(config)} if config else {}
    size = 96 if config else 224
    model, _, _ = build(fn, arg_scope, torch.rand(1, size, size, 3), num_classes=10, is_training=False, **kwargs)
    names = list(model.tf_variables())
    assert "cell_stem_0/1x1/weights" in names
    assert "cell_stem_1/comb_iter_0/right/1x1/weights" not in names


def test_build_pre_logits_mobile_model():
    """testBuildPreLogitsMobileModel."""
    _, net, end_points = build(*MOBILE, torch.rand(1, 224, 224, 3), num_classes=None)
    assert "AuxLogits" not in end_points and "Predictions" not in end_points
    assert list(net.shape) == [1, 1080]


@pytest.mark.parametrize("fn,arg_scope,config_fn", [(*MOBILE, pnasnet.mobile_imagenet_config),
                                                    (*LARGE, pnasnet.large_imagenet_config)])
@pytest.mark.parametrize("use_aux_head", [True, False])
def test_no_aux_head(fn, arg_scope, config_fn, use_aux_head):
    """testNoAuxHead*Model (small configs)."""
    config = small(config_fn, use_aux_head=int(use_aux_head))
    _, _, end_points = build(fn, arg_scope, torch.rand(2, 96, 96, 3), num_classes=10, config=config)
    assert ("AuxLogits" in end_points) == use_aux_head


@pytest.mark.parametrize("fn,arg_scope,config_fn,size,stem", [
    (*MOBILE, pnasnet.mobile_imagenet_config, 224, [5, 135, 28, 28]),
    (*LARGE, pnasnet.large_imagenet_config, 331, [5, 540, 42, 42])])
def test_override_hparams_data_format(fn, arg_scope, config_fn, size, stem):
    """testOverrideHParams*Model: data_format NCHW (built up to the Stem)."""
    config = config_fn()
    config.set_hparam("data_format", "NCHW")
    _, _, end_points = build(fn, arg_scope, torch.rand(5, size, size, 3), num_classes=10, config=config,
                             final_endpoint="Stem")
    assert list(end_points["Stem"].shape) == stem


@pytest.mark.parametrize("use_bounded_activation", [True, False])
def test_use_bounded_activation_mobile_model(monkeypatch, use_bounded_activation):
    """testUseBoundedAcitvationMobileModel (small config)."""
    counts = count_activations(monkeypatch)
    config = small(pnasnet.mobile_imagenet_config, use_bounded_activation=use_bounded_activation)
    build(*MOBILE, torch.rand(1, 96, 96, 3), num_classes=10, config=config)
    assert (counts["relu"] == 0) == use_bounded_activation
    assert (counts["relu6"] > 0) == use_bounded_activation


def test_unknown_batch_size():
    model, _, _ = build(*MOBILE, torch.rand(1, 96, 96, 3), num_classes=10, is_training=False,
                        config=small(pnasnet.mobile_imagenet_config))
    with torch.no_grad():
        assert list(model(torch.rand(4, 96, 96, 3))[0].shape) == [4, 10]


def test_nchw_matches_nhwc_mobile():
    nchw_matches_nhwc(*MOBILE, small(pnasnet.mobile_imagenet_config, num_conv_filters=10), torch.rand(2, 72, 72, 3),
                      num_classes=10, is_training=False)


@pytest.mark.parametrize("final_endpoint", ["Stem", "Cell_1", "global_pool"])
def test_final_endpoint(final_endpoint):
    _, net, end_points = build(*MOBILE, torch.rand(1, 64, 64, 3), num_classes=10, is_training=False,
                               config=small(pnasnet.mobile_imagenet_config), final_endpoint=final_endpoint)
    assert list(end_points)[-1] == final_endpoint and net is end_points[final_endpoint]


def test_factory_names_and_sizes():
    for name, size in [("pnasnet_mobile", 224), ("pnasnet_large", 331)]:
        assert nets_factory.networks_map[name] is getattr(pnasnet, "build_" + name)
        assert nets_factory.arg_scopes_map[name] is getattr(pnasnet, name + "_arg_scope")
        assert nets_factory.default_image_size(name) == size
