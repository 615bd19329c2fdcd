"""Checks the ports of models' inception_v2_test / v3_test / v4_test share.

The TF tests build graphs (placeholders for unknown sizes, ``reuse=True`` for a second tower); here a
``slim.Model`` runs the net eagerly. Shape-only checks run on the ``meta`` device, the analogue of
building a TF graph: no arithmetic, so full-size nets build in well under a second. An "unknown"
batch or image size is one model called with several sizes.
"""

from __future__ import annotations

from typing import Callable, Dict, Sequence, Tuple

import pytest
import torch

import torchslim as slim


def meta_images(batch: int, height: int, width: int = None, channels: int = 3) -> torch.Tensor:
    """An NHWC batch on the meta device (shapes only)."""
    return torch.empty(batch, height, width or height, channels, device="meta")


def images(batch: int, height: int, width: int = None, seed: int = 0) -> torch.Tensor:
    """A real NHWC batch, U(-1, 1)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(batch, height, width or height, 3, generator=gen) * 2 - 1


def shapes(end_points: Dict[str, torch.Tensor]) -> Dict[str, Tuple[int, ...]]:
    return {key: tuple(value.shape) for key, value in end_points.items()}


def built_classifier(net_fn: Callable, base_fn: Callable, scope: str, size: int) -> slim.Model:
    """One model for many cases: the net with 1000 classes, built on a ``size`` x ``size`` batch.

    Call options: ``base=True`` runs ``base_fn`` in the net's scope (on the same variables);
    ``eval_images=...`` runs a training tower on the input, then an eval tower with ``reuse=True``
    on ``eval_images`` (models' testTrainEvalWithReuse); other keywords go to the function.
    """
    def net_or_base(x, num_classes=1000, base=False, eval_images=None, **kwargs):
        if eval_images is not None:
            net_fn(x, num_classes, **kwargs)
            return net_fn(eval_images, num_classes, is_training=False, reuse=True, **kwargs)
        if base:
            return base_fn(x, scope=scope, **kwargs)
        return net_fn(x, num_classes, **kwargs)

    return slim.Model(net_or_base).build(meta_images(1, size))


def check_build_only_up_to(base_fn: Callable, all_end_points: Sequence[str], final_endpoint: str, size: int,
                           scope: str, **kwargs) -> None:
    """testBuildOnlyUptoFinalEndpoint: the end points stop at ``final_endpoint``, and so do the variables."""
    model = slim.Model(base_fn, final_endpoint=final_endpoint, **kwargs)
    net, end_points = model(meta_images(5, size))
    index = list(all_end_points).index(final_endpoint)
    assert list(end_points) == list(all_end_points[:index + 1])
    assert net is end_points[final_endpoint]
    later = set(all_end_points[index + 1:])
    names = list(model.tf_variables())
    assert all(name.startswith(scope + "/") for name in names)
    assert not any(name.split("/")[1] in later for name in names)


def check_depth_multiplier(plain: Dict[str, torch.Tensor], net_fn: Callable, size: int, multiplier: float,
                           num_classes: int = 1000) -> None:
    """testBuildEndPointsWithDepthMultiplier{Less,Greater}ThanOne: every Mixed/Conv end point's width scales.

    Args:
      plain: the end points of the net at ``depth_multiplier=1`` on a ``size`` x ``size`` batch.
    """
    model = slim.Model(net_fn, num_classes, scope="depth_multiplied_net", depth_multiplier=multiplier)
    _, thinned = model(meta_images(1, size))
    keys = [key for key in plain if key.startswith(("Mixed", "Conv"))]
    assert keys
    for key in keys:
        assert thinned[key].shape[3] == multiplier * plain[key].shape[3], key
    assert all(name.startswith("depth_multiplied_net/") for name in model.tf_variables())


def check_invalid_depth_multiplier(net_fn: Callable, size: int) -> None:
    """testRaiseValueErrorWithInvalidDepthMultiplier, raised before any variable exists."""
    for multiplier in (-0.1, 0.0):
        model = slim.Model(net_fn, num_classes=1000, depth_multiplier=multiplier)
        with pytest.raises(ValueError, match="depth_multiplier is not greater than zero"):
            model(meta_images(5, size))
        assert len(model.tf_variables()) == 0


def check_unknown_batch_size(model: slim.Model, size: int, num_classes: int = 1000) -> None:
    """testUnknowBatchSize: one built model, two batch sizes, no new variables."""
    count = len(model.tf_variables())
    for batch in (1, 3):
        logits, _ = model(meta_images(batch, size))
        assert tuple(logits.shape) == (batch, num_classes)
    assert len(model.tf_variables()) == count


def check_train_eval_with_reuse(net_fn: Callable, size: int, num_classes: int = 1000, **kwargs) -> None:
    """testTrainEvalWithReuse: a training tower and an eval tower sharing the variables."""
    def train_then_eval(train_images, eval_images):
        net_fn(train_images, num_classes, **kwargs)
        logits, _ = net_fn(eval_images, num_classes, is_training=False, reuse=True, **kwargs)
        return logits.argmax(dim=1)

    def single(x):
        return net_fn(x, num_classes, **kwargs)

    model = slim.Model(train_then_eval)
    predictions = model(meta_images(5, size), meta_images(2, size))
    assert tuple(predictions.shape) == (2,)
    alone = slim.Model(single)
    alone(meta_images(1, size))
    assert list(model.tf_variables()) == list(alone.tf_variables())


def check_evaluation(net_fn: Callable, size: int, num_classes: int = 10, **kwargs) -> None:
    """testEvaluation with real numbers: is_training=False, finite logits, a class per image."""
    torch.manual_seed(0)
    model = slim.Model(net_fn, num_classes=num_classes, is_training=False, **kwargs)
    with torch.no_grad():
        logits, end_points = model(images(2, size))
    assert tuple(logits.argmax(dim=1).shape) == (2,)
    assert torch.isfinite(logits).all()
    torch.testing.assert_close(end_points["Predictions"], torch.softmax(logits, dim=-1))


def check_batch_norm_scale(fn: Callable, arg_scope_fn: Callable, size: int, **kwargs) -> None:
    """testNoBatchNormScaleByDefault / testBatchNormScale: gamma only with ``batch_norm_scale=True``."""
    def variable_names(**scope_kwargs):
        with slim.arg_scope(arg_scope_fn(**scope_kwargs)):
            model = slim.Model(fn, **kwargs)
        model(meta_images(1, size))
        return list(model.tf_variables())

    assert not [name for name in variable_names() if name.endswith("/BatchNorm/gamma")]
    names = variable_names(batch_norm_scale=True)
    gammas = {name for name in names if name.endswith("/BatchNorm/gamma")}
    means = [name for name in names if name.endswith("/BatchNorm/moving_mean")]
    assert gammas and means
    assert all(name[:-len("moving_mean")] + "gamma" in gammas for name in means)


def model_variable_count(base_fn: Callable, arg_scope_fn: Callable, size: int) -> int:
    """testModelHasExpectedNumberOfParameters: the elements of every model variable of the base net
    (moving statistics included, as TF-Slim's ``analyze_vars(get_model_variables())``).

    The arg scope's weights initializer is replaced by zeros (the count does not depend on values).
    """
    with slim.arg_scope(arg_scope_fn()):
        with slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.zeros_initializer()):
            model = slim.Model(base_fn)
    model(meta_images(5, size))
    return sum(var.tensor.numel() for var in slim.get_model_variables(model=model))


def check_unknown_image_shape(classifier: slim.Model, last: str, depth: int) -> None:
    """testUnknownImageShape / testGlobalPoolUnknownImageShape: one model, several image sizes.

    Args:
      classifier: a :func:`built_classifier` model (1000 classes) of a net with output stride 32.
      last: the base's last end point; ``depth`` its width.
    """
    logits, end_points = classifier(meta_images(2, 224))
    assert tuple(logits.shape) == (2, 1000) and tuple(end_points[last].shape) == (2, 7, 7, depth)
    logits, end_points = classifier(meta_images(1, 250, 300), global_pool=True)
    assert tuple(end_points[last].shape) == (1, 8, 10, depth)
    assert tuple(end_points["global_pool"].shape) == (1, 1, 1, depth)
    assert tuple(logits.shape) == (1, 1000)


def check_larger_image_cannot_be_squeezed(classifier: slim.Model, scope: str) -> None:
    """A fixed 7x7/2 window leaves 1x2 at 250x300: TF's squeeze fails, spatial_squeeze=False keeps it."""
    with pytest.raises(ValueError, match=f"{scope}/Logits/SpatialSqueeze: can not squeeze"):
        classifier(meta_images(1, 250, 300))
    logits, _ = classifier(meta_images(1, 250, 300), spatial_squeeze=False)
    assert tuple(logits.shape) == (1, 1, 2, 1000)
