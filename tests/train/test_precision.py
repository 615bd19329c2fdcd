"""precision: the one autocast of the training job, evaluation and the benchmark."""

from __future__ import annotations

import pytest
import torch

from torchslim.train.precision import PRECISIONS, autocast


def test_unknown_precision_is_rejected():
    with pytest.raises(ValueError, match="--precision: unknown precision 'fp8'; choose from fp32, bf16, fp16"):
        autocast(torch.device("cpu"), "fp8")


def test_fp32_is_no_autocast_and_bf16_computes_in_bfloat16():
    a, b = torch.rand(4, 4), torch.rand(4, 4)
    with autocast("cpu", "fp32"):
        assert (a @ b).dtype == torch.float32
    with autocast(torch.device("cpu"), "bf16"):
        assert (a @ b).dtype == torch.bfloat16
    assert PRECISIONS["fp16"] is torch.float16
