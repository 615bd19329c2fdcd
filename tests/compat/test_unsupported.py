"""Unsupported tf.* calls raise errors naming the call and what to do instead; unknown names raise AttributeError."""

from __future__ import annotations

import pytest

import torchslim.compat as tf
import torchslim.compat.v1 as tf1
from torchslim.compat.unsupported import ADVICE, UnsupportedError


@pytest.mark.parametrize("call", sorted(ADVICE))
def test_unsupported_call_names_itself_and_the_alternative(call):
    value = tf
    for part in call.split(".")[1:]:
        value = getattr(value, part)
    with pytest.raises(UnsupportedError) as info:
        value()
    assert str(info.value).startswith(f"{call} is not supported by torchslim.compat: ")
    assert ADVICE[call] in str(info.value)


def test_examples():
    with pytest.raises(NotImplementedError, match="tf.Session is not supported.*torchslim.Model"):
        tf.Session()
    with pytest.raises(NotImplementedError, match=r"tf.placeholder is not supported.*torch tensor"):
        tf1.placeholder(tf.float32, [None, 224, 224, 3])
    with pytest.raises(NotImplementedError, match="tf.train.Saver.*assign_from_checkpoint"):
        tf.train.Saver()
    with pytest.raises(NotImplementedError, match="tf.Session"):
        tf.Session.run  # attribute access on the placeholder raises too
    with pytest.raises(NotImplementedError, match="tf.summary.merge_all"):
        tf.summary.merge_all()
    with pytest.raises(NotImplementedError, match="FileWriter"):
        tf.summary.FileWriter("/tmp/x")


def test_unknown_names_raise_attribute_errors_naming_them():
    with pytest.raises(AttributeError, match=r"tf.while_loop_v3 is not provided by torchslim.compat"):
        tf.while_loop_v3
    with pytest.raises(AttributeError, match=r"tf.keras is not provided"):
        tf1.keras
    with pytest.raises(AttributeError, match=r"tf.contrib.quantize is not provided"):
        tf.contrib.quantize
    assert not hasattr(tf, "estimator")


def test_unsupported_arguments_raise_naming_the_call():
    import torch
    with pytest.raises(ValueError, match="tf.gather with batch_dims"):
        tf.gather(torch.zeros(2, 3), [0], batch_dims=1)
    with pytest.raises(ValueError, match="BICUBIC|method=2"):
        tf.image.resize_images(torch.zeros(1, 4, 4, 1), [2, 2], method=tf.image.ResizeMethod.BICUBIC)
    with pytest.raises(ValueError, match="tf.nn.conv2d_transpose: output_shape"):
        tf.nn.conv2d_transpose(torch.zeros(1, 4, 4, 2), torch.zeros(3, 3, 1, 2), [1, 7, 7, 1], [1, 2, 2, 1])
    with pytest.raises(ValueError, match="tf.Variable.*tf.get_variable"):
        tf.Variable(1.0, name="v")
    with pytest.raises(TypeError, match="pre-TF-1.0"):
        tf.concat(3, [torch.zeros(1)])


def test_op_name_scans_are_not_served_and_tensor_name_stays_pytorchs():
    # Upstream MobileNet v2/v3 find end points by op name (os.path.dirname(net.name), net.graph.get_operations()).
    # Eager tensors have neither; torch's own read-only Tensor.name is left as PyTorch has it (docs/porting.md §11).
    import os

    import torch
    net = tf.identity(torch.zeros(1, 2, 2, 3), name="output")
    assert net.name is None and not hasattr(net, "graph")
    with pytest.raises(TypeError):
        os.path.dirname(net.name)
    with pytest.raises(NotImplementedError, match="tf.get_default_graph is not supported by torchslim.compat"):
        tf.get_default_graph().get_operations()
