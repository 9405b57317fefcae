"""Weak points: the focus city's components labelled weakness, strength or neutral, with the reason and the owners."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pandas as pd
import streamlit as st

from dashboard import charts, data, display, svg_charts
from dashboard.markdown import escape, say, with_note
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis import signals
from pipelines.analysis.signals import blank

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

METHOD_DOC = Path(__file__).resolve().parents[2] / "docs" / "analysis.md"
LABELS = ("weakness", "neutral", "strength", "no_data")
ALL = "__all__"
CARDS = 30  # weakness cards shown before the rest is left to the table
# what_if.missing_figures codes -> how this page names the figure
MISSING_FIGURE = {"no_weight": "ui.weak.missing_weight", "no_focus_score": "ui.weak.missing_score",
                  "no_goal_rank_score": "ui.weak.missing_goal_score"}


def col(key: str) -> str:
    return t(f"col.{key}", lang)


def rank(value: object) -> str:
    return "" if blank(value) else t("doc.rank", lang, rank=int(value))


def names(ids: object, lookup: dict[str, str]) -> str:
    ids = [] if ids is None else list(ids)
    return ", ".join(lookup.get(i, i) for i in ids)


def recent(value: object) -> str:
    ranks = [] if value is None else [int(r) for r in value if not blank(r)]
    return "→".join(str(r) for r in ranks) if len(ranks) > 1 else ""  # one rank is no history


def peer_text(row: pd.Series) -> str:
    if blank(row["peer_position"]) or blank(row["peers_with_data"]) or int(row["peers_with_data"]) == 0:
        return t("ui.weak.no_peer_data", lang) if not blank(row["component_rank"]) else ""
    return t("ui.weak.peer_value", lang, position=int(row["peer_position"]), cities=int(row["peers_with_data"]) + 1)


def number(value: object) -> str:
    return "" if blank(value) else charts.format_number(value)


# Load inputs.
rows = data.weaknesses()
settings = data.analysis_settings()  # the thresholds of indicators.yml's `analysis:`, as the warehouse used them
target = int(data.setting("target_rank"))
offices = data.offices().set_index("office_id")
office_names = offices[f"name_{lang}"].to_dict()
indicator_names = data.indicators().set_index("indicator_id")[f"name_{lang}"].to_dict()
areas = data.policy_areas().set_index("policy_area")[f"name_{lang}"].to_dict()
focus = data.focus_city()
city = charts.city_label(focus.iloc[0], lang) if len(focus) else data.setting("focus_city", "")

st.title(say("ui.weak.title", lang, city=city))
st.caption(say("ui.weak.intro", lang, city=city))

# The rules, with the thresholds the warehouse used.
with st.expander(t("ui.weak.rules", lang), icon=":material/rule:"):
    st.markdown(t(
        "ui.weak.rules_text", lang,
        weak_gap=int(settings["weakness.rank_gap_to_overall"]),
        falling=int(settings["weakness.falling_editions"]),
        bottom=int(round(100 * settings["weakness.peer_bottom_share"])),
        min_peers=int(settings["weakness.min_peers_with_data"]),
        strong_gap=int(settings["strength.rank_gap_to_overall"]),
        target=target,
    ))
    if METHOD_DOC.is_file():
        st.download_button(t("ui.weak.method_download", lang), METHOD_DOC.read_bytes(), file_name="analysis.md",
                           mime="text/markdown", key="method_doc", icon=":material/description:")
        if st.toggle(t("ui.weak.method_show", lang), key="method_show"):
            with st.container(border=True):
                st.markdown(METHOD_DOC.read_text(encoding="utf-8"))

if rows.empty:
    st.info(t("ui.weak.none_at_all", lang))
    st.stop()

# Filters: series, policy area, department, label.
# (what follows from the warehouse, the language and the filters is computed once per combination: data.derived and
# data.once; pandas' filtering and sorting were a third of a rerun, issue 13)
series = data.derived(lambda: rows.drop_duplicates("index_id").sort_values("series_seq").set_index("index_id"),
                      "weak-series")
departments = data.once(lambda: tuple(sorted({d for ds in rows["departments"] for d in (ds if ds is not None else [])},
                                             key=lambda d: office_names.get(d, d))), "weak-departments", lang)
c1, c2, c3, c4 = st.columns([1.3, 1.3, 1.3, 1.1])
chosen_series = c1.selectbox(
    t("col.series", lang), [ALL, *series.index], key="weak_series",
    format_func=lambda i: t("ui.weak.all_series", lang) if i == ALL else f"{series.at[i, f'title_{lang}']} ({series.at[i, f'short_{lang}']})",
)
chosen_areas = c2.multiselect(t("col.policy_area", lang), list(areas), format_func=lambda a: areas.get(a, a),
                              key="weak_areas", placeholder=t("ui.weak.any", lang))
chosen_departments = c3.multiselect(t("ui.weak.filter_department", lang), departments,
                                    format_func=lambda d: office_names.get(d, d), key="weak_departments",
                                    placeholder=t("ui.weak.any", lang))
chosen_labels = c4.multiselect(t("col.label", lang), list(LABELS), default=["weakness"],
                               format_func=lambda v: t(f"label.{v}", lang), key="weak_labels",
                               placeholder=t("ui.weak.any", lang))

# Process: the rows every filter but the label keeps (the heat map shows all labels), then the list.
def filtered() -> pd.DataFrame:
    kept = rows if chosen_series == ALL else rows[rows["index_id"] == chosen_series]
    if chosen_areas:
        kept = kept[kept["policy_area"].isin(chosen_areas)]
    if chosen_departments:
        wanted = set(chosen_departments)
        kept = kept[[bool(wanted & set(ds if ds is not None else [])) for ds in kept["departments"]]]
    return kept


FILTERS = (lang, chosen_series, tuple(sorted(chosen_areas)), tuple(sorted(chosen_departments)))
shown = data.derived(filtered, "weak-shown", *FILTERS[1:])


# The heat map: components by editions, one series at a time.
def heat_map(index_id: str) -> None:
    own = shown[shown["index_id"] == index_id]
    kind = own[f"title_{lang}"].iloc[0]
    # the heat map is drawn from the series' rows that the area and department filters keep
    svg_charts.show_fitted(lambda width: svg_charts.weakness_grid_svg(
        own, lang, key=f"heat_{index_id}", label=f"{kind} · {t('ui.weak.heatmap', lang)}", width=width), f"heat_{index_id}")
    latest = own[own["is_latest"]]
    counts = latest["label"].value_counts()
    st.caption(say("ui.weak.heatmap_counts", lang, series=kind, edition=latest["edition"].iloc[0] if len(latest) else "—",
                   weak=int(counts.get("weakness", 0)), strong=int(counts.get("strength", 0)),
                   neutral=int(counts.get("neutral", 0)), none=int(counts.get("no_data", 0))))


# Everything below the filters follows from the warehouse, the language and the widgets' values: drawn once per
# combination, replayed after (data.static).
st.subheader(t("ui.weak.heatmap", lang))
st.caption(say("ui.weak.heatmap_help", lang, city=city))
heat_series = data.once(lambda: tuple(i for i in series.index if i in set(shown["index_id"])), "weak-heat-series",
                        *FILTERS[1:])
if not heat_series:
    st.info(t("ui.weak.no_match", lang))
elif len(heat_series) == 1:
    data.static(lambda: heat_map(heat_series[0]), "weak-heat", *FILTERS, heat_series[0])
else:
    # Only the open tab's heat map is drawn (a rerun draws another when its tab is chosen): a heat map with a
    # label in every cell was the heaviest thing the browser drew on this page (as Plotly; now SVG, still the largest).
    tabs = st.tabs([escape(series.at[i, f"short_{lang}"]) for i in heat_series], key="weak_heat_tab",  # labels are Markdown
                   on_change="rerun")
    for tab, index_id in zip(tabs, heat_series):
        if tab.open:
            with tab:
                data.static(lambda: heat_map(index_id), "weak-heat", *FILTERS, index_id)

# One component: the focus city against its peers in that component's latest edition. The choices in the order of
# the list below (a stale edition after every current one, marked so), each without peer figures marked so; the
# first chosen is the first that has them (a chart, not an empty box, when the page opens).
st.subheader(say("ui.weak.peers_chart", lang, city=city))
latest_rows = data.derived(lambda: shown[shown["is_latest"]].sort_values(
    ["stale", "severity", "series_seq", "component_seq"], ascending=[True, False, True, True]), "weak-latest", *FILTERS[1:])
if latest_rows.empty:
    st.info(t("ui.weak.no_match", lang))
else:
    comp_col = "component_ko" if lang == "ko" else "component"
    peer_order = tuple(data.peer_cities()["city"])
    focus_id = data.setting("focus_city", "")

    def compared(index_id: str, component_id: str, edition: str) -> pd.DataFrame:
        """The focus city's and its peers' rows of one component in one edition."""
        comp_rows = data.components(index_id)
        return comp_rows[(comp_rows["component_id"] == component_id) & (comp_rows["edition"].astype(str) == edition)
                         & comp_rows["city"].isin({focus_id, *peer_order})]

    def choice_list() -> tuple[MappingProxyType, int]:
        labels, first = {}, None
        for _, r in latest_rows.iterrows():
            key = (r["index_id"], r["component_id"], str(r["edition"]))
            peered = int(compared(*key)["rank"].notna().sum()) >= 2
            notes = ([signals.old_edition_label(r["year"], lang)] if bool(r["stale"]) else []) \
                + ([] if peered else [t("ui.weak.choice_no_peers", lang)])
            if peered and first is None:
                first = len(labels)
            labels[key] = f"{r[f'short_{lang}']} · {r[comp_col]} ({r['edition']})" + "".join(f" · {n}" for n in notes)
        return MappingProxyType(labels), first or 0

    choices, first_peered = data.once(choice_list, "weak-choices", *FILTERS)
    index_id, component_id, edition = st.selectbox(t("col.component", lang), list(choices), index=first_peered,
                                                   key="weak_peer_component", format_func=choices.get)

    def peers() -> None:
        comp_rows = compared(index_id, component_id, edition)
        if comp_rows["rank"].notna().sum() < 2:
            st.info(say("ui.weak.peers_none", lang, city=city))
        else:
            row = latest_rows[(latest_rows["index_id"] == index_id) & (latest_rows["component_id"] == component_id)].iloc[0]
            title = t("ui.weak.peers_title", lang, series=row[f"short_{lang}"], component=row[comp_col], edition=edition)
            st.markdown(f"**{escape(title)}**")
            svg_charts.show_fitted(lambda width: svg_charts.peer_dot_svg(
                comp_rows, focus_id, lang, title, peer_order, key="weak_peers", width=width), "weak_peers")
            st.caption(say("ui.weak.peers_help", lang, city=city, n=int(comp_rows["rank"].notna().sum()) - 1))

    data.static(peers, "weak-peers", lang, index_id, component_id, edition)


# The ranked list: the latest edition of each series, most severe first; then the what-if.
def ranked() -> pd.DataFrame:
    kept = shown[shown["is_latest"]]
    if chosen_labels:
        kept = kept[kept["label"].isin(chosen_labels)]
    # Current editions first, most severe first; a stale edition (older than twice its cadence) never above a current
    # one.
    return kept.sort_values(["stale", "severity", "series_seq", "component_seq"], ascending=[True, False, True, True])


LISTED = (*FILTERS, tuple(chosen_labels))
listed = data.derived(ranked, "weak-listed", *LISTED[1:])


def ranked_table() -> None:
    """The whole list as a table (sortable, copyable): drawn only while its expander is open."""
    table = pd.DataFrame({
        col("series"): listed[f"short_{lang}"],
        col("component"): listed["component_ko" if lang == "ko" else "component"],
        col("edition"): [e if not old else f"{e} · {signals.old_edition_label(y, lang)}"
                         for e, y, old in zip(listed["edition"].astype(str), listed["year"], listed["stale"])],
        col("label"): [t(f"label.{v}", lang) for v in listed["label"]],
        col("reason"): listed[f"reason_{lang}"],
        col("departments"): [names(v, office_names) for v in listed["departments"]],
        col("feeding_indicators"): [names(v, indicator_names) for v in listed["indicators"]],
        col("component_rank"): [rank(v) for v in listed["component_rank"]],
        col("overall_rank"): [rank(v) for v in listed["overall_rank"]],
        col("recent_ranks"): [recent(v) for v in listed["recent_ranks"]],
        col("peers"): [peer_text(r) for _, r in listed.iterrows()],
        col("policy_area"): [areas.get(a, a) for a in listed["policy_area"]],
    })
    display.table(table, "weak_list", head=2, hide_index=True, width="stretch", placeholder="—", column_config={
        col("reason"): st.column_config.TextColumn(col("reason"), width="large"),
        col("departments"): st.column_config.TextColumn(col("departments"), width="medium"),
        col("feeding_indicators"): st.column_config.TextColumn(col("feeding_indicators"), width="medium"),
    })


def ranked_list() -> None:
    st.subheader(t("ui.weak.list", lang))
    st.caption(t("ui.weak.list_help", lang, n=len(listed)))
    if listed.empty:
        st.info(t("ui.weak.no_match", lang))
    else:
        # Each item as a card that reads in a meeting; the full table in an expander below them.
        label_colour = {"weakness": "red", "strength": "green", "neutral": "gray", "no_data": "gray"}
        def card(n: int, r: pd.Series) -> None:
            with st.container(border=True):
                comp = r["component_ko" if lang == "ko" else "component"]
                old = f" :gray-badge[{escape(signals.old_edition_label(r['year'], lang))}]" if bool(r["stale"]) else ""
                head = (f"**{n}. {escape(r[f'short_{lang}'])} · {escape(comp)}** ({escape(r['edition'])}) "
                        f":{label_colour[r['label']]}-badge[{t('label.' + r['label'], lang)}]{old}  \n{escape(r[f'reason_{lang}'])}")
                figures = [t("ui.weak.card_ranks", lang, component=rank(r["component_rank"]) or "—",
                             overall=rank(r["overall_rank"]) or "—")]
                if recent(r["recent_ranks"]):
                    figures.append(t("ui.weak.card_recent", lang, ranks=recent(r["recent_ranks"])))
                if not blank(r["peer_position"]):
                    figures.append(t("ui.weak.card_peers", lang, value=peer_text(r)))
                elif not blank(r["component_rank"]):
                    figures.append(t("ui.weak.no_peer_data", lang))  # blank, never 1st of 1
                figures.append(t("ui.weak.card_area", lang, area=areas.get(r["policy_area"], r["policy_area"])))
                lineage = t("ui.weak.card_lineage", lang, indicators=names(r["indicators"], indicator_names) or t("ui.none", lang),
                            departments=names(r["departments"], office_names) or t("ui.none", lang))
                # the evidence and the lineage under the reason in small type: one element a card, not three
                st.markdown(with_note(head, escape(" · ".join(f for f in figures if f)) + "  \n" + escape(lineage)))

        current, old_ones = listed[~listed["stale"]], listed[listed["stale"]]
        for n, (_, r) in enumerate(current.head(CARDS).iterrows(), start=1):
            card(n, r)
        if len(old_ones):
            # shown apart, after every current one, each with its year in the label
            st.markdown(f"**{t('signal.old_editions', lang)}**")
            st.caption(t("signal.old_editions_help", lang))
            for n, (_, r) in enumerate(old_ones.head(max(CARDS - len(current), 0)).iterrows(), start=len(current) + 1):
                card(n, r)
        if len(listed) > CARDS:
            st.caption(t("ui.weak.more_in_table", lang, n=len(listed) - CARDS))


def what_if_table() -> None:
    if len(listed):
        st.caption(t("ui.weak.evidence_help", lang))
    # What-if: shown only where at least one estimate is computable; otherwise one sentence says what data would make it so.
    what_if = data.what_if()
    keys = set(zip(listed["index_id"], listed["component_id"], listed["edition"].astype(str)))
    what_if = what_if[[k in keys for k in zip(what_if["index_id"], what_if["component_id"], what_if["edition"].astype(str))]]
    estimates = what_if["estimated_overall_change"]
    st.subheader(t("ui.weak.what_if", lang))
    if what_if.empty or not estimates.notna().any():
        st.info(t("ui.weak.what_if_none", lang, target=target, city=city))
    else:
        st.caption(t("ui.weak.what_if_help", lang, target=target))
        order = {k: i for i, k in enumerate(zip(listed["index_id"], listed["component_id"]))}
        what_if = what_if.assign(_o=[order.get(k, 0) for k in zip(what_if["index_id"], what_if["component_id"])]).sort_values("_o")
        estimates = what_if["estimated_overall_change"]

        def missing(row: pd.Series) -> str:
            """The figures the view says are missing (what_if.missing_figures), named in this language."""
            gone = [t(MISSING_FIGURE[code], lang, target=target) for code in row["missing_figures"]]
            return t("ui.weak.not_computable", lang, missing=", ".join(gone)) if gone else ""

        st.dataframe(pd.DataFrame({
            col("series"): [series.at[i, f"short_{lang}"] if i in series.index else i for i in what_if["index_id"]],
            col("component"): what_if["component_ko" if lang == "ko" else "component"],
            col("edition"): what_if["edition"].astype(str),
            col("estimate"): [t("ui.weak.estimate_value", lang, value=charts.format_number(v)) if not blank(v) else None
                              for v in estimates],
            col("missing"): [missing(r) or None for _, r in what_if.iterrows()],
            col("weight"): what_if["weight"],
            col("focus_score"): [number(v) or None for v in what_if["component_score"]],
            col("goal_score"): [number(v) or None for v in what_if["score_of_goal_rank_city"]],
        # A column with nothing in it only widens the table (on a phone, into sideways scrolling): left out.
        }).dropna(axis=1, how="all"), hide_index=True, width="stretch", placeholder="—", column_config={
            col("weight"): st.column_config.NumberColumn(col("weight"), format="percent"),
            col("missing"): st.column_config.TextColumn(col("missing"), width="large"),
        })
        n = int(estimates.notna().sum())
        st.caption(t("ui.weak.what_if_count", lang, n=n, total=len(what_if)))


data.static(ranked_list, "weak-list", *LISTED)
if len(listed):
    # A table the browser would lay out hidden on every visit: drawn when opened (a rerun), gone when closed.
    as_table = st.expander(t("ui.weak.as_table", lang), icon=":material/table:", key="weak_table", on_change="rerun")
    if as_table.open:
        with as_table:
            data.static(ranked_table, "weak-table", *LISTED)
data.static(what_if_table, "weak-what-if", *LISTED)
