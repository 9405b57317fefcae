"""The two ways rules are judged give the same problems (issue 13): a small table is scanned row by row at once, a
large one first narrowed to its suspect rules (distinct values per column, a count per key). Both ways run here on
every real, mini and bad rankings and components file, the large way forced by setting its threshold to 0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines import schemas
from pipelines.schemas import RawComponent, RawRanking, read_validated

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
NUMBERS = {"rank": "int", "rank_bound": "int", "score": "float"}


def _files() -> list[tuple[Path, type]]:
    found = sorted((ROOT / "data" / "raw" / "rankings").glob("*.csv")) + sorted((FIXTURES / "mini" / "data" / "raw" / "rankings").glob("*.csv"))
    found += sorted((FIXTURES / "bad").glob("*.csv"))
    out = []
    for f in found:
        if f.name.startswith(("editions", "cities")):
            continue
        out.append((f, RawComponent if "components" in f.name else RawRanking))
    return out


def _read_all(files):
    return [read_validated(f, f.name, {k: v for k, v in NUMBERS.items() if model is RawRanking or k != "rank_bound"}, model)
            for f, model in files]


def test_suspects_first_finds_what_one_scan_finds(monkeypatch: pytest.MonkeyPatch):
    files = _files()
    assert len(files) > 30
    assert schemas.SUSPECTS_FROM_ROWS > 3000  # the real files are judged in one scan
    direct = _read_all(files)
    assert sum(1 for _, _, p in direct if p) > 15

    narrowed: list[int] = []
    real = schemas._suspects

    def counting(rel, found, groups=()):
        out, distinct = real(rel, found, groups)
        narrowed.append(len(found) - len(out))
        return out, distinct

    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", 0)
    monkeypatch.setattr(schemas, "_suspects", counting)
    by_suspects = _read_all(files)
    assert sum(narrowed) > 0  # the probe can fail: the suspects way did leave rules out
    for (f, _), (raw, typed, problems), (raw1, typed1, problems1) in zip(files, direct, by_suspects):
        assert sorted(problems) == sorted(problems1), f.name
        assert (typed is None) == (typed1 is None), f.name
        if raw is not None:
            pd.testing.assert_frame_equal(raw, raw1, obj=f.name)


@pytest.mark.parametrize("suspects_from", [0, 10**9], ids=["suspects first", "one scan"])
def test_the_distinct_values_found_beside_the_rules_are_every_distinct_value(monkeypatch: pytest.MonkeyPatch,
                                                                           suspects_from: int):
    """A components file's distinct cities, notes, URLs ... are found in the query that judges the rules (issue 13):
    they must be exactly what a DISTINCT of each group gives, missing cells included, with a group's columns the
    file lacks left out of it (a file without `flags`)."""
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", suspects_from)
    groups = (("component",), ("edition",), ("city",), ("note", "flags"), ("source_url",))
    files = [f for f, model in _files() if model is RawComponent]
    assert len(files) > 3
    seen_without_flags = seen = 0
    for f in files:
        con = schemas.cursor()
        try:
            rows, _, failed, found = schemas.hold_validated(con, f, f.name, {"rank": "int", "score": "float"},
                                                            RawComponent, groups)
            if rows is None or not found:
                continue
            seen += 1
            if "flags" not in rows.columns:
                seen_without_flags += 1
                assert ("note",) in found and ("note", "flags") not in found, f.name
            for group, values in found.items():
                direct = rows.select(*group).distinct().fetchall()
                assert sorted(values, key=repr) == sorted(direct, key=repr), (f.name, group)
        finally:
            con.close()
    assert seen > 3 and seen_without_flags > 0


def test_repeats_finds_one_repeated_key_among_many_and_counts_missing_as_a_value():
    """A key is judged by sorting its hashes (schemas.repeats, issue 13): one repeat among 50,000 unique keys is
    found, wherever it lies; two missing cells in one key column are the same value (as pandas counts them); no rows,
    no repeat."""
    con = schemas.cursor()
    try:
        n = 50_000
        frame = pd.DataFrame({"a": [f"k{i}" for i in range(n)], "b": ["x"] * n})
        assert not schemas.repeats(con.from_df(frame), ("a", "b"))
        for at in (0, 123, n - 1):
            twice = frame.copy()
            twice.loc[at, "a"] = "k777" if at != 777 else "k0"
            assert schemas.repeats(con.from_df(twice), ("a", "b")), at
        missing = pd.DataFrame({"a": ["k1", None, None], "b": ["x", "y", "y"]})
        assert schemas.repeats(con.from_df(missing), ("a", "b"))
        assert schemas.repeats(con.from_df(missing.drop(columns="b")), ("a",))  # None twice
        assert not schemas.repeats(con.from_df(frame.iloc[0:0]), ("a", "b"))
    finally:
        con.close()


def test_a_frame_of_known_size_is_judged_as_the_suspects_would_judge_it(monkeypatch: pytest.MonkeyPatch):
    """validate_frame knows its frame's rows: under the threshold it skips the query that finds the suspect rules
    (all of them are, there); what it reports is what the suspect-first way reports, forced by a threshold of 0."""
    frame = pd.DataFrame({
        "city": ["Seoul", "Seoul", None, "Tokyo"], "city_ko": ["서울", "서울", "도쿄", None],
        "country": ["South Korea", "South Korea", "Japan", "Japan"], "country_ko": ["대한민국", "대한민국", "일본", "일본"],
    }, index=[2, 3, 4, 5])
    quick = schemas.validate_frame(frame, schemas.CityTable, "warehouse:city")
    assert {(p.row, p.column) for p in quick} >= {(3, "city"), (4, "city"), (5, "city_ko")}
    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", 0)
    assert sorted(schemas.validate_frame(frame, schemas.CityTable, "warehouse:city")) == sorted(quick)
