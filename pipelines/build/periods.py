"""Reporting periods by cadence: `2024`, `2024-Q3`, `2024-09`, and the first day each stands for."""

from __future__ import annotations

import re
from collections.abc import Sequence
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


def cadence_of(period: str) -> str | None:
    """The cadence whose normalised label `period` is ('2024' yearly, '2024-Q3' quarterly, '2024-09' monthly), as
    parse_period writes them; None for any other text."""
    for cadence in PERIOD_PATTERNS:
        parsed = parse_period(period, cadence)
        if parsed is not None and parsed[0] == period:
            return cadence
    return None


def ordinal(period: str, cadence: str) -> int:
    """A normalised period as a count of periods since year 0, so that two periods subtract: 2024-Q1 minus 2023-Q3
    is 2 (quarters), 2022 minus 2020 is 2 (years)."""
    year = int(period[:4])
    if cadence == "yearly":
        return year
    if cadence == "quarterly":
        return year * 4 + int(period[-1]) - 1
    return year * 12 + int(period[5:7]) - 1


def label(number: int, cadence: str) -> str:
    """The normalised period `number` periods after year 0 (ordinal's inverse)."""
    if cadence == "yearly":
        return str(number)
    if cadence == "quarterly":
        return f"{number // 4}-Q{number % 4 + 1}"
    return f"{number // 12}-{number % 12 + 1:02d}"


def time_axis(periods: Sequence[str]) -> tuple[list[int], list[str]] | None:
    """`periods` on a time axis: each one's place in steps of its cadence from the earliest, and every period from the
    earliest to the latest (those without a value too, in their places), when all are normalised labels of one
    cadence; else None (the charts then stand them as categories in order)."""
    cadences = {cadence_of(p) for p in periods}
    if len(cadences) != 1 or None in cadences:
        return None
    (cadence,) = cadences
    numbers = [ordinal(p, cadence) for p in periods]
    first = min(numbers)
    return [n - first for n in numbers], [label(n, cadence) for n in range(first, max(numbers) + 1)]
