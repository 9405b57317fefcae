"""Parse the published ranking tables of the ledger: rankings, component figures, editions."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipelines.catalogue import Catalogue, Series
from pipelines.build.cities import CityMap, harmonise
from pipelines.build.notes import flags_from_note, join_flags, parse_flags, status_conflicts
from pipelines.build.sources import SourceTiers, classify
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


def read_editions(cat: Catalogue, tiers: SourceTiers) -> tuple[pd.DataFrame | None, list[Problem]]:
    display = display_name(cat.editions_file, cat.root)
    _, typed, problems = read_validated(cat.editions_file, display, {"year": "int", "field_size": "int"}, RawEdition)
    if typed is None:
        return None, problems
    for row in typed.index[~typed["index_id"].isin(list(cat.series))]:
        problems.append(problem(display, int(row), "index_id", "check.unknown_series", value=typed.at[row, "index_id"]))
    typed["source_tier"], more = classify(typed, tiers, display)
    problems += more
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


def _check_notes(typed: pd.DataFrame, display: str, with_status: bool) -> tuple[pd.Series, list[Problem]]:
    """Flags as data: the `flags` cell must carry every flag the note's own words carry, and a status
    marker in capitals (`NOT FOUND`, `NO EDITION` ...) must agree with `status`. Returns the flags to store.

    Each distinct (note, flags, status) is judged once: the large files repeat a handful of notes."""
    problems: list[Problem] = []
    cells = typed["flags"] if "flags" in typed.columns else pd.Series(None, index=typed.index, dtype="object")
    status = typed["status"] if with_status else pd.Series("", index=typed.index, dtype="object")
    keys = pd.DataFrame({"note": typed["note"].astype("object"), "flags": cells.astype("object"),
                         "status": status.astype("object")}, index=typed.index)
    judged: dict[tuple, tuple[str | None, list[str], list]] = {}
    for note, cell, state in keys.drop_duplicates().itertuples(index=False):
        note = None if pd.isna(note) else note
        cell = None if pd.isna(cell) else cell
        given, _ = parse_flags(cell)
        missing = sorted(flags_from_note(note) - set(given))
        conflicts = status_conflicts(note, state) if with_status else []
        judged[(note, cell, state)] = (join_flags(given), missing, conflicts)
    out = []
    for row, note, cell, state in zip(keys.index, keys["note"], keys["flags"], keys["status"]):
        stored, missing, conflicts = judged[(None if pd.isna(note) else note, None if pd.isna(cell) else cell, state)]
        out.append(stored)
        if missing:
            problems.append(problem(display, int(row), "flags", "check.flag_missing", flags="|".join(missing)))
        for marker, allowed in conflicts:
            problems.append(problem(display, int(row), "status", "check.status_note", status=state,
                                    marker=marker, allowed=", ".join(sorted(allowed))))
    return pd.Series(out, index=typed.index, dtype="object"), problems


def _checked(raw: pd.DataFrame, typed: pd.DataFrame | None, series: Series, editions: pd.DataFrame,
             cities: CityMap, tiers: SourceTiers, display: str, *, with_status: bool,
             keys: set[str]) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The checks every file of published figures passes: flags against notes, source tiers, known editions,
    known cities. Editions and city names are checked on the text too, so that every problem shows at once.
    Returns the typed rows with the harmonised `city` (the file's own spelling kept as `source_city`),
    `flags` and `source_tier`, or None with the problems."""
    problems: list[Problem] = []
    if typed is not None:
        flags, more = _check_notes(typed, display, with_status=with_status)
        problems += more
        tier, more = classify(typed, tiers, display)
        problems += more
    if keys <= set(raw.columns):
        problems += _check_editions(raw, series, editions, display)
        harmonised, more = harmonise(raw, cities, display)
        problems += more
    if typed is None or problems:
        return None, problems
    typed = typed.assign(flags=flags, source_tier=tier).rename(columns={"city": "source_city"})
    typed.insert(0, "city", harmonised["city"])
    return typed, problems


def read_rankings(series: Series, cat: Catalogue, cities: CityMap, editions: pd.DataFrame,
                  tiers: SourceTiers) -> tuple[pd.DataFrame | None, list[Problem]]:
    display = display_name(series.rankings_file, cat.root)
    raw, typed, problems = read_validated(series.rankings_file, display,
                                          {"rank": "int", "rank_bound": "int", "score": "float"}, RawRanking)
    if raw is None:
        return None, problems
    typed, more = _checked(raw, typed, series, editions, cities, tiers, display, with_status=True,
                           keys={"edition", "city"})
    problems += more
    if typed is None or problems:
        return None, problems
    # Two spellings of one city in one edition would be two rows for one key.
    dup = typed.duplicated(["edition", "city"], keep="first") & typed["city"].notna()
    for row in typed.index[dup]:
        problems.append(problem(display, int(row), "city", "check.duplicate_key", columns="edition, city"))
    out = typed.rename(columns={"country": "source_country"}).assign(
        index_id=series.id, source_file=display, source_row=typed.index.astype("int64"),
    )
    for optional in ("note_ko", "rank_bound"):
        if optional not in out.columns:
            out[optional] = pd.NA
    out["rank_bound"] = out["rank_bound"].astype("Int64")
    out["source_row"] = out["source_row"].astype("Int64")
    return out.reset_index(drop=True), problems


def read_components(series: Series, cat: Catalogue, cities: CityMap, editions: pd.DataFrame,
                    tiers: SourceTiers) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Component figures, one row per (edition, city, component): a rank and a score may come from two rows."""
    if series.components_file is None:
        return None, []
    display = display_name(series.components_file, cat.root)
    raw, typed, problems = read_validated(series.components_file, display, {"rank": "int", "score": "float"}, RawComponent)
    if raw is None:
        return None, problems
    if "component" in raw.columns:
        known = {c.id for c in series.components}
        for row in raw.index[~raw["component"].isin(known) & raw["component"].notna()]:
            problems.append(problem(display, int(row), "component", "check.unknown_component", value=raw.at[row, "component"]))
    typed, more = _checked(raw, typed, series, editions, cities, tiers, display, with_status=False,
                           keys={"edition", "city", "component"})
    problems += more
    if typed is None or problems:
        return None, problems

    columns = ["index_id", "edition", "city", "component_id", "rank", "score", "source_url", "source_tier",
               "score_source_url", "flags", "note", "note_ko"]
    if typed.empty:  # a components file with its header only: no component figure yet, not an error
        return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "rank" else "float64" if c == "score" else "string")
                             for c in columns}), problems

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
    if "note_ko" not in typed.columns:
        typed["note_ko"] = pd.NA

    def joined(column: str):
        # a rank row and a score row of one component: both notes, once each
        return (typed.dropna(subset=[column]).groupby(keys, sort=False)[column]
                .agg(lambda s: " | ".join(dict.fromkeys(s))).rename(column).reset_index())

    # only the rows that carry flags are grouped (a Python call per group: on 3.24M rows, per-row groups cost
    # seconds); every other component has none
    flag_sets = (typed.dropna(subset=["flags"]).groupby(keys, sort=False)["flags"]
                 .agg(lambda s: join_flags({f for cell in s for f in parse_flags(cell)[0]})).rename("flags").reset_index())
    out = (parts[0].merge(parts[1], on=keys, how="outer").merge(joined("note"), on=keys, how="left")
           .merge(joined("note_ko"), on=keys, how="left").merge(flag_sets, on=keys, how="left"))
    out["flags"] = out["flags"].astype(object).where(out["flags"].notna(), None)
    out = out.assign(
        index_id=series.id,
        source_url=out["rank_url"].fillna(out["score_url"]),
        score_source_url=out["score_url"],
    ).rename(columns={"component": "component_id"})
    # each distinct URL looked up once (a components file repeats a few hundred URLs over its rows)
    tier_of = {u: tiers.tier(u) for u in out["source_url"].dropna().unique() if isinstance(u, str)}
    out["source_tier"] = [tier_of[u] if isinstance(u, str) and u in tier_of else tiers.tier(u) for u in out["source_url"]]
    out["rank"] = out["rank"].astype("Int64")
    out["score"] = out["score"].astype("float64")
    return out[columns].reset_index(drop=True), problems
