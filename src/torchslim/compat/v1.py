"""``torchslim.compat.v1``: the stand-in for ``tensorflow.compat.v1`` (TF 1.15's ``tensorflow``).

``import torchslim.compat.v1 as tf`` in place of ``import tensorflow.compat.v1 as tf`` (or
``import tensorflow as tf`` in TF1-era code) lets TF-Slim model code run unchanged inside
:class:`torchslim.Model`. Each name has TF1's argument names and defaults and NHWC / HWIO
semantics; graph-only names have their eager meaning (see :mod:`torchslim.compat.control`,
:mod:`torchslim.compat.summary`); names that cannot mean anything eagerly raise an error naming the
call and what to do instead (:mod:`torchslim.compat.unsupported`); any other name raises an
AttributeError naming it. The full list is in ``docs/porting.md``.
"""

from __future__ import annotations

import sys
import types

import torch

from torchslim import losses, tf_layers
from torchslim.compat import dtypes, image_ops, math_ops, nn, platform, random_ops, summary
from torchslim.compat.array_ops import *  # noqa: F401,F403 - the namespace is the point
from torchslim.compat.array_ops import __all__ as _array_names
from torchslim.compat.contrib import contrib
from torchslim.compat.control import *  # noqa: F401,F403
from torchslim.compat.control import __all__ as _control_names
from torchslim.compat.dtypes import *  # noqa: F401,F403
from torchslim.compat.dtypes import __all__ as _dtype_names
from torchslim.compat.math_ops import *  # noqa: F401,F403
from torchslim.compat.math_ops import __all__ as _math_names
from torchslim.compat.random_ops import *  # noqa: F401,F403
from torchslim.compat.random_ops import __all__ as _random_names
from torchslim.compat.shape import Dimension, TensorShape, add_tensor_methods, dimension_value
from torchslim.compat.state_ops import *  # noqa: F401,F403
from torchslim.compat.state_ops import __all__ as _state_names
from torchslim.compat.unsupported import ADVICE, Unsupported, missing, namespace

add_tensor_methods()

layers = tf_layers
image = image_ops.image
logging = platform.logging
test = platform.test
Tensor = torch.Tensor
newaxis = None
math = types.SimpleNamespace(**{n: getattr(math_ops, n) for n in math_ops.__all__})
math.__doc__ = "``tf.math``: the math functions under their TF2 home."
train = namespace("train", "``tf.train``: optimizers, savers and steps belong to torch.optim / torchslim.train.")
app = namespace("app", "``tf.app``: not needed to run a model.")
gfile = namespace("gfile", "``tf.gfile``: use Python's file functions.")

_UNSUPPORTED_TOP = {call.split(".", 1)[1]: Unsupported(call) for call in ADVICE if call.count(".") == 1}
globals().update(_UNSUPPORTED_TOP)

compat = types.ModuleType("tensorflow.compat", "``tf.compat``: ``v1`` and ``dimension_value``.")
compat.dimension_value = dimension_value

__all__ = sorted({*_array_names, *_control_names, *_dtype_names, *_math_names, *_random_names, *_state_names,
                  *_UNSUPPORTED_TOP, "nn", "layers", "image", "logging", "test", "summary", "losses", "math", "train",
                  "app", "gfile", "contrib", "compat", "dtypes", "TensorShape", "Dimension",
                  "dimension_value", "newaxis"})


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    raise missing("tf", name)


compat.v1 = sys.modules[__name__]
