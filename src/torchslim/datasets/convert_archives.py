"""CIFAR-10 and MNIST as downloaded, to Slim's TFRecords: ``download_and_convert_cifar10`` / ``_mnist`` offline.

The user passes what Slim's scripts download (nothing is fetched here):

* CIFAR-10: ``cifar-10-python.tar.gz``, or the folder ``cifar-10-batches-py/`` extracted from it.
  ``data_batch_1`` .. ``data_batch_5`` become ``cifar10_train.tfrecord`` and ``test_batch``
  ``cifar10_test.tfrecord``, in file then row order; each row (``3 x 32 x 32``, channels first) is
  transposed to ``32 x 32 x 3`` and stored as PNG.
* MNIST: a folder with ``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
  ``t10k-images-idx3-ubyte.gz`` and ``t10k-labels-idx1-ubyte.gz`` (gzip'ed IDX files, or the same
  names without ``.gz``), written as ``mnist_train.tfrecord`` and ``mnist_test.tfrecord``: one
  ``28 x 28 x 1`` PNG each.

Each record is Slim's ``image_to_tfexample`` (``image/format`` ``png``, label, height, width), and
``labels.txt`` gets upstream's class names. PNG bytes are Pillow's, not TF's ``encode_png``; they decode
to the same pixels. The CIFAR batches are Python pickles: they are read with an unpickler that admits
only numpy's array reconstruction, so a tampered file cannot run code.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import pickle
import struct
import tarfile
from typing import Dict, Iterable, Iterator, List, Tuple

import numpy as np
from PIL import Image as PILImage

from torchslim.io.tfrecord import TFRecordWriter

from .dataset_utils import image_to_tfexample, write_label_file

__all__ = ["CIFAR10_CLASS_NAMES", "MNIST_CLASS_NAMES", "read_cifar10_batches", "read_mnist", "convert_cifar10",
           "convert_mnist", "encode_png"]

CIFAR10_CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
MNIST_CLASS_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_CIFAR10_SPLITS = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
_MNIST_SPLITS = {"train": "train", "test": "t10k"}
_IDX_IMAGES, _IDX_LABELS = 2051, 2049


def encode_png(pixels: np.ndarray) -> bytes:
    """``[H, W, 1 | 3]`` uint8 as PNG bytes (grey or RGB)."""
    image = PILImage.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _write_images(path: str, images: Iterable[Tuple[np.ndarray, int]]) -> int:
    count = 0
    with TFRecordWriter(path) as writer:
        for pixels, label in images:
            writer.write(image_to_tfexample(encode_png(pixels), b"png", pixels.shape[0], pixels.shape[1],
                                            int(label)))
            count += 1
    return count


# ----------------------------------------------------------------------------------------------
# CIFAR-10.

class _ArrayUnpickler(pickle.Unpickler):
    """Admits numpy arrays and dtypes only (what CIFAR-10's batches hold beside lists and bytes), and the
    ``codecs.encode`` that Python 3 pickles of bytes (protocol 2) call."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a CIFAR-10 batch")
        if module == "_codecs":
            return codecs.encode
        if name == "_reconstruct":
            return np.ndarray.__reduce__(np.zeros(1))[0]
        return getattr(np, name)


def _cifar10_batch(raw: bytes, source: str) -> Tuple[np.ndarray, List[int]]:
    try:
        batch = _ArrayUnpickler(io.BytesIO(raw), encoding="bytes").load()
        data, labels = np.asarray(batch[b"data"], dtype=np.uint8), [int(x) for x in batch[b"labels"]]
    except (pickle.UnpicklingError, KeyError, TypeError, ValueError, EOFError) as error:
        raise ValueError(f"{source}: not a CIFAR-10 python batch ({error})") from None
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.shape[0] != len(labels):
        raise ValueError(f"{source}: expected [N, 3072] pixels and N labels, got {list(data.shape)} and {len(labels)}")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _cifar10_files(source: str) -> Dict[str, bytes]:
    """``{batch name: bytes}`` from the archive or the extracted folder."""
    wanted = {name for names in _CIFAR10_SPLITS.values() for name in names}
    if os.path.isdir(source):
        folder = os.path.join(source, "cifar-10-batches-py")
        folder = folder if os.path.isdir(folder) else source
        found = {}
        for name in wanted:
            if os.path.isfile(os.path.join(folder, name)):
                with open(os.path.join(folder, name), "rb") as handle:
                    found[name] = handle.read()
        return found
    with tarfile.open(source, "r:*") as archive:
        return {os.path.basename(m.name): archive.extractfile(m).read() for m in archive.getmembers()
                if m.isfile() and os.path.basename(m.name) in wanted}


def read_cifar10_batches(source: str) -> Dict[str, Iterator[Tuple[np.ndarray, int]]]:
    """``{split: iterator of (32x32x3 uint8, label)}`` from ``cifar-10-python.tar.gz`` or its folder.

    Raises:
      FileNotFoundError: naming the batches ``source`` lacks.
      ValueError: naming a batch that is not a CIFAR-10 python batch.
    """
    files = _cifar10_files(source)
    missing = [n for names in _CIFAR10_SPLITS.values() for n in names if n not in files]
    if missing:
        raise FileNotFoundError(f"{source}: no {', '.join(missing)} (give cifar-10-python.tar.gz or the "
                                "cifar-10-batches-py folder extracted from it)")

    def split_images(names: List[str]) -> Iterator[Tuple[np.ndarray, int]]:
        for name in names:
            images, labels = _cifar10_batch(files[name], f"{source}:{name}")
            yield from zip(images, labels)

    return {split: split_images(names) for split, names in _CIFAR10_SPLITS.items()}


def convert_cifar10(source: str, dataset_dir: str) -> Dict[str, int]:
    """Writes ``cifar10_train.tfrecord``, ``cifar10_test.tfrecord`` and ``labels.txt``; returns the counts."""
    os.makedirs(dataset_dir, exist_ok=True)
    counts = {split: _write_images(os.path.join(dataset_dir, f"cifar10_{split}.tfrecord"), images)
              for split, images in read_cifar10_batches(source).items()}
    write_label_file(dict(enumerate(CIFAR10_CLASS_NAMES)), dataset_dir)
    return counts


# ----------------------------------------------------------------------------------------------
# MNIST.

def _read_idx(folder: str, stem: str) -> bytes:
    for name, opener in ((stem + ".gz", gzip.open), (stem, open)):
        path = os.path.join(folder, name)
        if os.path.isfile(path):
            try:
                with opener(path, "rb") as handle:
                    return handle.read()
            except (OSError, EOFError) as error:
                raise ValueError(f"{path}: cannot be read ({error})") from None
    raise FileNotFoundError(f"{folder}: no {stem}.gz (the MNIST files as Slim's download_and_convert_mnist fetches "
                            "them)")


def _idx_array(data: bytes, magic: int, dims: int, source: str) -> np.ndarray:
    header = 4 + 4 * dims
    if len(data) < header or struct.unpack(">I", data[:4])[0] != magic:
        raise ValueError(f"{source}: not an IDX file with magic number {magic}")
    shape = struct.unpack(f">{dims}I", data[4:header])
    size = int(np.prod(shape))
    if len(data) != header + size:
        raise ValueError(f"{source}: {len(data) - header} bytes of data for shape {list(shape)}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def read_mnist(folder: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """``{split: (images [N, 28, 28, 1] uint8, labels [N])}`` from the four IDX files in ``folder``.

    Raises:
      FileNotFoundError: naming a missing file.
      ValueError: naming a file that is not the IDX data it should be, or counts that differ.
    """
    out = {}
    for split, stem in _MNIST_SPLITS.items():
        images = _idx_array(_read_idx(folder, f"{stem}-images-idx3-ubyte"), _IDX_IMAGES, 3,
                            os.path.join(folder, f"{stem}-images-idx3-ubyte"))
        labels = _idx_array(_read_idx(folder, f"{stem}-labels-idx1-ubyte"), _IDX_LABELS, 1,
                            os.path.join(folder, f"{stem}-labels-idx1-ubyte"))
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f"{folder}: {images.shape[0]} {stem} images but {labels.shape[0]} labels")
        out[split] = (images[..., None], labels)
    return out


def convert_mnist(folder: str, dataset_dir: str) -> Dict[str, int]:
    """Writes ``mnist_train.tfrecord``, ``mnist_test.tfrecord`` and ``labels.txt``; returns the counts."""
    os.makedirs(dataset_dir, exist_ok=True)
    counts = {split: _write_images(os.path.join(dataset_dir, f"mnist_{split}.tfrecord"), zip(images, labels))
              for split, (images, labels) in read_mnist(folder).items()}
    write_label_file(dict(enumerate(MNIST_CLASS_NAMES)), dataset_dir)
    return counts
