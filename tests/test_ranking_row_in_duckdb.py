"""A large ledger's ranking_row is made and checked in the build's DuckDB (build.rankings.rank_in_duckdb), never as
Python records (issue 13): the same warehouse as the records make, the same warnings, and on bad input the same
problems, each naming file, row and column in Korean and English, with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines import build, catalogue
from pipelines.build import rankings, warehouse
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).parent / "fixtures" / "bad"


@pytest.fixture
def in_duckdb(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every ledger counts as large: ranking_row made in DuckDB. Returns what each rank_in_duckdb call gave."""
    given: list = []
    real = rankings.rank_in_duckdb

    def spy(*args, **kwargs):
        given.append(real(*args, **kwargs))
        return given[-1]

    monkeypatch.setattr(rankings, "RANKINGS_IN_DUCKDB_BYTES", 0)
    monkeypatch.setattr(build, "rank_in_duckdb", spy)
    return given


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int, int]]:
    """Every table of every part of two warehouses compared with EXCEPT ALL both ways: the tables that differ, with
    (rows, rows only in a, rows only in b); ranking_row compared in its order too."""
    out = {}
    con = duckdb.connect()
    try:
        for part, tables in warehouse.PART_TABLES.items():
            con.execute(f"attach '{parts.part_path(a, part)}' as a (read_only)")
            con.execute(f"attach '{parts.part_path(b, part)}' as b (read_only)")
            for t in tables:
                only_a = con.execute(f"select count(*) from (from a.{t} except all from b.{t})").fetchone()[0]
                only_b = con.execute(f"select count(*) from (from b.{t} except all from a.{t})").fetchone()[0]
                rows = con.execute(f"select count(*) from a.{t}").fetchone()[0]
                if only_a or only_b:
                    out[t] = (rows, only_a, only_b)
            if part == "published" and con.execute("from a.ranking_row").fetchall() != con.execute("from b.ranking_row").fetchall():
                out["ranking_row order"] = (0, 0, 0)
            con.execute("detach a")
            con.execute("detach b")
    finally:
        con.close()
    return out


def _edited(mini: Path) -> Path:
    """The mini ledger with what the records path puts right or adds: a city by its alias, flags out of their
    order, a focus-city note without Korean, and an edition without the focus city (a `not_found` row)."""
    raw = mini.parent / "data" / "raw" / "rankings"
    gfci = raw / "zyen_gfci.csv"
    lines = gfci.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("GFCI 37,Seoul,")]
    gfci.write_text("\n".join(line.replace("GFCI 38,New York,", "GFCI 38,New York City,") for line in lines) + "\n",
                    encoding="utf-8")
    gpci = raw / "mori_gpci.csv"
    text = gpci.read_text(encoding="utf-8").replace(
        ",2026-11-24,,48 cities,48개 도시", ',2026-11-24,low_confidence|conflict,"48 cities; CONFLICT: X says 7th",', 1)
    gpci.write_text(text, encoding="utf-8")
    return mini


@pytest.mark.parametrize("ledger", ["mini", "mini edited", "real"])
def test_ranking_row_made_in_duckdb_is_the_one_the_records_make(ledger: str, mini: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    if ledger == "real":
        shutil.copytree(ROOT / "data" / "raw", tmp_path / "real" / "data" / "raw")
        shutil.copy(ROOT / "indicators.yml", tmp_path / "real" / "indicators.yml")
        source = tmp_path / "real" / "indicators.yml"
    else:
        source = _edited(mini) if ledger == "mini edited" else mini
    records = build.build(catalogue.load(source), tmp_path / "records" / "cityindex.duckdb")
    assert rankings.building() is None
    given: list = []
    real = rankings.rank_in_duckdb
    monkeypatch.setattr(rankings, "RANKINGS_IN_DUCKDB_BYTES", 0)
    monkeypatch.setattr(build, "rank_in_duckdb", lambda *a, **k: given.append(real(*a, **k)) or given[-1])
    held = build.build(catalogue.load(source), tmp_path / "held" / "cityindex.duckdb")
    [made] = given
    assert isinstance(made, rankings.HeldRankings) and rankings.building() is None
    assert held.counts == records.counts and held.counts["ranking_row"] > 0
    assert [(m.key, m.values) for m in held.warnings] == [(m.key, m.values) for m in records.warnings]
    if ledger == "mini edited":  # the cases are there: the alias, the flags, the missing focus row, the warning
        keys = {m.key for m in held.warnings}
        assert {"build.note_without_ko"} <= keys
        with parts.connect_read_only(tmp_path / "held" / "cityindex.duckdb") as con:
            assert con.execute("select count(*) from ranking_row where status = 'not_found' and city = 'Seoul' "
                               "and edition = 'GFCI 37'").fetchone()[0] == 1
            assert con.execute("select flags from ranking_row where city = 'Seoul' and edition = '2024'").fetchone()[0] \
                == "conflict|low_confidence"
            assert con.execute("select count(*) from ranking_row where source_city = 'New York City'").fetchone()[0] == 2
    assert _differences(tmp_path / "records" / "cityindex.duckdb", tmp_path / "held" / "cityindex.duckdb") == {}


def test_a_check_without_a_write_holds_ranking_row_in_memory_as_the_records_give_it(mini: Path, in_duckdb: list):
    """collect without a staged file: ranking_row in the build's in-memory DuckDB, as pandas as the records give it."""
    held = build.collect(catalogue.load(mini))
    try:
        assert isinstance(in_duckdb[0], rankings.HeldRankings)
        frame = held.tables["ranking_row"]
    finally:
        rankings.let_go_components()
    seoul = frame[(frame.city == "Seoul") & (frame.edition == "2024")].iloc[0]
    assert seoul["rank"] == 6 and str(frame["rank"].dtype) == "Int64" and seoul["source_file"] == "data/raw/rankings/mori_gpci.csv"


BAD_RANKINGS = ["mori_gpci__duplicate_city.csv", "zyen_gfci__alias_duplicate.csv", "mori_gpci__unmapped_city.csv",
                "mori_gpci__unknown_edition.csv", "mori_gpci__flag_not_in_flags.csv", "mori_gpci__not_found_but_ranked.csv",
                "mori_gpci__unclassified_source.csv", "mori_gpci__rank_not_a_number.csv",
                "mori_gpci__bound_on_a_ranked_row.csv", "mori_gpci__missing_column.csv", "mori_gpci__cp949_bytes.csv"]


@pytest.mark.parametrize("bad", BAD_RANKINGS)
def test_a_bad_rankings_file_gives_the_records_problems_and_writes_nothing(bad: str, mini: Path, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch):
    """Any problem and the rows are read as records after all (rank_in_duckdb gives None, leaving nothing made), so
    every problem names file, row and column as before; two spellings of one city in one edition fail the primary
    key's insert into the staged file, which goes with the failed build."""
    shutil.copy(BAD / bad, mini.parent / "data" / "raw" / "rankings" / (bad.split("__")[0] + ".csv"))
    with pytest.raises(ProblemsFound) as caught:
        build.collect(catalogue.load(mini))
    want = [(p.file, p.row, p.column, p.ko, p.en) for p in caught.value.problems]
    assert want and all(ko != en for *_, ko, en in want)
    given: list = []
    real = rankings.rank_in_duckdb
    monkeypatch.setattr(rankings, "RANKINGS_IN_DUCKDB_BYTES", 0)
    monkeypatch.setattr(build, "rank_in_duckdb", lambda *a, **k: given.append(real(*a, **k)) or given[-1])
    path = tmp_path / "w" / "cityindex.duckdb"
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    assert given == [None]
    assert [(p.file, p.row, p.column, p.ko, p.en) for p in caught.value.problems] == want
    assert not path.exists() and not list(path.parent.glob(".*.tmp*")) and rankings.building() is None
