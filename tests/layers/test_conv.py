"""Convolutions: tf-slim ConvolutionTest ported, TF SAME padding by hand, transpose and separable."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import torchslim as slim
from torchslim.nets import resnet_utils


def run(fn, *inputs):
    model = slim.Model(fn)
    out = model(*inputs)
    return model, out


def shapes(model):
    return {name: list(v.tf_shape) for name, v in model.tf_variables().items()}


IMAGES = torch.rand(5, 7, 9, 4)


# --- shapes and variables ------------------------------------------------------------------------


def test_invalid_shape():
    with pytest.raises(ValueError, match="Convolution expects input with rank 5, got 4"):
        run(lambda x: slim.convolution3d(x, 32, 3), torch.rand(5, 6, 8, 3))
    with pytest.raises(ValueError, match="Convolution expects input with rank 4, got 5"):
        run(lambda x: slim.convolution2d(x, 32, 3), torch.rand(1, 5, 6, 8, 3))


def test_invalid_data_format():
    with pytest.raises(ValueError, match="data_format"):
        run(lambda x: slim.convolution2d(x, 32, 3, data_format="CHWN"), IMAGES)


def test_create_conv():
    model, out = run(lambda x: slim.conv2d(x, 32, [3, 3]), IMAGES)
    assert out.shape == (5, 7, 9, 32)
    assert shapes(model) == {"Conv/weights": [3, 3, 4, 32], "Conv/biases": [32]}
    assert (out >= 0).all()  # relu by default


def test_create_conv_nchw():
    model, out = run(lambda x: slim.conv2d(x, 32, [3, 3], data_format="NCHW"), torch.rand(5, 4, 7, 9))
    assert out.shape == (5, 32, 7, 9)
    assert shapes(model) == {"Conv/weights": [3, 3, 4, 32], "Conv/biases": [32]}


def test_nchw_matches_nhwc():
    x = torch.rand(2, 6, 7, 3)

    def fn(x):
        a = slim.conv2d(x, 4, [3, 2], stride=2, scope="c")
        b = slim.conv2d(x.permute(0, 3, 1, 2), 4, [3, 2], stride=2, scope="c", reuse=True, data_format="NCHW")
        return a, b

    _, (a, b) = run(fn, x)
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


def test_create_square_conv_and_conv_with_tensor_shape():
    model, out = run(lambda x: slim.conv2d(x, 32, 3), IMAGES)
    assert out.shape == (5, 7, 9, 32) and shapes(model)["Conv/weights"] == [3, 3, 4, 32]
    model, out = run(lambda x: slim.conv2d(x, 32, x.shape[1:3]), IMAGES)
    assert out.shape == (5, 7, 9, 32) and shapes(model)["Conv/weights"] == [7, 9, 4, 32]


def test_create_fully_conv():
    model, out = run(lambda x: slim.conv2d(x, 64, [7, 9], padding="VALID"), torch.rand(5, 7, 9, 32))
    assert out.shape == (5, 1, 1, 64)
    assert shapes(model)["Conv/biases"] == [64]


@pytest.mark.parametrize("kernel, weights", [([3, 1], [3, 1, 4, 32]), ([1, 3], [1, 3, 4, 32])])
def test_create_vertical_and_horizontal_conv(kernel, weights):
    model, out = run(lambda x: slim.conv2d(x, 32, kernel), IMAGES)
    assert out.shape == (5, 7, 9, 32)
    assert shapes(model)["Conv/weights"] == weights


def test_create_conv_with_stride():
    _, out = run(lambda x: slim.conv2d(x, 32, [3, 3], stride=2), torch.rand(5, 6, 8, 3))
    assert out.shape == (5, 3, 4, 32)


@pytest.mark.parametrize("rate", [1, 2])
def test_creates_weights_and_biases_vars(rate):
    model, _ = run(lambda x: slim.conv2d(x, 32, [3, 3], rate=rate, scope="conv1"), torch.rand(5, 6, 8, 3))
    assert list(model.tf_variables()) == ["conv1/weights", "conv1/biases"]


def test_create_conv_valid():
    _, out = run(lambda x: slim.conv2d(x, 32, [3, 3], padding="VALID"), IMAGES)
    assert out.shape == (5, 5, 7, 32)


def test_without_activation_can_be_negative():
    _, out = run(lambda x: slim.conv2d(x - 0.5, 32, [3, 3], activation_fn=None), IMAGES)
    assert (out < 0).any()


def test_create_conv_with_collection():
    def fn(x):
        with slim.name_scope("fe"):
            slim.conv2d(x, 32, [3, 3], outputs_collections="outputs", scope="Conv")
        return slim.utils.convert_collection_to_dict("outputs")

    _, end_points = run(fn, IMAGES)
    assert list(end_points) == ["Conv"]
    assert end_points["Conv"].shape == (5, 7, 9, 32)


def test_create_conv_with_wd():
    model, _ = run(lambda x: slim.conv2d(x, 32, [3, 3], weights_regularizer=slim.l2_regularizer(0.01)), IMAGES)
    (loss,) = model.regularization_losses()
    w = model.variable("Conv/weights").to_tf()
    torch.testing.assert_close(loss, 0.01 * w.square().sum() / 2)


def test_create_conv_no_regularizers():
    model, _ = run(lambda x: slim.conv2d(x, 32, [3, 3]), IMAGES)
    assert model.regularization_losses() == []


def test_biases_regularizer_and_no_biases():
    model, _ = run(lambda x: slim.conv2d(x, 3, 1, biases_regularizer=slim.l1_regularizer(0.5),
                                         biases_initializer=slim.initializers.constant_initializer(-2.0)), IMAGES)
    torch.testing.assert_close(model.regularization_losses()[0], torch.tensor(3.0))
    model, _ = run(lambda x: slim.conv2d(x, 3, 1, biases_initializer=None), IMAGES)
    assert list(model.tf_variables()) == ["Conv/weights"]


def test_reuse_vars():
    def fn(x):
        slim.conv2d(x, 32, [3, 3], scope="conv1")
        slim.conv2d(x, 32, [3, 3], scope="conv1", reuse=True)

    model, _ = run(fn, IMAGES)
    assert len(model.tf_variables()) == 2


def test_non_reuse_vars():
    def fn(x):
        slim.conv2d(x, 32, [3, 3])
        slim.conv2d(x, 32, [3, 3])

    model, _ = run(fn, IMAGES)
    assert len(model.tf_variables()) == 4


def test_reuse_conv_with_wd():
    def fn(x):
        with slim.arg_scope([slim.conv2d], weights_regularizer=slim.l2_regularizer(0.01)):
            slim.conv2d(x, 32, [3, 3], scope="conv1")
            slim.conv2d(x, 32, [3, 3], scope="conv1", reuse=True)

    model, _ = run(fn, IMAGES)
    assert len(model.tf_variables()) == 2
    assert len(model.regularization_losses()) == 1


def test_conv_with_batch_norm():
    def fn(x):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params={"decay": 0.9}):
            net = slim.conv2d(x, 32, [3, 3])
            slim.conv2d(net, 32, [3, 3])

    model, _ = run(fn, torch.rand(5, 32, 32, 3))
    assert len(model.tf_variables()) == 8
    assert len(slim.get_variables("Conv/BatchNorm", model=model)) == 3
    assert len(slim.get_variables("Conv_1/BatchNorm", model=model)) == 3
    assert not slim.get_variables_by_name("biases", model=model)
    assert not slim.get_variables_by_name("gamma", model=model)


def test_reuse_conv_with_batch_norm():
    def fn(x):
        with slim.arg_scope([slim.conv2d], normalizer_fn=slim.batch_norm, normalizer_params={"decay": 0.9}):
            net = slim.conv2d(x, 32, [3, 3], scope="Conv")
            slim.conv2d(net, 32, [3, 3], scope="Conv", reuse=True)

    model, _ = run(fn, torch.rand(5, 32, 32, 32))
    assert len(model.tf_variables()) == 4
    assert len(slim.get_variables("Conv/BatchNorm", model=model)) == 3
    assert len(slim.get_variables("Conv_1/BatchNorm", model=model)) == 0


def test_conv_bn_relu_order_values():
    """conv (no bias) -> batch_norm (eval, moving stats) -> relu."""
    x = torch.rand(2, 4, 4, 3) - 0.5

    def fn(x):
        return slim.conv2d(x, 2, [1, 1], normalizer_fn=slim.batch_norm,
                           normalizer_params={"is_training": False, "scale": True, "epsilon": 0.0})

    model = slim.Model(fn)
    model.build(x)
    for name, value in {"Conv/weights": [[[[1.0, -1.0], [2.0, 0.0], [0.0, 1.0]]]],
                        "Conv/BatchNorm/gamma": [2.0, 3.0], "Conv/BatchNorm/beta": [0.5, -0.5],
                        "Conv/BatchNorm/moving_mean": [0.1, 0.2], "Conv/BatchNorm/moving_variance": [4.0, 9.0]
                        }.items():
        model.variable(name).assign_tf(np.array(value, np.float32))
    pre = torch.stack([x[..., 0] + 2 * x[..., 1], -x[..., 0] + x[..., 2]], dim=-1)
    want = ((pre - torch.tensor([0.1, 0.2])) / torch.tensor([2.0, 3.0]) * torch.tensor([2.0, 3.0])
            + torch.tensor([0.5, -0.5])).relu()
    for training in (True, False):
        model.train(training)
        torch.testing.assert_close(model(x), want)
        with torch.no_grad():
            torch.testing.assert_close(model(x), want)


# --- rates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate, padding, expected", [
    (2, "SAME", (5, 10, 12, 32)),
    (2, "VALID", (5, 6, 8, 32)),
    ([2, 3], "VALID", (5, 6, 6, 32)),
])
def test_output_size_with_rate(rate, padding, expected):
    _, out = run(lambda x: slim.conv2d(x, 32, [3, 3], rate=rate, padding=padding), torch.rand(5, 10, 12, 3))
    assert out.shape == expected


@pytest.mark.parametrize("rate, expected", [(1, (5, 7, 9, 32)), (2, (5, 5, 7, 32))])
def test_dynamic_output_size_with_rate(rate, expected):
    model = slim.Model(lambda x: slim.conv2d(x, 32, [3, 3], rate=rate, padding="VALID"))
    assert model(torch.rand(5, 9, 11, 3)).shape == expected
    assert model(torch.rand(2, 13, 15, 3)).shape == (2, 13 - 2 * rate, 15 - 2 * rate, 32)


def test_rate_with_stride_is_an_error():
    with pytest.raises(ValueError, match="stride must be 1 when rate > 1"):
        run(lambda x: slim.conv2d(x, 32, [3, 3], rate=2, stride=2), torch.rand(5, 10, 12, 3))


# --- TF SAME padding, by hand (resnet_utils_test testConv2DSameEven/Odd) -------------------------


def create_input(batch, height, width, channels):
    grid = np.arange(height)[:, None] + np.arange(width)[None, :]
    return torch.from_numpy(np.tile(grid[None, :, :, None], (batch, 1, 1, channels)).astype(np.float32))


def _same_grids(n):
    x = create_input(1, n, n, 1)
    w = create_input(1, 3, 3, 1).reshape(3, 3, 1, 1)

    def fn(x):
        with slim.variable_scope("Conv"):
            slim.variable("weights", initializer=w, layout="conv")
            slim.variable("biases", initializer=torch.zeros(1))
        with slim.arg_scope([slim.conv2d], reuse=True):
            y1 = slim.conv2d(x, 1, [3, 3], stride=1, scope="Conv")
            y2 = slim.max_pool2d(y1, [1, 1], stride=2)  # resnet_utils.subsample
            y3 = resnet_utils.conv2d_same(x, 1, 3, stride=2, scope="Conv")
            y4 = slim.conv2d(x, 1, [3, 3], stride=2, scope="Conv")
        return [y[0, :, :, 0].numpy() for y in (y1, y2, y3, y4)]

    with torch.no_grad():
        return slim.Model(fn)(x)


def test_conv2d_same_even():
    y1, y2, y3, y4 = _same_grids(4)
    np.testing.assert_array_equal(y1, [[14, 28, 43, 26], [28, 48, 66, 37], [43, 66, 84, 46], [26, 37, 46, 22]])
    np.testing.assert_array_equal(y2, [[14, 43], [43, 84]])
    np.testing.assert_array_equal(y3, y2)
    np.testing.assert_array_equal(y4, [[48, 37], [37, 22]])


def test_sharing_a_variable_created_with_another_layout_is_an_error():
    def fn(x):
        with slim.variable_scope("Conv"):
            slim.variable("weights", shape=[3, 3, 1, 1])
        return slim.conv2d(x, 1, [3, 3], scope="Conv", reuse=True)

    with pytest.raises(ValueError, match=r"Conv/weights.*layout='conv'"):
        run(fn, torch.rand(1, 4, 4, 1))


def test_conv2d_same_odd():
    y1, y2, y3, y4 = _same_grids(5)
    np.testing.assert_array_equal(y1, [[14, 28, 43, 58, 34], [28, 48, 66, 84, 46], [43, 66, 84, 102, 55],
                                       [58, 84, 102, 120, 64], [34, 46, 55, 64, 30]])
    np.testing.assert_array_equal(y2, [[14, 43, 34], [43, 84, 55], [34, 55, 30]])
    np.testing.assert_array_equal(y3, y2)
    np.testing.assert_array_equal(y4, y2)


def numpy_conv2d(x, w, stride, rate, padding):
    """TF conv2d in plain numpy (NHWC, HWIO), with TF's SAME split (extra cell bottom/right)."""
    n, h, wd, _ = x.shape
    kh, kw, _, out = w.shape
    eh, ew = (kh - 1) * rate[0] + 1, (kw - 1) * rate[1] + 1
    if padding == "SAME":
        oh, ow = -(-h // stride[0]), -(-wd // stride[1])
        ph = max((oh - 1) * stride[0] + eh - h, 0)
        pw = max((ow - 1) * stride[1] + ew - wd, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = -(-(h - eh + 1) // stride[0]), -(-(wd - ew + 1) // stride[1])
    y = np.zeros((n, oh, ow, out), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride[0]:i * stride[0] + eh:rate[0], j * stride[1]:j * stride[1] + ew:rate[1]]
            y[:, i, j] = np.einsum("nhwc,hwco->no", patch, w)
    return y


@pytest.mark.parametrize("size, kernel, stride, rate, padding", [
    ((7, 8), (3, 3), (2, 2), (1, 1), "SAME"),
    ((8, 7), (4, 2), (2, 3), (1, 1), "SAME"),
    ((6, 6), (2, 2), (1, 1), (1, 1), "SAME"),
    ((9, 10), (3, 3), (1, 1), (2, 3), "SAME"),
    ((5, 5), (5, 5), (3, 3), (1, 1), "SAME"),
    ((9, 8), (3, 2), (2, 3), (1, 1), "VALID"),
    ((10, 9), (3, 3), (1, 1), (2, 2), "VALID"),
    ((1, 3), (3, 3), (2, 2), (1, 1), "SAME"),
])
def test_conv2d_matches_numpy_reference(size, kernel, stride, rate, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2,) + size + (3,)).astype(np.float32)
    w = rng.standard_normal(kernel + (3, 4)).astype(np.float32)

    def fn(x):
        return slim.conv2d(x, 4, list(kernel), stride=list(stride), rate=list(rate), padding=padding,
                           activation_fn=None, weights_initializer=slim.initializers.constant_initializer(w))

    _, out = run(fn, torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), numpy_conv2d(x, w, stride, rate, padding), rtol=1e-4, atol=1e-4)


# --- explicit padding (tf.nn.conv2d's form) -------------------------------------------------------


@pytest.mark.parametrize("pads, stride", [(((1, 1), (1, 1)), 2), (((0, 2), (1, 0)), 1), (((2, 2), (0, 0)), 3)])
def test_explicit_padding_matches_numpy_pad_then_valid(pads, stride):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 8, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)

    def fn(x):
        return slim.conv2d(x, 4, 3, stride=stride, padding=[[0, 0], list(pads[0]), list(pads[1]), [0, 0]],
                           activation_fn=None, weights_initializer=slim.initializers.constant_initializer(w))

    _, out = run(fn, torch.from_numpy(x))
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    expected = numpy_conv2d(padded, w, (stride, stride), (1, 1), "VALID")
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-4, atol=1e-4)


def test_explicit_padding_nchw():
    x = torch.rand(2, 6, 7, 3)

    def fn(x):
        a = slim.conv2d(x, 4, 3, stride=2, padding=[[0, 0], [1, 2], [0, 1], [0, 0]], scope="c")
        b = slim.conv2d(x.permute(0, 3, 1, 2), 4, 3, stride=2, padding=[[0, 0], [0, 0], [1, 2], [0, 1]],
                        data_format="NCHW", scope="c", reuse=True)
        return a, b

    _, (a, b) = run(fn, x)
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


@pytest.mark.parametrize("padding, match", [
    ([[0, 0], [1, 1], [1, 1]], "needs 4 .before, after. pairs"),
    ([[0, 0], [1, 1], [1, 1], [1, 0]], "batch and channel dimensions"),
    ([[1, 0], [1, 1], [1, 1], [0, 0]], "batch and channel dimensions"),
    ([[0, 0], [-1, 1], [1, 1], [0, 0]], "must not be negative"),
    ([1, 2, 3, 4], "list of .before, after. pairs"),
    ("FULL", "padding must be 'SAME' or 'VALID'"),
])
def test_explicit_padding_errors_name_the_scope(padding, match):
    with pytest.raises(ValueError, match=f"^my_conv: .*{match}"):
        run(lambda x: slim.conv2d(x, 4, 3, padding=padding, scope="my_conv"), IMAGES)


def test_checks_still_run_after_the_same_layer_passed_them():
    """Validated arguments are cached per call signature; a bad call must still fail after good ones."""
    run(lambda x: slim.conv2d(x, 4, 3, padding="SAME", scope="c"), IMAGES)
    with pytest.raises(ValueError, match="padding must be 'SAME' or 'VALID'"):
        run(lambda x: slim.conv2d(x, 4, 3, padding="FULL", scope="c"), IMAGES)
    with pytest.raises(ValueError, match="stride must be 1 when rate > 1"):
        run(lambda x: slim.conv2d(x, 4, 3, stride=2, rate=2, scope="c"), IMAGES)
    with pytest.raises(ValueError, match="Invalid data_format"):
        run(lambda x: slim.conv2d(x, 4, 3, data_format="NCDHW", scope="c"), IMAGES)


def test_symmetric_explicit_padding_makes_no_padded_copy(monkeypatch):
    calls = []
    real_pad = F.pad
    monkeypatch.setattr(F, "pad", lambda *a, **k: calls.append(1) or real_pad(*a, **k))
    run(lambda x: slim.conv2d(x, 4, 3, stride=2, padding=[[0, 0], [1, 1], [1, 1], [0, 0]]), IMAGES)
    assert calls == []
    run(lambda x: slim.conv2d(x, 4, 3, stride=2, padding=[[0, 0], [0, 1], [1, 1], [0, 0]]), IMAGES)
    assert calls == [1]


# --- 1-D and 3-D ---------------------------------------------------------------------------------


def test_conv1d_and_conv3d():
    model, out = run(lambda x: slim.conv1d(x, 6, 3, stride=2), torch.rand(2, 9, 4))
    assert out.shape == (2, 5, 6) and shapes(model)["Conv/weights"] == [3, 4, 6]
    model, out = run(lambda x: slim.conv3d(x, 6, [3, 2, 1], padding="VALID"), torch.rand(2, 5, 4, 3, 2))
    assert out.shape == (2, 3, 3, 3, 6) and shapes(model)["Conv/weights"] == [3, 2, 1, 2, 6]
    _, out = run(lambda x: slim.convolution(x, 6, 3, data_format="NCW"), torch.rand(2, 4, 9))
    assert out.shape == (2, 6, 9)


# --- conv2d_transpose ----------------------------------------------------------------------------


def test_conv2d_transpose_variables():
    model, out = run(lambda x: slim.conv2d_transpose(x, 5, [3, 4]), torch.rand(1, 4, 4, 3))
    assert shapes(model) == {"Conv2d_transpose/weights": [3, 4, 5, 3], "Conv2d_transpose/biases": [5]}
    assert out.shape == (1, 4, 4, 5)


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    ((10, 12), (3, 3), 2, "SAME", (20, 24)),
    ((10, 12), (3, 3), 2, "VALID", (21, 25)),
    ((10, 12), (2, 2), 2, "VALID", (20, 24)),
    ((10, 12), (1, 1), 2, "VALID", (20, 24)),
    ((5, 6), (4, 4), 3, "VALID", (16, 19)),
    ((5, 6), (3, 3), 1, "SAME", (5, 6)),
    ((5, 6), (3, 3), 1, "VALID", (7, 8)),
])
def test_conv2d_transpose_output_size(size, kernel, stride, padding, expected):
    _, out = run(lambda x: slim.conv2d_transpose(x, 2, list(kernel), stride=stride, padding=padding),
                 torch.rand((1,) + size + (3,)))
    assert out.shape == (1,) + expected + (2,)


def test_conv2d_transpose_nchw():
    _, out = run(lambda x: slim.conv2d_transpose(x, 2, 3, stride=2, data_format="NCHW"), torch.rand(1, 3, 5, 6))
    assert out.shape == (1, 2, 10, 12)


def numpy_conv2d_transpose(x, w, stride, padding):
    """Scatter form of TF's conv2d_transpose (weights [kh, kw, out, in]), then TF's crop."""
    n, h, wd, _ = x.shape
    kh, kw, out, _ = w.shape
    full = np.zeros((n, (h - 1) * stride + kh, (wd - 1) * stride + kw, out))
    for i in range(h):
        for j in range(wd):
            full[:, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum("nc,hwoc->nhwo", x[:, i, j], w)
    if padding == "VALID":
        oh, ow = h * stride + max(kh - stride, 0), wd * stride + max(kw - stride, 0)
        return full[:, :oh, :ow]
    oh, ow = h * stride, wd * stride
    ph = max((h - 1) * stride + kh - oh, 0)  # the forward conv's SAME padding from (oh, ow) to (h, w)
    pw = max((wd - 1) * stride + kw - ow, 0)
    full = np.pad(full, ((0, 0), (0, max(oh + ph // 2 - full.shape[1], 0)), (0, max(ow + pw // 2 - full.shape[2], 0)),
                         (0, 0)))
    return full[:, ph // 2:ph // 2 + oh, pw // 2:pw // 2 + ow]


@pytest.mark.parametrize("size, kernel, stride, padding", [
    ((3, 4), (3, 3), 2, "SAME"),
    ((4, 3), (2, 4), 2, "SAME"),
    ((3, 3), (1, 1), 3, "SAME"),
    ((3, 4), (3, 2), 2, "VALID"),
    ((2, 3), (4, 4), 3, "SAME"),
])
def test_conv2d_transpose_matches_numpy_reference(size, kernel, stride, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2,) + size + (3,)).astype(np.float32)
    w = rng.standard_normal(kernel + (4, 3)).astype(np.float32)
    _, out = run(lambda x: slim.conv2d_transpose(
        x, 4, list(kernel), stride=stride, padding=padding, activation_fn=None,
        weights_initializer=slim.initializers.constant_initializer(w)), torch.from_numpy(x))
    np.testing.assert_allclose(out.detach().numpy(), numpy_conv2d_transpose(x, w, stride, padding),
                               rtol=1e-4, atol=1e-4)


# --- separable_conv2d ----------------------------------------------------------------------------


def test_separable_conv2d_variables():
    model, out = run(lambda x: slim.separable_conv2d(x, 7, [3, 3], depth_multiplier=2), torch.rand(1, 5, 5, 3))
    assert shapes(model) == {"SeparableConv2d/depthwise_weights": [3, 3, 3, 2],
                             "SeparableConv2d/pointwise_weights": [1, 1, 6, 7], "SeparableConv2d/biases": [7]}
    assert out.shape == (1, 5, 5, 7)


def test_depthwise_only():
    model, out = run(lambda x: slim.separable_conv2d(x, None, [3, 3], depth_multiplier=2, stride=2),
                     torch.rand(1, 5, 5, 3))
    assert shapes(model) == {"SeparableConv2d/depthwise_weights": [3, 3, 3, 2], "SeparableConv2d/biases": [6]}
    assert out.shape == (1, 3, 3, 6)


def test_separable_with_batch_norm_has_no_biases():
    model, _ = run(lambda x: slim.separable_conv2d(x, 4, 3, normalizer_fn=slim.batch_norm), torch.rand(2, 5, 5, 3))
    assert list(model.tf_variables()) == [
        "SeparableConv2d/depthwise_weights", "SeparableConv2d/pointwise_weights", "SeparableConv2d/BatchNorm/beta",
        "SeparableConv2d/BatchNorm/moving_mean", "SeparableConv2d/BatchNorm/moving_variance"]


def test_separable_nchw_matches_nhwc():
    x = torch.rand(2, 6, 5, 3)

    def fn(x):
        a = slim.separable_conv2d(x, 4, [3, 2], depth_multiplier=2, rate=2, scope="s")
        b = slim.separable_conv2d(x.permute(0, 3, 1, 2), 4, [3, 2], depth_multiplier=2, rate=2, scope="s",
                                  reuse=True, data_format="NCHW")
        return a, b

    _, (a, b) = run(fn, x)
    assert a.shape == (2, 6, 5, 4)
    torch.testing.assert_close(a, b.permute(0, 2, 3, 1))


def test_separable_is_depthwise_then_pointwise():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 6, 6, 2)).astype(np.float32)
    dw = rng.standard_normal((3, 3, 2, 3)).astype(np.float32)
    pw = rng.standard_normal((1, 1, 6, 5)).astype(np.float32)

    def fn(x):
        return slim.separable_conv2d(x, 5, 3, depth_multiplier=3, stride=2, activation_fn=None,
                                     weights_initializer=slim.initializers.constant_initializer(dw),
                                     pointwise_initializer=slim.initializers.constant_initializer(pw))

    _, out = run(fn, torch.from_numpy(x))
    # depthwise output channel c * mult + m sees input channel c through dw[..., c, m]
    depthwise = np.concatenate([numpy_conv2d(x[..., c:c + 1], dw[:, :, c:c + 1, :], (2, 2), (1, 1), "SAME")
                                for c in range(2)], axis=-1)
    np.testing.assert_allclose(out.detach().numpy(), depthwise @ pw[0, 0], rtol=1e-4, atol=1e-4)


# --- dtypes: variables take the inputs' dtype (TF: dtype=inputs.dtype.base_dtype) -----------------


@pytest.mark.parametrize("layer", [
    lambda x: slim.conv2d(x, 3, [3, 3], scope="L"),
    lambda x: slim.separable_conv2d(x, 3, [3, 3], depth_multiplier=2, scope="L"),
    lambda x: slim.separable_conv2d(x, None, [3, 3], scope="L"),
    lambda x: slim.conv2d_transpose(x, 3, [3, 3], stride=2, scope="L"),
    lambda x: slim.conv1d(x[:, 0], 3, 3, scope="L"),
])
def test_variables_take_the_input_dtype(layer):
    x = torch.rand(2, 5, 5, 2, dtype=torch.float64)
    model, out = run(layer, x)
    assert out.dtype == torch.float64
    assert {v.dtype for v in model.tf_variables().values()} == {torch.float64}


def test_float64_conv_matches_numpy_exactly():
    x = torch.randn(2, 7, 8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    model, out = run(lambda x: slim.conv2d(x, 4, [3, 3], stride=2, activation_fn=None, scope="c"), x)
    w = model.variable("c/weights").to_tf().numpy()
    np.testing.assert_allclose(out.detach().numpy(), numpy_conv2d(x.numpy(), w, (2, 2), (1, 1), "SAME"), rtol=1e-12)


def test_integer_inputs_are_a_type_error():
    # tf-slim testCreateConvInt32: "non-floating point type"
    with pytest.raises(TypeError, match="non-floating point type"):
        run(lambda x: slim.separable_conv2d(x, 32, [3, 3], 2), torch.randint(0, 100, (5, 3, 3, 3), dtype=torch.int32))
    with pytest.raises(TypeError, match="non-floating point type"):
        run(lambda x: slim.conv2d(x, 32, [3, 3]), torch.randint(0, 100, (5, 3, 3, 3), dtype=torch.int32))


# --- layout: NHWC reaches PyTorch as a channels_last view ---------------------------------------


def test_nhwc_reaches_the_conv_kernel_as_a_channels_last_view(monkeypatch):
    import torchslim.ops.conv as conv_module

    seen = []

    def spy(x, *args):
        seen.append((x.data_ptr(), x.is_contiguous(memory_format=torch.channels_last)))
        return F.conv2d(x, *args)

    monkeypatch.setitem(conv_module._CONV, 2, spy)
    x = torch.rand(2, 6, 6, 3)
    model, out = run(lambda x: slim.conv2d(x, 4, [3, 3]), x)  # 3x3 stride 1 SAME: symmetric, no pad copy
    assert seen == [(x.data_ptr(), True)]
    assert out.is_contiguous()  # the channels_last result is NHWC without a copy back


@pytest.mark.parametrize("layer", [lambda x, **kw: slim.conv2d(x, 4, [3, 3], **kw),
                                   lambda x, **kw: slim.conv2d_transpose(x, 4, [3, 3], stride=2, **kw)],
                         ids=["conv2d", "conv2d_transpose"])
def test_kernels_follow_the_inputs_memory_format(monkeypatch, layer):
    """NHWC layers keep their 3x3 kernels channels_last, so no call copies them (the NHWC input is a
    channels_last view); NCHW layers keep them contiguous. Shapes, values and TF views are unchanged."""
    nhwc = torch.rand(2, 6, 6, 3)
    model, out = run(lambda x: layer(x), nhwc)
    weights = model.variable("Conv/weights" if "Conv/weights" in model.tf_variables() else
                             "Conv2d_transpose/weights")
    assert weights.tensor.is_contiguous(memory_format=torch.channels_last)
    assert not weights.tensor.is_contiguous()
    model_nchw, out_nchw = run(lambda x: layer(x, data_format="NCHW"), nhwc.permute(0, 3, 1, 2).contiguous())
    kernel_nchw = next(iter(model_nchw.tf_variables().values()))
    assert kernel_nchw.tensor.is_contiguous()
    kernel_nchw.assign_tf(weights.to_tf())
    torch.testing.assert_close(model_nchw(nhwc.permute(0, 3, 1, 2).contiguous()).permute(0, 2, 3, 1), out)
    with torch.profiler.profile(record_shapes=True) as prof:
        model(nhwc)
    kernel_copies = [e for e in prof.events() if e.name == "aten::copy_"
                     and list(weights.tensor.shape) in [list(s) for s in e.input_shapes if s]]
    assert not kernel_copies


def test_depthwise_only_atrous_valid_by_hand():
    """MobileNet's use: num_outputs=None, a depth multiplier, a rate, VALID (after explicit padding).

    A 2x2 kernel at rate 2 reads the corners of the 3x3 input: channel m of the one input
    channel gets sum(dw[i, j, 0, m] * x[2i, 2j]).
    """
    x = torch.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    dw = np.stack([np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 2))], axis=-1)[:, :, None, :]  # [2, 2, 1, 2]

    def fn(x):
        return slim.separable_conv2d(x, None, [2, 2], depth_multiplier=2, rate=2, padding="VALID",
                                     activation_fn=None, weights_initializer=slim.initializers.constant_initializer(dw))

    model, out = run(fn, x)
    assert shapes(model) == {"SeparableConv2d/depthwise_weights": [2, 2, 1, 2], "SeparableConv2d/biases": [2]}
    # channel 0: 1*1 + 2*3 + 3*7 + 4*9 = 64; channel 1: 1 + 3 + 7 + 9 = 20
    torch.testing.assert_close(out, torch.tensor([[[[64.0, 20.0]]]]))
