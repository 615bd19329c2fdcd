"""Shared test fixtures: where the golden files made by the real TF-Slim live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def find_fixtures_dir() -> Path | None:
    """``$TORCHSLIM_FIXTURES``, else ``../shared/fixtures`` beside the repository, else None."""
    env = os.environ.get("TORCHSLIM_FIXTURES")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "fixtures")
    for path in candidates:
        if (path / "INDEX.json").is_file():
            return path
    return None


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The golden-file folder; skips the test (with the reason) when it is absent."""
    path = find_fixtures_dir()
    if path is None:
        pytest.skip("golden fixtures not found: set TORCHSLIM_FIXTURES or put shared/fixtures beside the repo")
    return path
