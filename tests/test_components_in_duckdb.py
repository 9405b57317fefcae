"""Component figures go from the ledger to the warehouse without leaving DuckDB (build.rankings.read_components):
a rank and a score of one component from two rows become one row with both sources, both notes once each in
file order and the union of their flags; every problem still names file, row and column; nothing is left held
in the working DuckDB after a build, failed or not."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import synthetic  # SYNTHETIC ledgers, generated for a test only
from pipelines import build, catalogue, schemas
from pipelines.build import rankings
from pipelines.errors import CityIdxError
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts

HEADER = "edition,city,component,rank,score,source_url,publication,retrieved,flags,note,note_ko"
RANK_URL = "https://example.org/gpci/ranks"
SCORE_URL = "https://example.org/gpci/scores"


def _components(mini: Path, *rows: str) -> Path:
    path = mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _held() -> bool:
    """Whether a build's DuckDB (and the component rows in it) is still open."""
    return rankings.building() is not None


def _attached() -> set[str]:
    """The databases attached to the process's working DuckDB (where ledger files are read)."""
    con = schemas.cursor()
    try:
        return {name for (name,) in con.execute("select database_name from duckdb_databases() where not internal").fetchall()}
    finally:
        con.close()


def test_a_rank_row_and_a_score_row_become_one_component_row(mini: Path, tmp_path: Path):
    _components(
        mini,
        f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,inferred,rank INFERRED from the chart,",
        f"2025,Seoul,economy,,301.5,{SCORE_URL},GPCI,2026-11-24,derived,DERIVED from the totals,합계에서 구함",
        f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,inferred,rank INFERRED from the chart,",  # same rank: fine
        f"2025,Tokyo,r_and_d,,88,{SCORE_URL},GPCI,2026-11-24,,,",
    )
    path = tmp_path / "w.duckdb"
    result = build.build(catalogue.load(mini), path)
    assert result.counts["component_row"] == 2
    assert not _held() and _attached() == {"memory"}  # the held rows and the staged files are let go
    with parts.connect_read_only(path) as con:
        rows = con.execute("select city, component_id, rank, score, source_url, score_source_url, source_tier, flags, "
                           "note, note_ko from component_row order by city").fetchall()
    assert rows == [
        ("Seoul", "economy", 16, 301.5, RANK_URL, SCORE_URL, "aggregator", "derived|inferred",
         "rank INFERRED from the chart | DERIVED from the totals", "합계에서 구함"),
        ("Tokyo", "r_and_d", None, 88.0, SCORE_URL, SCORE_URL, "aggregator", None, None, None),
    ]


def test_every_component_problem_names_file_row_and_column_and_nothing_is_held(mini: Path, tmp_path: Path, built_mini):
    path = built_mini(tmp_path / "w.duckdb")
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    _components(
        mini,
        f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
        f"2025,Seoul,economy,17,,{RANK_URL},GPCI,2026-11-24,,,",                  # 3: a second, other rank
        f"2025,Tokio,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                   # 4: unmapped city
        f"2031,Seoul,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                   # 5: unknown edition
        f"2025,Seoul,research,3,,{RANK_URL},GPCI,2026-11-24,,,",                  # 6: unknown component
        "2025,Seoul,livability,3,,https://blog.unknown-outlet.net/x,GPCI,2026-11-24,,,",  # 7: no tier
        f"2025,Seoul,r_and_d,3,,{RANK_URL},GPCI,2026-11-24,,CONFLICT with the chart,",   # 8: flag missing
    )
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert {(4, "city"), (5, "edition"), (6, "component"), (7, "source_url"), (8, "flags")} <= found, found
    assert all(p.file == "data/raw/rankings/mori_gpci__components.csv" for p in caught.value.problems)
    assert all(p.ko != p.en for p in caught.value.problems)
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"}

    # the conflict is found once the rest is right
    _components(mini, f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,Seoul,economy,17,,{RANK_URL},GPCI,2026-11-24,,,")
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    [conflict] = caught.value.problems
    assert (conflict.row, conflict.column) == (3, "rank") and "16, 17" in conflict.en and "16, 17" in conflict.ko
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before


def test_a_components_file_with_its_header_only_gives_no_rows(mini: Path, tmp_path: Path):
    _components(mini)
    result = build.build(catalogue.load(mini), tmp_path / "w.duckdb")
    assert result.counts["component_row"] == 0 and result.counts["ranking_row"] > 0


def _component_rows(path: Path) -> list[tuple]:
    with parts.connect_read_only(path) as con:
        return con.execute("select * from component_row order by all").fetchall()


UNIQUE_ROWS = (
    f"2025,Seoul,economy,16,301.5,{RANK_URL},GPCI,2026-11-24,inferred|derived,DERIVED and rank INFERRED,합계에서 구함",
    f"2025,Seoul,r_and_d,,77,{SCORE_URL},GPCI,2026-11-24,,,",
    f"2025,Tokyo,r_and_d,3,,{RANK_URL},GPCI,2026-11-24,low_confidence,,",
    "2025,New York,livability,9,55.5,https://blog.unknown-outlet.net/x,GPCI,2026-11-24,,a plain note,",
    f"2025,Tokyo,economy,,12.25,{SCORE_URL},GPCI,2026-11-24,conflict,see the CONFLICT note,",
)


def test_a_file_whose_keys_never_repeat_gives_what_the_merge_gives(mini: Path, tmp_path: Path,
                                                                  either_way: None):
    """Rows that share no key go in as they stand (components_append_unique); the same rows with one repeated (so
    merged, components_append) must give the very same component rows: two ways, one result."""
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    domains.write_text(domains.read_text(encoding="utf-8") + "blog.unknown-outlet.net,press,a test outlet\n",
                       encoding="utf-8")
    _components(mini, *UNIQUE_ROWS)
    assert build.build(catalogue.load(mini), tmp_path / "one.duckdb").counts["component_row"] == len(UNIQUE_ROWS)
    _components(mini, *UNIQUE_ROWS, UNIQUE_ROWS[0])  # one row twice: the file now goes through the merge
    assert build.build(catalogue.load(mini), tmp_path / "two.duckdb").counts["component_row"] == len(UNIQUE_ROWS)
    one = _component_rows(tmp_path / "one.duckdb")
    assert one == _component_rows(tmp_path / "two.duckdb")
    seoul = next(r for r in one if r[2] == "Seoul" and r[3] == "economy")
    assert seoul[4:] == (16, 301.5, RANK_URL, "aggregator", RANK_URL, "derived|inferred", "DERIVED and rank INFERRED",
                         "합계에서 구함")
    assert {r[3]: r[8] for r in one if r[2] == "Tokyo"} == {"r_and_d": None, "economy": SCORE_URL}  # score's source


def test_two_spellings_of_one_city_are_merged_into_one_row(mini: Path, tmp_path: Path, either_way: None):
    """No key repeats as the file spells it, but `New York City` is `New York`: its rank and score become one row."""
    _components(mini, f"2025,New York,economy,4,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,New York City,economy,,88.5,{SCORE_URL},GPCI,2026-11-24,,,")
    path = tmp_path / "w.duckdb"
    assert build.build(catalogue.load(mini), path).counts["component_row"] == 1
    [row] = _component_rows(path)
    assert row[2:7] == ("New York", "economy", 4, 88.5, RANK_URL) and row[8] == SCORE_URL


def test_a_build_out_of_memory_says_so_in_both_languages_and_changes_nothing(mini: Path, tmp_path: Path,
                                                                             either_way: None, built_mini):
    path = built_mini(tmp_path / "w.duckdb")
    cat = catalogue.load(mini)
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    starved = cat.model_copy(update={"build": cat.build.model_copy(update={"memory_limit_mb": 1})})
    with pytest.raises(CityIdxError) as caught:
        build.build(starved, path)
    assert caught.value.key == "build.out_of_memory"
    assert "1 MB" in caught.value.text("ko") and "1 MB" in caught.value.text("en")
    assert "메모리" in caught.value.text("ko") and "memory" in caught.value.text("en")
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"}
    assert not list(path.parent.glob(".*.tmp*"))


def test_components_files_read_at_once_each_give_their_own_rows_and_problems(tmp_path: Path, either_way: None):
    """The build reads READERS components files at a time, each on its own cursor (issue 13): every series still
    gets exactly its own rows, and a bad row in two files is named in each, with its own file and row."""
    gen = synthetic.generate(tmp_path / "syn", synthetic.Shape(series=5, components=4, cities=10, editions=3))
    assert len(gen.component_files) == 5 > rankings.READERS
    path = tmp_path / "w.duckdb"
    result = build.build(catalogue.load(gen.catalogue), path)
    assert result.counts["component_row"] == 5 * 4 * 10 * 3
    with parts.connect_read_only(path) as con:
        per_series = dict(con.execute("select index_id, count(*) from component_row group by all").fetchall())
        urls = con.execute("select count(*) from component_row where source_url not like '%/' || index_id || '/%'").fetchone()
    assert per_series == {synthetic.index_id(s): 4 * 10 * 3 for s in range(5)} and urls == (0,)
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    for f, line in ((gen.component_files[1], 3), (gen.component_files[4], 7)):
        lines = f.read_text(encoding="utf-8").splitlines()
        lines[line - 1] = lines[line - 1].replace("https://", "ftp://")
        f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(gen.catalogue), path)
    assert sorted((p.file.rsplit("/", 1)[-1], p.row, p.column) for p in caught.value.problems) == [
        (gen.component_files[1].name, 3, "source_url"), (gen.component_files[4].name, 7, "source_url")]
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and not list(tmp_path.glob(".w.*.tmp*"))


def test_components_read_beside_the_rankings_still_report_every_problem_in_order(mini: Path, tmp_path: Path,
                                                                                  built_mini):
    """The components files are read in the background while the rankings are read (issue 13): a bad rankings row
    and a bad components row are both named in one build, the rankings' first as before, and nothing is left held
    or written."""
    path = built_mini(tmp_path / "w.duckdb")
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    rankings_file = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    lines = rankings_file.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("https://", "ftp://")  # row 2: not a URL
    rankings_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _components(mini, f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,Tokio,economy,3,,{RANK_URL},GPCI,2026-11-24,,,")  # row 3: unmapped city
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    named = [(p.file.rsplit("/", 1)[-1], p.row, p.column) for p in caught.value.problems]
    assert named == [("mori_gpci.csv", 2, "source_url"), ("mori_gpci__components.csv", 3, "city")], named
    assert all(p.ko != p.en for p in caught.value.problems)
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"}


@pytest.mark.parametrize("small", [False, True])
def test_the_write_has_every_thread_again_after_the_files_are_read_one_thread_each(mini: Path, tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                                   small: bool):
    """Each components file is read on one thread (DuckDB's own threads off, issue 13); what follows must not stay
    on one: the write of a large ledger finds DuckDB's threads as configured. A small ledger's build (the real one,
    rankings.small_ledger) runs every query on the thread that asks for it the whole build long: its queries are
    small, and its own two threads keep both cores busy."""
    default = int(schemas.cursor().execute("select current_setting('threads')").fetchone()[0])
    if not small:
        monkeypatch.setattr(build, "small_ledger", lambda cat: False)
    seen = []
    real = build.warehouse.write

    def write(tables, path):
        seen.append(int(rankings.building().execute("select current_setting('threads')").fetchone()[0]))
        return real(tables, path)

    monkeypatch.setattr(build.warehouse, "write", write)
    build.build(catalogue.load(mini), tmp_path / "w.duckdb")
    assert seen == [1 if small else default]


def test_a_city_spelled_only_by_its_alias_and_a_minority_tier_still_go_in_right(mini: Path, tmp_path: Path,
                                                                                either_way: None):
    """The look-ups hold only what differs from the default (issue 13): a city's own name and the tier most URLs
    share are not in them. A city written only by its alias (so no key repeats: the rows go in as they stand) must
    still be stored as its canonical name, and a URL of a minority tier must keep its own tier."""
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    domains.write_text(domains.read_text(encoding="utf-8") + "blog.unknown-outlet.net,press,a test outlet\n",
                       encoding="utf-8")
    _components(mini, f"2025,New York City,economy,4,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",
                "2025,London,economy,1,,https://blog.unknown-outlet.net/x,GPCI,2026-11-24,,,")
    path = tmp_path / "w.duckdb"
    assert build.build(catalogue.load(mini), path).counts["component_row"] == 4
    rows = {r[2]: r for r in _component_rows(path)}
    assert set(rows) == {"New York", "Seoul", "Tokyo", "London"}
    assert {c: r[7] for c, r in rows.items()} == {"New York": "aggregator", "Seoul": "aggregator",
                                                   "Tokyo": "aggregator", "London": "press"}


# --- read once: straight into component_row, judged there (issue 13) -----------------------------------------------

@pytest.fixture(params=["held", "straight in"])
def either_way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run twice: with every components file held (as a small one is when the small files are not read together,
    rankings._hold_components), and with every one tried straight into component_row first (as a large one is,
    rankings._insert_components)."""
    if request.param == "straight in":
        monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", 0)
    else:
        monkeypatch.setattr(rankings, "_read_small_together", lambda *args, **kwargs: {})


@pytest.fixture
def straight_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every components file, however small, tried straight into component_row first (as a large one is)."""
    monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", 0)


def _held_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every components file held and checked row by row, as before issue 13 (the way that names every problem)."""
    monkeypatch.setattr(rankings, "_insert_components", lambda *args, **kwargs: False)


def _calls(monkeypatch: pytest.MonkeyPatch, name: str) -> list[str]:
    """The series whose components file the build passes to rankings.<name>, as it goes (the function still runs)."""
    called: list[str] = []
    real = getattr(rankings, name)

    def spy(con, series, *args, **kwargs):
        called.append(series.id)
        return real(con, series, *args, **kwargs)

    monkeypatch.setattr(rankings, name, spy)
    return called


def _holds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The series whose components file the build holds (rankings._hold_components), as it goes."""
    return _calls(monkeypatch, "_hold_components")


def test_a_right_file_is_read_once_straight_in_and_gives_what_holding_it_gives(mini: Path, tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch,
                                                                              straight_in: None):
    """A components file that passes every rule and check goes straight into component_row and is judged there,
    never held (issue 13); its rows must be exactly what holding it gives: a city written by its alias stored by
    its name, flags as stored, each URL's own tier, a score's own source, cells trimmed, `1,234` a number."""
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    domains.write_text(domains.read_text(encoding="utf-8") + "blog.unknown-outlet.net,press,a test outlet\n",
                       encoding="utf-8")
    rows = [r.replace("New York,", "New York City,") for r in UNIQUE_ROWS]
    rows += [f' 2025 , London ,economy,"1,234", 9.5 ,{RANK_URL} ,GPCI, 2026-11-24 ,,   ,']
    once = _straight_in_as_held(mini, tmp_path, monkeypatch, rows)
    by_key = {(r[2], r[3]): r for r in once}
    assert by_key[("New York", "livability")][7] == "press" and by_key[("Seoul", "economy")][9] == "derived|inferred"
    assert by_key[("London", "economy")][1:] == ("2025", "London", "economy", 1234, 9.5, RANK_URL, "aggregator",
                                                 RANK_URL, None, None, None)


def _straight_in_as_held(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str]) -> list:
    """`rows` as the components file, built twice: read straight in (never held), then held; both take every row and
    give the same component_row, which is returned."""
    _components(mini, *rows)
    held = _holds(monkeypatch)
    assert build.build(catalogue.load(mini), tmp_path / "once.duckdb").counts["component_row"] == len(rows)
    assert held == []
    once = _component_rows(tmp_path / "once.duckdb")
    _held_only(monkeypatch)
    assert build.build(catalogue.load(mini), tmp_path / "held.duckdb").counts["component_row"] == len(rows)
    assert held == ["mori_gpci"] and once == _component_rows(tmp_path / "held.duckdb")
    return once


def test_cells_not_stored_are_judged_trimmed_without_being_trimmed_first(mini: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         straight_in: None):
    """A publication or a retrieval date (judged as the rows are read, never stored) is judged as its trimmed cell,
    but only a row whose cell is none of the first rows' passing values is trimmed (issue 13): padded but right
    cells past the first row still go straight in, and give what holding the file gives."""
    monkeypatch.setattr(schemas, "FIRST_ROWS", 1)
    rows = [f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
            f"2025,Tokyo,economy,3,,{RANK_URL}, GPCI , 2026-11-24,,,",
            f"2025,London,economy,5,,{RANK_URL},Another publication,2026-11-25 ,,,"]
    _straight_in_as_held(mini, tmp_path, monkeypatch, rows)


GOOD_ROW = f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,"


@pytest.mark.parametrize("bad", [
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,24.11.2026,,,",                  # retrieved: not kept, judged as read
    f"2025,Tokyo,economy,3,,{RANK_URL},,2026-11-24,,,",                      # publication missing
    f"2025,Tokyo,economy,three,,{RANK_URL},GPCI,2026-11-24,,,",              # a rank that is no number
    f"2025,Tokyo,economy,2.5,,{RANK_URL},GPCI,2026-11-24,,,",                # nor a whole one
    f"2025,Tokyo,economy,,n/a,{RANK_URL},GPCI,2026-11-24,,,",                # a score that is no number
    f"2025,Tokyo,economy,0,,{RANK_URL},GPCI,2026-11-24,,,",                  # a rank kept, judged as stored
    f"2025,Tokyo,Economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                  # not a component id
    f"2025,Tokyo,economy,,,{RANK_URL},GPCI,2026-11-24,,,",                   # neither rank nor score
    "2025,Tokyo,economy,3,,ftp://example.org/x,GPCI,2026-11-24,,,",         # not a URL
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,derived|guessed,,",   # not a flag
    f"2025,Tokyo,research,3,,{RANK_URL},GPCI,2026-11-24,,,",                 # unknown component
    f"2025,Tokio,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                  # unmapped city
    f"2031,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                  # unknown edition
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,CONFLICT with the chart,",  # a flag the note carries
    "2025,Tokyo,economy,3,,https://blog.unknown-outlet.net/x,GPCI,2026-11-24,,,",   # no tier for the source
    f"2025,Seoul,economy,17,,{RANK_URL},GPCI,2026-11-24,,,",                 # the key again, another rank
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,",                   # a row a cell short
    # cells a file read straight in stores as written, then trims (schemas.stream_validated `untrimmed`)
    f"   ,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                   # an edition of spaces only: missing
    f"2025,Tokyo,economy,   ,,{RANK_URL},GPCI,2026-11-24,,,",                # a rank of spaces only: neither figure
    f"2025,Tokyo,economy, 3 x ,,{RANK_URL},GPCI,2026-11-24,,,",              # a padded rank that is no number
    f"2025, Tokio ,economy,3,,{RANK_URL},GPCI,2026-11-24,,,",                # a padded unmapped city
    f"2025,Tokyo,economy,3,, {RANK_URL}/ x,GPCI,2026-11-24,,,",              # a padded URL with a space inside
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24, derived|guessed ,,",  # a padded flag that is none
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,, CONFLICT here ,",   # a padded note carrying a flag
    f"2025,Tokyo,economy,3,,{RANK_URL},   ,2026-11-24,,,",                   # a publication of spaces only: missing
    f"2025,Tokyo,economy,3,,{RANK_URL},GPCI, 24.11.2026 ,,,",                # a padded retrieval date that is none
], ids=["retrieved", "publication", "rank-word", "rank-fraction", "score-word", "rank-zero", "component-id",
        "no-figure", "url", "flag-word", "unknown-component", "unmapped-city", "unknown-edition", "flag-missing",
        "no-tier", "conflict", "ragged", "edition-spaces", "rank-spaces", "rank-padded-word", "city-padded",
        "url-padded", "flag-padded", "note-padded", "publication-spaces", "retrieved-padded"])
def test_a_wrong_file_says_what_holding_it_says_and_nothing_of_it_stays(mini: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch, bad: str,
                                                                       straight_in: None, built_mini):
    """Whatever a components file breaks, whether judged as its rows are read or on what was inserted, the rows
    inserted are taken back and the file is held: the build names exactly the problems holding it names (file, row,
    column, both languages), and the warehouse stays as it was. Only the first row is looked at first (the values
    it holds are judged once, schemas.FIRST_ROWS): the wrong row is never among them."""
    monkeypatch.setattr(schemas, "FIRST_ROWS", 1)
    path = built_mini(tmp_path / "w.duckdb")
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    _components(mini, GOOD_ROW, bad, GOOD_ROW.replace("Seoul", "London"))
    held = _holds(monkeypatch)
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    assert held == ["mori_gpci"]
    found = [(p.file, p.row, p.column, p.ko, p.en) for p in caught.value.problems]
    assert found and all(p[0] == "data/raw/rankings/mori_gpci__components.csv" for p in found)
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"}
    _held_only(monkeypatch)
    with pytest.raises(ProblemsFound) as again:
        build.build(catalogue.load(mini), path)
    assert found == [(p.file, p.row, p.column, p.ko, p.en) for p in again.value.problems]


def test_rows_whose_source_has_another_tier_than_the_first_rows_get_their_own(mini: Path, tmp_path: Path,
                                                                               monkeypatch: pytest.MonkeyPatch,
                                                                               straight_in: None):
    """Every row goes in with the tier of the source most of the first rows name (issue 13), then the rows of
    another tier are put right: when the first rows name the file's only press source, the other rows must still
    end up `aggregator`, exactly as holding the file gives."""
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    domains.write_text(domains.read_text(encoding="utf-8") + "blog.unknown-outlet.net,press,a test outlet\n",
                       encoding="utf-8")
    monkeypatch.setattr(schemas, "FIRST_ROWS", 1)
    _components(mini, "2025,London,economy,1,,https://blog.unknown-outlet.net/x,GPCI,2026-11-24,,,",
                f"2025,Seoul,economy,16,,{RANK_URL},GPCI,2026-11-24,,,",
                f"2025,Tokyo,economy,3,,{RANK_URL},GPCI,2026-11-24,,,")
    held = _holds(monkeypatch)
    path = tmp_path / "w.duckdb"
    build.build(catalogue.load(mini), path)
    assert held == []
    assert {r[2]: r[7] for r in _component_rows(path)} == {"London": "press", "Seoul": "aggregator", "Tokyo": "aggregator"}


def _tried_straight(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The series whose components file the build tries straight into component_row (rankings._insert_components)."""
    return _calls(monkeypatch, "_insert_components")


@pytest.mark.parametrize("together", [True, False], ids=["small together", "small alone"])
def test_a_small_file_is_held_at_once_and_a_large_one_goes_straight_in(mini: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch, together: bool):
    """Below INSERT_FROM_BYTES a components file never takes the straight way's extra round trips: it is read with the
    other small files (rankings._read_small_together, even alone: the mini ledger's one file), or, should that not
    take it, held and checked (_hold_components); at or above it, it goes straight in: every way gives the same rows."""
    _components(mini, *UNIQUE_ROWS[1:3])
    size = (mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv").stat().st_size
    if not together:
        monkeypatch.setattr(rankings, "_read_small_together", lambda *args, **kwargs: {})
    held, tried = _holds(monkeypatch), _tried_straight(monkeypatch)
    build.build(catalogue.load(mini), tmp_path / "small.duckdb")
    assert tried == [] and held == ([] if together else ["mori_gpci"])
    monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", size)
    build.build(catalogue.load(mini), tmp_path / "large.duckdb")
    assert tried == ["mori_gpci"] and held == ([] if together else ["mori_gpci"])
    assert _component_rows(tmp_path / "small.duckdb") == _component_rows(tmp_path / "large.duckdb")


# --- component_row's key, proved by the files themselves (issue 13) -----------------------------------------------

def test_keys_are_apart_only_when_no_two_files_store_one_series_and_edition():
    one = rankings.Written("a.csv", "mori_gpci", frozenset({"2024", "2025"}))
    assert rankings.keys_apart([]) and rankings.keys_apart([one])
    assert rankings.keys_apart([one, rankings.Written("b.csv", "zyen_gfci", frozenset({"2024", "2025"}))])
    assert rankings.keys_apart([one, rankings.Written("b.csv", "mori_gpci", frozenset({"2023"}))])
    assert not rankings.keys_apart([one, rankings.Written("b.csv", "mori_gpci", frozenset({"2023", "2025"}))])


def _keys_judged(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """The columns of every key judged on a table's rows (schemas.repeats), as the build goes."""
    judged: list[tuple[str, ...]] = []
    real = schemas.repeats

    def repeats(rel, columns):
        judged.append(tuple(columns))
        return real(rel, columns)

    monkeypatch.setattr(schemas, "repeats", repeats)
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", 0)  # judged the way a large table is, however few the rows
    return judged


def test_component_rows_key_is_proved_by_each_file_either_way(mini: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch, either_way: None):
    """Held or read straight in, a right file proves its own key, and component_row's key is not judged again on the
    whole table; a file where two rows share a key is merged, and its key is not judged on the table either."""
    judged = _keys_judged(monkeypatch)
    rows = [r for r in UNIQUE_ROWS if "unknown-outlet" not in r]
    _components(mini, *rows)
    assert build.build(catalogue.load(mini), tmp_path / "a.duckdb").counts["component_row"] == len(rows)
    assert ("index_id", "edition", "city", "component_id") not in judged
    _components(mini, *rows, rows[0])
    assert build.build(catalogue.load(mini), tmp_path / "b.duckdb").counts["component_row"] == len(rows)
    assert ("index_id", "edition", "city", "component_id") not in judged
    assert _component_rows(tmp_path / "a.duckdb") == _component_rows(tmp_path / "b.duckdb")


class _ReadAs:
    """A series read with some of its fields replaced (`id`, `components`, `components_file`)."""

    def __init__(self, series, **fields):
        self._series = series
        self.__dict__.update(fields)

    def __getattr__(self, name):
        return getattr(self._series, name)


def test_a_build_proves_component_rows_keys_by_file_and_judges_the_whole_table_only_should_files_overlap(
        mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Each components file proves its own key (its rows merged, or found never to repeat one) and stores its rows
    under its own series: the build judges component_row's key on the whole table (~0.15 s at 3.24M rows) only
    when two files stored rows of one series and edition (rankings.keys_apart). Should they (a second file read as
    the first's series: the catalogue allows one file per series today), the whole table is judged and the build
    names the rows that share a key (table, row, column, Korean and English), and the warehouse stays as it was.
    (Held files: a file read straight in judges and takes back its rows by series, so it relies on one file per
    series, as the catalogue has it.)"""
    _components(mini, *UNIQUE_ROWS[:3])
    path = tmp_path / "w.duckdb"
    judged = _keys_judged(monkeypatch)
    assert build.build(catalogue.load(mini), path).counts["component_row"] == 3
    assert ("index_id", "edition", "city", "component_id") not in judged
    assert ("index_id", "edition", "city") in judged  # ranking_row's key is still judged: the net is there
    before = {f: f.read_bytes() for f in parts.files(path).values()}

    # a second file with two of the first's rows (one key again) and one of its own, read as the first's series
    second = mini.parent / "data" / "raw" / "rankings" / "second__components.csv"
    second.write_text("\n".join([HEADER, UNIQUE_ROWS[0], f"2025,London,economy,1,,{RANK_URL},GPCI,2026-11-24,,,"])
                      + "\n", encoding="utf-8")
    real = rankings.read_components

    def read(con, series, cat, *args):
        if series.id == "zyen_gfci":
            first = cat.series["mori_gpci"]
            series = _ReadAs(series, id=first.id, components=first.components, components_file=second)
        return real(con, series, cat, *args)

    monkeypatch.setattr(rankings, "read_components", read)
    judged.clear()
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    assert ("index_id", "edition", "city", "component_id") in judged
    clashes = caught.value.problems
    assert len(clashes) == 2 and len({c.row for c in clashes}) == 2  # both rows of the one key, each by its row
    for clash in clashes:
        assert (clash.file, clash.column) == ("warehouse:component_row", "component_id") and clash.row is not None
        assert "index_id, edition, city, component_id" in clash.en and "index_id, edition, city, component_id" in clash.ko
        assert clash.ko != clash.en
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"}


@pytest.mark.parametrize("shape", ["crlf", "bom", "quoted", "comment-like"])
def test_a_file_read_straight_in_with_what_the_sniffer_found_once_gives_what_holding_it_gives(
        mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: str):
    """A file read straight in is sniffed once (schemas.stream_validated: DuckDB's sniffer, ~6 ms a look, looked at
    every step that named the columns) and read with what it found: Windows line ends, a byte-order mark, quoted
    cells with commas, quotes and line breaks, a cell that starts like a comment: the same rows as holding the file,
    which lets the sniffer look itself."""
    rows = [r for r in UNIQUE_ROWS if "unknown-outlet" not in r]
    if shape == "quoted":
        rows += [f'2025,London,economy,4,,{RANK_URL},"GPCI, the ""index""",2026-11-24,,"a note, over\ntwo lines",']
    if shape == "comment-like":
        rows += [f"2025,London,economy,4,,{RANK_URL},GPCI,2026-11-24,,# not a comment,"]
    text = "\n".join([HEADER, *rows]) + "\n"
    path = mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv"
    if shape == "crlf":
        path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    elif shape == "bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    else:
        path.write_text(text, encoding="utf-8")
    held = _holds(monkeypatch)
    monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", 0)
    assert build.build(catalogue.load(mini), tmp_path / "once.duckdb").counts["component_row"] == len(rows)
    straight = list(held)
    _held_only(monkeypatch)
    assert build.build(catalogue.load(mini), tmp_path / "held.duckdb").counts["component_row"] == len(rows)
    assert _component_rows(tmp_path / "once.duckdb") == _component_rows(tmp_path / "held.duckdb")
    assert straight == [], straight  # read straight in, never held


@pytest.mark.parametrize("broken", ["cities", "editions"])
def test_the_components_files_go_in_while_the_cities_and_editions_are_read_and_stop_when_those_fail(
        mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, either_way: None, broken: str):
    """The components files' rows go in while the city mapping and the editions are still read on the main thread
    (issue 13); judging a file waits for them. Should they fail, no components file is judged: the build names the
    broken file's problems alone, the warehouse stays as it was, and nothing is left held or staged."""
    path = tmp_path / "w.duckdb"
    build.build(catalogue.load(mini), path)
    before = {f: f.read_bytes() for f in parts.files(path).values()}
    _components(mini, GOOD_ROW, f"2025,Tokyo,research,3,,{RANK_URL},GPCI,2026-11-24,,,")  # an unknown component
    raw = mini.parent / "data" / "raw"
    target = raw / "cities.csv" if broken == "cities" else raw / "rankings" / "editions.csv"
    target.write_text(target.read_text(encoding="utf-8").replace("Tokyo", "", 1) if broken == "cities"
                      else target.read_text(encoding="utf-8").replace(",2024,48,", ",1066,48,", 1), encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        build.build(catalogue.load(mini), path)
    shown = f"data/raw/{'cities.csv' if broken == 'cities' else 'rankings/editions.csv'}"
    assert caught.value.problems and {p.file for p in caught.value.problems} == {shown}
    assert all(p.ko != p.en for p in caught.value.problems)
    assert {f: f.read_bytes() for f in parts.files(path).values()} == before
    assert not _held() and _attached() == {"memory"} and not list(tmp_path.glob(".w.*.tmp*"))
