"""Harmonise city names through the one mapping in data/raw/cities.csv."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines.schemas import ROW, Problem, RawCity, frame_of, problem, read_checked


@dataclass(frozen=True)
class CityMap:
    """Canonical cities and every spelling that resolves to one of them."""

    table: pd.DataFrame  # city, city_ko, country, country_ko
    lookup: dict[str, str]  # casefolded name or alias -> canonical English name
    aliases: dict[str, str]  # casefolded alias -> canonical, aliases only (for the unused check)

    def resolve(self, name: str) -> str | None:
        return self.lookup.get(_key(name))

    def unused_aliases(self, seen: set[str]) -> list[str]:
        """Aliases no ledger row used: harmless, but a sign of a typo in the mapping."""
        used = {_key(s) for s in seen}
        return sorted(alias for alias in self.aliases if alias not in used)


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def load_cities(path, display: str) -> tuple[CityMap | None, list[Problem]]:
    records, failed, problems = read_checked(path, display, {}, RawCity)
    if records is None or failed:
        return None, problems
    claims: dict[str, list[tuple[int, str, str, str]]] = {}
    for rec in records:
        names = [(rec["city"], "city")]
        if isinstance(rec["aliases"], str):
            names += [(a.strip(), "aliases") for a in rec["aliases"].split("|") if a.strip()]
        for name, column in names:
            claims.setdefault(_key(name), []).append((rec[ROW], column, name, rec["city"]))
    lookup: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for key, owners in claims.items():
        if len({city for *_, city in owners}) > 1:
            problems += [problem(display, row, column, "check.ambiguous_city", value=name)
                         for row, column, name, _ in owners]
            continue
        lookup[key] = owners[0][3]
        if any(column == "aliases" for _, column, _, _ in owners):
            aliases[key] = owners[0][3]
    table = frame_of(records, ["city", "city_ko", "country", "country_ko"])
    return CityMap(table, lookup, aliases), problems


def harmonise(df: pd.DataFrame, cities: CityMap, display: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Add `city` (canonical) beside the source's spelling, kept as `source_city`."""
    out = df.rename(columns={"city": "source_city"})
    names = out["source_city"]
    lookup = {name: cities.resolve(name) for name in names.dropna().unique()}  # a few hundred names, not millions
    resolved = names.map(lookup)
    problems = [
        problem(display, int(row), "city", "check.unmapped_city", value=out.at[row, "source_city"])
        for row in out.index[resolved.isna() & out["source_city"].notna()]
    ]
    out.insert(0, "city", resolved)
    return out, problems
