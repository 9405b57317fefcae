"""The upload preview: each checked row beside the value it replaces or follows, its change, and the slipped-digit flag."""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines import sql

COLUMNS = ["indicator_id", "period", "value", "note", "previous", "compared_period", "change", "flagged", "unchanged"]


@dataclass(frozen=True)
class Preview:
    """`rows`: one per uploaded row (COLUMNS; a missing cell is NA). `previous` is the value in force for the same
    period or, for a new period, for the latest earlier one (then named in `compared_period`); `change` is the share
    (value - previous) / |previous| (NaN when there is nothing to compare with, or previous is 0); `flagged`
    when the change exceeds `ratio` (or a zero becomes non-zero): a slipped digit or unit is the mistake to
    catch. `unchanged` when the same period keeps the same value."""

    rows: pd.DataFrame
    ratio: float

    @property
    def flagged(self) -> int:
        return int(self.rows["flagged"].sum())

    @property
    def unchanged(self) -> int:
        return int(self.rows["unchanged"].sum())


def current_values(con: duckdb.DuckDBPyConnection, office_id: str) -> pd.DataFrame:
    """The values in force (indicator_id, period, value) of every indicator the office owns: the 'before'."""
    return sql.frame(con, "department_values", office_id=office_id)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def compare(rows: pd.DataFrame, current: pd.DataFrame, ratio: float) -> Preview:
    """Compare checked upload rows (indicator_id, period, value, note) with the values in force (`current`:
    indicator_id, period, value), flagging a change larger than `ratio` (reporting.change_flag_ratio)."""
    before = {(i, p): v for i, p, v in current[["indicator_id", "period", "value"]].itertuples(index=False)}
    history: dict[str, list[tuple[str, float]]] = {}
    for (i, p), v in sorted(before.items()):
        history.setdefault(i, []).append((p, v))
    out = []
    for r in rows.itertuples(index=False):
        previous = before.get((r.indicator_id, r.period))
        compared_period = None
        if previous is None:
            earlier = [(p, v) for p, v in history.get(r.indicator_id, []) if p < r.period]
            if earlier:
                compared_period, previous = earlier[-1]
        change, flagged = math.nan, False
        if not _missing(previous):
            if previous != 0:
                change = (r.value - previous) / abs(previous)
                flagged = abs(change) > ratio
            else:
                flagged = r.value != 0
        unchanged = compared_period is None and not _missing(previous) and previous == r.value
        note = getattr(r, "note", None)
        out.append((r.indicator_id, r.period, r.value, note if isinstance(note, str) else None,
                    None if _missing(previous) else previous, compared_period, change, bool(flagged), bool(unchanged)))
    return Preview(pd.DataFrame(out, columns=COLUMNS), ratio)
