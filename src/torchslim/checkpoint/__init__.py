"""TensorFlow checkpoints without TensorFlow: read V2 bundles and V1 files, write V2, restore models.

Public API::

    list_variables(path)               [(name, shape), ...] sorted, like tf.train.list_variables
    load_variable(path, name)          one ndarray
    load(path)                         {name: ndarray}
    open_checkpoint(path)              CheckpointReader (lazy, TF-like methods)
    latest_checkpoint(directory)       prefix named by the 'checkpoint' state file, or None
    write_checkpoint(prefix, tensors)  V2 bundle, byte-identical to TensorFlow's
    save_safetensors / load_safetensors, save_state_dict / load_state_dict
    assign_from_checkpoint(model, path, include=, exclude=, var_map=, ...)   RestoreReport
    assign_from_checkpoint_fn(path, var_list)    TF-Slim's init_fn factory
    save_checkpoint(model, prefix, global_step)  a model as a V2 bundle (TF names and layouts)

Every malformed file raises :class:`CheckpointError` naming the file and the fault.

Modules: ``table`` (TF's SSTable), ``bundle`` (V2 data + index), ``v1`` (V1 files), ``messages`` (the
protobuf messages), ``snappy``, ``slices``, ``dtypes``, ``state`` (the ``checkpoint`` state file), ``reader``,
``restore``, ``saving``, ``safetensors_io``, ``cli``. The byte-level pieces they share with event files and
run directories (atomic writes, CRC-32C, the protobuf wire format) are in :mod:`torchslim.io`.
"""

from .bundle import write_bundle as write_checkpoint
from .errors import CheckpointError, RestoreError
from .reader import CheckpointReader, list_variables, load, load_variable, open_checkpoint
from .restore import RestoreReport, assign_from_checkpoint, assign_from_checkpoint_fn
from .safetensors_io import load_safetensors, load_state_dict, save_safetensors, save_state_dict
from .saving import save_checkpoint
from .state import (CheckpointState, get_checkpoint_state, latest_checkpoint, remove_checkpoint,
                    update_checkpoint_state)

__all__ = [
    "CheckpointError", "RestoreError", "CheckpointReader", "CheckpointState",
    "list_variables", "load", "load_variable", "open_checkpoint", "latest_checkpoint",
    "get_checkpoint_state", "update_checkpoint_state", "remove_checkpoint", "write_checkpoint",
    "save_safetensors", "load_safetensors", "save_state_dict", "load_state_dict",
    "RestoreReport", "assign_from_checkpoint", "assign_from_checkpoint_fn", "save_checkpoint",
]
