"""The quarterly brief: where the city stands, what changed in the quarter, weaknesses with owners, forum tasks."""

from __future__ import annotations

import html
import re
from datetime import date

import duckdb
import pandas as pd

from pipelines import sql
from pipelines.analysis import signals
from pipelines.catalogue import Catalogue
from pipelines.errors import CityIdxError
from pipelines.messages import t
from pipelines.reports.render import (
    DEFAULT_TIMEZONE,
    city_name,
    html_document,
    html_table,
    local_time,
    setting,
    svg_line_chart,
)

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
BRIEF_WEAKNESSES = 10  # the most severe weaknesses the brief lists


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2025-Q4' -> (2025-10-01, 2025-12-31)."""
    m = QUARTER_RE.match(quarter)
    if not m:
        raise CityIdxError("brief.bad_quarter", value=quarter)
    year, q = int(m.group(1)), int(m.group(2))
    start = date(year, 3 * q - 2, 1)
    end = date(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def standing(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Per series, the focus city's signals as of `as_of` (macro focus_signals, what the overview reads today)."""
    return sql.frame(con, "standing_as_of", as_of=as_of)


def goal(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """Per series, the goal check as of `as_of` (macro goal_projection, what the goal page reads today)."""
    return sql.frame(con, "goal_as_of", as_of=as_of)


def changes(con: duckdb.DuckDBPyConnection, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Editions published in the quarter (with the focus city's rank) and city values uploaded in it."""
    editions = sql.frame(con, "focus_editions_published", first_month=start.strftime("%Y-%m"),
                         last_month=end.strftime("%Y-%m"))
    values = sql.frame(con, "uploads_between", first_day=start, last_day=end)
    return editions, values


def _standing_section(con: duckdb.DuckDBPyConnection, cat: Catalogue, quarter: str, shown: str, lang: str) -> list[str]:
    """1. Every series: the latest figure, its change if published in the quarter, the goal status; one chart each."""
    body: list[str] = []
    start, end = quarter_bounds(quarter)
    prev_end = date.fromordinal(start.toordinal() - 1)
    city = cat.focus_city
    now = standing(con, end)
    before = standing(con, prev_end).set_index("index_id")
    body.append(f"<h2>1. {t('doc.brief.standing', lang)}</h2>")
    goals = goal(con, end).set_index("index_id")
    first, last = start.strftime("%Y-%m"), end.strftime("%Y-%m")
    rows = []
    for rec in now.to_dict("records"):
        title = rec["title_ko"] if lang == "ko" else rec["title_en"]
        if rec["latest_status"] == "ranked":
            where = signals.with_flags(signals.rank_text(rec["latest_rank"], lang), rec["latest_flags"], lang)
        elif rec["latest_status"] != "no_edition":
            where = signals.figure(rec["latest_status"], rec["latest_rank"], lang, rec["latest_rank_bound"])
            if not signals.blank(rec["last_ranked_rank"]):
                where += " · " + t("doc.brief.last_ranked", lang, rank=int(rec["last_ranked_rank"]), edition=rec["last_ranked_edition"])
        else:
            where = t("status.no_edition", lang)
        if rec["stale"]:
            where += " · " + signals.old_edition_label(rec["latest_year"], lang)
        # the change counts only when the latest edition came out in this quarter: an older one is no news
        in_quarter = isinstance(rec["latest_month"], str) and first <= rec["latest_month"] <= last
        change = signals.change_text(rec, lang) if in_quarter else t("doc.brief.no_new_edition", lang)
        was = before.loc[rec["index_id"]] if rec["index_id"] in before.index else None
        moved = "" if was is None or was["latest_edition"] == rec["latest_edition"] else t("doc.brief.new_edition", lang)
        g = goals.loc[rec["index_id"]].to_dict() if rec["index_id"] in goals.index else None
        rows.append({t("col.index", lang): title, t("col.edition", lang): rec["latest_edition"] or "—",
                     t("col.where", lang): where, t("col.change", lang): change,
                     t("col.since_last_brief", lang): moved,
                     t("col.goal_status", lang, year=cat.goal.by_year): signals.status_text(g, lang) if g else "—"})
    body.append(html_table(pd.DataFrame(rows)))
    charts = []
    for s in cat.series.values():
        hist = sql.frame(con, "city_ranks_as_of", index_id=s.id, city=city, cutoff=end.strftime("%Y-%m"))
        if hist["rank"].notna().any():
            charts.append(svg_line_chart({shown: list(zip(hist["edition"], hist["rank"]))}, title=s.short.get(lang),
                                         reverse_y=True, highlight=shown, width=300, height=160))
    body.append("<div>" + "".join(f"<span style='display:inline-block'>{c}</span>" for c in charts) + "</div>")
    return body


def _changes_section(con: duckdb.DuckDBPyConnection, start: date, end: date, lang: str) -> list[str]:
    """2. The editions published and the city values that arrived in the quarter."""
    body: list[str] = []
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
            # the date the value arrived, in the city's time zone (an upload at 08:00 KST is the day before in UTC)
            t("col.updated_at", lang): [local_time(v, setting(con, "timezone", DEFAULT_TIMEZONE), "%Y-%m-%d")
                                        for v in values["uploaded_at"]],
        })))
    return body


def _weaknesses_section(con: duckdb.DuckDBPyConnection, cat: Catalogue, lang: str) -> list[str]:
    """3. The weakest components: current editions first, a stale edition's apart with its year."""
    body: list[str] = []
    body.append(f"<h2>3. {t('doc.brief.weaknesses', lang)}</h2>")
    weak = sql.frame(con, "latest_weakest", limit=BRIEF_WEAKNESSES)
    if weak.empty:
        body.append(f"<p class='muted'>{t('doc.brief.none', lang)}</p>")
    owners = {oid: o.name.get(lang) for oid, o in cat.offices.items()}

    def weak_table(part: pd.DataFrame) -> str:
        label = [f"{s} {e}" + (f" · {signals.old_edition_label(y, lang)}" if old else "")
                 for s, e, y, old in zip(part["short_ko" if lang == "ko" else "short_en"], part["edition"], part["year"], part["stale"])]
        return html_table(pd.DataFrame({
            t("col.index", lang): label,
            t("col.components", lang): part["component_ko" if lang == "ko" else "component"],
            t("col.why", lang): part["reason_ko" if lang == "ko" else "reason_en"],
            t("col.owner", lang): [", ".join(owners.get(d, d) for d in ds) or "—" for ds in part["departments"]],
        }))

    # current editions first; a stale edition's weak points apart, after them, each with its year
    current, old_ones = weak[~weak["stale"]], weak[weak["stale"]]
    if len(current):
        body.append(weak_table(current))
    if len(old_ones):
        body.append(f"<h3>{t('signal.old_editions', lang)}</h3>")
        body.append(f"<p class='muted'>{t('signal.old_editions_help', lang)}</p>")
        body.append(weak_table(old_ones))
    return body


def _actions_section(con: duckdb.DuckDBPyConnection, start: date, end: date, lang: str) -> list[str]:
    """4. The action items as they stood at the quarter's end, with that quarter's entries."""
    body: list[str] = []
    body.append(f"<h2>4. {t('doc.brief.actions', lang)}</h2>")
    actions = sql.frame(con, "action_statuses", first_day=start, last_day=end)  # as at the quarter's end
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
            t("col.in_quarter", lang): actions["entries_in_period"],
        })))
    return body


def brief_html(con: duckdb.DuckDBPyConnection, cat: Catalogue, quarter: str, lang: str = "ko") -> str:
    """The quarterly brief: where the city stands, what changed in the quarter, its weak points, the actions."""
    start, end = quarter_bounds(quarter)
    shown = city_name(con, cat.focus_city, lang)
    body = [f"<h1>{t('doc.brief.title', lang, city=html.escape(shown), quarter=quarter)}</h1>",
            f"<p class='muted'>{t('doc.brief.period', lang, start=start, end=end)} · "
            f"{html.escape(cat.goal.title.get(lang))}</p>"]
    body += _standing_section(con, cat, quarter, shown, lang)
    body += _changes_section(con, start, end, lang)
    body += _weaknesses_section(con, cat, lang)
    body += _actions_section(con, start, end, lang)
    return html_document(t("doc.brief.title", lang, city=shown, quarter=quarter), "\n".join(body), lang)
