"""Harmonise city names through the one mapping in data/raw/cities.csv."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.schemas import ROW, Problem, RawCity, Table, problem, read_checked


@dataclass(frozen=True)
class CityMap:
    """Canonical cities and every spelling that resolves to one of them."""

    table: Table  # city, city_ko, country, country_ko
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
    table = Table(["city", "city_ko", "country", "country_ko"], records)
    return CityMap(table, lookup, aliases), problems
