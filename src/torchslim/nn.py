"""The ``tf.nn`` functions that TF-Slim model code passes around (activations, normalisation).

They are PyTorch's own functions where one matches exactly (``relu is torch.relu``), so
``activation_fn == slim.nn.relu6`` style checks in ported nets keep working.
"""

from __future__ import annotations

from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F

from torchslim.ops.normalization import moments
from torchslim.ops.lrn import local_response_normalization, lrn

__all__ = ["relu", "relu6", "elu", "selu", "sigmoid", "tanh", "softplus", "softsign", "leaky_relu",
           "swish", "softmax", "l2_normalize", "moments", "lrn", "local_response_normalization"]
__all__ += ["hard_sigmoid", "hard_swish"]

relu = torch.relu
sigmoid = torch.sigmoid
tanh = torch.tanh
relu6 = F.relu6
elu = F.elu
selu = F.selu
softplus = F.softplus
softsign = F.softsign
swish = F.silu


def leaky_relu(features: torch.Tensor, alpha: float = 0.2) -> torch.Tensor:
    """``max(alpha * x, x)`` with TF's default ``alpha=0.2``."""
    return F.leaky_relu(features, negative_slope=alpha)


def softmax(logits: torch.Tensor, axis: int = -1) -> torch.Tensor:
    """Softmax over ``axis`` (default: the last)."""
    return torch.softmax(logits, dim=axis)


def l2_normalize(x: torch.Tensor, axis: Union[int, Sequence[int]] = None, epsilon: float = 1e-12,
                 name: Optional[str] = None, dim: Union[int, Sequence[int], None] = None) -> torch.Tensor:
    """``x / sqrt(max(sum(x**2, axis), epsilon))``, as ``tf.nn.l2_normalize``.

    Args:
      x: input.
      axis: the axis or axes to normalise over (``dim`` is the old TF name).
      epsilon: lower bound on the squared norm.
    """
    axis = dim if axis is None else axis
    if axis is None:
        raise ValueError("l2_normalize needs an axis")
    dims = (axis,) if isinstance(axis, int) else tuple(axis)
    square_sum = x.square().sum(dim=dims, keepdim=True)
    return x * torch.rsqrt(torch.clamp(square_sum, min=epsilon))


def hard_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between (MobileNet v3's gate).

    Args:
      x: any float tensor.

    Returns:
      A tensor of ``x``'s shape in [0, 1].
    """
    return F.relu6(x + 3.0) * (1.0 / 6.0)


def hard_swish(x: torch.Tensor) -> torch.Tensor:
    """``x * relu6(x + 3) / 6``, MobileNet v3's activation, in upstream's order of operations.

    Args:
      x: any float tensor.

    Returns:
      A tensor of ``x``'s shape: 0 below -3, ``x`` above 3.
    """
    return x * F.relu6(x + 3.0) * (1.0 / 6.0)
