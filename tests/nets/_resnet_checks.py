"""TF-Slim's resnet_v1_test / resnet_v2_test (tensorflow/models, newest), shared by the v1 and v2 tests.

``test_resnet_v1.py`` and ``test_resnet_v2.py`` subclass :class:`ResnetChecks` with ``NET`` set. The
TF tests build graphs with placeholders and ``reuse_variables()``; here a :class:`slim.Model` runs
the same function eagerly, weights are shared within one call through ``reuse=True`` scopes, and
"unknown" shapes are one model called with several sizes. Batch-norm variables are randomised after
building so that the value comparisons exercise them (TF's tests kept the trivial initial values).
Most checks also run with the basic (ResNet-18/34) units, which have no TF-Slim original.
"""

from __future__ import annotations

import pytest
import torch

import torchslim as slim
from torchslim.nets import resnet_utils

from ._resnet import (NETS, assert_close_to_scale, block_fn, create_test_input, in_arg_scope, randomize,
                      resnet_small, small_blocks, trainable_parameter_count, unit_name)

KINDS = ["bottleneck", "basic"]


def _reuse_root():
    return slim.variable_scope(slim.get_variable_scope(), reuse=True)


def _stack_blocks_nondense(net, blocks):
    """TF's simplified block stacker without output-stride control."""
    for block in blocks:
        with slim.variable_scope(block.scope, "block", [net]):
            for i, unit in enumerate(block.args):
                with slim.variable_scope("unit_%d" % (i + 1), values=[net]):
                    net = block.unit_fn(net, rate=1, **unit)
    return net


def _built(fn, *inputs, seed=0, **kwargs):
    """A model of ``fn`` built on ``inputs`` with randomised biases and batch-norm variables."""
    torch.manual_seed(seed)
    model = slim.Model(fn, **kwargs).build(*inputs)
    randomize(model, seed)
    return model


class ResnetChecks:
    NET = "resnet_v1"

    @property
    def module(self):
        return NETS[self.NET]

    def small(self, kind="bottleneck"):
        return in_arg_scope(resnet_small(self.NET, kind))

    def unit(self, kind="bottleneck"):
        return unit_name(self.NET, kind)

    # ----------------------------------------------------------------------------------------------
    # ResnetUtilsTest

    @pytest.mark.parametrize("kind", KINDS)
    def test_end_points_plain(self, kind):
        """testEndPointsV1 / testEndPointsV2: a tiny network's unit end points."""
        block = block_fn(self.NET, kind)
        blocks = [block("block1", base_depth=1, num_units=2, stride=2),
                  block("block2", base_depth=2, num_units=2, stride=1)]

        def plain(inputs):
            with slim.variable_scope("tiny", values=[inputs]):
                with slim.arg_scope([slim.conv2d], outputs_collections="end_points"):
                    net = resnet_utils.stack_blocks_dense(inputs, blocks)
                    return net, slim.utils.convert_collection_to_dict("end_points")

        _, end_points = slim.Model(in_arg_scope(plain))(create_test_input(2, 32, 16, 3))
        convs = ["conv1", "conv2", "conv3"] if kind == "bottleneck" else ["conv1", "conv2"]
        expected = []
        for b in (1, 2):
            for u in (1, 2):
                names = (["shortcut"] if u == 1 else []) + convs
                expected += [f"tiny/block{b}/unit_{u}/{self.unit(kind)}/{name}" for name in names]
        assert sorted(end_points) == sorted(expected)
        assert len(end_points) == (14 if kind == "bottleneck" else 10)

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("output_stride", [1, 2, 4, 8, None])
    def test_atrous_values(self, output_stride, kind):
        """testAtrousValuesBottleneck: dense features + subsampling == features at the nominal stride."""
        blocks = small_blocks(self.NET, kind, units=(2, 2, 2, 2))
        factor = 1 if output_stride is None else 8 // output_stride

        def fn(inputs):
            with slim.arg_scope([slim.batch_norm], is_training=False):
                output = resnet_utils.stack_blocks_dense(inputs, blocks, output_stride)
                output = resnet_utils.subsample(output, factor)
                with _reuse_root():
                    expected = _stack_blocks_nondense(inputs, blocks)
            return output, expected

        inputs = create_test_input(1, 30, 31, 3)
        model = _built(in_arg_scope(fn), inputs)
        output, expected = model(inputs)
        assert_close_to_scale(output, expected)
        output, expected = model.double()(inputs.double())
        assert_close_to_scale(output, expected, rel=1e-12)

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("output_stride", [1, 2, 4, 8, None])
    def test_striding_last_unit_vs_subsample_block_end(self, output_stride, kind):
        """testStridingLastUnitVsSubsampleBlockEnd (models' v1 test; v2 gets it as a keyword here)."""
        blocks = small_blocks(self.NET, kind, units=(2, 2, 2, 2))

        def fn(inputs):
            with slim.arg_scope([slim.batch_norm], is_training=False):
                output = resnet_utils.stack_blocks_dense(inputs, blocks, output_stride,
                                                         store_non_strided_activations=False,
                                                         outputs_collections="output")
                output_end_points = slim.utils.convert_collection_to_dict("output")
                with _reuse_root():
                    expected = resnet_utils.stack_blocks_dense(inputs, blocks, output_stride,
                                                               store_non_strided_activations=True,
                                                               outputs_collections="expected")
                expected_end_points = slim.utils.convert_collection_to_dict("expected")
            return output, expected, output_end_points, expected_end_points

        inputs = create_test_input(1, 30, 31, 3)
        model = _built(in_arg_scope(fn), inputs)
        for dtype, rel in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
            output, expected, output_eps, expected_eps = model.to(dtype)(inputs.to(dtype))
            assert_close_to_scale(output, expected, rel)
            for i, block in enumerate(blocks[:-1]):
                got, want = output_eps[block.scope], expected_eps[block.scope]
                atrous_activated = output_stride is not None and 2 ** i >= output_stride
                if not atrous_activated:
                    assert want.shape[1] > got.shape[1]
                    want = resnet_utils.subsample(want, 2)
                assert_close_to_scale(got, want, rel)

    # ----------------------------------------------------------------------------------------------
    # ResnetCompleteNetworkTest

    def _classify(self, is_training=True, kind="bottleneck"):
        model = slim.Model(self.small(kind), num_classes=10, global_pool=True, spatial_squeeze=False,
                           is_training=is_training, scope="resnet")
        logits, end_points = model(create_test_input(2, 224, 224, 3))
        assert end_points["resnet/logits"] is logits
        assert list(logits.shape) == [2, 1, 1, 10]
        assert list(end_points["predictions"].shape) == [2, 1, 1, 10]
        assert list(end_points["global_pool"].shape) == [2, 1, 1, 32 if kind == "bottleneck" else 8]
        torch.testing.assert_close(end_points["predictions"].sum(-1), torch.ones(2, 1, 1))
        assert "resnet/spatial_squeeze" not in end_points
        return model

    def test_classification_end_points(self):
        self._classify()

    def test_classification_end_points_with_no_batch_norm_arg_scope(self):
        """is_training=None: no batch-norm arg scope; here batch norm then follows train()/eval()."""
        model = self._classify(is_training=None)
        name = "resnet/conv1/BatchNorm/moving_mean" if self.NET == "resnet_v1" else "resnet/postnorm/moving_mean"
        moving_mean = model.variable(name).to_tf()
        assert not torch.equal(moving_mean, torch.zeros_like(moving_mean))  # the training call updated it
        model.eval()
        x = create_test_input(2, 64, 64, 3)
        model(x)
        torch.testing.assert_close(model.variable(name).to_tf(), moving_mean, rtol=0, atol=0)
        model.train()
        model(x)
        assert not torch.equal(model.variable(name).to_tf(), moving_mean)

    def test_is_training_false_keeps_moving_statistics(self):
        model = slim.Model(self.small(), num_classes=10, is_training=False)
        model.train()
        model(create_test_input(2, 33, 33, 3))
        for name, var in model.tf_variables().items():
            if name.endswith("moving_mean"):
                assert torch.equal(var.to_tf(), torch.zeros(var.tf_shape)), name

    def test_endpoint_names(self):
        _, end_points = slim.Model(self.small(), num_classes=10, global_pool=True, scope="resnet")(
            create_test_input(2, 224, 224, 3))
        unit = self.unit()
        expected = ["resnet/conv1"]
        for block in range(1, 5):
            for u in range(1, 4 if block < 4 else 3):
                for conv in range(1, 4):
                    expected.append("resnet/block%d/unit_%d/%s/conv%d" % (block, u, unit, conv))
                expected.append("resnet/block%d/unit_%d/%s" % (block, u, unit))
            expected.append("resnet/block%d/unit_1/%s/shortcut" % (block, unit))
            expected.append("resnet/block%d" % block)
        expected.extend(["global_pool", "resnet/logits", "resnet/spatial_squeeze", "predictions"])
        assert sorted(end_points) == sorted(expected)
        assert len(end_points) == 57
        assert list(end_points)[-4:] == expected[-4:]

    @pytest.mark.parametrize("kind", KINDS)
    def test_classification_shapes(self, kind):
        _, end_points = slim.Model(self.small(kind), num_classes=10, global_pool=True, scope="resnet")(
            create_test_input(2, 224, 224, 3))
        scale = 4 if kind == "bottleneck" else 1
        for block, (size, depth) in enumerate([(28, 1), (14, 2), (7, 4), (7, 8)], start=1):
            assert list(end_points["resnet/block%d" % block].shape) == [2, size, size, depth * scale]
        assert list(end_points["resnet/spatial_squeeze"].shape) == [2, 10]

    @pytest.mark.parametrize("kind", KINDS)
    def test_fully_convolutional_endpoint_shapes(self, kind):
        _, end_points = slim.Model(self.small(kind), num_classes=10, global_pool=False, spatial_squeeze=False,
                                   scope="resnet")(create_test_input(2, 321, 321, 3))
        scale = 4 if kind == "bottleneck" else 1
        for block, (size, depth) in enumerate([(41, 1), (21, 2), (11, 4), (11, 8)], start=1):
            assert list(end_points["resnet/block%d" % block].shape) == [2, size, size, depth * scale]
        assert list(end_points["resnet/logits"].shape) == [2, 11, 11, 10]
        assert list(end_points["predictions"].shape) == [2, 11, 11, 10]

    def test_rootless_fully_convolutional_endpoint_shapes(self):
        _, end_points = slim.Model(self.small(), num_classes=10, global_pool=False, include_root_block=False,
                                   spatial_squeeze=False, scope="resnet")(create_test_input(2, 128, 128, 3))
        for block, (size, depth) in enumerate([(64, 4), (32, 8), (16, 16), (16, 32)], start=1):
            assert list(end_points["resnet/block%d" % block].shape) == [2, size, size, depth]
        assert "resnet/conv1" not in end_points

    @pytest.mark.parametrize("kind", KINDS)
    def test_atrous_fully_convolutional_endpoint_shapes(self, kind):
        _, end_points = slim.Model(self.small(kind), num_classes=10, global_pool=False, output_stride=8,
                                   spatial_squeeze=False, scope="resnet")(create_test_input(2, 321, 321, 3))
        scale = 4 if kind == "bottleneck" else 1
        for block, depth in enumerate([1, 2, 4, 8], start=1):
            assert list(end_points["resnet/block%d" % block].shape) == [2, 41, 41, depth * scale]

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("output_stride", [4, 8, 16, 32, None])
    def test_atrous_fully_convolutional_values(self, output_stride, kind):
        small = self.small(kind)
        factor = 1 if output_stride is None else 32 // output_stride

        def fn(inputs):
            output, _ = small(inputs, None, is_training=False, global_pool=False, output_stride=output_stride)
            output = resnet_utils.subsample(output, factor)
            with _reuse_root():
                expected, _ = small(inputs, None, is_training=False, global_pool=False)
            return output, expected

        inputs = create_test_input(2, 81, 81, 3)
        model = _built(fn, inputs)
        output, expected = model(inputs)
        assert output.shape == expected.shape == (2, 3, 3, 32 if kind == "bottleneck" else 8)
        assert_close_to_scale(output, expected)
        output, expected = model.double()(inputs.double())
        assert_close_to_scale(output, expected, rel=1e-12)

    def test_unknown_batch_size(self):
        """One model, any batch size; samples do not interact in inference."""
        model = slim.Model(self.small(), num_classes=10, global_pool=True, spatial_squeeze=False, scope="resnet")
        images = torch.rand(2, 65, 65, 3)
        model.build(images[:1])
        randomize(model)
        model.eval()
        single = torch.cat([model(images[i:i + 1], is_training=False)[0] for i in range(2)])
        both, end_points = model(images, is_training=False)
        assert end_points["resnet/logits"] is both
        assert both.shape == (2, 1, 1, 10)
        torch.testing.assert_close(both, single, atol=1e-5, rtol=1e-5)

    def test_fully_convolutional_unknown_height_width(self):
        model = slim.Model(self.small(), None, global_pool=False)
        assert model(create_test_input(2, 65, 65, 3))[0].shape == (2, 3, 3, 32)
        assert model(create_test_input(2, 97, 33, 3))[0].shape == (2, 4, 2, 32)

    def test_atrous_fully_convolutional_unknown_height_width(self):
        model = slim.Model(self.small(), None, global_pool=False, output_stride=8)
        assert model(create_test_input(2, 65, 65, 3))[0].shape == (2, 9, 9, 32)
        assert model(create_test_input(2, 33, 49, 3))[0].shape == (2, 5, 7, 32)

    # ----------------------------------------------------------------------------------------------
    # Beyond TF's tests: errors, reuse, heads, gradients, signatures.

    def test_output_stride_must_be_a_multiple_of_4(self):
        with pytest.raises(ValueError, match="The output_stride needs to be a multiple of 4."):
            slim.Model(self.small(), output_stride=6)(create_test_input(1, 33, 33, 3))

    def test_output_stride_beyond_nominal_cannot_be_reached(self):
        with pytest.raises(ValueError, match="The target output_stride cannot be reached."):
            slim.Model(self.small(), output_stride=64)(create_test_input(1, 33, 33, 3))

    def test_spatial_squeeze_needs_one_by_one_logits(self):
        with pytest.raises(ValueError, match="spatial_squeeze"):
            slim.Model(self.small(), 10, global_pool=False)(create_test_input(1, 65, 65, 3))

    @pytest.mark.parametrize("num_classes", [None, 0])
    def test_no_classes_returns_features(self, num_classes):
        model = slim.Model(self.small(), num_classes, global_pool=True, scope="resnet")
        net, end_points = model(create_test_input(2, 65, 65, 3))
        assert net is end_points["global_pool"]
        assert net.shape == (2, 1, 1, 32)
        assert "predictions" not in end_points and "resnet/logits" not in end_points
        assert not any("logits" in name for name in model.tf_variables())

    def test_default_scope_and_default_image_size(self):
        generic = getattr(self.module, self.NET)
        blocks = small_blocks(self.NET)
        model = slim.Model(in_arg_scope(lambda x: generic(x, blocks, 5)))
        _, end_points = model(create_test_input(1, 33, 33, 3))
        assert f"{self.NET}/logits" in end_points
        assert next(iter(model.tf_variables())) == f"{self.NET}/conv1/weights"
        assert generic.default_image_size == 224
        for depth in (18, 34, 50, 101, 152, 200):
            assert getattr(self.module, f"{self.NET}_{depth}").default_image_size == 224
        assert self.module.resnet_arg_scope is resnet_utils.resnet_arg_scope

    def test_reuse_shares_variables_between_towers(self):
        small = self.small()

        def towers(a, b):
            logits_a, _ = small(a, 10, is_training=False, scope="resnet")
            logits_b, _ = small(b, 10, is_training=False, scope="resnet", reuse=True)
            return logits_a, logits_b

        single = slim.Model(self.small(), 10, is_training=False, scope="resnet")
        single.build(create_test_input(1, 33, 33, 3))
        model = slim.Model(towers)
        x = torch.rand(2, 33, 33, 3)
        model.build(x, x)
        assert list(model.tf_variables()) == list(single.tf_variables())
        randomize(model)
        a, b = model(x, x)
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    def test_two_nets_in_one_model_get_separate_end_points(self):
        small = self.small()

        def two(x):
            _, first = small(x, 3, scope="first")
            _, second = small(x, 4, scope="second")
            return first, second

        first, second = slim.Model(two)(create_test_input(1, 33, 33, 3))
        assert all(k.startswith("first/") for k in first if "/" in k)
        assert all(k.startswith("second/") for k in second if "/" in k)
        assert second["predictions"].shape == (1, 4)

    @pytest.mark.parametrize("kind", KINDS)
    def test_gradients_reach_every_trainable_variable(self, kind):
        model = slim.Model(self.small(kind), 10, is_training=True)
        logits, _ = model(torch.rand(2, 33, 33, 3))
        loss = torch.nn.functional.cross_entropy(logits, torch.tensor([1, 2]))
        loss = loss + sum(model.regularization_losses())
        loss.backward()
        missing = [n for n, v in model.tf_variables().items() if v.trainable and v.tensor.grad is None]
        assert missing == []
        # One L2 loss per conv kernel (weight decay from resnet_arg_scope).
        assert len(model.regularization_losses()) == sum(n.endswith("/weights") for n in model.tf_variables())

    @pytest.mark.parametrize("depth,expected", [(18, 2 + 2 + 2 + 2), (34, 3 + 4 + 6 + 3)])
    def test_basic_nets_build(self, depth, expected):
        fn = in_arg_scope(getattr(self.module, f"{self.NET}_{depth}"))
        model = slim.Model(fn, 10, is_training=False)
        logits, end_points = model(torch.rand(1, 64, 64, 3))
        assert logits.shape == (1, 10)
        unit = self.unit("basic")
        units = [k for k in end_points if k.endswith("/" + unit)]
        assert len(units) == expected
        assert list(end_points[f"{self.NET}_{depth}/block4"].shape) == [1, 2, 2, 512]
        shortcuts = sorted(k for k in end_points if k.endswith("shortcut"))
        assert shortcuts == [f"{self.NET}_{depth}/block{b}/unit_1/{unit}/shortcut" for b in (2, 3, 4)]
        assert trainable_parameter_count(model) > 0
