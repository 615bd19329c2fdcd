"""Every Inception net in one namespace, as ``research/slim/nets/inception.py``.

TF-Slim code that writes ``from nets import inception`` ports as::

    import torchslim as slim
    from torchslim.nets import inception

    with slim.arg_scope(inception.inception_v3_arg_scope()):
        model = slim.Model(inception.inception_v3, num_classes=1001, is_training=False)

This module only re-exports (it imports every Inception module).
"""

from torchslim.nets.inception_resnet_v2 import (inception_resnet_v2, inception_resnet_v2_arg_scope,
                                                inception_resnet_v2_base)
from torchslim.nets.inception_v1 import inception_v1, inception_v1_arg_scope, inception_v1_base
from torchslim.nets.inception_v2 import inception_v2, inception_v2_arg_scope, inception_v2_base
from torchslim.nets.inception_v3 import inception_v3, inception_v3_arg_scope, inception_v3_base
from torchslim.nets.inception_v4 import inception_v4, inception_v4_arg_scope, inception_v4_base

__all__ = ["inception_resnet_v2", "inception_resnet_v2_arg_scope", "inception_resnet_v2_base",
           "inception_v1", "inception_v1_arg_scope", "inception_v1_base",
           "inception_v2", "inception_v2_arg_scope", "inception_v2_base",
           "inception_v3", "inception_v3_arg_scope", "inception_v3_base",
           "inception_v4", "inception_v4_arg_scope", "inception_v4_base"]
