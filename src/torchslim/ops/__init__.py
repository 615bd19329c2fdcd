"""The TF-semantics tensor tier: functions of tensors, no variables, no scopes, no model state.

``torchslim.layers`` (Slim's layers) and ``torchslim.tf_layers`` (``tf.layers``) both build on it:
each layer checks its arguments, opens its scope, gets or creates its variables and then makes one
call here. What this tier reproduces is TF's arithmetic where PyTorch's differs:

- :mod:`~torchslim.ops.padding`: ``SAME`` / ``VALID`` / explicit padding (the extra ``SAME`` cell
  at the bottom/right), output sizes, and NHWC <-> channels-first *views* (no copies);
- :mod:`~torchslim.ops.conv`: N-D, depthwise, separable and transposed convolutions (TF's
  transposed output sizes and crop);
- :mod:`~torchslim.ops.pooling`: max (``-inf`` padding) and average (padded cells not counted)
  pooling, 1-3 D;
- :mod:`~torchslim.ops.normalization`: batch norm (moving averages updated in place, TF's
  unbiased moving variance), moments, layer norm;
- :mod:`~torchslim.ops.core`: dropout's keep mask, ``bias_add``;
- :mod:`~torchslim.ops.image`: TF1's nearest and bilinear resizing (no half-pixel offset);
- :func:`~torchslim.ops.padding.pad`: ``tf.pad`` with ``CONSTANT`` / ``REFLECT`` / ``SYMMETRIC``.

Spatial ops take channels-first tensors (``N, C, *spatial``) and PyTorch-layout kernels; callers
with NHWC data pass :func:`~torchslim.ops.padding.to_channels_first` views.
"""

from torchslim.ops import conv, core, normalization, padding, pooling

__all__ = ["conv", "core", "normalization", "padding", "pooling"]

from torchslim.ops import image  # noqa: E402  (TF1 resizing kernels)

__all__ += ["image"]
