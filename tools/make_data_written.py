"""The writer side of the data golden files: a tiny image folder and the shards torchslim writes from it.

Run with the project's environment from the repository root, before ``tools/make_data_fixtures.py``
(which has the real TensorFlow read the shards back)::

    PYTHONPATH=src python tools/make_data_written.py tests/fixtures/data

Writes ``images/<class>/<n>.png|jpg`` (small, deterministic) and ``written/flowers/``: what
``torchslim convert-data --num_shards 2 --num_validation 3`` makes of them.
"""

from __future__ import annotations

import os
import sys

import numpy as np
from PIL import Image

from torchslim.datasets.convert import convert_image_folder


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


def main(argv) -> None:
    out = argv[1] if len(argv) > 1 else "tests/fixtures/data"
    make_images(os.path.join(out, "images"))
    convert_image_folder(os.path.join(out, "images"), os.path.join(out, "written", "flowers"), "flowers",
                         num_shards=2, num_validation=3, seed=0)
    print(f"wrote {out}/images and {out}/written")


if __name__ == "__main__":
    main(sys.argv)
