"""How values look on a page: ledger times in Seoul time, the colours of a reporting state, and errors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data
from dashboard.markdown import escape
from dashboard.text import t
from pipelines.reports import render
from pipelines.errors import CityIdxError


# Cell styles for the due states of pipelines.reporting (overdue, due, up to date).
DUE_STATE_STYLE = {
    "overdue": "background-color: #fde2e1; color: #b42318; font-weight: 600",
    "due": "background-color: #fff1d6; color: #93370d; font-weight: 600",
    "up_to_date": "background-color: #e3f4e8; color: #067647",
}


def local_time(iso: object) -> str:
    """An ISO 8601 UTC time from the ledger in the catalogue's time zone (Seoul), to the minute; '—' when missing.
    Which zone is said once per page, with zone_note()."""
    return render.local_time(iso, data.timezone()) or "—"


def zone_note(lang: str) -> None:
    """The one line per page that names the zone every time on it is in."""
    zone = data.timezone()
    st.caption(t("ui.times_in_zone", lang, zone=f"{render.zone_name(zone)} ({zone})"))


def show_error(exc: CityIdxError, lang: str, *, retry: bool = False) -> None:
    """Any CityIdxError on a page, in the page's language: escaped (file names and ledger text are not
    Markdown), one line per item of a list (problems, catalogue keys). `retry`: a warning to try again
    (a busy ledger), not an error to fix."""
    text = escape(exc.text(lang)).replace("\n", "  \n")
    if retry:
        st.warning(text, icon=":material/hourglass_top:")
    else:
        st.error(text, icon=":material/error:")
