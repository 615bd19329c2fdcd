"""Helpers shared by the tests of the variables tier (scopes, store, queries, variables)."""

from __future__ import annotations

import torch

import torchslim as slim

X = torch.ones(1, 4, 4, 3)


def run(fn, *inputs):
    """Builds and calls a model running ``fn``; returns the model."""
    model = slim.Model(fn)
    model(*inputs)
    return model


def names(model):
    """The model's TF variable names, in creation order."""
    return list(model.tf_variables())
