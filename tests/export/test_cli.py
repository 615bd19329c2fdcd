"""``torchslim export``: the file, its metadata, and errors that name the net and what failed."""

from __future__ import annotations

import numpy as np
import pytest

from torchslim.cli import main
from torchslim.export import load_exported

from .conftest import TOLERANCE, scaled_error


def export(*flags: str) -> int:
    return main(["export", *flags])


@pytest.mark.slow
def test_export_tf_slim_checkpoint_to_pt2(fixtures_dir, tmp_path, capsys):
    case = fixtures_dir / "resnet_v2_small"
    output = tmp_path / "resnet_v2_small.pt2"
    assert export("--model_name", "resnet_v2_small", "--checkpoint_path", str(case / "model.ckpt"),
                  "--num_classes", "11", "--labels_offset", "1", "--image_size", "65", "--batch_size", "2",
                  "--output", str(output)) == 0
    assert capsys.readouterr().out.strip() == (
        f"wrote {output}: resnet_v2_small, input input [65, 65, 3] (2), outputs logits, predictions")
    net = load_exported(output)
    assert net.info.labels_offset == 1 and net.info.extra["num_classes"] == 11
    expected = np.load(case / "expected.npz")
    outputs = net(expected["inputs"])
    assert scaled_error(outputs["logits"], expected["logits"]) <= TOLERANCE


@pytest.mark.parametrize("flags, message", [
    (["--model_name", "no_such_net"], "torchslim export: no_such_net: --model_name: unknown net 'no_such_net'"),
    (["--model_name", "resnet_v2_small", "--num_classes", "10", "--labels_offset", "10"],
     "torchslim export: resnet_v2_small: --num_classes 10 --labels_offset 10: need 0 <= labels_offset"),
    (["--model_name", "resnet_v2_small", "--batch_size", "0"], "torchslim export: --batch_size must be at least 1"),
    (["--model_name", "resnet_v2_small", "--checkpoint_path", "/no/such/ckpt"],
     "torchslim export: resnet_v2_small: "),
])
def test_errors_name_the_net_and_the_fault(tmp_path, capsys, flags, message):
    assert export(*flags, "--output", str(tmp_path / "net.onnx")) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "net.onnx").exists()


def test_output_format_is_checked(tmp_path, capsys):
    assert export("--model_name", "resnet_v2_small", "--output", str(tmp_path / "net.pb")) == 2
    assert "net.pb: unknown export format; the file name must end in .onnx or .pt2" in capsys.readouterr().err


def test_batch_size_and_dynamic_batch_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit):
        export("--model_name", "resnet_v2_small", "--batch_size", "1", "--dynamic_batch", "--output", "x.onnx")
    assert "not allowed with argument" in capsys.readouterr().err
