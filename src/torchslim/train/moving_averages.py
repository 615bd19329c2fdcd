"""``tf.train.ExponentialMovingAverage`` of a model's variables, eager, saved under TF's shadow names.

``train_image_classifier.py --moving_average_decay D`` averages ``slim.get_model_variables()`` (the
weights and the BatchNorm moving statistics) with ``ExponentialMovingAverage(D, global_step)``, and its
checkpoints hold each average as ``<variable>/ExponentialMovingAverage``; ``eval_image_classifier.py``
restores those averages in place of the variables (``variables_to_restore``). Here::

    ema = ExponentialMovingAverage(0.999)
    ema.track(slim.get_model_variables(model=model))     # shadows = the variables' current values
    ...                                                  # after each training step:
    ema.apply(num_updates=global_step)
    ema.tf_tensors()       # {'.../weights/ExponentialMovingAverage': array in TF layout, ...}
    var_list = ema.variables_to_restore(model=model)     # {checkpoint name: variable}, for evaluation

Each update is TF's ``assign_moving_average``: ``shadow -= (shadow - variable) * (1 - decay)`` in
float32, where ``decay = min(D, (1 + num_updates) / (10 + num_updates))`` when ``num_updates`` is given.
``slim.learning.train(moving_averages=ema)`` starts the shadows from the values training starts from
(after a warm start; TF's slots start from the initializers' values, a difference that the
``num_updates`` ramp wipes out within tens of steps), updates them after each step with the global step
the step reached, saves them in each checkpoint and restores them on resume.
"""

from __future__ import annotations

import contextlib
from typing import Dict, Iterable, Iterator, List, Optional

import numpy as np
import torch

from torchslim.queries import GraphKeys, get_model_variables
from torchslim.store import SlimVariable, tf_to_torch_layout, torch_to_tf_layout

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    """Shadow copies of variables, moved toward them by each :meth:`apply`.

    Args:
      decay: the decay ``D`` (``--moving_average_decay``), in ``[0, 1]``.
      name: the suffix of the shadows' names (TF's default ``ExponentialMovingAverage``).

    Raises:
      ValueError: for a decay outside ``[0, 1]``.
    """

    def __init__(self, decay: float, name: str = "ExponentialMovingAverage") -> None:
        if not 0.0 <= float(decay) <= 1.0:
            raise ValueError(f"--moving_average_decay must be in [0, 1], got {decay}")
        self.decay = float(decay)
        self.name = name
        self._variables: Dict[str, SlimVariable] = {}
        self._shadows: Dict[str, torch.Tensor] = {}

    # -- names --------------------------------------------------------------------------------

    def average_name(self, var: SlimVariable) -> str:
        """``<variable name>/<name>``, the shadow's name in checkpoints."""
        return f"{var.name}/{self.name}"

    @property
    def variables(self) -> List[SlimVariable]:
        """The tracked variables, in the order they were tracked."""
        return list(self._variables.values())

    def average(self, var: SlimVariable) -> Optional[torch.Tensor]:
        """The shadow of ``var`` (PyTorch layout), or None when ``var`` is not tracked."""
        return self._shadows.get(var.name)

    # -- updates ------------------------------------------------------------------------------

    @torch.no_grad()
    def track(self, var_list: Iterable[SlimVariable]) -> None:
        """Adds shadows for the variables of ``var_list`` not tracked yet, equal to their current values.

        Raises:
          TypeError: for an entry that is not a ``SlimVariable``.
          ValueError: for a variable that is not floating point.
        """
        for var in var_list:
            if not isinstance(var, SlimVariable):
                raise TypeError(f"ExponentialMovingAverage: expected SlimVariables, got {type(var).__name__}")
            if not var.tensor.is_floating_point():
                raise ValueError(f"ExponentialMovingAverage: variable {var.name} is {var.tensor.dtype}; only "
                                 "floating-point variables can be averaged")
            if var.name not in self._variables:
                self._variables[var.name] = var
                self._shadows[var.name] = var.tensor.detach().clone()

    @torch.no_grad()
    def reset(self) -> None:
        """Sets every shadow to its variable's current value."""
        for name, var in self._variables.items():
            self._shadows[name].copy_(var.tensor)

    def effective_decay(self, num_updates: Optional[int] = None) -> float:
        """``decay``, or ``min(decay, (1 + num_updates) / (10 + num_updates))`` in float32 as TF computes it."""
        if num_updates is None:
            return float(np.float32(self.decay))
        n = np.float32(num_updates)
        return float(min(np.float32(self.decay), (np.float32(1.0) + n) / (np.float32(10.0) + n)))

    @torch.no_grad()
    def apply(self, var_list: Optional[Iterable[SlimVariable]] = None, num_updates: Optional[int] = None) -> None:
        """One update of the shadows: ``shadow -= (shadow - variable) * (1 - decay)``.

        Args:
          var_list: variables to track first (:meth:`track`) and update; None: every tracked one.
          num_updates: the global step; lowers the decay early in training (see :meth:`effective_decay`).
        """
        if var_list is not None:
            var_list = list(var_list)
            self.track(var_list)
            names = [v.name for v in var_list]
        else:
            names = list(self._variables)
        rate = float(np.float32(1.0) - np.float32(self.effective_decay(num_updates)))
        for name in names:
            shadow, value = self._shadows[name], self._variables[name].tensor
            shadow.sub_((shadow - value.to(shadow.dtype)) * rate)

    # -- checkpoints --------------------------------------------------------------------------

    def tf_tensors(self) -> Dict[str, np.ndarray]:
        """``{average name: shadow in TF layout}`` (bfloat16 widened to float32), for a checkpoint."""
        out = {}
        for name, var in self._variables.items():
            value = torch_to_tf_layout(self._shadows[name], var.layout, var.tf_shape).detach().contiguous()
            out[self.average_name(var)] = (value.float() if value.dtype == torch.bfloat16 else value).cpu().numpy()
        return out

    @torch.no_grad()
    def restore(self, path: str) -> List[str]:
        """Sets the shadows from checkpoint ``path``'s ``<variable>/<name>`` tensors.

        Returns:
          The names of the averages the checkpoint lacks (those shadows are set to their variables'
          current values).

        Raises:
          ValueError: naming the checkpoint and the average when a tensor's shape differs.
        """
        from torchslim import checkpoint

        reader = checkpoint.open_checkpoint(path)
        missing = []
        for name, var in self._variables.items():
            key = self.average_name(var)
            if not reader.has_tensor(key):
                missing.append(key)
                self._shadows[name].copy_(var.tensor)
                continue
            value = torch.from_numpy(np.ascontiguousarray(reader.get_tensor(key)))
            if tuple(value.shape) != tuple(var.tf_shape):
                raise ValueError(f"{path}: {key} has shape {list(value.shape)}; the variable {var.name} has "
                                 f"{list(var.tf_shape)}")
            shadow = self._shadows[name]
            shadow.copy_(tf_to_torch_layout(value.to(dtype=shadow.dtype), var.layout).to(shadow.device))
        return missing

    def variables_to_restore(self, moving_avg_variables: Optional[Iterable[SlimVariable]] = None, *,
                             model) -> Dict[str, SlimVariable]:
        """TF's ``variables_to_restore``: ``{checkpoint name: variable}`` for every global variable of ``model``.

        Args:
          moving_avg_variables: the averaged variables (default: the model variables, as the Slim
            scripts average them); each restores from its average's name, every other global
            variable from its own name.
          model: the ``slim.Model``.
        """
        if moving_avg_variables is None:
            moving_avg_variables = get_model_variables(model=model)
        averaged = {v.name for v in moving_avg_variables}
        out = {}
        for var in model.tf_variables().values():
            if GraphKeys.GLOBAL_VARIABLES in var.collections:
                out[self.average_name(var) if var.name in averaged else var.name] = var
        return out

    @contextlib.contextmanager
    def averages_in_place(self) -> Iterator[None]:
        """Within the block the tracked variables hold their averages; their values come back after."""
        saved = {name: var.tensor.detach().clone() for name, var in self._variables.items()}
        try:
            with torch.no_grad():
                for name, var in self._variables.items():
                    var.tensor.copy_(self._shadows[name])
            yield
        finally:
            with torch.no_grad():
                for name, var in self._variables.items():
                    var.tensor.copy_(saved[name])
