"""Data sets for the training job: the embedded digits, image folders, and the batches of a run.

* :func:`load_digits`: the UCI optdigits images shipped in the package (1,797 8x8 grey images,
  values 0..16), split deterministically and stratified into 1,437 training and 360 held-out images.
* :func:`image_folder`: one sub-folder per class (``root/<class>/*.png|jpg|ppm|pgm|npy``), optionally
  with ``train/`` and ``validation/`` sub-trees. PPM/PGM and ``.npy`` are read natively; PNG/JPEG through
  Pillow (a dependency of torchslim).
* :class:`EpochBatches`: the batches of a run from a given global step on: a fixed permutation per
  epoch (from the seed), sharded over processes like ``DistributedSampler``, so a resumed or
  distributed run sees exactly the batches it would have.

Images are NHWC, as TF-Slim's nets expect.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from torchslim.preprocessing.image_ops import resize_bilinear

__all__ = ["ArrayDataset", "load_digits", "digits_splits", "stratified_split", "image_folder",
           "ImageFolderDataset", "read_image", "EpochBatches", "IMAGE_EXTENSIONS", "DIGITS_HELD_OUT"]

DIGITS_HELD_OUT = 360
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".ppm", ".pgm", ".pnm", ".npy")
_PILLOW_EXTENSIONS = (".png", ".jpg", ".jpeg")


@dataclass
class ArrayDataset:
    """Images and labels held in memory.

    Attributes:
      images: ``[N, H, W, C]`` float32 (already preprocessed for evaluation).
      labels: ``[N]`` int64.
      num_classes: number of classes.
      class_names: one name per class.
      name: a short description (for logs).
    """

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    class_names: List[str] = field(default_factory=list)
    name: str = ""

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def batch(self, indices: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(images[indices], labels[indices])``."""
        return self.images[indices], self.labels[indices]


# ----------------------------------------------------------------------------------------------
# The embedded digits.

def _digits_arrays() -> Tuple[np.ndarray, np.ndarray]:
    ref = resources.files("torchslim.train") / "data" / "digits.npz"
    with resources.as_file(ref) as path:
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: the embedded digits data set is missing from the installation")
        with np.load(path, allow_pickle=False) as archive:
            return archive["images"], archive["labels"]


def stratified_split(labels: np.ndarray, held_out: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Indices ``(train, held_out)``: each class gives its share of ``held_out`` (largest remainders).

    Args:
      labels: ``[N]`` integer labels.
      held_out: the number of held-out examples.
      seed: the permutation seed (the split is a pure function of labels, size and seed).

    Returns:
      Two sorted index arrays.
    """
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * held_out / len(labels)
    quota = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - quota), kind="stable")[: held_out - quota.sum()]:
        quota[i] += 1
    train, test = [], []
    for cls, n_test in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        members = members[rng.permutation(len(members))]
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def digits_splits(seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Index arrays of the digits' training (1,437) and held-out (360) images."""
    _, labels = _digits_arrays()
    return stratified_split(labels, DIGITS_HELD_OUT, seed)


def load_digits(split: str = "train", image_size: int = 8, channels: int = 1) -> ArrayDataset:
    """The embedded digits, scaled to [-1, 1], resized to ``image_size``, NHWC.

    Args:
      split: ``train`` (1,437 images), ``validation`` (the 360 held-out ones) or ``all``.
      image_size: output height and width (bilinear, TF's ``resize_bilinear``).
      channels: 1, or 3 to repeat the grey channel (for nets that expect RGB).

    Returns:
      An :class:`ArrayDataset` with 10 classes.

    Raises:
      ValueError: for an unknown split or channel count.
    """
    if split not in ("train", "validation", "all"):
        raise ValueError(f"digits: unknown split {split!r}; choose train, validation or all")
    if channels not in (1, 3):
        raise ValueError(f"digits: channels must be 1 or 3, got {channels}")
    images, labels = _digits_arrays()
    if split != "all":
        train, held_out = digits_splits()
        index = train if split == "train" else held_out
        images, labels = images[index], labels[index]
    x = torch.from_numpy(images.astype(np.float32) / 16.0)[..., None]
    if image_size != x.shape[1]:
        x = resize_bilinear(x, (image_size, image_size))
    x = (x - 0.5) * 2.0
    if channels == 3:
        x = x.expand(-1, -1, -1, 3)
    return ArrayDataset(x.contiguous(), torch.from_numpy(labels.astype(np.int64)), 10,
                        [str(i) for i in range(10)], f"digits/{split}")


# ----------------------------------------------------------------------------------------------
# Image folders.

def _read_netpbm(path: str) -> np.ndarray:
    """Binary (P5/P6) or ASCII (P2/P3) PGM/PPM as ``[H, W, C]`` uint8 (or uint16 for maxval > 255)."""
    with open(path, "rb") as handle:
        data = handle.read()
    tokens, pos = [], 0
    while len(tokens) < 4:
        while pos < len(data) and data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            end = data.find(b"\n", pos)
            if end < 0:
                raise ValueError(f"{path}: truncated PGM/PPM header")
            pos = end + 1
            continue
        start = pos
        while pos < len(data) and not data[pos:pos + 1].isspace():
            pos += 1
        if start == pos:
            raise ValueError(f"{path}: truncated PGM/PPM header")
        tokens.append(data[start:pos])
    magic, width, height, maxval = tokens[0], int(tokens[1]), int(tokens[2]), int(tokens[3])
    if magic not in (b"P2", b"P3", b"P5", b"P6") or not (0 < maxval < 65536) or width <= 0 or height <= 0:
        raise ValueError(f"{path}: not a PGM/PPM image (header {tokens!r})")
    channels = 3 if magic in (b"P3", b"P6") else 1
    count = width * height * channels
    dtype = np.uint8 if maxval < 256 else np.dtype(">u2")
    if magic in (b"P5", b"P6"):
        raw = data[pos + 1: pos + 1 + count * np.dtype(dtype).itemsize]
        if len(raw) < count * np.dtype(dtype).itemsize:
            raise ValueError(f"{path}: truncated pixel data")
        pixels = np.frombuffer(raw, dtype=dtype)
    else:
        pixels = np.array(data[pos:].split()[:count], dtype=np.int64)
        if pixels.size < count:
            raise ValueError(f"{path}: truncated pixel data")
    pixels = pixels.astype(np.uint8 if maxval < 256 else np.uint16)
    return pixels.reshape(height, width, channels)


def _read_pillow(path: str) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{path}: reading PNG/JPEG images needs Pillow, which is not installed. "
                          "Install it with: pip install Pillow (a dependency of torchslim), "
                          "or convert the images to PPM/PGM or .npy") from None
    with Image.open(path) as image:
        image = image.convert("RGB") if image.mode not in ("L", "RGB") else image
        array = np.asarray(image)
    return array[..., None] if array.ndim == 2 else array


def read_image(path: str) -> np.ndarray:
    """Reads an image file as ``[H, W, C]`` uint8 (C = 1 or 3).

    Args:
      path: a ``.ppm/.pgm/.pnm`` (native), ``.npy`` (native, ``[H, W]`` or ``[H, W, C]``, no pickle) or
        ``.png/.jpg/.jpeg`` (Pillow) file.

    Raises:
      ImportError: for PNG/JPEG when Pillow is missing, saying how to install it.
      ValueError: naming the file if it is not a readable image.
    """
    ext = os.path.splitext(path)[1].lower()
    if ext in (".ppm", ".pgm", ".pnm"):
        image = _read_netpbm(path)
    elif ext == ".npy":
        image = np.load(path, allow_pickle=False)
        image = image[..., None] if image.ndim == 2 else image
    elif ext in _PILLOW_EXTENSIONS:
        image = _read_pillow(path)
    else:
        raise ValueError(f"{path}: unsupported image type {ext!r}; use one of {', '.join(IMAGE_EXTENSIONS)}")
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"{path}: expected an [H, W] or [H, W, 1|3] image, got shape {image.shape}")
    if image.dtype == np.uint16:
        image = (image.astype(np.float32) / 257.0).round().astype(np.uint8)
    return np.ascontiguousarray(image.astype(np.uint8))


def _list_classes(root: str) -> List[str]:
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not classes:
        raise ValueError(f"--dataset_dir {root}: no class sub-folders (expected root/<class>/<images>)")
    return classes


def _list_files(root: str, classes: Sequence[str]) -> Tuple[List[str], List[int]]:
    files, labels = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for entry in sorted(os.listdir(folder)):
            if entry.lower().endswith(IMAGE_EXTENSIONS):
                files.append(os.path.join(folder, entry))
                labels.append(label)
    if not files:
        raise ValueError(f"--dataset_dir {root}: no images ({', '.join(IMAGE_EXTENSIONS)}) in the class folders")
    return files, labels


class ImageFolderDataset(torch.utils.data.Dataset):
    """Images read from files when indexed: ``dataset[i] -> (preprocessed HWC float image, label)``.

    Args:
      files: image paths.
      labels: their class indices.
      class_names: one name per class.
      transform: ``transform(uint8 HWC tensor) -> float HWC tensor`` (preprocessing), or None for
        ``[-1, 1]`` scaling.
      name: a short description.
    """

    def __init__(self, files: Sequence[str], labels: Sequence[int], class_names: Sequence[str],
                 transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None, name: str = ""):
        self.files, self.labels_list = list(files), list(labels)
        self.labels = torch.tensor(self.labels_list, dtype=torch.int64)
        self.class_names, self.num_classes = list(class_names), len(class_names)
        self.transform, self.name = transform, name

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tuple[torch.Tensor, int]:
        image = torch.from_numpy(read_image(self.files[index]))
        out = self.transform(image) if self.transform is not None else image.float() / 127.5 - 1.0
        return out, self.labels_list[index]

    def batch(self, indices: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        items = [self[int(i)] for i in indices]
        return torch.stack([x for x, _ in items]), torch.tensor([y for _, y in items], dtype=torch.int64)


def image_folder(root: str, split: str = "train", held_out_fraction: float = 0.2, seed: int = 0,
                 transform: Optional[Callable[[torch.Tensor], torch.Tensor]] = None) -> ImageFolderDataset:
    """An image-folder data set (``root/<class>/<image>``).

    If ``root`` has ``train/`` and ``validation/`` (or ``val/``, ``test/``) sub-folders, those are the
    splits; otherwise a stratified ``held_out_fraction`` of each class is held out (fixed ``seed``).

    Args:
      root: the folder (``--dataset_dir``).
      split: ``train`` or ``validation``.
      held_out_fraction: share of images held out when there are no split folders.
      seed: split seed.
      transform: preprocessing for one ``uint8`` HWC image tensor.

    Returns:
      An :class:`ImageFolderDataset`.

    Raises:
      ValueError: naming the folder if it has no classes or no images.
    """
    if not os.path.isdir(root):
        raise ValueError(f"--dataset_dir {root}: not a directory")
    for train_name, eval_names in (("train", ("validation", "val", "test")),):
        eval_dir = next((os.path.join(root, n) for n in eval_names if os.path.isdir(os.path.join(root, n))), None)
        if os.path.isdir(os.path.join(root, train_name)) and eval_dir:
            folder = os.path.join(root, train_name) if split == "train" else eval_dir
            classes = _list_classes(os.path.join(root, train_name))
            files, labels = _list_files(folder, classes)
            return ImageFolderDataset(files, labels, classes, transform, f"{folder}")
    classes = _list_classes(root)
    files, labels = _list_files(root, classes)
    held = max(1, int(round(len(files) * held_out_fraction))) if held_out_fraction > 0 else 0
    train_idx, test_idx = stratified_split(np.asarray(labels), held, seed) if held else (np.arange(len(files)), [])
    index = train_idx if split == "train" else test_idx
    return ImageFolderDataset([files[i] for i in index], [labels[i] for i in index], classes, transform,
                              f"{root}/{split}")


# ----------------------------------------------------------------------------------------------
# Batches of a run.

class EpochBatches:
    """The training batches from global step ``start_step`` on, epoch after epoch, without end.

    Epoch ``e`` uses the permutation ``randperm(N)`` seeded with ``(seed, e)``; with ``world_size``
    processes it is padded to a multiple of ``world_size`` and rank ``r`` takes every
    ``world_size``-th index from ``r`` (as ``DistributedSampler``); each rank drops its last partial
    batch. Step ``s`` is batch ``s % steps_per_epoch`` of epoch ``s // steps_per_epoch``.

    Args:
      dataset: an :class:`ArrayDataset` or :class:`ImageFolderDataset`.
      batch_size: examples per process and step.
      seed: the shuffling seed.
      start_step: the first global step to produce.
      rank, world_size: this process and the number of processes.
      num_workers: DataLoader workers for file data sets (0: read in this process).
      augment: ``augment(images, labels) -> (images, labels)`` applied to each batch (in-memory data).

    Raises:
      ValueError: if a process gets fewer examples than one batch.
    """

    def __init__(self, dataset, batch_size: int, seed: int = 0, start_step: int = 0, rank: int = 0,
                 world_size: int = 1, num_workers: int = 0,
                 augment: Optional[Callable[[torch.Tensor, torch.Tensor], Tuple[torch.Tensor, torch.Tensor]]] = None):
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.start_step, self.rank, self.world_size = start_step, rank, world_size
        self.num_workers, self.augment = num_workers, augment
        per_rank = -(-len(dataset) // world_size)
        self.steps_per_epoch = per_rank // batch_size
        if self.steps_per_epoch == 0:
            raise ValueError(f"--batch_size {batch_size} is larger than the {per_rank} examples each of "
                             f"{world_size} process(es) gets from {getattr(dataset, 'name', 'the data set')}")

    def epoch_indices(self, epoch: int) -> torch.Tensor:
        """This rank's example order in ``epoch``."""
        generator = torch.Generator().manual_seed(int(self.seed) * 1_000_003 + int(epoch))
        order = torch.randperm(len(self.dataset), generator=generator)
        total = -(-len(order) // self.world_size) * self.world_size
        if total > len(order):
            order = torch.cat([order, order[: total - len(order)]])
        return order[self.rank::self.world_size]

    def _epoch_batches(self, epoch: int, first: int) -> List[torch.Tensor]:
        order = self.epoch_indices(epoch)
        return [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(first, self.steps_per_epoch)]

    def __iter__(self) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        epoch, first = divmod(self.start_step, self.steps_per_epoch)
        while True:
            batches = self._epoch_batches(epoch, first)
            yield from self._load(batches)
            epoch, first = epoch + 1, 0

    def _load(self, batches: List[torch.Tensor]) -> Iterator[Tuple[torch.Tensor, torch.Tensor]]:
        if isinstance(self.dataset, ArrayDataset) or self.num_workers == 0:
            for indices in batches:
                images, labels = self.dataset.batch(indices)
                if self.augment is not None:
                    images, labels = self.augment(images, labels)
                yield images, labels
            return
        loader = torch.utils.data.DataLoader(self.dataset, batch_sampler=[b.tolist() for b in batches],
                                             num_workers=self.num_workers)
        yield from loader
