"""The release calendar: each series' usual release months, the data-collection window before them, and .ics."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pandas as pd

from pipelines import sql
from pipelines.analysis.due import due_status
from pipelines.catalogue import Catalogue
from pipelines.messages import t


def _add_months(day: date, months: int) -> date:
    m = day.month - 1 + months
    return date(day.year + m // 12, m % 12 + 1, 1)


def upcoming(cat: Catalogue, con: duckdb.DuckDBPyConnection | None, today: date | None = None) -> pd.DataFrame:
    """One row per expected release in the horizon: its month(s), the collection window before it, the
    city-managed indicators that feed the series and which of them are out of date, and whether an
    edition of that period is already in the warehouse."""
    today = today or cat.today()  # the catalogue's zone, not the server's
    horizon = cat.calendar.horizon_months
    window = cat.calendar.collection_window_months
    first = date(today.year, today.month, 1)
    last = _add_months(first, horizon)
    due = due_status(con, cat, today) if con is not None else None
    state = dict(zip(due["indicator_id"], due["state"])) if due is not None else {}
    loaded = set()
    if con is not None:
        loaded = set(sql.rows(con, "edition_keys"))
    rows = []
    for s in cat.series.values():
        feeding = sorted({i.id for i in cat.indicators.values() if any(f.series == s.id for f in i.feeds)})
        stale = [i for i in feeding if state.get(i) in ("due", "overdue")]
        months = sorted(set(s.release_months))
        # A semiannual series releases in each of its months; any other in one window spanning them.
        windows = [[m] for m in months] if s.cadence == "semiannual" else [months]
        for year in (today.year, today.year + 1, today.year + 2):
            for w in windows:
                start, end = date(year, w[0], 1), date(year, w[-1], 1)
                if end < first or start >= last:
                    continue
                if s.cadence == "semiannual":
                    published = any(i == s.id and p == start.strftime("%Y-%m") for i, _, p in loaded)
                else:
                    published = any(i == s.id and y == year for i, y, _ in loaded)
                rows.append({
                    "month": start.strftime("%Y-%m"), "month_end": end.strftime("%Y-%m"), "index_id": s.id,
                    "title_ko": s.title.ko, "title_en": s.title.en, "short_ko": s.short.ko, "short_en": s.short.en,
                    "office_id": s.office_id,
                    "collection_from": _add_months(start, -window).strftime("%Y-%m"),
                    "window_open": _add_months(start, -window) <= first, "published": published,
                    "indicators": feeding, "out_of_date": stale, "cadence": s.cadence,
                })
    columns = ["month", "month_end", "index_id", "title_ko", "title_en", "short_ko", "short_en", "office_id",
               "collection_from", "window_open", "published", "indicators", "out_of_date", "cadence"]
    return pd.DataFrame(rows, columns=columns).sort_values(["month", "index_id"]).reset_index(drop=True)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        if len(current) + len(encoded) > 75:
            out.append(current.decode("utf-8"))
            current = b" "
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def to_ics(table: pd.DataFrame, cat: Catalogue, lang: str = "ko", stamp: datetime | None = None) -> bytes:
    """An iCalendar file: one all-month event per expected release and one per collection window start."""
    stamp = (stamp or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    city = cat.focus_city
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//cityidx//release calendar//KO", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:" + _escape(t("cal.name", lang, city=city))]
    for rec in table.itertuples():
        start = date.fromisoformat(rec.month + "-01")
        title = rec.title_ko if lang == "ko" else rec.title_en
        detail = t("cal.detail", lang, indicators=", ".join(rec.indicators) or "-", stale=", ".join(rec.out_of_date) or "-")
        lines += ["BEGIN:VEVENT", f"UID:{rec.index_id}-{rec.month}-release@cityidx", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                  f"DTEND;VALUE=DATE:{_add_months(date.fromisoformat(rec.month_end + '-01'), 1):%Y%m%d}",
                  "SUMMARY:" + _escape(t("cal.release", lang, title=title)), "DESCRIPTION:" + _escape(detail),
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
        wstart = date.fromisoformat(rec.collection_from + "-01")
        lines += ["BEGIN:VEVENT", f"UID:{rec.index_id}-{rec.month}-collect@cityidx", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{wstart:%Y%m%d}", f"DTEND;VALUE=DATE:{wstart.replace(day=2):%Y%m%d}",
                  "SUMMARY:" + _escape(t("cal.collect", lang, title=title)), "DESCRIPTION:" + _escape(detail),
                  "TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
