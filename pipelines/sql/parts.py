"""Where the warehouse lives and how a reader opens it: read-only, in a private in-memory database.

Light on purpose (DuckDB only): `cityidx status` and the dashboard read through here without loading the
build (pandas, pandera).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines import ROOT, sql

DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse" / "cityindex.duckdb"


def warehouse_path() -> Path:
    """The warehouse file: $CITYIDX_WAREHOUSE, else data/warehouse/cityindex.duckdb."""
    return Path(os.environ.get("CITYIDX_WAREHOUSE") or DEFAULT_WAREHOUSE)


def connect_read_only(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse.

    The file is attached to a private in-memory database: duckdb.connect(path) would hand back the
    process's cached instance for that path, still reading a file a build has since replaced.
    """
    con = duckdb.connect()
    try:
        sql.execute(con, "attach_warehouse", path=str(path or warehouse_path()))
        sql.execute(con, "use_warehouse")
    except BaseException:
        con.close()
        raise
    return con
