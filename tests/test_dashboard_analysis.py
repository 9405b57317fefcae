"""The Weak points and 2030 goal pages (AppTest on the mini warehouse) and their chart functions.

Where a test needs figures the mini fixture does not have (component scores, a weight), it writes
hand-made rows into its own copy of the fixture, marked "hand-made test case"; they never enter data/raw/.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard import svg_charts as svg_charts_module
from dashboard.svg_charts import PHONE_WIDTH, WIDE
from dashboard.text import t
from pipelines import build, catalogue
from tests.page_reading import english_labels, labels, marks, plotly_specs, run_on, svg_charts

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
WEAK = "views/weak_points.py"
GOAL = "views/goal.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# after score: source_url, publication, retrieved, flags, note, note_ko (the component file's columns)
HAND_MADE = "https://example.org/hand-made-test-case,test,2026-11-24,,hand-made test case,"

# English UI labels that differ from their Korean form: none may appear as a label in Korean mode.
ENGLISH_LABELS = english_labels("ui.", "status.", "label.", "goal.")


def run(page: str, lang: str, table: bool = False) -> AppTest:
    """The page in `lang`; with `table`, the weak points' list opened as a table (drawn only while open)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    if table:
        at.session_state["weak_table"] = True
    run_on(at, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest) -> str:
    out = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption, *at.info)]
    out += [m.label for m in at.metric] + [str(m.value) for m in at.metric]
    return "\n".join(re.sub(r"\\(.)", r"\1", s) for s in out)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("page", [WEAK, GOAL])
def test_analysis_pages_run_in_both_languages(read_mini_warehouse, page, lang):
    at = run(page, lang)
    shown = labels(at)
    assert len(shown) > 5
    stray = sorted(set(shown) & ENGLISH_LABELS)
    if lang == "ko":
        assert not stray, f"English labels in Korean mode: {stray}"
        assert HANGUL.search(at.title[0].value)
    else:
        assert stray
        assert not any(HANGUL.search(s) for s in shown), [s for s in shown if HANGUL.search(s)]


def test_weak_points_lists_the_weaknesses_with_reason_evidence_and_owners(read_mini_warehouse):
    # Mini GPCI 2025: Seoul 6th overall; livability 25th and economy 16th (weak), R&D 5th (strong).
    closed = run(WEAK, "ko")
    assert not closed.dataframe, "the list as a table is drawn only once its expander is opened"
    at = run(WEAK, "ko", table=True)
    table = at.dataframe[0].value
    assert list(table["구성요소"]) == ["거주", "경제"], "most severe first: a gap of 19 before a gap of 10"
    row = table.iloc[0]
    assert row["판정"] == "약점" and row["판"] == "2025"
    assert row["이유"] == "구성요소 순위 25위가 종합 순위 6위보다 19계단 낮음"
    assert row["구성요소 순위"] == "25위" and row["종합 순위"] == "6위" and row["최근 순위 추이"] == "35→25"
    assert row["관련 시 관리지표"] == "서울 방문 외래관광객 수" and row["담당 부서"] == "관광체육국"
    assert table.iloc[1]["담당 부서"] == "경제정책실"
    body = texts(at)
    assert "5계단 이상" in body and "docs/analysis.md" not in body, "the rules with the thresholds, no file paths (issue 12)"
    # The same list as cards: reason, evidence and lineage readable in a meeting.
    assert "**1. GPCI · 거주** (2025) :red-badge[약점]  \n구성요소 순위 25위가 종합 순위 6위보다 19계단 낮음" in body
    # no peer has a livability figure: "no peer data", never "1st of 1"
    assert "구성요소 25위 · 종합 6위 · 최근 순위 35→25 · 비교 도시 자료 없음 · 정책 분야: 삶의 질" in body
    assert row["비교 도시 중"] == "비교 도시 자료 없음"
    assert "관련 시 관리지표: 서울 방문 외래관광객 수 · 담당 부서: 관광체육국" in body
    # a card is one Markdown element: the reason, then the evidence and the lineage under it in small grey type
    assert "19계단 낮음\n\n:small[:gray[구성요소 25위 · 종합 6위 · 최근 순위 35→25 · 비교 도시 자료 없음 · 정책 분야: 삶의 질  \n" \
           "관련 시 관리지표: 서울 방문 외래관광객 수 · 담당 부서: 관광체육국]]" in body

    heat = svg_charts(at)["heat_mori_gpci"]
    assert [e.text for e in marks(heat, "x-tick")] == ["2024", "2025"], "editions in order"
    assert [e.get("data-name") for e in marks(heat, "y-tick")] == ["경제", "연구·개발", "거주"], \
        "the first component on top"
    cells = [e.text for e in marks(heat, "cell-text")]
    assert "25위" in cells and "5위" in cells
    frames = marks(heat, "weakness")
    assert len(frames) == 4, "livability and economy are weak in both editions"
    hover = "\n".join(e.text for e in heat.iter("{http://www.w3.org/2000/svg}title"))
    assert "약점" in hover and "19계단 낮음" in hover
    assert not plotly_specs(at), "no Plotly chart left on the page: its bundle is not loaded"


def test_weak_points_rules_show_the_thresholds_of_indicators_yml(mini, tmp_path, monkeypatch):
    """The page states the thresholds the warehouse used, from `analysis:` in indicators.yml, none of its own."""
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["analysis"] = {"weakness": {"rank_gap_to_overall": 7, "falling_editions": 4, "peer_bottom_share": 0.25,
                                     "min_peers_with_data": 1},
                        "strength": {"rank_gap_to_overall": 2},
                        "goal": {"trend_editions": 4}}
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    path = tmp_path / "thresholds.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    body = texts(run(WEAK, "en"))
    assert "**7 or more places below**" in body and "**fell in each of the last 4 editions**" in body
    assert "**bottom 25%**" in body and "at least 1 peers" in body and "**2 or more places above**" in body
    assert "5 or more places" not in body and "bottom 50%" not in body


def test_weak_points_filters_by_department_and_label(read_mini_warehouse):
    at = run(WEAK, "en", table=True)
    at.multiselect(key="weak_departments").set_value(["economic_policy_office"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Component"]) == ["Economy"]
    assert table.iloc[0]["Reason"] == "component rank 16 is 10 places below the overall rank 6"
    at.multiselect(key="weak_departments").set_value([]).run()
    at.multiselect(key="weak_labels").set_value(["strength"]).run()
    table = at.dataframe[0].value
    assert list(table["Component"]) == ["R&D"] and table.iloc[0]["Label"] == "strength"
    at.multiselect(key="weak_areas").set_value(["economy"]).run()
    assert t("ui.weak.no_match", "en") in texts(at)


def test_weak_points_what_if_says_what_is_missing(read_mini_warehouse):
    # No estimate is computable in the mini warehouse: no table of dashes, one sentence saying what would make one.
    at = run(WEAK, "ko", table=True)
    assert len(at.dataframe) == 1, "only the weakness table; no what-if table"
    assert t("ui.weak.what_if_none", "ko", target=5, city="서울") in [i.value for i in at.info]


def test_weak_points_what_if_shows_an_estimate_where_the_figures_exist(mini, tmp_path, monkeypatch):
    # Hand-made test data: a weight for livability and scores for Seoul and the city ranked 5th.
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["series"]["mori_gpci"]["components"][2]["weight"] = 0.2
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    comp = mini.parent / "data" / "raw" / "rankings" / "mori_gpci__components.csv"
    text = comp.read_text(encoding="utf-8")
    seoul = "2025,Seoul,livability,25,,"
    assert seoul in text
    text = text.replace(seoul, "2025,Seoul,livability,25,40,") + f"2025,Tokyo,livability,5,60,{HAND_MADE}\n"
    comp.write_text(text, encoding="utf-8")
    path = tmp_path / "what_if.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    at = run(WEAK, "ko")
    what_if = at.dataframe[0].value.set_index("구성요소")
    assert what_if.at["거주", "종합 점수 변화 (추정치)"] == "+4점 (추정치)"  # 0.2 x (60 - 40)
    assert pd.isna(what_if.at["거주", "계산할 수 없는 이유"])
    assert what_if.at["경제", "계산할 수 없는 이유"] == "계산 불가, 없는 수치: 공표된 가중치, 초점 도시 점수, 5위 도시 점수"
    en = run(WEAK, "en").dataframe[0].value.set_index("Component")
    assert en.at["Livability", "Overall score change (estimate)"] == "+4 (estimate)"


def test_goal_page_shows_a_status_for_every_series(mini, tmp_path, monkeypatch):
    # Two ranked GPCI editions are a trend once the catalogue asks for two (min_trend_editions: 2).
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["analysis"]["goal"] = {"min_trend_editions": 2}
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    path = tmp_path / "two.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    at = run(GOAL, "ko")
    table = at.dataframe[0].value
    assert list(table["지수"]) == ["GPCI", "GFCI"]
    gpci, gfci = table.iloc[0], table.iloc[1]
    # GPCI: 6th in 2024 and 2025, flat: projected 6th (range 6 to 6), one place out: off course, the gap beside it.
    assert gpci["현재 위치"] == "6위 (2025)" and gpci["남은 거리"] == "1계단" and gpci["2030년 예상 순위"] == "6위"
    assert gpci["상태"] == t("goal.off_course", "ko") and gpci["추세"] == t("ui.goal.trend_flat", "ko")
    assert gpci["예상 격차 / 이유"] == t("goal.projected_gap", "ko", n=1)
    assert gpci["역대 최고"] == "6위 (2024에 처음, 2025에 다시)", "best ever names the first edition that reached it"
    # GFCI: one ranked edition (10th in GFCI 38): too few for a trend: unknown, with the reason.
    assert gfci["현재 위치"] == "10위 (GFCI 38)" and gfci["추세"] == t("ui.goal.no_trend", "ko")
    assert gfci["상태"] == t("goal.unknown", "ko") and gfci["2030년 예상 순위"] == "—"
    assert gfci["예상 격차 / 이유"] == t("goal.reason.few_editions", "ko", n=1, min=2)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[t("goal.off_course", "ko")] == "1 / 2개 지수"
    body = texts(at)
    assert ":red-badge[이탈]" in body and ":gray-badge[판단 불가]" in body

    chart = svg_charts(at)["goal_mori_gpci"]
    y_ticks = {int(e.get("data-value")): float(e.get("y")) for e in marks(chart, "y-tick")}
    assert y_ticks[1] < y_ticks[max(y_ticks)], "rank 1 on top"
    years = [e.get("data-value") for e in marks(chart, "x-tick")]
    assert all(y.isdigit() for y in years) and years[-1] == "2030", "whole years, ending at the goal year"
    (band,) = marks(chart, "goal-band")
    assert (band.get("data-from"), band.get("data-to")) == ("1", "5"), "the goal band covers ranks 1 to 5"
    (trend,) = marks(chart, "trend")
    assert (trend.get("data-from-rank"), trend.get("data-rank"), trend.get("data-year")) == ("6", "6", "2030")
    assert [(e.get("data-edition"), e.get("data-rank")) for e in marks(chart, "rank")] == [("2024", "6"), ("2025", "6")]
    assert not marks(chart, "range"), "no range where the projection is one rank"
    assert not at.get("plotly_chart"), "the goal page draws SVG only: no Plotly bundle to load"


def test_goal_page_says_why_the_status_is_unknown(mini, tmp_path, monkeypatch):
    ledger = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    text = ledger.read_text(encoding="utf-8")
    ranked = "GFCI 38,Seoul,South Korea,10,749,ranked,"
    assert ranked in text
    ledger.write_text(text.replace(ranked, "GFCI 38,Seoul,South Korea,,,outside_list,"), encoding="utf-8")
    path = tmp_path / "unranked.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    at = run(GOAL, "en")
    table = at.dataframe[0].value.set_index("Series")
    assert table.at["GFCI", "Status"] == t("goal.unknown", "en")
    assert table.at["GFCI", "Where it is"] == t("ui.goal.never_ranked", "en")
    assert table.at["GFCI", "Projected rank in 2030"] == "—"
    assert table.at["GFCI", "Projected gap / reason"] == t("goal.reason.no_rank", "en")
    gfci = svg_charts(at)["goal_zyen_gfci"]
    assert len(marks(gfci, "no-rank")) == 2, "both GFCI editions are marked as without a rank"
    assert not marks(gfci, "rank") and not marks(gfci, "trend")


# --- chart functions -------------------------------------------------------------------------------

def test_year_ticks_are_whole_years_ending_at_the_goal_year():
    for first in (2008, 2013, 2019, 2024, 2029):
        ticks = charts.year_ticks(first, 2030)
        assert all(isinstance(y, int) for y in ticks) and ticks[-1] == 2030
        assert len(ticks) <= 9 and ticks == sorted(set(ticks))


def test_heatmap_hatches_cells_without_data_and_frames_weaknesses():
    rows = pd.DataFrame([
        {"component": "A", "component_ko": "가", "component_seq": 1, "edition": "2024", "edition_order": 1,
         "label": "weakness", "reason_ko": "이유", "reason_en": "why", "component_rank": 30, "overall_rank": 6},
        {"component": "A", "component_ko": "가", "component_seq": 1, "edition": "2025", "edition_order": 2,
         "label": "no_data", "reason_ko": "자료 없음", "reason_en": "no data", "component_rank": None, "overall_rank": 6},
        {"component": "B", "component_ko": "나", "component_seq": 2, "edition": "2025", "edition_order": 2,
         "label": "strength", "reason_ko": "이유", "reason_en": "why", "component_rank": 1, "overall_rank": 6},
    ])
    chart = svg_charts_module.weakness_grid_svg(rows, "en", key="w")
    root = ET.fromstring(chart)
    frames = marks(root, "weakness")
    assert [(f.get("data-row"), f.get("data-edition")) for f in frames] == [("A", "2024")]
    (grey,) = marks(root, "no-data")
    assert (grey.get("data-row"), grey.get("data-edition")) == ("A", "2025"), "only the cell without data is grey"
    assert grey.get("fill") == charts.NO_DATA_COLOUR
    lines = [e for e in root.iter("{http://www.w3.org/2000/svg}line") if e.get("stroke") == charts.HATCH_COLOUR]
    assert len(lines) == 3, "hatched with three strokes"
    cells = {(e.get("data-row"), e.get("data-edition")): e for e in marks(root, "cell")}
    assert set(cells) == {("A", "2024"), ("B", "2025")}, "a cell the view has no row for is left blank"
    assert cells[("B", "2025")].get("fill") == charts.RANK_SCALE[-1][1], "rank 1 at the deep end of the scale"
    assert cells[("A", "2024")].get("fill") == charts.RANK_SCALE[0][1], "the worst at the pale end"
    assert [e.text for e in marks(root, "cell-text")] == ["#30", "#1"]
    hovers = [e.text for e in root.iter("{http://www.w3.org/2000/svg}title")][1:]
    assert hovers[1] == f"A · 2025\n{t('label.no_data', 'en')}\nno data"
    assert hovers[0].startswith(f"A · 2024\n{t('label.weakness', 'en')}\nwhy\n")


def test_goal_page_does_not_project_ranks_too_old_to_judge(mini, tmp_path, monkeypatch):
    # Hand-made test data: the mini GPCI editions moved back to 2018 and 2019, so the newest rank is six
    # years older than the 2025 GFCI editions: status unknown, nothing projected.
    raw = mini.parent / "data" / "raw" / "rankings"
    for name in ("mori_gpci.csv", "mori_gpci__components.csv", "editions.csv"):
        text = (raw / name).read_text(encoding="utf-8")
        text = re.sub(r"^(mori_gpci,)?2024,(2024-12,2024)?", lambda m: (m[1] or "") + "2018," + ("2018-12,2018" if m[2] else ""),
                      text, flags=re.M)
        text = re.sub(r"^(mori_gpci,)?2025,(2025-12,2025)?", lambda m: (m[1] or "") + "2019," + ("2019-12,2019" if m[2] else ""),
                      text, flags=re.M)
        (raw / name).write_text(text, encoding="utf-8")
    path = tmp_path / "stale.duckdb"
    build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))

    at = run(GOAL, "ko")
    table = at.dataframe[0].value.set_index("지수")
    assert table.at["GPCI", "상태"] == t("goal.unknown", "ko")
    assert table.at["GPCI", "현재 위치"] == "6위 (2019)" and table.at["GPCI", "2030년 예상 순위"] == "—"
    # measured to the mini catalogue's as_of (2026-01-15): no GPCI edition since 2019-12, over twice its cadence
    assert table.at["GPCI", "예상 격차 / 이유"] == t("goal.reason.discontinued", "ko", month="2019-12", cadence=12)
    assert table.at["GPCI", "남은 판 수"] == t("goal.discontinued", "ko", month="2019-12")
    chart = svg_charts(at)["goal_mori_gpci"]
    assert marks(chart, "rank") and not marks(chart, "trend"), "no trend line toward 2030"


@pytest.mark.parametrize(("worst", "expected"), [
    (6, [1, 2, 3, 4, 5, 6]),
    (13, [1, 5, 10]),
    (45, [1, 10, 20, 30, 40]),  # Kearney GCO: 2nd and 10th read against a tick (issue 12; was 5, 20, 30, 40)
    (58, [1, 10, 20, 30, 40, 50]),
    (84, [1, 10, 20, 40, 60, 80]),
])
def test_goal_rank_ticks_keep_one_and_ten_and_stay_sparse(worst, expected):
    assert charts.goal_rank_ticks(worst, 5) == expected


def test_weak_points_draws_only_the_open_tabs_heat_map(real_warehouse: Path, monkeypatch):
    # a heat map with a label in every cell is the page's heaviest drawing: the hidden tabs wait until chosen.
    # The real catalogue (its warehouse built once per run, conftest.real_warehouse; the page only reads it): the
    # mini one has weaknesses in one series only, so it has no tabs.
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(real_warehouse))
    at = run(WEAK, "ko")
    heat = lambda: sorted(k for k in svg_charts(at) if k.startswith("heat_"))  # noqa: E731
    assert len(at.tabs) >= 2, "the mini warehouse has weaknesses in two series"
    first, second = at.tabs[0].label, at.tabs[1].label
    assert len(heat()) == 1
    drawn = heat()[0]
    # The same run's peers chart (an AppTest run of its own would cost a second of CPU): the first component listed,
    # drawn as SVG twice, for a wide screen and for a phone, each dot a peer or the focus city with a rank.
    drawings = [ET.fromstring(m.value)[0] for m in at.markdown if m.value.startswith("<div><svg")]
    peers = [d for d in drawings if d.get("data-chart") == "weak_peers"]
    assert [d.get("viewBox").split()[2] for d in peers] == [f"{WIDE:.1f}", f"{PHONE_WIDTH:.1f}"]
    cities = {d.get("data-city"): d.get("data-focus") for d in marks(peers[0], "rank")}
    assert cities.get("Seoul") == "true" and len(cities) >= 2
    assert set(cities) <= {"Seoul", *catalogue.load(ROOT / "indicators.yml").peer_cities}
    assert any(m.value.startswith("**") and "년 판 순위" in m.value for m in at.markdown), "the chart's title"
    assert not plotly_specs(at).get("weak_peers"), "no Plotly figure for the peers"
    # The component chooser lists as the list below does (an old edition never above a current one, marked so) and
    # marks each component without peer figures; it opens on the first that has them, the one drawn above.
    box = at.selectbox(key="weak_peer_component")
    old = re.compile(re.escape(t("signal.old_edition", "ko", year=1999)).replace("1999", r"\d{4}"))
    stale = [bool(old.search(option)) for option in box.options]
    assert stale == sorted(stale) and any(stale) and not all(stale), box.options
    none = t("ui.weak.choice_no_peers", "ko")
    first = next(i for i, option in enumerate(box.options) if none not in option)
    assert box.index == first and first > 0, ("the real ledger's most severe current weak points have no peer figures", box.options)
    # an option marked so has no peer figures indeed: chosen, it draws no chart and says why
    keys = list(box.format_func.__self__)  # the page's choices (format_func is their mapping's get)
    assert [box.format_func(k) for k in keys] == box.options
    at.selectbox(key="weak_peer_component").set_value(keys[0])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert none in at.selectbox(key="weak_peer_component").options[0]
    assert t("ui.weak.peers_none", "ko", city="서울") in [i.value for i in at.info]
    assert "weak_peers" not in svg_charts(at)
    at.session_state["weak_heat_tab"] = second
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(heat()) == 1 and heat()[0] != drawn, f"{second}: its own heat map, not {first}'s"
