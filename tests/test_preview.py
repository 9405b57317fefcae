"""The upload preview rule (pipelines.analysis.preview), shared by the My indicators page and `cityidx upload --dry-run`."""

from __future__ import annotations

import math

import pandas as pd

from pipelines.analysis.preview import compare

CURRENT = pd.DataFrame({
    "indicator_id": ["tourists", "tourists", "tourists", "parks", "fines"],
    "period": ["2022", "2023", "2024", "2024", "2024"],
    "value": [100.0, 110.0, 120.0, 0.0, math.nan],
})


def _rows(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["indicator_id", "period", "value", "note"])


def _by_key(preview) -> dict[tuple[str, str], dict]:
    return {(r["indicator_id"], r["period"]): r for r in preview.rows.to_dict("records")}


def test_same_period_new_period_and_nothing_to_compare():
    result = compare(_rows(("tourists", "2024", 121.0, None), ("tourists", "2026", 1200.0, "typo?"),
                           ("tourists", "2021", 100.0, None), ("rain", "2024", 5.0, None)), CURRENT, 0.3)
    rows = _by_key(result)
    same = rows[("tourists", "2024")]
    assert same["previous"] == 120.0 and pd.isna(same["compared_period"])
    assert round(same["change"], 4) == round(1 / 120, 4) and not same["flagged"]
    later = rows[("tourists", "2026")]  # a new period: the latest EARLIER one (2024), not the first
    assert later["compared_period"] == "2024" and later["previous"] == 120.0
    assert later["change"] == 9.0 and later["flagged"] and later["note"] == "typo?"
    first = rows[("tourists", "2021")]  # nothing earlier than 2021: nothing to compare with, no flag
    assert pd.isna(first["previous"]) and pd.isna(first["change"]) and not first["flagged"]
    unknown = rows[("rain", "2024")]
    assert pd.isna(unknown["previous"]) and not unknown["flagged"]
    assert result.flagged == 1 and result.unchanged == 0


def test_the_threshold_is_strict_and_a_fall_counts_like_a_rise():
    result = compare(_rows(("tourists", "2024", 156.0, None), ("tourists", "2023", 77.0, None),
                           ("tourists", "2022", 69.9, None)), CURRENT, 0.3)
    rows = _by_key(result)
    assert not rows[("tourists", "2024")]["flagged"]  # +30% exactly: not more than the ratio
    assert not rows[("tourists", "2023")]["flagged"]  # -30% exactly
    assert rows[("tourists", "2022")]["flagged"]      # -30.1%


def test_a_zero_that_becomes_nonzero_is_flagged_without_a_ratio():
    result = compare(_rows(("parks", "2024", 3.0, None)), CURRENT, 0.3)
    row = result.rows.iloc[0]
    assert row["flagged"] and pd.isna(row["change"])
    assert compare(_rows(("parks", "2024", 0.0, None)), CURRENT, 0.3).rows.iloc[0]["unchanged"]


def test_a_missing_current_value_is_no_comparison():
    row = compare(_rows(("fines", "2024", 10.0, None)), CURRENT, 0.3).rows.iloc[0]
    assert pd.isna(row["previous"]) and not row["flagged"] and not row["unchanged"]


def test_unchanged_counts_only_the_same_period_with_the_same_value():
    result = compare(_rows(("tourists", "2024", 120.0, None), ("tourists", "2025", 120.0, None)), CURRENT, 0.3)
    assert result.unchanged == 1 and result.flagged == 0


def test_an_empty_warehouse_compares_nothing():
    empty = CURRENT.iloc[0:0]
    result = compare(_rows(("tourists", "2024", 1e9, None)), empty, 0.3)
    assert result.flagged == 0 and pd.isna(result.rows.iloc[0]["previous"])
