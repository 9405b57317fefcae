"""Department uploads read and validated (encodings, Korean or English headers, numbers, periods, ownership), and the value history they make."""

from __future__ import annotations

import collections
import csv
import dataclasses
import functools
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.accounts import RESERVED, Account
from pipelines.build.periods import PERIOD_PATTERNS, parse_period
from pipelines.build.seed import read_seed
from pipelines.ledger.uploads import read_receipt, read_receipts
from pipelines.messages import bilingual, t
from pipelines.schemas import Problem, Record

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue, Indicator
    import pandas as pd

# canonical column -> the header names accepted for it (Korean first, as in the template)
COLUMNS: dict[str, tuple[str, ...]] = {
    "indicator_id": ("지표코드", "indicator_id"),
    "indicator_name": ("지표명", "indicator_name"),
    "unit": ("단위", "unit"),
    "period": ("기준기간", "period"),
    "value": ("값", "value"),
    "note": ("비고", "note"),
    "source": ("출처", "source"),
    "previous": ("직전 값(참고)", "previous_value"),  # the template's reminder of the last value; never read
}
HEADER_NAMES = {name.casefold(): canon for canon, names in COLUMNS.items() for name in names}
REQUIRED = ("indicator_id", "period", "value")
TEMPLATE_COLUMNS = ("indicator_id", "indicator_name", "unit", "period", "value", "previous", "source", "note")
ENCODINGS = ("utf-8-sig", "cp949")  # utf-8-sig reads UTF-8 with or without a BOM; cp949 covers EUC-KR

NUMBER_RE = re.compile(r"^[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d+)?$")
XLSX_SIGNATURE = b"PK\x03\x04"
XLSX_EXPANSION = 20  # unzipped parts may be this many times the upload limit (a zip bomb is refused unread)
XLSX_MAX_COLUMNS = 26  # cells right of Z are not read: the template has seven columns
XLSX_MAX_ROWS = 10_000  # rows that hold anything; a department reports tens
BINARY_SIGNATURES = {
    b"PK\x03\x04": "xlsx/zip",
    b"\xd0\xcf\x11\xe0": "xls (Excel 97-2003)",
    b"%PDF": "PDF",
    b"\x89PNG": "PNG image",
    b"\xff\xd8\xff": "JPEG image",
}


ROW_COLUMNS = ("indicator_id", "period", "value", "source", "note", "row")  # what an accepted row holds


@dataclass
class ParsedUpload:
    """An upload read and checked: its rows, or the problems that reject it whole.

    The rows are records (tuples of ROW_COLUMNS, no pandas: an upload is read, checked and written without it, issue
    13); `rows` gives them as pandas for a caller that shows or compares them."""

    display: str
    department: str
    encoding: str | None = None
    records: list[tuple] = field(default_factory=list)  # ROW_COLUMNS; an identical row given twice: its first
    problems: list[Problem] = field(default_factory=list)  # the first `reporting.max_problems_shown`
    problem_count: int = 0  # all of them
    # the first day of the latest period among the records: the upload reads the same on any day from then on
    latest: date | None = None
    _given: list[tuple] = field(default_factory=list, repr=False, compare=False)  # every accepted row, as given

    @property
    def ok(self) -> bool:
        return not self.problems

    @functools.cached_property
    def rows(self) -> pd.DataFrame:
        """The records as pandas (indicator_id, period, value, source, note, row): made, and pandas loaded, only
        when a caller asks (a preview, a test); exactly the frame the rows were once kept as."""
        if not self.records:
            return _frame([])
        frame = _frame(self._given, list(ROW_COLUMNS))
        return frame.drop_duplicates(["indicator_id", "period"]).reset_index(drop=True)


@dataclass
class _Problems:
    """The problems of one file: the first `cap` kept (each built only then), every one counted."""

    cap: int
    items: list[Problem] = field(default_factory=list)
    total: int = 0

    def add(self, make: Callable[[], Problem]) -> None:
        self.total += 1
        if len(self.items) < self.cap:
            self.items.append(make())

    def extend(self, problems: list[Problem]) -> None:
        for p in problems:
            self.add(lambda p=p: p)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: a column as a spreadsheet names it."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _problem(display: str, row: int | None, column: str | None, col_index: int | None, key: str, **values) -> Problem:
    cell = f"{column_letter(col_index)}{row}" if row is not None and col_index is not None else None
    return Problem(display, row, column, t(key, "ko", **values), t(key, "en", **values), cell)


def decode(data: bytes) -> tuple[str | None, str | None]:
    """Return (text, encoding) for UTF-8 (with or without BOM) or CP949, else (None, None)."""
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), ("utf-8" if encoding == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf")
                                           else "utf-8-bom" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError:
            continue
    return None, None



def parse_number(text: str, indicator: Indicator | None) -> tuple[float | None, str | None]:
    """Parse '1,234.5', ' 12 ', '45.2%' -> number, or return the message key that says why not."""
    s = text.strip().replace("\u2212", "-")
    percent = s.endswith("%")
    if percent:
        if indicator is not None and not indicator.accepts_percent_sign:
            return None, "upload.percent_not_allowed"
        s = s[:-1].strip()
    if not NUMBER_RE.match(s):
        return None, "upload.not_a_number"
    return float(s.replace(",", "")), None


def _whole(display: str, key: str, **values) -> Problem:
    """A problem with the whole file (no row, no cell)."""
    return _problem(display, None, None, None, key, **values)


def size_problem(display: str, size: int, cat: Catalogue) -> Problem | None:
    """The file is larger than `reporting.max_upload_bytes`: said from its size alone, before it is read."""
    limit = cat.reporting.max_upload_bytes
    return _whole(display, "upload.too_large", size=size_text(size), limit=size_text(limit)) if size > limit else None


def _read_text(data: bytes, display: str, department: str, cat: Catalogue) -> tuple[str | None, str | None, Problem | None]:
    """The upload as text and its encoding, or the one problem that stops it before any cell is read."""
    if department not in cat.offices:
        return None, None, _whole(display, "upload.unknown_department", value=department)
    if too_large := size_problem(display, len(data), cat):
        return None, None, too_large
    kind = next((name for sig, name in BINARY_SIGNATURES.items() if data.startswith(sig)), None)
    if data.startswith(XLSX_SIGNATURE):
        return None, None, _whole(display, "upload.xlsx_wrong_name")
    if kind or b"\x00" in data[:8192]:
        return None, None, _whole(display, "upload.not_text", kind=kind or "binary")
    text, encoding = decode(data)
    if text is None:
        return None, None, _whole(display, "upload.encoding")
    return text, encoding, None


def size_text(size: int) -> str:
    """5242880 -> '5 MB', 5300000 -> '5.1 MB', 20000 -> '20 KB', 2**33 -> '8 GB': a size as staff read it."""
    if size < 2**20:
        return f"{max(1, round(size / 1024))} KB"
    if size < 2**30:
        return f"{size / 2**20:.1f}".removesuffix(".0") + " MB"
    return f"{size / 2**30:.1f}".removesuffix(".0") + " GB"


def _number_text(value: float) -> str:
    """A number from a cell as the CSV reader would see it typed: 1637000, 3.1 (never 3.0999999 or 1e+16)."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.10f}".rstrip("0").rstrip(".")


def _cell_text(value: object, number_format: str | None) -> str:
    """A cell's (cached) value as text: numbers as typed, 45.2% as '45.2%', a date as its month (2024-09-01 -> 2024-09)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        if number_format and "%" in number_format:
            return _number_text(round(value * 100, 10)) + "%"
        return _number_text(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m") if value.day == 1 and value.time() == time() else value.date().isoformat()
    if isinstance(value, date):
        return value.strftime("%Y-%m") if value.day == 1 else value.isoformat()
    return str(value).strip()


def _sheet_problem(display: str, sheet: str, row: int, col_index: int, key: str, **values) -> Problem:
    return dataclasses.replace(_problem(display, row, None, col_index, key, **values),
                               cell=f"{sheet}!{column_letter(col_index)}{row}")


def _xlsx_lines(data: bytes, display: str, limit: int) -> tuple[list[tuple[int, list[str]]], str | None, list[Problem], list[Problem]]:
    """The first sheet's rows that hold anything (row number, cells as text), its name, the problems that stop
    it, and the formulas saved without a value (a problem at each cell, reported with the others).

    Read with openpyxl in read-only mode, which parses through defusedxml (refused without it). A formula
    is read as the value Excel saved with it; one saved without a value is a problem at its cell: nothing
    is ever calculated here.
    """
    import openpyxl  # only for a workbook: a build, which reads no xlsx, starts ~0.1 s sooner without it (issue 13)

    if not openpyxl.DEFUSEDXML:  # openpyxl uses defusedxml when it is installed; never parse without it
        raise RuntimeError("defusedxml is not installed: xlsx uploads are refused")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        return [], None, [_whole(display, "upload.bad_xlsx")], []
    if unzipped > XLSX_EXPANSION * limit:
        return [], None, [_whole(display, "upload.xlsx_too_large", limit=size_text(XLSX_EXPANSION * limit))], []
    try:
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a damaged or foreign zip
        return [], None, [_whole(display, "upload.bad_xlsx")], []
    try:
        if not values.worksheets:
            return [], None, [_whole(display, "upload.empty")], []
        sheet_values, sheet_formulas = values.worksheets[0], formulas.worksheets[0]
        sheet = sheet_values.title
        lines: list[tuple[int, list[str]]] = []
        problems: list[Problem] = []
        rows = zip(sheet_values.iter_rows(max_col=XLSX_MAX_COLUMNS), sheet_formulas.iter_rows(max_col=XLSX_MAX_COLUMNS))
        for row_values, row_formulas in rows:
            cells = [c for c in row_values if getattr(c, "row", None) is not None]
            if not cells:
                continue
            row_no = cells[0].row
            width = max(c.column for c in cells)
            texts = [""] * width
            for cell in cells:
                texts[cell.column - 1] = _cell_text(cell.value, cell.number_format)
            for cell in row_formulas:
                if getattr(cell, "data_type", None) == "f" and not texts[cell.column - 1]:
                    problems.append(_sheet_problem(display, sheet, row_no, cell.column - 1, "upload.formula_without_value"))
            if any(texts):
                lines.append((row_no, texts))
                if len(lines) > XLSX_MAX_ROWS:
                    return [], sheet, [_whole(display, "upload.too_many_rows", limit=XLSX_MAX_ROWS)], []
    finally:
        values.close()
        formulas.close()
    return lines, sheet, [] if lines else [_whole(display, "upload.empty")], problems


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV lines that hold anything, one at a time, each with its line number and its cells stripped
    (read as they are checked: a 5 MB file is never held as a list of a quarter of a million rows)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        cells = [c.strip() for c in row]
        if any(cells):
            yield reader.line_num, cells


def _header_positions(line_no: int, header: list[str], display: str) -> tuple[dict[str, int], list[Problem]]:
    """Where each known column stands (Korean or English name, any case), and every problem with the header."""
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for i, name in enumerate(header):
        if not name:
            continue
        canon = HEADER_NAMES.get(name.casefold())
        if canon is None:
            allowed = ", ".join(f"{ko}/{en}" for ko, en in COLUMNS.values())
            problems.append(_problem(display, line_no, name, i, "upload.unknown_column", value=name, allowed=allowed))
        elif canon in positions:
            problems.append(_problem(display, line_no, name, i, "upload.duplicate_column", value=name))
        else:
            positions[canon] = i
    for canon in REQUIRED:
        if canon not in positions:
            ko_name, en_name = COLUMNS[canon]
            problems.append(_problem(display, line_no, None, None, "upload.missing_column", ko_name=ko_name, en_name=en_name))
    return positions, problems


@dataclass
class _RowChecker:
    """Reads one data row at a time against the catalogue; every problem it finds names its cell."""

    cat: Catalogue
    display: str
    department: str
    header: list[str]
    positions: dict[str, int]
    today: date
    check_owner: bool
    problems: _Problems
    latest: date | None = None  # the first day of the latest period read

    def __post_init__(self) -> None:
        # where the cells a row is read from stand (the first three are required: a row is read only under a header
        # that has them), and each period's reading per cadence, read once per file (a monthly file repeats its
        # periods across its indicators): a 10,000-row upload is read in Python in a few ms per thousand rows
        self._at = tuple(self.positions.get(c) for c in ("indicator_id", "period", "value", "note", "source"))
        self._periods: dict[tuple[str, str], tuple[str, date] | None] = {}
        self._known: dict[str, tuple] = {}  # indicator id -> (cadence, min, max) when known and owned, else ()

    def cell(self, row: list[str], canon: str) -> str:
        i = self.positions.get(canon)
        return row[i] if i is not None and i < len(row) else ""

    def fail(self, line_no: int, canon: str, key: str, **values) -> None:
        i = self.positions[canon]
        self.problems.add(lambda: _problem(self.display, line_no, self.header[i], i, key, **values))

    def read(self, line_no: int, row: list[str]) -> tuple | None:
        """The row as a record (ROW_COLUMNS), or None: a template row left unfilled (nothing to load, nothing wrong)
        or a row with a problem (already recorded)."""
        at_id, at_period, at_value, at_note, at_source = self._at
        width = len(row)
        raw_id = row[at_id] if at_id < width else ""
        raw_period = row[at_period] if at_period < width else ""
        raw_value = row[at_value] if at_value < width else ""
        note = row[at_note] if at_note is not None and at_note < width else ""
        if raw_id and not raw_value and not note:  # a template row left unfilled (its period is pre-filled)
            return None
        period, value = self._plain(raw_id, raw_period, raw_value)
        if period is None:  # not plainly right: every check, each problem said in its order
            indicator = self.indicator(line_no, raw_id)
            period, value = self.period(line_no, raw_period, indicator), self.value(line_no, raw_value, indicator)
            if not raw_id or period is None or value is None:
                return None  # a problem already said; only whole rows are kept (a bad file costs no memory per row)
        source = row[at_source] if at_source is not None and at_source < width else ""
        return (raw_id, period, value, source or None, note or None, line_no)

    def _plain(self, raw_id: str, raw_period: str, raw_value: str) -> tuple[str | None, float | None]:
        """A row that is plainly right, read in a few steps: a known indicator the department owns, a period of its
        cadence that has begun, a number with no sign of percent or minus (`1234`, `1,234.5`) within its bounds.
        (None, None) for any other row, which `read` then checks cell by cell (the same result for a right row;
        the problems, in their order, for a wrong one)."""
        known = self._known.get(raw_id)
        if known is None:
            indicator = self.cat.indicators.get(raw_id)
            known = self._known[raw_id] = (
                (indicator.cadence, indicator.min, indicator.max)
                if indicator is not None and (not self.check_owner or indicator.office_id == self.department)
                else ())
        if not known or not raw_period or not NUMBER_RE.match(raw_value):
            return None, None
        cadence, low, high = known
        key = (raw_period, cadence)
        parsed = self._periods.get(key, key)
        if parsed is key:
            parsed = self._periods[key] = parse_period(raw_period, cadence)
        if parsed is None or parsed[1] > self.today:
            return None, None
        value = float(raw_value.replace(",", ""))
        if (low is not None and value < low) or (high is not None and value > high):
            return None, None
        if self.latest is None or parsed[1] > self.latest:
            self.latest = parsed[1]
        return parsed[0], value

    def indicator(self, line_no: int, raw: str) -> Indicator | None:
        """The catalogue indicator of the row; one of another department is named, and still checked."""
        if not raw:
            self.fail(line_no, "indicator_id", "upload.missing_value")
            return None
        indicator = self.cat.indicators.get(raw)
        if indicator is None:
            self.fail(line_no, "indicator_id", "upload.unknown_indicator", value=raw)
        elif self.check_owner and indicator.office_id != self.department:
            owner, dept = self.cat.offices[indicator.office_id].name, self.cat.offices[self.department].name
            self.fail(line_no, "indicator_id", "upload.other_department", value=raw, owner=owner, department=dept)
        return indicator

    def period(self, line_no: int, raw: str, indicator: Indicator | None) -> str | None:
        """The period in its canonical form, for the indicator's cadence and not in the future."""
        if not raw:
            self.fail(line_no, "period", "upload.missing_value")
            return None
        if indicator is None:
            return None
        key = (raw, indicator.cadence)
        parsed = self._periods.get(key, key)
        if parsed is key:
            parsed = self._periods[key] = parse_period(raw, indicator.cadence)
        if parsed is None:
            cadence = indicator.cadence
            self.fail(line_no, "period", "upload.bad_period", value=raw, cadence=bilingual(f"cadence.{cadence}"),
                      example=PERIOD_PATTERNS[cadence][1])
            return None
        if parsed[1] > self.today:
            self.fail(line_no, "period", "upload.future_period", value=raw, today=self.today.isoformat())
            return None
        if self.latest is None or parsed[1] > self.latest:
            self.latest = parsed[1]
        return parsed[0]

    def value(self, line_no: int, raw: str, indicator: Indicator | None) -> float | None:
        """The number, within the indicator's bounds."""
        if not raw:
            self.fail(line_no, "value", "upload.missing_value")
            return None
        value, why = parse_number(raw, indicator)
        if why:
            self.fail(line_no, "value", why, value=raw, unit=indicator.unit if indicator else "")
        elif indicator is not None:
            if indicator.min is not None and value < indicator.min:
                self.fail(line_no, "value", "upload.below_min", value=raw, limit=indicator.min, unit=indicator.unit)
            elif indicator.max is not None and value > indicator.max:
                self.fail(line_no, "value", "upload.above_max", value=raw, limit=indicator.max, unit=indicator.unit)
        return value

    def conflicting_duplicates(self, records: list[tuple]) -> list[tuple]:
        """The same indicator and period given twice with different values: each row is named (the groups in the
        order they first appear, each group's rows in file order). Returns the first record of each indicator and
        period (an identical row given twice is one fact)."""
        first: dict[tuple[str, str], tuple] = {}
        for r in records:
            first.setdefault((r[0], r[1]), r)
        if len(first) == len(records):
            return records
        groups: dict[tuple[str, str], list[tuple]] = {}
        for r in records:
            groups.setdefault((r[0], r[1]), []).append(r)
        col = self.positions["value"]
        for (ind, per), group in groups.items():
            if len(group) < 2 or len({r[2] for r in group}) < 2:
                continue
            rows = ", ".join(str(r[5]) for r in group)
            for r in group:
                self.problems.add(lambda r=r[5], ind=ind, per=per, rows=rows: _problem(
                    self.display, int(r), self.header[col], col, "upload.conflicting_duplicate",
                    indicator=ind, period=per, rows=rows))
        return list(first.values())


def parse_upload(
    data: bytes,
    display: str,
    department: str,
    cat: Catalogue,
    *,
    today: date | None = None,
    check_owner: bool = True,
) -> ParsedUpload:
    """Read an upload and check every cell; the result is accepted whole or rejected with every problem."""
    out = ParsedUpload(display=display, department=department)
    # Load inputs: a workbook's first sheet, or the bytes as text and the text as CSV lines (a problem with
    # the whole file stops here).
    if data.startswith(XLSX_SIGNATURE) and display.lower().endswith(".xlsx"):
        stop = (_whole(display, "upload.unknown_department", value=department) if department not in cat.offices
                else size_problem(display, len(data), cat))
        if stop:
            out.problems, out.problem_count = [stop], 1
            return out
        lines, sheet, stops, formulas = _xlsx_lines(data, display, cat.reporting.max_upload_bytes)
        out.encoding = "xlsx"
        if stops:
            out.problems, out.problem_count = stops, len(stops)
            return out
        out = _check_rows(out, iter(lines), cat, today or cat.today(), check_owner)
        return _on_sheet(out, sheet, formulas)
    text, out.encoding, whole = _read_text(data, display, department, cat)
    if whole:
        out.problems, out.problem_count = [whole], 1
        return out
    try:
        return _check_rows(out, _csv_rows(text), cat, today or cat.today(), check_owner)
    except csv.Error as exc:
        out.problems, out.problem_count = [_whole(display, "upload.bad_csv", detail=str(exc))], 1
        return out


def _on_sheet(out: ParsedUpload, sheet: str, formulas: list[Problem]) -> ParsedUpload:
    """A workbook's problems named at the sheet's cells ('Sheet1!C7'); a formula saved without a value is said
    at its cell (its row otherwise looks unfilled, or empty), and the file is rejected with it."""
    named = [dataclasses.replace(p, cell=f"{sheet}!{p.cell}") if p.cell else p for p in out.problems]
    if formulas:
        taken = {p.cell for p in formulas}
        empty = t("upload.empty", "en")  # a row whose only value is such a formula is skipped as unfilled
        named = [*formulas, *(p for p in named if p.cell not in taken and p.en != empty)]
        out.records, out._given, out.latest = [], [], None
    out.problems, out.problem_count = named, max(out.problem_count, len(named))
    return out


def _frame(records: list, columns: list[str] | None = None, **options) -> pd.DataFrame:
    """An upload's rows as pandas: loaded only where an upload is read or a template made (a build of a ledger
    without uploads loads no pandas, issue 13)."""
    import pandas as pd  # see above

    return pd.DataFrame(records, columns=columns, **options)


def _check_rows(out: ParsedUpload, lines: Iterator[tuple[int, list[str]]], cat: Catalogue, today: date,
                check_owner: bool) -> ParsedUpload:
    """The header, then every row once: data under no header, then each cell against the catalogue."""
    display, problems = out.display, _Problems(cat.reporting.max_problems_shown)
    first = next(lines, None)
    if first is None:
        problems.add(lambda: _whole(display, "upload.empty"))
        return _rejected(out, problems)
    header_line, header = first
    positions, header_problems = _header_positions(header_line, header, display)
    problems.extend(header_problems)
    headerless = _Headerless(header, display, problems)
    rows = _RowChecker(cat, display, out.department, header, positions, today, check_owner, problems)
    records, seen_rows = [], False
    for line_no, row in lines:
        seen_rows = True
        headerless.check(line_no, row)
        if not header_problems and (record := rows.read(line_no, row)) is not None:
            records.append(record)
    if not problems.total and not records:
        problems.add(lambda: _whole(display, "upload.empty"))
    if header_problems or not seen_rows:
        return _rejected(out, problems)
    unique = rows.conflicting_duplicates(records)

    # The result: the problems (the first ones, and how many), or the rows (an identical row given twice is
    # one fact: its first appearance).
    if problems.total:
        return _rejected(out, problems)
    out.records, out._given, out.latest = unique, records, rows.latest
    return out


def _rejected(out: ParsedUpload, problems: _Problems) -> ParsedUpload:
    out.problems, out.problem_count = problems.items, problems.total
    return out


@dataclass
class _Headerless:
    """A cell holding data in a column with a blank header (or right of the last header) would be dropped
    without a word: each such column is named by its first filled cell."""

    header: list[str]
    display: str
    problems: _Problems
    named: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.blank = [i for i, name in enumerate(self.header) if not name]

    def check(self, line_no: int, row: list[str]) -> None:
        width = len(self.header)
        extra = range(width, len(row)) if len(row) > width else ()
        for i in (*self.blank, *extra):
            if i < len(row) and row[i] and i not in self.named:
                self.named.add(i)
                value = row[i] if len(row[i]) <= 30 else row[i][:29] + "…"
                self.problems.add(lambda i=i, line_no=line_no, value=value: _problem(
                    self.display, line_no, "", i, "upload.blank_header", value=value))


def template_rows(cat: Catalogue, department: str, lang: str = "ko", due: dict[str, str] | None = None,
                  last: dict[str, tuple[float, str]] | None = None) -> pd.DataFrame:
    """The template as a table: the department's indicators, the period now due (`due`: indicator -> period)
    and, as a reminder the reader ignores, the last value and its period (`last`)."""
    import pandas as pd  # a template is a frame: pandas loads here, not with the build (issue 13)

    due, last = due or {}, last or {}
    rows = []
    for ind in cat.indicators.values():
        if ind.office_id != department:
            continue
        previous = ""
        if ind.id in last and last[ind.id][0] is not None and not pd.isna(last[ind.id][0]):
            value, period = last[ind.id]
            previous = f"{_number_text(float(value))} ({period})"
        rows.append([ind.id, ind.name.get(lang), ind.unit.get(lang), due.get(ind.id, ""), "", previous,
                     ind.source_name, ""])
    return _frame(rows, [COLUMNS[c][0 if lang == "ko" else 1] for c in TEMPLATE_COLUMNS], dtype=object)


def template_csv(cat: Catalogue, department: str, lang: str = "ko", due: dict[str, str] | None = None,
                 last: dict[str, tuple[float, str]] | None = None) -> bytes:
    """The template as CSV, UTF-8 with BOM so Korean Excel opens it."""
    frame = template_rows(cat, department, lang, due, last)
    return frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def template_xlsx(cat: Catalogue, department: str, lang: str = "ko", due: dict[str, str] | None = None,
                  last: dict[str, tuple[float, str]] | None = None, sheet: str = "Sheet1") -> bytes:
    """The template as a workbook: period and value columns typed as text/number so Excel keeps 2024-09 as
    typed; the reminder column greyed; header frozen; widths to fit."""
    import openpyxl  # only for a workbook (see _xlsx_lines)

    frame = template_rows(cat, department, lang, due, last)
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append([v if v != "" else None for v in row])
    period_col = TEMPLATE_COLUMNS.index("period") + 1
    for (cell,) in ws.iter_rows(min_row=1, max_row=max(ws.max_row, 200), min_col=period_col, max_col=period_col):
        cell.number_format = "@"
    grey = openpyxl.styles.Font(color="808080", italic=True)
    previous_col = TEMPLATE_COLUMNS.index("previous") + 1
    for (cell,) in ws.iter_rows(min_row=2, max_row=ws.max_row, min_col=previous_col, max_col=previous_col):
        cell.font = grey
    for i, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:, i - 1]]) + 4
        ws.column_dimensions[column_letter(i - 1)].width = min(width * 1.6, 60)
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _uploader_problem(r, display: str, accounts: dict[str, Account], strict: bool) -> Problem | None:
    """Was the receipt's uploader allowed for its department when it uploaded? (`strict`: sealed here, so the
    account must be on record; otherwise an account of that name is checked if there is one.)"""
    if r.uploaded_by in RESERVED:
        return _whole(display, "upload.uploader_reserved", user=r.uploaded_by)
    account = accounts.get(r.uploaded_by)
    if account is None:
        return _whole(display, "upload.uploader_unknown", user=r.uploaded_by) if strict else None
    held = account.held_at(r.uploaded_at)
    allowed = held is not None and held.get("active", True) and (
        held["role"] == "admin" or (held["role"] == "department_editor" and held.get("department") == r.department))
    if not allowed:
        return _whole(display, "upload.uploader_not_allowed", user=r.uploaded_by, department=r.department, at=r.uploaded_at)
    return None


VERSION_COLUMNS = ["indicator_id", "period", "value", "source", "note", "row", "uploaded_by", "uploaded_at",
                   "upload_id", "office_id", "ledger_file", "source_url"]
UPLOAD_COLUMNS = ["upload_id", "office_id", "uploaded_by", "uploaded_at", "sha256", "original_filename", "encoding",
                  "bytes", "rows"]


def ledger_values(cat: Catalogue, pending: list[tuple[Path, str]] | None = None, accounts: dict[str, Account] | None = None,
                  sealed: set[str] | None = None, seed: list[tuple] | None = None
                  ) -> tuple[list[tuple], list[Record], list[Problem]]:
    """Every value version in the ledger (tuples of VERSION_COLUMNS): the seed file (`seed`: its versions as read
    already), then each accepted upload, in upload order; and every upload (records of UPLOAD_COLUMNS).

    Replay re-checks what each upload claims: its bytes are those its receipt hashed, its department owns every
    indicator in it, and (with `accounts`) its uploader was that department's editor or an admin at the time. An
    upload this process read already, to the same result, is not read again (`remember`)."""
    problems: list[Problem] = []
    versions: list[tuple] = []
    if seed is None:
        records, more = read_seed(cat)
        problems += more
        if records is not None:
            versions += [tuple(v.get(c) for c in VERSION_COLUMNS) for v in records]
    else:
        versions += seed
    receipts = read_receipts(cat)
    strict = set(sealed or ())
    for folder, upload_id in pending or []:
        receipts.append(read_receipt(folder, upload_id))
        strict.add(f"data/raw/departments/{upload_id}/receipt.json")
    reading = _reading(cat)
    upload_rows = []
    for r in receipts:
        display = f"data/raw/departments/{r.upload_id}/{r.data_file.name}"
        data = r.data_file.read_bytes()
        if hashlib.sha256(data).hexdigest() != r.sha256:
            problems.append(Problem(display, None, None, t("upload.tampered", "ko"), t("upload.tampered", "en")))
            continue
        if accounts is not None:
            wrong = _uploader_problem(r, f"data/raw/departments/{r.upload_id}/receipt.json", accounts,
                                      f"data/raw/departments/{r.upload_id}/receipt.json" in strict)
            if wrong is not None:
                problems.append(wrong)
                continue
        today = cat.day_of(r.uploaded_at)  # the day it was checked on: the catalogue's, as parse_upload's default
        parsed = _recall(r.sha256, display, r.department, reading, today)
        if parsed is None:
            parsed = parse_upload(data, display, r.department, cat, today=today, check_owner=True)
            _remember(parsed, r.sha256, reading)
        problems += parsed.problems
        if parsed.ok:
            made = (r.uploaded_by, r.uploaded_at, r.upload_id, r.department, display, None)
            versions += [row + made for row in parsed.records]
        upload_rows.append({
            "upload_id": r.upload_id, "office_id": r.department, "uploaded_by": r.uploaded_by,
            "uploaded_at": r.uploaded_at, "sha256": r.sha256, "original_filename": r.original_filename,
            "encoding": r.encoding, "bytes": r.bytes, "rows": r.rows,
        })
    return versions, upload_rows, problems


# --- uploads read once per process (issue 13) ---------------------------------------------------------------------
# Every write of the values part replays every upload in the ledger; an upload this process has read (the one a write
# commits, or one an earlier write replayed) is not read again while what its reading depends on holds: its bytes
# (by the SHA-256 its receipt holds, checked before), its department, what the catalogue says of offices and
# indicators, and a day on which its periods are all past (a reading is kept only when it accepted the upload, and
# its day only refuses a period that has not begun). Bounded by rows, the oldest let go first.
_READ: collections.OrderedDict[tuple, ParsedUpload] = collections.OrderedDict()
_READ_LOCK = threading.Lock()
READ_KEPT_ROWS = 100_000  # ~25-30 MB of records at most


def _reading(cat: Catalogue) -> tuple:
    """What the catalogue decides of an upload's reading (an accepted one: no message text), as one hashable key."""
    return (cat.reporting.max_upload_bytes, tuple(cat.offices),
            tuple((i.id, i.cadence, i.office_id, i.min, i.max, i.accepts_percent_sign) for i in cat.indicators.values()))


def remember(parsed: ParsedUpload, data: bytes, cat: Catalogue) -> None:
    """Keep `parsed` (read with `check_owner`, as a write reads an upload) for the replay of the same bytes."""
    _remember(parsed, hashlib.sha256(data).hexdigest(), _reading(cat))


def _read_key(sha256: str, display: str, department: str, reading: tuple) -> tuple:
    # the name decides whether the bytes are read as a workbook (parse_upload)
    return sha256, display.lower().endswith(".xlsx"), department, reading


def _remember(parsed: ParsedUpload, sha256: str, reading: tuple) -> None:
    if not parsed.ok or len(parsed.records) > READ_KEPT_ROWS:
        return
    key = _read_key(sha256, parsed.display, parsed.department, reading)
    # kept without the rows as given (duplicates and all) nor a frame a caller asked of them: the records alone
    reading_kept = dataclasses.replace(parsed, _given=[])
    with _READ_LOCK:
        _READ[key] = reading_kept
        _READ.move_to_end(key)
        rows = sum(len(p.records) for p in _READ.values())
        while rows > READ_KEPT_ROWS:
            _, dropped = _READ.popitem(last=False)
            rows -= len(dropped.records)


def _recall(sha256: str, display: str, department: str, reading: tuple, today: date) -> ParsedUpload | None:
    with _READ_LOCK:
        parsed = _READ.get(_read_key(sha256, display, department, reading))
    if parsed is None or parsed.latest is None or parsed.latest > today:
        return None
    return parsed


# --- an upload checked once for its preview and its commit (issue 13) ---------------------------------------------
# A department's officer sends a file: the page checks it for its preview (again at each rerun of the page), and the
# commit checks it once more before it writes. An accepted check is kept whole (its rows as given, for the preview)
# and served again while what it depends on holds, as `_READ`'s readings: the same bytes under the same name, for
# the same department, what the catalogue says of offices and indicators, and a day on which its periods have all
# begun. A refused check is never kept (its day may refuse what a later day takes). The last few, bounded by rows.
_CHECKED: collections.OrderedDict[tuple, ParsedUpload] = collections.OrderedDict()
CHECKED_KEPT = 4


def check_once(data: bytes, display: str, department: str, cat: Catalogue) -> ParsedUpload:
    """parse_upload of `data` as sent today (the catalogue's today, the owner checked), from the last few accepted
    checks when the same bytes were checked under the same conditions."""
    key = (hashlib.sha256(data).hexdigest(), display, department, _reading(cat))  # the name: its reading says it
    today = cat.today()
    with _READ_LOCK:
        found = _CHECKED.get(key)
    if found is not None and found.latest is not None and found.latest <= today:
        return found
    parsed = parse_upload(data, display, department, cat, today=today, check_owner=True)
    if parsed.ok and parsed.latest is not None and len(parsed.records) <= READ_KEPT_ROWS:
        with _READ_LOCK:
            _CHECKED[key] = parsed
            _CHECKED.move_to_end(key)
            rows = sum(len(p.records) for p in _CHECKED.values())
            while len(_CHECKED) > CHECKED_KEPT or rows > READ_KEPT_ROWS:
                _, dropped = _CHECKED.popitem(last=False)
                rows -= len(dropped.records)
    return parsed
