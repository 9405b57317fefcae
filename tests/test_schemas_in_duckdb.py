"""The pandera models' rules run inside DuckDB (schemas.rules): every check a model declares has a DuckDB form
that judges a cell as pandera (Python's re, pandas' numbers) would, and every failure names file, row and column
in Korean and English."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.typing import Series

from pipelines import schemas
from pipelines.build.seed import RawSeedValue
from pipelines.schemas import ROW, RawComponent, RawRanking, find_problems, read_validated, rules, validate_frame

RAW_MODELS = (schemas.RawRanking, schemas.RawComponent, schemas.RawEdition, schemas.RawSourceDomain,
              schemas.RawCity, RawSeedValue)
HEADER = "edition,city,country,rank,score,status,source_url,publication,retrieved,flags,note"
GOOD = "2025,Seoul,Korea,6,1288.1,ranked,https://example.org/gpci,GPCI 2025,2025-11-20,,"


def _csv(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "rankings.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_every_check_of_every_model_has_a_duckdb_form():
    models = [*RAW_MODELS, *schemas.WAREHOUSE_MODELS.values()]
    seen = 0
    for model in models:
        columns = list(model.to_schema().columns)
        found = rules(model, columns)
        declared = sum(len(c.checks) + (not c.nullable) for c in model.to_schema().columns.values())
        unique = sum(bool(c.unique) for c in model.to_schema().columns.values()) + bool(model.to_schema().unique)
        assert len(found) == declared + unique + len(schemas.WIDE_CHECKS.get(model, {})), model.__name__
        seen += len(found)
    assert seen > 50


def test_a_check_without_a_duckdb_form_is_refused_by_name_not_skipped():
    class Odd(pa.DataFrameModel):
        x: Series[str] = pa.Field(str_startswith="a")

    with pytest.raises(ValueError, match="str_startswith"):
        rules(Odd, ["x"])

    class Wide(pa.DataFrameModel):
        x: Series[str]

        @pa.dataframe_check
        def something(cls, df: pd.DataFrame) -> pd.Series:
            return df["x"].notna()

    with pytest.raises(ValueError, match="WIDE_CHECKS"):
        rules(Wide, ["x"])


PATTERN_SAMPLES = ["https://example.org/a", "http://x", "ftp://x", "https://exa mple.org", "https://", " https://x",
                   "https://x\n", "2025-11-20", "2025-1-20", "٢٠٢٥-11-20", "2025-11-20x", "2025-13", "2025-01", "2025-1",
                   "derived", "derived|conflict", "derived|", "|derived", "Derived", "low_confidence|inferred",
                   "mori_gpci", "Mori", "a_b_9", "", "x" * 300, "서울", "example.org", "example.org/path x",
                   "a.b-c.d/x", "-ab.c", "0" * 64, "0" * 63, "g" * 64]


def test_every_str_matches_pattern_judges_like_python_re_on_hostile_samples():
    """DuckDB's RE2 and Python's re agree on every pattern the models use, for the samples; where they differ
    (a trailing newline before `$`, non-ASCII digits for \\d), DuckDB is the stricter."""
    patterns = {c.statistics["pattern"] for m in [*RAW_MODELS, *schemas.WAREHOUSE_MODELS.values()]
                for col in m.to_schema().columns.values() for c in col.checks if c.name == "str_matches"}
    assert len(patterns) >= 6
    con = duckdb.connect()
    rel = con.from_df(pd.DataFrame({"v": PATTERN_SAMPLES}))
    for pattern in patterns:
        check = pa.Check.str_matches(pattern)
        ours = [row[0] for row in rel.select(schemas._passes(check, duckdb.col("v"))).fetchall()]
        python = [re.match(pattern, s) is not None for s in PATTERN_SAMPLES]
        for sample, a, b in zip(PATTERN_SAMPLES, ours, python):
            assert a == b or (b and not a and ("\n" in sample or "٢" in sample)), (pattern, sample, a, b)


def test_a_good_file_reads_typed_with_its_spreadsheet_rows(tmp_path):
    path = _csv(tmp_path, GOOD, GOOD.replace("Seoul", "Tokyo").replace(",6,", ',"1,234",'))
    raw, typed, problems = read_validated(path, "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert problems == [] and typed is not None
    assert list(typed.index) == [2, 3]
    assert list(typed["rank"]) == [6, 1234] and str(typed["rank"].dtype) == "Int64"
    assert typed["score"].dtype == "float64" and typed["flags"].isna().all()


def test_every_broken_rule_is_named_with_file_row_and_column_in_both_languages(tmp_path):
    rows = [
        GOOD,                                                           # 2: fine
        GOOD.replace(",6,", ",0,"),                                    # 3: rank too small
        GOOD.replace("ranked", "top10"),                               # 4: status not allowed (and rank/status)
        GOOD.replace("https://example.org/gpci", "example.org"),       # 5: not a URL
        GOOD.replace("2025-11-20", "20/11/2025"),                      # 6: not a date
        GOOD.replace(",6,", ",6.5,").replace("Seoul", "Paris"),        # 7: not whole
        GOOD.replace("1288.1", "nan").replace("Seoul", "Rome"),        # 8: nan is not a number
        GOOD.replace(",6,", ",,").replace("Seoul", "Oslo"),            # 9: rank missing while ranked
        GOOD.replace(",,", ",guessed,", 1).replace("Seoul", "Lima"),   # 10: unknown flag
        GOOD.replace("GPCI 2025", "  "),                               # 11: publication empty; duplicate of row 2
    ]
    _, typed, problems = read_validated(_csv(tmp_path, *rows), "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert typed is None
    found = {(p.row, p.column) for p in problems}
    assert {(3, "rank"), (4, "status"), (5, "source_url"), (6, "retrieved"), (7, "rank"), (8, "score"),
            (9, "status"), (10, "flags"), (11, "publication"), (2, "city"), (11, "city")} <= found, found
    for p in problems:
        assert p.file == "r.csv" and p.ko and p.en and p.ko != p.en
        assert "r.csv" in p.text("ko") and "r.csv" in p.text("en")
    texts: dict[tuple, str] = {}
    for p in problems:
        texts[(p.row, p.column)] = texts.get((p.row, p.column), "") + p.en
    assert "too small (minimum 1" in texts[(3, "rank")]
    assert "'top10' is not allowed" in texts[(4, "status")]
    assert "not a whole number: '6.5'" in texts[(7, "rank")]
    assert "not a number: 'nan'" in texts[(8, "score")]
    assert "rank and status disagree" in texts[(9, "status")]
    assert "appears more than once" in texts[(2, "city")]


def test_a_wide_check_is_reported_once_at_its_column(tmp_path):
    header = "edition,city,component,rank,score,source_url,publication,retrieved,note"
    path = _csv(tmp_path, "2025,Seoul,economy,,,https://example.org/x,GPCI,2025-11-20,", header=header)
    _, typed, problems = read_validated(path, "c.csv", {"rank": "int", "score": "float"}, RawComponent)
    assert typed is None
    assert [(p.row, p.column) for p in problems] == [(2, "rank")]
    assert "both rank and score are empty" in problems[0].en and "순위" in problems[0].ko


def test_a_duplicated_header_is_an_unknown_column_not_a_silent_rename(tmp_path):
    path = _csv(tmp_path, GOOD + ",x", header=HEADER + ",city")
    _, typed, problems = read_validated(path, "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert typed is None and problems and all(p.row is None for p in problems)


def test_a_warehouse_frame_is_checked_where_it_lies_naming_its_index():
    frame = pd.DataFrame({"upload_id": ["a", "a"], "office_id": ["x", "x"], "uploaded_by": ["u", "u"],
                          "uploaded_at": ["t", "t"], "sha256": ["0" * 64, "not-a-digest"],
                          "original_filename": ["f", "f"], "encoding": [None, None],
                          "bytes": pd.array([1, 2], dtype="Int64"), "rows": pd.array([1, None], dtype="Int64")})
    problems = validate_frame(frame, schemas.LedgerUploadTable, "warehouse:ledger_upload")
    assert {(p.row, p.column) for p in problems} == {(1, "sha256"), (1, "rows"), (0, "upload_id"), (1, "upload_id")}
    assert all(p.file == "warehouse:ledger_upload" for p in problems)


def test_the_rows_column_is_the_one_the_problems_name():
    rel = duckdb.connect().from_df(pd.DataFrame({ROW: [41, 42], "city": ["Seoul", None], "city_ko": ["서울", "x"],
                                                 "country": ["K", "K"], "country_ko": ["한", "한"]}))
    problems = find_problems(rel, schemas.CityTable, "w")
    assert [(p.row, p.column) for p in problems] == [(42, "city")]


@pytest.mark.parametrize("suspects_from", [0, 10**9], ids=["suspects first", "one scan"])
def test_a_bad_cell_among_thousands_of_repeated_good_ones_is_named_by_its_row(tmp_path, monkeypatch, suspects_from):
    """A rule on one column is judged on the column's distinct values first, a unique key by counting its distinct
    values (issue 13); a failure found that way must still name every row that has it, and only those."""
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", suspects_from)
    good = [GOOD.replace("Seoul", f"City {i}") for i in range(3000)]  # one URL and one date, repeated 3000 times
    bad_url = GOOD.replace("Seoul", "Bad Url").replace("https://example.org/gpci", "example.org/gpci")
    no_date = GOOD.replace("Seoul", "No Date").replace("2025-11-20", "")
    rows = [*good[:1000], bad_url, *good[1000:2000], no_date, *good[2000:], good[5]]  # the last repeats row 7's key
    _, typed, problems = read_validated(_csv(tmp_path, *rows), "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert typed is None
    assert sorted((p.row, p.column) for p in problems) == [(7, "city"), (1002, "source_url"), (2003, "retrieved"),
                                                          (3004, "city")]
    assert all(p.file == "r.csv" and p.ko != p.en for p in problems)
    url = next(p for p in problems if p.column == "source_url")
    assert "example.org/gpci" in url.en and "example.org/gpci" in url.ko
    # the same file, every row good: nothing is found
    _, typed, problems = read_validated(_csv(tmp_path, *good), "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert problems == [] and typed is not None and len(typed) == 3000


@pytest.mark.parametrize("suspects_from", [0, 10**9], ids=["suspects first", "one scan"])
def test_a_held_table_with_a_repeated_key_is_refused_naming_both_rows(monkeypatch, suspects_from):
    """component_row's key has no index in the warehouse (issue 13): the build's check of the model's unique key
    is what refuses two rows of one key, even among many rows that do not repeat."""
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", suspects_from)
    n = 5000
    frame = pd.DataFrame({"index_id": ["s"] * n, "edition": ["2025"] * n, "city": [f"C{i}" for i in range(n)],
                          "component_id": ["economy"] * n, "rank": pd.array([1] * n, dtype="Int64"),
                          "score": [1.0] * n, "source_url": ["https://example.org/x"] * n, "source_tier": [None] * n,
                          "score_source_url": [None] * n, "flags": [None] * n, "note": [None] * n, "note_ko": [None] * n})
    frame.loc[4321, "city"] = "C17"
    problems = validate_frame(frame, schemas.ComponentTable, "warehouse:component_row")
    assert sorted((p.row, p.column) for p in problems) == [(17, "component_id"), (4321, "component_id")]
    assert all("index_id, edition, city, component_id" in p.en for p in problems)
    assert validate_frame(frame.drop(index=4321), schemas.ComponentTable, "warehouse:component_row") == []


def test_cells_are_trimmed_of_spaces_and_an_empty_one_is_missing_quoted_or_not(tmp_path):
    """hold_csv trims only a cell that starts or ends with a space (issue 13); what it holds must be what trimming
    every cell gave: spaces gone, a cell of spaces or an empty one (quoted or not) missing, tabs and inner
    spaces kept."""
    rows = [' 2025 ,  Seoul,Korea, 6 ,"1288.1 ",ranked,https://example.org/gpci ,"GPCI  2025",2025-11-20,"",   ',
            '2025,Tokyo,\tJapan,7,,ranked,https://example.org/gpci,GPCI,2025-11-20,, a note ']
    raw, typed, problems = read_validated(_csv(tmp_path, *rows), "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    assert problems == [] and typed is not None
    assert list(typed["edition"]) == ["2025", "2025"] and list(typed["city"]) == ["Seoul", "Tokyo"]
    assert list(typed["rank"]) == [6, 7] and typed.at[2, "score"] == 1288.1 and pd.isna(typed.at[3, "score"])
    assert list(typed["source_url"]) == ["https://example.org/gpci"] * 2
    assert typed.at[2, "publication"] == "GPCI  2025" and typed.at[3, "country"] == "\tJapan"
    assert pd.isna(typed.at[2, "flags"]) and pd.isna(typed.at[2, "note"]) and typed.at[3, "note"] == "a note"


@pytest.mark.parametrize("suspects_from", [0, 10**9], ids=["suspects first", "one scan"])
def test_a_bad_rank_among_thousands_is_named_by_its_row_judged_through_its_text(tmp_path, monkeypatch, suspects_from):
    """A check of a number column (rank >= 1, <= 100000) is judged on the distinct values of the column's text,
    parsed after (issue 13): a rank out of bounds, written with a thousands separator or not, and one that is no
    number must each still be named at its own row, with the value as parsed where there is one."""
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", suspects_from)
    good = [GOOD.replace("Seoul", f"City {i}") for i in range(3000)]
    zero = GOOD.replace("Seoul", "Zero").replace(",6,", ",0,")
    huge = GOOD.replace("Seoul", "Huge").replace(",6,", ',"200,000",')
    word = GOOD.replace("Seoul", "Word").replace(",6,", ",six,")
    rows = [*good[:500], zero, *good[500:1500], huge, *good[1500:], word]
    _, typed, problems = read_validated(_csv(tmp_path, *rows), "r.csv", {"rank": "int", "score": "float"}, RawRanking)
    named = sorted((p.row, p.column) for p in problems)
    assert (502, "rank") in named and (1503, "rank") in named and (3004, "rank") in named, named
    assert {r for r, c in named if c == "rank"} == {502, 1503, 3004}
    huge_problem = next(p for p in problems if p.row == 1503 and p.column == "rank")
    assert "200000" in huge_problem.en and "100000" in huge_problem.en and huge_problem.ko != huge_problem.en
    zero_problem = next(p for p in problems if p.row == 502 and p.column == "rank")
    assert "0" in zero_problem.en and zero_problem.ko != zero_problem.en


def test_the_models_as_data_say_what_pandera_says(cache_home: Path):
    """What the rules read of a model comes from data kept per content of models.py, formats.py and pandera's
    version (no pandera in a build); for every model it is what pandera's own schema says: the columns in order,
    each one's nullability, uniqueness, being required and checks (name, parameters, wording), the unique key,
    strictness. A damaged kept copy is made again from pandera."""
    from pipelines import models

    def compare() -> int:
        assert {m.__name__ for m in schemas.MODELS} == set(models.MODELS)
        seen = 0
        for model in schemas.MODELS:
            real, ours = model.pandera.to_schema(), model.to_schema()
            assert list(ours.columns) == list(real.columns), model.__name__
            for name, column in real.columns.items():
                mine = ours.columns[name]
                assert (mine.nullable, mine.unique, mine.required) == (column.nullable, column.unique, column.required)
                assert [(c.name, c.statistics, c.error) for c in mine.checks] == \
                    [(c.name, c.statistics, c.error) for c in column.checks], (model.__name__, name)
                seen += len(column.checks)
            assert ours.unique == (None if real.unique is None else list(real.unique))
            assert ours.strict == real.strict and not real.checks
        return seen

    schemas._spec.cache_clear()
    assert compare() > 40
    (kept,) = cache_home.glob("models-*.json")
    kept.write_text('{"RawRanking": {"strict": true, "unique": null, "columns": [', encoding="utf-8")
    schemas._spec.cache_clear()
    assert compare() > 40
    sources = {p.name for p in schemas._spec_sources()}
    assert {"models.py", "formats.py", "_version.py"} <= sources  # a changed model or pandera makes it again
    schemas._spec.cache_clear()
