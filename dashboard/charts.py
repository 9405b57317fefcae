"""What every chart shares (a city's colour, rank ticks, a figure's hover lines, the rank colour scale): pure functions
from warehouse frames, no Streamlit, no queries, no Plotly (dashboard.svg_charts draws every chart as SVG)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import pandas as pd

from dashboard.text import t
from pipelines.analysis import signals
from pipelines.analysis.signals import blank as _blank
from pipelines.reports.render import FOCUS_COLOUR

# One colour per city, the same in every chart whatever else is selected: the focus city red; the catalogue's
# peer cities (indicators.yml `peer_cities`) a distinct hue each, in catalogue order; any other city a muted
# colour fixed by its name. No peer hue is red, so the focus city stays the one that stands out.
PEER_COLOURS = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#c9a227", "#9c755f", "#ff9da7",
    "#8cd17d", "#86bcb6", "#f1ce63", "#a0cbe8",
)
OTHER_COLOURS = ("#9aa5b4", "#b3a6c4", "#a3bfae", "#c4b49c", "#9db4cc", "#c2a3a3", "#b0b08c", "#a8a8a8")
CHANGE_COLOUR = "#6c5ce7"
BEFORE_COLOUR = "#9aa5b4"  # values from before an action was accepted


def format_number(value: object) -> str:
    """A score as the publisher prints it: no trailing zeros, thousands separated."""
    if _blank(value):
        return ""
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}".rstrip("0").rstrip(".")


def city_colour(city: str, focus_city: str, peers: Sequence[str] = ()) -> str:
    """The city's colour in every chart: fixed by the catalogue (focus city, peer order), never by the selection."""
    if city == focus_city:
        return FOCUS_COLOUR
    peers = list(peers)
    if city in peers:
        return PEER_COLOURS[peers.index(city) % len(PEER_COLOURS)]
    return OTHER_COLOURS[zlib.crc32(str(city).encode("utf-8")) % len(OTHER_COLOURS)]


def city_label(row: pd.Series | dict, lang: str) -> str:
    ko = row.get("city_ko")
    return ko if lang == "ko" and isinstance(ko, str) and ko else str(row["city"])


def edition_labels(editions: pd.DataFrame) -> list[str]:
    """Edition labels in publication order: the categories of every x axis."""
    return [str(e) for e in editions.sort_values("edition_order")["edition"]]


def rank_ticks(max_rank: int) -> list[int]:
    """Whole-number rank ticks from 1 to max_rank, never a fractional position."""
    max_rank = max(int(max_rank), 1)
    step = next((s for limit, s in ((12, 1), (24, 2), (60, 5), (120, 10), (300, 25)) if max_rank <= limit), 50)
    ticks = list(range(1, max_rank + 1)) if step == 1 else [1] + list(range(step, max_rank + 1, step))
    return sorted(set(ticks))


def _source_url(row: pd.Series | dict) -> str:
    url = row.get("source_url")
    return str(url) if not _blank(url) and url else ""


def hover_lines(row: pd.Series | dict, lang: str, unit: str = "") -> list[str]:
    """What a figure is and where it comes from, as plain lines: city · edition, rank, score, status, source, the
    source's tier, the flags it carries, the address it is read from (cut to 90 characters)."""
    rank = row.get("rank")
    score = row.get("score")
    lines = [f"{city_label(row, lang)} · {row['edition']}"]
    lines.append(t("ui.hover.rank", lang, rank=int(rank)) if not _blank(rank) else t("ui.hover.no_rank", lang))
    if not _blank(score):
        lines.append(t("ui.hover.score", lang, score=format_number(score), unit=unit).strip())
    lines.append(t("ui.hover.status", lang, status=t(f"status.{row.get('status') or 'not_found'}", lang)))
    source = row.get("publication")
    if _blank(source) or not source:
        source = row.get("source_url")
    lines.append(t("ui.hover.source", lang, source=source if not _blank(source) and source else t("ui.none", lang)))
    # what the figure rests on: the source's tier, the flags it carries, the address it is read from
    tier = row.get(f"tier_{lang}")
    if not _blank(tier) and tier:
        lines.append(t("ui.hover.tier", lang, tier=tier))
    for flag in signals.flag_help(row.get("flags"), lang):
        lines.append(f"⚑ {flag}")
    if _source_url(row):
        lines.append(_source_url(row)[:90])
    return lines


# --- analysis and forum (weak points, 2030 goal, action items) ----------------------------------

NO_DATA_COLOUR = "#e5e7eb"
HATCH_COLOUR = "#9ca3af"
WEAK_COLOUR = "#d7263d"
GOAL_BAND_COLOUR = "rgba(46, 160, 67, 0.13)"
# The one colour scale for component ranks, in every rank grid (svg_charts.rank_grid_svg): pale blue for the worst rank
# shown, deepening to dark blue for rank 1, which comes first in the grid's legend (RANK_BAR_TICKS <= the worst rank).
RANK_SCALE = [[0, "#f1f6fb"], [0.2, "#c6dbef"], [0.45, "#6baed6"], [0.75, "#2171b5"], [1, "#08306b"]]
RANK_BAR_TICKS = (1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500)


def rank_colour_value(rank: int, worst: int) -> float:
    """Where a rank sits on the colour scale (1 = rank 1, 0 = the worst rank shown): logarithmic, so 3rd and 8th
    differ as much as 30th and 80th."""
    return 1 - math.log10(max(rank, 1)) / math.log10(max(worst, 2))


def edition_x(year: object, published: object) -> float:
    """An edition's position on a year axis: its publication month where known, else mid-year."""
    if isinstance(published, str) and len(published) >= 7 and published[4] == "-" and published[5:7].isdigit():
        return int(published[:4]) + (int(published[5:7]) - 0.5) / 12
    return int(year) + 0.5


def year_ticks(first: int, last: int) -> list[int]:
    """Whole years from first to last, thinned so that about eight show; never a fractional year."""
    span = max(last - first, 1)
    step = next(s for s in (1, 2, 5, 10, 20) if span / s <= 8)
    start = first - first % step if step > 1 else first
    return [y for y in range(start, last + 1, step) if y >= first] + ([last] if (last - start) % step else [])


def goal_rank_ticks(worst: int, target: int) -> list[int]:
    """Rank ticks for a short chart: every rank up to 12; beyond that 1, 10, the goal rank and round ranks (a step
    of 5, 10, 20, … giving about five), each kept only where its label does not crowd one already kept (a tenth
    of the axis apart). 1 and 10 come first: the goal rank is named by the goal band's own label anyway."""
    worst = max(int(worst), 1)
    if worst <= 12:
        return list(range(1, worst + 1))
    step = next((s for s in (5, 10, 20, 25, 50, 100, 250) if worst / s <= 6), 500)
    gap = 0.1 * worst
    kept: list[int] = []
    for tick in [1, 10, target, *range(step, worst + 1, step)]:
        if tick <= worst and all(abs(tick - k) >= gap for k in kept):
            kept.append(tick)
    return sorted(kept)


TARGET_COLOUR = "#2e7d32"
DUE_COLOUR = "#b54708"

