"""An import hook that serves ``tensorflow`` and ``tf_slim`` from torchslim, so model files run unchanged.

After :func:`install`, ``import tensorflow as tf``, ``import tensorflow.compat.v1 as tf``,
``import tf_slim as slim``, ``slim = tf.contrib.slim``, ``from tensorflow.contrib import slim``,
``from tensorflow.contrib.training import HParams`` and the ``tensorflow.python.*`` helpers in
:data:`SERVED` import the stand-in (:mod:`torchslim.compat`, :mod:`torchslim`). ``tf_slim.<sub>``
is ``torchslim.<sub>`` where that exists. Any other ``tensorflow.*`` / ``tf_slim.*`` module raises
``ModuleNotFoundError`` naming it, rather than finding something else. :func:`uninstall` removes
the hook and the served modules from ``sys.modules``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Dict, List, Optional

__all__ = ["SERVED", "install", "uninstall", "installed"]

# Served module -> the torchslim module (or "module:attribute") that stands for it.
SERVED: Dict[str, str] = {
    "tensorflow": "torchslim.compat",
    "tensorflow.compat": "torchslim.compat.v1:compat",
    "tensorflow.compat.v1": "torchslim.compat.v1",
    "tensorflow.compat.v1.nn": "torchslim.compat.nn",
    "tensorflow.compat.v1.layers": "torchslim.tf_layers",
    "tensorflow.contrib": "torchslim.compat.contrib:contrib",
    "tensorflow.contrib.slim": "torchslim",
    "tensorflow.contrib.framework": "torchslim",
    "tensorflow.contrib.layers": "torchslim",
    "tensorflow.contrib.training": "torchslim.compat.contrib:training",
    "tensorflow.python": "",
    "tensorflow.python.framework": "",
    "tensorflow.python.framework.ops": "torchslim.compat.v1",
    "tensorflow.python.framework.dtypes": "torchslim.compat.dtypes",
    "tensorflow.python.framework.tensor_util": "torchslim.compat.tensor_util",
    "tensorflow.python.framework.tensor_shape": "torchslim.compat.shape",
    "tensorflow.python.ops": "",
    "tensorflow.python.ops.array_ops": "torchslim.compat.v1",
    "tensorflow.python.ops.math_ops": "torchslim.compat.v1",
    "tensorflow.python.ops.control_flow_ops": "torchslim.compat.v1",
    "tensorflow.python.ops.random_ops": "torchslim.compat.v1",
    "tensorflow.python.ops.variable_scope": "torchslim.compat.v1",
    "tensorflow.python.ops.variables": "torchslim.compat.v1",
    "tensorflow.python.ops.nn": "torchslim.compat.nn",
    "tensorflow.python.ops.nn_ops": "torchslim.compat.nn",
    "tensorflow.python.ops.init_ops": "torchslim.tf_layers.init_ops",
    "tensorflow.python.ops.image_ops": "torchslim.compat.image_ops",
    "tensorflow.python.platform": "",
    "tensorflow.python.platform.tf_logging": "torchslim.compat.platform:logging",
    "tf_slim": "torchslim",
}
_ROOTS = ("tensorflow", "tf_slim")


class _Package(types.ModuleType):
    """A stand-in package (``tensorflow.python``, ...): its served children import on attribute access."""

    def __getattr__(self, attr: str):
        child = f"{self.__name__}.{attr}"
        if attr.startswith("__") or child not in SERVED:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r} (not served by "
                                 "torchslim.compat)")
        return importlib.import_module(child)


def _package(name: str) -> types.ModuleType:
    module = _Package(name, f"torchslim.compat's stand-in package for {name}.")
    module.__path__ = []
    return module


def _target(name: str) -> Optional[types.ModuleType]:
    """The module object served as ``name``, or None when ``name`` is not served."""
    target = SERVED.get(name)
    if target is None and name.startswith("tf_slim."):
        candidate = "torchslim." + name[len("tf_slim."):]
        if importlib.util.find_spec(candidate) is None:
            return None
        target = candidate
    if target is None:
        return None
    if target == "":
        return _package(name)
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class _Loader(importlib.abc.Loader):
    """Returns an existing module; the import system overwrites ``__spec__``, so it is put back."""

    def __init__(self, module: types.ModuleType):
        self.module = module
        self.own_spec = getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        if self.own_spec is not None:
            module.__spec__ = self.own_spec


class _Finder(importlib.abc.MetaPathFinder):
    """Serves :data:`SERVED`; refuses every other ``tensorflow.*`` / ``tf_slim.*`` module by name."""

    def find_spec(self, fullname: str, path=None, target=None):
        if fullname.split(".")[0] not in _ROOTS:
            return None
        module = _target(fullname)
        if module is None:
            raise ModuleNotFoundError(
                f"No module named {fullname!r}: torchslim.compat's import hook serves "
                f"{', '.join(sorted(SERVED))} and tf_slim.<m> for each torchslim.<m> (see docs/porting.md)",
                name=fullname)
        is_package = any(other.startswith(fullname + ".") for other in SERVED) or fullname == "tf_slim" \
            or hasattr(module, "__path__")
        return importlib.machinery.ModuleSpec(fullname, _Loader(module), is_package=is_package)


_FINDER: List[_Finder] = []


def installed() -> bool:
    """Whether the hook is installed."""
    return bool(_FINDER)


def install() -> None:
    """Installs the hook (idempotent), first on ``sys.meta_path``.

    Raises:
      RuntimeError: the real ``tensorflow`` or ``tf_slim`` is imported already in this process.
    """
    if _FINDER:
        return
    present = [name for name in _ROOTS if name in sys.modules]
    if present:
        raise RuntimeError(f"torchslim.compat.install(): {', '.join(present)} is already imported in this process; "
                           "install the hook before anything imports TensorFlow")
    _FINDER.append(_Finder())
    sys.meta_path.insert(0, _FINDER[0])


def uninstall() -> None:
    """Removes the hook and forgets every module it served (``sys.modules`` entries under its roots)."""
    if not _FINDER:
        return
    sys.meta_path.remove(_FINDER.pop())
    for name in [n for n in sys.modules if n.split(".")[0] in _ROOTS]:
        del sys.modules[name]
