"""Slim's labels.txt files and the built-in ImageNet names (background at 0)."""

from __future__ import annotations

import pytest

from torchslim.export.labels import imagenet_labels, output_labels, read_labels_file


def test_imagenet_names_are_slims():
    names = imagenet_labels()
    assert sorted(names) == list(range(1001))
    assert names[0] == "background"
    assert names[1] == "tench, Tinca tinca"
    assert names[3] == "great white shark, white shark, man-eater, man-eating shark, Carcharodon carcharias"
    assert names[1000] == "toilet tissue, toilet paper, bathroom tissue"
    assert names[135] == names[518] == "crane"     # the bird and the machine, as in ImageNet


def test_read_labels_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("0:daisy\n1:dandelion\n\n4:tulips: red\n")
    assert read_labels_file(path) == {0: "daisy", 1: "dandelion", 4: "tulips: red"}
    path.write_text("0:daisy\nroses\n")
    with pytest.raises(ValueError, match=r"labels\.txt: line 2 is not '<label>:<class name>': 'roses'"):
        read_labels_file(path)


def test_1001_class_net_has_background_at_output_0():
    labels = output_labels(1001)
    assert labels[0] == "background" and labels[1] == "tench, Tinca tinca" and len(labels) == 1001


def test_1000_class_nets_skip_the_background():
    # a 1000-class checkpoint (VGG, ResNet v1), with Slim's --labels_offset 1 or without it
    for labels in (output_labels(1000, labels_offset=1), output_labels(1000)):
        assert labels[0] == "tench, Tinca tinca" and labels[999] == "toilet tissue, toilet paper, bathroom tissue"


def test_other_nets_get_label_numbers_or_the_labels_file(tmp_path):
    assert output_labels(3, labels_offset=2) == {0: "2", 1: "3", 2: "4"}
    path = tmp_path / "labels.txt"
    path.write_text("0:daisy\n1:dandelion\n2:roses\n")
    assert output_labels(2, labels_offset=1, labels_file=path) == {0: "dandelion", 1: "roses"}
