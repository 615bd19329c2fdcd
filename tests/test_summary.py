"""torchslim.summary: what ``torchslim summary NET`` reports, for an image net and a video net."""

from __future__ import annotations

from torchslim import summary


def test_describe_an_image_net():
    info = summary.describe("lenet", num_classes=10, image_size=28)
    assert info["input_shape"] == [1, 28, 28, 3]
    assert info["variables"][0] == ["LeNet/conv1/weights", [5, 5, 3, 32], True]
    assert dict(info["end_points"])["Logits"] == [1, 10]
    # conv1 5*5*3*32+32, conv2 5*5*32*64+64, fc3 (7*7*64)*1024+1024, fc4 1024*10+10
    assert info["trainable_parameters"] == 2432 + 51264 + 3212288 + 10250


def test_describe_a_video_net_builds_it_on_clips():
    info = summary.describe("s3dg", num_classes=5, image_size=32)
    assert info["input_shape"] == [1, 64, 32, 32, 3]
    assert dict(info["end_points"])["Logits"] == [1, 5]
    assert summary.format_summary(info, show_variables=False).startswith("s3dg  input [1, 64, 32, 32, 3]")
