"""NASNet-A: the cases of upstream's nasnet_test.py, ported, and the eager meanings.

The default-size manifests (nasnet_cifar / _mobile / _large, is_training False) and the golden cases
``nasnet_*_small`` are checked by test_zoo_manifests / test_zoo_golden. Here: training builds (aux
head), no classes, the hparams overrides, final end points, unknown batch size, NCHW, bounded
activations and drop-path. NASNet-large is only built to its ``Stem`` (331 px is slow on CPU).
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import nets_factory
from torchslim.nets.nasnet import nasnet

from ._nasnet import build, count_activations, end_point_shapes, nchw_matches_nhwc, shapes, small

CIFAR = (nasnet.build_nasnet_cifar, nasnet.nasnet_cifar_arg_scope)
MOBILE = (nasnet.build_nasnet_mobile, nasnet.nasnet_mobile_arg_scope)
LARGE = (nasnet.build_nasnet_large, nasnet.nasnet_large_arg_scope)


def cifar_end_point_shapes(batch, num_classes):
    return end_point_shapes(batch, num_classes, [32, 32, 96], [(6, 32, 192), (6, 16, 384), (6, 8, 768)],
                            [[16, 16, 256], [8, 8, 512]])


def mobile_end_point_shapes(batch, num_classes):
    return end_point_shapes(batch, num_classes, [28, 28, 88], [(4, 28, 264), (4, 14, 528), (4, 7, 1056)],
                            [[14, 14, 352], [7, 7, 704]])


# --------------------------------------------------------------------------------------------------
# Upstream's nasnet_test.py


def test_build_logits_and_all_end_points_cifar_model():
    """testBuildLogitsCifarModel + testAllEndPointsShapesCifarModel (training: the aux head is built)."""
    _, logits, end_points = build(*CIFAR, torch.rand(2, 32, 32, 3), num_classes=10)
    assert list(logits.shape) == [2, 10]
    assert shapes(end_points) == cifar_end_point_shapes(2, 10)
    assert list(end_points) == list(cifar_end_point_shapes(2, 10))  # TF-Slim's dict order


def test_build_logits_and_all_end_points_mobile_model():
    """testBuildLogitsMobileModel + testAllEndPointsShapesMobileModel."""
    _, logits, end_points = build(*MOBILE, torch.rand(1, 224, 224, 3), num_classes=1000)
    assert list(logits.shape) == [1, 1000]
    assert shapes(end_points) == mobile_end_point_shapes(1, 1000)


def test_build_logits_large_model_small_config():
    """testBuildLogitsLargeModel at 3 cells of 8 filters (the default-size large net is the manifest's)."""
    _, logits, end_points = build(*LARGE, torch.rand(2, 96, 96, 3), num_classes=7,
                                  config=small(nasnet.large_imagenet_config))
    assert list(logits.shape) == list(end_points["AuxLogits"].shape) == list(end_points["Predictions"].shape) == [2, 7]


@pytest.mark.parametrize("fn,arg_scope,size,width", [(*CIFAR, 32, 768), (*MOBILE, 224, 1056)])
def test_build_pre_logits(fn, arg_scope, size, width):
    """testBuildPreLogits*Model: no classes -> the global pool, no AuxLogits, no Predictions."""
    _, net, end_points = build(fn, arg_scope, torch.rand(1, size, size, 3), num_classes=None)
    assert "AuxLogits" not in end_points and "Predictions" not in end_points
    assert list(net.shape) == [1, width]
    assert net is end_points["global_pool"]


def test_build_pre_logits_large_model_small_config():
    config = small(nasnet.large_imagenet_config)
    _, net, end_points = build(*LARGE, torch.rand(1, 72, 72, 3), num_classes=0, config=config)
    assert "AuxLogits" not in end_points and list(net.shape) == [1, 8 * 4 * 6]


@pytest.mark.parametrize("fn,arg_scope,config_fn,size", [
    (*CIFAR, nasnet.cifar_config, 32), (*MOBILE, nasnet.mobile_imagenet_config, 96),
    (*LARGE, nasnet.large_imagenet_config, 96)])
@pytest.mark.parametrize("use_aux_head", [True, False])
def test_no_aux_head(fn, arg_scope, config_fn, size, use_aux_head):
    """testNoAuxHead*Model (small configs)."""
    config = small(config_fn, use_aux_head=int(use_aux_head))
    model, _, end_points = build(fn, arg_scope, torch.rand(2, size, size, 3), num_classes=10, config=config)
    assert ("AuxLogits" in end_points) == use_aux_head
    assert any(name.startswith("aux_") for name in model.tf_variables()) == use_aux_head


def test_aux_head_variables():
    model, _, end_points = build(*CIFAR, torch.rand(2, 32, 32, 3), num_classes=10,
                                 config=small(nasnet.cifar_config, num_cells=6))
    names = [name for name in model.tf_variables() if name.startswith("aux_")]
    assert names == ["aux_3/aux_logits/proj/weights", "aux_3/aux_logits/aux_bn0/gamma", "aux_3/aux_logits/aux_bn0/beta",
                     "aux_3/aux_logits/aux_bn0/moving_mean", "aux_3/aux_logits/aux_bn0/moving_variance",
                     "aux_3/aux_logits/Conv/weights", "aux_3/aux_logits/aux_bn1/gamma",
                     "aux_3/aux_logits/aux_bn1/beta", "aux_3/aux_logits/aux_bn1/moving_mean",
                     "aux_3/aux_logits/aux_bn1/moving_variance", "aux_3/aux_logits/FC/weights",
                     "aux_3/aux_logits/FC/biases"]
    assert model.tf_variables()["aux_3/aux_logits/Conv/weights"].tf_shape == (4, 4, 128, 768)


def test_unknown_batch_size_mobile_model():
    """testUnknownBatchSizeMobileModel: one model, two batch sizes."""
    model, logits, _ = build(*MOBILE, torch.rand(1, 96, 96, 3), num_classes=10,
                             config=small(nasnet.mobile_imagenet_config), is_training=False)
    with torch.no_grad():
        assert list(model(torch.rand(3, 96, 96, 3))[0].shape) == [3, 10]
    assert list(logits.shape) == [1, 10]


def test_evaluation_mobile_model():
    """testEvaluationMobileModel: is_training False -> deterministic predictions, no aux head."""
    inputs = torch.rand(2, 224, 224, 3)
    model, logits, end_points = build(*MOBILE, inputs, num_classes=1000, is_training=False)
    assert list(torch.argmax(logits, 1).shape) == [2]
    assert "AuxLogits" not in end_points
    with torch.no_grad():
        torch.testing.assert_close(model(inputs)[0], logits)


@pytest.mark.parametrize("fn,arg_scope,config_fn,size,stem", [
    (*CIFAR, nasnet.cifar_config, 32, [5, 96, 32, 32]),
    (*MOBILE, nasnet.mobile_imagenet_config, 224, [5, 88, 28, 28]),
    (*LARGE, nasnet.large_imagenet_config, 331, [5, 336, 42, 42])])
def test_override_hparams_data_format(fn, arg_scope, config_fn, size, stem):
    """testOverrideHParams*Model: data_format NCHW (ImageNet nets built up to the Stem)."""
    config = config_fn()
    config.set_hparam("data_format", "NCHW")
    kwargs = {} if fn is nasnet.build_nasnet_cifar else {"final_endpoint": "Stem"}
    if fn is nasnet.build_nasnet_cifar:
        config.set_hparam("num_cells", 3)
    _, _, end_points = build(fn, arg_scope, torch.rand(5, size, size, 3), num_classes=10, config=config, **kwargs)
    assert list(end_points["Stem"].shape) == stem


def test_current_step_cifar_model():
    """testCurrentStepCifarModel (a tensor step)."""
    _, logits, end_points = build(*CIFAR, torch.rand(2, 32, 32, 3), num_classes=10,
                                  config=small(nasnet.cifar_config), current_step=torch.tensor(10))
    assert list(logits.shape) == list(end_points["AuxLogits"].shape) == [2, 10]


@pytest.mark.parametrize("use_bounded_activation", [True, False])
def test_use_bounded_activation_cifar_model(monkeypatch, use_bounded_activation):
    """testUseBoundedAcitvationCifarModel: every ReLU is a ReLU6 exactly when bounded."""
    counts = count_activations(monkeypatch)
    config = small(nasnet.cifar_config, use_bounded_activation=use_bounded_activation)
    build(*CIFAR, torch.rand(1, 32, 32, 3), num_classes=10, config=config)
    assert (counts["relu"] == 0) == use_bounded_activation
    assert (counts["relu6"] > 0) == use_bounded_activation


# --------------------------------------------------------------------------------------------------
# Beyond upstream's file


@pytest.mark.parametrize("final_endpoint", ["Stem", "Cell_0", "Reduction_Cell_0", "Cell_2", "global_pool"])
def test_final_endpoint(final_endpoint):
    _, net, end_points = build(*MOBILE, torch.rand(1, 64, 64, 3), num_classes=10, is_training=False,
                               config=small(nasnet.mobile_imagenet_config), final_endpoint=final_endpoint)
    assert list(end_points)[-1] == final_endpoint
    assert net is end_points[final_endpoint]


def test_final_endpoint_logits_returns_the_pre_logits_as_upstream():
    _, net, end_points = build(*MOBILE, torch.rand(1, 64, 64, 3), num_classes=10, is_training=False,
                               config=small(nasnet.mobile_imagenet_config), final_endpoint="Logits")
    assert list(end_points)[-1] == "Logits" and list(net.shape) == [1, 32 * 4 // 2 * 3 // 2 * 2]


def test_nchw_matches_nhwc_cifar():
    nchw_matches_nhwc(*CIFAR, small(nasnet.cifar_config), torch.rand(2, 32, 32, 3), num_classes=10,
                      is_training=False)


def test_nchw_matches_nhwc_large():
    nchw_matches_nhwc(*LARGE, small(nasnet.large_imagenet_config), torch.rand(1, 72, 72, 3), num_classes=10,
                      is_training=False)


def test_config_is_copied_not_changed():
    config = small(nasnet.cifar_config)
    build(*CIFAR, torch.rand(1, 32, 32, 3), num_classes=10, config=config, is_training=False)
    assert config.drop_path_keep_prob == 0.6


def test_drop_path_in_training():
    """Drop-path runs in training calls only; at step 0 of its schedule it keeps everything."""
    inputs = torch.rand(4, 32, 32, 3)
    config = small(nasnet.cifar_config, drop_path_keep_prob=0.5)
    model, _, _ = build(*CIFAR, inputs, num_classes=10, config=config, is_training=None)
    with torch.no_grad():
        torch.manual_seed(1)
        first = model(inputs)[0]
        torch.manual_seed(2)
        second = model(inputs)[0]
        assert not torch.allclose(first, second)
        model.eval()
        torch.testing.assert_close(model(inputs)[0], model(inputs)[0])
    with slim.arg_scope(nasnet.nasnet_cifar_arg_scope()):
        at_start = slim.Model(nasnet.build_nasnet_cifar, num_classes=10, config=config, current_step=0)
    with torch.no_grad():
        at_start.build(inputs)
        at_start.load_state_dict(model.state_dict())
        torch.manual_seed(1)
        a = at_start(inputs)[0]
        torch.manual_seed(2)
        torch.testing.assert_close(at_start(inputs)[0], a)


def test_is_training_none_builds_the_aux_head_in_both_modes():
    model, _, end_points = build(*CIFAR, torch.rand(2, 32, 32, 3), num_classes=10,
                                 config=small(nasnet.cifar_config), is_training=None)
    assert "AuxLogits" in end_points
    model.eval()
    with torch.no_grad():
        assert "AuxLogits" in model(torch.rand(2, 32, 32, 3))[1]


def test_factory_names_and_sizes():
    for name, size in [("nasnet_cifar", 32), ("nasnet_mobile", 224), ("nasnet_large", 331)]:
        assert nets_factory.networks_map[name] is getattr(nasnet, "build_" + name)
        assert nets_factory.arg_scopes_map[name] is getattr(nasnet, name + "_arg_scope")
        assert nets_factory.default_image_size(name) == size


def test_arg_scope_numbers():
    scope = nasnet.nasnet_cifar_arg_scope()
    batch_norm = scope[slim.arg_scope_func_key(slim.batch_norm)]
    assert (batch_norm["decay"], batch_norm["epsilon"], batch_norm["scale"]) == (0.9, 1e-5, True)
    fc = scope[slim.arg_scope_func_key(slim.fully_connected)]
    assert fc["scope"] == "FC" and fc["activation_fn"] is None
    assert nasnet.nasnet_large_arg_scope()[slim.arg_scope_func_key(slim.batch_norm)]["epsilon"] == 1e-3
