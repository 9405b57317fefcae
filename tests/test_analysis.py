"""Weakness labels, the gap to the TOP 5 and the what-if, pinned on small hand-made cases.

The figures below are made up for the tests (labelled so in their notes); they never enter data/raw/.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines import build, catalogue
from pipelines.analysis import GOAL_STATUSES, WEAKNESS_LABELS
from pipelines.sql import parts

URL = "https://example.org/hand-made-test-case"
TAIL = f"{URL},test,2026-11-24,hand-made test case"


def _write(mini: Path, overall: dict[str, int], components: list[tuple[str, str, str, int | None, float | None]],
           peers: list[tuple[str, str, int]] | None = None) -> None:
    raw = mini.parent / "data" / "raw" / "rankings"
    years = sorted(overall)
    (raw / "editions.csv").write_text(
        "index_id,edition,published,year,field_size,methodology_change,source_url,note\n"
        + "".join(f"mori_gpci,{y},{y}-12,{y},48,,,\n" for y in years)
        + "zyen_gfci,GFCI 37,2025-03,2025,,,,\nzyen_gfci,GFCI 38,2025-09,2025,,,,\n",
        encoding="utf-8",
    )
    rows = [f"{y},Seoul,South Korea,{r},,ranked,{TAIL}\n" for y, r in overall.items()]
    rows += [f"{y},{city},X,{r},,ranked,{TAIL}\n" for y, city, r in (peers or [])]
    (raw / "mori_gpci.csv").write_text(
        "edition,city,country,rank,score,status,source_url,publication,retrieved,note\n" + "".join(rows), encoding="utf-8")
    comp = [f"{y},{city},{c},{'' if r is None else r},{'' if s is None else s},{TAIL}\n" for y, city, c, r, s in components]
    (raw / "mori_gpci__components.csv").write_text(
        "edition,city,component,rank,score,source_url,publication,retrieved,note\n" + "".join(comp), encoding="utf-8")


def _build(mini: Path, tmp_path: Path) -> duckdb.DuckDBPyConnection:
    path = tmp_path / "a.duckdb"
    build.build(catalogue.load(mini), path)
    return parts.connect_read_only(path)


def _labels(con, edition: str) -> dict[str, tuple]:
    rows = con.execute(
        "select component_id, label, reason_en, reason_ko, evidence, indicators, departments "
        "from weaknesses where index_id = 'mori_gpci' and edition = ?", [edition]).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_fell_three_editions_in_a_row_is_a_weakness(mini: Path, tmp_path: Path):
    overall = {"2022": 6, "2023": 6, "2024": 6, "2025": 6}
    comps = [(y, "Seoul", "economy", r, None) for y, r in zip(overall, (5, 6, 7, 8))]
    comps += [(y, "Seoul", "r_and_d", 4, None) for y in overall]
    _write(mini, overall, comps)
    con = _build(mini, tmp_path)
    labels = _labels(con, "2025")
    label, reason_en, reason_ko, evidence, *_ = labels["economy"]
    assert label == "weakness"
    assert "fell in each of the last 3 editions (5→6→7→8)" in reason_en
    assert "최근 3개 판 연속 하락" in reason_ko
    assert "below the overall rank" not in reason_en  # a gap of 2 is under the threshold of 5
    assert json.loads(evidence)["recent_ranks"] == [5, 6, 7, 8]
    # Two falls are not three: the same component in 2024 is not labelled.
    assert _labels(con, "2024")["economy"][0] == "neutral"


def test_above_the_overall_rank_is_a_strength_and_lineage_names_owners(mini: Path, tmp_path: Path):
    overall = {"2024": 9, "2025": 9}
    comps = [(y, "Seoul", "r_and_d", 6, None) for y in overall] + [(y, "Seoul", "economy", 10, None) for y in overall]
    _write(mini, overall, comps)
    labels = _labels(_build(mini, tmp_path), "2025")
    label, reason_en, _, evidence, indicators, departments = labels["r_and_d"]
    assert label == "strength"
    assert "component rank 6 is 3 places above the overall rank 9" in reason_en
    assert labels["economy"][0] == "neutral" and "no weakness or strength rule applies" in labels["economy"][1]
    # unemployment_rate feeds GPCI economy in the mini catalogue, owned by the Economic Policy Office.
    assert labels["economy"][4] == ["unemployment_rate"] and labels["economy"][5] == ["economic_policy_office"]


def test_a_component_with_no_data_says_so(mini: Path, tmp_path: Path):
    overall = {"2024": 6, "2025": 6}
    comps = [(y, "Seoul", "economy", 20, None) for y in overall] + [("2024", "Seoul", "livability", 30, None)]
    _write(mini, overall, comps)
    labels = _labels(_build(mini, tmp_path), "2025")
    assert labels["livability"][0] == "no_data" and "no rank for this component" in labels["livability"][1]
    assert labels["economy"][0] == "weakness" and "14 places below the overall rank 6" in labels["economy"][1]
    assert labels["r_and_d"][0] == "no_data"


def test_bottom_among_peers_is_a_weakness_and_inside_the_goal_never_is(mini: Path, tmp_path: Path):
    overall = {"2025": 6}
    comps = [("2025", "Seoul", "economy", 8, None), ("2025", "Tokyo", "economy", 2, None), ("2025", "London", "economy", 1, None),
             ("2025", "Seoul", "r_and_d", 4, None), ("2025", "Tokyo", "r_and_d", 2, None), ("2025", "London", "r_and_d", 1, None)]
    _write(mini, overall, comps)
    labels = _labels(_build(mini, tmp_path), "2025")
    assert labels["economy"][0] == "weakness" and "3 of 3 among the peer cities" in labels["economy"][1]
    # r_and_d is last among peers too, but rank 4 is inside the TOP 5 goal: never a weakness; the
    # signals disagree, so it is neutral and the reason shows both.
    assert labels["r_and_d"][0] == "neutral"
    assert "inside the goal rank (5)" in labels["r_and_d"][1] and "3 of 3 among the peer cities" in labels["r_and_d"][1]


def test_thresholds_come_from_the_catalogue(mini: Path, tmp_path: Path):
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["analysis"] = {
        "weakness": {"rank_gap_to_overall": 20, "falling_editions": 3, "peer_bottom_share": 0.5, "min_peers_with_data": 2},
        "strength": {"rank_gap_to_overall": 3},
        "goal": {"trend_editions": 4},
    }
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    overall = {"2024": 6, "2025": 6}
    _write(mini, overall, [(y, "Seoul", "economy", 20, None) for y in overall])
    assert _labels(_build(mini, tmp_path), "2025")["economy"][0] == "neutral"


def test_top5_gap_projects_the_trend(mini: Path, tmp_path: Path):
    overall = {"2022": 10, "2023": 9, "2024": 8, "2025": 7}
    _write(mini, overall, [(y, "Seoul", "economy", 9, None) for y in overall])
    con = _build(mini, tmp_path)
    row = con.execute(
        "select latest_rank, best_rank, places_to_target, trend_places_per_year, projected_rank, editions_left, status "
        "from top5_gap where index_id = 'mori_gpci'").fetchone()
    assert row[:3] == (7, 7, 2)
    assert row[3] == pytest.approx(-1.0)
    assert row[4] == 2 and row[5] == 5 and row[6] == "on_course"


@pytest.mark.parametrize(("ranks", "status"), [
    ((12, 12, 12, 12), "off_course"),  # flat and 7 places out
    ((8, 8, 8, 8), "off_course"),  # flat, 3 places out: no margin, the range decides (it is 8 to 8)
    ((14, 14, 13, 13), "off_course"),  # improving, not enough: even the optimistic end (#11) misses
    ((5, 6, 7, 9), "off_course"),  # worsening
    ((8, 6, 7, 6), "at_risk"),  # improving unevenly: the range (#2 to #6) straddles the goal
    ((9, 8, 7, 6), "on_course"),  # one place a year: #1 even at the pessimistic end
])
def test_top5_gap_status_rule(mini: Path, tmp_path: Path, ranks, status):
    overall = dict(zip(("2022", "2023", "2024", "2025"), ranks))
    _write(mini, overall, [(y, "Seoul", "economy", 9, None) for y in overall])
    con = _build(mini, tmp_path)
    assert con.execute("select status from top5_gap where index_id = 'mori_gpci'").fetchone()[0] == status


def test_top5_gap_is_unknown_without_a_recent_rank(mini: Path, tmp_path: Path):
    # The mini catalogue measures ages to 2026-01-15; GPCI's only edition is 2019-12: no edition for more than
    # twice its 12-month cadence. GFCI has one ranked edition: too few for a trend.
    _write(mini, {"2019": 6}, [("2019", "Seoul", "economy", 9, None)])
    con = _build(mini, tmp_path)
    rows = dict(con.execute("select index_id, (status, unknown_reason, projected_rank, editions_left) from top5_gap").fetchall())
    assert tuple(rows["mori_gpci"]) == ("unknown", "discontinued", None, 0)
    assert tuple(rows["zyen_gfci"])[:3] == ("unknown", "too_few", None)


def test_what_if_uses_weight_and_the_score_of_the_goal_rank_city(mini: Path, tmp_path: Path):
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["series"]["mori_gpci"]["components"][0]["weight"] = 0.25  # economy
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    comps = [("2025", "Seoul", "economy", 12, 60.0), ("2025", "New York", "economy", 5, 80.0),
             ("2025", "Seoul", "r_and_d", 3, 90.0)]
    _write(mini, {"2025": 6}, comps)
    con = _build(mini, tmp_path)
    rows = dict(con.execute("select component_id, estimated_overall_change from what_if where index_id='mori_gpci'").fetchall())
    assert rows["economy"] == pytest.approx(5.0)  # 0.25 x (80 - 60)
    missing = con.execute("select missing from what_if where component_id='r_and_d'").fetchone()[0]
    assert missing == "no_weight"


def test_the_views_give_only_the_declared_labels_and_statuses(mini: Path, tmp_path: Path):
    # Each label and status is shown through a message per value (label.*, goal.*; tests/test_messages.py):
    # the views may give no value outside the declared tuples. Ranks hand-made to reach every label.
    overall = {"2022": 10, "2023": 9, "2024": 8, "2025": 7}
    comps = [(y, "Seoul", "economy", r, None) for y, r in zip(overall, (9, 11, 13, 20))]
    comps += [(y, "Seoul", "r_and_d", 3, None) for y in overall] + [("2025", "Seoul", "livability", None, 50.0)]
    _write(mini, overall, comps)
    con = _build(mini, tmp_path)
    labels = {r[0] for r in con.execute("select distinct label from weaknesses").fetchall()}
    statuses = {r[0] for r in con.execute("select distinct status from top5_gap").fetchall()}
    assert {"weakness", "strength", "no_data"} <= labels <= set(WEAKNESS_LABELS)
    assert statuses and statuses <= set(GOAL_STATUSES)
