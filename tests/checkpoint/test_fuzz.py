"""Property-based robustness: mutated, truncated and bit-flipped real checkpoints.

Every mutated file must either read (raw mutations: to exactly the original
values, since CRCs guard everything that matters) or raise ``CheckpointError``
naming the file -- no other exception, no hang, no allocation out of proportion
to the input. Structural mutations re-seal block CRCs (or rebuild the table) so
the fuzz reaches the entry and protobuf decoders, not just the checksums.
About 11,000 examples in all, split across the tests below.

Speed: the memory check (tracemalloc) costs a couple of microseconds per Python allocation, so
the V1 table-entry test fuzzes a V1 table made of a dozen of the real file's entries (TF's own
bytes, re-framed) rather than all 192 tensors, which took ~50 ms per example to decode under
tracemalloc; the raw-mutation test still fuzzes the whole file. Files are written only when
their bytes change, into fresh inodes (rewriting a file in place costs ~5 ms here, as ext4
flushes a truncated file when it is closed).
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from fuzz_scratch import scratch_folder
from time_limits import time_limit

from torchslim.checkpoint import CheckpointError, load
from torchslim.checkpoint.messages import decode_saved_tensor_slices
from torchslim.io.protowire import LENGTH, field_bytes, iter_fields
from torchslim.checkpoint.table import build_table, read_table

from ._builders import block_handles, fix_block_crc

SMALL_V2 = ["layers/fully_connected", "layers/batch_norm_eval", "layers/separable_conv2d"]
V1_FIXTURE = "resnet_v2_small_v1format"
#: The tensors of the V1 table-entry fuzz: 4-D kernels of several shapes, biases, BatchNorm statistics.
V1_SUBSET = ("resnet_v2_small/conv1/", "resnet_v2_small/block1/unit_1/bottleneck_v2/conv1/",
             "resnet_v2_small/block1/unit_1/bottleneck_v2/shortcut/", "resnet_v2_small/logits/")
DATA = "model.ckpt.data-00000-of-00001"


def fuzz(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)

KINDS = ("flip", "set", "truncate", "insert", "delete")
OP_SIZE = 5


def decode_ops(blob: bytes, kinds=KINDS, limit: int = 4) -> list[tuple]:
    """Mutation ops from bytes: per op, a kind byte, a 20-bit position (3 bytes) and an argument byte.

    ``("flip", pos, bit)``, ``("set", pos, byte)``, ``("truncate", pos)``, ``("insert", pos, 1-8 bytes
    taken from the blob)``, ``("delete", pos, 1-16)``. Drawing one byte string per op list, rather
    than a list of tuples, costs Hypothesis a few choices per example instead of dozens.
    """
    ops, i = [], 0
    while i + OP_SIZE <= len(blob) and len(ops) < limit:
        kind = kinds[blob[i] % len(kinds)]
        pos = int.from_bytes(blob[i + 1:i + 4], "little") & 0xFFFFF
        arg = blob[i + 4]
        i += OP_SIZE
        if kind == "flip":
            ops.append((kind, pos, arg % 8))
        elif kind == "set":
            ops.append((kind, pos, arg))
        elif kind == "truncate":
            ops.append((kind, pos))
        elif kind == "insert":
            payload = blob[i:i + arg % 8 + 1] or bytes([arg])
            i += len(payload)
            ops.append((kind, pos, payload))
        else:
            ops.append((kind, pos, arg % 16 + 1))
    return ops


OPS = st.binary(min_size=OP_SIZE, max_size=4 * (OP_SIZE + 8)).map(decode_ops)
IN_PLACE_OPS = st.binary(min_size=OP_SIZE, max_size=3 * OP_SIZE).map(lambda blob: decode_ops(blob, KINDS[:2], 3))


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


def v1_subset(table: bytes, prefixes) -> bytes:
    """A V1 table holding only the tensors under ``prefixes``: TF's entry bytes, the metadata re-framed."""
    entries = read_table(table)
    meta = entries[0][1]
    (_, _, outer), = [f for f in iter_fields(meta, 0, len(meta)) if f[0] == 1]
    kept = bytearray()
    for number, wire, span in iter_fields(meta, outer[0], outer[1]):
        if wire != LENGTH:
            continue
        body = bytes(meta[span[0]:span[1]])
        if number == 2 or (number == 1 and _slice_meta_name(body).startswith(prefixes)):
            kept += field_bytes(number, body)
    data = [(k, bytes(v)) for k, v in entries[1:]
            if decode_saved_tensor_slices(v, 0, len(v)).data.name.startswith(prefixes)]
    return build_table([(b"", field_bytes(1, bytes(kept)))] + data)


def _slice_meta_name(body: bytes) -> str:
    return next(bytes(body[v[0]:v[1]]).decode() for n, _, v in iter_fields(body, 0, len(body)) if n == 1)


class _Files:
    """Writes the fuzz inputs, skipping files whose bytes did not change; new files are fresh inodes."""

    def __init__(self) -> None:
        self.last: dict = {}

    def put(self, path: Path, data: bytes) -> None:
        if self.last.get(path) == data:
            return
        path.unlink(missing_ok=True)
        path.write_bytes(data)
        self.last[path] = data


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """Where the mutated files go: memory-backed /dev/shm where there is one (thousands of writes)."""
    yield from scratch_folder(tmp_path_factory, "torchslim_fuzz_")


@pytest.fixture(scope="module")
def work(fixtures_dir, scratch):
    root = scratch
    cases = []
    for rel in SMALL_V2:
        src = fixtures_dir / rel
        index = (src / "model.ckpt.index").read_bytes()
        cases.append({"index": index, "data": (src / DATA).read_bytes(), "original": load(src / "model.ckpt"),
                      "entries": [(k, bytes(v)) for k, v in read_table(index)], "handles": block_handles(index)})
    v1_path = fixtures_dir / V1_FIXTURE / "model.ckpt"
    v1 = v1_path.read_bytes()
    subset = v1_subset(v1, V1_SUBSET)
    (root / "subset.ckpt").write_bytes(subset)
    subset_original = load(root / "subset.ckpt")
    full = load(v1_path)
    assert 10 <= len(subset_original) < len(full)
    assert all(np.array_equal(value, full[name]) for name, value in subset_original.items())
    return _Work(root=root, v2=cases, v1=v1, v1_original=full, files=_Files(),
                 v1_entries=[(k, bytes(v)) for k, v in read_table(subset)], v1_subset_original=subset_original)


class _Work(dict):
    """Fuzz inputs; a short repr keeps Hypothesis reports readable."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return "<fuzz inputs>"


def _write_v2(work, index: bytes, data: bytes) -> tuple[Path, list[Path]]:
    root = work["root"]
    work["files"].put(root / "model.ckpt.index", index)
    work["files"].put(root / DATA, data)
    return root / "model.ckpt", [root / "model.ckpt.index", root / DATA]


@fuzz(2500)
@given(case=st.integers(0, len(SMALL_V2) - 1), target=st.sampled_from(["index", "data", "both"]),
       ops=OPS, ops2=OPS)
def test_raw_mutations_of_v2_files(work, case, target, ops, ops2):
    c = work["v2"][case]
    index = mutate(c["index"], ops) if target in ("index", "both") else c["index"]
    data = mutate(c["data"], ops2 if target == "both" else ops) if target in ("data", "both") else c["data"]
    prefix, files = _write_v2(work, index, data)
    check_read(prefix, files, c["original"], exact=True)


@fuzz(2500)
@given(case=st.integers(0, len(SMALL_V2) - 1), block=st.integers(0, 10), ops=IN_PLACE_OPS)
def test_crc_resealed_block_mutations_of_v2_index(work, case, block, ops):
    c = work["v2"][case]
    handles = c["handles"]
    offset, size = handles[block % len(handles)]
    index = bytearray(mutate(c["index"], ops, offset, offset + size))
    fix_block_crc(index, (offset, size))
    prefix, files = _write_v2(work, bytes(index), c["data"])
    check_read(prefix, files, c["original"], exact=False, measure=True)


@fuzz(3000)
@given(case=st.integers(0, len(SMALL_V2) - 1), entry=st.integers(0, 10), ops=OPS)
def test_mutated_entries_in_a_valid_v2_table(work, case, entry, ops):
    c = work["v2"][case]
    entries = list(c["entries"])
    key, value = entries[entry % len(entries)]
    entries[entry % len(entries)] = (key, mutate(value, ops))
    prefix, files = _write_v2(work, build_table(entries), c["data"])
    check_read(prefix, files, c["original"], exact=False, measure=True)


@fuzz(1000)
@given(ops=OPS)
def test_raw_mutations_of_a_v1_file(work, ops):
    path = work["root"] / "v1.ckpt"
    work["files"].put(path, mutate(work["v1"], ops))
    check_read(path, [path], work["v1_original"], exact=True)


@fuzz(2000)
@given(entry=st.integers(0, 500), head=st.booleans(), ops=OPS)
def test_mutated_entries_in_a_valid_v1_table(work, entry, head, ops):
    entries = list(work["v1_entries"])
    key, value = entries[entry % len(entries)]
    hi = min(len(value), 48) if head else len(value)          # framing bytes or anywhere
    entries[entry % len(entries)] = (key, mutate(value, ops, 0, max(hi, 1)))
    path = work["root"] / "v1.ckpt"
    work["files"].put(path, build_table(entries))
    check_read(path, [path], work["v1_subset_original"], exact=False, measure=True)
