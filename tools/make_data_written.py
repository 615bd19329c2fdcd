"""The writer side of the data golden files: a tiny image folder and the shards torchslim writes from it.

Run with the project's environment from the repository root, before ``tools/make_data_fixtures.py``
(which has the real TensorFlow read the shards back)::

    PYTHONPATH=src python tools/make_data_written.py tests/fixtures/data

Writes ``images/<class>/<n>.png|jpg`` (small, deterministic) and ``written/flowers/``: what
``torchslim convert-data --num_shards 2 --num_validation 3`` makes of them; ``sources/``: a tiny
``cifar-10-python.tar.gz`` (the python batches' format, 2 images a batch) and MNIST's four gzip'ed IDX
files (3 training, 2 test images), and ``written/cifar10/``, ``written/mnist/``: what convert-data makes
of those.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from PIL import Image

from torchslim.datasets.convert import convert_image_folder
from torchslim.datasets.convert_archives import convert_cifar10, convert_mnist


def make_images(folder: str) -> None:
    """Three classes of small PNG / JPEG / grey images."""
    rng = np.random.RandomState(7)
    for c, name in enumerate(("daisy", "roses", "tulips")):
        os.makedirs(os.path.join(folder, name), exist_ok=True)
        for i in range(4):
            h, w = 9 + 2 * i + c, 13 - i
            pixels = rng.randint(0, 256, (h, w, 3)).astype(np.uint8)
            image = Image.fromarray(pixels)
            if i == 3:
                image = image.convert("L")
            image.save(os.path.join(folder, name, f"{i}.{'jpg' if i % 2 else 'png'}"))


def make_cifar10_archive(path: str) -> None:
    """``cifar-10-python.tar.gz`` with CIFAR's pickled dicts (bytes keys, [N, 3072] uint8 rows)."""
    import io
    import pickle
    import tarfile

    rng = np.random.RandomState(11)
    import gzip

    with gzip.GzipFile(path, "wb", mtime=0) as packed, tarfile.open(fileobj=packed, mode="w") as archive:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            batch = {b"batch_label": name.encode(), b"labels": [int(x) for x in rng.randint(0, 10, 2)],
                     b"data": rng.randint(0, 256, (2, 3072)).astype(np.uint8),
                     b"filenames": [b"a.png", b"b.png"]}
            data = pickle.dumps(batch, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size, info.mtime = len(data), 0
            archive.addfile(info, io.BytesIO(data))


def make_mnist_files(folder: str) -> None:
    """MNIST's four gzip'ed IDX files, with 3 training and 2 test images."""
    import gzip
    import struct

    rng = np.random.RandomState(12)
    os.makedirs(folder, exist_ok=True)
    for stem, count in (("train", 3), ("t10k", 2)):
        images = rng.randint(0, 256, (count, 28, 28)).astype(np.uint8)
        labels = rng.randint(0, 10, count).astype(np.uint8)
        with gzip.GzipFile(os.path.join(folder, f"{stem}-images-idx3-ubyte.gz"), "wb", mtime=0) as handle:
            handle.write(struct.pack(">IIII", 2051, count, 28, 28) + images.tobytes())
        with gzip.GzipFile(os.path.join(folder, f"{stem}-labels-idx1-ubyte.gz"), "wb", mtime=0) as handle:
            handle.write(struct.pack(">II", 2049, count) + labels.tobytes())


def make_imagenet_sources(folder: str) -> None:
    """Two synset folders (RGB JPEGs, a grey JPEG, a PNG), labels, metadata and one image's boxes."""
    rng = np.random.RandomState(13)
    synsets = ("n01440764", "n01443537")
    for s, synset in enumerate(synsets):
        os.makedirs(os.path.join(folder, "train", synset), exist_ok=True)
        for i in range(3):
            image = Image.fromarray(rng.randint(0, 256, (10 + i, 12 - s, 3)).astype(np.uint8))
            name = f"{synset}_{i}.JPEG"
            if i == 1:
                image = image.convert("L")
            if i == 2 and s == 1:
                image.save(os.path.join(folder, "train", synset, f"{synset}_{i}.png"))
                continue
            image.save(os.path.join(folder, "train", synset, name), quality=90)
    with open(os.path.join(folder, "synsets.txt"), "w") as handle:
        handle.write("\n".join(synsets) + "\n")
    with open(os.path.join(folder, "metadata.txt"), "w") as handle:
        handle.write("n01440764\ttench, Tinca tinca\nn01443537\tgoldfish, Carassius auratus\nn99\tother\n")
    with open(os.path.join(folder, "boxes.csv"), "w") as handle:
        handle.write("n01440764_0.JPEG,0.1,0.2,0.5,0.9\nn01440764_0.JPEG,0.0,0.0,1.0,1.0\n"
                     "n01443537_2.png,0.25,0.25,0.75,0.75\n")


def main(argv) -> None:
    out = argv[1] if len(argv) > 1 else "tests/fixtures/data"
    make_images(os.path.join(out, "images"))
    convert_image_folder(os.path.join(out, "images"), os.path.join(out, "written", "flowers"), "flowers",
                         num_shards=2, num_validation=3, seed=0)
    sources = os.path.join(out, "sources")
    os.makedirs(sources, exist_ok=True)
    make_cifar10_archive(os.path.join(sources, "cifar-10-python.tar.gz"))
    make_mnist_files(os.path.join(sources, "mnist"))
    convert_cifar10(os.path.join(sources, "cifar-10-python.tar.gz"), os.path.join(out, "written", "cifar10"))
    convert_mnist(os.path.join(sources, "mnist"), os.path.join(out, "written", "mnist"))
    from torchslim.datasets.convert_imagenet import convert_imagenet_split

    imagenet = os.path.join(sources, "imagenet")
    make_imagenet_sources(imagenet)
    convert_imagenet_split(os.path.join(imagenet, "train"), "train", os.path.join(out, "written", "imagenet"),
                           os.path.join(imagenet, "synsets.txt"), os.path.join(imagenet, "metadata.txt"), 2,
                           os.path.join(imagenet, "boxes.csv"))
    print(f"wrote {out}/images, {out}/sources and {out}/written")


if __name__ == "__main__":
    main(sys.argv)
