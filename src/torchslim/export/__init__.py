"""Deploying a Slim net: export to ONNX / ``torch.export`` files, run them, and classify images.

* :func:`export_model` writes a model's inference graph with its weights (``.onnx`` or ``.pt2``);
  :func:`exported_program` gives the ``torch.export`` program itself.
* :func:`load_exported` runs an exported file (onnxruntime or ``torch.export.load``).
* ``torchslim export`` and ``torchslim classify`` are the commands (:mod:`torchslim.export.cli`).
"""

from torchslim.export.graph import (FORMATS, METADATA_KEY, ExportError, ExportInfo, InferenceGraph,
                                    export_model, exported_program)
from torchslim.export.runtime import ExportedNet, load_exported, read_info

__all__ = ["FORMATS", "METADATA_KEY", "ExportError", "ExportInfo", "InferenceGraph", "export_model",
           "exported_program", "ExportedNet", "load_exported", "read_info"]
