"""What the forum reads: suggested topics, the agenda packet, the proposals-progress table, trends around an action."""

from __future__ import annotations

import html
from datetime import date

import duckdb
import pandas as pd

from pipelines import sql
from pipelines.analysis import signals
from pipelines.build.periods import time_axis
from pipelines.catalogue import Catalogue
from pipelines.errors import ForumError, Message
from pipelines.messages import t
from pipelines.reports.render import (
    DEFAULT_TIMEZONE,
    city_name,
    html_document,
    html_table,
    local_time,
    local_today,
    setting,
    svg_line_chart,
    zone_name,
)

# trend_around's `phase`: a value from before the action was accepted, or from then on.
PHASES = ("before", "after")


def suggestions(con: duckdb.DuckDBPyConnection, limit: int) -> pd.DataFrame:
    """The strongest weaknesses not yet on an agenda, of each series' latest component edition: current ones
    first, a stale edition's (view `weaknesses`.stale) only after every current one."""
    return sql.frame(con, "suggested_topics", limit=limit)


def component_history(con: duckdb.DuckDBPyConnection, index_id: str, component_id: str) -> pd.DataFrame:
    return sql.frame(con, "component_history", index_id=index_id, component_id=component_id)


def indicator_history(con: duckdb.DuckDBPyConnection, indicator_id: str) -> pd.DataFrame:
    return sql.frame(con, "indicator_series", indicator_id=indicator_id)


def _on_time_axis(hist: pd.DataFrame) -> list[tuple[str, float | None]]:
    """An indicator's (period, value) history with every period between its first and last, those without a value as
    None, so that the packet's chart spaces the periods by time and crosses a missing one dashed (periods.time_axis);
    periods of no one cadence as they are."""
    points = list(zip(hist["period"].astype(str), hist["value"]))
    axis = time_axis([p for p, _ in points])
    if axis is None:
        return points
    values = dict(points)
    return [(p, values.get(p)) for p in axis[1]]


def trend_around(con: duckdb.DuckDBPyConnection, action_id: str) -> pd.DataFrame:
    """Each linked indicator's values, marked before or after the action was accepted (the rule is the
    warehouse view `action_trend`: a value for the acceptance year itself counts as `after`)."""
    return sql.frame(con, "action_trend", action_id=action_id)


def progress_table(con: duckdb.DuckDBPyConnection, lang: str = "ko", today: date | None = None,
                   with_ids: bool = False) -> pd.DataFrame:
    """The proposals-progress table (건의사항 추진현황), one row per action item, headers and names in `lang`.

    Overdue is judged against `today` (default: today in the catalogue's time zone) and says so either way;
    the update time is in that zone. `with_ids` adds the linked ids as the last two columns, for a machine
    reading the CSV."""
    timezone = setting(con, "timezone", DEFAULT_TIMEZONE)
    today = today or local_today(timezone)
    df = sql.frame(con, "action_progress", today=today.isoformat())
    out = pd.DataFrame({
        t("col.number", lang): df["number"],
        t("col.meeting_date", lang): df["meeting_date"].astype(str),
        t("col.agenda", lang): df["agenda_title"],
        t("col.action", lang): df["title"],
        t("col.owner", lang): df["owner_name_ko"] if lang == "ko" else df["owner_name_en"],
        t("col.execution", lang): df["execution"].map(lambda v: t(f"execution.{v}", lang)),
        t("col.due", lang): df["due"].astype(str),
        t("col.progress", lang): df["status"].map(lambda v: t(f"action.{v}", lang)),
        t("col.overdue", lang): [t("doc.overdue_days", lang, n=int(d)) if bool(o) else t("doc.no", lang)
                                 for o, d in zip(df["overdue"], df["days_overdue"])],
        t("col.last_note", lang): df["last_note"],
        t("col.updated_at_zone", lang, zone=zone_name(timezone)): [local_time(v, timezone) for v in df["updated_at"]],
        t("col.indicators", lang): df[f"indicators_{lang}"].fillna(""),
        t("col.components", lang): df[f"components_{lang}"].fillna(""),
    })
    if with_ids:
        out[t("col.indicator_ids", lang)] = df["indicator_ids"].fillna("")
        out[t("col.component_ids", lang)] = df["component_ids"].fillna("")
    return out


def agenda_packet_html(con: duckdb.DuckDBPyConnection, cat: Catalogue, meeting_id: str, lang: str = "ko") -> str:
    """A printable agenda packet for one meeting: each agenda item with the evidence it rests on."""
    meeting = sql.frame(con, "meeting_with_forum", meeting_id=meeting_id)
    if meeting.empty:
        raise ForumError("forum.no_such", kind=Message("forum.kind.meeting"), value=meeting_id)
    m = meeting.iloc[0]
    forum_name = m["name_ko"] if lang == "ko" else m["name_en"]
    items = sql.frame(con, "forum_agenda", meeting_id=meeting_id)
    focus = city_name(con, cat.focus_city, lang)
    body = [f"<h1>{html.escape(forum_name)} — {t('doc.forum.packet', lang)}</h1>",
            f"<p>{t('col.meeting_date', lang)}: <b>{pd.Timestamp(m['date']).date().isoformat()}</b> · {t('meeting.' + m['kind'], lang)}"
            + (f" · {html.escape(str(m['place']))}" if isinstance(m["place"], str) else "") + "</p>"]
    if items.empty:
        body.append(f"<p class='muted'>{t('doc.forum.no_agenda', lang)}</p>")
    for item in items.itertuples():
        body.append("<section>")
        decision = t(f"decision.{item.decision}", lang) if isinstance(item.decision, str) else t("doc.forum.undecided", lang)
        body.append(f"<h2>{item.seq}. {html.escape(item.title)}</h2>")
        body.append(f"<p class='muted'>{t('col.proposer', lang)}: {html.escape(item.proposer)} · "
                    f"{t('col.decision', lang)}: {decision}</p>")
        if isinstance(item.description, str):
            body.append(f"<p>{html.escape(item.description)}</p>")
        for ref in item.linked_components:
            index_id, component_id = ref.split("/", 1)
            w = sql.frame(con, "component_judgement", index_id=index_id, component_id=component_id)
            hist = component_history(con, index_id, component_id)
            series = cat.series[index_id]
            comp = series.component(component_id)
            name = f"{series.short.get(lang)} · {comp.name.get(lang) if comp else component_id}"
            body.append(f"<h3>{html.escape(name)}</h3>")
            if not w.empty:
                r = w.iloc[0]
                reason = r["reason_ko"] if lang == "ko" else r["reason_en"]
                # an old edition says so, with its year (the same mark as the Weak points page and the brief)
                old = f" · {signals.old_edition_label(r['year'], lang)}" if r["stale"] else ""
                body.append(f"<p><span class='tag {r['label']}'>{t('label.' + r['label'], lang)}</span> "
                            f"{html.escape(reason)} <span class='muted'>({html.escape(str(r['edition']) + old)})</span></p>")
            chart = svg_line_chart(
                {f"{focus} · {t('doc.chart.component_rank', lang)}": list(zip(hist["edition"], hist["component_rank"])),
                 f"{focus} · {t('doc.chart.overall_rank', lang)}": list(zip(hist["edition"], hist["overall_rank"]))},
                title=t("doc.chart.rank_over_editions", lang), reverse_y=True,
                highlight=f"{focus} · {t('doc.chart.component_rank', lang)}",
            )
            body.append(chart)
        for indicator_id in item.linked_indicators:
            ind = cat.indicators[indicator_id]
            hist = indicator_history(con, indicator_id)
            body.append(f"<h3>{html.escape(ind.name.get(lang))} ({html.escape(ind.unit.get(lang))})</h3>")
            body.append(svg_line_chart({ind.name.get(lang): _on_time_axis(hist)}, highlight=ind.name.get(lang),
                                       dash_gaps=True))
            owner = cat.offices[ind.office_id].name.get(lang)
            body.append(f"<p class='muted'>{t('col.owner', lang)}: {html.escape(owner)} · "
                        f"{t('col.source', lang)}: {html.escape(ind.source_name)}</p>")
        actions = sql.frame(con, "agenda_actions", agenda_id=item.agenda_id)
        if not actions.empty:
            table = pd.DataFrame({
                t("col.number", lang): actions["number"],
                t("col.action", lang): actions["title"],
                t("col.owner", lang): actions["owner_name_ko" if lang == "ko" else "owner_name_en"],
                t("col.due", lang): actions["due"].astype(str),
                t("col.progress", lang): actions["status"].map(lambda v: t(f"action.{v}", lang)),
            })
            body.append(html_table(table))
        body.append("</section>")
    return html_document(f"{forum_name} {pd.Timestamp(m['date']).date().isoformat()}", "\n".join(body), lang)
