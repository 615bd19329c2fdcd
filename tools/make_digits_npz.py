"""Regenerate ``src/torchslim/train/data/digits.npz`` from scikit-learn's bundled digits data.

The npz is the small real data set that ships inside torchslim so that ``torchslim train`` runs on a
fresh machine with no download. It is the UCI "Optical Recognition of Handwritten Digits" data in the
copy that scikit-learn bundles (``sklearn/datasets/data/digits.csv.gz``, read by
``sklearn.datasets.load_digits()``): 1797 images of 8x8 integer pixels in 0..16, labels 0..9.
Attribution and licence: ``src/torchslim/train/data/DIGITS_LICENSE.md``.

scikit-learn is needed ONLY to regenerate the file; it is not a dependency of torchslim. Run it in a
throwaway venv, e.g. the TF reference venv::

    /tmp/tfslim-ref/bin/pip install scikit-learn
    /tmp/tfslim-ref/bin/python tools/make_digits_npz.py            # writes src/torchslim/train/data/digits.npz
    /tmp/tfslim-ref/bin/python tools/make_digits_npz.py --check    # only compare with the committed file

Output (``numpy.load``): ``images`` uint8 [1797, 8, 8] (values 0..16, row-major 8x8 as in
``load_digits().images``) and ``labels`` uint8 [1797], in the order of the source file. The zip is
written with fixed member timestamps (1980-01-01) and DEFLATE level 9, so the same input always gives a
byte-identical file and the sha256 recorded in DIGITS_LICENSE.md can be checked.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, os.pardir, "src", "torchslim", "train", "data", "digits.npz")


def load_arrays():
    import sklearn
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = bunch.images
    labels = bunch.target
    if images.shape != (1797, 8, 8) or labels.shape != (1797,):
        raise SystemExit(f"unexpected shapes {images.shape} {labels.shape}")
    if not (np.all(images == np.round(images)) and images.min() >= 0 and images.max() <= 16):
        raise SystemExit("pixel values are not integers in 0..16")
    if labels.min() < 0 or labels.max() > 9:
        raise SystemExit("labels are not in 0..9")
    src = os.path.join(os.path.dirname(sys.modules["sklearn.datasets"].__file__), "data", "digits.csv.gz")
    return images.astype(np.uint8), labels.astype(np.uint8), sklearn.__version__, src


def npz_bytes(arrays: dict) -> bytes:
    """An npz (what numpy.savez_compressed makes) with fixed timestamps, so the bytes are reproducible."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buf.getvalue()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="compare with the existing file, write nothing")
    args = ap.parse_args(argv)

    images, labels, skl_version, src = load_arrays()
    data = npz_bytes({"images": images, "labels": labels})
    digest = hashlib.sha256(data).hexdigest()
    with open(src, "rb") as f:
        src_digest = hashlib.sha256(f.read()).hexdigest()
    print(f"scikit-learn {skl_version}; source {src} sha256 {src_digest}")
    print(f"images {images.shape} {images.dtype} min {images.min()} max {images.max()}; "
          f"labels {labels.shape} {labels.dtype} counts {np.bincount(labels).tolist()}")
    print(f"npz {len(data)} bytes sha256 {digest}")

    # Round trip through numpy.load.
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        assert np.array_equal(z["images"], images) and np.array_equal(z["labels"], labels)

    out = os.path.normpath(args.out)
    if args.check:
        with open(out, "rb") as f:
            old = f.read()
        same = old == data
        print(f"{out}: {'identical' if same else 'DIFFERENT'} (sha256 {hashlib.sha256(old).hexdigest()})")
        return 0 if same else 1
    os.makedirs(os.path.dirname(out), exist_ok=True)
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
