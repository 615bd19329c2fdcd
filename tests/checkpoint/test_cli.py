"""``torchslim inspect`` and ``torchslim convert`` end to end (through torchslim.cli.main, and one subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

from torchslim.checkpoint import load, open_checkpoint, save_safetensors, update_checkpoint_state, write_checkpoint
from torchslim.cli import main

from ._builders import build_v1

TENSORS = {
    "net/conv1/weights": np.arange(2 * 2 * 3 * 4, dtype=np.float32).reshape(2, 2, 3, 4) / 10,
    "net/conv1/biases": np.array([1.0, np.nan, np.inf, -np.inf], np.float32),
    "global_step": np.array(12, np.int64),
    "labels": np.array([b"cat", b"dog"], dtype=object),
}


@pytest.fixture
def v2(tmp_path):
    write_checkpoint(tmp_path / "model.ckpt-12", TENSORS)
    return str(tmp_path / "model.ckpt-12")


def columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# ----------------------------------------------------------------------------- inspect

def test_inspect_lists_names_dtypes_and_shapes(v2, capsys):
    status, out, err = run(capsys, "inspect", v2)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"{v2} (V2): 4 tensors, 55 values"
    assert lines[1].split() == ["name", "dtype", "shape"]
    rows = {line.split()[0]: columns(line)[1:] for line in lines[2:]}
    assert rows == {"global_step": ["int64", "[]"], "labels": ["string", "[2]"],
                    "net/conv1/biases": ["float32", "[4]"], "net/conv1/weights": ["float32", "[2, 2, 3, 4]"]}
    assert [line.split()[0] for line in lines[2:]] == sorted(TENSORS)


def test_inspect_stats_count_nan_and_inf(v2, capsys):
    status, out, _ = run(capsys, "inspect", v2, "--stats", "--name", "net/conv1/biases", "--name", "labels")
    assert status == 0
    header, biases, labels = out.splitlines()[1:]
    assert columns(header) == ["name", "dtype", "shape", "min", "max", "mean", "std", "nan", "inf"]
    assert columns(biases) == ["net/conv1/biases", "float32", "[4]", "1", "1", "1", "0", "1", "2"]
    assert columns(labels)[3:] == ["-"] * 6
    status, out, _ = run(capsys, "inspect", v2, "--stats", "--name", "net/conv1/weights")
    values = TENSORS["net/conv1/weights"]
    assert columns(out.splitlines()[2])[3:] == [f"{values.min():.6g}", f"{values.max():.6g}",
                                                f"{values.mean():.6g}", f"{values.std():.6g}", "0", "0"]


def test_inspect_values(v2, tmp_path, capsys):
    status, out, _ = run(capsys, "inspect", v2, "--values", "--name", "global_step", "--name", "labels")
    assert status == 0
    assert "tensor_name: global_step\n12\n" in out
    assert "tensor_name: labels\n[b'cat' b'dog']" in out
    write_checkpoint(tmp_path / "long", {"x": np.arange(100, dtype=np.int32)})
    status, out, _ = run(capsys, "inspect", str(tmp_path / "long"), "--values")
    assert "98 99]" in out and "..." not in out           # numpy's default threshold is 1000 values
    status, out, _ = run(capsys, "inspect", str(tmp_path / "long"), "--values", "--threshold", "10")
    assert "[ 0  1  2 ... 97 98 99]" in out


def test_inspect_reads_v1_directories_and_safetensors(tmp_path, v2, capsys):
    numeric = {k: v for k, v in TENSORS.items() if k != "labels"}
    (tmp_path / "zoo.ckpt").write_bytes(build_v1(numeric))
    save_safetensors(tmp_path / "w.safetensors", numeric)
    update_checkpoint_state(tmp_path, v2)
    for path, fmt in ((tmp_path / "zoo.ckpt", "V1"), (tmp_path / "w.safetensors", "safetensors"), (tmp_path, "V2")):
        status, out, _ = run(capsys, "inspect", str(path), "--stats")
        assert status == 0 and f"({fmt}):" in out.splitlines()[0], path
        assert "net/conv1/weights" in out


def test_inspect_errors_name_the_file_and_never_show_a_traceback(tmp_path, v2, capsys):
    status, _, err = run(capsys, "inspect", str(tmp_path / "absent.ckpt"))
    assert status == 2 and "absent.ckpt" in err and "no such checkpoint" in err
    status, _, err = run(capsys, "inspect", v2, "--name", "net/conv1/bias")
    assert status == 1 and "no tensor named 'net/conv1/bias'" in err and "did you mean net/conv1/biases" in err
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(open(v2 + ".index", "rb").read()[:-7])
    status, _, err = run(capsys, "inspect", str(corrupt))
    assert status == 1 and str(corrupt) in err and "Traceback" not in err
    data = v2 + ".data-00000-of-00001"
    raw = bytearray(open(data, "rb").read())
    raw[3] ^= 1
    open(data, "wb").write(bytes(raw))
    status, out, err = run(capsys, "inspect", v2)         # listing needs only the index
    assert status == 0
    status, _, err = run(capsys, "inspect", v2, "--stats")
    assert status == 1 and data in err and "checksum" in err
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    status, _, err = run(capsys, "inspect", str(tmp_path / "bad.safetensors"))
    assert status == 1 and "bad.safetensors" in err


def test_a_dtype_numpy_cannot_hold_is_an_error_not_a_traceback(tmp_path, capsys):
    import torch
    from safetensors.torch import save_file

    save_file({"f8": torch.zeros(3, dtype=torch.float8_e4m3fn)}, str(tmp_path / "f8.safetensors"))
    status, _, err = run(capsys, "inspect", str(tmp_path / "f8.safetensors"), "--stats")
    assert status == 1 and err.strip() == (f"torchslim inspect: {tmp_path / 'f8.safetensors'}: tensor 'f8': "
                                           "dtype F8_E4M3 has no numpy or TF checkpoint equivalent")


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["inspect"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["convert", "only-one-path"])
    assert info.value.code == 2


# ----------------------------------------------------------------------------- convert

def test_convert_tf_to_safetensors_and_back_keeps_names_and_bytes(tmp_path, capsys):
    numeric = {k: v for k, v in TENSORS.items() if k != "labels"}
    write_checkpoint(tmp_path / "src.ckpt", numeric)
    status, out, _ = run(capsys, "convert", str(tmp_path / "src.ckpt"), str(tmp_path / "out" / "w.safetensors"))
    assert status == 0 and out.startswith(f"wrote {tmp_path / 'out' / 'w.safetensors'} (safetensors, 3 tensors")
    assert open_checkpoint(tmp_path / "out" / "w.safetensors").format == "safetensors"
    status, _, _ = run(capsys, "convert", str(tmp_path / "out" / "w.safetensors"), str(tmp_path / "back.ckpt.index"))
    assert status == 0
    for suffix in (".index", ".data-00000-of-00001"):
        assert (tmp_path / f"back.ckpt{suffix}").read_bytes() == (tmp_path / f"src.ckpt{suffix}").read_bytes()


def test_convert_v1_to_v2_and_the_to_flag(tmp_path, capsys):
    numeric = {k: v for k, v in TENSORS.items() if k != "labels"}
    (tmp_path / "zoo.ckpt").write_bytes(build_v1(numeric))
    status, _, _ = run(capsys, "convert", str(tmp_path / "zoo.ckpt"), str(tmp_path / "zoo_v2.ckpt"))
    assert status == 0 and open_checkpoint(tmp_path / "zoo_v2.ckpt").format == "V2"
    status, _, _ = run(capsys, "convert", str(tmp_path / "zoo.ckpt"), str(tmp_path / "weights.bin"),
                       "--to", "safetensors")
    assert status == 0
    from safetensors.numpy import load_file
    for values in (load(tmp_path / "zoo_v2.ckpt"), load_file(str(tmp_path / "weights.bin"))):
        assert sorted(values) == sorted(numeric)
        for name, value in numeric.items():
            np.testing.assert_array_equal(values[name], value)


def test_convert_failures_write_nothing(tmp_path, v2, capsys):
    status, _, err = run(capsys, "convert", v2, str(tmp_path / "x.safetensors"))
    assert status == 1 and "'labels' holds strings" in err and v2 in err
    assert not (tmp_path / "x.safetensors").exists()
    status, _, err = run(capsys, "convert", v2, v2)
    assert status == 2 and "being read" in err
    status, _, err = run(capsys, "convert", v2, str(tmp_path))
    assert status == 2 and "is a directory" in err
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint at all, just some bytes that are long enough" * 2)
    status, _, err = run(capsys, "convert", str(tmp_path / "junk.ckpt"), str(tmp_path / "junk_v2.ckpt"))
    assert status == 1 and "junk.ckpt" in err and "bad magic number" in err
    assert not any(name.startswith("junk_v2") for name in os.listdir(tmp_path))


def test_convert_golden_v1_fixture_to_tf_s_own_v2_bytes(fixtures_dir, tmp_path, capsys):
    v1 = fixtures_dir / "resnet_v2_small_v1format" / "model.ckpt"
    status, _, _ = run(capsys, "convert", str(v1), str(tmp_path / "w.safetensors"))
    assert status == 0
    status, _, _ = run(capsys, "convert", str(tmp_path / "w.safetensors"), str(tmp_path / "model.ckpt"))
    assert status == 0
    sibling = fixtures_dir / "resnet_v2_small"
    for name in ("model.ckpt.index", "model.ckpt.data-00000-of-00001"):
        assert (tmp_path / name).read_bytes() == (sibling / name).read_bytes()


# ----------------------------------------------------------------------------- a real process

def test_the_command_runs_as_a_process(tmp_path, v2):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    ok = subprocess.run([sys.executable, "-m", "torchslim", "inspect", v2, "--name", "global_step", "--values"],
                        capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "global_step  int64  []" in ok.stdout and "tensor_name: global_step\n12" in ok.stdout
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(open(v2 + ".index", "rb").read()[:30])
    bad = subprocess.run([sys.executable, "-m", "torchslim", "convert", str(truncated), str(tmp_path / "o.ckpt")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 1
    assert bad.stderr.strip() == f"torchslim convert: {truncated}: file is too short (30 bytes) to be an sstable"
