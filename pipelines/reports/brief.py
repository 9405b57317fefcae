"""The quarterly brief: where the city stands, what changed in the quarter, weaknesses with owners, forum tasks."""

from __future__ import annotations

import html
import re
from datetime import date

import duckdb
import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.messages import t
from pipelines.reports.render import (
    city_name,
    html_document,
    html_table,
    svg_line_chart,
)

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2025-Q4' -> (2025-10-01, 2025-12-31)."""
    m = QUARTER_RE.match(quarter)
    if not m:
        raise ValueError(quarter)
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def standing(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Per series, the focus city in the latest edition published by `as_of` (month precision)."""
    cutoff = as_of.strftime("%Y-%m")
    return con.execute(
        """
        with focus as (select value as city from setting where key = 'focus_city'),
        known as (
            select e.*, coalesce(e.published, e.year || '-12') as pub from edition as e
            where coalesce(e.published, e.year || '-12') <= ?
        ),
        latest as (select index_id, max(edition_order) as edition_order from known group by index_id),
        rows as (
            select r.index_id, r.edition, r.edition_order, r.rank, r.status, r.note, r.source_url
            from rankings as r join focus using (city) join known using (index_id, edition)
        ),
        ranked as (
            select *, row_number() over (partition by index_id order by edition_order desc) as recency
            from rows where status = 'ranked'
        )
        select s.index_id, s.seq, s.title_ko, s.title_en, l_row.edition as latest_edition, l_row.status as latest_status,
               l_row.rank as latest_rank, cur.edition as last_ranked_edition, cur.rank as last_ranked_rank,
               prev.rank as previous_rank, prev.rank - cur.rank as change
        from series as s
        left join latest as l using (index_id)
        left join rows as l_row on l_row.index_id = s.index_id and l_row.edition_order = l.edition_order
        left join ranked as cur on cur.index_id = s.index_id and cur.recency = 1
        left join ranked as prev on prev.index_id = s.index_id and prev.recency = 2
        order by s.seq
        """, [cutoff]).df()


def changes(con: duckdb.DuckDBPyConnection, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Editions published in the quarter (with the focus city's rank) and city values uploaded in it."""
    editions = con.execute(
        """
        select r.index_id, s.title_ko, s.title_en, r.edition, r.published, r.rank, r.status
        from rankings as r
        join series as s using (index_id)
        where r.city = (select value from setting where key = 'focus_city')
          and r.published between ? and ?
        order by r.published, s.seq
        """, [start.strftime("%Y-%m"), end.strftime("%Y-%m")]).df()
    values = con.execute(
        """
        select h.indicator_id, i.name_ko, i.name_en, h.period, h.value, h.unit, h.uploaded_by, h.uploaded_at, h.is_current
        from indicator_history as h join indicator as i using (indicator_id)
        where h.upload_id <> 'seed' and cast(h.uploaded_at as date) between ? and ?
        order by h.uploaded_at
        """, [start, end]).df()
    return editions, values


def brief_html(con: duckdb.DuckDBPyConnection, cat: Catalogue, quarter: str, lang: str = "ko") -> str:
    start, end = quarter_bounds(quarter)
    prev_end = date.fromordinal(start.toordinal() - 1)
    city = cat.focus_city
    shown = city_name(con, city, lang)
    now = standing(con, end)
    before = standing(con, prev_end).set_index("index_id")
    body = [f"<h1>{t('doc.brief.title', lang, city=html.escape(shown), quarter=quarter)}</h1>",
            f"<p class='muted'>{t('doc.brief.period', lang, start=start, end=end)} · "
            f"{html.escape(cat.goal.title.get(lang))}</p>"]

    body.append(f"<h2>1. {t('doc.brief.standing', lang)}</h2>")
    rows = []
    for rec in now.itertuples():
        title = rec.title_ko if lang == "ko" else rec.title_en
        if rec.latest_status == "ranked":
            where = t("doc.rank", lang, rank=int(rec.latest_rank))
        elif isinstance(rec.latest_status, str):
            where = t(f"status.{rec.latest_status}", lang)
            if pd.notna(rec.last_ranked_rank):
                where += " · " + t("doc.brief.last_ranked", lang, rank=int(rec.last_ranked_rank), edition=rec.last_ranked_edition)
        else:
            where = t("status.no_edition", lang)
        was = before.loc[rec.index_id] if rec.index_id in before.index else None
        moved = "" if was is None or was["latest_edition"] == rec.latest_edition else t("doc.brief.new_edition", lang)
        rows.append({t("col.index", lang): title, t("col.edition", lang): rec.latest_edition or "—",
                     t("col.where", lang): where,
                     t("col.change", lang): "—" if pd.isna(rec.change) else f"{int(rec.change):+d}",
                     t("col.since_last_brief", lang): moved})
    body.append(html_table(pd.DataFrame(rows)))
    charts = []
    for s in cat.series.values():
        hist = con.execute(
            "select edition, rank from rankings where index_id = ? and city = ? and coalesce(published, year || '-12') <= ? "
            "order by edition_order", [s.id, city, end.strftime("%Y-%m")]).df()
        if hist["rank"].notna().any():
            charts.append(svg_line_chart({shown: list(zip(hist["edition"], hist["rank"]))}, title=s.short.get(lang),
                                         reverse_y=True, highlight=shown, width=300, height=160))
    body.append("<div>" + "".join(f"<span style='display:inline-block'>{c}</span>" for c in charts) + "</div>")

    editions, values = changes(con, start, end)
    body.append(f"<h2>2. {t('doc.brief.changes', lang)}</h2>")
    if editions.empty and values.empty:
        body.append(f"<p class='muted'>{t('doc.brief.no_changes', lang)}</p>")
    if not editions.empty:
        body.append(html_table(pd.DataFrame({
            t("col.index", lang): editions["title_ko" if lang == "ko" else "title_en"],
            t("col.edition", lang): editions["edition"], t("col.published", lang): editions["published"],
            t("col.where", lang): [t("doc.rank", lang, rank=int(r)) if pd.notna(r) else t(f"status.{s}", lang)
                                       for r, s in zip(editions["rank"], editions["status"])],
        })))
    if not values.empty:
        body.append(html_table(pd.DataFrame({
            t("col.indicator", lang): values["name_ko" if lang == "ko" else "name_en"],
            t("col.period", lang): values["period"], t("col.value", lang): values["value"],
            t("col.unit", lang): values["unit"], t("col.uploaded_by", lang): values["uploaded_by"],
            t("col.updated_at", lang): values["uploaded_at"].str.slice(0, 10),
        })))

    body.append(f"<h2>3. {t('doc.brief.weaknesses', lang)}</h2>")
    weak = con.execute(
        "select w.*, s.short_ko, s.short_en from weaknesses as w join series as s using (index_id) "
        "where w.is_latest and w.label = 'weakness' order by w.severity desc limit 10").df()
    if weak.empty:
        body.append(f"<p class='muted'>{t('doc.brief.none', lang)}</p>")
    else:
        owners = {oid: o.name.get(lang) for oid, o in cat.offices.items()}
        body.append(html_table(pd.DataFrame({
            t("col.index", lang): weak["short_ko" if lang == "ko" else "short_en"] + " " + weak["edition"],
            t("col.components", lang): weak["component_ko" if lang == "ko" else "component"],
            t("col.why", lang): weak["reason_ko" if lang == "ko" else "reason_en"],
            t("col.owner", lang): [", ".join(owners.get(d, d) for d in ds) or "—" for ds in weak["departments"]],
        })))

    body.append(f"<h2>4. {t('doc.brief.actions', lang)}</h2>")
    actions = con.execute(
        "select number, title, owner_name_ko, owner_name_en, due, status, overdue, last_note from action_items order by number").df()
    if actions.empty:
        body.append(f"<p class='muted'>{t('doc.brief.none', lang)}</p>")
    else:
        counts = actions["status"].value_counts()
        body.append("<p>" + " · ".join(f"{t('action.' + s, lang)} {counts.get(s, 0)}"
                                       for s in ("proposed", "accepted", "in_progress", "done", "dropped"))
                    + f" · {t('col.overdue', lang)} {int(actions['overdue'].sum())}</p>")
        body.append(html_table(pd.DataFrame({
            t("col.number", lang): actions["number"], t("col.action", lang): actions["title"],
            t("col.owner", lang): actions["owner_name_ko" if lang == "ko" else "owner_name_en"],
            t("col.due", lang): actions["due"].astype(str),
            t("col.progress", lang): [t(f"action.{s}", lang) + (" ⚠" if o else "") for s, o in zip(actions["status"], actions["overdue"])],
            t("col.last_note", lang): actions["last_note"],
        })))
    return html_document(t("doc.brief.title", lang, city=shown, quarter=quarter), "\n".join(body), lang)
