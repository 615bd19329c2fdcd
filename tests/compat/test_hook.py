"""torchslim.compat.install(): the import hook that serves tensorflow / tf_slim from torchslim."""

from __future__ import annotations

import importlib
import sys

import pytest

import torchslim
import torchslim.compat as compat
from torchslim.compat.hook import SERVED


@pytest.fixture()
def hook():
    compat.install()
    yield
    compat.uninstall()


def test_serves_the_modules_model_files_import(hook):
    import tensorflow as tf
    import tensorflow.compat.v1 as tf1
    import tf_slim as slim
    from tensorflow.contrib import slim as contrib_slim
    from tensorflow.contrib.training import HParams
    from tensorflow.python.framework import tensor_util
    from tensorflow.python.ops import init_ops, nn_ops

    assert tf is compat and tf1 is compat.v1 and tf.compat.v1 is tf1 and tf1.compat.v1 is tf1
    assert slim is torchslim and contrib_slim is torchslim and tf.contrib.slim is torchslim
    assert HParams(depth=3).depth == 3 and tensor_util.constant_value([1, 2]).tolist() == [1, 2]
    assert init_ops.zeros_initializer is tf1.zeros_initializer and nn_ops.relu is tf1.nn.relu
    assert importlib.import_module("tf_slim.layers") is importlib.import_module("torchslim.layers")


def test_every_served_module_imports(hook):
    for name in SERVED:
        assert importlib.import_module(name) is sys.modules[name]


def test_served_modules_keep_their_own_identity(hook):
    import tensorflow.contrib.slim  # noqa: F401
    import tf_slim  # noqa: F401
    assert torchslim.__name__ == "torchslim" and torchslim.__spec__.name == "torchslim"
    assert compat.v1.__spec__.name == "torchslim.compat.v1"


def test_unserved_modules_are_refused_by_name(hook):
    with pytest.raises(ModuleNotFoundError, match="No module named 'tensorflow.keras'.*serves"):
        import tensorflow.keras  # noqa: F401
    with pytest.raises(ModuleNotFoundError, match="tf_slim.nonexistent"):
        importlib.import_module("tf_slim.nonexistent")
    with pytest.raises(ModuleNotFoundError, match="tensorflow.shape"):  # never a torchslim.compat file
        importlib.import_module("tensorflow.shape")


def test_uninstall_forgets_everything():
    compat.install()
    compat.install()  # idempotent
    import tensorflow  # noqa: F401
    assert compat.installed()
    compat.uninstall()
    assert not compat.installed() and not [m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tf_slim")]
    with pytest.raises(ModuleNotFoundError):
        import tensorflow  # noqa: F401,F811
    compat.uninstall()  # idempotent


def test_refuses_when_tensorflow_is_already_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    with pytest.raises(RuntimeError, match="tensorflow is already imported"):
        compat.install()
    assert not compat.installed()


def test_slim_training_hparams_as_upstream_nasnet_builds_its_config():
    # nets/nasnet/nasnet.py: `import tf_slim as slim` ... `slim.training.HParams(stem_multiplier=3.0, ...)`.
    import torchslim.compat as compat
    compat.install()
    try:
        import tf_slim as slim
        hparams = slim.training.HParams(stem_multiplier=3.0, use_aux_head=1)
        hparams.set_hparam("use_aux_head", 0)
        assert (hparams.stem_multiplier, hparams.use_aux_head) == (3.0, 0)
        assert slim.layers.l2_regularizer is slim.l2_regularizer
        assert slim.layers.variance_scaling_initializer is slim.variance_scaling_initializer
    finally:
        compat.uninstall()
