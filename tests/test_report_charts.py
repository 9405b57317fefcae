"""The static SVG charts of the agenda packet and the quarterly brief: round ticks, nothing cut, no overlaps."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from pipelines.reports import render

TEXT = re.compile(r'<text x="([\d.]+)" y="([\d.]+)"(?: [^>]*)?text-anchor="(\w+)"[^>]*>([^<]*)</text>')


def _texts(svg: str) -> list[tuple[float, float, str, str]]:
    return [(float(x), float(y), anchor, text) for x, y, anchor, text in TEXT.findall(svg)]


@pytest.mark.parametrize(("lo", "hi", "ranks", "expected"), [
    (6, 39, True, [1, 10, 20, 30, 40]),      # was 6/14/22/31/39
    (1, 158, True, [1, 50, 100, 150, 200]),
    (3, 3, True, None),
    (1288.1, 1500.5, False, [1200, 1300, 1400, 1500, 1600]),
    (0.3, 2.7, False, [0, 1, 2, 3]),
])
def test_nice_ticks_are_round_and_cover_the_values(lo, hi, ranks, expected):
    ticks = render.nice_ticks(lo, hi, ranks=ranks)
    assert ticks[0] <= lo and ticks[-1] >= hi
    if expected is not None:
        assert ticks == expected
    steps = {round(b - a, 9) for a, b in zip(ticks[1:], ticks[2:])} or {1}
    assert len(steps) == 1, f"one step between ticks: {ticks}"
    step = steps.pop()
    assert step / 10 ** __import__("math").floor(__import__("math").log10(step)) in (1, 2, 2.5, 5, 10)
    if ranks:
        assert all(isinstance(v, int) and v >= 1 for v in ticks), "no 0th place, no fractional rank"


@pytest.mark.parametrize(("value", "step", "label"), [
    (2021.25, 0.25, "2,021.25"), (1.25, 0.25, "1.25"), (7.5, 2.5, "7.5"), (0.2, 0.2, "0.2"), (1500, 100, "1,500"),
])
def test_a_tick_label_shows_its_step_exactly(value, step, label):
    assert render.tick_label(value, step) == label


def test_svg_rank_chart_has_round_rank_ticks():
    svg = render.svg_line_chart({"서울": [("2015", 39), ("2016", 6), ("2017", 22)]}, reverse_y=True, highlight="서울")
    labels = [text for x, y, anchor, text in _texts(svg) if anchor == "end" and x < 60]
    assert labels == ["1", "10", "20", "30", "40"]


def test_svg_labels_are_not_cut_at_the_edges():
    """'GSER 2025' at the right edge of a 300 px brief chart read 'GSER 20'."""
    points = [(f"GSER {y}", r) for y, r in zip(range(2016, 2026), (10, 9, 8, 8, 7, 7, 8, 9, 8, 8))]
    svg = render.svg_line_chart({"서울": points}, title="GSER", reverse_y=True, highlight="서울", width=300, height=160)
    x_labels = [(x, anchor, text) for x, y, anchor, text in _texts(svg) if y > 140]
    assert x_labels, "the x axis is labelled"
    for x, anchor, text in x_labels:
        width = render.text_width(text)
        left = x - (0 if anchor == "start" else width if anchor == "end" else width / 2)
        assert 0 <= left and left + width <= 300, f"{text!r} is cut"
    assert x_labels[-1][2].endswith("2025"), "the last edition is always labelled"
    # labels never overlap each other
    spans = sorted((x - (0 if a == "start" else render.text_width(t) if a == "end" else render.text_width(t) / 2),
                    render.text_width(t)) for x, a, t in x_labels)
    assert all(a[0] + a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_svg_legend_entries_do_not_overlap_the_title_or_each_other():
    svg = render.svg_line_chart(
        {"서울 · 구성요소 순위 (거주)": [("2024", 30), ("2025", 25)], "서울 · 종합 순위": [("2024", 6), ("2025", 6)]},
        title="판별 순위", reverse_y=True, highlight="서울 · 구성요소 순위 (거주)")
    height = int(re.search(r'height="(\d+)"', svg).group(1))
    legend = [(y, text) for x, y, anchor, text in _texts(svg) if text.startswith("서울")]
    assert len(legend) == 2 and legend[0][0] != legend[1][0]
    assert abs(legend[0][0] - legend[1][0]) >= 12, "one entry per line"
    assert all(220 < y <= height for y, _ in legend), "under the plot, inside the picture"


def test_the_focus_city_has_one_colour_in_the_svgs_and_on_the_dashboard():
    """The packet's and the brief's SVGs draw the focus city in the dashboard's focus colour, not a colour of their own."""
    from dashboard.charts import city_colour

    svg = render.svg_line_chart({"Seoul": [("2024", 12), ("2025", 11)], "Tokyo": [("2024", 3), ("2025", 3)]},
                                reverse_y=True, highlight="Seoul")
    focus = city_colour("Seoul", "Seoul")
    assert f'stroke="{focus}" stroke-width="3"' in svg
    assert svg.count(f'fill="{focus}"') == 2  # Seoul's two points, and Tokyo's are not in that colour


def test_a_packet_chart_spaces_periods_by_time_and_crosses_a_missing_one_dashed():
    from pipelines.reports.forum import _on_time_axis

    hist = pd.DataFrame({"period": ["2017", "2018", "2020"], "value": [48.0, 54.0, 59.0]})
    points = _on_time_axis(hist)
    assert points == [("2017", 48.0), ("2018", 54.0), ("2019", None), ("2020", 59.0)], "2019 keeps its place, empty"
    svg = render.svg_line_chart({"객실": points}, highlight="객실", dash_gaps=True)
    circles = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', svg)]
    assert len(circles) == 3 and circles[2] - circles[1] == pytest.approx(2 * (circles[1] - circles[0]), abs=0.2), \
        "2018 to 2020 is two years wide"
    (gap,) = re.findall(r'<line x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"[^>]*stroke-dasharray="3 4" data-role="gap"', svg)
    assert tuple(float(x) for x in gap) == pytest.approx((circles[1], circles[2]), abs=0.1)
    assert len(re.findall(r"<polyline", svg)) == 1, "solid from 2017 to 2018 only"
    joined = render.svg_line_chart({"객실": points}, highlight="객실")
    assert 'data-role="gap"' not in joined and len(re.findall(r"<polyline", joined)) == 1, \
        "without dash_gaps (an edition without a rank) the line joins the values it has, as before"
    odd = pd.DataFrame({"period": ["2024", "FY2025"], "value": [1.0, 2.0]})
    assert _on_time_axis(odd) == [("2024", 1.0), ("FY2025", 2.0)], "periods of no one cadence as they are"
