"""Sources: the catalogue with its provenance, what every figure rests on, and the ledger's flags."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, display
from dashboard.markdown import escape, link, methodology_line, say
from dashboard.text import DEFAULT_LANG, ledger_text, t
from pipelines.analysis import signals
from pipelines.schemas import (
    STATUSES,  # every state a row can have, no_edition included
)

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

DOMAIN = r"https?://(?:www\.|m\.)?([^/?#]+)"


def col(key: str) -> str:
    return t(f"col.{key}", lang)


def yes_no(value: object) -> str:
    return t("doc.yes" if bool(value) else "doc.no", lang)


def months(text: str) -> str:
    parts = [p for p in str(text or "").split(",") if p.strip()]
    return t("ui.month_sep", lang).join(t(f"ui.month.{int(p)}", lang) for p in parts) or t("ui.unknown", lang)


def series_detail(s: pd.Series) -> None:
    """One series of the catalogue: its facts, components, methodology notes, editions and rows by state and outlet."""
    sid = s["index_id"]
    statuses, publications = data.status_counts(), data.publication_counts()
    editions, components, notes = data.editions(), data.component_catalogue(), data.methodology_notes()
    office = s[f"office_{lang}"] if isinstance(s[f"office_{lang}"], str) else s["office_id"]
    better = t("ui.higher_better" if s["score_higher_is_better"] else "ui.lower_better", lang)
    facts = [
        (t("ui.sources.publisher", lang), link(s["publisher"], s["publisher_url"])),
        (t("ui.sources.office", lang), escape(office)),
        (t("ui.sources.cadence", lang), t(f"ui.cadence.{s['cadence']}", lang)),
        (t("ui.sources.release_months", lang), months(s["release_months"])),
        (t("ui.sources.cities_covered", lang),
         escape(s["cities_covered"]) if isinstance(s["cities_covered"], str) else t("ui.unknown", lang)),
        (t("ui.sources.score_unit", lang), escape(s[f"score_unit_{lang}"])),
        (t("ui.sources.score_scale", lang), escape(s[f"score_scale_{lang}"])),
        (t("ui.sources.score_direction", lang), better),
        (t("ui.sources.score_comparable", lang), yes_no(s["score_comparable"])),
        (t("ui.sources.ledger_file", lang), f"`{s['rankings_file']}`"
         + (f", `{s['components_file']}`" if isinstance(s["components_file"], str) else "")),
    ]
    st.markdown("\n".join(f"- **{k}**: {v}" for k, v in facts))

    kind = s[f"component_kind_{lang}"]
    own = components[components["index_id"] == sid]
    st.markdown(f"**{escape(t('ui.sources.components', lang, kind=kind))}**")
    if own.empty:
        st.caption(say("ui.sources.no_components", lang, kind=kind))
    else:
        names = dict(zip(own["component_id"], own[f"name_{lang}"]))
        # on a phone the name and the weight: the note, area and parent are long texts for a wide screen
        display.table(pd.DataFrame({
            col("component"): own[f"name_{lang}"],
            col("weight"): own["weight"],
            col("weight_note"): own["weight_note"].fillna(""),
            col("policy_area"): own[f"policy_area_{lang}"].fillna(""),
            col("parent"): [names.get(p, "") if isinstance(p, str) else "" for p in own["parent"]],
        }), f"src_components_{sid}", phone=[col("component"), col("weight")], hide_index=True, width="stretch",
           placeholder="—", column_config={
            col("weight"): st.column_config.NumberColumn(col("weight"), format="percent"),
        })
        if own["weight"].isna().all():
            st.caption(t("ui.sources.no_weights", lang))

    st.markdown(f"**{t('ui.methodology', lang)}**")
    own_notes = notes[notes["index_id"] == sid]
    if own_notes.empty:
        st.caption(t("ui.trends.no_notes", lang))
    else:
        st.markdown("\n".join(methodology_line(n, lang) for _, n in own_notes.iterrows()))

    st.markdown(f"**{t('ui.sources.editions', lang)}**")
    eds = editions[editions["index_id"] == sid].sort_values("edition_order", ascending=False)
    if eds.empty:
        st.caption(t("status.no_edition", lang))
    else:
        display.table(pd.DataFrame({
            col("edition"): eds["edition"].astype(str),
            col("published"): eds["published"].fillna(""),
            col("year"): eds["year"].astype(str),
            col("field_size"): eds["field_size"].astype("Int64"),
            col("methodology_change"): [ledger_text(m, lang) for m in eds["methodology_change"]],
            col("source"): eds["source_url"],
            # the ledger's research notes: in Korean mode, an English one marked as such
            col("note"): [ledger_text(n, lang) for n in eds["note"]],
        }), f"src_editions_{sid}", hide_index=True, width="stretch", placeholder="—", column_config={
            col("source"): st.column_config.LinkColumn(col("source"), display_text=DOMAIN),
        })

    a, b = st.columns(2)
    with a:
        st.markdown(f"**{t('ui.sources.by_status', lang)}**")
        mine = statuses[statuses["index_id"] == sid]
        display.table(pd.DataFrame({
            col("status"): [t(f"status.{x}", lang) for x in mine["status"]],
            col("rows"): mine["rows"],
        }), f"src_status_{sid}", hide_index=True, width="stretch", placeholder="—")
    with b:
        st.markdown(f"**{t('ui.sources.by_publication', lang)}**")
        mine = publications[publications["index_id"] == sid]
        display.table(pd.DataFrame({
            col("publication"): mine["publication"].replace("", t("ui.sources.no_publication", lang)),
            col("rows"): mine["rows"],
            col("ranked_rows"): mine["ranked_rows"],
        }), f"src_publications_{sid}", hide_index=True, width="stretch", placeholder="—")


def draw() -> None:
    """The page down to the catalogue: it follows from the warehouse and the language alone (no widgets), so it is
    drawn once per warehouse version and language and replayed on every later visit (data.static)."""
    # Load inputs.
    series = data.series()
    short = dict(zip(series["index_id"], series[f"short_{lang}"]))
    statuses = data.status_counts()
    publications = data.publication_counts()
    flags = data.flag_counts()
    tiers = data.tier_counts()
    tier_names = data.source_tiers()

    st.title(t("ui.sources.title", lang))
    st.caption(t("ui.sources.intro", lang))

    # Coverage across the catalogue: states, outlets, flags.
    st.subheader(t("ui.sources.by_status", lang))
    pivot = (statuses.pivot_table(index="index_id", columns="status", values="rows", aggfunc="sum", fill_value=0)
             .reindex(index=series["index_id"], columns=list(STATUSES), fill_value=0).fillna(0).astype(int))
    pivot[t("col.total", lang)] = pivot.sum(axis=1)
    pivot.columns = [t(f"status.{c}", lang) if c in STATUSES else c for c in pivot.columns]
    pivot.insert(0, col("series"), [short.get(i, i) for i in pivot.index])
    display.table(pivot, "src_status", hide_index=True, width="stretch", placeholder="—")

    st.subheader(t("ui.sources.flags", lang))
    # the flags column of every ranking row (docs/formats.md), per series; the focus city's share in brackets
    flag_table = (flags.pivot_table(index="index_id", columns="flag", values="rows", aggfunc="sum", fill_value=0)
                  .reindex(index=series["index_id"], columns=list(signals.FLAG_NAMES), fill_value=0).fillna(0).astype(int))
    focus_flags = (flags.pivot_table(index="index_id", columns="flag", values="focus_rows", aggfunc="sum", fill_value=0)
                   .reindex(index=series["index_id"], columns=list(signals.FLAG_NAMES), fill_value=0).fillna(0).astype(int))
    flag_table = pd.DataFrame({t(f"flag.{f}", lang): [t("ui.sources.flag_cell", lang, n=int(a), focus=int(b))
                                                        for a, b in zip(flag_table[f], focus_flags[f])]
                               for f in signals.FLAG_NAMES}, index=flag_table.index)
    flag_table.insert(0, col("series"), [short.get(i, i) for i in flag_table.index])
    display.table(flag_table, "src_flags", hide_index=True, width="stretch", placeholder="—")
    st.caption(t("ui.sources.flags_help", lang))
    st.markdown("\n".join(f"- {escape(line)}" for line in signals.flag_help(signals.FLAG_NAMES, lang)))

    st.subheader(t("ui.sources.by_tier", lang))
    tier_table = tiers.pivot_table(index="index_id", columns="tier", values="rows", aggfunc="sum", fill_value=0)
    tier_order = [x for x in tier_names["tier"] if x in tier_table.columns]
    tier_table = tier_table.reindex(index=series["index_id"], columns=tier_order, fill_value=0).fillna(0).astype(int)
    tier_table.columns = [tier_names.set_index("tier").at[x, f"name_{lang}"] for x in tier_order]
    tier_table.insert(0, col("series"), [short.get(i, i) for i in tier_table.index])
    display.table(tier_table, "src_tiers", hide_index=True, width="stretch", placeholder="—")
    st.markdown("\n".join(f"- **{escape(r[f'name_{lang}'])}**: {escape(r[f'help_{lang}'])}" for _, r in tier_names.iterrows()))

    st.subheader(t("ui.sources.by_publication", lang))
    outlets = publications.assign(publication=publications["publication"].replace("", t("ui.sources.no_publication", lang)))
    outlets = (outlets.groupby("publication", as_index=False)
               .agg(rows=("rows", "sum"), ranked_rows=("ranked_rows", "sum"),
                    series=("index_id", lambda ids: ", ".join(short.get(i, i) for i in dict.fromkeys(ids))))
               .sort_values(["rows", "publication"], ascending=[False, True]))
    display.table(outlets.rename(columns={
        "publication": col("publication"), "rows": col("rows"), "ranked_rows": col("ranked_rows"), "series": col("series"),
    }), "src_outlets", hide_index=True, width="stretch", placeholder="—", height=min(420, 36 * (len(outlets) + 1) + 3))
    st.caption(t("ui.sources.publication_help", lang, n=len(outlets)))


data.static(draw, "sources", lang)

# The catalogue, one series at a time. A series' tables are drawn when its section is opened (a rerun), gone when it
# is closed: the nine sections drawn closed on every visit were most of what the browser laid out (issue 13).
st.subheader(t("ui.sources.catalogue", lang))
for _, one in data.series().iterrows():
    section = st.expander(escape(f"{one[f'title_{lang}']} ({one[f'short_{lang}']}) · {one['publisher']}"),
                          key=f"src_series_{one['index_id']}", on_change="rerun")
    if section.open:
        with section:
            data.static(lambda one=one: series_detail(one), "sources-series", one["index_id"], lang)

