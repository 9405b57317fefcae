"""Read-only access to the warehouse: one cached connection and every query the pages use."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from dashboard.markdown import escape
from dashboard.text import LANGS, t
from pipelines.analysis import due
from pipelines.build import warehouse
from pipelines.reports import brief, calendar, publish

# Flags the ledger writes into `note` (docs/formats.md); counted on the Sources page.
FLAGS = ("DERIVED", "INFERRED", "CONFLICT", "LOW CONFIDENCE", "NOT FOUND")

Version = tuple[int, int, int]


def warehouse_file() -> Path:
    return warehouse.warehouse_path()


def version(path: Path | None = None) -> Version | None:
    """Identity of the warehouse file on disk; None when it is missing.

    A build swaps in a new file atomically, so the inode changes with the mtime; both are in the key
    so that a swap within one mtime tick is still seen.
    """
    try:
        st_ = os.stat(path or warehouse_file())
    except FileNotFoundError:
        return None
    return (st_.st_mtime_ns, st_.st_ino, st_.st_size)


def stop_if_missing() -> None:
    """Show a bilingual message and stop the page when there is no warehouse to read."""
    path = warehouse_file()
    problem = None
    if version(path) is None:
        problem = "ui.no_warehouse"
    else:
        try:
            _connection(str(path), version(path))
        except duckdb.Error:
            problem = "ui.bad_warehouse"
    if problem:
        st.error("\n\n".join(t(problem, lang, path=path) for lang in LANGS), icon=":material/database:")
        st.code("cityidx build", language="bash")
        st.stop()


@st.cache_resource(max_entries=2, show_spinner=False, on_release=lambda con: con.close())
def _connection(path: str, version: Version | None) -> duckdb.DuckDBPyConnection:
    """One read-only connection per file version; the version in the key reopens it after a build.

    The file is attached to a private in-memory database: duckdb.connect(path) would hand back the
    process's cached instance for that path, still reading the file a build has just replaced.
    """
    con = duckdb.connect()
    quoted = path.replace("'", "''")
    con.execute(f"attach '{quoted}' as warehouse (read_only)")
    return con


@st.cache_data(max_entries=256, show_spinner=False)
def _query(sql: str, params: tuple, path: str, version: Version | None) -> pd.DataFrame:
    # A cursor per call: DuckDB connections are not shared between Streamlit's script threads.
    with _connection(path, version).cursor() as cur:
        cur.execute("use warehouse")
        return cur.execute(sql, list(params)).df()


def _read(sql: str, *params: object) -> pd.DataFrame:
    path = warehouse_file()
    return _query(sql, tuple(params), str(path), version(path))


# --- settings and catalogue ---------------------------------------------------------------------

def settings() -> pd.DataFrame:
    return _read("select key, value from setting order by key")


def setting(key: str, default: str | None = None) -> str | None:
    frame = settings()
    hit = frame.loc[frame["key"] == key, "value"]
    return default if hit.empty else hit.iloc[0]


def focus_city() -> pd.DataFrame:
    """The focus city with its Korean name (one row)."""
    return _read("""
        select c.city, c.city_ko, c.country, c.country_ko
        from setting as s join city as c on c.city = s.value
        where s.key = 'focus_city'
    """)


def series() -> pd.DataFrame:
    """Every series with its managing office's names, in catalogue order."""
    return _read("""
        select s.*, o.name_ko as office_ko, o.name_en as office_en
        from series as s left join office as o on o.office_id = s.office_id
        order by s.seq
    """)


def peer_cities() -> pd.DataFrame:
    return _read("select p.city, c.city_ko from peer_city as p join city as c using (city) order by p.seq")


def editions(index_id: str | None = None) -> pd.DataFrame:
    """Editions in order; `methodology_change` also carries the catalogue's notes that record a change
    for that edition (methodology_note.is_change), so a change noted in either place is marked."""
    return _read("""
        with noted as (
            select index_id, edition, string_agg(text, ' / ' order by seq) as noted_change
            from methodology_note where is_change and edition is not null
            group by all
        )
        select e.* replace (coalesce(nullif(e.methodology_change, ''), n.noted_change) as methodology_change)
        from edition as e left join noted as n using (index_id, edition)
        where ? is null or e.index_id = ?
        order by e.index_id, e.edition_order
    """, index_id, index_id)


def component_catalogue(index_id: str | None = None) -> pd.DataFrame:
    """Components as the catalogue declares them, with policy-area names."""
    return _read("""
        select k.*, p.name_ko as policy_area_ko, p.name_en as policy_area_en
        from component as k left join policy_area as p using (policy_area)
        where ? is null or k.index_id = ?
        order by k.index_id, k.seq
    """, index_id, index_id)


def methodology_notes(index_id: str | None = None) -> pd.DataFrame:
    return _read("""
        select * from methodology_note where ? is null or index_id = ? order by index_id, seq
    """, index_id, index_id)


# --- figures ------------------------------------------------------------------------------------

def overview() -> pd.DataFrame:
    """focus_overview with the managing office's names."""
    return _read("""
        select f.*, o.name_ko as office_ko, o.name_en as office_en
        from focus_overview as f left join office as o on o.office_id = f.office_id
        order by f.seq
    """)


def focus_history() -> pd.DataFrame:
    """The focus city in every edition of every series (for sparklines)."""
    return _read("""
        select r.index_id, r.edition, r.edition_order, r.year, r.rank, r.score, r.status
        from rankings as r join setting as s on s.key = 'focus_city' and r.city = s.value
        order by r.index_id, r.edition_order
    """)


def rankings(index_id: str) -> pd.DataFrame:
    """Every row of one series, all cities, all editions."""
    return _read("""
        select index_id, edition, edition_order, published, year, city, city_ko, country, country_ko,
               rank, score, field_size, status, source_url, publication, retrieved, note, methodology_change
        from rankings where index_id = ?
        order by edition_order, rank nulls last, city
    """, index_id)


def series_cities(index_id: str) -> pd.DataFrame:
    """Cities that appear in a series, most often ranked first."""
    return _read("""
        select city, any_value(city_ko) as city_ko, count(rank) as ranked, min(rank) as best_rank
        from rankings where index_id = ?
        group by city
        order by ranked desc, best_rank nulls last, city
    """, index_id)


def components(index_id: str) -> pd.DataFrame:
    """Component ranks and scores of one series, every city that has them."""
    return _read("""
        select c.*, p.name_ko as policy_area_ko, p.name_en as policy_area_en, y.city_ko
        from components as c
        left join policy_area as p using (policy_area)
        left join city as y using (city)
        where c.index_id = ?
        order by c.edition_order, c.component_seq, c.city
    """, index_id)


# --- provenance ---------------------------------------------------------------------------------

def status_counts() -> pd.DataFrame:
    return _read("""
        select index_id, status, count(*) as rows
        from rankings group by all order by index_id, status
    """)


def publication_counts() -> pd.DataFrame:
    """Which outlets the figures rest on: rows per series and publication."""
    return _read("""
        select index_id, coalesce(publication, '') as publication, count(*) as rows,
               count(*) filter (where status = 'ranked') as ranked_rows
        from rankings group by all order by index_id, rows desc, publication
    """)


def flag_counts() -> pd.DataFrame:
    """Rows per series whose note carries a flag: the flag in capitals anywhere, or opening the note."""
    selects = " union all ".join(
        f"select index_id, '{flag}' as flag, count(*) filter (where regexp_matches(note, '{flag}') "
        f"or regexp_matches(note, '^\\s*{flag}\\b', 'i')) as rows from rankings group by index_id"
        for flag in FLAGS
    )
    return _read(f"select * from ({selects}) order by index_id, flag")


# --- analysis (docs/analysis.md) ----------------------------------------------------------------

def analysis_settings() -> dict[str, float]:
    """The thresholds the analysis views use (`analysis:` in indicators.yml), as `section.key` -> number."""
    frame = _read("select key, value from analysis_setting order by key")
    return dict(zip(frame["key"], frame["value"]))


def policy_areas() -> pd.DataFrame:
    return _read("select policy_area, name_ko, name_en from policy_area order by seq")


def offices() -> pd.DataFrame:
    return _read("select office_id, name_ko, name_en, kind, parent from office order by office_id")


def indicators() -> pd.DataFrame:
    """City-managed indicators with their owning department."""
    return _read("select indicator_id, name_ko, name_en, unit_ko, unit_en, direction, office_id from indicator order by seq")


def weaknesses() -> pd.DataFrame:
    """Every labelled component of every edition (view `weaknesses`), with series and policy-area names."""
    return _read("""
        select w.*, s.title_ko, s.title_en, s.short_ko, s.short_en, s.seq as series_seq,
               p.name_ko as policy_area_ko, p.name_en as policy_area_en
        from weaknesses as w
        join series as s using (index_id)
        left join policy_area as p using (policy_area)
        order by s.seq, w.edition_order, w.component_seq
    """)


def what_if() -> pd.DataFrame:
    """The what-if estimate (view `what_if`) for the latest component editions."""
    return _read("""
        select w.index_id, w.edition, w.component_id, w.component, w.component_ko, w.label, w.weight, w.weight_note,
               w.component_score, w.score_of_goal_rank_city, w.estimated_overall_change, w.missing
        from what_if as w
        where w.is_latest
    """)


def top5_gap() -> pd.DataFrame:
    """View `top5_gap` with the newest edition year of any series and the staleness threshold (for 'unknown')."""
    return _read("""
        select g.*, (select max(year) from edition) as data_year,
               (select value from analysis_setting where key = 'goal.stale_years') as stale_years
        from top5_gap as g
        order by g.seq
    """)


def focus_ranks() -> pd.DataFrame:
    """The focus city's rank in every edition of every series, with the edition's publication month (goal charts)."""
    return _read("""
        select r.index_id, r.edition, r.edition_order, r.year, r.published, r.rank, r.status
        from rankings as r join setting as s on s.key = 'focus_city' and r.city = s.value
        order by r.index_id, r.edition_order
    """)


# --- the forum (read side; writes go through pipelines.forum.record) ---------------------------

def catalogue():
    """The catalogue the forum writes against ($CITYIDX_CATALOGUE, else indicators.yml); reloaded when the file changes."""
    from pipelines.catalogue import DEFAULT_CATALOGUE

    path = Path(os.environ.get("CITYIDX_CATALOGUE") or DEFAULT_CATALOGUE).resolve()
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        mtime = None
    return _catalogue(str(path), mtime)


@st.cache_resource(max_entries=2, show_spinner=False)
def _catalogue(path: str, mtime: int | None):
    from pipelines.catalogue import load

    return load(path)


def forums() -> pd.DataFrame:
    return _read("select forum_id, name_ko, name_en from forum order by forum_id")


def meetings() -> pd.DataFrame:
    return _read("""
        select meeting_id, forum_id, cast(date as varchar) as date, kind, place, title, attendees, summary, held,
               scheduled_at, scheduled_by
        from meeting order by date, meeting_id
    """)


def forum_agenda(meeting_id: str | None = None) -> pd.DataFrame:
    return _read("""
        select * replace (cast(meeting_date as varchar) as meeting_date)
        from forum_agenda where ? is null or meeting_id = ? order by meeting_date, seq
    """, meeting_id, meeting_id)


def action_items() -> pd.DataFrame:
    return _read("""
        select * replace (cast(due as varchar) as due, cast(meeting_date as varchar) as meeting_date)
        from action_items order by number
    """)


def action_log(action_id: str) -> pd.DataFrame:
    return _read("""
        select recorded_at, recorded_by, kind, status, note from action_log where action_id = ? order by recorded_at, event_id
    """, action_id)


def feeding_indicators() -> pd.DataFrame:
    """Which city-managed indicators feed which component (the lineage behind the weaknesses' owners)."""
    return _read("""
        select f.index_id, f.component_id, f.indicator_id, i.office_id
        from indicator_feed as f join indicator as i using (indicator_id)
        where f.component_id is not null
        order by f.index_id, f.component_id, f.indicator_id
    """)


@st.cache_data(max_entries=64, show_spinner=False)
def _report(name: str, args: tuple, path: str, version: Version | None) -> pd.DataFrame:
    from pipelines.reports import forum

    with _connection(path, version).cursor() as cur:
        cur.execute("use warehouse")
        return getattr(forum, name)(cur, *args)


def _forum_report(name: str, *args: object) -> pd.DataFrame:
    path = warehouse_file()
    return _report(name, tuple(args), str(path), version(path))


def suggestions(limit: int) -> pd.DataFrame:
    """reports.forum.suggestions: the strongest weaknesses not yet on an agenda."""
    return _forum_report("suggestions", int(limit))


def trend_around(action_id: str) -> pd.DataFrame:
    """reports.forum.trend_around: the linked indicators' values before and after the action was accepted."""
    return _forum_report("trend_around", action_id)


def progress_table(lang: str) -> pd.DataFrame:
    """reports.forum.progress_table: the proposals-progress table (건의사항 추진현황)."""
    return _forum_report("progress_table", lang)


@st.cache_data(max_entries=16, show_spinner=False)
def _packet(meeting_id: str, lang: str, catalogue_key: str, path: str, version: Version | None, _cat) -> str:
    from pipelines.reports import forum

    with _connection(path, version).cursor() as cur:
        cur.execute("use warehouse")
        return forum.agenda_packet_html(cur, _cat, meeting_id, lang)


def agenda_packet(cat, meeting_id: str, lang: str) -> str:
    """reports.forum.agenda_packet_html for one meeting (printable HTML with the evidence charts)."""
    path = warehouse_file()
    return _packet(meeting_id, lang, str(cat.root), str(path), version(path), cat)


# --- department indicators and reporting (views/my_indicators.py, views/reporting.py) ----------

def indicator_departments() -> pd.DataFrame:
    """Offices that own at least one city-managed indicator, in the catalogue order of their first indicator."""
    return _read("""
        select o.office_id, o.name_ko, o.name_en, count(*) as indicators
        from managed_indicators as m join office as o on o.office_id = m.office_id
        group by all
        order by min(m.seq)
    """)


def managed_indicator_ids() -> list[str]:
    """Ids of the indicators the warehouse was built with (to notice a catalogue that has moved on)."""
    return _read("select indicator_id from managed_indicators order by seq")["indicator_id"].tolist()


def department_indicators(office_id: str) -> pd.DataFrame:
    """The department's indicators with the latest current value (the newest period) and who loaded it."""
    return _read("""
        with
        latest as (
            select indicator_id, period, value, uploaded_by, uploaded_at
            from indicator_values
            qualify row_number() over (partition by indicator_id order by period desc) = 1
        ),
        final as (
            select m.indicator_id, m.name_ko, m.name_en, m.unit as unit_ko, m.unit_en, m.unit_kind, m.cadence,
                   m.source, m.source_url, m.seq, l.period as latest_period, l.value as latest_value,
                   l.uploaded_by, l.uploaded_at
            from managed_indicators as m left join latest as l using (indicator_id)
            where m.office_id = ?
        )
        select * from final order by seq
    """, office_id)


def department_values(office_id: str) -> pd.DataFrame:
    """Current values (indicator_values) of every indicator the department owns: the 'before' of a preview."""
    return _read("""
        select v.indicator_id, v.period, v.value
        from indicator_values as v
        join managed_indicators as m using (indicator_id)
        where m.office_id = ?
        order by v.indicator_id, v.period
    """, office_id)


def department_uploads(office_id: str) -> pd.DataFrame:
    """Accepted uploads of one department (ledger_upload), newest first."""
    return _read("""
        select upload_id, uploaded_at, uploaded_by, original_filename, rows, bytes, encoding, sha256
        from ledger_upload where office_id = ?
        order by uploaded_at desc, upload_id desc
    """, office_id)


def value_history(indicator_id: str) -> pd.DataFrame:
    """Every version of every period of one indicator (indicator_history), newest period and version first."""
    return _read("""
        select period, value, unit, uploaded_by, uploaded_at, source, note, upload_id, ledger_file,
               is_current, version_rank, versions
        from indicator_history where indicator_id = ?
        order by period desc, version_rank
    """, indicator_id)


def due_status(cat, today) -> pd.DataFrame:
    """analysis.due.due_status for `today`: one row per catalogue indicator with its state and last upload."""
    return _on_warehouse_cached("due_status", cat, today.isoformat())



# --- release calendar, submission pack, quarterly brief (views/calendar.py) ---------------------

def _catalogue_key(cat) -> tuple:
    return (str(cat.path), os.stat(cat.path).st_mtime_ns)


# Pipeline functions that read the warehouse through a connection and the catalogue: run on this
# module's connection, cached on the catalogue file and the warehouse version.
_WAREHOUSE_CALLS = {
    "due_status": lambda cur, cat, today: due.due_status(cur, cat, date.fromisoformat(today)),
    "upcoming": lambda cur, cat, today: calendar.upcoming(cat, cur, date.fromisoformat(today)),
    "submission_pack": lambda cur, cat, index_id, lang: publish.submission_pack(cur, cat, index_id, lang),
    "brief": lambda cur, cat, quarter, lang: brief.brief_html(cur, cat, quarter, lang),
}


@st.cache_data(max_entries=64, show_spinner=False)
def _on_warehouse(call: str, args: tuple, catalogue_key: tuple, path: str, version: Version | None, _cat):
    with _connection(path, version).cursor() as cur:
        cur.execute("use warehouse")
        return _WAREHOUSE_CALLS[call](cur, _cat, *args)


def _on_warehouse_cached(call: str, cat, *args):
    path = warehouse_file()
    return _on_warehouse(call, args, _catalogue_key(cat), str(path), version(path), cat)


def upcoming_releases(cat, today) -> pd.DataFrame:
    """reports.calendar.upcoming for `today`: the expected releases of the horizon with their feeding indicators."""
    return _on_warehouse_cached("upcoming", cat, today.isoformat())


def submission_pack(cat, index_id: str, lang: str) -> pd.DataFrame:
    """publish.submission_pack: the latest value of every city indicator that feeds one series."""
    return _on_warehouse_cached("submission_pack", cat, index_id, lang)


def quarterly_brief(cat, quarter: str, lang: str) -> str:
    """brief.brief_html for one quarter ('2025-Q4'): the printable HTML report."""
    return _on_warehouse_cached("brief", cat, quarter, lang)


def catalogue_or_stop():
    """The catalogue, or its problems (both languages) and a stopped page when it does not load."""
    from pipelines.catalogue import CatalogueError

    try:
        return catalogue()
    except CatalogueError as exc:
        st.error(escape(str(exc)), icon=":material/error:")
        st.stop()


def first_edition_year() -> int | None:
    """The year of the oldest edition in the warehouse (where the brief's quarters start)."""
    year = _read("select min(year) as year from edition")["year"].iloc[0]
    return None if pd.isna(year) else int(year)
