"""ImageNet image folders to the TFRecord shards of Slim's ``datasets/build_imagenet_data.py``.

Inputs as that script takes them (the images are the user's; nothing is downloaded):

* ``<split dir>/<synset>/<image>``: one folder per synset (the validation images sorted into synset
  folders first, as ``preprocess_imagenet_validation_data.py`` does);
* ``labels_file``: one synset per line; the line number from 1 is the label (0 is the background);
* ``imagenet_metadata_file``: ``<synset>\\t<human-readable text>`` lines;
* optionally ``bounding_box_file``: ``<file name>,xmin,ymin,xmax,ymax`` lines (normalized), as
  ``process_bounding_boxes.py`` writes them.

Output: ``<split>-00000-of-NNNNN`` ... as ``build_imagenet_data.py --num_threads 1`` writes them: the
files of each synset (sorted; upstream takes ``glob``'s order) in the labels file's order, shuffled
with ``random.seed(12345)``, cut into ``num_shards`` runs at ``linspace(0, n, num_shards + 1)``. Each
record has upstream's features (``image/encoded`` JPEG, ``image/format`` ``JPEG``, height, width,
``colorspace`` ``RGB``, ``channels`` 3, ``class/label``, ``class/synset``, ``class/text``,
``object/bbox/{xmin,ymin,xmax,ymax,label}``, ``filename``). JPEG files are stored as they are; PNG and
CMYK or grey JPEG files are re-encoded as RGB JPEG (Pillow, quality 100; upstream re-encodes PNG and
CMYK with TF).
"""

from __future__ import annotations

import io
import os
import random
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image as PILImage

from torchslim.io.tfrecord import TFRecordWriter

from .example import bytes_feature, encode_example, float_feature, int64_feature

__all__ = ["read_synsets", "read_metadata", "read_bounding_boxes", "find_image_files", "image_example",
           "convert_imagenet_split"]

_SHUFFLE_SEED = 12345
Box = Tuple[float, float, float, float]


def read_synsets(labels_file: str) -> List[str]:
    """The synsets of ``labels_file`` in order (label = position + 1).

    Raises:
      ValueError: naming the file when it lists no synset or one twice.
    """
    with open(labels_file, encoding="utf-8") as handle:
        synsets = [line.strip() for line in handle if line.strip()]
    if not synsets or len(set(synsets)) != len(synsets):
        raise ValueError(f"{labels_file}: expected one distinct synset per line")
    return synsets


def read_metadata(metadata_file: str) -> Dict[str, str]:
    """``{synset: human-readable text}`` from ``<synset>\\t<text>`` lines.

    Raises:
      ValueError: naming the file and line when a line has no tab.
    """
    out = {}
    with open(metadata_file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            if "\t" not in line:
                raise ValueError(f"{metadata_file}:{number}: expected '<synset>\\t<text>'")
            synset, text = line.rstrip("\n").split("\t", 1)
            out[synset] = text
    return out


def read_bounding_boxes(bounding_box_file: Optional[str]) -> Dict[str, List[Box]]:
    """``{file name: [(xmin, ymin, xmax, ymax), ...]}`` (empty without a file).

    Raises:
      ValueError: naming the file and line for a line that is not ``name,xmin,ymin,xmax,ymax``.
    """
    boxes: Dict[str, List[Box]] = {}
    if not bounding_box_file:
        return boxes
    with open(bounding_box_file, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parts = line.strip().split(",")
            if parts == [""]:
                continue
            try:
                box = tuple(float(p) for p in parts[1:])
            except ValueError:
                box = ()
            if len(parts) != 5 or len(box) != 4:
                raise ValueError(f"{bounding_box_file}:{number}: expected '<file>,xmin,ymin,xmax,ymax'")
            boxes.setdefault(parts[0], []).append(box)  # type: ignore[arg-type]
    return boxes


def find_image_files(data_dir: str, synsets: Sequence[str]) -> List[Tuple[str, str, int]]:
    """``[(path, synset, label)]``: each synset folder's files (sorted), then shuffled as upstream.

    Raises:
      FileNotFoundError: naming the folder of a synset that has none.
    """
    found = []
    for label, synset in enumerate(synsets, 1):
        folder = os.path.join(data_dir, synset)
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"{folder}: no folder for synset {synset} (line {label} of the labels file)")
        found += [(os.path.join(folder, name), synset, label) for name in sorted(os.listdir(folder))
                  if os.path.isfile(os.path.join(folder, name))]
    order = list(range(len(found)))
    random.seed(_SHUFFLE_SEED)
    random.shuffle(order)
    return [found[i] for i in order]


def _jpeg_bytes(path: str) -> Tuple[bytes, int, int]:
    """The file's bytes when it is an RGB JPEG, else the image re-encoded as one; and its height, width."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        with PILImage.open(io.BytesIO(data)) as image:
            image.load()
            if image.format == "JPEG" and image.mode == "RGB":
                return data, image.height, image.width
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=100)
            return out.getvalue(), image.height, image.width
    except Exception as error:  # Pillow raises several types for files it cannot read
        raise ValueError(f"{path}: not an image Pillow can read ({type(error).__name__}: {error})") from None


def image_example(path: str, synset: str, label: int, text: str, boxes: Sequence[Box]) -> bytes:
    """The serialized Example ``build_imagenet_data._convert_to_example`` makes for one image file."""
    data, height, width = _jpeg_bytes(path)
    columns = list(zip(*boxes)) if boxes else [(), (), (), ()]
    features = {
        "image/height": int64_feature(height), "image/width": int64_feature(width),
        "image/colorspace": bytes_feature(b"RGB"), "image/channels": int64_feature(3),
        "image/class/label": int64_feature(label), "image/class/synset": bytes_feature(synset.encode()),
        "image/class/text": bytes_feature(text.encode("utf-8")),
        "image/object/bbox/xmin": float_feature(list(columns[0])),
        "image/object/bbox/xmax": float_feature(list(columns[2])),
        "image/object/bbox/ymin": float_feature(list(columns[1])),
        "image/object/bbox/ymax": float_feature(list(columns[3])),
        "image/object/bbox/label": int64_feature([label] * len(boxes)),
        "image/format": bytes_feature(b"JPEG"), "image/filename": bytes_feature(os.path.basename(path).encode()),
        "image/encoded": bytes_feature(data),
    }
    return encode_example(features)


def convert_imagenet_split(data_dir: str, split_name: str, output_dir: str, labels_file: str, metadata_file: str,
                           num_shards: int, bounding_box_file: Optional[str] = None) -> List[str]:
    """Writes ``data_dir``'s synset folders as ``<split_name>-NNNNN-of-<num_shards>`` shards; returns their paths.

    Raises:
      ValueError: for ``num_shards < 1``, a synset without metadata, or a file that is not an image.
      FileNotFoundError: for a missing synset folder.
    """
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    synsets = read_synsets(labels_file)
    texts = read_metadata(metadata_file)
    unknown = [s for s in synsets if s not in texts]
    if unknown:
        raise ValueError(f"{metadata_file}: no text for synsets {', '.join(unknown[:5])}")
    boxes = read_bounding_boxes(bounding_box_file)
    files = find_image_files(data_dir, synsets)
    bounds = np.linspace(0, len(files), num_shards + 1).astype(int)
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for shard in range(num_shards):
        path = os.path.join(output_dir, f"{split_name}-{shard:05d}-of-{num_shards:05d}")
        with TFRecordWriter(path) as writer:
            for file, synset, label in files[bounds[shard]:bounds[shard + 1]]:
                writer.write(image_example(file, synset, label, texts[synset], boxes.get(os.path.basename(file), ())))
        written.append(path)
    return written
