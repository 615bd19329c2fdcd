"""The fully convolutional nets (AlexNet v2, OverFeat, VGG A/16/19) and their shared head.

Upstream's ``alexnet_test.py``, ``overfeat_test.py`` and ``vgg_test.py`` are the same cases for
each net; they are ported here once, parametrized by net: build (logits squeezed), fully
convolutional (a map of logits), global pool, end points, no classes, model variables,
evaluation, two batch sizes and two input sizes on one model (TF's unknown batch size and
``TrainEvalWithReuse``), forward. VGG runs at 32/64 px with ``fc_conv_padding='SAME'`` (its VALID
head needs 224 px, checked by the manifests); AlexNet and OverFeat need their default size.
Cases that need a model of their own (no classes, fewer classes, random weights) run on AlexNet,
OverFeat and VGG-A only: VGG-16 and VGG-19 differ from VGG-A only in ``BLOCK_REPEATS``, and each
build of a VGG holds 130M+ parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import pytest
import torch

import torchslim as slim
from torchslim.nets import alexnet, conv_classifier, overfeat, vgg

NUM_CLASSES = 1000


@dataclass
class NetCase:
    name: str
    fn: Callable
    arg_scope: Callable
    feature_end_points: List[str]            # without the scope prefix, before fc6
    size: Tuple[int, int]                    # 1x1 logits at this size
    map_size: Tuple[int, int]                # a map of logits at this size ...
    map_shape: Tuple[int, int]               # ... of this spatial shape
    kwargs: Dict


def _vgg_end_points(repeats):
    names = []
    for block, repeat in enumerate(repeats, start=1):
        names += [f"conv{block}/conv{block}_{i}" for i in range(1, repeat + 1)] + [f"pool{block}"]
    return names


ALEXNET_FEATURES = ["conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5", "pool5"]
CASES = [
    NetCase("alexnet_v2", alexnet.alexnet_v2, alexnet.alexnet_v2_arg_scope, ALEXNET_FEATURES,
            (224, 224), (300, 400), (4, 7), {}),
    NetCase("overfeat", overfeat.overfeat, overfeat.overfeat_arg_scope, ALEXNET_FEATURES,
            (231, 231), (281, 281), (2, 2), {}),
] + [
    NetCase(name, getattr(vgg, name), vgg.vgg_arg_scope, _vgg_end_points(vgg.BLOCK_REPEATS[name]),
            (32, 32), (64, 96), (2, 3), {"fc_conv_padding": "SAME"})
    for name in ("vgg_a", "vgg_16", "vgg_19")
]


def _zeros_scope(case: NetCase):
    """The net's arg scope with zero default weights (structure tests need no random init)."""
    with slim.arg_scope(case.arg_scope()):
        with slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.zeros_initializer()) as sc:
            return sc


def _model(case: NetCase, zeros: bool = True, **kwargs) -> slim.Model:
    with slim.arg_scope(_zeros_scope(case) if zeros else case.arg_scope()):
        return slim.Model(case.fn, **{**case.kwargs, **kwargs})


def _inputs(batch: int, size: Tuple[int, int]) -> torch.Tensor:
    return torch.rand(batch, size[0], size[1], 3)


OWN_MODEL_CASES = [c for c in CASES if c.name not in ("vgg_16", "vgg_19")]


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def case(request):
    return request.param


@pytest.fixture(params=OWN_MODEL_CASES, ids=[c.name for c in OWN_MODEL_CASES])
def own_case(request):
    return request.param


@pytest.fixture(scope="module")
def classifier(case):
    """One model of the net with 1000 classes, built at its 1x1 size, shared by the tests."""
    model = _model(case, num_classes=NUM_CLASSES, is_training=False)
    with torch.no_grad():
        outputs = model(_inputs(2, case.size))
    return model, outputs


def test_build_squeezes_the_logits(case, classifier):
    _, (logits, end_points) = classifier
    assert list(logits.shape) == [2, NUM_CLASSES]
    assert end_points[f"{case.name}/fc8"] is logits


def test_end_points(case, classifier):
    _, (_, end_points) = classifier
    want = [f"{case.name}/{n}" for n in case.feature_end_points + ["fc6", "fc7", "fc8"]]
    assert list(end_points) == want
    assert list(end_points[f"{case.name}/fc7"].shape) == [2, 1, 1, 4096]


def test_model_variables(case, classifier):
    model, _ = classifier
    layers = [n for n in case.feature_end_points if "pool" not in n] + ["fc6", "fc7", "fc8"]
    want = [f"{case.name}/{layer}/{leaf}" for layer in layers for leaf in ("weights", "biases")]
    assert list(model.tf_variables()) == want
    assert [v.name for v in slim.get_model_variables(model=model)] == want


def test_fully_convolutional_map_of_logits(case, classifier):
    model, _ = classifier
    with torch.no_grad():
        logits, end_points = model(_inputs(1, case.map_size), spatial_squeeze=False)
    assert list(logits.shape) == [1, *case.map_shape, NUM_CLASSES]
    assert end_points[f"{case.name}/fc8"] is logits


def test_global_pool(case, classifier):
    model, _ = classifier
    with torch.no_grad():
        logits, end_points = model(_inputs(1, case.map_size), spatial_squeeze=False, global_pool=True)
    assert list(logits.shape) == [1, 1, 1, NUM_CLASSES]
    assert list(end_points["global_pool"].shape) == [1, 1, 1, 4096]
    assert list(end_points)[-2:] == ["global_pool", f"{case.name}/fc8"]


def test_squeeze_of_a_map_is_an_error_naming_the_op(case, classifier):
    model, _ = classifier
    with pytest.raises(ValueError, match=f"{case.name}/fc8/squeezed: can not squeeze"):
        model(_inputs(1, case.map_size))


def test_unknown_batch_size_and_reuse(case, classifier):
    """Two batch sizes and two input sizes on one model: the same variables, no new ones."""
    model, _ = classifier
    names = list(model.tf_variables())
    with torch.no_grad():
        train_logits, _ = model(_inputs(1, case.size))
        eval_logits, _ = model(_inputs(3, case.map_size), spatial_squeeze=False)
    assert list(train_logits.shape) == [1, NUM_CLASSES]
    assert list(eval_logits.shape) == [3, *case.map_shape, NUM_CLASSES]
    predictions = eval_logits.mean(dim=(1, 2)).argmax(dim=1)
    assert list(predictions.shape) == [3]
    assert list(model.tf_variables()) == names


@pytest.mark.parametrize("num_classes", [None, 0], ids=["None", "0"])
def test_no_classes_returns_fc7(own_case, num_classes):
    case = own_case
    if num_classes == 0 and case is not CASES[0]:
        pytest.skip("num_classes=0 takes the same path as None; checked on alexnet_v2 (the cheapest build)")
    model = _model(case, num_classes=num_classes, is_training=False)
    with torch.no_grad():
        net, end_points = model(_inputs(1, case.size))
    assert list(net.shape) == [1, 1, 1, 4096]
    assert net is end_points[f"{case.name}/fc7"]
    assert list(end_points)[-1] == f"{case.name}/fc7"
    assert not any(name.startswith(f"{case.name}/fc8") for name in model.tf_variables())


def test_fewer_classes(own_case):
    case = own_case
    model = _model(case, num_classes=7, is_training=False)
    with torch.no_grad():
        logits, _ = model(_inputs(1, case.size))
    assert list(logits.shape) == [1, 7]
    assert model.variable(f"{case.name}/fc8/weights").tf_shape == (1, 1, 4096, 7)


def test_evaluation_forward_and_dropout():
    """Random weights: deterministic non-zero logits in eval calls; training calls drop out."""
    case = CASES[0]
    model = _model(case, zeros=False, num_classes=NUM_CLASSES, is_training=None)
    images = _inputs(2, case.size)
    model.eval()
    with torch.no_grad():
        logits, _ = model(images)
        again, _ = model(images)
        dropped, _ = model(images, is_training=True)
    assert list(logits.argmax(dim=1).shape) == [2]
    assert bool(logits.any())
    assert torch.equal(logits, again)
    assert not torch.equal(logits, dropped)


def test_default_image_sizes():
    assert alexnet.alexnet_v2.default_image_size == 224
    assert overfeat.overfeat.default_image_size == 231
    for name in ("vgg_a", "vgg_16", "vgg_19"):
        assert getattr(vgg, name).default_image_size == 224
    assert vgg.vgg_d is vgg.vgg_16 and vgg.vgg_e is vgg.vgg_19


def test_vgg_scope_none_uses_the_net_name():
    def first_block(images):
        with slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.zeros_initializer()):
            return vgg.vgg_a(images, num_classes=3, scope=None, fc_conv_padding="SAME")

    model = slim.Model(first_block)
    model(torch.zeros(1, 32, 32, 3))
    assert next(iter(model.tf_variables())) == "vgg_a/conv1/conv1_1/weights"


def test_arg_scope_regularizes_every_weight(case, classifier):
    model, _ = classifier
    weights = [n for n in model.tf_variables() if n.endswith("/weights")]
    assert len(model.regularization_losses()) == len(weights)


# --------------------------------------------------------------------------------------------------
# The head's pieces


def test_squeeze_spatial():
    x = torch.arange(6.0).reshape(2, 1, 1, 3)
    assert torch.equal(conv_classifier.squeeze_spatial(x, "s"), x.reshape(2, 3))
    with pytest.raises(ValueError, match=r"net/fc8/squeezed: can not squeeze dims \[1, 2\] of shape \[2, 2, 1, 3\]"):
        conv_classifier.squeeze_spatial(torch.zeros(2, 2, 1, 3), "net/fc8/squeezed")


def test_apply_layers_runs_a_table_in_order():
    def net_fn(x):
        with slim.arg_scope([slim.conv2d], padding="SAME"):
            return conv_classifier.apply_layers(x, [("c1", conv_classifier.conv(4, 3, 2)),
                                                    ("p1", conv_classifier.max_pool(2))])

    model = slim.Model(net_fn)
    out = model(torch.zeros(1, 8, 8, 2))
    assert list(out.shape) == [1, 2, 2, 4]
    assert list(model.tf_variables()) == ["c1/weights", "c1/biases"]
