"""max_pool2d / avg_pool2d: tf-slim's MaxPool2DTest and AvgPool2DTest ported, TF's SAME by hand and numpy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchslim as slim

POOLS = [slim.max_pool2d, slim.avg_pool2d]
NAMES = {slim.max_pool2d: "MaxPool2D", slim.avg_pool2d: "AvgPool2D"}


def run(fn, *inputs):
    with torch.no_grad():
        return slim.Model(fn)(*inputs)


def images(*shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(1))


# --- tf-slim MaxPool2DTest / AvgPool2DTest --------------------------------------------------------


@pytest.mark.parametrize("pool", POOLS)
@pytest.mark.parametrize("data_format", ["CHWN", "NCDHW", "NWC", None])
def test_invalid_data_format(pool, data_format):
    with pytest.raises(ValueError, match="data_format has to be either NCHW or NHWC."):
        run(lambda x: pool(x, [3, 3], data_format=data_format), images(5, 3, 6, 3))


@pytest.mark.parametrize("pool", POOLS)
def test_default_is_stride_2_valid(pool):
    assert run(lambda x: pool(x, [3, 3]), images(5, 3, 6, 3)).shape == (5, 1, 2, 3)
    assert run(lambda x: pool(x, 3), images(5, 3, 6, 3)).shape == (5, 1, 2, 3)  # square kernel


@pytest.mark.parametrize("pool", POOLS)
def test_nchw(pool):
    assert run(lambda x: pool(x, [3, 3], data_format="NCHW"), images(5, 2, 3, 6)).shape == (5, 2, 1, 2)
    assert run(lambda x: pool(x, [3, 3], padding="SAME", data_format="NCHW"), images(5, 3, 3, 6)).shape == (5, 3, 2, 3)


@pytest.mark.parametrize("pool", POOLS)
def test_same_padding_shapes(pool):
    x = images(5, 3, 6, 3)
    assert run(lambda x: pool(x, [3, 3], padding="SAME"), x).shape == (5, 2, 3, 3)
    assert run(lambda x: pool(x, [3, 3], stride=1, padding="SAME"), x).shape == (5, 3, 6, 3)
    assert run(lambda x: pool(x, [3, 3], padding="same"), x).shape == (5, 2, 3, 3)  # case-insensitive


@pytest.mark.parametrize("pool", POOLS)
def test_global_pool(pool):
    x = images(5, 3, 6, 3)
    out = run(lambda x: pool(x, x.shape[1:3], stride=1), x)
    assert out.shape == (5, 1, 1, 3)
    want = x.amax(dim=(1, 2)) if pool is slim.max_pool2d else x.mean(dim=(1, 2))
    torch.testing.assert_close(out[:, 0, 0], want)


@pytest.mark.parametrize("pool", POOLS)
def test_collect_outputs_alias_is_the_name_scope(pool):
    def fn(x):
        pool(x, [3, 3], outputs_collections="outputs")
        pool(x, [3, 3], scope="pool1", outputs_collections="outputs")
        pool(x, [3, 3], scope="pool1", outputs_collections="outputs")
        with slim.variable_scope("outer"):
            pool(x, [3, 3], outputs_collections="outputs")
        return list(slim.utils.convert_collection_to_dict("outputs"))

    name = NAMES[pool]
    assert run(fn, images(5, 3, 6, 3)) == [name, "pool1", "pool1_1", f"outer/{name}"]


@pytest.mark.parametrize("pool", POOLS)
def test_errors_name_the_scope(pool):
    def in_outer(x):
        with slim.variable_scope("outer"):
            return pool(x, [3, 3], scope="pool1")

    with pytest.raises(ValueError, match=r"outer/pool1: .*rank"):
        run(in_outer, images(5, 3, 6))
    with pytest.raises(ValueError, match=r"pool1: padding must be 'SAME' or 'VALID'"):
        run(lambda x: pool(x, [3, 3], padding="FULL", scope="pool1"), images(5, 3, 6, 3))


# --- values: TF's SAME --------------------------------------------------------------------------


def test_avg_pool_same_excludes_padding_from_the_count():
    ones = torch.ones(1, 4, 5, 2)
    torch.testing.assert_close(run(lambda x: slim.avg_pool2d(x, [3, 3], stride=1, padding="SAME"), ones), ones)
    grid = torch.arange(16.0).reshape(1, 4, 4, 1)
    out = run(lambda x: slim.avg_pool2d(x, [3, 3], stride=2, padding="SAME"), grid)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[5.0, 6.5], [11.0, 12.5]]))


def test_same_puts_the_extra_padding_at_the_bottom_right():
    grid = torch.arange(9.0).reshape(1, 3, 3, 1)
    # 2x2 stride 2 on 3x3: total padding 1, all of it after (bottom/right)
    out = run(lambda x: slim.max_pool2d(x, [2, 2], stride=2, padding="SAME"), grid)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[4.0, 5.0], [7.0, 8.0]]))
    out = run(lambda x: slim.avg_pool2d(x, [2, 2], stride=2, padding="SAME"), grid)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[2.0, 3.5], [6.5, 8.0]]))


def test_max_pool_same_pads_with_minus_infinity():
    negative = -1.0 - torch.arange(16.0).reshape(1, 4, 4, 1)
    out = run(lambda x: slim.max_pool2d(x, [3, 3], stride=2, padding="SAME"), negative)
    torch.testing.assert_close(out[0, :, :, 0], torch.tensor([[-1.0, -3.0], [-9.0, -11.0]]))
    out = run(lambda x: slim.max_pool2d(x, [2, 2], stride=1, padding="SAME"), negative)
    assert bool((out < 0).all())  # a zero pad would show up as 0 at the bottom/right edge


def _tf_pool(x, kernel, stride, padding, kind):
    """TF pooling in numpy (NHWC): -inf padding for max, padded cells not counted for avg."""
    n, h, w, c = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    if padding == "SAME":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        top, left = ph // 2, pw // 2
    else:
        oh, ow = -(-(h - kh + 1) // sh), -(-(w - kw + 1) // sw)
        top = left = 0
    out = np.zeros((n, oh, ow, c))
    for i, j in itertools.product(range(oh), range(ow)):
        r0, c0 = i * sh - top, j * sw - left
        window = x[:, max(r0, 0):min(r0 + kh, h), max(c0, 0):min(c0 + kw, w)]
        out[:, i, j] = window.max(axis=(1, 2)) if kind == "max" else window.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("pool, kind", [(slim.max_pool2d, "max"), (slim.avg_pool2d, "avg")])
@pytest.mark.parametrize("size, kernel, stride, padding", [
    ((7, 8), (3, 3), (2, 2), "SAME"), ((8, 7), (3, 2), (2, 3), "SAME"), ((5, 5), (2, 2), (1, 1), "SAME"),
    ((6, 9), (4, 1), (3, 2), "SAME"), ((7, 8), (3, 3), (2, 2), "VALID"), ((9, 6), (2, 4), (3, 1), "VALID"),
    ((1, 1), (3, 3), (2, 2), "SAME"),
])
def test_matches_numpy_reference(pool, kind, size, kernel, stride, padding):
    x = torch.randn((2,) + size + (3,), generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    got = run(lambda x: pool(x, list(kernel), stride=list(stride), padding=padding), x)
    np.testing.assert_allclose(got.numpy(), _tf_pool(x.numpy(), kernel, stride, padding, kind), rtol=1e-12)
    nchw = run(lambda x: pool(x, list(kernel), stride=list(stride), padding=padding, data_format="NCHW"),
               x.permute(0, 3, 1, 2).contiguous())
    torch.testing.assert_close(nchw.permute(0, 2, 3, 1), got)


@pytest.mark.parametrize("pool", POOLS)
def test_gradients_flow(pool):
    x = torch.rand(2, 5, 5, 3, requires_grad=True)
    slim.Model(lambda x: pool(x, [3, 3], padding="SAME"))(x).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


# --- layout: NHWC reaches PyTorch as a channels_last view ---------------------------------------


@pytest.mark.parametrize("pool, kernel_name", [(slim.max_pool2d, "max_pool2d"), (slim.avg_pool2d, "avg_pool2d")])
def test_nhwc_reaches_the_kernel_as_a_channels_last_view(monkeypatch, pool, kernel_name):
    seen = []
    original = getattr(F, kernel_name)

    def spy(x, *args, **kwargs):
        seen.append((x.data_ptr(), x.is_contiguous(memory_format=torch.channels_last)))
        return original(x, *args, **kwargs)

    monkeypatch.setattr(F, kernel_name, spy)
    x = torch.rand(2, 6, 6, 3)
    out = run(lambda x: pool(x, [3, 3], stride=1, padding="SAME"), x)  # symmetric padding: no pad copy
    assert seen == [(x.data_ptr(), True)]
    assert out.is_contiguous()  # NHWC out, no copy back either


# --- max_pool3d / avg_pool3d: tf-slim's MaxPool3DTest / AvgPool3DTest, TF's SAME in 3-D by hand ----

POOLS_3D = [slim.max_pool3d, slim.avg_pool3d]
NAMES_3D = {slim.max_pool3d: "MaxPool3D", slim.avg_pool3d: "AvgPool3D"}


def cube(sign=1.0):
    """``[1, 3, 3, 3, 1]`` with ``x[d, h, w] = sign * (9d + 3h + w)``."""
    return sign * torch.arange(27.0).reshape(1, 3, 3, 3, 1)


@pytest.mark.parametrize("pool", POOLS_3D)
@pytest.mark.parametrize("data_format", ["NHWC", "NCHW", "NDHWC_", None])
def test_3d_invalid_data_format(pool, data_format):
    with pytest.raises(ValueError, match="data_format has to be either NCDHW or NDHWC."):
        run(lambda x: pool(x, [3, 3, 3], data_format=data_format), images(5, 3, 6, 4, 3))


@pytest.mark.parametrize("pool", POOLS_3D)
def test_3d_default_is_stride_2_valid_and_ncdhw(pool):
    x = images(5, 3, 6, 4, 3)
    assert run(lambda t: pool(t, [3, 3, 3]), x).shape == (5, 1, 2, 1, 3)
    assert run(lambda t: pool(t, 3), x).shape == (5, 1, 2, 1, 3)
    nc = x.permute(0, 4, 1, 2, 3)
    out = run(lambda t: pool(t, [2, 3, 3], stride=[1, 2, 2], padding="SAME", data_format="NCDHW"), nc)
    want = run(lambda t: pool(t, [2, 3, 3], stride=[1, 2, 2], padding="SAME"), x)
    assert out.shape == (5, 3, 3, 3, 2)
    torch.testing.assert_close(out, want.permute(0, 4, 1, 2, 3))


@pytest.mark.parametrize("pool", POOLS_3D)
def test_3d_scope_collections_and_errors(pool):
    def fn(x):
        pool(x, [1, 1, 1], outputs_collections="outputs")
        with slim.variable_scope("outer"):
            pool(x, [1, 1, 1], scope="p", outputs_collections="outputs")
        return list(slim.utils.convert_collection_to_dict("outputs"))

    assert run(fn, images(1, 2, 2, 2, 1)) == [NAMES_3D[pool], "outer/p"]
    with pytest.raises(ValueError, match=r"p3: .*rank"):
        run(lambda x: pool(x, 2, scope="p3"), images(1, 2, 2, 1))
    with pytest.raises(ValueError, match=r"p3: padding must be 'SAME' or 'VALID'"):
        run(lambda x: pool(x, 2, padding="FULL", scope="p3"), images(1, 2, 2, 2, 1))


@pytest.mark.parametrize("pool", POOLS_3D)
def test_3d_takes_arg_scope(pool):
    with slim.arg_scope([pool], stride=1, padding="SAME"):
        out = run(lambda x: pool(x, [3, 3, 3]), images(1, 3, 4, 5, 2))
    assert out.shape == (1, 3, 4, 5, 2)


def test_max_pool3d_same_pads_at_the_end_with_minus_infinity():
    # in 3, kernel 2, stride 2: out 2, one padded cell after; window i covers 2i, 2i + 1 (< 3).
    out = run(lambda x: slim.max_pool3d(x, 2, padding="SAME"), cube())[0, ..., 0]
    assert out[0, 0, 0] == 13 and out[1, 0, 0] == 22 and out[0, 1, 0] == 16 and out[1, 1, 1] == 26
    negative = run(lambda x: slim.max_pool3d(x, 2, padding="SAME"), cube(-1.0) - 1)[0, ..., 0]
    assert negative[0, 0, 0] == -1 and negative[1, 1, 1] == -27  # a zero pad would win: it never does


def test_avg_pool3d_same_leaves_padded_cells_out_of_the_count():
    out = run(lambda x: slim.avg_pool3d(x, 2, padding="SAME"), cube())[0, ..., 0]
    assert out[0, 0, 0] == 6.5  # mean of 9d + 3h + w over d, h, w in {0, 1}
    assert out[1, 0, 0] == 20  # d = 2 only: 18 + 1.5 + 0.5, over 4 cells
    assert out[1, 1, 1] == 26  # the corner cell alone


def test_3d_same_one_sided_padding_in_one_dimension():
    # [1, 3, 3] / [1, 2, 2] on 4x4 frames (I3D's MaxPool_2a_3x3): H, W pad 0 before, 1 after.
    x = torch.arange(16.0).reshape(1, 1, 4, 4, 1).repeat(1, 2, 1, 1, 1)
    x[:, 1] += 100
    out = run(lambda t: slim.avg_pool3d(t, [1, 3, 3], stride=[1, 2, 2], padding="SAME"), x)[0, ..., 0]
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == 5  # rows 0-2, cols 0-2 of 4r + c
    assert out[0, 1, 1] == 12.5  # rows 2-3, cols 2-3 (the padded row and column left out)
    assert out[1, 1, 1] == 112.5  # frames pooled one by one
