"""Shared fixtures: a copy of the tiny real-data catalogue in a temporary folder, and its warehouse."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

import pytest

from pipelines import accounts, build, catalogue

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


PASSWORD = "a long password 123"
# The accounts every test may act as (tests/fixtures/mini's offices): name -> (role, department)
TEST_ACCOUNTS = {
    "park": ("forum_organizer", None),
    "kim": ("department_editor", "tourism_sports"),
    "lee": ("department_editor", "economic_policy_office"),
    "ana": ("analyst", None),
    "root": ("admin", None),
}


@cache
def _password_hash() -> str:
    return accounts._hasher.hash(PASSWORD)  # one argon2 hash for the whole session


@pytest.fixture(autouse=True)
def test_accounts(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test acts with its own account file ($CITYIDX_ACCOUNTS), never the developer's, holding TEST_ACCOUNTS."""
    path = tmp_path_factory.mktemp("private") / "accounts.json"
    since = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps({"accounts": [
        {"username": name, "name": name, "role": role, "department": dept, "email": None,
         "password_hash": _password_hash(), "disabled": False, "created_at": since,
         "history": [{"since": since, "role": role, "department": dept, "active": True}]}
        for name, (role, dept) in TEST_ACCOUNTS.items()]}), encoding="utf-8")
    monkeypatch.setenv("CITYIDX_ACCOUNTS", str(path))
    return path


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
