"""Every bad ledger file is rejected for its one defect, naming file, row and column, in Korean and English."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipelines import build, catalogue
from pipelines.schemas import ProblemsFound

BAD = Path(__file__).parent / "fixtures" / "bad"

# bad file -> (spreadsheet row or None, column or None, a phrase of the English message)
EXPECTED = {
    "mori_gpci__rank_not_a_number.csv": (4, "rank", "not a whole number: '6위'"),
    "mori_gpci__rank_zero.csv": (4, "rank", "too small (minimum 1"),
    "mori_gpci__rank_fraction.csv": (4, "rank", "not a whole number: '6.5'"),
    "mori_gpci__score_not_a_number.csv": (7, "score", "not a number: '1288.1점'"),
    "mori_gpci__status_unknown.csv": (3, "status", "value 'top10' is not allowed"),
    "mori_gpci__rank_without_ranked_status.csv": (3, "status", "rank and status disagree"),
    "mori_gpci__duplicate_city.csv": (8, "city", "appears more than once"),
    "mori_gpci__unmapped_city.csv": (6, "city", "city 'Tokio' is not in the city mapping"),
    "mori_gpci__bad_url.csv": (2, "source_url", "does not start with http(s)"),
    "mori_gpci__bad_retrieved.csv": (5, "retrieved", "not a date: '24/11/2026'"),
    "mori_gpci__missing_publication.csv": (5, "publication", "the value is empty"),
    "mori_gpci__unknown_edition.csv": (7, "edition", "edition '2026' is not in editions.csv"),
    "mori_gpci__missing_column.csv": (None, "status", "required column 'status' is missing"),
    "mori_gpci__unknown_column.csv": (None, "rank_2", "unknown column 'rank_2'"),
    "mori_gpci__empty_file.csv": (None, None, "cannot read the CSV file"),
    "mori_gpci__cp949_bytes.csv": (None, None, "cannot read the CSV file"),
    "zyen_gfci__alias_duplicate.csv": (7, "city", "appears more than once"),
    "mori_gpci__components__unknown_component.csv": (3, "component", "component 'research' is not a component"),
    "mori_gpci__components__conflicting_rank.csv": (8, "rank", "conflicting rank values"),
    "mori_gpci__components__no_figure.csv": (4, "rank", "both rank and score are empty"),
    "editions__bad_month.csv": (2, "published", "not a year-month: '2024-13'"),
    "editions__unknown_series.csv": (6, "index_id", "series 'kearney_gcx' is not in indicators.yml"),
    "editions__year_missing.csv": (3, "year", "the value is empty"),
    "cities__ambiguous_alias.csv": (3, "aliases", "'London' appears more than once"),
    "cities__missing_korean_name.csv": (4, "city_ko", "the value is empty"),
    # issue 11: statuses follow their notes, flags are data, every source domain has a tier
    "mori_gpci__not_found_but_ranked.csv": (4, "status", "status 'ranked' contradicts 'NOT FOUND' in the note"),
    "mori_gpci__flag_not_in_flags.csv": (4, "flags", "the note carries the flag conflict"),
    "mori_gpci__unknown_flag.csv": (4, "flags", "unknown flag: 'guessed'"),
    "mori_gpci__bound_on_a_ranked_row.csv": (4, "rank_bound", "rank_bound is only for rows whose status is rank_unknown"),
    "mori_gpci__unclassified_source.csv": (4, "source_url", "the source domain 'blog.unknown-outlet.net' has no tier"),
    "mori_gpci__components__flag_not_in_flags.csv": (3, "flags", "the note carries the flag derived"),
}


def _target(bad_name: str) -> str:
    """`mori_gpci__components__no_figure.csv` replaces `mori_gpci__components.csv`."""
    return bad_name.rsplit("__", 1)[0] + ".csv"


def _install(mini: Path, bad_name: str) -> str:
    raw = mini.parent / "data" / "raw"
    target = _target(bad_name)
    dest = raw / target if target == "cities.csv" else raw / "rankings" / target
    assert dest.is_file(), f"fixture names a file the mini catalogue does not have: {dest}"
    shutil.copyfile(BAD / bad_name, dest)
    return str(dest.relative_to(mini.parent))


def test_every_bad_fixture_has_an_expectation():
    files = sorted(p.name for p in BAD.glob("*.csv"))
    assert len(files) >= 20
    assert set(files) == set(EXPECTED)


@pytest.mark.parametrize("bad_name", sorted(EXPECTED))
def test_bad_file_is_rejected_with_its_cell(bad_name: str, mini: Path):
    display = _install(mini, bad_name)
    row, column, phrase = EXPECTED[bad_name]
    with pytest.raises(ProblemsFound) as caught:
        build.collect(catalogue.load(mini))
    problems = caught.value.problems
    matching = [p for p in problems if p.file == display and p.row == row and p.column == column and phrase in p.en]
    assert matching, "\n".join(p.both() for p in problems)
    found = matching[0]
    assert found.ko and found.ko != found.en  # a Korean message, not a copy of the English one
    assert display in found.text("ko") and display in found.text("en")
    if row is not None:
        assert f"{row}행" in found.text("ko") and f"row {row}" in found.text("en")


def test_all_problems_are_reported_at_once(mini: Path):
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    lines = raw.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",1,,ranked,", ",x,,ranked,")  # row 2: rank
    lines[3] = lines[3].replace(",ranked,", ",maybe,")  # row 4: status
    lines[5] = lines[5].replace("Tokyo", "Tokio")  # row 6: city
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ProblemsFound) as caught:
        build.collect(catalogue.load(mini))
    cells = {(p.row, p.column) for p in caught.value.problems}
    assert {(2, "rank"), (4, "status"), (6, "city")} <= cells


def test_thousands_separator_in_a_score_is_a_number(mini: Path):
    raw = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    text = raw.read_text(encoding="utf-8").replace(",6,1193,", ',6,"1,193",')
    raw.write_text(text, encoding="utf-8")
    result = build.collect(catalogue.load(mini))
    rows = result.tables["ranking_row"]
    seoul_2024 = rows[(rows.city == "Seoul") & (rows.edition == "2024")]
    assert seoul_2024["score"].tolist() == [1193.0]
