"""Training and evaluation of TF-Slim nets: ``slim.learning`` and the ``torchslim train`` / ``eval`` commands.

The library tier, usable from any script:

* :mod:`~torchslim.train.learning`: ``create_train_op`` and ``train``, TF-Slim's loop, eager.
* :mod:`~torchslim.train.optim`: TF's optimizers and learning-rate schedules.
* :mod:`~torchslim.train.run_dir`: checkpoints of a run directory and resuming from them.
* :mod:`~torchslim.train.distributed`: :class:`~torchslim.train.distributed.DistributedContext`, this
  process's rank, world size, device and whether it is the chief.
* :mod:`~torchslim.train.precision`: ``--precision`` and its autocast.
* :mod:`~torchslim.train.events`: TensorBoard event files.
* :mod:`~torchslim.train.data`: the embedded digits, image folders, batches (the preprocessing is
  :mod:`torchslim.preprocessing`'s ``preprocessing_factory``).
* :mod:`~torchslim.train.evaluation`: accuracy metrics over a data set or a checkpoint.

The job on top of it: :mod:`~torchslim.train.run_config` (a run's ``run_config.json`` and the data set
and net it rebuilds), :mod:`~torchslim.train.job` (``train_image_classifier.py`` + evaluation) and
:mod:`~torchslim.train.cli` (the commands). The nets come from :mod:`torchslim.nets.nets_factory`;
files are written with :mod:`torchslim.io`. Imports go one way: cli -> job -> evaluation ->
run_config -> the library modules.
"""

from torchslim.train import learning

__all__ = ["learning"]
