"""Parse the published ranking tables of the ledger: rankings, component figures, editions."""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import sql
from pipelines.build.cities import CityMap
from pipelines.build.notes import FLAGS, flags_from_note, join_flags, parse_flags, status_conflicts
from pipelines.build.sources import SourceTiers, classify_records, domain_of
from pipelines.schemas import (FILE, FILE_STRIDE, ROW, Checked, Distinct, Problem, RawComponent, RawEdition, RawRanking,
                               Record, Table, col, distinct_of, distinct_values, duckdb, fn, held_files_kept, lit,
                               hold_validated, hold_validated_files, judge_files_held, judge_stored, padded, problem,
                               read_checked, read_checked_files, relational, repeats, stream_validated)

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue, Series


def display_name(path: Path, root: Path) -> str:
    """A path as the user knows it: relative to the catalogue's folder where possible."""
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def small_ledger(cat: Catalogue) -> bool:
    """Whether the ledger's published files are small: the rankings files together under RANKINGS_IN_DUCKDB_BYTES and
    each components file under INSERT_FROM_BYTES (the real ledger: a few hundred KB in all). Its published part is
    then written in blocks of 16 KiB (build/warehouse.py, schema_template); False when a file cannot be read (the
    build names it)."""
    try:
        return (sum(s.rankings_file.stat().st_size for s in cat.series.values()) < RANKINGS_IN_DUCKDB_BYTES
                and all(s.components_file is None or s.components_file.stat().st_size < INSERT_FROM_BYTES
                        for s in cat.series.values()))
    except OSError:
        return False


def _label_number(label: str) -> int:
    """The last number in an edition label (`GFCI 34` -> 34), to order editions of one year."""
    found = re.findall(r"\d+", label)
    return int(found[-1]) if found else 0


EDITION_COLUMNS = ("index_id", "edition", "published", "year", "field_size", "methodology_change", "source_url", "note")


def read_editions(cat: Catalogue, tiers: SourceTiers) -> tuple[Table | None, list[Problem]]:
    """editions.csv read and checked (RawEdition), each edition's source tier beside it and its place among its
    series' editions (`edition_order`: by year, month published, the label's last number, the label)."""
    display = display_name(cat.editions_file, cat.root)
    records, failed, problems = read_checked(cat.editions_file, display, {"year": "int", "field_size": "int"}, RawEdition)
    if records is None or failed:
        return None, problems
    for r in records:
        if r["index_id"] not in cat.series:
            problems.append(problem(display, r[ROW], "index_id", "check.unknown_series", value=r["index_id"]))
    tier, more = classify_records(records, tiers, display)
    problems += more
    for r, t in zip(records, tier):
        r["source_tier"] = t
    records.sort(key=lambda r: (r["index_id"], r["year"], r["published"] or "", _label_number(r["edition"]), r["edition"]))
    seen: collections.Counter[str] = collections.Counter()
    for r in records:
        seen[r["index_id"]] += 1
        r["edition_order"] = seen[r["index_id"]]
    columns = [*(c for c in EDITION_COLUMNS if records and c in records[0] or not records), "source_tier", "edition_order"]
    return Table(columns, records, {"year": "Int64", "field_size": "Int64", "edition_order": "Int64"}), problems


def _check_notes(rows: list[Record], with_status: bool) -> tuple[list[str | None], list[Problem]]:
    """Flags as data: the `flags` cell must carry every flag the note's own words carry, and a status
    marker in capitals (`NOT FOUND`, `NO EDITION` ...) must agree with `status`. Returns the flags to store.

    Each distinct (note, flags, status) is judged once: the large files repeat a handful of notes. Problems name
    each row by its `ROW`."""
    problems: list[Problem] = []
    judged: dict[tuple, tuple[str | None, list[str], list]] = {}
    out = []
    for r in rows:
        key = (r.get("note"), r.get("flags"), r["status"] if with_status else "")
        if key not in judged:
            judged[key] = _judge_note(*key, with_status=with_status)
        stored, missing, conflicts = judged[key]
        out.append(stored)
        if missing:
            problems.append(problem("", r[ROW], "flags", "check.flag_missing", flags="|".join(missing)))
        for marker, allowed in conflicts:
            problems.append(problem("", r[ROW], "status", "check.status_note", status=key[2],
                                    marker=marker, allowed=", ".join(sorted(allowed))))
    return out, problems


def _judge_note(note: str | None, cell: str | None, status: str, with_status: bool
                ) -> tuple[str | None, list[str], list[tuple[str, frozenset[str]]]]:
    """One (note, flags cell, status) as _check_notes judges it: the flags to store, the flags the note carries that
    the cell lacks, and the status markers of the note that do not allow `status`."""
    given, _ = parse_flags(cell)
    return (join_flags(given), sorted(flags_from_note(note) - set(given)),
            status_conflicts(note, status) if with_status else [])


RANKING_NUMBERS = {"rank": "int", "rank_bound": "int", "score": "float"}
Held = Checked  # a rankings file's rows as read (or None), whether a rule failed, and its problems


def hold_rankings(cat: Catalogue) -> dict[str, Held]:
    """Every series' rankings file read and checked against RawRanking, all in one DuckDB pass
    (`schemas.read_checked_files`), by series id: what read_rankings goes on from."""
    series = list(cat.series.values())
    files = [(s.rankings_file, display_name(s.rankings_file, cat.root)) for s in series]
    return dict(zip((s.id for s in series), read_checked_files(files, RANKING_NUMBERS, RawRanking)))


_STRIDE = 10**9  # a row of the k-th file read is held as k * _STRIDE + its row while every file is checked at once
# ranking_row's columns as read_rankings makes them (RankingTable's), and the whole-number ones among them
RANKING_COLUMNS = ("city", "index_id", "edition", "source_city", "source_country", "rank", "score", "status",
                   "rank_bound", "source_url", "source_tier", "publication", "retrieved", "flags", "note", "note_ko",
                   "source_file", "source_row")
RANKING_TYPES = {"rank": "Int64", "rank_bound": "Int64", "score": "float64", "source_row": "Int64"}


def read_rankings(cat: Catalogue, cities: CityMap, editions: Table, tiers: SourceTiers,
                  held: dict[str, Held]) -> tuple[list[Record] | None, list[Problem]]:
    """Every series' rankings: each file as read and checked (`held`, from hold_rankings), then the checks every file
    of published figures passes, on the rows of all of them: flags against notes and source tiers on the typed rows,
    known editions and known cities on the text too, so that every problem shows at once, each naming its own file,
    row and column; then two spellings of one city in one edition. Returns the rows of every series as records of
    the warehouse's ranking_row (RANKING_COLUMNS: the harmonised `city`, the file's own spelling kept as
    `source_city`, `flags`, `source_tier`, where each row comes from), in series and file order, or None with the
    problems. Plain Python over the records (no pandas: a few thousand rows, each distinct value judged once)."""
    problems: list[Problem] = []
    raws: list[Record] = []
    typed: list[Record] = []
    files: list[tuple[str, str]] = []
    for series in cat.series.values():
        records, failed, found = held[series.id]
        problems += found
        if records is None:
            continue
        k = len(files) + 1
        files.append((series.id, display_name(series.rankings_file, cat.root)))
        for r in records:  # the records are read_rankings' own (hold_rankings made them): changed in place
            r[ROW] += k * _STRIDE
            r["index_id"] = series.id
        raws += records
        typed += [] if failed else records
    if not raws:
        return None, problems
    found: list[Problem] = []
    flags, more = _check_notes(typed, with_status=True)
    found += more
    tier, more = classify_records(typed, tiers, "")
    found += more
    known = set(zip(editions["index_id"], editions["edition"]))
    found += [problem("", r[ROW], "edition", "check.unknown_edition", value=r["edition"])
              for r in raws if r["edition"] is not None and (r["index_id"], r["edition"]) not in known]
    lookup = {name: cities.resolve(name) for name in {r["city"] for r in raws if r["city"] is not None}}
    found += [problem("", r[ROW], "city", "check.unmapped_city", value=r["city"])
              for r in raws if r["city"] is not None and lookup[r["city"]] is None]
    problems += [_in_file(p, files) for p in found]
    if len(typed) < len(raws) or problems:
        return None, problems
    # each record made a ranking_row record in place (RANKING_COLUMNS; what else it holds is not written): at the
    # synthetic scale's 54,000 rows a new record each cost a third of this step
    keys: set[tuple] = set()
    for r, stored, t in zip(typed, flags, tier):
        k, row = divmod(r[ROW], _STRIDE)
        r["source_city"], r["city"] = r["city"], lookup[r["city"]]
        r["source_country"], r["source_tier"], r["flags"] = r["country"], t, stored
        r["source_file"], r["source_row"] = files[k - 1][1], row
        for optional in ("rank_bound", "note_ko"):  # a file may leave these out
            r.setdefault(optional, None)
        # Two spellings of one city in one edition would be two rows for one key.
        key = (r["index_id"], r["edition"], r["city"])
        if key in keys:
            problems.append(problem(files[k - 1][1], row, "city", "check.duplicate_key", columns="edition, city"))
        keys.add(key)
    return typed, problems


# Rankings files of this many bytes in all make ranking_row in the build's DuckDB (rank_in_duckdb), never as records:
# at the synthetic scale's 54,000 rows the records cost ~1 s of the main thread's CPU (fetched, checked, converted
# to pandas to be checked and appended again; issue 13). The real ledger's are a few hundred KB: records, fewer
# round trips.
RANKINGS_IN_DUCKDB_BYTES = 1 << 20


def small_rankings(cat: Catalogue) -> bool:
    """Whether the rankings files are read as records (read_rankings): under RANKINGS_IN_DUCKDB_BYTES together, as
    rank_in_duckdb leaves them; False when one cannot be looked at (rank_in_duckdb then leaves them, and they are read
    as records, which says why)."""
    try:
        return sum(s.rankings_file.stat().st_size for s in cat.series.values()) < RANKINGS_IN_DUCKDB_BYTES
    except OSError:
        return False


@dataclass
class HeldRankings:
    """ranking_row made and checked in the build's DuckDB (rank_in_duckdb): the table, where component_row is, and
    what the build reads of its rows besides."""

    table: duckdb.DuckDBPyRelation  # every row (the focus city's missing ones too), by key, with `rowid` in that order
    used: set[tuple[str, str]]  # every (index_id, edition) some rankings file has a row of
    source_cities: set[str]  # every city as the files spell it
    untranslated: list[Record]  # the focus city's rows with a note but no `note_ko`, in series and file order
    cursor: duckdb.DuckDBPyConnection  # the table's (closed with the build's DuckDB)


def rank_in_duckdb(con: duckdb.DuckDBPyConnection, cat: Catalogue, cities: CityMap, editions: Table,
                   tiers: SourceTiers, statement: str,
                   missing: Callable[[list[Record]], list[Record]]) -> HeldRankings | None:
    """`read_rankings` for a large ledger (RANKINGS_IN_DUCKDB_BYTES), on a cursor of the build's DuckDB `con`: every
    rankings file read and checked together (schemas.judge_files_held), the checks across files judged on the
    distinct values (notes and flags with the status, source URLs, editions, cities), and ranking_row made of the
    rows there, with `missing(focus rows)` (the focus city's rows of no edition, made by the build) beside them,
    sorted by key, in the table `statement` makes, where component_row is (the staged file, else memory). Its key
    is the table's primary key, so two spellings of one city in one edition fail the insert.

    None, with nothing made, when the files are small, cannot be read together, or anything fails: the caller then
    reads them as records (read_rankings), which names every problem by file, row and column."""
    series = list(cat.series.values())
    files = [(s.rankings_file, display_name(s.rankings_file, cat.root)) for s in series]
    try:
        if sum(path.stat().st_size for path, _ in files) < RANKINGS_IN_DUCKDB_BYTES:
            return None
    except OSError:  # one is not there: read as records, which says so
        return None
    cur = con.cursor()
    try:
        held = _rank_in_duckdb(cur, cat, cities, editions, tiers, statement, missing, series, files)
    except duckdb.OutOfMemoryException:  # not the files' fault: the build says so (build.within_memory)
        cur.close()
        raise
    except duckdb.Error:  # two spellings of one city in one edition (the key), or what DuckDB cannot read
        held = None
    if held is None:
        cur.close()
    return held


def _rank_in_duckdb(cur: duckdb.DuckDBPyConnection, cat: Catalogue, cities: CityMap, editions: Table,
                    tiers: SourceTiers, statement: str, missing: Callable[[list[Record]], list[Record]],
                    series: list[Series], files: list[tuple[Path, str]]) -> HeldRankings | None:
    # each file's key (edition, city) is proved by ranking_row's primary key (index_id, edition, city) below: a city
    # twice in one edition of one file is twice there too
    judged = judge_files_held(cur, files, RANKING_NUMBERS, RawRanking, key_proven=True)
    if judged is None:
        return None
    rows, problems, failed = judged
    if any(problems) or any(failed):
        return None
    have = set(rows.columns)
    absent = [c for c in ("flags", "note", "note_ko", "rank_bound", "country") if c not in have]
    rows = rows.select(*map(col, rows.columns), *(lit(None).cast("BIGINT" if c == "rank_bound" else "VARCHAR").alias(c)
                                                  for c in absent))
    file_of = col(FILE).cast("VARCHAR").alias(FILE)
    found = distinct_values(rows.select(file_of, *map(col, ("edition", "city", "note", "flags", "status", "source_url"))),
                            ((FILE, "edition"), ("city",), ("note", "flags", "status"), ("source_url",)))
    # the checks of read_rankings, each on the distinct values: any failure and the records name the rows
    used = {(series[int(k) - 1].id, e) for k, e in found[(FILE, "edition")]}
    known = set(zip(editions["index_id"], editions["edition"]))
    if None in {e for _, e in used} or not used <= known:
        return None
    lookup = {n: cities.resolve(n) for (n,) in found[("city",)] if n is not None}
    if None in lookup.values() or len(lookup) < len(found[("city",)]):
        return None
    notes = {(n, f, st): _judge_note(n, f, st, with_status=True) for n, f, st in found[("note", "flags", "status")]}
    if any(missed or conflicts for _, missed, conflicts in notes.values()):
        return None
    url_tiers = {u: tiers.tier(u) for (u,) in found[("source_url",)] if u is not None}
    if None in url_tiers.values():
        return None
    # the look-ups rankings_insert joins, each holding only what differs from the row's own cell
    renamed = {n: c for n, c in lookup.items() if c != n}
    register(cur, "city_lookup", {"source_city": list(renamed), "city": list(renamed.values())})
    stored = {f: kept for (_, f, _), (kept, _, _) in notes.items() if f is not None and kept != f}
    register(cur, "flag_store", {"flags": list(stored), "stored": list(stored.values())})
    register(cur, "url_tier", {"url": list(url_tiers), "tier": list(url_tiers.values())})
    cur.register("ranking_source", rows)
    # the focus city's rows of no edition, made by the build from the editions its rows have
    spellings = [n for n, c in lookup.items() if c == cat.focus_city]
    focus = [{"index_id": series[int(k) - 1].id, "edition": e, "city": cat.focus_city}
             for k, e in rows.filter(col("city").isin(*spellings)).select(file_of, col("edition")).distinct().fetchall()
             ] if spellings else []
    if staged_in_place() is not None:  # beside component_row, in the staged file (else in memory)
        sql.execute(cur, "components_use")
    try:
        target = relational(cur).table("ranking_row")
    except duckdb.CatalogException:  # a staged file made without the schema template, or no staged file
        cur.execute(statement)
        target = relational(cur).table("ranking_row")
    if staged_in_place() is not None:
        sql.execute(cur, "components_aside")
        target = relational(cur).table("ranking_row")
    types = dict(zip(target.columns, target.types))
    extra = missing(focus)
    cur.register("ranking_missing", target.limit(0) if not extra else
                 Table(list(RANKING_COLUMNS), extra, RANKING_TYPES).relation(cur).select(
                     *(col(c).cast(types[c]).alias(c) for c in target.columns)))
    # the focus city's rows with a note but no Korean, in series and file order (what _untranslated reads)
    notes_ko = [{"index_id": series[k - 1].id, "edition": e, "city": cat.focus_city, "note": n, "note_ko": None,
                 "source_file": files[k - 1][1]}
                for k, _, e, n in rows.filter(col("city").isin(*spellings) & col("note").isnotnull()
                                              & col("note_ko").isnull())
                .select(col(FILE), col(ROW), col("edition"), col("note")).order(f"{FILE}, {ROW}").fetchall()
                ] if spellings else []
    # last: the one statement that makes anything, whole or not at all (a repeated key fails it)
    sql.execute(cur, "rankings_insert", index_ids=[s.id for s in series], files=[d for _, d in files])
    if staged_in_place() is not None:
        appended_early().add("ranking_row")
    return HeldRankings(target, used, {n for (n,) in found[("city",)] if n is not None}, notes_ko, cur)


def _in_file(found: Problem, files: list[tuple[str, str]]) -> Problem:
    """A problem found on the rows of every file at once, named by its own file and row."""
    k, row = divmod(found.row, _STRIDE)
    return dataclasses.replace(found, file=files[k - 1][1], row=row)


def _rows_where(rows: duckdb.DuckDBPyRelation, failed: duckdb.Expression, column: str) -> list[tuple[int, object]]:
    """(row, cell of `column`) of every row where `failed` holds, in file order."""
    return rows.filter(failed).select(col(ROW), col(column)).order(col(ROW)).fetchall()


def _same(column: str, value: object) -> duckdb.Expression:
    return col(column).isnull() if value is None else duckdb.coalesce(col(column) == value, False)


# the columns whose distinct values the checks of a components file judge (hold_validated finds them beside the
# rules' own: a 3.24M-row file repeats a few hundred cities, URLs and notes)
COMPONENT_GROUPS = (("component",), ("edition",), ("city",), ("note", "flags"), ("source_url",))
# their columns: a file read straight in (_insert_components) stores them as it writes them, then judges their values
# (components_values, which makes the same groups) and trims the cells that need it (components_trim)
COMPONENT_VALUED = frozenset(c for g in COMPONENT_GROUPS for c in g)


@dataclass
class _Judged:
    """A components file's checks of `_checked`, each judged once per distinct value (_judge_components): the values
    that fail each check, in the order problems are reported, and what the rows that pass are stored as."""

    unknown_components: list[str]
    unknown_editions: list[str]
    unmapped: list[str]
    keyed: bool  # edition, city and component are all there (else only components are judged)
    typed: bool  # every rule of the model holds (else flags and sources are not judged)
    cities: dict[str, str]  # a spelling that is not the city's own name -> the city
    spellings: bool  # two spellings in the file name one city (then rows of two spellings may share a key)
    flags: list[tuple[str | None, str | None, str | None, list[str]]]  # (note, flags cell, stored, flags missing)
    url_tiers: dict[str, str | None]  # every source URL -> its tier (None: unclassified)
    common_tier: str | None  # the tier most URLs share
    editions: frozenset[str] = frozenset()  # every edition the file's rows name

    @property
    def tiers(self) -> dict[str, str | None]:
        """The source URLs of another tier than most, with theirs."""
        return {u: t for u, t in self.url_tiers.items() if t != self.common_tier}

    @property
    def clean(self) -> bool:
        return not (self.unknown_components or self.unknown_editions or self.unmapped
                    or any(missing for *_, missing in self.flags) or None in self.url_tiers.values())


# The city mapping and the editions, read on the main thread while the components files' rows already go in (issue
# 13): what judging a file needs beside the file itself; None when reading them failed (the build then stops).
Known = concurrent.futures.Future  # of tuple[CityMap, Table] | None


class _Stopped(Exception):
    """The city mapping or the editions could not be read: a components file is not judged, the build stops."""


def _judge_components(rows: duckdb.DuckDBPyRelation | list[Record], series: Series, known: Known, tiers: SourceTiers,
                      typed: bool, found: Distinct, columns: list[str] | None = None) -> _Judged:
    """The checks of `_checked` on a components file's distinct values (`found` beside the rules, else here in one
    query on `rows`, or of its records, `columns` naming theirs): known components, editions and cities; then, on
    typed rows, flags against notes and a tier for every source. Waits for the city mapping and the editions
    (`known`); _Stopped when they could not be read."""
    ready = known.result()
    if ready is None:
        raise _Stopped
    cities, editions = ready
    have = set(rows.columns if columns is None else columns)
    keyed = {"edition", "city", "component"} <= have
    groups = [g for g in (("component",), ("edition",), ("city",)) if g[0] in have]
    groups += [("note", "flags"), ("source_url",)] if keyed and typed else []
    values = dict(found)
    if ("note", "flags") not in values and ("note",) in values:  # a file without flags (hold_validated left it out)
        values[("note", "flags")] = [(note, None) for (note,) in values[("note",)]]
    more = tuple(g for g in groups if g not in values)
    values |= distinct_values(rows, more) if columns is None else distinct_of(rows, more)
    known = {c.id for c in series.components}
    judged = _Judged([v for (v,) in values.get(("component",), []) if v is not None and v not in known],
                     [], [], keyed, typed, {}, False, [], {}, None)
    if not keyed:
        return judged
    known = {e["edition"] for e in editions.records if e["index_id"] == series.id}
    judged.editions = frozenset(v for (v,) in values[("edition",)] if v is not None)
    judged.unknown_editions = [v for (v,) in values[("edition",)] if v is not None and v not in known]
    lookup = {n: cities.resolve(n) for (n,) in values[("city",)] if n is not None}
    judged.unmapped = [n for n, c in lookup.items() if c is None]
    # only the spellings that are not the city's own name: a row none matches keeps its name, and a file that
    # spells every city as the mapping does joins nothing (issue 13)
    judged.cities = {n: c for n, c in lookup.items() if c is not None and c != n}
    resolved = [c for c in lookup.values() if c is not None]
    judged.spellings = len(set(resolved)) < len(resolved)
    if not typed:
        return judged
    # flags as data: each distinct (note, flags) judged once
    for note, cell in values[("note", "flags")]:
        given, _ = parse_flags(cell)
        judged.flags.append((note, cell, join_flags(given), sorted(flags_from_note(note) - set(given))))
    # a tier for every source URL, each distinct URL looked up once; the tier most URLs share goes to every row
    # and the look-up holds only the URLs of another: a file of one tier joins nothing (issue 13)
    judged.url_tiers = {u: tiers.tier(u) for (u,) in values[("source_url",)] if u is not None}
    counts = collections.Counter(t for t in judged.url_tiers.values() if t is not None)
    judged.common_tier = min(counts, key=lambda t: (-counts[t], t)) if counts else None
    return judged


def _named(judged: _Judged, rows: duckdb.DuckDBPyRelation, display: str) -> list[Problem]:
    """Every row of `rows` (held, with `ROW`) that fails a check of `judged`, named by file, row and column."""
    problems: list[Problem] = []
    for column, key, values in (("component", "check.unknown_component", judged.unknown_components),
                                ("edition", "check.unknown_edition", judged.unknown_editions),
                                ("city", "check.unmapped_city", judged.unmapped)):
        if values:
            problems += [problem(display, int(r), column, key, value=v)
                         for r, v in _rows_where(rows, col(column).isin(*values), column)]
    for note, cell, _, missing in judged.flags:
        if missing:
            problems += [problem(display, int(r), "flags", "check.flag_missing", flags="|".join(missing))
                         for r, _ in _rows_where(rows, _same("note", note) & _same("flags", cell), "flags")]
    unclassified = [u for u, t in judged.url_tiers.items() if t is None]
    if unclassified:
        problems += [problem(display, int(r), "source_url", "check.unclassified_source", domain=domain_of(v) or v)
                     for r, v in _rows_where(rows, col("source_url").isin(*unclassified), "source_url")]
    return problems


def _look_ups(con: duckdb.DuckDBPyConnection, judged: _Judged) -> None:
    """What components_append joins, registered on the cursor `con`: `city_lookup`, `flag_lookup`, `url_tier`
    (each holding only what differs from its default: the tier most URLs share) and `url_tier_default`."""
    register(con, "city_lookup", {"source_city": list(judged.cities), "city": list(judged.cities.values())})
    # only the pairs that store flags: a row no pair matches stores none (components_append joins it `left`), and a
    # file whose rows carry no flags joins nothing at all
    stores = [(n, c, s) for n, c, s, _ in judged.flags if s is not None]
    register(con, "flag_lookup", {"note": [n for n, _, _ in stores], "flags": [c for _, c, _ in stores],
                                  "stored": [s for _, _, s in stores]})
    register(con, "url_tier", {"url": list(judged.tiers), "tier": list(judged.tiers.values())})
    register(con, "url_tier_default", {"tier": [judged.common_tier]})


# each look-up the build joins, by name: the named query that holds it (lookup_*, sql/queries/ledger_files.sql)
LOOKUPS = {"city_lookup": "lookup_city", "flag_lookup": "lookup_flags", "flag_store": "lookup_flag_store",
           "url_tier": "lookup_url_tier", "url_tier_default": "lookup_url_tier_default"}


def register(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, list]) -> None:
    """A small look-up made in Python, held on the cursor `con` as its temporary table `name` (its own; each column
    text, one list per column), by its named query (LOOKUPS): no pandas, no relation (issue 13)."""
    sql.execute(con, LOOKUPS[name], **columns)


def _component_conflicts(con: duckdb.DuckDBPyConnection, display: str) -> list[Problem]:
    """Two rows of one (edition, city, component) that give two different ranks (or scores): every row after
    the first of such a group is a problem, naming the values (rows of the cursor's `component_source`)."""
    clashing = sql.rows(con, "component_conflicts")
    problems = []
    for i, measure in ((4, "rank"), (5, "score")):
        groups: dict[tuple, list[tuple[int, object]]] = {}
        for hit in clashing:
            if hit[i + 2] and hit[i] is not None:
                groups.setdefault(hit[1:4], []).append((hit[0], hit[i]))
        for members in groups.values():
            values = ", ".join(dict.fromkeys(str(v) for _, v in members))
            problems += [problem(display, int(r), measure, "check.component_conflict", measure=measure, value=values)
                         for r, _ in members[1:]]
    return problems


COMPONENT_ROWS = "component_row"  # the build's component rows, in its own DuckDB (start_components)


@dataclass
class _Build:
    con: duckdb.DuckDBPyConnection
    spill: Path  # the folder DuckDB spills to
    staged: Path | None  # the staged published part the rows are written into, until the write takes it
    early: set[str] = dataclasses.field(default_factory=set)  # other tables appended there already (stage_early)
    single: bool = False  # every query on the thread that asks for it, the whole build long (a small ledger's)
    columns: dict[str, list[str]] | None = None  # the staged file's tables and their columns (building_columns)


# the current build's DuckDB (the caller holds the writer lock)
_BUILDING: list[_Build] = []


def start_components(memory_limit_mb: int, table: str, stage_at: Path | None = None,
                     template: Path | None = None, small: bool = False) -> duckdb.DuckDBPyConnection:
    """A new DuckDB for this build, where its components files are read and their rows gather (one per build:
    what a failed build held goes with it) in `component_row`, made by `table` (its create statement in
    warehouse.sql).

    With `stage_at` (the published part's staged file, build/warehouse.py) the rows are written straight into
    that new file, which the write then completes and swaps in: 3.24M rows are written once, not gathered in
    memory and copied (issue 13). Without it (a check that writes nothing) they gather in memory. Either way the
    write stages from this DuckDB (`building`). With `template` (build/warehouse.py, schema_template: the published
    part's every table, view and macro, no rows) the staged file starts as a copy of it, `component_row` included.
    `small` (small_ledger): the staged file is opened without a write-ahead log (components_open_small).

    Bounded by `memory_limit_mb` (indicators.yml `build`): what exceeds it spills to DuckDB's temporary files
    instead of growing the process, to a folder of its own in the system's temporary folder (DuckDB's default,
    `.tmp` in the working folder, would put it wherever the command was started)."""
    let_go_components()
    # not made here: DuckDB makes it only if it spills, and removes it when closed
    spill = Path(tempfile.gettempdir()) / f"cityidx-build-{os.getpid()}-{secrets.token_hex(8)}"
    con = duckdb.connect(config={"memory_limit": f"{memory_limit_mb}MB", "temp_directory": str(spill)})
    _BUILDING.append(_Build(con, spill, stage_at, single=small))
    if small:  # a small ledger's queries are small: its build's own two threads keep both cores busy (issue 13)
        sql.execute(con, "small_build_threads")
    if stage_at is not None:
        for leftover in (stage_at, Path(f"{stage_at}.wal")):  # this process's own, from a build it never finished
            leftover.unlink(missing_ok=True)
        if template is not None:
            try:
                shutil.copyfile(template, stage_at)
            except OSError:  # the template went meanwhile (or the disk refused): the file is made here instead
                stage_at.unlink(missing_ok=True)
                template = None
        sql.execute(con, "components_open_small" if small else "components_open", path=str(stage_at))
        sql.execute(con, "components_use")
        if template is None:
            con.execute(table)
        sql.execute(con, "components_aside")  # nothing else goes into that file
    else:
        con.execute(table)
    return con


def building() -> duckdb.DuckDBPyConnection | None:
    """A cursor on the current build's DuckDB, if a build holds one."""
    return _BUILDING[-1].con.cursor() if _BUILDING else None


def staged_in_place() -> Path | None:
    """The staged file the current build writes its component rows into, if any (start_components)."""
    return _BUILDING[-1].staged if _BUILDING else None


def building_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every table of the current build's staged file with its columns (building_columns, on the build's cursor
    `con`), asked once a build: no statement of the build makes or changes a table there between its early appends
    (build/warehouse.py, stage_early)."""
    held = _BUILDING[-1]
    if held.columns is None:
        held.columns = dict(sql.rows(con, "building_columns"))
    return held.columns


def appended_early() -> set[str]:
    """The tables other than component_row the current build has appended to its staged file already
    (build/warehouse.py, stage_early, adds to this very set); none without a build."""
    return _BUILDING[-1].early if _BUILDING else set()


def taken() -> None:
    """The write has completed the build's staged file: from now on it is the write's to swap in or remove."""
    if _BUILDING:
        _BUILDING[-1].staged = None


def let_go_components() -> None:
    """The build's DuckDB closed and its spill folder removed, and a staged file the write has not taken:
    everything it held goes."""
    while _BUILDING:
        held = _BUILDING.pop()
        held.con.close()
        shutil.rmtree(held.spill, ignore_errors=True)
        if held.staged is not None:
            held.staged.unlink(missing_ok=True)
            Path(f"{held.staged}.wal").unlink(missing_ok=True)


# Components files read at once, each on its own cursor of the build's DuckDB, each query on its own thread
# (DuckDB's own threads off while they run): DuckDB splitting one file's read over two threads cost a third more
# CPU than reading it on one (issue 13). Three files at once keep two cores busy to the last file (nine files of
# the synthetic ledger: three rounds, no file read alone), at ~100 MB of memory each.
READERS = 3


@dataclass(frozen=True)
class Written:
    """What one components file put into component_row: the series its rows were stored under and every edition
    they name. Each file proves its own key unique (its rows merged, or found never to repeat one); no two files
    share a key when no two share a (series, edition) (keys_apart)."""

    file: str
    index_id: str
    editions: frozenset[str]


def keys_apart(written: list[Written]) -> bool:
    """Whether no two files of `written` stored rows of one (series, edition): then component_row's key (index_id,
    edition, city, component_id) holds over every row as it holds in each file, and is not judged again on the
    table (3.24M rows: ~0.15 s of the build's serial end, issue 13)."""
    seen: set[tuple[str, str]] = set()
    for w in written:
        keys = {(w.index_id, e) for e in w.editions}
        if keys & seen:
            return False
        seen |= keys
    return True


def read_all_components(con: duckdb.DuckDBPyConnection, cat: Catalogue, known: Known,
                        tiers: SourceTiers) -> tuple[list[Problem], list[Written]]:
    """`read_components` for every series, READERS files at a time, on cursors of the build's DuckDB `con`; the
    problems in series order, and what each file wrote (none when there are problems). The rows of one file go in
    together; files may interleave. The files are read while the city mapping and the editions still are (`known`):
    when those fail, no file is judged and nothing is found (the build stops on their problems)."""
    def one(series: Series) -> tuple[list[Problem], Written | None]:
        cur = con.cursor()
        try:
            if staged_in_place() is not None:  # the staged file's component_row, and nothing else there
                sql.execute(cur, "components_aside")
            return read_components(cur, series, cat, known, tiers)
        except _Stopped:
            return [], None
        finally:
            cur.close()

    single = bool(_BUILDING) and _BUILDING[-1].single  # one thread a query the whole build long already
    if not single:
        sql.execute(con, "components_threads_one")
    try:
        # the small files together, on this thread (issue 13); every other file (all of them, should the small ones
        # fail together) READERS at a time
        done = _read_small_together(con, cat, known, tiers)
        rest = [s for s in cat.series.values() if s.id not in done]
        if any(s.components_file is not None for s in rest):
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(READERS, len(rest)),
                                                       thread_name_prefix="cityidx-components") as pool:
                found = dict(zip((s.id for s in rest), pool.map(one, rest)))
        else:  # no file left to read (the real ledger's all went in together): no thread for the rest
            found = {s.id: one(s) for s in rest}
    finally:
        if not single:
            sql.execute(con, "components_threads_reset")  # what follows (checks, the write) uses every core again
    found |= done
    found = [found[s.id] for s in cat.series.values()]  # in series order
    problems = [p for more, _ in found for p in more]
    return problems, [] if problems else [w for _, w in found if w is not None]


def _small(series: Series) -> bool:
    """Whether a series' components file is there and smaller than INSERT_FROM_BYTES."""
    try:
        return series.components_file is not None and series.components_file.stat().st_size < INSERT_FROM_BYTES
    except OSError:  # not there, or unreadable: held alone, it says why
        return False


def _read_small_together(con: duckdb.DuckDBPyConnection, cat: Catalogue, known: Known,
                         tiers: SourceTiers) -> dict[str, tuple[list[Problem], Written | None]]:
    """Every small components file (under INSERT_FROM_BYTES; the real ledger's are a few KB) read, checked and
    appended together, on a cursor of its own of the build's DuckDB `con`: one read of all of them, one scan of every
    rule, one query of their distinct values, the look-ups registered once, the appends in one transaction (issue
    13: each file alone took ~45 relation binds and ~8 queries, most of a real build's DuckDB round trips). One small
    file alone goes this way too (the mini ledger's, which the tests build ~250 times: its kept queries, where holding
    it bound relations, ~35% of such a build's instructions). What
    `read_components` gives, by series id, for the files that went in; none when they did not all go in as they
    would one by one: a file that fails a rule or a check, or two rows that disagree, and the caller reads each
    file alone, which names every problem by file, row and column (nothing of them is appended here then)."""
    small = [s for s in cat.series.values() if _small(s)]
    if not small:
        return {}
    files = [(s.components_file, display_name(s.components_file, cat.root)) for s in small]
    cur = con.cursor()
    try:
        if staged_in_place() is not None:  # the staged file's component_row, and nothing else there
            sql.execute(cur, "components_aside")
        try:
            made = _small_kept(cur, small, files, known, tiers) or _small_held(cur, small, files, known, tiers)
        except _Stopped:
            return {s.id: ([], None) for s in small}
        if made is None:
            return {}
        judged, merged, source = made
        if not all(j.clean for j in judged):
            return {}
        # the look-ups of every file at once: a spelling's city, a (note, flags) pair's stored flags and a URL's
        # tier are each the same whichever file holds it; every URL is in `url_tier`, so no row takes a default
        _look_ups(cur, dataclasses.replace(judged[0], cities={k: v for j in judged for k, v in j.cities.items()},
                                           flags=list({f[:3]: f for j in judged for f in j.flags}.values()),
                                           url_tiers={u: t for j in judged for u, t in j.url_tiers.items()},
                                           common_tier=None))
        for k, merge in enumerate(merged, start=1):
            if merge:
                source(k)
                if _component_conflicts(cur, ""):  # two rows that disagree: named when the file is read alone
                    return {}
        cur.begin()
        for k, (series, merge) in enumerate(zip(small, merged), start=1):
            source(k)
            if merge:
                sql.execute(cur, "components_append", index_id=series.id, flag_order=list(FLAGS))
            else:
                sql.execute(cur, "components_append_unique", index_id=series.id)
        cur.commit()
    finally:
        cur.close()  # a transaction left open is rolled back: nothing of these files appended
    return {s.id: ([], Written(display, s.id, j.editions)) for s, (_, display), j in zip(small, files, judged)}


Small = tuple[list[_Judged], list[bool], Callable[[int], None]]  # each file's checks, whether it needs the merge, and
# what makes file k (from 1) the cursor's `component_source`


# what the components files' typed rows hold beside their own columns: every column the checks and the appends read
SMALL_ALSO = tuple(sorted(COMPONENT_VALUED | {"flags", "note_ko"}))


def _small_kept(cur: duckdb.DuckDBPyConnection, small: list[Series], files: list[tuple[Path, str]], known: Known,
                tiers: SourceTiers) -> Small | None:
    """_read_small_together's files read and judged by their kept queries (schemas.held_files_kept), their distinct
    values, their keys and each file's rows made in Python and named queries: no relation bound, so the build runs
    on DuckDB's engine alone (issue 13, quick start-up); None when they cannot be (a file that breaks a rule ...:
    _small_held then judges them, which names every problem)."""
    kept = held_files_kept(cur, files, COMPONENT_NUMBERS, RawComponent, SMALL_ALSO)
    if kept is None:
        return None
    columns, records = kept
    of_file: list[list[Record]] = [[] for _ in small]
    for r in records:
        of_file[r[FILE] - 1].append(r)
    judged = [_judge_components(rows, series, known, tiers, typed=True, found=distinct_of(rows, COMPONENT_GROUPS),
                                columns=columns)
              for series, rows in zip(small, of_file)]
    # whether two rows of a file share a key (the keys themselves: no hash to collide)
    keys = [[(r["edition"], r["city"], r["component"]) for r in rows] for rows in of_file]
    merged = [j.spellings or len(set(k)) < len(k) for j, k in zip(judged, keys)]
    return judged, merged, lambda k: sql.execute(cur, "component_source_of_file", file=k, stride=FILE_STRIDE)


def _small_held(cur: duckdb.DuckDBPyConnection, small: list[Series], files: list[tuple[Path, str]], known: Known,
                tiers: SourceTiers) -> Small | None:
    """_read_small_together's files held and judged by relations (schemas.hold_validated_files); None when they cannot
    be read together or any breaks a rule."""
    held = hold_validated_files(cur, files, COMPONENT_NUMBERS, RawComponent, COMPONENT_GROUPS)
    if held is None or any(problems for problems, _, _ in held[1]):
        return None
    rows, per_file = held
    # the optional columns, missing where no file has them
    rows = rows.select(*(col(c) for c in rows.columns),
                       *(lit(None).cast("VARCHAR").alias(c) for c in ("flags", "note_ko") if c not in rows.columns))
    judged = [_judge_components(rows, series, known, tiers, typed=True, found=found)
              for series, (_, _, found) in zip(small, per_file)]
    # whether two rows of a file may share a key, every file in one query (their hashes judged here)
    hashes: dict[int, list[int]] = collections.defaultdict(list)
    for k, h in rows.select(col(FILE), fn("hash", col("edition"), col("city"), col("component"))).fetchall():
        hashes[k].append(h)
    merged = [j.spellings or len(set(hashes[k])) < len(hashes[k]) for k, j in enumerate(judged, start=1)]
    sources = [rows.filter(col(FILE) == k).select(
                   (col(ROW) - k * FILE_STRIDE).alias(ROW),
                   *(col(c) for c in ("edition", "city", "component", "rank", "score", "source_url", "flags",
                                      "note", "note_ko")))
               for k in range(1, len(small) + 1)]
    return judged, merged, lambda k: cur.register("component_source", sources[k - 1])


# A components file smaller than this is held and checked (_hold_components) without trying to read it straight in
# first: what a small file costs is DuckDB's round trips, not its rows, and the straight way takes more of them (a
# look at the CSV per step, the judging after the commit); the real ledger's files are a few KB (issue 13).
INSERT_FROM_BYTES = 1 << 20

COMPONENT_NUMBERS = {"rank": "int", "score": "float"}
# the columns of a components file that component_row keeps as the file has them (trimmed, numbers parsed); a rule
# on any other (publication, retrieved, a number's text) is judged as the rows are read (stream_validated)
COMPONENT_KEPT = {"edition", "city", "component", "rank", "score", "source_url", "flags", "note", "note_ko"}


def read_components(con: duckdb.DuckDBPyConnection, series: Series, cat: Catalogue, known: Known,
                    tiers: SourceTiers) -> tuple[list[Problem], Written | None]:
    """Component figures, one row per (edition, city, component): a rank and a score may come from two rows.

    The file is read, checked and merged inside DuckDB on `con` (start_components), its rows appended to the
    build's `component_row`; pandas sees only the distinct cities, notes and URLs. Returns the problems
    (nothing is appended when there are any) and what the file wrote (None when it wrote nothing). A file of INSERT_FROM_BYTES or more read straight into component_row
    and found right there (_insert_components) is read once; any other is held and checked row by row
    (_hold_components), which names every problem by file, row and column."""
    if series.components_file is None:
        return [], None
    display = display_name(series.components_file, cat.root)
    try:
        large = series.components_file.stat().st_size >= INSERT_FROM_BYTES
    except OSError:  # not there, or unreadable: held, it says why
        large = False
    judged = _insert_components(con, series, display, known, tiers) if large else None
    if not judged:
        problems, judged = _hold_components(con, series, display, known, tiers)
        if problems or judged is None:
            return problems, None
    return [], Written(display, series.id, judged.editions)


def _insert_components(con: duckdb.DuckDBPyConnection, series: Series, display: str, known: Known,
                       tiers: SourceTiers) -> _Judged | None:
    """The file read straight into component_row on the cursor `con` and judged there (issue 13): read once and
    written once, never held. The rules on what component_row does not keep (publication, retrieved, a number's
    text) are judged as the rows are read (stream_validated), and every row goes in with the tier of the source most
    of the first rows name. Once committed (compressed then, so each column's distinct values cost least): the rules
    on what component_row keeps (judge_stored), the checks of `_checked` on their distinct values, and whether two
    rows may share a key (they need the merge); last, what the file writes otherwise than it is stored put right
    (a source of another tier, a city by another name, flags in another order: UPDATEs of those rows alone). The
    file's checks as judged when the rows are in; None, with none of them left in component_row (rolled back, or
    taken back once committed), when anything fails: the caller then holds the file."""
    try:
        streamed = stream_validated(con, series.components_file, display, COMPONENT_NUMBERS, RawComponent,
                                    COMPONENT_KEPT, looked=("source_url",), untrimmed=COMPONENT_VALUED)
        if streamed is None:
            return None
        rows, first = streamed
        counts = collections.Counter(tiers.tier(u) for (u,) in first.get(("source_url",), []) if u is not None)
        guess = min(counts, key=lambda t: (-counts[t], str(t))) if counts else None
        con.register("component_source", rows)
        stored = relational(con).table(COMPONENT_ROWS).filter(col("index_id") == lit(series.id)).select(
            *(col("component_id").alias(c) if c == "component" else col(c)
              for c in ("edition", "city", "component", "rank", "score", "source_url", "flags", "note", "note_ko")))
        [inserted] = sql.execute(con, "components_insert", index_id=series.id, tier=guess).fetchone()
    except duckdb.OutOfMemoryException:  # not the file's fault: the build says so (build.within_memory)
        raise
    except duckdb.Error:  # a rule broken as the rows were read, or a file DuckDB cannot read: held, it says which
        return None
    try:
        # an optional column the file lacks is missing in every row: its rules hold there as on no column
        sql.execute(con, "components_values", index_id=series.id)
        valid, found = judge_stored(stored, RawComponent, stored.columns, relational(con).table("component_values"),
                                    COMPONENT_GROUPS, inserted)
        if padded(found):  # the cells the file writes with spaces around them trimmed, then judged again
            sql.execute(con, "components_trim", index_id=series.id)
            sql.execute(con, "components_values", index_id=series.id)
            valid, found = judge_stored(stored, RawComponent, stored.columns, relational(con).table("component_values"),
                                        COMPONENT_GROUPS, inserted)
        judged = _judge_components(stored, series, known, tiers, typed=True, found=found) if valid else None
        if judged is not None and judged.clean and not judged.spellings \
                and not repeats(stored, ("edition", "city", "component"), inserted):
            # each look-up registered only for the UPDATE that reads it, and only when some row needs it: a file of
            # one tier, canonical city names and flags as stored registers none (five look-ups were ~20 ms of CPU
            # a file, issue 13)
            other = {u: t for u, t in judged.url_tiers.items() if t != guess}
            if other:
                register(con, "url_tier", {"url": list(other), "tier": list(other.values())})
                sql.execute(con, "components_set_other_tier", index_id=series.id)
            if judged.cities:
                register(con, "city_lookup", {"source_city": list(judged.cities), "city": list(judged.cities.values())})
                sql.execute(con, "components_set_city", index_id=series.id)
            store = {c: kept for _, c, kept, _ in judged.flags if c is not None and c != kept}
            if store:
                register(con, "flag_store", {"flags": list(store), "stored": list(store.values())})
                sql.execute(con, "components_set_flags", index_id=series.id)
            return judged
    except duckdb.OutOfMemoryException:
        sql.execute(con, "components_take_back", index_id=series.id)
        raise
    except duckdb.Error:  # a cell of spaces only where component_row needs one (the trim): held, it says which
        pass
    sql.execute(con, "components_take_back", index_id=series.id)
    return None


def _hold_components(con: duckdb.DuckDBPyConnection, series: Series, display: str, known: Known,
                     tiers: SourceTiers) -> tuple[list[Problem], _Judged | None]:
    """The file held in DuckDB (hold_validated) and checked row by row, every problem named by file, row and column;
    its rows appended (merged where two share a key) when there are none. Returns the problems, and the file's
    checks as judged once its rows are in (else None)."""
    rows, problems, failed, found = hold_validated(con, series.components_file, display, COMPONENT_NUMBERS,
                                                   RawComponent, COMPONENT_GROUPS)
    if rows is None:
        return problems, None
    have = set(rows.columns)
    # the optional columns, missing where the file has none
    rows = rows.select(*(col(c) for c in rows.columns),
                       *(lit(None).cast("VARCHAR").alias(c) for c in ("flags", "note_ko") if c not in have))
    judged = _judge_components(rows, series, known, tiers, typed=not failed, found=found)
    problems += _named(judged, rows, display)
    if failed or problems:
        return problems, None
    _look_ups(con, judged)
    con.register("component_source", rows)  # this cursor's own: two files are read at once (read_all_components)
    # each row a component row of its own, unless two rows may share a key (then they go through the merge, which
    # gives the same rows for keys that only share a hash)
    if not judged.spellings and not repeats(rows, ("edition", "city", "component")):
        sql.execute(con, "components_append_unique", index_id=series.id)
        return [], judged
    problems = _component_conflicts(con, display)
    if problems:
        return problems, None
    sql.execute(con, "components_append", index_id=series.id, flag_order=list(FLAGS))
    return [], judged
