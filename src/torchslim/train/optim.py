"""Optimizers and learning-rate schedules of Slim's ``train_image_classifier.py``, with TF's update rules.

TensorFlow's optimizers differ from PyTorch's namesakes in ways that change training:

* ``RMSProp`` (``tf.compat.v1.train.RMSPropOptimizer``): the mean-square slot starts at **one**, the
  epsilon is added **inside** the square root, and the learning rate is applied **inside** the momentum
  accumulator::

      ms  <- decay * ms + (1 - decay) * g**2
      mom <- momentum * mom + lr * g / sqrt(ms + epsilon)
      var <- var - mom

  (centered: ``ms - mg**2`` replaces ``ms`` with ``mg <- decay * mg + (1 - decay) * g``.)
* ``Adam`` (``tf.compat.v1.train.AdamOptimizer``): epsilon is added to ``sqrt(v)`` *before* the bias
  correction is folded into the step size::

      lr_t <- lr * sqrt(1 - beta2**t) / (1 - beta1**t)
      var  <- var - lr_t * m / (sqrt(v) + epsilon)

* ``Momentum``, ``sgd``, ``adadelta`` and ``adagrad`` update exactly as ``torch.optim.SGD`` /
  ``Adadelta`` / ``Adagrad`` (with TF's defaults), so those are used as they are.

:func:`configure_optimizer` and :func:`configure_learning_rate` take the flags of
``train_image_classifier.py``; :func:`variables_to_train` implements its ``--trainable_scopes``
(``--checkpoint_exclude_scopes`` is ``slim.assign_from_checkpoint``'s ``exclude``).
"""

from __future__ import annotations

import abc
import math
import re
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence, Union

import torch

__all__ = [
    "RMSPropTF", "AdamTF", "OPTIMIZERS", "configure_optimizer", "LearningRateSchedule",
    "configure_learning_rate", "exponential_decay", "polynomial_decay", "cosine_decay", "parse_scopes",
    "variables_to_train", "set_learning_rate",
]

OPTIMIZERS = ("momentum", "sgd", "rmsprop", "adam", "adadelta", "adagrad")
DECAY_TYPES = ("exponential", "fixed", "polynomial", "cosine")


class _TFOptimizer(torch.optim.Optimizer, abc.ABC):
    """What TF's optimizers here share: the step loop, the dense gradient plus L2, and the slots.

    A subclass names its slots and their initial values (:meth:`_slots`) and updates one parameter
    in :meth:`_update`.
    """

    @abc.abstractmethod
    def _slots(self, group: dict) -> dict:
        """Slot name -> initial value, for a parameter of ``group``."""

    @abc.abstractmethod
    def _update(self, param: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        """Updates ``param`` in place from ``grad`` (L2 included) and its slots in ``state``."""

    @torch.no_grad()
    def step(self, closure: Optional[Callable[[], torch.Tensor]] = None) -> Optional[torch.Tensor]:
        """One update of every parameter that has a gradient; returns the closure's loss, if any."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    self._update(param, self._gradient(param, group), self._state(param, group), group)
        return loss

    def _gradient(self, param: torch.Tensor, group: dict) -> torch.Tensor:
        grad = param.grad
        if grad.is_sparse:
            raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
        return grad.add(param, alpha=group["weight_decay"]) if group["weight_decay"] else grad

    def _state(self, param: torch.Tensor, group: dict) -> dict:
        """The parameter's state with its step counted: ``step`` and the slots (made on the first step)."""
        state = self.state[param]
        if not state:
            state["step"] = torch.zeros((), dtype=torch.float32)
            for name, value in self._slots(group).items():
                state[name] = torch.full_like(param, value, memory_format=torch.preserve_format)
        state["step"] += 1
        return state


class RMSPropTF(_TFOptimizer):
    """RMSProp with TensorFlow 1's update (``tf.compat.v1.train.RMSPropOptimizer``).

    Args:
      params: parameters or parameter groups.
      lr: learning rate.
      decay: discounting factor for the history of squared gradients (TF ``decay``, 0.9).
      momentum: momentum (0.0 in TF; 0.9 in ``train_image_classifier.py``).
      epsilon: added to the mean square inside the square root (1e-10 in TF; ``--opt_epsilon`` 1.0 in
        ``train_image_classifier.py``).
      centered: normalise by the estimated variance instead of the second moment.
      weight_decay: L2 added to the gradient (0: Slim puts weight decay in the loss instead).

    Raises:
      ValueError: for a negative learning rate, decay, momentum or epsilon.
    """

    def __init__(self, params, lr: float = 0.001, decay: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-10, centered: bool = False, weight_decay: float = 0.0):
        _check_non_negative(lr=lr, decay=decay, momentum=momentum, epsilon=epsilon, weight_decay=weight_decay)
        defaults = dict(lr=lr, decay=decay, momentum=momentum, epsilon=epsilon, centered=centered,
                        weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _slots(self, group: dict) -> dict:
        return {"ms": 1.0, "mom": 0.0, **({"mg": 0.0} if group["centered"] else {})}

    def _update(self, param: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        ms, mom = state["ms"], state["mom"]
        ms.mul_(group["decay"]).addcmul_(grad, grad, value=1.0 - group["decay"])
        denominator = ms
        if group["centered"]:
            mg = state["mg"]
            mg.mul_(group["decay"]).add_(grad, alpha=1.0 - group["decay"])
            denominator = ms.addcmul(mg, mg, value=-1.0)
        denominator = denominator.add(group["epsilon"]).sqrt_()
        mom.mul_(group["momentum"]).addcdiv_(grad, denominator, value=group["lr"])
        param.sub_(mom)


class AdamTF(_TFOptimizer):
    """Adam with TensorFlow 1's epsilon placement (``tf.compat.v1.train.AdamOptimizer``).

    Args:
      params: parameters or parameter groups.
      lr: learning rate (0.001).
      betas: ``(beta1, beta2)`` (0.9, 0.999).
      epsilon: added to ``sqrt(v)`` before the bias correction (TF's "epsilon hat", 1e-8).
      weight_decay: L2 added to the gradient (0: Slim puts weight decay in the loss).

    Raises:
      ValueError: for a negative learning rate or epsilon, or betas outside [0, 1).
    """

    def __init__(self, params, lr: float = 0.001, betas: Sequence[float] = (0.9, 0.999), epsilon: float = 1e-8,
                 weight_decay: float = 0.0):
        _check_non_negative(lr=lr, epsilon=epsilon, weight_decay=weight_decay)
        if not all(0.0 <= b < 1.0 for b in betas) or len(betas) != 2:
            raise ValueError(f"AdamTF: betas must be two values in [0, 1), got {betas!r}")
        defaults = dict(lr=lr, betas=tuple(betas), epsilon=epsilon, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _slots(self, group: dict) -> dict:
        return {"m": 0.0, "v": 0.0}

    def _update(self, param: torch.Tensor, grad: torch.Tensor, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        t = float(state["step"])
        lr_t = group["lr"] * math.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
        m, v = state["m"], state["v"]
        m.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        param.addcdiv_(m, v.sqrt().add_(group["epsilon"]), value=-lr_t)


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0.0:
            raise ValueError(f"optimizer: {name} must be >= 0, got {value}")


def configure_optimizer(name: str, params, learning_rate: float, *, momentum: float = 0.9,
                        rmsprop_momentum: float = 0.9, rmsprop_decay: float = 0.9, opt_epsilon: float = 1.0,
                        adam_beta1: float = 0.9, adam_beta2: float = 0.999, adadelta_rho: float = 0.95,
                        adagrad_initial_accumulator_value: float = 0.1) -> torch.optim.Optimizer:
    """The optimizer ``train_image_classifier.py`` makes for ``--optimizer=name`` (same flags, defaults).

    Args:
      name: one of :data:`OPTIMIZERS`.
      params: parameters or parameter groups.
      learning_rate: the initial learning rate (a schedule may change it each step).
      momentum: for ``momentum``.
      rmsprop_momentum, rmsprop_decay: for ``rmsprop``.
      opt_epsilon: epsilon of ``rmsprop``, ``adam`` and ``adadelta`` (1.0, as the script's default).
      adam_beta1, adam_beta2: for ``adam``.
      adadelta_rho: for ``adadelta``.
      adagrad_initial_accumulator_value: for ``adagrad``.

    Returns:
      A ``torch.optim.Optimizer``.

    Raises:
      ValueError: naming the accepted optimizers if ``name`` is unknown.
    """
    if name == "momentum":
        return torch.optim.SGD(params, lr=learning_rate, momentum=momentum)
    if name == "sgd":
        return torch.optim.SGD(params, lr=learning_rate)
    if name == "rmsprop":
        return RMSPropTF(params, lr=learning_rate, decay=rmsprop_decay, momentum=rmsprop_momentum,
                         epsilon=opt_epsilon)
    if name == "adam":
        return AdamTF(params, lr=learning_rate, betas=(adam_beta1, adam_beta2), epsilon=opt_epsilon)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=learning_rate, rho=adadelta_rho, eps=opt_epsilon)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=learning_rate,
                                   initial_accumulator_value=adagrad_initial_accumulator_value, eps=0.0)
    raise ValueError(f"--optimizer: unknown optimizer {name!r}; choose from {', '.join(OPTIMIZERS)}")


# ----------------------------------------------------------------------------------------------
# Learning-rate schedules (functions of the global step, as tf.train.*_decay).

def exponential_decay(learning_rate: float, global_step: int, decay_steps: int, decay_rate: float,
                      staircase: bool = False) -> float:
    """``tf.train.exponential_decay``: ``lr * decay_rate ** (step / decay_steps)`` (floored if staircase)."""
    exponent = global_step / decay_steps
    if staircase:
        exponent = math.floor(exponent)
    return learning_rate * decay_rate ** exponent


def polynomial_decay(learning_rate: float, global_step: int, decay_steps: int, end_learning_rate: float = 0.0001,
                     power: float = 1.0) -> float:
    """``tf.train.polynomial_decay`` with ``cycle=False``: reaches ``end_learning_rate`` at ``decay_steps``."""
    step = min(global_step, decay_steps)
    return (learning_rate - end_learning_rate) * (1.0 - step / decay_steps) ** power + end_learning_rate


def cosine_decay(learning_rate: float, global_step: int, decay_steps: int, alpha: float = 0.0) -> float:
    """``tf.train.cosine_decay``: half a cosine from ``lr`` down to ``alpha * lr`` at ``decay_steps``."""
    step = min(global_step, decay_steps)
    cosine = 0.5 * (1.0 + math.cos(math.pi * step / decay_steps))
    return learning_rate * ((1.0 - alpha) * cosine + alpha)


@dataclass(frozen=True)
class LearningRateSchedule:
    """A learning rate as a function of the global step: ``schedule(step) -> float``.

    Attributes:
      decay_type: ``exponential``, ``fixed``, ``polynomial`` or ``cosine``.
      learning_rate: the initial rate.
      decay_steps: steps per decay (exponential), or to the end rate (polynomial, cosine).
      decay_factor: exponential decay factor.
      end_learning_rate: polynomial's final rate; cosine's floor (as ``alpha * learning_rate``).
      warmup_steps: with a positive value, the rate is ``min(learning_rate * step / warmup_steps,
        decayed rate)`` (the script's ``--warmup_epochs`` linear warm-up).
    """

    decay_type: str
    learning_rate: float
    decay_steps: int = 1
    decay_factor: float = 0.94
    end_learning_rate: float = 0.0001
    warmup_steps: float = 0.0

    def __call__(self, global_step: int) -> float:
        rate = self._decayed(global_step)
        if self.warmup_steps > 0:
            rate = min(self.learning_rate * global_step / self.warmup_steps, rate)
        return rate

    def _decayed(self, global_step: int) -> float:
        if self.decay_type == "fixed":
            return self.learning_rate
        if self.decay_type == "exponential":
            return exponential_decay(self.learning_rate, global_step, self.decay_steps, self.decay_factor,
                                     staircase=True)
        if self.decay_type == "polynomial":
            return polynomial_decay(self.learning_rate, global_step, self.decay_steps, self.end_learning_rate)
        alpha = self.end_learning_rate / self.learning_rate if self.learning_rate else 0.0
        return cosine_decay(self.learning_rate, global_step, self.decay_steps, alpha=min(alpha, 1.0))


def configure_learning_rate(decay_type: str, learning_rate: float, num_samples_per_epoch: int, batch_size: int,
                            num_epochs_per_decay: float = 2.0, learning_rate_decay_factor: float = 0.94,
                            end_learning_rate: float = 0.0001, total_steps: Optional[int] = None,
                            warmup_epochs: float = 0.0) -> LearningRateSchedule:
    """The schedule of ``train_image_classifier.py``'s ``_configure_learning_rate``.

    ``decay_steps = int(num_samples_per_epoch * num_epochs_per_decay / batch_size)``; exponential
    decay is staircase. With ``steps_per_epoch = num_samples_per_epoch / batch_size``, ``cosine`` (not in
    the script) decays over ``total_steps`` when given. ``warmup_epochs`` (the newest script's flag)
    caps the rate by the line ``learning_rate * step / (steps_per_epoch * warmup_epochs)``.

    Args:
      decay_type: one of ``exponential``, ``fixed``, ``polynomial``, ``cosine``.
      learning_rate: initial learning rate.
      num_samples_per_epoch: training examples per epoch (over all processes).
      batch_size: examples per step (over all processes).
      num_epochs_per_decay: epochs per decay period.
      learning_rate_decay_factor: exponential decay factor.
      end_learning_rate: final rate of polynomial (and cosine) decay.
      total_steps: the run's length; cosine decays over it.
      warmup_epochs: epochs of linear warm-up from 0 (0: none).

    Returns:
      A :class:`LearningRateSchedule`.

    Raises:
      ValueError: for an unknown decay type, a non-positive batch size or negative warm-up epochs.
    """
    if decay_type not in DECAY_TYPES:
        raise ValueError(f"--learning_rate_decay_type: unknown type {decay_type!r}; "
                         f"choose from {', '.join(DECAY_TYPES)}")
    if batch_size <= 0:
        raise ValueError(f"--batch_size must be positive, got {batch_size}")
    if warmup_epochs < 0:
        raise ValueError(f"--warmup_epochs must be >= 0, got {warmup_epochs}")
    steps_per_epoch = num_samples_per_epoch / batch_size
    decay_steps = int(num_samples_per_epoch * num_epochs_per_decay / batch_size)
    if decay_type == "cosine" and total_steps:
        decay_steps = total_steps
    return LearningRateSchedule(decay_type, learning_rate, max(decay_steps, 1), learning_rate_decay_factor,
                                end_learning_rate, steps_per_epoch * warmup_epochs)


def set_learning_rate(optimizer: torch.optim.Optimizer, learning_rate: float) -> None:
    """Sets ``lr`` of every parameter group (how a schedule drives a torch optimizer)."""
    for group in optimizer.param_groups:
        group["lr"] = learning_rate


# ----------------------------------------------------------------------------------------------
# Fine-tuning: which variables to train.

def parse_scopes(scopes: Union[None, str, Iterable[str]]) -> List[str]:
    """A comma-separated flag value (or a list) as a list of stripped, non-empty scopes."""
    if scopes is None:
        return []
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    return [s.strip() for s in scopes if s and s.strip()]


def variables_to_train(model, trainable_scopes: Union[None, str, Iterable[str]] = None) -> list:
    """The trainable variables under ``trainable_scopes`` (all trainable ones when None), in model order.

    Like the script's ``_get_variables_to_train``: a scope matches variable names it is a regex prefix
    of (``re.match``), as ``tf.get_collection(TRAINABLE_VARIABLES, scope)``.

    Args:
      model: a built ``slim.Model``.
      trainable_scopes: comma-separated string or list of scopes.

    Returns:
      A list of :class:`~torchslim.variables.SlimVariable`.

    Raises:
      ValueError: if a scope matches no trainable variable (a typo would silently train nothing).
    """
    variables = [v for v in model.tf_variables().values() if v.trainable]
    scopes = parse_scopes(trainable_scopes)
    if not scopes:
        return variables
    chosen = []
    for scope in scopes:
        matched = [v for v in variables if re.match(scope, v.name) and v not in chosen]
        if not matched and not any(re.match(scope, v.name) for v in chosen):
            raise ValueError(f"--trainable_scopes: scope {scope!r} matches no trainable variable of the model")
        chosen.extend(matched)
    return chosen
