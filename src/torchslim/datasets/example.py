"""``tf.train.Example`` without TensorFlow: decode and encode the protobuf (bytes, float and int64 lists).

The schema (``tensorflow/core/example/{example,feature}.proto``)::

    Example  { Features features = 1; }
    Features { map<string, Feature> feature = 1; }        # map entries: key = 1, value = 2
    Feature  { oneof kind { BytesList bytes_list = 1; FloatList float_list = 2; Int64List int64_list = 3; } }
    BytesList { repeated bytes value = 1; }  FloatList { repeated float value = 1; }  Int64List { repeated int64 value = 1; }

Decoding follows protobuf's rules: packed and unpacked repeated scalars are both accepted, a repeated
map key keeps its last value, a sub-message given twice is merged (lists concatenated), and of the
``oneof`` the last one given wins. Unknown fields are skipped. Every fault raises :class:`ExampleError`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Union

import numpy as np

from torchslim.io.errors import FileFormatError
from torchslim.io.protowire import (FIXED32, LENGTH, VARINT, encode_varint, field_bytes, iter_fields, read_varint,
                                    to_int64)

__all__ = ["ExampleError", "Feature", "decode_example", "encode_example", "bytes_feature", "float_feature",
           "int64_feature", "BYTES", "FLOAT", "INT64"]

BYTES, FLOAT, INT64 = "bytes", "float", "int64"
_KIND_BY_FIELD = {1: BYTES, 2: FLOAT, 3: INT64}
_FIELD_BY_KIND = {kind: field for field, kind in _KIND_BY_FIELD.items()}


class ExampleError(ValueError):
    """A serialized ``tf.train.Example`` is malformed (the message says where and what)."""


@dataclass
class Feature:
    """One feature: its kind (``bytes``, ``float`` or ``int64``) and its values.

    ``values`` is a list of ``bytes`` for bytes lists, a float32 / int64 numpy array otherwise.
    """

    kind: str
    values: Union[List[bytes], np.ndarray]

    def __len__(self) -> int:
        return len(self.values)


def _fields(buf, start: int, end: int, what: str):
    try:
        yield from iter_fields(buf, start, end, None, what)
    except FileFormatError as error:
        raise ExampleError(str(error)) from None


def _scalars(buf, span, wire: int, kind: str, out: list) -> None:
    """Appends the values of one ``value = 1`` field of a FloatList / Int64List (packed or not)."""
    if kind == FLOAT:
        if wire == FIXED32:
            out.append(struct.unpack("<f", struct.pack("<I", span))[0])
        elif wire == LENGTH:
            begin, end = span
            if (end - begin) % 4:
                raise ExampleError(f"bad FloatList: packed length {end - begin} is not a multiple of 4")
            out.extend(np.frombuffer(buf, "<f4", (end - begin) // 4, begin).tolist())
        else:
            raise ExampleError(f"bad FloatList: wire type {wire}")
        return
    if wire == VARINT:
        out.append(to_int64(span))
    elif wire == LENGTH:
        pos, end = span
        try:
            while pos < end:
                value, pos = read_varint(buf, pos, end)
                out.append(to_int64(value))
        except FileFormatError as error:
            raise ExampleError(f"bad Int64List: {error}") from None
    else:
        raise ExampleError(f"bad Int64List: wire type {wire}")


def _decode_list(buf, begin: int, end: int, kind: str, out: list) -> None:
    for field, wire, value in _fields(buf, begin, end, f"{kind} list"):
        if field != 1:
            continue
        if kind == BYTES:
            if wire != LENGTH:
                raise ExampleError(f"bad BytesList: wire type {wire}")
            out.append(bytes(buf[value[0]:value[1]]))
        else:
            _scalars(buf, value, wire, kind, out)


def _decode_feature(buf, begin: int, end: int) -> Feature:
    kind, values = None, []
    for field, wire, value in _fields(buf, begin, end, "Feature"):
        if field not in _KIND_BY_FIELD:
            continue
        if wire != LENGTH:
            raise ExampleError(f"bad Feature: field {field} has wire type {wire}")
        if _KIND_BY_FIELD[field] != kind:          # another member of the oneof replaces the earlier one
            kind, values = _KIND_BY_FIELD[field], []
        _decode_list(buf, value[0], value[1], kind, values)
    if kind is None:
        return Feature(BYTES, [])                   # an empty Feature: no kind set
    if kind == FLOAT:
        return Feature(kind, np.asarray(values, dtype=np.float32))
    if kind == INT64:
        return Feature(kind, np.asarray(values, dtype=np.int64))
    return Feature(kind, values)


def _decode_entry(buf, begin: int, end: int, features: Dict[str, Feature]) -> None:
    key, feature = "", Feature(BYTES, [])
    for field, wire, value in _fields(buf, begin, end, "Features map entry"):
        if wire != LENGTH:
            if field in (1, 2):
                raise ExampleError(f"bad Features map entry: field {field} has wire type {wire}")
            continue
        if field == 1:
            try:
                key = bytes(buf[value[0]:value[1]]).decode("utf-8")
            except UnicodeDecodeError:
                raise ExampleError("bad Features map entry: the key is not UTF-8") from None
        elif field == 2:
            feature = _decode_feature(buf, value[0], value[1])
    features[key] = feature


def decode_example(data: bytes) -> Dict[str, Feature]:
    """Decodes one serialized ``tf.train.Example``.

    Args:
      data: the record's bytes.

    Returns:
      ``{feature name: Feature}``.

    Raises:
      ExampleError: if the bytes are not a well-formed Example.
    """
    buf = memoryview(data).cast("B") if not isinstance(data, (bytes, bytearray)) else data
    features: Dict[str, Feature] = {}
    for field, wire, value in _fields(buf, 0, len(buf), "Example"):
        if field != 1:
            continue
        if wire != LENGTH:
            raise ExampleError(f"bad Example: field 1 has wire type {wire}")
        for entry_field, entry_wire, span in _fields(buf, value[0], value[1], "Features"):
            if entry_field != 1:
                continue
            if entry_wire != LENGTH:
                raise ExampleError(f"bad Features: field 1 has wire type {entry_wire}")
            _decode_entry(buf, span[0], span[1], features)
    return features


# ----------------------------------------------------------------------------------------------
# Encoding.

def bytes_feature(values: Union[bytes, str, Sequence[Union[bytes, str]]]) -> Feature:
    """A bytes-list feature (``str`` values are UTF-8 encoded), as Slim's ``dataset_utils.bytes_feature``."""
    if isinstance(values, (bytes, str)):
        values = [values]
    return Feature(BYTES, [v.encode("utf-8") if isinstance(v, str) else bytes(v) for v in values])


def float_feature(values: Union[float, Sequence[float]]) -> Feature:
    """A float-list feature (float32), as Slim's ``dataset_utils.float_feature``."""
    return Feature(FLOAT, np.atleast_1d(np.asarray(values, dtype=np.float32)))


def int64_feature(values: Union[int, Sequence[int]]) -> Feature:
    """An int64-list feature, as Slim's ``dataset_utils.int64_feature``."""
    return Feature(INT64, np.atleast_1d(np.asarray(values, dtype=np.int64)))


def _encode_feature(feature: Feature) -> bytes:
    if feature.kind == BYTES:
        body = b"".join(field_bytes(1, value) for value in feature.values)
    elif feature.kind == FLOAT:
        body = field_bytes(1, np.asarray(feature.values, dtype="<f4").tobytes()) if len(feature) else b""
    elif feature.kind == INT64:
        packed = b"".join(encode_varint(int(v)) for v in feature.values)
        body = field_bytes(1, packed) if len(feature) else b""
    else:
        raise ValueError(f"unknown feature kind {feature.kind!r}; use bytes, float or int64")
    return field_bytes(_FIELD_BY_KIND[feature.kind], body)


def encode_example(features: Mapping[str, Feature]) -> bytes:
    """Serializes ``{name: Feature}`` as a ``tf.train.Example`` (map entries in sorted key order,
    lists packed, as TensorFlow's deterministic serializer writes them).

    Raises:
      ValueError: for a feature of unknown kind.
    """
    entries = b"".join(field_bytes(1, field_bytes(1, name.encode("utf-8")) + field_bytes(2, _encode_feature(f)))
                       for name, f in sorted(features.items()))
    return field_bytes(1, entries)
