"""Byte-level file formats shared by checkpoints, event files and training runs.

One module per concern, with no knowledge of what the bytes mean:

* :mod:`~torchslim.io.atomic`: atomic file writes (temporary file, fsync, rename, directory fsync)
  and :class:`~torchslim.io.atomic.StagedFiles`, files renamed into place together.
* :mod:`~torchslim.io.crc32c`: CRC-32C (Castagnoli) and TensorFlow's masked CRC.
* :mod:`~torchslim.io.protowire`: the protobuf wire format (varints, fixed and length-delimited
  fields), decoded with bounds checks.
* :mod:`~torchslim.io.errors`: :class:`~torchslim.io.errors.FileFormatError`, raised for malformed
  bytes, naming the file.

:mod:`torchslim.checkpoint` (tables, bundles, V1 files, the state file), :mod:`torchslim.train.events`
(TensorBoard event files) and :mod:`torchslim.train.run_dir` / :mod:`torchslim.train.job` (run
directories) are built on these. This package imports nothing else from torchslim.
"""
