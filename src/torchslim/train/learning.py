"""``slim.learning``: ``create_train_op`` and ``train``, with their eager meaning.

In TF-Slim, ``create_train_op`` builds a graph op that computes the gradients of ``total_loss``,
transforms them (gradient multipliers, then per-tensor clipping), applies them and returns the loss;
``train`` runs that op in a loop, saving checkpoints and summaries. Eagerly:

* ``total_loss`` is a **callable** that computes the loss (``total_loss(*batch) -> scalar tensor``), and
  ``create_train_op`` returns a :class:`TrainOp`: calling ``train_op(*batch)`` runs one training step
  (zero the gradients, compute the loss, backward, multiply and clip the gradients, check the loss is
  finite, apply the optimizer, increment the global step) and returns the (detached) loss.
* BatchNorm moving averages are updated by the forward pass itself, so there is no ``UPDATE_OPS``
  collection. ``update_ops=None`` keeps that; ``update_ops=[]`` (TF: "run no update ops") restores the
  model's moving statistics after each step, so they stay as they were; a list of callables runs them
  after each step.
* The global step is a 0-d ``int64`` tensor (:func:`create_global_step`).

Example (TF-Slim's pattern, eager)::

    model = slim.Model(net_fn)
    def total_loss(images, labels):
        logits, _ = model(images)
        slim.losses.sparse_softmax_cross_entropy(logits, labels)
        return slim.losses.get_total_loss()           # + model.regularization_losses()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train_op = slim.learning.create_train_op(total_loss, optimizer, model=model)
    final_loss = slim.learning.train(train_op, "runs/x", data=batches, model=model, number_of_steps=300)
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import torch

from torchslim.train import distributed

__all__ = [
    "NonFiniteLossError", "TrainOp", "create_global_step", "clip_gradient_norms", "multiply_gradients",
    "clip_by_norm", "create_train_op", "train_step", "train",
]

log = logging.getLogger("torchslim.train")

_USE_GLOBAL_STEP = object()
_USE_DEFAULT = object()

GradsAndVars = List[Tuple[Optional[torch.Tensor], Any]]


class NonFiniteLossError(FloatingPointError):
    """The total loss was inf or nan (TF-Slim's ``check_numerics``: "LossTensor is inf or nan")."""


def create_global_step(value: int = 0) -> torch.Tensor:
    """A fresh global step: a 0-d ``int64`` tensor, incremented in place by each train step."""
    return torch.tensor(int(value), dtype=torch.int64)


# ----------------------------------------------------------------------------------------------
# Gradient transforms (tf_slim.learning.clip_gradient_norms / multiply_gradients).

def clip_by_norm(t: torch.Tensor, clip_norm: float) -> torch.Tensor:
    """``tf.clip_by_norm``: ``t * clip_norm / max(||t||_2, clip_norm)`` over the whole tensor.

    Sparse COO tensors have their values clipped (indices and shape kept), as TF clips
    ``IndexedSlices.values``.
    """
    if t.is_sparse:
        t = t.coalesce()
        return torch.sparse_coo_tensor(t.indices(), clip_by_norm(t.values(), clip_norm), t.shape,
                                       check_invariants=False)  # indices of a coalesced tensor
    l2sum = t.float().square().sum()
    l2norm = torch.where(l2sum > 0, l2sum.clamp_min(1e-38).sqrt(), l2sum)
    scale = clip_norm / torch.maximum(l2norm, torch.as_tensor(float(clip_norm), device=t.device))
    return (t * scale.to(t.dtype))


def clip_gradient_norms(gradients_to_variables: GradsAndVars, max_norm: float) -> GradsAndVars:
    """Clips each gradient to norm ``max_norm`` on its own (per tensor, not a global norm).

    Args:
      gradients_to_variables: list of ``(gradient, variable)``; ``None`` gradients pass through.
      max_norm: the largest norm a gradient may have.

    Returns:
      The list with clipped gradients.
    """
    clipped = []
    for grad, var in gradients_to_variables:
        clipped.append((None if grad is None else clip_by_norm(grad, max_norm), var))
    return clipped


def _variable_name(var: Any) -> Optional[str]:
    op = getattr(var, "op", None)
    return getattr(op, "name", None) if op is not None else getattr(var, "name", None)


def multiply_gradients(grads_and_vars: GradsAndVars, gradient_multipliers: Mapping[Any, Any]) -> GradsAndVars:
    """Multiplies the gradients of the listed variables by a scalar or tensor.

    Args:
      grads_and_vars: list of ``(gradient, variable)``.
      gradient_multipliers: dict keyed by variable (a ``SlimVariable`` or the parameter tensor) or by
        variable name, giving a float or tensor multiplier.

    Returns:
      The list with multiplied gradients.

    Raises:
      ValueError: if ``grads_and_vars`` is not a list, ``gradient_multipliers`` is empty or not a
        dict, or a multiplier is requested for a variable whose gradient is ``None``.
    """
    if not isinstance(grads_and_vars, list):
        raise ValueError("`grads_and_vars` must be a list.")
    if not gradient_multipliers:
        raise ValueError("`gradient_multipliers` is empty.")
    if not isinstance(gradient_multipliers, dict):
        raise ValueError("`gradient_multipliers` must be a dict.")
    multiplied = []
    for grad, var in grads_and_vars:
        key = _multiplier_key(var, gradient_multipliers)
        if key is not _MISSING:
            if grad is None:
                raise ValueError(f"Requested multiple of `None` gradient (variable {_variable_name(var)!r}).")
            grad = _scale_grad(grad, gradient_multipliers[key])
        multiplied.append((grad, var))
    return multiplied


_MISSING = object()


def _multiplier_key(var: Any, multipliers: Mapping[Any, Any]) -> Any:
    tensor = var if isinstance(var, torch.Tensor) else getattr(var, "tensor", None)
    for key in multipliers:
        if isinstance(key, str):
            continue
        key_tensor = key if isinstance(key, torch.Tensor) else getattr(key, "tensor", None)
        if key is var or (tensor is not None and key_tensor is tensor):
            return key
    name = _variable_name(var)
    if isinstance(name, str) and name in multipliers:
        return name
    return _MISSING


def _scale_grad(grad: torch.Tensor, multiplier: Any) -> torch.Tensor:
    multiplier = torch.as_tensor(multiplier, dtype=grad.dtype, device=grad.device)
    if grad.is_sparse:
        grad = grad.coalesce()
        return torch.sparse_coo_tensor(grad.indices(), grad.values() * multiplier, grad.shape,
                                       check_invariants=False)  # indices of a coalesced tensor
    return grad * multiplier


# ----------------------------------------------------------------------------------------------
# The train op.

class TrainOp:
    """One training step as a callable; made by :func:`create_train_op`.

    ``train_op(*args, **kwargs)`` runs ``total_loss(*args, **kwargs)``, backpropagates, transforms the
    gradients, applies the optimizer, increments ``global_step`` and returns the detached loss.

    Attributes:
      optimizer: the optimizer.
      global_step: 0-d int64 tensor, or None when the step is not counted.
      model: the model (used for names, ``update_ops=[]`` and saving), or None.
      gradient_norms: after each step with ``summarize_gradients``, TF name -> gradient norm.
    """

    def __init__(self, total_loss: Callable[..., torch.Tensor], optimizer: torch.optim.Optimizer,
                 global_step: Optional[torch.Tensor], update_ops: Optional[Sequence[Callable[[], Any]]],
                 variables: List[Tuple[torch.Tensor, Any]], clip_gradient_norm: float,
                 summarize_gradients: bool, gradient_multipliers: Optional[Mapping[Any, Any]],
                 check_numerics: bool, model: Optional[torch.nn.Module],
                 grad_scaler: Optional["torch.amp.GradScaler"] = None):
        self.total_loss = total_loss
        self.optimizer = optimizer
        self.global_step = global_step
        self.update_ops = update_ops
        self.variables = variables
        self.clip_gradient_norm = clip_gradient_norm
        self.summarize_gradients = summarize_gradients
        self.gradient_multipliers = gradient_multipliers
        self.check_numerics = check_numerics
        self.model = model
        self.grad_scaler = grad_scaler
        self.gradient_norms: Dict[str, float] = {}
        self._trained = {id(t) for t, _ in variables}

    @property
    def step(self) -> int:
        """The global step as an int (0 when not counted)."""
        return int(self.global_step) if self.global_step is not None else 0

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        saved = self._save_moving_statistics()
        loss = self.total_loss(*args, **kwargs)
        self._check_loss(loss)
        self._backward(loss)
        self._restore_moving_statistics(saved)
        grads_and_vars = self._transformed_gradients()
        self._apply(grads_and_vars)
        for op in self.update_ops or ():
            op()
        if self.global_step is not None:
            self.global_step.add_(1)
        return loss.detach()

    def _check_loss(self, loss: torch.Tensor) -> None:
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("create_train_op: total_loss must return a scalar tensor, "
                            f"got {type(loss).__name__} {getattr(loss, 'shape', '')}")
        if not self.check_numerics:
            return
        here, everywhere = _finite_here_and_on_every_rank(loss.detach())
        if not everywhere:
            where = "on another process" if here else f"loss = {float(loss.detach())}"
            raise NonFiniteLossError(f"LossTensor is inf or nan: {where} at global step {self.step} "
                                     "(the step was not applied)")

    def _backward(self, loss: torch.Tensor) -> None:
        if self.grad_scaler is not None:
            self.grad_scaler.scale(loss).backward()
            self.grad_scaler.unscale_(self.optimizer)
        else:
            loss.backward()

    def _transformed_gradients(self) -> GradsAndVars:
        grads_and_vars = [(tensor.grad, var) for tensor, var in self.variables]
        for group in self.optimizer.param_groups:  # only the chosen variables are updated
            for param in group["params"]:
                if id(param) not in self._trained:
                    param.grad = None
        if self.gradient_multipliers:
            grads_and_vars = multiply_gradients(grads_and_vars, self.gradient_multipliers)
        if self.clip_gradient_norm > 0:
            grads_and_vars = clip_gradient_norms(grads_and_vars, self.clip_gradient_norm)
        if self.summarize_gradients:
            self.gradient_norms = {str(_variable_name(v)): float(g.norm()) for g, v in grads_and_vars
                                   if g is not None and not g.is_sparse}
        return grads_and_vars

    def _apply(self, grads_and_vars: GradsAndVars) -> None:
        for (tensor, _), (grad, _) in zip(self.variables, grads_and_vars):
            tensor.grad = grad
        if self.grad_scaler is not None:
            self.grad_scaler.step(self.optimizer)
            self.grad_scaler.update()
        else:
            self.optimizer.step()

    def _save_moving_statistics(self) -> Optional[List[Tuple[torch.Tensor, torch.Tensor]]]:
        if self.update_ops is None or len(self.update_ops) > 0:
            return None
        return [(buf, buf.detach().clone()) for buf in self.model.buffers()]

    @staticmethod
    def _restore_moving_statistics(saved) -> None:
        if saved:
            with torch.no_grad():
                for buf, value in saved:
                    buf.copy_(value)


def _finite_here_and_on_every_rank(loss: torch.Tensor) -> Tuple[bool, bool]:
    """Whether the loss is finite in this process, and in every process of a ``torch.distributed`` run.

    All ranks must stop together: a rank that stopped alone would leave the others waiting in the
    gradient all-reduce for ever.
    """
    finite = torch.isfinite(loss).all().to(torch.int32).reshape(1)
    here = bool(finite.item())
    if distributed.current().world_size > 1:
        torch.distributed.all_reduce(finite, op=torch.distributed.ReduceOp.MIN)
    return here, bool(finite.item())


def _resolve_variables(optimizer: torch.optim.Optimizer, variables_to_train: Optional[Sequence[Any]],
                       model: Optional[torch.nn.Module]) -> List[Tuple[torch.Tensor, Any]]:
    """``[(parameter tensor, SlimVariable or the tensor)]`` for the variables to train."""
    by_id: Dict[int, Any] = {}
    if model is not None and hasattr(model, "tf_variables"):
        by_id = {id(v.tensor): v for v in model.tf_variables().values()}
    if variables_to_train is None:
        tensors = [p for group in optimizer.param_groups for p in group["params"] if p.requires_grad]
        return [(t, by_id.get(id(t), t)) for t in tensors]
    in_optimizer = {id(p) for group in optimizer.param_groups for p in group["params"]}
    resolved = []
    for var in variables_to_train:
        tensor = var if isinstance(var, torch.Tensor) else getattr(var, "tensor", None)
        name = _variable_name(var) or "a tensor"
        if tensor is None or not getattr(var, "trainable", tensor.requires_grad) or not tensor.requires_grad:
            raise ValueError(f"variables_to_train: {name} is not a trainable variable")
        if id(tensor) not in in_optimizer:
            raise ValueError(f"variables_to_train: {name} is not among the optimizer's parameters")
        resolved.append((tensor, by_id.get(id(tensor), var)))
    return resolved


def create_train_op(total_loss: Callable[..., torch.Tensor], optimizer: torch.optim.Optimizer,
                    global_step: Any = _USE_GLOBAL_STEP, update_ops: Optional[Sequence[Callable[[], Any]]] = None,
                    variables_to_train: Optional[Sequence[Any]] = None, clip_gradient_norm: float = 0,
                    summarize_gradients: bool = False, gate_gradients: Any = None, aggregation_method: Any = None,
                    colocate_gradients_with_ops: bool = False,
                    gradient_multipliers: Optional[Mapping[Any, Any]] = None, check_numerics: bool = True,
                    *, model: Optional[torch.nn.Module] = None,
                    grad_scaler: Optional["torch.amp.GradScaler"] = None) -> TrainOp:
    """TF-Slim's ``create_train_op``, eager: returns a :class:`TrainOp` that runs one step per call.

    Args:
      total_loss: a callable returning the scalar total loss (e.g. ending in
        ``slim.losses.get_total_loss()``); the train op's arguments are passed to it.
      optimizer: a ``torch.optim.Optimizer`` over (at least) the variables to train.
      global_step: a 0-d int64 tensor to increment; by default a new one (``train_op.global_step``);
        None: not counted.
      update_ops: None: BatchNorm updates happen in the forward pass (the eager default). ``[]``: no
        updates (moving statistics are restored after each step; needs ``model``). A list of
        callables: run after each step.
      variables_to_train: ``SlimVariable`` s or parameters to update (default: every parameter of
        the optimizer). Others keep their values (their gradients are dropped).
      clip_gradient_norm: if > 0, clip each gradient to this norm on its own (TF's per-tensor
        ``clip_by_norm``, not a global norm), after the multipliers.
      summarize_gradients: record each gradient's norm in ``train_op.gradient_norms``.
      gate_gradients, aggregation_method, colocate_gradients_with_ops: graph options; ignored.
      gradient_multipliers: dict keyed by variable or variable name -> multiplier.
      check_numerics: raise :class:`NonFiniteLossError` ("LossTensor is inf or nan") naming the step,
        before the update is applied, when the loss is not finite.
      model: the ``slim.Model`` (names for multipliers and summaries; needed for ``update_ops=[]``).
      grad_scaler: a ``torch.amp.GradScaler`` for float16 training (loss scaling), or None.

    Returns:
      A :class:`TrainOp`.

    Raises:
      ValueError: if a variable to train is not trainable or not in the optimizer, or
        ``update_ops=[]`` is given without a model.
    """
    del gate_gradients, aggregation_method, colocate_gradients_with_ops
    if not callable(total_loss):
        raise TypeError("create_train_op: total_loss must be a callable computing the loss (eager mode); "
                        f"got {type(total_loss).__name__}")
    if global_step is _USE_GLOBAL_STEP:
        global_step = create_global_step()
    if update_ops is not None and len(update_ops) == 0 and model is None:
        raise ValueError("create_train_op: update_ops=[] needs model= to keep its moving statistics")
    variables = _resolve_variables(optimizer, variables_to_train, model)
    return TrainOp(total_loss, optimizer, global_step, update_ops, variables, float(clip_gradient_norm),
                   summarize_gradients, gradient_multipliers, check_numerics, model, grad_scaler)


# ----------------------------------------------------------------------------------------------
# The training loop.

def train_step(train_op: TrainOp, batch: Any = (), log_every_n_steps: int = 1,
               number_of_steps: Optional[int] = None) -> Tuple[torch.Tensor, bool]:
    """Runs one step; logs like TF-Slim; returns ``(loss, should_stop)``.

    Args:
      train_op: from :func:`create_train_op`.
      batch: a tuple of positional arguments for the loss, a dict of keyword arguments, or one value.
      log_every_n_steps: log ``global step N: loss = L (T sec/step)`` every so many steps.
      number_of_steps: stop once the global step reaches it.

    Returns:
      The loss and whether training should stop.
    """
    start = time.time()
    if isinstance(batch, dict):
        loss = train_op(**batch)
    elif isinstance(batch, (tuple, list)):
        loss = train_op(*batch)
    else:
        loss = train_op(batch)
    step = train_op.step
    if log_every_n_steps and step % log_every_n_steps == 0:
        log.info("global step %d: loss = %.4f (%.3f sec/step)", step, float(loss), time.time() - start)
    should_stop = number_of_steps is not None and step >= number_of_steps
    return loss, should_stop


def _batches(data: Optional[Iterable[Any]]) -> Iterator[Any]:
    if data is None:
        while True:
            yield ()
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty:
            raise ValueError("train: the data yielded no batch")
        if iter(data) is data:  # a one-shot iterator ends the input, as an epoch-limited queue
            return


def _agree(flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank (time-based decisions must not differ between processes)."""
    context = distributed.current()
    if not context.initialized:
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int32)
    if context.uses_cuda_collectives:
        value = value.cuda()
    torch.distributed.broadcast(value, 0)
    return bool(value.item())


class _Saver:
    """Decides when to checkpoint and writes ``logdir/model.ckpt-<step>`` (all ranks call it)."""

    def __init__(self, logdir: str, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 interval_secs: Optional[float], interval_steps: Optional[int], max_to_keep: int,
                 extra_state: Optional[Callable[[], Dict[str, Any]]], moving_averages: Any = None):
        self.logdir, self.model, self.optimizer = logdir, model, optimizer
        self.moving_averages = moving_averages
        self.interval_secs, self.interval_steps = interval_secs, interval_steps
        self.max_to_keep, self.extra_state = max_to_keep, extra_state
        self.last_save = time.time()
        self.last_step = -1

    def due(self, step: int) -> bool:
        by_steps = bool(self.interval_steps) and step % self.interval_steps == 0
        by_time = bool(self.interval_secs) and time.time() - self.last_save >= self.interval_secs
        return by_steps or (_agree(by_time) if self.interval_secs else False)

    def save(self, step: int) -> None:
        if step == self.last_step:
            return
        from torchslim.train import run_dir as _run_dir
        extra = self.extra_state() if self.extra_state is not None else None
        tensors = self.moving_averages.tf_tensors() if self.moving_averages is not None else None
        _run_dir.save(self.logdir, self.model, self.optimizer, step, max_to_keep=self.max_to_keep, extra=extra,
                      tensors=tensors)
        self.last_save, self.last_step = time.time(), step


def _start_moving_averages(moving_averages, restored: Optional[Dict[str, Any]]) -> None:
    """Shadows from the resumed checkpoint, else (or where it has none) from the variables' values."""
    if restored is None:
        moving_averages.reset()
        return
    missing = moving_averages.restore(restored["prefix"])
    if missing:
        log.warning("%s: no moving averages for %d variables (e.g. %s); they start from the variables' values",
                    restored["prefix"], len(missing), missing[0])


def train(train_op: TrainOp, logdir: Optional[str], *,
          data: Union[None, Iterable[Any], Callable[[int], Iterable[Any]]] = None,
          model: Optional[torch.nn.Module] = None, log_every_n_steps: int = 1,
          number_of_steps: Optional[int] = None, init_fn: Optional[Callable[[torch.nn.Module], Any]] = None,
          save_interval_secs: Optional[float] = 600, save_interval_steps: Optional[int] = None,
          max_to_keep: int = 5, saver: Any = _USE_DEFAULT, summary_writer: Any = _USE_DEFAULT,
          save_summaries_steps: int = 10, is_chief: Optional[bool] = None,
          schedule: Optional[Callable[[int], float]] = None,
          step_callback: Optional[Callable[[int, float, float], Any]] = None,
          extra_state: Optional[Callable[[], Dict[str, Any]]] = None,
          moving_averages: Any = None) -> Optional[float]:
    """TF-Slim's ``train``: runs ``train_op`` until ``number_of_steps``, saving to ``logdir``.

    On start, if ``logdir`` holds a checkpoint, the model, optimizer, global step and random state are
    restored from the latest one and training continues from there (``init_fn`` is then not called);
    otherwise ``init_fn(model)`` runs (e.g. a warm start from another checkpoint). Checkpoints
    ``logdir/model.ckpt-<step>`` (TF format, with the ``checkpoint`` state file and the optimizer state
    beside it) are written every ``save_interval_secs`` seconds or ``save_interval_steps`` steps and at
    the end; the loss and learning rate go to TensorBoard event files in ``logdir``.

    Under ``torch.distributed`` every rank must call ``train``; only the chief (rank 0) writes, with
    barriers around each save.

    Args:
      train_op: from :func:`create_train_op`.
      logdir: run directory, or None for no checkpoints and no summaries.
      data: an iterable of batches (re-iterated when exhausted; a one-shot iterator ends training), or
        a callable ``data(global_step)`` giving the batches from that step on (called after a restore,
        so a resumed run continues where it stopped); None: the loss takes no arguments.
      model: the model to checkpoint (default: ``train_op.model``).
      log_every_n_steps: how often to log the loss.
      number_of_steps: the global step to stop at (None: until ``data`` ends).
      init_fn: called with the model when the run starts fresh.
      save_interval_secs, save_interval_steps: checkpoint frequency (None/0 disables a criterion).
      max_to_keep: checkpoints kept in ``logdir``.
      saver: None disables checkpoints; left out, checkpoints are written as above. There is no
        ``tf.train.Saver`` to pass: its settings are ``max_to_keep`` and the save intervals here.
      summary_writer: None disables event files; default: an event file in ``logdir``.
      save_summaries_steps: write scalars every so many steps.
      is_chief: whether this process writes summaries (default: rank 0).
      schedule: learning rate as a function of the global step, set before each step.
      step_callback: ``step_callback(global_step, loss, seconds)`` after each step.
      extra_state: returns a JSON-able dict saved with each checkpoint (see ``run_dir.save``).
      moving_averages: an :class:`~torchslim.train.moving_averages.ExponentialMovingAverage` with its
        variables tracked (``train_image_classifier.py --moving_average_decay``): its shadows start from
        the values training starts from (or the checkpoint's on resume), are updated after each step
        with ``num_updates`` = the global step that step reached, and are saved in each checkpoint as
        ``<variable>/ExponentialMovingAverage``.

    Returns:
      The last loss as a float (None if no step ran).

    Raises:
      ValueError: if ``number_of_steps <= 0``, or a summary writer is given without a logdir.
      TypeError: if ``saver`` is neither None nor left out.
    """
    from torchslim.train import run_dir as _run_dir
    from torchslim.train.events import EventFileWriter
    from torchslim.train.optim import set_learning_rate

    if number_of_steps is not None and number_of_steps <= 0:
        raise ValueError("`number_of_steps` must be either None or a positive number.")
    if saver is not None and saver is not _USE_DEFAULT:
        raise TypeError(f"train: saver must be None (no checkpoints) or left out (checkpoints in logdir), got "
                        f"{type(saver).__name__}; set max_to_keep, save_interval_secs and save_interval_steps "
                        "instead of passing a saver")
    if logdir is None and summary_writer not in (None, _USE_DEFAULT):
        raise ValueError("Cannot provide saver or summary_writer when logdir is None")
    if is_chief is None:
        is_chief = distributed.current().is_chief
    model = model if model is not None else train_op.model
    saving = logdir is not None and saver is not None and model is not None
    restored = None
    if saving:
        _run_dir.remove_incomplete(logdir)  # what a killed run left
        restored = _run_dir.restore_latest(logdir, model, train_op.optimizer, train_op.global_step)
    if restored is None and init_fn is not None:
        init_fn(model)
    if moving_averages is not None:
        _start_moving_averages(moving_averages, restored)
    if callable(data) and not hasattr(data, "__iter__"):
        data = data(train_op.step)
    writer = None
    if logdir is not None and summary_writer is not None and is_chief:
        writer = summary_writer if summary_writer is not _USE_DEFAULT else EventFileWriter(logdir)
    checkpoints = _Saver(logdir, model, train_op.optimizer, save_interval_secs, save_interval_steps,
                         max_to_keep, extra_state, moving_averages) if saving else None
    loss = None
    try:
        if number_of_steps is not None and train_op.step >= number_of_steps:
            return None
        for batch in _batches(data):
            start = time.time()
            if schedule is not None:
                set_learning_rate(train_op.optimizer, schedule(train_op.step))
            loss_t, should_stop = train_step(train_op, batch, log_every_n_steps, number_of_steps)
            loss, step = float(loss_t), train_op.step
            if moving_averages is not None:
                moving_averages.apply(num_updates=step)
            if step_callback is not None:
                step_callback(step, loss, time.time() - start)
            if writer is not None and save_summaries_steps and step % save_summaries_steps == 0:
                writer.add_scalar("losses/total_loss", loss, step)
                writer.add_scalar("learning_rate", train_op.optimizer.param_groups[0]["lr"], step)
            if should_stop:
                break
            if checkpoints is not None and checkpoints.due(step):
                checkpoints.save(step)
        if checkpoints is not None and loss is not None:
            checkpoints.save(train_op.step)
    finally:
        if writer is not None and summary_writer is _USE_DEFAULT:
            writer.close()
    return loss
