"""torchslim: TF-Slim's way of defining, training and evaluating networks, on PyTorch.

``import torchslim as slim`` gives the names TF-Slim users know: ``slim.arg_scope``,
``slim.conv2d``, ``slim.batch_norm``, ``slim.variable``, ``slim.get_variables_to_restore``, ...,
plus :class:`slim.Model`, the ``nn.Module`` that owns a model function and its variables.
This module only re-exports.
"""

from torchslim import initializers, losses, nn, regularizers, utils, variables
from torchslim.arg_scope import (add_arg_scope, arg_scope, arg_scope_func_key, arg_scoped_arguments,
                                 current_arg_scope, has_arg_scope)
from torchslim.initializers import variance_scaling_initializer, xavier_initializer, xavier_initializer_conv2d
from torchslim.layers import (avg_pool2d, batch_norm, bias_add, conv1d, conv2d, conv2d_transpose, conv3d,
                              convolution, convolution1d, convolution2d, convolution2d_transpose, convolution3d,
                              dropout, elu, flatten, fully_connected, layer_norm, linear, max_pool2d,
                              one_hot_encoding, relu, relu6, repeat, separable_conv2d, separable_convolution2d,
                              softmax, stack, unit_norm)
from torchslim.layers import group_norm
from torchslim.layers import avg_pool3d, max_pool3d
from torchslim.layers import instance_norm
from torchslim.model import Model
from torchslim.regularizers import (apply_regularization, l1_l2_regularizer, l1_regularizer, l2_regularizer,
                                    sum_regularizer)
from torchslim.queries import (GraphKeys, add_to_collection, add_to_collections, filter_variables, get_collection,
                               get_local_variables, get_model_variables, get_trainable_variables, get_unique_variable,
                               get_variables, get_variables_by_name, get_variables_by_suffix, get_variables_to_restore)
from torchslim.scopes import AUTO_REUSE, VariableScope, get_variable_scope, name_scope, variable_scope
from torchslim.store import SlimVariable
from torchslim.variables import global_variable, local_variable, model_variable, variable

__version__ = "0.1.0"

# Imported on first use, so that ``import torchslim`` does not load the checkpoint or export code.
_LAZY = {"assign_from_checkpoint": "torchslim.checkpoint", "assign_from_checkpoint_fn": "torchslim.checkpoint",
         "export_model": "torchslim.export"}


# tf_slim submodules that net files reach as attributes (``slim.training.HParams``), imported on first use.
_SUBMODULES = ("training",)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"torchslim.{name}")
    raise AttributeError(f"module 'torchslim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_SUBMODULES))
