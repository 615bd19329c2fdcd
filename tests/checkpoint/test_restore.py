"""assign_from_checkpoint / assign_from_checkpoint_fn: selection, renaming, reports, all or nothing."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch

import torchslim as slim
from torchslim.checkpoint import (CheckpointError, RestoreError, RestoreReport, assign_from_checkpoint,
                                  assign_from_checkpoint_fn, load, save_checkpoint, write_checkpoint)
from torchslim.checkpoint.bundle import data_filename

IMAGES = torch.zeros(2, 6, 6, 3)


def small_net(images, num_classes=5, with_counter=False):
    """conv + BatchNorm (moving statistics are buffers) + a fully connected classifier, under 'net'."""
    with slim.variable_scope("net"):
        net = slim.conv2d(images, 4, [3, 3], normalizer_fn=slim.batch_norm, scope="conv1")
        if with_counter:
            slim.variable("counter", [], dtype=torch.int32, trainable=False)
        net = slim.flatten(net)
        return slim.fully_connected(net, num_classes, activation_fn=None, scope="logits")


def make_model(seed: int, **kwargs) -> slim.Model:
    torch.manual_seed(seed)
    model = slim.Model(small_net, **kwargs).build(IMAGES)
    with torch.no_grad():                       # distinct values everywhere, moving statistics included
        for var in model.tf_variables().values():
            if var.tensor.dtype.is_floating_point:
                var.tensor.copy_(torch.rand_like(var.tensor) + 0.5)
    return model


def snapshot(model) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def assert_untouched(model, before: dict) -> None:
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before), "a failed restore changed the model"


def assert_same_variables(a, b, names=None) -> None:
    for name in names or a.tf_variables():
        assert torch.equal(a.variable(name).tensor, b.variable(name).tensor), name


@pytest.fixture
def saved(tmp_path):
    """A checkpoint of model(seed=1) and the model itself."""
    source = make_model(1)
    prefix = save_checkpoint(source, str(tmp_path / "model.ckpt"), update_state=False)
    return source, prefix


# ----------------------------------------------------------------------------- restoring everything

def test_restores_every_variable_by_name_in_pytorch_layout(saved):
    source, prefix = saved
    target = make_model(2)
    report = assign_from_checkpoint(target, prefix)
    names = list(source.tf_variables())
    assert report.restored == names and report.ok
    assert (report.missing, report.unexpected, report.mismatched, report.excluded) == ([], [], [], [])
    assert report.checkpoint == prefix
    assert_same_variables(source, target)
    # the checkpoint holds TF layouts: HWIO kernel, [in, out] fully connected weights
    values = load(prefix)
    conv = target.variable("net/conv1/weights")
    assert values["net/conv1/weights"].shape == (3, 3, 3, 4) and tuple(conv.tensor.shape) == (4, 3, 3, 3)
    np.testing.assert_array_equal(values["net/conv1/weights"], conv.tensor.detach().permute(2, 3, 1, 0).numpy())
    np.testing.assert_array_equal(values["net/logits/weights"], target.variable("net/logits/weights").to_tf())
    with torch.no_grad():
        assert torch.equal(source.eval()(IMAGES), target.eval()(IMAGES))


def test_a_directory_restores_its_latest_checkpoint(tmp_path):
    source = make_model(1)
    save_checkpoint(source, str(tmp_path / "model.ckpt"), global_step=7)
    report = assign_from_checkpoint(make_model(2), str(tmp_path))
    assert report.checkpoint.endswith("model.ckpt-7")
    assert report.unexpected == ["global_step"]           # in the checkpoint, not a model variable


def test_unbuilt_model_and_non_models_are_rejected(saved):
    with pytest.raises(ValueError, match="build it first"):
        assign_from_checkpoint(slim.Model(small_net), saved[1])
    with pytest.raises(TypeError, match="slim.Model"):
        assign_from_checkpoint(torch.nn.Linear(2, 2), saved[1])


def test_a_missing_checkpoint_names_the_path(tmp_path):
    with pytest.raises(CheckpointError, match="nowhere"):
        assign_from_checkpoint(make_model(1), str(tmp_path / "nowhere"))


# ----------------------------------------------------------------------------- include / exclude / var_map

def test_exclude_keeps_the_excluded_variables_and_lists_them(saved):
    source, prefix = saved
    target = make_model(2)
    logits_before = target.variable("net/logits/weights").tensor.clone()
    report = assign_from_checkpoint(target, prefix, exclude=["net/logits"])
    assert report.excluded == ["net/logits/weights", "net/logits/biases"]
    assert report.unexpected == []                        # excluded, so not "unexpected"
    assert torch.equal(target.variable("net/logits/weights").tensor, logits_before)
    assert_same_variables(source, target, [n for n in source.tf_variables() if not n.startswith("net/logits")])


def test_include_restores_only_those_scopes(saved):
    source, prefix = saved
    report = assign_from_checkpoint(make_model(2), prefix, include=["net/conv1/BatchNorm"])
    assert report.restored == ["net/conv1/BatchNorm/beta", "net/conv1/BatchNorm/moving_mean",
                               "net/conv1/BatchNorm/moving_variance"]
    with pytest.raises(TypeError, match="not a list or a tuple"):
        assign_from_checkpoint(make_model(2), prefix, include="net/conv1")


def _renamed_checkpoint(source, path, old="net/", new="old_net/"):
    tensors = {name.replace(old, new, 1): var.to_tf().numpy() for name, var in source.tf_variables().items()}
    write_checkpoint(path, tensors)
    return str(path)


def test_var_map_as_a_callable_and_as_a_dict(saved, tmp_path):
    source = saved[0]
    prefix = _renamed_checkpoint(source, tmp_path / "renamed.ckpt")
    target = make_model(2)
    report = assign_from_checkpoint(target, prefix, var_map=lambda name: name.replace("net/", "old_net/", 1))
    assert report.ok and len(report.restored) == len(source.tf_variables())
    assert report.renamed["net/conv1/weights"] == "old_net/conv1/weights"
    assert_same_variables(source, target)
    # a dict renames the names it holds; the others keep their own name (and are missing here)
    with pytest.raises(RestoreError) as info:
        assign_from_checkpoint(make_model(3), prefix, var_map={"net/conv1/weights": "old_net/conv1/weights"})
    assert "net/conv1/weights" not in info.value.report.missing
    assert "net/logits/biases" in info.value.report.missing


def test_var_map_naming_an_unknown_variable_is_an_error(saved):
    with pytest.raises(ValueError, match="net/conv9/weights"):
        assign_from_checkpoint(make_model(2), saved[1], var_map={"net/conv9/weights": "x"})


def test_everything_missing_suggests_var_map(saved, tmp_path):
    prefix = _renamed_checkpoint(saved[0], tmp_path / "renamed.ckpt")
    with pytest.raises(RestoreError, match="map them with var_map"):
        assign_from_checkpoint(make_model(2), prefix)


# ----------------------------------------------------------------------------- failures are all or nothing

def _without(source, path, drop: str):
    write_checkpoint(path, {n: v.to_tf().numpy() for n, v in source.tf_variables().items() if n != drop})
    return str(path)


def test_a_missing_variable_fails_and_assigns_nothing(saved, tmp_path):
    prefix = _without(saved[0], tmp_path / "partial.ckpt", "net/logits/biases")
    target = make_model(2)
    before = snapshot(target)
    with pytest.raises(RestoreError, match="1 missing from the checkpoint") as info:
        assign_from_checkpoint(target, prefix)
    assert_untouched(target, before)
    report = info.value.report
    assert isinstance(report, RestoreReport) and not report.ok
    assert report.missing == ["net/logits/biases"] and report.restored == []
    assert "ignore_missing_vars=True" in str(info.value)
    assert "nothing was assigned" in str(info.value)


def test_ignore_missing_vars_restores_the_rest_and_warns(saved, tmp_path, caplog):
    source = saved[0]
    prefix = _without(source, tmp_path / "partial.ckpt", "net/logits/biases")
    target = make_model(2)
    kept = target.variable("net/logits/biases").tensor.clone()
    with caplog.at_level(logging.WARNING, logger="torchslim.checkpoint"):
        report = assign_from_checkpoint(target, prefix, ignore_missing_vars=True)
    assert report.missing == ["net/logits/biases"] and not report.ok
    assert "net/logits/biases" in caplog.text
    assert torch.equal(target.variable("net/logits/biases").tensor, kept)
    assert_same_variables(source, target, [n for n in source.tf_variables() if n != "net/logits/biases"])


def test_a_shape_mismatch_fails_even_when_ignoring_missing_vars(saved):
    target = make_model(2, num_classes=3)
    before = snapshot(target)
    with pytest.raises(RestoreError, match="another shape") as info:
        assign_from_checkpoint(target, saved[1], ignore_missing_vars=True)
    assert_untouched(target, before)
    mismatch = {m.name: m for m in info.value.report.mismatched}
    assert sorted(mismatch) == ["net/logits/biases", "net/logits/weights"]
    assert mismatch["net/logits/weights"].model_shape == (144, 3)
    assert mismatch["net/logits/weights"].checkpoint_shape == (144, 5)
    assert "net/logits/weights: model [144, 3] float32, checkpoint [144, 5] float32" in str(info.value)


def test_a_corrupt_tensor_found_while_reading_assigns_nothing(saved):
    source, prefix = saved
    data = data_filename(prefix, 0, 1)
    raw = bytearray(open(data, "rb").read())
    raw[-1] ^= 0x40                                  # the last tensor (name order) is read last
    open(data, "wb").write(bytes(raw))
    target = make_model(2)
    before = snapshot(target)
    with pytest.raises(CheckpointError, match="checksum"):
        assign_from_checkpoint(target, prefix)
    assert_untouched(target, before)


# ----------------------------------------------------------------------------- dtypes

def test_dtypes_are_converted_and_reported(saved, tmp_path):
    source = saved[0]
    tensors = {n: v.to_tf().numpy().astype(np.float64) for n, v in source.tf_variables().items()}
    tensors["net/counter"] = np.array(12, np.int64)
    write_checkpoint(tmp_path / "f64.ckpt", tensors)
    target = make_model(2, with_counter=True)
    report = assign_from_checkpoint(target, str(tmp_path / "f64.ckpt"))
    assert report.converted["net/conv1/weights"] == "float64 -> float32"
    assert report.converted["net/counter"] == "int64 -> int32"
    assert target.variable("net/counter").tensor.item() == 12
    assert_same_variables(source, target, list(source.tf_variables()))


def test_incompatible_dtypes_and_out_of_range_integers_fail(saved, tmp_path):
    source = saved[0]
    base = {n: v.to_tf().numpy() for n, v in source.tf_variables().items()}
    target = make_model(2, with_counter=True)
    before = snapshot(target)
    write_checkpoint(tmp_path / "float_counter.ckpt", {**base, "net/counter": np.array(1.5, np.float32)})
    with pytest.raises(RestoreError, match="cannot convert float32 to int32"):
        assign_from_checkpoint(target, str(tmp_path / "float_counter.ckpt"))
    write_checkpoint(tmp_path / "big_counter.ckpt", {**base, "net/counter": np.array(1 << 40, np.int64)})
    with pytest.raises(RestoreError, match="outside the range of torch.int32"):
        assign_from_checkpoint(target, str(tmp_path / "big_counter.ckpt"))
    write_checkpoint(tmp_path / "text.ckpt", {**base, "net/counter": np.array(b"x", dtype=object)})
    with pytest.raises(RestoreError, match="cannot convert string"):
        assign_from_checkpoint(target, str(tmp_path / "text.ckpt"))
    assert_untouched(target, before)


def test_bfloat16_models_save_float32_and_restore_from_it(tmp_path):
    source = make_model(1).to(torch.bfloat16)
    prefix = save_checkpoint(source, str(tmp_path / "bf16.ckpt"), update_state=False)
    values = load(prefix)
    assert values["net/conv1/weights"].dtype == np.float32
    np.testing.assert_array_equal(values["net/logits/weights"],
                                  source.variable("net/logits/weights").to_tf().float().numpy())
    target = make_model(2).to(torch.bfloat16)
    report = assign_from_checkpoint(target, prefix)
    assert report.converted["net/logits/weights"] == "float32 -> bfloat16"
    assert_same_variables(source, target)


# ----------------------------------------------------------------------------- the zoo's 1001 classes

def test_drop_background_class_drops_entry_zero_of_the_class_axis(tmp_path):
    zoo = make_model(1, num_classes=6)                    # "1001" classes: class 0 is background
    prefix = save_checkpoint(zoo, str(tmp_path / "zoo.ckpt"), update_state=False)
    target = make_model(2, num_classes=5)                 # "1000" classes
    before = snapshot(target)
    with pytest.raises(RestoreError, match="drop_background_class=True"):
        assign_from_checkpoint(target, prefix)
    assert_untouched(target, before)
    report = assign_from_checkpoint(target, prefix, drop_background_class=True)
    assert report.background_dropped == ["net/logits/weights", "net/logits/biases"]
    assert report.ok and len(report.restored) == len(target.tf_variables())
    np.testing.assert_array_equal(target.variable("net/logits/weights").to_tf(),
                                  zoo.variable("net/logits/weights").to_tf()[:, 1:])
    np.testing.assert_array_equal(target.variable("net/logits/biases").to_tf(),
                                  zoo.variable("net/logits/biases").to_tf()[1:])
    with torch.no_grad():
        torch.testing.assert_close(target.eval()(IMAGES), zoo.eval()(IMAGES)[:, 1:], rtol=1e-6, atol=1e-6)


def test_drop_background_class_does_not_hide_other_mismatches(tmp_path):
    zoo = make_model(1, num_classes=7)                    # two classes more: not the background class
    prefix = save_checkpoint(zoo, str(tmp_path / "zoo.ckpt"), update_state=False)
    with pytest.raises(RestoreError, match="another shape"):
        assign_from_checkpoint(make_model(2, num_classes=5), prefix, drop_background_class=True)


def test_drop_background_class_with_nothing_to_drop_warns(saved, caplog):
    with caplog.at_level(logging.WARNING, logger="torchslim.checkpoint"):
        report = assign_from_checkpoint(make_model(2), saved[1], drop_background_class=True)
    assert report.ok and report.background_dropped == []
    assert "no variable has one class more" in caplog.text


# ----------------------------------------------------------------------------- the report

def test_report_text_lists_names_by_section_and_truncates(saved, tmp_path):
    source = saved[0]
    tensors = {n: v.to_tf().numpy() for n, v in source.tf_variables().items()}
    tensors.update({f"extra/t{i:02d}": np.zeros(1, np.float32) for i in range(25)})
    write_checkpoint(tmp_path / "extra.ckpt", tensors)
    report = assign_from_checkpoint(make_model(2), str(tmp_path / "extra.ckpt"), exclude=["net/logits"])
    text = str(report)
    lines = text.splitlines()
    assert lines[0] == f"restored 4 of 4 variables from {tmp_path / 'extra.ckpt'}"
    assert "  unexpected (in the checkpoint, not used by the model): 25" in lines
    assert "    extra/t19" in lines and "    extra/t20" not in lines and "    ... and 5 more" in lines
    assert "  excluded (not selected for restoring): 2" in lines and "    net/logits/weights" in lines
    assert "missing" not in text and "mismatch" not in text


# ----------------------------------------------------------------------------- assign_from_checkpoint_fn

def test_fn_with_a_variable_list_ignores_the_session_argument(saved):
    source, prefix = saved
    target = make_model(2)
    var_list = slim.get_variables_to_restore(exclude=["net/logits"], model=target)
    init_fn = slim.assign_from_checkpoint_fn(prefix, var_list)
    report = init_fn("a TF session")
    assert len(report.restored) == len(var_list) and report.excluded == []
    assert_same_variables(source, target, [v.name for v in var_list])
    assert not torch.equal(target.variable("net/logits/weights").tensor, source.variable("net/logits/weights").tensor)
    assert init_fn().ok                                    # no argument works too


def test_fn_with_a_dict_of_checkpoint_names(saved, tmp_path):
    source = saved[0]
    prefix = _renamed_checkpoint(source, tmp_path / "renamed.ckpt")
    target = make_model(2)
    var_list = {"old_net/" + name[len("net/"):]: var for name, var in target.tf_variables().items()}
    report = slim.assign_from_checkpoint_fn(prefix, var_list)(target)
    assert report.renamed["net/logits/biases"] == "old_net/logits/biases"
    assert_same_variables(source, target)


def test_fn_without_a_variable_list_restores_the_model_it_is_given(saved):
    source, prefix = saved
    init_fn = assign_from_checkpoint_fn(prefix)
    target = make_model(2)
    assert init_fn(target).ok
    assert_same_variables(source, target)
    with pytest.raises(TypeError, match="call it with the slim.Model"):
        init_fn()


def test_fn_argument_checks_follow_tf_slim(saved, tmp_path, caplog):
    source, prefix = saved
    with pytest.raises(ValueError, match="var_list cannot be empty"):
        assign_from_checkpoint_fn(prefix, [])
    with pytest.raises(TypeError, match=r"var_list\[0\]: expected a SlimVariable"):
        assign_from_checkpoint_fn(prefix, [source.variable("net/conv1/weights").tensor])
    elsewhere = _renamed_checkpoint(source, tmp_path / "renamed.ckpt")
    with caplog.at_level(logging.WARNING, logger="torchslim.checkpoint"):
        assert assign_from_checkpoint_fn(elsewhere, list(source.tf_variables().values()),
                                         ignore_missing_vars=True) is None
    assert "nothing to restore" in caplog.text
    with pytest.raises(RestoreError):
        assign_from_checkpoint_fn(elsewhere, list(make_model(2).tf_variables().values()))()


def test_fn_reshape_variables(saved, tmp_path):
    source = saved[0]
    flat = {n: v.to_tf().numpy().reshape(-1) for n, v in source.tf_variables().items()}
    write_checkpoint(tmp_path / "flat.ckpt", flat)
    variables = list(make_model(2).tf_variables().values())
    with pytest.raises(RestoreError, match="another shape"):
        assign_from_checkpoint_fn(str(tmp_path / "flat.ckpt"), variables)()
    report = assign_from_checkpoint_fn(str(tmp_path / "flat.ckpt"), variables, reshape_variables=True)()
    assert "net/conv1/weights" in report.reshaped
    np.testing.assert_array_equal(variables[0].to_tf(), source.variable(variables[0].name).to_tf())


def test_fn_is_an_init_fn_for_train(saved):
    from torchslim.train import learning

    source, prefix = saved
    target = make_model(2)
    images = torch.rand(4, 6, 6, 3)

    def total_loss():
        return target(images).square().mean()

    train_op = learning.create_train_op(total_loss, torch.optim.SGD(target.parameters(), lr=0.0), model=target)
    learning.train(train_op, None, number_of_steps=1, init_fn=assign_from_checkpoint_fn(prefix),
                   log_every_n_steps=0)
    assert_same_variables(source, target, [v.name for v in slim.get_trainable_variables(model=target)])
