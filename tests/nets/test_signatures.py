"""Every public net function's signature against the sources it ports, written down here from them.

Sources: ``tensorflow/models`` ``research/slim/nets`` (``resnet_utils.py`` and ``resnet_v2.py`` @03cdc5f,
``resnet_v1.py`` @3b998e4, ``inception_resnet_v2.py`` @608bd22, ``nets_factory.py`` @6766e6d, ``nasnet/*.py``
newest) and
davidsandberg/facenet ``src/models/inception_resnet_v1.py`` @096ed77. Parameter names, order, kinds
and defaults must be the sources'; a callable default is written by its name, ``UPDATE_OPS`` by its
key. The only additions are keyword-only (after ``*``) or whole functions TF-Slim lacks (the
basic-unit ResNets, facenet's arg scope and embeddings).
"""

from __future__ import annotations

import inspect

import pytest

import torchslim as slim
from torchslim.nets import (alexnet, cifarnet, inception_resnet_v1, inception_resnet_v2, inception_v1, lenet,
                            nets_factory, overfeat, resnet_utils, resnet_v1, resnet_v2, vgg)
from torchslim.nets import inception_v2, inception_v3, inception_v4
from torchslim.nets.mobilenet import mobilenet_v2, mobilenet_v3
from torchslim.nets import mobilenet_v1
from torchslim.nets.nasnet import nasnet, nasnet_utils, pnasnet

_V1_HEAD = "inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None, "
_V1_TAIL = "min_base_depth=8, depth_multiplier=1, reuse=None, scope='{}')"
_V2_NAMED = ("(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None, spatial_squeeze=True, "
             "reuse=None, scope='{}', *, store_non_strided_activations=False)")
_BLOCK = "(net, scale=1.0, activation_fn=relu, scope=None, reuse=None)"

SIGNATURES = {
    # resnet_utils
    resnet_utils.subsample: "(inputs, factor, scope=None)",
    resnet_utils.conv2d_same: "(inputs, num_outputs, kernel_size, stride, rate=1, scope=None)",
    resnet_utils.stack_blocks_dense: "(net, blocks, output_stride=None, store_non_strided_activations=False, "
                                     "outputs_collections=None)",
    resnet_utils.resnet_arg_scope: "(weight_decay=0.0001, batch_norm_decay=0.997, batch_norm_epsilon=1e-05, "
                                   "batch_norm_scale=True, activation_fn=relu, use_batch_norm=True, "
                                   "batch_norm_updates_collections=UPDATE_OPS)",
    # resnet_v1
    resnet_v1.bottleneck: "(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None, scope=None, "
                          "use_bounded_activations=False)",
    resnet_v1.resnet_v1: "(inputs, blocks, num_classes=None, is_training=True, global_pool=True, output_stride=None, "
                         "include_root_block=True, spatial_squeeze=True, store_non_strided_activations=False, "
                         "reuse=None, scope=None)",
    resnet_v1.resnet_v1_block: "(scope, base_depth, num_units, stride)",
    **{getattr(resnet_v1, f"resnet_v1_{d}"): "(" + _V1_HEAD + "spatial_squeeze=True, store_non_strided_activations="
       "False, " + _V1_TAIL.format(f"resnet_v1_{d}") for d in (18, 34, 50, 101)},
    **{getattr(resnet_v1, f"resnet_v1_{d}"): "(" + _V1_HEAD + "store_non_strided_activations=False, spatial_squeeze="
       "True, " + _V1_TAIL.format(f"resnet_v1_{d}") for d in (152, 200)},
    # resnet_v2
    resnet_v2.bottleneck: "(inputs, depth, depth_bottleneck, stride, rate=1, outputs_collections=None, scope=None)",
    resnet_v2.resnet_v2: "(inputs, blocks, num_classes=None, is_training=True, global_pool=True, output_stride=None, "
                         "include_root_block=True, spatial_squeeze=True, reuse=None, scope=None, *, "
                         "store_non_strided_activations=False)",
    resnet_v2.resnet_v2_block: "(scope, base_depth, num_units, stride)",
    **{getattr(resnet_v2, f"resnet_v2_{d}"): _V2_NAMED.format(f"resnet_v2_{d}") for d in (18, 34, 50, 101, 152, 200)},
    # facenet's inception_resnet_v1
    inception_resnet_v1.block35: _BLOCK,
    inception_resnet_v1.block17: _BLOCK,
    inception_resnet_v1.block8: _BLOCK,
    inception_resnet_v1.reduction_a: "(net, k, l, m, n)",
    inception_resnet_v1.reduction_b: "(net)",
    inception_resnet_v1.inference: "(images, keep_probability, phase_train=True, bottleneck_layer_size=128, "
                                   "weight_decay=0.0, reuse=None)",
    inception_resnet_v1.inception_resnet_v1: "(inputs, is_training=True, dropout_keep_prob=0.8, "
                                             "bottleneck_layer_size=128, reuse=None, scope='InceptionResnetV1')",
    # inception_resnet_v2
    inception_resnet_v2.block35: _BLOCK,
    inception_resnet_v2.block17: _BLOCK,
    inception_resnet_v2.block8: _BLOCK,
    inception_resnet_v2.inception_resnet_v2_base: "(inputs, final_endpoint='Conv2d_7b_1x1', output_stride=16, "
                                                  "align_feature_maps=False, scope=None, activation_fn=relu)",
    inception_resnet_v2.inception_resnet_v2: "(inputs, num_classes=1001, is_training=True, dropout_keep_prob=0.8, "
                                             "reuse=None, scope='InceptionResnetV2', create_aux_logits=True, "
                                             "activation_fn=relu)",
    inception_resnet_v2.inception_resnet_v2_arg_scope: "(weight_decay=4e-05, batch_norm_decay=0.9997, "
                                                       "batch_norm_epsilon=0.001, activation_fn=relu, "
                                                       "batch_norm_updates_collections=UPDATE_OPS, "
                                                       "batch_norm_scale=False)",
    # nets_factory
    nets_factory.get_network_fn: "(name, num_classes, weight_decay=0.0, is_training=False)",
}

# Inception v2 (inception_v2.py with include_root_block), v3 and v4, newest research/slim/nets.
_INCEPTION_HEAD = "(inputs, num_classes=1000, is_training=True, dropout_keep_prob=0.8, min_depth=16, depth_multiplier=1.0, "
SIGNATURES.update({
    inception_v2.inception_v2_base: "(inputs, final_endpoint='Mixed_5c', min_depth=16, depth_multiplier=1.0, "
                                    "use_separable_conv=True, data_format='NHWC', include_root_block=True, scope=None)",
    inception_v2.inception_v2: _INCEPTION_HEAD + "prediction_fn=softmax, spatial_squeeze=True, reuse=None, "
                                                 "scope='InceptionV2', global_pool=False)",
    inception_v3.inception_v3_base: "(inputs, final_endpoint='Mixed_7c', min_depth=16, depth_multiplier=1.0, "
                                    "scope=None)",
    inception_v3.inception_v3: _INCEPTION_HEAD + "prediction_fn=softmax, spatial_squeeze=True, reuse=None, "
                                                 "create_aux_logits=True, scope='InceptionV3', global_pool=False)",
    inception_v3._reduced_kernel_size_for_small_input: "(input_tensor, kernel_size)",
    inception_v4.inception_v4_base: "(inputs, final_endpoint='Mixed_7d', scope=None)",
    inception_v4.inception_v4: "(inputs, num_classes=1001, is_training=True, dropout_keep_prob=0.8, reuse=None, "
                               "scope='InceptionV4', create_aux_logits=True)",
    **{getattr(inception_v4, f"block_{kind}"): "(inputs, scope=None, reuse=None)"
       for kind in ("inception_a", "reduction_a", "inception_b", "reduction_b", "inception_c")},
})

# MobileNet v1, newest research/slim/nets/mobilenet_v1.py. The widths are its wrapped_partial objects, whose
# signature inspect reports as mobilenet_v1's (update_wrapper sets __wrapped__), there as here.
_MOBILENET_V1_HEAD = "(inputs, num_classes=1000, dropout_keep_prob=0.999, is_training=True, min_depth=8, "
_MOBILENET_V1_TAIL = ("conv_defs=None, prediction_fn=softmax, spatial_squeeze=True, reuse=None, scope='MobilenetV1', "
                      "global_pool=False)")
SIGNATURES.update({
    mobilenet_v1.mobilenet_v1_base: "(inputs, final_endpoint='Conv2d_13_pointwise', min_depth=8, depth_multiplier=1.0, "
                                    "conv_defs=None, output_stride=None, use_explicit_padding=False, scope=None)",
    mobilenet_v1.mobilenet_v1: _MOBILENET_V1_HEAD + "depth_multiplier=1.0, " + _MOBILENET_V1_TAIL,
    **{getattr(mobilenet_v1, f"mobilenet_v1_{w}"): _MOBILENET_V1_HEAD + "depth_multiplier=1.0, " + _MOBILENET_V1_TAIL
       for w in ("075", "050", "025")},
    mobilenet_v1._reduced_kernel_size_for_small_input: "(input_tensor, kernel_size)",
    mobilenet_v1._fixed_padding: "(inputs, kernel_size, rate=1)",
    mobilenet_v1.mobilenet_v1_arg_scope: "(is_training=True, weight_decay=4e-05, stddev=0.09, regularize_depthwise=False, "
                                         "batch_norm_decay=0.9997, batch_norm_epsilon=0.001, "
                                         "batch_norm_updates_collections=UPDATE_OPS, normalizer_fn=batch_norm)",
})

# nasnet/nasnet_utils.py, nasnet.py, pnasnet.py (newest, tf_slim)
_NASNET_SCOPE = "(weight_decay={}, batch_norm_decay={}, batch_norm_epsilon={})"
_NASNET_BUILD = "(images, num_classes, is_training=True, final_endpoint=None, config=None{})"
SIGNATURES.update({
    nasnet_utils.calc_reduction_layers: "(num_cells, num_reduction_layers)",
    nasnet_utils.get_channel_index: "(data_format='null')",
    nasnet_utils.get_channel_dim: "(shape, data_format='null')",
    nasnet_utils.global_avg_pool: "(x, data_format='null')",
    nasnet_utils.factorized_reduction: "(net, output_filters, stride, data_format='null')",
    nasnet_utils.drop_path: "(net, keep_prob, is_training=True)",
    nasnet.nasnet_cifar_arg_scope: _NASNET_SCOPE.format(0.0005, 0.9, 1e-05),
    nasnet.nasnet_mobile_arg_scope: _NASNET_SCOPE.format(4e-05, 0.9997, 0.001),
    nasnet.nasnet_large_arg_scope: _NASNET_SCOPE.format(5e-05, 0.9997, 0.001),
    pnasnet.pnasnet_mobile_arg_scope: _NASNET_SCOPE.format(4e-05, 0.9997, 0.001),
    pnasnet.pnasnet_large_arg_scope: _NASNET_SCOPE.format(4e-05, 0.9997, 0.001),
    nasnet.build_nasnet_cifar: "(images, num_classes, is_training=True, config=None, current_step=None)",
    nasnet.build_nasnet_mobile: _NASNET_BUILD.format(", current_step=None"),
    nasnet.build_nasnet_large: _NASNET_BUILD.format(", current_step=None"),
    pnasnet.build_pnasnet_mobile: _NASNET_BUILD.format(""),
    pnasnet.build_pnasnet_large: _NASNET_BUILD.format(""),
})


def _default(value) -> str:
    if value is slim.GraphKeys.UPDATE_OPS:
        return "UPDATE_OPS"
    if callable(value):
        return value.__name__
    return repr(value)


def _signature(fn) -> str:
    parts, starred = [], False
    for p in inspect.signature(fn).parameters.values():
        assert p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY), (fn.__name__, p)
        if p.kind is p.KEYWORD_ONLY and not starred:
            parts.append("*")
            starred = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={_default(p.default)}")
    return "(" + ", ".join(parts) + ")"


@pytest.mark.parametrize("fn", list(SIGNATURES), ids=lambda f: f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}")
def test_signature_is_the_sources(fn):
    assert _signature(fn) == SIGNATURES[fn]


def test_activation_defaults_are_slims_relu():
    for fn in (resnet_utils.resnet_arg_scope, inception_resnet_v1.block35, inception_resnet_v2.block8,
               inception_resnet_v2.inception_resnet_v2, inception_resnet_v2.inception_resnet_v2_arg_scope):
        assert inspect.signature(fn).parameters["activation_fn"].default is slim.nn.relu


def test_block_namedtuple_and_shared_arg_scope():
    assert resnet_utils.Block._fields == ("scope", "unit_fn", "args")
    assert resnet_v1.resnet_arg_scope is resnet_v2.resnet_arg_scope is resnet_utils.resnet_arg_scope
    block = resnet_v1.resnet_v1_block("block1", base_depth=64, num_units=3, stride=2)
    assert block == ("block1", resnet_v1.bottleneck, [{"depth": 256, "depth_bottleneck": 64, "stride": 1}] * 2
                     + [{"depth": 256, "depth_bottleneck": 64, "stride": 2}])
    assert resnet_v2.resnet_v2_block("b", 2, 1, 1).unit_fn is resnet_v2.bottleneck


DEFAULT_IMAGE_SIZES = {
    **{getattr(m, f"{m.__name__.rsplit('.', 1)[-1]}{d}"): 224 for m in (resnet_v1, resnet_v2)
       for d in ("", "_18", "_34", "_50", "_101", "_152", "_200")},
    inception_resnet_v2.inception_resnet_v2: 299,
    inception_resnet_v1.inception_resnet_v1: 160,  # facenet's training size (facenet sets no attribute)
}
DEFAULT_IMAGE_SIZES.update({inception_v2.inception_v2: 224, inception_v3.inception_v3: 299,
                            inception_v4.inception_v4: 299})
DEFAULT_IMAGE_SIZES.update({getattr(mobilenet_v1, name): 224 for name in (
    "mobilenet_v1", "mobilenet_v1_075", "mobilenet_v1_050", "mobilenet_v1_025")})
DEFAULT_IMAGE_SIZES.update({nasnet.build_nasnet_cifar: 32, nasnet.build_nasnet_mobile: 224,
                            nasnet.build_nasnet_large: 331, pnasnet.build_pnasnet_mobile: 224,
                            pnasnet.build_pnasnet_large: 331})


@pytest.mark.parametrize("fn", list(DEFAULT_IMAGE_SIZES), ids=lambda f: f.__name__)
def test_default_image_size(fn):
    assert fn.default_image_size == DEFAULT_IMAGE_SIZES[fn]


# The entries of TF-Slim's networks_map for the nets torchslim has.
TF_SLIM_FACTORY = {
    "inception_resnet_v2": (inception_resnet_v2.inception_resnet_v2, inception_resnet_v2.inception_resnet_v2_arg_scope),
    **{f"resnet_{v}_{d}": (getattr(m, f"resnet_{v}_{d}"), resnet_utils.resnet_arg_scope)
       for v, m in (("v1", resnet_v1), ("v2", resnet_v2)) for d in (50, 101, 152, 200)},
    "lenet": (lenet.lenet, lenet.lenet_arg_scope),
    "cifarnet": (cifarnet.cifarnet, cifarnet.cifarnet_arg_scope),
    "alexnet_v2": (alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope),
    "overfeat": (overfeat.overfeat, overfeat.overfeat_arg_scope),
    **{name: (getattr(vgg, name), vgg.vgg_arg_scope) for name in ("vgg_a", "vgg_16", "vgg_19")},
    "inception_v1": (inception_v1.inception_v1, inception_v1.inception_v1_arg_scope),
}
TF_SLIM_FACTORY.update({f"inception_{v}": (getattr(m, f"inception_{v}"), getattr(m, f"inception_{v}_arg_scope"))
                        for v, m in (("v2", inception_v2), ("v3", inception_v3), ("v4", inception_v4))})
TF_SLIM_FACTORY.update({name: (getattr(m, fn), m.training_scope) for name, m, fn in (
    ("mobilenet_v2", mobilenet_v2, "mobilenet"), ("mobilenet_v2_140", mobilenet_v2, "mobilenet_v2_140"),
    ("mobilenet_v2_035", mobilenet_v2, "mobilenet_v2_035"), ("mobilenet_v3_small", mobilenet_v3, "small"),
    ("mobilenet_v3_large", mobilenet_v3, "large"), ("mobilenet_v3_small_minimalistic", mobilenet_v3, "small_minimalistic"),
    ("mobilenet_v3_large_minimalistic", mobilenet_v3, "large_minimalistic"),
    ("mobilenet_edgetpu", mobilenet_v3, "edge_tpu"), ("mobilenet_edgetpu_075", mobilenet_v3, "edge_tpu_075"))})
TF_SLIM_FACTORY.update({name: (getattr(mobilenet_v1, name), mobilenet_v1.mobilenet_v1_arg_scope) for name in (
    "mobilenet_v1", "mobilenet_v1_075", "mobilenet_v1_050", "mobilenet_v1_025")})
TF_SLIM_FACTORY.update({name: (getattr(m, "build_" + name), getattr(m, name + "_arg_scope"))
                        for m, names in ((nasnet, ("nasnet_cifar", "nasnet_mobile", "nasnet_large")),
                                         (pnasnet, ("pnasnet_mobile", "pnasnet_large"))) for name in names})


def test_nets_factory_has_tf_slims_names():
    assert set(TF_SLIM_FACTORY) <= set(nets_factory.list_networks())
    for name, (fn, arg_scope_fn) in TF_SLIM_FACTORY.items():
        assert nets_factory.networks_map[name] is fn
        assert nets_factory.arg_scopes_map[name] is arg_scope_fn
    extra = set(nets_factory.list_networks()) - set(TF_SLIM_FACTORY)
    assert extra == {"inception_resnet_v1", "resnet_v1_18", "resnet_v1_34", "resnet_v2_18", "resnet_v2_34",
                     "resnet_v2_digits", "resnet_v1_small", "resnet_v2_small"}


# --- the video nets (research/slim/nets i3d.py @e2e441f, i3d_utils.py @5440b66, s3dg.py @608bd22) ---

from torchslim.nets import i3d, i3d_utils, s3dg  # noqa: E402

_VIDEO_BASE = ("first_temporal_kernel_size=3, temporal_conv_startat='Conv2d_2c_3x3', gating_startat='Conv2d_2c_3x3', "
               "final_endpoint='Mixed_5c', min_depth=16, depth_multiplier=1.0, ")
VIDEO_SIGNATURES = {
    i3d_utils.center_initializer: "()",
    i3d_utils.conv3d_spatiotemporal: "(inputs, num_outputs, kernel_size, stride=1, padding='SAME', activation_fn=None, "
                                     "normalizer_fn=None, normalizer_params=None, weights_regularizer=None, "
                                     "separable=False, data_format='NDHWC', scope='')",
    i3d_utils.inception_block_v1_3d: "(inputs, num_outputs_0_0a, num_outputs_1_0a, num_outputs_1_0b, num_outputs_2_0a, "
                                     "num_outputs_2_0b, num_outputs_3_0b, temporal_kernel_size=3, "
                                     "self_gating_fn=None, data_format='NDHWC', scope='')",
    i3d_utils.reduced_kernel_size_3d: "(input_tensor, kernel_size)",
    s3dg.s3dg_arg_scope: "(weight_decay=1e-07, batch_norm_decay=0.999, batch_norm_epsilon=0.001)",
    s3dg.self_gating: "(input_tensor, scope, data_format='NDHWC')",
    s3dg.s3dg_base: "(inputs, " + _VIDEO_BASE + "data_format='NDHWC', scope='InceptionV1')",
    s3dg.s3dg: "(inputs, num_classes=1000, " + _VIDEO_BASE + "dropout_keep_prob=0.8, is_training=True, "
               "prediction_fn=softmax, spatial_squeeze=True, reuse=None, data_format='NDHWC', scope='InceptionV1')",
    i3d.i3d_arg_scope: "(weight_decay=1e-07, batch_norm_decay=0.999, batch_norm_epsilon=0.001, use_renorm=False, "
                       "separable_conv3d=False)",
    i3d.i3d_base: "(inputs, final_endpoint='Mixed_5c', scope='InceptionV1')",
    i3d.i3d: "(inputs, num_classes=1000, dropout_keep_prob=0.8, is_training=True, prediction_fn=softmax, "
             "spatial_squeeze=True, reuse=None, scope='InceptionV1')",
}


@pytest.mark.parametrize("fn", list(VIDEO_SIGNATURES), ids=lambda f: f"{f.__module__.rsplit('.', 1)[-1]}.{f.__name__}")
def test_video_signature_is_the_sources(fn):
    assert _signature(fn) == VIDEO_SIGNATURES[fn]


# TF-Slim's networks_map has both (checked by test_nets_factory_has_tf_slims_names).
TF_SLIM_FACTORY.update({"i3d": (i3d.i3d, i3d.i3d_arg_scope), "s3dg": (s3dg.s3dg, s3dg.s3dg_arg_scope)})


@pytest.mark.parametrize("name", ["i3d", "s3dg"])
def test_video_default_image_size(name):
    assert nets_factory.networks_map[name].default_image_size == 224 == nets_factory.default_image_size(name)
