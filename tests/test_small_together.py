"""Small components files are read, checked and appended together (build.rankings._read_small_together, issue 13):
one read of all of them, one scan of every rule, one append transaction. The warehouse is the one each file read
alone gives; a file with any problem sends every file back to being read alone, so each problem still names its
file, row and column in Korean and English, and nothing is written."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from bench import synthetic  # SYNTHETIC ledgers, generated for a test only
from pipelines import build, catalogue, schemas
from pipelines.build import rankings, warehouse
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent


def _tables(path: Path) -> dict[str, list[tuple]]:
    """Every table of every part, its rows sorted (as EXCEPT ALL both ways compares them), and its column types;
    the inputs' digest left out (it names the files' modification times)."""
    out = {}
    with parts.connect_read_only(path) as con:
        for name in warehouse.TABLE_ORDER:
            rel = con.table(name)
            rows = sorted(rel.fetchall(), key=repr)
            if name == "setting":
                rows = [r for r in rows if r[0] != "inputs_sha256"]
            out[name] = [tuple(map(str, rel.types)), *rows]
    return out


def _calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the build read the small files together, and a components file alone."""
    calls = {"together": 0, "alone": 0}
    together, alone = rankings._read_small_together, rankings.read_components

    def counted_together(*args, **kwargs):
        calls["together"] += 1
        return together(*args, **kwargs)

    def counted_alone(*args, **kwargs):
        calls["alone"] += 1
        return alone(*args, **kwargs)

    monkeypatch.setattr(rankings, "_read_small_together", counted_together)
    monkeypatch.setattr(rankings, "read_components", counted_alone)
    return calls


def _alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every components file read alone, as before issue 13."""
    monkeypatch.setattr(rankings, "_read_small_together", lambda *args, **kwargs: {})


def _ledger(tmp_path: Path) -> synthetic.Generated:
    """A SYNTHETIC ledger of three small components files (no `flags` or `note_ko` column), one of them with a rank
    and a score of one component on two rows (merged into one), another spelling a city by its alias."""
    gen = synthetic.generate(tmp_path / "syn", synthetic.Shape(series=3, components=3, cities=10, editions=2))
    first = gen.component_files[0]
    lines = first.read_text(encoding="utf-8").splitlines()
    edition, city, component, rank, score, url, *rest = lines[1].split(",")
    lines[1:2] = [",".join([edition, city, component, rank, "", url, *rest]),
                  ",".join([edition, city, component, "", score, url.replace("/synthetic/", "/scores/"), *rest])]
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    cities = gen.root / "data" / "raw" / "cities.csv"
    cities.write_text(cities.read_text(encoding="utf-8").replace(
        "Synthetic City 002,합성 도시 002,Synthetic Country 01,합성 국가 01,",
        "Synthetic City 002,합성 도시 002,Synthetic Country 01,합성 국가 01,SynCity Two"), encoding="utf-8")
    second = gen.component_files[1]
    second.write_text(second.read_text(encoding="utf-8").replace(",Synthetic City 002,", ",SynCity Two,"),
                      encoding="utf-8")
    return gen


@pytest.mark.parametrize("kept", [True, False])
def test_small_files_go_in_together_and_give_what_each_alone_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   kept: bool):
    """Both ways of reading them together give what each alone gives: by their kept queries (no relation, the
    build's way, rankings._small_kept) and by relations (schemas.SCAN_KEPT off, rankings._small_held)."""
    gen = _ledger(tmp_path)
    calls = _calls(monkeypatch)
    monkeypatch.setattr(schemas, "SCAN_KEPT", kept)
    held: list[int] = []
    real_held = rankings._small_held
    monkeypatch.setattr(rankings, "_small_held", lambda *args, **kwargs: held.append(1) or real_held(*args, **kwargs))
    pools: list[str] = []
    real_pool = concurrent.futures.ThreadPoolExecutor

    def pool(*args, **kwargs):
        pools.append(kwargs.get("thread_name_prefix", ""))
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", pool)
    together = tmp_path / "together" / "cityindex.duckdb"
    result = build.build(catalogue.load(gen.catalogue), together)
    assert calls == {"together": 1, "alone": 0}
    assert held == ([] if kept else [1])  # the kept queries took them all, or relations did
    assert len(pools) == 1  # the build's one background reader: no pool of readers for no file left
    monkeypatch.setattr(concurrent.futures, "ThreadPoolExecutor", real_pool)
    # the merged component is one row (rank from the first row, score and its source from the second)
    assert result.counts["component_row"] == 3 * 3 * 10 * 2
    _alone(monkeypatch)
    alone = tmp_path / "alone" / "cityindex.duckdb"
    build.build(catalogue.load(gen.catalogue), alone)
    assert calls["alone"] == 3
    made = _tables(together)
    assert made == _tables(alone)
    with parts.connect_read_only(together) as con:
        merged = con.execute("select rank, score, source_url, score_source_url from component_row "
                             "where index_id = ? and edition = '2005' and city = 'Synthetic City 001' "
                             "and component_id = 'component_01'", [synthetic.index_id(0)]).fetchall()
        spelled = con.execute("select count(*) from component_row where city = 'SynCity Two'").fetchone()
    assert len(merged) == 1 and merged[0][0] is not None and merged[0][1] is not None
    assert "/scores/" in merged[0][3] and "/scores/" not in merged[0][2]
    assert spelled == (0,)


def test_the_real_ledger_reads_its_components_files_together_and_gives_the_same_warehouse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_warehouse: Path):
    calls = _calls(monkeypatch)
    _alone(monkeypatch)
    alone = tmp_path / "cityindex.duckdb"
    build.build(catalogue.load(ROOT / "indicators.yml"), alone)
    assert calls["alone"] >= 2  # the real ledger has several small components files
    assert _tables(real_warehouse) == _tables(alone)


def test_one_small_file_alone_goes_the_small_files_way_and_gives_what_holding_it_gives(
        mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A ledger of one small components file (the mini fixture's, which most tests build) is read the small files'
    way too (its kept queries, no relation), and gives the warehouse holding it alone gives."""
    calls = _calls(monkeypatch)
    held: list[int] = []
    real_held = rankings._hold_components
    monkeypatch.setattr(rankings, "_hold_components", lambda *args, **kwargs: held.append(1) or real_held(*args, **kwargs))
    together = tmp_path / "together" / "cityindex.duckdb"
    assert build.build(catalogue.load(mini), together).counts["component_row"] > 0
    assert calls["together"] == 1 and held == []  # (read_components still sees the series without a file)
    _alone(monkeypatch)
    alone = tmp_path / "alone" / "cityindex.duckdb"
    build.build(catalogue.load(mini), alone)
    assert held == [1]
    assert _tables(together) == _tables(alone)


@pytest.mark.parametrize("defect", ["unknown component", "not a URL", "two ranks", "unmapped city"])
def test_a_bad_file_among_small_ones_names_each_problem_as_alone_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, defect: str):
    """Any problem in any file: every file is read alone (the way that names every problem), so the problems are
    exactly those each file alone gives, in both languages, and the warehouse stays as it was."""
    gen = _ledger(tmp_path)
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(catalogue.load(gen.catalogue), path)
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    bad = gen.component_files[2]
    lines = bad.read_text(encoding="utf-8").splitlines()
    if defect == "unknown component":
        lines[3] = lines[3].replace("component_03", "component_99")
    elif defect == "not a URL":
        lines[3] = lines[3].replace("https://", "ftp://")
    elif defect == "two ranks":  # a second row of row 2's key with another rank
        edition, city, component, rank, *rest = lines[1].split(",")
        lines.append(",".join([edition, city, component, str(int(rank) + 1), *rest]))
    else:
        lines[3] = lines[3].replace("Synthetic City", "Nowhere City")
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def problems() -> list[tuple]:
        with pytest.raises(ProblemsFound) as caught:
            build.build(catalogue.load(gen.catalogue), path)
        return [(p.file, p.row, p.column, p.ko, p.en) for p in caught.value.problems]

    calls = _calls(monkeypatch)
    found = problems()
    assert calls["together"] == 1 and calls["alone"] == 3
    assert found and all(f.endswith(bad.name) for f, *_ in found)
    assert all(row is not None and column and ko != en for _, row, column, ko, en in found)
    _alone(monkeypatch)
    assert problems() == found
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert rankings.building() is None and not list(path.parent.glob(".*.tmp*"))
