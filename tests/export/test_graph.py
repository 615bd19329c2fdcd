"""Exported files run in a real runtime (onnxruntime, ``torch.export.load``) and match eager torchslim."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.export import ExportError, export_model, exported_program, load_exported, read_info
from torchslim.export.nets import build_net

from .conftest import TOLERANCE, scaled_error, tiny_model

pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (pip install -e '.[test]')")


def eager(model, images):
    with torch.no_grad():
        logits, end_points = model(torch.as_tensor(images))
    return {"logits": logits.numpy(), "predictions": end_points["Predictions" if "Predictions" in end_points
                                                                  else "predictions"].numpy()}


def assert_close(got, want):
    assert set(got) == set(want)
    for key in want:
        assert scaled_error(got[key], want[key]) <= TOLERANCE, key


@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
@pytest.mark.parametrize("batch", [1, 3])
def test_tiny_net_matches_eager_at_any_batch(tiny, fmt, batch):
    model, paths = tiny
    images = np.random.default_rng(batch).uniform(-1, 1, (batch, 8, 8, 3)).astype(np.float32)
    net = load_exported(paths[fmt])
    assert_close(net(images), eager(model, images))


def test_files_record_what_they_hold(tiny):
    _, paths = tiny
    for path in paths.values():
        info = read_info(path)
        assert info.model_name == "tiny"
        assert info.input_shape == [None, 8, 8, 3] and info.input_name == "input"
        assert info.output_names == ["logits", "predictions"]


def test_onnx_input_and_outputs_are_named_with_a_batch_dimension(tiny):
    import onnx

    proto = onnx.load(tiny[1]["onnx"])
    assert [v.name for v in proto.graph.input] == ["input"]
    assert [v.name for v in proto.graph.output] == ["logits", "predictions"]
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 8, 8, 3]
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    # weights are inside the file, not beside it
    assert all(not init.external_data for init in proto.graph.initializer)


def test_fixed_batch_and_mode_restored(tmp_path):
    model = tiny_model().train()
    info = export_model(model, tmp_path / "tiny.pt2", image_size=(8, 8), batch_size=2)
    assert model.training, "export must give the model back in the mode it was in"
    assert info.input_shape == [2, 8, 8, 3]
    net = load_exported(tmp_path / "tiny.pt2")
    images = np.ones((2, 8, 8, 3), np.float32)
    assert_close(net(images), eager(model.eval(), images))   # inference mode: moving statistics
    with pytest.raises(ValueError, match=r"tiny_classifier takes input \[2, 8, 8, 3\], got \[3, 8, 8, 3\]"):
        net(np.ones((3, 8, 8, 3), np.float32))


def test_net_without_predictions_has_one_output(tmp_path):
    def features(images):
        return slim.conv2d(images, 2, [1, 1], scope="features")

    model = slim.Model(features)
    program, info = exported_program(model, 4)
    assert info.output_names == ["output"]
    export_model(model, tmp_path / "features.pt2", image_size=4)
    outputs = load_exported(tmp_path / "features.pt2")(np.ones((1, 4, 4, 3), np.float32))
    assert list(outputs) == ["output"] and outputs["output"].shape == (1, 4, 4, 2)


# ------------------------------------------------------------------------------------------ errors

def test_unknown_extension_names_the_file(tmp_path):
    with pytest.raises(ValueError, match=r"model\.tflite: unknown export format.*\.onnx or \.pt2"):
        export_model(tiny_model(), tmp_path / "model.tflite", image_size=8)


def test_untraceable_net_names_the_net_and_the_step(tmp_path):
    def branchy(images):
        net = slim.conv2d(images, 2, [1, 1], scope="conv")
        if float(net.sum()) > 0:     # data-dependent Python control flow: no graph can hold it
            net = net * 2
        return net

    with pytest.raises(ExportError, match=r"^branchy: torch\.export could not trace the net at input "
                                          r"\[None, 4, 4, 3\]"):
        export_model(slim.Model(branchy), tmp_path / "branchy.pt2", image_size=4)


def test_input_the_net_cannot_take_names_the_net(tmp_path):
    model = tiny_model()           # built for 3 channels
    with pytest.raises(ExportError, match=r"^my_net: the net does not run on a \[2, 8, 8, 1\] NHWC input"):
        export_model(model, tmp_path / "x.pt2", image_size=8, channels=1, model_name="my_net")


def test_not_a_slim_model():
    with pytest.raises(TypeError, match="export needs a slim.Model, got Linear"):
        exported_program(torch.nn.Linear(2, 2), 8)


def test_onnx_without_its_packages_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)
    with pytest.raises(ImportError, match=r"tiny: exporting to ONNX needs onnxscript.*torchslim\[export\]"):
        export_model(tiny_model(), tmp_path / "t.onnx", image_size=8, model_name="tiny")


def test_loading_a_file_that_is_not_an_export(tmp_path):
    with pytest.raises(ValueError, match=r"not an exported net"):
        load_exported(tmp_path / "model.ckpt")
    with pytest.raises(FileNotFoundError, match=r"missing\.onnx: no such file"):
        load_exported(tmp_path / "missing.onnx")


# ------------------------------------------------------------------------------ small Slim ResNets

@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_resnet_v1_small_dynamic_batch(tmp_path, fmt):
    model = build_net("resnet_v1_small", num_classes=10, image_size=32)
    export_model(model, tmp_path / f"net.{fmt}", image_size=32, model_name="resnet_v1_small")
    net = load_exported(tmp_path / f"net.{fmt}")
    for batch in (1, 4):
        images = np.random.default_rng(batch).uniform(-1, 1, (batch, 32, 32, 3)).astype(np.float32)
        assert_close(net(images), eager(model, images))


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["onnx", "pt2"])
def test_resnet_v2_small_from_tf_slim_checkpoint_matches_tf_slim(fixtures_dir, tmp_path, fmt):
    """Restored from the TF-Slim fixture, the exported file gives TF-Slim's own logits and eager's."""
    case = fixtures_dir / "resnet_v2_small"
    expected = np.load(case / "expected.npz")
    model = build_net("resnet_v2_small", num_classes=10, image_size=65, checkpoint_path=str(case / "model.ckpt"))
    export_model(model, tmp_path / f"net.{fmt}", image_size=65, model_name="resnet_v2_small")
    outputs = load_exported(tmp_path / f"net.{fmt}")(expected["inputs"])
    assert_close(outputs, eager(model, expected["inputs"]))
    assert_close(outputs, {"logits": expected["logits"], "predictions": expected["predictions"]})
