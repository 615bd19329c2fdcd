"""A Slim net as a deployable inference graph: ``.onnx`` (PyTorch's ONNX exporter) or ``.pt2`` (``torch.export``).

What TF-Slim's ``export_inference_graph.py`` + ``freeze_graph`` produced, on PyTorch: one file holding
the weights and the forward pass in inference mode (batch norm on its moving statistics, dropout off),
taking the NHWC float32 images TF-Slim's ``input`` placeholder took, ``[batch, height, width, channels]``,
and giving the net's outputs:

* ``logits`` and ``predictions`` (the softmax end point) for a classifier, which is what the Slim nets
  return when they have a ``Predictions`` / ``predictions`` end point;
* ``output`` (the net's first return value: features, embeddings, images) for any other net.

The batch dimension is dynamic unless a batch size is given. Both formats come from one
``torch.export`` trace of the model's eager call, so the Python of the net (``arg_scope``, scopes,
``is_training``) runs for real and the graph holds only tensor operations. ``.onnx`` needs the
``onnx`` and ``onnxscript`` packages (``pip install 'torchslim[export]'``, which adds onnxruntime)
and a PyTorch whose ``torch.onnx.export`` takes an ``ExportedProgram`` with ``dynamo=True``;
tested with torch 2.13, onnx 1.23, onnxscript 0.7 and onnxruntime 1.32.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import torch
from torch import nn

from torchslim.model import Model

__all__ = ["ExportError", "ExportInfo", "InferenceGraph", "export_model", "exported_program", "FORMATS",
           "METADATA_KEY"]

#: file extension -> format name
FORMATS = {".onnx": "onnx", ".pt2": "pt2"}

#: the key of the JSON :class:`ExportInfo` in an ONNX file's metadata and a ``.pt2`` file's extra files
METADATA_KEY = "torchslim"

_PREDICTION_KEYS = ("Predictions", "predictions")


class ExportError(RuntimeError):
    """A net could not be exported; the message names the net and the step that failed."""


@dataclass
class ExportInfo:
    """What an exported file holds, stored in it as JSON (see :data:`METADATA_KEY`).

    Attributes:
      model_name: the net's name (the factory name, or the model function's name).
      input_shape: ``[batch, height, width, channels]``; batch is None when dynamic.
      input_name: the input's name (``input``, as TF-Slim's placeholder).
      output_names: ``['logits', 'predictions']`` for a classifier, else ``['output']``.
      labels_offset: added to an output index to get the data set's label (``--labels_offset``).
      extra: anything else the caller records (``num_classes``, ``checkpoint``...).
    """

    model_name: str
    input_shape: List[Optional[int]]
    input_name: str = "input"
    output_names: List[str] = field(default_factory=list)
    labels_offset: int = 0
    extra: Dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ExportInfo":
        return cls(**json.loads(text))


class InferenceGraph(nn.Module):
    """The module that is exported: ``images -> (logits, predictions)`` or ``images -> (output,)``.

    Args:
      model: the (built) Slim model; it is called in whatever mode it is in (export puts it in eval).
      with_predictions: also return the net's predictions end point.
    """

    def __init__(self, model: Model, with_predictions: bool):
        super().__init__()
        self.model = model
        self.with_predictions = with_predictions

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outputs = self.model(images)
        first, end_points = _split_outputs(outputs)
        if not self.with_predictions:
            return (first,)
        return first, _predictions(end_points)


def _split_outputs(outputs: Any) -> Tuple[torch.Tensor, Dict[str, Any]]:
    """``(first tensor, end_points)`` from what a Slim net returns (a tensor, or ``(net, end_points)``)."""
    if torch.is_tensor(outputs):
        return outputs, {}
    if isinstance(outputs, (tuple, list)) and outputs and torch.is_tensor(outputs[0]):
        end_points = outputs[1] if len(outputs) > 1 and isinstance(outputs[1], dict) else {}
        return outputs[0], end_points
    raise TypeError(f"expected the net to return a tensor or (tensor, end_points), got {type(outputs).__name__}")


def _predictions(end_points: Dict[str, Any]) -> torch.Tensor:
    for key in _PREDICTION_KEYS:
        if torch.is_tensor(end_points.get(key)):
            return end_points[key]
    raise KeyError("the net has no Predictions end point")


def _output_names(model: Model, example: torch.Tensor) -> List[str]:
    """``['logits', 'predictions']`` when the net has a predictions end point, else ``['output']``."""
    with torch.no_grad():
        _, end_points = _split_outputs(model(example))
    has_predictions = any(torch.is_tensor(end_points.get(key)) for key in _PREDICTION_KEYS)
    return ["logits", "predictions"] if has_predictions else ["output"]


def _model_name(model: Model, model_name: Optional[str]) -> str:
    if model_name:
        return model_name
    fn = getattr(model, "_fn", None)
    return getattr(fn, "__name__", type(model).__name__)


def _device_of(model: Model) -> torch.device:
    for tensor in list(model.parameters()) + list(model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _input_shape(model: Model, image_size: Union[int, Sequence[int]], batch_size: Optional[int],
                 channels: int) -> List:
    """``[batch, H, W, C]``, or ``[batch, frames, H, W, C]`` for a video net's model (``default_num_frames``)."""
    height, width = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    frames = getattr(model, "default_num_frames", None)
    return [batch_size] + ([int(frames)] if frames else []) + [int(height), int(width), int(channels)]


def exported_program(model: Model, image_size: Union[int, Sequence[int]], batch_size: Optional[int] = None,
                     channels: int = 3, model_name: Optional[str] = None
                     ) -> Tuple[torch.export.ExportedProgram, ExportInfo]:
    """Traces ``model`` in inference mode with ``torch.export``.

    The model is put in eval mode for the trace (and put back in its mode after), and built first
    if it has no variables yet.

    Args:
      model: a ``slim.Model`` taking NHWC images.
      image_size: input height and width (an int for square inputs, or ``(height, width)``).
      batch_size: a fixed batch size, or None for a dynamic batch dimension.
      channels: input channels (3; 1 for grayscale nets such as LeNet).
      model_name: the name errors and the file's metadata give (default: the model function's name).

    Returns:
      ``(exported_program, info)``; the program's inputs are ``(images,)`` and its outputs
      ``info.output_names``, in that order.

    Raises:
      ExportError: naming the net, when it cannot be run or traced at that input shape.
      TypeError: if ``model`` is not a ``slim.Model``.
    """
    if not isinstance(model, Model):
        raise TypeError(f"export needs a slim.Model, got {type(model).__name__}")
    name = _model_name(model, model_name)
    shape = _input_shape(model, image_size, batch_size, channels)
    # A dynamic batch is traced at batch 2: batch 1 would be specialised as a constant.
    example = torch.zeros([batch_size or 2] + shape[1:], dtype=torch.float32, device=_device_of(model))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            try:
                output_names = _output_names(model, example)
            except Exception as err:
                raise ExportError(f"{name}: the net does not run on a {list(example.shape)} NHWC input: "
                                  f"{type(err).__name__}: {err}") from err
            graph = InferenceGraph(model, with_predictions=len(output_names) == 2)
            dynamic = None if batch_size else ({0: torch.export.Dim("batch", min=1)},)
            try:
                program = torch.export.export(graph, (example,), dynamic_shapes=dynamic, strict=False)
            except Exception as err:
                raise ExportError(f"{name}: torch.export could not trace the net at input {shape}: "
                                  f"{type(err).__name__}: {err}") from err
    finally:
        model.train(was_training)
    return program, ExportInfo(model_name=name, input_shape=shape, output_names=output_names)


def export_model(model: Model, output: "str | os.PathLike[str]", image_size: Union[int, Sequence[int]] = 224,
                 batch_size: Optional[int] = None, channels: int = 3, model_name: Optional[str] = None,
                 labels_offset: int = 0, extra: Optional[Dict[str, Any]] = None) -> ExportInfo:
    """Writes ``model``'s inference graph with its weights to ``output`` (``.onnx`` or ``.pt2``).

    ``.onnx``: PyTorch's ONNX exporter (``torch.onnx.export(..., dynamo=True)``), weights inside the
    file, input ``input``, outputs ``info.output_names``; run it with onnxruntime. ``.pt2``:
    ``torch.export.save``; ``torch.export.load(path).module()(images)`` returns the outputs as a
    tuple (run it under ``torch.no_grad()``: the weights are parameters). Both files carry
    :class:`ExportInfo` as JSON under :data:`METADATA_KEY`.

    Args:
      model: a ``slim.Model`` taking NHWC images (built or not).
      output: the file to write; its extension picks the format.
      image_size: input height and width (int or ``(height, width)``).
      batch_size: a fixed batch size, or None (default) for a dynamic batch, as TF-Slim's
        ``export_inference_graph.py`` defaults to.
      channels: input channels.
      model_name: the net's name, for errors and the metadata.
      labels_offset: recorded in the metadata (the data set label of output index ``i`` is
        ``i + labels_offset``).
      extra: more JSON-able facts to record in the metadata.

    Returns:
      The :class:`ExportInfo` written into the file.

    Raises:
      ValueError: for an extension other than ``.onnx`` / ``.pt2``.
      ImportError: for ``.onnx`` without the ``onnx`` / ``onnxscript`` packages (``torchslim[export]``).
      ExportError: naming the net and the step (trace, ONNX conversion, writing) that failed.
    """
    path = os.fspath(output)
    fmt = FORMATS.get(os.path.splitext(path)[1].lower())
    if fmt is None:
        raise ValueError(f"{path}: unknown export format; the file name must end in "
                         f"{' or '.join(FORMATS)}")
    if fmt == "onnx":
        _require_onnx(_model_name(model, model_name))
    program, info = exported_program(model, image_size, batch_size, channels, model_name)
    info.labels_offset = int(labels_offset)
    info.extra = dict(extra or {})
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if fmt == "onnx":
        _write_onnx(program, info, path)
    else:
        _write_pt2(program, info, path)
    return info


def _require_onnx(name: str) -> None:
    missing = [module for module in ("onnx", "onnxscript") if not _importable(module)]
    if missing:
        raise ImportError(f"{name}: exporting to ONNX needs {' and '.join(missing)}, which "
                          f"{'is' if len(missing) == 1 else 'are'} not installed; "
                          "pip install 'torchslim[export]'")


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@contextlib.contextmanager
def _quiet_exporters():
    """Silences the exporters' chatter that says nothing about the user's net.

    The ONNX exporter logs a warning per torchvision operator it skips and prints its progress;
    ``torch.export.save`` warns that CPU weights have no "complete tensor"; PyTorch's pytree warns
    about its own deprecated ``LeafSpec``.
    """
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.filterwarnings("ignore", message=r".*No complete tensor found")
            warnings.filterwarnings("ignore", message=r".*LeafSpec", category=FutureWarning)
            yield
    finally:
        logger.setLevel(level)


def _write_pt2(program: torch.export.ExportedProgram, info: ExportInfo, path: str) -> None:
    try:
        with _quiet_exporters():
            torch.export.save(program, path, extra_files={METADATA_KEY: info.to_json()})
    except Exception as err:
        raise ExportError(f"{info.model_name}: writing {path} failed: {type(err).__name__}: {err}") from err


def _write_onnx(program: torch.export.ExportedProgram, info: ExportInfo, path: str) -> None:
    import onnx

    try:
        with _quiet_exporters():
            onnx_program = torch.onnx.export(program, input_names=[info.input_name],
                                             output_names=list(info.output_names), dynamo=True,
                                             external_data=False, verbose=False)
    except Exception as err:
        raise ExportError(f"{info.model_name}: PyTorch's ONNX exporter failed: {type(err).__name__}: {err}"
                          ) from err
    proto = onnx_program.model_proto
    if info.input_shape[0] is None:
        _name_batch_dimension(proto)
    entry = proto.metadata_props.add()
    entry.key, entry.value = METADATA_KEY, info.to_json()
    try:
        onnx.save_model(proto, path)
    except Exception as err:
        raise ExportError(f"{info.model_name}: writing {path} failed: {type(err).__name__}: {err}") from err


def _name_batch_dimension(proto) -> None:
    """Calls the dynamic first dimension of the inputs and outputs ``batch`` (the exporter says ``s0``)."""
    for value in list(proto.graph.input) + list(proto.graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims and dims[0].HasField("dim_param"):
            dims[0].dim_param = "batch"
