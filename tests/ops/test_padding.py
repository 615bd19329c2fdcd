"""TF's padding arithmetic and data formats (ops/padding.py), by hand."""

from __future__ import annotations

import pytest
import torch

from torchslim.ops import padding as pad


@pytest.mark.parametrize("in_size, kernel, stride, rate, want", [
    (4, 3, 1, 1, (1, 1)),
    (4, 3, 2, 1, (0, 1)),  # even input, stride 2: the extra cell goes after (bottom/right)
    (5, 3, 2, 1, (1, 1)),
    (224, 7, 2, 1, (2, 3)),
    (225, 7, 2, 1, (3, 3)),
    (10, 3, 1, 2, (2, 2)),  # rate 2: effective kernel 5
    (4, 2, 2, 1, (0, 0)),
    (3, 2, 2, 1, (0, 1)),
    (1, 3, 2, 1, (1, 1)),
    (7, 1, 3, 1, (0, 0)),
])
def test_same_padding(in_size, kernel, stride, rate, want):
    assert pad.same_padding(in_size, kernel, stride, rate) == want


@pytest.mark.parametrize("in_size, kernel, stride, rate, padding, want", [
    (7, 3, 2, 1, "SAME", 4), (8, 3, 2, 1, "SAME", 4), (7, 3, 1, 1, "SAME", 7),
    (7, 3, 2, 1, "VALID", 3), (8, 3, 2, 1, "VALID", 3), (10, 3, 1, 2, "VALID", 6), (12, 3, 1, 3, "VALID", 6),
    (2, 3, 1, 1, "VALID", 0),
])
def test_output_size(in_size, kernel, stride, rate, padding, want):
    assert pad.output_size(in_size, kernel, stride, rate, padding) == want


def test_conv_padding_splits_symmetric_and_explicit():
    assert pad.conv_padding((5, 5), (3, 3), (1, 1), (1, 1), "VALID") == (None, [0, 0])
    assert pad.conv_padding((5, 6), (3, 5), (1, 1), (1, 1), "SAME") == (None, [1, 2])
    # F.pad order: last dimension first, (before, after) each
    assert pad.conv_padding((4, 5), (3, 3), (2, 2), (1, 1), "SAME") == ([1, 1, 0, 1], [0, 0])


def test_conv_padding_takes_any_sequences_and_gives_fresh_lists():
    """The split is cached on hashable arguments; callers still pass lists and get lists of their own."""
    explicit, symmetric = pad.conv_padding([4, 5], [3, 3], [2, 2], [1, 1], "SAME")
    explicit.append(99)
    symmetric[0] = 99
    assert pad.conv_padding(torch.Size([4, 5]), (3, 3), (2, 2), (1, 1), "SAME") == ([1, 1, 0, 1], [0, 0])
    assert pad.conv_padding((6, 6), (3, 3), (1, 1), (1, 1), [[2, 0], [1, 1]]) == ([1, 1, 2, 0], [0, 0])
    assert pad.conv_padding((6, 6), (3, 3), (1, 1), (1, 1), ((1, 1), (2, 2))) == (None, [1, 2])


def test_normalize_padding():
    assert pad.normalize_padding("same") == "SAME" and pad.normalize_padding("VALID") == "VALID"
    with pytest.raises(ValueError, match="conv1: padding must be 'SAME' or 'VALID', got 'FULL'"):
        pad.normalize_padding("FULL", "conv1")


@pytest.mark.parametrize("data_format, first", [
    (None, False), ("NWC", False), ("NHWC", False), ("NDHWC", False), ("NCW", True), ("NCHW", True), ("NCDHW", True),
])
def test_is_channels_first(data_format, first):
    assert pad.is_channels_first(data_format) is first


def test_unknown_data_format_names_the_scope():
    with pytest.raises(ValueError, match="net/conv1: Invalid data_format: 'CHWN'"):
        pad.is_channels_first("CHWN", "net/conv1")


def test_nhwc_becomes_a_channels_last_view_and_back():
    x = torch.rand(2, 5, 6, 3)
    y = pad.to_channels_first(x, False)
    assert y.shape == (2, 3, 5, 6) and y.data_ptr() == x.data_ptr()
    assert y.is_contiguous(memory_format=torch.channels_last)
    back = pad.to_data_format(y, False)
    assert torch.equal(back, x) and back.data_ptr() == x.data_ptr() and back.is_contiguous()
    assert pad.to_channels_first(y, True) is y and pad.to_data_format(y, True) is y
    x3 = torch.rand(2, 4, 5, 6, 3)  # NDHWC
    assert pad.to_channels_first(x3, False).shape == (2, 3, 4, 5, 6)


def test_pad_explicit():
    x = torch.zeros(1, 1, 2, 2)
    assert pad.pad_explicit(x, None) is x
    y = pad.pad_explicit(x, [0, 1, 1, 0], value=float("-inf"))
    assert y.shape == (1, 1, 3, 3)
    assert torch.isinf(y[0, 0, 0]).all() and torch.isinf(y[0, 0, :, 2]).all() and (y[0, 0, 1:, :2] == 0).all()


# --- tf.pad: CONSTANT / REFLECT / SYMMETRIC -----------------------------------------------------------


@pytest.mark.parametrize("mode, want", [
    ("REFLECT", [3, 2, 1, 2, 3, 2, 1]),          # mirror without the edge cell
    ("SYMMETRIC", [2, 1, 1, 2, 3, 3, 2]),        # mirror with it
    ("CONSTANT", [0, 0, 1, 2, 3, 0, 0]),
    ("reflect", [3, 2, 1, 2, 3, 2, 1]),          # any case, as tf.pad
])
def test_pad_modes_by_hand(mode, want):
    assert pad.pad(torch.tensor([1.0, 2.0, 3.0]), [[2, 2]], mode).tolist() == want


def test_pad_reflect_2d_nhwc_pads_only_the_named_dimensions():
    x = torch.arange(6.0).reshape(1, 2, 3, 1)                  # rows [0 1 2], [3 4 5]
    y = pad.pad(x, [[0, 0], [1, 1], [1, 0], [0, 0]], "REFLECT")
    assert y[0, :, :, 0].tolist() == [[4, 3, 4, 5], [1, 0, 1, 2], [4, 3, 4, 5], [1, 0, 1, 2]]


def test_pad_uneven_and_constant_value():
    y = pad.pad(torch.tensor([[1.0, 2.0]]), [[1, 0], [0, 2]], constant_values=7.0)
    assert y.tolist() == [[7, 7, 7, 7], [1, 2, 7, 7]]
    assert pad.pad(torch.tensor([1.0, 2.0, 3.0]), [[0, 3]], "SYMMETRIC").tolist() == [1, 2, 3, 3, 2, 1]


@pytest.mark.parametrize("paddings, mode, error, match", [
    ([[3, 0]], "REFLECT", ValueError, "at most 2"),
    ([[0, 4]], "SYMMETRIC", ValueError, "at most 3"),
    ([[-1, 0]], "CONSTANT", ValueError, "non-negative"),
    ([[1, 1], [0, 0]], "CONSTANT", ValueError, "one \\[before, after\\] pair per dimension"),
    ([[1, 1]], "WRAP", ValueError, "mode must be one of"),
    ([[1.5, 1]], "REFLECT", TypeError, "integers"),
])
def test_pad_errors(paddings, mode, error, match):
    with pytest.raises(error, match=match):
        pad.pad(torch.tensor([1.0, 2.0, 3.0]), paddings, mode)
