"""Read-only access to the warehouse: one cached connection and every query the pages use."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from pipelines import warehouse
from pipelines.i18n import LANGS, t

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


def available() -> bool:
    return version() is not None


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
        from series as s left join office as o on o.office_id = s.managing_office
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
        from focus_overview as f left join office as o on o.office_id = f.managing_office
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
