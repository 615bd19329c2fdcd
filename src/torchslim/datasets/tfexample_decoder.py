"""Slim's ``tfexample_decoder`` without TensorFlow: feature specs, item handlers, ``TFExampleDecoder``.

* :class:`FixedLenFeature` / :class:`VarLenFeature`: ``tf.io.FixedLenFeature`` / ``VarLenFeature``
  (a VarLen feature decodes to a dense 1-D array, what Slim's handlers make of the sparse tensor).
* :class:`Image`, :class:`Tensor`, :class:`BoundingBox`: the item handlers Slim's data sets use.
  ``Image`` decodes ``raw`` bytes (``image/format`` ``raw`` / ``RAW``) as uint8 reshaped to ``shape``,
  as Slim's MNIST stores them, and every other format from the bytes themselves (PNG, JPEG, GIF,
  BMP, as ``tf.image.decode_image``) with Pillow, to ``channels`` channels.
* :class:`TFExampleDecoder`: ``decode(serialized, items)`` returns ``{item: numpy array}``.

JPEG: Pillow decodes with libjpeg's accurate integer DCT (TF's ``dct_method='INTEGER_ACCURATE'``);
TF's default is the fast integer DCT, whose pixels differ from the accurate one by a few levels.
Every malformed record raises :class:`DecodeError` (wrapped with the file and record by the readers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from PIL import Image as PILImage

from .example import BYTES, FLOAT, INT64, ExampleError, Feature, decode_example

__all__ = ["DecodeError", "FixedLenFeature", "VarLenFeature", "ItemHandler", "Image", "Tensor", "BoundingBox",
           "TFExampleDecoder", "decode_image_bytes"]

_DTYPES = {"string": BYTES, "float32": FLOAT, "int64": INT64}
_RAW_FORMATS = (b"raw", b"RAW")
_PILLOW_FORMATS = ["PNG", "JPEG", "GIF", "BMP"]


class DecodeError(ValueError):
    """A record's Example, a feature or an image in it cannot be decoded as the data set says."""


@dataclass(frozen=True)
class FixedLenFeature:
    """``tf.io.FixedLenFeature(shape, dtype, default_value)``; ``dtype`` is ``string``, ``float32`` or ``int64``."""

    shape: Tuple[int, ...]
    dtype: str
    default_value: object = None


@dataclass(frozen=True)
class VarLenFeature:
    """``tf.io.VarLenFeature(dtype)``: any number of values (a 1-D array; empty when absent)."""

    dtype: str


def _as_array(feature: Feature, dtype: str) -> np.ndarray:
    if dtype == "string":
        return np.array(feature.values, dtype=object)
    return np.asarray(feature.values, dtype=np.float32 if dtype == "float32" else np.int64)


def _parse_feature(key: str, spec, feature: Optional[Feature]) -> np.ndarray:
    """The value of one feature under its spec (default, type and size checks)."""
    kind = _DTYPES.get(spec.dtype)
    if kind is None:
        raise ValueError(f"feature {key!r}: dtype {spec.dtype!r} is not one of {sorted(_DTYPES)}")
    if feature is not None and len(feature) and feature.kind != kind:
        raise DecodeError(f"feature {key!r} holds a {feature.kind} list, the data set expects {kind}")
    if isinstance(spec, VarLenFeature):
        return _as_array(feature, spec.dtype) if feature is not None else _as_array(Feature(kind, []), spec.dtype)
    shape = tuple(spec.shape)
    size = int(np.prod(shape)) if shape else 1
    if feature is None or len(feature) == 0:
        if spec.default_value is None:
            raise DecodeError(f"feature {key!r} is required and missing")
        default = spec.default_value
        if spec.dtype == "string":
            default = default.encode("utf-8") if isinstance(default, str) else default
            return np.full(shape, default, dtype=object)
        return np.broadcast_to(np.asarray(default, dtype=_as_array(Feature(kind, []), spec.dtype).dtype),
                               shape).copy()
    if len(feature) != size:
        raise DecodeError(f"feature {key!r} has {len(feature)} values, the data set expects shape {list(shape)}")
    return _as_array(feature, spec.dtype).reshape(shape)


class ItemHandler:
    """Maps parsed features to one item. ``keys`` are the features it reads."""

    keys: Sequence[str] = ()

    def tensors_to_item(self, keys_to_tensors: Mapping[str, np.ndarray]) -> np.ndarray:
        """The item made from the parsed features."""
        raise NotImplementedError


class Tensor(ItemHandler):
    """A feature as it is (``shape``: reshaped to it; ``shape_keys``: to the values of those features)."""

    def __init__(self, tensor_key: str, shape_keys=None, shape: Optional[Sequence[int]] = None,
                 default_value=0) -> None:
        if shape_keys and shape is not None:
            raise ValueError("Cannot specify both shape_keys and shape parameters.")
        self.tensor_key = tensor_key
        self.shape_keys = [shape_keys] if isinstance(shape_keys, str) else list(shape_keys or [])
        self.shape = shape
        self.default_value = default_value
        self.keys = [tensor_key] + self.shape_keys

    def tensors_to_item(self, keys_to_tensors):
        tensor = keys_to_tensors[self.tensor_key]
        shape = self.shape
        if self.shape_keys:
            shape = [int(v) for k in self.shape_keys for v in np.ravel(keys_to_tensors[k])]
        if shape is None:
            return tensor
        if int(np.prod(shape)) != tensor.size:
            raise DecodeError(f"feature {self.tensor_key!r} has {tensor.size} values, cannot reshape to {list(shape)}")
        return tensor.reshape(shape)


class BoundingBox(ItemHandler):
    """``[num_boxes, 4]`` float boxes from four VarLen features ``prefix + key`` (``ymin, xmin, ymax, xmax``)."""

    def __init__(self, keys: Sequence[str] = ("ymin", "xmin", "ymax", "xmax"), prefix: str = "") -> None:
        if len(keys) != 4:
            raise ValueError(f"BoundingBox expects 4 keys, got {len(keys)}")
        self.keys = [prefix + k for k in keys]

    def tensors_to_item(self, keys_to_tensors):
        sides = [np.ravel(keys_to_tensors[k]) for k in self.keys]
        if len({side.size for side in sides}) != 1:
            raise DecodeError(f"bounding box features {self.keys} have different numbers of values "
                              f"({[side.size for side in sides]})")
        return np.stack(sides, axis=1).astype(np.float32) if sides[0].size else np.zeros((0, 4), np.float32)


def decode_image_bytes(data: bytes, channels: int = 3) -> np.ndarray:
    """Decodes PNG / JPEG / GIF / BMP bytes to ``[H, W, channels]`` uint8, as ``tf.image.decode_image``.

    ``channels`` 3: grey images are repeated, alpha is dropped; 1: converted to grey (Pillow's
    ITU-R 601-2 weights); 0: the image's own channel count (grey 1, RGB 3, RGBA 4).
    GIF gives its first frame. An image of more than ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (Pillow's
    decompression-bomb limit, 89 million) is refused, so a corrupt header cannot ask for gigabytes.

    Raises:
      DecodeError: if the bytes are not a decodable image.
    """
    try:
        with PILImage.open(io.BytesIO(data), formats=_PILLOW_FORMATS) as image:
            width, height = image.size
            if PILImage.MAX_IMAGE_PIXELS and width * height > PILImage.MAX_IMAGE_PIXELS:
                raise ValueError(f"{width}x{height} pixels exceed PIL.Image.MAX_IMAGE_PIXELS")
            image.load()
            mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
            if mode is None:
                mode = image.mode if image.mode in ("L", "RGB", "RGBA") else ("RGBA" if "A" in image.mode else "RGB")
            array = np.array(image.convert(mode), dtype=np.uint8)
    except Exception as error:  # Pillow raises many types (OSError, SyntaxError, ValueError, ...) on bad bytes
        raise DecodeError(f"cannot decode the image ({type(error).__name__}: {error})") from None
    return array[:, :, None] if array.ndim == 2 else array


class Image(ItemHandler):
    """An encoded image (``image_key``) in the format ``format_key`` names.

    Args:
      image_key: defaults to ``image/encoded``.
      format_key: defaults to ``image/format``.
      shape: ``[H, W, C]`` to reshape to (required for ``raw``).
      channels: channels to decode to (Slim's default 3).
      dtype: ``uint8`` (the only depth Slim's data sets use).
      repeated: decode a list of images (returns a list).
      dct_method: accepted for Slim's signature; JPEG always decodes with the accurate DCT.
    """

    def __init__(self, image_key: Optional[str] = None, format_key: Optional[str] = None,
                 shape: Optional[Sequence[int]] = None, channels: int = 3, dtype: str = "uint8",
                 repeated: bool = False, dct_method: str = "") -> None:
        if dtype != "uint8":
            raise ValueError(f"Image dtype {dtype!r}: only uint8 is supported")
        self.image_key = image_key or "image/encoded"
        self.format_key = format_key or "image/format"
        self.keys = [self.image_key, self.format_key]
        self.shape = None if shape is None else tuple(int(d) for d in shape)
        self.channels = channels
        self.repeated = repeated
        self.dct_method = dct_method

    def _decode(self, buffer: bytes, image_format: bytes) -> np.ndarray:
        if image_format in _RAW_FORMATS:
            image = np.frombuffer(buffer, dtype=np.uint8).copy()
            if self.shape is None:
                raise DecodeError("a raw image needs the handler's shape to reshape its bytes")
        else:
            image = decode_image_bytes(buffer, self.channels)
        if self.shape is not None:
            if image.size != int(np.prod(self.shape)):
                raise DecodeError(f"image of {image.size} values cannot be reshaped to {list(self.shape)}")
            image = image.reshape(self.shape)
        return image

    def tensors_to_item(self, keys_to_tensors):
        buffers = keys_to_tensors[self.image_key]
        image_format = bytes(np.ravel(keys_to_tensors[self.format_key])[0])
        if self.repeated:
            return [self._decode(bytes(b), image_format) for b in np.ravel(buffers)]
        return self._decode(bytes(np.ravel(buffers)[0]) if buffers.size else b"", image_format)


class TFExampleDecoder:
    """Decodes serialized Examples into items (Slim's ``TFExampleDecoder``).

    Args:
      keys_to_features: ``{feature name: FixedLenFeature | VarLenFeature}``.
      items_to_handlers: ``{item name: ItemHandler}``.
    """

    def __init__(self, keys_to_features: Mapping[str, object], items_to_handlers: Mapping[str, ItemHandler]) -> None:
        self.keys_to_features = dict(keys_to_features)
        self.items_to_handlers = dict(items_to_handlers)
        for item, handler in self.items_to_handlers.items():
            missing = [k for k in handler.keys if k not in self.keys_to_features]
            if missing:
                raise ValueError(f"item {item!r} reads features {missing} that keys_to_features does not declare")

    def list_items(self) -> list:
        """The item names this decoder gives."""
        return list(self.items_to_handlers)

    def decode(self, serialized: bytes, items: Optional[Sequence[str]] = None) -> Dict[str, object]:
        """``{item: value}`` for ``items`` (default: all) of one serialized Example.

        Raises:
          DecodeError: if the Example, a feature or an image is malformed.
        """
        try:
            features = decode_example(serialized)
        except ExampleError as error:
            raise DecodeError(str(error)) from None
        items = self.list_items() if items is None else list(items)
        needed = {k for item in items for k in self.items_to_handlers[item].keys}
        parsed = {k: _parse_feature(k, self.keys_to_features[k], features.get(k)) for k in needed}
        return {item: self.items_to_handlers[item].tensors_to_item(parsed) for item in items}
