"""Trends: one series, the focus city against its peers over every edition, with sources."""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd
import streamlit as st

from dashboard import charts, data, display, svg_charts
from dashboard.markdown import escape, link, methodology_line, say
from dashboard.text import DEFAULT_LANG, ledger_text, t
from pipelines.analysis import signals

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

DOMAIN = r"https?://(?:www\.|m\.)?([^/?#]+)"


def col(key: str) -> str:
    return t(f"col.{key}", lang)


# Load inputs.
series = data.derived(lambda: data.series().set_index("index_id", drop=False), "series-by-id")
focus = data.setting("focus_city", "")

st.title(t("ui.trends.title", lang))
if series.empty:
    st.info(t("ui.no_series", lang))
    st.stop()
# ?series=<id> opens one series directly (links from other pages, browser tests).
if st.session_state.get("series") not in series.index and st.query_params.get("series") in series.index:
    st.session_state["series"] = st.query_params.get("series")
index_id = st.selectbox(
    t("col.series", lang), series.index.tolist(), key="series",
    format_func=lambda i: f"{series.at[i, f'title_{lang}']} ({series.at[i, f'short_{lang}']})",
)
s = series.loc[index_id]
unit = s[f"score_unit_{lang}"]
rows = data.rankings(index_id)
editions = data.editions(index_id)
cities = data.series_cities(index_id)
# every city's label in this language, made once per series (a series can list hundreds of cities)
names = data.once(lambda: MappingProxyType({c: charts.city_label(r, lang)
                                            for c, r in cities.set_index("city", drop=False).iterrows()}),
                  "city-names", index_id, lang)

st.caption(escape(t("ui.trends.about", lang, publisher=s["publisher"], office=s[f"office_{lang}"],
                    editions=len(editions), cities=len(cities))))

# Process: the cities to draw, the focus city and the peers that appear in this series by default.
catalogue_peers = tuple(data.peer_cities()["city"])  # their order fixes each city's colour in every chart
peers = [c for c in catalogue_peers if c in names]
default = ([focus] if focus in names else []) + peers
chosen = st.multiselect(t("ui.trends.cities", lang), list(names), default=default, format_func=names.get,
                        key=f"cities_{index_id}", placeholder=t("ui.trends.cities_placeholder", lang))
# the chosen cities' rows and the scored rows, cut once per series and choice (a series has hundreds of cities)
shown, scored = data.derived(lambda: (rows[rows["city"].isin(chosen)], rows[rows["score"].notna()]),
                             "trends-rows", index_id, tuple(chosen))

st.subheader(t("ui.trends.rank_chart", lang))
if shown["rank"].notna().any():
    # Read, not explored: SVG (no Plotly bundle for the browser to load). A clicked point opens its figure's source.
    data.static(lambda: svg_charts.show_fitted(lambda width: svg_charts.bump_svg(
        shown, editions, focus, lang, chosen, unit, catalogue_peers, width=width), "bump"),
        "bump", index_id, tuple(chosen), lang)
    st.caption(say("ui.trends.rank_chart_help", lang, city=names.get(focus, focus)))
else:
    st.info(t("ui.trends.no_ranks", lang))

# Scores: over editions where comparable, else one edition at a time.
st.subheader(t("ui.trends.scores", lang))
better = t("ui.higher_better" if s["score_higher_is_better"] else "ui.lower_better", lang)
st.caption(escape(t("ui.trends.score_meaning", lang, unit=unit, scale=s[f"score_scale_{lang}"], better=better)))
if scored.empty:
    st.info(t("ui.trends.no_scores", lang))
elif bool(s["score_comparable"]):
    if shown["score"].notna().any():
        data.static(lambda: svg_charts.show_fitted(lambda width: svg_charts.scores_svg(
            shown, editions, focus, lang, chosen, unit, bool(s["score_higher_is_better"]), catalogue_peers, width=width),
            "scores"), "scores", index_id, tuple(chosen), lang)
    else:
        st.info(t("ui.trends.no_scores_chosen", lang))
else:
    st.caption(t("ui.trends.not_comparable", lang))
    with_scores = editions[editions["edition"].isin(scored["edition"])].sort_values("edition_order", ascending=False)
    options = with_scores["edition"].tolist()
    # Open on the latest edition that has something to compare: the focus city and another city scored.
    counts = scored.groupby("edition")["city"].agg(lambda c: (len(c), focus in set(c)))
    best = next((e for e in options if counts[e][0] >= 2 and counts[e][1]), None) \
        or next((e for e in options if counts[e][0] >= 2), options[0])
    edition = st.selectbox(t("ui.trends.score_edition", lang), options, index=options.index(best),
                           key=f"score_ed_{index_id}")
    in_edition = scored[scored["edition"] == edition]
    mine = in_edition[in_edition["city"].isin(chosen)]
    # Too few chosen cities with a score: show the edition's best scores, so the chart still compares.
    pick = mine if len(mine) >= 2 else in_edition.sort_values("score", ascending=not s["score_higher_is_better"]).head(20)
    if focus in set(in_edition["city"]) and focus not in set(pick["city"]):
        pick = pd.concat([pick, in_edition[in_edition["city"] == focus]])
    data.static(lambda: svg_charts.show_fitted(lambda width: svg_charts.edition_scores_svg(
        pick, edition, focus, lang, unit, catalogue_peers, width=width), "edition_scores"),
        "edition_scores", index_id, edition, tuple(chosen), lang)


def note_text(row: pd.Series) -> str:
    """Korean first: the Korean note where the ledger has one; an English-only note says it is the English original."""
    if lang == "ko" and isinstance(row["note_ko"], str) and row["note_ko"]:
        return row["note_ko"]
    return ledger_text(row["note"], lang)


# The figures, each with its flags, its source's tier and a link to the source; then the methodology notes.
def figures_table() -> None:
    flagged = sorted({f for fs in shown["flags"] for f in signals.as_list(fs)}, key=signals.FLAG_NAMES.index)
    table = shown.sort_values(["edition_order", "rank"], ascending=[False, True], na_position="last")
    table = pd.DataFrame({
        col("edition"): table["edition"].astype(str),
        col("city"): [names.get(c, c) for c in table["city"]],
        col("rank"): table["rank"].astype("Int64"),
        col("score"): table["score"],
        col("status"): [signals.figure(x, None, lang, b) if x != "ranked" else t(f"status.{x}", lang)
                        for x, b in zip(table["status"], table["rank_bound"])],
        col("flags"): [", ".join(signals.flag_names(fs, lang)) for fs in table["flags"]],
        col("source_tier"): table[f"tier_{lang}"].fillna(""),
        col("publication"): table["publication"].fillna(""),
        col("source"): table["source_url"],
        col("note"): [note_text(r) for _, r in table.iterrows()],
        col("retrieved"): table["retrieved"].fillna(""),
    })
    # On a phone the four columns that fit 390 px; a clicked chart point gives a figure's flags and source there.
    display.table(table, "trends", phone=[col("edition"), col("city"), col("rank"), col("score")], hide_index=True,
                  width="stretch", placeholder="—", column_config={
        col("source"): st.column_config.LinkColumn(col("source"), display_text=DOMAIN),
        col("rank"): st.column_config.NumberColumn(col("rank"), format="%d"),
        col("flags"): st.column_config.TextColumn(col("flags"), help=t("ui.trends.flag_help", lang)),
    })
    if flagged:  # one line per flag shown, saying what it means
        st.caption("  \n".join(escape(line) for line in signals.flag_help(flagged, lang)))


def methodology() -> None:
    st.subheader(t("ui.methodology", lang))
    notes = data.methodology_notes(index_id)
    changes = editions[editions["methodology_change"].notna() & (editions["methodology_change"].astype(str) != "")]
    if notes.empty and changes.empty:
        st.caption(t("ui.trends.no_notes", lang))
    if len(notes):
        st.markdown("\n".join(methodology_line(n, lang) for _, n in notes.iterrows()))
    if len(changes):
        st.markdown(f"**{t('ui.trends.edition_changes', lang)}**")
        st.markdown("\n".join(
            f"- **{escape(e['edition'])}** ★ {escape(ledger_text(e['methodology_change'], lang))}"
            + (f" ({link(t('ui.source', lang), e['source_url'])})" if isinstance(e["source_url"], str) and e["source_url"] else "")
            for _, e in changes.sort_values("edition_order").iterrows()
        ))


st.subheader(t("ui.trends.table", lang))
# The grid costs the browser more than the charts above it (about 0.4 s of CPU in Chromium): drawn when opened (a
# rerun), gone when closed; a clicked chart point gives one figure's source without it.
as_table = st.expander(t("ui.trends.as_table", lang, figures=len(shown)), icon=":material/table:", key="trend_table",
                       on_change="rerun")
if as_table.open:
    with as_table:
        data.static(figures_table, "trend-table", index_id, tuple(chosen), lang)
data.static(methodology, "trend-notes", index_id, lang)

# Component ranks.
kind = s[f"component_kind_{lang}"]
st.subheader(say("ui.trends.components", lang, kind=kind))
comp = data.components(index_id)
if comp.empty:
    st.caption(say("ui.trends.no_components", lang, kind=kind))
else:
    comp_cities = list(dict.fromkeys(([focus] if focus in set(comp["city"]) else []) + sorted(comp["city"].unique())))
    city = st.selectbox(t("col.city", lang), comp_cities, key=f"comp_city_{index_id}",
                        format_func=lambda c: names.get(c, c))

    def components() -> None:
        own = comp[comp["city"] == city]
        svg_charts.show_fitted(lambda width: svg_charts.component_grid_svg(
            own, editions, lang, unit, key="components", label=t("ui.trends.components", lang, kind=kind), width=width),
            "components")
        own = own.sort_values(["edition_order", "component_seq"], ascending=[False, True])
        display.table(pd.DataFrame({
            col("edition"): own["edition"].astype(str),
            col("component"): own["component_ko" if lang == "ko" else "component"],
            col("policy_area"): own[f"policy_area_{lang}"].fillna(""),
            col("weight"): own["weight"],
            col("rank"): own["rank"].astype("Int64"),
            col("score"): own["score"],
            col("source"): own["source_url"],
        }), "components", phone=[col("edition"), col("component"), col("rank")], hide_index=True, width="stretch",
            placeholder="—", column_config={
            col("source"): st.column_config.LinkColumn(col("source"), display_text=DOMAIN),
            col("weight"): st.column_config.NumberColumn(col("weight"), format="percent"),
            col("rank"): st.column_config.NumberColumn(col("rank"), format="%d"),
        })

    data.static(components, "trend-components", index_id, city, lang)
