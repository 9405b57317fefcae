"""2030 goal: per series, where the focus city is, where it must be, and whether its trend gets it there."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, display, svg_charts
from dashboard.markdown import escape
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis import signals
from pipelines.analysis.signals import blank

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

STATUS_COLOUR = {"on_course": "green", "at_risk": "orange", "off_course": "red", "unknown": "gray"}
CELL_COLOUR = {
    "on_course": "background-color: #dcfce7; color: #166534", "at_risk": "background-color: #ffedd5; color: #9a3412",
    "off_course": "background-color: #fee2e2; color: #991b1b", "unknown": "background-color: #f3f4f6; color: #374151",
}


def rank(value: object) -> str:
    return t("doc.rank", lang, rank=int(value))


def status_badge(status: str) -> str:
    return f":{STATUS_COLOUR.get(status, 'gray')}-badge[{t(f'goal.{status}', lang)}]"


def where_now(row: pd.Series) -> str:
    if blank(row["latest_rank"]):
        return t("ui.goal.never_ranked", lang)
    text = signals.with_flags(t("ui.goal.rank_in", lang, rank=rank(row["latest_rank"]), edition=row["last_ranked_edition"]),
                              row["last_ranked_flags"], lang)
    if row["latest_status"] != "ranked" and not blank(row["latest_edition"]):
        text += " · " + t("ui.goal.latest_without_rank", lang, edition=row["latest_edition"],
                          status=t(f"status.{row['latest_status']}", lang))
    return text


def trend_text(row: pd.Series) -> str:
    """The Theil-Sen slope with its range (quartiles of the pairwise slopes), places a year."""
    slope = row["trend_places_per_year"]
    if blank(slope) or blank(row["trend_points"]) or int(row["trend_points"]) < 2:
        return t("ui.goal.no_trend", lang)
    places = abs(float(slope))
    if round(places, 1) == 0:
        text = t("ui.goal.trend_flat", lang)
    else:
        text = t("ui.goal.trend_better" if slope < 0 else "ui.goal.trend_worse", lang, places=f"{places:.1f}")
    if not blank(row["trend_low"]) and not blank(row["trend_high"]) and round(float(row["trend_low"]), 1) != round(float(row["trend_high"]), 1):
        text += " " + t("ui.goal.trend_range", lang, low=f"{float(row['trend_low']):+.1f}", high=f"{float(row['trend_high']):+.1f}")
    return text


def places_text(value: object) -> str:
    if blank(value):
        return "—"
    n = int(value)
    if n == 0:
        return t("ui.goal.inside", lang)
    return t("ui.places", lang, n=n)


def editions_left_text(row: pd.Series) -> str:
    if bool(row["discontinued"]) and not blank(row["latest_month"]):
        return t("goal.discontinued", lang, month=row["latest_month"])
    return "—" if blank(row["editions_left"]) else str(int(row["editions_left"]))


def basis_text(row: pd.Series) -> str:
    """The editions the trend rests on (publication year in brackets) and the editions it passes over without a rank."""
    basis = "→".join(f"{e} {rank(r)}" for e, r in zip(row["trend_editions"], row["trend_ranks"]))
    text = t("ui.goal.trend_basis", lang, n=int(row["trend_points"]), basis=basis)
    gaps = signals.as_list(row["gap_editions"])
    if gaps:
        text += " · " + t("ui.goal.trend_gaps", lang, editions=", ".join(
            f"{e} ({t(f'status.{s}', lang)})" for e, s in zip(gaps, row["gap_statuses"])))
    flags = signals.flag_names(row["trend_flags"], lang)
    if flags:
        text += " · " + t("ui.goal.trend_flags", lang, flags=", ".join(flags))
    return text


def draw() -> None:
    """The whole page: it follows from the warehouse and the language alone (no widgets), so it is drawn once per
    warehouse version, day and language and replayed on every later visit (data.static)."""
    # Load inputs.
    gaps = data.top5_gap()
    ranks = data.focus_ranks()
    target = int(data.setting("target_rank", "5"))
    goal_year = int(data.setting("target_year", "2030"))
    focus = data.focus_city()
    city = charts.city_label(focus.iloc[0], lang) if len(focus) else data.setting("focus_city", "")

    st.title(t("ui.goal.title", lang, year=goal_year, target=target))
    st.caption(escape(t("ui.goal.intro", lang, city=city, target=target, year=goal_year,
                        goal=data.setting(f"goal_title_{lang}", ""), source=data.setting(f"goal_source_{lang}", ""))))
    if gaps.empty:
        st.info(t("ui.no_series", lang))
        return

    counts = gaps["status"].value_counts()
    cols = st.columns(4)
    for c, status in zip(cols, ("on_course", "at_risk", "off_course", "unknown")):
        c.metric(t(f"goal.{status}", lang), t("ui.goal.of_series", lang, n=int(counts.get(status, 0)), total=len(gaps)))

    with st.expander(t("ui.goal.rule", lang), icon=":material/rule:"):
        settings = data.analysis_settings()
        st.markdown(t("ui.goal.rule_text", lang, target=target, year=goal_year, n=int(settings["goal.trend_editions"]),
                      min=int(settings["goal.min_trend_editions"]), stale=f"{settings['signals.stale_after_cadences']:g}",
                      gone=f"{settings['signals.discontinued_after_cadences']:g}"))

    # One table row per series: the figures at a glance, the status coloured.
    st.subheader(t("ui.goal.table", lang))
    status_col = t("col.status", lang)
    table = pd.DataFrame({
        t("col.series", lang): gaps[f"short_{lang}"],
        status_col: [t(f"goal.{s}", lang) for s in gaps["status"]],
        t("col.projected_gap", lang): [signals.unknown_reason_text(r, lang) if r["status"] == "unknown"
                                       else signals.projected_gap_text(r, lang) for _, r in gaps.iterrows()],
        t("col.now", lang): [where_now(r) for _, r in gaps.iterrows()],
        t("col.best", lang): [signals.best_text(r, lang) for _, r in gaps.iterrows()],
        t("col.must", lang): [t("ui.goal.top", lang, target=target)] * len(gaps),
        t("col.places", lang): [places_text(v) for v in gaps["places_to_target"]],
        t("col.trend", lang): [trend_text(r) for _, r in gaps.iterrows()],
        t("col.editions_left", lang): [editions_left_text(r) for _, r in gaps.iterrows()],
        t("col.projected", lang, year=goal_year): [signals.projected_text(r, lang) for _, r in gaps.iterrows()],
    })
    colour_of = {t(f"goal.{s}", lang): CELL_COLOUR[s] for s in CELL_COLOUR}
    display.table(table, "goal", shown=table.style.map(lambda v: colour_of.get(v, ""), subset=[status_col]), head=2,
                  hide_index=True, width="stretch", placeholder="—", column_config={
                      t("col.series", lang): st.column_config.TextColumn(pinned=True),
                      status_col: st.column_config.TextColumn(pinned=True)})
    st.caption(t("ui.goal.table_help", lang))

    # One panel per series: the figures with the reason, and the chart with the trend toward the goal year.
    st.subheader(t("ui.goal.by_series", lang))
    for _, row in gaps.iterrows():
        with st.container(border=True):
            left, right = st.columns([2, 3], vertical_alignment="center")
            with left:
                st.markdown(f"**{escape(row[f'title_{lang}'])}** · {escape(row[f'short_{lang}'])}")
                st.markdown(status_badge(row["status"]) + " " + escape(
                    signals.unknown_reason_text(row, lang) if row["status"] == "unknown" else signals.projected_gap_text(row, lang)))
                lines = [
                    (t("col.now", lang), where_now(row)),
                    (t("col.best", lang), signals.best_text(row, lang) or "—"),
                    (t("col.places", lang), places_text(row["places_to_target"])),
                    (t("col.trend", lang), trend_text(row)),
                    (t("col.editions_left", lang), editions_left_text(row)),
                    (t("col.projected", lang, year=goal_year), signals.projected_text(row, lang)),
                ]
                st.markdown("\n".join(f"- {escape(k)}: **{escape(v)}**" for k, v in lines))
                if not blank(row["trend_points"]) and int(row["trend_points"]) >= 2:
                    st.caption(escape(basis_text(row)))
                if not blank(row["clamped"]) and bool(row["clamped"]):
                    st.caption(escape(t("goal.clamped", lang, rank=rank(row["projected_rank"]))))
            with right:
                own = ranks[ranks["index_id"] == row["index_id"]]
                if own.empty:
                    st.caption(t("ui.goal.no_editions", lang))
                else:
                    svg_charts.show(svg_charts.goal_svg(own, row, lang, key=f"goal_{row['index_id']}"))
    st.caption(t("ui.goal.chart_help", lang, target=target, year=goal_year))


data.static(draw, "goal", lang)
