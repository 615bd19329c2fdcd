"""``tensorflow.python.framework.tensor_util``: the static-value helpers nets import.

Eagerly every tensor's value is known, so ``constant_value`` always answers.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["constant_value", "is_tensor", "make_ndarray"]


def constant_value(tensor, partial: bool = False) -> np.ndarray:
    """The value of ``tensor`` as a numpy array (eagerly always known; TF returns None when it is not)."""
    if torch.is_tensor(tensor):
        return tensor.detach().cpu().numpy()
    return np.asarray(tensor)


def is_tensor(x) -> bool:
    """Whether ``x`` is a tensor (``torch.is_tensor``)."""
    return torch.is_tensor(x)


def make_ndarray(tensor) -> np.ndarray:
    """A numpy array of ``tensor`` (TF takes a TensorProto; here a tensor or array-like)."""
    return constant_value(tensor)
