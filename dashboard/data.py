"""Read-only access to the warehouse for the pages: one cached connection running the named queries of pipelines/sql/."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Hashable

import duckdb
import pandas as pd
import streamlit as st

from dashboard.text import LANGS, t
from pipelines import sql
from pipelines.analysis import due
from pipelines.build import uploads
from pipelines.reports import brief, calendar, publish, render
from pipelines.reports.render import DEFAULT_TIMEZONE
from pipelines.sql import parts

Version = parts.Version


class _Shared:
    """A process-wide LRU of values shared by every run and session, keyed on a hashable key.

    What st.cache_resource does for these values, at a dict lookup's cost on a hit: Streamlit hashes every argument
    and inspects the cached function's signature on every call (a cached query: 301 us a hit, 108 us here,
    most of it the copy-on-write copy), and a page asks a dozen times per run.
    A miss may be computed twice by two sessions at once; both results are equal and one is kept."""

    def __init__(self, max_entries: int, on_release: Callable[[Any], None] | None = None) -> None:
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries
        self._on_release = on_release

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        released = []
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._max:
                released.append(self._items.popitem(last=False)[1])
        if self._on_release is not None:
            for old in released:
                self._on_release(old)
        return value


def _handed_out(value: Any) -> Any:
    """A shared frame (or tuple of frames) as a shallow copy: under pandas 3's copy-on-write it behaves as a copy, so
    a caller that sets a cell or a column never changes what the next reader gets. Other shared values are immutable."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    if isinstance(value, tuple) and any(isinstance(v, pd.DataFrame) for v in value):
        return tuple(v.copy(deep=False) if isinstance(v, pd.DataFrame) else v for v in value)
    return value


def warehouse_file() -> Path:
    return parts.warehouse_path()


def version(path: Path | None = None) -> Version | None:
    """Identity of the warehouse on disk (every part file's mtime, inode and size); None when a part is missing.
    A write swaps in a new file for its part, so a changed part changes the key and every cached result."""
    return parts.version(path or warehouse_file())


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
        st.error("\n\n".join(t(problem, lang) for lang in LANGS), icon=":material/database:")
        with st.expander(t("ui.admin_detail", "ko") + " · " + t("ui.admin_detail", "en"), icon=":material/build:"):
            st.caption(t("ui.admin_warehouse", "ko", path=str(path)) + "  \n" + t("ui.admin_warehouse", "en", path=str(path)))
            st.code("cityidx build", language="bash")
        st.stop()


_CONNECTIONS = _Shared(2, on_release=lambda con: con.close())
_FRAMES = _Shared(512)  # query results, figures, derived frames, downloads, reports
_CATALOGUES = _Shared(2)


def _connection(path: str, version: Version | None) -> duckdb.DuckDBPyConnection:
    """One read-only connection per warehouse version; the version in the key reopens it after a write.

    The part files are attached to a private in-memory database (pipelines.sql.parts): duckdb.connect(path)
    would hand back the process's cached instance for that path, still reading a file a write has replaced.
    """
    return _CONNECTIONS.get((path, version), lambda: parts.connect_read_only(Path(path)))


def _state() -> tuple[str, Version | None, str]:
    """What every cached read is keyed on: the warehouse file, its version (the part files' identity, looked up once
    here) and today in the catalogue's time zone (the warehouse's `zone_today()`, whatever the server's zone), since
    views such as focus_overview and top5_gap read the warehouse as of today, so a result cached yesterday is not
    served tomorrow."""
    path = warehouse_file()
    v = version(path)
    zone = _settings(str(path), v).get("timezone", DEFAULT_TIMEZONE)
    return str(path), v, render.local_today(zone).isoformat()


def _cursor(path: str, version: Version | None) -> duckdb.DuckDBPyConnection:
    """A cursor on the warehouse: DuckDB connections are not shared between Streamlit's script threads."""
    cur = _connection(path, version).cursor()
    sql.execute(cur, "use_warehouse")
    return cur


def once(make: Callable[[], Any], *key: Hashable) -> Any:
    """An immutable value drawn from the warehouse (the bytes of a download, a chart's figure, a lookup), made once
    per warehouse version, day and `key` (a name and everything else it depends on), then shared by every run and
    session. `make` runs only on a miss; what it returns is not changed after it is made."""
    return _figure(("once", *key), *_state(), make)


def derived(make: Callable[[], pd.DataFrame | tuple[pd.DataFrame, ...]], *key: Hashable):
    """Frames a page computes from query results (sorted, grouped, labelled), computed once per warehouse version,
    day and `key` (a name and everything else they depend on: language, catalogue, filters); like `_read`, each
    caller gets shallow copy-on-write copies, so changing them never reaches the shared ones."""
    return _handed_out(_figure(("derived", *key), *_state(), make))


def _figure(key: tuple, path: str, version: Version | None, today: str, make: Callable[[], Any]) -> Any:
    return _FRAMES.get(("made", key, path, version, today), make)


def static(draw: Callable[[], None], *key: Hashable) -> None:
    """Draw elements that follow from the warehouse alone (charts, tables, text, expanders: no widgets) once per
    warehouse version and `key` (a name for what is drawn and everything else it is drawn from: language, series,
    filters); every later run, in any session, replays the recorded elements (Streamlit's element replay)
    instead of building them again. A Plotly chart or a table costs far more to serialise than to query.

    st.cache_resource, not st.cache_data: both replay the recorded elements, but st.cache_data keeps them pickled
    and unpickles every element of the page on every hit (a sixth of the overview's rerun); replay copies each
    recorded message into a new one, so the kept ones are never changed."""
    _static(key, *_state(), draw)


@st.cache_resource(max_entries=512, show_spinner=False)
def _static(key: tuple, path: str, version: Version | None, today: str, _draw: Callable[[], None]) -> None:
    _draw()


def _query(name: str, params: tuple[tuple[str, object], ...], path: str, version: Version | None,
           today: str) -> pd.DataFrame:
    def run() -> pd.DataFrame:
        with _cursor(path, version) as cur:
            return sql.frame(cur, name, **dict(params))

    return _FRAMES.get(("query", name, params, path, version, today), run)


def _read(name: str, **params: object) -> pd.DataFrame:
    """Named query `name` (pipelines/sql/queries/) on this file version, cached on its name and parameters.

    One frame per key is shared by every run and session (_Shared: st.cache_data would unpickle a copy on every
    call, 1-5 ms each, dozens per page); each caller gets a shallow copy, which under pandas 3's
    copy-on-write behaves as a copy: setting a cell or a column on it never reaches the shared frame."""
    return _query(name, tuple(sorted(params.items())), *_state()).copy(deep=False)


# --- settings and catalogue ---------------------------------------------------------------------

def settings() -> pd.DataFrame:
    return _read("settings")


def setting(key: str, default: str | None = None) -> str | None:
    path = warehouse_file()
    return _settings(str(path), version(path)).get(key, default)


def _settings(path: str, version: Version | None) -> MappingProxyType:
    """The settings table as a read-only mapping (a page asks for one setting dozens of times per run)."""
    def make() -> MappingProxyType:
        frame = _query("settings", (), path, version, "")  # the same on every day (and today needs its zone)
        return MappingProxyType(dict(zip(frame["key"], frame["value"])))

    return _FRAMES.get(("settings", path, version), make)


def focus_city() -> pd.DataFrame:
    """The focus city with its Korean name (one row)."""
    return _read("focus_city")


def series() -> pd.DataFrame:
    """Every series with its managing office's names, in catalogue order."""
    return _read("series")


def peer_cities() -> pd.DataFrame:
    return _read("peer_cities")


def editions(index_id: str | None = None) -> pd.DataFrame:
    """Editions in order; `methodology_change` also carries the catalogue's notes that record a change
    for that edition (methodology_note.is_change), so a change noted in either place is marked."""
    return _read("editions", index_id=index_id)


def component_catalogue(index_id: str | None = None) -> pd.DataFrame:
    """Components as the catalogue declares them, with policy-area names."""
    return _read("component_catalogue", index_id=index_id)


def methodology_notes(index_id: str | None = None) -> pd.DataFrame:
    return _read("methodology_notes", index_id=index_id)


# --- figures ------------------------------------------------------------------------------------

def overview() -> pd.DataFrame:
    """focus_overview with the managing office's names."""
    return _read("overview")


def focus_history() -> pd.DataFrame:
    """The focus city in every edition of every series (for sparklines)."""
    return _read("focus_history")


def rankings(index_id: str) -> pd.DataFrame:
    """Every row of one series, all cities, all editions."""
    return _read("series_rankings", index_id=index_id)


def series_cities(index_id: str) -> pd.DataFrame:
    """Cities that appear in a series, most often ranked first."""
    return _read("series_cities", index_id=index_id)


def components(index_id: str) -> pd.DataFrame:
    """Component ranks and scores of one series, every city that has them."""
    return _read("series_components", index_id=index_id)


# --- provenance ---------------------------------------------------------------------------------

def status_counts() -> pd.DataFrame:
    return _read("status_counts")


def publication_counts() -> pd.DataFrame:
    """Which outlets the figures rest on: rows per series and publication."""
    return _read("publication_counts")


def flag_counts() -> pd.DataFrame:
    """Rows per series carrying each flag (the `flags` column), all cities and the focus city alone."""
    return _read("flag_counts")


def tier_counts() -> pd.DataFrame:
    """Rows per series by the tier of their source."""
    return _read("tier_counts")


def source_tiers() -> pd.DataFrame:
    """The source tiers (most direct first) with their names and one-line help."""
    return _read("source_tiers")


# --- analysis (docs/analysis.md) ----------------------------------------------------------------

def analysis_settings() -> dict[str, float]:
    """The thresholds the analysis views use (`analysis:` in indicators.yml), as `section.key` -> number."""
    frame = _read("analysis_settings")
    return dict(zip(frame["key"], frame["value"]))


def policy_areas() -> pd.DataFrame:
    return _read("policy_areas")


def offices() -> pd.DataFrame:
    return _read("offices")


def indicators() -> pd.DataFrame:
    """City-managed indicators with their owning department."""
    return _read("indicators")


def weaknesses() -> pd.DataFrame:
    """Every labelled component of every edition (view `weaknesses`), with series and policy-area names."""
    return _read("weaknesses")


def what_if() -> pd.DataFrame:
    """The what-if estimate (view `what_if`) for the latest component editions."""
    return _read("what_if")


def top5_gap() -> pd.DataFrame:
    """View `top5_gap` with the newest edition year of any series and the staleness threshold (for 'unknown')."""
    return _read("top5_gap")


def focus_ranks() -> pd.DataFrame:
    """The focus city's rank in every edition of every series, with the edition's publication month (goal charts)."""
    return _read("focus_ranks")


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


def _catalogue(path: str, mtime: int | None):
    from pipelines.catalogue import load

    return _CATALOGUES.get((path, mtime), lambda: load(path))


def forums() -> pd.DataFrame:
    return _read("forums")


def meetings() -> pd.DataFrame:
    return _read("meetings")


def forum_agenda(meeting_id: str | None = None) -> pd.DataFrame:
    return _read("forum_agenda", meeting_id=meeting_id)


def action_items() -> pd.DataFrame:
    return _read("action_items")


def action_log(action_id: str) -> pd.DataFrame:
    return _read("action_log", action_id=action_id)


def feeding_indicators() -> pd.DataFrame:
    """Which city-managed indicators feed which component (the lineage behind the weaknesses' owners)."""
    return _read("feeding_indicators")


def _report(name: str, args: tuple, path: str, version: Version | None) -> pd.DataFrame:
    from pipelines.reports import forum

    def make() -> pd.DataFrame:
        with _cursor(path, version) as cur:
            return getattr(forum, name)(cur, *args)

    return _handed_out(_FRAMES.get(("report", name, args, path, version), make))


def _forum_report(name: str, *args: object) -> pd.DataFrame:
    path = warehouse_file()
    return _report(name, tuple(args), str(path), version(path))


def suggestions(limit: int) -> pd.DataFrame:
    """reports.forum.suggestions: the strongest weaknesses not yet on an agenda."""
    return _forum_report("suggestions", int(limit))


def trend_around(action_id: str) -> pd.DataFrame:
    """reports.forum.trend_around: the linked indicators' values before and after the action was accepted."""
    return _forum_report("trend_around", action_id)


def progress_table(lang: str, with_ids: bool = False) -> pd.DataFrame:
    """reports.forum.progress_table: the proposals-progress table (건의사항 추진현황), overdue as of today in the
    catalogue's time zone (today is part of the cache key, so the flag turns at local midnight)."""
    return _forum_report("progress_table", lang, local_today(), with_ids)


def timezone() -> str:
    """The catalogue's time zone (every time shown to people is in it)."""
    return setting("timezone", DEFAULT_TIMEZONE)


def local_today():
    return render.local_today(timezone())


def _packet(meeting_id: str, lang: str, catalogue_key: str, path: str, version: Version | None, cat) -> str:
    from pipelines.reports import forum

    def make() -> str:
        with _cursor(path, version) as cur:
            return forum.agenda_packet_html(cur, cat, meeting_id, lang)

    return _FRAMES.get(("packet", meeting_id, lang, catalogue_key, path, version), make)


def agenda_packet(cat, meeting_id: str, lang: str) -> str:
    """reports.forum.agenda_packet_html for one meeting (printable HTML with the evidence charts)."""
    path = warehouse_file()
    return _packet(meeting_id, lang, str(cat.root), str(path), version(path), cat)


# --- department indicators and reporting (views/my_indicators.py, views/reporting.py) ----------

def indicator_departments() -> pd.DataFrame:
    """Offices that own at least one city-managed indicator, in the catalogue order of their first indicator."""
    return _read("indicator_departments")


def managed_indicator_ids() -> list[str]:
    """Ids of the indicators the warehouse was built with (to notice a catalogue that has moved on)."""
    return _read("managed_indicator_ids")["indicator_id"].tolist()


def department_indicators(office_id: str) -> pd.DataFrame:
    """The department's indicators with the latest current value (the newest period) and who loaded it."""
    return _read("department_indicators", office_id=office_id)


def department_values(office_id: str) -> pd.DataFrame:
    """Current values (indicator_values) of every indicator the department owns: the 'before' of a preview."""
    return _read("department_values", office_id=office_id)


def department_uploads(office_id: str) -> pd.DataFrame:
    """Accepted uploads of one department (ledger_upload), newest first."""
    return _read("department_uploads", office_id=office_id)


def value_history(indicator_id: str) -> pd.DataFrame:
    """Every version of every period of one indicator (indicator_history), newest period and version first."""
    return _read("value_history", indicator_id=indicator_id)


def due_status(cat, today) -> pd.DataFrame:
    """analysis.due.due_status for `today`: one row per catalogue indicator with its state and last upload."""
    return _on_warehouse_cached("due_status", cat, today.isoformat())



def template(cat, kind: str, department: str, lang: str, due: dict[str, str], last: dict[str, tuple[float, str]],
             sheet: str = "Sheet1") -> bytes:
    """A department's upload template (pipelines.build.uploads.template_csv/_xlsx), made once per catalogue file,
    department, language and pre-filled figures: writing an xlsx takes ~60 ms, and the page offers it on every run."""
    return _template(kind, department, lang, tuple(sorted(due.items())), tuple(sorted(last.items())), sheet,
                     catalogue_key(cat), cat)


def _template(kind: str, department: str, lang: str, due: tuple, last: tuple, sheet: str, catalogue_key: tuple,
              cat) -> bytes:
    def make() -> bytes:
        if kind == "xlsx":
            return uploads.template_xlsx(cat, department, lang, dict(due), dict(last), sheet=sheet)
        return uploads.template_csv(cat, department, lang, dict(due), dict(last))

    return _FRAMES.get(("template", kind, department, lang, due, last, sheet, catalogue_key), make)


# --- release calendar, submission pack, quarterly brief (views/calendar.py) ---------------------

def catalogue_key(cat) -> tuple:
    """The catalogue file's name and mtime: for a cache key of anything drawn from the catalogue."""
    return (str(cat.path), os.stat(cat.path).st_mtime_ns)


# Pipeline functions that read the warehouse through a connection and the catalogue: run on this
# module's connection, cached on the catalogue file and the warehouse version.
_WAREHOUSE_CALLS = {
    "due_status": lambda cur, cat, today: due.due_status(cur, cat, date.fromisoformat(today)),
    "upcoming": lambda cur, cat, today: calendar.upcoming(cat, cur, date.fromisoformat(today)),
    "submission_pack": lambda cur, cat, index_id, lang: publish.submission_pack(cur, cat, index_id, lang),
    "brief": lambda cur, cat, quarter, lang: brief.brief_html(cur, cat, quarter, lang),
}


def _on_warehouse(call: str, args: tuple, catalogue_key: tuple, path: str, version: Version | None, cat):
    def make():
        with _cursor(path, version) as cur:
            return _WAREHOUSE_CALLS[call](cur, cat, *args)

    return _handed_out(_FRAMES.get(("call", call, args, catalogue_key, path, version), make))


def _on_warehouse_cached(call: str, cat, *args):
    path = warehouse_file()
    return _on_warehouse(call, args, catalogue_key(cat), str(path), version(path), cat)


def upcoming_releases(cat, today) -> pd.DataFrame:
    """reports.calendar.upcoming for `today`: the expected releases of the horizon with their feeding indicators."""
    return _on_warehouse_cached("upcoming", cat, today.isoformat())


def submission_pack(cat, index_id: str, lang: str) -> pd.DataFrame:
    """publish.submission_pack: the latest value of every city indicator that feeds one series."""
    return _on_warehouse_cached("submission_pack", cat, index_id, lang)


def quarterly_brief(cat, quarter: str, lang: str) -> str:
    """brief.brief_html for one quarter ('2025-Q4'): the printable HTML report."""
    return _on_warehouse_cached("brief", cat, quarter, lang)


def catalogue_error():
    """Why the catalogue does not load (a CatalogueError, which app.py shows on every page), or None."""
    from pipelines.catalogue import CatalogueError

    try:
        catalogue()
    except CatalogueError as exc:
        return exc
    return None


def catalogue_or_stop(lang: str):
    """The catalogue; a page that cannot work without it stops here (app.py has already said why)."""
    if catalogue_error() is not None:
        st.info(t("ui.needs_catalogue", lang), icon=":material/pause_circle:")
        st.stop()
    return catalogue()


def first_edition_year() -> int | None:
    """The year of the oldest edition in the warehouse (where the brief's quarters start)."""
    year = _read("first_edition_year")["year"].iloc[0]
    return None if pd.isna(year) else int(year)
