"""Shared fixtures: a copy of the tiny real-data catalogue in a temporary folder, and its warehouse."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import build, catalogue

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/mini; returns the path of its indicators.yml."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    return target / "indicators.yml"


@pytest.fixture
def mini_warehouse(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse built from the mini catalogue; CITYIDX_WAREHOUSE points at it."""
    path = tmp_path / "warehouse" / "cityindex.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    return path
