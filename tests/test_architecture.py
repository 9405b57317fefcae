"""Imports flow one way: the import-linter contract in pyproject.toml holds, and a back edge breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_hold_on_the_tree():
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_a_back_edge_breaks_the_contract(tmp_path: Path):
    """The ledger importing the build (the old circle) fails the contract, naming both modules."""
    for name in ("pipelines", "dashboard"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    store = tmp_path / "pipelines" / "ledger" / "store.py"
    store.write_text(store.read_text(encoding="utf-8") + "\nfrom pipelines import build  # noqa\n", encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode != 0
    assert "pipelines.ledger.store -> pipelines.build" in run.stdout
