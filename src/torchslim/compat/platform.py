"""``tf.logging`` (TF1's logging module, on Python's ``logging`` logger ``'tensorflow'``) and the
``tf.test`` queries model code makes (``is_gpu_available``: CUDA through torch)."""

from __future__ import annotations

import logging as _py_logging
import types

import torch

__all__ = ["logging", "test"]

_LOGGER = _py_logging.getLogger("tensorflow")


def _set_verbosity(v: int) -> None:
    _LOGGER.setLevel(v)


logging = types.SimpleNamespace(
    DEBUG=_py_logging.DEBUG, INFO=_py_logging.INFO, WARN=_py_logging.WARNING, ERROR=_py_logging.ERROR,
    FATAL=_py_logging.FATAL, debug=_LOGGER.debug, info=_LOGGER.info, warn=_LOGGER.warning, warning=_LOGGER.warning,
    error=_LOGGER.error, fatal=_LOGGER.fatal, log=_LOGGER.log, set_verbosity=_set_verbosity,
    get_verbosity=_LOGGER.getEffectiveLevel)
logging.__doc__ = "``tf.logging``: Python's logger 'tensorflow'."


def is_gpu_available(cuda_only: bool = False, min_cuda_compute_capability=None) -> bool:
    """``tf.test.is_gpu_available``: whether torch sees a CUDA device (of at least that capability)."""
    if not torch.cuda.is_available():
        return False
    if min_cuda_compute_capability is None:
        return True
    return any(torch.cuda.get_device_capability(i) >= tuple(min_cuda_compute_capability)
               for i in range(torch.cuda.device_count()))


def is_built_with_cuda() -> bool:
    """``tf.test.is_built_with_cuda``: whether this torch was built with CUDA."""
    return torch.version.cuda is not None


test = types.SimpleNamespace(is_gpu_available=is_gpu_available, is_built_with_cuda=is_built_with_cuda,
                             gpu_device_name=lambda: "/device:GPU:0" if torch.cuda.is_available() else "")
test.__doc__ = "``tf.test``: the device queries model code makes."
