"""Slim's Inception v4: the cases of models' inception_v4_test.py, ported (see ``_inception``).

The default-size manifest and the golden case ``inception_v4_small`` are checked by
test_zoo_manifests / test_zoo_golden. Inception v4 has no width options, so the full-size model is
built once (module fixture) and called with other sizes and options.
"""

from __future__ import annotations

import pytest

import torchslim as slim
from torchslim.nets import inception
from torchslim.nets import inception_v4 as v4

from . import _inception as check
from ._inception import meta_images, shapes

ALL_SHAPES_299 = {
    "Conv2d_1a_3x3": (5, 149, 149, 32), "Conv2d_2a_3x3": (5, 147, 147, 32), "Conv2d_2b_3x3": (5, 147, 147, 64),
    "Mixed_3a": (5, 73, 73, 160), "Mixed_4a": (5, 71, 71, 192), "Mixed_5a": (5, 35, 35, 384),
    # 4 x Inception-A blocks
    "Mixed_5b": (5, 35, 35, 384), "Mixed_5c": (5, 35, 35, 384), "Mixed_5d": (5, 35, 35, 384),
    "Mixed_5e": (5, 35, 35, 384),
    # Reduction-A block
    "Mixed_6a": (5, 17, 17, 1024),
    # 7 x Inception-B blocks
    "Mixed_6b": (5, 17, 17, 1024), "Mixed_6c": (5, 17, 17, 1024), "Mixed_6d": (5, 17, 17, 1024),
    "Mixed_6e": (5, 17, 17, 1024), "Mixed_6f": (5, 17, 17, 1024), "Mixed_6g": (5, 17, 17, 1024),
    "Mixed_6h": (5, 17, 17, 1024),
    # Reduction-B block
    "Mixed_7a": (5, 8, 8, 1536),
    # 3 x Inception-C blocks
    "Mixed_7b": (5, 8, 8, 1536), "Mixed_7c": (5, 8, 8, 1536), "Mixed_7d": (5, 8, 8, 1536),
    # Logits and predictions
    "AuxLogits": (5, 1000), "global_pool": (5, 1, 1, 1536), "PreLogitsFlatten": (5, 1536),
    "Logits": (5, 1000), "Predictions": (5, 1000),
}


@pytest.fixture(scope="module")
def classifier():
    """Inception v4 with 1000 classes and AuxLogits, built at 299x299 (meta activations)."""
    return check.built_classifier(v4.inception_v4, v4.inception_v4_base, "InceptionV4", 299)


def test_build_logits(classifier):
    logits, end_points = classifier(meta_images(5, 299))
    assert tuple(logits.shape) == (5, 1000)
    assert end_points["Logits"] is logits
    assert tuple(end_points["AuxLogits"].shape) == (5, 1000)
    assert tuple(end_points["Predictions"].shape) == (5, 1000)


def test_build_pre_logits_network(classifier):
    for no_classes in (None, 0):
        net, end_points = classifier(meta_images(5, 299), num_classes=no_classes)
        assert tuple(net.shape) == (5, 1, 1, 1536)
        assert net is end_points["global_pool"]
        assert not {"Logits", "Predictions", "AuxLogits", "PreLogitsFlatten"} & set(end_points)


def test_build_without_aux_logits(classifier):
    logits, end_points = classifier(meta_images(5, 299), create_aux_logits=False)
    assert "AuxLogits" not in end_points
    assert tuple(logits.shape) == (5, 1000)


def test_all_end_points_shapes(classifier):
    _, end_points = classifier(meta_images(5, 299))
    assert shapes(end_points) == ALL_SHAPES_299
    assert list(end_points) == list(ALL_SHAPES_299)


def test_build_base_network(classifier):
    net, end_points = classifier(meta_images(5, 299), base=True)
    assert tuple(net.shape) == (5, 8, 8, 1536)
    assert net is end_points["Mixed_7d"]
    assert list(end_points) == list(v4.BASE_END_POINTS)


@pytest.mark.parametrize("final_endpoint", v4.BASE_END_POINTS)
def test_build_only_up_to_final_endpoint(classifier, final_endpoint):
    """End points stop at ``final_endpoint``; a fresh model's variables too (checked for the cheap early ones)."""
    net, end_points = classifier(meta_images(5, 299), base=True, final_endpoint=final_endpoint)
    index = v4.BASE_END_POINTS.index(final_endpoint)
    assert list(end_points) == list(v4.BASE_END_POINTS[:index + 1])
    assert net is end_points[final_endpoint]
    if index <= v4.BASE_END_POINTS.index("Mixed_5b"):
        check.check_build_only_up_to(v4.inception_v4_base, v4.BASE_END_POINTS, final_endpoint, 299, "InceptionV4")


def test_unknown_final_endpoint():
    model = slim.Model(v4.inception_v4_base, final_endpoint="Mixed_8a")
    with pytest.raises(ValueError, match="Unknown final endpoint Mixed_8a"):
        model(meta_images(1, 299))
    assert len(model.tf_variables()) == 0


def test_half_size_images(classifier):
    # At 150x150 Mixed_6h is 7x7 and the aux head's conv would be 1x1: the model built at 299 has 5x5.
    logits, end_points = classifier(meta_images(5, 150), create_aux_logits=False)
    assert tuple(logits.shape) == (5, 1000)
    assert tuple(end_points["Mixed_7d"].shape) == (5, 3, 3, 1536)


@pytest.mark.parametrize("height, width, rows, cols", [(350, 400, 9, 11), (150, 200, 3, 4)])
def test_global_pool(classifier, height, width, rows, cols):
    """testGlobalPool / testGlobalPoolUnknownImageShape: the head pools whatever Mixed_7d's size is."""
    logits, end_points = classifier(meta_images(1, height, width), create_aux_logits=False)
    assert tuple(end_points["Mixed_7d"].shape) == (1, rows, cols, 1536)
    assert tuple(end_points["global_pool"].shape) == (1, 1, 1, 1536)
    assert tuple(logits.shape) == (1, 1000)


def test_unknown_batch_size(classifier):
    check.check_unknown_batch_size(classifier, 299)


def test_train_eval_with_reuse(classifier):
    """A training tower at batch 5, then an eval tower at batch 2 with ``reuse=True``: no new variables."""
    count = len(classifier.tf_variables())
    logits, _ = classifier(meta_images(5, 299), eval_images=meta_images(2, 299))
    assert tuple(logits.argmax(dim=1).shape) == (2,)
    assert len(classifier.tf_variables()) == count


def test_block_functions_default_scopes():
    def blocks(x):
        a = v4.block_inception_a(x)
        b = v4.block_inception_a(a)
        return v4.block_reduction_a(b, scope="reduce")

    model = slim.Model(blocks)
    net = model(meta_images(2, 9, channels=384))
    assert tuple(net.shape) == (2, 4, 4, 1024)
    roots = sorted({name.split("/")[0] for name in model.tf_variables()})
    assert roots == ["BlockInceptionA", "BlockInceptionA_1", "reduce"]


@pytest.mark.parametrize("block, channels, out_channels", [
    (v4.block_inception_a, 384, 384), (v4.block_inception_b, 1024, 1024), (v4.block_inception_c, 1536, 1536),
])
def test_inception_blocks_keep_the_size(block, channels, out_channels):
    assert tuple(slim.Model(block)(meta_images(1, 5, channels=channels)).shape) == (1, 5, 5, out_channels)


def test_reduction_b_shape():
    assert tuple(slim.Model(v4.block_reduction_b)(meta_images(1, 17, channels=1024)).shape) == (1, 8, 8, 1536)


def test_batch_norm_scale():
    """testNoBatchNormScaleByDefault / testBatchNormScale, on the stem and the first Inception-A block."""
    check.check_batch_norm_scale(v4.inception_v4_base, v4.inception_v4_arg_scope, 299, final_endpoint="Mixed_5b")


def test_exported_names():
    assert v4.inception_v4.default_image_size == v4.default_image_size == 299
    assert inception.inception_v4 is v4.inception_v4 and inception.inception_v4_base is v4.inception_v4_base
    assert inception.inception_v4_arg_scope is v4.inception_v4_arg_scope
