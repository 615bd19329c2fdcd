"""Records decoded and preprocessed per second (1 and 2 DataLoader workers) beside a training step's images/s.

Writes a flowers-style TFRecord set (JPEG images of flowers' typical size, 320x240 .. 500x375) with
``convert_image_folder``, then times, in one run:

* the input pipeline: ``dataset_factory`` flowers split -> ``RecordDataset`` (read, both CRCs, Example,
  Pillow JPEG decode) -> the net's training preprocessing (``preprocessing_factory``) -> batches,
  through a ``DataLoader`` with 1 and 2 workers (and in the main process, 0 workers);
* one training step of the net (forward, backward, momentum update) on a batch of that size.

Data loading is not the bottleneck when records/s (with the workers a run would use) exceeds the
training step's images/s. Each DataLoader worker runs with one thread; the training step with
``--threads``.

    PYTHONPATH=src python benchmarks/data_loading.py [--model resnet_v2_50] [--size 224] [--batch 16]
        [--records 96] [--preprocessing NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np
import torch
from PIL import Image

from torchslim.bench import build_model, make_step
from torchslim.datasets import dataset_factory
from torchslim.datasets.convert import convert_image_folder
from torchslim.preprocessing import preprocessing_factory


def write_images(folder: str, count: int, seed: int = 0) -> None:
    """``count`` JPEGs in 5 class folders, sizes as in Slim's flowers (quality 90)."""
    rng = np.random.RandomState(seed)
    for i in range(count):
        height, width = rng.randint(240, 376), rng.randint(320, 501)
        y, x = np.mgrid[0:height, 0:width]
        pixels = np.stack([x * 255 // width, y * 255 // height, (x * y) % 256], -1) + rng.randint(0, 30, (height, width, 1))
        path = os.path.join(folder, f"class_{i % 5}")
        os.makedirs(path, exist_ok=True)
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(os.path.join(path, f"{i}.jpg"), quality=90)


class Preprocessed(torch.utils.data.Dataset):
    """``(preprocessed image, label)`` of each record, as a training run reads them."""

    def __init__(self, records, preprocessing_fn, size: int) -> None:
        self.records, self.preprocessing_fn, self.size = records, preprocessing_fn, size

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int):
        record = self.records[index]
        return self.preprocessing_fn(record["image"], self.size, self.size), int(record["label"])


def _worker_init(_: int) -> None:
    torch.set_num_threads(1)


def records_per_second(dataset, batch_size: int, workers: int, epochs: int = 2) -> float:
    """Records/s through a shuffling DataLoader (the first epoch warms the workers up and is not timed)."""
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
                                         worker_init_fn=_worker_init if workers else None,
                                         persistent_workers=workers > 0)
    for _ in loader:
        pass
    start, count = time.perf_counter(), 0
    for _ in range(epochs):
        for images, _ in loader:
            count += images.shape[0]
    return count / (time.perf_counter() - start)


def training_images_per_second(model_name: str, batch_size: int, size: int, steps: int = 3) -> float:
    model, inputs = build_model(model_name, batch_size, size, num_classes=5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    step = make_step(model, inputs, "forward-backward", optimizer=optimizer)
    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch_size * steps / (time.perf_counter() - start)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="resnet_v2_50")
    parser.add_argument("--preprocessing", default=None, help="default: the model's (preprocessing_factory)")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--records", type=int, default=96)
    parser.add_argument("--threads", type=int, default=2, help="threads of the training step")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as root:
        write_images(os.path.join(root, "images"), args.records)
        convert_image_folder(os.path.join(root, "images"), os.path.join(root, "tfrecord"), num_validation=0)
        split = dataset_factory.get_dataset("flowers", "train", os.path.join(root, "tfrecord"))
        preprocessing_fn = preprocessing_factory.get_preprocessing(args.preprocessing or args.model, is_training=True)
        dataset = Preprocessed(split.records(), preprocessing_fn, args.size)
        torch.set_num_threads(1)
        rates = {workers: records_per_second(dataset, args.batch, workers) for workers in (0, 1, 2)}
    torch.set_num_threads(args.threads)
    train_rate = training_images_per_second(args.model, args.batch, args.size)
    print(f"{args.model} training preprocessing ({args.preprocessing or 'by model name'}), {args.size}x{args.size}, "
          f"batch {args.batch}, {args.records} flowers-size JPEG records")
    for workers, rate in rates.items():
        print(f"  input pipeline, {workers} worker(s){' (main process)' if workers == 0 else ''}: "
              f"{rate:8.1f} records/s")
    print(f"  training step ({args.threads} threads):         {train_rate:8.1f} images/s")
    print(f"  input / training with 2 workers: {rates[2] / train_rate:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
