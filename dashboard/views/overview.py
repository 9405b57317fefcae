"""Overview: the focus city in every series at a glance, measured against the goal."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, data, svg_charts
from dashboard.display import css_text
from dashboard.markdown import escape, link, say, with_note
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis import signals
from pipelines.analysis.signals import blank

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()


def rank(value: object) -> str:
    return t("doc.rank", lang, rank=int(value))


def note_of(row: pd.Series) -> str:
    """The latest figure's research note in the reader's language (Korean mode: the Korean note)."""
    note = row["latest_note_ko"] if lang == "ko" and not blank(row["latest_note_ko"]) else row["latest_note"]
    return "" if blank(note) else escape(note if len(note) <= 140 else note[:140] + "…")


def source_line(row: pd.Series) -> str:
    """The latest figure's source tier, linked to the source itself: the figure's source in one click."""
    if blank(row["latest_source_url"]):
        return ""
    tier = row[f"latest_tier_{lang}"] if not blank(row[f"latest_tier_{lang}"]) else t("ui.source", lang)
    return link(t("ui.overview.source_tier", lang, tier=tier), row["latest_source_url"])


def latest_cell(row: pd.Series) -> tuple[str, str]:
    """The latest edition's rank (linked to its source, with its flags and tier), or the reason there is none."""
    flags = signals.flag_names(row["latest_flags"], lang)
    badges = " ".join(f":orange-badge[{escape(f)}]" for f in flags)
    stale = signals.stale_text(row, lang)
    stale_mark = f":gray-badge[{escape(t('signal.old_edition', lang, year=int(row['latest_year'])))}]" if stale else ""
    if row["latest_status"] == "ranked" and not blank(row["latest_rank"]):
        out_of = t("ui.overview.out_of", lang, n=int(row["latest_field_size"])) if not blank(row["latest_field_size"]) else ""
        value = f"**{link(rank(row['latest_rank']), row['latest_source_url'])}**" \
            if not blank(row["latest_source_url"]) else f"**{rank(row['latest_rank'])}**"
        help_ = "  \n".join(escape(h) for h in signals.flag_help(row["latest_flags"], lang))
        return " ".join(x for x in (value, badges, stale_mark) if x), "  \n".join(
            x for x in (out_of, source_line(row), help_, escape(stale)) if x)
    label = signals.figure(row["latest_status"], row["latest_rank"], lang, row["latest_rank_bound"])
    if not blank(row["last_ranked_rank"]):
        last = t("ui.overview.last_ranked", lang, edition=row["last_ranked_edition"], rank=rank(row["last_ranked_rank"]))
    else:
        last = t("ui.overview.never_ranked", lang)
    return " ".join(x for x in (f"**:orange[{escape(label)}]**", stale_mark) if x), "  \n".join(
        x for x in (escape(last), source_line(row), note_of(row), escape(stale)) if x)


def change_cell(row: pd.Series) -> tuple[str, str]:
    """Change since the previous edition as published (status included); a smaller rank number is better."""
    text = escape(signals.change_text(row, lang))
    colour = {"up": "green", "down": "red", "fell_out": "red", "no_figure": "orange", "entered": "green"}.get(
        row["change_kind"], "gray")
    return f"**:{colour}[{text}]**", escape(signals.change_basis(row, lang))


def best_cell(row: pd.Series) -> tuple[str, str]:
    if blank(row["best_rank"]):
        return f":gray[{t('ui.overview.no_rank', lang)}]", t("ui.overview.never_ranked", lang)
    badges = " ".join(f":orange-badge[{escape(f)}]" for f in signals.flag_names(row["best_flags"], lang))
    best = escape(signals.best_text({**row.to_dict(), "best_flags": []}, lang))
    help_ = "  \n".join(escape(h) for h in signals.flag_help(row["best_flags"], lang))
    return " ".join(x for x in (f"**{best}**", badges) if x), "  \n".join(
        x for x in (escape(t("ui.overview.ranked_editions", lang, n=int(row["ranked_editions"]))), help_) if x)


def goal_cell(row: pd.Series, target: int) -> tuple[str, str]:
    # focus_overview's greatest(NULL, 0) gives 0 places for a series never ranked: judge by the rank itself.
    if blank(row["places_to_target"]) or blank(row["last_ranked_rank"]):
        return f":gray[{t('ui.overview.no_goal_gap', lang)}]", t("ui.overview.never_ranked", lang)
    basis = escape(t("ui.overview.basis", lang, edition=row["last_ranked_edition"], rank=rank(row["last_ranked_rank"])))
    places = int(row["places_to_target"])
    if places == 0:
        return f"**:green[{t('ui.overview.in_goal', lang, target=target)}]**", basis
    return f"**{t('ui.places', lang, n=places)}**", basis


def cell(col, value: str, note: str) -> None:
    """A cell of a series' card: its value and its note under it, one Markdown element (markdown.with_note; an element
    each made a fifth of the page's elements)."""
    col.markdown(with_note(value, note))


WIDTHS = [2.8, 1.3, 2.0, 1.8, 1.5, 1.5, 2.8]
HEADINGS = ("col.series_office", "col.latest_edition", "col.latest_rank", "col.change", "col.best_ever", "col.to_goal",
            "col.rank_trend")


def draw() -> None:
    """The whole page: it follows from the warehouse and the language alone (no widgets), so it is drawn once per
    warehouse version and language and replayed on every later visit (data.static)."""
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
        st.caption(escape(t("ui.overview.headline_note", lang, target=target, names=names, source=data.setting(f"goal_source_{lang}", ""))))

    # Every index's latest rank on one axis, against the goal line.
    st.subheader(t("ui.overview.latest_chart", lang, target=target))
    svg_charts.show(svg_charts.latest_ranks_svg(overview, target, lang))
    st.caption(say("ui.overview.latest_chart_help", lang, city=city, target=target))

    st.subheader(t("ui.overview.by_series", lang))
    with st.container(key="ov_header"):
        header = st.columns(WIDTHS)
        for col, key in zip(header, HEADINGS):
            col.markdown(f"**{t(key, lang, target=target)}**")

    for i, row in overview.iterrows():
        with st.container(border=True, key=f"ovrow_{i}"):  # a phone labels its stacked cells (cell_labels)
            cols = st.columns(WIDTHS, vertical_alignment="center")
            office = row[f"office_{lang}"] if not blank(row[f"office_{lang}"]) else row["office_id"]
            cell(cols[0], f"**{escape(row[f'title_{lang}'])}** · {escape(row[f'short_{lang}'])}",
                 escape(t("ui.overview.office", lang, office=office)))
            if blank(row["latest_edition"]):
                cell(cols[1], f":gray[{t('status.no_edition', lang)}]", "")
            elif blank(row["latest_published"]):
                cell(cols[1], f"**{escape(row['latest_edition'])}**",
                     t("ui.overview.published_unknown", lang, n=int(row["editions"])))
            else:
                cell(cols[1], f"**{escape(row['latest_edition'])}**",
                     t("ui.overview.published", lang, month=row["latest_published"], n=int(row["editions"])))
            for col, (value, note) in zip(cols[2:6], (latest_cell(row), change_cell(row), best_cell(row),
                                                      goal_cell(row, target))):
                cell(col, value, note)  # already Markdown: ledger text in it is escaped where it is built
            own = history[history["index_id"] == row["index_id"]]
            if own["rank"].notna().any():
                with cols[6]:
                    svg_charts.show(svg_charts.sparkline_svg(own, lang, key=f"spark_{row['index_id']}",
                                                             label=row[f"title_{lang}"]))
            else:
                cols[6].caption(t("ui.overview.no_trend", lang))

    st.caption(t("ui.overview.footnote", lang))


def cell_labels(target: int) -> str:
    """Streamlit stacks columns under one another below 640 px: there the header row would stand alone above the
    cards and the values below it would be bare numbers ("2025 / 12위 / ▼1"). So on a phone the header row hides and
    each stacked cell of a series' card (st-key-ovrow_*) opens with its column's heading, written by this style: one
    rule per column for every card, where an element per cell made a third of the page's elements (issue 13).
    Each heading goes in as a CSS string of escapes (display.css_text): no text can end the rule or the style."""
    column = '[class*="st-key-ovrow_"] [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]'
    rules = "\n".join(f"  {column}:nth-child({n + 1})::before {{ content: {css_text(t(key, lang, target=target))}; }}"
                      for n, key in enumerate(HEADINGS) if n)
    return f"""<style>
@media (max-width: 639.98px) {{
  .st-key-ov_header {{ display: none; }}
{rules}
  {column}::before {{ display: block; font-size: 0.8rem; color: #6b7280; margin-bottom: -0.6rem; }}
}}
</style>"""


# (A style-only st.html goes to Streamlit's event container, outside the page: it cannot be replayed, so it stays out
# of draw.)
st.html(cell_labels(int(data.setting("target_rank", "5"))))
data.static(draw, "overview", lang)
