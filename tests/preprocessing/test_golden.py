"""Evaluation preprocessing and tf.image ops against the real TensorFlow (tools/make_data_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from torchslim.preprocessing import image_ops, preprocessing_factory

GOLDEN = np.load(Path(__file__).resolve().parents[1] / "fixtures" / "data" / "preprocessing.npz", allow_pickle=False)
CASES = sorted({tuple(key.split("/")[:2]) for key in GOLDEN.files
                if key.split("/")[0] in ("inception", "vgg", "cifarnet", "lenet")})


@pytest.mark.parametrize("name, case", CASES)
def test_eval_preprocessing_matches_tf(name, case):
    prefix = f"{name}/{case}"
    image = GOLDEN[f"{prefix}/input"]
    height, width = GOLDEN[f"{prefix}/size"].tolist()
    kwargs = {"resize_side_min": int(GOLDEN[f"{prefix}/resize_side"])} if name == "vgg" else {}
    out = preprocessing_factory.get_preprocessing(name, is_training=False)(image, height, width, **kwargs)
    want = GOLDEN[f"{prefix}/output"]
    assert out.dtype == torch.float32 and tuple(out.shape) == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-4)


@pytest.mark.parametrize("method", range(4))
@pytest.mark.parametrize("size", [(11, 17), (40, 45), (23, 50)])
def test_resize_images_all_methods(method, size):
    """Values 0..255; area sums in another order than TF's kernel (differences up to ~4e-6 relative)."""
    out = image_ops.resize_images(torch.from_numpy(GOLDEN["resize/input"]), size, method)
    atol = 2e-3 if method == image_ops.AREA else 1e-4
    np.testing.assert_allclose(out.numpy(), GOLDEN[f"resize/{method}/{size[0]}x{size[1]}"], rtol=0, atol=atol)


COLOUR = {
    "saturation_0.6": lambda x: image_ops.adjust_saturation(x, 0.6),
    "saturation_1.4": lambda x: image_ops.adjust_saturation(x, 1.4),
    "hue_0.15": lambda x: image_ops.adjust_hue(x, 0.15),
    "hue_-0.2": lambda x: image_ops.adjust_hue(x, -0.2),
    "contrast_0.7": lambda x: image_ops.adjust_contrast(x, 0.7),
    "brightness_0.1": lambda x: image_ops.adjust_brightness(x, 0.1),
    "grayscale": image_ops.rgb_to_grayscale,
    "standardization": image_ops.per_image_standardization,
    "central_crop_0.875": lambda x: image_ops.central_crop(x, 0.875),
    "rgb_to_hsv": image_ops.rgb_to_hsv,
}


@pytest.mark.parametrize("name", sorted(COLOUR))
def test_colour_ops(name):
    out = COLOUR[name](torch.from_numpy(GOLDEN["colour/input"]))
    want = GOLDEN[f"colour/{name}"]
    assert tuple(out.shape) == want.shape
    np.testing.assert_allclose(out.numpy(), want, rtol=0, atol=1e-5)
