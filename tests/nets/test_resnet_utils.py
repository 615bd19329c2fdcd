"""resnet_utils: TF-Slim's ResnetUtilsTest (subsample, conv2d_same) plus stack_blocks_dense and the arg scope."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.nets import resnet_utils, resnet_v1

from ._resnet import create_test_input, in_arg_scope


def _run(fn, *inputs, **kwargs):
    return slim.Model(fn, **kwargs)(*inputs)


# --------------------------------------------------------------------------------------------------
# subsample


def test_subsample_three_by_three():
    x = torch.arange(9, dtype=torch.float32).reshape(1, 3, 3, 1)
    y = resnet_utils.subsample(x, 2)
    np.testing.assert_array_equal(y.numpy(), np.array([0, 2, 6, 8], np.float32).reshape(1, 2, 2, 1))


def test_subsample_four_by_four():
    x = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4, 1)
    y = resnet_utils.subsample(x, 2)
    np.testing.assert_array_equal(y.numpy(), np.array([0, 2, 8, 10], np.float32).reshape(1, 2, 2, 1))


def test_subsample_factor_one_is_identity():
    x = torch.rand(2, 5, 5, 3)
    assert resnet_utils.subsample(x, 1) is x


@pytest.mark.parametrize("size", [1, 4, 5, 7, 8, 9])
@pytest.mark.parametrize("factor", [2, 3, 4])
def test_subsample_equals_one_by_one_max_pool_same(size, factor):
    """TF computes subsample as a 1x1 max pool (SAME in the ResNet arg scope): same values, same shape."""
    x = torch.rand(2, size, size + 1, 3)

    def fn(inputs):
        return slim.max_pool2d(inputs, [1, 1], stride=factor, padding="SAME"), resnet_utils.subsample(inputs, factor)

    pooled, sub = _run(fn, x)
    assert sub.shape == pooled.shape
    torch.testing.assert_close(sub, pooled, rtol=0, atol=0)


# --------------------------------------------------------------------------------------------------
# conv2d_same (ResnetUtilsTest.testConv2DSameEven / Odd)


def _conv2d_same_model(n: int):
    """conv2d stride 1, subsample, conv2d_same stride 2, conv2d stride 2, all on one ``Conv`` kernel."""

    def fn(x):
        y1 = slim.conv2d(x, 1, [3, 3], stride=1, scope="Conv")
        with slim.arg_scope([slim.conv2d], reuse=True):
            y2 = resnet_utils.subsample(y1, 2)
            y3 = resnet_utils.conv2d_same(x, 1, 3, stride=2, scope="Conv")
            y4 = slim.conv2d(x, 1, [3, 3], stride=2, scope="Conv")
        return y1, y2, y3, y4

    x = create_test_input(1, n, n, 1)
    model = slim.Model(fn).build(x)
    assert list(model.tf_variables()) == ["Conv/weights", "Conv/biases"]
    model.variable("Conv/weights").assign_tf(create_test_input(1, 3, 3, 1).reshape(3, 3, 1, 1))
    model.variable("Conv/biases").assign_tf(np.zeros([1], np.float32))
    return model(x)


def _grid(values):
    values = np.asarray(values, np.float32)
    return values.reshape(1, values.shape[0], values.shape[1], 1)


def test_conv2d_same_even():
    y1, y2, y3, y4 = _conv2d_same_model(4)
    np.testing.assert_allclose(y1.detach().numpy(),
                               _grid([[14, 28, 43, 26], [28, 48, 66, 37], [43, 66, 84, 46], [26, 37, 46, 22]]))
    np.testing.assert_allclose(y2.detach().numpy(), _grid([[14, 43], [43, 84]]))
    np.testing.assert_allclose(y3.detach().numpy(), _grid([[14, 43], [43, 84]]))
    np.testing.assert_allclose(y4.detach().numpy(), _grid([[48, 37], [37, 22]]))


@pytest.mark.parametrize("size, kernel, rate", [(6, 3, 1), (7, 3, 1), (9, 7, 1), (8, 3, 2), (8, 4, 1)])
def test_conv2d_same_equals_tf_pad_then_valid(size, kernel, rate):
    """TF-Slim's own recipe (zero pad by k_eff - 1, then VALID) on the same kernel, NHWC and NCHW."""
    x = torch.rand(2, size, size, 3)
    effective = kernel + (kernel - 1) * (rate - 1)
    beg, end = (effective - 1) // 2, effective - 1 - (effective - 1) // 2

    def fn(x):
        y = resnet_utils.conv2d_same(x, 4, kernel, stride=2, rate=rate, scope="c")
        reference = slim.conv2d(torch.nn.functional.pad(x, (0, 0, beg, end, beg, end)), 4, kernel, stride=2,
                                rate=rate, padding="VALID", scope="c", reuse=True)
        with slim.arg_scope([slim.conv2d], data_format="NCHW", reuse=True):
            y_nchw = resnet_utils.conv2d_same(x.permute(0, 3, 1, 2), 4, kernel, stride=2, rate=rate, scope="c")
        return y, reference, y_nchw

    if rate > 1:  # TF-Slim's conv2d rejects stride > 1 with rate > 1: so does conv2d_same
        with pytest.raises(ValueError, match="stride must be 1 when rate > 1"):
            slim.Model(fn)(x)
        return
    y, reference, y_nchw = slim.Model(fn)(x)
    torch.testing.assert_close(y, reference)
    torch.testing.assert_close(y_nchw.permute(0, 2, 3, 1), reference)


def test_conv2d_same_odd():
    y1, y2, y3, y4 = _conv2d_same_model(5)
    np.testing.assert_allclose(
        y1.detach().numpy(),
        _grid([[14, 28, 43, 58, 34], [28, 48, 66, 84, 46], [43, 66, 84, 102, 55], [58, 84, 102, 120, 64],
               [34, 46, 55, 64, 30]]))
    expected = _grid([[14, 43, 34], [43, 84, 55], [34, 55, 30]])
    for y in (y2, y3, y4):
        np.testing.assert_allclose(y.detach().numpy(), expected)


@pytest.mark.parametrize("size", [6, 7, 10, 11])
@pytest.mark.parametrize("kernel,stride,rate", [(3, 2, 1), (7, 2, 1), (3, 3, 1), (3, 2, 2), (5, 4, 3), (3, 1, 2)])
def test_conv2d_same_equals_dense_conv_subsampled(size, kernel, stride, rate):
    """The documented equivalence: conv2d_same(stride s) == subsample(conv2d SAME stride 1, s)."""

    def fn(x):
        with slim.arg_scope([slim.conv2d], activation_fn=None):
            dense = slim.conv2d(x, 4, kernel, stride=1, rate=rate, scope="Conv")
            with slim.arg_scope([slim.conv2d], reuse=True):
                strided = resnet_utils.conv2d_same(x, 4, kernel, stride=stride, rate=rate, scope="Conv")
        return resnet_utils.subsample(dense, stride), strided

    if stride > 1 and rate > 1:
        # TF-Slim's conv2d_same pads for the dilated kernel and then asks conv2d for stride and
        # rate together, which TF (and torchslim) rejects.
        with pytest.raises(ValueError, match="rate"):
            _run(fn, torch.rand(2, size, size + 1, 3))
        return
    expected, got = _run(fn, torch.rand(2, size, size + 1, 3))
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------------------------------
# stack_blocks_dense


def _blocks():
    block = resnet_v1.resnet_v1_block
    return [block("block1", base_depth=1, num_units=2, stride=2), block("block2", base_depth=2, num_units=2, stride=2),
            block("block3", base_depth=4, num_units=2, stride=2), block("block4", base_depth=8, num_units=2, stride=1)]


@pytest.mark.parametrize("output_stride", [3, 16, 6])
def test_stack_blocks_dense_unreachable_output_stride(output_stride):
    fn = in_arg_scope(lambda x: resnet_utils.stack_blocks_dense(x, _blocks(), output_stride))
    with pytest.raises(ValueError, match="The target output_stride cannot be reached."):
        _run(fn, torch.rand(1, 16, 16, 3))


@pytest.mark.parametrize("store", [False, True])
@pytest.mark.parametrize("output_stride,size", [(None, 2), (1, 16), (2, 8), (4, 4), (8, 2)])
def test_stack_blocks_dense_output_size(output_stride, size, store):
    fn = in_arg_scope(lambda x: resnet_utils.stack_blocks_dense(x, _blocks(), output_stride, store))
    assert _run(fn, torch.rand(1, 16, 16, 3)).shape == (1, size, size, 32)


def test_stack_blocks_dense_is_arg_scoped_and_collects_blocks():
    def fn(x):
        with slim.arg_scope([resnet_utils.stack_blocks_dense], outputs_collections="blocks"):
            net = resnet_utils.stack_blocks_dense(x, _blocks())
        return net, slim.utils.convert_collection_to_dict("blocks")

    fn = in_arg_scope(fn)
    net, blocks = _run(fn, torch.rand(1, 16, 16, 3))
    assert list(blocks) == ["block1", "block2", "block3", "block4"]
    assert blocks["block4"] is net


def test_rate_grows_with_skipped_strides():
    """With output_stride 2, block1 strides; block2's stride is skipped and dilates block3 (rate 2)."""
    rates = []

    def unit(inputs, rate=1, stride=1, depth=1):
        rates.append((stride, rate))
        return resnet_utils.subsample(inputs, stride)

    blocks = [resnet_utils.Block("b%d" % i, unit, [{"stride": 1}, {"stride": 2}]) for i in range(1, 4)]
    out = _run(lambda x: resnet_utils.stack_blocks_dense(x, blocks, output_stride=2), torch.rand(1, 8, 8, 1))
    assert out.shape == (1, 4, 4, 1)
    assert rates == [(1, 1), (2, 1), (1, 1), (1, 1), (1, 2), (1, 2)]


# --------------------------------------------------------------------------------------------------
# resnet_arg_scope


def test_resnet_arg_scope_contents():
    sc = resnet_utils.resnet_arg_scope(weight_decay=0.5, batch_norm_decay=0.9, batch_norm_epsilon=1e-3,
                                       batch_norm_scale=False)
    conv = sc[slim.arg_scope_func_key(slim.conv2d)]
    bn = sc[slim.arg_scope_func_key(slim.batch_norm)]
    pool = sc[slim.arg_scope_func_key(slim.max_pool2d)]
    params = {"decay": 0.9, "epsilon": 1e-3, "scale": False, "updates_collections": slim.GraphKeys.UPDATE_OPS,
              "fused": None}
    assert conv["normalizer_fn"] is slim.batch_norm
    assert conv["normalizer_params"] == params
    assert conv["activation_fn"] is slim.nn.relu
    assert bn == params
    assert pool == {"padding": "SAME"}
    w = torch.ones(2, 2)
    assert float(conv["weights_regularizer"](w)) == pytest.approx(0.5 * 4 / 2)


def test_resnet_arg_scope_without_batch_norm_gives_biases():
    def fn(x):
        with slim.arg_scope(resnet_utils.resnet_arg_scope(use_batch_norm=False, activation_fn=slim.nn.relu6)):
            return slim.conv2d(x, 2, [1, 1], scope="c")

    model = slim.Model(fn)
    y = model(torch.full((1, 2, 2, 3), 100.0))
    assert list(model.tf_variables()) == ["c/weights", "c/biases"]
    assert float(y.detach().max()) <= 6.0


def test_resnet_arg_scope_he_initializer_and_l2():
    def fn(x):
        with slim.arg_scope(resnet_utils.resnet_arg_scope(weight_decay=1e-3)):
            return slim.conv2d(x, 256, [3, 3], scope="c")

    model = slim.Model(fn)
    model(torch.rand(1, 4, 4, 64))
    w = model.variable("c/weights").to_tf()
    fan_in = 3 * 3 * 64
    std = (1.3 * 2.0 / fan_in) ** 0.5
    assert float(w.abs().max()) <= 2 * std + 1e-6
    assert float(w.std()) == pytest.approx((2.0 / fan_in) ** 0.5, rel=0.05)
    (loss,) = model.regularization_losses()
    torch.testing.assert_close(loss, 1e-3 * w.square().sum() / 2)
