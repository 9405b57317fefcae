"""Fewer DuckDB round trips in a small build (issue 13), with the same checks: a Python-made table converted once
for its check and its early append, in one transaction that appends nothing when any table has a problem; an
empty table judged without DuckDB; a small ledger file judged without the query that counts its rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import build, catalogue, schemas
from pipelines.build import rankings, warehouse
from pipelines.schemas import ProblemsFound, Table


def test_each_checked_table_is_converted_once_for_its_check_and_its_early_append(mini: Path, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    """city, edition and ranking_row go into the staged file by DuckDB's appender, once each, and are judged where they
    lie: never held apart first, never converted again (issue 13)."""
    held: list[tuple[str, ...]] = []
    related: list[tuple[str, ...]] = []
    appended: list[tuple[str, ...]] = []
    real_held, real_relation, real_append = Table.held, Table.relation, Table.append

    def spy_held(self, con, columns=None, row=False):
        held.append(tuple(self.columns))
        return real_held(self, con, columns, row)

    def spy_relation(self, con, columns=None, row=False):
        related.append(tuple(self.columns))
        return real_relation(self, con, columns, row)

    def spy_append(self, con, name, columns):
        appended.append(tuple(self.columns))
        return real_append(self, con, name, columns)

    monkeypatch.setattr(Table, "held", spy_held)
    monkeypatch.setattr(Table, "relation", spy_relation)
    monkeypatch.setattr(Table, "append", spy_append)
    result = build.build(catalogue.load(mini), tmp_path / "w" / "cityindex.duckdb")
    checked = [tuple(result.held[name].columns) for name in ("city", "edition", "ranking_row")]
    assert all(appended.count(c) == 1 for c in checked), appended  # appended once each, judged where they lie
    assert not set(checked) & set(held) and not set(checked) & set(related)  # never converted again
    assert result.counts["ranking_row"] > 0 and result.counts["city"] > 0


def _problems_of_spoiled_tables(mini: Path, path: Path, monkeypatch: pytest.MonkeyPatch, straight: bool,
                                refused: bool) -> list[tuple]:
    """The problems of a build whose ranking_row records (and city's, when `refused`: a missing value its table's
    NOT NULL refuses on the way in) are spoiled as they are staged early; `straight` False: every checked table held
    apart first, as before."""
    real_stage, real_append = warehouse.stage_early, warehouse._append_early

    def stage(tables, checks=None):
        if "ranking_row" in tables:
            if refused:
                tables["city"].records[2]["city_ko"] = None
            tables["ranking_row"].records[5]["status"] = "<b>ranked</b>"
            tables["ranking_row"].records[7]["flags"] = "nota flag; <script>"
        return real_stage(tables, checks)

    monkeypatch.setattr(warehouse, "stage_early", stage)
    monkeypatch.setattr(warehouse, "_append_early", lambda *args: real_append(*args[:-1], args[-1] and straight))
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))
    return [(p.file, p.row, p.column, p.ko, p.en) for p in caught.value.problems]


@pytest.mark.parametrize("refused", [False, True], ids=["rules", "refused-on-the-way-in"])
def test_the_problems_of_a_table_judged_where_it_lies_are_those_of_holding_it(mini: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch,
                                                                            refused: bool):
    """A table appended straight into the staged file and judged there (issue 13) that has a problem, or that its
    table refuses, is judged again the way before, by its records' places: the same problems, in both languages, as
    a build that holds every checked table apart first, and nothing written."""
    straight = _problems_of_spoiled_tables(mini, tmp_path / "a" / "cityindex.duckdb", monkeypatch, True, refused)
    held = _problems_of_spoiled_tables(mini, tmp_path / "b" / "cityindex.duckdb", monkeypatch, False, refused)
    assert straight == held
    expected = {("warehouse:ranking_row", 5, "status"), ("warehouse:ranking_row", 7, "flags")}
    assert {(file, row, column) for file, row, column, *_ in straight} == expected | ({("warehouse:city", 2, "city_ko")} if refused else set())


def test_a_problem_found_as_the_tables_are_staged_early_appends_none_of_them(mini: Path, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch):
    """edition is judged after city has gone in (PART_TABLES order): its problem takes city's rows back out too,
    the problem names table, row and column in both languages, and nothing is written."""
    real_find = build.find_problems
    staged_rows: list[int] = []

    def find(rel, model, display, *args, **kwargs):
        found = real_find(rel, model, display, *args, **kwargs)
        if display == "warehouse:edition":
            found.append(schemas.problem(display, 1, "year", "check.missing_value"))
        return found

    real_let_go = build.let_go_components

    def let_go():
        con = rankings.building()
        if con is not None:  # what the staged file holds when the build gives up
            staged_rows.append(con.execute("select count(*) from building.main.city").fetchone()[0])
            con.close()
        real_let_go()

    monkeypatch.setattr(build, "find_problems", find)
    monkeypatch.setattr(build, "let_go_components", let_go)
    path = tmp_path / "w" / "cityindex.duckdb"
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    [found] = caught.value.problems
    assert (found.file, found.row, found.column) == ("warehouse:edition", 1, "year") and found.ko != found.en
    assert staged_rows and staged_rows[0] == 0
    assert not path.exists() and not list(path.parent.glob(".*.tmp*"))


def test_an_empty_table_is_judged_by_its_columns_without_duckdb(monkeypatch: pytest.MonkeyPatch):
    def no_duckdb():
        raise AssertionError("an empty table needs no DuckDB")

    monkeypatch.setattr(schemas, "cursor", no_duckdb)
    columns = list(schemas.LedgerUploadTable.to_schema().columns)
    assert schemas.validate_frame(Table(columns, []), schemas.LedgerUploadTable, "warehouse:ledger_upload") == []
    [missing] = schemas.validate_frame(Table(columns[1:], []), schemas.LedgerUploadTable, "warehouse:ledger_upload")
    assert missing.column == columns[0] and missing.ko != missing.en


@pytest.mark.parametrize("bad", [False, True])
def test_a_small_ledger_file_skips_counting_its_rows_and_finds_the_same(mini: Path, monkeypatch: pytest.MonkeyPatch,
                                                                         bad: bool):
    cities = mini.parent / "data" / "raw" / "cities.csv"
    if bad:  # an empty city name on row 3, a repeated one on row 4
        lines = cities.read_text(encoding="utf-8").splitlines()
        first = lines[1].split(",")
        lines[2] = ",".join(["", *lines[2].split(",")[1:]])
        lines.insert(3, ",".join([first[0], *lines[3].split(",")[1:]]))
        cities.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counted: list[int] = []
    real_suspects = schemas._suspects

    def suspects(*args, **kwargs):
        counted.append(1)
        return real_suspects(*args, **kwargs)

    monkeypatch.setattr(schemas, "_suspects", suspects)
    quick = schemas.read_checked(cities, "data/raw/cities.csv", {}, schemas.RawCity)
    assert not counted
    monkeypatch.setattr(schemas, "_rows_at_most", lambda path, columns: None)  # as before: the rows counted first
    slow = schemas.read_checked(cities, "data/raw/cities.csv", {}, schemas.RawCity)
    assert counted and quick == slow
    assert bool(quick[2]) == bad and all(p.row is not None and p.column == "city" for p in quick[2])


def test_a_build_with_nothing_to_acknowledge_leaves_the_seal_as_it_is(mini: Path, tmp_path: Path):
    """seal.acknowledge writes (and syncs) the seal only when a head or a pending entry moved: a build of a ledger
    no killed writer touched leaves the file itself in place (a killed writer's entry is acknowledged as before:
    tests/test_attacks_accounts.py, an upload killed after its commit)."""
    from pipelines.ledger import seal

    cat = catalogue.load(mini)
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(cat, path)
    sealed = seal.seal_path(cat)
    before = sealed.stat()
    build.build(catalogue.load(mini), path)
    after = sealed.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert seal.verify(catalogue.load(mini)).ok


def _bad_numbers(mini: Path, tmp_path: Path) -> Path:
    """A rankings file whose ranks and scores are not numbers, not whole, or out of range (rows 2-5)."""
    source = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    lines = source.read_text(encoding="utf-8").splitlines()[:5]
    header = lines[0].split(",")
    rank, score = header.index("rank"), header.index("score")
    rows = [line.split(",") for line in lines[1:]]
    rows[0][rank], rows[1][rank], rows[2][score], rows[3][rank] = "abc", "1.5", "x1", "-3"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", encoding="utf-8")
    return bad


def test_a_small_files_numbers_are_judged_on_their_parsed_column_with_the_same_problems(
        mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Where every rule is judged in one scan (a small file, alone or read together), a number's rules read its
    parsed column instead of parsing its text again: the problems are those the text-reading rules give (the way a
    large file's rules are judged), in both languages."""
    from pipelines.build.rankings import RANKING_NUMBERS

    bad = _bad_numbers(mini, tmp_path)
    good = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    files = [(bad, "bad.csv"), (good, "good.csv")]

    def read() -> list:
        alone = schemas.read_checked(bad, "bad.csv", RANKING_NUMBERS, schemas.RawRanking)
        together = schemas.read_checked_files(files, RANKING_NUMBERS, schemas.RawRanking)
        return [(failed, [(p.file, p.row, p.column, p.ko, p.en) for p in problems])
                for _, failed, problems in (alone, *together)]

    quick = read()
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", 0)  # every file judged as a large one is: rules read the text
    assert read() == quick
    assert quick[0][0] and {(row, column) for _, row, column, *_ in quick[0][1]} >= {(2, "rank"), (3, "rank"),
                                                                                      (4, "score"), (5, "rank")}
    assert quick[1] == quick[0] and not quick[2][1]


def test_the_problems_of_files_read_together_come_in_the_order_of_their_rows(mini: Path, tmp_path: Path):
    """Files read together are held in one table, filled in parallel: its rows' order varies from run to run, and the
    problems named on them came back in that order (a person reading them, and the test above, saw rows 4, 2, 3...).
    They come in the order of their rows, every time."""
    from pipelines.build.rankings import RANKING_NUMBERS

    bad = _bad_numbers(mini, tmp_path)
    good = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    seen = set()
    for _ in range(20):  # without the order, 2 runs in 5 came back out of order here
        (_, failed, problems), _ = schemas.read_checked_files([(bad, "bad.csv"), (good, "good.csv")],
                                                              RANKING_NUMBERS, schemas.RawRanking)
        assert failed
        rows = [p.row for p in problems]
        assert rows == sorted(rows) and {2, 3, 4, 5} <= set(rows), rows
        seen.add(tuple((p.row, p.column) for p in problems))
    assert len(seen) == 1, seen


def test_a_build_reads_its_ledger_files_on_its_own_duckdb(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The ledger files a build reads go to the DuckDB it holds anyway (schemas.reading_on, issue 13): `cityidx build`
    makes no second instance. Only the build's own thread reads there: another thread's reads, meanwhile, go to the
    process's working DuckDB as always."""
    import threading

    monkeypatch.setattr(schemas, "_READER", [])
    limits: dict[str, str] = {}
    real_load_cities = build.load_cities

    def load_cities(*args):
        def limit(who: str) -> None:
            con = schemas.cursor()
            try:
                limits[who] = con.execute("select current_setting('memory_limit')").fetchone()[0]
            finally:
                con.close()

        limit("build")
        other = threading.Thread(target=limit, args=("other",))
        other.start()
        other.join()
        return real_load_cities(*args)

    monkeypatch.setattr(build, "load_cities", load_cities)
    cat = catalogue.load(mini)
    result = build.build(cat, tmp_path / "w" / "cityindex.duckdb")
    assert result.counts["ranking_row"] > 0
    assert limits["build"] != limits["other"] and len(schemas._READER) == 1  # the other thread's, made for it
    monkeypatch.setattr(build, "load_cities", real_load_cities)
    monkeypatch.setattr(schemas, "_READER", [])
    build.build(cat, tmp_path / "w" / "cityindex.duckdb")
    assert schemas._READER == []  # the build alone: no working DuckDB made
