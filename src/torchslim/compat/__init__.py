"""``torchslim.compat``: a stand-in for ``tensorflow`` so that TF-Slim model files run unchanged.

Two ways in:

- change only the import lines: ``import torchslim.compat.v1 as tf`` (for
  ``import tensorflow.compat.v1 as tf``), ``import torchslim.compat as tf`` (for
  ``import tensorflow as tf``), ``import torchslim as slim`` (for ``import tf_slim as slim``);
- or leave the file alone and call :func:`install` first: an import hook then serves
  ``tensorflow``, ``tensorflow.compat.v1``, ``tf_slim``, ``tensorflow.contrib.slim``,
  ``tensorflow.contrib.training`` and the ``tensorflow.python.*`` helpers nets import
  (:mod:`torchslim.compat.hook`); :func:`uninstall` removes it.

``torchslim.compat`` is TF 1.15's ``tensorflow`` (the TF1 API, which is also ``.compat.v1``):
TF-Slim model code is TF1 code. Importing it adds TF's shape methods to torch tensors
(:mod:`torchslim.compat.shape`: new names only, nothing existing changes).
"""

from torchslim.compat import v1
from torchslim.compat.hook import install, installed, uninstall
from torchslim.compat.v1 import *  # noqa: F401,F403 - the namespace is the point
from torchslim.compat.v1 import Tensor  # noqa: F401 - tf.Tensor is torch.Tensor (not in __all__: not documented here)
from torchslim.compat.v1 import __all__ as _v1_names
from torchslim.compat.v1 import __getattr__  # noqa: F401 - unknown tf.* names raise AttributeError naming them

__all__ = [*_v1_names, "v1", "install", "uninstall", "installed"]
