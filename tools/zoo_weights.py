"""The zoo golden cases' values recipe, in plain numpy (shared by the generator and the tests).

The same recipe as ``shared/fixtures/zoo`` (see its README):

* inputs: U(-1, 1);
* ``weights`` / ``pointwise_weights``: N(0, 2 / fan_in), fan_in = the product of all but the last
  TF dimension; ``depthwise_weights``: fan_in = kh * kw;
* ``biases``, ``beta`` (and ``moving_mean`` before calibration): N(0, 0.1);
* ``gamma`` (and ``moving_variance`` before calibration): U(0.5, 1.5);
* batch-norm calibration (done by the generator, on TF-Slim's own activations): from the mean ``m``
  and variance ``V`` of a layer's real input, ``moving_mean = m + sqrt(V) * (0.1 N(0, 1) - 1)``,
  ``moving_variance = V * U(0.5, 1.5)``.

Random streams: ``numpy.random.default_rng([seed, crc32(case name), stream])`` with stream 0 for
the inputs, 1 for the variables (drawn in creation order), 2 for the calibration.

Cases too large to commit as a checkpoint keep only the calibrated moving statistics and
per-variable checksums; the tests redraw the rest with :func:`draw_variables` and check the sums.
"""

from __future__ import annotations

import zlib
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

SEED = 77
INPUT_STREAM, VALUES_STREAM, CALIBRATION_STREAM = 0, 1, 2
RECIPE = "zoo_weights v1"

PARAM_INIT = {
    "weights": "N(0, 2/fan_in) (depthwise: fan_in = kh*kw)",
    "biases/beta/moving_mean (before calibration)": "N(0, 0.1)",
    "gamma": "U(0.5, 1.5)",
    "moving_variance (before calibration)": "U(0.5, 1.5)",
    "bn_calibration": "moving_mean = m + sqrt(V)*(0.1 N(0,1) - 1), moving_variance = V*U(0.5, 1.5)",
    "rng": "numpy default_rng([77, crc32(case name), stream]); stream 0 input, 1 values, 2 calibration",
}


def rng(case_name: str, stream: int, seed: int = SEED) -> np.random.Generator:
    """The case's random stream ``stream``."""
    return np.random.default_rng([seed, zlib.crc32(case_name.encode("utf-8")), stream])


def draw_inputs(case_name: str, shape: Sequence[int]) -> np.ndarray:
    """The case's input batch, U(-1, 1) float32."""
    return rng(case_name, INPUT_STREAM).uniform(-1.0, 1.0, size=tuple(shape)).astype(np.float32)


def _draw(generator: np.random.Generator, name: str, shape: Tuple[int, ...]) -> np.ndarray:
    leaf = name.rsplit("/", 1)[-1]
    if leaf in ("weights", "pointwise_weights", "depthwise_weights", "kernel"):
        fan_in = int(np.prod(shape[:2])) if leaf == "depthwise_weights" else int(np.prod(shape[:-1]))
        return generator.normal(0.0, np.sqrt(2.0 / max(fan_in, 1)), size=shape)
    if leaf in ("biases", "beta", "moving_mean", "bias"):
        return generator.normal(0.0, 0.1, size=shape)
    if leaf in ("gamma", "moving_variance"):
        return generator.uniform(0.5, 1.5, size=shape)
    if leaf in ("biased", "local_step"):  # zero-debias state of a moving mean: TF's initial zeros
        return np.zeros(shape)
    raise ValueError(f"zoo_weights: no recipe for variable {name} (leaf {leaf!r})")


def draw_variables(case_name: str, variables: Iterable[Tuple[str, Sequence[int]]]) -> Dict[str, np.ndarray]:
    """Every variable's value before calibration, float32 in TF layout, drawn in the given order.

    Args:
      case_name: the case's name (part of the seed).
      variables: ``(TF name, TF shape)`` in creation order.

    Returns:
      ``{name: ndarray}`` in the same order.

    Raises:
      ValueError: a variable whose leaf name has no recipe.
    """
    generator = rng(case_name, VALUES_STREAM)
    return {name: _draw(generator, name, tuple(shape)).astype(np.float32) for name, shape in variables}


def calibrated_statistics(generator: np.random.Generator, mean: np.ndarray,
                          variance: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """``(moving_mean, moving_variance)`` for a batch-norm layer whose input has ``mean``, ``variance``."""
    noise = generator.normal(0.0, 1.0, size=mean.shape)
    moving_mean = mean + np.sqrt(variance) * (0.1 * noise - 1.0)
    moving_variance = variance * generator.uniform(0.5, 1.5, size=variance.shape)
    return moving_mean.astype(np.float32), moving_variance.astype(np.float32)


def checksum(value: np.ndarray) -> List[float]:
    """``[sum, sum of |x|]`` in float64: a cheap fingerprint of a tensor's values."""
    value = np.asarray(value, dtype=np.float64)
    return [float(value.sum()), float(np.abs(value).sum())]


def sample_index(size: int, count: int) -> np.ndarray:
    """``count`` evenly spaced flat indices into a tensor of ``size`` elements (all when fewer)."""
    if size <= count:
        return np.arange(size, dtype=np.int64)
    return np.unique(np.linspace(0, size - 1, count).round().astype(np.int64))
