"""Training tests run single-threaded: tiny ops with several OpenMP threads on a busy machine spend
most of their time spin-waiting (hundreds of ms per op), which says nothing about the code."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
