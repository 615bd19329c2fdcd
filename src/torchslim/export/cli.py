"""``torchslim export`` (Slim's ``export_inference_graph.py`` + ``freeze_graph``) and ``torchslim classify``.

Flags keep the Slim scripts' names (``--model_name``, ``--checkpoint_path``, ``--labels_offset``,
``--image_size``, ``--batch_size``, ``--use_grayscale``); each is also accepted with dashes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Optional

__all__ = ["add_export_parser", "run_export", "add_classify_parser", "run_classify"]

_EXPORT_EPILOG = """\
examples:
  torchslim export --model_name resnet_v2_50 --checkpoint_path resnet_v2_50.ckpt --output resnet_v2_50.onnx
  torchslim export --model_name resnet_v1_50 --checkpoint_path resnet_v1_50.ckpt --labels_offset 1 \\
      --batch_size 1 --output resnet_v1_50.pt2

The file holds the weights and the inference-mode graph: input 'input', NHWC float32
[batch, size, size, channels]; outputs 'logits' and 'predictions' (softmax), or 'output' for a net
without a Predictions end point. Run .onnx with onnxruntime, .pt2 with torch.export.load(path).module().
"""


def _flag(parser: argparse._ActionsContainer, name: str, **kwargs: Any) -> None:
    """Adds ``--name`` and, if it has underscores, ``--name-with-dashes``."""
    names = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
    parser.add_argument(*names, dest=name, **kwargs)


def _net_flags(parser: argparse.ArgumentParser, checkpoint_required: bool) -> None:
    _flag(parser, "model_name", required=True, help="the net, e.g. resnet_v2_50 (torchslim summary --list)")
    _flag(parser, "checkpoint_path", required=checkpoint_required, default=None, metavar="CKPT",
          help="TF checkpoint prefix, run directory or .safetensors file with the net's weights"
               + ("" if checkpoint_required else " (default: the initial values)"))
    _flag(parser, "num_classes", type=int, default=1001,
          help="classes of the data set (default 1001: Slim's ImageNet, class 0 = background)")
    _flag(parser, "labels_offset", type=int, default=0,
          help="labels the net does not predict, at the start: the net gets num_classes - labels_offset "
               "logits (1 for 1000-class ImageNet checkpoints such as ResNet v1 / VGG); a 1001-class "
               "checkpoint then loads without its background class")
    _flag(parser, "image_size", type=int, default=None, help="input height and width (default: the net's)")
    _flag(parser, "use_grayscale", action="store_true", help="one input channel instead of three")


def add_export_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``export`` command."""
    parser = subparsers.add_parser(
        "export", help="write a net with its weights as an ONNX or torch.export (.pt2) file",
        description="Export a Slim net in inference mode with its checkpoint's weights, as TF-Slim's "
                    "export_inference_graph.py + freeze_graph did: .onnx via PyTorch's ONNX exporter, "
                    ".pt2 via torch.export.",
        epilog=_EXPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    _net_flags(parser, checkpoint_required=False)
    batch = parser.add_mutually_exclusive_group()
    _flag(batch, "batch_size", type=int, default=None, help="a fixed batch size (default: dynamic)")
    _flag(batch, "dynamic_batch", action="store_true", help="a dynamic batch dimension (the default)")
    _flag(parser, "output", required=True, metavar="FILE", help="the file to write: NAME.onnx or NAME.pt2")
    return parser


def _fail(command: str, message: Any) -> int:
    print(f"torchslim {command}: {message}", file=sys.stderr)
    return 2


def _net_failure(command: str, args: argparse.Namespace, err: Exception) -> int:
    from torchslim.checkpoint import RestoreError

    message = f"{args.model_name}: {err}"
    if isinstance(err, RestoreError) and err.report.mismatched:
        message += ("\nhint: --num_classes (default 1001) and --labels_offset set the size of the logits; "
                    "give the checkpoint's")
    return _fail(command, message)


def _build(args: argparse.Namespace):
    from torchslim.export.nets import build_net, default_image_size

    size = args.image_size or default_image_size(args.model_name)
    channels = 1 if args.use_grayscale else 3
    model = build_net(args.model_name, args.num_classes, args.labels_offset, size, channels, args.checkpoint_path)
    return model, size, channels


def _basename(path: Optional[str]) -> Optional[str]:
    """The checkpoint's file name, for the exported file's metadata (no local directories in a shipped file)."""
    return os.path.basename(os.path.normpath(path)) if path else None


def _net_errors() -> tuple:
    from torchslim.checkpoint import CheckpointError, RestoreError

    return (ValueError, RestoreError, CheckpointError, FileNotFoundError)


def run_export(args: argparse.Namespace) -> int:
    """Runs the ``export`` command."""
    from torchslim.export.graph import ExportError, export_model

    if args.batch_size is not None and args.batch_size < 1:
        return _fail("export", f"--batch_size must be at least 1, got {args.batch_size}")
    try:
        model, size, channels = _build(args)
        info = export_model(model, args.output, image_size=size, batch_size=args.batch_size, channels=channels,
                            model_name=args.model_name, labels_offset=args.labels_offset,
                            extra={"num_classes": args.num_classes, "checkpoint": _basename(args.checkpoint_path)})
    except _net_errors() + (ExportError, ImportError) as err:
        return _net_failure("export", args, err)
    batch = info.input_shape[0] or "dynamic batch"
    print(f"wrote {args.output}: {info.model_name}, input {info.input_name} {info.input_shape[1:]} ({batch}), "
          f"outputs {', '.join(info.output_names)}")
    return 0


def add_classify_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``classify`` command."""
    parser = subparsers.add_parser(
        "classify", help="top-5 classes of images with a Slim net and checkpoint",
        description="Classify images: the net's evaluation preprocessing (as eval_image_classifier.py), "
                    "then the most probable classes with their probabilities. ImageNet names are built in "
                    "for 1000- and 1001-class nets.")
    parser.add_argument("images", nargs="+", metavar="IMAGE",
                        help="image files: .ppm/.pgm and .npy natively, .png/.jpg with Pillow")
    _net_flags(parser, checkpoint_required=True)
    _flag(parser, "labels_file", default=None, metavar="FILE",
          help="Slim's labels.txt ('0:daisy' lines) naming the labels (default: ImageNet's names for "
               "1000/1001-class nets, else the label numbers)")
    _flag(parser, "preprocessing_name", default=None,
          help="cifarnet, inception, lenet or vgg (default: by model name, as Slim's preprocessing_factory)")
    _flag(parser, "top_k", type=int, default=5, help="classes shown per image (default 5)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def run_classify(args: argparse.Namespace) -> int:
    """Runs the ``classify`` command."""
    from torchslim.export.classify import classify_files, format_results
    from torchslim.export.labels import output_labels
    from torchslim.export.nets import logits_classes

    try:
        model, size, channels = _build(args)
        outputs = logits_classes(args.num_classes, args.labels_offset)
        labels = output_labels(outputs, args.labels_offset, args.labels_file)
        results = classify_files(model, args.model_name, args.images, labels, size, args.top_k,
                                 args.labels_offset, channels, args.preprocessing_name)
    except _net_errors() + (ImportError,) as err:
        return _net_failure("classify", args, err)
    print(json.dumps(results, indent=1) if args.json else format_results(results))
    return 0
