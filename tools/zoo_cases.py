"""The project's own zoo golden cases: the nets ``shared/fixtures/zoo`` leaves out.

One row per case: how upstream's ``research/slim/nets`` file builds it (module, function, kwargs,
arg-scope function and kwargs) and the input shape. ``tools/make_zoo_fixtures.py`` runs each row in
the reference TF-Slim; ``tests/nets/test_zoo_golden.py`` builds the same row with torchslim.

``checkpoint``: commit the TF checkpoint itself (small nets), or ``False`` to commit only the
calibrated batch-norm statistics and checksums, the tests redrawing the weights from the recipe
(``tools/zoo_weights.py``) — VGG, AlexNet and OverFeat hold 50M-146M parameters whatever the input.
``sample``: end points larger than this many elements are stored as evenly spaced samples.

A kwarg made by :func:`config` (NASNet / PNASNet's ``config``) is an HParams in both frameworks:
``{"hparams": "<function of the case's module>", "overrides": {...}}``, built by :func:`resolve_kwargs`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass(frozen=True)
class ZooCase:
    name: str
    module: str
    fn: str
    kwargs: Dict[str, Any]
    input_shape: List[int]
    arg_scope_module: Optional[str] = None
    arg_scope_fn: Optional[str] = None
    arg_scope_kwargs: Dict[str, Any] = field(default_factory=dict)
    checkpoint: bool = True
    sample: int = 2048
    notes: str = ""

    def as_dict(self) -> Dict[str, Any]:
        """The manifest's ``case`` entry (the layout of ``shared/fixtures/zoo``)."""
        arg_scope = None
        if self.arg_scope_fn is not None:
            arg_scope = {"module": self.arg_scope_module or self.module, "fn": self.arg_scope_fn,
                         "kwargs": dict(self.arg_scope_kwargs)}
        return {"name": self.name, "module": self.module, "fn": self.fn, "kwargs": dict(self.kwargs),
                "arg_scope": arg_scope, "input_shape": list(self.input_shape), "notes": self.notes}


EVAL = {"is_training": False}


def config(fn: str, **overrides: Any) -> Dict[str, Any]:
    """A JSON spec of an HParams kwarg: ``<case module>.<fn>()`` with ``set_hparam(name, value)`` per override."""
    return {"hparams": fn, "overrides": dict(overrides)}


CASES: List[ZooCase] = [
    ZooCase("alexnet_v2", "alexnet", "alexnet_v2", {"num_classes": 10, **EVAL}, [1, 224, 224, 3],
            arg_scope_fn="alexnet_v2_arg_scope", checkpoint=False, notes="default size; weights redrawn"),
    ZooCase("overfeat", "overfeat", "overfeat", {"num_classes": 10, **EVAL}, [1, 231, 231, 3],
            arg_scope_fn="overfeat_arg_scope", checkpoint=False, notes="default size; weights redrawn"),
    ZooCase("vgg_16", "vgg", "vgg_16", {"num_classes": 10, **EVAL}, [1, 224, 224, 3],
            arg_scope_fn="vgg_arg_scope", checkpoint=False, notes="default size; weights redrawn"),
    ZooCase("inception_v1", "inception_v1", "inception_v1", {"num_classes": 10, **EVAL}, [1, 224, 224, 3],
            arg_scope_module="inception_utils", arg_scope_fn="inception_arg_scope", checkpoint=False,
            notes="default size; weights redrawn, calibrated batch-norm statistics stored"),
    ZooCase("inception_v1_global_pool", "inception_v1", "inception_v1",
            {"num_classes": 10, "global_pool": True, **EVAL}, [2, 96, 96, 3],
            arg_scope_module="inception_utils", arg_scope_fn="inception_arg_scope", checkpoint=False,
            notes="global_pool at 96 px; weights redrawn, calibrated batch-norm statistics stored"),
    ZooCase("inception_v3_dm05_small", "inception_v3", "inception_v3",
            {"num_classes": 10, "depth_multiplier": 0.5, **EVAL}, [2, 160, 160, 3],
            arg_scope_module="inception_utils", arg_scope_fn="inception_arg_scope", checkpoint=False,
            notes="depth_multiplier 0.5, 160 px (AuxLogits Conv2d_2a_2x2, 3x3 head pool); weights redrawn"),
    ZooCase("inception_v3_global_pool", "inception_v3", "inception_v3",
            {"num_classes": 10, "depth_multiplier": 0.25, "global_pool": True, "create_aux_logits": False, **EVAL},
            [2, 139, 171, 3], arg_scope_module="inception_utils", arg_scope_fn="inception_arg_scope",
            checkpoint=False, notes="global_pool on a 139x171 input (Mixed_7c 3x4), min_depth binding; weights redrawn"),
    ZooCase("inception_v4_small", "inception_v4", "inception_v4",
            {"num_classes": 10, "create_aux_logits": False, **EVAL}, [2, 150, 150, 3],
            arg_scope_module="inception_utils", arg_scope_fn="inception_arg_scope", checkpoint=False,
            notes="150 px (3x3 head pool), no AuxLogits: its 1x1 batch norms see one value per image, "
                  "too few for calibrated statistics; weights redrawn"),
    ZooCase("mobilenet_v2_small", "mobilenet.mobilenet_v2", "mobilenet", {"num_classes": 10}, [2, 96, 96, 3],
            arg_scope_fn="training_scope", arg_scope_kwargs=EVAL, checkpoint=False, sample=1024,
            notes="MobileNet v2 1.0 at 96 px; weights redrawn"),
    ZooCase("mobilenet_v2_dm05_os16_explicit", "mobilenet.mobilenet_v2", "mobilenet_base",
            {"depth_multiplier": 0.5, "output_stride": 16, "use_explicit_padding": True}, [2, 80, 80, 3],
            arg_scope_fn="training_scope", arg_scope_kwargs=EVAL, checkpoint=False, sample=1024,
            notes="base only, depth_multiplier 0.5, output_stride 16 (atrous), explicit padding; weights redrawn"),
    ZooCase("mobilenet_v3_large_small", "mobilenet.mobilenet_v3", "large", {"num_classes": 10}, [2, 96, 96, 3],
            arg_scope_fn="training_scope", arg_scope_kwargs=EVAL, checkpoint=False, sample=1024,
            notes="MobileNet v3 large at 96 px (squeeze-excite, hard-swish); weights redrawn"),
    ZooCase("mobilenet_v3_small_96", "mobilenet.mobilenet_v3", "small", {"num_classes": 10}, [2, 96, 96, 3],
            arg_scope_fn="training_scope", arg_scope_kwargs=EVAL, checkpoint=False, sample=1024,
            notes="MobileNet v3 small at 96 px (squeeze-excite, hard-swish); weights redrawn"),
    ZooCase("mobilenet_edgetpu_small", "mobilenet.mobilenet_v3", "edge_tpu", {"num_classes": 10}, [2, 96, 96, 3],
            arg_scope_fn="training_scope", arg_scope_kwargs=EVAL, checkpoint=False, sample=1024,
            notes="MobileNet EdgeTPU at 96 px (fused expansions); weights redrawn"),
]

MOBILENET_V1_SCOPE = {"arg_scope_fn": "mobilenet_v1_arg_scope", "arg_scope_kwargs": {"is_training": False}}
CASES.append(ZooCase("mobilenet_v1_128", "mobilenet_v1", "mobilenet_v1", {"num_classes": 10, **EVAL},
                     [2, 128, 128, 3], **MOBILENET_V1_SCOPE, checkpoint=False,
                     notes="full width at 128 px (4x4 head pool); weights redrawn"))
CASES.append(ZooCase("mobilenet_v1_base_explicit_padding_os8", "mobilenet_v1", "mobilenet_v1_base",
                     {"depth_multiplier": 0.25, "use_explicit_padding": True, "output_stride": 8},
                     [2, 67, 75, 3], **MOBILENET_V1_SCOPE, checkpoint=False,
                     notes="use_explicit_padding on odd sizes (the split differs from SAME's), output_stride 8: "
                           "padding for the atrous depthwise convolutions (rates 2 and 4); weights redrawn"))
NASNET_SMALL = {"num_cells": 3, "num_conv_filters": 8}
"""Three cells (reductions before cells 1 and 2) of 8 filters: every piece of the net, small.

The NASNet / PNASNet cases store no checkpoint (weights redrawn from the recipe), as the others here.
"""

CASES += [
    ZooCase("nasnet_cifar_small", "nasnet.nasnet", "build_nasnet_cifar",
            {"num_classes": 10, "config": config("cifar_config", num_cells=6, num_conv_filters=8), **EVAL},
            [2, 32, 32, 3], arg_scope_fn="nasnet_cifar_arg_scope", checkpoint=False,
            notes="6 cells of 8 filters (reductions before cells 2 and 4)"),
    ZooCase("nasnet_cifar_small_train", "nasnet.nasnet", "build_nasnet_cifar",
            {"num_classes": 10, "is_training": True,
             "config": config("cifar_config", num_cells=6, num_conv_filters=8, drop_path_keep_prob=1.0)},
            [4, 32, 32, 3], arg_scope_fn="nasnet_cifar_arg_scope", checkpoint=False,
            notes="training: batch statistics and the AuxLogits head (aux_3); drop-path off so it is deterministic; "
                  "the head's 4x4x128x768 conv alone is 6 MB"),
    ZooCase("nasnet_mobile_small", "nasnet.nasnet", "build_nasnet_mobile",
            {"num_classes": 10, "config": config("mobile_imagenet_config", **NASNET_SMALL), **EVAL},
            [2, 72, 72, 3], arg_scope_fn="nasnet_mobile_arg_scope", checkpoint=False,
            notes="3 cells of 8 filters, 72 px (odd maps 35, 9, 5, 3)"),
    ZooCase("nasnet_large_small", "nasnet.nasnet", "build_nasnet_large",
            {"num_classes": 10, "config": config("large_imagenet_config", **NASNET_SMALL), **EVAL},
            [1, 72, 72, 3], arg_scope_fn="nasnet_large_arg_scope", checkpoint=False,
            notes="3 cells of 8 filters, 72 px; skip_reduction_layer_input"),
    ZooCase("pnasnet_mobile_small", "nasnet.pnasnet", "build_pnasnet_mobile",
            {"num_classes": 10, "config": config("mobile_imagenet_config", num_cells=3, num_conv_filters=10), **EVAL},
            [2, 72, 72, 3], arg_scope_fn="pnasnet_mobile_arg_scope", checkpoint=False,
            notes="3 cells of 10 filters (odd stem widths 5), 72 px"),
    ZooCase("pnasnet_large_small", "nasnet.pnasnet", "build_pnasnet_large",
            {"num_classes": 10, "config": config("large_imagenet_config", num_cells=3, num_conv_filters=10), **EVAL},
            [1, 72, 72, 3], arg_scope_fn="pnasnet_large_arg_scope", checkpoint=False, notes="3 cells of 10 filters, 72 px"),
    ZooCase("i3d_16f_96px", "i3d", "i3d", {"num_classes": 10, **EVAL}, [2, 16, 96, 96, 3],
            arg_scope_fn="i3d_arg_scope", checkpoint=False,
            notes="16 frames of 96x96 (Mixed_5c 2x3x3, Logits pool reduced to [2, 3, 3]); weights redrawn"),
    ZooCase("s3dg_dm05_16f_96px", "s3dg", "s3dg", {"num_classes": 10, "depth_multiplier": 0.5, **EVAL},
            [2, 16, 96, 96, 3], arg_scope_fn="s3dg_arg_scope", checkpoint=False,
            notes="depth_multiplier 0.5, separable and gated from Conv2d_2c_3x3; weights redrawn"),
    ZooCase("s3dg_late_starts_12f_80px", "s3dg", "s3dg",
            {"num_classes": 10, "depth_multiplier": 0.25, "first_temporal_kernel_size": 5,
             "temporal_conv_startat": "Mixed_3c", "gating_startat": "Mixed_4b", **EVAL},
            [2, 12, 80, 80, 3], arg_scope_fn="s3dg_arg_scope", checkpoint=False,
            notes="temporal convs from Mixed_3c, gating from Mixed_4b, 5-frame first kernel, min_depth binding, "
                  "odd SAME splits (5 -> 3); 80 px: at 48 px the last batch norms see 16 values "
                  "per channel and amplify float32 rounding past 1e-4; weights redrawn"),
]

# The generative nets (pix2pix, CycleGAN, DCGAN): small sizes, few filters; pix2pix decoders without dropout
# (upstream keeps it on at test time). Training-mode cases run batch norm on the batch's statistics.
PIX2PIX_BLOCKS = {"__namedtuples__": "Block", "rows": [[8, 0], [16, 0], [16, 0], [32, 0]]}
CASES += [
    ZooCase("pix2pix_generator_nn", "pix2pix", "pix2pix_generator",
            {"num_outputs": 3, "blocks": PIX2PIX_BLOCKS, "upsample_method": "nn_upsample_conv"}, [2, 32, 32, 3],
            arg_scope_fn="pix2pix_arg_scope", notes="4 blocks without dropout, nearest resize + conv"),
    ZooCase("pix2pix_generator_transpose", "pix2pix", "pix2pix_generator",
            {"num_outputs": 2, "blocks": PIX2PIX_BLOCKS, "upsample_method": "conv2d_transpose"}, [2, 32, 32, 3],
            arg_scope_fn="pix2pix_arg_scope", notes="4 blocks without dropout, conv2d_transpose"),
    ZooCase("pix2pix_discriminator_small", "pix2pix", "pix2pix_discriminator",
            {"num_filters": [8, 16, 16], "padding": 1, **EVAL}, [2, 36, 36, 3],
            arg_scope_fn="pix2pix_arg_scope", notes="padding 1, three layers"),
    ZooCase("cyclegan_generator_nn", "cyclegan", "cyclegan_generator_resnet",
            {"num_resnet_blocks": 2, "num_filters": 8,
             "upsample_fn": {"__partial__": "cyclegan_upsample", "method": "nn_upsample_conv"}}, [2, 28, 36, 3],
            notes="2 resnet blocks, 28x36, nearest resize + reflect pad + conv"),
    ZooCase("cyclegan_generator_bilinear", "cyclegan", "cyclegan_generator_resnet",
            {"num_resnet_blocks": 1, "num_filters": 8, "kernel_size": [3, 4], "tanh_linear_slope": 0.1,
             "upsample_fn": {"__partial__": "cyclegan_upsample", "method": "bilinear_upsample_conv"}},
            [1, 20, 24, 3], notes="1 resnet block, kernel 3x4, tanh_linear_slope, bilinear resize"),
    ZooCase("cyclegan_generator_transpose", "cyclegan", "cyclegan_generator_resnet",
            {"num_resnet_blocks": 2, "num_filters": 8,
             "upsample_fn": {"__partial__": "cyclegan_upsample", "method": "conv2d_transpose"}}, [2, 28, 36, 3],
            notes="2 resnet blocks, 28x36, conv2d_transpose (first row and column dropped)"),
    ZooCase("dcgan_discriminator", "dcgan", "discriminator", {"depth": 8, "fused_batch_norm": True, **EVAL},
            [2, 32, 32, 3], notes="depth 8, 32 px, fused batch norm (the calibration reads fused ops)"),
    ZooCase("dcgan_discriminator_train", "dcgan", "discriminator", {"depth": 8, "is_training": True},
            [4, 16, 16, 3], notes="is_training: batch statistics; zero-debias variables in the checkpoint"),
    ZooCase("dcgan_generator_train", "dcgan", "generator",
            {"depth": 8, "final_size": 16, "num_outputs": 2, "is_training": True, "fused_batch_norm": True},
            [4, 16], notes="is_training, fused batch norm: batch statistics; input: 16-d noise"),
]


def resolve_kwargs(module, kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """A case's kwargs with the values JSON cannot hold made from ``module`` (upstream's or torchslim's).

    ``{"__namedtuples__": "Block", "rows": [[...], ...]}`` -> ``[module.Block(*row), ...]``;
    ``{"__partial__": "fn", **kw}`` -> ``functools.partial(module.fn, **kw)``;
    a :func:`config` spec -> ``module.<hparams>()`` with each override set.
    """
    resolved = {}
    for key, value in kwargs.items():
        if isinstance(value, dict) and set(value) == {"hparams", "overrides"}:
            hparams: Any = getattr(module, value["hparams"])()
            for name, override in value["overrides"].items():
                hparams.set_hparam(name, override)
            value = hparams
        elif isinstance(value, dict) and "__namedtuples__" in value:
            value = [getattr(module, value["__namedtuples__"])(*row) for row in value["rows"]]
        elif isinstance(value, dict) and "__partial__" in value:
            rest = {k: v for k, v in value.items() if k != "__partial__"}
            value = functools.partial(getattr(module, value["__partial__"]), **rest)
        resolved[key] = value
    return resolved


CASES_BY_NAME: Dict[str, ZooCase] = {case.name: case for case in CASES}
