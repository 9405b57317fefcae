"""The sourced values that start each city-managed indicator's history (data/raw/indicators/seed_values.csv)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipelines.build.periods import parse_period
from pipelines.build.rankings import display_name
from pipelines.schemas import ROW, Problem, RawSeedValue, Record, problem, read_checked

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue


SEED_COLUMNS = ("indicator_id", "period", "value", "source", "source_url", "note", "row", "uploaded_by", "uploaded_at",
                "upload_id", "office_id", "ledger_file")


def read_seed(cat: Catalogue) -> tuple[list[Record] | None, list[Problem]]:
    """Seed values as value versions uploaded by 'reference' on their retrieval date (records of SEED_COLUMNS)."""
    if cat.seed_values_file is None:
        return None, []
    display = display_name(cat.seed_values_file, cat.root)
    records, failed, problems = read_checked(cat.seed_values_file, display, {"value": "float"}, RawSeedValue)
    if records is None or failed:
        return None, problems
    out = []
    for rec in records:
        ind = cat.indicators.get(rec["indicator_id"])
        if ind is None:
            problems.append(problem(display, rec[ROW], "indicator_id", "check.unknown_indicator", value=rec["indicator_id"]))
            continue
        parsed = parse_period(rec["period"], ind.cadence)
        if parsed is None:
            problems.append(problem(display, rec[ROW], "period", "check.bad_format", value=rec["period"], expected=ind.cadence))
            continue
        out.append({"indicator_id": rec["indicator_id"], "period": parsed[0], "value": rec["value"],
                    "source": rec["source_name"], "source_url": rec["source_url"], "note": rec["note"], "row": rec[ROW],
                    "uploaded_by": "reference", "uploaded_at": rec["retrieved"] + "T00:00:00+00:00",
                    "upload_id": "seed", "office_id": ind.office_id, "ledger_file": display})
    if problems:
        return None, problems
    return out, []
