"""The warehouse is a pure function of the ledger, swapped in atomically."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from pipelines import build, catalogue, schemas, sql
from pipelines.build import rankings, warehouse
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


def test_failed_build_leaves_the_warehouse_byte_for_byte(mini: Path, tmp_path: Path, built_mini):
    path = built_mini(tmp_path / "w.duckdb")
    before = warehouse_bytes(path)
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace(",6,1193,", ",six,1193,"), encoding="utf-8")
    with pytest.raises(ProblemsFound):
        build.build(catalogue.load(mini), path)
    assert warehouse_bytes(path) == before
    assert not list(tmp_path.glob(".w.*.tmp"))  # no staged part of any kind is left behind


def _kill_a_changed_build(mini: Path, path: Path, built_mini, stall: str, while_stalled=lambda: None):
    """`mini` built into `path` (built_mini), change a Seoul rank in the ledger (GPCI 2024: 6 -> 7), then start a
    build in another process that `stall` (Python run before it, defining what prints 'ready' and sleeps) halts, call
    `while_stalled()` and kill -9 that build. Returns the warehouse bytes from before and what `while_stalled` gave."""
    built_mini(path)
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


def test_killed_build_leaves_the_warehouse_byte_for_byte(mini: Path, tmp_path: Path, built_mini):
    """A build killed after writing its new file but before the swap changes nothing."""
    path = tmp_path / "w.duckdb"
    stall = ("real = os.replace\n"
             "def stalled(a, b):\n"
             "    print('ready', flush=True); time.sleep(60); real(a, b)\n"
             "os.replace = stalled\n")
    before, staged = _kill_a_changed_build(mini, path, built_mini, stall,
                                           lambda: list(tmp_path.glob(".w.duckdb.*.tmp")))
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


def test_primary_keys_agree_between_pandera_and_ddl(read_mini_warehouse: Path):
    con = parts.connect_read_only(read_mini_warehouse)
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


def test_a_build_killed_while_it_reads_leaves_the_warehouse_and_its_staged_file_goes_next_time(mini: Path, tmp_path: Path,
                                                                                                built_mini):
    """The component rows go straight into the published part's staged file while the ledger is read (issue 13): a
    build killed then leaves that file beside the warehouse, never in it; the next build removes it and succeeds."""
    path = tmp_path / "w.duckdb"
    stall = ("def stalled(*args):\n"
             "    print('ready', flush=True); time.sleep(60)\n"
             "build._untranslated = stalled\n")  # after every file is read, before component_row is checked or swapped
    before, found = _kill_a_changed_build(mini, path, built_mini, stall,
                                          lambda: list(tmp_path.glob(".w.duckdb.*.tmp")))
    [staged] = found  # the published part, being written beside the old one
    assert warehouse_bytes(path) == before and staged.exists()
    build.build(catalogue.load(mini), path)
    assert not staged.exists() and not list(tmp_path.glob(".w.*.tmp*"))
    with parts.connect_read_only(path) as con:
        assert con.execute("select rank from rankings where city='Seoul' and edition='2024'").fetchone() == (7,)
        assert con.execute("select count(*) from component_row").fetchone()[0] > 0


def test_the_parts_made_new_are_written_in_small_blocks_without_a_log(mini_warehouse: Path, mini: Path):
    """A write stages its part files without a write-ahead log (nothing reads them before the checkpoint; a failed
    or killed write removes them) and makes the values and forum parts in blocks of 16 KiB (each ~80 KiB, not
    ~800 KiB); a small ledger's published part too (its template's blocks, issue 13: a large ledger's keeps DuckDB's
    256 KiB blocks, test_schema_template)."""
    build.build(catalogue.load(mini), mini_warehouse)
    with parts.connect_read_only(mini_warehouse) as con:
        sizes = {name: size for name, size in con.execute(
            "select database_name, block_size from pragma_database_size() where database_name like 'warehouse%'").fetchall()}
    assert sizes == {"warehouse": 16384, "warehouse_values": 16384, "warehouse_forum": 16384}
    for part in ("values", "forum"):
        assert parts.part_path(mini_warehouse, part).stat().st_size < 200_000
    assert mini_warehouse.stat().st_size < 2_000_000
    assert not list(mini_warehouse.parent.glob("*.wal")) and not list(mini_warehouse.parent.glob(".*.tmp*"))


def test_the_city_values_are_read_while_the_components_are_and_published_problems_come_first(mini: Path, tmp_path: Path):
    """The build makes the city's values, the forum and the catalogue tables while the components files are read in
    the background (build._read_published, `meanwhile`); a problem there is still reported only once the published
    files have none, as when it was read after them, and with its own file, row and column."""
    seed = mini.parent / "data" / "raw" / "indicators" / "seed_values.csv"
    seed.write_text(seed.read_text(encoding="utf-8").replace("foreign_tourists,2023,8860000", "foreign_tourists,2023,lots", 1),
                    encoding="utf-8")
    path = tmp_path / "w" / "cityindex.duckdb"
    with pytest.raises(schemas.ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    text = str(caught.value)
    assert "seed_values.csv" in text and "value" in text and "lots" in text
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))
    # a published file with a problem too: its problems alone, as before
    rankings = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    rankings.write_text(rankings.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,10,", "GFCI 38,Seoul,South Korea,-10,"),
                        encoding="utf-8")
    with pytest.raises(schemas.ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    text = str(caught.value)
    assert "zyen_gfci.csv" in text and "seed_values.csv" not in text
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))


def test_every_table_but_component_row_is_checked_while_the_components_files_are_read(mini: Path, tmp_path: Path,
                                                                                    monkeypatch: pytest.MonkeyPatch):
    """The city, edition and ranking tables and the city's values are made and checked on the main thread while the
    components files are still read (build._published_tables `settle`, collect `the_rest`), not after the last file
    (issue 13): a components file whose read waits until ranking_row has been checked is read."""
    checked = threading.Event()
    real_check, real_find, real_read = build.validate_frame, build.find_problems, rankings.read_components

    def check(df, model, display):
        if display == "warehouse:ranking_row":
            checked.set()
        return real_check(df, model, display)

    def find(rel, model, display, *args, **kwargs):  # the rows held once, judged as they are staged (_checked_early)
        found = real_find(rel, model, display, *args, **kwargs)
        if display == "warehouse:ranking_row":
            checked.set()
        return found

    def read(con, series, *args):
        if series.components_file is not None:
            assert checked.wait(30), "ranking_row was not checked while the components files were read"
        return real_read(con, series, *args)

    monkeypatch.setattr(build, "validate_frame", check)
    monkeypatch.setattr(build, "find_problems", find)
    monkeypatch.setattr(rankings, "read_components", read)
    path = tmp_path / "w" / "cityindex.duckdb"
    assert build.build(catalogue.load(mini), path).counts["component_row"] > 0


def test_the_checked_tables_go_into_the_staged_file_while_the_components_files_are_read(mini: Path, tmp_path: Path,
                                                                                      monkeypatch: pytest.MonkeyPatch):
    """ranking_row and the catalogue's tables are appended to the staged published part once checked, while the
    components files are still read (warehouse.stage_early), not by the write after the last file (issue 13): a
    components file whose read waits until ranking_row's rows are in the staged file is read, and the warehouse
    holds each row once, as a build that stages nothing early gives it."""
    real_read = rankings.read_components

    def read(con, series, *args):
        if series.components_file is not None:
            deadline = time.monotonic() + 30
            while "ranking_row" not in rankings.appended_early():
                assert time.monotonic() < deadline, "ranking_row was not staged while the components files were read"
                time.sleep(0.01)
            assert con.execute("select count(*) from building.main.ranking_row").fetchall()[0][0] > 0
        return real_read(con, series, *args)

    monkeypatch.setattr(rankings, "read_components", read)
    early = tmp_path / "early" / "cityindex.duckdb"
    result = build.build(catalogue.load(mini), early)
    monkeypatch.setattr(rankings, "read_components", real_read)
    monkeypatch.setattr(warehouse, "stage_early", lambda tables, check=None: {})  # nothing staged, nothing judged
    late = tmp_path / "late" / "cityindex.duckdb"
    build.build(catalogue.load(mini), late)
    with parts.connect_read_only(early) as a, parts.connect_read_only(late) as b:
        for name in warehouse.PART_TABLES["published"]:
            rows = a.execute(f"select * from {name} order by all").fetchall()
            assert len(rows) == result.counts[name] and rows == b.execute(f"select * from {name} order by all").fetchall()
    assert result.counts["ranking_row"] > 0 and result.counts["component_row"] > 0


def test_a_table_checked_early_is_reported_only_once_the_published_files_have_no_problem(mini: Path, tmp_path: Path,
                                                                                        monkeypatch: pytest.MonkeyPatch):
    """A problem of a table checked while the components files are read (here ranking_row's, forced) is reported as
    when every table was checked after them: only when no published file has a problem, then with every other
    table's problems, and nothing is written."""
    real_check, real_find = build.validate_frame, build.find_problems

    def check(df, model, display):
        found = real_check(df, model, display)
        if display == "warehouse:ranking_row":
            found.append(schemas.problem(display, 3, "rank", "check.missing_value"))
        return found

    def find(rel, model, display, *args, **kwargs):  # the rows held once, judged as they are staged (_checked_early)
        found = real_find(rel, model, display, *args, **kwargs)
        if display == "warehouse:ranking_row":
            found.append(schemas.problem(display, 3, "rank", "check.missing_value"))
        return found

    monkeypatch.setattr(build, "validate_frame", check)
    monkeypatch.setattr(build, "find_problems", find)
    path = tmp_path / "w" / "cityindex.duckdb"
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    [found] = caught.value.problems
    assert (found.file, found.row, found.column) == ("warehouse:ranking_row", 3, "rank") and found.ko != found.en
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))
    components = mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv"
    components.write_text(components.read_text(encoding="utf-8") + "2025,Atlantis,economy,3,,https://example.org/x,GPCI,2026-11-24\n",
                          encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    assert {p.file for p in caught.value.problems} == {"data/raw/rankings/mori_gpci__components.csv"}
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))


def test_the_rankings_files_are_checked_together_and_each_problem_names_its_own_file_and_row(mini: Path, tmp_path: Path):
    """The checks across rankings files (known editions, known cities, flags against notes, two spellings of one
    city) run once over the rows of every file (rankings.read_rankings); each problem still names its own file,
    spreadsheet row and column."""
    raw = mini.parent / "data" / "raw" / "rankings"
    mori, zyen = raw / "mori_gpci.csv", raw / "zyen_gfci.csv"
    lines = mori.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[6].startswith("2025,Seoul,")
    lines[6] = lines[6].replace("2025,Seoul,", "2031,Seoul,", 1)  # an edition editions.csv does not know
    mori.write_text("".join(lines), encoding="utf-8")
    lines = zyen.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[5].startswith("GFCI 38,Seoul,")
    lines[5] = lines[5].replace("GFCI 38,Seoul,", "GFCI 38,Atlantis,", 1)  # a city cities.csv does not know
    zyen.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(schemas.ProblemsFound) as caught:
        build.build(catalogue.load(mini), tmp_path / "w" / "cityindex.duckdb")
    found = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert ("data/raw/rankings/mori_gpci.csv", 7, "edition") in found
    assert ("data/raw/rankings/zyen_gfci.csv", 6, "city") in found
    assert all(p.file in ("data/raw/rankings/mori_gpci.csv", "data/raw/rankings/zyen_gfci.csv") for p in caught.value.problems)
    assert "2031" in str(caught.value) and "Atlantis" in str(caught.value)


def test_a_large_table_is_converted_once_for_its_check_and_its_early_append(mini: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    """A table of LARGE_TABLE_ROWS rows or more goes into DuckDB through pandas (schemas.Table.relation): checked,
    then appended to the staged file while the components files are read (warehouse.stage_early), it is converted
    once, not once for each (~0.17 s of CPU for the synthetic ledger's 54,000 ranking rows, issue 13)."""
    monkeypatch.setattr(schemas, "LARGE_TABLE_ROWS", 0)  # every table converted as a large one is
    converted: list[list] = []
    real = schemas.Table.frame

    def frame(self):
        # a select of a table shares its records; each list is held here, so no two share an id (a freed one's id
        # is reused: the look-ups registered from lists made this test fail at random)
        converted.append(self.records)
        return real(self)

    monkeypatch.setattr(schemas.Table, "frame", frame)
    path = tmp_path / "w" / "cityindex.duckdb"
    result = build.build(catalogue.load(mini), path)
    assert converted and len({id(records) for records in converted}) == len(converted)
    with parts.connect_read_only(path) as con:
        assert con.execute("select count(*) from ranking_row").fetchone()[0] == result.counts["ranking_row"] > 0
