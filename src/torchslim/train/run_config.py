"""A run's configuration, ``run_config.json``: what a run directory was trained with, and what it builds.

``torchslim train`` writes the resolved flags of a run into its directory; resuming, evaluating and
fine-tuning read them back to rebuild the same data set (:func:`load_dataset`) and the same net
(:func:`model_from_config`, through :func:`torchslim.nets.nets_factory.build_model`).
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict

import torch

from torchslim import checkpoint
from torchslim.io.atomic import atomic_write_bytes
from torchslim.nets import nets_factory
from torchslim.preprocessing import preprocessing_factory
from torchslim.train import data as data_lib

__all__ = ["RUN_CONFIG", "IDENTITY", "read_run_config", "write_run_config", "check_same_run", "resolve",
           "load_dataset", "model_from_config"]

RUN_CONFIG = "run_config.json"
#: What a run directory's configuration must keep for its checkpoints to stay loadable.
IDENTITY = ("model_name", "num_classes", "image_size", "channels")


def read_run_config(train_dir: str) -> Dict[str, Any]:
    """The ``run_config.json`` of a run directory.

    Raises:
      FileNotFoundError: naming the file when it is missing.
    """
    path = os.path.join(train_dir, RUN_CONFIG)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no run configuration (is {train_dir} a 'torchslim train' run "
                                "directory? Otherwise pass --model_name and the data set flags)")
    with open(path, "r", encoding="utf-8") as handle:
        return json.load(handle)


def write_run_config(train_dir: str, config: Dict[str, Any]) -> None:
    """Writes ``config`` as the run directory's ``run_config.json`` (atomically; creates the directory)."""
    os.makedirs(train_dir, exist_ok=True)
    atomic_write_bytes(os.path.join(train_dir, RUN_CONFIG), (json.dumps(config, indent=1) + "\n").encode())


def check_same_run(train_dir: str, config: Dict[str, Any]) -> None:
    """Refuses to resume a run directory whose checkpoints belong to another net or data shape.

    Raises:
      ValueError: naming the :data:`IDENTITY` settings that differ, when ``train_dir`` has a checkpoint.
    """
    if not os.path.exists(os.path.join(train_dir, RUN_CONFIG)):
        return
    old = read_run_config(train_dir)
    changed = [k for k in IDENTITY if old.get(k) != config.get(k)]
    if changed and checkpoint.latest_checkpoint(train_dir):
        details = ", ".join(f"{k}: {old.get(k)!r} -> {config.get(k)!r}" for k in changed)
        raise ValueError(f"--train_dir {train_dir} holds a run with another configuration ({details}); "
                         "use a new --train_dir or the same flags to resume it")


def resolve(config: Dict[str, Any]) -> Dict[str, Any]:
    """``config`` with the image size and channels filled in from the net and the data set.

    Raises:
      ValueError: ``--model_name: unknown net ...`` naming the choices.
    """
    out = dict(config)
    name = nets_factory.check_flag(out["model_name"])
    if not out.get("image_size"):
        out["image_size"] = nets_factory.default_image_size(name)
    if not out.get("channels"):
        out["channels"] = 3 if out.get("dataset_dir") else 1
    return out


def load_dataset(config: Dict[str, Any], split: str, training: bool = False):
    """The run's data set: the digits or an image folder, preprocessed for ``split``.

    Image folders go through ``preprocessing_factory.get_preprocessing(preprocessing_name or
    model_name)``, as the Slim scripts preprocess their TFRecord data sets.

    Args:
      config: a run configuration (``TrainConfig`` as a dict).
      split: ``train`` or ``validation``.
      training: preprocess with the training (random) path of the net's preprocessing.

    Returns:
      An ``ArrayDataset``, ``ImageFolderDataset`` or (with ``dataset_name``) a Slim TFRecord split.

    Raises:
      ValueError: ``dataset_name`` without ``dataset_dir``, or a net ``preprocessing_factory`` does not
        know without ``preprocessing_name``.
    """
    config = resolve(config)
    size, channels = int(config["image_size"]), int(config["channels"])
    if config.get("dataset_name"):
        return _slim_split(config, split, training, size, channels)
    if not config.get("dataset_dir"):
        return data_lib.load_digits(split, image_size=size, channels=channels)
    name = config.get("preprocessing_name") or config["model_name"]
    grayscale = bool(config.get("use_grayscale"))
    preprocess = preprocessing_factory.get_preprocessing(name, is_training=training, use_grayscale=grayscale)
    wanted = 3 if grayscale else channels  # with use_grayscale the preprocessing makes the grey channel

    def transform(image: torch.Tensor) -> torch.Tensor:
        if image.shape[-1] != wanted:
            image = image.expand(-1, -1, wanted) if image.shape[-1] == 1 else image[..., :1]
        return preprocess(image, size, size)

    return data_lib.image_folder(config["dataset_dir"], split, seed=0, transform=transform)


def _slim_split(config: Dict[str, Any], split: str, training: bool, size: int, channels: int):
    """A TFRecord split of one of Slim's data sets (``--dataset_name``), as the Slim scripts read it.

    ``split`` ``train`` is ``--dataset_split_name``; ``validation`` is ``eval_split_name`` when the
    configuration has one, else the data set's held-out split (``validation`` or ``test``).
    """
    from torchslim.datasets import classification

    if not config.get("dataset_dir"):
        raise ValueError(f"--dataset_name {config['dataset_name']} needs --dataset_dir (the folder of its TFRecord "
                         "files, as download_and_convert_data.py or 'torchslim convert-data' writes them)")
    name = config["dataset_name"]
    if split == "train":
        split_name = config.get("dataset_split_name") or "train"
    else:
        split_name = config.get("eval_split_name") or classification.held_out_split_name(
            name, config.get("dataset_split_name") or "train")
    return classification.load_split(name, split_name, config["dataset_dir"],
                                     config.get("preprocessing_name") or config["model_name"], size, training,
                                     channels, int(config.get("labels_offset") or 0),
                                     bool(config.get("use_grayscale")))


def model_from_config(config: Dict[str, Any], dataset, device: Any = "cpu") -> torch.nn.Module:
    """The run's net, built on ``device`` (``nets_factory.build_model`` with the run's settings).

    Args:
      config: a run configuration.
      dataset: gives the number of classes when the configuration does not.
      device: where the variables go.

    Returns:
      The built ``slim.Model`` (``is_training`` follows ``train()`` / ``eval()``).
    """
    config = resolve(config)
    return nets_factory.build_model(config["model_name"], num_classes=config.get("num_classes") or dataset.num_classes,
                                    weight_decay=config.get("weight_decay", 0.0), image_size=int(config["image_size"]),
                                    channels=int(config["channels"]), device=device)
