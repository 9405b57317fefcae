"""The sourced values that start each city-managed indicator's history (data/raw/indicators/seed_values.csv)."""

from __future__ import annotations

import pandas as pd

from pipelines.catalogue import Catalogue
from pipelines.build.periods import parse_period
from pipelines.build.rankings import display_name
from pipelines.schemas import Problem, RawSeedValue, problem, read_validated


def read_seed(cat: Catalogue) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Seed values as value versions uploaded by 'reference' on their retrieval date."""
    if cat.seed_values_file is None:
        return None, []
    display = display_name(cat.seed_values_file, cat.root)
    _, typed, problems = read_validated(cat.seed_values_file, display, {"value": "float"}, RawSeedValue)
    if typed is None:
        return None, problems
    periods = []
    for row, rec in typed.iterrows():
        ind = cat.indicators.get(rec["indicator_id"])
        if ind is None:
            problems.append(problem(display, int(row), "indicator_id", "check.unknown_indicator", value=rec["indicator_id"]))
            periods.append(None)
            continue
        parsed = parse_period(rec["period"], ind.cadence)
        if parsed is None:
            problems.append(problem(display, int(row), "period", "check.bad_format", value=rec["period"], expected=ind.cadence))
        periods.append(parsed[0] if parsed else None)
    if problems:
        return None, problems
    out = pd.DataFrame({
        "indicator_id": typed["indicator_id"].to_numpy(),
        "period": periods,
        "value": typed["value"].to_numpy(),
        "source": typed["source_name"].to_numpy(),
        "source_url": typed["source_url"].to_numpy(),
        "note": typed["note"].to_numpy(),
        "row": typed.index.to_numpy(),
        "uploaded_by": "reference",
        "uploaded_at": (typed["retrieved"] + "T00:00:00+00:00").to_numpy(),
        "upload_id": "seed",
        "office_id": [cat.indicators[i].office_id for i in typed["indicator_id"]],
        "ledger_file": display,
    })
    return out, []
