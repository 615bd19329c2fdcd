"""Helpers shared by the ResNet tests: TF's test input, the tests' small ResNets, weight fillers."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import torch

import torchslim as slim
from torchslim.nets import resnet_utils, resnet_v1, resnet_v2

NETS = {"resnet_v1": resnet_v1, "resnet_v2": resnet_v2}


def create_test_input(batch: int, height: int, width: int, channels: int) -> torch.Tensor:
    """TF-Slim's ``create_test_input``: value ``i + j`` at spatial position (i, j), tiled."""
    grid = np.arange(height).reshape(height, 1) + np.arange(width).reshape(1, width)
    return torch.from_numpy(np.tile(grid.reshape(1, height, width, 1), [batch, 1, 1, channels]).astype(np.float32))


def block_fn(net: str, kind: str) -> Callable[..., resnet_utils.Block]:
    """``resnet_vX_block`` (kind ``'bottleneck'``) or ``resnet_vX_basic_block`` (kind ``'basic'``)."""
    module = NETS[net]
    return getattr(module, f"{net}_block" if kind == "bottleneck" else f"{net}_basic_block")


def unit_name(net: str, kind: str) -> str:
    return f"{kind}_{net[-2:]}"


def small_blocks(net: str, kind: str = "bottleneck", units=(3, 3, 3, 2)):
    """The blocks of the tests' ``_resnet_small``: base depths 1, 2, 4, 8; strides 2, 2, 2, 1."""
    block = block_fn(net, kind)
    return [block("block%d" % (i + 1), base_depth=d, num_units=n, stride=s)
            for i, (d, n, s) in enumerate(zip((1, 2, 4, 8), units, (2, 2, 2, 1)))]


def resnet_small(net: str, kind: str = "bottleneck") -> Callable:
    """TF-Slim's ``_resnet_small`` (``refnets.test_helpers.resnet_vX_small`` of the golden files)."""
    module = NETS[net]
    generic = getattr(module, net)

    def small(inputs, num_classes=None, is_training=True, global_pool=True, output_stride=None,
              include_root_block=True, spatial_squeeze=True, reuse=None, scope=f"{net}_small"):
        return generic(inputs, small_blocks(net, kind), num_classes, is_training=is_training,
                       global_pool=global_pool, output_stride=output_stride, include_root_block=include_root_block,
                       spatial_squeeze=spatial_squeeze, reuse=reuse, scope=scope)

    small.__name__ = f"{net}_small"
    return small


def in_arg_scope(fn: Callable, arg_scope: Optional[dict] = None) -> Callable:
    """``fn`` run inside ``resnet_arg_scope()`` (or the given arg-scope dict)."""
    scope = resnet_utils.resnet_arg_scope() if arg_scope is None else arg_scope

    def wrapped(*args, **kwargs):
        with slim.arg_scope(scope):
            return fn(*args, **kwargs)

    return wrapped


def randomize(model: slim.Model, seed: int = 0) -> None:
    """Gives biases and batch-norm variables non-trivial values (as the golden fixtures do)."""
    rng = np.random.default_rng(seed)
    for name, var in model.tf_variables().items():
        leaf = name.rsplit("/", 1)[-1]
        shape = var.tf_shape
        if leaf in ("biases", "beta", "moving_mean"):
            var.assign_tf(rng.normal(0.0, 0.1, shape).astype(np.float32))
        elif leaf in ("gamma", "moving_variance"):
            var.assign_tf(rng.uniform(0.5, 1.5, shape).astype(np.float32))


def fast_init_scope():
    """An arg scope with zero conv weights: structure-only tests skip He initialisation's cost."""
    return slim.arg_scope([slim.conv2d], weights_initializer=slim.initializers.zeros_initializer())


def trainable_parameter_count(model: slim.Model) -> int:
    return sum(v.tensor.numel() for v in model.tf_variables().values() if v.trainable)


def assert_close_to_scale(got: torch.Tensor, want: torch.Tensor, rel: float = 1e-5) -> None:
    """``max|got - want| <= rel * max(1, max|want|)``: float32 round-off grows with the values.

    TF's tests feed ``i + j`` images (up to ~60) through unnormalised weights, so features reach the
    hundreds; dilated and strided convolutions sum in different orders, which TF's kernels happen
    to avoid. The float64 runs in the tests check that the two computations are the same math.
    """
    assert got.shape == want.shape
    scale = max(1.0, float(want.detach().abs().max()))
    err = float((got.detach() - want.detach()).abs().max())
    assert err <= rel * scale, f"max abs difference {err:.3g} > {rel:g} * {scale:.4g}"
