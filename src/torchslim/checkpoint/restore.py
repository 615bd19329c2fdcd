"""Assign a ``slim.Model``'s variables from a checkpoint, by TF name, all or nothing.

:func:`assign_from_checkpoint` is the eager form of TF-Slim's ``get_variables_to_restore`` +
``assign_from_checkpoint``: pick the model's variables by scope, match them to checkpoint tensors
by name (optionally renamed with ``var_map``), check every shape and dtype, read every value, and
only then assign them. A failed restore raises :class:`~torchslim.checkpoint.RestoreError` with a
:class:`RestoreReport` and leaves the model untouched.

:func:`assign_from_checkpoint_fn` keeps TF-Slim's signature and returns a callable, as TF-Slim
does; it is what ``torchslim.train.learning.train(init_fn=...)`` expects.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Optional, Sequence, Union

import numpy as np
import torch

from torchslim.store import SlimVariable
from torchslim.queries import get_variables_to_restore

from .errors import RestoreError
from .reader import CheckpointReader, open_checkpoint

__all__ = ["RestoreReport", "Mismatch", "assign_from_checkpoint", "assign_from_checkpoint_fn"]

log = logging.getLogger("torchslim.checkpoint")

VarMap = Union[Mapping[str, str], Callable[[str], str], None]
VarList = Union[Sequence[SlimVariable], Mapping[str, SlimVariable]]

#: How many names a report prints per section before "... and N more".
REPORT_LIMIT = 20


# ----------------------------------------------------------------------------- the report

@dataclass(frozen=True)
class Mismatch:
    """A model variable whose checkpoint tensor has another shape or an incompatible dtype."""

    name: str
    checkpoint_name: str
    model_shape: tuple
    checkpoint_shape: tuple
    model_dtype: str
    checkpoint_dtype: str
    reason: str = ""

    def __str__(self) -> str:
        source = "" if self.checkpoint_name == self.name else f" (checkpoint name {self.checkpoint_name})"
        text = (f"{self.name}{source}: model {list(self.model_shape)} {self.model_dtype}, "
                f"checkpoint {list(self.checkpoint_shape)} {self.checkpoint_dtype}")
        return f"{text} -- {self.reason}" if self.reason else text


@dataclass
class RestoreReport:
    """What a restore did, by TF name.

    Attributes:
        checkpoint: the checkpoint actually read (a directory resolved to its latest prefix).
        restored: model variables assigned from the checkpoint, in the model's order.
        missing: selected model variables the checkpoint lacks.
        unexpected: checkpoint tensors that no model variable maps to (e.g. ``global_step``,
            optimizer slots, a classifier the model does not have).
        mismatched: selected variables whose shape (or dtype kind) differs: :class:`Mismatch`.
        excluded: model variables left out by ``include`` / ``exclude`` (or not in ``var_list``).
        renamed: model name -> checkpoint name, where ``var_map`` / ``var_list`` renamed one.
        background_dropped: variables restored with class 0 dropped (``drop_background_class``).
        reshaped: variables restored from a tensor of another shape (``reshape_variables``).
        converted: model name -> ``'float64 -> float32'`` where the dtype was converted.
    """

    checkpoint: str
    restored: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unexpected: list = field(default_factory=list)
    mismatched: list = field(default_factory=list)
    excluded: list = field(default_factory=list)
    renamed: dict = field(default_factory=dict)
    background_dropped: list = field(default_factory=list)
    reshaped: list = field(default_factory=list)
    converted: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is missing or mismatched."""
        return not self.missing and not self.mismatched

    def sections(self) -> list[tuple[str, list[str]]]:
        """``(title, lines)`` of every non-empty part of the report, problems first."""
        parts = [
            ("shape or dtype mismatch (model vs checkpoint)", [str(m) for m in self.mismatched]),
            ("missing (the model has them, the checkpoint does not)",
             [f"{n} (looked for {self.renamed[n]})" if n in self.renamed else n for n in self.missing]),
            ("unexpected (in the checkpoint, not used by the model)", list(self.unexpected)),
            ("excluded (not selected for restoring)", list(self.excluded)),
            ("renamed (model name <- checkpoint name)", [f"{m} <- {c}" for m, c in self.renamed.items()]),
            ("class 0 (background) dropped", list(self.background_dropped)),
            ("reshaped", list(self.reshaped)),
            ("converted", [f"{n}: {c}" for n, c in self.converted.items()]),
        ]
        return [(title, lines) for title, lines in parts if lines]

    def format(self, problems_only: bool = False, limit: int = REPORT_LIMIT) -> list[str]:
        """The report's sections as indented lines, at most ``limit`` names each."""
        out = []
        for title, lines in self.sections():
            if problems_only and not title.startswith(("shape", "missing")):
                continue
            out.append(f"  {title}: {len(lines)}")
            out += [f"    {line}" for line in lines[:limit]]
            if len(lines) > limit:
                out.append(f"    ... and {len(lines) - limit} more")
        return out

    def __str__(self) -> str:
        selected = len(self.restored) + len(self.missing) + len(self.mismatched)
        verb = "restored" if self.ok else "could restore"
        return "\n".join([f"{verb} {len(self.restored)} of {selected} variables from {self.checkpoint}"]
                         + self.format())


# ----------------------------------------------------------------------------- selecting

@dataclass(frozen=True)
class _Target:
    """One variable to restore from one checkpoint tensor."""

    name: str
    key: str
    var: SlimVariable


def _check_model(model) -> None:
    if not hasattr(model, "tf_variables") or not hasattr(model, "variable_store"):
        raise TypeError(f"expected a slim.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError("the model has no variables yet: build it first, e.g. model.build(example_inputs) "
                         "or one call, then restore")


def _map_name(var_map: VarMap, name: str) -> str:
    if var_map is None:
        return name
    key = var_map(name) if callable(var_map) else var_map.get(name, name)
    if not isinstance(key, str) or not key:
        raise ValueError(f"var_map gave {key!r} for variable {name}; expected a checkpoint tensor name")
    return key


def _model_targets(model, include, exclude, var_map: VarMap) -> tuple[list[_Target], list[str], set[str]]:
    """(targets, excluded names, checkpoint names of all the model's variables)."""
    every = get_variables_to_restore(model=model)
    if var_map is not None and not callable(var_map):
        unknown = sorted(set(var_map) - {v.name for v in every})
        if unknown:
            raise ValueError(f"var_map names variables the model does not have: {', '.join(unknown[:5])}"
                             + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""))
    chosen = {v.name for v in get_variables_to_restore(include, exclude, model=model)}
    targets = [_Target(v.name, _map_name(var_map, v.name), v) for v in every if v.name in chosen]
    excluded = [v.name for v in every if v.name not in chosen]
    known = {t.key for t in targets} | {_map_name(var_map, name) for name in excluded}
    return targets, excluded, known


def _var_list_targets(var_list: VarList) -> list[_Target]:
    """Targets from TF-Slim's ``var_list``: a list of variables or ``{checkpoint name: variable}``."""
    if isinstance(var_list, Mapping):
        entries = [(f"var_list[{key!r}]", key, var) for key, var in var_list.items()]
    elif isinstance(var_list, (list, tuple)):
        entries = [(f"var_list[{i}]", getattr(var, "name", None), var) for i, var in enumerate(var_list)]
    else:
        raise TypeError(f"var_list must be a list of variables or a dict {{checkpoint name: variable}}, "
                        f"got {type(var_list).__name__}")
    targets = []
    for label, key, var in entries:
        if isinstance(var, (list, tuple)) and len(var) == 1:      # TF-Slim allows [variable]
            var = var[0]
        if not isinstance(var, SlimVariable):
            raise TypeError(f"{label}: expected a SlimVariable (from model.tf_variables() or "
                            f"slim.get_model_variables(model=...)), got {type(var).__name__}")
        targets.append(_Target(var.name, key, var))
    return targets


# ----------------------------------------------------------------------------- planning

_FLOAT_TF = {"float16", "bfloat16", "float32", "float64"}
_INT_TF = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "qint8", "quint8",
           "qint16", "quint16", "qint32"}


def _kind_of_tf(dtype: str) -> str:
    if dtype in _FLOAT_TF:
        return "float"
    if dtype in _INT_TF:
        return "int"
    return {"bool": "bool", "complex64": "complex", "complex128": "complex"}.get(dtype, dtype)


def _kind_of_torch(dtype: torch.dtype) -> str:
    if dtype.is_floating_point:
        return "float"
    if dtype.is_complex:
        return "complex"
    return "bool" if dtype == torch.bool else "int"


#: Checkpoint dtype kinds each variable dtype kind accepts.
_ACCEPTS = {"float": {"float", "int"}, "complex": {"complex", "float", "int"}, "int": {"int"}, "bool": {"bool"}}


@dataclass(frozen=True)
class _Step:
    """How one checkpoint tensor becomes one variable's value."""

    target: _Target
    dtype: str          # the checkpoint's TF dtype name
    fix: str            # '', 'drop_background' or 'reshape'


def _plan_one(target: _Target, shape: tuple, dtype: str, drop_background_class: bool,
              reshape_variables: bool) -> "_Step | Mismatch":
    var = target.var
    want = tuple(var.tf_shape)
    var_dtype = str(var.dtype).replace("torch.", "")

    def mismatch(reason: str) -> Mismatch:
        return Mismatch(target.name, target.key, want, shape, var_dtype, dtype, reason)

    if _kind_of_tf(dtype) not in _ACCEPTS[_kind_of_torch(var.dtype)]:
        return mismatch(f"cannot convert {dtype} to {var_dtype}")
    if shape == want:
        return _Step(target, dtype, "")
    if drop_background_class and len(want) >= 1 and shape == want[:-1] + (want[-1] + 1,):
        return _Step(target, dtype, "drop_background")
    if reshape_variables and int(np.prod(shape)) == int(np.prod(want)):
        return _Step(target, dtype, "reshape")
    if len(want) >= 1 and shape == want[:-1] + (want[-1] + 1,):
        return mismatch("one class more in the checkpoint: the Slim zoo's 1001-class logits (class 0 = "
                        "background)? Pass drop_background_class=True, or exclude the logits")
    return mismatch("")


def _plan(targets: list[_Target], reader: CheckpointReader, report: RestoreReport,
          drop_background_class: bool, reshape_variables: bool) -> list[_Step]:
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    steps = []
    for target in targets:
        if target.key != target.name:
            report.renamed[target.name] = target.key
        if target.key not in shapes:
            report.missing.append(target.name)
            continue
        planned = _plan_one(target, tuple(shapes[target.key]), dtypes[target.key], drop_background_class,
                            reshape_variables)
        if isinstance(planned, Mismatch):
            report.mismatched.append(planned)
        else:
            steps.append(planned)
    return steps


def _raise_if_failed(report: RestoreReport, ignore_missing_vars: bool, targets: list[_Target]) -> None:
    problems = []
    if report.mismatched:
        problems.append(f"{len(report.mismatched)} with another shape or dtype")
    if report.missing and not ignore_missing_vars:
        problems.append(f"{len(report.missing)} missing from the checkpoint")
    if not problems:
        return
    lines = [f"{report.checkpoint}: cannot restore the model ({', '.join(problems)}); nothing was assigned"]
    lines += report.format(problems_only=True, limit=10)
    lines += _hints(report, ignore_missing_vars, targets)
    raise RestoreError("\n".join(lines), report)


def _hints(report: RestoreReport, ignore_missing_vars: bool, targets: list[_Target]) -> list[str]:
    hints = []
    if report.missing and not ignore_missing_vars:
        if len(report.missing) == len(targets) and report.unexpected:
            hints.append(f"none of the names looked for is in the checkpoint: looked for names like "
                         f"{targets[0].key!r}, the checkpoint has names like {report.unexpected[0]!r}; "
                         "map them with var_map=")
        hints.append("pass ignore_missing_vars=True to keep the missing variables' current values, "
                     "or leave their scopes out with exclude=[...]")
    if report.mismatched:
        hints.append("leave mismatched variables out with exclude=[...] (e.g. the logits, to fine-tune)")
    return ["hint: " + h for h in hints]


# ----------------------------------------------------------------------------- values

def _carrier_dtype(dtype: torch.dtype) -> np.dtype:
    """The numpy dtype a value is converted to before it reaches the variable's torch dtype."""
    if dtype.is_floating_point and dtype != torch.float64:
        return np.dtype(np.float32)                        # float16 / bfloat16 / float32 variables
    return torch.empty((), dtype=dtype).numpy().dtype


def _value_for(step: _Step, raw: np.ndarray, report: RestoreReport, path: str) -> torch.Tensor:
    """The checkpoint value shaped and typed for the variable (no assignment yet)."""
    target = step.target
    value = raw
    if step.fix == "drop_background":
        value = value[..., 1:]
        report.background_dropped.append(target.name)
    elif step.fix == "reshape":
        value = value.reshape(target.var.tf_shape)
        report.reshaped.append(target.name)
    carrier = _carrier_dtype(target.var.dtype)
    if value.dtype.kind in "iu" and carrier.kind in "iu":
        info = np.iinfo(carrier)
        if value.size and (value.min() < info.min or value.max() > info.max):
            raise RestoreError(f"{path}: tensor {target.key} has values outside the range of "
                               f"{target.var.dtype} (variable {target.name}); nothing was assigned", report)
    var_dtype = str(target.var.dtype).replace("torch.", "")
    if step.dtype != var_dtype:
        report.converted[target.name] = f"{step.dtype} -> {var_dtype}"
    return torch.from_numpy(np.asarray(value, dtype=carrier, order="C"))   # (ascontiguousarray makes 0-d 1-d)


def _restore(targets: list[_Target], path, *, excluded: Sequence[str] = (), known: Iterable[str] = (),
             ignore_missing_vars: bool = False, drop_background_class: bool = False,
             reshape_variables: bool = False) -> RestoreReport:
    """Validate everything, read every value, then assign them all (see :func:`assign_from_checkpoint`)."""
    reader = open_checkpoint(path)
    report = RestoreReport(checkpoint=reader.path, excluded=list(excluded))
    steps = _plan(targets, reader, report, drop_background_class, reshape_variables)
    used = {t.key for t in targets} | set(known)
    report.unexpected = [name for name in reader.names() if name not in used]
    _raise_if_failed(report, ignore_missing_vars, targets)
    for name in report.missing:
        log.warning("%s: variable %s is not in the checkpoint; keeping its current value", reader.path, name)
    values = [(step.target.var, _value_for(step, reader.get_tensor(step.target.key), report, reader.path))
              for step in steps]
    for var, value in values:
        var.assign_tf(value)
    report.restored = [step.target.name for step in steps]
    if drop_background_class and not report.background_dropped:
        log.warning("%s: drop_background_class=True, but no variable has one class more in the checkpoint",
                    reader.path)
    return report


# ----------------------------------------------------------------------------- public API

def assign_from_checkpoint(model, path: "str | os.PathLike[str]", include: Optional[Sequence[str]] = None,
                           exclude: Optional[Sequence[str]] = None, var_map: VarMap = None,
                           ignore_missing_vars: bool = False, drop_background_class: bool = False,
                           reshape_variables: bool = False) -> RestoreReport:
    """Assign a built model's variables from a checkpoint, by TF name, all or nothing.

    Every global variable of the model (what TF's ``Saver`` saves: weights, biases, BatchNorm
    moving statistics) under the ``include`` scopes and not under the ``exclude`` scopes is
    restored from the checkpoint tensor of the same name (or the name ``var_map`` gives it).
    Shapes and dtypes are checked and every value is read before anything is assigned, so a
    restore that fails leaves the model as it was (at the cost of holding one copy of the restored
    values in memory until they are assigned). Values are converted to the variable's dtype
    (float64 into float32, float32 into bfloat16, int64 into int32 when the values fit...) and
    to PyTorch's layout (HWIO kernels to OIHW).

    Args:
        model: a built ``slim.Model`` (its variables exist: called once or ``model.build(...)``).
        path: a V2 prefix, a V1 ``.ckpt`` file, a ``.safetensors`` file (TF names and layout), or a
            directory whose ``checkpoint`` state file names the latest checkpoint.
        include: scope prefixes to restore (None: all), as ``slim.get_variables_to_restore``.
        exclude: scope prefixes not to restore, e.g. ``['resnet_v2_50/logits']`` to fine-tune.
        var_map: checkpoint name for a model name, as a dict (names absent from it keep their own
            name) or a callable ``model_name -> checkpoint_name``; for renamed scopes.
        ignore_missing_vars: variables the checkpoint lacks keep their values (logged, and listed
            in the report's ``missing``) instead of failing the restore.
        drop_background_class: restore the Slim model zoo's 1001-class classifiers (class 0 =
            "background") into a model with 1000 classes: a variable whose checkpoint tensor has
            exactly one entry more on its last axis (the logits' ``weights`` ``[..., 1001]`` and
            ``biases`` ``[1001]``) gets the tensor without entry 0 of that axis. Other shapes
            must still match.
        reshape_variables: restore a tensor of another shape but the same number of elements,
            reshaped in TF layout (TF's ``Saver(reshape=True)``).

    Returns:
        A :class:`RestoreReport` (``print(report)`` for a summary).

    Raises:
        RestoreError: a selected variable is missing (unless ``ignore_missing_vars``), has another
            shape, or cannot take the checkpoint's dtype; ``error.report`` has the details.
        CheckpointError: the checkpoint is missing or corrupt.
        ValueError: the model is not built, or ``var_map`` names variables the model lacks.
        TypeError: ``include`` / ``exclude`` is not a list or tuple.
    """
    _check_model(model)
    targets, excluded, known = _model_targets(model, include, exclude, var_map)
    return _restore(targets, path, excluded=excluded, known=known, ignore_missing_vars=ignore_missing_vars,
                    drop_background_class=drop_background_class, reshape_variables=reshape_variables)


def assign_from_checkpoint_fn(model_path: "str | os.PathLike[str]", var_list: Optional[VarList] = None,
                              ignore_missing_vars: bool = False, reshape_variables: bool = False
                              ) -> Optional[Callable[..., RestoreReport]]:
    """TF-Slim's ``assign_from_checkpoint_fn``: a function that restores variables when called.

    TF-Slim's callback takes a session; here the callback takes one optional argument, the
    model (what ``torchslim.train.learning.train`` passes to ``init_fn``) or a TF-style session
    placeholder, and assigns eagerly, all or nothing, as :func:`assign_from_checkpoint`.

    Args:
        model_path: checkpoint path (prefix, V1 file, safetensors file or directory).
        var_list: the variables to restore: a list of ``SlimVariable`` (restored by their names,
            e.g. ``slim.get_variables_to_restore(exclude=[...], model=model)``) or a dict
            ``{checkpoint name: SlimVariable}``. None: every global variable of the model given
            to the callback.
        ignore_missing_vars: skip variables the checkpoint lacks (logged) instead of failing.
        reshape_variables: restore tensors of another shape with the same number of elements.

    Returns:
        ``callback(model_or_session=None) -> RestoreReport``; or None, as in TF-Slim, when
        ``ignore_missing_vars`` is set and the checkpoint has none of ``var_list``'s variables.

    Raises:
        ValueError: ``var_list`` is empty.
        TypeError: ``var_list`` holds something other than ``SlimVariable`` s.
        CheckpointError: ``ignore_missing_vars`` is set and the checkpoint cannot be read.
    """
    targets = None if var_list is None else _var_list_targets(var_list)
    if targets is not None and not targets:
        raise ValueError("var_list cannot be empty")
    if targets is not None and ignore_missing_vars:
        reader = open_checkpoint(model_path)
        if not any(reader.has_tensor(t.key) for t in targets):
            log.warning("%s: none of the %d variables is in the checkpoint; nothing to restore",
                        reader.path, len(targets))
            return None
    options = dict(ignore_missing_vars=ignore_missing_vars, reshape_variables=reshape_variables)

    def callback(model_or_session=None) -> RestoreReport:
        if targets is not None:
            return _restore(targets, model_path, **options)
        if model_or_session is None or not hasattr(model_or_session, "tf_variables"):
            raise TypeError("this init function restores a whole model: call it with the slim.Model "
                            "(train(init_fn=...) does), or create it with a var_list")
        return assign_from_checkpoint(model_or_session, model_path, **options)

    return callback
