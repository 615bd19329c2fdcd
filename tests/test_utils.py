"""slim.utils: tf-slim's utils_test.py (named outputs, n_positive_integers) ported, plus last_dimension."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim import utils


def in_model(fn):
    """Runs ``fn()`` inside a model call (collections belong to a call) and returns its result."""
    out = {}
    slim.Model(lambda x: out.setdefault("result", fn()))(torch.zeros(1))
    return out["result"]


T1, T2, T3 = torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0)


def test_collect_returns_the_output_and_fills_the_collection():
    def fn():
        assert utils.collect_named_outputs("end_points", "a1", T1) is T1
        utils.collect_named_outputs("end_points", "a2", T2)
        return slim.get_collection("end_points")

    assert in_model(fn) == [("a1", T1), ("a2", T2)]


def test_multiple_aliases_and_convert_collection_to_dict():
    def fn():
        utils.collect_named_outputs("end_points", "a1", T1)
        utils.collect_named_outputs("end_points", "a21", T2)
        utils.collect_named_outputs("end_points", "a22", T2)
        return utils.convert_collection_to_dict("end_points")

    end_points = in_model(fn)
    assert list(end_points) == ["a1", "a21", "a22"]
    assert end_points["a1"] is T1 and end_points["a21"] is T2 and end_points["a22"] is T2


def test_convert_collection_to_dict_clear_collection():
    def fn():
        utils.collect_named_outputs("end_points", "a1", T1)
        first = utils.convert_collection_to_dict("end_points", clear_collection=True)
        return first, slim.get_collection("end_points"), utils.convert_collection_to_dict("end_points")

    first, after, again = in_model(fn)
    assert list(first) == ["a1"] and after == [] and again == {}


def test_trailing_slash_is_removed_and_falsy_collections_skip():
    def fn():
        utils.collect_named_outputs("c", "block1/", T1)
        utils.collect_named_outputs(None, "none", T2)
        utils.collect_named_outputs([], "empty", T2)
        utils.collect_named_outputs(["c", "d"], "both", T3)
        return utils.convert_collection_to_dict("c"), utils.convert_collection_to_dict("d")

    c, d = in_model(fn)
    assert list(c) == ["block1", "both"] and list(d) == ["both"]


def test_a_later_alias_of_the_same_name_wins():
    def fn():
        utils.collect_named_outputs("c", "x", T1)
        utils.collect_named_outputs("c", "x", T2)
        return utils.convert_collection_to_dict("c")

    assert in_model(fn)["x"] is T2


def test_convert_collection_to_dict_outside_a_model_is_an_error():
    with pytest.raises(RuntimeError, match="outside a model"):
        utils.convert_collection_to_dict("end_points")


def test_layers_collect_under_their_scope_names():
    def net(x):
        with slim.variable_scope("net"):
            y = slim.conv2d(x, 2, [1, 1], scope="conv1", outputs_collections="ep")
            y = slim.max_pool2d(y, [1, 1], scope="pool1", outputs_collections="ep")
            y = slim.fully_connected(slim.flatten(y), 3, outputs_collections="ep")
        return utils.convert_collection_to_dict("ep")

    end_points = slim.Model(net)(torch.rand(2, 4, 4, 3))
    assert list(end_points) == ["net/conv1", "net/pool1", "net/fully_connected"]
    assert end_points["net/fully_connected"].shape == (2, 3)


# --- NPositiveIntegersTest ------------------------------------------------------------------------


@pytest.mark.parametrize("n, value", [
    ("3", [1]), (3.3, [1]), (-1, [1]), (0, [1]), (1, [1, 2]), (1, [-1]), (1, [0]), (2, [1]), (2, [1, 2, 3]),
    (2, ["hello", 2]), (2, torch.Size([2, 3, 1])), (3, None), (2, 0), (2, -3),
])
def test_n_positive_integers_invalid_input(n, value):
    with pytest.raises(ValueError):
        utils.n_positive_integers(n, value)


def test_n_positive_integers_valid_input():
    assert utils.n_positive_integers(1, 2) == (2,)
    assert utils.n_positive_integers(2, 2) == (2, 2)
    assert utils.n_positive_integers(2, (2, 3)) == (2, 3)
    assert utils.n_positive_integers(3, (2, 3, 1)) == (2, 3, 1)
    assert utils.n_positive_integers(3, torch.Size([2, 3, 1])) == (2, 3, 1)
    # anything int() takes is one value, as in TF
    assert utils.n_positive_integers(2, np.int64(3)) == (3, 3)
    assert utils.n_positive_integers(2, [np.int32(3), torch.tensor(5)]) == (3, 5)
    assert utils.n_positive_integers(2, 3.0) == (3, 3)


def test_two_element_tuple():
    assert utils.two_element_tuple(3) == (3, 3)
    assert utils.two_element_tuple([3, 5]) == (3, 5)
    assert utils.two_element_tuple(torch.Size([7, 9])) == (7, 9)
    with pytest.raises(ValueError):
        utils.two_element_tuple([1, 2, 3])


def test_layers_take_numpy_ints_as_kernel_sizes():
    out = slim.Model(lambda x: slim.conv2d(x, 2, np.int64(3), stride=np.int64(1)))(torch.rand(1, 5, 5, 1))
    assert out.shape == (1, 5, 5, 2)


# --- last_dimension -------------------------------------------------------------------------------


def test_last_dimension():
    assert utils.last_dimension(torch.Size([5, 7, 3])) == 3
    assert utils.last_dimension([4], min_rank=1) == 4
    with pytest.raises(ValueError, match="rank of shape must be at least 2 not: 1"):
        utils.last_dimension([4], min_rank=2)
    with pytest.raises(ValueError, match="last dimension shape must be known"):
        utils.last_dimension([4, None])


def test_collecting_outputs_off_skips_the_collections_inside_the_block_only():
    def fn():
        utils.collect_named_outputs("end_points", "a1", T1)
        with utils.collecting_outputs(False):
            assert not utils.is_collecting_outputs()
            assert utils.collect_named_outputs("end_points", "a2", T2) is T2
        utils.collect_named_outputs("end_points", "a3", T3)
        return list(utils.convert_collection_to_dict("end_points"))

    assert in_model(fn) == ["a1", "a3"]
    assert utils.is_collecting_outputs()


def test_a_net_without_collections_returns_its_hand_made_end_points_and_the_same_logits():
    from torchslim.nets import nets_factory

    x = torch.rand(1, 32, 32, 3)
    model = nets_factory.create("resnet_v2_18", num_classes=4).eval().build(x)
    with torch.no_grad():
        logits, end_points = model(x)
        with utils.collecting_outputs(False):
            lean_logits, lean_end_points = model(x)
    assert len(end_points) > 20
    assert set(lean_end_points) == {"global_pool", "resnet_v2_18/logits", "resnet_v2_18/spatial_squeeze",
                                    "predictions"}
    torch.testing.assert_close(lean_logits, logits, atol=0, rtol=0)
