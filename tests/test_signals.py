"""One set of signals (docs/analysis.md §0, §2): age, change, best ever, the projection and its status, pinned on
hand-made cases, and the consumers that read them agreeing with each other.

Every figure below is made up for the tests (rows carry "hand-made test case" and an example.org source); they are
written into each test's own copy of the mini fixture and never enter data/raw/. The mini catalogue measures ages to
2026-01-15 (`analysis.signals.as_of`), so no answer changes as the calendar moves.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml
from click.testing import CliRunner

from pipelines import build, catalogue, sql
from pipelines.analysis import signals
from pipelines.cli import main
from pipelines.reports import brief, forum
from pipelines.sql import parts

URL = "https://example.org/hand-made-test-case"
NOTE = "hand-made test case"


def _gpci(mini: Path, editions: list[tuple], field_size: int = 48) -> None:
    """Replace the mini GPCI series by hand-made editions: (edition, published or None, year, rank or None,
    status, flags). Only the focus city has rows; GFCI stays as in the fixture."""
    raw = mini.parent / "data" / "raw" / "rankings"
    kept = [line for line in (raw / "editions.csv").read_text(encoding="utf-8").splitlines()[1:] if not line.startswith("mori_gpci,")]
    (raw / "editions.csv").write_text(
        "index_id,edition,published,year,field_size,methodology_change,source_url,note\n"
        + "".join(f"mori_gpci,{e},{p or ''},{y},{field_size},,,\n" for e, p, y, *_ in editions)
        + "\n".join(kept) + "\n", encoding="utf-8")
    (raw / "mori_gpci.csv").write_text(
        "edition,city,country,rank,score,status,rank_bound,source_url,publication,retrieved,flags,note,note_ko\n"
        + "".join(f"{e},Seoul,South Korea,{'' if r is None else r},,{s},,{URL},test,2026-11-24,{f},{NOTE},손으로 만든 시험 자료\n"
                  for e, _, _, r, s, f in editions), encoding="utf-8")
    (raw / "mori_gpci__components.csv").write_text(  # one component row (the build wants a non-empty file)
        "edition,city,component,rank,score,source_url,publication,retrieved,flags,note,note_ko\n"
        f"{editions[-1][0]},Seoul,r_and_d,4,,{URL},test,2026-11-24,,{NOTE},손으로 만든 시험 자료\n", encoding="utf-8")


def _build(mini: Path, tmp_path: Path, name: str = "w") -> duckdb.DuckDBPyConnection:
    path = tmp_path / f"{name}.duckdb"
    build.build(catalogue.load(mini), path)
    return parts.connect_read_only(path)


def _goal(con, index_id: str = "mori_gpci") -> dict:
    return con.execute("select * from top5_gap where index_id = ?", [index_id]).df().iloc[0].to_dict()


def _signals(con, index_id: str = "mori_gpci") -> dict:
    return con.execute("select * from focus_overview where index_id = ?", [index_id]).df().iloc[0].to_dict()


# --- the projection ---------------------------------------------------------------------------------------------

def test_a_jump_is_clamped_at_first_not_projected_past_it(mini: Path, tmp_path: Path):
    # GCO-like: 42 -> 36 -> 5 -> 2. Least squares gave -8.9 places a year and rank -42.7 for 2030.
    _gpci(mini, [("2020", "2020-11", 2020, 42, "ranked", ""), ("2022", "2022-10", 2022, 36, "ranked", ""),
                 ("2024", "2024-10", 2024, 5, "ranked", ""), ("2025", "2025-10", 2025, 2, "ranked", "")], field_size=158)
    g = _goal(_build(mini, tmp_path))
    assert g["projected_unrounded"] < 1, "the trend itself runs past first"
    assert (g["projected_rank"], g["projected_low"], g["projected_high"]) == (1, 1, 1) and g["clamped"]
    assert g["status"] == "on_course" and g["projected_gap"] == -4
    assert g["trend_places_per_year"] == pytest.approx(-8.79, abs=0.01)  # median of six pairwise slopes


def test_slow_improvement_far_from_the_goal_is_off_course_and_the_gaps_are_named(mini: Path, tmp_path: Path):
    # GCI-like: 12, 13 (2018, 2019), no rank 2020-2023, 11, 12 (2024, 2025): a slope of about -0.08 a year.
    # The old rule called any improving slope "at risk"; the whole range stays outside the TOP 5.
    _gpci(mini, [("2018", "2018-05", 2018, 12, "ranked", ""), ("2019", "2019-05", 2019, 13, "ranked", ""),
                 ("2020", "2020-11", 2020, None, "not_found", ""), ("2022", "2022-10", 2022, None, "not_found", ""),
                 ("2024", "2024-10", 2024, 11, "ranked", "derived"), ("2025", "2025-10", 2025, 12, "ranked", "")], field_size=158)
    g = _goal(_build(mini, tmp_path))
    assert g["trend_places_per_year"] == pytest.approx(-0.078, abs=0.001)
    assert g["status"] == "off_course" and g["projected_low"] > 5
    assert g["projected_gap"] == g["projected_rank"] - 5 > 0
    assert list(g["gap_editions"]) == ["2020", "2022"] and list(g["gap_statuses"]) == ["not_found", "not_found"]
    assert list(g["trend_years"]) == [2018.33, 2019.33, 2024.75, 2025.75], "publication time, not edition count"
    assert list(g["trend_flags"]) == ["derived"], "a derived figure in the trend is said"
    assert signals.status_text(g, "en").startswith("off course · projected #") and "places short" in signals.status_text(g, "en")


def test_a_discontinued_series_is_unknown_with_no_editions_left(mini: Path, tmp_path: Path):
    # GDCI-like: yearly 2016-2019, nothing since (as of 2026-01-15: 76 months, more than twice 12).
    _gpci(mini, [(str(y), f"{y}-09", y, r, "ranked", "") for y, r in zip(range(2016, 2020), (10, 7, 10, 11))])
    con = _build(mini, tmp_path)
    g = _goal(con)
    assert (g["status"], g["unknown_reason"], g["editions_left"]) == ("unknown", "discontinued", 0)
    assert g["projected_rank"] is None or g["projected_rank"] != g["projected_rank"]  # no projection shown
    assert signals.unknown_reason_text(g, "en") == (
        "why unknown: discontinued or not yet collected — no edition since 2019-09 (more than twice its 12-month cadence)")
    s = _signals(con)
    assert s["stale"] and s["discontinued"] and s["age_months"] == 76


def test_too_few_editions_is_unknown_with_the_reason(mini: Path, tmp_path: Path):
    _gpci(mini, [("2024", "2024-12", 2024, 6, "ranked", ""), ("2025", "2025-12", 2025, 6, "ranked", "")])
    g = _goal(_build(mini, tmp_path))
    assert (g["status"], g["unknown_reason"]) == ("unknown", "too_few")
    assert signals.unknown_reason_text(g, "ko") == "판단 불가 이유: 순위가 발표된 최근 판이 2개뿐입니다 (3개 이상 필요)"


def test_an_exact_half_goes_to_the_worse_rank(mini: Path, tmp_path: Path):
    # 9, 8, 7 two years apart: -0.5 a year, each rank carried to December 2030 lands on 4.5 exactly.
    _gpci(mini, [("2021", "2021-12", 2021, 9, "ranked", ""), ("2023", "2023-12", 2023, 8, "ranked", ""),
                 ("2025", "2025-12", 2025, 7, "ranked", "")])
    con = _build(mini, tmp_path)
    g = _goal(con)
    assert g["projected_unrounded"] == pytest.approx(4.5)
    assert g["projected_rank"] == 5 and g["status"] == "on_course", "4.5 -> 5, still inside the TOP 5"
    # floating-point noise never moves a half; a real difference does
    rounded = con.execute("select half_up(3.4999999), half_up(7.5000004), half_up(3.5), half_up(2.4999), half_up(2.5000001)").fetchone()
    assert rounded == (4, 8, 4, 2, 3)


def test_the_range_straddling_the_goal_is_at_risk(mini: Path, tmp_path: Path):
    _gpci(mini, [(str(y), f"{y}-12", y, r, "ranked", "") for y, r in zip(range(2022, 2026), (8, 6, 7, 6))])
    g = _goal(_build(mini, tmp_path))
    assert g["projected_low"] <= 5 < g["projected_high"] and g["status"] == "at_risk"


# --- change, age and best ever ---------------------------------------------------------------------------------

def test_falling_out_of_the_list_is_said_never_an_arrow_from_older_editions(mini: Path, tmp_path: Path):
    # EIU-like: 57th, 53rd, then outside the published top 10. The old overview showed a green ▲4 (57 -> 53).
    _gpci(mini, [("2023", "2023-06", 2023, 57, "ranked", ""), ("2024", "2024-06", 2024, 53, "ranked", "low_confidence"),
                 ("2025", "2025-06", 2025, None, "outside_list", "")])
    con = _build(mini, tmp_path)
    s = _signals(con)
    assert (s["change_kind"], s["change_places"] is None or s["change_places"] != s["change_places"]) == ("fell_out", True)
    assert signals.change_text(s, "en") == "fell out of the published list"
    assert signals.change_basis(s, "en") == "2024: #53 → 2025: outside the published list"
    # best ever is the flagged 53rd: never without its badge
    assert signals.best_text(s, "en") == "#53 (in 2024) [low confidence]"
    out = CliRunner().invoke(main, ["status", "--lang", "en", "--warehouse", str(tmp_path / "w.duckdb")])
    assert out.exit_code == 0 and "mori_gpci" in out.output and "fell out of the published list" in out.output
    assert "▲" not in out.output.split("mori_gpci", 1)[1].splitlines()[0]


def test_no_change_is_said_in_words_and_best_names_the_first_edition(mini: Path, tmp_path: Path):
    _gpci(mini, [("2012", "2012-10", 2012, 6, "ranked", ""), ("2013", "2013-10", 2013, 7, "ranked", ""),
                 ("2024", "2024-12", 2024, 6, "ranked", ""), ("2025", "2025-12", 2025, 6, "ranked", "")])
    con = _build(mini, tmp_path)
    s = _signals(con)
    assert s["change_kind"] == "no_change" and s["change_places"] == 0
    assert signals.change_text(s, "ko") == "변동 없음" and signals.change_text(s, "en") == "no change"
    assert signals.best_text(s, "en") == "#6, first in 2012, again in 2025"
    html = brief.brief_html(con, catalogue.load(mini), "2025-Q4", "ko")
    assert "변동 없음" in html and "+0" not in html


def test_the_brief_counts_a_change_only_for_editions_published_in_its_quarter(mini: Path, tmp_path: Path):
    # The latest GPCI edition came out in 2025-06: in the 2025-Q4 brief it is no news, whatever it changed.
    _gpci(mini, [("2023", "2023-06", 2023, 9, "ranked", ""), ("2024", "2024-06", 2024, 8, "ranked", ""),
                 ("2025", "2025-06", 2025, 10, "ranked", "")])
    con = _build(mini, tmp_path)
    cat = catalogue.load(mini)
    q4 = brief.brief_html(con, cat, "2025-Q4", "en")
    row = re.search(r"<tr><td>Mori Global Power City Index</td>.*?</tr>", q4).group(0)
    assert "no new edition this quarter" in row and "▼" not in row
    q2 = brief.brief_html(con, cat, "2025-Q2", "en")
    row = re.search(r"<tr><td>Mori Global Power City Index</td>.*?</tr>", q2).group(0)
    assert "▼ down 2 places" in row


def test_flags_are_counted_from_the_flags_column_and_never_leave_a_best_figure(mini: Path, tmp_path: Path):
    _gpci(mini, [("2023", "2023-12", 2023, 5, "ranked", "derived|conflict"), ("2024", "2024-12", 2024, 7, "ranked", "derived"),
                 ("2025", "2025-12", 2025, 8, "ranked", "")])
    con = _build(mini, tmp_path)
    counts = {(r.index_id, r.flag): (r.rows, r.focus_rows) for r in sql.frame(con, "flag_counts").itertuples()}
    assert counts[("mori_gpci", "derived")] == (2, 2) and counts[("mori_gpci", "conflict")] == (1, 1)
    s = _signals(con)
    assert signals.best_text(s, "ko") == "5위 (2023) [파생, 상충]", "the best rank is a flagged figure: its badges go with it"
    assert list(_goal(con)["trend_flags"]) == ["conflict", "derived"]


# --- stale weak points: every consumer agrees ------------------------------------------------------------------

def _stale_gpci_and_current_gfci(mini: Path) -> None:
    """GPCI moved back to 2018/2019 (stale as of 2026-01-15) keeps its severe weaknesses; GFCI gets one hand-made
    component, weak but less severe, in GFCI 38 (2025-09: current)."""
    raw = mini.parent / "data" / "raw" / "rankings"
    for name in ("mori_gpci.csv", "mori_gpci__components.csv"):
        text = (raw / name).read_text(encoding="utf-8")
        (raw / name).write_text(re.sub(r"^2025,", "2019,", re.sub(r"^2024,", "2018,", text, flags=re.M), flags=re.M),
                                encoding="utf-8")
    text = (raw / "editions.csv").read_text(encoding="utf-8")
    text = text.replace("mori_gpci,2024,2024-12,2024", "mori_gpci,2018,2018-12,2018").replace(
        "mori_gpci,2025,2025-12,2025", "mori_gpci,2019,2019-12,2019")
    (raw / "editions.csv").write_text(text, encoding="utf-8")
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    gfci = data["series"]["zyen_gfci"]
    gfci["components_file"] = "data/raw/rankings/zyen_gfci__components.csv"
    gfci["components"] = [{"id": "business", "name": {"ko": "기업 환경", "en": "Business environment"}, "weight": None,
                           "policy_area": "economy", "parent": None}]
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (raw / "zyen_gfci__components.csv").write_text(
        "edition,city,component,rank,score,source_url,publication,retrieved,flags,note,note_ko\n"
        f"GFCI 38,Seoul,business,16,,{URL},test,2026-11-24,,{NOTE},손으로 만든 시험 자료\n", encoding="utf-8")


def test_stale_weak_points_come_after_current_ones_in_every_consumer(mini: Path, tmp_path: Path):
    _stale_gpci_and_current_gfci(mini)
    con = _build(mini, tmp_path)
    cat = catalogue.load(mini)
    weak = con.execute("select index_id, component_id, stale, severity from weaknesses "
                       "where is_latest and label = 'weakness' order by severity desc").fetchall()
    # the case where the old behaviour differed: the most severe weakness is a stale one. The old brief (by severity)
    # led with it; the old forum suggestions (within 4 years of the newest edition) left it out altogether.
    assert weak[0][:3] == ("mori_gpci", "livability", True)
    current = [(i, c) for i, c, stale, _ in weak if not stale]
    assert current == [("zyen_gfci", "business")]

    in_brief = sql.frame(con, "latest_weakest", limit=10)
    suggested = forum.suggestions(con, 10)
    for consumer in (in_brief, suggested):
        order = list(zip(consumer["index_id"], consumer["component_id"]))
        assert order[0] == ("zyen_gfci", "business"), "a current weak point first"
        assert list(consumer["stale"]) == sorted(consumer["stale"]), "no stale one above a current one"
        assert ("mori_gpci", "livability") in order, "the stale one shown, apart"
    assert list(in_brief["index_id"] + "/" + in_brief["component_id"]) == list(suggested["index_id"] + "/" + suggested["component_id"])

    html = brief.brief_html(con, cat, "2025-Q4", "en")
    section = html.split("3. ", 1)[1].split("<h2>", 1)[0]
    assert section.index("Business environment") < section.index("Old editions") < section.index("Livability")
    assert "GPCI 2019 · old edition (2019)" in section
    out = CliRunner().invoke(main, ["forum", "suggest", "--lang", "en", "--catalogue", str(mini)],
                             env={"CITYIDX_WAREHOUSE": str(tmp_path / "w.duckdb")})
    assert out.exit_code == 0, out.output
    lines = [line for line in out.output.splitlines() if "/" in line and not line.startswith(" ")]
    assert lines[0].startswith("zyen_gfci/business") and "old edition (2019)" in lines[1]


def test_no_peer_data_is_no_position(mini: Path, tmp_path: Path):
    con = _build(mini, tmp_path)
    rows = con.execute("select peers_with_data, peer_position from weaknesses where component_rank is not null").fetchall()
    assert rows and all(pos is None for peers, pos in rows if not peers), "no peer with a figure: no position, never 1"


# --- the real ledger ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def real(real_warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = parts.connect_read_only(real_warehouse)
    yield con
    con.close()


def test_real_ledger_no_stale_weak_point_above_a_current_one(real):
    for as_listed in (sql.frame(real, "latest_weakest", limit=50), forum.suggestions(real, 50)):
        assert len(as_listed) > 0
        assert list(as_listed["stale"]) == sorted(as_listed["stale"])
    # the CIMI 2019 components are six years old whatever day the test runs
    cimi = real.execute("select bool_and(stale) from weaknesses where index_id = 'iese_cimi' and edition = '2019'").fetchone()[0]
    assert cimi is True


def test_real_ledger_every_status_has_its_words_and_every_series_a_status(real):
    goal = real.execute("select * from top5_gap").df()
    assert len(goal) == 9
    for row in goal.to_dict("records"):
        text = signals.status_text(row, "ko")
        assert text and ("판단 불가 이유" in text) == (row["status"] == "unknown")
        if row["status"] != "unknown":
            assert row["projected_low"] <= row["projected_rank"] <= row["projected_high"]
            assert 1 <= row["projected_low"] and row["projected_high"] <= row["field_size"]
    overview = real.execute("select * from focus_overview").df()
    assert set(overview["change_kind"]) <= set(signals.CHANGE_KINDS)
    eiu = overview.set_index("index_id").loc["eiu_liveability"]
    assert eiu["change_kind"] == "still_outside", "not the old ▲4 from 2019 -> 2021"
    gpci = overview.set_index("index_id").loc["mori_gpci"]
    assert signals.best_text(gpci, "en").startswith("#6, first in 2012, again in 2025")


def test_the_goal_chart_draws_the_range_not_only_the_middle():
    import xml.etree.ElementTree as ET

    import pandas as pd

    from dashboard import svg_charts
    from tests.page_reading import marks

    history = pd.DataFrame({"edition": ["2024", "2025"], "year": [2024, 2025], "published": ["2024-12", "2025-12"],
                            "rank": [7, 6], "status": ["ranked", "ranked"]})
    gap = {"target_rank": 5, "target_year": 2030, "latest_rank": 6, "last_ranked_year": 2025, "projected_rank": 4,
           "projected_low": 3, "projected_high": 6, "status": "at_risk"}
    chart = ET.fromstring(svg_charts.goal_svg(history, gap, "en"))
    (band,) = marks(chart, "range")
    assert (band.get("data-low"), band.get("data-high")) == ("3", "6")
    corners = [tuple(map(float, p.split(","))) for p in band.get("points").split()]
    assert len(corners) == 3 and corners[1][1] < corners[2][1], "rank 3 above rank 6 at the goal year"
    flat = ET.fromstring(svg_charts.goal_svg(history, {**gap, "projected_low": 4, "projected_high": 4}, "en"))
    assert not marks(flat, "range"), "no band where the range is one rank"
    assert marks(flat, "trend")[0].get("data-rank") == "4"


def test_a_components_file_with_its_header_only_builds(mini: Path, tmp_path: Path):
    # Found while writing these tests: a new series' empty components file crashed the build inside pandas/pyarrow.
    comp = mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv"
    comp.write_text(comp.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    con = _build(mini, tmp_path)
    assert con.execute("select count(*) from components").fetchone()[0] == 0
    assert con.execute("select count(*) from weaknesses").fetchone()[0] == 0
    assert _signals(con)["latest_rank"] == 6, "the rankings still build"
