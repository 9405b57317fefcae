"""Where the warehouse lives and how a reader opens it: its part files, attached read-only to a private
in-memory database, the views resolving across them.

The warehouse is split by what changes together, so that a write rebuilds only its own part:

- `published` (the warehouse file itself, e.g. cityindex.duckdb): the catalogue, cities, editions, rankings,
  components, and every view;
- `values` (cityindex.values.duckdb): the department uploads and every version of every city-managed value;
- `forum` (cityindex.forum.duckdb): the forum log and the meetings, agenda and action items it replays to.

Light on purpose (DuckDB only): `cityidx status` and the dashboard read through here without loading the
build (pandas, pandera).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from pipelines import ROOT, sql

DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse" / "cityindex.duckdb"
PARTS = ("published", "values", "forum")
# the part each reading session attaches it as (the published part is the session's default catalogue)
ATTACH = {"published": "attach_warehouse", "values": "attach_values", "forum": "attach_forum"}

Version = tuple[tuple[int, int, int], ...]


def warehouse_path() -> Path:
    """The warehouse file: $CITYIDX_WAREHOUSE, else data/warehouse/cityindex.duckdb."""
    return Path(os.environ.get("CITYIDX_WAREHOUSE") or DEFAULT_WAREHOUSE)


def part_path(path: Path, part: str) -> Path:
    """The file of one part of the warehouse at `path` (the published part is `path` itself)."""
    if part not in PARTS:
        raise ValueError(f"no warehouse part {part!r} (parts: {', '.join(PARTS)})")
    return path if part == "published" else path.with_name(f"{path.stem}.{part}{path.suffix}")


def files(path: Path | None = None) -> dict[str, Path]:
    """Every part's file, by part."""
    path = path or warehouse_path()
    return {part: part_path(path, part) for part in PARTS}


def version(path: Path | None = None) -> Version | None:
    """Identity of the warehouse on disk (every part's mtime, inode and size); None when a part is missing.

    Each write swaps in a new file for its part, so the inode changes with the mtime; both are in the key
    so that a swap within one mtime tick is still seen.
    """
    out = []
    for f in files(path).values():
        try:
            st = os.stat(f)
        except FileNotFoundError:
            return None
        out.append((st.st_mtime_ns, st.st_ino, st.st_size))
    return tuple(out)


def attach(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Attach every part, read-only, to `con` (an in-memory database) and make the warehouse its default."""
    for part, f in files(path).items():
        sql.execute(con, ATTACH[part], path=str(f))
    sql.execute(con, "use_warehouse")
    return con


def connect_read_only(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse.

    The files are attached to a private in-memory database: duckdb.connect(path) would hand back the
    process's cached instance for that path, still reading a file a write has since replaced.
    """
    con = duckdb.connect()
    try:
        return attach(con, path)
    except BaseException:
        con.close()
        raise
