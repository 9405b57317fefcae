"""The only writer of the DuckDB warehouse: schema from sql/warehouse.sql, staged beside it, one atomic swap."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines import sql
from pipelines.errors import storage_error
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



def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale(path: Path) -> list[Path]:
    """Staged files of `path` left by killed writers (`.cityindex.duckdb.PID.tmp` whose PID is gone, and their
    .wal): removed by the next writer, which holds the one lock, so no live writer's file is touched."""
    removed = []
    for tmp in path.parent.glob(f".{path.name}.*.tmp*"):
        pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def stage(tables: dict[str, pd.DataFrame], path: Path) -> Path:
    """Write every table into a new file beside `path` and return it; `path` is not touched. A disk that
    refuses (full, permission, read-only) is a StorageError naming the file, and the staged file is gone."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(path)
    except OSError as exc:
        raise storage_error(exc, path) from exc
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        _write_tables(tables, tmp)
    except (OSError, duckdb.IOException) as exc:
        _discard(tmp)
        raise storage_error(exc, tmp) from exc
    except BaseException:
        _discard(tmp)
        raise
    return tmp


def _discard(tmp: Path) -> None:
    tmp.unlink(missing_ok=True)
    Path(str(tmp) + ".wal").unlink(missing_ok=True)


def _write_tables(tables: dict[str, pd.DataFrame], tmp: Path) -> None:
    """The schema and every table into `tmp`, checkpointed and flushed to disk."""
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


def swap(staged: Path, path: Path) -> Path:
    """Put a staged file in place of `path` with one atomic rename."""
    try:
        os.replace(staged, path)
    except OSError as exc:
        staged.unlink(missing_ok=True)
        raise storage_error(exc, path) from exc
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
