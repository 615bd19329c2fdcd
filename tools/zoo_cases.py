"""The project's own zoo golden cases: the nets ``shared/fixtures/zoo`` leaves out.

One row per case: how upstream's ``research/slim/nets`` file builds it (module, function, kwargs,
arg-scope function and kwargs) and the input shape. ``tools/make_zoo_fixtures.py`` runs each row in
the reference TF-Slim; ``tests/nets/test_zoo_golden.py`` builds the same row with torchslim.

``checkpoint``: commit the TF checkpoint itself (small nets), or ``False`` to commit only the
calibrated batch-norm statistics and checksums, the tests redrawing the weights from the recipe
(``tools/zoo_weights.py``) — VGG, AlexNet and OverFeat hold 50M-146M parameters whatever the input.
``sample``: end points larger than this many elements are stored as evenly spaced samples.
"""

from __future__ import annotations

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
    ZooCase("i3d_16f_96px", "i3d", "i3d", {"num_classes": 10, **EVAL}, [2, 16, 96, 96, 3],
            arg_scope_fn="i3d_arg_scope", checkpoint=False,
            notes="16 frames of 96x96 (Mixed_5c 2x3x3, Logits pool reduced to [2, 3, 3]); weights redrawn"),
    ZooCase("s3dg_dm05_16f_96px", "s3dg", "s3dg", {"num_classes": 10, "depth_multiplier": 0.5, **EVAL},
            [2, 16, 96, 96, 3], arg_scope_fn="s3dg_arg_scope", checkpoint=False,
            notes="depth_multiplier 0.5, separable and gated from Conv2d_2c_3x3; weights redrawn"),
    ZooCase("s3dg_late_starts_12f_48px", "s3dg", "s3dg",
            {"num_classes": 10, "depth_multiplier": 0.25, "first_temporal_kernel_size": 5,
             "temporal_conv_startat": "Mixed_3c", "gating_startat": "Mixed_4b", **EVAL},
            [2, 12, 48, 48, 3], arg_scope_fn="s3dg_arg_scope", checkpoint=False,
            notes="temporal convs from Mixed_3c, gating from Mixed_4b, 5-frame first kernel, min_depth binding, "
                  "odd SAME splits (3 -> 2); weights redrawn"),
]

CASES_BY_NAME: Dict[str, ZooCase] = {case.name: case for case in CASES}
