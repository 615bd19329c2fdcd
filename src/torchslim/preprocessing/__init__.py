"""Slim's image preprocessing (``research/slim/preprocessing``) on PyTorch, with TF's arithmetic.

Modules mirror upstream's, so ``from preprocessing import preprocessing_factory`` ports as
``from torchslim.preprocessing import preprocessing_factory``::

    preprocessing_factory.get_preprocessing(name, is_training=False, use_grayscale=False)
    cifarnet_preprocessing  inception_preprocessing  lenet_preprocessing  vgg_preprocessing
    image_ops               the tf.image operations they use (resize methods, crops, colour, boxes)

Images are ``[H, W, C]`` tensors (or numpy arrays, as the data set readers give them).
"""
