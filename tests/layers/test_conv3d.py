"""conv3d (slim ``convolution3d``): TF's SAME split in 3-D, rates, the ``[d, h, w, in, out]`` weights,
biases, normalizer and activation, NDHWC and NCDHW, all against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim


def run(fn, *inputs):
    model = slim.Model(fn)
    with torch.no_grad():
        return model, model(*inputs)


def shapes(model):
    return {name: list(v.tf_shape) for name, v in model.tf_variables().items()}


ONES = slim.initializers.ones_initializer()


def test_same_stride_2_puts_the_extra_padding_at_the_end():
    # in 3, kernel 2, stride 2 per dimension: out 2, padding 0 before and 1 after, so window i
    # covers cells 2i and 2i + 1 (< 3): counts 2 or 1 per dimension.
    model, out = run(lambda x: slim.conv3d(x, 1, 2, stride=2, weights_initializer=ONES, activation_fn=None),
                     torch.ones(1, 3, 3, 3, 1))
    assert shapes(model) == {"Conv/weights": [2, 2, 2, 1, 1], "Conv/biases": [1]}
    out = out[0, ..., 0]
    assert out.shape == (2, 2, 2)
    assert out[0, 0, 0] == 8 and out[1, 0, 0] == 4 and out[1, 1, 0] == 2 and out[1, 1, 1] == 1


def test_valid_shape_and_rate():
    _, out = run(lambda x: slim.conv3d(x, 4, [3, 2, 1], padding="VALID"), torch.rand(2, 5, 4, 3, 2))
    assert out.shape == (2, 3, 3, 3, 4)
    # kernel 2 at rate 2 along D, SAME: effective 3, one cell each side: out[d] = x[d-1] + x[d+1].
    x = torch.arange(5.0).reshape(1, 5, 1, 1, 1)
    _, out = run(lambda t: slim.conv3d(t, 1, [2, 1, 1], rate=[2, 1, 1], weights_initializer=ONES,
                                       activation_fn=None), x)
    assert out.flatten().tolist() == [1.0, 2.0, 4.0, 6.0, 3.0]
    with pytest.raises(ValueError, match=r"Conv: stride must be 1 when rate > 1"):
        run(lambda t: slim.conv3d(t, 1, 2, stride=2, rate=2), x)


def test_weights_layout_is_d_h_w_in_out():
    kernel = np.random.default_rng(0).normal(size=(2, 3, 1, 2, 3)).astype(np.float32)
    x = torch.from_numpy(np.random.default_rng(1).normal(size=(1, 3, 4, 2, 2)).astype(np.float32))
    init = slim.initializers.constant_initializer(kernel)
    _, out = run(lambda t: slim.conv3d(t, 3, [2, 3, 1], padding="VALID", weights_initializer=init,
                                       biases_initializer=slim.initializers.constant_initializer(0.5),
                                       activation_fn=None), x)
    xn = x.numpy()[0]
    want = np.zeros((2, 2, 2, 3), np.float32)
    for d in range(2):
        for h in range(2):
            for w in range(2):
                want[d, h, w] = np.einsum("dhwi,dhwio->o", xn[d:d + 2, h:h + 3, w:w + 1], kernel) + 0.5
    np.testing.assert_allclose(out[0].numpy(), want, rtol=1e-5, atol=1e-5)


def test_ncdhw_matches_ndhwc():
    x = torch.rand(2, 4, 5, 6, 3)
    fn = lambda fmt: lambda t: slim.conv3d(t, 4, [3, 3, 3], stride=[1, 2, 2], data_format=fmt, scope="c")  # noqa: E731
    model, want = run(fn("NDHWC"), x)
    other = slim.Model(fn("NCDHW"))
    other.build(x.permute(0, 4, 1, 2, 3))
    other.load_state_dict(model.state_dict())
    with torch.no_grad():
        got = other(x.permute(0, 4, 1, 2, 3))
    assert got.shape == (2, 4, 4, 3, 3)
    torch.testing.assert_close(got, want.permute(0, 4, 1, 2, 3))


def test_normalizer_replaces_biases_and_activation_follows():
    model, out = run(lambda t: slim.conv3d(t, 2, 1, weights_initializer=ONES, normalizer_fn=slim.batch_norm,
                                           normalizer_params={"is_training": False, "scale": True}),
                     -torch.ones(1, 2, 2, 2, 3))
    assert shapes(model)["Conv/weights"] == [1, 1, 1, 3, 2]
    assert "Conv/biases" not in shapes(model) and shapes(model)["Conv/BatchNorm/beta"] == [2]
    assert (out == 0).all()  # -3 / sqrt(1 + eps), then ReLU


def test_rank_errors_name_the_scope():
    with pytest.raises(ValueError, match=r"v3: Convolution expects input with rank 5, got 4"):
        run(lambda t: slim.conv3d(t, 1, 1, scope="v3"), torch.ones(1, 2, 2, 1))
