"""A hand-written ResNet v1/v2 (bottleneck units) in plain, idiomatic PyTorch: the peer torchslim is timed against.

What a PyTorch user would write: ``nn.Conv2d`` / ``nn.BatchNorm2d`` / ``nn.ReLU`` modules, NCHW
inside with ``channels_last`` memory, nothing folded or fused by hand. It computes the same
function as the Slim nets (``resnet_arg_scope()`` defaults: batch norm eps 1e-5, decay 0.997 with
``gamma``), so TF's ``SAME`` padding is reproduced where Slim uses it: ``conv2d_same`` is a
symmetric pad for odd kernels, and ``pool1``'s ``SAME`` max-pool pads the extra cell at the
bottom/right with ``-inf``.

Input: NHWC like the Slim nets (``[N, H, W, 3]``; a permute makes the channels_last NCHW view),
output: logits ``[N, num_classes]``.

    plain = PlainResNet(version=2, layers=50, num_classes=1000)
    load_from_slim(plain, slim_model)         # copies every weight by TF name
"""

from __future__ import annotations

import math
from typing import Dict, List, Tuple

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PlainResNet", "load_from_slim", "UNITS"]

UNITS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3), 200: (3, 24, 36, 3)}
BN_EPS = 1e-5
BN_MOMENTUM = 1 - 0.997


def _bn(channels: int, tf_name: str) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
    bn.tf_name = tf_name
    return bn


def _conv(cin: int, cout: int, k: int, stride: int, padding: int, bias: bool, tf_name: str) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=bias)
    conv.tf_name = tf_name
    return conv


class MaxPoolSame(nn.Module):
    """``max_pool2d(3, stride=2, padding='SAME')`` as TF computes it (extra ``-inf`` cell at the end)."""

    def __init__(self, kernel: int, stride: int):
        super().__init__()
        self.kernel, self.stride = kernel, stride

    def forward(self, x):
        pads = []
        for size in (x.shape[3], x.shape[2]):
            out = math.ceil(size / self.stride)
            total = max((out - 1) * self.stride + self.kernel - size, 0)
            pads += [total // 2, total - total // 2]
        return F.max_pool2d(F.pad(x, pads, value=float("-inf")), self.kernel, self.stride)


class BottleneckV2(nn.Module):
    """Pre-activation bottleneck: preact BN+ReLU, 1x1 -> 3x3 (stride) -> 1x1 (+bias), plus shortcut."""

    def __init__(self, cin: int, depth: int, bottleneck: int, stride: int, name: str):
        super().__init__()
        self.stride = stride
        self.preact = _bn(cin, f"{name}/preact")
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = (_conv(cin, depth, 1, stride, 0, True, f"{name}/shortcut") if depth != cin else None)
        self.conv1 = _conv(cin, bottleneck, 1, 1, 0, False, f"{name}/conv1")
        self.bn1 = _bn(bottleneck, f"{name}/conv1/BatchNorm")
        self.conv2 = _conv(bottleneck, bottleneck, 3, stride, 1, False, f"{name}/conv2")
        self.bn2 = _bn(bottleneck, f"{name}/conv2/BatchNorm")
        self.conv3 = _conv(bottleneck, depth, 1, 1, 0, True, f"{name}/conv3")

    def forward(self, x):
        preact = self.relu(self.preact(x))
        if self.shortcut is not None:
            shortcut = self.shortcut(preact)
        else:
            shortcut = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        out = self.relu(self.bn1(self.conv1(preact)))
        out = self.relu(self.bn2(self.conv2(out)))
        return shortcut + self.conv3(out)


class BottleneckV1(nn.Module):
    """Post-activation bottleneck: 1x1 -> 3x3 (stride) -> 1x1, each with BN, ReLU after the sum."""

    def __init__(self, cin: int, depth: int, bottleneck: int, stride: int, name: str):
        super().__init__()
        self.stride = stride
        self.relu = nn.ReLU(inplace=True)
        if depth != cin:
            self.shortcut = _conv(cin, depth, 1, stride, 0, False, f"{name}/shortcut")
            self.shortcut_bn = _bn(depth, f"{name}/shortcut/BatchNorm")
        else:
            self.shortcut = None
        self.conv1 = _conv(cin, bottleneck, 1, 1, 0, False, f"{name}/conv1")
        self.bn1 = _bn(bottleneck, f"{name}/conv1/BatchNorm")
        self.conv2 = _conv(bottleneck, bottleneck, 3, stride, 1, False, f"{name}/conv2")
        self.bn2 = _bn(bottleneck, f"{name}/conv2/BatchNorm")
        self.conv3 = _conv(bottleneck, depth, 1, 1, 0, False, f"{name}/conv3")
        self.bn3 = _bn(depth, f"{name}/conv3/BatchNorm")

    def forward(self, x):
        if self.shortcut is not None:
            shortcut = self.shortcut_bn(self.shortcut(x))
        else:
            shortcut = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(shortcut + out)


class PlainResNet(nn.Module):
    """ResNet v1 or v2 with bottleneck units, as Slim's ``resnet_v{1,2}_{50,101,152,200}``.

    Args:
      version: 1 or 2.
      layers: 50, 101, 152 or 200.
      num_classes: logits (a 1x1 conv with bias after global average pooling, as Slim).
      scope: the Slim scope the TF names start with (default ``resnet_v<version>_<layers>``).
    """

    def __init__(self, version: int = 2, layers: int = 50, num_classes: int = 1000, scope: str = None):
        super().__init__()
        if version not in (1, 2) or layers not in UNITS:
            raise ValueError(f"no plain ResNet v{version} with {layers} layers")
        self.version = version
        scope = scope or f"resnet_v{version}_{layers}"
        self.conv1 = _conv(3, 64, 7, 2, 3, version == 2, f"{scope}/conv1")   # conv2d_same(7, stride 2)
        self.bn1 = _bn(64, f"{scope}/conv1/BatchNorm") if version == 1 else None
        self.relu = nn.ReLU(inplace=True)
        self.pool1 = MaxPoolSame(3, 2)
        unit_cls = BottleneckV2 if version == 2 else BottleneckV1
        units: List[nn.Module] = []
        cin = 64
        for b, (base, count, block_stride) in enumerate(zip((64, 128, 256, 512), UNITS[layers], (2, 2, 2, 1))):
            for u in range(count):
                stride = block_stride if u == count - 1 else 1
                name = f"{scope}/block{b + 1}/unit_{u + 1}/bottleneck_v{version}"
                units.append(unit_cls(cin, base * 4, base, stride, name))
                cin = base * 4
        self.units = nn.Sequential(*units)
        self.postnorm = _bn(cin, f"{scope}/postnorm") if version == 2 else None
        self.logits = _conv(cin, num_classes, 1, 1, 0, True, f"{scope}/logits")

    def forward(self, images):
        x = images.permute(0, 3, 1, 2)            # NHWC -> channels_last NCHW view (no copy)
        x = self.conv1(x)
        if self.bn1 is not None:
            x = self.relu(self.bn1(x))
        x = self.units(self.pool1(x))
        if self.postnorm is not None:
            x = self.relu(self.postnorm(x))
        x = x.mean(dim=(2, 3), keepdim=True)
        return self.logits(x).flatten(1)


def tf_names(plain: nn.Module) -> Dict[str, Tuple[torch.Tensor, str]]:
    """TF variable name -> (tensor of ``plain``, kind) for every weight and statistic."""
    out = {}
    for module in plain.modules():
        name = getattr(module, "tf_name", None)
        if name is None:
            continue
        if isinstance(module, nn.Conv2d):
            out[f"{name}/weights"] = module.weight
            if module.bias is not None:
                out[f"{name}/biases"] = module.bias
        elif isinstance(module, nn.BatchNorm2d):
            out[f"{name}/gamma"] = module.weight
            out[f"{name}/beta"] = module.bias
            out[f"{name}/moving_mean"] = module.running_mean
            out[f"{name}/moving_variance"] = module.running_var
    return out


def load_from_slim(plain: nn.Module, model) -> nn.Module:
    """Copies every weight and BN statistic of a built ``slim.Model`` into ``plain``, by TF name.

    Raises:
      KeyError: if the two do not have the same set of variables.
    """
    targets = tf_names(plain)
    variables = model.tf_variables()
    missing = sorted(set(targets) - set(variables))
    extra = sorted(set(variables) - set(targets))
    if missing or extra:
        raise KeyError(f"variables differ: missing in slim model {missing[:5]}, not in plain module {extra[:5]}")
    with torch.no_grad():
        for name, target in targets.items():
            target.copy_(variables[name].tensor)    # torchslim stores conv kernels OIHW, as nn.Conv2d
    return plain
