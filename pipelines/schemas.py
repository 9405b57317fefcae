"""Every pandera model, and the turning of their failures into problems that name file, row and column."""

from __future__ import annotations

import csv
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipelines.errors import CityIdxError
from pipelines.messages import t

STATUSES = ("ranked", "outside_list", "not_covered", "not_published", "rank_unknown", "not_found", "no_edition")
URL_RE = r"^https?://[^ \t\n\r\f\v]+$"  # not \S: that makes pandas leave pyarrow for re
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
FIRST_DATA_ROW = 2  # a spreadsheet numbers the header row 1
# A `flags` cell: known flag words separated by `|` (pipelines/build/notes.py checks them against the note).
FLAGS_RE = r"^(derived|inferred|conflict|low_confidence)(\|(derived|inferred|conflict|low_confidence))*$"


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


# --- raw ledger files -----------------------------------------------------------------------


class _PublishedFigure(pa.DataFrameModel):
    """The columns every raw file of published figures shares: which edition and city, the figure, its source."""

    edition: Series[str] = pa.Field(str_length={"min_value": 1})
    city: Series[str] = pa.Field(str_length={"min_value": 1})
    rank: Series[pd.Int64Dtype] = pa.Field(ge=1, le=100000, nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(str_matches=URL_RE)
    publication: Series[str] = pa.Field(str_length={"min_value": 1})
    retrieved: Series[str] = pa.Field(str_matches=DATE_RE)
    flags: Optional[Series[str]] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Optional[Series[str]] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


class RawRanking(_PublishedFigure):
    """data/raw/rankings/<index_id>.csv"""

    country: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(isin=list(STATUSES))
    # Known only to be within the top N: rank <= rank_bound (status rank_unknown only).
    rank_bound: Optional[Series[pd.Int64Dtype]] = pa.Field(ge=1, le=100000, nullable=True)

    class Config:
        unique = ["edition", "city"]

    @pa.dataframe_check(name="rank_status")
    def rank_iff_ranked(cls, df: pd.DataFrame) -> pd.Series:
        return df["rank"].notna() == (df["status"] == "ranked")

    @pa.dataframe_check(name="bound_status")
    def bound_only_when_unknown(cls, df: pd.DataFrame) -> pd.Series:
        if "rank_bound" not in df.columns:
            return pd.Series(True, index=df.index)
        return df["rank_bound"].isna() | (df["status"] == "rank_unknown")


class RawComponent(_PublishedFigure):
    """data/raw/rankings/<index_id>__components.csv"""

    component: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")

    @pa.dataframe_check(name="rank_or_score")
    def has_a_figure(cls, df: pd.DataFrame) -> pd.Series:
        return df["rank"].notna() | df["score"].notna()


class RawEdition(pa.DataFrameModel):
    """data/raw/rankings/editions.csv"""

    index_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$")
    edition: Series[str] = pa.Field(str_length={"min_value": 1})
    published: Series[str] = pa.Field(str_matches=MONTH_RE, nullable=True)
    year: Series[pd.Int64Dtype] = pa.Field(ge=1990, le=2100)
    field_size: Series[pd.Int64Dtype] = pa.Field(ge=1, nullable=True)
    methodology_change: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(str_matches=URL_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True
        unique = ["index_id", "edition"]


class RawSourceDomain(pa.DataFrameModel):
    """data/raw/source_domains.csv: one row per domain (or domain/path prefix) with its tier and why."""

    domain: Series[str] = pa.Field(str_matches=r"^[a-z0-9][a-z0-9.-]*[a-z0-9](/[^ \t\n\r\f\v]*)?$")
    tier: Series[str] = pa.Field(str_matches=r"^[a-z_]+$")
    reason: Series[str] = pa.Field(str_length={"min_value": 1})

    class Config:
        strict = True
        coerce = True
        unique = ["domain"]


class RawCity(pa.DataFrameModel):
    """data/raw/cities.csv"""

    city: Series[str] = pa.Field(str_length={"min_value": 1}, unique=True)
    city_ko: Series[str] = pa.Field(str_length={"min_value": 1})
    country: Series[str] = pa.Field(str_length={"min_value": 1})
    country_ko: Series[str] = pa.Field(str_length={"min_value": 1})
    aliases: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        coerce = True


# --- warehouse tables (the primary keys here must match warehouse.sql) ----------------------


class CityTable(pa.DataFrameModel):
    city: Series[str]
    city_ko: Series[str]
    country: Series[str]
    country_ko: Series[str]

    class Config:
        strict = True
        unique = ["city"]


class EditionTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    published: Series[str] = pa.Field(nullable=True)
    year: Series[pd.Int64Dtype]
    edition_order: Series[pd.Int64Dtype] = pa.Field(ge=1)
    field_size: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    methodology_change: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    source_tier: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition"]


class RankingTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    city: Series[str]
    source_city: Series[str] = pa.Field(nullable=True)
    source_country: Series[str] = pa.Field(nullable=True)
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(isin=list(STATUSES))
    rank_bound: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    source_tier: Series[str] = pa.Field(nullable=True)
    publication: Series[str] = pa.Field(nullable=True)
    retrieved: Series[str] = pa.Field(nullable=True)
    flags: Series[str] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Series[str] = pa.Field(nullable=True)
    source_file: Series[str] = pa.Field(nullable=True)
    source_row: Series[pd.Int64Dtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition", "city"]


class ComponentTable(pa.DataFrameModel):
    index_id: Series[str]
    edition: Series[str]
    city: Series[str]
    component_id: Series[str]
    rank: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    score: Series[float] = pa.Field(nullable=True)
    source_url: Series[str]
    source_tier: Series[str] = pa.Field(nullable=True)
    score_source_url: Series[str] = pa.Field(nullable=True)
    flags: Series[str] = pa.Field(str_matches=FLAGS_RE, nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    note_ko: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["index_id", "edition", "city", "component_id"]


class IndicatorVersionTable(pa.DataFrameModel):
    indicator_id: Series[str]
    period: Series[str]
    upload_id: Series[str]
    value: Series[float]
    office_id: Series[str]
    uploaded_by: Series[str]
    uploaded_at: Series[str]
    source: Series[str] = pa.Field(nullable=True)
    source_url: Series[str] = pa.Field(nullable=True)
    note: Series[str] = pa.Field(nullable=True)
    ledger_file: Series[str]
    ledger_row: Series[pd.Int64Dtype]

    class Config:
        strict = True
        unique = ["indicator_id", "period", "upload_id"]


class LedgerUploadTable(pa.DataFrameModel):
    upload_id: Series[str]
    office_id: Series[str]
    uploaded_by: Series[str]
    uploaded_at: Series[str]
    sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    original_filename: Series[str]
    encoding: Series[str] = pa.Field(nullable=True)
    bytes: Series[pd.Int64Dtype]
    rows: Series[pd.Int64Dtype]

    class Config:
        strict = True
        unique = ["upload_id"]


WAREHOUSE_MODELS: dict[str, type[pa.DataFrameModel]] = {
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


def check_header(path: Path, display: str, model: type[pa.DataFrameModel]) -> list[Problem]:
    """The header line alone against a strict model, before any row is read: a file of 10,000 columns is
    refused in milliseconds, with its first unknown columns named, not after the whole file is parsed."""
    schema = model.to_schema()
    if not schema.strict:
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            line = f.readline(MAX_HEADER_BYTES + 1)
    except (OSError, UnicodeDecodeError) as exc:
        return [problem(display, None, None, "check.unreadable_csv", value=str(exc).splitlines()[0][:200])]
    if not line.strip():
        return []  # an empty file: the reader below says so
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


_READER: list = []  # one in-memory DuckDB for every CSV read; each read takes its own cursor (thread-safe)
_READER_LOCK = threading.Lock()


def _csv_reader():
    """A cursor on the process's one CSV-reading DuckDB: a new database per file cost ~11 ms, a cursor ~0.1 ms."""
    import duckdb

    with _READER_LOCK:
        if not _READER:
            _READER.append(duckdb.connect())
        return _READER[0].cursor()


def read_csv_text(path: Path, display: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Read a ledger CSV as text: every cell a stripped string, empty cells as missing.

    DuckDB's reader (strict: ragged rows and bad UTF-8 are errors, a UTF-8 BOM is allowed) does the
    parsing and trimming; it is several times faster than pandas on the large component files.
    """
    import duckdb

    con = _csv_reader()
    try:
        rel = con.read_csv(str(path), header=True, all_varchar=True, strict_mode=True, null_padding=False,
                           auto_detect=True, sep=",", quotechar='"', escapechar='"')
        # every cell trimmed, an empty one missing; headers trimmed too (built as expressions, not SQL text)
        trimmed = [duckdb.FunctionExpression("nullif", duckdb.FunctionExpression("trim", duckdb.ColumnExpression(c)),
                                             duckdb.ConstantExpression("")).alias(c.strip()) for c in rel.columns]
        table = rel.select(*trimmed).to_arrow_table()
        # pandas' own (pyarrow-backed) string dtype keeps the vectorised string checks fast downstream
        # self_destruct frees each Arrow column as it is converted: half the peak memory on large files
        df = table.to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow"), self_destruct=True, split_blocks=True)
        del table
    except (duckdb.Error, UnicodeDecodeError) as exc:
        return pd.DataFrame(), [problem(display, None, None, "check.unreadable_csv", value=str(exc).splitlines()[0][:200])]
    finally:
        con.close()
    df.index = df.index + FIRST_DATA_ROW
    return df, []


def coerce_numbers(df: pd.DataFrame, columns: dict[str, str], display: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Turn text columns into numbers; a cell that is not a number is a problem, then missing."""
    out = df.copy()
    problems: list[Problem] = []
    for col, kind in columns.items():
        if col not in out.columns:
            continue
        text = out[col]
        cleaned = text.str.replace(",", "", regex=False)
        num = pd.to_numeric(cleaned, errors="coerce")
        if kind == "int":
            whole = num.notna() & (num % 1 == 0)
            bad = text.notna() & ~whole
            num = num.where(whole).astype("Int64")
            key = "check.not_a_whole_number"
        else:
            bad = text.notna() & num.isna()
            key = "check.not_a_number"
        for row in out.index[bad]:
            problems.append(problem(display, int(row), col, key, value=text[row]))
        out[col] = num
    return out, problems


_LIMIT_RE = re.compile(r"\(([-\d.e+]+)\)")


def _describe(check: str, value: object, column: str | None, key_cols: list[str]) -> tuple[str, dict]:
    """Map a pandera check name to a message key of the catalogue and its values."""
    v = "" if value is None or (isinstance(value, float) and pd.isna(value)) else value
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


# Wide (dataframe) checks are reported against one column, not every column of the row.
WIDE_CHECK_COLUMN = {"rank_status": "status", "rank_or_score": "rank", "bound_status": "rank_bound"}


def validate(df: pd.DataFrame, model: type[pa.DataFrameModel], display: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Validate lazily; return the typed frame, or None and every problem with file, row and column."""
    try:
        return model.validate(df, lazy=True), []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    key_cols = list(getattr(model.Config, "unique", None) or [])
    problems: list[Problem] = []
    seen_rows: set[tuple] = set()
    for case in cases.itertuples(index=False):
        check = str(case.check)
        column = None if pd.isna(case.column) else str(case.column)
        value = case.failure_case
        index = case.index
        if isinstance(value, str) and value.startswith("TypeError("):
            continue  # a comparison on a column that failed to coerce; the coercion is reported
        if check.startswith("dtype("):
            continue  # reported by coerce_dtype already
        if check in WIDE_CHECK_COLUMN:
            # Reported once per row, at one column; pandera leaves out the columns that are empty.
            column = WIDE_CHECK_COLUMN[check]
            value = df.at[index, column] if index in df.index else None
        if check in ("multiple_fields_uniqueness",):
            if key_cols and column != key_cols[-1]:
                continue
            value = None
        if check in ("column_in_dataframe", "column_in_schema"):
            column, index = str(value), None
        row = None if index is None or pd.isna(index) else int(index)
        dedupe = (row, column, check)
        if dedupe in seen_rows:
            continue
        seen_rows.add(dedupe)
        if check.startswith("coerce_dtype"):
            key = "check.not_a_whole_number" if "Int" in check else "check.not_a_number"
            problems.append(problem(display, row, column, key, value=value))
            continue
        key, values = _describe(check, value, column, key_cols)
        problems.append(problem(display, row, column, key, **values))
    return None, problems


def read_validated(path: Path, display: str, numbers: dict[str, str],
                   model: type[pa.DataFrameModel]) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[Problem]]:
    """A ledger CSV read as text, its number columns (if any) parsed, then checked against its model.

    Returns the text frame (for checks that name raw cells), the typed frame (None when invalid) and every
    problem; (None, None, problems) when the file cannot be read at all.
    """
    problems = check_header(path, display, model)
    if problems:
        return None, None, problems
    raw, problems = read_csv_text(path, display)
    if problems:
        return None, None, problems
    if numbers:
        raw, problems = coerce_numbers(raw, numbers, display)
    typed, more = validate(raw, model, display)
    return raw, typed, problems + more
