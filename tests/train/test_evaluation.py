"""Evaluation metrics against counts worked out by hand."""

from __future__ import annotations

import json
import math

import pytest
import torch

from torchslim.train import data, evaluation

# Four examples, six classes. Rankings (best first): ex0 2>1>0>3>4>5, ex1 0>3>2>1>4>5, ex2 5>4>3>2>1>0,
# ex3 1>(the rest).
LOGITS = torch.tensor([[1.0, 2.0, 3.0, 0.0, -1.0, -2.0],
                       [9.0, 1.0, 2.0, 3.0, 0.5, -1.0],
                       [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
                       [0.0, 7.0, 0.0, 0.0, 0.0, 0.0]])
LABELS = torch.tensor([2, 3, 0, 1])


def test_accumulate_top1_top5_confusion_and_loss():
    state = evaluation.accumulate(LOGITS[:2], LABELS[:2], 6)
    state = evaluation.accumulate(LOGITS[2:], LABELS[2:], 6, state)
    metrics = evaluation._finish(state, [f"c{i}" for i in range(6)])
    assert metrics.num_examples == 4 and metrics.correct == 2
    assert metrics.top1 == 0.5
    # top-5: ex0 yes, ex1 yes (3 is second), ex2 no (0 is last), ex3 yes.
    assert metrics.top5 == 0.75
    assert metrics.per_class_accuracy == [0.0, 1.0, 1.0, 0.0, None, None]
    assert metrics.confusion[2][2] == 1 and metrics.confusion[3][0] == 1 and metrics.confusion[0][5] == 1
    assert sum(map(sum, metrics.confusion)) == 4
    expected = torch.nn.functional.cross_entropy(LOGITS, LABELS).item()
    assert metrics.loss == pytest.approx(expected)
    assert metrics.summary() == "top-1 accuracy 50.00% (2/4), top-5 75.00%"


def test_top_k_is_capped_at_the_number_of_classes():
    state = evaluation.accumulate(torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([0, 0]), 2)
    assert state["top1"] == 1 and state["topk"] == 2


class _Fixed(torch.nn.Module):
    """Returns ``(logits, end_points)`` like a Slim net, from a lookup on the image's first pixel."""

    def forward(self, images):
        assert not self.training  # evaluation runs in eval mode
        return LOGITS[images[:, 0, 0, 0].long()], {}


def test_evaluate_batches_restores_the_mode_and_writes_json(tmp_path):
    dataset = data.ArrayDataset(torch.arange(4.0).reshape(4, 1, 1, 1), LABELS, 6, [str(i) for i in range(6)])
    model = _Fixed().train()
    metrics = evaluation.evaluate(model, dataset, batch_size=3)
    assert model.training and metrics.top1 == 0.5 and metrics.top5 == 0.75 and metrics.num_examples == 4
    path = tmp_path / "eval" / "metrics.json"
    evaluation.write_metrics(metrics, str(path))
    written = json.loads(path.read_text())
    assert written["per_class_accuracy"] == [0.0, 1.0, 1.0, 0.0, None, None]
    assert written["class_names"] == [str(i) for i in range(6)] and math.isclose(written["loss"], metrics.loss)


def test_evaluate_empty_data_set():
    empty = data.ArrayDataset(torch.zeros(0, 1, 1, 1), torch.zeros(0, dtype=torch.int64), 6, name="nothing")
    with pytest.raises(ValueError, match="nothing is empty"):
        evaluation.evaluate(_Fixed(), empty)
