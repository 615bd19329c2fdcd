"""An image folder to TFRecord shards + ``labels.txt``, laid out as Slim's ``download_and_convert_flowers``
(CIFAR-10's and MNIST's downloads: :mod:`~torchslim.datasets.convert_archives`; ImageNet's synset
folders: :mod:`~torchslim.datasets.convert_imagenet`; all behind ``torchslim convert-data``).

``root/<class name>/<image>`` becomes, in ``output_dir``::

    <name>_train_00000-of-00005.tfrecord ... <name>_validation_00004-of-00005.tfrecord   labels.txt

as Slim's converter makes them: classes sorted by name and numbered from 0; the file list shuffled
with Python's ``random.seed(seed); random.shuffle(...)``; the first ``num_validation`` files are the
validation split; each split cut into ``num_shards`` runs of ``ceil(n / num_shards)`` records
(every shard file is written, even when empty); each record is Slim's ``image_to_tfexample`` (the
file's bytes unchanged, ``image/format`` ``jpg`` / ``png`` / ..., label, height, width).
Unlike Slim (``os.listdir`` order) the files of a class are sorted first, so the result is the same
on every file system. The written data set reads back with ``dataset_factory`` (``flowers`` when
``name`` is ``flowers``) or ``generic.get_split(..., file_pattern='<name>_%s_*.tfrecord')``.
"""

from __future__ import annotations

import argparse
import math
import os
import random
from typing import Dict, List, Sequence, Tuple

from PIL import Image as PILImage

from torchslim.io.tfrecord import TFRecordWriter

from .dataset_utils import image_to_tfexample, write_label_file

__all__ = ["list_images", "convert_image_folder", "shard_filename", "add_convert_data_parser", "run_convert_data"]

_FORMAT_NAMES = {"JPEG": b"jpg", "PNG": b"png", "GIF": b"gif", "BMP": b"bmp"}


def list_images(root: str) -> Tuple[List[str], List[str]]:
    """``(files, class names)``: every file under ``root/<class>/`` (sorted), and the sorted class names.

    Raises:
      FileNotFoundError: if ``root`` has no class folders.
    """
    if not os.path.isdir(root):
        raise FileNotFoundError(f"{root}: not a folder of class folders")
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    if not classes:
        raise FileNotFoundError(f"{root}: no class folders (expected {root}/<class name>/<images>)")
    files = [os.path.join(root, c, f) for c in classes for f in sorted(os.listdir(os.path.join(root, c)))
             if os.path.isfile(os.path.join(root, c, f))]
    return files, classes


def shard_filename(output_dir: str, name: str, split_name: str, shard_id: int, num_shards: int) -> str:
    """``<output_dir>/<name>_<split>_<shard:05d>-of-<num_shards:05d>.tfrecord`` (Slim's naming)."""
    return os.path.join(output_dir, f"{name}_{split_name}_{shard_id:05d}-of-{num_shards:05d}.tfrecord")


def _image_record(path: str, class_id: int) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        with PILImage.open(path) as image:
            width, height = image.size
            image_format = image.format
    except Exception as error:  # Pillow raises several types for files it cannot read
        raise ValueError(f"{path}: not an image Pillow can read ({type(error).__name__}: {error})") from None
    if image_format not in _FORMAT_NAMES:
        raise ValueError(f"{path}: {image_format} images cannot be stored; use JPEG, PNG, GIF or BMP")
    return image_to_tfexample(data, _FORMAT_NAMES[image_format], height, width, class_id)


def _write_split(files: Sequence[str], class_ids: Dict[str, int], output_dir: str, name: str, split_name: str,
                 num_shards: int) -> List[str]:
    per_shard = int(math.ceil(len(files) / float(num_shards)))
    written = []
    for shard_id in range(num_shards):
        path = shard_filename(output_dir, name, split_name, shard_id, num_shards)
        with TFRecordWriter(path) as writer:
            for file in files[shard_id * per_shard:min((shard_id + 1) * per_shard, len(files))]:
                writer.write(_image_record(file, class_ids[os.path.basename(os.path.dirname(file))]))
        written.append(path)
    return written


def convert_image_folder(image_dir: str, output_dir: str, name: str = "flowers", num_shards: int = 5,
                         num_validation: int = 350, seed: int = 0) -> Dict[str, List[str]]:
    """Writes ``image_dir``'s class folders as Slim's train / validation TFRecord shards + ``labels.txt``.

    Args:
      image_dir: ``<image_dir>/<class name>/<images>``.
      output_dir: where the shards and ``labels.txt`` go (created if missing).
      name: the files' prefix (Slim's flowers converter: ``flowers``).
      num_shards: shards per split (Slim: 5).
      num_validation: images in the validation split (Slim: 350).
      seed: the shuffling seed (Slim: 0).

    Returns:
      ``{split name: [shard paths]}``.

    Raises:
      ValueError: if ``num_validation`` leaves no training images, or a file is not a storable image.
      FileNotFoundError: if ``image_dir`` has no class folders.
    """
    files, classes = list_images(image_dir)
    if not 0 <= num_validation < len(files):
        raise ValueError(f"{image_dir}: num_validation={num_validation} must be in [0, {len(files)}) "
                         f"({len(files)} images)")
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    random.seed(seed)
    random.shuffle(files)
    os.makedirs(output_dir, exist_ok=True)
    class_ids = {c: i for i, c in enumerate(classes)}
    splits = {"train": files[num_validation:], "validation": files[:num_validation]}
    written = {split: _write_split(split_files, class_ids, output_dir, name, split, num_shards)
               for split, split_files in splits.items()}
    write_label_file(dict(enumerate(classes)), output_dir)
    return written


_ARCHIVES = ("cifar10", "mnist")


def add_convert_data_parser(subparsers) -> argparse.ArgumentParser:
    """The ``torchslim convert-data`` flags (those of Slim's ``download_and_convert_data.py`` that apply)."""
    parser = subparsers.add_parser(
        "convert-data", help="image folder, CIFAR-10 or MNIST download -> Slim's TFRecords + labels.txt",
        description="Writes Slim's TFRecord files + labels.txt as download_and_convert_data.py does, from files "
                    "you have (nothing is downloaded): --image_dir <dir>/<class>/<images> in the flowers layout "
                    "(shards, train/validation), or --dataset_name cifar10 --source cifar-10-python.tar.gz, or "
                    "--dataset_name mnist --source <folder of the four *-idx?-ubyte.gz files>, or --dataset_name "
                    "imagenet with build_imagenet_data.py's flags.")
    parser.add_argument("--image_dir", default=None, help="folder of class folders (the flowers layout)")
    parser.add_argument("--source", default=None,
                        help="with --dataset_name cifar10: cifar-10-python.tar.gz or its extracted folder; with "
                             "mnist: the folder of train/t10k-images/labels-idx?-ubyte.gz")
    parser.add_argument("--dataset_dir", required=True, help="where the TFRecord files and labels.txt are written")
    parser.add_argument("--dataset_name", default="flowers",
                        help="cifar10 or mnist (with --source), else the image folder's file prefix (default: "
                             "flowers)")
    imagenet = parser.add_argument_group("--dataset_name imagenet (build_imagenet_data.py's flags)")
    for name, text in (("train_directory", "<dir>/<synset>/<images> of the training split"),
                       ("validation_directory", "<dir>/<synset>/<images> of the validation split"),
                       ("labels_file", "one synset per line (label = line number, from 1)"),
                       ("imagenet_metadata_file", "'<synset>\\t<text>' lines"),
                       ("bounding_box_file", "'<file>,xmin,ymin,xmax,ymax' lines (optional)")):
        imagenet.add_argument(f"--{name}", default=None, help=text)
    imagenet.add_argument("--train_shards", type=int, default=1024, help="training shards (default 1024)")
    imagenet.add_argument("--validation_shards", type=int, default=128, help="validation shards (default 128)")
    parser.add_argument("--num_shards", type=int, default=5, help="shards per split (default: 5)")
    parser.add_argument("--num_validation", type=int, default=350, help="validation images (default: 350)")
    parser.add_argument("--random_seed", type=int, default=0, help="shuffling seed (default: 0)")
    return parser


def run_convert_data(args: argparse.Namespace) -> int:
    """Runs ``torchslim convert-data``; prints the files written (exit status 1 with a message on bad input)."""
    import sys

    try:
        return _convert(args)
    except (ValueError, FileNotFoundError) as exc:
        print(f"torchslim convert-data: error: {exc}", file=sys.stderr)
        return 1


def _convert_imagenet(args: argparse.Namespace) -> int:
    from .convert_imagenet import convert_imagenet_split

    if not (args.labels_file and args.imagenet_metadata_file):
        raise ValueError("--dataset_name imagenet needs --labels_file and --imagenet_metadata_file")
    splits = [(d, n, k) for d, n, k in ((args.train_directory, "train", args.train_shards),
                                        (args.validation_directory, "validation", args.validation_shards)) if d]
    if not splits:
        raise ValueError("--dataset_name imagenet needs --train_directory and/or --validation_directory")
    for directory, split, shards in splits:
        convert_imagenet_split(directory, split, args.dataset_dir, args.labels_file, args.imagenet_metadata_file,
                               shards, args.bounding_box_file)
        print(f"{split}: {shards} shards in {args.dataset_dir}")
    return 0


def _convert(args: argparse.Namespace) -> int:
    if args.dataset_name == "imagenet":
        return _convert_imagenet(args)
    if args.dataset_name in _ARCHIVES:
        from . import convert_archives

        if not args.source:
            raise ValueError(f"--dataset_name {args.dataset_name} needs --source (the downloaded files)")
        convert = convert_archives.convert_cifar10 if args.dataset_name == "cifar10" else convert_archives.convert_mnist
        for split, count in convert(args.source, args.dataset_dir).items():
            print(f"{split}: {count} images in {os.path.join(args.dataset_dir, f'{args.dataset_name}_{split}.tfrecord')}")
        print(f"labels: {os.path.join(args.dataset_dir, 'labels.txt')}")
        return 0
    if not args.image_dir:
        raise ValueError(f"--dataset_name {args.dataset_name} converts an image folder: give --image_dir (or "
                         f"--dataset_name {' / '.join(_ARCHIVES)} with --source)")
    written = convert_image_folder(args.image_dir, args.dataset_dir, args.dataset_name, args.num_shards,
                                   args.num_validation, args.random_seed)
    for split, paths in written.items():
        print(f"{split}: {len(paths)} shards in {args.dataset_dir}")
    print(f"labels: {os.path.join(args.dataset_dir, 'labels.txt')}")
    return 0
