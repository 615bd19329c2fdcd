"""nets_factory: TF-Slim's name -> network / arg scope maps, get_network_fn, and create()."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import torchslim as slim
from torchslim.nets import nets_factory, resnet_utils, resnet_v1, resnet_v2

RESNETS = [f"resnet_{v}_{d}" for v in ("v1", "v2") for d in (18, 34, 50, 101, 152, 200)]


def test_resnets_are_registered():
    for name in RESNETS:
        version, depth = name.split("_")[1:]
        module = resnet_v1 if version == "v1" else resnet_v2
        assert nets_factory.networks_map[name] is getattr(module, name)
        assert nets_factory.arg_scopes_map[name] is resnet_utils.resnet_arg_scope
    assert set(RESNETS) <= set(nets_factory.list_networks())


def test_list_networks_natural_order():
    names = nets_factory.list_networks()
    assert names[names.index("resnet_v1_18"):names.index("resnet_v1_200") + 1] == [
        "resnet_v1_18", "resnet_v1_34", "resnet_v1_50", "resnet_v1_101", "resnet_v1_152", "resnet_v1_200"]
    assert {"inception_resnet_v1", "inception_resnet_v2"} <= set(names)
    assert names == [n for n in names if n in nets_factory.networks_map]
    assert len(nets_factory.networks_map) == len(names)


def test_unknown_name():
    with pytest.raises(ValueError, match="Name of network unknown resnet_v3_50"):
        nets_factory.get_network_fn("resnet_v3_50", 10)
    with pytest.raises(ValueError, match="Name of network unknown nope"):
        nets_factory.create("nope")
    assert "nope" not in nets_factory.networks_map
    with pytest.raises(KeyError):
        nets_factory.networks_map["nope"]


def test_importing_the_factory_imports_no_net():
    code = ("import sys; from torchslim.nets import nets_factory; "
            "print(sorted(m for m in sys.modules if m.startswith('torchslim.nets.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['torchslim.nets.nets_factory']"


def test_maps_accept_new_entries():
    def tiny(images, num_classes=None, is_training=True):
        return slim.conv2d(images, num_classes, [1, 1], scope="tiny"), {}

    nets_factory.networks_map["tiny"] = tiny
    nets_factory.arg_scopes_map["tiny"] = lambda weight_decay=0.0: resnet_utils.resnet_arg_scope(weight_decay)
    try:
        assert "tiny" in nets_factory.list_networks()
        fn = nets_factory.get_network_fn("tiny", 3)
        out, _ = slim.Model(fn)(torch.rand(1, 2, 2, 5))
        assert out.shape == (1, 2, 2, 3)
    finally:
        del nets_factory.networks_map["tiny"]
        del nets_factory.arg_scopes_map["tiny"]
    assert "tiny" not in nets_factory.list_networks()


def test_get_network_fn_resnet():
    fn = nets_factory.get_network_fn("resnet_v1_18", num_classes=7, weight_decay=0.01)
    assert fn.default_image_size == 224
    assert fn.__name__ == "resnet_v1_18"
    model = slim.Model(fn)
    logits, end_points = model(torch.rand(2, 64, 64, 3))
    assert logits.shape == (2, 7)
    assert "resnet_v1_18/logits" in end_points
    # TF's factory default: is_training=False, so the moving statistics stay put in a training call.
    mean = model.variable("resnet_v1_18/conv1/BatchNorm/moving_mean").to_tf()
    assert torch.equal(mean, torch.zeros_like(mean))
    # The arg scope's weight decay reaches every conv kernel.
    w = model.variable("resnet_v1_18/conv1/weights")
    assert len(model.regularization_losses()) == sum(n.endswith("/weights") for n in model.tf_variables())
    torch.testing.assert_close(model.regularization_losses()[0], 0.01 * w.to_tf().square().sum() / 2)


def test_get_network_fn_passes_extra_kwargs_and_replaces_outer_arg_scope():
    fn = nets_factory.get_network_fn("resnet_v2_18", None, is_training=True)

    def outer(images):
        # The factory enters its own arg scope (a dict), which replaces this one, as in TF-Slim.
        with slim.arg_scope([slim.conv2d], activation_fn=None, normalizer_fn=None):
            return fn(images, global_pool=False, output_stride=8, scope="seg")

    model = slim.Model(outer)
    net, end_points = model(torch.rand(1, 65, 65, 3))
    assert net.shape == (1, 9, 9, 512)
    assert "seg/block4" in end_points
    assert "seg/block1/unit_1/basic_v2/conv1/BatchNorm/gamma" in model.tf_variables()
    mean = model.variable("seg/postnorm/moving_mean").to_tf()
    assert not torch.equal(mean, torch.zeros_like(mean))  # is_training=True updated it


def test_create_resnet_follows_train_eval():
    model = nets_factory.create("resnet_v1_18", num_classes=5, weight_decay=1e-4)
    assert isinstance(model, slim.Model)
    assert model.default_image_size == 224
    x = torch.rand(2, 32, 32, 3)
    model.eval()
    with torch.no_grad():
        logits, end_points = model(x)
    assert logits.shape == (2, 5)
    name = "resnet_v1_18/conv1/BatchNorm/moving_mean"
    mean = model.variable(name).to_tf()
    assert torch.equal(mean, torch.zeros_like(mean))
    model.train()
    model(x)
    assert not torch.equal(model.variable(name).to_tf(), mean)
    assert len(model.regularization_losses()) == 21  # conv1, 16 unit convs, 3 shortcuts, logits


def test_create_binds_kwargs_and_keeps_outer_arg_scope():
    # The net's arg scope is taken on top of the one active at create(): with is_training=None the
    # outer batch-norm setting decides, whatever model.train() says.
    with slim.arg_scope([slim.batch_norm], is_training=False):
        model = nets_factory.create("resnet_v2_18", None, global_pool=False, output_stride=16, scope="features")
    model.train()
    net, end_points = model(torch.rand(1, 65, 65, 3))
    assert net.shape == (1, 5, 5, 512)
    assert next(iter(model.tf_variables())) == "features/conv1/weights"
    mean = model.variable("features/postnorm/moving_mean").to_tf()
    assert torch.equal(mean, torch.zeros_like(mean))
    assert model.regularization_losses() == []  # weight_decay=0.0 adds no loss, as TF


def test_create_fixed_is_training():
    model = nets_factory.create("resnet_v2_18", 3, is_training=False)
    model.train()
    model(torch.rand(2, 32, 32, 3))
    mean = model.variable("resnet_v2_18/postnorm/moving_mean").to_tf()
    assert torch.equal(mean, torch.zeros_like(mean))


def test_inception_resnet_v2_entry():
    from torchslim.nets import inception_resnet_v2

    assert nets_factory.networks_map["inception_resnet_v2"] is inception_resnet_v2.inception_resnet_v2
    assert nets_factory.arg_scopes_map["inception_resnet_v2"] is inception_resnet_v2.inception_resnet_v2_arg_scope
    fn = nets_factory.get_network_fn("inception_resnet_v2", 11)
    assert fn.default_image_size == 299
    model = nets_factory.create("inception_resnet_v2", 11)
    assert model.default_image_size == 299
    model.eval()
    with torch.no_grad():
        logits, end_points = model(torch.rand(1, 75, 75, 3), create_aux_logits=False)
    assert logits.shape == (1, 11)


def test_inception_resnet_v1_entry_maps_num_classes_to_the_embedding_size():
    from torchslim.nets import inception_resnet_v1

    assert nets_factory.arg_scopes_map["inception_resnet_v1"] is inception_resnet_v1.inception_resnet_v1_arg_scope
    net = nets_factory.networks_map["inception_resnet_v1"]
    assert net.default_image_size == inception_resnet_v1.inception_resnet_v1.default_image_size
    model = nets_factory.create("inception_resnet_v1", 64)
    model.eval()
    with torch.no_grad():
        prelogits, end_points = model(torch.rand(1, 80, 80, 3))
    assert prelogits.shape == (1, 64)
    assert "InceptionResnetV1/Bottleneck/weights" in model.tf_variables()
    assert model.variable("InceptionResnetV1/Bottleneck/weights").tf_shape == (1792, 64)
    default = nets_factory.create("inception_resnet_v1")
    with torch.no_grad():
        assert default.eval()(torch.rand(1, 80, 80, 3))[0].shape == (1, 128)


def test_build_model_builds_on_the_nets_default_size_without_touching_moving_statistics():
    model = nets_factory.build_model("resnet_v2_digits", num_classes=4, channels=1)
    assert model.training and model.default_image_size == 32
    assert next(model.parameters()).device.type == "cpu"
    variance = model.variable("resnet_v2_digits/postnorm/moving_variance").to_tf()
    assert torch.equal(variance, torch.ones_like(variance))  # built in eval mode: no batch-norm update
    logits, _ = model(torch.zeros(2, 32, 32, 1))
    assert logits.shape == (2, 4)
    assert nets_factory.default_image_size("resnet_v1_50") == 224
    with pytest.raises(ValueError, match="Name of network unknown nope"):
        nets_factory.build_model("nope")


ZOO_PART_1 = {  # name -> (module, network function, arg-scope function, default image size)
    "lenet": ("lenet", "lenet", "lenet_arg_scope", 28),
    "cifarnet": ("cifarnet", "cifarnet", "cifarnet_arg_scope", 32),
    "alexnet_v2": ("alexnet", "alexnet_v2", "alexnet_v2_arg_scope", 224),
    "overfeat": ("overfeat", "overfeat", "overfeat_arg_scope", 231),
    "vgg_a": ("vgg", "vgg_a", "vgg_arg_scope", 224),
    "vgg_16": ("vgg", "vgg_16", "vgg_arg_scope", 224),
    "vgg_19": ("vgg", "vgg_19", "vgg_arg_scope", 224),
    "inception_v1": ("inception_v1", "inception_v1", "inception_v1_arg_scope", 224),
    "inception_v2": ("inception_v2", "inception_v2", "inception_v2_arg_scope", 224),
    "inception_v3": ("inception_v3", "inception_v3", "inception_v3_arg_scope", 299),
    "inception_v4": ("inception_v4", "inception_v4", "inception_v4_arg_scope", 299),
}


@pytest.mark.parametrize("name", sorted(ZOO_PART_1))
def test_zoo_part_1_is_registered(name):
    import importlib

    module_name, fn, arg_scope_fn, size = ZOO_PART_1[name]
    module = importlib.import_module(f"torchslim.nets.{module_name}")
    assert nets_factory.networks_map[name] is getattr(module, fn)
    assert nets_factory.arg_scopes_map[name] is getattr(module, arg_scope_fn)
    assert nets_factory.get_network_fn(name, num_classes=10).default_image_size == size
    assert name in nets_factory.list_networks()


def test_get_network_fn_cifarnet():
    fn = nets_factory.get_network_fn("cifarnet", num_classes=10, weight_decay=0.01)
    model = slim.Model(fn)
    logits, end_points = model(torch.rand(2, 32, 32, 3))
    assert logits.shape == (2, 10)
    assert "Predictions" in end_points
    assert len(model.regularization_losses()) == 2


def test_mobilenet_v1_widths_in_the_factory():
    from torchslim.preprocessing import inception_preprocessing, preprocessing_factory

    for name, multiplier in [("mobilenet_v1_075", 0.75), ("mobilenet_v1_050", 0.5), ("mobilenet_v1_025", 0.25)]:
        assert nets_factory.default_image_size(name) == 224
        assert nets_factory.networks_map[name].keywords == {"depth_multiplier": multiplier}
    assert nets_factory.default_image_size("mobilenet_v1") == 224
    fn = nets_factory.get_network_fn("mobilenet_v1_025", num_classes=5)
    logits, end_points = slim.Model(fn)(torch.empty(1, 224, 224, 3, device="meta"))
    assert end_points["Conv2d_13_pointwise"].shape[3] == 256 and tuple(logits.shape) == (1, 5)
    assert preprocessing_factory.preprocessing_fn_map["mobilenet_v1"] is inception_preprocessing


def test_default_input_shape_of_image_and_video_nets():
    assert nets_factory.default_input_shape("resnet_v2_50", 2) == [2, 224, 224, 3]
    assert nets_factory.default_input_shape("inception_v3", 1, 0, 1) == [1, 299, 299, 1]
    assert nets_factory.default_input_shape("i3d", 2) == [2, 64, 224, 224, 3]
    assert nets_factory.default_input_shape("s3dg", 1, 32) == [1, 64, 32, 32, 3]
    with pytest.raises(ValueError, match="unknown"):
        nets_factory.default_input_shape("no_such_net")


def test_build_model_and_random_batch_give_a_video_net_clips():
    from torchslim import bench

    model = nets_factory.build_model("s3dg", num_classes=5, image_size=32)
    assert model.default_num_frames == 64
    clip = bench.random_batch(model, batch_size=2, image_size=32)
    assert clip.shape == (2, 64, 32, 32, 3)
    model.eval()
    with torch.no_grad():
        logits, _ = model(clip)
    assert logits.shape == (2, 5)
