"""Running an exported Slim net: ``.onnx`` in onnxruntime, ``.pt2`` through ``torch.export.load``.

::

    net = load_exported("resnet_v2_50.onnx")        # or .pt2
    outputs = net(images)                           # {"logits": ndarray, "predictions": ndarray}
    net.info.input_shape                            # [None, 224, 224, 3]
"""

from __future__ import annotations

import os
from typing import Callable, Dict, Optional

import numpy as np
import torch

from torchslim.export.graph import FORMATS, METADATA_KEY, ExportInfo

__all__ = ["ExportedNet", "load_exported", "read_info"]


class ExportedNet:
    """An exported file, loaded: ``net(images) -> {output name: float32 ndarray}``.

    Attributes:
      path: the file.
      info: its :class:`~torchslim.export.graph.ExportInfo`.
      runtime: ``'onnxruntime'`` or ``'torch.export'``.
    """

    def __init__(self, path: str, info: ExportInfo, runtime: str, run: Callable[[np.ndarray], list]):
        self.path = path
        self.info = info
        self.runtime = runtime
        self._run = run

    def __call__(self, images) -> Dict[str, np.ndarray]:
        """Runs the net on NHWC float32 ``images`` (ndarray or tensor)."""
        array = images.detach().cpu().numpy() if torch.is_tensor(images) else np.asarray(images)
        self._check_shape(array.shape)
        outputs = self._run(np.ascontiguousarray(array, dtype=np.float32))
        names = self.info.output_names or [f"output_{i}" for i in range(len(outputs))]
        return dict(zip(names, outputs))

    def _check_shape(self, shape) -> None:
        want = self.info.input_shape
        if want and (len(shape) != len(want) or any(w is not None and w != s for w, s in zip(want, shape))):
            shown = ["batch" if w is None else w for w in want]
            raise ValueError(f"{self.path}: {self.info.model_name} takes input {shown}, got {list(shape)}")

    def __repr__(self) -> str:
        return f"ExportedNet({self.path!r}, {self.info.model_name}, {self.runtime})"


def _format_of(path: str) -> str:
    fmt = FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise ValueError(f"{path}: not an exported net; expected a file ending in {' or '.join(FORMATS)}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file")
    return fmt


def read_info(path: "str | os.PathLike[str]") -> Optional[ExportInfo]:
    """The :class:`ExportInfo` that :func:`~torchslim.export.export_model` stored in ``path`` (None if absent)."""
    path = os.fspath(path)
    if _format_of(path) == "onnx":
        import onnx

        proto = onnx.load(path, load_external_data=False)
        text = next((p.value for p in proto.metadata_props if p.key == METADATA_KEY), None)
    else:
        extra = {METADATA_KEY: ""}
        torch.export.load(path, extra_files=extra)
        text = extra[METADATA_KEY] or None
    return ExportInfo.from_json(text) if text else None


def _onnx_runner(path: str, num_threads: int):
    try:
        import onnxruntime
    except ImportError:
        raise ImportError(f"{path}: running an ONNX file needs onnxruntime; pip install 'torchslim[export]'"
                          ) from None
    options = onnxruntime.SessionOptions()
    if num_threads:
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    input_name = session.get_inputs()[0].name
    names = [output.name for output in session.get_outputs()]

    def run(images: np.ndarray) -> list:
        return session.run(names, {input_name: images})

    return run, names


def _pt2_runner(path: str):
    extra = {METADATA_KEY: ""}
    module = torch.export.load(path, extra_files=extra).module()

    def run(images: np.ndarray) -> list:
        with torch.no_grad():
            outputs = module(torch.from_numpy(images))
        return [output.numpy() for output in outputs]

    return run, extra[METADATA_KEY]


def load_exported(path: "str | os.PathLike[str]", num_threads: int = 0) -> ExportedNet:
    """Loads an exported net for inference on the CPU.

    Args:
      path: a ``.onnx`` or ``.pt2`` file written by :func:`~torchslim.export.export_model` (other
        files of those formats load too; their outputs are then called ``output_0``, ...).
      num_threads: onnxruntime's intra-op threads (0: its default).

    Returns:
      An :class:`ExportedNet`.

    Raises:
      ValueError: for another extension. FileNotFoundError: for a missing file.
      ImportError: for ``.onnx`` without onnxruntime.
    """
    path = os.fspath(path)
    if _format_of(path) == "onnx":
        run, names = _onnx_runner(path, num_threads)
        info = read_info(path)
        runtime = "onnxruntime"
    else:
        run, text = _pt2_runner(path)
        info, names = (ExportInfo.from_json(text) if text else None), None
        runtime = "torch.export"
    if info is None:
        info = ExportInfo(model_name=os.path.basename(path), input_shape=[],
                          output_names=list(names) if names else [])
    return ExportedNet(path, info, runtime, run)
