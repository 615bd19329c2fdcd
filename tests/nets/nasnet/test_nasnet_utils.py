"""NASNet's helpers and cells: upstream's nasnet_utils_test.py, ported, and hand-computed cases."""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets.nasnet import nasnet_utils as nu

ONES = slim.initializers.ones_initializer()
BN_EPS = 1e-3  # slim.batch_norm's default epsilon


def run_in_model(fn, *inputs):
    """``fn(*inputs)`` inside a fresh eval-mode model; returns (model, output)."""
    model = slim.Model(fn)
    model.eval()
    with torch.no_grad():
        return model, model(*inputs)


# --------------------------------------------------------------------------------------------------
# Upstream's nasnet_utils_test.py


def test_calc_reduction_layers():
    assert nu.calc_reduction_layers(18, 2) == [6, 12]
    assert nu.calc_reduction_layers(12, 2) == [4, 8]
    assert nu.calc_reduction_layers(3, 2) == [1, 2]
    assert nu.calc_reduction_layers(9, 1) == [4]


@pytest.mark.parametrize("data_format,index", [("NHWC", 3), ("NCHW", 1)])
def test_get_channel_index(data_format, index):
    assert nu.get_channel_index(data_format) == index
    with slim.arg_scope([nu.get_channel_index], data_format=data_format):
        assert nu.get_channel_index() == index


@pytest.mark.parametrize("data_format,dim", [("NHWC", 40), ("NCHW", 20)])
def test_get_channel_dim(data_format, dim):
    assert nu.get_channel_dim([10, 20, 30, 40], data_format) == dim


def test_global_avg_pool():
    x = torch.arange(5 * 10 * 20 * 10, dtype=torch.float32).reshape(5, 10, 20, 10)
    for data_format in ("NHWC", "NCHW"):
        assert list(nu.global_avg_pool(x, data_format).shape) == [5, 10]
    torch.testing.assert_close(nu.global_avg_pool(x, "NHWC"), x.mean(dim=(1, 2)))
    torch.testing.assert_close(nu.global_avg_pool(x, "NCHW"), x.mean(dim=(2, 3)))


def test_data_format_must_be_set():
    with pytest.raises(ValueError, match="data_format is not set"):
        nu.get_channel_index()
    with pytest.raises(ValueError, match="Not a valid data_format"):
        nu.get_channel_dim([1, 2, 3, 4], "NWHC")
    with pytest.raises(ValueError, match="rank-4"):
        nu.get_channel_dim([1, 2, 3], "NHWC")


# --------------------------------------------------------------------------------------------------
# factorized_reduction and drop_path, by hand


def _reduce(x, output_filters, stride, data_format="NHWC"):
    with slim.arg_scope([slim.conv2d], weights_initializer=ONES, biases_initializer=None, activation_fn=None):
        with slim.arg_scope([nu.factorized_reduction, slim.conv2d, slim.batch_norm], data_format=data_format):
            return nu.factorized_reduction(x, output_filters, stride)


def test_factorized_reduction_takes_even_then_odd_positions():
    x = torch.arange(25, dtype=torch.float32).reshape(1, 5, 5, 1)
    model, y = run_in_model(lambda t: _reduce(t, 3, 2), x)
    assert list(y.shape) == [1, 3, 3, 3]
    assert [(n, list(v.tf_shape)) for n, v in model.tf_variables().items() if n.endswith("weights")] == [
        ("path1_conv/weights", [1, 1, 1, 1]), ("path2_conv/weights", [1, 1, 1, 2])]
    even = x[0, ::2, ::2, 0]
    odd = torch.zeros(3, 3)
    odd[:2, :2] = x[0, 1::2, 1::2, 0]  # the shifted path reads the zero padding past the edge
    scale = (1 + BN_EPS) ** -0.5
    torch.testing.assert_close(y[0, :, :, 0], even * scale)
    torch.testing.assert_close(y[0, :, :, 1], odd * scale)
    torch.testing.assert_close(y[0, :, :, 2], odd * scale)


def test_factorized_reduction_nchw_matches_nhwc():
    x = torch.randn(2, 6, 7, 4)
    _, nhwc = run_in_model(lambda t: _reduce(t, 4, 2), x)
    _, nchw = run_in_model(lambda t: _reduce(t, 4, 2, "NCHW"), x.permute(0, 3, 1, 2))
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), nhwc)


def test_factorized_reduction_stride_1_is_a_1x1_conv():
    model, y = run_in_model(lambda t: _reduce(t, 2, 1), torch.ones(1, 3, 3, 4))
    assert [n for n in model.tf_variables()] == ["path_conv/weights", "path_bn/beta", "path_bn/moving_mean",
                                                 "path_bn/moving_variance"]
    torch.testing.assert_close(y, torch.full((1, 3, 3, 2), 4 * (1 + BN_EPS) ** -0.5))


def test_drop_path_keeps_or_zeroes_whole_examples():
    torch.manual_seed(0)
    x = torch.ones(2000, 2, 2, 3)
    y = nu.drop_path(x, 0.6, is_training=True)
    per_example = y.reshape(2000, -1)
    assert set(per_example.unique().tolist()) <= {0.0, torch.tensor(1 / 0.6).item()}
    assert (per_example == per_example[:, :1]).all()
    kept = (per_example[:, 0] > 0).float().mean().item()
    assert 0.55 < kept < 0.65
    assert nu.drop_path(x, 0.6, is_training=False) is x
    torch.testing.assert_close(nu.drop_path(x, 1.0, is_training=True), x)


# --------------------------------------------------------------------------------------------------
# Operation strings


@pytest.mark.parametrize("text,want", [
    ("separable_5x5_2", nu.Operation("separable_5x5_2", "separable", 5, 2)),
    ("separable_3x3", nu.Operation("separable_3x3", "separable", 3, 1)),
    ("avg_pool_3x3", nu.Operation("avg_pool_3x3", "pool", 3, pooling_type="avg")),
    ("max_pool_2x2", nu.Operation("max_pool_2x2", "pool", 2, pooling_type="max")),
    ("none", nu.Operation("none", "none")),
])
def test_parse_operation(text, want):
    assert nu.parse_operation(text) == want


@pytest.mark.parametrize("text,error", [("separable_3x5_2", ValueError), ("conv_3x3", ValueError),
                                        ("min_pool_3x3", NotImplementedError), ("avg_pool_3x5", ValueError)])
def test_parse_operation_rejects(text, error):
    with pytest.raises(error, match=text):
        nu.parse_operation(text)


def test_cell_tables_are_checked():
    tables = dict(nu.NASNET_A_NORMAL)
    with pytest.raises(ValueError, match="10 operations"):
        nu.NasNetABaseCell(8, tables["operations"][:8], tables["used_hiddenstates"], tables["hiddenstate_indices"],
                           1.0, 10, 100)
    with pytest.raises(ValueError, match=r"hiddenstate_indices\[1\] = 2"):
        nu.NasNetABaseCell(8, tables["operations"], tables["used_hiddenstates"], [0, 2] + [0] * 8, 1.0, 10, 100)


# --------------------------------------------------------------------------------------------------
# The drop-path schedule


@pytest.mark.parametrize("version,step,keep", [
    ("v3", None, 0.8),        # by layer only: (9 + 1) / 20 of the way to 0.6
    ("v3", 0, 1.0),           # start of burn-in
    ("v3", 500, 0.9),         # half the burn-in of the layer-scaled 0.8
    ("v3", 5000, 0.8),        # burn-in over: clipped at 1
    ("v2", 500, 0.8),         # by layer only
    ("v1", 500, 0.8),         # by step only: half of 0.6's drop
    ("v1", None, 0.6),
])
def test_drop_path_schedule(monkeypatch, version, step, keep):
    seen = []
    monkeypatch.setattr(nu, "drop_path", lambda net, keep_prob: seen.append(float(keep_prob)) or net)
    cell = nu.NasNetANormalCell(8, drop_path_keep_prob=0.6, total_num_cells=20, total_training_steps=1000)
    cell._cell_num = 9
    cell._apply_drop_path(torch.ones(1), current_step=step, drop_connect_version=version)
    assert seen == [pytest.approx(keep)]


def test_drop_path_schedule_by_arg_scope(monkeypatch):
    seen = []
    monkeypatch.setattr(nu, "drop_path", lambda net, keep_prob: seen.append(float(keep_prob)) or net)
    cell = nu.NasNetANormalCell(8, drop_path_keep_prob=0.6, total_num_cells=20, total_training_steps=1000)
    cell._cell_num = 9
    with slim.arg_scope([nu.NasNetABaseCell._apply_drop_path], drop_connect_version="v1"):
        cell._apply_drop_path(torch.ones(1), current_step=500)
    assert seen == [pytest.approx(0.8)]
    with pytest.raises(ValueError, match="drop_connect_version"):
        cell._apply_drop_path(torch.ones(1), drop_connect_version="v4")


def test_no_drop_path_at_keep_prob_1(monkeypatch):
    monkeypatch.setattr(nu, "drop_path", lambda *a, **k: pytest.fail("drop_path called"))
    cell = nu.NasNetAReductionCell(8, drop_path_keep_prob=1.0, total_num_cells=20, total_training_steps=1000)
    x = torch.ones(1)
    assert cell._apply_drop_path(x) is x


# --------------------------------------------------------------------------------------------------
# A whole cell


def _cell(x, prev, cell_cls, stride, data_format="NHWC"):
    with slim.arg_scope([slim.conv2d, slim.separable_conv2d], activation_fn=None, biases_initializer=None):
        with slim.arg_scope([slim.avg_pool2d, slim.max_pool2d, slim.conv2d, slim.batch_norm, slim.separable_conv2d,
                             nu.factorized_reduction, nu.global_avg_pool, nu.get_channel_index, nu.get_channel_dim],
                            data_format=data_format):
            cell = cell_cls(6, drop_path_keep_prob=1.0, total_num_cells=4, total_training_steps=10)
            return cell(x, scope="cell", filter_scaling=1, stride=stride, prev_layer=prev, cell_num=0)


@pytest.mark.parametrize("cell_cls,stride,out_shape", [
    (nu.NasNetANormalCell, 1, [2, 5, 5, 36]),      # six states concatenated: prev + five combinations
    (nu.NasNetAReductionCell, 2, [2, 3, 3, 24]),   # four combinations' outputs
])
def test_cell_output_shapes_and_names(cell_cls, stride, out_shape):
    x, prev = torch.randn(2, 5, 5, 4), torch.randn(2, 9, 9, 3)
    model, y = run_in_model(lambda a, b: _cell(a, b, cell_cls, stride), x, prev)
    assert list(y.shape) == out_shape
    names = list(model.tf_variables())
    assert names[0] == "cell/path1_conv/weights"  # prev_layer is twice the size: factorized reduction first
    assert "cell/1x1/weights" in names and "cell/beginning_bn/beta" in names
    assert "cell/comb_iter_0/left/separable_5x5_1/depthwise_weights" in names
    assert "cell/comb_iter_0/left/bn_sep_5x5_2/moving_variance" in names


@pytest.mark.parametrize("cell_cls,stride", [(nu.NasNetANormalCell, 1), (nu.NasNetAReductionCell, 2)])
def test_cell_nchw_matches_nhwc(cell_cls, stride):
    x, prev = torch.randn(2, 5, 5, 4), torch.randn(2, 5, 5, 3)
    model, nhwc = run_in_model(lambda a, b: _cell(a, b, cell_cls, stride), x, prev)
    nchw_model = slim.Model(lambda a, b: _cell(a, b, cell_cls, stride, "NCHW"))
    nchw_model.eval()
    with torch.no_grad():
        nchw_model.build(x.permute(0, 3, 1, 2), prev.permute(0, 3, 1, 2))
        nchw_model.load_state_dict(model.state_dict())
        nchw = nchw_model(x.permute(0, 3, 1, 2), prev.permute(0, 3, 1, 2))
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), nhwc, rtol=1e-5, atol=1e-5)
