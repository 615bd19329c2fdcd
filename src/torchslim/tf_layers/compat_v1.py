"""The old import path of the ``tf`` stand-in: ``torchslim.tf_layers.compat_v1`` is :mod:`torchslim.compat.v1`.

``import torchslim.tf_layers.compat_v1 as tf`` keeps working for the ``tf.layers`` programs written
against it; new code writes ``import torchslim.compat.v1 as tf`` (see ``docs/porting.md``).
"""

from torchslim.compat.v1 import *  # noqa: F401,F403 - a re-export of the stand-in
from torchslim.compat.v1 import __all__, __getattr__  # noqa: F401
