"""``tf.contrib`` as TF-Slim model code uses it: ``slim``, ``framework`` and ``layers`` are torchslim
itself; ``training.HParams``. Any other ``tf.contrib`` name raises an AttributeError naming it."""

from __future__ import annotations

import types

import torchslim
from torchslim.compat.hparams import HParams
from torchslim.compat.unsupported import missing

__all__ = ["slim", "framework", "layers", "training", "contrib"]

slim = framework = layers = torchslim

training = types.ModuleType("tensorflow.contrib.training", "``tf.contrib.training``: HParams.")
training.HParams = HParams


class _Contrib(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise missing("tf.contrib", name)


contrib = _Contrib("tensorflow.contrib", "``tf.contrib``: slim, framework, layers (torchslim) and training.HParams.")
contrib.slim, contrib.framework, contrib.layers, contrib.training = slim, framework, layers, training
