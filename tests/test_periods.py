"""Reporting periods as the ledger writes them, counted in steps of their cadence (the charts' time axis, what is due)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.build.periods import PERIOD_PATTERNS, cadence_of, label, ordinal, parse_period

STEPS = {"yearly": 1, "quarterly": 4, "monthly": 12}


@given(cadence=st.sampled_from(sorted(PERIOD_PATTERNS)), number=st.integers(1000 * 12, 9998 * 12))
def test_every_period_counts_one_step_after_the_one_before_it(cadence: str, number: int) -> None:
    number //= 12 // STEPS[cadence]  # a count of periods of this cadence from year 0, inside years 1000-9998
    period, following = label(number, cadence), label(number + 1, cadence)
    assert parse_period(period, cadence)[0] == period, "written as the ledger normalises it"
    assert cadence_of(period) == cadence and ordinal(period, cadence) == number
    assert ordinal(following, cadence) - ordinal(period, cadence) == 1 and following > period, \
        "the next period, also across a year's end, and after it in text order (the charts sort by text)"
    assert parse_period(following, cadence)[1] > parse_period(period, cadence)[1]


@pytest.mark.parametrize("text", ["2024q3", "2024Q3", "2024-9", "FY2024", "24", "2024-13", "2024-Q5", "", "2024 "])
def test_a_text_the_ledger_never_writes_has_no_cadence(text: str) -> None:
    assert cadence_of(text) is None
