"""Parse the published ranking tables of the ledger: rankings, component figures, editions."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue, Series
from pipelines.build.cities import CityMap, harmonise
from pipelines.schemas import Problem, RawComponent, RawEdition, RawRanking, problem, read_validated


def display_name(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the catalogue's folder where possible."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _label_number(label: str) -> int:
    """The last number in an edition label (`GFCI 34` -> 34), to order editions of one year."""
    found = re.findall(r"\d+", label)
    return int(found[-1]) if found else 0


def read_editions(cat: Catalogue) -> tuple[pd.DataFrame | None, list[Problem]]:
    display = display_name(cat.editions_file, cat.root)
    _, typed, problems = read_validated(cat.editions_file, display, {"year": "int", "field_size": "int"}, RawEdition)
    if typed is None:
        return None, problems
    for row in typed.index[~typed["index_id"].isin(list(cat.series))]:
        problems.append(problem(display, int(row), "index_id", "check.unknown_series", value=typed.at[row, "index_id"]))
    typed = typed.assign(
        _published=typed["published"].fillna(""),
        _number=typed["edition"].map(_label_number),
    ).sort_values(["index_id", "year", "_published", "_number", "edition"])
    typed["edition_order"] = typed.groupby("index_id").cumcount().add(1).astype("Int64")
    typed = typed.drop(columns=["_published", "_number"]).reset_index(drop=True)
    return typed, problems


def _check_editions(df: pd.DataFrame, series: Series, editions: pd.DataFrame, display: str) -> list[Problem]:
    known = set(editions.loc[editions["index_id"] == series.id, "edition"])
    return [
        problem(display, int(row), "edition", "check.unknown_edition", value=df.at[row, "edition"])
        for row in df.index[~df["edition"].isin(known) & df["edition"].notna()]
    ]


def read_rankings(series: Series, cat: Catalogue, cities: CityMap, editions: pd.DataFrame) -> tuple[pd.DataFrame | None, list[Problem]]:
    display = display_name(series.rankings_file, cat.root)
    raw, typed, problems = read_validated(series.rankings_file, display, {"rank": "int", "score": "float"}, RawRanking)
    if raw is None:
        return None, problems
    # Editions and city names are checked on the text too, so that every problem shows at once.
    if {"edition", "city"} <= set(raw.columns):
        problems += _check_editions(raw, series, editions, display)
        harmonised, more = harmonise(raw, cities, display)
        problems += more
    if typed is None or problems:
        return None, problems
    typed = typed.rename(columns={"city": "source_city"})
    typed.insert(0, "city", harmonised["city"])
    # Two spellings of one city in one edition would be two rows for one key.
    dup = typed.duplicated(["edition", "city"], keep="first") & typed["city"].notna()
    for row in typed.index[dup]:
        problems.append(problem(display, int(row), "city", "check.duplicate_key", columns="edition, city"))
    out = typed.rename(columns={"country": "source_country"}).assign(
        index_id=series.id, source_file=display, source_row=typed.index.astype("int64")
    )
    out["source_row"] = out["source_row"].astype("Int64")
    return out.reset_index(drop=True), problems


def read_components(series: Series, cat: Catalogue, cities: CityMap, editions: pd.DataFrame) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Component figures, one row per (edition, city, component): a rank and a score may come from two rows."""
    if series.components_file is None:
        return None, []
    display = display_name(series.components_file, cat.root)
    raw, typed, problems = read_validated(series.components_file, display, {"rank": "int", "score": "float"}, RawComponent)
    if raw is None:
        return None, problems
    if {"edition", "city", "component"} <= set(raw.columns):
        problems += _check_editions(raw, series, editions, display)
        known = {c.id for c in series.components}
        for row in raw.index[~raw["component"].isin(known) & raw["component"].notna()]:
            problems.append(problem(display, int(row), "component", "check.unknown_component", value=raw.at[row, "component"]))
        harmonised, more = harmonise(raw, cities, display)
        problems += more
    if typed is None or problems:
        return None, problems
    typed = typed.rename(columns={"city": "source_city"})
    typed.insert(0, "city", harmonised["city"])

    keys = ["edition", "city", "component"]
    parts = []
    for measure in ("rank", "score"):
        given = typed.loc[typed[measure].notna(), [*keys, measure, "source_url"]]
        distinct = given.groupby(keys, sort=False)[measure].transform("nunique")
        clash = given[distinct > 1]
        for row in clash.index[clash.duplicated(keys)]:
            values = clash.loc[(clash[keys] == clash.loc[row, keys]).all(axis=1), measure].astype(str).unique()
            problems.append(problem(display, int(row), measure, "check.component_conflict",
                                    measure=measure, value=", ".join(values)))
        parts.append(given.drop_duplicates(keys).rename(columns={"source_url": f"{measure}_url"}))
    if problems:
        return None, problems
    notes = (typed.dropna(subset=["note"]).groupby(keys, sort=False)["note"]
             .agg(lambda s: " | ".join(dict.fromkeys(s))).rename("note").reset_index())
    out = parts[0].merge(parts[1], on=keys, how="outer").merge(notes, on=keys, how="left")
    out = out.assign(
        index_id=series.id,
        source_url=out["rank_url"].fillna(out["score_url"]),
        score_source_url=out["score_url"],
    ).rename(columns={"component": "component_id"})
    out["rank"] = out["rank"].astype("Int64")
    out["score"] = out["score"].astype("float64")
    columns = ["index_id", "edition", "city", "component_id", "rank", "score", "source_url", "score_source_url", "note"]
    return out[columns].reset_index(drop=True), problems
