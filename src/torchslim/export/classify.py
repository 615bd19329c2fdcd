"""Classifying images with a Slim net: the net's evaluation preprocessing, then its top-k classes.

::

    model = build_net("resnet_v2_50", checkpoint_path="resnet_v2_50.ckpt")       # 1001 classes
    results = classify_files(model, "resnet_v2_50", ["cat.jpg"])
    results[0]["top"][0]     # {"index": 286, "label": 286, "name": "Egyptian cat", "probability": 0.8}

Probabilities are the softmax of the logits (the nets' ``Predictions`` end point).
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from torchslim.model import Model
from torchslim.preprocessing import preprocessing_factory

__all__ = ["eval_preprocessing", "to_channels", "top_k", "classify_batch", "classify_files", "format_results"]

# tf.image.rgb_to_grayscale's weights
_GRAY = (0.2989, 0.5870, 0.1140)


def eval_preprocessing(model_name: str, image_size: int,
                       preprocessing_name: Optional[str] = None) -> Callable[[np.ndarray], torch.Tensor]:
    """The net's evaluation preprocessing, as ``eval_image_classifier.py`` applies it.

    Args:
      model_name: the net; picks the preprocessing as Slim's ``preprocessing_factory`` does.
      image_size: output height and width.
      preprocessing_name: a preprocessing name instead of the net's (``cifarnet``, ``inception``,
        ``lenet``, ``vgg``).

    Returns:
      ``fn(image)``: ``[H, W, C]`` uint8 -> ``[image_size, image_size, C]`` float32 tensor.

    Raises:
      ValueError: when no preprocessing is known for the net.
    """
    fn = preprocessing_factory.get_preprocessing(preprocessing_name or model_name, is_training=False)

    def preprocess(image: np.ndarray) -> torch.Tensor:
        return fn(torch.from_numpy(np.ascontiguousarray(image)), image_size, image_size)

    return preprocess


def to_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """``[H, W, C]`` uint8 with ``channels`` channels: gray repeated to RGB, or RGB to gray (TF's weights).

    Raises:
      ValueError: for channel counts other than 1 and 3.
    """
    have = image.shape[-1]
    if have == channels:
        return image
    if have == 1 and channels == 3:
        return np.repeat(image, 3, axis=-1)
    if have == 3 and channels == 1:
        gray = image.astype(np.float32) @ np.asarray(_GRAY, dtype=np.float32)
        return np.clip(np.rint(gray), 0, 255).astype(np.uint8)[..., None]
    raise ValueError(f"cannot turn a {have}-channel image into {channels} channels")


def top_k(logits: torch.Tensor, labels: Dict[int, str], k: int = 5, labels_offset: int = 0) -> List[List[dict]]:
    """The ``k`` most probable classes of each row of ``[batch, classes]`` logits.

    Args:
      logits: ``[batch, classes]`` (extra size-1 dimensions are squeezed).
      labels: name of each output index (:func:`torchslim.export.labels.output_labels`).
      k: how many classes (at most the number of classes).
      labels_offset: added to an output index to give the data set's label.

    Returns:
      Per image, ``k`` dicts ``{"index", "label", "name", "probability"}``, most probable first
      (ties: lower index first).

    Raises:
      ValueError: for logits that are not one row of class scores per image.
    """
    scores = logits.detach().float().cpu()
    if scores.dim() > 2:
        scores = scores.reshape(scores.shape[0], -1)
    if scores.dim() != 2:
        raise ValueError(f"expected [batch, classes] logits, got shape {list(logits.shape)}")
    probabilities = torch.softmax(scores, dim=-1)
    k = min(k, scores.shape[1])
    order = torch.sort(probabilities, dim=-1, descending=True, stable=True).indices[:, :k]
    return [[{"index": int(i), "label": int(i) + labels_offset, "name": labels.get(int(i), str(int(i))),
              "probability": float(row[i])} for i in indices]
            for row, indices in zip(probabilities, order)]


def classify_batch(model: Model, images: torch.Tensor, labels: Dict[int, str], k: int = 5,
                   labels_offset: int = 0) -> List[List[dict]]:
    """Runs ``model`` (eval mode, no gradients) on preprocessed NHWC ``images``; :func:`top_k` of its logits."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            outputs = model(images)
    finally:
        model.train(was_training)
    logits = outputs[0] if isinstance(outputs, (tuple, list)) else outputs
    return top_k(logits, labels, k, labels_offset)


def classify_files(model: Model, model_name: str, paths: Sequence["str | os.PathLike[str]"],
                   labels: Dict[int, str], image_size: int, k: int = 5, labels_offset: int = 0,
                   channels: int = 3, preprocessing_name: Optional[str] = None,
                   batch_size: int = 32) -> List[dict]:
    """Reads, preprocesses and classifies image files.

    Args:
      model: the net (see :func:`torchslim.export.nets.build_net`).
      model_name: the net's name (picks the preprocessing).
      paths: image files (``.ppm/.pgm``, ``.npy``; ``.png/.jpg`` with Pillow).
      labels: name of each output index.
      image_size: the net's input size.
      k: classes per image.
      labels_offset: added to an output index to give the data set's label.
      channels: the net's input channels.
      preprocessing_name: overrides the preprocessing picked by ``model_name``.
      batch_size: images per forward pass.

    Returns:
      Per file ``{"image": path, "top": [...]}`` (see :func:`top_k`), in the order given.

    Raises:
      ValueError / ImportError: naming a file that cannot be read.
    """
    from torchslim.train.data import read_image

    preprocess = eval_preprocessing(model_name, image_size, preprocessing_name)
    results: List[dict] = []
    paths = [os.fspath(path) for path in paths]
    for start in range(0, len(paths), batch_size):
        chunk = paths[start:start + batch_size]
        images = torch.stack([preprocess(to_channels(read_image(path), channels)) for path in chunk])
        for path, top in zip(chunk, classify_batch(model, images, labels, k, labels_offset)):
            results.append({"image": path, "top": top})
    return results


def format_results(results: List[dict]) -> str:
    """Text for :func:`classify_files`' results: per image its path, then one ``probability label name`` line per class."""
    lines: List[str] = []
    for result in results:
        lines.append(result["image"])
        lines += [f"  {entry['probability']:.4f}  {entry['label']:>5}  {entry['name']}" for entry in result["top"]]
    return "\n".join(lines)
