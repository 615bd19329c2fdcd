"""conv2d_transpose against the real TF-Slim in every padding case (``tests/fixtures/conv2d_transpose.npz``).

Made by ``tools/make_conv2d_transpose_fixtures.py``: input sizes 4x5 and 5x4, kernels 1-5, strides 1-3,
SAME and VALID (kernel smaller than, equal to and larger than the stride), NHWC; NCHW is checked
against the same values transposed (TF's CPU kernel has no NCHW).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import torchslim as slim
from conftest import REPO_ROOT

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "conv2d_transpose.npz"
with np.load(FIXTURE) as _data:
    GOLDEN = {key: _data[key] for key in _data.files}
CASES = sorted({key.rsplit("/", 1)[0] for key in GOLDEN})


def _run(case: str, data_format: str) -> np.ndarray:
    x, w, b = (torch.from_numpy(GOLDEN[f"{case}/{key}"]) for key in ("inputs", "weights", "biases"))
    _, kernel, stride, padding = case.split("_")
    if data_format == "NCHW":
        x = x.permute(0, 3, 1, 2).contiguous()
    model = slim.Model(lambda images: slim.conv2d_transpose(
        images, 3, int(kernel[1:]), stride=int(stride[1:]), padding=padding, activation_fn=None,
        data_format=data_format, weights_initializer=lambda shape, dtype=None, partition_info=None: w.clone(),
        biases_initializer=lambda shape, dtype=None, partition_info=None: b.clone()))
    with torch.no_grad():
        y = model(x)
    return (y.permute(0, 2, 3, 1) if data_format == "NCHW" else y).numpy()


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW"])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_transpose_matches_tf_slim(case, data_format):
    want = GOLDEN[f"{case}/output"]
    got = _run(case, data_format)
    assert got.shape == want.shape, f"{case}: shape {got.shape}, TF-Slim {want.shape}"
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=case)


def test_the_fixture_covers_the_padding_cases():
    assert len(CASES) == 60
    assert {"4x5_k1_s3_VALID", "5x4_k5_s2_SAME", "5x4_k2_s2_VALID"} <= set(CASES)
