"""``tf.summary`` inside model code, with its eager meaning.

A TF1 summary op only records something when a session runs it and a ``FileWriter`` writes the
result. Eagerly there is no session: inside a model call, ``tf.summary.scalar / histogram / image /
audio / text / tensor_summary`` append ``(name, tensor.detach())`` to the call's
``tf.GraphKeys.SUMMARIES`` collection (read it with ``tf.get_collection`` in the same call) and
return None; outside a model call they do nothing. To write event files, use
``torchslim.train``'s summary writer. ``tf.summary.FileWriter`` and ``merge_all`` (graph sessions)
raise an error that says so.
"""

from __future__ import annotations

from typing import Optional

import torch

import torchslim as slim
from torchslim.compat.state_ops import GraphKeys

__all__ = ["SUMMARIES", "scalar", "histogram", "image", "audio", "text", "tensor_summary", "merge", "merge_all",
           "FileWriter"]

SUMMARIES = GraphKeys.SUMMARIES


def _record(name: str, value, collections) -> None:
    value = value.detach() if torch.is_tensor(value) else value
    try:
        for key in collections if collections is not None else [SUMMARIES]:
            slim.add_to_collection(key, (name, value))
    except RuntimeError:  # no model call is running: there is nothing to collect into
        return None
    return None


def scalar(name: str, tensor, collections=None, family: Optional[str] = None) -> None:
    """``tf.summary.scalar``: collects ``(name, tensor)`` in the running call's SUMMARIES; returns None."""
    return _record(name, tensor, collections)


def histogram(name: str, values, collections=None, family: Optional[str] = None) -> None:
    """``tf.summary.histogram``: collects ``(name, values)`` in the running call's SUMMARIES; returns None."""
    return _record(name, values, collections)


def image(name: str, tensor, max_outputs: int = 3, collections=None, family: Optional[str] = None) -> None:
    """``tf.summary.image``: collects ``(name, tensor)`` in the running call's SUMMARIES; returns None."""
    return _record(name, tensor, collections)


def audio(name: str, tensor, sample_rate, max_outputs: int = 3, collections=None, family=None) -> None:
    """``tf.summary.audio``: collects ``(name, tensor)`` in the running call's SUMMARIES; returns None."""
    return _record(name, tensor, collections)


def text(name: str, tensor, collections=None) -> None:
    """``tf.summary.text``: collects ``(name, tensor)`` in the running call's SUMMARIES; returns None."""
    return _record(name, tensor, collections)


def tensor_summary(name: str, tensor, summary_description=None, collections=None, summary_metadata=None,
                   family=None, display_name=None) -> None:
    """``tf.summary.tensor_summary``: collects ``(name, tensor)`` in the running call's SUMMARIES."""
    return _record(name, tensor, collections)


def merge(inputs, collections=None, name: Optional[str] = None):
    """``tf.summary.merge``: not available (it builds a graph op for a session).

    Raises:
      NotImplementedError: always, saying what to use instead.
    """
    raise NotImplementedError("tf.summary.merge is not supported by torchslim.compat (no sessions): read "
                              "tf.get_collection(tf.GraphKeys.SUMMARIES) in the model call, and write events "
                              "with torchslim.train's summary writer")


def merge_all(key: str = SUMMARIES, scope=None, name: Optional[str] = None):
    """``tf.summary.merge_all``: not available (see :func:`merge`).

    Raises:
      NotImplementedError: always, saying what to use instead.
    """
    raise NotImplementedError("tf.summary.merge_all is not supported by torchslim.compat (no sessions): read "
                              "tf.get_collection(tf.GraphKeys.SUMMARIES) in the model call, and write events "
                              "with torchslim.train's summary writer")


class FileWriter:
    """``tf.summary.FileWriter``: not available.

    Raises:
      NotImplementedError: on construction, saying what to use instead.
    """

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("tf.summary.FileWriter is not supported by torchslim.compat: write events "
                                  "with torchslim.train's summary writer")
