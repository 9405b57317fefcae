"""Catalogue -> parse -> harmonise -> validate -> warehouse: the warehouse as a pure function of the ledger."""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import operator
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pipelines import accounts, sql
from pipelines.build import forum, warehouse
from pipelines.build.cities import CityMap, load_cities
from pipelines.build.rankings import (COMPONENT_ROWS, RANKING_COLUMNS, RANKING_TYPES, HeldRankings, Known,
                                     display_name, hold_rankings, keys_apart, let_go_components, rank_in_duckdb,
                                     read_all_components, read_editions, read_rankings, small_ledger, small_rankings,
                                     start_components)
from pipelines.build.sources import SourceTiers, classify_records, domain_of, load_source_tiers
from pipelines.build.uploads import UPLOAD_COLUMNS, VERSION_COLUMNS, ledger_values
from pipelines.catalogue_data import analysis_settings
from pipelines.errors import CityIdxError, ForumError, Message
from pipelines.ledger import seal, store
from pipelines.ledger.forum import read_events
from pipelines.messages import MESSAGES
from pipelines.schemas import (ROW, WAREHOUSE_MODELS, Columns, Held, Model, Problem, ProblemsFound, Record, Table,
                               col, duckdb, find_problems, in_duckdb, problem, reading_on, validate_frame)

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue
    import pandas as pd


T = TypeVar("T")
S = TypeVar("S")
A = TypeVar("A")  # what a task on the build's pool gives (_on)


Tables = dict[str, "Table | Held | duckdb.DuckDBPyRelation"]  # the warehouse's tables as a build makes them


@dataclass
class BuildResult:
    held: Tables  # made in Python (Table) or held in DuckDB (component_row): what the write writes; no pandas
    warnings: list[Message]
    seconds: float = 0.0
    path: Path | None = None
    counted: dict[str, int] | None = None  # the counts, kept when a build lets its held tables go

    @property
    def tables(self) -> dict[str, pd.DataFrame | duckdb.DuckDBPyRelation]:
        """The tables as pandas (what a caller that reads them wants; loads pandas), component_row as DuckDB holds it
        (a large ledger's ranking_row, held there too, as pandas as the records would give it)."""
        return {name: t.frame() if isinstance(t, Table) else t.relation() if isinstance(t, Held) else
                t if name == COMPONENT_ROWS else
                Table(list(t.columns), [dict(zip(t.columns, r)) for r in t.fetchall()], RANKING_TYPES).frame()
                for name, t in self.held.items()}

    @property
    def counts(self) -> dict[str, int]:
        if self.counted is not None:
            return self.counted
        return {name: t.shape[0] for name, t in self.held.items()}


def _catalogue_tables(cat: Catalogue, tiers: SourceTiers) -> Tables:
    """The catalogue as tables, so that views and pages never read the YAML themselves."""
    settings = {
        "focus_city": cat.focus_city,
        "timezone": cat.timezone,
        "target_rank": str(cat.goal.target_rank),
        "target_year": str(cat.goal.by_year),
        "goal_title_ko": cat.goal.title.ko,
        "goal_title_en": cat.goal.title.en,
        "goal_source_ko": cat.goal.source_in("ko"),
        "goal_source_en": cat.goal.source_in("en"),
        # what the published part is a function of: a write rebuilds its own part alone only while this holds
        "inputs_sha256": warehouse.inputs_digest(cat),
    }
    if cat.analysis.signals.as_of is not None:  # signals measure ages to this day instead of today
        settings["as_of"] = cat.analysis.signals.as_of.isoformat()
    series_rows, comp_rows, note_rows = [], [], []
    analysis = analysis_settings(cat)
    for seq, s in enumerate(cat.series.values(), start=1):
        series_rows.append({
            "index_id": s.id, "seq": seq,
            "title_ko": s.title.ko, "title_en": s.title.en, "short_ko": s.short.ko, "short_en": s.short.en,
            "publisher": s.publisher, "publisher_url": s.publisher_url, "office_id": s.office_id,
            "cadence": s.cadence, "release_months": ",".join(str(m) for m in s.release_months),
            "cadence_months": s.cadence_months,
            # the series' own staleness rule: a figure older than N cadences is stale, a series with no
            # edition for M cadences discontinued (indicators.yml `analysis.signals`, docs/analysis.md)
            "stale_after_months": round(s.cadence_months * analysis["signals.stale_after_cadences"]),
            "discontinued_after_months": round(s.cadence_months * analysis["signals.discontinued_after_cadences"]),
            "cities_covered": s.cities_covered,
            "score_unit_ko": s.score.unit.ko, "score_unit_en": s.score.unit.en,
            "score_scale_ko": s.score.scale.ko, "score_scale_en": s.score.scale.en,
            "score_higher_is_better": s.score.higher_is_better, "score_comparable": s.score.comparable_across_editions,
            "component_kind_ko": s.component_kind.ko, "component_kind_en": s.component_kind.en,
            "rankings_file": display_name(s.rankings_file, cat.root),
            "components_file": None if s.components_file is None else display_name(s.components_file, cat.root),
        })
        for cseq, c in enumerate(s.components, start=1):
            comp_rows.append({
                "index_id": s.id, "component_id": c.id, "seq": cseq, "name_ko": c.name.ko, "name_en": c.name.en,
                "weight": c.weight, "weight_note": c.weight_note, "policy_area": c.policy_area, "parent": c.parent,
            })
        for nseq, m in enumerate(s.methodology, start=1):
            note_rows.append({
                "index_id": s.id, "seq": nseq, "text": m.text, "text_ko": m.text_ko, "source_url": m.source_url,
                "source_tier": tiers.tier(m.source_url), "edition": m.edition, "is_change": m.change,
            })
    comp_columns = ["index_id", "component_id", "seq", "name_ko", "name_en", "weight", "weight_note", "policy_area", "parent"]
    note_columns = ["index_id", "seq", "text", "text_ko", "source_url", "source_tier", "edition", "is_change"]
    messages = {k: v for k, v in MESSAGES.items() if k.startswith(("reason.", "label.", "status."))}
    return {
        "setting": Table(["key", "value"], [{"key": k, "value": v} for k, v in settings.items()]),
        "analysis_setting": Table(["key", "value"], [{"key": k, "value": v} for k, v in analysis.items()]),
        "message": Table(["key", "ko", "en"], [{"key": k, "ko": v["ko"], "en": v["en"]} for k, v in messages.items()]),
        "policy_area": Table(["policy_area", "name_ko", "name_en", "seq"], [
            {"policy_area": k, "name_ko": v.ko, "name_en": v.en, "seq": i}
            for i, (k, v) in enumerate(cat.policy_areas.items(), start=1)
        ]),
        "office": Table(["office_id", "name_ko", "name_en", "kind", "parent"], [
            {"office_id": o.id, "name_ko": o.name.ko, "name_en": o.name.en, "kind": o.kind, "parent": o.parent}
            for o in cat.offices.values()
        ]),
        "series": Table(list(series_rows[0]) if series_rows else [], series_rows),
        "component": Table(comp_columns, comp_rows),
        "methodology_note": Table(note_columns, note_rows),
        "peer_city": Table(["city", "seq"], [{"city": c, "seq": i} for i, c in enumerate(cat.peer_cities, start=1)]),
        "source_tier": Table(["tier", "seq", "name_ko", "name_en", "help_ko", "help_en"], [
            {"tier": k, "seq": i, "name_ko": v.name.ko, "name_en": v.name.en,
             "help_ko": v.help.ko if v.help else None, "help_en": v.help.en if v.help else None}
            for i, (k, v) in enumerate(cat.source_tiers.items(), start=1)
        ]),
        "source_domain": tiers.table.select(["domain", "tier", "reason"]),
    }


def _missing_focus_rows(cat: Catalogue, rankings: list[Record], editions: Table) -> list[Record]:
    """An edition with no row for the focus city is a known state, `not_found`, never a silent gap."""
    have = {(r["index_id"], r["edition"]) for r in rankings if r["city"] == cat.focus_city}
    rows = []
    for index_id, edition in zip(editions["index_id"], editions["edition"]):
        if (index_id, edition) not in have:
            rows.append({
                "city": cat.focus_city, "source_city": None, "index_id": index_id, "edition": edition,
                "source_country": None, "rank": None, "score": None, "status": "not_found",
                "source_url": None, "source_tier": None, "publication": None, "retrieved": None, "flags": None,
                "rank_bound": None,
                "note": "no figure for this city in the ledger for this edition (see data/raw/README.md, known gaps)",
                "note_ko": "원장에 이 판의 이 도시 수치가 없음 (data/raw/README.md의 알려진 공백 참고)",
                "source_file": display_name(cat.series[index_id].rankings_file, cat.root), "source_row": None,
            })
    return rows


def _catalogue_sources(cat: Catalogue, tiers: SourceTiers) -> list[Problem]:
    """Every source URL the catalogue itself names (methodology notes, indicator sources) must be classified."""
    display = display_name(cat.path, cat.root)
    named = [{"where": f"series.{s.id}.methodology[{i}].source_url", "source_url": m.source_url}
             for s in cat.series.values() for i, m in enumerate(s.methodology)]
    named += [{"where": f"indicators.{i.id}.source.url", "source_url": i.source_url} for i in cat.indicators.values()]
    return [problem(display, None, n["where"], "check.unclassified_source", domain=domain_of(n["source_url"]) or n["source_url"])
            for n in named if n["source_url"] is None or tiers.tier(n["source_url"]) is None]


def _untranslated(cat: Catalogue, rankings: list[Record], components: Held) -> list[Message]:
    """Korean mode shows the focus city's notes in Korean: a focus-city note without `note_ko` is a warning."""
    out = []
    held = sql.execute(components.con, "focus_notes_without_ko", city=cat.focus_city)
    names = [d[0] for d in held.description]
    for frame in (rankings, [dict(zip(names, r)) for r in held.fetchall()]):
        for rec in frame:
            if rec["city"] != cat.focus_city or rec["note"] is None or rec.get("note_ko") is not None:
                continue
            where = rec.get("source_file") or cat.series[rec["index_id"]].components_file.name
            out.append(Message("build.note_without_ko", {"file": where, "index_id": rec["index_id"],
                                                          "edition": rec["edition"], "city": cat.focus_city}))
    return out


def _indicator_tables(cat: Catalogue) -> Tables:
    rows, feeds = [], []
    for seq, ind in enumerate(cat.indicators.values(), start=1):
        rows.append({
            "indicator_id": ind.id, "seq": seq, "name_ko": ind.name.ko, "name_en": ind.name.en,
            "definition_ko": ind.definition.ko, "definition_en": ind.definition.en,
            "unit_ko": ind.unit.ko, "unit_en": ind.unit.en, "unit_kind": ind.unit_kind,
            "min_value": ind.min, "max_value": ind.max, "direction": ind.direction, "cadence": ind.cadence,
            "office_id": ind.office_id, "source": ind.source_name, "source_url": ind.source_url,
            "target_2030": None if ind.target_2030 is None else ind.target_2030.value,
            "target_source": None if ind.target_2030 is None else ind.target_2030.source,
            "target_source_url": None if ind.target_2030 is None else ind.target_2030.source_url,
            "note": ind.note,
        })
        for fseq, f in enumerate(ind.feeds, start=1):
            feeds.append({"indicator_id": ind.id, "seq": fseq, "index_id": f.series, "component_id": f.component, "note": f.note})
    columns = ["indicator_id", "seq", "name_ko", "name_en", "definition_ko", "definition_en", "unit_ko", "unit_en",
               "unit_kind", "min_value", "max_value", "direction", "cadence", "office_id", "source", "source_url",
               "target_2030", "target_source", "target_source_url", "note"]
    return {
        "indicator": Table(columns, rows),
        "indicator_feed": Table(["indicator_id", "seq", "index_id", "component_id", "note"], feeds),
    }


def _source_tiers(cat: Catalogue) -> tuple[SourceTiers | None, list[Problem]]:
    domains_display = "" if cat.source_domains_file is None else display_name(cat.source_domains_file, cat.root)
    return load_source_tiers(cat.source_domains_file, domains_display, tuple(cat.source_tiers))


def _read_published(cat: Catalogue, stage_at: Path | None, meanwhile: Callable[[SourceTiers], T],
                    settle: Callable[[CityMap, Table, list[Record] | HeldRankings], S]
                    ) -> tuple[SourceTiers, CityMap, Table, list[Record] | HeldRankings, Held, T, S, bool]:
    """The source tiers, the city mapping, the editions, and every series' rankings and components as the
    ledger holds them; every problem of all of them at once. The component rows go straight into `stage_at`
    when given (the published part's staged file: rankings.start_components). Last, whether component_row's key
    is proved by the files themselves (rankings.keys_apart).

    `meanwhile(tiers)` runs on this thread while the components files are still read in the background (a small
    ledger's rankings files first, on the same thread: meanwhile runs before they are needed; a large ledger's after
    they are read here), so the build's other tables are made in that time instead of after it, then `settle(cities, editions, rankings)` when the files read so far have no problem
    (what the published tables but component_row need: made and checked in that time too, not after the last
    components file, issue 13); what they return comes after the rankings. Raised there, an error is raised only
    once the published files have no problem, as if it had run after them.

    The ledger files are read on the build's own DuckDB (`schemas.reading_on`: the build makes no other, issue 13)."""
    # the component rows gather in DuckDB, never in Python
    small = small_ledger(cat)  # its published part in small blocks, staged without a log (issue 13)
    components = start_components(cat.build.memory_limit_mb, warehouse.table_statement(COMPONENT_ROWS), stage_at,
                                  None if stage_at is None else warehouse.schema_template(small=small), small)
    try:
        with reading_on(components):
            return _read_published_on(cat, components, meanwhile, settle)
    except BaseException:  # what the build held goes (a ProblemsFound has let it go already)
        let_go_components()
        raise


def _on(con: duckdb.DuckDBPyConnection, work: Callable[..., A], *args: object) -> A:
    """`work(*args)` on a thread of the build's pool, reading on the build's DuckDB `con` (schemas.reading_on)."""
    with reading_on(con):
        return work(*args)


def _read_published_on(cat: Catalogue, components: duckdb.DuckDBPyConnection, meanwhile: Callable[[SourceTiers], T],
                       settle: Callable[[CityMap, Table, list[Record] | HeldRankings], S]
                       ) -> tuple[SourceTiers, CityMap, Table, list[Record] | HeldRankings, Held, T, S, bool]:
    """_read_published, once the build's DuckDB (`components`) is made."""
    problems: list[Problem] = []
    cities_file = display_name(cat.cities_file, cat.root)
    tiers, more = _source_tiers(cat)
    problems += more
    if tiers is None:
        problems += load_cities(cat.cities_file, cities_file)[1]
        let_go_components()
        raise ProblemsFound(problems)
    # the components files are read in the background (DuckDB, on threads of its own) while the city mapping, the
    # editions and the rankings are read here: a core no longer waits for the other (issue 13). A file's rows go in
    # at once; judging them waits for the city mapping and the editions (`known`).
    known: Known = concurrent.futures.Future()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="cityidx-components") as background:
        # a small ledger's rankings files read and checked in the background too, first: they need nothing read before
        # them, and the main thread was the build's longest path while the other core waited; the main thread needs
        # them once it has made the other tables, the components files only at the end (issue 13)
        holding = background.submit(_on, components, hold_rankings, cat) if small_rankings(cat) else None
        reading = background.submit(read_all_components, components, cat, known, tiers)
        cities, editions = None, None
        try:
            cities, more = load_cities(cat.cities_file, cities_file)
            problems += more
            problems += _catalogue_sources(cat, tiers)
            editions, more = read_editions(cat, tiers)
            problems += more
        finally:  # whatever happened, the readers learn it (None: they stop before judging a file)
            known.set_result(None if cities is None or editions is None else (cities, editions))
        if cities is None or editions is None:
            reading.result()
            concurrent.futures.wait([f for f in (holding,) if f is not None])  # before the DuckDB they read on goes
            let_go_components()
            raise ProblemsFound(problems)
        made, settled, failed = None, None, None
        if holding is not None:  # the rest made while the rankings files are still read
            try:
                made = meanwhile(tiers)
            except Exception as exc:  # noqa: BLE001 - raised below, after the published files' own problems
                failed = exc
        # every rankings file read and checked in one pass, then the checks across files on all their rows at once;
        # a large ledger's ranking_row made and checked in the build's DuckDB, never as records (issue 13)
        rankings = None if holding is not None else rank_in_duckdb(
            components, cat, cities, editions, tiers, warehouse.table_statement("ranking_row"),
            lambda focus: _missing_focus_rows(cat, focus, editions))
        if rankings is None:
            rankings, more = read_rankings(cat, cities, editions, tiers,
                                           hold_rankings(cat) if holding is None else holding.result())
            problems += more
        try:
            if holding is None:
                made = meanwhile(tiers)
            if rankings is not None and not problems and failed is None:
                settled = settle(cities, editions, rankings)
        except Exception as exc:  # noqa: BLE001 - raised below, after the published files' own problems
            failed = exc
        more, written = reading.result()
        problems += more
    for c in (cat.focus_city, *cat.peer_cities):
        if cities.resolve(c) != c:
            problems.append(problem(display_name(cat.path, cat.root), None, "peer_cities", "check.unmapped_city", value=c))
    if problems:
        let_go_components()
        raise ProblemsFound(problems)
    if failed is not None:
        raise failed
    return tiers, cities, editions, rankings, Held(components, COMPONENT_ROWS), made, settled, keys_apart(written)


def _published_tables(cat: Catalogue, stage_at: Path | None, meanwhile: Callable[[SourceTiers], T]
                      ) -> tuple[Tables, list[Message], T, set[str], list[Problem]]:
    """The city, edition, ranking and component tables, with a `not_found` row wherever the focus city has none;
    the warnings name what the ledger holds but nothing uses, and focus-city notes without Korean; what
    `meanwhile` made (`_read_published`); the tables whose unique key is proved already; and the problems of every
    table but component_row (`_checked`: each checked while the components files were still read)."""
    def settle(cities: CityMap, editions: Table, rankings: list[Record] | HeldRankings
               ) -> tuple[Tables, list[Message], list[Record], list[Problem]]:
        if isinstance(rankings, HeldRankings):  # made in DuckDB, the focus city's missing rows with them
            used, spelled, table = rankings.used, rankings.source_cities, rankings.table
            rankings = rankings.untranslated  # what _untranslated reads of the rows
        else:
            used = {(r["index_id"], r["edition"]) for r in rankings}
            rankings = rankings + _missing_focus_rows(cat, rankings, editions)
            spelled = {r["source_city"] for r in rankings if r["source_city"] is not None}
            table = Table(list(RANKING_COLUMNS), sorted(rankings, key=lambda r: (r["index_id"], r["edition"], r["city"])),
                          RANKING_TYPES)
        editions_file = display_name(cat.editions_file, cat.root)
        warnings = [Message("build.edition_without_rows", {"file": editions_file, "index_id": index_id, "edition": edition})
                    for index_id, edition in zip(editions["index_id"], editions["edition"]) if (index_id, edition) not in used]
        cities_file = display_name(cat.cities_file, cat.root)
        warnings += [Message("build.unused_alias", {"file": cities_file, "alias": alias})
                     for alias in cities.unused_aliases(spelled)]
        tables = {"city": cities.table, "edition": editions, "ranking_row": table}
        # a table made in DuckDB went in under its primary key: its key is proved (_checked)
        problems = _checked_early(tables, set() if isinstance(table, Table) else {"ranking_row"})
        return tables, warnings, rankings, problems

    *_, components, made, settled, apart = _read_published(cat, stage_at, meanwhile, settle)
    tables, warnings, rankings, problems = settled
    warnings += _untranslated(cat, rankings, components)
    # component_row is held in DuckDB (in the staged file itself, given one)
    return tables | {"component_row": components}, warnings, made, {"component_row"} if apart else set(), problems


# The seed's value versions as a write replays them, kept per process by what they are read and judged from (issue
# 13: reading the seed file and the source classification, each through DuckDB, was ~60 ms of CPU of every upload)
_SEED_READ: dict[tuple, list[tuple]] = {}


def _seed_key(cat: Catalogue) -> tuple | None:
    """What the seed's versions are a function of: the bytes of the seed file and of the source classification, and
    what the catalogue says of their names, its source tiers and its indicators; None when a file cannot be read
    (then it is read as always, and its problem said)."""
    try:
        contents = tuple(None if f is None else hashlib.sha256(f.read_bytes()).hexdigest()
                         for f in (cat.seed_values_file, cat.source_domains_file))
    except OSError:
        return None
    return (contents, str(cat.root), str(cat.seed_values_file), str(cat.source_domains_file), tuple(cat.source_tiers),
            tuple((i.id, i.cadence, i.office_id) for i in cat.indicators.values()))


def _city_value_tables(cat: Catalogue, pending: list[tuple[Path, str]] | None, tiers: SourceTiers | None,
                       sealed: set[str] | None = None, seed_key: tuple | None = None) -> Tables:
    """Every version of every city-managed value (seed file, then uploads in order) and the uploads themselves.

    The versions are made as tuples and kept as one list per column (schemas.Columns): a 10,000-row upload's rows go
    to DuckDB without pandas and without a dict per row (issue 13). `seed_key` (_seed_key): the seed's versions are
    taken as read before under that key, or kept under it once read and judged; `tiers` is needed only when they
    are read (None: they were, under `seed_key`)."""
    kept = None if seed_key is None else _SEED_READ.get(seed_key)
    versions, uploads, problems = ledger_values(cat, pending, accounts.load_accounts(), sealed or set(), seed=kept)
    at = {c: i for i, c in enumerate(VERSION_COLUMNS)}
    if kept is None:
        seed = [dict(zip(VERSION_COLUMNS, v)) for v in versions if v[at["upload_id"]] == "seed"]
        if seed and cat.seed_values_file is not None and tiers is None:  # let go meanwhile: read them now
            tiers, more = _source_tiers(cat)
            if tiers is None or more:
                raise ProblemsFound(more)
        if seed and cat.seed_values_file is not None:
            _, more = classify_records(seed, tiers, display_name(cat.seed_values_file, cat.root), row="row")
            problems += more
        if not problems and seed_key is not None:
            if len(_SEED_READ) > 8:
                _SEED_READ.clear()
            _SEED_READ[seed_key] = [v for v in versions if v[at["upload_id"]] == "seed"]
    if problems:
        raise ProblemsFound(problems)
    # in key order, then one list per column; a version without its own source or source URL has the indicator's
    versions.sort(key=operator.itemgetter(at["indicator_id"], at["period"], at["uploaded_at"], at["upload_id"]))
    columns = [c if c != "row" else "ledger_row" for c in VERSION_COLUMNS]
    lists = [list(c) for c in zip(*versions)] if versions else [[] for _ in columns]
    named = {ind.id: (ind.source_name, ind.source_url) for ind in cat.indicators.values()}
    ids = lists[at["indicator_id"]]
    for column, which in (("source", 0), ("source_url", 1)):
        given = lists[at[column]]
        if None in given:
            lists[at[column]] = [v if v is not None or i not in named else named[i][which] for i, v in zip(ids, given)]
    lists[at["value"]] = [v if v is None or type(v) is float else float(v) for v in lists[at["value"]]]
    # the key (indicator_id, period, upload_id), proved as the rows were made: an upload's records hold each indicator
    # and period once (uploads.ParsedUpload.records), no two uploads share an id, and no two seed rows a key
    seed_keys = [(v[at["indicator_id"]], v[at["period"]]) for v in versions if v[at["upload_id"]] == "seed"]
    upload_ids = [u["upload_id"] for u in uploads]
    apart = (len(set(seed_keys)) == len(seed_keys) and len(set(upload_ids)) == len(upload_ids)
             and "seed" not in upload_ids)
    return {
        "indicator_version": Columns(dict(zip(columns, lists)), {"ledger_row": "Int64", "value": "float64"}, apart),
        "ledger_upload": Table(UPLOAD_COLUMNS, uploads, {"bytes": "Int64", "rows": "Int64"}),
    }


def _sealed_ledger(cat: Catalogue, kind: str | None = None) -> tuple[seal.Report, list[Message]]:
    """The seal verified (every problem names its file), of every stream or those of one `kind` (what a write
    rebuilds); entries a killed writer committed become warnings."""
    report = seal.verify(cat, kind=kind)
    if not report.ok:
        raise ProblemsFound([Problem(shown, None, None, m.text("ko"), m.text("en")) for shown, m in report.problems])
    return report, [seal.interrupted_message(entry, content) for entry, content in report.interrupted]


def _forum_tables(cat: Catalogue, pending_events: list[Path] | None, sealed: set[str] | None = None) -> Tables:
    """The forum log replayed into meetings, agenda items and action items, each author checked against the accounts."""
    try:
        events = read_events(cat, pending_events)
        authors = forum.Authors(accounts.load_accounts(), sealed or set(), {f"data/raw/forum/{p.name}" for p in pending_events or []})
        return forum.table_records(forum.replay(events, cat, authors), events)
    except ForumError as exc:
        raise ProblemsFound([Problem("data/raw/forum", None, None, exc.text("ko"), exc.text("en"))]) from exc


def _checked_early(tables: Tables, keyed: set[str] = frozenset()) -> list[Problem]:
    """`_checked`, the published part's tables appended to the staged file as they are checked (warehouse.stage_early,
    while the components files are read; nothing appended when any has a problem): each table held in DuckDB once,
    judged and appended from there (issue 13); the others (a build that stages nothing) judged as `_checked` does."""
    checks = {}
    for name, model in WAREHOUSE_MODELS.items():  # in the model's columns, as _checked keeps them
        if isinstance(tables.get(name), Table):
            tables[name] = tables[name].select(list(model.to_schema().columns))
            checks[name] = functools.partial(_judged_rows, model, f"warehouse:{name}")
    return _checked(tables, keyed, judged=warehouse.stage_early(tables, checks))


def _judged_rows(model: Model, display: str, rows: duckdb.DuckDBPyRelation, count: int) -> list[Problem]:
    """Every problem of a Python-made table's `count` rows, held in DuckDB (`ROW`: each record's place)."""
    return find_problems(rows, model, display, rows=count)


def _checked(tables: Tables, keyed: set[str] = frozenset(), judged: dict[str, list[Problem]] | None = None
             ) -> list[Problem]:
    """Every problem of every warehouse table among `tables` against its pandera model (by DuckDB: a table held there
    where it lies, rows by rowid; a table made in Python as DuckDB rows, each named by its place); a table made in
    Python is kept in its model's columns. `keyed`: the tables whose unique key the build proved as their rows were
    made (component_row when no two components files stored rows of one series and edition, rankings.keys_apart):
    every rule but that one. Should the proof fail, the key is judged on the whole table, which names the rows that
    share one. `judged`: the problems of the tables judged already (`_checked_early`), by name."""
    problems: list[Problem] = []
    for name, model in WAREHOUSE_MODELS.items():
        if name not in tables:
            continue
        if isinstance(tables[name], Held):  # held in DuckDB: checked there, rows by rowid (a few by their kept scan)
            held = tables[name]
            problems += find_problems(held.stored(), model, f"warehouse:{name}", rows=held.count(),
                                      key_proven=name in keyed)
            continue
        if in_duckdb(tables[name]):  # a large ledger's ranking_row, held in DuckDB as a relation
            problems += find_problems(tables[name].select(col("rowid").alias(ROW), *map(col, tables[name].columns)),
                                      model, f"warehouse:{name}", key_proven=name in keyed)
            continue
        tables[name] = tables[name].select(list(model.to_schema().columns))
        if judged is not None and name in judged:
            problems += judged[name]
            continue
        problems += validate_frame(tables[name], model, f"warehouse:{name}")
    return problems


def _validated(tables: Tables, keyed: set[str] = frozenset()) -> Tables:
    """Every warehouse table among `tables` checked against its pandera model (`_checked`), or every problem."""
    problems = _checked(tables, keyed)
    if problems:
        raise ProblemsFound(problems)
    return tables


def collect(cat: Catalogue, pending: list[tuple[Path, str]] | None = None,
            pending_events: list[Path] | None = None, path: Path | None = None) -> BuildResult:
    """Read and validate the whole ledger; raise ProblemsFound listing every problem; write nothing live.

    `pending` and `pending_events` are staged ledger entries a write is about to commit. `path`: the warehouse a
    write will stage next (the caller holds its lock); the component rows are written into its staged published
    part as they are read (removed again if the write does not take it: rankings.let_go_components).
    """
    # Load inputs: the ledger's seal, the published rankings, the city's own values, the forum log (each stage
    # stops on its problems).
    report, interrupted = _sealed_ledger(cat)
    sealed = {e.shown for e, _ in report.sealed}
    stage_at = None if path is None else warehouse.staged_path(path, "published")

    def the_rest(tiers: SourceTiers) -> tuple[Tables, list[Problem]]:
        # the city's own values, the forum log, and the catalogue as tables: made (and checked) while the rankings and
        # components files are read
        city_values = _city_value_tables(cat, pending, tiers, sealed)
        forum_tables = _forum_tables(cat, pending_events, sealed)
        tables = _catalogue_tables(cat, tiers) | _indicator_tables(cat) | forum_tables | city_values
        problems = _checked_early(tables)  # the catalogue's tables into the staged published part
        return tables, problems

    published, warnings, (rest, found), keyed, problems = _published_tables(cat, stage_at, the_rest)
    warnings = interrupted + warnings
    # Process: the catalogue and the ledger as one set of tables.
    tables = rest | published
    # Save outputs: every table valid, or every problem (all but component_row's found as the files were read).
    problems += found + _checked({"component_row": tables["component_row"]}, keyed)
    if problems:
        raise ProblemsFound(problems)
    return BuildResult(held=tables, warnings=warnings)


def collect_values(cat: Catalogue, pending: list[tuple[Path, str]] | None = None) -> Tables:
    """The values part alone (uploads and every value version), validated: what an upload rebuilds. The seed and the
    source classification are read again only when their bytes or the catalogue changed since this process last read
    them (_seed_key)."""
    key = _seed_key(cat)
    tiers = None
    if key is None or key not in _SEED_READ:
        tiers, problems = _source_tiers(cat)
        if tiers is None or problems:
            raise ProblemsFound(problems)
    report, _ = _sealed_ledger(cat, "departments")
    return _validated(_city_value_tables(cat, pending, tiers, {e.shown for e, _ in report.sealed}, key))


def collect_forum(cat: Catalogue, pending_events: list[Path] | None = None) -> Tables:
    """The forum part alone, replayed from the log: what a forum event rebuilds."""
    report, _ = _sealed_ledger(cat, "forum")
    return _validated(_forum_tables(cat, pending_events, {e.shown for e, _ in report.sealed}))


@contextlib.contextmanager
def within_memory(cat: Catalogue):
    """DuckDB out of memory (beyond the build's limit, with nowhere left to spill) said as a CityIdxError; what
    was staged has gone by then, so nothing changed."""
    try:
        yield
    except duckdb.OutOfMemoryException as exc:
        raise CityIdxError("build.out_of_memory", limit_mb=cat.build.memory_limit_mb,
                           detail=str(exc).splitlines()[0][:200]) from exc


def build(cat: Catalogue, path: Path | None = None, lock_timeout: float = store.LOCK_TIMEOUT_SECONDS) -> BuildResult:
    """Collect, then write the warehouse atomically; a failure leaves the previous file as it was."""
    started = time.perf_counter()
    path = path or warehouse.warehouse_path()
    with store.writing(cat, path, lock_timeout), seal.appending(cat), within_memory(cat):
        try:
            result = collect(cat, path=path)
            result.counted = result.counts  # before the write, which lets the held rows go
            warehouse.write(result.held, path)
        finally:
            # written or not (a problem, out of memory ...), what the build held in DuckDB goes; component_row is
            # read from the warehouse from now on
            let_go_components()
        seal.acknowledge(cat)  # entries a killed writer committed are now in the warehouse and have been reported
    result.seconds = time.perf_counter() - started
    result.path = path
    return result
