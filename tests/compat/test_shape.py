"""TensorShape / Dimension and the TF shape methods added to torch tensors."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest
import torch

import torchslim.compat as tf
from torchslim.compat.shape import Dimension, TensorShape, as_shape, dimension_value


def test_get_shape_is_a_tensor_shape_of_dimensions():
    x = torch.zeros(2, 5, 6, 3)
    shape = x.get_shape()
    assert isinstance(shape, TensorShape) and shape.as_list() == [2, 5, 6, 3]
    assert shape.ndims == 4 and shape.rank == 4 and len(shape) == 4 and shape.is_fully_defined()
    assert shape[3].value == 3 and isinstance(shape[3], Dimension) and shape[3] * 2 == 6
    assert shape[1:3].as_list() == [5, 6] and shape[-1] == 3 and shape.num_elements() == 180
    assert shape == [2, 5, 6, 3] and shape == (2, 5, 6, 3) and shape != [2, 5, 6]
    assert [d.value for d in shape] == [2, 5, 6, 3] and [d.value for d in shape.dims] == [2, 5, 6, 3]


def test_shape_checks():
    shape = torch.zeros(2, 3).get_shape()
    shape.assert_has_rank(2)
    shape.assert_is_compatible_with([None, 3])
    assert shape.is_compatible_with(TensorShape(None)) and not shape.is_compatible_with([2, 4])
    with pytest.raises(ValueError, match="rank 3"):
        shape.assert_has_rank(3)
    with pytest.raises(ValueError, match="incompatible"):
        shape.assert_is_compatible_with([3, 3])
    assert shape.with_rank(2) is shape and shape.with_rank_at_least(1) is shape
    assert TensorShape([None, 3]).merge_with([2, None]) == [2, 3]
    assert shape.concatenate([4]).as_list() == [2, 3, 4]
    assert not TensorShape([None, 3]).is_fully_defined() and TensorShape([None, 3]).num_elements() is None
    shape[0:1].assert_is_fully_defined()
    with pytest.raises(ValueError, match="not fully defined"):
        TensorShape([None, 3]).assert_is_fully_defined()


def test_unknown_rank():
    unknown = TensorShape(None)
    assert unknown.ndims is None and unknown.dims is None and not unknown.is_fully_defined()
    with pytest.raises(ValueError):
        unknown.as_list()
    assert str(unknown) == "<unknown>" and str(TensorShape([None, 3])) == "(?, 3)"


def test_set_shape_only_checks():
    x = torch.zeros(2, 5)
    x.set_shape([None, 5])
    x.set_shape(TensorShape([2, None]))
    with pytest.raises(ValueError, match=r"\[2, 5\] is not compatible with \(2, 4\)"):
        x.set_shape([2, 4])
    assert x.shape == (2, 5)


def test_torch_size_gets_the_queries_tf_code_calls_on_tensor_shape():
    size = torch.zeros(2, 5, 6).shape
    assert size.as_list() == [2, 5, 6] and size.ndims == 3 and size.rank == 3 and size.is_fully_defined()
    assert size.num_elements() == 60 and size.is_compatible_with([None, 5, 6])
    size.assert_has_rank(3)
    with pytest.raises(ValueError):
        size.assert_is_compatible_with([2, 5])
    assert size.with_rank(3) == [2, 5, 6]


def test_plain_torch_behaviour_is_unchanged():
    size = torch.zeros(2, 5).shape
    assert type(size) is torch.Size and type(size[0]) is int and size == (2, 5) and size == torch.Size([2, 5])
    assert size.numel() == 10 and list(size) == [2, 5] and size + (1,) == (2, 5, 1)
    assert pickle.loads(pickle.dumps(size)) == size and repr(size) == "torch.Size([2, 5])"
    assert torch.zeros(size).shape == size and hash(size) == hash((2, 5))


def test_importing_the_stand_in_only_adds_names(tmp_path):
    script = (
        "import json, torch\n"
        "before = {t.__name__: {n: repr(getattr(t, n)) for n in dir(t)} for t in (torch.Tensor, torch.Size)}\n"
        "import torchslim.compat\n"
        "after = {t.__name__: {n: repr(getattr(t, n)) for n in dir(t)} for t in (torch.Tensor, torch.Size)}\n"
        "print(json.dumps({k: [sorted(set(after[k]) - set(before[k])),"
        " sorted(n for n in before[k] if n in after[k] and after[k][n] != before[k][n] and not n.startswith('__'))]"
        " for k in before}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}).stdout
    added = json.loads(out.splitlines()[-1])
    assert added["Tensor"] == [["get_shape", "set_shape"], []]
    assert added["Size"] == [["as_list", "assert_has_rank", "assert_is_compatible_with", "assert_is_fully_defined",
                              "dims", "is_compatible_with", "is_fully_defined", "ndims", "num_elements", "rank",
                              "with_rank"], []]


def test_helpers():
    assert dimension_value(Dimension(3)) == 3 and dimension_value(None) is None
    assert as_shape(4) == [4] and as_shape(torch.Size([1, 2])) == [1, 2]
    assert tf.TensorShape is TensorShape and tf.compat.dimension_value is dimension_value
    with pytest.raises(TypeError):
        as_shape(object())
