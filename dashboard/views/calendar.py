"""Release calendar & brief: the next months' releases, the submission pack, the quarterly brief, source snapshots."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dashboard import data, display, svg_charts
from dashboard.display import local_time, zone_note
from dashboard.text import DEFAULT_LANG, t
from pipelines.ledger import fetch
from pipelines.reports.calendar import to_ics
from pipelines.reports.render import csv_bytes, xlsx_bytes

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

TIMELINE_COLOURS = {"collect": "#c7d5ec", "release": "#1f4e9c", "release_loaded": "#8e9aaf"}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def col(key: str) -> str:
    return t(f"col.{key}", lang)


def span(rec) -> str:
    return rec.month if rec.month == rec.month_end else f"{rec.month}~{rec.month_end}"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


# Load inputs.
cat = data.catalogue_or_stop(lang)
cat_key = data.catalogue_key(cat)  # the catalogue file's name and mtime: part of every key below (one stat a run)
today = data.local_today()  # the Seoul date (the catalogue's zone), as the page says: not the server's
table = data.upcoming_releases(cat, today)
titles = {s.id: s.title.get(lang) for s in cat.series.values()}
shorts = {s.id: s.short.get(lang) for s in cat.series.values()}
offices = {o.id: o.name.get(lang) for o in cat.offices.values()}
indicator_names = {i.id: i.name.get(lang) for i in cat.indicators.values()}
months = cat.calendar.horizon_months

st.title(t("ui.cal.title", lang))
zone_note(lang)
st.caption(t("ui.cal.intro", lang, months=months, today=today.isoformat()))

# 1. The calendar: the timeline, the table and the .ics.
st.subheader(t("ui.cal.timeline", lang, months=months))
if table.empty:
    st.info(t("ui.cal.none", lang))
else:
    def timeline_and_table() -> None:
        # drawn as SVG: a page with no Plotly chart spares the browser Plotly's 4.7 MB of JavaScript (issue 13)
        hover = [t("ui.cal.hover", lang, title=r.title_ko if lang == "ko" else r.title_en, span=span(r),
                   start=r.collection_from, n=len(r.indicators), stale=len(r.out_of_date))
                 for r in table.itertuples()]
        svg_charts.show(svg_charts.timeline_svg(table.assign(hover=hover), shorts, pd.Timestamp(today), lang,
                                                colours=TIMELINE_COLOURS))
        calendar_view = pd.DataFrame({
            col("month"): [span(r) for r in table.itertuples()],
            col("index"): table[f"title_{lang}"],
            col("office"): [offices.get(o, o) for o in table["office_id"]],
            col("collect_from"): table["collection_from"],
            col("window_open"): table["window_open"].astype(bool),
            col("loaded"): table["published"].astype(bool),
            col("city_indicator_count"): [len(x) for x in table["indicators"]],
            col("stale_count"): [len(x) for x in table["out_of_date"]],
            col("out_of_date"): [", ".join(indicator_names.get(i, i) for i in x) or "—" for x in table["out_of_date"]],
        })
        # Long names are cut in the cell and shown whole on hover; the counts before them stay readable.
        display.table(
            calendar_view, "cal_table", head=2, hide_index=True, width="stretch", height="content", key="cal_table",
            column_config={
                col("index"): st.column_config.TextColumn(col("index"), width="medium"),
                col("office"): st.column_config.TextColumn(col("office"), width="medium"),
                col("window_open"): st.column_config.CheckboxColumn(col("window_open")),
                col("loaded"): st.column_config.CheckboxColumn(col("loaded")),
                col("out_of_date"): st.column_config.TextColumn(col("out_of_date"), width="large"),
            },
        )

    # the timeline and the table follow from the catalogue, the day and the warehouse: drawn once, replayed after
    data.static(timeline_and_table, "calendar", lang, today.isoformat(), cat_key)
    ics = data.once(lambda: to_ics(table, cat, lang), "calendar-ics", lang, cat_key)
    st.download_button(t("ui.cal.ics", lang), ics, file_name=f"{t('ui.cal.ics_file', lang)}.ics",
                       mime="text/calendar", key="download_ics", icon=":material/calendar_month:",
                       help=t("ui.cal.ics_help", lang))

# 2. The submission pack for one series; by default the next release that city data feeds.
st.subheader(t("ui.cal.pack", lang))
st.caption(t("ui.cal.pack_intro", lang))
options = list(cat.series)
fed = [sid for sid, inds in zip(table["index_id"], table["indicators"]) if len(inds)]
chosen = st.selectbox(t("col.index", lang), options, index=options.index(fed[0]) if fed else 0,
                      format_func=lambda sid: titles[sid], key="cal_pack_series", width=480)
pack = data.submission_pack(cat, chosen, lang)
if pack.empty:
    st.info(t("ui.cal.pack_empty", lang))
else:
    def pack_table() -> None:
        missing = int(pack[t("col.value", lang)].isna().sum())  # the pack says "no value" in its period column
        st.caption(t("ui.cal.pack_count", lang, n=len(pack), missing=missing))
        # On screen the figures come before the long definitions; the files keep the pack's own column order.
        url_col, value_col = t("col.source_url", lang), t("col.value", lang)
        first = [t(f"col.{k}", lang) for k in ("indicator_id", "indicator", "period", "value", "unit", "owner")]
        on_screen = pack[first + [c for c in pack.columns if c not in first]]
        # on a phone one card per indicator, under its name (the id is for the machine that reads the files)
        display.table(on_screen.drop(columns=[first[0]]), "cal_pack", shown=on_screen, hide_index=True,
                      width="stretch", height="content", key="cal_pack",
                      column_config={url_col: st.column_config.LinkColumn(url_col),
                                     value_col: st.column_config.NumberColumn(value_col, format="localized"),
                                     t("col.definition", lang): st.column_config.TextColumn(width="large")})

    # the pack follows from the warehouse, the catalogue and the series: drawn once, replayed after
    data.static(pack_table, "calendar-pack", chosen, lang, cat_key)
    name = f"{chosen}_{t('ui.cal.pack_file', lang)}"
    with st.container(horizontal=True):
        st.download_button(t("ui.cal.pack_xlsx", lang),
                           data.once(lambda: xlsx_bytes({chosen: pack}), "pack-xlsx", chosen, lang, cat_key),
                           file_name=f"{name}.xlsx",
                           mime=XLSX_MIME, key="download_pack_xlsx", icon=":material/table_view:")
        st.download_button(t("ui.cal.pack_csv", lang),
                           data.once(lambda: csv_bytes(pack), "pack-csv", chosen, lang, cat_key),
                           file_name=f"{name}.csv", mime="text/csv",
                           key="download_pack_csv", icon=":material/download:")

# 3. The quarterly brief: any quarter from the oldest edition's year to now, the last complete one first.
st.subheader(t("ui.cal.brief", lang))
st.caption(t("ui.cal.brief_intro", lang))
year, quarter = quarter_of(today)
first_year = min(data.first_edition_year() or year, year)
quarters = [f"{y}-Q{q}" for y in range(year, first_year - 1, -1) for q in range(4, 0, -1) if (y, q) <= (year, quarter)]
current = quarters[0]
chosen_quarter = st.selectbox(
    t("ui.cal.quarter", lang), quarters, index=1 if len(quarters) > 1 else 0, key="cal_quarter", width=240,
    format_func=lambda q: t("ui.cal.quarter_current", lang, quarter=q) if q == current else q,
)
brief_html = data.quarterly_brief(cat, chosen_quarter, lang)
st.download_button(t("ui.cal.brief_download", lang), brief_html.encode("utf-8"),
                   file_name=f"{t('ui.cal.brief_file', lang)}_{chosen_quarter}_{lang}.html", mime="text/html",
                   key="download_brief", icon=":material/print:")
with st.container(border=True):
    # The brief is the product's own HTML (ledger text escaped where it is built); an iframe keeps its
    # print stylesheet from restyling the dashboard.
    st.iframe(brief_html, height="content")  # as tall as the brief: no box with its own scrollbar

# 4. Source snapshots: what `cityidx fetch` last stored; the page itself never fetches.
st.subheader(t("ui.cal.snapshots", lang))
st.caption(t("ui.cal.snapshots_intro", lang))
sources = [(s, src) for s in cat.series.values() for src in s.fetch]
if not sources:
    st.info(t("ui.cal.no_sources", lang))
else:
    rows = []
    for s, src in sources:
        snap = fetch.latest_snapshot(cat, s.id, src.url)
        rows.append({
            col("index"): titles[s.id],
            col("fetched_at"): local_time(snap["fetched_at"]) if snap else t("ui.cal.never_fetched", lang),
            col("sha256"): snap["sha256"][:12] if snap else "—",
            col("bytes"): f"{snap['bytes']:,}" if snap else "—",
            col("format"): src.format,
            col("source_url"): src.url,
        })
    display.table(pd.DataFrame(rows), "cal_snapshots", hide_index=True, width="stretch", height="content", key="cal_snapshots",
                 column_config={col("source_url"): st.column_config.LinkColumn(col("source_url"))})
# Inline code, not st.code: a code block makes every browser load Streamlit's 1.5 MB syntax highlighter (issue 13).
st.caption(t("ui.cal.fetch_command", lang, command="`cityidx fetch`"))
