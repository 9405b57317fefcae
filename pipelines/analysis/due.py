"""Who has reported: per indicator, the last period loaded against the period its cadence now expects."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import pandas as pd

from pipelines import sql
from pipelines.build.periods import label, ordinal, parse_period
from pipelines.catalogue import Catalogue

STATES = ("overdue", "due", "up_to_date")


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def expected_period(cadence: str, lag_months: int, today: date) -> str:
    """The latest period whose statistics should be out by `today`: the period has ended and the lag has passed."""
    months = {"yearly": 12, "quarterly": 3, "monthly": 1}[cadence]
    current = {
        "yearly": f"{today.year}",
        "quarterly": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        "monthly": f"{today.year}-{today.month:02d}",
    }[cadence]
    number = ordinal(current, cadence)
    while True:
        period = label(number, cadence)
        start = parse_period(period, cadence)[1]
        if _add_months(start, months + lag_months) <= today:
            return period
        number -= 1


def due_status(con: duckdb.DuckDBPyConnection, cat: Catalogue, today: date | None = None) -> pd.DataFrame:
    """One row per city-managed indicator: department, last period, expected period, state, last upload."""
    today = today or cat.today()  # the catalogue's zone, not the server's
    latest = sql.frame(con, "last_reports").set_index("indicator_id")
    rows = []
    recent_since = today - timedelta(days=cat.reporting.recent_days)
    for ind in cat.indicators.values():
        expected = expected_period(ind.cadence, cat.reporting.lag_months[ind.cadence], today)
        last = latest["last_period"].get(ind.id) if ind.id in latest.index else None
        behind = None if last is None else ordinal(expected, ind.cadence) - ordinal(last, ind.cadence)
        state = "overdue" if behind is None or behind >= 2 else "due" if behind == 1 else "up_to_date"
        uploaded_at = latest["last_uploaded_at"].get(ind.id) if ind.id in latest.index else None
        uploaded_at = uploaded_at if isinstance(uploaded_at, str) else None
        recent = uploaded_at is not None and datetime.fromisoformat(uploaded_at).date() >= recent_since
        rows.append({
            "office_id": ind.office_id, "indicator_id": ind.id, "name_ko": ind.name.ko, "name_en": ind.name.en,
            "cadence": ind.cadence, "last_period": last, "expected_period": expected,
            "periods_behind": max(behind, 0) if behind is not None else None, "state": state,
            "last_uploaded_at": uploaded_at,
            "last_uploaded_by": latest["last_uploaded_by"].get(ind.id) if uploaded_at else None,
            "recently_updated": recent,
        })
    order = {s: i for i, s in enumerate(STATES)}
    out = pd.DataFrame(rows)
    return out.sort_values(["office_id", "state", "indicator_id"], key=lambda c: c.map(order) if c.name == "state" else c).reset_index(drop=True)
