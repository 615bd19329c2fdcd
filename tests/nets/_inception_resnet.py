"""Plain-PyTorch (NCHW) references for the Inception-ResNet blocks, reading a model's TF variables.

Used by the v1 and v2 tests: the blocks are checked against ``F.conv2d`` and hand-written eval
BatchNorm on the same weights, so a wrong concat axis, padding or residual formula shows up as numbers.
"""

from __future__ import annotations

from typing import Callable, List, Optional

import torch
import torch.nn.functional as F

import torchslim as slim

BLOCK_SCOPES = {"block35": "Block35", "block17": "Block17", "block8": "Block8"}

BLOCK_TOWERS = {
    "block35": [["Branch_0/Conv2d_1x1"], ["Branch_1/Conv2d_0a_1x1", "Branch_1/Conv2d_0b_3x3"],
                ["Branch_2/Conv2d_0a_1x1", "Branch_2/Conv2d_0b_3x3", "Branch_2/Conv2d_0c_3x3"]],
    "block17": [["Branch_0/Conv2d_1x1"],
                ["Branch_1/Conv2d_0a_1x1", "Branch_1/Conv2d_0b_1x7", "Branch_1/Conv2d_0c_7x1"]],
    "block8": [["Branch_0/Conv2d_1x1"],
               ["Branch_1/Conv2d_0a_1x1", "Branch_1/Conv2d_0b_1x3", "Branch_1/Conv2d_0c_3x1"]],
}


def randomize_batch_norm(model: slim.Model, seed: int = 0) -> None:
    """Gives biases, beta and the moving statistics non-trivial values, as the golden fixtures do."""
    gen = torch.Generator().manual_seed(seed)
    for name, var in model.tf_variables().items():
        if name.endswith(("/beta", "/moving_mean", "/biases")):
            var.assign_tf(torch.randn(var.tf_shape, generator=gen) * 0.1)
        elif name.endswith(("/moving_variance", "/gamma")):
            var.assign_tf(torch.rand(var.tf_shape, generator=gen) + 0.5)


def conv(model: slim.Model, scope: str, x: torch.Tensor, epsilon: float = 0.001,
         activation: Optional[Callable] = torch.relu) -> torch.Tensor:
    """A stride-1 SAME conv (+ bias, or + eval BatchNorm) on an NCHW tensor, from ``scope``'s variables."""
    variables = model.tf_variables()
    weights = variables[f"{scope}/weights"].to_tf().permute(3, 2, 0, 1)  # HWIO -> OIHW
    kh, kw = weights.shape[2:]
    assert kh % 2 == 1 and kw % 2 == 1  # odd kernels: TF's SAME padding is symmetric at stride 1
    bias = variables[f"{scope}/biases"].to_tf() if f"{scope}/biases" in variables else None
    y = F.conv2d(x, weights, bias, padding=(kh // 2, kw // 2))
    if f"{scope}/BatchNorm/moving_mean" in variables:
        def bn(name):
            return variables[f"{scope}/BatchNorm/{name}"].to_tf().view(1, -1, 1, 1)

        y = (y - bn("moving_mean")) / torch.sqrt(bn("moving_variance") + epsilon)
        if f"{scope}/BatchNorm/gamma" in variables:
            y = y * bn("gamma")
        y = y + bn("beta")
    return activation(y) if activation is not None else y


def block(model: slim.Model, scope: str, towers: List[List[str]], x_nchw: torch.Tensor, scale: float,
          activation: Optional[Callable] = torch.relu, epsilon: float = 0.001) -> torch.Tensor:
    """``activation(x + scale * Conv2d_1x1(concat(towers, channels)))``; each tower a list of conv scopes."""
    outputs = []
    for tower in towers:
        y = x_nchw
        for name in tower:
            y = conv(model, f"{scope}/{name}", y, epsilon)
        outputs.append(y)
    up = conv(model, f"{scope}/Conv2d_1x1", torch.cat(outputs, dim=1), activation=None)
    out = x_nchw + scale * up
    return activation(out) if activation is not None else out
