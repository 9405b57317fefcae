"""How values look on a page: ledger times in Seoul time, the colours of a reporting state, and errors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.markdown import escape
from pipelines.errors import CityIdxError

TIMEZONE = "Asia/Seoul"

# Cell styles for the due states of pipelines.reporting (overdue, due, up to date).
DUE_STATE_STYLE = {
    "overdue": "background-color: #fde2e1; color: #b42318; font-weight: 600",
    "due": "background-color: #fff1d6; color: #93370d; font-weight: 600",
    "up_to_date": "background-color: #e3f4e8; color: #067647",
}


def local_time(iso: object) -> str:
    """An ISO 8601 UTC time from the ledger as Seoul local time, to the minute; '—' when missing."""
    if iso is None or (not isinstance(iso, str) and pd.isna(iso)):
        return "—"
    return pd.Timestamp(iso).tz_convert(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def show_error(exc: CityIdxError, lang: str, *, retry: bool = False) -> None:
    """Any CityIdxError on a page, in the page's language: escaped (file names and ledger text are not
    Markdown), one line per item of a list (problems, catalogue keys). `retry`: a warning to try again
    (a busy ledger), not an error to fix."""
    text = escape(exc.text(lang)).replace("\n", "  \n")
    if retry:
        st.warning(text, icon=":material/hourglass_top:")
    else:
        st.error(text, icon=":material/error:")
