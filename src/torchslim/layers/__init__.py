"""TF-Slim's layers, one family per module, each layer one recipe read top to bottom.

The recipe, as in tf-slim's ``layers.py``: check the arguments (errors name the scope) -> open the
variable scope -> get or create the variables (:func:`torchslim.variables.model_variable`, TF
names and shapes, PyTorch layouts) -> one call to the TF-semantics tier :mod:`torchslim.ops` on
the channels-first view of the inputs -> ``normalizer_fn`` -> ``activation_fn`` -> add the output
to ``outputs_collections``. Shared pieces of the recipe are in :mod:`torchslim.layers.common`.

One fast path stays, because ``benchmarks/batch1_ab.py``-style A/B runs show it pays (7.9% at batch
1): NHWC convolution kernels are stored ``channels_last``
(:func:`torchslim.layers.common.kernel_in_input_memory_format`). Folding BatchNorm into the
convolution is ``model.compile()``'s job (inductor freezing), not the eager layers'.
"""

from torchslim.layers.conv import (conv1d, conv2d, conv2d_transpose, conv3d, convolution, convolution1d,
                                   convolution2d, convolution2d_transpose, convolution3d, separable_conv2d,
                                   separable_convolution2d)
from torchslim.layers.core import (bias_add, dropout, elu, flatten, fully_connected, linear, one_hot_encoding,
                                   relu, relu6, softmax, unit_norm)
from torchslim.layers.normalization import batch_norm, layer_norm
from torchslim.layers.pooling import avg_pool2d, max_pool2d
from torchslim.layers.repeat import repeat, stack
from torchslim.layers.normalization import group_norm
# tf_slim.layers also holds tf-slim's initializers and regularizers (NASNet calls slim.layers.l2_regularizer).
from torchslim.initializers import variance_scaling_initializer, xavier_initializer, xavier_initializer_conv2d  # noqa: E402,F401,I001
from torchslim.regularizers import (apply_regularization, l1_l2_regularizer, l1_regularizer, l2_regularizer,  # noqa: E402,F401,I001
                                    sum_regularizer)
from torchslim.layers.pooling import avg_pool3d, max_pool3d
from torchslim.layers.normalization import instance_norm  # noqa: E402
