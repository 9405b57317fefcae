"""How values look on a page: ledger times in Seoul time, and the colours of a reporting state."""

from __future__ import annotations

import pandas as pd

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
