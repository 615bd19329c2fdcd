"""``torchslim summary NET``: a net's variables, end points and parameter counts, as TF-Slim names them."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any, Dict, List

import torch


def describe(name: str, num_classes: int = 1000, image_size: int = 0, batch_size: int = 1) -> Dict[str, Any]:
    """Builds net ``name`` from the factory and describes it.

    Args:
      name: a name from ``torchslim.nets.nets_factory.list_networks()``.
      num_classes: logits width (0 or less for none where the net allows).
      image_size: input height and width (0: the net's default size).
      batch_size: batch of the example input.

    Returns:
      ``{"network", "input_shape", "variables": [[name, shape, trainable]], "end_points": [[key, shape]],
      "trainable_parameters", "non_trainable_values"}``.

    Raises:
      ValueError: for an unknown network name.
    """
    from torchslim.nets import nets_factory

    network_fn = nets_factory.get_network_fn(name, num_classes=num_classes if num_classes > 0 else None)
    size = image_size or network_fn.default_image_size
    model = nets_factory.create(name, num_classes=num_classes if num_classes > 0 else None)
    model.eval()
    with torch.no_grad():
        outputs = model(torch.zeros(nets_factory.default_input_shape(name, batch_size, size)))
    end_points = outputs[1] if isinstance(outputs, tuple) and len(outputs) == 2 and isinstance(outputs[1], dict) else {}
    variables = [[v.name, list(v.tf_shape), v.trainable] for v in model.tf_variables().values()]
    return {
        "network": name,
        "input_shape": nets_factory.default_input_shape(name, batch_size, size),
        "variables": variables,
        "end_points": [[key, list(value.shape)] for key, value in end_points.items() if torch.is_tensor(value)],
        "trainable_parameters": sum(math.prod(shape) for _, shape, trainable in variables if trainable),
        "non_trainable_values": sum(math.prod(shape) for _, shape, trainable in variables if not trainable),
    }


def format_summary(info: Dict[str, Any], show_variables: bool = True, show_end_points: bool = True) -> str:
    """Renders :func:`describe`'s result as aligned text."""
    lines: List[str] = [f"{info['network']}  input {info['input_shape']}"]
    if show_variables:
        width = max((len(name) for name, _, _ in info["variables"]), default=10)
        lines.append(f"\nvariables ({len(info['variables'])}):")
        lines += [f"  {name:<{width}}  {str(shape):<20} {'' if trainable else '(moving)'}"
                  for name, shape, trainable in info["variables"]]
    if show_end_points:
        width = max((len(key) for key, _ in info["end_points"]), default=10)
        lines.append(f"\nend points ({len(info['end_points'])}):")
        lines += [f"  {key:<{width}}  {shape}" for key, shape in info["end_points"]]
    lines.append(f"\ntrainable parameters: {info['trainable_parameters']:,}")
    lines.append(f"moving statistics (buffers): {info['non_trainable_values']:,}")
    return "\n".join(lines)


def add_summary_parser(subparsers) -> argparse.ArgumentParser:
    """Adds the ``summary`` command."""
    parser = subparsers.add_parser("summary", help="list a net's variables, end points and parameter count",
                                   description="Build a net from the factory on a zero input and list its TF "
                                               "variable names and shapes, end points and parameter counts.")
    parser.add_argument("network", help="network name, e.g. resnet_v2_50 (see --list)", nargs="?")
    parser.add_argument("--list", action="store_true", help="list the available networks and exit")
    parser.add_argument("--num-classes", "--num_classes", type=int, default=1000,
                        help="logits width; 0 builds the net without logits (default 1000)")
    parser.add_argument("--image-size", "--image_size", type=int, default=0,
                        help="input height/width (default: the net's default_image_size)")
    parser.add_argument("--no-variables", action="store_true", help="do not list variables")
    parser.add_argument("--no-end-points", action="store_true", help="do not list end points")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    return parser


def run_summary(args: argparse.Namespace) -> int:
    """Runs the ``summary`` command."""
    from torchslim.nets import nets_factory

    if args.list or not args.network:
        print("\n".join(nets_factory.list_networks()))
        return 0 if args.list else 2
    try:
        info = describe(args.network, args.num_classes, args.image_size)
    except ValueError as err:
        print(f"torchslim summary: {err}")
        return 2
    if args.json:
        print(json.dumps(info, indent=1))
    else:
        print(format_summary(info, not args.no_variables, not args.no_end_points))
    return 0
