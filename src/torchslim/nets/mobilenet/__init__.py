"""The MobileNet framework of TF-Slim (tensorflow/models research/slim/nets/mobilenet/).

- :mod:`~torchslim.nets.mobilenet.conv_blocks`: the blocks (``expanded_conv``, ``squeeze_excite``,
  ``split_conv``, ``split_separable_conv2d``);
- :mod:`~torchslim.nets.mobilenet.mobilenet`: the op-definition framework (``op``, ``mobilenet_base``,
  ``mobilenet``, ``global_pool``, ``training_scope``);
- :mod:`~torchslim.nets.mobilenet.mobilenet_v2` and :mod:`~torchslim.nets.mobilenet.mobilenet_v3`:
  the definition tables and their named constructors (v3 large/small, minimalistic, EdgeTPU);
- :mod:`~torchslim.nets.mobilenet.named_outputs`: the eager stand-in for upstream's scan of graph op
  names that finds the blocks' inner end points.
"""
