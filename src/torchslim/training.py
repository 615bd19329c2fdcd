"""``tf_slim.training`` as net files reach it: ``slim.training.HParams``.

Upstream NASNet / PNASNet (``nets/nasnet/nasnet.py``, ``pnasnet.py``) build their configurations
with ``slim.training.HParams``, the class that was ``tf.contrib.training.HParams`` (tf-slim 1.1.0
itself has no such name). It is :class:`torchslim.compat.hparams.HParams`. tf-slim's training loop
(``create_train_op``, ``train``) is not here: ``torchslim train`` and :mod:`torchslim.train` are its
counterparts (docs/porting.md §6).
"""

from torchslim.compat.hparams import HParams

__all__ = ["HParams"]
