"""The rules of every file and table (the pandera models of pipelines/models.py, read as data), run by DuckDB, and the
turning of their failures into problems that name file, row and column."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import hashlib
import json
import math
import operator
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import importlib.util
from typing import TYPE_CHECKING, Any, TypeVar

from pipelines import sql
from pipelines.sql import parts
from pipelines.errors import CityIdxError
from pipelines.formats import DATE_RE, FLAGS_RE, MONTH_RE, STATUSES, URL_RE  # noqa: F401 (the vocabulary, re-exported)
from pipelines.messages import parsed, t

if TYPE_CHECKING:
    import pandas as pd

# DuckDB's engine at once, its Python layer (relations and expressions) only where one is built: a build whose queries
# are kept runs them on the engine alone (kept_sql; issue 13, quick start-up)
duckdb = parts.Lazy()


def relational(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """`con` with its relation methods (`table`, `sql`, `from_df` ...): the package's Python layer, which adds them to
    the engine's connection, loaded first."""
    duckdb.DuckDBPyRelation  # noqa: B018 - asked for to load the layer
    return con


def col(*args: object) -> duckdb.Expression:
    return duckdb.col(*args)


def fn(*args: object) -> duckdb.Expression:
    return duckdb.fn(*args)


def lit(*args: object) -> duckdb.Expression:
    return duckdb.lit(*args)


FIRST_DATA_ROW = 2  # a spreadsheet numbers the header row 1
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one cell (or row, or file), in Korean and English."""

    file: str
    row: int | None
    column: str | None
    ko: str
    en: str
    cell: str | None = None  # as a spreadsheet names it (`C7`), for uploads

    def where(self, lang: str) -> str:
        if self.cell:
            return t("problem.location_cell", lang, file=self.file, cell=self.cell, column=self.column)
        if self.row is not None and self.column:
            return t("problem.location", lang, file=self.file, row=self.row, column=self.column)
        if self.column:
            return t("problem.location_column", lang, file=self.file, column=self.column)
        return t("problem.location_file", lang, file=self.file)

    def text(self, lang: str) -> str:
        return f"{self.where(lang)}: {self.ko if lang == 'ko' else self.en}"

    def both(self) -> str:
        return f"{self.text('ko')}\n    {self.text('en')}"


def problem(file: str, row: int | None, column: str | None, key: str, **values: object) -> Problem:
    return Problem(file, row, column, t(key, "ko", **values), t(key, "en", **values))


class ProblemsFound(CityIdxError):
    """Raised with every problem found; nothing has been written.

    `key` is the closing line (how many, and what was left unchanged): a build says the warehouse, an
    upload says the file was rejected.
    """

    def __init__(self, problems: list[Problem], key: str = "problems.found", total: int | None = None):
        """`total`: how many problems there are when `problems` holds only the first of them."""
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.row or 0, p.column or ""))
        self.total = max(total or 0, len(self.problems))
        super().__init__(key, count=self.total)

    def _more(self, lang: str) -> list[str]:
        hidden = self.total - len(self.problems)
        return [t("problems.more", lang, count=hidden, shown=len(self.problems))] if hidden > 0 else []

    def text(self, lang: str) -> str:
        return "\n".join([*(f"- {p.text(lang)}" for p in self.problems), *self._more(lang), self.summary(lang)])

    def __str__(self) -> str:
        more = [f"{a} / {b}" for a, b in zip(self._more("ko"), self._more("en"))]
        return "\n".join([*(f"- {p.both()}" for p in self.problems), *more, f"{self.summary('ko')} / {self.summary('en')}"])


# --- the models, as data ------------------------------------------------------------------------------------------
# Every rule is declared once, as a pandera model in pipelines/models.py. What the checks here read of a model (its
# columns, their nullability, uniqueness and checks, its unique key, whether it is strict) is kept as data per
# content of models.py, formats.py and pandera's version (`pipelines.messages.parsed`), so that a build, a check or
# an upload does not import pandera (~0.14 s of CPU of every such command) unless one of them changed.

SPEC_FORMAT = "1"  # changed when what `_spec` keeps changes shape: every spec kept before is then ignored


@dataclass(frozen=True)
class CheckSpec:
    """One pandera check of a column, as the DuckDB rules read it (`_passes`, `_describe`)."""

    name: str
    statistics: dict
    error: str | None


@dataclass(frozen=True)
class ColumnSpec:
    nullable: bool
    unique: bool
    required: bool
    checks: tuple[CheckSpec, ...]


@dataclass(frozen=True)
class SchemaSpec:
    """What `pandera.DataFrameModel.to_schema()` says of a model, for what the rules read: the columns in order."""

    columns: dict[str, ColumnSpec]
    unique: list[str] | None
    strict: bool | str
    checks: tuple


def _describe_model(model) -> dict:
    """A pandera model's schema as plain data (what `_spec` keeps)."""
    schema = model.to_schema()
    if schema.checks:
        raise ValueError(f"{model.__name__}: a check across columns belongs in schemas.WIDE_CHECKS, not in pandera")
    return {"strict": schema.strict, "unique": None if schema.unique is None else list(schema.unique),
            "columns": [[name, {"nullable": bool(c.nullable), "unique": bool(c.unique), "required": bool(c.required),
                                "checks": [[k.name, k.statistics, k.error] for k in c.checks]}]
                        for name, c in schema.columns.items()]}


def _make_spec() -> dict:
    from pipelines import models  # pandera: only when the models, their vocabulary or pandera changed

    return {name: _describe_model(model) for name, model in models.MODELS.items()}


def _spec_sources() -> list[Path]:
    """The files the models' data is a function of: the models, their vocabulary, and pandera's version (found
    without importing pandera)."""
    here = Path(__file__).resolve().parent
    found = importlib.util.find_spec("pandera")
    pandera_version = Path(found.origin).with_name("_version.py") if found and found.origin else None
    return [here / "models.py", here / "formats.py", *([pandera_version] if pandera_version and pandera_version.is_file() else [])]


@functools.cache
def _spec() -> dict[str, SchemaSpec]:
    kept = parsed.load(_spec_sources(), f"models-{SPEC_FORMAT}", _make_spec)
    return {name: SchemaSpec(
        columns={column: ColumnSpec(c["nullable"], c["unique"], c["required"],
                                    tuple(CheckSpec(n, s, e) for n, s, e in c["checks"]))
                 for column, c in m["columns"]},
        unique=m["unique"], strict=m["strict"], checks=()) for name, m in kept.items()}


class Model:
    """One model of pipelines/models.py, by name: `.to_schema()` answers what pandera's would for what the rules read
    (from the kept data: no pandera); `.pandera` is the model itself (loads pandera)."""

    def __init__(self, name: str) -> None:
        self.__name__ = name

    def __repr__(self) -> str:
        return f"Model({self.__name__!r})"

    def to_schema(self) -> SchemaSpec:
        return _spec()[self.__name__]

    @property
    def pandera(self):
        from pipelines import models  # pandera, for a caller that wants the model itself

        return models.MODELS[self.__name__]


RawRanking = Model("RawRanking")
RawComponent = Model("RawComponent")
RawEdition = Model("RawEdition")
RawSourceDomain = Model("RawSourceDomain")
RawCity = Model("RawCity")
RawSeedValue = Model("RawSeedValue")
CityTable = Model("CityTable")
EditionTable = Model("EditionTable")
RankingTable = Model("RankingTable")
ComponentTable = Model("ComponentTable")
IndicatorVersionTable = Model("IndicatorVersionTable")
LedgerUploadTable = Model("LedgerUploadTable")
MODELS = (RawRanking, RawComponent, RawEdition, RawSourceDomain, RawCity, RawSeedValue, CityTable, EditionTable,
          RankingTable, ComponentTable, IndicatorVersionTable, LedgerUploadTable)


WAREHOUSE_MODELS: dict[str, Model] = {
    "city": CityTable,
    "edition": EditionTable,
    "ranking_row": RankingTable,
    "component_row": ComponentTable,
    "indicator_version": IndicatorVersionTable,
    "ledger_upload": LedgerUploadTable,
}


# --- reading and reporting ------------------------------------------------------------------


# The longest header line read before the rows (a real one is under 200 bytes); longer is itself a problem.
MAX_HEADER_BYTES = 64 * 1024
MAX_HEADER_PROBLEMS = 20


def check_header(path: Path, display: str, model: Model) -> list[Problem]:
    """The header line alone against a strict model, before any row is read: a file of 10,000 columns is
    refused in milliseconds, with its first unknown columns named, not after the whole file is parsed."""
    schema = model.to_schema()
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            line = f.readline(MAX_HEADER_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        return [problem(display, None, None, "check.unreadable_csv", value=str(exc).splitlines()[0][:200])]
    if not line.strip():  # DuckDB would read it as one empty column
        return [problem(display, None, None, "check.unreadable_csv", value="no header row (빈 파일) / empty file")]
    if not schema.strict:
        return []
    if len(line) > MAX_HEADER_BYTES:
        return [problem(display, 1, None, "check.header_too_long", limit=MAX_HEADER_BYTES)]
    header = [c.strip() for c in next(csv.reader([line]), [])]
    unknown = [c for c in header if c not in schema.columns]
    missing = [n for n, c in schema.columns.items() if c.required and n not in header]
    found = [problem(display, None, c, "check.unknown_column", value=c) for c in unknown[:MAX_HEADER_PROBLEMS]]
    found += [problem(display, None, c, "check.missing_column", value=c) for c in missing]
    if len(unknown) > MAX_HEADER_PROBLEMS:
        found.append(problem(display, 1, None, "check.more_unknown_columns", count=len(unknown) - MAX_HEADER_PROBLEMS))
    return found


_READER: list = []  # one in-memory DuckDB for the process; each user takes its own cursor (thread-safe)
_READER_LOCK = threading.Lock()


_LENT = threading.local()  # `con`: the DuckDB this thread reads on instead (reading_on)


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's one working (in-memory) DuckDB, where ledger files are read and checked and a
    build holds its large tables: a new database per file cost ~11 ms, a cursor ~0.1 ms. What a read holds there
    (a temporary table) belongs to its cursor and goes when the cursor closes. On a thread reading on a build's own
    DuckDB (`reading_on`), a cursor on that one."""
    lent = getattr(_LENT, "con", None)
    if lent is not None:
        return lent.cursor()
    with _READER_LOCK:
        if not _READER:
            _READER.append(duckdb.connect())
        return _READER[0].cursor()


@contextlib.contextmanager
def reading_on(con: duckdb.DuckDBPyConnection):
    """While it lasts, this thread's reads (`cursor`) go to `con`'s DuckDB: a build reads its ledger files on the
    DuckDB it holds anyway (rankings.start_components), under its memory limit, so `cityidx build` never makes the
    working one (issue 13: a DuckDB instance is ~10 ms of CPU to make and ~5 to close). Other threads keep theirs."""
    before = getattr(_LENT, "con", None), getattr(_LENT, "csv", None)
    _LENT.con, _LENT.csv = con, None
    try:
        yield con
    finally:
        if _LENT.csv is not None:
            _LENT.csv.close()
        _LENT.con, _LENT.csv = before


def _csv_cursor() -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A cursor where `ledger_csv` is made (ledger_csv_macro), and whether the caller closes it. While this thread
    reads on a build's DuckDB (`reading_on`), one such cursor serves every small file it reads, closed when that ends:
    making the macro binds its read_csv (~2 ms of CPU, once for each of a build's four small ledger files before,
    issue 13); what a read holds there (`held`) is replaced by the next read's."""
    lent = getattr(_LENT, "con", None) is not None
    if lent and _LENT.csv is not None:
        return _LENT.csv, False
    con = cursor()  # on the lent DuckDB while reading_on lasts, else on the working one
    try:
        sql.execute(con, "ledger_csv_macro")
    except BaseException:
        con.close()
        raise
    if lent:
        _LENT.csv = con
    return con, not lent


_LIMIT_RE = re.compile(r"\(([-\d.e+]+)\)")


def _describe(check: str, value: object, column: str | None, key_cols: list[str]) -> tuple[str, dict]:
    """Map a pandera check name to a message key of the catalogue and its values."""
    v = "" if value is None or (isinstance(value, float) and math.isnan(value)) else value
    if check.startswith("greater_than_or_equal_to") or check.startswith("greater_than("):
        m = _LIMIT_RE.search(check)
        return "check.too_small", {"value": v, "limit": m.group(1) if m else "?"}
    if check.startswith("less_than_or_equal_to") or check.startswith("less_than("):
        m = _LIMIT_RE.search(check)
        return "check.too_large", {"value": v, "limit": m.group(1) if m else "?"}
    if check.startswith("isin"):
        allowed = check[check.find("[") + 1 : check.rfind("]")].replace("'", "")
        return "check.not_allowed", {"value": v, "allowed": allowed}
    if check.startswith("str_matches"):
        if URL_RE in check:
            return "check.url", {"value": v}
        if DATE_RE in check:
            return "check.date", {"value": v}
        if MONTH_RE in check:
            return "check.month", {"value": v}
        if FLAGS_RE in check:
            return "check.flags", {"value": v}
        return "check.bad_format", {"value": v, "expected": check[len("str_matches(") : -1]}
    if check.startswith("str_length"):
        return "check.missing_value", {}
    if check == "not_nullable":
        return "check.missing_value", {}
    if check in ("multiple_fields_uniqueness", "field_uniqueness"):
        return "check.duplicate_key", {"columns": ", ".join(key_cols) if key_cols else column}
    if check == "column_in_dataframe":
        return "check.missing_column", {"value": v}
    if check == "column_in_schema":
        return "check.unknown_column", {"value": v}
    if check == "rank_status":
        return "check.rank_status", {"value": v}
    if check == "rank_or_score":
        return "check.rank_or_score", {}
    if check == "bound_status":
        return "check.bound_status", {"value": v}
    return "check.failed", {"check": check, "value": v}



# --- the models' rules, run where the rows are (DuckDB) ----------------------------------------------------
#
# The pandera models above declare every rule once. `rules(model, columns)` turns each into a DuckDB expression
# (DuckDB's expression API: no SQL text) that is true on a row breaking it; `find_problems` evaluates them all
# in one scan of the rows and names file, row and column for each failure, in the words of `_describe`.
# Checks across columns are declared in WIDE_CHECKS below, each with the column it is reported at.

ROW = "_row"  # beside the columns: the row as a spreadsheet numbers it (or the frame's index)


@dataclass(frozen=True)
class Rule:
    """One rule of a model on one column: `failed` is true on a row that breaks it."""

    column: str | None
    check: str  # as pandera names it (`str_matches('^...$')`, `not_nullable`): `_describe` turns it into words
    failed: duckdb.Expression
    value: str | None  # the column whose cell the message quotes
    reads: tuple[str, ...] = ()  # the columns `failed` reads (one: judged on that column's distinct values)
    key: tuple[str, ...] = ()  # a uniqueness rule: the columns whose values no two rows share


def _rank_status() -> duckdb.Expression:
    return col("rank").isnotnull() != duckdb.coalesce(col("status") == "ranked", False)


def _bound_status() -> duckdb.Expression:
    return col("rank_bound").isnotnull() & ~duckdb.coalesce(col("status") == "rank_unknown", False)


def _rank_or_score() -> duckdb.Expression:
    return col("rank").isnull() & col("score").isnull()


# model -> check name -> (the column a failure is reported at, the columns it reads, true where a row fails)
WIDE_CHECKS: dict[Model, dict[str, tuple[str, tuple[str, ...], Callable[[], duckdb.Expression]]]] = {
    RawRanking: {
        "rank_status": ("status", ("rank", "status"), _rank_status),  # a rank exactly when `ranked`
        "bound_status": ("rank_bound", ("rank_bound", "status"), _bound_status),  # a bound only when rank_unknown
    },
    RawComponent: {"rank_or_score": ("rank", ("rank", "score"), _rank_or_score)},  # a rank, a score or both
}


def _passes(check: CheckSpec, cell: duckdb.Expression) -> duckdb.Expression:
    """A pandera column check as a DuckDB expression, true where a (non-missing) cell passes it."""
    stats = check.statistics
    if check.name == "str_length":
        length, ok = fn("length", cell), lit(True)
        if stats.get("exact_value") is not None:
            ok = ok & (length == stats["exact_value"])
        if stats.get("min_value") is not None:
            ok = ok & (length >= stats["min_value"])
        if stats.get("max_value") is not None:
            ok = ok & (length <= stats["max_value"])
        return ok
    if check.name == "str_matches":  # pandera matches at the start, like re.match
        return fn("regexp_matches", cell, f"^(?:{stats['pattern']})")
    if check.name == "isin":
        return cell.isin(*stats["allowed_values"])
    if check.name == "greater_than_or_equal_to":
        return cell >= stats["min_value"]
    if check.name == "greater_than":
        return cell > stats["min_value"]
    if check.name == "less_than_or_equal_to":
        return cell <= stats["max_value"]
    if check.name == "less_than":
        return cell < stats["max_value"]
    raise ValueError(f"pandera check {check.name!r} has no DuckDB form yet: add it to schemas._passes")


# the pandera checks that have a DuckDB form (`_passes`)
FORMED = frozenset({"str_length", "str_matches", "isin", "greater_than_or_equal_to", "greater_than",
                    "less_than_or_equal_to", "less_than"})


def refuse_unformed(model: Model, columns: list[str]) -> None:
    """What `rules` refuses, without building a rule (no DuckDB expression: an empty table is judged by its columns
    alone, on DuckDB's engine alone): a check of a column among `columns` without a DuckDB form, or a check across
    columns, is a ValueError naming it."""
    schema = model.to_schema()
    for name, column in schema.columns.items():
        for check in column.checks if name in columns else ():
            if check.name not in FORMED:
                raise ValueError(f"pandera check {check.name!r} has no DuckDB form yet: add it to schemas._passes")
    if schema.checks:
        raise ValueError(f"{model.__name__}: a check across columns belongs in schemas.WIDE_CHECKS, not in pandera")


def rules(model: Model, columns: list[str],
          derived: dict[str, tuple[duckdb.Expression, str]] | None = None) -> list[Rule]:
    """Every rule of `model` on the `columns` a table has: each column's nullability, checks and uniqueness, the
    model's unique key, then its checks across columns.

    `derived`: columns that are a function of another one, as (that function, the column it reads): a parsed
    number of its text. A check of such a column is judged through the function, so it reads the other column
    (a large table's suspects judge it on that column's distinct values, not every row's parse first)."""
    schema = model.to_schema()
    have = set(columns)
    out: list[Rule] = []
    for name, column in schema.columns.items():
        if name not in have:
            continue
        cell = col(name)
        if not column.nullable:
            out.append(Rule(name, "not_nullable", cell.isnull(), None, (name,)))
        judged, reads = (derived or {}).get(name, (cell, name))
        for check in column.checks:
            out.append(Rule(name, check.error or check.name, judged.isnotnull() & ~_passes(check, judged), name,
                            (reads,)))
        if column.unique:
            out.append(Rule(name, "field_uniqueness", _repeated([name]), None, (name,), (name,)))
    if schema.unique and set(schema.unique) <= have:  # reported once per row, at the key's last column
        key = tuple(schema.unique)
        out.append(Rule(key[-1], "multiple_fields_uniqueness", _repeated(list(key)), None, key, key))
    if schema.checks:
        raise ValueError(f"{model.__name__}: a check across columns belongs in schemas.WIDE_CHECKS, not in pandera")
    for name, (column, reads, failed) in WIDE_CHECKS.get(model, {}).items():
        if set(reads) <= have:
            out.append(Rule(column, name, failed(), column, tuple(reads)))
    return out


def _repeated(columns: list[str]) -> duckdb.Expression:
    """True on every row whose values in `columns` another row has too (missing counts as a value, as in pandas)."""
    return duckdb.count_all().over(partition_by=[col(c) for c in columns]) > 1


def _number(text: duckdb.Expression, kind: str) -> duckdb.Expression:
    """A text cell as a number (`1,234` is 1234); missing where it is none, or not whole for an `int` column.

    The text is read as it is first, and only where that fails with its commas taken out: DuckDB reads no text
    with a comma as a number, and evaluates the second only on the rows the first left missing (a copy of every
    cell without its commas was a tenth of a 360k-row components file's insert, issue 13)."""
    num = duckdb.coalesce(text.try_cast("DOUBLE"), fn("replace", text, ",", "").try_cast("DOUBLE"))
    if kind == "int":
        whole = fn("isfinite", num) & (num == fn("floor", num)) & (fn("abs", num) < 2**62)
        return duckdb.when(whole).then(num.cast("BIGINT")).otherwise(None)
    return duckdb.when(fn("isfinite", num)).then(num).otherwise(None)


def number_rules(numbers: dict[str, str], columns: list[str], text: str = "", parsed: bool = False) -> list[Rule]:
    """A cell of a number column that is not a number (or not a whole one) is a problem, then missing; the text
    is read from column `text + column`. `parsed`: the column itself holds the text parsed already (_number), so a
    rule reads it (missing where the text is there) rather than parsing the text again."""
    return [Rule(c, "check.not_a_whole_number" if kind == "int" else "check.not_a_number",
                 col(text + c).isnotnull() & (col(c) if parsed else _number(col(text + c), kind)).isnull(), text + c,
                 (text + c,))
            for c, kind in numbers.items() if c in columns]


def column_problems(model: Model, columns: list[str], display: str) -> list[Problem]:
    """A strict model's unknown columns, and every required column that is not there."""
    schema = model.to_schema()
    found = [problem(display, None, c, "check.unknown_column", value=c)
             for c in columns if schema.strict and c != ROW and c not in schema.columns]
    return found + [problem(display, None, n, "check.missing_column", value=n)
                    for n, c in schema.columns.items() if c.required and n not in columns]


def _any(flags: list[duckdb.Expression]) -> duckdb.Expression:
    return functools.reduce(operator.or_, flags)


# Below this many rows every rule is judged row by row at once: one scan of a small table costs less than the
# query per column and per key that finding the suspects takes (the real ledger's files hold at most a few
# thousand rows; finding suspects there cost ~0.3 s of CPU per build, issue 13).
SUSPECTS_FROM_ROWS = 20_000


Groups = tuple[tuple[str, ...], ...]  # groups of text columns whose distinct values a caller wants beside the rules
Distinct = dict[tuple[str, ...], list[tuple]]  # a group of columns -> its distinct values (tuples of cells)


def distinct_values(rel: duckdb.DuckDBPyRelation, groups: Groups) -> Distinct:
    """The distinct values of each group of text columns of `rel`, all groups in one query."""
    if not groups:
        return {}
    branches = [rel.select(*map(col, g)).distinct().aggregate(
                    [lit(i).alias("_branch"), fn("list", fn("list_value", *map(col, g))).alias("_values")])
                for i, g in enumerate(groups)]
    found = dict(functools.reduce(lambda a, b: a.union(b), branches).fetchall())
    return {g: [tuple(v) for v in found[i] or []] for i, g in enumerate(groups)}


REPEATS_IN_PYTHON = 20_000  # up to this many rows, `repeats` compares the hashes in Python


def repeats(rel: duckdb.DuckDBPyRelation, columns: tuple[str, ...], rows: int | None = None) -> bool:
    """Whether two rows of `rel` may share their values in `columns` (missing counts as a value): whether two share
    the values' hash. Equal keys hash equal, so a repeated key is never missed; two keys whose hashes collide only
    say "may" (the caller then judges the keys themselves). The hashes are sorted by numpy: a 64-bit number per row
    (26 MB at 3.24M rows), where DuckDB's count(distinct) of them cost four to six times the CPU (issue 13). `rows`:
    how many rows `rel` holds, when the caller knows (a large table's are then not first fetched as Python values
    to count them: ~8 ms at 360k rows)."""
    hashed = rel.select(fn("hash", *map(col, columns)).alias("_hash"))
    # a small table's hashes judged in Python: numpy (~0.07 s to import) only for a large one (the real ledger's
    # files hold a few hundred rows; the build then loads no numpy)
    if rows is None or rows <= REPEATS_IN_PYTHON:
        few = [h for (h,) in hashed.limit(REPEATS_IN_PYTHON + 1).fetchall()]
        if len(few) <= REPEATS_IN_PYTHON:
            return len(set(few)) < len(few)
    import numpy as np  # only for a large table (see above)

    hashes = np.sort(np.asarray(hashed.fetchnumpy()["_hash"]))
    return bool((hashes[1:] == hashes[:-1]).any())


def _suspects(rel: duckdb.DuckDBPyRelation, found: list[Rule], groups: Groups = ()) -> tuple[list[Rule], Distinct]:
    """The rules that some row of `rel` may break, found without naming rows (issue 13), in two queries: one scan
    counts missing cells and judges the rules across columns row by row (a key is judged by `repeats`); then every
    rule on one column is judged on that column's distinct values (a 3.24M-row file repeats a few hundred URLs,
    dates and names), all columns in one query. On a table of fewer than SUSPECTS_FROM_ROWS rows every rule is a
    suspect (one scan in _failures names the rows at once).

    Also returns the distinct values of the caller's `groups` of text columns (distinct_values), from the same
    query: a group of one column with rules of its own costs nothing more."""
    counted: list[tuple[Rule, duckdb.Expression]] = []
    keys: list[Rule] = []
    judged: list[Rule] = []
    by_column: dict[str, list[Rule]] = {}
    for r in found:
        if r.key:
            keys.append(r)
        elif r.check == "not_nullable":
            counted.append((r, fn("count", col(r.reads[0]))))  # the cells that are not missing
        elif len(r.reads) == 1:
            by_column.setdefault(r.reads[0], []).append(r)
        else:
            judged.append(r)
    if not found:
        return [], distinct_values(rel, groups)
    [(rows, *values)] = rel.aggregate([duckdb.count_all(), *(e for _, e in counted),
                                       *(fn("bool_or", r.failed) for r in judged)]).fetchall()
    if rows < SUSPECTS_FROM_ROWS:
        return list(found), distinct_values(rel, groups)
    suspects = [r for (r, _), n in zip(counted, values) if n < rows]
    suspects += [r for r, hit in zip(judged, values[len(counted):]) if hit]
    suspects += [r for r in keys if repeats(rel, r.key)]
    # one branch per column with rules: its distinct values, whether each of its rules fails on one of them (no
    # filter: DuckDB would push it below the DISTINCT and judge every row again), and the values themselves when
    # the caller asked for them; then a branch for every other group the caller asked for
    columns = list(by_column)
    rest = [g for g in groups if len(g) > 1 or g[0] not in by_column]
    branches = [rel.select(col(c)).distinct().aggregate(
                    [lit(i).alias("_branch"),
                     fn("list_value", *(fn("bool_or", r.failed) for r in by_column[c])).alias("_hit"),
                     (fn("list", fn("list_value", col(c))) if (c,) in groups else lit(None).cast("VARCHAR[][]")).alias("_values")])
                for i, c in enumerate(columns)]
    branches += [rel.select(*map(col, g)).distinct().aggregate(
                     [lit(len(columns) + j).alias("_branch"), lit(None).cast("BOOLEAN[]").alias("_hit"),
                      fn("list", fn("list_value", *map(col, g))).alias("_values")])
                 for j, g in enumerate(rest)]
    distinct: Distinct = {}
    if branches:
        hits = {i: (hit, kept) for i, hit, kept in functools.reduce(lambda a, b: a.union(b), branches).fetchall()}
        suspects += [r for i, c in enumerate(columns) for r, hit in zip(by_column[c], hits[i][0]) if hit]
        distinct = {(c,): [tuple(v) for v in hits[i][1] or []] for i, c in enumerate(columns) if (c,) in groups}
        distinct |= {g: [tuple(v) for v in hits[len(columns) + j][1] or []] for j, g in enumerate(rest)}
    chosen = {id(r) for r in suspects}
    return [r for r in found if id(r) in chosen], distinct  # the rules in their own order, as one scan reports them


def _failures(rel: duckdb.DuckDBPyRelation, found: list[Rule], display: str, key_cols: list[str],
              groups: Groups = (), rows: int | None = None) -> tuple[list[tuple[Rule, Problem]], Distinct]:
    """Every rule evaluated on `rel`; each failing cell's rule and problem, and the distinct values of `groups`
    (`_suspects`). The rules some row may break are then judged row by row, in one scan, to name the rows. `rows`:
    how many rows `rel` has (at most), when the caller knows (a frame, a file's size): under SUSPECTS_FROM_ROWS every
    rule is a suspect, so the query that would count them is not run."""
    if rows is not None and rows < SUSPECTS_FROM_ROWS and not groups:
        found, distinct = list(found), {}
    else:
        found, distinct = _suspects(rel, found, groups)
    if not found:
        return [], distinct
    quoted = sorted({r.value for r in found if r.value})
    flags = [r.failed.alias(f"_failed{i}") for i, r in enumerate(found)]
    any_failed = _any([col(f"_failed{i}") for i in range(len(found))])
    # in the order of the rows (a problem of the table as a whole first): a scan of a held table runs in parallel,
    # and the problems of rows read together came back in another order from run to run
    hits = rel.select(col(ROW), *(col(c) for c in quoted), *flags).filter(any_failed).order(
        col(ROW).asc().nulls_first()).fetchall()
    at = {c: i + 1 for i, c in enumerate(quoted)}
    problems = []
    for hit in hits:
        row = None if hit[0] is None else int(hit[0])
        for i, r in enumerate(found):
            if not hit[1 + len(quoted) + i]:
                continue
            value = hit[at[r.value]] if r.value else None
            if r.check.startswith("check."):  # a message key already (a number that is not one)
                problems.append((r, problem(display, row, r.column, r.check, value=value)))
                continue
            key, values = _describe(r.check, value, r.column, [] if r.check == "field_uniqueness" else key_cols)
            problems.append((r, problem(display, row, r.column, key, **values)))
    return problems, distinct


@dataclass(frozen=True)
class Stored:
    """The rows of table `name` on cursor `con`, `columns` of it, each row's `rowid` as its place (`ROW`): what
    find_problems judges without binding a relation over them when they are few (a kept scan, as a small ledger file's:
    `_stored_scanned`; issue 13)."""

    con: duckdb.DuckDBPyConnection
    name: str
    columns: list[str]
    # the table's own names of `ROW` and `columns`, when other than `rowid` and theirs (python_held: `_0`, `_1` ...)
    sources: tuple[str, ...] | None = None

    def relation(self) -> duckdb.DuckDBPyRelation:
        if self.sources is not None:
            return relational(self.con).table(self.name).select(
                *(col(s).alias(c) for s, c in zip(self.sources, [ROW, *self.columns])))
        return relational(self.con).table(self.name).select(col("rowid").alias(ROW), *map(col, self.columns))


@dataclass(frozen=True)
class Held:
    """A table a build holds in its own DuckDB (component_row, build/rankings.py start_components), by its name on
    `con`: what the build reads of it runs as named or kept queries on DuckDB's engine, no relation bound (issue 13,
    quick start-up); `relation()` for a caller that wants one (it loads the package's Python layer)."""

    con: duckdb.DuckDBPyConnection
    name: str

    @property
    def columns(self) -> list[str]:
        found = sql.execute(self.con, "table_columns", table=self.name)
        names = [d[0] for d in found.description]
        found.fetchall()  # no row: the result finished, so a relation may run on the connection next
        return names

    def count(self) -> int:
        [(count,)] = sql.rows(self.con, "table_rows", table=self.name)  # every row fetched: the result finished
        return count

    @property
    def shape(self) -> tuple[int, int]:
        return self.count(), len(self.columns)

    def stored(self) -> Stored:
        """Its rows as find_problems judges them, each named by its `rowid`."""
        return Stored(self.con, self.name, self.columns)

    def relation(self) -> duckdb.DuckDBPyRelation:
        return relational(self.con).table(self.name)


def in_duckdb(table: object) -> bool:
    """Whether a build's table is held in DuckDB (`Held`, or a relation: a large ledger's ranking_row), not made in
    Python (`Table`)."""
    return isinstance(table, Held) or parts.is_relation(table)


def find_problems(rel: duckdb.DuckDBPyRelation | Stored, model: Model, display: str, rows: int | None = None,
                  key_proven: bool = False) -> list[Problem]:
    """Every rule of `model` on the rows of `rel` (typed columns and `ROW`), with file, row and column (`rows`: how
    many there are, when known: `_failures`). `key_proven`: the caller has proved the model's unique key on what
    the rows were made of (build.rankings.keys_apart): every rule but that one. Rows a table holds (`Stored`), when
    fewer than SUSPECTS_FROM_ROWS, are judged by their kept scan."""
    columns = [c for c in rel.columns if c != ROW]
    found = column_problems(model, columns, display)
    if found:
        return found
    if isinstance(rel, Stored):
        if SCAN_KEPT and rows is not None and rows < SUSPECTS_FROM_ROWS:
            return _stored_scanned(rel, model, display, key_proven)
        rel = rel.relation()
    judged = [r for r in rules(model, columns) if not (key_proven and r.check == "multiple_fields_uniqueness")]
    return [p for _, p in _failures(rel, judged, display, list(model.to_schema().unique or []), rows=rows)[0]]


def _stored_scanned(stored: Stored, model: Model, display: str, key_proven: bool) -> list[Problem]:
    """find_problems of a few rows a table holds, by their one scan kept as SQL (as `_scan`: made by the relations
    _failures builds, per table, columns, model, this module and DuckDB): the same problems in the same order."""
    def make() -> dict:
        rel = stored.relation()
        found = [r for r in rules(model, stored.columns)
                 if not (key_proven and r.check == "multiple_fields_uniqueness")]
        if not found:
            return {"sql": "", "rules": [], "quoted": []}
        quoted = sorted({r.value for r in found if r.value})
        flags = [r.failed.alias(f"_failed{i}") for i, r in enumerate(found)]
        scan = rel.select(col(ROW), *map(col, quoted), *flags).filter(
            _any([col(f"_failed{i}") for i in range(len(found))])).order(col(ROW).asc().nulls_first())
        return {"sql": scan.sql_query(), "rules": [[r.column, r.check, r.value] for r in found], "quoted": quoted}

    what = json.dumps([SCAN_FORMAT, duckdb.__version__, model.__name__, stored.name, stored.columns, key_proven,
                       stored.sources])
    name = f"stored-{model.__name__}-{hashlib.sha256(what.encode()).hexdigest()[:24]}"
    scan = _kept(name, make)
    if not scan["rules"]:
        return []
    at = {c: i + 1 for i, c in enumerate(scan["quoted"])}
    key_cols = list(model.to_schema().unique or [])
    return [p for hit in stored.con.execute(scan["sql"]).fetchall()
            for _, p in _worded(scan, hit, at, 1 + len(at), display, key_cols)]


def validate_frame(df: pd.DataFrame | Table, model: Model, display: str) -> list[Problem]:
    """A table built in Python (a warehouse table: records, `Table`, or a pandas frame) against its model, checked
    by DuckDB on its rows; rows are named by their place (a frame's: its index)."""
    if isinstance(df, Table) and not len(df):
        # no row to break a rule: the columns alone are judged, and the rules made (a check without a DuckDB form is
        # refused as on any table), without DuckDB's round trips (~6 ms, issue 13)
        refuse_unformed(model, df.columns)
        return column_problems(model, df.columns, display)
    con = cursor()
    try:
        if isinstance(df, Table):  # a table whose maker proved its unique key (Columns.key_proven) is not judged on it
            proven = getattr(df, "key_proven", False)
            if SCAN_KEPT and len(df) < SUSPECTS_FROM_ROWS and not _through_pandas(len(df)) \
                    and not (isinstance(df, Columns) and len(df) >= JSON_RUN_ROWS):
                # held once and judged by its kept scan: no relation bound (issue 13, quick start-up). Not a Columns
                # of JSON_RUN_ROWS rows or more (an upload's values part): it goes as its JSON text, as it is
                # written; its lists as one parameter cost ~20 µs a row (~0.2 s for 10,000 rows)
                return find_problems(df.stored(con), model, display, rows=len(df), key_proven=proven)
            return find_problems(df.relation(con, row=True), model, display, rows=len(df), key_proven=proven)
        rel = relational(con).from_df(df.assign(**{ROW: df.index}))
        return find_problems(rel, model, display, rows=len(df))
    finally:
        con.close()


def _frame(rel: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """DuckDB rows as pandas, indexed by `ROW`: text as pandas' pyarrow strings (the vectorised string checks
    downstream stay fast), whole numbers as Int64."""
    import pandas as pd  # pandas and pyarrow: only for a caller that wants frames (the build makes none)
    import pyarrow as pa_arrow

    def mapped(kind):
        if pa_arrow.types.is_string(kind) or pa_arrow.types.is_large_string(kind) or pa_arrow.types.is_string_view(kind):
            return pd.StringDtype("pyarrow")
        if pa_arrow.types.is_integer(kind):
            return pd.Int64Dtype()
        return None

    table = rel.to_arrow_table()
    # self_destruct frees each Arrow column as it is converted: half the peak memory on large files
    df = table.to_pandas(types_mapper=mapped, self_destruct=True, split_blocks=True)
    del table
    index = df.pop(ROW).astype("int64")
    df.index = pd.Index(index.to_numpy(), dtype="int64")
    return df


def _rows_at_most(path: Path, columns: int) -> int | None:
    """How many rows a CSV of `columns` columns read strictly (every row has them all) holds at most, by its size:
    each row writes a separator between two cells; None when the file cannot say. Spares a small file the query
    that counts its rows (`_failures`; the real ledger's files, issue 13): only how the rules are judged depends on
    it, not what they find."""
    try:
        return path.stat().st_size // max(1, columns - 1)
    except OSError:
        return None


def hold_validated(con: duckdb.DuckDBPyConnection, path: Path, display: str, numbers: dict[str, str],
                   model: Model, groups: Groups = ()
                   ) -> tuple[duckdb.DuckDBPyRelation | None, list[Problem], bool, Distinct]:
    """A ledger CSV read and checked inside DuckDB, on cursor `con`: every cell trimmed text (empty is missing),
    its number columns parsed, then every rule of its model.

    Returns the typed rows (a relation over the cursor's temporary table `held`, with `ROW`, the row as a
    spreadsheet numbers it; a number that is not one is missing there), every problem, whether a rule of the
    model failed (a bad number alone leaves the rows typed), and the distinct values of the caller's `groups` of
    text columns (less the columns the file lacks), found beside the rules' own (`_suspects`; {} when the rules did
    not run);
    (None, problems, True, {}) when the file cannot be read.
    """
    problems = check_header(path, display, model)
    if problems:
        return None, problems, True, {}
    try:
        sql.execute(con, "ledger_csv_macro")
        sql.execute(con, "hold_csv", path=str(path))
    except duckdb.OutOfMemoryException:  # not the file's fault: the build says so (build.within_memory)
        raise
    except (duckdb.Error, UnicodeDecodeError) as exc:
        return None, [problem(display, None, None, "check.unreadable_csv", value=str(exc).splitlines()[0][:200])], True, {}
    held = relational(con).table("held")
    # the cells are held trimmed (an empty one missing); the headers are trimmed here
    text = held.select((col("rowid") + FIRST_DATA_ROW).alias(ROW), *(col(c).alias(c.strip()) for c in held.columns))
    columns = [c for c in text.columns if c != ROW]
    numbered = [c for c in numbers if c in columns]
    # the number columns parsed; their text rides along (as `_text_<column>`) for the one scan of every rule
    typed = text.select(col(ROW), *(_number(col(c), numbers[c]).alias(c) if c in numbers else col(c)
                                    for c in columns), *(col(c).alias(f"_text_{c}") for c in numbered))
    problems = column_problems(model, columns, display)
    failed = bool(problems)
    distinct: Distinct = {}
    if not problems:
        # a group's columns the file lacks are left out of it
        kept = tuple(dict.fromkeys(g for g in (tuple(c for c in group if c in columns) for group in groups) if g))
        at_most = _rows_at_most(path, len(columns))
        if at_most is not None and at_most < SUSPECTS_FROM_ROWS and not kept:
            # every rule judged in the one scan: a number's rules read its parsed column, not its text parsed again
            # (the same values; a query a third the size, which DuckDB plans in ~10 ms less: issue 13)
            found = number_rules(numbers, columns, "_text_", parsed=True) + rules(model, columns)
        else:  # a rule on a number reads its text, whose distinct values _suspects judges
            parsed = {c: (_number(col(f"_text_{c}"), numbers[c]), f"_text_{c}") for c in numbered}
            found = number_rules(numbers, columns, "_text_") + rules(model, columns, parsed)
        hits, distinct = _failures(typed, found, display, list(model.to_schema().unique or []), kept, rows=at_most)
        problems = [p for _, p in hits]
        failed = any(not r.check.startswith("check.") for r, _ in hits)
    return typed.select(col(ROW), *(col(c) for c in columns)), problems, failed, distinct


# The rows stream_validated looks at first: the values they hold, judged once, spare the rows that repeat them the
# rules of their column (a 360k-row file repeats one publication and a few dates; issue 13).
FIRST_ROWS = 2048


def _trimmed(cell: duckdb.Expression) -> duckdb.Expression:
    """A cell as the `ledger_csv` macro holds it: trimmed of spaces where it starts or ends with one, empty then
    missing."""
    padded = fn("prefix", cell, lit(" ")) | fn("suffix", cell, lit(" "))
    return duckdb.CaseExpression(padded, fn("nullif", fn("trim", cell), lit(""))).otherwise(cell)


def padded(values: Distinct) -> bool:
    """Whether a text among `values` starts or ends with a space (stream_validated's `untrimmed` columns)."""
    return any(isinstance(v, str) and (v[:1] == " " or v[-1:] == " ") for found in values.values()
               for row in found for v in row)


def stream_validated(con: duckdb.DuckDBPyConnection, path: Path, display: str, numbers: dict[str, str],
                     model: Model, kept: set[str], looked: tuple[str, ...] = (), untrimmed: frozenset[str] = frozenset()
                     ) -> tuple[duckdb.DuckDBPyRelation, Distinct] | None:
    """A ledger CSV as typed rows that are read where they are used, never held (issue 13): the cells as
    hold_validated holds them (the `ledger_csv` macro), the number columns parsed (their text beside them, as
    `_text_<column>`), an optional column of the model the file lacks missing in every row; no `ROW`.

    For a caller that stores the rows, then judges what it stored (judge_stored): `kept` names the columns it
    stores exactly as they are here. A rule on anything else (a column not kept, a number's text: a number that is
    not one) is judged row by row as the rows are read, and the first row that breaks one stops the query (DuckDB's
    `error()`), so that whatever the rows went into must be rolled back. No row is named either way: the caller
    then holds the file (hold_validated), which names every problem. A value the first rows (FIRST_ROWS) hold that
    passes every rule of its column is judged once: the rows that repeat it skip that column's rules.

    `untrimmed`: kept text columns the caller stores as the file writes them, spaces around a cell and all (a cell
    of spaces only is not missing then), and then trims where a value it stored needs it (`padded`): trimming every
    cell as it is read cost a ninth of a 360k-row file's insert (issue 13). A number is read past spaces around it
    either way (DuckDB's cast), and its text of spaces only is missing, not a number that is not one. A column not
    kept is in the rows as the file writes it too; its rules judge it trimmed.

    Returns the rows, and the distinct values of the columns `looked` in the first rows (a caller's guess at what
    the rest hold); None when the header alone fails, or names a column with spaces around it or twice (read by
    name here). DuckDB's sniffer looks at the file once (~6 ms of CPU): a plain CSV with that header (lines ending
    in `\\n`, no rows to skip, no comments) is read with what it found; any other as ledger_csv reads it, where
    the sniffer looks again at every step that names the columns."""
    names = _header_names(path)
    if (names is None or any(n != n.strip() for n in names) or len(set(names)) < len(names) or ROW in names
            or any(n.startswith(("_text_", "_bad_")) for n in names)
            or check_header(path, display, model) or column_problems(model, names, display)):
        return None
    sql.execute(con, "ledger_csv_macro")
    # the sniffer looks once, and a plain CSV with this header is read with what it found (ledger_csv_as); any
    # other (lines ending in `\r\n` ...) as ledger_csv reads it, the sniffer looking at every step
    [found] = sql.rows(con, "ledger_csv_sniff", path=str(path))
    trim = found == ("\\n", 0, "(empty)", True, names)
    if trim:  # the cells as the file writes them: trimmed here, but for the caller's `untrimmed` and the numbers
        rows = relational(con).table_function("ledger_csv_as", [str(path), {n: "VARCHAR" for n in names}])
    else:  # every cell trimmed
        rows = relational(con).table_function("ledger_csv", [str(path)])
    numbered = [c for c in numbers if c in names]
    absent = [c for c in model.to_schema().columns if c not in names]
    found_rules = rules(model, names)
    # a column the caller does not store, whose rules read it alone (no key), is judged trimmed but not trimmed
    # first: a row whose cell is one of the first rows' values that pass (below) is never trimmed at all (issue 13:
    # the publication and retrieval date of every row of a 360k-row file)
    alone = {c for r in found_rules for c in r.reads if r.key or len(r.reads) > 1}
    lazy = {c for c in names if trim and c not in kept and c not in untrimmed and c not in numbers and c not in alone}
    typed = rows.select(*(_number(col(c), numbers[c]).alias(c) if c in numbers
                          else _trimmed(col(c)).alias(c) if trim and c not in untrimmed and c not in lazy else col(c)
                          for c in names),
                        *(lit(None).cast("VARCHAR").alias(c) for c in absent),
                        *(col(c).alias(f"_text_{c}") for c in numbered))
    if lazy:
        found_rules = [dataclasses.replace(r, failed=_trimmed(col(r.column)).isnull()) if r.check == "not_nullable"
                       and r.column in lazy else r for r in rules(model, names, {c: (_trimmed(col(c)), c) for c in lazy})]
    # a number that is not one: its text is there but the number is not (number_rules, read on the parsed value
    # instead of parsing the text again); a text of spaces only is missing (only such rows trim it)
    refused = [col(f"_text_{c}").isnotnull() & col(c).isnull() & (fn("trim", col(f"_text_{c}")) != lit(""))
               for c in numbered]
    by_column: dict[str, list[duckdb.Expression]] = {}
    for r in found_rules:
        if set(r.reads) <= kept:
            continue
        if len(r.reads) == 1 and r.reads[0] in names:
            by_column.setdefault(r.reads[0], []).append(r.failed)
        else:
            refused.append(r.failed)
    # the first rows' values, with whether each breaks a rule of its column
    seen = [c for c in dict.fromkeys([*by_column, *looked]) if c in typed.columns]
    first: list[tuple] = []
    if seen:
        first = typed.limit(FIRST_ROWS).select(
            *map(col, seen), *(_any(by_column[c]).alias(f"_bad_{c}") for c in by_column)).distinct().fetchall()
    for c, failed in by_column.items():
        i, bad = seen.index(c), len(seen) + list(by_column).index(c)
        good = sorted({row[i] for row in first if row[i] is not None and not row[bad]})
        refused.append(~duckdb.coalesce(col(c).isin(*good), lit(False)) & _any(failed) if good else _any(failed))
    values = {(c,): sorted({(row[seen.index(c)],) for row in first}, key=str) for c in looked if c in seen}
    if not refused:
        return typed, values
    stop = fn("error", lit(f"{display}: a row breaks a rule of {model.__name__} (the file is then held and checked)"))
    return typed.filter(duckdb.CaseExpression(_any(refused), stop).otherwise(lit(True))), values


GROUP = "_group"  # beside a table's distinct values (judge_stored): the group of columns a row's values are of


def judge_stored(rel: duckdb.DuckDBPyRelation, model: Model, columns: list[str], values: duckdb.DuckDBPyRelation,
                 groups: Groups, rows: int | None = None) -> tuple[bool, Distinct]:
    """Whether every rule of `model` on `columns` holds on the rows of `rel` (rows a caller stored from
    stream_validated), judged without naming rows; and the distinct values of each of `groups`, text columns.

    `values`: the distinct values the rows of `rel` hold in each group, the caller's (a row per distinct value with
    one there, GROUP naming its group: its columns joined by `,`; the other groups' columns missing). DuckDB makes
    them grouping each column alone, on its dictionary (issue 13: ~6 ms at 360k rows, where the relations that
    judged every column's values together cost ~35 ms, most of it binding them). A rule on a column of a group is
    judged on those values; every other (a missing cell, a number's rule, a rule across columns, a key) in one scan
    of `rel` (`rows`: how many it holds, when the caller knows)."""
    found = rules(model, columns)
    group_of = {c: ",".join(g) for g in groups for c in g}
    counted = [r for r in found if r.check == "not_nullable"]
    keys = [r for r in found if r.key]
    on_values = [r for r in found if r.check != "not_nullable" and not r.key and len(r.reads) == 1
                 and r.reads[0] in group_of]
    chosen = {id(r) for r in (*counted, *keys, *on_values)}
    on_rows = [r for r in found if id(r) not in chosen]
    [(held, *hits)] = rel.aggregate([duckdb.count_all(), *(fn("count", col(r.reads[0])) for r in counted),
                                     *(fn("bool_or", r.failed) for r in on_rows)]).fetchall()
    if any(n < held for n in hits[:len(counted)]) or any(hits[len(counted):]):
        return False, {}
    if any(repeats(rel, r.key, held) for r in keys):
        return False, {}
    names = [c for c in values.columns if c != GROUP]
    shown = values.select(col(GROUP), *map(col, names), *(r.failed for r in on_values)).fetchall()
    at = {c: i for i, c in enumerate(names, start=1)}
    by_group = {",".join(g): g for g in groups}
    distinct: Distinct = {g: [] for g in groups}
    valid = True
    for row in shown:
        group = by_group[row[0]]
        distinct[group].append(tuple(row[at[c]] for c in group))
        valid = valid and not any(hit and group_of[r.reads[0]] == row[0]
                                  for r, hit in zip(on_values, row[1 + len(names):]))
    return valid, distinct


def read_validated(path: Path, display: str, numbers: dict[str, str],
                   model: Model) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]]:
    """`hold_validated`, then the rows as pandas (indexed by spreadsheet row): pandas sees them once, at the end.

    Returns the rows, the same rows when every rule of the model holds (else None), and every problem;
    (None, None, problems) when the file cannot be read at all.
    """
    frame, failed, problems = _read_held(path, display, numbers, model, _frame)
    return frame, (None if failed else frame), problems


def _read_held(path: Path, display: str, numbers: dict[str, str], model: Model,
               take: Callable[[duckdb.DuckDBPyRelation], T]) -> tuple[T | None, bool, list[Problem]]:
    """`hold_validated` on a cursor of its own, then `take(rows)` (pandas or records) before the cursor closes: the
    rows, whether a rule failed, every problem (None for the rows when the file cannot be read at all)."""
    con = cursor()
    try:
        rows, problems, failed, _ = hold_validated(con, path, display, numbers, model)
        return (None if rows is None else take(rows)), failed, problems
    finally:
        con.close()


# --- many files of one model at once ------------------------------------------------------------------------------

FILE = "_file"  # beside ROW when several files are held at once: the file's place in the list, from 1
FILE_STRIDE = 10**9  # a row of file k is held as k * FILE_STRIDE + its row: one number names both
_FILE_TEXT = "_file_text"  # FILE as text, beside the text columns whose distinct values are asked per file


def _header_names(path: Path) -> list[str] | None:
    """The header line's names as written, or None when it cannot be read (check_header then says why)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            line = f.readline(MAX_HEADER_BYTES + 1)
    except (OSError, UnicodeDecodeError):
        return None
    return next(csv.reader([line]), None) if line.strip() else None


def _per_file(rule: Rule) -> Rule:
    """A rule as it reads on the rows of several files: a key is unique within its own file."""
    if rule.key:
        key = (FILE, *rule.key)
        return dataclasses.replace(rule, failed=_repeated(list(key)), key=key)
    return rule


def _together(files: list[tuple[Path, str]], model: Model) -> dict[int, list[str]]:
    """The header names of each file of `files` that may be read with the others, by its place in `files`: not one
    whose header already fails, carries a name twice or with spaces around it, or names a column of the reader's."""
    headers: dict[int, list[str]] = {}
    for i, (path, display) in enumerate(files):
        names = _header_names(path)
        if (names is None or any(n != n.strip() for n in names) or len(set(names)) < len(names)
                or {FILE, ROW, "filename"} & set(names) or check_header(path, display, model)
                or column_problems(model, names, display)):
            continue
        headers[i] = names
    return headers


def read_validated_files(files: list[tuple[Path, str]], numbers: dict[str, str],
                         model: Model) -> list[tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]]]:
    """`read_validated` of each (path, display) of `files`, in order and with the same results; the files that can
    be read together are read, typed and checked by DuckDB in one pass (one read_csv of all of them, by column
    name; every rule in one scan, a key unique within its file; each row named by its file and its row).

    Per file a read, a scan and a conversion to pandas cost ~15 ms of CPU whatever the file's size: the nine small
    ranking files of the real ledger took ~0.2 s read one by one, ~0.05 s together (issue 13). A file is read
    alone when its header already fails, carries a name twice or with spaces around it, or when the files
    cannot be read together (one of them is damaged): then each problem names its file as before.
    """
    out: list[tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]] | None] = [None] * len(files)
    headers = _together(files, model)
    together = list(headers) if len(headers) > 1 else []
    if together:
        con = cursor()
        try:
            results = _hold_together(con, [files[i] for i in together], [headers[i] for i in together], numbers, model)
        finally:
            con.close()
        if results is not None:
            for i, result in zip(together, results):
                out[i] = result
    return [result if result is not None else read_validated(path, display, numbers, model)
            for result, (path, display) in zip(out, files)]


def _hold_together(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], headers: list[list[str]],
                   numbers: dict[str, str], model: Model
                   ) -> list[tuple[pd.DataFrame, pd.DataFrame | None, list[Problem]]] | None:
    """The files held, typed and checked in one pass on cursor `con`; None when they cannot be read together."""
    judged = _judge_together(con, files, headers, numbers, model, lambda typed: _frame(typed))
    if judged is None:
        return None
    import pandas as pd  # only for a caller that wants frames (the build reads records: read_checked_files)

    frame, problems, failed = judged
    of_file = frame.index // FILE_STRIDE
    out = []
    for k, names in enumerate(headers, start=1):
        own = frame.loc[of_file == k, names]
        own.index = pd.Index(own.index - k * FILE_STRIDE, dtype="int64")
        out.append((own, None if failed[k - 1] else own, problems[k - 1]))
    return out


def _hold_typed(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], numbers: dict[str, str], model: Model
                ) -> tuple[duckdb.DuckDBPyRelation, list[str], list[Rule]] | None:
    """The files held in one read on cursor `con` (`hold_csvs`) and typed: the typed rows (`ROW`: a row of file k
    numbered k * FILE_STRIDE + its row; `FILE`; every column of any file, then the number columns' text as
    `_text_<column>`), the columns, and every rule to judge on them (a key unique within its file); None when they
    cannot be read together."""
    try:
        sql.execute(con, "hold_csvs", paths=[str(path) for path, _ in files])
    except (duckdb.Error, UnicodeDecodeError):
        return None
    held = relational(con).table("held")
    if held.filter(col(FILE).isnull()).limit(1).fetchall():  # a file DuckDB names otherwise than it was given
        return None
    return _typed_together(held, held.columns, numbers, model)


def _typed_together(held: duckdb.DuckDBPyRelation, names: list[str], numbers: dict[str, str], model: Model
                    ) -> tuple[duckdb.DuckDBPyRelation, list[str], list[Rule]]:
    """_hold_typed's typed rows of the files `held` holds (`names`: its columns, `FILE` among them), their columns and
    the rules to judge on them."""
    columns = [c for c in names if c != FILE]
    first = fn("min", col("rowid")).over(partition_by=[col(FILE)])
    row = col(FILE).cast("BIGINT") * FILE_STRIDE + col("rowid") - first + FIRST_DATA_ROW
    typed = held.select(row.alias(ROW), col(FILE), *(_number(col(c), numbers[c]).alias(c) if c in numbers else col(c)
                                          for c in columns),
                        *(col(c).alias(f"_text_{c}") for c in numbers if c in columns))
    found = number_rules(numbers, columns, "_text_") + [_per_file(r) for r in rules(model, columns)]
    return typed, columns, found


def _by_file(hits: list[tuple[str, Problem]], files: list[tuple[Path, str]]) -> tuple[list[list[Problem]], list[bool]]:
    """Problems found on the rows of every file at once (each with the check it broke), each named by its own file
    and row; whether a rule of the model failed in each file (a number that is not one alone leaves its rows typed)."""
    problems: list[list[Problem]] = [[] for _ in files]
    failed = [False] * len(files)
    for check, p in hits:
        k, at = divmod(p.row, FILE_STRIDE)
        problems[k - 1].append(dataclasses.replace(p, file=files[k - 1][1], row=at))
        failed[k - 1] = failed[k - 1] or not check.startswith("check.")
    return problems, failed


def _judge_together(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], headers: list[list[str]],
                    numbers: dict[str, str], model: Model, fetch: Callable[[duckdb.DuckDBPyRelation], T],
                    counted: bool = True, key_proven: bool = False) -> tuple[T, list[list[Problem]], list[bool]] | None:
    """The files held, typed and checked in one pass on cursor `con`: `fetch` of the typed rows (`ROW`, then every
    column; a row of file k numbered k * FILE_STRIDE + its row), each file's problems, and whether a rule of the
    model failed in each; None when they cannot be read together. `counted`: what `fetch` gives has a length, the
    number of rows (records: spares _failures the query that counts them); False for rows left in DuckDB.
    `key_proven`: the caller proves the model's unique key itself (a primary key the rows go into): every rule but
    that one."""
    held = _hold_typed(con, files, numbers, model)
    if held is None:
        return None
    typed, columns, found = held
    if key_proven:
        found = [r for r in found if not r.key]
    if not counted:
        # rows left in DuckDB are held typed once: the rules and every later query of the caller (ranking_row's
        # checks and insert, build.rankings.rank_in_duckdb) read a table, where each of them numbered the rows of
        # every file again (a window over all of them) and parsed their numbers (issue 13: ~0.1 s of the main
        # thread's CPU on the synthetic ledger's 54,000 ranking rows)
        con.register("typed_source", typed)
        sql.execute(con, "hold_typed")
        typed = relational(con).table("typed_held")
    # the rows fetched first: their count spares _failures the query that would count them (a few thousand rows
    # of the real ledger are judged in one scan)
    fetched = fetch(typed.select(col(ROW), *(col(c) for c in columns)))
    if counted and len(fetched) < SUSPECTS_FROM_ROWS:
        # every rule judged in the one scan: the number rules (first in `found`) read the parsed columns, not the
        # text parsed again (the same values; a smaller query to plan, issue 13)
        numbered = number_rules(numbers, columns, "_text_", parsed=True)
        found = numbered + found[len(numbered):]
    hits, _ = _failures(typed, found, "", list(model.to_schema().unique or []), rows=len(fetched) if counted else None)
    problems, failed = _by_file([(r.check, p) for r, p in hits], files)
    return fetched, problems, failed


Judged = tuple[list[Problem], bool, Distinct]  # a file's problems, whether a rule of its model failed, its groups


def hold_validated_files(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], numbers: dict[str, str],
                         model: Model, groups: Groups = ()
                         ) -> tuple[duckdb.DuckDBPyRelation, list[Judged]] | None:
    """`hold_validated` of every (path, display) of `files` at once, on cursor `con` (issue 13: what a small file
    costs is DuckDB's round trips, not its rows): one read of all of them, by column name, every rule in one scan (a
    key unique within its file), the distinct values of every group in one query. Returns the typed rows of all of
    them, held (`ROW`: a row of file k numbered k * FILE_STRIDE + its row; `FILE`: k, from 1; every column any of
    them has, missing in the rows of a file without it), and per file what `hold_validated` gives: its problems, each
    naming its file and row, whether a rule of the model failed, and the distinct values of the caller's `groups` in
    its rows (a column the file lacks missing in them). None when they cannot be read together (a header that fails
    or carries a name twice or with spaces around it, a file DuckDB cannot read with the others): the caller then
    holds each file alone, which says what is wrong with it."""
    headers = _together(files, model)
    if len(files) < 2 or len(headers) < len(files):
        return None
    held = _hold_typed(con, files, numbers, model)
    if held is None:
        return None
    typed, columns, found = held
    missing = [c for c in dict.fromkeys(c for group in groups for c in group) if c not in columns]
    # a column no file has is missing in every row, as in a file that lacks it; the file's place as text beside
    # each group (a group's values are one list of text): one query gives every file's distinct values
    typed = typed.select(*(col(c) for c in typed.columns), *(lit(None).cast("VARCHAR").alias(c) for c in missing),
                         col(FILE).cast("VARCHAR").alias(_FILE_TEXT))
    # held as typed once: the rules, the distinct values and what the caller does with the rows read a table, not
    # the files' text parsed and numbered again by every query (issue 13)
    con.register("typed_source", typed)
    sql.execute(con, "hold_typed")
    typed = relational(con).table("typed_held")
    hits, found_values = _failures(typed, found, "", list(model.to_schema().unique or []),
                                   tuple((_FILE_TEXT, *g) for g in groups))
    problems, failed = _by_file([(r.check, p) for r, p in hits], files)
    distinct: list[Distinct] = [{g: [] for g in groups} for _ in files]
    for g in groups:
        for k, *values in found_values[(_FILE_TEXT, *g)]:
            distinct[int(k) - 1][g].append(tuple(values))
    rows = typed.select(col(ROW), col(FILE), *(col(c) for c in [*columns, *missing]))
    return rows, [(problems[i], failed[i], distinct[i]) for i in range(len(files))]


def _hold_small(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]]) -> list[str] | None:
    """`files` read together as the cursor's `held` (`hold_csvs`): its columns (`FILE` among them); None when DuckDB
    cannot read them together or they hold SUSPECTS_FROM_ROWS rows or more (the caller judges them as before)."""
    try:
        sql.execute(con, "hold_csvs", paths=[str(path) for path, _ in files])
    except duckdb.OutOfMemoryException:  # not the files' fault: the build says so (build.within_memory)
        raise
    except (duckdb.Error, UnicodeDecodeError):
        return None
    if sql.value(con, "held_rows") >= SUSPECTS_FROM_ROWS:
        return None
    found = sql.execute(con, "held_columns")
    held = [d[0] for d in found.description]
    found.fetchall()  # no row: the result finished
    return held


def held_files_kept(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], numbers: dict[str, str],
                    model: Model, also: tuple[str, ...] = ()) -> tuple[list[str], list[Record]] | None:
    """`hold_validated_files` of a few small files that break no rule, without a relation (issue 13, quick start-up:
    the build's components files on DuckDB's engine alone): read together (`hold_csvs`), held typed as the cursor's
    `typed_held` (`ROW`, `FILE`, every column of any file, each of `also` none of them has missing, the number columns'
    text), and judged in one scan, each query kept as SQL once per model, columns and numbers (`kept_sql`). Returns
    the columns and every row as a record (`ROW` and `FILE` as hold_validated_files numbers them, every column, a
    missing one None), in the files' order (one file alone too: the mini ledger's, which most tests build); None
    when they are not read together under SUSPECTS_FROM_ROWS rows that break no rule (a header that fails, a file DuckDB cannot read or names otherwise, a
    problem anywhere): the caller then judges them as before, which names every problem."""
    if not SCAN_KEPT:
        return None
    headers = _together(files, model)
    if len(headers) < len(files):
        return None
    held = _hold_small(con, files)
    if held is None:
        return None
    columns = [c for c in held if c != FILE]
    absent = [c for c in also if c not in columns]

    def typed_query() -> duckdb.DuckDBPyRelation:
        typed, _, _ = _typed_together(relational(con).table("held"), held, numbers, model)
        return typed.select(*map(col, typed.columns), *(lit(None).cast("VARCHAR").alias(c) for c in absent))

    what = [model.__name__, held, sorted(numbers.items()), absent]
    sql.execute(con, "hold_typed_query", query=kept_sql("typed-together", what, typed_query))

    def scan_query() -> duckdb.DuckDBPyRelation:
        found = number_rules(numbers, columns, "_text_", parsed=True) + [_per_file(r) for r in rules(model, columns)]
        return relational(con).table("typed_held").select(
            col(ROW), col(FILE), *map(col, [*columns, *absent]), *(r.failed.alias(f"_failed{i}") for i, r in enumerate(found))
        ).order(col(ROW).asc().nulls_first())

    names = [ROW, FILE, *columns, *absent]
    records = []
    for hit in con.execute(kept_sql("judged-together", what, scan_query)).fetchall():
        if hit[1] is None or any(hit[len(names):]):  # a file DuckDB names otherwise than given, or a rule broken
            return None
        records.append(dict(zip(names, hit)))
    return [*columns, *absent], records


def distinct_of(records: list[Record], groups: Groups) -> Distinct:
    """The distinct values of each group of columns among `records` (a column a record lacks is missing there), in
    the order they first appear: what distinct_values gives of the same rows, made in Python."""
    return {g: list(dict.fromkeys(tuple(r.get(c) for c in g) for r in records)) for g in groups}


KEPT_SQL_FORMAT = "1"  # changed when what kept_sql keeps changes: every query kept before is then ignored


def kept_sql(name: str, what: list, make: Callable[[], duckdb.DuckDBPyRelation]) -> str:
    """The SQL of the relation `make()` builds, kept in the user's cache folder by `name`, `what` it is a function of
    (plain JSON data), this module and the models' sources and DuckDB's version (`pipelines.messages.parsed`), as
    `_scan` keeps a small file's scan: the relation is built by DuckDB's Python layer (relations, expressions: the
    rules have one form, `rules`) the first time only, and then run as SQL on DuckDB's engine alone (issue 13, quick
    start-up)."""
    key = json.dumps([KEPT_SQL_FORMAT, duckdb.__version__, name, what])
    found = _kept(f"sql-{name}-{hashlib.sha256(key.encode()).hexdigest()[:24]}", lambda: {"sql": make().sql_query()})
    return found["sql"]


# --- the rows as Python records (the build's path, without pandas) -------------------------------------------------

Record = dict[str, object]  # one typed row: its columns by name, and `ROW` (the row as a spreadsheet numbers it)
Checked = tuple[list[Record] | None, bool, list[Problem]]  # the rows (None: unreadable), whether a rule failed, problems


def _records(rel: duckdb.DuckDBPyRelation) -> list[Record]:
    """The rows of `rel` as records, in the order of `ROW` (text as str, whole numbers as int, missing as None)."""
    names = rel.columns
    out = [dict(zip(names, r)) for r in rel.fetchall()]
    out.sort(key=lambda r: r[ROW])
    return out


def read_checked(path: Path, display: str, numbers: dict[str, str], model: Model) -> Checked:
    """`read_validated` without pandas: `hold_validated`, then the typed rows as records (each with `ROW`), whether
    a rule of the model failed (then only the rows' own text is to be trusted, as `read_validated`'s raw frame), and
    every problem; (None, True, problems) when the file cannot be read at all. A small file is read in one scan
    kept as SQL (`_read_scanned`), with the same results."""
    scanned = _read_scanned(path, display, numbers, model) if SCAN_KEPT else None
    return scanned if scanned is not None else _read_held(path, display, numbers, model, _records)


# --- a small file's one scan, kept as SQL per model and columns (issue 13) -------------------------------------------
#
# A small ledger file (the real editions, cities, source domains, seed values) is judged in one scan of every rule
# (hold_validated, under SUSPECTS_FROM_ROWS rows), then fetched as records: ~7 relations bound (~1-2.5 ms each in
# DuckDB's Python layer) and every rule built as an expression again in every build, for a query that is the same
# for every file of one model with the same columns. So that query is made once by the same code (the rules as
# expressions, the relations as hold_validated and _failures build them), as the SQL DuckDB's relation layer renders
# for it, and kept in the user's cache folder by the content of this module, of the models' sources and DuckDB's
# version (`pipelines.messages.parsed`, as the models' rules are); a build then runs it as one query on the held
# file, which gives the records and every rule's verdict on each row at once.

SCAN_KEPT = True  # False: every small file read as hold_validated reads it (the tests compare both ways)
SCAN_FORMAT = "1"  # changed when what a kept scan holds changes: every scan kept before is then ignored


def _scan_sources() -> list[Path]:
    return [Path(__file__).resolve(), *_spec_sources()]


@functools.cache
def _code_digest() -> str:
    """`parsed.digest` of `_scan_sources()`, once per process: what a kept scan or query is made by is the code this
    process runs, imported once (a file changed on disk since is not what runs), so its bytes (this module, the
    models, their vocabulary, pandera's version) are found and hashed once, not again for every kept scan of every
    build (~10 of them: ~5-10 ms of CPU of each small build, issue 13)."""
    return parsed.digest(_scan_sources())


def _kept(name: str, make: Callable[[], Any]) -> Any:
    """`make()` kept in the user's cache folder as `name`, per this process's code (`_code_digest`)."""
    return parsed.load_at(parsed.cache_file(name, _code_digest()), make)


def _scan(con: duckdb.DuckDBPyConnection, model: Model, held: list[str], numbers: dict[str, str]) -> dict:
    """The one scan of every rule of `model` on the cursor's `held` file whose columns DuckDB names `held` (as read,
    before they are trimmed): its SQL (every row ordered by `ROW`: `ROW`, the columns, the text columns the messages
    quote, then whether each rule fails there), the rules as (column, check, quoted column), and the quoted text
    columns. Made from the rules as hold_validated judges a small file, once per model, columns, numbers, this
    module and DuckDB."""
    def make() -> dict:
        rel = relational(con).table("held")
        text = rel.select((col("rowid") + FIRST_DATA_ROW).alias(ROW), *(col(c).alias(c.strip()) for c in held))
        columns = [c.strip() for c in held]
        numbered = [c for c in numbers if c in columns]
        typed = text.select(col(ROW), *(_number(col(c), numbers[c]).alias(c) if c in numbers else col(c)
                                        for c in columns), *(col(c).alias(f"_text_{c}") for c in numbered))
        found = number_rules(numbers, columns, "_text_", parsed=True) + rules(model, columns)
        extra = sorted({r.value for r in found if r.value} - set(columns))
        scan = typed.select(col(ROW), *map(col, columns), *map(col, extra),
                            *(r.failed.alias(f"_failed{i}") for i, r in enumerate(found))
                            ).order(col(ROW).asc().nulls_first())
        return {"sql": scan.sql_query(), "rules": [[r.column, r.check, r.value] for r in found], "extra": extra}

    what = json.dumps([SCAN_FORMAT, duckdb.__version__, model.__name__, held, sorted(numbers.items())])
    name = f"scan-{model.__name__}-{hashlib.sha256(what.encode()).hexdigest()[:24]}"
    return _kept(name, make)


def _together_scan(con: duckdb.DuckDBPyConnection, model: Model, held: list[str], numbers: dict[str, str]) -> dict:
    """`_scan` of several files held together (`hold_csvs`: `held` names their columns by name, `FILE` among them),
    as _judge_together judges a few thousand rows: `ROW` (a row of file k numbered k * FILE_STRIDE + its row), `FILE`,
    the columns, the quoted text columns, then each rule's verdict (a key unique within its file), every row ordered
    by `ROW`."""
    def make() -> dict:
        rel = relational(con).table("held")
        columns = [c for c in held if c != FILE]
        first = fn("min", col("rowid")).over(partition_by=[col(FILE)])
        row = col(FILE).cast("BIGINT") * FILE_STRIDE + col("rowid") - first + FIRST_DATA_ROW
        numbered = [c for c in numbers if c in columns]
        typed = rel.select(row.alias(ROW), col(FILE), *(_number(col(c), numbers[c]).alias(c) if c in numbers else col(c)
                                                       for c in columns), *(col(c).alias(f"_text_{c}") for c in numbered))
        found = number_rules(numbers, columns, "_text_", parsed=True) + [_per_file(r) for r in rules(model, columns)]
        extra = sorted({r.value for r in found if r.value} - set(columns))
        scan = typed.select(col(ROW), col(FILE), *map(col, columns), *map(col, extra),
                            *(r.failed.alias(f"_failed{i}") for i, r in enumerate(found))
                            ).order(col(ROW).asc().nulls_first())
        return {"sql": scan.sql_query(), "rules": [[r.column, r.check, r.value] for r in found], "extra": extra}

    what = json.dumps([SCAN_FORMAT, duckdb.__version__, model.__name__, held, sorted(numbers.items())])
    name = f"scans-{model.__name__}-{hashlib.sha256(what.encode()).hexdigest()[:24]}"
    return _kept(name, make)


def _worded(scan: dict, hit: tuple, at: dict[str, int], first: int, display: str, key_cols: list[str]
            ) -> list[tuple[str, Problem]]:
    """The problems of one row of a kept scan, as _failures words each failing cell, each with its check."""
    out = []
    for i, (column, check, quoted) in enumerate(scan["rules"]):
        if not hit[first + i]:
            continue
        value = hit[at[quoted]] if quoted else None
        row = None if hit[0] is None else int(hit[0])
        if check.startswith("check."):  # a message key already (a number that is not one)
            out.append((check, problem(display, row, column, check, value=value)))
            continue
        key, values = _describe(check, value, column, [] if check == "field_uniqueness" else key_cols)
        out.append((check, problem(display, row, column, key, **values)))
    return out


def _judged_scanned(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], numbers: dict[str, str],
                    model: Model) -> tuple[list[Record], list[list[Problem]], list[bool]] | None:
    """_judge_together of `files` (headers checked by the caller) with records, by their kept scan
    (`_together_scan`): the same records, problems and failures; None when the files cannot be read together, a
    file is named otherwise than given, or they hold SUSPECTS_FROM_ROWS rows or more (the caller then judges them as
    before)."""
    held = _hold_small(con, files)
    if held is None:
        return None
    columns = [c for c in held if c != FILE]
    scan = _together_scan(con, model, held, numbers)
    rows = con.execute(scan["sql"]).fetchall()
    if any(hit[1] is None for hit in rows):  # a file DuckDB names otherwise than it was given
        return None
    names = [ROW, *columns]
    at = {c: i for i, c in enumerate([ROW, FILE, *columns, *scan["extra"]])}
    first, key_cols = len(at), list(model.to_schema().unique or [])
    records, hits = [], []
    for hit in rows:
        records.append(dict(zip(names, (hit[0], *hit[2:2 + len(columns)]))))
        if any(hit[first:]):  # most rows break no rule
            hits += _worded(scan, hit, at, first, "", key_cols)
    problems, failed = _by_file(hits, files)
    return records, problems, failed


def _read_scanned(path: Path, display: str, numbers: dict[str, str], model: Model) -> Checked | None:
    """read_checked of a small file whose header and columns pass, by its kept scan (`_scan`): the same records,
    whether a rule failed, and the same problems in the same order as hold_validated's one scan and _failures give
    them; None for any other file (a header or column problem, a file DuckDB cannot read, a large one), which
    read_checked then reads as before, naming what is wrong."""
    if check_header(path, display, model):
        return None
    con, own = _csv_cursor()
    try:
        try:
            sql.execute(con, "hold_csv", path=str(path))
        except duckdb.OutOfMemoryException:  # not the file's fault: the build says so (build.within_memory)
            raise
        except (duckdb.Error, UnicodeDecodeError):
            return None
        held = [d[0] for d in sql.execute(con, "held_columns").description]
        columns = [c.strip() for c in held]
        at_most = _rows_at_most(path, len(columns))
        if (at_most is None or at_most >= SUSPECTS_FROM_ROWS or column_problems(model, columns, display)
                or len(set(columns)) < len(columns) or {ROW, "rowid"} & set(columns)
                or any(c.startswith(("_text_", "_failed")) for c in columns)):
            return None
        scan = _scan(con, model, held, numbers)
        rows = con.execute(scan["sql"]).fetchall()
    finally:
        if own:
            con.close()
    names = [ROW, *columns]
    at = {c: i for i, c in enumerate([*names, *scan["extra"]])}
    first, key_cols = len(at), list(model.to_schema().unique or [])
    records, problems, failed = [], [], False
    for hit in rows:
        records.append(dict(zip(names, hit)))
        for check, p in _worded(scan, hit, at, first, display, key_cols) if any(hit[first:]) else ():
            problems.append(p)
            failed = failed or not check.startswith("check.")
    return records, failed, problems


def read_checked_files(files: list[tuple[Path, str]], numbers: dict[str, str], model: Model) -> list[Checked]:
    """`read_checked` of each (path, display) of `files`, in order and with the same results, the files that can be
    read together read, typed and checked by DuckDB in one pass (as `read_validated_files`)."""
    out: list[Checked | None] = [None] * len(files)
    headers = _together(files, model)
    together = list(headers) if len(headers) > 1 else []
    if together:
        con = cursor()
        try:
            judged = _judged_scanned(con, [files[i] for i in together], numbers, model) if SCAN_KEPT else None
            if judged is None:
                judged = _judge_together(con, [files[i] for i in together], [headers[i] for i in together], numbers,
                                         model, _records)
        finally:
            con.close()
        if judged is not None:
            records, problems, failed = judged
            per_file: list[list[Record]] = [[] for _ in together]
            for r in records:
                k, r[ROW] = divmod(r[ROW], FILE_STRIDE)
                per_file[k - 1].append(r)
            columns = {ROW, *(c for i in together for c in headers[i])}
            for j, i in enumerate(together):
                # a column another file has is not this file's: its records leave it out (as reading it alone)
                for c in columns - {ROW, *headers[i]}:
                    for r in per_file[j]:
                        del r[c]
                out[i] = per_file[j], failed[j], problems[j]
    return [result if result is not None else read_checked(path, display, numbers, model)
            for result, (path, display) in zip(out, files)]


def judge_files_held(con: duckdb.DuckDBPyConnection, files: list[tuple[Path, str]], numbers: dict[str, str],
                     model: Model, key_proven: bool = False
                     ) -> tuple[duckdb.DuckDBPyRelation, list[list[Problem]], list[bool]] | None:
    """The files of `files` read, typed and checked together on cursor `con` as read_checked_files reads them, their
    rows left in DuckDB (issue 13: a large ledger's are never records): the typed rows (`FILE`, the file's place in
    `files` from 1, `ROW`, the row in its file, then every column of any file), each file's problems, and whether a
    rule of the model failed in each; None when they cannot all be read together (the caller then reads them as
    records). `key_proven`: the caller proves each file's key itself (_judge_together)."""
    headers = _together(files, model)
    if len(files) < 2 or len(headers) < len(files):
        return None
    judged = _judge_together(con, files, [headers[i] for i in range(len(files))], numbers, model, lambda typed: typed,
                             counted=False, key_proven=key_proven)
    if judged is None:
        return None
    rows, problems, failed = judged
    return rows.select((col(ROW) // FILE_STRIDE).alias(FILE), (col(ROW) % FILE_STRIDE).alias(ROW),
                       *(col(c) for c in rows.columns if c != ROW)), problems, failed


# A table made in Python of this many rows or more goes to DuckDB through pandas (Table.relation): DuckDB converts a
# Python value in ~0.5 us, 0.3-0.8 s for the 54,000 ranking rows of the synthetic ledger (each time the rows are
# read), where pandas converts them column by column in a fraction of that. The real ledger's largest is 1,646 rows:
# its build loads no pandas (issue 13).
LARGE_TABLE_ROWS = 20_000
# ... and from this many on when pandas is loaded already (a write whose upload was parsed as a frame): the
# conversion then costs no import, and a 10,000-row upload's values went in ~0.15 s slower value by value
LOADED_TABLE_ROWS = 2_000


def _through_pandas(rows: int) -> bool:
    return rows >= LARGE_TABLE_ROWS or (rows >= LOADED_TABLE_ROWS and "pandas" in sys.modules)


@dataclass
class Table:
    """A warehouse table made in Python, as records (no pandas: the build's path, issue 13): `columns` in order (a
    record without one has it missing), `types` the pandas dtypes of the non-text columns, for a caller that wants
    the table as a frame (`.frame()`: loads pandas)."""

    columns: list[str]
    records: list[Record]
    types: dict[str, str] = dataclasses.field(default_factory=dict)
    # a large table as pandas, made once for all its relations (checked, then appended: issue 13), by row count
    _converted: tuple[int, pd.DataFrame] | None = dataclasses.field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.records), len(self.columns)

    def select(self, columns: list[str]) -> Table:
        """The same records with only `columns` (a column the table does not have is a KeyError, as a frame's)."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise KeyError(f"{missing} not in the table's columns {self.columns}")
        return Table(list(columns), self.records, {c: t for c, t in self.types.items() if c in columns})

    def column(self, name: str) -> list:
        return [r.get(name) for r in self.records]

    __getitem__ = column  # `table["domain"]`, as of a frame

    def relation(self, con: duckdb.DuckDBPyConnection, columns: list[str] | None = None,
                 row: bool = False) -> duckdb.DuckDBPyRelation:
        """The records as DuckDB rows on `con` (each column one list, unnested together: `python_rows`), `columns`
        in order (default: all); `row`: with `ROW` first, each record's place from 0 (as a frame's index)."""
        names = [ROW] * row + list(columns or self.columns)
        if _through_pandas(len(self.records)):  # converted by pandas, column by column, once
            if self._converted is None or self._converted[0] != len(self.records):
                self._converted = (len(self.records), self.frame())
            frame = self._converted[1][[c for c in names if c != ROW]]
            return relational(con).from_df(frame.assign(**{ROW: frame.index})[names] if row else frame)
        lists = [list(range(len(self.records))) if c == ROW else self.column(c) for c in names]
        if set(names) != {"key", "value"}:
            return relational(con).sql(sql.text("python_rows"), params={"columns": dict(zip(names, lists))})
        # DuckDB reads a dict of exactly `key` and `value` as a MAP: such a table goes in under other names
        rel = relational(con).sql(sql.text("python_rows"), params={"columns": {f"_{i}": v for i, v in enumerate(lists)}})
        return rel.select(*(col(f"_{i}").alias(c) for i, c in enumerate(names)))

    def held(self, con: duckdb.DuckDBPyConnection, columns: list[str] | None = None,
             row: bool = False) -> duckdb.DuckDBPyRelation:
        """`relation`, with the records converted once, into the cursor's temporary table `python_held`
        (`python_rows_hold`): for a caller that reads the rows more than once (checked, then appended). Valid until
        the next `held` on the same cursor, which replaces that table. A large table goes through pandas, as in
        `relation` (DuckDB reads the frame where it lies)."""
        names = [ROW] * row + list(columns or self.columns)
        if _through_pandas(len(self.records)):
            return self.relation(con, columns, row)
        lists = [list(range(len(self.records))) if c == ROW else self.column(c) for c in names]
        sql.execute(con, "python_rows_hold", columns={f"_{i}": v for i, v in enumerate(lists)})
        return relational(con).table("python_held").select(*(col(f"_{i}").alias(c) for i, c in enumerate(names)))

    def stored(self, con: duckdb.DuckDBPyConnection) -> Stored:
        """The records held as `held` holds them (the cursor's `python_held`, with `ROW`, each record's place), as
        find_problems judges them without a relation (a small table by its kept scan)."""
        names = [ROW, *self.columns]
        lists = [list(range(len(self))) if c == ROW else self.column(c) for c in names]
        sql.execute(con, "python_rows_hold", columns={f"_{i}": v for i, v in enumerate(lists)})
        return Stored(con, "python_held", list(self.columns), tuple(f"_{i}" for i in range(len(names))))

    def append(self, con: duckdb.DuckDBPyConnection, name: str, columns: list[str]) -> None:
        """The records appended to table `name` on `con`, as `relation(con, columns)` inserted there (`columns`: the
        table's own, in its order): by DuckDB's appender, each value converted once as a parameter is, no statement
        bound or planned (issue 13: a real build's ranking_row went in in ~9 ms instead of ~35, a small table in half
        the time). A large table, or a `Columns`, as `relation` converts it."""
        if type(self) is not Table or _through_pandas(len(self.records)):
            self.relation(con, columns).insert_into(name)
            return
        appender = con.appender(name, columns=list(columns))
        appender.append_rows([tuple(map(r.get, columns)) for r in self.records])
        appender.flush()

    def frame(self) -> pd.DataFrame:
        """The table as pandas (text as pyarrow strings, as `_frame` gives them; `types` for the rest)."""
        return frame_of(self.records, self.columns, self.types)



# DuckDB's type of each pandas dtype a Columns table names (any other column is text)
_JSON_TYPES = {"Int64": "BIGINT", "int64": "BIGINT", "float64": "DOUBLE", "Float64": "DOUBLE"}
JSON_RUN_ROWS = 2048  # rows a JSON line holds: DuckDB parses the lines in parallel


class Columns(Table):
    """A large warehouse table made in Python as one list per column (the values part: every version of every
    city-managed value, issue 13), that goes to DuckDB without pandas and without converting value by value: as JSON
    text, in runs of JSON_RUN_ROWS rows, that DuckDB parses itself (`json_rows`), each column typed as its `types`
    say (text otherwise). A column holding what JSON cannot say (a NaN or an infinite number) goes as Table's rows.
    Otherwise a Table: `records`, `frame()` and `select` as there."""

    def __init__(self, lists: dict[str, list], types: dict[str, str] | None = None, key_proven: bool = False):
        self.lists = lists
        # the maker proved the model's unique key as it made the rows (the values part: build._city_value_tables):
        # validate_frame judges every other rule (the key's check of a large table loaded numpy, ~70 ms)
        self.key_proven = key_proven
        self.columns = list(lists)
        self.types = dict(types or {})
        self._converted = None
        self._runs: dict[str, list[bytes]] = {}
        counts = {len(v) for v in lists.values()}
        if len(counts) > 1:
            raise ValueError(f"columns of different lengths: {sorted(counts)}")
        self._rows = counts.pop() if counts else 0

    def append(self, con: duckdb.DuckDBPyConnection, name: str, columns: list[str]) -> None:
        """As Table.append: fewer than JSON_RUN_ROWS rows by DuckDB's appender, each row a tuple of the lists (the
        real ledger's values part, a few hundred: no JSON file and no relation, issue 13); more as JSON text."""
        if self._rows >= JSON_RUN_ROWS or _through_pandas(self._rows):
            self.relation(con, columns).insert_into(name)
            return
        appender = con.appender(name, columns=list(columns))
        appender.append_rows(list(zip(*(self.lists[c] for c in columns))))
        appender.flush()

    def _json(self, name: str) -> list[bytes]:
        """Column `name` (or ROW: each row's place) as JSON arrays, one per run of rows: made once per column, as
        the table is checked and then written (ValueError: a value JSON cannot say)."""
        made = self._runs.get(name)
        if made is None:
            values = range(self._rows) if name == ROW else self.lists[name]
            made = self._runs[name] = [json.dumps(list(values[i:i + JSON_RUN_ROWS]), ensure_ascii=False,
                                                  allow_nan=False).encode()
                                       for i in range(0, self._rows, JSON_RUN_ROWS)]
        return made

    @property
    def records(self) -> list[Record]:  # type: ignore[override]
        names = self.columns
        return [dict(zip(names, row)) for row in zip(*(self.lists[c] for c in names))]

    def __len__(self) -> int:
        return self._rows

    @property
    def shape(self) -> tuple[int, int]:
        return self._rows, len(self.columns)

    def select(self, columns: list[str]) -> Columns:
        missing = [c for c in columns if c not in self.lists]
        if missing:
            raise KeyError(f"{missing} not in the table's columns {self.columns}")
        return Columns({c: self.lists[c] for c in columns}, {c: t for c, t in self.types.items() if c in columns},
                       self.key_proven)  # every row kept: a key proved on them holds on a part of their columns

    def column(self, name: str) -> list:
        return list(self.lists[name])

    __getitem__ = column

    def relation(self, con: duckdb.DuckDBPyConnection, columns: list[str] | None = None,
                 row: bool = False) -> duckdb.DuckDBPyRelation:
        """The rows on `con`, held there (materialised: the JSON file is gone when this returns); as Table.relation."""
        names = [ROW] * row + list(columns or self.columns)
        if not self._rows:  # no JSON line to read the types from: as Table's (empty) rows
            return Table(self.columns, [], self.types).relation(con, columns, row)
        try:
            runs = [self._json(c) for c in names]
        except ValueError:  # NaN or an infinite number: not JSON
            return Table(self.columns, self.records, self.types).relation(con, columns, row)
        keys = [json.dumps(c).encode() + b":" for c in names]
        lines = [b"{" + b",".join(k + run[i] for k, run in zip(keys, runs)) + b"}" for i in range(len(runs[0]))]
        types = {c: ("BIGINT" if c == ROW else _JSON_TYPES.get(self.types.get(c, ""), "VARCHAR")) + "[]" for c in names}
        # DuckDB's reader holds a buffer of this size: the longest line, at least its own default (16 MiB)
        largest = max(2**24, max(map(len, lines)) + 1)
        handle, path = tempfile.mkstemp(prefix="cityidx-rows-", suffix=".json")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"\n".join(lines))
            return relational(con).sql(sql.text("json_rows"),
                           params={"path": path, "columns": types, "largest": largest}).materialize()
        finally:
            os.unlink(path)


def frame_of(records: list[Record], columns: list[str] | tuple[str, ...], types: dict[str, str] | None = None
             ) -> pd.DataFrame:
    """Records as the frame a warehouse table is written from: `columns` in order (a record without one has it
    missing), the `types` given (`Int64`, `float64` ...), text as pandas' pyarrow strings (as `_frame` gives them),
    any other column as Python objects."""
    import pandas as pd  # only for a caller that wants frames (the build writes records: Table)

    types = types or {}

    def array(c: str):
        values = [r.get(c) for r in records]
        if c in types:
            return pd.array(values, dtype=types[c])
        text = all(v is None or isinstance(v, str) for v in values)
        return pd.array(values, dtype=pd.StringDtype("pyarrow") if text else object)

    return pd.DataFrame({c: array(c) for c in columns}, columns=list(columns))
