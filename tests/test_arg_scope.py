"""arg_scope: tf-slim's arg_scope_test.py ported case by case, plus context isolation and seed snippets."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import threading

import pytest
import torch

import torchslim as slim
from torchslim import arg_scope, add_arg_scope, arg_scope_func_key, arg_scoped_arguments, current_arg_scope


@add_arg_scope
def func1(*args, **kwargs):
    return (args, kwargs)


@add_arg_scope
def func2(*args, **kwargs):
    return (args, kwargs)


@add_arg_scope
def func3(args, a=None, b=1, c=2):
    """Some cool doc string."""
    return (args, a, b, c)


@add_arg_scope
def func4(x="x", y="y"):
    if x:
        pass
    if y:
        pass


def _key_op(op):
    return getattr(op, "_key_op", str(op))


# --- tf-slim arg_scope_test.py -------------------------------------------------------------------


def test_empty_arg_scope():
    with arg_scope([]) as sc:
        assert sc == {}


def test_clear_arg_scope():
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    key_op = _key_op(func1)
    func1_scope = {key_op: func1_kwargs.copy()}
    with arg_scope([func1], a=1, b=None, c=[1]) as sc1:
        assert sc1 == func1_scope
        with arg_scope({}) as sc2:
            assert sc2 == {}
        with arg_scope([]) as current_scope:
            assert current_scope == func1_scope


def test_non_decorated():
    def my_func(t, a=None):
        return (t, a)

    with pytest.raises(ValueError):
        with arg_scope([my_func], a=1):
            pass


def test_unexpected_arg():
    with pytest.raises(TypeError):
        with arg_scope([func3], d=1):
            func3(1)


def test_current_arg_scope():
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    key_op = _key_op(func1)
    current_scope = {key_op: func1_kwargs.copy()}
    with arg_scope([func1], a=1, b=None, c=[1]) as scope:
        assert scope == current_scope
        assert current_arg_scope() == current_scope


def test_arg_scoped_arguments():
    assert arg_scoped_arguments(func3) == ("a", "b", "c")


def test_arg_scoped_arguments_of_layers_use_the_signature():
    # TF-Slim's co_varnames slice returns () for batch_norm; the signature is what a port should give.
    assert arg_scoped_arguments(slim.batch_norm)[:3] == ("decay", "center", "scale")
    assert "is_training" in arg_scoped_arguments(slim.batch_norm)
    assert arg_scoped_arguments(slim.conv2d)[:3] == ("stride", "padding", "data_format")


def test_current_arg_scope_nested():
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    func2_kwargs = {"b": 2, "d": [2]}
    current_scope = {_key_op(func1): func1_kwargs.copy(), _key_op(func2): func2_kwargs.copy()}
    with arg_scope([func1], a=1, b=None, c=[1]):
        with arg_scope([func2], b=2, d=[2]) as scope:
            assert scope == current_scope


def test_reuse_arg_scope():
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    current_scope = {_key_op(func1): func1_kwargs.copy()}
    with arg_scope([func1], a=1, b=None, c=[1]) as scope1:
        pass
    with arg_scope(scope1) as scope:
        assert scope == current_scope


def test_reuse_arg_scope_nested():
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    func2_kwargs = {"b": 2, "d": [2]}
    key1, key2 = _key_op(func1), _key_op(func2)
    current_scope1 = {key1: func1_kwargs.copy()}
    current_scope2 = {key1: func1_kwargs.copy(), key2: func2_kwargs.copy()}
    with arg_scope([func1], a=1, b=None, c=[1]) as scope1:
        with arg_scope([func2], b=2, d=[2]) as scope2:
            pass
    with arg_scope(scope1):
        assert current_arg_scope() == current_scope1
    with arg_scope(scope2):
        assert current_arg_scope() == current_scope2


def test_simple_arg_scope():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    with arg_scope([func1], a=1, b=None, c=[1]):
        args, kwargs = func1(0)
        assert args == func1_args
        assert kwargs == func1_kwargs


def test_simple_arg_scope_with_tuple():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    with arg_scope((func1,), a=1, b=None, c=[1]):
        args, kwargs = func1(0)
        assert args == func1_args
        assert kwargs == func1_kwargs


def test_overwrite_arg_scope():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": 2, "c": [1]}
    with arg_scope([func1], a=1, b=None, c=[1]):
        args, kwargs = func1(0, b=2)
        assert args == func1_args
        assert kwargs == func1_kwargs


def test_nested_arg_scope():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    with arg_scope([func1], a=1, b=None, c=[1]):
        args, kwargs = func1(0)
        assert args == func1_args
        assert kwargs == func1_kwargs
        func1_kwargs["b"] = 2
        with arg_scope([func1], b=2):
            args, kwargs = func1(0)
            assert args == func1_args
            assert kwargs == func1_kwargs


def test_nested_arg_scope_object_created_outside_scope_overrides_arg_scope():
    def get_scope_object():
        with arg_scope([func1], a=1, b=None, c=[1]) as sc:
            return sc

    scope_object = get_scope_object()
    with arg_scope([func1], b=2, d=10):
        with arg_scope(scope_object):
            args, kwargs = func1(0)
            assert args == (0,)
            assert kwargs == {"a": 1, "b": None, "c": [1]}


def test_arg_scope_object_created_within_scope_inherits_arg_scope():
    def get_scope_object():
        with arg_scope([func1], a=1, b=None, c=[1]) as sc:
            return sc

    with arg_scope([func1], b=2, d=10):
        scope_object = get_scope_object()
        with arg_scope(scope_object):
            args, kwargs = func1(0)
            assert args == (0,)
            assert kwargs == {"a": 1, "b": None, "c": [1], "d": 10}


def test_shared_arg_scope():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    with arg_scope([func1, func2], a=1, b=None, c=[1]):
        args, kwargs = func1(0)
        assert args == func1_args
        assert kwargs == func1_kwargs
        args, kwargs = func2(0)
        assert args == func1_args
        assert kwargs == func1_kwargs


def test_shared_arg_scope_tuple():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    with arg_scope((func1, func2), a=1, b=None, c=[1]):
        args, kwargs = func1(0)
        assert args == func1_args
        assert kwargs == func1_kwargs
        args, kwargs = func2(0)
        assert args == func1_args
        assert kwargs == func1_kwargs


def test_partially_shared_arg_scope():
    func1_args = (0,)
    func1_kwargs = {"a": 1, "b": None, "c": [1]}
    func2_args = (1,)
    func2_kwargs = {"a": 1, "b": None, "d": [2]}
    with arg_scope([func1, func2], a=1, b=None):
        with arg_scope([func1], c=[1]):
            with arg_scope([func2], d=[2]):
                args, kwargs = func1(0)
                assert args == func1_args
                assert kwargs == func1_kwargs
                args, kwargs = func2(1)
                assert args == func2_args
                assert kwargs == func2_kwargs


def test_add_arg_scope_race_condition():
    func4_kwargs = ("a", "b", "c", "d", "e", "f", "g", "h")
    for _ in range(4):
        # redefine the function with different args
        @add_arg_scope
        def func4(a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8):
            pass

        assert arg_scoped_arguments(func4) == func4_kwargs


def test_doc_string():
    assert func3.__doc__ == "Some cool doc string."


# --- errors and messages -------------------------------------------------------------------------


def test_dict_scope_with_kwargs_is_a_value_error():
    with pytest.raises(ValueError, match="kwargs must be empty"):
        with arg_scope({}, a=1):
            pass


def test_neither_list_nor_dict_is_a_type_error():
    with pytest.raises(TypeError, match="list/tuple or reused scope"):
        with arg_scope(func1, a=1):
            pass


def test_scope_is_popped_after_an_exception():
    with pytest.raises(RuntimeError):
        with arg_scope([func1], a=1):
            raise RuntimeError("boom")
    assert current_arg_scope() == {}
    assert func1(0) == ((0,), {})


def test_positional_arguments_are_not_reconciled():
    # tensorflow/tensorflow#4657: arg_scope only affects keyword arguments.
    @add_arg_scope
    def fc(inputs, num_outputs, scope=None):
        return num_outputs

    with arg_scope([fc], num_outputs=20):
        assert fc(0) == 20
        assert fc(0, num_outputs=30) == 30
        with pytest.raises(TypeError, match="multiple values"):
            fc(0, 30)


def test_unknown_kwarg_fails_at_call_time_not_scope_time():
    model = slim.Model(lambda x: slim.conv2d(x, 2, 1))
    with arg_scope([slim.conv2d], bogus=1):
        model2 = slim.Model(lambda x: slim.conv2d(x, 2, 1))
    model(torch.zeros(1, 2, 2, 1))
    with pytest.raises(TypeError, match="bogus"):
        model2(torch.zeros(1, 2, 2, 1))


# --- keys, aliases, signatures -------------------------------------------------------------------


def test_aliases_share_a_key():
    assert arg_scope_func_key(slim.conv2d) == arg_scope_func_key(slim.convolution2d)
    assert arg_scope_func_key(slim.conv2d) != arg_scope_func_key(slim.convolution)
    assert arg_scope_func_key(slim.separable_conv2d) == arg_scope_func_key(slim.separable_convolution2d)
    assert arg_scope_func_key(slim.conv2d_transpose) == arg_scope_func_key(slim.convolution2d_transpose)
    with arg_scope([slim.convolution2d], stride=3) as sc:
        assert sc[arg_scope_func_key(slim.conv2d)] == {"stride": 3}


def test_every_layer_is_arg_scoped_except_repeat_stack_softmax():
    for op in (slim.conv2d, slim.convolution, slim.conv2d_transpose, slim.separable_conv2d,
               slim.fully_connected, slim.batch_norm, slim.max_pool2d, slim.avg_pool2d, slim.flatten,
               slim.dropout, slim.bias_add, slim.one_hot_encoding, slim.unit_norm, slim.layer_norm,
               slim.model_variable):
        assert slim.has_arg_scope(op), op
    for op in (slim.repeat, slim.stack):
        assert not slim.has_arg_scope(op)


def test_name_doc_and_signature_preserved():
    assert func3.__name__ == "func3"
    params = list(inspect.signature(func3).parameters)
    assert params == ["args", "a", "b", "c"]
    sig = inspect.signature(slim.conv2d)
    assert list(sig.parameters)[:4] == ["inputs", "num_outputs", "kernel_size", "stride"]
    assert sig.parameters["padding"].default == "SAME"
    assert slim.conv2d.__name__ == "convolution2d"
    assert slim.batch_norm.__doc__ and "moving" in slim.batch_norm.__doc__
    bn = inspect.signature(slim.batch_norm).parameters
    assert bn["decay"].default == 0.999 and bn["epsilon"].default == 0.001 and bn["scale"].default is False


def test_scoped_kwargs_reach_real_layers():
    def net(x):
        with arg_scope([slim.conv2d], num_outputs=5, kernel_size=[1, 1], activation_fn=None):
            return slim.conv2d(x)

    model = slim.Model(net)
    assert model(torch.zeros(2, 3, 3, 4)).shape == (2, 3, 3, 5)


# --- isolation -----------------------------------------------------------------------------------


def test_thread_does_not_see_another_threads_scope():
    seen = {}
    entered = threading.Event()
    release = threading.Event()

    def worker_a():
        with arg_scope([func1], a="thread-a"):
            entered.set()
            release.wait(5)
            seen["a"] = func1(0)[1]

    def worker_b():
        entered.wait(5)
        seen["b"] = func1(0)[1]
        seen["b_scope"] = current_arg_scope()
        release.set()

    with arg_scope([func1], a="main"):
        ta, tb = threading.Thread(target=worker_a), threading.Thread(target=worker_b)
        ta.start()
        tb.start()
        ta.join(10)
        tb.join(10)
        assert func1(0)[1] == {"a": "main"}
    assert seen == {"a": {"a": "thread-a"}, "b": {}, "b_scope": {}}
    assert current_arg_scope() == {}


def test_asyncio_tasks_are_isolated():
    async def task(value, first: asyncio.Event, second: asyncio.Event):
        with arg_scope([func1], a=value):
            first.set()
            await second.wait()
            await asyncio.sleep(0)
            return func1(0)[1]

    async def main():
        e1, e2 = asyncio.Event(), asyncio.Event()
        t1 = asyncio.create_task(task(1, e1, e2))
        t2 = asyncio.create_task(task(2, e2, e1))
        return await asyncio.gather(t1, t2), current_arg_scope()

    (r1, r2), outer = asyncio.run(main())
    assert r1 == {"a": 1} and r2 == {"a": 2}
    assert outer == {}


# --- seed snippets -------------------------------------------------------------------------------

SEED_003 = '''
import torchslim as slim
@slim.add_arg_scope
def hh(name, add_arg):
    print("name:", name)
    print("add_arg:", add_arg)
with slim.arg_scope([hh], add_arg='this is add'):
    hh('test')
'''


def test_seed_003_add_arg_scope_snippet():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(SEED_003, "seed_003", "exec"), {})
    assert out.getvalue() == "name: test\nadd_arg: this is add\n"


def resnet_arg_scope(weight_decay=0.0001, batch_norm_decay=0.997, batch_norm_epsilon=1e-5):
    """The seed 000 ``resnet_arg_scope``, with only the import changed (tf.nn.relu -> slim.nn.relu)."""
    with slim.arg_scope([slim.conv2d],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=slim.variance_scaling_initializer(),
                        activation_fn=slim.nn.relu,
                        normalizer_fn=slim.batch_norm,
                        normalizer_params={'decay': batch_norm_decay, 'epsilon': batch_norm_epsilon}):
        with slim.arg_scope([slim.batch_norm], is_training=True):
            with slim.arg_scope([slim.max_pool2d], padding='SAME') as arg_sc:
                return arg_sc


def test_seed_000_returned_scope_applies_every_default():
    sc = resnet_arg_scope()
    assert current_arg_scope() == {}
    assert set(sc) == {arg_scope_func_key(f) for f in (slim.conv2d, slim.batch_norm, slim.max_pool2d)}

    def build(inputs):
        net = slim.conv2d(inputs, 4, [3, 3], scope="conv1")
        net = slim.max_pool2d(net, [3, 3], stride=2, scope="pool1")
        return net

    torch.manual_seed(0)
    with slim.arg_scope(sc):
        model = slim.Model(build)
    model.eval()  # is_training=True comes from the scope and must win
    x = torch.rand(2, 5, 5, 3) + 1.0
    y = model(x)
    assert y.shape == (2, 3, 3, 4)  # SAME from the scope; VALID would give 2x2
    assert list(model.tf_variables()) == [
        "conv1/weights", "conv1/BatchNorm/beta", "conv1/BatchNorm/moving_mean", "conv1/BatchNorm/moving_variance"]
    # l2 regularizer with weight_decay 1e-4
    w = model.variable("conv1/weights").to_tf()
    (loss,) = model.regularization_losses()
    torch.testing.assert_close(loss, 1e-4 * w.square().sum() / 2)
    # variance scaling: truncated normal, nothing beyond 2 sigma of sqrt(1.3 * 2 / 27)
    assert float(w.abs().max()) <= 2 * (1.3 * 2 / 27) ** 0.5 + 1e-6
    # batch norm in training mode with decay .997: one step moves the mean by 0.003 of the batch mean
    pre = torch.nn.functional.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), padding=1)
    batch_mean = pre.mean(dim=(0, 2, 3))
    torch.testing.assert_close(model.variable("conv1/BatchNorm/moving_mean").to_tf(), 0.003 * batch_mean,
                               rtol=1e-4, atol=1e-6)
    # epsilon 1e-5 (not the default 1e-3): outputs are relu((pre - mean) / sqrt(var + 1e-5)) + beta
    normalized = torch.nn.functional.batch_norm(pre, None, None, training=True, eps=1e-5).relu()
    pooled = torch.nn.functional.max_pool2d(torch.nn.functional.pad(normalized, (1, 1, 1, 1), value=-1e9), 3, 2)
    torch.testing.assert_close(y, pooled.permute(0, 2, 3, 1), rtol=1e-5, atol=1e-5)
