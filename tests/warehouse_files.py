"""The warehouse as bytes on disk: every part file (a write changes only its own part; a failed one none)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.sql import parts


def warehouse_bytes(path: Path) -> dict[str, bytes]:
    """Every part file's bytes, by part (a missing part is missing from the result)."""
    return {part: f.read_bytes() for part, f in parts.files(path).items() if f.exists()}


def written_once(kept: dict[str, Path], mini: Path, mini_warehouse: Path, factory: pytest.TempPathFactory,
                 write: Callable[[], None]) -> None:
    """Leave the mini fixture (ledger and seal key) and its warehouse as `write()` makes them: written once per test
    process, the first time, and kept in `kept`; every later call copies that result in place of the fresh fixture.
    The fixture's folder and the warehouse name no absolute path, so a copy is the same ledger."""
    if not kept:
        write()
        folder = factory.mktemp("written")
        shutil.copytree(mini.parent, folder / "mini")
        shutil.copytree(mini_warehouse.parent, folder / "warehouse")
        kept.update(root=folder / "mini", warehouse=folder / "warehouse")
        return
    for fresh, made in ((mini.parent, kept["root"]), (mini_warehouse.parent, kept["warehouse"])):
        shutil.rmtree(fresh)
        shutil.copytree(made, fresh)
