"""Flags, statuses, Korean notes and source tiers as data (issue 11): the rules on hand-made notes and URLs,
then the real ledger held to them."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from pipelines import build, catalogue
from pipelines.build.notes import flags_from_note, join_flags, parse_flags, status_conflicts
from pipelines.build.sources import SourceTiers, domain_of

ROOT = Path(__file__).resolve().parent.parent


# --- flags: what a note's own words carry ---------------------------------------------------------

@pytest.mark.parametrize("note, flags", [
    ("DERIVED: 2025 article says Seoul 12th in 2025", {"derived"}),
    ("full 40-city list; score DERIVED: 1118 (2014) minus", {"derived"}),
    ("inferred: 2014 coverage says the top 7", {"inferred"}),
    ("48 cities; INFERRED: Asia Economy (2021) says", {"inferred"}),
    ("2021 rank inferred from year-on-year changes", {"inferred"}),
    ("44 cities; year inferred (44-city edition", {"inferred"}),
    ("value US$39bn (Donga, Startupcity) CONFLICT US$29bn", {"conflict"}),
    ("see London row for conflict", {"conflict"}),
    ("LOW CONFIDENCE: single secondary source", {"low_confidence"}),
    ("DERIVED from X; CONFLICT: Y says 7th", {"derived", "conflict"}),
    # not flags: a lower-case word describing a value that is not in the row, or other wording
    ("120 centres; derived rating 714 = GFCI 34 rating 729 minus +15 (not in score column)", set()),
    ("Medium confidence", set()),
    ("conflicting reports were resolved", set()),  # 'conflict' only as a whole word
    ("NOT FOUND", set()),
    ("", set()),
    (None, set()),
])
def test_flags_from_note(note, flags):
    assert flags_from_note(note) == flags


def test_flags_cell_is_parsed_and_stored_in_one_order():
    assert parse_flags("conflict|derived") == (["derived", "conflict"], [])
    assert parse_flags("derived|guessed") == (["derived"], ["guessed"])
    assert parse_flags(None) == ([], []) and parse_flags("  ") == ([], [])
    assert join_flags({"low_confidence", "derived"}) == "derived|low_confidence"
    assert join_flags(set()) is None


# --- statuses: one rule per situation, checked against the note's capital markers -----------------

@pytest.mark.parametrize("note, status, ok", [
    ("NOT FOUND", "not_found", True),
    ("NOT FOUND: outside top 10; exact rank not found", "ranked", False),
    ("NOT FOUND: source says Seoul is in the top 50 but gives no rank", "rank_unknown", True),
    ("exact rank/score NOT found; not in the publicised ranking", "outside_list", True),
    ("exact rank NOT published; 4th among Asian cities", "not_published", True),
    ("exact rank NOT published; 4th among Asian cities", "ranked", False),
    ("NOT COVERED: ranking excluded South Korea", "not_covered", True),
    ("NOT COVERED: ranking excluded South Korea", "not_found", False),
    ("NO 2023 EDITION FOUND: the 2024 index is the 9th edition", "no_edition", True),
    ("NO EDITION: the ranking could not be published", "outside_list", False),
    ("score not found", "ranked", True),  # lower case: about the score, not the row's state
])
def test_status_markers_in_notes(note, status, ok):
    assert (status_conflicts(note, status) == []) is ok


# --- source tiers ------------------------------------------------------------------------------------

TIERS = SourceTiers(pd.DataFrame({
    "domain": ["kearney.com", "seoul.go.kr", "github.com/kostat-gi/", "issuu.com"],
    "tier": ["publisher", "government", "government", "aggregator"],
    "reason": ["r"] * 4,
}))


@pytest.mark.parametrize("url, domain, tier", [
    ("https://www.kearney.com/global-cities/2025", "kearney.com", "publisher"),
    ("https://news.seoul.go.kr/gov/archives/1", "news.seoul.go.kr", "government"),  # a subdomain takes its parent's tier
    ("https://github.com/kostat-gi/data/blob/main/x.csv", "github.com", "government"),  # a path prefix
    ("https://github.com/someone/blog", "github.com", None),  # github.com as a whole is not classified
    ("https://issuu.com./doc/1", "issuu.com", "aggregator"),  # a trailing dot in the host
    ("HTTPS://WWW.KEARNEY.COM/x", "kearney.com", "publisher"),
    ("https://notkearney.com/x", "notkearney.com", None),  # a suffix is not a parent domain
    ("not a url", None, None),
])
def test_source_tier_of_a_url(url, domain, tier):
    assert domain_of(url) == domain
    assert TIERS.tier(url) == tier


def test_an_unclassified_domain_fails_the_check_and_names_the_place(mini: Path):
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    kept = [line for line in domains.read_text(encoding="utf-8").splitlines() if not line.startswith("wowtv.co.kr,")]
    domains.write_text("\n".join(kept) + "\n", encoding="utf-8")
    with pytest.raises(build.ProblemsFound) as caught:
        build.collect(catalogue.load(mini))
    places = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert ("data/raw/rankings/mori_gpci.csv", 2, "source_url") in places
    assert all("wowtv.co.kr" in p.en and "source_domains.csv" in p.en for p in caught.value.problems)


def test_a_tier_the_catalogue_does_not_declare_is_rejected(mini: Path):
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    domains.write_text(domains.read_text(encoding="utf-8").replace("segye.com,press,", "segye.com,newspaper,"), encoding="utf-8")
    with pytest.raises(build.ProblemsFound) as caught:
        build.collect(catalogue.load(mini))
    assert any(p.column == "tier" and "newspaper" in p.en for p in caught.value.problems)


def test_the_warehouse_carries_tier_flags_bound_and_korean_note(mini: Path):
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    lines = raw.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",2026-11-24,,48 cities,48개 도시",
                                ',2026-11-24,conflict|low_confidence,"48 cities; CONFLICT: X says 7th","48개 도시; 출처 간 불일치"')
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = build.collect(catalogue.load(mini)).tables["ranking_row"]
    seoul = rows[(rows.city == "Seoul") & (rows.edition == "2024")].iloc[0]
    assert seoul["flags"] == "conflict|low_confidence"
    assert seoul["source_tier"] == "press" and seoul["note_ko"] == "48개 도시; 출처 간 불일치"


# --- the real ledger -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real_tables() -> dict[str, pd.DataFrame]:
    tables = build.collect(catalogue.load(ROOT / "indicators.yml")).tables
    # component_row is held in DuckDB (a relation), the rest are frames
    return {k: v if isinstance(v, pd.DataFrame) else v.df() for k, v in tables.items()}


def _raw_rows(cat) -> list[tuple[str, int, dict]]:
    out = []
    for s in cat.series.values():
        for path in (s.rankings_file, s.components_file):
            if path is None:
                continue
            with open(path, encoding="utf-8") as fh:
                for n, row in enumerate(csv.DictReader(fh), start=2):
                    out.append((path.name, n, row))
    return out


def test_real_ledger_no_status_contradicts_its_note():
    cat = catalogue.load(ROOT / "indicators.yml")
    rows = [(f, n, r) for f, n, r in _raw_rows(cat) if "status" in r]
    assert len(rows) > 1000
    bad = [(f, n, r["status"], r["note"]) for f, n, r in rows if status_conflicts(r["note"], r["status"])]
    assert bad == []
    # the review of issue 11: EIU 2022-2024 outside its published top 10 like 2025; CIMI 2020/2022 not found,
    # 2024 known only within the top 50.
    seoul = {(f, r["edition"]): r for f, _, r in rows if r["city"] == cat.focus_city}
    for edition in ("2022", "2023", "2024", "2025"):
        assert seoul[("eiu_liveability.csv", edition)]["status"] == "outside_list"
    assert seoul[("iese_cimi.csv", "2020")]["status"] == seoul[("iese_cimi.csv", "2022")]["status"] == "not_found"
    assert (seoul[("iese_cimi.csv", "2024")]["status"], seoul[("iese_cimi.csv", "2024")]["rank_bound"]) == ("rank_unknown", "50")
    # every changed row says why
    for key in [("eiu_liveability.csv", e) for e in ("2022", "2023", "2024")] + [("iese_cimi.csv", e) for e in ("2020", "2022", "2024")]:
        assert "(issue 11)" in seoul[key]["note"] and "(issue 11)" in seoul[key]["note_ko"], key


def test_real_ledger_every_flag_word_is_in_flags():
    cat = catalogue.load(ROOT / "indicators.yml")
    rows = _raw_rows(cat)
    flagged = 0
    for f, n, r in rows:
        given, unknown = parse_flags(r.get("flags"))
        assert not unknown, (f, n)
        assert flags_from_note(r["note"]) <= set(given), (f, n, r["note"])
        flagged += bool(given)
    assert flagged >= 60  # 12 derived, 30 inferred, 23 conflict, 5 + 7 low confidence (single-source rows)


def test_real_ledger_every_focus_city_row_has_a_korean_note():
    cat = catalogue.load(ROOT / "indicators.yml")
    focus = [(f, n, r) for f, n, r in _raw_rows(cat) if r["city"] == cat.focus_city and r["note"]]
    assert len(focus) >= 140
    assert [(f, n) for f, n, r in focus if not r.get("note_ko")] == []
    notes = [m for s in cat.series.values() for m in s.methodology]
    assert len(notes) >= 50 and [m.text for m in notes if not m.text_ko] == []


def test_real_ledger_every_source_domain_is_classified(real_tables):
    for name in ("ranking_row", "component_row", "edition", "methodology_note"):
        frame = real_tables[name]
        with_url = frame[frame["source_url"].notna()]
        assert len(with_url) > 0, name
        assert with_url["source_tier"].notna().all(), name
    tiers = set(real_tables["ranking_row"]["source_tier"].dropna())
    assert tiers == {"publisher", "government", "press", "aggregator"}
