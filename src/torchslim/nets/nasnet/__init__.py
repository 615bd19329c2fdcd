"""NASNet-A and PNASNet-5 (``research/slim/nets/nasnet``): :mod:`~torchslim.nets.nasnet.nasnet_utils`
(the cells), :mod:`~torchslim.nets.nasnet.nasnet` and :mod:`~torchslim.nets.nasnet.pnasnet`.

Nothing is imported here eagerly.
"""
