import struct

import pytest

from torchslim.checkpoint.errors import CheckpointError
from torchslim.checkpoint.table import (MAGIC, TableWriter, _BlockBuilder, build_table, read_table,
                                        short_successor, shortest_separator)

from ._builders import block_handles, compress_table_blocks, fix_block_crc

# The annotated example of TF_CHECKPOINT_FORMAT.md section 7 (SaveV2 of w=[1., 2.], s=["ab", "c"]).
SPEC_INDEX = bytes.fromhex(
    "000006" "08011a020801"
    "000111" "73" "0807120412020802200828093 5d530d85f".replace(" ", "")
    + "00010f" "77" "080112041202080228083559 3ce535".replace(" ", "")
    + "0000000001000000" "0051310bda"
    "0000000001000000" "00c0f2a1b0"
    "000102" "78" "0039" "0000000001000000" "0053ee0f5d"
    "3e084b0e" + "00" * 36 + "57fb808b247547db")
SPEC_ENTRIES = [
    (b"", bytes.fromhex("08011a020801")),
    (b"s", bytes.fromhex("08071204120208022008280935d530d85f")),
    (b"w", bytes.fromhex("080112041202080228083559 3ce535".replace(" ", ""))),
]


def test_writer_reproduces_the_spec_example_byte_for_byte():
    assert len(SPEC_INDEX) == 142
    assert build_table(SPEC_ENTRIES) == SPEC_INDEX


def test_reader_parses_the_spec_example():
    assert [(k, bytes(v)) for k, v in read_table(SPEC_INDEX)] == SPEC_ENTRIES


def test_separators_follow_leveldb():
    assert short_successor(b"scalar") == b"t"
    assert short_successor(b"w") == b"x"
    assert short_successor(b"\xff\xff") == b"\xff\xff"
    assert shortest_separator(b"abcdef", b"abzzz") == b"abd"
    assert shortest_separator(b"abc", b"abd") == b"abc"          # next byte is only +1
    assert shortest_separator(b"ab", b"abc") == b"ab"            # prefix: unchanged


def test_many_keys_span_several_blocks_and_read_back_in_order():
    entries = [(f"scope/block{i:05d}/weights".encode(), bytes([i % 251]) * 50) for i in range(6000)]
    table = build_table(entries)
    assert len(block_handles(table)) >= 3                          # >= 2 data blocks + index block
    assert [(k, bytes(v)) for k, v in read_table(table)] == entries


def test_a_huge_value_gets_its_own_block():
    writer = TableWriter(block_size=64)
    writer.add(b"a", b"x")
    writer.add(b"b", b"y" * 200)
    writer.add(b"c", b"z")
    table = writer.finish()
    assert len(block_handles(table)) == 4
    assert [bytes(v) for _, v in read_table(table)] == [b"x", b"y" * 200, b"z"]


def test_writer_rejects_unsorted_keys():
    writer = TableWriter()
    writer.add(b"b", b"")
    with pytest.raises(ValueError, match="strictly increasing"):
        writer.add(b"a", b"")


@pytest.mark.parametrize("literal_only", [True, False])
def test_snappy_compressed_blocks_are_read(literal_only):
    entries = [(f"net/layer{i:03d}/weights".encode(), b"abcabcabc" * (i % 7)) for i in range(300)]
    compressed = compress_table_blocks(build_table(entries), literal_only=literal_only)
    assert compressed.count(b"\x01") > 0
    assert [(k, bytes(v)) for k, v in read_table(compressed)] == entries


def _corrupt(fault):
    table = bytearray(SPEC_INDEX)
    if fault == "short":
        return bytes(table[:47])
    if fault == "magic":
        table[-1] ^= 1
    elif fault == "crc":
        table[10] ^= 1
    elif fault == "type":
        table[57] = 7
        fix_block_crc(table, (0, 57))
    elif fault == "handle":
        table[-48 + 2] = 0x7F                           # index handle offset far past the end
    elif fault == "restarts":
        table[53:57] = struct.pack("<I", 1000)
        fix_block_crc(table, (0, 57))
    elif fault == "entry":
        table[2] = 0x7F                                 # value length of the header entry
        fix_block_crc(table, (0, 57))
    return bytes(table)


@pytest.mark.parametrize("fault, message", [
    ("short", "too short"), ("magic", "bad magic"), ("crc", "checksum mismatch"),
    ("type", "bad block type 7"), ("handle", "runs past the end"), ("restarts", "bad restart count"),
    ("entry", "bad entry"),
])
def test_corrupt_tables_raise_naming_the_file(fault, message):
    with pytest.raises(CheckpointError, match=message) as info:
        read_table(_corrupt(fault), "dir/model.ckpt.index")
    assert "dir/model.ckpt.index" in str(info.value)


def test_out_of_order_keys_are_rejected():
    block = _BlockBuilder(16)
    block.add(b"b", b"")
    block.add(b"a", b"")
    contents = block.finish() + b"\x00"
    from torchslim.io.crc32c import crc32c, mask
    from torchslim.io.protowire import encode_varint
    data = contents + struct.pack("<I", mask(crc32c(contents)))
    index = _BlockBuilder(1)
    index.add(b"c", encode_varint(0) + encode_varint(len(contents) - 1))
    icontents = index.finish() + b"\x00"
    offset = len(data)
    data += icontents + struct.pack("<I", mask(crc32c(icontents)))
    footer = b"\x00\x00" + encode_varint(offset) + encode_varint(len(icontents) - 1)
    data += footer + bytes(40 - len(footer)) + struct.pack("<Q", MAGIC)
    with pytest.raises(CheckpointError, match="out of order"):
        read_table(data, "t")
