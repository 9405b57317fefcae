"""Release calendar & brief: the next months' releases, the submission pack, the quarterly brief, source snapshots."""

from __future__ import annotations

import html
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import data, display
from dashboard.charts import FOCUS_COLOUR, FONT
from dashboard.display import local_time, zone_note
from dashboard.text import DEFAULT_LANG, t
from pipelines.ledger import fetch
from pipelines.reports.calendar import to_ics
from pipelines.reports.render import csv_bytes, xlsx_bytes

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

COLLECT_COLOUR = "#c7d5ec"
RELEASE_COLOUR = "#1f4e9c"
LOADED_COLOUR = "#8e9aaf"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def col(key: str) -> str:
    return t(f"col.{key}", lang)


def month(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01")


def span(rec) -> str:
    return rec.month if rec.month == rec.month_end else f"{rec.month}~{rec.month_end}"


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def timeline(table: pd.DataFrame, labels: dict[str, str], today: date) -> go.Figure:
    """One row per series: the collection window as a pale bar, the expected release month(s) as a dark one."""
    order = [sid for sid in labels if sid in set(table["index_id"])]
    kinds = {"collect": ([], [], [], []), "release": ([], [], [], []), "release_loaded": ([], [], [], [])}
    for rec in table.itertuples():
        start, release, end = month(rec.collection_from), month(rec.month), month(rec.month_end) + pd.offsets.MonthBegin(1)
        hover = t("ui.cal.hover", lang, title=html.escape(rec.title_ko if lang == "ko" else rec.title_en), span=span(rec),
                  start=rec.collection_from, n=len(rec.indicators), stale=len(rec.out_of_date))
        for kind, begin, finish in (("collect", start, release), ("release_loaded" if rec.published else "release", release, end)):
            if finish <= begin:
                continue
            base, length, rows, texts = kinds[kind]
            base.append(begin.strftime("%Y-%m-%d"))
            length.append((finish - begin).total_seconds() * 1000)  # a date axis takes bar lengths in milliseconds
            rows.append(labels[rec.index_id])
            texts.append(hover)
    fig = go.Figure()
    colours = {"collect": COLLECT_COLOUR, "release": RELEASE_COLOUR, "release_loaded": LOADED_COLOUR}
    for kind, (base, length, rows, texts) in kinds.items():
        if not base:
            continue
        fig.add_trace(go.Bar(
            orientation="h", base=base, x=length, y=rows, name=t(f"ui.cal.{kind}", lang), marker_color=colours[kind],
            width=0.55 if kind == "collect" else 0.75, customdata=texts, hovertemplate="%{customdata}<extra></extra>",
        ))
    first = min(month(m) for m in table["collection_from"])
    last = max(month(m) for m in table["month_end"]) + pd.offsets.MonthBegin(1)
    now = pd.Timestamp(today)
    fig.add_shape(type="line", x0=now, x1=now, y0=0, y1=1, yref="paper", line={"color": FOCUS_COLOUR, "width": 2, "dash": "dot"})
    fig.add_annotation(x=now, y=1, yref="paper", yanchor="bottom", text=t("ui.cal.today", lang), showarrow=False,
                       font={"color": FOCUS_COLOUR, "size": 12})
    fig.update_layout(
        barmode="overlay", height=110 + 38 * len(order), margin={"l": 10, "r": 10, "t": 50, "b": 10},
        font={"family": FONT, "size": 13}, plot_bgcolor="white", hoverlabel={"font_family": FONT},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0, "xanchor": "left"},
    )
    fig.update_xaxes(type="date", range=[first, last], dtick="M1", tickformat="%Y-%m", ticklabelmode="period",
                     showgrid=True, gridcolor="#e6e9ef", tickangle=-45)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=[labels[s] for s in order],
                     autorange="reversed", showgrid=False)
    return fig


# Load inputs.
cat = data.catalogue_or_stop(lang)
today = date.today()
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
        st.plotly_chart(timeline(table, shorts, today), width="stretch", key="cal_timeline",
                        config={"displayModeBar": False})
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
    data.static(timeline_and_table, "calendar", lang, today.isoformat(), data.catalogue_key(cat))
    st.download_button(t("ui.cal.ics", lang), to_ics(table, cat, lang), file_name=f"{t('ui.cal.ics_file', lang)}.ics",
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
    missing = int(pack[t("col.value", lang)].isna().sum())  # the pack says "no value" in its period column
    st.caption(t("ui.cal.pack_count", lang, n=len(pack), missing=missing))
    # On screen the figures come before the long definitions; the files keep the pack's own column order.
    url_col, value_col = t("col.source_url", lang), t("col.value", lang)
    first = [t(f"col.{k}", lang) for k in ("indicator_id", "indicator", "period", "value", "unit", "owner")]
    on_screen = pack[first + [c for c in pack.columns if c not in first]]
    # on a phone one card per indicator, under its name (the id is for the machine that reads the files)
    display.table(on_screen.drop(columns=[first[0]]), "cal_pack", shown=on_screen, hide_index=True, width="stretch",
                  height="content", key="cal_pack",
                 column_config={url_col: st.column_config.LinkColumn(url_col),
                                value_col: st.column_config.NumberColumn(value_col, format="localized"),
                                t("col.definition", lang): st.column_config.TextColumn(width="large")})
    name = f"{chosen}_{t('ui.cal.pack_file', lang)}"
    with st.container(horizontal=True):
        st.download_button(t("ui.cal.pack_xlsx", lang),
                           data.once(lambda: xlsx_bytes({chosen: pack}), "pack-xlsx", chosen, lang, data.catalogue_key(cat)),
                           file_name=f"{name}.xlsx",
                           mime=XLSX_MIME, key="download_pack_xlsx", icon=":material/table_view:")
        st.download_button(t("ui.cal.pack_csv", lang), csv_bytes(pack), file_name=f"{name}.csv", mime="text/csv",
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
