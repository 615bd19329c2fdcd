"""Golden files for torchslim's data sets and preprocessing, made by the real TensorFlow + TF-Slim.

Run with the reference environment (TF 2.15, tf-slim 1.1.0; see shared/reference/REFERENCE_ENV.md),
from the repository root, after ``tools/make_data_written.py`` (torchslim's writer side)::

    /tmp/tfslim-ref/bin/python tools/make_data_fixtures.py tests/fixtures/data

It writes, under the output folder:

* ``tf_written/<layout>/``: TFRecord files written by ``tf.io.TFRecordWriter`` in Slim's four layouts
  (flowers: 2 JPEG shards + labels.txt; cifar10: PNG 32x32x3; mnist: raw 28x28x1; imagenet: JPEG with
  ``image/class/text`` and ``image/object/bbox/*``) and ``expected.npz``: what ``tf.data`` + TF-Slim's
  ``TFExampleDecoder`` (with each upstream data set's ``keys_to_features`` / ``items_to_handlers``)
  decode from them; JPEGs with TF's default DCT (``image``) and the accurate one (``image_accurate``).
* ``tf_read/expected.npz``: what TF decodes from ``written/`` (the files torchslim's writer made).
* ``preprocessing.npz``: inputs and TF's outputs of each evaluation preprocessing (the same ``tf.image``
  calls in upstream's order), of ``tf.compat.v1.image.resize_images`` with all four methods, and of the
  deterministic colour ops.
* ``distorted_boxes.npz``: 4,000 windows from ``tf.image.sample_distorted_bounding_box`` with Slim's
  settings (training preprocessing is checked by distribution).
"""

from __future__ import annotations

import glob
import os
import sys

import numpy as np
import tensorflow.compat.v1 as tf
from tensorflow.python.ops import cond, control_flow_case, control_flow_ops

if not hasattr(control_flow_ops, "case"):   # tf-slim 1.1.0's decoder calls these where TF 2.15 no longer has them
    control_flow_ops.case = control_flow_case.case
if not hasattr(control_flow_ops, "cond"):
    control_flow_ops.cond = cond.cond
import tf_slim as slim  # noqa: E402

tf.disable_v2_behavior()
decoders = slim.tfexample_decoder
RNG = np.random.RandomState(20261201)


def _bytes(v):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=v if isinstance(v, list) else [v]))


def _int64(v):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=v if isinstance(v, list) else [v]))


def _float(v):
    return tf.train.Feature(float_list=tf.train.FloatList(value=v))


def _encode(sess, image, kind):
    placeholder = tf.placeholder(tf.uint8, image.shape)
    op = tf.image.encode_jpeg(placeholder, quality=90) if kind == "jpeg" else tf.image.encode_png(placeholder)
    return sess.run(op, {placeholder: image})


def _image(height, width, channels=3):
    """A smooth image with noise (JPEG-friendly, every value used)."""
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // max(width - 1, 1)), (y * 255 // max(height - 1, 1)), (x + y) * 7 % 256], -1)
    noisy = base[..., :channels] + RNG.randint(-20, 21, (height, width, channels))
    return np.clip(noisy, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# The four layouts, with upstream's decoders.

def _flowers_decoder():
    keys = {"image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
            "image/format": tf.FixedLenFeature((), tf.string, default_value="png"),
            "image/class/label": tf.FixedLenFeature([], tf.int64, default_value=tf.zeros([], dtype=tf.int64))}
    return decoders.TFExampleDecoder(keys, {"image": decoders.Image(),
                                            "label": decoders.Tensor("image/class/label")})


def _cifar10_decoder():
    keys = {"image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
            "image/format": tf.FixedLenFeature((), tf.string, default_value="png"),
            "image/class/label": tf.FixedLenFeature([], tf.int64, default_value=tf.zeros([], dtype=tf.int64))}
    return decoders.TFExampleDecoder(keys, {"image": decoders.Image(shape=[32, 32, 3]),
                                            "label": decoders.Tensor("image/class/label")})


def _mnist_decoder():
    keys = {"image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
            "image/format": tf.FixedLenFeature((), tf.string, default_value="raw"),
            "image/class/label": tf.FixedLenFeature([1], tf.int64, default_value=tf.zeros([1], dtype=tf.int64))}
    return decoders.TFExampleDecoder(keys, {"image": decoders.Image(shape=[28, 28, 1], channels=1),
                                            "label": decoders.Tensor("image/class/label", shape=[])})


def _imagenet_decoder(dct_method=""):
    keys = {"image/encoded": tf.FixedLenFeature((), tf.string, default_value=""),
            "image/format": tf.FixedLenFeature((), tf.string, default_value="jpeg"),
            "image/class/label": tf.FixedLenFeature([], dtype=tf.int64, default_value=-1),
            "image/class/text": tf.FixedLenFeature([], dtype=tf.string, default_value=""),
            "image/object/bbox/xmin": tf.VarLenFeature(dtype=tf.float32),
            "image/object/bbox/ymin": tf.VarLenFeature(dtype=tf.float32),
            "image/object/bbox/xmax": tf.VarLenFeature(dtype=tf.float32),
            "image/object/bbox/ymax": tf.VarLenFeature(dtype=tf.float32),
            "image/object/class/label": tf.VarLenFeature(dtype=tf.int64)}
    items = {"image": decoders.Image("image/encoded", "image/format", dct_method=dct_method),
             "label": decoders.Tensor("image/class/label"),
             "label_text": decoders.Tensor("image/class/text"),
             "object/bbox": decoders.BoundingBox(["ymin", "xmin", "ymax", "xmax"], "image/object/bbox/"),
             "object/label": decoders.Tensor("image/object/class/label")}
    return decoders.TFExampleDecoder(keys, items)


def _accurate(decoder_fn):
    """The same decoder with the accurate JPEG DCT (what Pillow's libjpeg uses)."""
    decoder = decoder_fn()
    handler = decoder._items_to_handlers["image"]
    handler._dct_method = "INTEGER_ACCURATE"
    return decoder


def _decode_files(sess, files, decoder_fn, items):
    """Every record of ``files`` (in order) decoded by tf.data + the Slim decoder; JPEG both ways."""
    serialized = tf.placeholder(tf.string, [])
    default = decoder_fn().decode(serialized, items)
    accurate = _accurate(decoder_fn).decode(serialized, ["image"])[0]
    records = tf.data.TFRecordDataset(files)
    next_record = tf.data.make_one_shot_iterator(records).get_next()
    out = {item: [] for item in items}
    out["image_accurate"] = []
    while True:
        try:
            record = sess.run(next_record)
        except tf.errors.OutOfRangeError:
            break
        values = sess.run(default + [accurate], {serialized: record})
        for item, value in zip(items + ["image_accurate"], values):
            out[item].append(value)
    return out


def _save_expected(path, out):
    arrays = {}
    for item, values in out.items():
        for i, value in enumerate(values):
            arrays[f"{item}/{i}"] = np.asarray(value)
    arrays["count"] = np.asarray(len(next(iter(out.values()))))
    np.savez_compressed(path, **arrays)


def _write(path, examples):
    with tf.io.TFRecordWriter(path) as writer:
        for example in examples:
            writer.write(example.SerializeToString())


def make_tf_written(sess, out_dir):
    """Slim's four layouts written by TF, and what TF + Slim decode from them."""
    layouts = {}
    # flowers: JPEG (format 'jpg', as download_and_convert_flowers writes), 2 shards, labels.txt.
    folder = os.path.join(out_dir, "flowers")
    os.makedirs(folder, exist_ok=True)
    for shard in range(2):
        examples = []
        for i in range(3):
            h, w = 17 + 3 * i + shard, 22 - i
            data = _encode(sess, _image(h, w), "jpeg")
            examples.append(tf.train.Example(features=tf.train.Features(feature={
                "image/encoded": _bytes(data), "image/format": _bytes(b"jpg"),
                "image/class/label": _int64((shard * 3 + i) % 5), "image/height": _int64(h),
                "image/width": _int64(w)})))
        _write(os.path.join(folder, f"flowers_train_{shard:05d}-of-00002.tfrecord"), examples)
    with open(os.path.join(folder, "labels.txt"), "w") as handle:
        handle.write("0:daisy\n1:dandelion\n2:roses\n3:sunflowers\n4:tulips\n")
    layouts["flowers"] = (sorted(glob.glob(os.path.join(folder, "flowers_train_*.tfrecord"))), _flowers_decoder,
                          ["image", "label"])
    # cifar10: PNG 32x32x3, one file.
    folder = os.path.join(out_dir, "cifar10")
    os.makedirs(folder, exist_ok=True)
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": _bytes(_encode(sess, _image(32, 32), "png")), "image/format": _bytes(b"png"),
        "image/class/label": _int64(i), "image/height": _int64(32), "image/width": _int64(32)}))
        for i in range(4)]
    _write(os.path.join(folder, "cifar10_test.tfrecord"), examples)
    layouts["cifar10"] = ([os.path.join(folder, "cifar10_test.tfrecord")], _cifar10_decoder, ["image", "label"])
    # mnist: raw 28x28x1 bytes.
    folder = os.path.join(out_dir, "mnist")
    os.makedirs(folder, exist_ok=True)
    examples = [tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": _bytes(_image(28, 28, 1).tobytes()), "image/format": _bytes(b"raw"),
        "image/class/label": _int64(9 - i), "image/height": _int64(28), "image/width": _int64(28)}))
        for i in range(4)]
    _write(os.path.join(folder, "mnist_test.tfrecord"), examples)
    layouts["mnist"] = ([os.path.join(folder, "mnist_test.tfrecord")], _mnist_decoder, ["image", "label"])
    # imagenet: JPEG ('JPEG', as build_imagenet_data writes), text, 0..2 boxes; one with a grey JPEG.
    folder = os.path.join(out_dir, "imagenet")
    os.makedirs(folder, exist_ok=True)
    examples = []
    for i in range(3):
        channels = 1 if i == 2 else 3
        image = _image(19 + i, 25, channels)
        boxes = RNG.uniform(0, 1, (i, 4)).astype(np.float32)
        feature = {
            "image/encoded": _bytes(_encode(sess, image, "jpeg")), "image/format": _bytes(b"JPEG"),
            "image/class/label": _int64(1 + 100 * i), "image/class/text": _bytes(f"synset {i}".encode()),
            "image/class/synset": _bytes(f"n0{i}".encode()), "image/height": _int64(image.shape[0]),
            "image/width": _int64(image.shape[1]), "image/colorspace": _bytes(b"RGB"),
            "image/channels": _int64(3), "image/filename": _bytes(f"img{i}.JPEG".encode()),
            "image/object/bbox/xmin": _float(np.minimum(boxes[:, 0], boxes[:, 1]).tolist()),
            "image/object/bbox/xmax": _float(np.maximum(boxes[:, 0], boxes[:, 1]).tolist()),
            "image/object/bbox/ymin": _float(np.minimum(boxes[:, 2], boxes[:, 3]).tolist()),
            "image/object/bbox/ymax": _float(np.maximum(boxes[:, 2], boxes[:, 3]).tolist()),
            "image/object/bbox/label": _int64([1 + 100 * i] * i),
        }
        if i != 1:
            feature["image/object/class/label"] = _int64([1 + 100 * i] * i)
        examples.append(tf.train.Example(features=tf.train.Features(feature=feature)))
    _write(os.path.join(folder, "validation-00000-of-00001"), examples)
    layouts["imagenet"] = ([os.path.join(folder, "validation-00000-of-00001")], _imagenet_decoder,
                           ["image", "label", "label_text", "object/bbox", "object/label"])
    for name, (files, decoder_fn, items) in layouts.items():
        _save_expected(os.path.join(out_dir, name, "expected.npz"), _decode_files(sess, files, decoder_fn, items))


def make_tf_read(sess, fixtures):
    """What TF + Slim's decoders read from the files torchslim's writer made (``written/<layout>/``)."""
    # (imagenet: the train shards of written/imagenet, with every item of Slim's imagenet decoder)
    layouts = (("flowers", ("train", "validation"), "flowers_%s_*.tfrecord", _flowers_decoder),
               ("cifar10", ("train", "test"), "cifar10_%s.tfrecord", _cifar10_decoder),
               ("mnist", ("train", "test"), "mnist_%s.tfrecord", _mnist_decoder))
    os.makedirs(os.path.join(fixtures, "tf_read"), exist_ok=True)
    for name, splits, pattern, decoder_fn in layouts:
        folder = os.path.join(fixtures, "written", name)
        if not os.path.isdir(folder):
            print(f"skipping tf_read/{name}: run tools/make_data_written.py first", file=sys.stderr)
            continue
        for split in splits:
            files = sorted(glob.glob(os.path.join(folder, pattern % split)))
            out = _decode_files(sess, files, decoder_fn, ["image", "label"])
            _save_expected(os.path.join(fixtures, "tf_read", f"{name}_{split}.npz"), out)
    folder = os.path.join(fixtures, "written", "imagenet")
    if os.path.isdir(folder):
        files = sorted(glob.glob(os.path.join(folder, "train-*")))
        out = _decode_files(sess, files, _imagenet_decoder, ["image", "label", "label_text", "object/bbox",
                                                             "object/label"])
        _save_expected(os.path.join(fixtures, "tf_read", "imagenet_train.npz"), out)


# ----------------------------------------------------------------------------------------------
# Preprocessing.

def _smallest_size_at_least(height, width, smallest_side):
    height, width = tf.to_float(height), tf.to_float(width)
    smallest_side = tf.to_float(smallest_side)
    scale = tf.cond(tf.greater(height, width), lambda: smallest_side / width, lambda: smallest_side / height)
    return tf.to_int32(tf.rint(height * scale)), tf.to_int32(tf.rint(width * scale))


def _vgg_eval(image, out_h, out_w, resize_side):
    """vgg_preprocessing.preprocess_for_eval's calls, in its order."""
    shape = tf.shape(image)
    new_h, new_w = _smallest_size_at_least(shape[0], shape[1], resize_side)
    resized = tf.squeeze(tf.image.resize_bilinear(tf.expand_dims(image, 0), [new_h, new_w], align_corners=False))
    rshape = tf.shape(resized)
    offsets = tf.to_int32(tf.stack([(rshape[0] - out_h) / 2, (rshape[1] - out_w) / 2, 0]))
    cropped = tf.to_float(tf.slice(resized, offsets, tf.stack([out_h, out_w, rshape[2]])))
    channels = tf.split(axis=2, num_or_size_splits=3, value=cropped)
    for i, mean in enumerate((123.68, 116.78, 103.94)):
        channels[i] -= mean
    return tf.concat(axis=2, values=channels)


def _inception_eval(image, out_h, out_w, central_fraction=0.875):
    """inception_preprocessing.preprocess_for_eval's calls, in its order."""
    image = tf.image.convert_image_dtype(image, dtype=tf.float32)
    image = tf.image.central_crop(image, central_fraction=central_fraction)
    image = tf.squeeze(tf.image.resize_bilinear(tf.expand_dims(image, 0), [out_h, out_w], align_corners=False), [0])
    return tf.multiply(tf.subtract(image, 0.5), 2.0)


def _cifarnet_eval(image, out_h, out_w):
    """cifarnet_preprocessing.preprocess_for_eval's calls (crop_or_pad gets width, height as upstream)."""
    resized = tf.image.resize_image_with_crop_or_pad(tf.to_float(image), out_w, out_h)
    return tf.image.per_image_standardization(resized)


def _lenet(image, out_h, out_w):
    """lenet_preprocessing.preprocess_image's calls."""
    image = tf.image.resize_image_with_crop_or_pad(tf.to_float(image), out_w, out_h)
    return tf.div(tf.subtract(image, 128.0), 128.0)


def make_preprocessing(sess, path):
    """Inputs and TF's outputs of the evaluation preprocessings and of the deterministic tf.image ops."""
    arrays = {}
    cases = {
        "inception": [((61, 47), (29, 31)), ((40, 40), (40, 40)), ((33, 75), (24, 16))],
        "vgg": [((61, 47), (32, 32), 40), ((50, 90), (30, 34), 37), ((45, 45), (45, 45), 45)],
        "cifarnet": [((32, 32), (32, 32)), ((36, 30), (28, 33)), ((20, 25), (32, 32))],
        "lenet": [((28, 28), (28, 28)), ((30, 26), (28, 24))],
    }
    for name, entries in cases.items():
        for i, entry in enumerate(entries):
            image = _image(*entry[0])
            placeholder = tf.placeholder(tf.uint8, [None, None, 3])
            out_h, out_w = entry[1]
            if name == "vgg":
                op = _vgg_eval(placeholder, out_h, out_w, entry[2])
                arrays[f"{name}/{i}/resize_side"] = np.asarray(entry[2])
            else:
                op = {"inception": _inception_eval, "cifarnet": _cifarnet_eval, "lenet": _lenet}[name](
                    placeholder, out_h, out_w)
            arrays[f"{name}/{i}/input"] = image
            arrays[f"{name}/{i}/size"] = np.asarray([out_h, out_w])
            arrays[f"{name}/{i}/output"] = sess.run(op, {placeholder: image})
    # resize_images, all four methods, down and up.
    image = _image(23, 31).astype(np.float32)
    placeholder = tf.placeholder(tf.float32, image.shape)
    arrays["resize/input"] = image
    for method in range(4):
        for size in ((11, 17), (40, 45), (23, 50)):
            op = tf.image.resize_images(placeholder, size, method)
            arrays[f"resize/{method}/{size[0]}x{size[1]}"] = sess.run(op, {placeholder: image})
    # the colour ops at fixed factors, on a float image in [0, 1].
    unit = _image(13, 9).astype(np.float32) / 255.0
    placeholder = tf.placeholder(tf.float32, unit.shape)
    arrays["colour/input"] = unit
    ops = {"saturation_0.6": tf.image.adjust_saturation(placeholder, 0.6),
           "saturation_1.4": tf.image.adjust_saturation(placeholder, 1.4),
           "hue_0.15": tf.image.adjust_hue(placeholder, 0.15), "hue_-0.2": tf.image.adjust_hue(placeholder, -0.2),
           "contrast_0.7": tf.image.adjust_contrast(placeholder, 0.7),
           "brightness_0.1": tf.image.adjust_brightness(placeholder, 0.1),
           "grayscale": tf.image.rgb_to_grayscale(placeholder),
           "standardization": tf.image.per_image_standardization(placeholder),
           "central_crop_0.875": tf.image.central_crop(placeholder, 0.875),
           "rgb_to_hsv": tf.image.rgb_to_hsv(placeholder)}
    for name, op in ops.items():
        arrays[f"colour/{name}"] = sess.run(op, {placeholder: unit})
    np.savez_compressed(path, **arrays)


def make_distorted_boxes(sess, path, samples=4000):
    """Windows of sample_distorted_bounding_box with inception_preprocessing's settings."""
    arrays = {}
    for shape, box in (((120, 90, 3), [0.0, 0.0, 1.0, 1.0]), ((60, 200, 3), [0.1, 0.2, 0.5, 0.6])):
        begin, size, _ = tf.image.sample_distorted_bounding_box(
            shape, bounding_boxes=tf.constant([[box]], tf.float32), min_object_covered=0.1,
            aspect_ratio_range=(0.75, 1.33), area_range=(0.05, 1.0), max_attempts=100,
            use_image_if_no_bounding_boxes=True)
        windows = np.array([np.concatenate(sess.run([begin, size]))[[0, 1, 3, 4]] for _ in range(samples)])
        key = f"{shape[0]}x{shape[1]}"
        arrays[f"{key}/windows"] = windows      # top, left, height, width
        arrays[f"{key}/box"] = np.asarray(box)
    np.savez_compressed(path, **arrays)


def main(argv):
    out = argv[1] if len(argv) > 1 and not argv[1].startswith("--") else "tests/fixtures/data"
    os.makedirs(out, exist_ok=True)
    with tf.Session() as sess:
        if "--tf_read_only" in argv:  # after make_data_written.py, leaving the other golden files alone
            make_tf_read(sess, out)
            return
        make_tf_written(sess, os.path.join(out, "tf_written"))
        make_tf_read(sess, out)
        make_preprocessing(sess, os.path.join(out, "preprocessing.npz"))
        make_distorted_boxes(sess, os.path.join(out, "distorted_boxes.npz"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
