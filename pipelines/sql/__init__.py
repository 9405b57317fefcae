"""The SQL the product runs, kept in .sql files: warehouse.sql (tables, views) and the named queries in queries/.

A named query is a block of a file in queries/ that opens with `-- name: <name>(<parameters>)`, then lines
of `--` that say what it returns, then the SQL, where `:parameter` marks a value. aiosql parses the files,
checks that every `:parameter` is declared and every name is unique, and turns `:parameter` into DuckDB's
`$parameter`; the statements run here on the caller's DuckDB connection or cursor. The files are parsed on first
use, once per content (the parsed form is kept in the user's cache folder, `pipelines.messages.parsed`): a
command starts without importing aiosql or DuckDB here.
The dashboard, the reports, the analysis and the command line all run their queries through this module.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.messages import parsed

if TYPE_CHECKING:  # DuckDB builds the frames; pandas loads only when a query asks for one
    import duckdb
    import pandas as pd

HERE = Path(__file__).resolve().parent
SCHEMA = HERE / "warehouse.sql"
QUERY_DIR = HERE / "queries"


class Query:
    """One named query as DuckDB runs it: `.sql` (`:name` turned into `$name`), `.parameters` (the declared
    names) and `.__doc__` (what it returns)."""

    def __init__(self, name: str, sql: str, parameters: list[str] | tuple[str, ...], doc: str | None, file: str):
        self.name, self.sql, self.parameters, self.file = name, sql, tuple(parameters), file
        self.__doc__ = doc

    def __repr__(self) -> str:
        return f"Query({self.name!r} from {self.file})"


def _parse(files: list[Path]) -> dict[str, dict[str, Any]]:
    """Every named query of `files`, by name, as plain data; a malformed file or a name used twice fails here,
    naming the file."""
    import aiosql  # only when a query file changed since its parsed form was kept: keeps start-up light

    found: dict[str, dict[str, Any]] = {}
    for path in files:
        try:
            queries = aiosql.from_path(path, "duckdb", attribute=None, kwargs_only=True, encoding="utf-8")
        except (aiosql.SQLLoadException, aiosql.SQLParseException) as exc:
            raise ValueError(f"{path}: {exc}") from exc
        # aiosql adds a `<name>_cursor` companion for every select; only the queries as written are ours
        for name in queries.available_queries:
            if name.endswith("_cursor"):
                continue
            if name in found:
                raise ValueError(f"{path}: query {name!r} is also defined in {found[name]['file']}")
            q = getattr(queries, name)
            found[name] = {"sql": q.sql, "parameters": list(q.parameters or ()), "doc": q.__doc__, "file": path.name}
    return found


def load(directory: Path = QUERY_DIR) -> dict[str, Query]:
    """Every named query of the .sql files in `directory`, by name; a malformed file or a name used twice fails
    here, naming the file (parsed once per content of the files, then read from the kept parsed form)."""
    files = sorted(directory.glob("*.sql"))
    found = parsed.load(files, "queries", lambda: _parse(files)) if files else {}
    return {name: Query(name, q["sql"], q["parameters"], q["doc"], q["file"]) for name, q in found.items()}


@cache
def _queries() -> dict[str, Query]:
    return load()


def __getattr__(name: str) -> object:
    # `QUERIES` is loaded on first use (PEP 562): importing this module costs nothing
    if name == "QUERIES":
        return _queries()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def names() -> list[str]:
    """Every named query, sorted."""
    return sorted(_queries())


def query(name: str) -> Query:
    """The loaded query `name` (its `.sql` is DuckDB's text, `.parameters` the declared names, `.__doc__` what it returns)."""
    try:
        return _queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {QUERY_DIR}") from None


def text(name: str) -> str:
    """The SQL of query `name` as DuckDB runs it."""
    return query(name).sql


def _parameters(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    q = query(name)
    declared = set(q.parameters)
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
