"""Property-based robustness: mutated, truncated and bit-flipped real checkpoints.

Every mutated file must either read (raw mutations: to exactly the original
values, since CRCs guard everything that matters) or raise ``CheckpointError``
naming the file -- no other exception, no hang, no allocation out of proportion
to the input. Structural mutations re-seal block CRCs (or rebuild the table) so
the fuzz reaches the entry and protobuf decoders, not just the checksums.
About 11,000 examples in all, split across the tests below.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from torchslim.checkpoint import CheckpointError, load
from torchslim.checkpoint.table import build_table, read_table

from ._builders import block_handles, fix_block_crc

SMALL_V2 = ["layers/fully_connected", "layers/batch_norm_eval", "layers/separable_conv2d"]
V1_FIXTURE = "resnet_v2_small_v1format"
DATA = "model.ckpt.data-00000-of-00001"


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

POS = st.integers(0, 1 << 20)
OPS = st.lists(st.one_of(
    st.tuples(st.just("flip"), POS, st.integers(0, 7)),
    st.tuples(st.just("set"), POS, st.integers(0, 255)),
    st.tuples(st.just("truncate"), POS),
    st.tuples(st.just("insert"), POS, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), POS, st.integers(1, 16)),
), min_size=1, max_size=4)
IN_PLACE_OPS = st.lists(st.one_of(
    st.tuples(st.just("flip"), POS, st.integers(0, 7)),
    st.tuples(st.just("set"), POS, st.integers(0, 255)),
), min_size=1, max_size=3)


def mutate(data: bytes, ops, lo: int = 0, hi: int | None = None) -> bytes:
    """Apply mutation ops; positions fall in ``[lo, hi)`` of the (current) data."""
    out = bytearray(data)
    for op in ops:
        span = (len(out) if hi is None else hi) - lo
        pos = lo + op[1] % max(span, 1)
        if op[0] == "flip" and pos < len(out):
            out[pos] ^= 1 << op[2]
        elif op[0] == "set" and pos < len(out):
            out[pos] = op[2]
        elif op[0] == "truncate":
            del out[pos:]
        elif op[0] == "insert":
            out[pos:pos] = op[2]
        elif op[0] == "delete":
            del out[pos:pos + op[2]]
    return bytes(out)


@contextlib.contextmanager
def time_limit(seconds: float):
    def fail(*_):
        raise TimeoutError(f"reader hung for more than {seconds} s")
    old = signal.signal(signal.SIGALRM, fail)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def check_read(path: Path, files: list[Path], original: dict, exact: bool, measure: bool = False) -> None:
    """Read ``path``: either the right values or a CheckpointError naming one of ``files``."""
    budget = 4 * sum(f.stat().st_size for f in files if f.exists()) + (1 << 20)
    if measure:
        tracemalloc.start()
    try:
        with time_limit(10):
            values = load(path)
    except CheckpointError as exc:
        # V2 errors may name a shard the mutated header asks for: all share the prefix.
        assert str(path) in str(exc), f"error does not name the file: {exc}"
        assert len(str(exc)) > len(str(files[0])) + 10, f"error does not say what is wrong: {exc}"
        return
    finally:
        if measure:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            assert peak <= budget, f"reader allocated {peak} bytes for {budget // 4} bytes of input"
    if exact:
        assert list(values) == list(original)
        for name, value in values.items():
            assert value.dtype == original[name].dtype and value.shape == original[name].shape
            np.testing.assert_array_equal(value, original[name])
    else:
        for value in values.values():
            assert isinstance(value, np.ndarray)


@pytest.fixture(scope="module")
def work(fixtures_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    cases = []
    for rel in SMALL_V2:
        src = fixtures_dir / rel
        cases.append({"index": (src / "model.ckpt.index").read_bytes(), "data": (src / DATA).read_bytes(),
                      "original": load(src / "model.ckpt")})
    v1 = fixtures_dir / V1_FIXTURE / "model.ckpt"
    return _Work(root=root, v2=cases, v1=v1.read_bytes(), v1_original=load(v1))


class _Work(dict):
    """Fuzz inputs; a short repr keeps Hypothesis reports readable."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return "<fuzz inputs>"


def _write_v2(root: Path, index: bytes, data: bytes) -> tuple[Path, list[Path]]:
    prefix = root / "model.ckpt"
    (root / "model.ckpt.index").write_bytes(index)
    (root / DATA).write_bytes(data)
    return prefix, [root / "model.ckpt.index", root / DATA]


@fuzz(2500)
@given(case=st.integers(0, len(SMALL_V2) - 1), target=st.sampled_from(["index", "data", "both"]),
       ops=OPS, ops2=OPS)
def test_raw_mutations_of_v2_files(work, case, target, ops, ops2):
    c = work["v2"][case]
    index = mutate(c["index"], ops) if target in ("index", "both") else c["index"]
    data = mutate(c["data"], ops2 if target == "both" else ops) if target in ("data", "both") else c["data"]
    prefix, files = _write_v2(work["root"], index, data)
    check_read(prefix, files, c["original"], exact=True)


@fuzz(2500)
@given(case=st.integers(0, len(SMALL_V2) - 1), block=st.integers(0, 10), ops=IN_PLACE_OPS)
def test_crc_resealed_block_mutations_of_v2_index(work, case, block, ops):
    c = work["v2"][case]
    handles = block_handles(c["index"])
    offset, size = handles[block % len(handles)]
    index = bytearray(mutate(c["index"], ops, offset, offset + size))
    fix_block_crc(index, (offset, size))
    prefix, files = _write_v2(work["root"], bytes(index), c["data"])
    check_read(prefix, files, c["original"], exact=False, measure=True)


@fuzz(3000)
@given(case=st.integers(0, len(SMALL_V2) - 1), entry=st.integers(0, 10), ops=OPS)
def test_mutated_entries_in_a_valid_v2_table(work, case, entry, ops):
    c = work["v2"][case]
    entries = [(k, bytes(v)) for k, v in read_table(c["index"])]
    key, value = entries[entry % len(entries)]
    entries[entry % len(entries)] = (key, mutate(value, ops))
    prefix, files = _write_v2(work["root"], build_table(entries), c["data"])
    check_read(prefix, files, c["original"], exact=False, measure=True)


@fuzz(1000)
@given(ops=OPS)
def test_raw_mutations_of_a_v1_file(work, ops):
    path = work["root"] / "v1.ckpt"
    path.write_bytes(mutate(work["v1"], ops))
    check_read(path, [path], work["v1_original"], exact=True)


@fuzz(2000)
@given(entry=st.integers(0, 500), head=st.booleans(), ops=OPS)
def test_mutated_entries_in_a_valid_v1_table(work, entry, head, ops):
    entries = [(k, bytes(v)) for k, v in read_table(work["v1"])]
    key, value = entries[entry % len(entries)]
    hi = min(len(value), 48) if head else len(value)          # framing bytes or anywhere
    entries[entry % len(entries)] = (key, mutate(value, ops, 0, max(hi, 1)))
    path = work["root"] / "v1.ckpt"
    path.write_bytes(build_table(entries))
    check_read(path, [path], work["v1_original"], exact=False, measure=True)
