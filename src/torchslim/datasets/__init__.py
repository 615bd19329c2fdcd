"""Slim's data sets without TensorFlow: TFRecord shards of ``tf.train.Example`` images, read into torch.

Modules mirror ``research/slim/datasets``::

    dataset_factory.get_dataset(name, split_name, dataset_dir)   flowers, cifar10, mnist, imagenet
    generic.get_split(split_name, dataset_dir, file_pattern, ...)  any pattern / key names
    dataset_utils                labels.txt, image_to_tfexample
    tfexample_decoder            feature specs, Image / Tensor / BoundingBox handlers
    example                      the tf.train.Example protobuf
    reader                       RecordDataset (map-style), ShardedRecords (workers x ranks)
    convert                      image folder -> Slim's TFRecord shards + labels.txt (torchslim convert-data)
    classification               a split as the train / eval loops read it: (preprocessed image, label)
"""
