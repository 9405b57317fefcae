"""Overview: the focus city in every series at a glance, measured against the goal."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data
from dashboard.markdown import escape, say
from dashboard.text import DEFAULT_LANG, t

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()


def blank(value: object) -> bool:
    return value is None or bool(pd.isna(value))


def rank(value: object) -> str:
    return t("doc.rank", lang, rank=int(value))


def latest_cell(row: pd.Series) -> tuple[str, str]:
    """The latest edition's rank, or the reason there is none."""
    if row["latest_status"] == "ranked" and not blank(row["latest_rank"]):
        out_of = t("ui.overview.out_of", lang, n=int(row["latest_field_size"])) if not blank(row["latest_field_size"]) else ""
        return f"**{rank(row['latest_rank'])}**", out_of
    label = t(f"status.{row['latest_status']}", lang)
    if not blank(row["last_ranked_rank"]):
        last = t("ui.overview.last_ranked", lang, edition=row["last_ranked_edition"], rank=rank(row["last_ranked_rank"]))
    else:
        last = t("ui.overview.never_ranked", lang)
    note = row["latest_note"]
    note = "" if blank(note) else escape(note if len(note) <= 140 else note[:140] + "…")
    return f"**:orange[{label}]**", "  \n".join(x for x in (escape(last), note) if x)


def change_cell(row: pd.Series) -> tuple[str, str]:
    """Change between the last two ranked editions; a smaller rank number is an improvement."""
    change = row["change_since_previous"]
    if blank(change):
        if blank(row["last_ranked_rank"]):
            return f":gray[{t('ui.overview.no_rank', lang)}]", t("ui.overview.never_ranked", lang)
        return f":gray[{t('ui.overview.no_previous', lang)}]", t("ui.overview.one_ranked", lang)
    span = escape(t("ui.overview.between", lang, before=row["previous_ranked_edition"], before_rank=rank(row["previous_ranked_rank"]),
             after=row["last_ranked_edition"], after_rank=rank(row["last_ranked_rank"])))
    change = int(change)
    if change > 0:
        return f"**:green[▲ {change}]**", span
    if change < 0:
        return f"**:red[▼ {-change}]**", span
    return f"**:gray[– {t('ui.overview.unchanged', lang)}]**", span


def best_cell(row: pd.Series) -> tuple[str, str]:
    if blank(row["best_rank"]):
        return f":gray[{t('ui.overview.no_rank', lang)}]", t("ui.overview.never_ranked", lang)
    return f"**{rank(row['best_rank'])}**", escape(t("ui.overview.best_in", lang, edition=row["best_edition"],
                                                        n=int(row["ranked_editions"])))


def goal_cell(row: pd.Series, target: int) -> tuple[str, str]:
    # focus_overview's greatest(NULL, 0) gives 0 places for a series never ranked: judge by the rank itself.
    if blank(row["places_to_target"]) or blank(row["last_ranked_rank"]):
        return f":gray[{t('ui.overview.no_goal_gap', lang)}]", t("ui.overview.never_ranked", lang)
    basis = escape(t("ui.overview.basis", lang, edition=row["last_ranked_edition"], rank=rank(row["last_ranked_rank"])))
    places = int(row["places_to_target"])
    if places == 0:
        return f"**:green[{t('ui.overview.in_goal', lang, target=target)}]**", basis
    return f"**{t('ui.places', lang, n=places)}**", basis


# Load inputs.
focus = data.focus_city()
city = charts.city_label(focus.iloc[0], lang) if len(focus) else data.setting("focus_city", "")
target = int(data.setting("target_rank", "5"))
overview = data.overview()
history = data.focus_history()

# Headline: the goal and where the city stands against it now.
st.title(say("ui.overview.title", lang, city=city))
latest_ranked = overview[overview["latest_status"] == "ranked"]
in_goal = latest_ranked[latest_ranked["latest_rank"] <= target]
with st.container(border=True):
    st.subheader(f":material/flag: {escape(data.setting(f'goal_title_{lang}', ''))}")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("ui.overview.in_goal_now", lang, target=target),
              t("ui.overview.of_series", lang, n=len(in_goal), total=len(overview)))
    c2.metric(t("ui.overview.ranked_now", lang), t("ui.overview.of_series", lang, n=len(latest_ranked), total=len(overview)))
    c3.metric(t("ui.overview.target_year", lang), data.setting("target_year", "—"))
    names = ", ".join(overview.loc[in_goal.index, f"short_{lang}"]) or t("ui.none", lang)
    st.caption(escape(t("ui.overview.headline_note", lang, target=target, names=names, source=data.setting("goal_source", ""))))

# Every index's latest rank on one axis, against the goal line.
st.subheader(t("ui.overview.latest_chart", lang, target=target))
st.plotly_chart(charts.latest_ranks_chart(overview, target, lang), width="stretch", key="latest_ranks",
                config={"displayModeBar": False})
st.caption(say("ui.overview.latest_chart_help", lang, city=city, target=target))

st.subheader(t("ui.overview.by_series", lang))
# Streamlit stacks columns under one another below 640 px: there the header row would stand alone above the cards
# and the values below it would be bare numbers ("2025 / 12위 / ▼1"). So each cell carries its own label, shown
# only when the columns are stacked, and the header row shows only when they are side by side.
st.html("""<style>
@media (min-width: 640px) { [class*="st-key-ovlabel_"] { display: none; } }
@media (max-width: 639.98px) { .st-key-ov_header { display: none; } }
[class*="st-key-ovlabel_"] p { font-size: 0.8rem; color: #6b7280; margin-bottom: -0.3rem; }
</style>""")
# The trend column stays wide enough for a Plotly chart (Streamlit draws them at least 150 px wide).
widths = [2.8, 1.3, 2.0, 1.8, 1.5, 1.5, 2.8]
HEADINGS = ("col.series_office", "col.latest_edition", "col.latest_rank", "col.change", "col.best_ever", "col.to_goal",
            "col.rank_trend")
with st.container(key="ov_header"):
    header = st.columns(widths)
    for col, key in zip(header, HEADINGS):
        col.markdown(f"**{t(key, lang, target=target)}**")


def label(col, index_id: str, n: int) -> None:
    """The column's heading inside the cell, for a phone (see the style above)."""
    col.container(key=f"ovlabel_{index_id}_{n}").markdown(t(HEADINGS[n], lang, target=target))


for _, row in overview.iterrows():
    with st.container(border=True):
        cols = st.columns(widths, vertical_alignment="center")
        cols[0].markdown(f"**{escape(row[f'title_{lang}'])}** · {escape(row[f'short_{lang}'])}")
        office = row[f"office_{lang}"] if not blank(row[f"office_{lang}"]) else row["office_id"]
        cols[0].caption(escape(t("ui.overview.office", lang, office=office)))
        label(cols[1], row["index_id"], 1)
        if blank(row["latest_edition"]):
            cols[1].markdown(f":gray[{t('status.no_edition', lang)}]")
        else:
            cols[1].markdown(f"**{escape(row['latest_edition'])}**")
            if blank(row["latest_published"]):
                cols[1].caption(t("ui.overview.published_unknown", lang, n=int(row["editions"])))
            else:
                cols[1].caption(t("ui.overview.published", lang, month=row["latest_published"], n=int(row["editions"])))
        for n, (col, (value, note)) in enumerate(
                zip(cols[2:6], (latest_cell(row), change_cell(row), best_cell(row), goal_cell(row, target))), start=2):
            label(col, row["index_id"], n)
            col.markdown(value)
            if note:
                col.caption(note)  # already Markdown: ledger text in it is escaped where it is built
        own = history[history["index_id"] == row["index_id"]]
        label(cols[6], row["index_id"], 6)
        if own["rank"].notna().any():
            cols[6].plotly_chart(charts.sparkline(own, lang), width="stretch", key=f"spark_{row['index_id']}",
                                 config={"displayModeBar": False, "staticPlot": False})
        else:
            cols[6].caption(t("ui.overview.no_trend", lang))

st.caption(t("ui.overview.footnote", lang))
