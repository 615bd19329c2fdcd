"""Restoring checkpoints the real TF-Slim wrote into the nets their manifests describe (shared/fixtures).

Names, layouts (HWIO -> OIHW) and values all have to be right for the outputs to match TF-Slim's;
saving the restored model again must give TF's bytes back.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.checkpoint import RestoreError, save_checkpoint
from torchslim.nets import resnet_v1, resnet_v2

from nets._resnet import resnet_small

TOLERANCE = 1e-4
FIXTURES = ["resnet_v2_small", "resnet_v2_small_v1format", "resnet_v1_small"]
MODULES = {"resnet_v1": resnet_v1, "resnet_v2": resnet_v2}


def _case(fixtures_dir, name: str):
    folder = fixtures_dir / name
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"fixture {name} is absent from {fixtures_dir}")
    manifest = json.loads((folder / "manifest.json").read_text())
    return folder, manifest, dict(np.load(folder / "expected.npz"))


def _build(manifest: dict, inputs: np.ndarray, **overrides) -> slim.Model:
    """The small ResNet of a manifest (``refnets.test_helpers.resnet_vX_small``), built on its input."""
    net = manifest["function"]["name"][: -len("_small")]
    kwargs = {**manifest["call"]["kwargs"], **overrides}
    with slim.arg_scope(MODULES[net].resnet_arg_scope(**manifest["arg_scope"]["kwargs"])):
        model = slim.Model(resnet_small(net), **kwargs)
    return model.build(torch.from_numpy(inputs)).eval()


def _logits(model: slim.Model, inputs: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(inputs))[0].numpy()


@pytest.mark.parametrize("name", FIXTURES)
def test_tf_slim_checkpoints_restore_into_their_nets(fixtures_dir, name):
    folder, manifest, expected = _case(fixtures_dir, name)
    model = _build(manifest, expected["inputs"])
    report = slim.assign_from_checkpoint(model, str(folder / manifest["checkpoint"]["prefix"]))
    assert report.restored == [v[0] for v in manifest["variables"]]
    assert (report.missing, report.unexpected, report.mismatched, report.converted) == ([], [], [], {})
    error = np.abs(_logits(model, expected["inputs"]) - expected["logits"]).max()
    assert error <= TOLERANCE, f"{name}: logits differ from TF-Slim's by {error:.3g}"


def test_saving_a_restored_net_gives_tf_s_bytes_back(fixtures_dir, tmp_path):
    folder, manifest, expected = _case(fixtures_dir, "resnet_v2_small")
    model = _build(manifest, expected["inputs"])
    slim.assign_from_checkpoint(model, str(folder / "model.ckpt"))
    prefix = model.save_checkpoint(str(tmp_path / "model.ckpt"), update_state=False)
    for suffix in (".index", ".data-00000-of-00001"):
        assert open(prefix + suffix, "rb").read() == (folder / f"model.ckpt{suffix}").read_bytes(), suffix


def test_v1_restore_then_save_gives_the_v2_sibling(fixtures_dir, tmp_path):
    folder, manifest, expected = _case(fixtures_dir, "resnet_v2_small_v1format")
    sibling = fixtures_dir / manifest["same_values_as"]
    model = _build(manifest, expected["inputs"])
    slim.assign_from_checkpoint(model, str(folder / "model.ckpt"))
    prefix = save_checkpoint(model, str(tmp_path / "model.ckpt"), update_state=False)
    assert open(prefix + ".index", "rb").read() == (sibling / "model.ckpt.index").read_bytes()


def test_one_class_fewer_with_drop_background_class(fixtures_dir):
    """A 10-class TF-Slim checkpoint into a 9-class net: the zoo's 1001 -> 1000 case in small."""
    folder, manifest, expected = _case(fixtures_dir, "resnet_v2_small")
    model = _build(manifest, expected["inputs"], num_classes=9)
    with pytest.raises(RestoreError, match="drop_background_class"):
        slim.assign_from_checkpoint(model, str(folder / "model.ckpt"))
    report = slim.assign_from_checkpoint(model, str(folder / "model.ckpt"), drop_background_class=True)
    assert report.background_dropped == ["resnet_v2_small/logits/weights", "resnet_v2_small/logits/biases"]
    error = np.abs(_logits(model, expected["inputs"]) - expected["logits"][:, 1:]).max()
    assert error <= TOLERANCE, f"logits differ from TF-Slim's classes 1..9 by {error:.3g}"


def test_fine_tuning_restore_excludes_the_logits(fixtures_dir):
    folder, manifest, expected = _case(fixtures_dir, "resnet_v2_small")
    model = _build(manifest, expected["inputs"], num_classes=3)
    init_fn = slim.assign_from_checkpoint_fn(
        str(folder / "model.ckpt"), slim.get_variables_to_restore(exclude=["resnet_v2_small/logits"], model=model))
    report = init_fn(model)
    assert len(report.restored) == len(manifest["variables"]) - 2 and report.ok
    assert report.unexpected == ["resnet_v2_small/logits/biases", "resnet_v2_small/logits/weights"]
