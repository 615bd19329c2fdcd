"""TF-Slim's nets (``tensorflow/models`` ``research/slim/nets``) on torchslim.

Import the net modules you use, as with TF-Slim::

    from torchslim.nets import resnet_v1, resnet_v2, nets_factory

Modules: :mod:`~torchslim.nets.resnet_utils`, :mod:`~torchslim.nets.resnet_v1`,
:mod:`~torchslim.nets.resnet_v2` (also the basic-unit 18/34-layer nets, which TF-Slim lacks),
:mod:`~torchslim.nets.inception_resnet_v2`, facenet's :mod:`~torchslim.nets.inception_resnet_v1`
(with :mod:`~torchslim.nets.inception_resnet_utils`, the blocks both share) and
:mod:`~torchslim.nets.nets_factory` (networks by name). Nothing is imported here eagerly, so
importing one net does not import the others.
"""
