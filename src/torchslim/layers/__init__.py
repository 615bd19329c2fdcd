"""TF-Slim's layers, one family per module."""

from torchslim.layers.conv import (conv1d, conv2d, conv2d_transpose, conv3d, convolution, convolution1d,
                                   convolution2d, convolution2d_transpose, convolution3d, separable_conv2d,
                                   separable_convolution2d)
from torchslim.layers.core import (bias_add, dropout, elu, flatten, fully_connected, linear, one_hot_encoding,
                                   relu, relu6, softmax, unit_norm)
from torchslim.layers.normalization import batch_norm, layer_norm
from torchslim.layers.pooling import avg_pool2d, max_pool2d
from torchslim.layers.repeat import repeat, stack
