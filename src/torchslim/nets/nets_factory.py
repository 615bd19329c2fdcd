"""Networks by name, as ``research/slim/nets/nets_factory.py``, plus :func:`create` for a ready model.

TF-Slim's interface::

    network_fn = nets_factory.get_network_fn('resnet_v2_50', num_classes=1001, is_training=False)
    logits, end_points = slim.Model(network_fn)(images)     # images: [N, 224, 224, 3]
    network_fn.default_image_size                            # 224

and the torchslim shortcut, a :class:`torchslim.Model` with the net's arg scope captured::

    model = nets_factory.create('resnet_v2_50', num_classes=1001)
    model.eval()                  # is_training=None: batch norm / dropout follow train() / eval()
    logits, end_points = model(images)

``networks_map`` and ``arg_scopes_map`` are dicts by name. A net module is imported the first time
one of its entries is used, and names whose module is not installed are left out, so importing the
factory stays cheap. Adding entries (``networks_map['my_net'] = fn``) works as with TF-Slim.

Names: ``resnet_v1_{18,34,50,101,152,200}``, ``resnet_v2_{18,34,50,101,152,200}``,
``inception_resnet_v2`` and ``inception_resnet_v1`` (facenet); and the small ResNets of
:mod:`~torchslim.nets.small_resnets` for 32x32 images (``resnet_v2_digits``, the default of
``torchslim train``, ``resnet_v1_small``, ``resnet_v2_small``). For ``inception_resnet_v1`` the
factory's ``num_classes`` is facenet's ``bottleneck_layer_size`` (the embedding size; None keeps
facenet's default of 128) and the net returns the prelogits, as facenet's training scripts use it.

``is_training`` defaults to False in :func:`get_network_fn` (TF-Slim's factory) and to None in
:func:`create` (follow ``model.train()`` / ``model.eval()``), while the nets themselves default to
True as upstream; ``docs/porting.md`` ("Compatibility: defaults that differ on purpose") says why.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import re
from collections.abc import MutableMapping
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import torch

from torchslim.arg_scope import arg_scope
from torchslim.model import Model

__all__ = ["networks_map", "arg_scopes_map", "get_network_fn", "create", "build_model", "list_networks",
           "default_image_size", "check_flag"]

_PACKAGE = "torchslim.nets"


def _facenet_inception_resnet_v1(module):
    """facenet's net with the factory's calling convention: ``num_classes`` is the embedding size."""
    net = module.inception_resnet_v1

    @functools.wraps(net)
    def inception_resnet_v1(inputs, num_classes=None, is_training=True, **kwargs):
        if num_classes:
            kwargs["bottleneck_layer_size"] = num_classes
        return net(inputs, is_training=is_training, **kwargs)

    return inception_resnet_v1


def _mobilenets(module: str, **names: str) -> Dict[str, Tuple[str, Any, str]]:
    """Entries ``factory name -> (module, function name, 'training_scope')`` of a MobileNet module."""
    return {name: (module, fn, "training_scope") for name, fn in names.items()}


def _nets(module: str, arg_scope: str, *names: str) -> Dict[str, Tuple[str, Any, str]]:
    """Entries for nets of ``module`` whose functions have the names they are registered under."""
    return {name: (module, name, arg_scope) for name in names}


_RESNET_DEPTHS = (18, 34, 50, 101, 152, 200)

# name -> (module in torchslim.nets, network function name or adapter, arg-scope function name).
# One line per net or family of nets; add new nets at the end.
_ENTRIES: Dict[str, Tuple[str, Any, str]] = {
    **_nets("resnet_v1", "resnet_arg_scope", *(f"resnet_v1_{depth}" for depth in _RESNET_DEPTHS)),
    **_nets("resnet_v2", "resnet_arg_scope", *(f"resnet_v2_{depth}" for depth in _RESNET_DEPTHS)),
    **_nets("inception_resnet_v2", "inception_resnet_v2_arg_scope", "inception_resnet_v2"),
    "inception_resnet_v1": ("inception_resnet_v1", _facenet_inception_resnet_v1, "inception_resnet_v1_arg_scope"),
    **_nets("small_resnets", "small_resnet_arg_scope", "resnet_v2_digits", "resnet_v1_small", "resnet_v2_small"),
    **_nets("lenet", "lenet_arg_scope", "lenet"),
    **_nets("cifarnet", "cifarnet_arg_scope", "cifarnet"),
    **_nets("alexnet", "alexnet_v2_arg_scope", "alexnet_v2"),
    **_nets("overfeat", "overfeat_arg_scope", "overfeat"),
    **_nets("vgg", "vgg_arg_scope", "vgg_a", "vgg_16", "vgg_19"),
    **_nets("inception_v1", "inception_v1_arg_scope", "inception_v1"),
    **{name: (name, name, name + "_arg_scope") for name in ("inception_v2", "inception_v3", "inception_v4")},
    **_mobilenets("mobilenet.mobilenet_v2", mobilenet_v2="mobilenet", mobilenet_v2_140="mobilenet_v2_140",
                  mobilenet_v2_035="mobilenet_v2_035"),
    **_mobilenets("mobilenet.mobilenet_v3", mobilenet_v3_small="small", mobilenet_v3_large="large",
                  mobilenet_v3_small_minimalistic="small_minimalistic",
                  mobilenet_v3_large_minimalistic="large_minimalistic", mobilenet_edgetpu="edge_tpu",
                  mobilenet_edgetpu_075="edge_tpu_075"),
    **_nets("mobilenet_v1", "mobilenet_v1_arg_scope", "mobilenet_v1", "mobilenet_v1_075", "mobilenet_v1_050",
            "mobilenet_v1_025"),
    **{name: ("nasnet.nasnet", "build_" + name, name + "_arg_scope") for name in ("nasnet_cifar", "nasnet_mobile", "nasnet_large")},
    **{name: ("nasnet.pnasnet", "build_" + name, name + "_arg_scope") for name in ("pnasnet_mobile", "pnasnet_large")},
    **_nets("i3d", "i3d_arg_scope", "i3d"),
    **_nets("s3dg", "s3dg_arg_scope", "s3dg"),
}


class _Lazy:
    """An attribute of a net module, imported on first use."""

    __slots__ = ("module", "attr")

    def __init__(self, module: str, attr: Any):
        self.module = module
        self.attr = attr

    def available(self) -> bool:
        return importlib.util.find_spec(f"{_PACKAGE}.{self.module}") is not None

    def load(self) -> Any:
        module = importlib.import_module(f"{_PACKAGE}.{self.module}")
        return self.attr(module) if callable(self.attr) else getattr(module, self.attr)


class _LazyMap(MutableMapping):
    """A dict whose values are imported on first access; entries of absent modules are hidden."""

    def __init__(self, entries: Dict[str, Any]):
        self._entries = dict(entries)

    def _present(self, name: str) -> bool:
        entry = self._entries.get(name)
        return name in self._entries and (not isinstance(entry, _Lazy) or entry.available())

    def __getitem__(self, name: str) -> Any:
        if not self._present(name):
            raise KeyError(name)
        entry = self._entries[name]
        if isinstance(entry, _Lazy):
            entry = self._entries[name] = entry.load()
        return entry

    def __setitem__(self, name: str, value: Any) -> None:
        self._entries[name] = value

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._present(name)

    def __iter__(self) -> Iterator[str]:
        return iter([name for name in list(self._entries) if self._present(name)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({sorted(self)})"


networks_map: MutableMapping = _LazyMap({name: _Lazy(module, fn) for name, (module, fn, _) in _ENTRIES.items()})
"""Network function by name (``networks_map['resnet_v1_50'] is resnet_v1.resnet_v1_50``)."""

arg_scopes_map: MutableMapping = _LazyMap({name: _Lazy(module, sc) for name, (module, _, sc) in _ENTRIES.items()})
"""Arg-scope function by name (``arg_scopes_map['resnet_v1_50'] is resnet_v1.resnet_arg_scope``)."""


def list_networks() -> List[str]:
    """The names :func:`get_network_fn` and :func:`create` accept, in natural order (18 before 101)."""
    def key(name: str):
        return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]

    return sorted((name for name in networks_map if name in arg_scopes_map), key=key)


def _lookup(name: str) -> Tuple[Callable, Callable]:
    if name not in networks_map:
        raise ValueError("Name of network unknown %s" % name)
    return networks_map[name], arg_scopes_map[name]


def check_flag(name: str, flag: str = "--model_name") -> str:
    """``name`` when it is a network name; else the command-line error that lists the choices.

    Args:
      name: the value given for ``flag``.
      flag: the command-line flag, for the message.

    Returns:
      ``name``.

    Raises:
      ValueError: ``'<flag>: unknown net <name>; choose from ...'``.
    """
    if name not in networks_map:
        raise ValueError(f"{flag}: unknown net {name!r}; choose from {', '.join(list_networks())}")
    return name


def default_image_size(name: str) -> int:
    """The input height and width net ``name`` was designed for (224 when the net does not say).

    Raises:
      ValueError: ``'Name of network unknown <name>'``.
    """
    return getattr(_lookup(name)[0], "default_image_size", 224)


def default_input_shape(name: str, batch_size: int = 1, image_size: int = 0, channels: int = 3) -> List[int]:
    """The NHWC input shape of net ``name``: ``[batch, size, size, channels]``, or for a video net
    (one whose function has ``default_num_frames``: I3D, S3D-G) ``[batch, frames, size, size, channels]``.

    Args:
      name: a network name (see :func:`list_networks`).
      batch_size: the batch dimension.
      image_size: height and width (0: :func:`default_image_size`).
      channels: input channels.

    Returns:
      The shape, as a list.

    Raises:
      ValueError: ``'Name of network unknown <name>'``.
    """
    func = _lookup(name)[0]
    size = image_size or getattr(func, "default_image_size", 224)
    frames = getattr(func, "default_num_frames", None)
    return [batch_size] + ([frames] if frames else []) + [size, size, channels]


def get_network_fn(name: str, num_classes: Optional[int], weight_decay: float = 0.0,
                   is_training=False) -> Callable:
    """Returns ``network_fn`` such that ``logits, end_points = network_fn(images, **kwargs)``.

    ``network_fn`` enters the net's arg scope (``arg_scopes_map[name](weight_decay=weight_decay)``,
    which replaces any arg scope active at the call, as in TF-Slim) and calls
    ``networks_map[name](images, num_classes=num_classes, is_training=is_training, **kwargs)``.
    Run it inside a model: ``slim.Model(network_fn)(images)``.

    Args:
      name: a network name (see :func:`list_networks`).
      num_classes: classes of the logits layer (0 or None: the features before it).
      weight_decay: the L2 coefficient of the weights.
      is_training: True when training (batch norm uses and updates batch statistics, dropout
        drops); False for inference; None follows ``model.train()`` / ``model.eval()``.

    Returns:
      ``network_fn``, with ``default_image_size`` when the net has one.

    Raises:
      ValueError: ``'Name of network unknown <name>'``.
    """
    func, arg_scope_fn = _lookup(name)

    @functools.wraps(func)
    def network_fn(images, **kwargs):
        with arg_scope(arg_scope_fn(weight_decay=weight_decay)):
            return func(images, num_classes=num_classes, is_training=is_training, **kwargs)

    if hasattr(func, "default_image_size"):
        network_fn.default_image_size = func.default_image_size
    return network_fn


def create(name: str, num_classes: Optional[int] = None, weight_decay: float = 0.0, is_training=None,
           **kwargs: Any) -> Model:
    """A :class:`torchslim.Model` running network ``name`` in its arg scope.

    The model is built on its first call (or ``model.build(example)``). The arg scope is
    ``arg_scopes_map[name](weight_decay=weight_decay)`` taken on top of the arg scope active
    here, and the model re-enters it on every call.

    Args:
      name: a network name (see :func:`list_networks`).
      num_classes: classes of the logits layer; None (or 0) gives the features before it (for
        ``inception_resnet_v1``: the embedding size; None keeps facenet's 128).
      weight_decay: the L2 coefficient of the weights (``model.regularization_losses()``).
      is_training: None (default) makes batch norm and dropout follow ``model.train()`` /
        ``model.eval()``; True or False fixes the mode.
      **kwargs: more arguments for the network function (``global_pool``, ``output_stride``,
        ``scope``, ...), bound into the model.

    Returns:
      The model; ``model(images)`` returns ``(logits, end_points)``. ``model.default_image_size``
      is the net's default input size when it has one.

    Raises:
      ValueError: ``'Name of network unknown <name>'``.
    """
    func, arg_scope_fn = _lookup(name)
    with arg_scope(arg_scope_fn(weight_decay=weight_decay)):
        model = Model(func, num_classes=num_classes, is_training=is_training, **kwargs)
    for attr in ("default_image_size", "default_num_frames"):
        if hasattr(func, attr):
            setattr(model, attr, getattr(func, attr))
    return model


def build_model(name: str, num_classes: Optional[int] = None, weight_decay: float = 0.0, image_size: int = 0,
                channels: int = 3, device: Any = "cpu", **kwargs: Any) -> Model:
    """:func:`create`, built (variables made) and moved to ``device``: ready to train, evaluate or time.

    The variables are made by one call in eval mode on a zero batch of one image (one clip for a
    video net, :func:`default_input_shape`), so building
    leaves the moving statistics at their initial values; the model's mode is restored after. On
    CUDA, 4-D weights are made ``channels_last``, so that cuDNN's NHWC kernels take them without a
    copy per call.

    Args:
      name: a network name (see :func:`list_networks`).
      num_classes: classes of the logits layer (None or 0: the features before it).
      weight_decay: the L2 coefficient of the weights.
      image_size: input height and width of the building call (0: :func:`default_image_size`).
      channels: input channels.
      device: where the variables go (``'cpu'``, ``'cuda'``, ``'cuda:1'``...).
      **kwargs: more arguments for :func:`create`.

    Returns:
      The built model (in training mode, as a new module is).

    Raises:
      ValueError: ``'Name of network unknown <name>'``.
    """
    model = create(name, num_classes=num_classes or None, weight_decay=weight_decay, **kwargs)
    model.eval().build(torch.zeros(default_input_shape(name, 1, image_size, channels)))
    model.train()
    device = torch.device(device)
    return model.to(device, memory_format=torch.channels_last) if device.type == "cuda" else model.to(device)
