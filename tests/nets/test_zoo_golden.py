"""Zoo nets against golden cases made by the real TF-Slim from upstream's own net files.

Cases: ``<fixtures>/zoo/<case>/`` (shared) and ``tests/fixtures/zoo/<case>/`` (made by
``tools/make_zoo_fixtures.py``). For each case whose net module torchslim has: the net built as the
case says has the checkpoint's variables (names, TF shapes, creation order); restored by TF name,
its output and every end point match TF-Slim's, per tensor
``max|torchslim - TF| / max(max|TF|, 1) <= 1e-4``, or twice TF's own spread between its two CPU
backends where a case records that (``backend_spread``) and it is larger (``_zoo.tolerance``).
"""

from __future__ import annotations

import pytest

from ._zoo import (PROJECT_ZOO, first_difference, golden_case_folders, golden_errors, load_golden,
                   restore_golden, tolerance, variable_rows)


def _params():
    folders = golden_case_folders()
    if not folders:
        return [pytest.param(None, marks=pytest.mark.skip(reason="no zoo golden cases found"), id="no-cases")]
    return [pytest.param(folder, id=f"{'project' if folder.parent == PROJECT_ZOO else 'shared'}-{folder.name}")
            for folder in folders]


@pytest.fixture(scope="module", params=_params())
def restored(request):
    golden = load_golden(request.param)
    model, (output, end_points) = restore_golden(golden)
    return golden, model, output, end_points


def test_variables_match_manifest(restored):
    golden, model, _, _ = restored
    got = [row[:3] for row in variable_rows(model)]
    want = [list(row)[:3] for row in golden.manifest["variables"]]
    assert got == want, f"{golden.name}: {first_difference(got, want)}"


def test_end_point_keys_in_order(restored):
    golden, _, _, end_points = restored
    assert list(end_points) == [row[0] for row in golden.manifest["end_points"]]


def test_outputs_match_tf_slim(restored):
    golden, _, output, end_points = restored
    errors = golden_errors(golden, output, end_points)
    worst = max(errors, key=lambda key: errors[key] / tolerance(golden, key))
    assert errors[worst] <= tolerance(golden, worst), (
        f"{golden.name}: {worst} differs by {errors[worst]:.3g} (scaled; bound {tolerance(golden, worst):.3g})")


def test_tolerance_is_twice_tf_backend_spread_above_1e_4():
    from pathlib import Path

    from ._zoo import TOLERANCE, GoldenCase

    golden = GoldenCase(Path("case"), {"backend_spread": {"per_tensor": {"output": 1e-3, "end_points/a": 1e-6}}}, {})
    assert tolerance(golden, "output") == 2e-3
    assert tolerance(golden, "end_points/a") == TOLERANCE == tolerance(golden, "end_points/b")
    assert tolerance(GoldenCase(Path("case"), {}, {}), "output") == TOLERANCE
