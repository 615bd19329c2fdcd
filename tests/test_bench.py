"""``torchslim benchmark``: the seed's report, --json, errors, modes and precisions, on a tiny net.

Correctness of the command only: no timing is asserted (figures come from benchmarks/). The net is
a two-layer one added to the factory for the test (as TF-Slim users add their own), so each run
takes a fraction of a second.
"""

from __future__ import annotations

import json
import mmap
import re
import statistics

import pytest
import torch

import torchslim as slim
from torchslim import bench, cli
from torchslim.nets import nets_factory

NET = "tiny_net"
TINY = [NET, "--batch-size", "2", "--image-size", "12", "--num-classes", "5"]
STEP_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+: step (\d+), duration = \d+\.\d{3}$")
SUMMARY_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+: (\S+) across (\d+) steps, \d+\.\d{3} \+/- \d+\.\d{3} sec / batch$")


def tiny_net(images, num_classes=None, is_training=True, scope="tiny_net"):
    """conv + batch norm + ReLU (an end point), global average pool, logits."""
    with slim.variable_scope(scope), slim.arg_scope([slim.batch_norm], is_training=is_training):
        net = slim.conv2d(images, 4, 3, stride=2, normalizer_fn=slim.batch_norm, scope="conv1",
                          outputs_collections="tiny_end_points")
        net = torch.mean(net, dim=(1, 2))
        logits = slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")
    end_points = slim.utils.convert_collection_to_dict("tiny_end_points")
    end_points["logits"] = logits
    return logits, end_points


tiny_net.default_image_size = 16


@pytest.fixture(autouse=True)
def tiny_in_factory(monkeypatch):
    monkeypatch.setitem(nets_factory.networks_map, NET, tiny_net)
    monkeypatch.setitem(nets_factory.arg_scopes_map, NET, lambda weight_decay=0.0: {})


@pytest.fixture(autouse=True)
def kept_memory_calls(monkeypatch):
    """The command's malloc policy is process-wide: recorded here, not applied to the test process."""
    calls = []
    monkeypatch.setattr(bench, "keep_freed_memory", lambda: calls.append(1) or True)
    return calls


def test_command_keeps_freed_memory_on_cpu_unless_told(capsys, kept_memory_calls):
    assert _run(capsys, *TINY, "--num-batches", "1", "--burn-in", "0")[0] == 0
    assert kept_memory_calls == [1]
    assert _run(capsys, *TINY, "--num-batches", "1", "--burn-in", "0", "--release-memory")[0] == 0
    assert kept_memory_calls == [1]


def _run(capsys, *argv):
    status = cli.main(["benchmark", *argv])
    return status, capsys.readouterr().out


def test_time_run_prints_the_seed_report_and_skips_the_burn_in():
    calls, lines = [], []
    durations = bench.time_run(lambda: calls.append(1), "Forward", num_batches=21, num_steps_burn_in=3,
                               log=lines.append)
    assert len(calls) == 24 and len(durations) == 21
    # the seed prints when the overall step index is a multiple of 10: steps 7 and 17 here
    assert [int(STEP_LINE.match(line).group(1)) for line in lines[:-1]] == [7, 17]
    assert SUMMARY_LINE.match(lines[-1]).groups() == ("Forward", "21")


def test_mean_sd_is_the_population_deviation():
    values = [0.5, 0.25, 0.75, 1.0]
    mn, sd = bench.mean_sd(values)
    assert mn == pytest.approx(statistics.mean(values))
    assert sd == pytest.approx(statistics.pstdev(values))


def test_command_text_report(capsys):
    status, out = _run(capsys, *TINY, "--num-batches", "11", "--burn-in", "1")
    assert status == 0, out
    lines = out.strip().splitlines()
    assert lines[0].startswith(f"{NET}: forward, fp32, cpu (")
    assert "input [2, 12, 12, 3]" in lines[0]
    assert [int(STEP_LINE.match(line).group(1)) for line in lines[1:-3]] == [9]
    assert SUMMARY_LINE.match(lines[-3]).groups() == ("Forward", "11")
    assert re.fullmatch(r"images/s: \d+\.\d", lines[-2])
    assert re.fullmatch(r"peak memory: \d+\.\d MiB \(CPU peak RSS increase.*\)", lines[-1])


def test_default_image_size_comes_from_the_net(capsys):
    status, out = _run(capsys, NET, "--batch-size", "1", "--num-batches", "1", "--burn-in", "0", "--json")
    assert status == 0 and json.loads(out)["input_shape"] == [1, 16, 16, 3]


def test_command_json(capsys):
    status, out = _run(capsys, *TINY, "--num-batches", "3", "--burn-in", "1", "--json")
    assert status == 0, out
    result = json.loads(out)
    assert result["network"] == NET and result["mode"] == "forward" and result["end_points"] is False
    assert result["input_shape"] == [2, 12, 12, 3]
    assert len(result["durations"]) == 3
    assert result["mean_sec"] == pytest.approx(sum(result["durations"]) / 3)
    assert result["images_per_sec"] == pytest.approx(2 / result["mean_sec"])
    assert result["peak_memory_kind"].startswith("CPU peak RSS increase")
    assert isinstance(result["peak_memory_bytes"], int)


def test_forward_backward_mode(capsys):
    status, out = _run(capsys, *TINY, "--num-batches", "2", "--burn-in", "0", "--mode", "forward-backward",
                       "--json", "--end-points")
    assert status == 0, out
    result = json.loads(out)
    assert result["mode"] == "forward-backward" and len(result["durations"]) == 2
    assert result["end_points"] is True


def test_steps_collect_end_points_only_when_asked(monkeypatch):
    model, inputs = _small_model()
    seen = []
    monkeypatch.setattr(slim.utils, "convert_collection_to_dict",
                        lambda name: seen.append(slim.utils.is_collecting_outputs()) or {})
    bench.make_step(model, inputs)()
    bench.make_step(model, inputs, end_points=True)()
    bench.make_step(model, inputs, "forward-backward")()
    assert seen == [False, True, False]


def test_unknown_network_is_a_clear_error(capsys):
    status, out = _run(capsys, "resnet_v9_50")
    assert status == 2
    assert "unknown network 'resnet_v9_50'" in out and "--list" in out


def test_list_and_missing_name(capsys):
    status, out = _run(capsys, "--list")
    assert status == 0 and {"resnet_v2_50", NET} <= set(out.split())
    status, out = _run(capsys)
    assert status == 2 and "give a network name" in out


def test_unknown_precision_is_rejected(capsys):
    with pytest.raises(SystemExit):
        cli.main(["benchmark", NET, "--precision", "fp8"])
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_cuda_is_a_clear_error(capsys):
    status, out = _run(capsys, *TINY, "--device", "cuda", "--num-batches", "1")
    assert status == 2 and "CUDA is not available" in out


def test_compile_flag_compiles_with_the_mode_settings(monkeypatch):
    modes = []

    def fake_compile(self, mode="inference", **kwargs):
        modes.append(mode)
        return self

    monkeypatch.setattr(slim.Model, "compile", fake_compile)
    for mode in bench.MODES:
        bench.benchmark(NET, batch_size=2, num_batches=1, burn_in=0, mode=mode, compile=True,
                        image_size=12, num_classes=5, log=None)
    assert modes == ["inference", "training"]


def _small_model():
    model = nets_factory.build_model(NET, num_classes=5, image_size=12)
    return model, bench.random_batch(model, batch_size=2, image_size=12)


def test_forward_backward_step_computes_gradients_and_updates_moving_averages():
    model, inputs = _small_model()
    mean = model.variable(f"{NET}/conv1/BatchNorm/moving_mean").tensor
    before = mean.clone()
    loss = bench.make_step(model, inputs, "forward-backward")()
    assert model.training and loss.dim() == 0
    assert all(p.grad is not None for p in model.parameters())
    assert not torch.equal(mean, before)


def test_optimizer_step_changes_the_weights():
    model, inputs = _small_model()
    weights = model.variable(f"{NET}/logits/weights").tensor
    before = weights.detach().clone()
    step = bench.make_step(model, inputs, "forward-backward",
                           optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    step()
    assert not torch.equal(weights.detach(), before)


def test_bf16_forward_runs_under_autocast():
    model, inputs = _small_model()
    fp32 = bench.make_step(model, inputs, "forward", "fp32")()
    bf16 = bench.make_step(model, inputs, "forward", "bf16")()
    assert not model.training
    assert fp32.dtype == torch.float32 and bf16.dtype == torch.bfloat16
    scale = fp32.abs().max()
    assert (bf16.float() - fp32).abs().max() <= 0.05 * scale    # bf16 keeps ~3 significant digits


def test_peak_memory_sees_a_large_allocation():
    size = 64 * 2 ** 20
    with bench.PeakMemory(torch.device("cpu")) as peak:
        # Fresh anonymous pages, each touched: a torch tensor could reuse resident heap memory that
        # earlier tests freed, and then the peak really would not grow.
        block = mmap.mmap(-1, size)
        for offset in range(0, size, mmap.PAGESIZE):
            block[offset] = 1
        block.close()
    assert peak.kind.startswith("CPU peak RSS increase")
    if "lower bound" not in peak.kind:
        assert peak.bytes >= 48 * 2 ** 20



def test_steps_of_both_modes_for_one_model_interleave():
    """A training step made after an inference step must not leave the inference step in training
    mode (batch statistics, moving averages updated): each step sets its mode when it runs."""
    model, inputs = _small_model()
    infer = bench.make_step(model, inputs, "forward")
    expected = infer().clone()
    train = bench.make_step(model, inputs, "forward-backward")
    assert model.training
    torch.testing.assert_close(infer(), expected)
    assert not model.training
    train()
    assert model.training
