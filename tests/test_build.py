"""The warehouse is a pure function of the ledger, swapped in atomically."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines import build, catalogue, schemas, sql
from pipelines.build import warehouse
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts
from tests.warehouse_files import warehouse_bytes

ROOT = Path(__file__).resolve().parent.parent


def _tables(path: Path) -> dict[str, list[tuple]]:
    con = parts.connect_read_only(path)
    try:
        out = {}
        for name in warehouse.TABLE_ORDER:
            cols = [r[0] for r in con.execute(f"describe {name}").fetchall()]
            out[name] = con.execute(f"select * from {name} order by all").fetchall()
            assert cols
        return out
    finally:
        con.close()


def test_same_inputs_give_same_tables(mini: Path, tmp_path: Path):
    cat = catalogue.load(mini)
    a, b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    build.build(cat, a)
    build.build(catalogue.load(mini), b)
    first, second = _tables(a), _tables(b)
    assert sum(len(v) for v in first.values()) > 0
    assert first == second


def test_failed_build_leaves_the_warehouse_byte_for_byte(mini: Path, tmp_path: Path):
    path = tmp_path / "w.duckdb"
    build.build(catalogue.load(mini), path)
    before = warehouse_bytes(path)
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",6,1193,", ",six,1193,"), encoding="utf-8")
    with pytest.raises(ProblemsFound):
        build.build(catalogue.load(mini), path)
    assert warehouse_bytes(path) == before
    assert not list(tmp_path.glob(".w.*.tmp"))  # no staged part of any kind is left behind


def _kill_a_changed_build(mini: Path, path: Path, stall: str, while_stalled=lambda: None):
    """Build `mini` into `path`, change a Seoul rank in the ledger (GPCI 2024: 6 -> 7), then start a build in another
    process that `stall` (Python run before it, defining what prints 'ready' and sleeps) halts, call
    `while_stalled()` and kill -9 that build. Returns the warehouse bytes from before and what `while_stalled` gave."""
    build.build(catalogue.load(mini), path)
    before = warehouse_bytes(path)
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",6,1193,", ",7,1193,"), encoding="utf-8")
    script = ("import os, sys, time\nfrom pipelines import build, catalogue\n" + stall
              + f"build.build(catalogue.load({str(mini)!r}), __import__('pathlib').Path({str(path)!r}))\n")
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        seen = while_stalled()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return before, seen


def test_killed_build_leaves_the_warehouse_byte_for_byte(mini: Path, tmp_path: Path):
    """A build killed after writing its new file but before the swap changes nothing."""
    path = tmp_path / "w.duckdb"
    stall = ("real = os.replace\n"
             "def stalled(a, b):\n"
             "    print('ready', flush=True); time.sleep(60); real(a, b)\n"
             "os.replace = stalled\n")
    before, staged = _kill_a_changed_build(mini, path, stall, lambda: list(tmp_path.glob(".w.duckdb.*.tmp")))
    assert staged, "the new file was being written beside the old one"
    assert warehouse_bytes(path) == before
    # The next build succeeds and replaces the file.
    build.build(catalogue.load(mini), path)
    con = parts.connect_read_only(path)
    assert con.execute("select rank from rankings where city='Seoul' and edition='2024'").fetchone() == (7,)
    con.close()


def test_focus_city_without_a_row_is_not_found(mini_warehouse: Path):
    con = parts.connect_read_only(mini_warehouse)
    row = con.execute(
        "select status, rank, note from rankings where index_id='zyen_gfci' and edition='GFCI 37' and city='Seoul'"
    ).fetchone()
    con.close()
    assert row[0] == "not_found" and row[1] is None and "no figure" in row[2]


def test_aliases_resolve_to_one_city(mini_warehouse: Path):
    con = parts.connect_read_only(mini_warehouse)
    rows = con.execute("select edition, city, rank from rankings where index_id='zyen_gfci' and rank = 1 order by edition").fetchall()
    con.close()
    assert rows == [("GFCI 37", "New York", 1), ("GFCI 38", "New York", 1)]


def test_primary_keys_agree_between_pandera_and_ddl(tmp_path: Path, mini: Path):
    path = tmp_path / "w.duckdb"
    build.build(catalogue.load(mini), path)
    con = parts.connect_read_only(path)
    ddl = {
        table: cols
        for table, cols in con.execute(
            "select table_name, constraint_column_names from duckdb_constraints() where constraint_type = 'PRIMARY KEY'"
        ).fetchall()
    }
    con.close()
    # a key the DDL states without an index (component_row: issue 13), as `-- key: (a, b)` in its create table
    stated = {}
    for statement in duckdb.extract_statements(sql.SCHEMA.read_text(encoding="utf-8")):
        table = re.search(r"create table (\w+)", statement.query)
        key = re.search(r"-- key: \(([\w, ]+)\)", statement.query)
        if table and key:
            stated[table.group(1)] = [c.strip() for c in key.group(1).split(",")]
    assert stated == {"component_row": ["index_id", "edition", "city", "component_id"]}
    assert not set(stated) & set(ddl)  # stated or declared, never both
    assert len(schemas.WAREHOUSE_MODELS) >= 6
    for table, model in schemas.WAREHOUSE_MODELS.items():
        assert list(model.pandera.Config.unique) == list(ddl.get(table) or stated[table]), table  # as declared
        assert model.to_schema().unique == list(ddl.get(table) or stated[table]), table  # as the rules read it


def test_warehouse_path_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(tmp_path / "x.duckdb"))
    assert warehouse.warehouse_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("CITYIDX_WAREHOUSE")
    assert warehouse.warehouse_path() == ROOT / "data" / "warehouse" / "cityindex.duckdb"


def test_no_ranking_or_component_row_is_orphaned(mini_warehouse: Path):
    """The two large tables carry no foreign keys (for speed); the build's own checks must hold them."""
    con = parts.connect_read_only(mini_warehouse)
    checks = {
        "edition": "select count(*) from ranking_row r anti join edition e using (index_id, edition)",
        "city": "select count(*) from ranking_row r anti join city c using (city)",
        "component edition": "select count(*) from component_row r anti join edition e using (index_id, edition)",
        "component": "select count(*) from component_row r anti join component k using (index_id, component_id)",
        "component city": "select count(*) from component_row r anti join city c using (city)",
    }
    counts = {name: con.execute(sql).fetchone()[0] for name, sql in checks.items()}
    total = con.execute("select (select count(*) from ranking_row) + (select count(*) from component_row)").fetchone()[0]
    con.close()
    assert total > 0
    assert counts == dict.fromkeys(checks, 0)


def test_a_build_killed_while_it_reads_leaves_the_warehouse_and_its_staged_file_goes_next_time(mini: Path, tmp_path: Path):
    """The component rows go straight into the published part's staged file while the ledger is read (issue 13): a
    build killed then leaves that file beside the warehouse, never in it; the next build removes it and succeeds."""
    path = tmp_path / "w.duckdb"
    stall = ("def stalled(tables):\n"
             "    print('ready', flush=True); time.sleep(60)\n"
             "build._validated = stalled\n")  # after every file is read, before anything is checked or swapped
    before, found = _kill_a_changed_build(mini, path, stall, lambda: list(tmp_path.glob(".w.duckdb.*.tmp")))
    [staged] = found  # the published part, being written beside the old one
    assert warehouse_bytes(path) == before and staged.exists()
    build.build(catalogue.load(mini), path)
    assert not staged.exists() and not list(tmp_path.glob(".w.*.tmp*"))
    with parts.connect_read_only(path) as con:
        assert con.execute("select rank from rankings where city='Seoul' and edition='2024'").fetchone() == (7,)
        assert con.execute("select count(*) from component_row").fetchone()[0] > 0
