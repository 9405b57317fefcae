"""The only writer of the DuckDB warehouse: schema from sql/warehouse.sql, staged beside it, one atomic swap."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines import sql
from pipelines.sql.parts import DEFAULT_WAREHOUSE, connect_read_only, warehouse_path  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_SQL = sql.SCHEMA

# Tables in load order (foreign keys point backwards).
TABLE_ORDER = (
    "setting", "analysis_setting", "message", "policy_area", "office", "series", "component",
    "source_tier", "source_domain", "methodology_note",
    "peer_city", "city", "edition", "ranking_row", "component_row",
    "indicator", "indicator_feed", "ledger_upload", "indicator_version",
    "forum_event", "forum", "meeting", "agenda_item", "agenda_link", "action_item", "action_link", "action_log",
)



def stage(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write every table into a new file beside `path` and return it; `path` is not touched."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
            for name in TABLE_ORDER:
                # DuckDB's append inserts the frame's columns by position, so they go in the table's order
                con.append(name, tables[name][con.table(name).columns])
            con.checkpoint()
        finally:
            con.close()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        raise
    return tmp


def swap(staged: Path, path: Path) -> Path:
    """Put a staged file in place of `path` with one atomic rename."""
    try:
        os.replace(staged, path)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path


def write(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write a new file beside `path`, then swap it in; on any error nothing changes.

    The caller holds `ledger.store.writing` for `path`.
    """
    return swap(stage(tables, path), path)
