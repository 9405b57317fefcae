"""Shared fixtures: a copy of the tiny real-data catalogue in a temporary folder, and its warehouse."""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import cache
from pathlib import Path

import pytest

from pipelines import accounts, build, catalogue
from pipelines.sql import parts

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


def _tree_digest(root: Path) -> str:
    """Every file under `root`, by relative name and content."""
    h = hashlib.sha256()
    skip = {"__pycache__", "private", "staging"}  # not inputs: the seal's key (random per copy), half-written entries
    for f in sorted(p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@pytest.fixture(scope="session")
def _pristine_mini_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The mini fixture's warehouse, built once per test process (a build takes seconds; a copy milliseconds).
    The tables hold no absolute path, so a copy beside another copy of the fixture is that copy's warehouse."""
    root = tmp_path_factory.mktemp("pristine") / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    path = root.parent / "warehouse" / "cityindex.duckdb"
    build.build(catalogue.load(root / "indicators.yml"), path)
    return _tree_digest(root), path


@pytest.fixture
def mini_warehouse(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _pristine_mini_warehouse) -> Path:
    """A warehouse built from the mini catalogue; CITYIDX_WAREHOUSE points at it.

    While the test's copy of the fixture is untouched, the warehouse is a copy of the one built once per
    process; a test that changed its copy first gets a build of its own."""
    digest, pristine = _pristine_mini_warehouse
    path = tmp_path / "warehouse" / "cityindex.duckdb"
    if _tree_digest(mini.parent) == digest:
        path.parent.mkdir(parents=True, exist_ok=True)
        for part, source in parts.files(pristine).items():
            shutil.copy2(source, parts.part_path(path, part))
    else:
        build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    return path
