"""Excel uploads (.xlsx): the same checks as CSV, problems at sheet cells, formulas never calculated, hostile files refused; the template."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines import catalogue
from pipelines.build import writes
from pipelines.build.uploads import COLUMNS, TEMPLATE_COLUMNS, parse_upload, template_csv, template_xlsx
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts

HEADER = ["지표코드", "지표명", "단위", "기준기간", "값", "출처", "비고"]
SHEET = "Sheet1"


@pytest.fixture
def cat(mini: Path) -> catalogue.Catalogue:
    return catalogue.load(mini)


def book(rows: list[list], header: list = HEADER, formats: dict[str, str] | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(header)
    for row in rows:
        ws.append(row)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def patched(data: bytes, part: str, change) -> bytes:
    """The workbook with one zip member rewritten (and others added), as Excel or an attacker might write it."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == part:
                body = change(body.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, body)
    return out.getvalue()


SHEET_XML = "xl/worksheets/sheet1.xml"


def test_a_filled_workbook_is_accepted_and_stored_as_received(cat, mini_warehouse: Path) -> None:
    data = book([["foreign_tourists", "서울 방문 외래관광객 수", "명", "2025", 16370000, "서울관광재단", ""],
                 ["tourists_quarterly", "분기별", "명", "2025-Q2", "4,100,000", None, None]])
    receipt, parsed = writes.commit_upload(cat, data, "관광.xlsx", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert parsed.encoding == "xlsx"
    assert {(r.indicator_id, r.period): r.value for r in parsed.rows.itertuples()} == {
        ("foreign_tourists", "2025"): 16370000, ("tourists_quarterly", "2025-Q2"): 4100000}
    assert receipt.data_file.read_bytes() == data
    con = parts.connect_read_only(mini_warehouse)
    got = con.execute("select value from indicator_values where indicator_id = 'foreign_tourists' and period = '2025'").fetchone()
    con.close()
    assert got == (16370000,)


def test_problems_are_named_at_the_sheets_cells(cat) -> None:
    data = book([["foreign_tourists", "", "", "2025", "약 1637만", "", ""],
                 ["foreign_tourist", "", "", "2025", 1, "", ""],
                 ["foreign_tourists", "", "", "2099", 5, "", ""],
                 ["tourists_monthly", "", "", "2025-13", 5, "", ""]])
    parsed = parse_upload(data, "관광.xlsx", "tourism_sports", cat)
    cells = {p.cell: p.en for p in parsed.problems}
    assert "not a number" in cells["Sheet1!E2"]
    assert "not in the catalogue" in cells["Sheet1!A3"]
    assert "has not started yet" in cells["Sheet1!D4"]
    assert "cadence" in cells["Sheet1!D5"]
    unknown = parse_upload(book([["foreign_tourists", "2025", 1]], header=["지표코드", "기준기간", "담당자"]),
                           "x.xlsx", "tourism_sports", cat)
    assert any(p.cell == "Sheet1!C1" and "unknown column" in p.en for p in unknown.problems)


def test_a_formula_is_read_as_its_saved_value_never_calculated(cat) -> None:
    data = book([["foreign_tourists", "", "", "2025", 1, "", ""]])
    # As Excel saves it: the formula and its cached value. The value is what counts, not the formula.
    with_cache = patched(data, SHEET_XML, lambda xml: xml.replace(
        '<c r="E2" t="n"><v>1</v></c>', '<c r="E2"><f>16000000+370000</f><v>16370000</v></c>'))
    assert with_cache != data
    parsed = parse_upload(with_cache, "f.xlsx", "tourism_sports", cat)
    assert parsed.ok, [p.both() for p in parsed.problems]
    assert parsed.rows["value"].tolist() == [16370000]
    # Saved without a value (written by a program, never opened in Excel): refused at its cell.
    no_cache = patched(data, SHEET_XML, lambda xml: xml.replace('<c r="E2" t="n"><v>1</v></c>', '<c r="E2"><f>1+1</f></c>'))
    rejected = parse_upload(no_cache, "f.xlsx", "tourism_sports", cat)
    assert [p.cell for p in rejected.problems] == ["Sheet1!E2"]
    assert "formula" in rejected.problems[0].en and "수식" in rejected.problems[0].ko


def test_percent_and_date_cells_read_as_typed(cat) -> None:
    data = book([["unemployment_rate", "", "", "2024", 0.031, "", ""]], formats={"E2": "0.0%"})
    parsed = parse_upload(data, "e.xlsx", "economic_policy_office", cat)
    assert parsed.ok and parsed.rows["value"].tolist() == [pytest.approx(3.1)]
    monthly = book([["tourists_monthly", "", "", datetime(2025, 9, 1), 1500000, "", ""]])
    parsed = parse_upload(monthly, "m.xlsx", "tourism_sports", cat)
    assert parsed.ok and parsed.rows["period"].tolist() == ["2025-09"]


def test_hostile_workbooks_are_refused_unread(cat) -> None:
    data = book([["foreign_tourists", "", "", "2025", 1, "", ""]])
    # A zip bomb: a small file that unzips far past the limit.
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("xl/media/padding.bin", b"\0" * (50 * cat.reporting.max_upload_bytes))
    bomb = out.getvalue()
    assert len(bomb) < cat.reporting.max_upload_bytes
    assert "too much" in parse_upload(bomb, "b.xlsx", "tourism_sports", cat).problems[0].en
    # Entities in the XML (billion laughs / external entities): defusedxml refuses, we say the file cannot be opened.
    laughs = patched(data, SHEET_XML, lambda xml: xml.replace(
        "<worksheet", '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><worksheet', 1))
    assert "cannot be opened" in parse_upload(laughs, "l.xlsx", "tourism_sports", cat).problems[0].en
    # Not a workbook at all, and a workbook under a .csv name.
    assert "cannot be opened" in parse_upload(b"PK\x03\x04garbage", "g.xlsx", "tourism_sports", cat).problems[0].en
    assert "does not end in .xlsx" in parse_upload(data, "g.csv", "tourism_sports", cat).problems[0].en
    # Over the size limit: our message, in both languages, with sizes as staff read them.
    big = parse_upload(b"PK\x03\x04" + b"\0" * cat.reporting.max_upload_bytes, "big.xlsx", "tourism_sports", cat)
    assert "too large" in big.problems[0].en and "KB" in big.problems[0].ko and "바이트" not in big.problems[0].ko


def test_a_rejected_workbook_changes_nothing(cat, mini: Path, mini_warehouse: Path) -> None:
    before = mini_warehouse.read_bytes()
    with pytest.raises(ProblemsFound):
        writes.commit_upload(cat, book([["foreign_tourists", "", "", "2025", "x", "", ""]]), "x.xlsx", "tourism_sports",
                             "kim", warehouse_path=mini_warehouse)
    assert mini_warehouse.read_bytes() == before
    assert not (mini.parent / "data" / "raw" / "departments").exists() or not any((mini.parent / "data" / "raw" / "departments").iterdir())


def test_the_template_holds_the_period_due_and_the_last_value_and_round_trips(cat) -> None:
    due = {"foreign_tourists": "2025", "tourists_quarterly": "2026-Q2"}
    last = {"foreign_tourists": (13140000.0, "2024")}
    data = template_xlsx(cat, "tourism_sports", "ko", due, last, sheet="지표 서식")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[1]]
    assert header == [COLUMNS[c][0] for c in TEMPLATE_COLUMNS]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    assert set(rows) == {"foreign_tourists", "tourists_quarterly", "tourists_monthly"}
    period, previous = header.index("기준기간"), header.index("직전 값(참고)")
    assert rows["foreign_tourists"][period] == "2025" and rows["foreign_tourists"][previous] == "13140000 (2024)"
    assert rows["tourists_monthly"][period] is None and ws.freeze_panes == "A2"
    # Untouched, it loads nothing; with one value filled in Excel, exactly that value.
    assert "nothing to load" in parse_upload(data, "t.xlsx", "tourism_sports", cat).problems[0].en
    wb = openpyxl.load_workbook(io.BytesIO(data))
    value_col = header.index("값") + 1
    for row in wb.active.iter_rows(min_row=2):
        if row[0].value == "foreign_tourists":
            row[value_col - 1].value = 16370000
    out = io.BytesIO()
    wb.save(out)
    parsed = parse_upload(out.getvalue(), "t.xlsx", "tourism_sports", cat)
    assert parsed.ok, [p.both() for p in parsed.problems]
    assert parsed.rows[["indicator_id", "period", "value"]].values.tolist() == [["foreign_tourists", "2025", 16370000]]
    # The CSV template carries the same pre-filled cells.
    csv_text = template_csv(cat, "tourism_sports", "en", due, last).decode("utf-8-sig")
    assert "foreign_tourists" in csv_text and ",2025,,13140000 (2024)," in csv_text
