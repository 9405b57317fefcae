"""The dashboard's charts as inline SVG: the goal page's chart per series, a department's line per indicator, the
overview's ranks, the calendar's timeline, the weak points' heat map and peers, the trends' ranks, scores and grid,
the forum's trend around an action item.

A page of nine Plotly charts makes the browser load Plotly's 4.7 MB bundle and lay out nine interactive plots, about
85 ms of the page's main thread each (issue 13). These charts are read side by side, not explored, so they are drawn
as SVG, as the printed brief draws its charts (pipelines.reports.render.svg_line_chart): no page loads Plotly. Every
point keeps its hover text as an SVG <title>, and every mark carries its figures as data-* attributes (what the tests
and the browser tests read). Every text is escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.charts import (
    BEFORE_COLOUR,
    CHANGE_COLOUR,
    DUE_COLOUR,
    GOAL_BAND_COLOUR,
    HATCH_COLOUR,
    NO_DATA_COLOUR,
    RANK_BAR_TICKS,
    RANK_SCALE,
    TARGET_COLOUR,
    WEAK_COLOUR,
    city_colour,
    city_label,
    edition_labels,
    edition_x,
    format_number,
    goal_rank_ticks,
    hover_lines,
    rank_colour_value,
    rank_ticks,
    year_ticks,
)
from dashboard.text import t
from pipelines.analysis.signals import blank as _blank
from pipelines.build import periods as _periods
from pipelines.reports.render import FOCUS_COLOUR, line_with_gaps, nice_ticks, text_width, tick_label

WIDTH = 560
WIDE = 800  # a chart the page gives its full width
HALF_WIDTH = 440
PHONE_WIDTH = 380  # a phone's column (390 px screen): text at about its size
GRID = "#eeeeee"
INK = "#555555"
NO_RANK = "#6b7280"
RANGE_FILL = "rgba(220, 38, 38, 0.12)"
DUE_FILL = "rgba(181, 71, 8, 0.10)"
LEGEND_ROW = 18
BOLD = ' font-weight="bold"'


# HTML's specials and Markdown's (these charts go through st.markdown): each as a numeric character reference, which
# the browser reads back as the character and Markdown never takes for syntax (a link, an image, :red[...], $math$).
_ESCAPES = {c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]()!$:~|#{}"}


def _e(value: object) -> str:
    return "".join(_ESCAPES.get(c, c) for c in str(value))


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}"


@dataclass
class _Plot:
    """The plot area of a chart `width` wide: linear scales from data to pixels; y0 is drawn at the top."""

    width: float
    left: float
    right: float
    top: float
    bottom: float  # the plot area's lower edge, in pixels from the top
    x0: float
    x1: float
    y0: float
    y1: float

    def x(self, value: float) -> float:
        return self.left + (value - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def y(self, value: float) -> float:
        return self.top + (value - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)


def _flow(widths: Sequence[float], limit: float, x: float = 0.0) -> tuple[list[tuple[float, int]], int]:
    """Where a legend's entries go (their `widths`, in order): left to right in rows that end before `limit`, the first
    row from `x`, an entry wider than a row alone on its own. Each entry's (x, text baseline) and the rows taken."""
    places, row = [], 0
    for w in widths:
        if x and x + w > limit:
            x, row = 0.0, row + 1
        places.append((x, 12 + row * LEGEND_ROW))
        x += w
    return places, row + 1


def _legend(items: Sequence[tuple[str, str]], width: float) -> tuple[list[str], float]:
    """A legend across the top: (kind, label) items in rows that fit `width`; its SVG parts and its height."""
    parts = []
    places, rows = _flow([26 + text_width(label) + 16 for _, label in items], width)
    for (kind, label), (x, y) in zip(items, places):
        if kind == "rank":
            parts.append(f'<line x1="{_n(x)}" x2="{_n(x + 20)}" y1="{y - 4}" y2="{y - 4}" stroke="{FOCUS_COLOUR}" stroke-width="3"/>'
                         f'<circle cx="{_n(x + 10)}" cy="{y - 4}" r="3.5" fill="{FOCUS_COLOUR}"/>')
        elif kind == "trend":
            parts.append(f'<line x1="{_n(x)}" x2="{_n(x + 20)}" y1="{y - 4}" y2="{y - 4}" stroke="{FOCUS_COLOUR}" '
                         f'stroke-width="2" stroke-dasharray="2 3"/>')
        elif kind == "range":
            parts.append(f'<rect x="{_n(x)}" y="{y - 10}" width="20" height="12" fill="{RANGE_FILL}"/>')
        else:  # no rank
            parts.append(_cross(x + 10, y - 4, NO_RANK))
        parts.append(f'<text x="{_n(x + 26)}" y="{y}" fill="#333">{_e(label)}</text>')
    return parts, rows * LEGEND_ROW if items else 0


def _cross(x: float, y: float, colour: str, size: float = 4.5) -> str:
    return (f'<path d="M{_n(x - size)},{_n(y - size)}L{_n(x + size)},{_n(y + size)}M{_n(x - size)},{_n(y + size)}'
            f'L{_n(x + size)},{_n(y - size)}" stroke="{colour}" stroke-width="2" fill="none"/>')


def _svg(width: float, height: float, label: str, key: str, body: list[str]) -> str:
    """The chart as one <svg>: as wide as its column (the drawing scales with it), the label read to screen readers."""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" width="100%" '
            f'style="max-width: {_n(width)}px; height: auto; display: block" role="img" aria-label="{_e(label)}" '
            f'data-chart="{_e(key)}" font-family="NanumGothic, \'Noto Sans CJK KR\', sans-serif" font-size="11">'
            f'<title>{_e(label)}</title>' + "".join(body) + "</svg>")


# Room above a plot for its axis title, level over the value labels (a word of Hangul turned on its side reads badly)
Y_TITLE_ROOM = 12


def _y_axis(plot: _Plot, ticks: Sequence[float], labels: Sequence[str], title: str, role: str = "y-title") -> list[str]:
    """Grid lines with their labels at the left, and the axis title (what the values are, or their unit: `role`
    tells which) level over those labels at the top left, in the room the caller left above the plot (Y_TITLE_ROOM);
    a word of Hangul turned on its side reads badly."""
    parts = []
    for value, label in zip(ticks, labels):
        y = plot.y(value)
        parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(plot.width - plot.right)}" y1="{_n(y)}" y2="{_n(y)}" '
                     f'stroke="{GRID}"/>')
        parts.append(f'<text x="{_n(plot.left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{INK}" data-role="y-tick" '
                     f'data-value="{_e(value)}">{_e(label)}</text>')
    if title:
        parts.append(f'<text x="0" y="{_n(plot.top - 9)}" fill="{INK}" data-role="{role}">{_e(title)}</text>')
    return parts


def _x_labels(plot: _Plot, at: Sequence[tuple[float, str]], y: float, title: str) -> list[str]:
    """Labels under the plot at (value, label), every one that clears its neighbour by 8 px (the last always), and
    the axis title under them."""
    kept: list[tuple[float, str]] = []
    for i, (value, label) in enumerate(at):
        half = text_width(label) / 2
        x = plot.x(value)
        if kept and x - half < plot.x(kept[-1][0]) + text_width(kept[-1][1]) / 2 + 8:
            if i != len(at) - 1:
                continue
            kept.pop()  # the last label wins its place over the one before it
        kept.append((value, label))
    parts = [f'<text x="{_n(plot.x(v))}" y="{_n(y)}" text-anchor="middle" fill="{INK}" data-role="x-tick" '
             f'data-value="{_e(v)}">{_e(label)}</text>' for v, label in kept]
    if title:
        parts.append(f'<text x="{_n((plot.left + plot.width - plot.right) / 2)}" y="{_n(y + 16)}" text-anchor="middle" '
                     f'fill="{INK}">{_e(title)}</text>')
    return parts


def goal_svg(history: pd.DataFrame, gap: pd.Series | dict, lang: str, key: str = "goal") -> str:
    """The focus city's rank in one series over time, a dotted trend line to the goal year, the goal band shaded;
    what a Plotly chart drew here before (issue 13), as SVG.

    `history`: the series' rows of the focus city (edition, year, published, rank, status).
    `gap`: the series' row of `top5_gap` (latest_rank, last_ranked_year, projected_rank, projected_low/high,
    target_rank, target_year, status). Rank 1 is on top; the x axis is years, ticked in whole years; editions without
    a rank are crossed in a strip under the ranks, so a missing rank never sits on the line.
    """
    target, goal_year = int(gap["target_rank"]), int(gap["target_year"])
    history = history.assign(x=[edition_x(y, p) for y, p in zip(history["year"], history["published"])]).sort_values("x")
    ranked, missing = history[history["rank"].notna()], history[history["rank"].isna()]
    first_year = int(history["year"].min()) if len(history) else goal_year - 5
    worst = max([target, *[int(r) for r in ranked["rank"]]])
    projected, low, high = gap.get("projected_rank"), gap.get("projected_low"), gap.get("projected_high")
    # A status of 'unknown' means the ranks are too old to judge: no line is drawn toward the goal year.
    project = (len(ranked) > 0 and gap.get("status") != "unknown" and not _blank(projected)
               and not _blank(gap.get("latest_rank")) and not _blank(gap.get("last_ranked_year")))
    wedge = project and not _blank(low) and not _blank(high) and int(low) != int(high)
    if project:
        worst = max(worst, int(projected), int(high) if wedge else 0)

    items = ([("rank", t("ui.goal.rank_line", lang))] if len(ranked) else []) \
        + ([("range", t("ui.goal.range_band", lang))] if wedge else []) \
        + ([("trend", t("ui.goal.trend_line", lang, year=goal_year))] if project else []) \
        + ([("no_rank", t("ui.chart.no_rank", lang))] if len(missing) else [])
    y_ticks = goal_rank_ticks(worst, target)
    left = 34 + max(text_width(str(v)) for v in y_ticks)
    legend, legend_h = _legend(items, WIDTH - left - 12)
    strip = 20 if len(missing) else 0
    top = legend_h + 8 + Y_TITLE_ROOM
    bottom = top + 190
    plot = _Plot(WIDTH, left, 12, top, bottom, first_year - 0.2, goal_year + 1, 0.5, worst + max(1, worst * 0.08))
    height = bottom + strip + 44

    parts = [f'<g transform="translate({_n(left)} 0)">', *legend, "</g>"]
    band_top, band_bottom = plot.y(0.5), plot.y(target + 0.5)
    parts.append(f'<rect x="{_n(plot.left)}" y="{_n(band_top)}" width="{_n(WIDTH - plot.right - plot.left)}" '
                 f'height="{_n(band_bottom - band_top)}" fill="{GOAL_BAND_COLOUR}" data-role="goal-band" '
                 f'data-from="1" data-to="{target}"/>')
    parts += _y_axis(plot, y_ticks, [str(v) for v in y_ticks], t("col.rank", lang))
    parts.append(f'<text x="{_n(plot.left + 4)}" y="{_n(band_top + 13)}" fill="{TARGET_COLOUR}">'
                 f'{_e(t("ui.goal.band", lang, target=target))}</text>')
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(WIDTH - plot.right)}" y1="{_n(bottom + strip)}" '
                 f'y2="{_n(bottom + strip)}" stroke="#cccccc"/>')
    parts += _x_labels(plot, [(y, str(y)) for y in year_ticks(first_year, goal_year)], bottom + strip + 16,
                       t("col.year", lang))

    if wedge:
        last = ranked.iloc[-1]
        corners = [(last["x"], int(last["rank"])), (goal_year + 0.5, int(low)), (goal_year + 0.5, int(high))]
        parts.append(f'<polygon points="{" ".join(f"{_n(plot.x(x))},{_n(plot.y(r))}" for x, r in corners)}" '
                     f'fill="{RANGE_FILL}" data-role="range" data-low="{int(low)}" data-high="{int(high)}">'
                     f'<title>{_e(t("ui.goal.range_hover", lang, year=goal_year, low=int(low), high=int(high)))}</title>'
                     f'</polygon>')
    if len(ranked) > 1:
        points = " ".join(f"{_n(plot.x(x))},{_n(plot.y(r))}" for x, r in zip(ranked["x"], ranked["rank"]))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{FOCUS_COLOUR}" stroke-width="3"/>')
    if project:
        last = ranked.iloc[-1]
        x0, y0 = plot.x(last["x"]), plot.y(int(last["rank"]))
        x1, y1 = plot.x(goal_year + 0.5), plot.y(int(projected))
        parts.append(f'<line x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x1)}" y2="{_n(y1)}" stroke="{FOCUS_COLOUR}" '
                     f'stroke-width="2" stroke-dasharray="2 3" data-role="trend" data-from-rank="{int(last["rank"])}" '
                     f'data-rank="{int(projected)}" data-year="{goal_year}"/>')
        parts.append(f'<path d="M{_n(x1)},{_n(y1 - 6)}L{_n(x1 + 6)},{_n(y1)}L{_n(x1)},{_n(y1 + 6)}L{_n(x1 - 6)},{_n(y1)}Z" '
                     f'fill="white" stroke="{FOCUS_COLOUR}" stroke-width="2">'
                     f'<title>{_e(t("ui.goal.projected_hover", lang, year=goal_year, rank=int(projected)))}</title></path>')
    for x, edition, rank in zip(ranked["x"], ranked["edition"], ranked["rank"]):
        parts.append(f'<circle cx="{_n(plot.x(x))}" cy="{_n(plot.y(int(rank)))}" r="4.5" fill="{FOCUS_COLOUR}" '
                     f'data-role="rank" data-edition="{_e(edition)}" data-rank="{int(rank)}">'
                     f'<title>{_e(t("ui.hover.spark", lang, edition=edition, rank=int(rank)))}</title></circle>')
    for x, edition, status in zip(missing["x"], missing["edition"], missing["status"]):
        px, py = plot.x(x), bottom + strip / 2
        parts.append(f'<g data-role="no-rank" data-edition="{_e(edition)}">{_cross(px, py, NO_RANK)}'
                     f'<rect x="{_n(px - 7)}" y="{_n(py - 7)}" width="14" height="14" fill="transparent">'
                     f'<title>{_e(edition)}: {_e(t("status." + str(status), lang))}</title></rect></g>')
    return _svg(WIDTH, height, t("ui.goal.rank_line", lang), key, parts)


def _time_axis(periods: Sequence[str]) -> tuple[list[float], list[tuple[float, str]]]:
    """Where each of `periods` (in order) stands on the x axis, and the axis's labelled places (value, label). Periods
    of one cadence as the ledger writes them ('2024', '2024-Q3', '2024-09') stand on a time axis in steps of that
    cadence (periods.time_axis): 2020 and 2022 are two steps apart and 2021 keeps its empty place, as does every
    period up to one that is due. Any other periods stand as categories in order. A place is a whole step, so no label
    is ever 2,020.5."""
    axis = _periods.time_axis(periods)
    if axis is None:
        return [float(i) for i in range(len(periods))], [(float(i), p) for i, p in enumerate(periods)]
    steps, every = axis
    return [float(s) for s in steps], [(float(k), p) for k, p in enumerate(every)]


def indicator_svg(values: pd.DataFrame, lang: str, *, unit: str = "", target: float | None = None,
                  target_label: str = "", due_period: str | None = None, due_label: str = "",
                  key: str = "indicator", label: str = "", width: int = HALF_WIDTH) -> str:
    """One city indicator's values by period as a line, its target as a dashed line, the period now due as a marked
    slot (with the values, or at its own place after them when it is still missing); what a Plotly chart drew here
    before (issue 13), as SVG. The periods stand on a time axis (_time_axis): a period without a value keeps its place
    and the line crosses it dashed. `label` names the chart to screen readers; `width` is its drawing's width in
    pixels (the page shows these two to a row: text keeps its size at half width)."""
    values = values.sort_values("period")
    periods = [str(p) for p in values["period"]]
    numbers = [float(v) for v in values["value"]]
    axis = periods + ([due_period] if due_period and due_period not in periods else [])
    steps, places = _time_axis(axis)
    has_target = target is not None and not _blank(target)
    span = numbers + ([float(target)] if has_target else [])
    lo, hi = (min(span), max(span)) if span else (0.0, 1.0)
    if all(v >= 0 for v in numbers):
        lo = 0.0  # counts and amounts read from zero
    ticks = nice_ticks(lo, hi if hi > lo else lo + 1)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    labels = [tick_label(v, step) for v in ticks]
    left = 34 + max(text_width(label) for label in labels)
    top, bottom = 26, 190
    plot = _Plot(width, left, 12, top, bottom, min(steps, default=0) - 0.5, max(steps, default=0) + 0.5,
                 ticks[-1], ticks[0])
    parts = []
    if due_period:
        slot = steps[axis.index(due_period)]
        x0, x1 = plot.x(slot - 0.45), plot.x(slot + 0.45)
        parts.append(f'<rect x="{_n(x0)}" y="{_n(top)}" width="{_n(x1 - x0)}" height="{_n(bottom - top)}" '
                     f'fill="{DUE_FILL}" data-role="due" data-period="{_e(due_period)}"/>')
        parts.append(f'<text x="{_n(min(x1 + 12, width - 2))}" y="{_n(top - 8)}" text-anchor="end" fill="{DUE_COLOUR}">'
                     f'{_e(due_label)}</text>')
    parts += _y_axis(plot, ticks, labels, unit, role="unit")
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(bottom)}" y2="{_n(bottom)}" '
                 f'stroke="#cccccc"/>')
    parts += _x_labels(plot, places, bottom + 16, "")
    if has_target:
        y = plot.y(float(target))
        parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(y)}" y2="{_n(y)}" '
                     f'stroke="{TARGET_COLOUR}" stroke-width="2" stroke-dasharray="6 4" data-role="target" '
                     f'data-value="{_e(float(target))}"/>')
        parts.append(f'<text x="{_n(max(plot.left + 4, text_width(unit) + 8 if unit else 0))}" y="{_n(y - 5)}" '
                     f'fill="{TARGET_COLOUR}">{_e(target_label)}</text>')
    xs = [plot.x(x) for x in steps[:len(periods)]]
    ys = [plot.y(v) for v in numbers]
    parts += line_with_gaps(steps[:len(periods)], xs, ys, FOCUS_COLOUR, 2.5)
    for period, value, x, y in zip(periods, numbers, xs, ys):
        parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="{FOCUS_COLOUR}" '
                     f'data-role="value" data-period="{_e(period)}" data-value="{_e(value)}">'
                     f'<title>{_e((period + ": " + format_number(value) + " " + unit).strip())}</title></circle>')
    return _svg(width, bottom + 28, label or t("ui.mine.lines", lang), key, parts)


def action_trend_svg(values: pd.DataFrame, lang: str, marker_label: str, *, unit: str | None = None,
                     key: str = "action_trend", label: str = "", width: int = WIDE) -> str:
    """One indicator linked to an action item, by period: its values as a grey line, each point grey before the action
    was accepted and red after it (a legend of the two above), a dashed purple line between the last period before
    and the first after, labelled `marker_label` ("accepted 2024-03-01"); the `unit` (in the page's language; else
    the values' own) over the value axis. The periods stand on a time axis (_time_axis: a period without a value
    keeps its place, the line crosses it dashed; a year never reads 2,020.5). What a Plotly chart drew here before
    (issue 13), as SVG: each point keeps its hover (period, value and unit, phase) as a <title>. `label` names the
    chart to screen readers; `width` is its drawing's width in pixels (the page draws one for a wide screen and one
    for a phone).

    `values`: rows of reports.forum.trend_around for one indicator (period, value, unit, phase)."""
    values = values.sort_values("period")
    periods = [str(p) for p in values["period"]]
    numbers = [float(v) for v in values["value"]]
    phases = [str(p) for p in values["phase"]]
    if unit is None:
        unit = str(values["unit"].iloc[0]) if len(values) and not _blank(values["unit"].iloc[0]) else ""
    steps, at = _time_axis(periods)
    before = sum(p == "before" for p in phases)  # the marker: between the last before and the first after
    if not steps:
        position = -0.5
    elif before == 0:
        position = steps[0] - 0.5
    elif before == len(steps):
        position = steps[-1] + 0.5
    else:
        position = (steps[before - 1] + steps[before]) / 2
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    ticks = nice_ticks(lo, hi)
    if numbers and all(v.is_integer() for v in numbers) and ticks[1] - ticks[0] < 1:
        # whole values (a count, a year) get whole ticks: 2,021 and 2,022, never 2,021.5
        first, last = math.floor(lo), math.ceil(hi)
        ticks = [float(v) for v in range(first - (first == last), last + 1 + (first == last))]
    step = ticks[1] - ticks[0]
    tick_labels = [tick_label(v, step) for v in ticks]

    legend = [(phase, t(f"ui.forum.phase_{phase}", lang)) for phase in ("before", "after") if phase in phases]
    places, rows = _flow([18 + text_width(name) + 16 for _, name in legend], width - 8)
    parts = []
    for (phase, name), (x, y) in zip(legend, places):
        parts.append(f'<circle cx="{_n(x + 6)}" cy="{y - 4}" r="4.5" fill="{_PHASE_COLOUR[phase]}"/>'
                     f'<text x="{_n(x + 16)}" y="{y}" fill="#333" data-role="legend" data-phase="{phase}">{_e(name)}</text>')
    left = 34 + max(text_width(x) for x in tick_labels)
    top = rows * LEGEND_ROW + 28  # the legend, then a row for the marker's label
    bottom = top + 170
    plot = _Plot(width, left, 12, top, bottom, (steps[0] if steps else 0.0) - 0.6,
                 max(steps[-1:] + [position]) + 0.6, ticks[-1], ticks[0])
    parts += _y_axis(plot, ticks, tick_labels, unit, role="unit")
    unit_room = text_width(unit) + 10 if unit else 0
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(bottom)}" y2="{_n(bottom)}" '
                 f'stroke="#cccccc"/>')
    parts += _x_labels(plot, at, bottom + 16, t("ui.forum.period", lang))
    x = plot.x(position)
    after = periods[before] if before < len(periods) else ""
    parts.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top - 4)}" y2="{_n(bottom)}" stroke="{CHANGE_COLOUR}" '
                 f'stroke-width="2" stroke-dasharray="6 4" data-role="marker" data-position="{position}" '
                 f'data-after="{_e(after)}"/>')
    half = text_width(marker_label) / 2  # centred on the line, but never cut at either edge nor over the unit
    parts.append(f'<text x="{_n(min(max(x, unit_room + half + 2), width - half - 2))}" y="{_n(top - 9)}" '
                 f'text-anchor="middle" fill="{CHANGE_COLOUR}" data-role="marker-label">{_e(marker_label)}</text>')
    xs, ys = [plot.x(x) for x in steps], [plot.y(v) for v in numbers]
    parts += line_with_gaps(steps, xs, ys, HATCH_COLOUR, 2)
    for period, value, phase, x, y in zip(periods, numbers, phases, xs, ys):
        hover = f"{period}: {format_number(value)} {unit}".strip() + f" · {t('ui.forum.phase_' + phase, lang)}"
        parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="5" '
                     f'fill="{_PHASE_COLOUR.get(phase, FOCUS_COLOUR)}" data-role="value" data-period="{_e(period)}" '
                     f'data-value="{_e(value)}" data-phase="{_e(phase)}"><title>{_e(hover)}</title></circle>')
    return _svg(width, bottom + 44, label or t("ui.forum.trend", lang), key, parts)


_PHASE_COLOUR = {"before": BEFORE_COLOUR, "after": FOCUS_COLOUR}


def show_fitted(draw: Callable[[int], str], name: str, wide: int = WIDE) -> None:
    """A chart drawn twice, `draw(width)` at `wide` for a wide screen (WIDE, or HALF_WIDTH in one of two columns) and
    at PHONE_WIDTH for a phone; display.TABLE_CSS shows the one that fits (containers st-key-widechart_<name>,
    st-key-phonechart_<name>). A drawing scales to its column: one drawing for both would shrink its text to ~6 px on
    a phone, or leave a wide screen a small chart."""
    with st.container(key=f"widechart_{name}"):
        show(draw(wide))
    with st.container(key=f"phonechart_{name}"):
        show(draw(PHONE_WIDTH))


def show(svg: str) -> None:
    """Draw a chart made here. Not st.html: its sanitiser keeps HTML only and drops the whole <svg>. Markdown takes
    it as raw HTML: a line opening with <div> is an HTML block, which Markdown passes through unparsed (it has no blank
    line to end it). Safe for these strings alone, whose every text and attribute value is escaped (_e), Markdown's
    specials included."""
    st.markdown(f"<div>{svg}</div>", unsafe_allow_html=True)


SPARK_WIDTH = 170  # about the overview's trend column: its text keeps its size


def sparkline_svg(history: pd.DataFrame, lang: str, key: str = "spark", label: str = "") -> str:
    """The focus city's rank in one series over its editions, small, rank 1 on top, gaps joined; the last rank a
    larger dot; the first and the last edition labelled under the line, each with its rank where it has one.

    `history`: edition, edition_order, rank, status (one series); `label` names it to screen readers."""
    history = history.sort_values("edition_order")
    labels = [str(e) for e in history["edition"]]
    ranks = [None if _blank(r) else int(r) for r in history["rank"]]
    known = [(i, r) for i, r in enumerate(ranks) if r is not None]
    best, worst = (min(r for _, r in known), max(r for _, r in known)) if known else (1, 2)
    if best == worst:
        best, worst = best - 1, worst + 1
    plot = _Plot(SPARK_WIDTH, 14, 14, 8, 62, -0.5, max(len(labels), 1) - 0.5, best, worst)
    parts = []
    if len(known) > 1:
        parts.append(f'<polyline points="{" ".join(f"{_n(plot.x(i))},{_n(plot.y(r))}" for i, r in known)}" '
                     f'fill="none" stroke="{FOCUS_COLOUR}" stroke-width="2"/>')
    for n, (i, r) in enumerate(known):
        last = n == len(known) - 1
        parts.append(f'<circle cx="{_n(plot.x(i))}" cy="{_n(plot.y(r))}" r="{4 if last else 2.5}" fill="{FOCUS_COLOUR}" '
                     f'data-role="rank" data-edition="{_e(labels[i])}" data-rank="{r}">'
                     f'<title>{_e(t("ui.hover.spark", lang, edition=labels[i], rank=r))}</title></circle>')
    for i, (edition, status) in enumerate(zip(labels, history["status"])):
        if ranks[i] is None:  # listed under the line, where a rank would be, with what the edition says instead
            parts.append(f'<g data-role="no-rank" data-edition="{_e(edition)}"><rect x="{_n(plot.x(i) - 4)}" y="8" '
                         f'width="8" height="54" fill="transparent"><title>{_e(edition)}: '
                         f'{_e(t("status." + str(status), lang))}</title></rect></g>')
    ends = [0, len(labels) - 1] if len(labels) > 1 else [0]

    def end_text(i: int, short: bool) -> str:
        edition = (re.findall(r"\d+", labels[i]) or [labels[i]])[-1] if short else labels[i]
        return edition if ranks[i] is None else f"{edition} · {t('doc.rank', lang, rank=ranks[i])}"

    # the two ends side by side within the width: an edition too long ("Startup Ecosystem Report 2020") is
    # shortened to its last number ("2020")
    short = sum(text_width(end_text(i, False), 10) for i in ends) + 12 > SPARK_WIDTH
    for i, anchor in zip(ends, ("start", "end") if len(ends) > 1 else ("middle",)):
        text = end_text(i, short)
        x = plot.x(i) + (-6 if anchor == "start" else 6 if anchor == "end" else 0)
        parts.append(f'<text x="{_n(x)}" y="80" text-anchor="{anchor}" font-size="10" fill="#6b7280" '
                     f'data-role="x-tick">{_e(text)}</text>')
    return _svg(SPARK_WIDTH, 86, label or t("ui.overview.by_series", lang), key, parts)


def latest_ranks_svg(overview: pd.DataFrame, target: int, lang: str, key: str = "latest_ranks") -> str:
    """Every index's latest rank of the focus city on one common axis, with the goal line (TOP `target`).

    `overview`: the focus_overview rows (short_ko/en, title_ko/en, latest_edition, latest_status, latest_rank,
    last_ranked_edition, last_ranked_rank). The axis is logarithmic, so 2nd and 12th are as far apart as 20th and
    120th; rank 1 on the left. An index whose latest edition has no rank shows its last rank, hollow; one never
    ranked is listed without a dot."""
    rows = overview.reset_index(drop=True)
    names = [str(r[f"short_{lang}"]) for _, r in rows.iterrows()]
    left = 16 + max((text_width(n) for n in names), default=20)
    marks_: list[tuple[int, int, str, bool, str]] = []  # (row, rank, edition, hollow, title)
    for i, r in rows.iterrows():
        latest = r["latest_status"] == "ranked" and not _blank(r["latest_rank"])
        rank = r["latest_rank"] if latest else r["last_ranked_rank"]
        if _blank(rank):
            continue
        edition = r["latest_edition"] if latest else r["last_ranked_edition"]
        marks_.append((int(i), int(rank), str(edition), not latest, str(r[f"title_{lang}"])))
    worst = max([m[1] for m in marks_] + [target, 10])
    ticks = [v for v in (1, 5, 10, 50, 100, 500) if v <= worst * 1.05] or [1]
    row_h, top = 34, 30
    bottom = top + row_h * max(len(names), 1)
    plot = _Plot(WIDE, left, 90, top, bottom, math.log10(0.8), math.log10(worst * 1.35), -0.5, len(names) - 0.5)
    parts = []
    for v in ticks:
        x = plot.x(math.log10(v))
        parts.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(bottom)}" stroke="{GRID}"/>')
        parts.append(f'<text x="{_n(x)}" y="{_n(bottom + 16)}" text-anchor="middle" fill="{INK}" data-role="x-tick" '
                     f'data-value="{v}">{_e(t("doc.rank", lang, rank=v))}</text>')
    parts.append(f'<text x="{_n((left + WIDE - 90) / 2)}" y="{_n(bottom + 32)}" text-anchor="middle" fill="{INK}">'
                 f'{_e(t("col.rank", lang))}</text>')
    goal_x = plot.x(math.log10(target + 0.5))
    parts.append(f'<line x1="{_n(goal_x)}" x2="{_n(goal_x)}" y1="{top - 4}" y2="{_n(bottom)}" stroke="{TARGET_COLOUR}" '
                 f'stroke-width="2" stroke-dasharray="6 4" data-role="goal" data-value="{target}"/>')
    parts.append(f'<text x="{_n(goal_x)}" y="{top - 10}" text-anchor="middle" fill="{TARGET_COLOUR}">'
                 f'{_e(t("ui.chart.top_line", lang, target=target))}</text>')
    for i, name in enumerate(names):
        parts.append(f'<text x="{_n(left - 8)}" y="{_n(plot.y(i) + 4)}" text-anchor="end" fill="#333" '
                     f'data-role="y-tick">{_e(name)}</text>')
    for i, rank, edition, hollow, title in marks_:
        x, y = plot.x(math.log10(rank)), plot.y(i)
        colour = TARGET_COLOUR if rank <= target else FOCUS_COLOUR
        label = t("ui.chart.rank_in", lang, rank=rank, edition=edition)
        parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="6" fill="{"white" if hollow else colour}" stroke="{colour}" '
                     f'stroke-width="2" data-role="rank" data-series="{_e(names[i])}" data-rank="{rank}" '
                     f'data-hollow="{str(hollow).lower()}"><title>{_e(title)}: {_e(label)}</title></circle>')
        parts.append(f'<text x="{_n(x + 10)}" y="{_n(y + 4)}" fill="#374151">{_e(label)}</text>')
    return _svg(WIDE, bottom + 40, t("ui.overview.latest_chart", lang, target=target), key, parts)


TIMELINE_ROW = 34


def timeline_svg(table: pd.DataFrame, labels: dict[str, str], today: pd.Timestamp, lang: str, *,
                 colours: dict[str, str], key: str = "cal_timeline") -> str:
    """The release calendar: one row per series, its collection window as a pale bar and its expected release
    month(s) as a dark one (`colours` by kind: collect, release, release_loaded), today as a dotted line; what a Plotly
    chart drew here before (issue 13). Months are slots from the first window's month to the last release's; each bar
    keeps its row's `hover` text (lines apart by newlines) as a <title> and its months as data-* attributes."""
    order = [sid for sid in labels if sid in set(table["index_id"])]

    def month(text: str) -> pd.Timestamp:
        return pd.Timestamp(f"{text}-01")

    first = min(month(m) for m in table["collection_from"])
    last = max(month(m) for m in table["month_end"])
    months = list(pd.date_range(first, last, freq="MS"))

    def at(day: pd.Timestamp) -> float:  # months since `first`, a day inside its month as a fraction of it
        whole = (day.year - first.year) * 12 + day.month - first.month
        return whole + (day.day - 1) / day.days_in_month

    names = {"collect": t("ui.cal.collect", lang), "release": t("ui.cal.release", lang),
             "release_loaded": t("ui.cal.release_loaded", lang)}
    legend, legend_height = [], LEGEND_ROW
    x = 0.0
    for kind, name in names.items():
        legend.append(f'<rect x="{_n(x)}" y="2" width="14" height="12" fill="{colours[kind]}"/>'
                      f'<text x="{_n(x + 20)}" y="12" fill="#333">{_e(name)}</text>')
        x += 20 + text_width(name) + 18
    left = 12 + max((text_width(labels[s]) for s in order), default=0)
    top = legend_height + 26  # room for the legend and today's label
    bottom = top + TIMELINE_ROW * len(order)
    plot = _Plot(WIDE, left, 12, top, bottom, 0, max(len(months), 1), 0, max(len(order), 1))
    parts = list(legend)
    for i in range(len(months) + 1):  # a grid line at every month's start
        parts.append(f'<line x1="{_n(plot.x(i))}" x2="{_n(plot.x(i))}" y1="{_n(top)}" y2="{_n(bottom)}" stroke="{GRID}"/>')
    row_of = {sid: i for i, sid in enumerate(order)}
    for sid in order:
        y = plot.y(row_of[sid] + 0.5)
        parts.append(f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" fill="{INK}" data-role="row">'
                     f'{_e(labels[sid])}</text>')
    for rec in table.itertuples():
        if rec.index_id not in row_of:
            continue
        start, release, end = month(rec.collection_from), month(rec.month), month(rec.month_end) + pd.offsets.MonthBegin(1)
        middle = plot.y(row_of[rec.index_id] + 0.5)
        for kind, begin, finish in (("collect", start, release),
                                    ("release_loaded" if rec.published else "release", release, end)):
            if finish <= begin:
                continue
            height = TIMELINE_ROW * (0.45 if kind == "collect" else 0.65)
            x0, x1 = plot.x(at(begin)), plot.x(at(finish))
            parts.append(f'<rect x="{_n(x0)}" y="{_n(middle - height / 2)}" width="{_n(x1 - x0)}" height="{_n(height)}" '
                         f'fill="{colours[kind]}" data-role="{kind}" data-series="{_e(rec.index_id)}" '
                         f'data-from="{begin:%Y-%m}" data-to="{finish - pd.offsets.MonthBegin(1):%Y-%m}">'
                         f'<title>{_e(rec.hover)}</title></rect>')
    now = plot.x(at(today))
    if left <= now <= WIDE - plot.right:
        parts.append(f'<line x1="{_n(now)}" x2="{_n(now)}" y1="{_n(top - 4)}" y2="{_n(bottom)}" stroke="{FOCUS_COLOUR}" '
                     f'stroke-width="2" stroke-dasharray="2 3" data-role="today" data-day="{today:%Y-%m-%d}"/>')
        parts.append(f'<text x="{_n(now)}" y="{_n(top - 8)}" text-anchor="middle" fill="{FOCUS_COLOUR}">'
                     f'{_e(t("ui.cal.today", lang))}</text>')
    for i, m in enumerate(months):  # each month's label under its slot, turned so that a year of them fits
        x = plot.x(i + 0.5)
        parts.append(f'<text transform="translate({_n(x + 4)} {_n(bottom + 10)}) rotate(-45)" text-anchor="end" '
                     f'fill="{INK}" data-role="x-tick" data-value="{m:%Y-%m}">{m:%Y-%m}</text>')
    return _svg(WIDE, bottom + 52, t("ui.cal.timeline_label", lang), key, parts)


PEER_ROW = 26
PEER_NAMES_MAX = 150  # the name column's widest; a longer name is shortened (whole in its dot's <title>)


def _shortened(text: str, width: float, size: float = 11) -> str:
    """`text` cut to about `width` pixels, with an ellipsis where it was cut."""
    if text_width(text, size) <= width + 0.5:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def peer_dot_svg(rows: pd.DataFrame, focus_city: str, lang: str, label: str, peers: Sequence[str] = (), *,
                 key: str = "peers", width: int = WIDE) -> str:
    """One component in one edition: the focus city against its peers, one row and one dot per city on a rank axis
    (rank 1 on the left, whole ranks ticked), each dot in the city's fixed colour (charts.city_colour) with its rank
    beside it; the focus city's dot larger and its name bold. Tied cities share a position, each on its own row;
    cities without a rank are left out. What a Plotly chart drew here before (issue 13), as SVG; each dot keeps its
    hover text (city, rank, score) as a <title>. `label` names the chart to screen readers; `width` is its drawing's
    width in pixels (the page draws one for a wide screen and one for a phone, each with text at its size).

    `rows`: component rows of one edition (city, city_ko, rank, score)."""
    rows = rows[rows["rank"].notna()].copy()
    rows["rank"] = rows["rank"].astype(int)
    rows = rows.sort_values(["rank", "city"]).reset_index(drop=True)
    names = [city_label(r, lang) for _, r in rows.iterrows()]
    worst = int(rows["rank"].max()) if len(rows) else 1
    ticks = rank_ticks(worst)
    left = 12 + min(max((text_width(n) for n in names), default=20), PEER_NAMES_MAX)
    right = 12 + max((text_width(t("doc.rank", lang, rank=r)) for r in rows["rank"]), default=20)
    top = 8
    bottom = top + PEER_ROW * max(len(rows), 1)
    plot = _Plot(width, left, right, top, bottom, 0.5, worst + 0.5, -0.5, max(len(rows), 1) - 0.5)
    parts = []
    for v in ticks:
        x = plot.x(v)
        parts.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(bottom)}" stroke="{GRID}"/>')
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(bottom)}" y2="{_n(bottom)}" '
                 f'stroke="#cccccc"/>')
    parts += _x_labels(plot, [(v, str(v)) for v in ticks], bottom + 16, t("col.component_rank", lang))
    counts = rows["rank"].value_counts()
    for i, r in rows.iterrows():
        focus = r["city"] == focus_city
        x, y, rank = plot.x(int(r["rank"])), plot.y(i), int(r["rank"])
        weight = ' font-weight="bold"' if focus else ""
        parts.append(f'<text x="{_n(left - 8)}" y="{_n(y + 4)}" text-anchor="end" fill="#333" data-role="y-tick"'
                     f'{weight}>{_e(_shortened(names[i], PEER_NAMES_MAX))}</text>')
        hover = [names[i], t("ui.hover.rank", lang, rank=rank)]
        if not _blank(r.get("score")):
            hover.append(t("ui.hover.score", lang, score=format_number(r["score"]), unit="").strip())
        parts.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{7.5 if focus else 5}" '
                     f'fill="{city_colour(r["city"], focus_city, peers)}" stroke="white" stroke-width="1" '
                     f'data-role="rank" data-city="{_e(r["city"])}" data-rank="{rank}" '
                     f'data-focus="{str(focus).lower()}" data-tied="{str(bool(counts[rank] > 1)).lower()}">'
                     f'<title>{_e(chr(10).join(hover))}</title></circle>')
        parts.append(f'<text x="{_n(x + (12 if focus else 9))}" y="{_n(y + 4)}" fill="#374151"{weight}>'
                     f'{_e(t("doc.rank", lang, rank=rank))}</text>')
    return _svg(width, bottom + 40, label, key, parts)


# --- rank grids: the weak points' heat map and the trends' component ranks ----------------------------------------

GRID_ROW = 30
GRID_NAMES_SHARE = 0.34  # of the drawing's width, at most, for the row names: a longer one takes two lines, then "…"
CELL_FONT = 11
CELL_FONT_MIN = 5.5  # a cell too narrow for its text at this size keeps it in its hover only


@dataclass
class GridCell:
    """One cell of a rank grid: its rank (coloured on the one rank scale) or none, the text drawn in it, its hover
    (lines apart by newlines), a hatch (no data) and a red frame (a weakness)."""

    rank: int | None
    text: str = ""
    hover: str = ""
    hatch: bool = False
    frame: bool = False


def _two_lines(text: str, width: float) -> list[str]:
    """`text` in one line of `width` pixels, or two split at a space (the second shortened if it must be)."""
    if text_width(text) <= width + 0.5:
        return [text]
    words = text.split(" ")
    first = ""
    for n in range(len(words) - 1, 0, -1):
        if text_width(" ".join(words[:n])) <= width + 0.5:
            first = " ".join(words[:n])
            return [first, _shortened(" ".join(words[n:]), width)]
    return [_shortened(text, width)]


def rank_fill(value: float) -> str:
    """The colour of a position on charts.RANK_SCALE (0: the worst rank shown, palest; 1: rank 1, deepest), mixed
    between its two stops as Plotly's colour scales are."""
    value = min(max(value, 0.0), 1.0)
    for (lo, a), (hi, b) in zip(RANK_SCALE, RANK_SCALE[1:]):
        if value <= hi:
            share = (value - lo) / (hi - lo)
            mixed = [round(int(a[i:i + 2], 16) + share * (int(b[i:i + 2], 16) - int(a[i:i + 2], 16))) for i in (1, 3, 5)]
            return "#" + "".join(f"{c:02x}" for c in mixed)
    return RANK_SCALE[-1][1]


def _on(fill: str) -> str:
    """Text colour that reads on `fill`: white on a deep colour, dark ink on a pale one."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 150 else "#1f2937"


def rank_grid_svg(names: Sequence[str], editions: Sequence[str], cells: dict[tuple[str, str], GridCell], worst: int,
                  lang: str, *, key: str, label: str, width: int = WIDE) -> str:
    """Rows (`names`, the first on top) by editions (columns, in order): each cell with a rank coloured on the one
    rank scale of every grid (charts.rank_colour_value, RANK_SCALE; rank 1 deepest), its text shrunk to fit a narrow
    cell (a phone) instead of clipped, in white or dark ink for contrast; a cell without data grey and hatched; a
    weakness framed in red; each cell's hover as a <title>. A legend of rank colours (1st first) tops it when any
    cell has a rank. What a Plotly heat map drew here before (issue 13), as SVG."""
    ranked = any(c.rank is not None for c in cells.values())
    legend: list[str] = []
    legend_h = 0
    if ranked:  # from the left edge: on a phone, the width the names take would leave it too little
        legend.append(f'<text x="0" y="12" fill="{INK}">{_e(t("col.rank", lang))}</text>')
        ranks = [r for r in RANK_BAR_TICKS if r <= max(worst, 1)] or [1]
        texts = [t("doc.rank", lang, rank=rank) for rank in ranks]
        places, rows = _flow([18 + text_width(text) + 10 for text in texts], width - 4,
                             text_width(t("col.rank", lang)) + 8)
        for rank, text, (x, y) in zip(ranks, texts, places):
            legend.append(f'<rect x="{_n(x)}" y="{y - 10}" width="14" height="12" '
                          f'fill="{rank_fill(rank_colour_value(rank, worst))}" stroke="#d1d5db" data-role="scale" '
                          f'data-rank="{rank}"/><text x="{_n(x + 18)}" y="{y}" fill="{INK}">{_e(text)}</text>')
        legend_h = rows * LEGEND_ROW + 6
    left = 10 + min(max((text_width(n) for n in names), default=20), GRID_NAMES_SHARE * width)
    columns = max(len(editions), 1)
    cw = (width - left - 8) / columns
    top = legend_h + 4
    bottom = top + GRID_ROW * max(len(names), 1)
    # edition labels under their columns, turned when the widest does not fit its column
    turned = max((text_width(e) for e in editions), default=0) > cw - 4
    label_h = (max(text_width(e) for e in editions) * 0.71 + 14) if turned and editions else 18
    parts = ['<g transform="translate(4 0)">', *legend, "</g>"] if legend else []
    for i, name in enumerate(names):
        y = top + GRID_ROW * (i + 0.5)
        lines = _two_lines(name, left - 10)
        spans = "".join(f'<tspan x="{_n(left - 8)}" dy="{"0" if k == 0 else "12"}">{_e(line)}</tspan>'
                        for k, line in enumerate(lines))
        parts.append(f'<text x="{_n(left - 8)}" y="{_n(y + 4 - 6 * (len(lines) - 1))}" text-anchor="end" fill="#333" '
                     f'data-role="y-tick" data-name="{_e(name)}">{spans}</text>')
    for j, edition in enumerate(editions):
        x = left + cw * (j + 0.5)
        if turned:
            parts.append(f'<text transform="translate({_n(x + 4)} {_n(bottom + 12)}) rotate(-45)" text-anchor="end" '
                         f'fill="{INK}" data-role="x-tick">{_e(edition)}</text>')
        else:
            parts.append(f'<text x="{_n(x)}" y="{_n(bottom + 15)}" text-anchor="middle" fill="{INK}" '
                         f'data-role="x-tick">{_e(edition)}</text>')
    parts.append(f'<text x="{_n(left + (width - left - 8) / 2)}" y="{_n(bottom + label_h + 12)}" text-anchor="middle" '
                 f'fill="{INK}">{_e(t("col.edition", lang))}</text>')
    for i, name in enumerate(names):
        for j, edition in enumerate(editions):
            cell = cells.get((name, edition))
            if cell is None:
                continue
            x0, y0, w, h = left + cw * j + 1, top + GRID_ROW * i + 1, cw - 2, GRID_ROW - 2
            attrs = f'data-row="{_e(name)}" data-edition="{_e(edition)}"'
            body = [f"<title>{_e(cell.hover)}</title>"] if cell.hover else []
            if cell.rank is not None:
                fill = rank_fill(rank_colour_value(cell.rank, worst))
                body.append(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}" '
                            f'data-role="cell" {attrs} data-rank="{cell.rank}"/>')
                ink = _on(fill)
            else:
                fill = NO_DATA_COLOUR if cell.hatch else "white"
                body.append(f'<rect x="{_n(x0)}" y="{_n(y0)}" width="{_n(w)}" height="{_n(h)}" fill="{fill}" '
                            f'data-role="{"no-data" if cell.hatch else "cell"}" {attrs}/>')
                ink = "#1f2937"
            if cell.hatch:  # three diagonal strokes: a hatch that still reads in print and for colour-blind readers
                for d in (-0.5, 0.0, 0.5):
                    body.append(f'<line x1="{_n(x0 + w * max(0, d))}" y1="{_n(y0 + h - h * max(0, -d))}" '
                                f'x2="{_n(x0 + w + w * min(0, d))}" y2="{_n(y0 - h * min(0, -d))}" '
                                f'stroke="{HATCH_COLOUR}" stroke-width="1"/>')
            if cell.frame:
                body.append(f'<rect x="{_n(x0 + 1.25)}" y="{_n(y0 + 1.25)}" width="{_n(w - 2.5)}" height="{_n(h - 2.5)}" '
                            f'fill="none" stroke="{WEAK_COLOUR}" stroke-width="2.5" data-role="weakness" {attrs}/>')
            if cell.text:
                room = w - (7 if cell.frame else 4)  # inside the red frame where there is one
                size = min(CELL_FONT, room / max(text_width(cell.text, 1), 0.1))
                if size >= CELL_FONT_MIN:
                    body.append(f'<text x="{_n(x0 + w / 2)}" y="{_n(y0 + h / 2 + size * 0.36)}" text-anchor="middle" '
                                f'font-size="{size:.1f}" fill="{ink}" data-role="cell-text" data-room="{_n(room)}">'
                                f'{_e(cell.text)}</text>')
            parts.append("<g>" + "".join(body) + "</g>")
    return _svg(width, bottom + label_h + 20, label, key, parts)


def weakness_grid_svg(rows: pd.DataFrame, lang: str, *, key: str = "heat", label: str = "", width: int = WIDE) -> str:
    """Components by editions for one series, coloured by the focus city's component rank (rank 1 deepest): a cell
    without a rank grey and hatched, a weakness framed in red, every cell's hover the label, the reason and the ranks.

    `rows`: the series' rows of the `weaknesses` view (component, component_ko, component_seq, edition,
    edition_order, label, reason_ko, reason_en, component_rank, overall_rank)."""
    rows = rows.sort_values(["component_seq", "edition_order"])
    name_col = "component_ko" if lang == "ko" else "component"
    editions = list(dict.fromkeys(rows.sort_values("edition_order")["edition"].astype(str)))
    names = list(dict.fromkeys(rows[name_col]))
    ranks = rows["component_rank"].dropna()
    worst = int(ranks.max()) if len(ranks) else 1
    cells = {}
    for r in rows.itertuples(index=False):
        name, edition, rank = getattr(r, name_col), str(r.edition), r.component_rank
        if (name, edition) in cells:
            continue
        lines = [f"{name} · {edition}", t(f"label.{r.label}", lang), str(getattr(r, f"reason_{lang}"))]
        if not _blank(rank):
            lines.append(t("ui.weak.hover_ranks", lang, rank=int(rank),
                           overall=t("doc.rank", lang, rank=int(r.overall_rank))
                           if not _blank(r.overall_rank) else t("ui.none", lang)))
        cells[(name, edition)] = GridCell(
            None if _blank(rank) else int(rank), "" if _blank(rank) else t("doc.rank", lang, rank=int(rank)),
            "\n".join(lines), hatch=_blank(rank), frame=r.label == "weakness")
    return rank_grid_svg(names, editions, cells, worst, lang, key=key, label=label or t("ui.weak.heatmap", lang),
                         width=width)


def component_grid_svg(comp: pd.DataFrame, editions: pd.DataFrame, lang: str, unit: str = "", *,
                       key: str = "components", label: str = "", width: int = WIDE) -> str:
    """Component ranks of one city by edition: one row per component (the first on top), on the one rank scale of
    every grid; a cell with only a score says so ("score 88.5"), uncoloured; each cell's hover its rank and score.

    `comp`: the city's component rows (edition, edition_order, component, component_ko, component_seq, rank, score);
    `editions`: the series' editions (edition, edition_order), whose order the columns follow."""
    comp = comp.sort_values(["component_seq", "edition_order"])
    present = set(comp["edition"].astype(str))
    columns = [e for e in edition_labels(editions) if e in present]
    name_col = "component_ko" if lang == "ko" else "component"
    names = list(dict.fromkeys(comp[name_col]))
    ranks = comp["rank"].dropna()
    worst = int(ranks.max()) if len(ranks) else 1
    cells = {}
    for r in comp.itertuples(index=False):
        name, edition = getattr(r, name_col), str(r.edition)
        if (name, edition) in cells:
            continue
        rank = None if _blank(r.rank) else int(r.rank)
        score = None if _blank(r.score) else float(r.score)
        lines = [f"{name} · {edition}",
                 t("ui.hover.rank", lang, rank=rank) if rank is not None else t("ui.hover.no_rank", lang)]
        if score is not None:
            lines.append(t("ui.hover.score", lang, score=format_number(score), unit=unit).strip())
        text = (t("doc.rank", lang, rank=rank) if rank is not None
                else t("ui.chart.score_cell", lang, score=format_number(score)) if score is not None else "")
        cells[(name, edition)] = GridCell(rank, text, "\n".join(lines))
    return rank_grid_svg(names, columns, cells, worst, lang, key=key, label=label or t("col.component_rank", lang),
                         width=width)


# --- scores within one edition (trends) ---------------------------------------------------------------------------

BAR_ROW = 26


def edition_scores_svg(rows: pd.DataFrame, edition: str, focus_city: str, lang: str, unit: str = "",
                       peers: Sequence[str] = (), *, key: str = "edition_scores", width: int = WIDE) -> str:
    """Scores of the cities in one edition, where scores only compare within an edition: one bar per city, the best
    score on top, each bar in its city's fixed colour (the focus city's name bold), its score printed after it and its
    hover (charts.hover_lines: rank, score, status, source, tier, flags) as a <title>; the score axis from zero. What
    a Plotly bar chart drew here before (issue 13), as SVG; titled with the edition.

    `rows`: rankings of one series (city, city_ko, edition, rank, score, status, publication, source_url, ...)."""
    own = rows[(rows["edition"].astype(str) == str(edition)) & rows["score"].notna()]
    own = own.sort_values(["score", "city"], ascending=[False, True]).reset_index(drop=True)
    names = [city_label(r, lang) for _, r in own.iterrows()]
    scores = [float(v) for v in own["score"]]
    lo, hi = min([0.0, *scores]), max([0.0, *scores])
    ticks = nice_ticks(lo, hi if hi > lo else lo + 1)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    values = [format_number(v) for v in scores]
    left = 12 + min(max((text_width(n) for n in names), default=20), GRID_NAMES_SHARE * width)
    right = 10 + max((text_width(v) for v in values), default=10)
    title = t("ui.chart.scores_in", lang, edition=edition)
    top = 30
    bottom = top + BAR_ROW * max(len(own), 1)
    plot = _Plot(width, left, right, top, bottom, ticks[0], ticks[-1], -0.5, max(len(own), 1) - 0.5)
    parts = [f'<text x="0" y="16" font-size="13" font-weight="bold" fill="#333" data-role="title">'
             f'{_e(_shortened(title, width, 13))}</text>']
    for v in ticks:
        x = plot.x(v)
        parts.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{top}" y2="{_n(bottom)}" stroke="{GRID}"/>')
    parts += _x_labels(plot, [(v, tick_label(v, step)) for v in ticks], bottom + 16,
                       t("ui.chart.score_axis", lang, unit=unit).strip())
    zero = plot.x(0.0)
    for i, r in own.iterrows():
        focus = r["city"] == focus_city
        weight = ' font-weight="bold"' if focus else ""
        y, x = plot.y(i), plot.x(scores[i])
        parts.append(f'<text x="{_n(left - 8)}" y="{_n(y + 4)}" text-anchor="end" fill="#333" data-role="y-tick"'
                     f'{weight}>{_e(_shortened(names[i], left - 12))}</text>')
        x0, x1 = min(zero, x), max(zero, x)
        parts.append(f'<rect x="{_n(x0)}" y="{_n(y - BAR_ROW * 0.36)}" width="{_n(max(x1 - x0, 1))}" '
                     f'height="{_n(BAR_ROW * 0.72)}" fill="{city_colour(r["city"], focus_city, peers)}" data-role="bar" '
                     f'data-city="{_e(r["city"])}" data-score="{_e(scores[i])}" data-focus="{str(focus).lower()}">'
                     f'<title>{_e(chr(10).join(hover_lines(r, lang, unit)))}</title></rect>')
        parts.append(f'<text x="{_n(x1 + 4)}" y="{_n(y + 4)}" fill="#374151" data-role="value">{_e(values[i])}</text>')
    return _svg(width, bottom + 40, title, key, parts)


def _room_for_last(labels: Sequence[str], width: float, left: float) -> float:
    """The right margin of a plot of category slots that keeps the last label (centred on its slot) whole."""
    half_slot = (width - left - 12) / max(len(labels), 1) / 2
    return max(12.0, text_width(labels[-1]) / 2 - half_slot + 2) if labels else 12.0


def _city_legend(lines: Sequence[tuple[str, str]], focus_city: str, peers: Sequence[str], lang: str,
                 width: float) -> tuple[list[str], float]:
    """The legend above a chart of one line per city: (city, name) in drawing order, listed the other way round, so
    the focus city (drawn last) comes first; each a swatch of its line in the city's fixed colour, in rows that fit
    `width`. Its SVG parts and its height."""
    legend = [f'<text x="0" y="12" fill="{INK}">{_e(t("col.city", lang))}</text>']
    listed = list(reversed(lines))
    places, rows = _flow([26 + text_width(name) + 14 for _, name in listed], width - 8,
                         text_width(t("col.city", lang)) + 10)
    for (city, name), (x, y) in zip(listed, places):
        focus, colour = city == focus_city, city_colour(city, focus_city, peers)
        legend.append(f'<line x1="{_n(x)}" x2="{_n(x + 20)}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
                      f'stroke-width="{3 if focus else 2}"/><circle cx="{_n(x + 10)}" cy="{y - 4}" r="3.5" '
                      f'fill="{colour}"/><text x="{_n(x + 26)}" y="{y}" fill="#333" data-role="legend" '
                      f'data-city="{_e(city)}"{BOLD if focus else ""}>{_e(name)}</text>')
    return legend, rows * LEGEND_ROW


def scores_svg(rows: pd.DataFrame, editions: pd.DataFrame, focus_city: str, lang: str, cities: Sequence[str],
               unit: str = "", higher_is_better: bool = True, peers: Sequence[str] = (), *, key: str = "scores",
               width: int = WIDE) -> str:
    """Scores over editions, for a series whose scores compare across editions: one line per city with a score (gaps
    joined), each in its city's fixed colour, the focus city thick and drawn last; editions as categories in their
    order (a year never reads 2,020.5); the better end on top (reversed where lower is better); a legend of the cities
    above, the focus city first; each point's hover (charts.hover_lines) as a <title>. What a Plotly chart drew here
    before (issue 13), as SVG.

    `rows`: rankings of one series (city, city_ko, edition, rank, score, status, publication, source_url, ...)."""
    labels = edition_labels(editions)
    ordered = [c for c in cities if c != focus_city] + ([focus_city] if focus_city in cities else [])
    lines = []  # (city, name, [(slot, score, row)])
    for city in ordered:
        own = rows[(rows["city"] == city) & rows["score"].notna()].drop_duplicates("edition")
        own = own[own["edition"].astype(str).isin(labels)]
        if own.empty:
            continue
        points = sorted((labels.index(str(r["edition"])), float(r["score"]), r) for _, r in own.iterrows())
        lines.append((city, city_label(own.iloc[0], lang), points))
    scores = [s for _, _, points in lines for _, s, _ in points] or [0.0, 1.0]
    lo, hi = min(scores), max(scores)
    ticks = nice_ticks(lo, hi if hi > lo else lo + 1)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    tick_labels = [tick_label(v, step) for v in ticks]
    left = 34 + max(text_width(x) for x in tick_labels)
    legend, legend_h = _city_legend([(c, name) for c, name, _ in lines], focus_city, peers, lang, width)
    top = legend_h + 14 + Y_TITLE_ROOM
    bottom = top + 230
    high, low = (ticks[-1], ticks[0]) if higher_is_better else (ticks[0], ticks[-1])
    right = _room_for_last(labels, width, left)
    plot = _Plot(width, left, right, top, bottom, -0.5, max(len(labels), 1) - 0.5, high, low)
    parts = ['<g transform="translate(4 0)">', *legend, "</g>"]
    parts += _y_axis(plot, ticks, tick_labels, t("ui.chart.score_axis", lang, unit=unit).strip())
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(bottom)}" y2="{_n(bottom)}" '
                 f'stroke="#cccccc"/>')
    parts += _x_labels(plot, list(enumerate(labels)), bottom + 16, t("col.edition", lang))
    for city, name, points in lines:
        focus = city == focus_city
        colour = city_colour(city, focus_city, peers)
        if len(points) > 1:
            parts.append(f'<polyline points="{" ".join(f"{_n(plot.x(i))},{_n(plot.y(s))}" for i, s, _ in points)}" '
                         f'fill="none" stroke="{colour}" stroke-width="{4 if focus else 1.8}" data-role="line" '
                         f'data-city="{_e(city)}"/>')
        for i, score, r in points:
            parts.append(f'<circle cx="{_n(plot.x(i))}" cy="{_n(plot.y(score))}" r="{5 if focus else 3}" fill="{colour}" '
                         f'data-role="score" data-city="{_e(city)}" data-edition="{_e(labels[i])}" '
                         f'data-score="{_e(score)}"><title>{_e(chr(10).join(hover_lines(r, lang, unit)))}</title>'
                         f'</circle>')
    return _svg(width, bottom + 44, t("ui.trends.scores", lang), key, parts)


# --- ranks over editions (trends) ---------------------------------------------------------------------------------

BUMP_HEIGHT = 340
LANE = 22
_WEB = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


def _star(x: float, y: float, r: float = 7.0) -> str:
    points = []
    for k in range(10):
        radius = r if k % 2 == 0 else r * 0.45
        angle = math.pi / 2 + k * math.pi / 5
        points.append(f"{_n(x + radius * math.cos(angle))},{_n(y - radius * math.sin(angle))}")
    return " ".join(points)


def bump_svg(rows: pd.DataFrame, editions: pd.DataFrame, focus_city: str, lang: str, cities: Sequence[str] | None = None,
             unit: str = "", peers: Sequence[str] = (), *, key: str = "bump", width: int = WIDE) -> str:
    """Rank over editions, rank 1 on top, whole ranks ticked; editions as categories in their order (a year never
    reads 2,020.5); every city in its fixed colour (charts.city_colour), the focus city thick and drawn last, a faint
    dotted bridge over its editions without a rank (a gap reads as "no figure", never a fall; peers keep their gaps);
    a legend of the cities above, the focus city first. Each point's hover (charts.hover_lines: rank, score, status,
    source, tier, flags, address) is a <title>, and a point whose figure has a web source is a link to it (a new tab).
    Below the ranks, a strip marks methodology changes (★, with the change as hover, and a dotted guide up through the
    ranks) and the editions where the focus city has no rank (×, with its status and note). What a Plotly chart drew
    here before (issue 13), as SVG.

    `rows`: rankings of one series (city, city_ko, edition, rank, score, status, publication, source_url, note, ...).
    `editions`: that series' editions (edition, edition_order, methodology_change)."""
    labels = edition_labels(editions)
    cities = list(cities) if cities is not None else list(dict.fromkeys(rows["city"]))
    ordered = [c for c in cities if c != focus_city] + ([focus_city] if focus_city in cities else [])
    lines = []  # (city, name, [rank or None per label], [row or None per label])
    for city in ordered:
        own = rows[rows["city"] == city].drop_duplicates("edition").set_index("edition", drop=False)
        own.index = own.index.astype(str)
        if own.empty:
            continue
        at = [own.loc[e] if e in own.index else None for e in labels]
        ranks = [None if r is None or _blank(r["rank"]) else int(r["rank"]) for r in at]
        lines.append((city, city_label(own.iloc[0], lang), ranks, at))
    worst = max([r for _, _, ranks, _ in lines for r in ranks if r is not None] or [1])
    ticks = rank_ticks(worst)

    changes = editions[editions["methodology_change"].notna() & (editions["methodology_change"].astype(str) != "")]
    changes = changes[changes["edition"].astype(str).isin(labels)].sort_values("edition_order")
    gaps = rows[(rows["city"] == focus_city) & (rows["status"] != "ranked") & rows["edition"].astype(str).isin(labels)]
    focus_name = next((name for c, name, _, _ in lines if c == focus_city), focus_city)
    lanes = []
    if len(changes) or len(gaps):
        lanes = [t("ui.chart.lane_change", lang), t("ui.chart.lane_no_rank", lang, city=focus_name)]

    legend, legend_h = _city_legend([(c, name) for c, name, _, _ in lines], focus_city, peers, lang, width)
    top = legend_h + 14 + Y_TITLE_ROOM
    bottom = top + BUMP_HEIGHT
    strip_top = bottom + 10
    strip_bottom = strip_top + LANE * len(lanes)
    left = max(34 + max(text_width(str(v)) for v in ticks),
               12 + max((text_width(lane) for lane in lanes), default=0))
    left = min(left, GRID_NAMES_SHARE * width)
    right = _room_for_last(labels, width, left)
    plot = _Plot(width, left, right, top, bottom, -0.5, max(len(labels), 1) - 0.5, 0.5, worst + 0.5)

    parts = ['<g transform="translate(4 0)">', *legend, "</g>"]
    parts += _y_axis(plot, ticks, [str(v) for v in ticks], t("col.rank", lang))
    axis_y = strip_bottom if lanes else bottom
    parts.append(f'<line x1="{_n(plot.left)}" x2="{_n(width - plot.right)}" y1="{_n(axis_y)}" y2="{_n(axis_y)}" '
                 f'stroke="#cccccc"/>')
    parts += _x_labels(plot, list(enumerate(labels)), axis_y + 16, t("col.edition", lang))
    for edition in changes["edition"].astype(str):  # a dotted guide up through the ranks at each change
        x = plot.x(labels.index(edition))
        parts.append(f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top)}" y2="{_n(axis_y)}" stroke="{CHANGE_COLOUR}" '
                     f'stroke-dasharray="2 3" opacity="0.6" data-role="change-guide" data-edition="{_e(edition)}"/>')
    for i, lane in enumerate(lanes):
        parts.append(f'<text x="{_n(left - 8)}" y="{_n(strip_top + LANE * (i + 0.5) + 4)}" text-anchor="end" '
                     f'fill="{INK}" data-role="lane">{_e(_shortened(lane, left - 12))}</text>')

    for city, name, ranks, at in lines:
        focus, colour = city == focus_city, city_colour(city, focus_city, peers)
        known = [(i, r) for i, r in enumerate(ranks) if r is not None]
        if focus and len(known) > 1:  # the faint bridge over editions without a rank
            parts.append(f'<polyline points="{" ".join(f"{_n(plot.x(i))},{_n(plot.y(r))}" for i, r in known)}" '
                         f'fill="none" stroke="{colour}" stroke-width="1" stroke-dasharray="2 3" opacity="0.5" '
                         f'data-role="bridge"/>')
        run: list[tuple[int, int]] = []
        for i, r in [*enumerate(ranks), (len(ranks), None)]:  # one line per run of editions with a rank
            if r is not None:
                run.append((i, r))
                continue
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(f"{_n(plot.x(j))},{_n(plot.y(q))}" for j, q in run)}" '
                             f'fill="none" stroke="{colour}" stroke-width="{4 if focus else 1.8}" '
                             f'opacity="{1 if focus else 0.85}" data-role="line" data-city="{_e(city)}"/>')
            run = []
        for i, r in known:
            dot = (f'<circle cx="{_n(plot.x(i))}" cy="{_n(plot.y(r))}" r="{5.5 if focus else 3.5}" fill="{colour}" '
                   f'stroke="white" stroke-width="1" data-role="rank" data-city="{_e(city)}" '
                   f'data-edition="{_e(labels[i])}" data-rank="{r}"><title>'
                   f'{_e(chr(10).join(hover_lines(at[i], lang, unit)))}</title></circle>')
            url = str(at[i].get("source_url") or "") if not _blank(at[i].get("source_url")) else ""
            if _WEB.match(url):  # a click opens the figure's source, as the hover says
                dot = f'<a href="{_e(url)}" target="_blank" rel="noopener noreferrer">{dot}</a>'
            parts.append(dot)

    if lanes:
        lane_y = [strip_top + LANE * (i + 0.5) for i in range(2)]
        for edition, change in zip(changes["edition"].astype(str), changes["methodology_change"]):
            x = plot.x(labels.index(edition))
            hover = f"{t('col.methodology_change', lang)} · {edition}\n{change}"
            parts.append(f'<polygon points="{_star(x, lane_y[0])}" fill="{CHANGE_COLOUR}" data-role="change" '
                         f'data-edition="{_e(edition)}"><title>{_e(hover)}</title></polygon>')
        for _, g in gaps.iterrows():
            x = plot.x(labels.index(str(g["edition"])))
            hover = hover_lines(g, lang) + ([str(g["note"])] if not _blank(g.get("note")) and g.get("note") else [])
            parts.append(f'<g data-role="no-rank" data-edition="{_e(g["edition"])}">{_cross(x, lane_y[1], FOCUS_COLOUR)}'
                         f'<rect x="{_n(x - 7)}" y="{_n(lane_y[1] - 7)}" width="14" height="14" fill="transparent">'
                         f'<title>{_e(chr(10).join(hover))}</title></rect></g>')
    return _svg(width, axis_y + 44, t("ui.trends.rank_chart", lang), key, parts)
