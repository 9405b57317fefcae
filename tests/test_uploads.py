"""Department uploads: good variants accepted with the right values, bad files rejected whole with their cell."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import build, catalogue
from pipelines.build import warehouse, writes
from pipelines.cli import main
from pipelines.errors import Busy
from pipelines.ledger import store
from pipelines.ledger.uploads import read_receipts
from pipelines.schemas import ProblemsFound
from pipelines.sql import parts
from tests.warehouse_files import warehouse_bytes

UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
ROOT = Path(__file__).resolve().parent.parent
DEPARTMENTS = {"tourism": "tourism_sports", "economy": "economic_policy_office"}
EDITORS = {"tourism_sports": "kim", "economic_policy_office": "lee"}  # conftest.TEST_ACCOUNTS

# good file -> {(indicator_id, period): value}
GOOD = {
    "tourism__utf8_english_headers.csv": {("foreign_tourists", "2025"): 16370000},
    "tourism__utf8_bom_korean_headers.csv": {("foreign_tourists", "2025"): 16370000},
    "tourism__cp949_korean_headers.csv": {("foreign_tourists", "2025"): 16370000},
    "tourism__separators_spaces_blank_rows.csv": {("foreign_tourists", "2025"): 16370000, ("foreign_tourists", "2024"): 13140500},
    "tourism__crlf_template_columns.csv": {("foreign_tourists", "2025"): 16370000},
    "tourism__quarterly_and_monthly.csv": {("tourists_quarterly", "2025-Q2"): 4100000, ("tourists_monthly", "2025-09"): 1500000},
    "tourism__identical_duplicate_row.csv": {("foreign_tourists", "2025"): 16370000},
    "economy__percent_sign.csv": {("unemployment_rate", "2023"): 3.1, ("unemployment_rate", "2024"): 3.0},
    "tourism__template_partly_filled.csv": {("foreign_tourists", "2025"): 16370000},
}

# bad file -> (cell or None, a phrase of the English message)
BAD = {
    "tourism__unknown_indicator.csv": ("A2", "indicator code 'foreign_tourist' is not in the catalogue"),
    "tourism__other_department.csv": ("A3", "owned by Economic Policy Office"),
    "tourism__not_a_number.csv": ("C2", "not a number: '약 1637만'"),
    "tourism__negative_count.csv": ("C2", "below the allowed range (minimum 0"),
    "economy__percent_over_100.csv": ("C2", "above the allowed range (maximum 100"),
    "tourism__percent_sign_on_a_count.csv": ("C2", "a % sign is not allowed"),
    "tourism__period_wrong_cadence.csv": ("B2", "does not fit this indicator's cadence (yearly)"),
    "tourism__period_in_the_future.csv": ("B2", "period '2099' has not started yet"),
    "tourism__conflicting_duplicate.csv": ("C3", "appear in rows 2, 3 with different values"),
    "tourism__missing_value_column.csv": (None, "required column 'value' (값) is missing"),
    "tourism__unknown_column.csv": ("D1", "unknown column '담당자'"),
    "tourism__empty_period.csv": ("B2", "the cell is empty"),
    "tourism__header_only.csv": (None, "there is nothing to load"),
    "tourism__empty_file.csv": (None, "there is nothing to load"),
    "tourism__xlsx_not_csv.csv": (None, "an Excel workbook whose name does not end in .xlsx"),
    "tourism__unknown_encoding.csv": (None, "unknown text encoding"),
    "tourism__too_large.csv": (None, "the file is too large"),
    "tourism__template_nothing_filled.csv": (None, "there is nothing to load"),
}


def _department(name: str) -> str:
    return DEPARTMENTS[name.split("__")[0]]


def _ledger_snapshot(root: Path) -> dict[str, bytes]:
    base = root / "data" / "raw"
    return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


@pytest.fixture
def mini_cat(mini: Path) -> catalogue.Catalogue:
    return catalogue.load(mini)


def test_fixture_folders_are_complete():
    assert sorted(p.name for p in (UPLOADS / "good").iterdir()) == sorted(GOOD)
    assert sorted(p.name for p in (UPLOADS / "bad").iterdir()) == sorted(BAD)
    assert len(BAD) >= 15


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_upload_is_accepted_with_the_right_values(name: str, mini_cat, mini_warehouse: Path):
    receipt, parsed = writes.commit_upload(mini_cat, (UPLOADS / "good" / name).read_bytes(), name, _department(name),
                                            EDITORS[_department(name)], warehouse_path=mini_warehouse)
    got = {(r.indicator_id, r.period): r.value for r in parsed.rows.itertuples()}
    assert got == pytest.approx(GOOD[name])
    con = parts.connect_read_only(mini_warehouse)
    current = {(i, p): (v, by) for i, p, v, by in con.execute(
        "select indicator_id, period, value, uploaded_by from indicator_values").fetchall()}
    con.close()
    for key, value in GOOD[name].items():
        assert current[key] == (pytest.approx(value), EDITORS[_department(name)])
    assert receipt.data_file.read_bytes() == (UPLOADS / "good" / name).read_bytes()
    assert receipt.sha256 == hashlib.sha256(receipt.data_file.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_upload_is_rejected_and_changes_nothing(name: str, mini_cat, mini: Path, mini_warehouse: Path):
    ledger_before = _ledger_snapshot(mini.parent)
    warehouse_before = warehouse_bytes(mini_warehouse)
    with pytest.raises(ProblemsFound) as caught:
        writes.commit_upload(mini_cat, (UPLOADS / "bad" / name).read_bytes(), name, _department(name),
                              EDITORS[_department(name)], warehouse_path=mini_warehouse)
    cell, phrase = BAD[name]
    problems = caught.value.problems
    hits = [p for p in problems if p.cell == cell and phrase in p.en]
    assert hits, "\n".join(p.both() for p in problems)
    assert hits[0].ko and hits[0].ko != hits[0].en
    if cell:
        assert f"{cell} 셀" in hits[0].text("ko") and f"cell {cell}" in hits[0].text("en")
    assert _ledger_snapshot(mini.parent) == ledger_before
    assert warehouse_bytes(mini_warehouse) == warehouse_before


def test_a_newer_value_supersedes_and_both_stay_visible(mini_cat, mini_warehouse: Path):
    data = "지표코드,기준기간,값\nforeign_tourists,2024,13150000\n".encode()
    writes.commit_upload(mini_cat, data, "fix.csv", "tourism_sports", "root", warehouse_path=mini_warehouse)
    con = parts.connect_read_only(mini_warehouse)
    history = con.execute(
        "select value, uploaded_by, is_current from indicator_history "
        "where indicator_id='foreign_tourists' and period='2024' order by uploaded_at"
    ).fetchall()
    current = con.execute("select value, versions from indicator_values where indicator_id='foreign_tourists' and period='2024'").fetchone()
    con.close()
    assert history == [(13140000.0, "reference", False), (13150000.0, "root", True)]
    assert current == (13150000.0, 2)


def test_rebuild_from_the_ledger_gives_the_same_history(mini_cat, mini: Path, mini_warehouse: Path, tmp_path: Path):
    data = "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode()
    writes.commit_upload(mini_cat, data, "a.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    rebuilt = tmp_path / "rebuilt.duckdb"
    build.build(catalogue.load(mini), rebuilt)
    query = "select * from indicator_history order by all"
    a, b = (parts.connect_read_only(p) for p in (mini_warehouse, rebuilt))
    assert a.execute(query).fetchall() == b.execute(query).fetchall()
    a.close(), b.close()


def test_an_edited_ledger_file_fails_the_build(mini_cat, mini: Path, mini_warehouse: Path):
    receipt, _ = writes.commit_upload(mini_cat, "지표코드,기준기간,값\nforeign_tourists,2025,1\n".encode(),
                                       "a.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    receipt.data_file.write_bytes("지표코드,기준기간,값\nforeign_tourists,2025,2\n".encode())
    with pytest.raises(ProblemsFound, match="SHA-256"):
        build.collect(catalogue.load(mini))


def test_two_uploads_at_once_both_land(mini_cat, mini: Path, mini_warehouse: Path):
    files = {
        "tourism_sports": "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode(),
        "economic_policy_office": "지표코드,기준기간,값\nunemployment_rate,2025,3.2\n".encode(),
    }
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run(dept: str) -> None:
        try:
            barrier.wait()
            writes.commit_upload(catalogue.load(mini), files[dept], f"{dept}.csv", dept, EDITORS[dept], warehouse_path=mini_warehouse)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(d,)) for d in files]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    assert errors == []
    con = parts.connect_read_only(mini_warehouse)
    got = set(con.execute("select indicator_id, period from indicator_values where uploaded_by <> 'reference'").fetchall())
    uploads_in_wh = con.execute("select count(*) from ledger_upload").fetchone()[0]
    con.close()
    assert got == {("foreign_tourists", "2025"), ("unemployment_rate", "2025")}
    assert uploads_in_wh == 2 and len(read_receipts(mini_cat)) == 2


def test_a_busy_warehouse_tells_the_second_uploader_to_retry(mini_cat, mini_warehouse: Path):
    import fcntl

    with open(mini_warehouse.with_name(mini_warehouse.name + ".lock"), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(Busy, match="try again"):
            writes.commit_upload(mini_cat, "지표코드,기준기간,값\nforeign_tourists,2025,1\n".encode(), "a.csv",
                                  "tourism_sports", "kim", warehouse_path=mini_warehouse, lock_timeout=0.3)
    assert read_receipts(mini_cat) == []


def _warehouse_has_every_upload(cat, path: Path) -> bool:
    """Does the warehouse hold exactly the uploads in the ledger? (False after a crash between the two.)"""
    con = warehouse.connect_read_only(path)
    try:
        have = {row[0] for row in con.execute("select upload_id from ledger_upload").fetchall()}
    finally:
        con.close()
    return have == {r.upload_id for r in read_receipts(cat)}


KILL_SCRIPT = """
import os, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from pipelines import catalogue
from pipelines.build import warehouse, writes
stage = sys.argv[1]
real_rename, real_swap = os.rename, warehouse.swap
def stall(label):
    print(label, flush=True)
    time.sleep(60)
if stage == "before_commit":
    def rename(a, b):
        stall("ready"); real_rename(a, b)
    os.rename = rename
elif stage == "before_swap":
    def swap(a, b):
        stall("ready"); real_swap(a, b)
    warehouse.swap = swap
cat = catalogue.load(sys.argv[2])
writes.commit_upload(cat, "지표코드,기준기간,값\\nforeign_tourists,2025,16370000\\n".encode(), "k.csv",
                      "tourism_sports", "kim", warehouse_path=Path(sys.argv[3]))
"""


@pytest.mark.parametrize("stage", ["before_commit", "before_swap"])
def test_a_killed_upload_leaves_before_or_after(stage: str, mini_cat, mini: Path, mini_warehouse: Path):
    """Kill a real uploading process at its two critical points; never a state between."""
    ledger_before = _ledger_snapshot(mini.parent)
    warehouse_before = warehouse_bytes(mini_warehouse)
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, stage, str(mini), str(mini_warehouse)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert warehouse_bytes(mini_warehouse) == warehouse_before  # the warehouse is as before, byte for byte
    after_kill = _ledger_snapshot(mini.parent)
    if stage == "before_commit":
        assert after_kill == ledger_before  # the half-written folder is in data/staging, not in the ledger
        assert read_receipts(mini_cat) == []
    else:
        # The ledger holds the upload (committed); the warehouse is behind it and says so.
        assert len(read_receipts(mini_cat)) == 1
        assert not _warehouse_has_every_upload(mini_cat, mini_warehouse)
        build.build(catalogue.load(mini), mini_warehouse)
        assert _warehouse_has_every_upload(mini_cat, mini_warehouse)
    store.recover(mini_cat)
    assert not list((mini.parent / "data" / "staging").glob("*"))


def test_cli_upload_exit_codes(mini: Path, mini_warehouse: Path):
    runner = CliRunner()
    good = UPLOADS / "good" / "tourism__cp949_korean_headers.csv"
    bad = UPLOADS / "bad" / "tourism__not_a_number.csv"
    dry = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports", "--dry-run", str(good)])
    assert dry.exit_code == 0 and "dry run" in dry.output
    assert read_receipts(catalogue.load(mini)) == []
    ok = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports", "--as", "kim", str(good)])
    assert ok.exit_code == 0, ok.output
    receipts = read_receipts(catalogue.load(mini))
    assert [r.uploaded_by for r in receipts] == ["kim"]
    assert json.loads((receipts[0].path / "receipt.json").read_text())["encoding"] == "cp949"
    rejected = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports", "--as", "kim", str(bad)])
    assert rejected.exit_code == 1 and "cell C2" in rejected.output and "C2 셀" in rejected.output
    usage = runner.invoke(main, ["upload", "--catalogue", str(mini), str(good)])
    assert usage.exit_code == 2
    unknown = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "nope", str(good)])
    assert unknown.exit_code == 2


def test_an_upload_is_judged_on_the_catalogues_day_when_checked_and_when_replayed(mini: Path, mini_warehouse: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch):
    """At 08:30 on the 1st in Seoul it is still the month before in UTC. A value for Seoul's new month has begun
    there: the upload takes it, and every rebuild's replay of the upload judges it on the same Seoul day (the day of
    its receipt's time in the catalogue's zone), not on the UTC date the receipt's time reads as."""
    first = datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    moment = first - timedelta(minutes=30)  # 23:30 UTC on the last day of the month before
    cat = catalogue.load(mini)
    assert cat.day_of(moment) == first.date() and moment.date() < first.date()

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return moment if tz is None else moment.astimezone(tz)

    monkeypatch.setattr(writes, "datetime", Clock)  # the receipt's time
    monkeypatch.setattr(type(cat), "today", lambda self: self.day_of(moment))
    data = f"지표코드,기준기간,값\ntourists_monthly,{first:%Y-%m},1500000\n".encode()
    receipt, _ = writes.commit_upload(cat, data, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert receipt.uploaded_at.startswith(moment.date().isoformat())  # UTC: the month before
    con = parts.connect_read_only(mini_warehouse)
    try:
        assert con.execute("select value from indicator_values where indicator_id = 'tourists_monthly' and period = ?",
                           [f"{first:%Y-%m}"]).fetchone() == (1500000,)
    finally:
        con.close()
    # and the check's own today is the catalogue's: a day before the month began there, it has not begun
    monkeypatch.setattr(type(cat), "today", lambda self: first.date() - timedelta(days=1))
    problems = writes.check_upload(cat, data, "t.csv", "tourism_sports").problems
    assert [p.column for p in problems] == ["기준기간"] and "has not started yet" in problems[0].en


def test_due_and_the_calendar_default_to_the_catalogues_today(mini: Path, mini_warehouse: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    """`cityidx due` and `cityidx calendar` (no --today) judge what is expected on today in the catalogue's zone."""
    from pipelines.analysis import due
    from pipelines.reports import calendar

    cat = catalogue.load(mini)
    con = parts.connect_read_only(mini_warehouse)
    try:
        for day in (datetime(2031, 2, 1).date(), datetime(2033, 8, 1).date()):
            monkeypatch.setattr(type(cat), "today", lambda self, day=day: day)
            assert due.due_status(con, cat).equals(due.due_status(con, cat, day))
            assert calendar.upcoming(cat, con).equals(calendar.upcoming(cat, con, day))
        assert not due.due_status(con, cat).equals(due.due_status(con, cat, datetime(2031, 2, 1).date()))
    finally:
        con.close()
