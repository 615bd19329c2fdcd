"""TF1's variable functions on torchslim's variable store: ``tf.get_variable``, ``tf.variable_scope``,
``tf.global_variables``, collections, and the initializers under their ``tf.*`` names.

Variables exist only inside a model call (:class:`torchslim.Model`), as for Slim code. A variable
made by ``tf.get_variable`` keeps TF's shape and layout (a kernel passed to ``tf.nn.conv2d`` is
HWIO), so a TF checkpoint restores into it by name. ``tf.global_variables()`` and friends return
:class:`torchslim.SlimVariable` records (``.name``, ``.shape``, ``.op.name``; the value is
``.tf_view()``), as ``slim.get_variables`` does.
"""

from __future__ import annotations

import types
from typing import List, Optional

import torch

import torchslim as slim
from torchslim.compat.dtypes import as_dtype
from torchslim.tf_layers import init_ops

__all__ = [
    "get_variable", "Variable", "variable_scope", "name_scope", "get_variable_scope", "AUTO_REUSE", "GraphKeys",
    "get_collection", "add_to_collection", "add_to_collections", "get_collection_ref", "global_variables",
    "trainable_variables", "local_variables", "model_variables", "all_variables",
    "zeros_initializer", "ones_initializer", "constant_initializer", "random_normal_initializer",
    "truncated_normal_initializer", "random_uniform_initializer", "variance_scaling_initializer",
    "glorot_uniform_initializer", "glorot_normal_initializer", "initializers", "init_ops",
]

variable_scope = slim.variable_scope
name_scope = slim.name_scope
get_variable_scope = slim.get_variable_scope
AUTO_REUSE = slim.AUTO_REUSE


class GraphKeys(slim.GraphKeys):
    """``tf.GraphKeys``: torchslim's collection names plus the TF ones model code mentions."""

    SUMMARIES = "summaries"
    GLOBAL_STEP = "global_step"


get_collection = slim.get_collection
add_to_collection = slim.add_to_collection
add_to_collections = slim.add_to_collections

zeros_initializer = init_ops.zeros_initializer
ones_initializer = init_ops.ones_initializer
constant_initializer = init_ops.constant_initializer
random_normal_initializer = init_ops.random_normal_initializer
truncated_normal_initializer = init_ops.truncated_normal_initializer
random_uniform_initializer = init_ops.random_uniform_initializer
variance_scaling_initializer = init_ops.variance_scaling_initializer
glorot_uniform_initializer = init_ops.glorot_uniform_initializer
glorot_normal_initializer = init_ops.glorot_normal_initializer

initializers = types.SimpleNamespace(
    zeros=zeros_initializer, ones=ones_initializer, constant=constant_initializer,
    random_normal=random_normal_initializer, truncated_normal=truncated_normal_initializer,
    random_uniform=random_uniform_initializer, variance_scaling=variance_scaling_initializer,
    glorot_uniform=glorot_uniform_initializer, glorot_normal=glorot_normal_initializer,
    he_normal=init_ops.he_normal, he_uniform=init_ops.he_uniform, lecun_normal=init_ops.lecun_normal,
    lecun_uniform=init_ops.lecun_uniform)
initializers.__doc__ = "``tf.initializers``: the TF1 initializers under their short names."


def get_variable(name: str, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                 collections=None, caching_device=None, partitioner=None, validate_shape: bool = True,
                 use_resource=None, custom_getter=None, constraint=None, **kwargs) -> torch.Tensor:
    """``tf.get_variable``: gets or creates ``name`` in the current variable scope, in TF's layout.

    ``initializer`` None is glorot uniform, as in TF; a tensor or array initializer gives the
    shape. ``caching_device``, ``partitioner``, ``use_resource``, ``custom_getter`` and the TF2
    ``synchronization`` / ``aggregation`` arguments are graph placement, ignored.

    Raises:
      ValueError: a ``constraint`` (not supported: apply it to the tensor after each optimizer step).
    """
    if constraint is not None:
        raise ValueError(f"tf.get_variable({name!r}): constraint is not supported by torchslim.compat; "
                         "apply it to the variable after each optimizer step")
    return slim.variable(name, shape=None if shape is None else [int(d) for d in shape],
                         dtype=None if dtype is None else as_dtype(dtype), initializer=initializer,
                         regularizer=regularizer, trainable=True if trainable is None else bool(trainable),
                         collections=collections)


def Variable(initial_value=None, trainable=None, collections=None, validate_shape: bool = True,  # noqa: N802
             caching_device=None, name: Optional[str] = None, dtype=None, **kwargs) -> torch.Tensor:
    """``tf.Variable``: a non-trainable variable holding ``initial_value``, named uniquely in the name scope.

    Raises:
      ValueError: ``trainable`` is not False (a trainable ``tf.Variable`` has no stable name to restore
        by; write ``tf.get_variable(name, initializer=value)``).
    """
    if trainable is None or trainable:
        raise ValueError(f"tf.Variable(name={name!r}) as a trainable variable is not supported by "
                         "torchslim.compat: write tf.get_variable(name, initializer=value), or pass "
                         "trainable=False")
    value = torch.as_tensor(initial_value, dtype=None if dtype is None else as_dtype(dtype))
    return slim.global_variable(value, name=name)


def get_collection_ref(key: str) -> List:
    """``tf.get_collection_ref``: eagerly a copy, as :func:`get_collection` (appending to it changes nothing)."""
    return slim.get_collection(key)


def global_variables(scope: Optional[str] = None) -> list:
    """``tf.global_variables``: the active model's variables (SlimVariable records), in creation order."""
    return slim.get_variables(scope, collection=GraphKeys.GLOBAL_VARIABLES)


all_variables = global_variables


def trainable_variables(scope: Optional[str] = None) -> list:
    """``tf.trainable_variables``: the active model's trainable variables (SlimVariable records)."""
    return slim.get_trainable_variables(scope)


def local_variables(scope: Optional[str] = None) -> list:
    """``tf.local_variables``: the active model's local variables (SlimVariable records)."""
    return slim.get_local_variables(scope)


def model_variables(scope: Optional[str] = None) -> list:
    """``tf.model_variables``: the active model's model variables (SlimVariable records)."""
    return slim.get_model_variables(scope)
