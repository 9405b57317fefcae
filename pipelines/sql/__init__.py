"""The SQL the product runs, kept in .sql files: warehouse.sql (tables, views) and the named queries in queries/.

A named query is a block of a file in queries/ that opens with `-- name: <name>(<parameters>)`, then lines
of `--` that say what it returns, then the SQL, where `:parameter` marks a value. aiosql parses the files
once, checks that every `:parameter` is declared and every name is unique, and turns `:parameter` into
DuckDB's `$parameter`; the statements run here on the caller's DuckDB connection or cursor.
The dashboard, the reports, the analysis and the command line all run their queries through this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosql
import duckdb

if TYPE_CHECKING:  # DuckDB builds the frames; pandas loads only when a query asks for one
    import pandas as pd

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "warehouse.sql"
QUERY_DIR = HERE / "queries"


def load(directory: Path = QUERY_DIR) -> dict[str, Any]:
    """Every named query of the .sql files in `directory`, by name; a malformed file or a name used twice fails
    here, at import, naming the file."""
    found: dict[str, Any] = {}
    where: dict[str, str] = {}
    for path in sorted(directory.glob("*.sql")):
        try:
            queries = aiosql.from_path(path, "duckdb", attribute=None, kwargs_only=True, encoding="utf-8")
        except (aiosql.SQLLoadException, aiosql.SQLParseException) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        # aiosql adds a `<name>_cursor` companion for every select; only the queries as written are ours
        for name in queries.available_queries:
            if name.endswith("_cursor"):
                continue
            if name in found:
                raise ValueError(f"{path}: query {name!r} is also defined in {where[name]}")
            found[name], where[name] = getattr(queries, name), path.name
    return found


QUERIES = load()


def names() -> list[str]:
    """Every named query, sorted."""
    return sorted(QUERIES)


def query(name: str):
    """The loaded query `name` (its `.sql` is DuckDB's text, `.parameters` the declared names, `.__doc__` what it returns)."""
    try:
        return QUERIES[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}") from None


def text(name: str) -> str:
    """The SQL of query `name` as DuckDB runs it."""
    return query(name).sql


def _parameters(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    q = query(name)
    declared = set(q.parameters or ())
    if set(params) != declared:
        missing, unknown = sorted(declared - set(params)), sorted(set(params) - declared)
        raise TypeError(f"query {name!r} takes {sorted(declared)}; missing {missing}, unknown {unknown}")
    return q.sql, params


def execute(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> duckdb.DuckDBPyConnection:
    """Run query `name` with its parameters by name; the connection holds the result."""
    sql, values = _parameters(name, params)
    return con.execute(sql, values)


def frame(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> pd.DataFrame:
    """Query `name` as a DataFrame (DuckDB builds it column by column, with nullable types)."""
    return execute(con, name, **params).df()


def rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple]:
    """Query `name` as a list of tuples (Python values; NULL is None)."""
    return execute(con, name, **params).fetchall()


def value(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Any:
    """The first column of the first row of query `name`; None when there is no row."""
    row = execute(con, name, **params).fetchone()
    return None if row is None else row[0]
