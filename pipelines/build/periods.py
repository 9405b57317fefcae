"""Reporting periods by cadence: `2024`, `2024-Q3`, `2024-09`, and the first day each stands for."""

from __future__ import annotations

import re
from datetime import date

PERIOD_PATTERNS = {
    "yearly": (re.compile(r"^(\d{4})$"), "2024"),
    "quarterly": (re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE), "2024-Q3"),
    "monthly": (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "2024-09"),
}
def parse_period(text: str, cadence: str) -> tuple[str, date] | None:
    """Normalise a period for a cadence and return (label, first day), or None when it does not fit."""
    pattern, _ = PERIOD_PATTERNS[cadence]
    m = pattern.match(text)
    if not m:
        return None
    year = int(m.group(1))
    if cadence == "yearly":
        return f"{year}", date(year, 1, 1)
    if cadence == "quarterly":
        q = int(m.group(2))
        return f"{year}-Q{q}", date(year, 3 * q - 2, 1)
    month = int(m.group(2))
    return f"{year}-{month:02d}", date(year, month, 1)
