"""Training, evaluation and data for TF-Slim nets: ``slim.learning`` and the ``torchslim train`` job.

Modules: :mod:`~torchslim.train.learning` (``create_train_op``, ``train``), :mod:`~torchslim.train.optim`
(TF's optimizers and learning-rate schedules), :mod:`~torchslim.train.data` (embedded digits, image
folders, batches), :mod:`~torchslim.train.preprocessing` (Slim's vgg / inception preprocessing),
:mod:`~torchslim.train.evaluation` (accuracy metrics), :mod:`~torchslim.train.run_dir` (checkpoints
and resuming), :mod:`~torchslim.train.events` (TensorBoard event files), :mod:`~torchslim.train.job`
(the training job) and :mod:`~torchslim.train.cli` (the commands).
"""

from torchslim.train import learning

__all__ = ["learning"]
