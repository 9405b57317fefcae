"""Tables made in Python go to DuckDB without pandas (schemas.Table, issue 13): each column one list, unnested
together; a table of LARGE_TABLE_ROWS rows or more goes through pandas instead. Both ways give the same warehouse."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines import build, catalogue, schemas
from pipelines.schemas import ROW, Table
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent


def _contents(path: Path) -> dict[str, tuple[list, list]]:
    """Every base table of every part: its columns with their types, and its rows (sorted as text)."""
    with parts.connect_read_only(path) as con:
        names = [n for (n,) in con.execute(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE' order by 1").fetchall()]
        out = {}
        for name in names:
            columns = con.execute("select column_name, data_type from information_schema.columns where table_name = ? "
                                  "order by ordinal_position", [name]).fetchall()
            rows = sorted(map(repr, con.execute(f"select * from {name}").fetchall()))
            out[name] = (columns, rows)
    return out


def test_the_warehouse_is_the_same_through_pandas_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The real ledger built with every Python-made table converted value by value (the build's own way at this
    size) and with every one converted by pandas (the way of a table of LARGE_TABLE_ROWS rows or more): every table
    of every part has the same columns, types and rows."""
    cat = catalogue.load(ROOT / "indicators.yml")
    own = tmp_path / "own" / "cityindex.duckdb"
    build.build(cat, own)
    monkeypatch.setattr(schemas, "LARGE_TABLE_ROWS", 1)
    framed = tmp_path / "framed" / "cityindex.duckdb"
    build.build(cat, framed)
    a, b = _contents(own), _contents(framed)
    assert len(a) > 20 and sum(len(rows) for _, rows in a.values()) > 2000  # the probe can fail: there are rows
    assert a == b


def test_a_table_of_keys_and_values_is_not_read_as_a_map():
    """DuckDB reads a dict of exactly `key` and `value` as a MAP: the setting tables still go in as columns."""
    con = duckdb.connect()
    table = Table(["key", "value"], [{"key": "focus_city", "value": "Seoul"}, {"key": "as_of", "value": None}])
    assert table.relation(con).fetchall() == [("focus_city", "Seoul"), ("as_of", None)]
    assert table.relation(con, row=True).columns == [ROW, "key", "value"]
    assert Table(["key", "value"], []).relation(con).fetchall() == []


def test_a_column_of_nothing_but_missing_values_goes_in_typed_by_its_table(tmp_path: Path):
    """A column the records never fill reaches DuckDB untyped (NULL) and takes the table's type on insert; a value
    that does not fit the table's type is refused, not turned into something else."""
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute("create table t (a varchar, n bigint, x double)")
    Table(["a", "n", "x"], [{"a": "x"}, {"a": None, "n": 3, "x": 1.5}]).relation(con).insert_into("t")
    assert con.execute("select * from t order by a nulls last").fetchall() == [("x", None, None), (None, 3, 1.5)]
    with pytest.raises(duckdb.ConversionException):
        Table(["a", "n", "x"], [{"a": "y", "n": "not a number"}]).relation(con).insert_into("t")


def test_appending_gives_the_rows_an_insert_of_the_relation_gives(tmp_path: Path):
    """Table.append (DuckDB's appender: no statement bound, issue 13) puts in exactly what inserting `relation` does:
    hostile text, a key/value table, a column never filled, NaN and infinities, a record without a column, a number
    at the edge of its type; a value that does not fit is refused, and a transaction taken back holds nothing."""
    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    records = [{"key": "k'; drop table a; --", "value": "값 <b>\u202e", "n": 2**31 - 1, "x": float("nan")},
               {"key": "", "value": None, "n": -(2**31), "x": float("inf")},
               {"key": "\n\t\"", "x": -0.0},
               {"key": "plain", "value": "v", "n": None, "x": 1.5}]
    for name in ("by_insert", "by_appender"):
        con.execute(f"create table {name} (key varchar, value varchar, n integer, x double, never varchar)")
    columns = ["key", "value", "n", "x", "never"]
    table = Table(columns, records)
    table.relation(con, columns).insert_into("by_insert")
    table.append(con, "by_appender", columns)
    got = con.execute("select * from by_appender order by key").fetchall()
    assert len(got) == 4  # NaN is not equal to itself: the rows are compared as written
    assert [repr(r) for r in got] == [repr(r) for r in con.execute("select * from by_insert order by key").fetchall()]
    assert con.execute("select typeof(n), typeof(never) from by_appender limit 1").fetchall() == [("INTEGER", "VARCHAR")]
    con.begin()
    Table(columns, [{"key": "fits", "n": 1}]).append(con, "by_appender", columns)
    with pytest.raises(duckdb.ConversionException):
        Table(columns, [{"key": "too large", "n": 2**31}]).append(con, "by_appender", columns)
    con.rollback()
    assert con.execute("select count(*) from by_appender").fetchone() == (4,)
    with pytest.raises(duckdb.ConversionException):
        Table(columns, [{"key": "y", "n": "not a number"}]).append(con, "by_appender", columns)
    assert con.execute("select count(*) from by_appender where key in ('y', 'too large')").fetchone() == (0,)
