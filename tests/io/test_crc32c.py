import numpy as np
from hypothesis import given, settings, strategies as st

from torchslim.io import crc32c as crc


def test_check_value_and_empty():
    assert crc.crc32c(b"123456789") == 0xE3069283
    assert crc.crc32c(b"") == 0
    assert crc.crc32c_python(b"123456789") == 0xE3069283


def test_mask_vectors_from_the_format_spec():
    assert crc.mask(0xE3069283) == 0xC78AB0E5
    assert crc.mask(0) == 0xA282EAD8
    assert crc.masked_crc32c(bytes.fromhex("000000000100000000")) == 0xB0A1F2C0


def test_numpy_arrays_and_memoryviews():
    array = np.arange(100, dtype="<f4")
    assert crc.crc32c(array.view(np.uint8)) == crc.crc32c(array.tobytes()) == crc.crc32c(memoryview(array.tobytes()))


@settings(max_examples=200)
@given(st.binary(max_size=300), st.binary(max_size=300))
def test_streaming_python_matches_c_and_unmask_inverts(a, b):
    assert crc.crc32c(b, crc.crc32c(a)) == crc.crc32c(a + b)
    assert crc.crc32c_python(a + b) == crc.crc32c(a + b)
    assert crc.unmask(crc.mask(crc.crc32c(a))) == crc.crc32c(a)
