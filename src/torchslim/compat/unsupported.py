"""What the stand-in cannot be: graph and session machinery, each with what to do instead.

A name listed here resolves (so model files that merely mention it import and run), and calling
it raises :class:`UnsupportedError` naming the ``tf.*`` call and the torchslim / torch way. A name
the stand-in does not know at all raises ``AttributeError`` naming it (:func:`missing`), never a
silent substitute.
"""

from __future__ import annotations

import types
from typing import Dict

__all__ = ["UnsupportedError", "Unsupported", "ADVICE", "missing", "namespace"]

_MODEL = "wrap the model function in torchslim.Model(fn) and call it on torch tensors"
_OPTIM = "use torch.optim (torchslim.train builds the optimizer and the training loop)"

ADVICE: Dict[str, str] = {
    "tf.Session": f"there are no sessions: {_MODEL}",
    "tf.InteractiveSession": f"there are no sessions: {_MODEL}",
    "tf.placeholder": "there are no placeholders: pass a torch tensor (NHWC) to the model call",
    "tf.sparse_placeholder": "there are no placeholders: pass a torch tensor to the model call",
    "tf.global_variables_initializer": "variables are created (and initialized) by the model's first call, "
                                       "or model.build(example)",
    "tf.local_variables_initializer": "variables are created (and initialized) by the model's first call",
    "tf.initialize_all_variables": "variables are created (and initialized) by the model's first call",
    "tf.variables_initializer": "variables are created (and initialized) by the model's first call",
    "tf.tables_initializer": "there are no lookup tables to initialize",
    "tf.get_default_graph": "there is no graph: the model runs eagerly (torch.compile it with model.compile())",
    "tf.Graph": "there is no graph: the model runs eagerly (torch.compile it with model.compile())",
    "tf.reset_default_graph": "there is no graph: build a new torchslim.Model instead",
    "tf.py_func": "call the Python function directly: the model runs eagerly",
    "tf.numpy_function": "call the Python function directly: the model runs eagerly",
    "tf.gradients": "use torch.autograd.grad (or loss.backward())",
    "tf.train.Saver": "restore with slim.assign_from_checkpoint(model, path); save with torchslim.checkpoint",
    "tf.train.GradientDescentOptimizer": _OPTIM,
    "tf.train.MomentumOptimizer": _OPTIM,
    "tf.train.AdamOptimizer": _OPTIM,
    "tf.train.RMSPropOptimizer": _OPTIM,
    "tf.train.AdagradOptimizer": _OPTIM,
    "tf.train.exponential_decay": "use torch.optim.lr_scheduler (torchslim.train's learning-rate schedules)",
    "tf.train.get_or_create_global_step": "torchslim.train keeps the step count",
    "tf.train.get_global_step": "torchslim.train keeps the step count",
    "tf.train.init_from_checkpoint": "use slim.assign_from_checkpoint(model, path, exclude=[...])",
    "tf.train.list_variables": "use torchslim.checkpoint's reader",
    "tf.train.load_checkpoint": "use torchslim.checkpoint's reader",
    "tf.app.run": "call your main() directly",
    "tf.gfile.GFile": "use open()",
    "tf.gfile.Open": "use open()",
    "tf.gfile.Exists": "use os.path.exists()",
    "tf.gfile.MakeDirs": "use os.makedirs()",
    "tf.gfile.Glob": "use glob.glob()",
}


class UnsupportedError(NotImplementedError):
    """A ``tf.*`` call that the eager stand-in cannot give a meaning to."""


class Unsupported:
    """A placeholder for an unsupported ``tf.*`` name: calling (or subclassing) it raises.

    Args:
      call: the TF name, e.g. ``'tf.Session'``.
    """

    __slots__ = ("call",)

    def __init__(self, call: str):
        self.call = call

    def _error(self) -> UnsupportedError:
        return UnsupportedError(f"{self.call} is not supported by torchslim.compat: {ADVICE[self.call]}")

    def __call__(self, *args, **kwargs):
        raise self._error()

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise self._error()

    def __mro_entries__(self, bases):
        raise self._error()

    def __repr__(self) -> str:
        return f"<unsupported {self.call}>"


def namespace(prefix: str, doc: str, **members) -> types.SimpleNamespace:
    """A ``tf.<prefix>`` namespace: ``members`` plus every ADVICE entry under ``tf.<prefix>.``."""
    for call in ADVICE:
        head, _, leaf = call.rpartition(".")
        if head == f"tf.{prefix}":
            members.setdefault(leaf, Unsupported(call))
    space = types.SimpleNamespace(**members)
    space.__doc__ = doc
    return space


def missing(module_label: str, name: str) -> AttributeError:
    """The AttributeError for a name the stand-in does not have (``tf.<name>``), to raise."""
    return AttributeError(f"{module_label}.{name} is not provided by torchslim.compat (the TF stand-in); "
                          f"see docs/porting.md for what is served, or write it with torch")
