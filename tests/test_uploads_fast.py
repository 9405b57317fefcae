"""The upload path without pandas (issue 13): rows as records, each upload read once per process, the values part
written as JSON that DuckDB parses (schemas.Columns): the same rows, the same problems, the same warehouse."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines import build, catalogue
from pipelines.build import uploads, writes
from pipelines.schemas import ROW, Columns, ProblemsFound, Table
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent

HOSTILE_TEXT = ['a "quoted", comma', "line\nbreak\r\n", "\\N", "", "서울 관광", "2026-11-28T17:00:00.123456+00:00",
                "2024-09", "null", "NaN", "1e5", "<img src=x onerror=alert(1)>", "\u0000x", "tab\tend", "😀"]


def _rows(rel: duckdb.DuckDBPyRelation) -> tuple[list[str], list[tuple]]:
    return rel.columns, rel.fetchall()


def _types(rel: duckdb.DuckDBPyRelation) -> list[str]:
    return [str(t) for t in rel.types]


@pytest.mark.parametrize("count", [1, 5, 2048, 2049, 5000])
def test_columns_give_duckdb_the_rows_a_table_gives(count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every kind of value a version holds (hostile text, missing values, whole and fractional numbers), across more
    than one JSON line: the same rows, in the same order, typed as the table says (a text that looks like a time or
    a number stays text)."""
    texts = [HOSTILE_TEXT[i % len(HOSTILE_TEXT)] if i % 7 else None for i in range(count)]
    values = [None if i % 5 == 0 else (0.1 + 0.2) * i - 3.5 for i in range(count)]
    rows = [i * 3 if i % 4 else None for i in range(count)]
    lists = {"indicator_id": [f"ind_{i % 3}" for i in range(count)], "note": texts, "value": values, "ledger_row": rows}
    types = {"value": "float64", "ledger_row": "Int64"}
    columns = Columns(lists, types)
    table = Table(list(lists), columns.records, types)
    assert len(columns) == len(table) == count and columns.shape == (count, 4)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the JSON goes: looked at below
    con = duckdb.connect()
    try:
        got = columns.relation(con, row=True)
        assert _types(got) == ["BIGINT", "VARCHAR", "VARCHAR", "DOUBLE", "BIGINT"]
        assert got.columns == [ROW, "indicator_id", "note", "value", "ledger_row"]
        assert got.fetchall() == [(i, *r) for i, r in enumerate(zip(*lists.values()))]
        assert _rows(columns.relation(con, ["value", "note"])) == _rows(table.relation(con, ["value", "note"]))
        # materialised: the JSON file is gone, the rows stay
        assert list(tmp_path.iterdir()) == []
        assert got.aggregate("count(*)").fetchall() == [(count,)]
    finally:
        con.close()
    assert columns.select(["note", "value"]).columns == ["note", "value"]
    with pytest.raises(KeyError):
        columns.select(["nope"])


def test_columns_that_json_cannot_say_go_as_table_rows():
    """NaN and an infinite number (a 400-digit value in a cell reads as inf) are not JSON: such a table goes as
    Table's rows, with the same values; an empty table too."""
    lists = {"value": [1.0, math.inf, -math.inf, None], "note": ["a", None, "b", "c"]}
    con = duckdb.connect()
    try:
        got = Columns(lists, {"value": "float64"}).relation(con).fetchall()
        assert got == list(zip(*lists.values()))
        empty = Columns({"value": [], "note": []}, {"value": "float64"})
        assert len(empty) == 0 and empty.relation(con, row=True).fetchall() == []
    finally:
        con.close()
    with pytest.raises(ValueError):
        Columns({"a": [1], "b": [1, 2]})


def test_an_upload_is_read_and_written_without_pandas(mini: Path, mini_warehouse: Path, tmp_path: Path):
    """A 500-row upload checked, committed and replayed in a fresh interpreter loads neither pandas nor numpy nor
    pyarrow (~0.2 s of an upload's time was pandas' import; numpy's ~0.07 s judged the key of a large values part,
    which the rows' making proves); the probe can fail: the rows as a frame load pandas."""
    lines = ["지표코드,기준기간,값,비고"] + [f'tourists_monthly,{1940 + m // 12}-{m % 12 + 1:02d},"{m * 1000:,}",x'
                                       for m in range(500)]
    upload = tmp_path / "many.csv"
    upload.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    code = (
        "import sys\nfrom pathlib import Path\nfrom pipelines import catalogue, schemas\nfrom pipelines.build import writes\n"
        "schemas.REPEATS_IN_PYTHON = schemas.SUSPECTS_FROM_ROWS = 10  # a key judged on these rows would load numpy\n"
        f"cat = catalogue.load(Path({str(mini)!r}))\n"
        f"receipt, parsed = writes.commit_upload(cat, Path({str(upload)!r}).read_bytes(), 'many.csv', 'tourism_sports',"
        f" 'kim', warehouse_path=Path({str(mini_warehouse)!r}))\n"
        "assert receipt.rows == 500 and len(parsed.records) == 500\n"
        "FRAME\n"
        "print('loaded:', *sorted(m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules))"
    )

    def loaded(frame: str) -> set[str]:
        run = subprocess.run([sys.executable, "-c", code.replace("FRAME", frame)], cwd=ROOT, capture_output=True,
                             text=True, timeout=120, env=dict(os.environ))
        assert run.returncode == 0, run.stderr
        return set(run.stdout.strip().splitlines()[-1].split()[1:])

    assert loaded("pass") == set()
    assert "pandas" in loaded("assert len(parsed.rows) == 500")
    con = parts.connect_read_only(mini_warehouse)
    try:
        assert con.execute("select count(*) from indicator_history where indicator_id = 'tourists_monthly' "
                           "and uploaded_by = 'kim'").fetchone() == (1000,)
    finally:
        con.close()


def test_the_rows_as_a_frame_are_the_first_of_each_indicator_and_period(mini: Path):
    """An identical row given twice is one fact (its first appearance, its own note): records and frame agree."""
    cat = catalogue.load(mini)
    data = "지표코드,기준기간,값,비고\nforeign_tourists,2025,1,첫째\nforeign_tourists,2024,2,\nforeign_tourists,2025,1,둘째\n".encode()
    parsed = uploads.parse_upload(data, "d.csv", "tourism_sports", cat)
    assert parsed.ok and parsed.records == [("foreign_tourists", "2025", 1.0, None, "첫째", 2),
                                            ("foreign_tourists", "2024", 2.0, None, None, 3)]
    frame = parsed.rows
    assert list(frame.columns) == list(uploads.ROW_COLUMNS) and list(frame.index) == [0, 1]
    assert frame["note"].iloc[0] == "첫째" and frame["value"].tolist() == [1.0, 2.0] and frame["row"].tolist() == [2, 3]
    assert parsed.latest == date(2025, 1, 1)


def _bounded(mini: Path, indicator: str, bound: str) -> catalogue.Catalogue:
    """The mini catalogue with one more bound on `indicator` (`max: 100`), written to its file and loaded."""
    text = mini.read_text(encoding="utf-8")
    at = text.index(f"  {indicator}:\n")
    kind = text.index("    unit_kind:", at)
    mini.write_text(text[:kind] + f"    {bound}\n" + text[kind:], encoding="utf-8")
    return catalogue.load(mini)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    real = uploads.parse_upload

    def counted(data, display, *args, **kwargs):
        read.append(display)
        return real(data, display, *args, **kwargs)

    monkeypatch.setattr(uploads, "parse_upload", counted)
    monkeypatch.setattr(uploads, "_READ", type(uploads._READ)())
    monkeypatch.setattr(uploads, "_CHECKED", type(uploads._CHECKED)())
    return read


def test_a_file_checked_for_its_preview_is_not_read_again_by_the_page_or_its_commit(
        mini: Path, mini_warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    """The page checks the file at each rerun, then commits it: one reading, whose rows the preview and the commit's
    answer both give; the warehouse holds them."""
    read = _counting(monkeypatch)
    cat = catalogue.load(mini)
    data = "지표코드,기준기간,값\nforeign_tourists,2025,16370000\nforeign_tourists,2024,13150000\n".encode()
    first = writes.check_upload(cat, data, "a.csv", "tourism_sports")
    again = writes.check_upload(catalogue.load(mini), data, "a.csv", "tourism_sports")  # a rerun loads it again
    assert first.ok and again is first and read == ["a.csv"]
    receipt, committed = writes.commit_upload(cat, data, "a.csv", "tourism_sports", "kim",
                                              warehouse_path=mini_warehouse)
    assert committed is first and read == ["a.csv"]
    assert committed.rows["value"].tolist() == [16370000.0, 13150000.0]
    con = parts.connect_read_only(mini_warehouse)
    try:
        held = con.execute("select period, value from indicator_history where upload_id = ? order by period",
                           [receipt.upload_id]).fetchall()
    finally:
        con.close()
    assert held == [("2024", 13150000.0), ("2025", 16370000.0)]


def test_a_check_is_not_taken_again_when_what_it_depends_on_changed(mini: Path, mini_warehouse: Path,
                                                                   monkeypatch: pytest.MonkeyPatch):
    """Checked and accepted, then committed under a catalogue that now refuses the value: read again and refused at
    its cell, nothing written. Other bytes, another name or department are read again; a refused check (a period
    not begun on its day) is never kept, so the day it begins takes the file."""
    read = _counting(monkeypatch)
    cat = catalogue.load(mini)
    data = "지표코드,기준기간,값\nforeign_tourists,2024,500\n".encode()
    assert writes.check_upload(cat, data, "b.csv", "tourism_sports").ok
    before = {p: p.read_bytes() for p in parts.files(mini_warehouse).values()}
    stricter = _bounded(mini, "foreign_tourists", "max: 100")
    with pytest.raises(ProblemsFound) as found:
        writes.commit_upload(stricter, data, "b.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert [(p.file, p.cell) for p in found.value.problems] == [("b.csv", "C2")]
    assert "above the allowed range (maximum 100" in found.value.problems[0].en
    assert read == ["b.csv", "b.csv"]
    assert {p: p.read_bytes() for p in parts.files(mini_warehouse).values()} == before
    edited = data.replace(b"500", b"501")
    for args in [(edited, "b.csv", "tourism_sports"), (data, "c.csv", "tourism_sports"),
                 (data, "b.csv", "economic_policy_office")]:
        writes.check_upload(cat, *args)
    assert read == ["b.csv", "b.csv", "b.csv", "c.csv", "b.csv"]
    monthly = "지표코드,기준기간,값\ntourists_monthly,2025-09,1\n".encode()
    day = {"today": date(2025, 8, 31)}
    monkeypatch.setattr(type(cat), "today", lambda self: day["today"])
    assert not writes.check_upload(cat, monthly, "m.csv", "tourism_sports").ok
    day["today"] = date(2025, 9, 1)
    assert writes.check_upload(cat, monthly, "m.csv", "tourism_sports").ok
    day["today"] = date(2025, 8, 31)  # a clock set back: the kept check does not hold before its period began
    assert not writes.check_upload(cat, monthly, "m.csv", "tourism_sports").ok
    assert read[-3:] == ["m.csv"] * 3


def test_the_checks_kept_are_bounded(mini: Path, monkeypatch: pytest.MonkeyPatch):
    """At most CHECKED_KEPT checks and READ_KEPT_ROWS rows are kept, the oldest let go first."""
    read = _counting(monkeypatch)
    cat = catalogue.load(mini)
    monkeypatch.setattr(uploads, "READ_KEPT_ROWS", 5)
    files = [("지표코드,기준기간,값\n" + "".join(f"tourists_monthly,2024-{m:02d},{m + k}\n" for m in range(1, 3))).encode()
             for k in range(4)]
    for data in files:
        assert writes.check_upload(cat, data, "m.csv", "tourism_sports").ok
    assert [len(p.records) for p in uploads._CHECKED.values()] == [2, 2]
    assert writes.check_upload(cat, files[-1], "m.csv", "tourism_sports").ok and len(read) == 4
    assert writes.check_upload(cat, files[0], "m.csv", "tourism_sports").ok and len(read) == 5
    monkeypatch.setattr(uploads, "READ_KEPT_ROWS", 100)
    many = [("지표코드,기준기간,값\n" + f"tourists_monthly,2023-01,{k}\n").encode() for k in range(uploads.CHECKED_KEPT + 2)]
    for data in many:
        writes.check_upload(cat, data, "m.csv", "tourism_sports")
    assert len(uploads._CHECKED) == uploads.CHECKED_KEPT
    writes.check_upload(cat, many[0], "m.csv", "tourism_sports")
    assert read[-1] == "m.csv" and len(read) == 5 + len(many) + 1


def test_a_write_reads_each_upload_once(mini: Path, mini_warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    """The upload a write commits is read once (its check), not again by the rebuild's replay; a later write replays
    it from that reading too. The warehouse is what a build from the ledger alone makes."""
    read = _counting(monkeypatch)
    cat = catalogue.load(mini)
    writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode(), "a.csv",
                         "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert read == ["a.csv"]
    writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2024,13150000\n".encode(), "b.csv",
                         "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert read == ["a.csv", "b.csv"]
    rebuilt = mini_warehouse.parent / "rebuilt" / "cityindex.duckdb"
    monkeypatch.setattr(uploads, "_READ", type(uploads._READ)())  # a fresh process: every upload read again
    build.build(catalogue.load(mini), rebuilt)
    assert len(read) == 4
    query = "select * from indicator_history order by all"
    a, b = parts.connect_read_only(mini_warehouse), parts.connect_read_only(rebuilt)
    try:
        assert a.execute(query).fetchall() == b.execute(query).fetchall()
        assert len(a.execute(query).fetchall()) > 2
    finally:
        a.close(), b.close()


def test_a_reading_is_not_reused_when_what_it_depends_on_changed(mini: Path, mini_warehouse: Path,
                                                                 monkeypatch: pytest.MonkeyPatch):
    """Edited bytes are refused (their hash is checked before any reading is looked up); a catalogue that now refuses
    a value reads the upload again and names the ledger file's cell; nothing changes either time."""
    read = _counting(monkeypatch)
    cat = catalogue.load(mini)
    receipt, _ = writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode(), "a.csv",
                                      "tourism_sports", "kim", warehouse_path=mini_warehouse)
    before = {p: p.read_bytes() for p in parts.files(mini_warehouse).values()}
    yml = mini.read_text(encoding="utf-8")
    stricter = _bounded(mini, "foreign_tourists", "max: 100")
    with pytest.raises(ProblemsFound) as found:
        writes.commit_upload(stricter, "지표코드,기준기간,값\nforeign_tourists,2024,50\n".encode(), "b.csv",
                             "tourism_sports", "kim", warehouse_path=mini_warehouse)
    shown = "\n".join(p.en for p in found.value.problems)
    assert "above the allowed range (maximum 100" in shown, shown
    stored = f"data/raw/departments/{receipt.upload_id}/{receipt.data_file.name}"
    assert [(p.file, p.cell) for p in found.value.problems] == [(stored, "C2")]
    assert read == ["a.csv", "b.csv", stored]  # a read again, under its ledger name; b (just read) not
    assert {p: p.read_bytes() for p in parts.files(mini_warehouse).values()} == before
    mini.write_text(yml, encoding="utf-8")
    receipt.data_file.write_bytes("지표코드,기준기간,값\nforeign_tourists,2025,99\n".encode())
    with pytest.raises(ProblemsFound, match="SHA-256"):
        writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2024,50\n".encode(), "c.csv",
                             "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert {p: p.read_bytes() for p in parts.files(mini_warehouse).values()} == before


def test_a_reading_holds_only_from_the_day_its_periods_began(mini: Path):
    """A reading made on a later day (the check, in Seoul) is not taken for a day before its latest period began
    (the receipt's UTC day), nor for other bytes, another department, a workbook's name or another catalogue."""
    cat = catalogue.load(mini)
    data = "지표코드,기준기간,값\ntourists_monthly,2025-09,1\n".encode()
    parsed = uploads.parse_upload(data, "m.csv", "tourism_sports", cat, today=date(2025, 9, 1))
    assert parsed.ok and parsed.latest == date(2025, 9, 1)
    uploads._READ.clear()
    uploads.remember(parsed, data, cat)
    sha = __import__("hashlib").sha256(data).hexdigest()
    reading = uploads._reading(cat)
    kept = uploads._recall(sha, "x/m.csv", "tourism_sports", reading, date(2025, 9, 1))
    assert kept is not None and kept.records == parsed.records and kept.ok and kept.latest == parsed.latest
    assert uploads._recall(sha, "x/m.csv", "tourism_sports", reading, date(2025, 8, 31)) is None
    assert uploads._recall("0" * 64, "x/m.csv", "tourism_sports", reading, date(2026, 1, 1)) is None
    assert uploads._recall(sha, "x/m.csv", "economic_policy_office", reading, date(2026, 1, 1)) is None
    assert uploads._recall(sha, "x/m.xlsx", "tourism_sports", reading, date(2026, 1, 1)) is None
    cat = _bounded(mini, "tourists_monthly", "min: 5")
    assert uploads._recall(sha, "x/m.csv", "tourism_sports", uploads._reading(cat), date(2026, 1, 1)) is None
    rejected = uploads.parse_upload(data, "m.csv", "tourism_sports", cat)
    uploads.remember(rejected, data, cat)  # a refused reading is never kept
    assert not rejected.ok and uploads._recall(sha, "x/m.csv", "tourism_sports", uploads._reading(cat),
                                               date(2026, 1, 1)) is None
    uploads._READ.clear()


def test_a_write_reads_the_seed_and_its_classification_again_when_their_bytes_change(
        mini: Path, mini_warehouse: Path):
    """The seed's versions are kept per process by the bytes of the seed file and of the source classification: a
    write after either changed judges them again and is refused with the file, row and column; nothing changes."""
    cat = catalogue.load(mini)
    upload = "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode()
    writes.commit_upload(cat, upload, "a.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    before = {p: p.read_bytes() for p in parts.files(mini_warehouse).values()}
    domains = mini.parent / "data" / "raw" / "source_domains.csv"
    kept = domains.read_text(encoding="utf-8")
    domains.write_text("\n".join(line for line in kept.splitlines() if not line.startswith("github.com/kostat-gi/")) + "\n",
                       encoding="utf-8")
    with pytest.raises(ProblemsFound) as found:
        writes.commit_upload(catalogue.load(mini), upload, "b.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert any(p.file.endswith("seed_values.csv") and p.column == "source_url" and p.row == 4
               for p in found.value.problems), found.value.problems
    assert {p: p.read_bytes() for p in parts.files(mini_warehouse).values()} == before
    domains.write_text(kept, encoding="utf-8")
    seed = mini.parent / "data" / "raw" / "indicators" / "seed_values.csv"
    seed.write_text(seed.read_text(encoding="utf-8").replace("foreign_tourists,2023,", "foreign_tourist,2023,", 1),
                    encoding="utf-8")
    with pytest.raises(ProblemsFound) as found:
        writes.commit_upload(catalogue.load(mini), upload, "c.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert [(p.file.endswith("seed_values.csv"), p.row, p.column) for p in found.value.problems] == [
        (True, 2, "indicator_id")], found.value.problems
    assert {p: p.read_bytes() for p in parts.files(mini_warehouse).values()} == before


def test_a_published_part_moved_in_is_read_for_what_it_was_built_from(mini: Path, mini_warehouse: Path,
                                                                      tmp_path: Path):
    """What the published part was built from is kept per file (inode, size, times): a part built from another
    catalogue moved in its place is read again, and the next write rebuilds every part, as with nothing kept."""
    cat = catalogue.load(mini)
    writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2025,1\n".encode(), "a.csv", "tourism_sports",
                         "kim", warehouse_path=mini_warehouse)
    assert writes._changed_parts(cat, mini_warehouse, pending=[]) == ("values",)
    other = tmp_path / "other" / "mini"
    shutil.copytree(mini.parent, other)
    (other / "indicators.yml").write_text(mini.read_text(encoding="utf-8") + "\n# another catalogue\n", encoding="utf-8")
    built = build.build(catalogue.load(other / "indicators.yml"), tmp_path / "other" / "cityindex.duckdb")
    os.replace(built.path, mini_warehouse)
    assert writes._changed_parts(cat, mini_warehouse, pending=[]) == parts.PARTS


def test_writes_to_two_warehouses_at_once_in_one_process(mini: Path, mini_warehouse: Path, tmp_path: Path):
    """A write stages its part on the process's working DuckDB (one staged file attached at a time there): uploads to
    two warehouses from two threads at once both land, each in its own warehouse."""
    other = tmp_path / "second" / "mini"
    shutil.copytree(mini.parent, other)
    second = tmp_path / "second" / "warehouse" / "cityindex.duckdb"
    build.build(catalogue.load(other / "indicators.yml"), second)
    targets = [(catalogue.load(mini), mini_warehouse, "2025,111"), (catalogue.load(other / "indicators.yml"), second, "2025,222")]
    failed: list[BaseException] = []

    def upload(cat, path, row):
        try:
            for i in range(3):
                writes.commit_upload(cat, f"지표코드,기준기간,값\nforeign_tourists,{row}{i}\n".encode(), f"{i}.csv",
                                     "tourism_sports", "kim", warehouse_path=path)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failed.append(exc)

    threads = [threading.Thread(target=upload, args=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not failed, failed
    for _, path, row in targets:
        con = parts.connect_read_only(path)
        try:
            got = con.execute("select value from indicator_history where uploaded_by = 'kim' order by value").fetchall()
        finally:
            con.close()
        assert got == [(float(f"{row.split(',')[1]}{i}"),) for i in range(3)]


def test_a_staging_left_attached_on_the_working_duckdb_does_not_stop_the_next_write(
        mini: Path, mini_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The working DuckDB outlives a write: a staged file or a published part some earlier write left attached there
    (its detach failed) is let go by the next write, which lands."""
    from pipelines import sql
    from pipelines.schemas import cursor

    cat = catalogue.load(mini)
    con = cursor()
    try:
        sql.execute(con, "built_from_attach", path=str(mini_warehouse))
    finally:
        con.close()
    monkeypatch.setattr(writes, "_BUILT_FROM", {})
    assert writes._changed_parts(cat, mini_warehouse, pending=[]) == ("values",)  # read, not taken for unreadable
    con = cursor()
    try:
        sql.execute(con, "stage_open", path=str(tmp_path / "left.duckdb"))
    finally:
        con.close()
    receipt, _ = writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2025,7\n".encode(), "a.csv",
                                      "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert receipt.rows == 1 and writes._changed_parts(cat, mini_warehouse, pending=[]) == ("values",)
    con = parts.connect_read_only(mini_warehouse)
    try:
        assert con.execute("select value from indicator_history where uploaded_by = 'kim'").fetchall() == [(7.0,)]
    finally:
        con.close()


def test_a_plainly_right_row_reads_as_the_cell_by_cell_check_reads_it(mini: Path, monkeypatch: pytest.MonkeyPatch):
    """Rows read by the short way (`_RowChecker._plain`) give exactly what the check of every cell gives: the same
    records, and for a file with problems the same problems in the same order (random cells, right and wrong)."""
    import random

    cat = catalogue.load(mini)
    rng = random.Random(13)
    ids = ["foreign_tourists", "tourists_monthly", "tourists_quarterly", "unemployment_rate", "nope", ""]
    periods = ["2024", "2025", "2099", "2025-09", "2025-Q2", "2025Q3", "2024-13", "", "2026-01"]
    values = ["1", "1,234", "1,234.5", "-3", "45.2%", "\u22125", "12,34", "1e5", "", "0", "1" * 400, "99.5", "101"]
    files = []
    for _ in range(60):
        rows = [f"{rng.choice(ids)},{rng.choice(periods)},\"{rng.choice(values)}\",n{i}" for i in range(rng.randint(1, 30))]
        files.append(("지표코드,기준기간,값,비고\n" + "\n".join(rows) + "\n").encode())
    right = {"foreign_tourists": [str(y) for y in range(2000, 2026)], "tourists_monthly": [f"2024-{m:02d}" for m in range(1, 13)],
             "tourists_quarterly": [f"2024-Q{q}" for q in range(1, 5)]}
    for _ in range(20):  # files with every cell right, and now and then one that is not
        rows = [f"{i},{p},\"{rng.choice(['1', '1,234', '0', '99', '12,345,678'])}\",x" for i, ps in right.items()
                for p in rng.sample(ps, 3)]
        if rng.random() < 0.3:
            rows.insert(rng.randrange(len(rows)), f"foreign_tourists,1999,\"{rng.choice(values)}\",y")
        files.append(("지표코드,기준기간,값,비고\n" + "\n".join(rows) + "\n").encode())
    today = date(2025, 10, 1)

    def read_all() -> list:
        out = []
        for data in files:
            for department in ("tourism_sports", "economic_policy_office"):
                p = uploads.parse_upload(data, "f.csv", department, cat, today=today)
                out.append((p.records, p.latest if p.ok else None, [(x.cell, x.en, x.ko) for x in p.problems],
                            p.problem_count))
        return out

    short = read_all()
    monkeypatch.setattr(uploads._RowChecker, "_plain", lambda self, *cells: (None, None))
    assert read_all() == short
    assert sum(1 for records, *_ in short if records) > 5 and sum(1 for _, _, problems, _ in short if problems) > 50


def test_the_readings_kept_are_bounded_by_rows(mini: Path, monkeypatch: pytest.MonkeyPatch):
    """A process keeps at most READ_KEPT_ROWS rows of readings, the oldest let go first, each without a frame a caller
    asked of it; a reading larger than the bound is not kept."""
    cat = catalogue.load(mini)
    monkeypatch.setattr(uploads, "_READ", type(uploads._READ)())
    monkeypatch.setattr(uploads, "READ_KEPT_ROWS", 5)
    files = [("지표코드,기준기간,값\n" + "".join(f"tourists_monthly,2024-{m:02d},{m + k}\n" for m in range(1, 3))).encode()
             for k in range(4)]
    for data in files:
        parsed = uploads.parse_upload(data, "m.csv", "tourism_sports", cat)
        assert len(parsed.rows) == 2  # a frame asked of it
        uploads.remember(parsed, data, cat)
    assert [len(p.records) for p in uploads._READ.values()] == [2, 2]
    assert all("rows" not in vars(p) and p._given == [] for p in uploads._READ.values())
    big = ("지표코드,기준기간,값\n" + "".join(f"tourists_monthly,2024-{m:02d},{m}\n" for m in range(1, 7))).encode()
    uploads.remember(uploads.parse_upload(big, "b.csv", "tourism_sports", cat), big, cat)
    assert [len(p.records) for p in uploads._READ.values()] == [2, 2]
