"""Files the product writes for people: safe CSV/xlsx tables, static SVG charts, printable HTML documents."""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from pipelines import sql
from pipelines.catalogue import Catalogue

DEFAULT_TIMEZONE: str = Catalogue.model_fields["timezone"].default

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# The focus city's colour in every chart the product draws: the dashboard's SVG charts and these.
FOCUS_COLOUR = "#d7263d"

def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Korean Excel opens it correctly), formula-like cells neutralised, CRLF rows."""
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An xlsx workbook, one sheet per frame: bold frozen header row with an autofilter, cells neutralised,
    columns sized to their text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, frame in sheets.items():
        ws = wb.create_sheet(title=title[:31])
        safe = neutralise_frame(frame)
        ws.append(list(safe.columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in safe.itertuples(index=False):
            ws.append([None if (not isinstance(v, (list, dict)) and pd.isna(v)) else v for v in row])
        for i, col in enumerate(safe.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in safe.iloc[:, i - 1].head(200)])
            ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(60, max(8, width * 1.6))
        ws.freeze_panes = "A2"  # the header row stays in view
        if safe.shape[1]:  # a filter drop-down on every header, so a meeting can sort by owner or overdue
            ws.auto_filter.ref = ws.dimensions
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def setting(con, key: str, default: str) -> str:
    """A catalogue setting the build wrote into the warehouse (`setting` table)."""
    found = dict(sql.rows(con, "settings"))
    return found.get(key) or default


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date where the people are (a Seoul morning is still yesterday in UTC)."""
    return (now or datetime.now(ZoneInfo("UTC"))).astimezone(ZoneInfo(timezone)).date()


def zone_name(timezone: str) -> str:
    """The zone's short name as people read it (KST for Asia/Seoul)."""
    return datetime.now(ZoneInfo(timezone)).tzname() or timezone


def local_time(iso: object, timezone: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO 8601 time from the ledger (UTC, or with its own offset) in `timezone`; '' when missing.
    A time without an offset is read as UTC, which is how the ledger writes."""
    if iso is None or (not isinstance(iso, (str, datetime)) and pd.isna(iso)) or iso == "":
        return ""
    stamp = pd.Timestamp(iso)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(timezone).strftime(fmt)


def nice_ticks(lo: float, hi: float, count: int = 5, *, ranks: bool = False) -> list[float]:
    """Round axis ticks covering lo..hi: a step of 1, 2 or 5 times a power of ten giving about `count` ticks, the
    first tick at or below lo and the last at or above hi (so no point sits beyond the axis). For `ranks`, ticks
    are whole numbers and a tick at 0 becomes 1 (there is no 0th place): 1/10/20/30/40, never 6/14/22/31/39."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi, lo = hi + (1 if ranks else 0.5), max(lo - (1 if ranks else 0.5), 1 if ranks else lo - 0.5)
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if ranks:
        step = max(1, round(step))
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value < hi + step * 1e-9 or not ticks or ticks[-1] < hi:
        ticks.append(round(value, 10))
        value += step
    if ranks:
        ticks = [max(1, int(v)) for v in ticks]
        ticks = sorted(set(ticks))
    return ticks


def tick_label(value: float, step: float) -> str:
    if float(value).is_integer() and float(step).is_integer():
        return f"{int(value):,}"
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 1
    if step > 0 and round(step, decimals) != step:  # a step of 2.5, 0.25: one more place, or 1.25 would read 1.2
        decimals += 1
    return f"{value:,.{decimals}f}"


def text_width(text: str, size: float = 11) -> float:
    """A text's rendered width, roughly: Hangul and other wide characters a full em, the rest about 0.6 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def line_with_gaps(steps: Sequence[float], xs: Sequence[float], ys: Sequence[float], colour: str,
                   width: float) -> list[str]:
    """A line through the points (`xs`, `ys` in pixels; `steps` their places on the x axis, in order): solid between
    places next to each other, thin and dashed across places without a value (data-role "gap"), so that a missing
    year never reads as one year's change. The dashboard's charts and the printed ones draw their gaps with it."""
    parts: list[str] = []
    run = [0] if len(steps) else []
    for i in range(1, len(steps) + 1):
        if i < len(steps) and steps[i] - steps[i - 1] <= 1:
            run.append(i)
            continue
        if len(run) > 1:
            points = " ".join(f"{xs[j]:.1f},{ys[j]:.1f}" for j in run)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{width}" points="{points}"/>')
        if i < len(steps):
            parts.append(f'<line x1="{xs[i - 1]:.1f}" y1="{ys[i - 1]:.1f}" x2="{xs[i]:.1f}" y2="{ys[i]:.1f}" '
                         f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 4" data-role="gap"/>')
            run = [i]
    return parts


def svg_line_chart(series: dict[str, list[tuple[str, float | None]]], *, title: str = "", reverse_y: bool = False,
                   highlight: str | None = None, marker_x: str | None = None, marker_label: str = "",
                   dash_gaps: bool = False, width: int = 560, height: int = 220) -> str:
    """A small static line chart as inline SVG: categorical x in the order given, round y ticks (nice_ticks).

    `reverse_y` puts the smallest value on top (ranks; whole-number values then get rank ticks from 1).
    `marker_x` draws a dashed vertical line at that x. With more than one series, the legend is a list under the
    plot, one entry per line (it cannot overlap the title or another entry); the chart grows to hold it. The
    first and last x labels are anchored inward, so none is cut at the edge. With `dash_gaps`, a line crosses an x
    where its value is None thin and dashed (a period without a value: periods.time_axis gives every period its place),
    so that a missing year never reads as one year's change; otherwise it joins the values it has.
    """
    xs: list[str] = []
    for points in series.values():
        for x, _ in points:
            if x not in xs:
                xs.append(x)
    values = [float(v) for pts in series.values() for _, v in pts if v is not None and not pd.isna(v)]
    legend = list(series) if len(series) > 1 else []
    line_h = 15
    pad_t, pad_b = (28 if title else 12), 30
    ranks = reverse_y and bool(values) and all(v.is_integer() for v in values)
    ticks = nice_ticks(min(values), max(values), ranks=ranks) if values else []
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    labels = [tick_label(v, step) for v in ticks]
    pad_l = max(28, int(max((text_width(lb) for lb in labels), default=10)) + 12)
    pad_r = 16
    total_h = height + line_h * len(legend)
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" viewBox="0 0 {width} {total_h}" '
             f'font-family="NanumGothic, Noto Sans KR, sans-serif" font-size="11" role="img">']
    if title:
        parts.append(f'<text x="{pad_l}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>')
    if not values or not xs:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="#888">—</text></svg>')
        return "".join(parts)
    lo, hi = ticks[0], ticks[-1]
    if lo == hi:
        hi = lo + 1

    def sx(x: str) -> float:
        return pad_l + (plot_w * (xs.index(x) / (len(xs) - 1)) if len(xs) > 1 else plot_w / 2)

    def sy(v: float) -> float:
        frac = (v - lo) / (hi - lo)
        return pad_t + (plot_h * frac if reverse_y else plot_h * (1 - frac))

    for v, label in zip(ticks, labels):
        y = sy(v)
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{html.escape(label)}</text>')
    # As many x labels as fit, always the first and the last; a label too long for its slot is shortened to its
    # last number (an edition "GSER 2025" reads "2025"); the two ends are anchored inward so neither is cut.
    names = [x if len(x) <= 9 else (re.findall(r"\d+", x) or [x[:9]])[-1] for x in xs]
    slot = max(text_width(n) for n in names) + 10
    if len(xs) > 1 and slot > plot_w / (len(xs) - 1):
        names = [(re.findall(r"\d+", n) or [n])[-1] for n in names]
        slot = max(text_width(n) for n in names) + 10

    def span(i: int) -> tuple[str, float, float]:
        """Where label i goes: its anchor, its left edge and its right edge (the ends anchored inward)."""
        w = text_width(names[i])
        if len(xs) > 1 and i == 0:
            return "start", sx(xs[i]) - 4, sx(xs[i]) - 4 + w
        if len(xs) > 1 and i == len(xs) - 1:
            return "end", sx(xs[i]) + 4 - w, sx(xs[i]) + 4
        return "middle", sx(xs[i]) - w / 2, sx(xs[i]) + w / 2

    def clear(labels: list[int]) -> bool:
        return all(span(a)[2] + 8 <= span(b)[1] for a, b in zip(labels, labels[1:]))

    last = len(xs) - 1
    shown = [0]
    for every in range(1, last + 1):  # the smallest even step whose labels clear each other by 8 px
        pick = [i for i in range(0, last, every) if i == 0 or span(i)[2] + 8 <= span(last)[1]] + ([last] if last else [])
        if clear(pick):
            shown = pick
            break
    else:
        shown = [0, last] if clear([0, last]) else [last]
    for i in shown:
        anchor, left, right = span(i)
        x = left if anchor == "start" else right if anchor == "end" else (left + right) / 2
        parts.append(f'<text x="{x:.1f}" y="{height - pad_b + 16}" text-anchor="{anchor}" fill="#555">'
                     f'{html.escape(names[i])}</text>')
    if marker_x is not None:
        mx = sx(marker_x) if marker_x in xs else None
        if mx is None:  # between categories: place it after the last x that sorts before it
            before = [x for x in xs if x <= marker_x]
            mx = sx(before[-1]) + (plot_w / max(len(xs) - 1, 1)) / 2 if before else pad_l
        parts.append(f'<line x1="{mx:.1f}" x2="{mx:.1f}" y1="{pad_t}" y2="{pad_t + plot_h}" stroke="#d62728" stroke-dasharray="4 3"/>')
        parts.append(f'<text x="{mx + 4:.1f}" y="{pad_t + 10}" fill="#d62728">{html.escape(marker_label)}</text>')
    palette = ["#9aa5b1", "#b9a38a", "#8fb3a3", "#a99cc4", "#c4a0a0", "#9cb8c9", "#c9b99c", "#a3a3a3"]
    for n, (name, points) in enumerate(series.items()):
        colour = FOCUS_COLOUR if name == highlight else palette[n % len(palette)]
        stroke = 3 if name == highlight else 1.5
        kept = [(xs.index(x), sx(x), sy(float(v))) for x, v in sorted(points, key=lambda p: xs.index(p[0]))
                if v is not None and not pd.isna(v)]
        # without dash_gaps every value is its neighbour's: one line through them all
        steps = [i for i, _, _ in kept] if dash_gaps else list(range(len(kept)))
        parts += line_with_gaps(steps, [x for _, x, _ in kept], [y for _, _, y in kept], colour, stroke)
        pts = [(x, y) for _, x, y in kept]
        for x, y in pts:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{3 if name == highlight else 2}" fill="{colour}"/>')
        if legend:
            ly = height + line_h * n + 4
            parts.append(f'<line x1="{pad_l}" x2="{pad_l + 18}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" '
                         f'stroke-width="{stroke}"/>')
            parts.append(f'<text x="{pad_l + 24}" y="{ly}" text-anchor="start" fill="#333">{html.escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


PRINT_CSS = """
body { font-family: 'NanumGothic', 'Noto Sans KR', sans-serif; color: #222; margin: 2rem auto; max-width: 60rem; line-height: 1.5; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #1f4e9c; padding-bottom: .3rem; }
h2 { font-size: 1.25rem; margin-top: 2rem; color: #1f4e9c; }
h3 { font-size: 1.05rem; margin-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f0f3f8; }
.muted { color: #666; font-size: .85rem; }
.tag { display: inline-block; padding: 0 .4rem; border-radius: .3rem; background: #eef; font-size: .8rem; }
.weakness { background: #fde8e8; } .strength { background: #e6f4ea; }
section { page-break-inside: avoid; }
svg { max-width: 100%; height: auto; }
@media (max-width: 640px) { body { margin: .5rem; } table { font-size: .8rem; } th, td { padding: .2rem .3rem; } }
@media print { body { margin: 0; max-width: none; } a { color: inherit; text-decoration: none; } h2 { page-break-after: avoid; } }
"""


def html_document(title: str, body: str, lang: str = "ko") -> str:
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<style>{PRINT_CSS}</style>\n</head>\n'
            f'<body>\n{body}\n</body>\n</html>\n')


def html_table(frame: pd.DataFrame, links: dict[str, str] | None = None) -> str:
    """A frame as an escaped HTML table; `links` maps a column to the column holding its URL."""
    links = links or {}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns if c not in links.values())
    rows = []
    for rec in frame.to_dict("records"):
        cells = []
        for col in frame.columns:
            if col in links.values():
                continue
            value = rec[col]
            text = "" if value is None or (not isinstance(value, (list, dict)) and pd.isna(value)) else str(value)
            url = rec.get(links[col]) if col in links else None
            cell = f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if isinstance(url, str) and url else html.escape(text)
            cells.append(f"<td>{cell}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def city_name(con, city: str, lang: str) -> str:
    """A city as the document's language names it (서울 in Korean), from the warehouse's city mapping."""
    if lang != "ko":
        return city
    return sql.value(con, "city_ko", city=city) or city


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
