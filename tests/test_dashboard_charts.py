"""The dashboard's chart functions: pure frames in, SVG drawings out."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from dashboard import charts, svg_charts
from dashboard.markdown import escape, link
from dashboard.text import t
from pipelines.reports.render import text_width
from tests.page_reading import marks

URL = "https://example.org/gci-{}"


@pytest.fixture
def editions() -> pd.DataFrame:
    # Deliberately out of order, with year-like labels: the axis must follow edition_order, as categories.
    return pd.DataFrame({
        "index_id": ["gci"] * 4,
        "edition": ["2022", "2020", "2023", "2021"],
        "edition_order": [3, 1, 4, 2],
        "methodology_change": [None, None, "new metrics added", None],
    })


@pytest.fixture
def rows() -> pd.DataFrame:
    data = [
        # city, city_ko, edition, rank, score, status, publication
        ("Seoul", "서울", "2020", 12, 55.5, "ranked", "Newsis"),
        ("Seoul", "서울", "2021", None, None, "not_found", None),
        ("Seoul", "서울", "2022", 9, 60.25, "ranked", "Yonhap"),
        ("Seoul", "서울", "2023", 7, 61.0, "ranked", "Yonhap"),
        ("Tokyo", "도쿄", "2020", 4, 70.0, "ranked", "Kearney"),
        ("Tokyo", "도쿄", "2021", 3, 71.0, "ranked", "Kearney"),
        ("Tokyo", "도쿄", "2022", 3, 72.0, "ranked", "Kearney"),
        ("Tokyo", "도쿄", "2023", 2, 73.0, "ranked", "Kearney"),
        ("London", "런던", "2020", 1, None, "ranked", "Kearney"),
        ("London", "런던", "2023", 1, None, "ranked", "Kearney"),
    ]
    frame = pd.DataFrame(data, columns=["city", "city_ko", "edition", "rank", "score", "status", "publication"])
    frame["rank"] = frame["rank"].astype("Int64")
    frame["source_url"] = [URL.format(i) for i in range(len(frame))]
    frame["edition_order"] = frame["edition"].map({"2020": 1, "2021": 2, "2022": 3, "2023": 4})
    frame["note"] = ["", "no figure found", "", "", "", "", "", "", "", ""]
    return frame


SVG = "{http://www.w3.org/2000/svg}"


def bump(rows, editions, lang, cities, **kw) -> ET.Element:
    return ET.fromstring(svg_charts.bump_svg(rows, editions, "Seoul", lang, cities, **kw))


def dots_of(chart: ET.Element, city: str) -> list[ET.Element]:
    return [d for d in marks(chart, "rank") if d.get("data-city") == city]


def test_bump_chart_puts_rank_one_on_top_with_whole_number_ticks(rows, editions):
    chart = bump(rows, editions, "ko", ["Seoul", "Tokyo", "London"])
    ticks = [e.get("data-value") for e in marks(chart, "y-tick")]
    assert ticks[0] == "1" and all(v.isdigit() for v in ticks)
    assert max(int(v) for v in ticks) <= 12 and "12" in ticks
    ys = {d.get("data-rank"): float(d.get("cy")) for d in marks(chart, "rank")}
    assert ys["1"] < ys["7"] < ys["12"], "rank 1 on top"


def test_bump_chart_x_axis_is_editions_as_categories_in_edition_order(rows, editions):
    chart = bump(rows, editions, "en", ["Seoul", "Tokyo"])
    assert [e.text for e in marks(chart, "x-tick")] == ["2020", "2021", "2022", "2023"], "never 2,020.5"
    seoul = dots_of(chart, "Seoul")
    # An edition without a rank is a gap, never a made-up position.
    assert [(d.get("data-edition"), d.get("data-rank")) for d in seoul] == [("2020", "12"), ("2022", "9"), ("2023", "7")]
    xs = [float(d.get("cx")) for d in dots_of(chart, "Tokyo")]
    assert xs == sorted(xs) and len(set(xs)) == 4
    (line,) = [e for e in marks(chart, "line") if e.get("data-city") == "Seoul"]
    assert len(line.get("points").split()) == 2, "the line breaks at the gap: 2022-2023 only"
    (bridge,) = marks(chart, "bridge")
    assert len(bridge.get("points").split()) == 3, "the focus city's faint bridge joins over it"


def test_bump_chart_highlights_the_focus_city(rows, editions):
    chart = bump(rows, editions, "ko", ["Tokyo", "Seoul", "London"])
    width = {e.get("data-city"): (e.get("stroke"), float(e.get("stroke-width"))) for e in marks(chart, "line")}
    assert width["Seoul"][0] == charts.FOCUS_COLOUR
    assert width["Seoul"][1] > width["Tokyo"][1]
    assert charts.FOCUS_COLOUR not in (width["Tokyo"][0], dots_of(chart, "London")[0].get("fill"))
    assert width["Tokyo"][0] != dots_of(chart, "London")[0].get("fill")
    assert float(dots_of(chart, "Seoul")[0].get("r")) > float(dots_of(chart, "Tokyo")[0].get("r"))
    assert marks(chart, "rank")[-1].get("data-city") == "Seoul", "the focus city is drawn last, on top of the peers"
    assert [e.text for e in marks(chart, "legend")] == ["서울", "런던", "도쿄"], "the focus city first in the legend"


def test_bump_chart_hover_shows_rank_score_status_and_source(rows, editions):
    hover = lambda chart: dots_of(chart, "Seoul")[1].find(f"{SVG}title").text  # noqa: E731
    ko = hover(bump(rows, editions, "ko", ["Seoul"]))
    assert "9위" in ko and "60.25" in ko
    assert t("status.ranked", "ko") in ko and "Yonhap" in ko
    assert "#9" in hover(bump(rows, editions, "en", ["Seoul"]))


def test_bump_chart_points_open_their_web_source_and_nothing_else(rows, editions):
    rows = rows.assign(source_url=None)
    rows.loc[(rows["city"] == "Seoul") & (rows["edition"] == "2020"), "source_url"] = "https://news.example.org/a?x=1&y=(2)"
    rows.loc[(rows["city"] == "Seoul") & (rows["edition"] == "2022"), "source_url"] = "javascript:alert(1)"
    rows.loc[(rows["city"] == "Seoul") & (rows["edition"] == "2023"), "source_url"] = "data/raw/rankings/x.csv"
    made = svg_charts.bump_svg(rows, editions, "Seoul", "ko", ["Seoul"])
    links = [e for e in ET.fromstring(made).iter(f"{SVG}a")]
    assert [(a.get("href"), a.get("target"), a[0].get("data-edition")) for a in links] == [
        ("https://news.example.org/a?x=1&y=(2)", "_blank", "2020")], "a web source only, in a new tab"
    assert "javascript" not in made.split("<title>")[0] and 'href="javascript' not in made


def test_bump_chart_marks_methodology_changes_and_unranked_focus_editions(rows, editions):
    chart = bump(rows, editions, "ko", ["Seoul", "Tokyo"])
    (change,) = marks(chart, "change")
    assert change.get("data-edition") == "2023" and "new metrics added" in change.find(f"{SVG}title").text
    (gap,) = marks(chart, "no-rank")
    assert gap.get("data-edition") == "2021"
    hover = "".join(gap.itertext())
    assert t("status.not_found", "ko") in hover and "no figure found" in hover
    (guide,) = marks(chart, "change-guide")
    (tick,) = [e for e in marks(chart, "x-tick") if e.text == "2023"]
    assert float(guide.get("x1")) == float(tick.get("x")), "a vertical guide at the changed edition"
    assert [e.text for e in marks(chart, "lane")] == [t("ui.chart.lane_change", "ko"),
                                                     t("ui.chart.lane_no_rank", "ko", city="서울")]


def test_bump_chart_without_changes_or_gaps_has_no_strip(rows, editions):
    calm = editions.assign(methodology_change=None)
    chart = bump(rows[rows["city"] == "Tokyo"], calm, "en", ["Tokyo"])
    assert not marks(chart, "lane") and not marks(chart, "change") and not marks(chart, "no-rank")


def test_bump_chart_labels_follow_the_language(rows, editions):
    texts = lambda chart: {e.text for e in chart.iter(f"{SVG}text")}  # noqa: E731
    assert {"순위", "판"} <= texts(bump(rows, editions, "ko", ["Seoul"]))
    assert {"Rank", "Edition"} <= texts(bump(rows, editions, "en", ["Seoul"]))


@pytest.mark.parametrize(("max_rank", "expected"), [
    (1, [1]), (6, [1, 2, 3, 4, 5, 6]), (20, [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]), (53, [1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50]),
])
def test_rank_ticks_are_whole_numbers_from_one(max_rank, expected):
    assert charts.rank_ticks(max_rank) == expected


def test_score_chart_draws_only_cities_with_scores(rows, editions):
    chart = ET.fromstring(svg_charts.scores_svg(rows, editions, "Seoul", "en", ["Seoul", "Tokyo", "London"], unit="points"))
    assert [e.get("data-city") for e in marks(chart, "line")] == ["Tokyo", "Seoul"], "London has no score; Seoul last"
    assert [e.text for e in marks(chart, "legend")] == ["Seoul", "Tokyo"], "the focus city first in the legend"
    assert [e.text for e in marks(chart, "x-tick")] == ["2020", "2021", "2022", "2023"], \
        "editions as categories in edition order (never 2,020.5)"
    seoul = [(d.get("data-edition"), float(d.get("data-score"))) for d in marks(chart, "score")
             if d.get("data-city") == "Seoul"]
    assert seoul == [("2020", 55.5), ("2022", 60.25), ("2023", 61.0)], "no point where there is no score"
    (line,) = [e for e in marks(chart, "line") if e.get("data-city") == "Seoul"]
    assert line.get("stroke") == charts.FOCUS_COLOUR and len(line.get("points").split()) == 3, "the gap joined"
    assert float(line.get("stroke-width")) > float(marks(chart, "line")[0].get("stroke-width")), "the focus city thick"
    ys = {float(d.get("data-score")): float(d.get("cy")) for d in marks(chart, "score")}
    assert ys[73.0] < ys[55.5], "a higher score sits higher"
    assert "points" in " ".join(e.text or "" for e in chart.iter("{http://www.w3.org/2000/svg}text"))
    hover = [d for d in marks(chart, "score") if d.get("data-edition") == "2022" and d.get("data-city") == "Seoul"][0]
    assert hover.find("{http://www.w3.org/2000/svg}title").text.split("\n")[:3] == ["Seoul · 2022", "Rank: #9",
                                                                                     "Score: 60.25 points"]


def test_score_chart_reverses_the_axis_when_lower_is_better(rows, editions):
    chart = ET.fromstring(svg_charts.scores_svg(rows, editions, "Seoul", "en", ["Seoul"], higher_is_better=False))
    ys = {float(d.get("data-score")): float(d.get("cy")) for d in marks(chart, "score")}
    assert ys[55.5] < ys[61.0], "lower is better: the lower score on top"
    ticks = [float(e.get("data-value")) for e in marks(chart, "y-tick")]
    tops = [float(e.get("y")) for e in marks(chart, "y-tick")]
    assert tops[ticks.index(min(ticks))] < tops[ticks.index(max(ticks))]


def test_edition_score_chart_compares_cities_within_one_edition(rows):
    chart = ET.fromstring(svg_charts.edition_scores_svg(rows, "2022", "Seoul", "ko", unit="점"))
    bars = marks(chart, "bar")
    assert [(b.get("data-city"), float(b.get("data-score"))) for b in bars] == [("Tokyo", 72.0), ("Seoul", 60.25)], \
        "the best score on top"
    assert [e.text for e in marks(chart, "y-tick")] == ["도쿄", "서울"]
    assert float(bars[0].get("y")) < float(bars[1].get("y"))
    assert float(bars[0].get("width")) > float(bars[1].get("width")) > 0, "longer for a higher score, from zero"
    assert float(bars[0].get("x")) == float(bars[1].get("x"))
    assert bars[1].get("fill") == charts.FOCUS_COLOUR and bars[0].get("fill") != charts.FOCUS_COLOUR
    assert [e.get("font-weight") for e in marks(chart, "y-tick")] == [None, "bold"], "the focus city's name bold"
    assert [e.text for e in marks(chart, "value")] == ["72", "60.25"], "each score printed after its bar"
    hover = bars[1].find("{http://www.w3.org/2000/svg}title").text.split("\n")
    assert hover[:3] == ["서울 · 2022", "순위: 9위", "점수: 60.25 점"] and "Yonhap" in "\n".join(hover)
    assert "2022" in marks(chart, "title")[0].text and chart.get("aria-label") == marks(chart, "title")[0].text
    ticks = [float(e.get("data-value")) for e in marks(chart, "x-tick")]
    assert ticks[0] == 0 and ticks[-1] >= 72, "the score axis from zero past the best score"
    assert "점수 (점)" in [e.text for e in chart.iter("{http://www.w3.org/2000/svg}text")]
    phone = ET.fromstring(svg_charts.edition_scores_svg(rows, "2022", "Seoul", "en", width=svg_charts.PHONE_WIDTH))
    assert all(float(b.get("x")) + float(b.get("width")) < svg_charts.PHONE_WIDTH - 20 for b in marks(phone, "bar")), \
        "room for the printed score after the longest bar"


def test_sparkline_is_small_reversed_and_keeps_gaps_as_gaps(rows):
    seoul = rows[rows["city"] == "Seoul"]
    chart = ET.fromstring(svg_charts.sparkline_svg(seoul, "ko", key="s"))
    assert float(chart.get("viewBox").split()[3]) <= 100, "small"
    dots = marks(chart, "rank")
    assert [(d.get("data-edition"), d.get("data-rank")) for d in dots] == [("2020", "12"), ("2022", "9"), ("2023", "7")]
    assert float(dots[-1].get("cy")) < float(dots[0].get("cy")), "rank 1 on top: 7th above 12th"
    assert float(dots[-1].get("r")) > float(dots[0].get("r")), "the latest rank is marked"
    (gap,) = marks(chart, "no-rank")
    assert gap.get("data-edition") == "2021" and t("status.not_found", "ko") in "".join(gap.itertext())
    line = chart.find("{http://www.w3.org/2000/svg}polyline")
    assert len(line.get("points").split()) == 3, "the gap is joined over, never drawn as a rank"


def grid(chart: ET.Element) -> dict[tuple[str, str], dict]:
    """A rank grid's cells by (row, edition): its role, rank, fill, drawn text and hover."""
    cells = {}
    for g in chart.iter(f"{SVG}g"):
        rect = next((e for e in g if e.get("data-role") in ("cell", "no-data")), None)
        if rect is None:
            continue
        text = next((e for e in g if e.get("data-role") == "cell-text"), None)
        title = g.find(f"{SVG}title")
        cells[(rect.get("data-row"), rect.get("data-edition"))] = {
            "role": rect.get("data-role"), "rank": rect.get("data-rank"), "fill": rect.get("fill"),
            "text": None if text is None else text.text, "hover": None if title is None else title.text,
            "framed": any(e.get("data-role") == "weakness" for e in g),
            "hatched": len(g.findall(f"{SVG}line")) == 3}
    return cells


def test_component_chart_grid_of_ranks_in_the_chosen_language():
    comp = pd.DataFrame({
        "edition": ["2024", "2024", "2025", "2025"],
        "edition_order": [1, 1, 2, 2],
        "component": ["Economy", "R&D", "Economy", "R&D"],
        "component_ko": ["경제", "연구·개발", "경제", "연구·개발"],
        "component_seq": [1, 2, 1, 2],
        "rank": pd.array([19, 5, 16, None], dtype="Int64"),
        "score": [None, None, None, 88.5],
    })
    eds = pd.DataFrame({"edition": ["2025", "2024"], "edition_order": [2, 1], "methodology_change": [None, None]})
    chart = ET.fromstring(svg_charts.component_grid_svg(comp, eds, "ko", key="c"))
    assert [e.text for e in marks(chart, "x-tick")] == ["2024", "2025"], "editions in publication order"
    names = marks(chart, "y-tick")
    assert [e.get("data-name") for e in names] == ["경제", "연구·개발"], "the first component on top"
    assert float(names[0].get("y")) < float(names[1].get("y"))
    cells = grid(chart)
    # the one rank scale of every grid: rank 1 (best) deepest, the worst rank shown palest
    fill = lambda r: svg_charts.rank_fill(charts.rank_colour_value(r, 19))  # noqa: E731
    assert {k: (c["rank"], c["fill"], c["text"]) for k, c in cells.items() if c["rank"]} == {
        ("경제", "2024"): ("19", fill(19), "19위"), ("경제", "2025"): ("16", fill(16), "16위"),
        ("연구·개발", "2024"): ("5", fill(5), "5위")}
    assert fill(19) == charts.RANK_SCALE[0][1] and fill(1) == charts.RANK_SCALE[-1][1]
    score_only = cells[("연구·개발", "2025")]
    assert score_only["rank"] is None and score_only["text"] == "점수 88.5", "a score-only cell still says what it holds"
    assert score_only["fill"] == "white" and not score_only["hatched"]
    assert score_only["hover"] == "연구·개발 · 2025\n순위: 없음\n점수: 88.5"
    assert cells[("경제", "2024")]["hover"] == "경제 · 2024\n순위: 19위"
    english = ET.fromstring(svg_charts.component_grid_svg(comp, eds, "en"))
    assert [e.get("data-name") for e in marks(english, "y-tick")] == ["Economy", "R&D"]
    assert [e.get("data-rank") for e in marks(english, "scale")] == ["1", "2", "3", "5", "10"], \
        "the legend: rank 1 first, round ranks up to the worst shown"


def test_component_chart_with_scores_only_still_labels_every_cell():
    comp = pd.DataFrame({
        "edition": ["2015", "2015"], "edition_order": [1, 1], "component": ["Stability", "Education"],
        "component_ko": ["안정성", "교육"], "component_seq": [1, 2],
        "rank": pd.array([None, None], dtype="Int64"), "score": [75.0, 100.0],
    })
    eds = pd.DataFrame({"edition": ["2015"], "edition_order": [1], "methodology_change": [None]})
    chart = ET.fromstring(svg_charts.component_grid_svg(comp, eds, "en"))
    assert [c["text"] for c in grid(chart).values()] == ["score 75", "score 100"]
    assert not marks(chart, "scale"), "no rank colour legend when there are no ranks"


def test_a_rank_grid_fits_a_phone_shrinking_cell_text_instead_of_clipping_it():
    editions = [f"GSER {y}" for y in range(2015, 2026)]
    names = ["Funding Quality & Activity", "R&D"]
    cells = {(n, e): svg_charts.GridCell(r, f"{r}위", f"{r}위", frame=r > 15) for n in names
             for e, r in zip(editions, range(10, 10 + len(editions)))}
    for width in (svg_charts.PHONE_WIDTH, svg_charts.WIDE):
        chart = ET.fromstring(svg_charts.rank_grid_svg(names, editions, cells, 110, "ko", key="g", label="l",
                                                       width=width))
        texts = marks(chart, "cell-text")
        assert len(texts) == 2 * len(editions), "every rank keeps its label"
        for text in texts:  # the label's estimated width inside its room (inside the red frame where framed)
            assert float(text.get("font-size")) * svg_charts.text_width(text.text, 1) <= float(text.get("data-room")) + 0.01
        if width == svg_charts.PHONE_WIDTH:
            assert float(texts[0].get("font-size")) < svg_charts.CELL_FONT, "shrunk on a phone"
            assert all("rotate(-45)" in e.get("transform", "") for e in marks(chart, "x-tick")), "long editions turned"
        else:
            assert float(texts[0].get("font-size")) == svg_charts.CELL_FONT
        assert max(float(r.get("x")) + float(r.get("width")) for r in chart.iter(f"{SVG}rect")) <= width
        lines = [e.text for e in marks(chart, "y-tick")[0].iter(f"{SVG}tspan")]
        assert lines == (["Funding Quality &", "Activity"] if width == svg_charts.PHONE_WIDTH else [names[0]]), \
            "a long name in two lines where its column is narrow"
    # a cell too narrow even for the smallest text keeps its rank in its hover
    many = [f"{e} ({k})" for e in editions for k in (1, 2)]
    tight = ET.fromstring(svg_charts.rank_grid_svg(names, many, {
        (n, e): svg_charts.GridCell(150, "150위", "150위") for n in names for e in many}, 150, "ko",
        key="g", label="l", width=svg_charts.PHONE_WIDTH))
    assert not marks(tight, "cell-text") and {c["hover"] for c in grid(tight).values()} == {"150위"}
    assert len(grid(tight)) == 2 * len(many)


def test_format_number_drops_trailing_zeros():
    assert charts.format_number(1288.10) == "1,288.1"
    assert charts.format_number(749.0) == "749"
    assert charts.format_number(float("nan")) == ""


def test_markdown_escape_keeps_ledger_text_literal():
    assert escape("약 200~320점") == "약 200\\~320점"
    assert escape("$5 *x*") == "\\$5 \\*x\\*"
    assert escape(None) == "" and escape(float("nan")) == ""
    # a bidirectional override, a zero-width space, a terminal's escape: shown as their escapes, read literally
    assert escape("GPCI\u202e 5\u200b\x1b[2J") == "GPCI\\\\u202e 5\\\\u200b\\\\x1b\\[2J"
    assert escape("첫 줄\n둘째 줄\t끝") == "첫 줄\n둘째 줄\t끝"
    assert link("출처", "https://a.org/x_(y)") == "[출처](https://a.org/x_%28y%29)"


def test_a_links_brackets_cannot_end_the_small_type_it_stands_in():
    """The overview writes a cell's note as ":small[:gray[...]]": a bracket in a source URL's path, query or fragment
    is percent-encoded, so it cannot end the directive early; an IPv6 host keeps its brackets (they are the host)."""
    assert link("L", "https://a.org/x[1]?q=[2]#f[3]") == "[L](https://a.org/x%5B1%5D?q=%5B2%5D#f%5B3%5D)"
    assert link("L", "http://[::1]:8080/p[1]") == "[L](http://[::1]:8080/p%5B1%5D)"
    assert link("[출처]", "https://a.org") == "[\\[출처\\]](https://a.org)"
    assert "]" not in link("L", "https://a.org/]]]:red[x]").split("](", 1)[1][:-1]


def test_both_heat_maps_share_one_rank_scale_and_orientation():
    """Issue 12: the trends grid and the weak-points map use the same colours, the same log scale and rank 1 first in
    the legend (one was linear with the worst rank on top); both are one function (svg_charts.rank_grid_svg)."""
    comp = pd.DataFrame({
        "edition": ["2024", "2024"], "edition_order": [1, 1], "component": ["Economy", "R&D"],
        "component_ko": ["경제", "연구·개발"], "component_seq": [1, 2],
        "rank": pd.array([1, 35], dtype="Int64"), "score": [None, None],
    })
    eds = pd.DataFrame({"edition": ["2024"], "edition_order": [1], "methodology_change": [None]})
    weak = pd.DataFrame([
        {"component": c, "component_ko": k, "component_seq": i, "edition": "2024", "edition_order": 1,
         "label": "neutral", "reason_ko": "", "reason_en": "", "component_rank": r, "overall_rank": 6}
        for i, (c, k, r) in enumerate((("Economy", "경제", 1), ("R&D", "연구·개발", 35)), start=1)])
    trends = ET.fromstring(svg_charts.component_grid_svg(comp, eds, "ko"))
    weakness = ET.fromstring(svg_charts.weakness_grid_svg(weak, "ko"))
    legend = lambda chart: [(e.get("data-rank"), e.get("fill")) for e in marks(chart, "scale")]  # noqa: E731
    assert legend(trends) == legend(weakness) and legend(trends)[0] == ("1", charts.RANK_SCALE[-1][1]), \
        "rank 1 first in the legend, deepest"
    assert [(k, c["fill"], c["text"]) for k, c in grid(trends).items()] == \
        [(k, c["fill"], c["text"]) for k, c in grid(weakness).items()]
    assert [e.get("data-name") for e in marks(trends, "y-tick")] == [e.get("data-name") for e in marks(weakness, "y-tick")]
    # logarithmic: 1st, 6th and 35th (6 ~ the geometric middle of 1 and 35) evenly apart on the scale
    assert abs(charts.rank_colour_value(6, 35) - 0.5) < 0.01


def test_a_city_keeps_its_colour_whatever_else_is_selected(rows, editions):
    """Issue 12: London was pink with every peer and tan after removing five."""
    peers = ("Tokyo", "Singapore", "Hong Kong", "Beijing", "Shanghai", "London", "New York", "Paris")
    rows = pd.concat([rows[rows["city"] != "London"]]
                     + [rows[rows["city"] == "Tokyo"].assign(city=c, city_ko=c) for c in peers[1:]])

    def colours(chart):
        return {d.get("data-city"): d.get("fill") for d in marks(chart, "rank")}

    everyone = colours(bump(rows, editions, "en", ["Seoul", *peers], peers=peers))
    few = colours(bump(rows, editions, "en", ["Seoul", "London"], peers=peers))
    assert few["London"] == everyone["London"] and few["Seoul"] == everyone["Seoul"] == charts.FOCUS_COLOUR
    assert len({everyone[c] for c in peers}) == len(peers), "every peer its own colour"
    assert charts.FOCUS_COLOUR not in {everyone[c] for c in peers}
    chart = ET.fromstring(svg_charts.scores_svg(rows, editions, "Seoul", "en", ["London", "Tokyo", "Seoul"], peers=peers))
    scores = {e.get("data-city"): e.get("stroke") for e in marks(chart, "line")}
    assert scores["Tokyo"] == everyone["Tokyo"] and scores["Seoul"] == everyone["Seoul"]
    # a city outside the catalogue's peers: a muted colour fixed by its name
    assert charts.city_colour("Zurich", "Seoul", peers) == charts.city_colour("Zurich", "Seoul", peers[:2])
    assert charts.city_colour("Zurich", "Seoul", peers) in charts.OTHER_COLOURS


def test_score_bars_are_coloured_per_city(rows):
    peers = ("London", "Tokyo")
    rows = pd.concat([rows, rows[rows["city"] == "Tokyo"].assign(city="Paris", city_ko="파리", score=50.0)])
    chart = ET.fromstring(svg_charts.edition_scores_svg(rows, "2022", "Seoul", "ko", unit="점", peers=peers))
    by_city = {b.get("data-city"): b.get("fill") for b in marks(chart, "bar")}
    assert by_city["Seoul"] == charts.FOCUS_COLOUR
    assert by_city["Tokyo"] == charts.city_colour("Tokyo", "Seoul", peers) == charts.PEER_COLOURS[1]
    assert by_city["Paris"] in charts.OTHER_COLOURS and len(set(by_city.values())) == 3


def test_sparkline_labels_its_first_and_last_edition(rows):
    seoul = rows[rows["city"] == "Seoul"]
    ends = lambda frame, lang: [e.text for e in marks(ET.fromstring(svg_charts.sparkline_svg(frame, lang)), "x-tick")]  # noqa: E731
    assert ends(seoul, "ko") == ["2020 · 12위", "2023 · 7위"]
    gap_first = seoul[seoul["edition"] != "2020"]
    assert ends(gap_first, "en") == ["2021", "2023 · #7"], "an edition without a rank is named without one"
    long = seoul.assign(edition=[f"Startup Ecosystem Report {e}" for e in seoul["edition"]])
    assert ends(long, "en") == ["2020 · #12", "2023 · #7"], "a long edition name is shortened to its year"


def test_latest_ranks_chart_puts_every_index_on_one_axis_with_the_goal_line():
    overview = pd.DataFrame({
        "index_id": ["gci", "gco", "eiu"], "short_ko": ["GCI", "GCO", "EIU"], "short_en": ["GCI", "GCO", "EIU"],
        "title_ko": ["가", "나", "다"], "title_en": ["A", "B", "C"],
        "latest_edition": ["2025", "2025", "2024"], "latest_status": ["ranked", "ranked", "not_listed"],
        "latest_rank": pd.array([12, 2, None], dtype="Int64"),
        "last_ranked_edition": ["2025", "2025", "2021"], "last_ranked_rank": pd.array([12, 2, 53], dtype="Int64"),
    })
    chart = ET.fromstring(svg_charts.latest_ranks_svg(overview, 5, "ko"))
    dots = marks(chart, "rank")
    assert [(d.get("data-series"), d.get("data-rank")) for d in dots] == [("GCI", "12"), ("GCO", "2"), ("EIU", "53")]
    assert [float(d.get("cy")) for d in dots] == sorted(float(d.get("cy")) for d in dots), "listed top to bottom"
    xs = {d.get("data-rank"): float(d.get("cx")) for d in dots}
    assert xs["2"] < xs["12"] < xs["53"], "rank 1 on the left"
    assert abs((xs["12"] - xs["2"]) / (xs["53"] - xs["12"]) - math.log(6) / math.log(53 / 12)) < 0.01, "a log axis"
    assert [d.get("data-hollow") for d in dots] == ["false", "false", "true"], \
        "an index without a rank in its latest edition: hollow, its last rank"
    texts = [e.text for e in chart.iter("{http://www.w3.org/2000/svg}text")]
    assert {"12위 (2025)", "2위 (2025)", "53위 (2021)", "TOP 5"} <= set(texts)
    (goal,) = marks(chart, "goal")
    assert goal.get("data-value") == "5" and xs["2"] < float(goal.get("x1")) < xs["12"], "the TOP 5 line after 5th"
    assert all(e.get("data-value").isdigit() for e in marks(chart, "x-tick")), "whole ranks on the axis"


def test_peer_dot_chart_ranks_the_focus_city_among_its_peers():
    rows = pd.DataFrame({"city": ["Seoul", "Tokyo", "London", "Paris", "Beijing"],
                         "city_ko": ["서울", "도쿄", "런던", "파리", "베이징"],
                         "rank": pd.array([25, 3, 1, None, 3], dtype="Int64"), "score": [40.5, None, 80.0, None, 61.0]})
    peers = ("Tokyo", "London", "Paris", "Beijing")
    chart = ET.fromstring(svg_charts.peer_dot_svg(rows, "Seoul", "ko", "GPCI · 거주 — 2025년 판 순위", peers, key="p"))
    dots = marks(chart, "rank")
    assert [(d.get("data-city"), d.get("data-rank")) for d in dots] == [
        ("London", "1"), ("Beijing", "3"), ("Tokyo", "3"), ("Seoul", "25")], "best first, ties by name; no rank: left out"
    assert [d.get("fill") for d in dots] == [charts.city_colour(c, "Seoul", peers)
                                             for c in ("London", "Beijing", "Tokyo", "Seoul")], "each city its colour"
    x = [float(d.get("cx")) for d in dots]
    assert x[0] < x[1] == x[2] < x[3], "rank 1 on the left; tied cities at one position, each on its own row"
    assert [d.get("data-tied") for d in dots] == ["false", "true", "true", "false"]
    assert len({d.get("cy") for d in dots}) == 4
    assert float(dots[3].get("r")) > float(dots[0].get("r")) and dots[3].get("data-focus") == "true", \
        "the focus city stands out"
    names = marks(chart, "y-tick")
    assert [e.text for e in names] == ["런던", "베이징", "도쿄", "서울"]
    assert [e.get("font-weight") for e in names] == [None, None, None, "bold"], "the focus city's name in bold"
    titles = [d.find("{http://www.w3.org/2000/svg}title").text for d in dots]
    assert titles[0] == "런던\n순위: 1위\n점수: 80" and titles[3] == "서울\n순위: 25위\n점수: 40.5"
    assert titles[2] == "도쿄\n순위: 3위", "no score: no score line"
    texts = [e.text for e in chart.iter("{http://www.w3.org/2000/svg}text")]
    assert {"1위", "3위", "25위", "구성요소 순위"} <= set(texts), "each dot's rank beside it; the axis named"
    ticks = [e.get("data-value") for e in marks(chart, "x-tick")]
    assert ticks[0] == "1" and all(v.isdigit() for v in ticks), "whole ranks from 1 (never 2,020.5)"
    assert chart.get("aria-label") == "GPCI · 거주 — 2025년 판 순위"
    english = ET.fromstring(svg_charts.peer_dot_svg(rows, "Seoul", "en", "ranks", peers))
    assert [e.text for e in marks(english, "y-tick")][:2] == ["London", "Beijing"]
    assert "Component rank" in [e.text for e in english.iter("{http://www.w3.org/2000/svg}text")]


def test_peer_dot_chart_fits_a_phone_and_keeps_long_names_whole_in_the_hover():
    long = "Very Long City Name of a Publisher That Goes On and On"
    rows = pd.DataFrame({"city": ["Seoul", long], "city_ko": ["서울", None], "rank": pd.array([120, 7], dtype="Int64"),
                         "score": [None, None]})
    for width in (svg_charts.PHONE_WIDTH, svg_charts.WIDE):
        chart = ET.fromstring(svg_charts.peer_dot_svg(rows, "Seoul", "ko", "t", width=width))
        assert chart.get("viewBox").split()[2] == f"{width:.1f}"
        dots = marks(chart, "rank")
        assert all(0 < float(d.get("cx")) < width - 30 for d in dots), "every dot and its rank label inside the drawing"
        name = marks(chart, "y-tick")[0].text
        assert name.endswith("…") and len(name) < len(long), "a long name shortened in its column"
        assert dots[0].find("{http://www.w3.org/2000/svg}title").text.startswith(long), "whole in the hover"
        ticks = [int(e.get("data-value")) for e in marks(chart, "x-tick")]
        assert ticks[0] == 1 and max(ticks) <= 120


def test_indicator_chart_marks_target_and_the_period_due():
    values = pd.DataFrame({"period": ["2022", "2020", "2021"], "value": [3.0, 1.0, 2.0]})
    chart = ET.fromstring(svg_charts.indicator_svg(values, "ko", unit="건", target=10.0, target_label="2030 목표 10 건",
                                                   due_period="2024", due_label="제출할 기간 2024", key="k"))
    points = marks(chart, "value")
    assert [(p.get("data-period"), float(p.get("data-value"))) for p in points] == [("2020", 1.0), ("2021", 2.0), ("2022", 3.0)]
    assert [float(p.get("cy")) for p in points] == sorted((float(p.get("cy")) for p in points), reverse=True), \
        "a larger value sits higher"
    ticks = {e.text: float(e.get("x")) for e in marks(chart, "x-tick")}
    assert list(ticks) == ["2020", "2021", "2022", "2023", "2024"], \
        "whole years on a time axis (never 2,020.5): 2023 keeps its place before the period due"
    (target,) = marks(chart, "target")
    assert float(target.get("data-value")) == 10.0 and float(target.get("y1")) < min(float(p.get("cy")) for p in points)
    (due,) = marks(chart, "due")
    slot = float(due.get("x")), float(due.get("x")) + float(due.get("width"))
    assert due.get("data-period") == "2024" and slot[0] > max(float(p.get("cx")) for p in points)
    assert sum(slot) / 2 == pytest.approx(ticks["2024"], abs=0.1), "the slot at its own year, not next to 2022"
    assert not marks(chart, "gap"), "three years in a row: one line"
    texts = [e.text for e in chart.iter("{http://www.w3.org/2000/svg}text")]
    assert "2030 목표 10 건" in texts and "제출할 기간 2024" in texts
    assert [e.text for e in marks(chart, "unit")] == ["건"], "the unit over the value labels"
    assert not [e for e in chart.iter("{http://www.w3.org/2000/svg}text") if "rotate" in (e.get("transform") or "")], \
        "no text turned on its side (a Hangul unit read sideways)"
    assert "2020: 1 건" in [e.text for e in chart.iter("{http://www.w3.org/2000/svg}title")], "each point's hover text"
    plain = ET.fromstring(svg_charts.indicator_svg(values, "en"))
    assert not marks(plain, "target") and not marks(plain, "due")
    ticks = [float(e.get("data-value")) for e in marks(plain, "y-tick")]
    assert ticks[0] == 0 and ticks[-1] >= 3, "counts read from zero"


@pytest.mark.parametrize("periods, due, between", [
    (["2017", "2018", "2020", "2022"], "2025", ["2019", "2021", "2023", "2024"]),  # Seoul's hotel rooms: no 2021
    (["2024-Q3", "2025-Q1", "2025-Q2"], "2025-Q4", ["2024-Q4", "2025-Q3"]),
    (["2024-11", "2025-01", "2025-02"], None, ["2024-12"]),
])
def test_a_period_without_a_value_keeps_its_place_and_the_line_crosses_it_dashed(periods, due, between):
    values = pd.DataFrame({"period": periods, "value": [float(10 + i) for i in range(len(periods))]})
    chart = ET.fromstring(svg_charts.indicator_svg(values, "ko", unit="실", due_period=due, due_label="제출할 기간",
                                                   width=svg_charts.WIDE))
    ticks = {e.text: float(e.get("x")) for e in marks(chart, "x-tick")}
    axis = sorted(periods + between + ([due] if due else []))
    assert list(ticks) == axis, "every period from the first to the one due, each in its place"
    step = ticks[axis[1]] - ticks[axis[0]]
    assert all(b - a == pytest.approx(step, abs=0.2) for a, b in zip(list(ticks.values()), list(ticks.values())[1:])), \
        "the periods evenly spaced: time, not categories"
    xs = {p.get("data-period"): float(p.get("cx")) for p in marks(chart, "value")}
    assert all(xs[p] == pytest.approx(ticks[p], abs=0.1) for p in periods), "each value over its own period"
    gaps = [(float(g.get("x1")), float(g.get("x2"))) for g in marks(chart, "gap")]
    holes = [(a, b) for a, b in zip(periods, periods[1:]) if axis.index(b) - axis.index(a) > 1]
    assert gaps == [pytest.approx((xs[a], xs[b]), abs=0.1) for a, b in holes], "dashed across each missing period"
    assert all(g.get("stroke-dasharray") for g in marks(chart, "gap"))
    solid = [line.get("points") for line in chart.iter("{http://www.w3.org/2000/svg}polyline")]
    runs = [run for run in _runs(periods, axis) if len(run) > 1]
    assert len(solid) == len(runs), "solid only between periods next to each other"
    if due:
        (slot,) = marks(chart, "due")
        middle = float(slot.get("x")) + float(slot.get("width")) / 2
        assert middle == pytest.approx(ticks[due], abs=0.1)


def _runs(periods: list[str], axis: list[str]) -> list[list[str]]:
    runs = [[periods[0]]]
    for a, b in zip(periods, periods[1:]):
        if axis.index(b) - axis.index(a) == 1:
            runs[-1].append(b)
        else:
            runs.append([b])
    return runs


def test_periods_of_no_one_cadence_stand_as_categories_in_order():
    for periods in (["2023", "2024-Q1"], ["2023", "FY2024"]):  # two cadences; a label the ledger never writes
        values = pd.DataFrame({"period": periods, "value": [1.0, 2.0]})
        chart = ET.fromstring(svg_charts.indicator_svg(values, "en"))
        assert [e.text for e in marks(chart, "x-tick")] == sorted(periods) and not marks(chart, "gap")


def test_an_action_trend_with_a_missing_year_puts_the_marker_between_its_neighbours():
    values = pd.DataFrame({"period": ["2021", "2022", "2024"], "value": [1.0, 2.0, 3.0], "unit": ["%"] * 3,
                           "phase": ["before", "before", "after"]})
    chart = ET.fromstring(svg_charts.action_trend_svg(values, "ko", "수용 2023-06-01", width=svg_charts.WIDE))
    ticks = {e.text: float(e.get("x")) for e in marks(chart, "x-tick")}
    assert list(ticks) == ["2021", "2022", "2023", "2024"]
    (line,) = marks(chart, "marker")
    assert float(line.get("x1")) == pytest.approx(ticks["2023"], abs=0.1) and line.get("data-after") == "2024"
    (gap,) = marks(chart, "gap")
    xs = {p.get("data-period"): float(p.get("cx")) for p in marks(chart, "value")}
    assert (float(gap.get("x1")), float(gap.get("x2"))) == pytest.approx((xs["2022"], xs["2024"]), abs=0.1)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_action_trend_marks_acceptance_between_before_and_after(lang):
    values = pd.DataFrame({"period": ["2024", "2022", "2023"], "value": [3.5, 1.0, 2.0], "unit": ["%"] * 3,
                           "phase": ["after", "before", "before"]})
    marker = t("ui.forum.accepted_on", lang, date="2024-03-01")
    for width in (svg_charts.WIDE, svg_charts.HALF_WIDTH, svg_charts.PHONE_WIDTH):
        made = svg_charts.action_trend_svg(values, lang, marker, key="around_x", label="실업률", width=width)
        chart = ET.fromstring(made)
        assert chart.get("viewBox").split()[2] == f"{width:.1f}" and chart.get("aria-label") == "실업률"
        points = marks(chart, "value")
        assert [(p.get("data-period"), float(p.get("data-value")), p.get("data-phase")) for p in points] == \
            [("2022", 1.0, "before"), ("2023", 2.0, "before"), ("2024", 3.5, "after")]
        assert [p.get("fill") for p in points] == [charts.BEFORE_COLOUR, charts.BEFORE_COLOUR, charts.FOCUS_COLOUR]
        assert [float(p.get("cy")) for p in points] == sorted((float(p.get("cy")) for p in points), reverse=True), \
            "a larger value sits higher"
        xs = [float(p.get("cx")) for p in points]
        (line,) = marks(chart, "marker")
        assert line.get("stroke") == charts.CHANGE_COLOUR and line.get("data-after") == "2024"
        assert float(line.get("x1")) == float(line.get("x2")) == pytest.approx((xs[1] + xs[2]) / 2, abs=0.1), \
            "between the last period before and the first after"
        (label,) = marks(chart, "marker-label")
        assert label.text == marker and text_width(marker) / 2 <= float(label.get("x")) <= width - text_width(marker) / 2
        assert [e.text for e in marks(chart, "x-tick")] == ["2022", "2023", "2024"], "periods as categories, in order"
        ticks = [e.text for e in marks(chart, "y-tick")]
        assert ticks == ["1", "2", "3", "4"], "round ticks over the values"
        texts = [e.text for e in chart.iter(SVG + "text")]
        assert t("ui.forum.period", lang) in texts and [e.text for e in marks(chart, "unit")] == ["%"]
        assert [e.text for e in marks(chart, "legend")] == [t("ui.forum.phase_before", lang), t("ui.forum.phase_after", lang)]
        assert points[0].find(SVG + "title").text == f"2022: 1 % · {t('ui.forum.phase_before', lang)}"
        assert points[2].find(SVG + "title").text == f"2024: 3.5 % · {t('ui.forum.phase_after', lang)}"


def test_action_trend_keeps_the_marker_inside_when_every_value_is_on_one_side():
    years = pd.DataFrame({"period": ["2021", "2022"], "value": [2021.0, 2022.0], "unit": ["명"] * 2})
    marker = t("ui.forum.created_on", "ko", date="2026-11-29")
    for phase, after in (("before", ""), ("after", "2021")):
        chart = ET.fromstring(svg_charts.action_trend_svg(years.assign(phase=phase), "ko", marker,
                                                          width=svg_charts.PHONE_WIDTH))
        xs = [float(p.get("cx")) for p in marks(chart, "value")]
        (line,) = marks(chart, "marker")
        x = float(line.get("x1"))
        assert line.get("data-after") == after
        assert (x > xs[-1]) if phase == "before" else (x < xs[0]), "after every value, or before them all"
        assert float(marks(chart, "y-tick")[0].get("x")) < x < svg_charts.PHONE_WIDTH, "inside the plot"
        (label,) = marks(chart, "marker-label")
        assert float(label.get("x")) - text_width(marker) / 2 >= text_width("명"), "clear of the unit, never cut"
        assert float(label.get("x")) + text_width(marker) / 2 <= svg_charts.PHONE_WIDTH
        assert [e.text for e in marks(chart, "legend")] == [t(f"ui.forum.phase_{phase}", "ko")]
        assert [e.text for e in marks(chart, "x-tick")] == ["2021", "2022"], "whole years, never 2,021.5"
        assert [e.text for e in marks(chart, "y-tick")] == ["2,021", "2,022"], "whole values, whole ticks: never 2,021.5"


def test_svg_charts_escape_every_text_they_draw():
    hostile = '<script>alert(1)</script>"&\' ![b](http://127.0.0.1:9/b.png) :red[x] $x$ `c`'
    values = pd.DataFrame({"period": [hostile, "2021"], "value": [1.0, 2.0]})
    svg = svg_charts.indicator_svg(values, "en", unit=hostile, target=3.0, target_label=hostile, due_period=hostile,
                                   due_label=hostile, key=hostile, label=hostile)
    chart = ET.fromstring(svg)  # well-formed: nothing in a text or an attribute ended its element
    # no HTML and no Markdown syntax left as such: the charts go through st.markdown (svg_charts.show)
    assert "<script" not in svg and not any(m in svg for m in ("![", "](", ":red[", "$x$", "`c`"))
    assert chart.get("data-chart") == hostile
    assert hostile in [e.text for e in chart.iter("{http://www.w3.org/2000/svg}text")]
    history = pd.DataFrame({"edition": [hostile, "2025"], "year": [2024, 2025], "published": [None, "2025-12"],
                            "rank": [None, 6], "status": ["outside_list", "ranked"]})
    gap = {"target_rank": 5, "target_year": 2030, "latest_rank": 6, "last_ranked_year": 2025, "projected_rank": None,
           "projected_low": None, "projected_high": None, "status": "unknown"}
    goal = svg_charts.goal_svg(history, gap, "en", key=hostile)
    root = ET.fromstring(goal)
    assert "<script" not in goal and [e.get("data-edition") for e in marks(root, "no-rank")] == [hostile]
    # a city's name comes from the ledger (cities.csv, a component file): shown as typed, never as markup
    rows = pd.DataFrame({"city": [hostile, "Seoul"], "city_ko": [hostile, "서울"], "rank": pd.array([1, 2], dtype="Int64"),
                         "score": [None, 3.0]})
    for lang in ("ko", "en"):
        peers = svg_charts.peer_dot_svg(rows, "Seoul", lang, hostile, (hostile,), key=hostile)
        root = ET.fromstring(peers)
        assert "<script" not in peers and not any(m in peers for m in ("![", "](", ":red[", "$x$", "`c`"))
        assert root.get("aria-label") == hostile and root.get("data-chart") == hostile
        (dot,) = [d for d in marks(root, "rank") if d.get("data-focus") == "false"]
        assert dot.get("data-city") == hostile
        assert dot.find("{http://www.w3.org/2000/svg}title").text.split("\n")[0] == hostile
        assert marks(root, "y-tick")[0].text.startswith(hostile[:10]), "the name shown as typed (shortened to fit)"
    # the grids: component names (the catalogue), editions and reasons (the ledger, the warehouse's view)
    weak = pd.DataFrame([{"component": hostile, "component_ko": hostile, "component_seq": 1, "edition": hostile,
                          "edition_order": 1, "label": "weakness", "reason_ko": hostile, "reason_en": hostile,
                          "component_rank": 3, "overall_rank": None}])
    comp = pd.DataFrame({"edition": [hostile], "edition_order": [1], "component": [hostile], "component_ko": [hostile],
                         "component_seq": [1], "rank": pd.array([None], dtype="Int64"), "score": [2.5]})
    eds = pd.DataFrame({"edition": [hostile], "edition_order": [1], "methodology_change": [None]})
    for lang in ("ko", "en"):
        for made in (svg_charts.weakness_grid_svg(weak, lang, key=hostile, label=hostile),
                     svg_charts.component_grid_svg(comp, eds, lang, hostile, key=hostile, label=hostile)):
            root = ET.fromstring(made)
            assert "<script" not in made and not any(m in made for m in ("![", "](", ":red[", "$x$", "`c`"))
            assert root.get("aria-label") == hostile and [e.text for e in marks(root, "x-tick")] == [hostile]
            ((row, edition), cell), = grid(root).items()
            assert row == edition == hostile and cell["hover"].startswith(f"{hostile} · {hostile}\n")
            assert marks(root, "y-tick")[0].get("data-name") == hostile
    # a bar chart's cities and edition come from the ledger too
    rows = pd.DataFrame({"city": [hostile, "Seoul"], "city_ko": [hostile, "서울"], "edition": [hostile, hostile],
                         "rank": [1, 2], "score": [5.0, 3.0], "status": ["ranked", "ranked"], "publication": [hostile, None],
                         "source_url": [hostile, None]})
    for lang in ("ko", "en"):
        bars = svg_charts.edition_scores_svg(rows, hostile, "Seoul", lang, hostile, key=hostile)
        root = ET.fromstring(bars)
        assert "<script" not in bars and not any(m in bars for m in ("![", "](", ":red[", "$x$", "`c`"))
        first = marks(root, "bar")[0]
        assert first.get("data-city") == hostile
        assert first.find("{http://www.w3.org/2000/svg}title").text.startswith(f"{hostile} · {hostile}\n")
    # the forum's trend: periods (uploads), the unit and the indicator's name (the catalogue), the marker; the drawing
    # ends only where it should (a "</svg>" in a text would end it early)
    closing = "</svg></div><script>alert(2)</script>**b** _i_ [l](javascript:alert(3))"
    values = pd.DataFrame({"period": [hostile, closing], "value": [1.0, 2.0], "unit": [closing] * 2,
                           "phase": ["before", "after"]})
    for lang in ("ko", "en"):
        made = svg_charts.action_trend_svg(values, lang, hostile, key=closing, label=closing)
        root = ET.fromstring(made)
        assert made.count("</svg>") == 1 and made.endswith("</svg>") and "<script" not in made
        assert not any(m in made for m in ("![", "](", ":red[", "$x$", "`c`", "**b**", "_i_"))
        assert root.get("aria-label") == closing and root.get("data-chart") == closing
        assert marks(root, "x-tick")[-1].text == hostile  # in order: "</" sorts before "<s"; the first crowded out
        assert [e.text for e in marks(root, "unit")] == [closing] and marks(root, "marker-label")[0].text == hostile
        assert [p.get("data-period") for p in marks(root, "value")] == [closing, hostile]
        assert marks(root, "value")[0].find(SVG + "title").text.startswith(f"{closing}: 2 {closing} · ")
    # the score lines: city names and editions from the ledger
    rows = pd.DataFrame({"city": [hostile, hostile], "city_ko": [hostile, hostile], "edition": [hostile, "2"],
                         "rank": [1, 2], "score": [5.0, 3.0], "status": ["ranked", "ranked"], "publication": [hostile, None],
                         "source_url": [hostile, None]})
    eds = pd.DataFrame({"edition": [hostile, "2"], "edition_order": [1, 2], "methodology_change": [None, None]})
    for lang in ("ko", "en"):
        lines = svg_charts.scores_svg(rows, eds, "Seoul", lang, [hostile], hostile, key=hostile)
        root = ET.fromstring(lines)
        assert "<script" not in lines and not any(m in lines for m in ("![", "](", ":red[", "$x$", "`c`"))
        assert [e.text for e in marks(root, "legend")] == [hostile] and marks(root, "x-tick")[0].text == hostile
        assert marks(root, "score")[0].find("{http://www.w3.org/2000/svg}title").text.startswith(f"{hostile} · {hostile}")


def test_the_rank_and_score_axis_titles_are_level_between_the_legend_and_the_plot(rows, editions):
    """A word of Hangul turned on its side reads badly: 순위 and 점수 stand level over their value labels, below every
    legend entry and above the plot's first grid line."""
    gap = {"target_rank": 5, "target_year": 2030, "latest_rank": 7, "last_ranked_year": 2023, "projected_rank": 6,
           "projected_low": 5, "projected_high": 8, "status": "watch"}
    history = rows[rows["city"] == "Seoul"].assign(year=lambda f: f["edition"].astype(int), published=None)
    drawn = {
        "bump": bump(rows, editions, "ko", ["Seoul", "Tokyo", "London"]),
        "scores": ET.fromstring(svg_charts.scores_svg(rows, editions, "Seoul", "ko", ["Seoul", "Tokyo"])),
        "goal": ET.fromstring(svg_charts.goal_svg(history, gap, "ko")),
    }
    for name, chart in drawn.items():
        texts = list(chart.iter(f"{SVG}text"))
        assert not [e.text for e in texts if "rotate(-90)" in (e.get("transform") or "")], name
        (title,) = marks(chart, "y-title")
        assert title.text in {"순위", t("ui.chart.score_axis", "ko", unit="").strip()}, (name, title.text)
        y = float(title.get("y"))
        ticks = [float(e.get("y")) for e in marks(chart, "y-tick")]
        assert y < min(ticks) - 8, (name, y, min(ticks))
        legend = [float(e.get("y")) for e in texts if e.get("y") and e is not title and float(e.get("y")) < y]
        assert legend, name  # the legend stands above it
        assert y - max(legend) >= 11, (name, y, max(legend))  # a line apart: no overlap at 11 px type
