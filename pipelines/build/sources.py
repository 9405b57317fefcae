"""What a figure rests on: the tier (publisher, government, press, aggregator) of its source URL's domain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pipelines.schemas import ROW, Problem, RawSourceDomain, Record, Table, problem, read_checked

if TYPE_CHECKING:
    import pandas as pd


def domain_of(url: object) -> str | None:
    """The host of a URL as the classification names it: lower case, no `www.`, no trailing dot."""
    if not isinstance(url, str) or not url.strip():
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    if not host:
        return None
    host = host.rstrip(".")
    return host[4:] if host.startswith("www.") else host


class SourceTiers:
    """The classification: `domain` or `domain/path-prefix` -> tier; a subdomain inherits its parent's tier."""

    def __init__(self, table: Table | pd.DataFrame):
        self.table = table  # domain, tier, reason
        self._keys = dict(zip(table["domain"], table["tier"]))
        self._prefixed = [k for k in table["domain"] if "/" in k]
        self._tiers: dict[object, str | None] = {}

    def match(self, url: object) -> str | None:
        """The classification key that decides `url`'s tier (longest path prefix, then host, then parents)."""
        host = domain_of(url)
        if host is None:
            return None
        keys = self._keys
        where = host + (urlsplit(str(url).strip()).path or "/")
        prefixed = [k for k in self._prefixed if where.startswith(k)]
        if prefixed:
            return max(prefixed, key=len)
        parts = host.split(".")
        for i in range(len(parts) - 1):
            candidate = ".".join(parts[i:])
            if candidate in keys:
                return candidate
        return None

    def tier(self, url: object) -> str | None:
        """The tier of `url` (None: unclassified), each distinct URL looked up once per classification: the
        editions, rankings, components, seed values and the catalogue repeat a few hundred URLs."""
        try:
            return self._tiers[url]
        except KeyError:
            pass
        except TypeError:  # not hashable: looked up every time
            return self._tier(url)
        found = self._tiers[url] = self._tier(url)
        return found

    def _tier(self, url: object) -> str | None:
        key = self.match(url)
        return None if key is None else self._keys[key]


def load_source_tiers(path: Path | None, display: str, tiers: tuple[str, ...]) -> tuple[SourceTiers | None, list[Problem]]:
    """Read and check the classification; every tier must be one the catalogue declares."""
    if path is None:
        return SourceTiers(Table(["domain", "tier", "reason"], [])), []
    records, failed, problems = read_checked(path, display, {}, RawSourceDomain)
    if records is None or failed:
        return None, problems
    for r in records:
        if r["tier"] not in tiers:
            problems.append(problem(display, r[ROW], "tier", "check.not_allowed", value=r["tier"], allowed=", ".join(tiers)))
    if problems:
        return None, problems
    return SourceTiers(Table(["domain", "tier", "reason"], records)), []


def classify_records(rows: list[Record], tiers: SourceTiers, display: str, column: str = "source_url",
                     row: str = ROW) -> tuple[list[str | None], list[Problem]]:
    """`classify` of records: the tier of every row's source URL (None where it has none); an unclassified domain is
    a problem naming file, row (the record's `row`) and column. Each distinct URL is looked up once."""
    known: dict[object, str | None] = {}
    out: list[str | None] = []
    problems = []
    for r in rows:
        url = r.get(column)
        if url is None:
            out.append(None)
            continue
        if url not in known:
            known[url] = tiers.tier(url)
        out.append(known[url])
        if known[url] is None:
            problems.append(problem(display, r[row], column, "check.unclassified_source", domain=domain_of(url) or url))
    return out, problems
