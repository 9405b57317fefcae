"""`cityidx status` keeps its answer per published part and month (issue 13, quick start-up): a repeated status, the
first after a build (which keeps the answer beside the warehouse), the first of another day in the month, or one on
the same bytes touched or copied by hand, reads no warehouse, and nothing that changes the answer can leave an old one
in place — a rebuild, another month, a write while it reads, a part replaced by hand (even with its old size and
mtime), a killed write, a write across a month's end, an answer kept for another warehouse, a damaged or missing
kept file, a removed part."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from pipelines import build as build_mod
from pipelines import catalogue, cli
from pipelines.accounts import Account
from pipelines.build import warehouse, writes
from pipelines.messages import parsed
from pipelines.sql import parts

UPLOAD = (Path(__file__).parent / "fixtures" / "uploads" / "good" / "tourism__utf8_bom_korean_headers.csv").read_bytes()
ORGANIZER = Account(username="park", name="park", role="forum_organizer", department=None, email=None,
                    password_hash="", disabled=False, created_at="")
MEETING = {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-09-09", "kind": "regular"}


# each test keeps what the commands keep (parsed files, templates, status answers) in a cache folder of its own
pytestmark = pytest.mark.usefixtures("cache_home")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every time status reads the warehouse with DuckDB (the kept answer's misses)."""
    seen: list[Path] = []
    real = cli._standing

    def counting(path: Path) -> dict:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(cli, "_standing", counting)
    return seen


def _status(*args: str) -> str:
    result = CliRunner().invoke(cli.main, ["status", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _line(output: str, index_id: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(index_id))


def test_a_repeated_status_reads_no_warehouse_and_says_the_same(mini_warehouse: Path, reads: list[Path],
                                                                cache_home: Path):
    first_ko, first_en = _status(), _status("--lang", "en")
    # one read, kept under the file's identity and under its bytes
    assert len(reads) == 1 and len(list(cache_home.glob("status.*.json"))) == 2
    assert _status() == first_ko and _status("--lang", "en") == first_en  # one kept answer, said in either language
    assert len(reads) == 1
    assert "#10" in _line(first_en, "zyen_gfci") and "GFCI 38" in _line(first_en, "zyen_gfci")


def _rebuild_with_rank(mini: Path, rank: int) -> None:
    """Correct Seoul's GFCI 38 rank in the ledger and rebuild with `cityidx build`."""
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    text = raw.read_text(encoding="utf-8")
    assert "GFCI 38,Seoul,South Korea,10," in text
    raw.write_text(text.replace("GFCI 38,Seoul,South Korea,10,", f"GFCI 38,Seoul,South Korea,{rank},"), encoding="utf-8")
    built = CliRunner().invoke(cli.main, ["build", "--catalogue", str(mini)])
    assert built.exit_code == 0, built.output


def test_a_rebuild_changes_the_answer_and_keeps_the_new_one_beside_the_warehouse(mini: Path, mini_warehouse: Path,
                                                                                   reads: list[Path]):
    assert "#10" in _line(_status("--lang", "en"), "zyen_gfci")
    _rebuild_with_rank(mini, 9)
    after = _status("--lang", "en")
    line = _line(after, "zyen_gfci")
    assert "#9" in line and "#10" not in line
    assert len(reads) == 1  # the build read it on its staged file: the first status after it runs no DuckDB
    # and what the build kept is exactly what status reads on the warehouse now in place
    kept_there = json.loads(parts.beside(mini_warehouse, "status").read_text(encoding="utf-8"))
    assert kept_there["answer"] == cli._standing(mini_warehouse)
    assert kept_there["state"] == parts.state("status", mini_warehouse)
    assert kept_there["content"] == parts.content("status", mini_warehouse)


@pytest.mark.parametrize("write", ["upload", "forum"])
def test_an_upload_or_a_forum_event_keeps_the_answer(mini: Path, mini_warehouse: Path, reads: list[Path], write: str):
    """Status reads the published part alone, which an upload or a forum event does not touch (it swaps in its own
    part): the answer kept for the published part stays, and is the one a read gives."""
    before = _status()
    published = parts.state("status", mini_warehouse)
    cat = catalogue.load(mini)
    if write == "upload":
        writes.commit_upload(cat, UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    else:
        writes.record_event(cat, ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    assert parts.version(mini_warehouse) is not None
    assert parts.state("status", mini_warehouse) == published  # the published part as it was
    assert _status() == before
    assert len(reads) == 1
    assert parts.kept("status", lambda: pytest.fail("the answer is kept"), mini_warehouse) == cli._standing(mini_warehouse)


_TODAY = parts.today  # today in a zone, as status computes it (patched below to move the clock)


def _other_day_this_month(zone: str) -> dt.date:
    today = _TODAY(zone)
    return today.replace(day=2 if today.day == 1 else 1)


def _next_month(zone: str) -> dt.date:
    return (_TODAY(zone).replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def test_another_day_of_the_month_reads_no_warehouse(mini_warehouse: Path, reads: list[Path],
                                                    monkeypatch: pytest.MonkeyPatch):
    first = _status()
    monkeypatch.setattr(parts, "today", _other_day_this_month)
    assert _status() == first and len(reads) == 1


def test_another_month_is_read_again_and_a_month_duckdb_does_not_share_is_never_kept(
        mini_warehouse: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch, cache_home: Path):
    _status()
    monkeypatch.setattr(parts, "today", _next_month)
    _status()
    assert len(reads) == 2
    # DuckDB read it in its own month, not in the next: that answer is not kept under the next month's keys
    _status()
    assert len(reads) == 3
    assert len(list(cache_home.glob("status.*.json"))) == 2


def test_the_signals_status_shows_are_one_per_month(mini_warehouse: Path):
    """Why the key is the month: the signals read on every day of three years (every month's end, the editions'
    months) are the same on every day of a month as on its first. A change that made them depend on the day (an age
    in days, say) fails here, and status's key must then be the day again (parts.KEPT)."""
    con = parts.connect_read_only(mini_warehouse)
    every_day = con.execute("select cast(g.d as date) as day, s.* from generate_series(date '2024-01-01', "
                            "date '2026-12-31', interval 1 day) as g(d), lateral (select * from focus_signals(g.d)) as s "
                            "order by day, index_id").fetchall()
    by_day: dict[dt.date, list] = {}
    for row in every_day:
        by_day.setdefault(row[0], []).append(row[1:])
    assert len(by_day) == 1096
    for day in (dt.date(2024, 1, 31), dt.date(2025, 6, 15), dt.date(2026, 12, 1)):  # as status reads them, one by one
        assert con.execute("select * from focus_signals(?::date) order by index_id", [day]).fetchall() == by_day[day]
    assert len({repr(rows) for rows in by_day.values()}) > 3  # the signals do change over these years
    for day, rows in by_day.items():
        assert rows == by_day[day.replace(day=1)], day


def test_an_answer_read_while_a_part_was_replaced_is_not_kept(mini_warehouse: Path, monkeypatch: pytest.MonkeyPatch,
                                                               cache_home: Path):
    real = cli._standing
    calls: list[int] = []

    def swapped_meanwhile(path: Path) -> dict:
        calls.append(1)
        answer = real(path)
        if len(calls) == 1:  # a write swaps in a new published part while status reads
            copy = path.with_name("published.copy")
            copy.write_bytes(path.read_bytes())
            os.replace(copy, path)
        return answer

    monkeypatch.setattr(cli, "_standing", swapped_meanwhile)
    _status()
    assert not list(cache_home.glob("status.*.json"))
    _status()
    _status()
    assert len(calls) == 2  # the second read, on an unchanged warehouse, was kept


def test_a_damaged_kept_answer_is_read_again(mini_warehouse: Path, reads: list[Path], cache_home: Path):
    first = _status()
    kept = list(cache_home.glob("status.*.json"))
    assert len(kept) == 2
    kept[0].write_text('{"focus": "Seoul", "rows": [["mori_gpci"', encoding="utf-8")
    assert _status() == first and len(reads) == 1  # the other key still has it whole
    for f in kept:
        f.write_text('{"focus": "Seoul", "rows": [["mori_gpci"', encoding="utf-8")
    assert _status() == first
    assert len(reads) == 2
    assert all(parsed.read(f) is not parsed.MISSING for f in kept)  # kept again, whole


def test_a_removed_part_is_never_answered_from_what_was_kept(mini_warehouse: Path, reads: list[Path]):
    _status()
    mini_warehouse.unlink()
    result = CliRunner().invoke(cli.main, ["status"])
    assert result.exit_code == 1 and "cityidx build" in result.output
    assert len(reads) == 2


@pytest.mark.parametrize("zone", ["UTC", "Asia/Seoul", "Etc/GMT+12", "Etc/GMT-14", "America/St_Johns"])
def test_duckdb_and_python_read_the_same_day_in_the_catalogues_zone(mini_warehouse: Path, zone: str):
    """The day an answer is kept for is the catalogue's (Asia/Seoul), on a machine in any zone, the farthest from UTC
    on either side included: DuckDB's day (what the signals age editions to, `zone_today()`) is Python's today in
    the zone the warehouse names, and neither is the machine's local date when that is another day."""
    code = ("import datetime, sys\nfrom pathlib import Path\nfrom pipelines import sql\nfrom pipelines.sql import parts\n"
            "con = parts.connect_read_only(Path(sys.argv[1]))\n"
            "((day, zone),) = sql.rows(con, 'current_day')\n"
            "print(day, zone, parts.today(zone).isoformat(), datetime.date.today().isoformat())")
    run = subprocess.run([sys.executable, "-c", code, str(mini_warehouse)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "TZ": zone}, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0, run.stderr
    duckdb_day, read_zone, python_day, local_day = run.stdout.split()
    seoul = dt.datetime.now(ZoneInfo("Asia/Seoul")).date().isoformat()
    assert read_zone == "Asia/Seoul" and duckdb_day == python_day == seoul
    # the machine's own date is another day in some of these zones at any hour: Etc/GMT+12 is 21 hours behind Seoul
    assert local_day == dt.datetime.now(ZoneInfo(zone)).date().isoformat()


def test_an_answer_kept_in_a_zone_this_machine_does_not_know_is_read_again(mini_warehouse: Path, reads: list[Path],
                                                                          cache_home: Path):
    first = _status()
    for kept in cache_home.glob("status.*.json"):
        answer = parsed.read(kept)
        parsed.keep(kept, {**answer, "zone": "Nowhere/Atlantis"})
    assert _status() == first and len(reads) == 2


def test_status_reads_the_published_part_alone(mini_warehouse: Path, reads: list[Path], cache_home: Path):
    """Every figure status shows lies in the published part, which it attaches alone (parts.connect_published) and
    which alone keys its answer: with another part missing it answers the same, from the answer kept."""
    whole = _status()
    for part in ("values", "forum"):
        parts.part_path(mini_warehouse, part).unlink()
    assert _status() == whole and _status() == whole
    assert len(reads) == 1 and len(list(cache_home.glob("status.*.json"))) == 2


# --- the answer a build keeps beside the warehouse: never used for a file, a day or queries it was not read for ----


@pytest.fixture
def built(mini: Path, mini_warehouse: Path, reads: list[Path]) -> Path:
    """The mini warehouse as `cityidx build` leaves it (Seoul's GFCI 38 rank corrected to 9), its answer kept beside
    it; no status has run."""
    _rebuild_with_rank(mini, 9)
    assert parts.beside(mini_warehouse, "status").is_file() and not reads
    return mini_warehouse


def test_the_first_status_after_a_build_reads_no_warehouse(built: Path, reads: list[Path], cache_home: Path):
    out = _status("--lang", "en")
    assert "#9" in _line(out, "zyen_gfci") and not reads
    assert not list(cache_home.glob("status.*.json"))  # found beside the warehouse, not in the user's cache
    # said exactly as a read of the warehouse says it
    parts.beside(built, "status").unlink()
    assert _status("--lang", "en") == out and len(reads) == 1


def _rank(mini: Path, was: int, now: int) -> None:
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    text = raw.read_text(encoding="utf-8")
    assert f"GFCI 38,Seoul,South Korea,{was}," in text
    raw.write_text(text.replace(f"GFCI 38,Seoul,South Korea,{was},", f"GFCI 38,Seoul,South Korea,{now},"),
                   encoding="utf-8")


def test_a_published_part_replaced_by_hand_is_read_again(built: Path, reads: list[Path], mini: Path, tmp_path: Path):
    """Another warehouse's published part moved in place (a new inode), or its bytes written over the file in place
    with the old size and mtime put back (only the ctime and the bytes tell): the answer kept is not used."""
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and not reads
    cat = catalogue.load(mini.parent / "indicators.yml")
    other = tmp_path / "other" / "cityindex.duckdb"
    _rank(mini, 9, 7)
    build_mod.build(cat, other)
    os.replace(other, built)
    assert "#7" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1

    _rank(mini, 7, 5)
    build_mod.build(cat, other)
    st, data = built.stat(), other.read_bytes()
    assert len(data) == st.st_size and data != built.read_bytes()
    with open(built, "r+b") as f:  # the same inode and size, other bytes, its mtime put back
        f.write(data)
    os.utime(built, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert built.stat().st_ino == st.st_ino and built.stat().st_mtime_ns == st.st_mtime_ns
    assert "#5" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 2


def test_the_same_bytes_touched_or_copied_by_hand_keep_their_answer(built: Path, reads: list[Path],
                                                                     monkeypatch: pytest.MonkeyPatch):
    """The answer is a function of the bytes: the file touched, or copied over itself (`cp -p`, a restore from a
    backup), keeps the answer the build kept for it; hashed once, then known by its new identity."""
    hashed: list[Path] = []
    real = parts.content
    monkeypatch.setattr(parts, "content", lambda name, path, *a: hashed.append(path) or real(name, path, *a))
    os.utime(built)
    out = _status("--lang", "en")
    assert "#9" in _line(out, "zyen_gfci") and not reads and len(hashed) == 1
    assert _status("--lang", "en") == out and len(hashed) == 1
    data = built.read_bytes()
    copy = built.with_name("restored")
    copy.write_bytes(data)
    os.replace(copy, built)  # a new inode, the same bytes
    assert _status("--lang", "en") == out and not reads and len(hashed) == 2
    parts.beside(built, "status").unlink()
    os.utime(built)  # nothing beside it now: the user's cache knows the bytes from the status before
    assert _status("--lang", "en") == out and not reads


def test_a_part_too_large_to_hash_is_known_by_its_identity_alone(built: Path, reads: list[Path],
                                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parts, "KEPT_HASH_MAX_BYTES", built.stat().st_size - 1)
    assert parts.content("status", built) is None
    _status()
    assert not reads  # its identity is the one the build kept
    os.utime(built)
    _status()
    assert len(reads) == 1


def test_bytes_hashed_while_a_write_swaps_the_file_are_not_taken_for_it(built: Path, mini: Path, tmp_path: Path):
    before = parts.state("status", built)
    other = tmp_path / "other" / "cityindex.duckdb"
    build_mod.build(catalogue.load(mini.parent / "indicators.yml"), other)
    os.replace(other, built)
    assert parts.content("status", built, before) is None
    assert parts.content("status", built, parts.state("status", built)) is not None


def test_the_answer_kept_beside_is_used_on_another_day_of_the_month_not_in_another_month(
        built: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parts, "today", _other_day_this_month)
    _status()
    assert not reads
    monkeypatch.setattr(parts, "today", _next_month)
    _status()
    assert len(reads) == 1


def test_a_build_across_a_months_end_keeps_no_answer_beside(mini: Path, mini_warehouse: Path, reads: list[Path],
                                                              monkeypatch: pytest.MonkeyPatch):
    """The answer was read on the staged file in one month and the file swapped in in the next: not kept (and the one
    kept for the file before is removed)."""
    _rebuild_with_rank(mini, 9)
    assert parts.beside(mini_warehouse, "status").is_file()
    real, day = warehouse.keep_beside, parts.today

    def after_midnight(*args):
        parts.today = _next_month
        try:
            real(*args)
        finally:
            parts.today = day

    monkeypatch.setattr(warehouse, "keep_beside", after_midnight)
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,9,", "GFCI 38,Seoul,South Korea,8,"),
                   encoding="utf-8")
    build_mod.build(catalogue.load(mini), mini_warehouse)
    assert not parts.beside(mini_warehouse, "status").exists()
    assert "#8" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1


def test_a_write_killed_after_its_swap_leaves_an_answer_that_names_the_file_before(
        mini: Path, built: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch):
    """Killed between swapping in the published part and keeping its answer: the answer beside names the file before,
    so status reads the new one."""
    before = parts.beside(built, "status").read_bytes()
    monkeypatch.setattr(warehouse, "keep_beside", lambda *args: None)
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,9,", "GFCI 38,Seoul,South Korea,8,"),
                   encoding="utf-8")
    build_mod.build(catalogue.load(mini), built)
    assert parts.beside(built, "status").read_bytes() == before
    line = _line(_status("--lang", "en"), "zyen_gfci")
    assert "#8" in line and "#9" not in line and len(reads) == 1


def test_a_failed_build_leaves_the_answer_beside_as_it_was(mini: Path, built: Path, reads: list[Path]):
    before = parts.beside(built, "status").read_bytes()
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,9,", "GFCI 38,Seoul,South Korea,-9,"),
                   encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["build", "--catalogue", str(mini)])
    assert result.exit_code == 1
    assert parts.beside(built, "status").read_bytes() == before
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and not reads


def test_an_answer_kept_beside_another_warehouse_is_not_used(built: Path, reads: list[Path], mini: Path,
                                                            tmp_path: Path):
    """The answer file copied beside another warehouse: its state and its content name the file it was read on. A
    copy of the same bytes has the same answer; a copy with other bytes is read."""
    copy = tmp_path / "copy" / "cityindex.duckdb"
    copy.parent.mkdir()
    for part, f in parts.files(built).items():
        shutil.copy2(f, parts.part_path(copy, part))
    shutil.copy2(parts.beside(built, "status"), parts.beside(copy, "status"))
    same = _status("--warehouse", str(copy), "--lang", "en")
    assert "#9" in _line(same, "zyen_gfci") and not reads
    _rank(mini, 9, 6)
    build_mod.build(catalogue.load(mini.parent / "indicators.yml"), tmp_path / "six" / "cityindex.duckdb")
    shutil.copy2(tmp_path / "six" / "cityindex.duckdb", copy)
    assert "#6" in _line(_status("--warehouse", str(copy), "--lang", "en"), "zyen_gfci")
    assert reads == [copy]


@pytest.mark.parametrize("damage", ["cut", "not_json", "other_queries", "answer_not_a_dict", "too_large"])
def test_a_damaged_or_altered_answer_beside_is_not_used(built: Path, reads: list[Path], damage: str):
    kept_file = parts.beside(built, "status")
    text = kept_file.read_text(encoding="utf-8")
    kept_there = json.loads(text)
    if damage == "cut":
        kept_file.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage == "not_json":
        kept_file.write_bytes(b"\xff\x00")
    elif damage == "other_queries":  # kept by a version whose status query differed
        for key in ("state", "content"):
            kept_there[key][2][1][1] = kept_there[key][2][1][1].replace("order by seq", "order by index_id")
        kept_file.write_text(json.dumps(kept_there), encoding="utf-8")
    elif damage == "answer_not_a_dict":
        kept_there["answer"] = [kept_there["answer"]]
        kept_file.write_text(json.dumps(kept_there), encoding="utf-8")
    else:  # the right state, padded past any answer's size: not read at all
        kept_file.write_text(text[:-1] + ', "pad": "' + "x" * parts.KEPT_BESIDE_MAX_BYTES + '"}', encoding="utf-8")
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1


def test_the_answer_read_beside_the_other_parts_staging_is_the_staged_parts_own(mini: Path, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    """A build reads status's answer on its own file while it stages the values and forum parts (issue 13,
    warehouse._answers_early): it is the answer the staged published part gives (read there when the early read is
    off), kept beside the warehouse either way. With the answer read and every table in the build's file, the write
    then closes that file as it is (stage_part's `whole`) instead of opening it again: every table of every part is
    the same both ways. The probe can fail: a build whose early read is off reads it on the staged part, once."""
    read_on_staged: list[Path] = []
    real = warehouse._read_answers
    monkeypatch.setattr(warehouse, "_read_answers", lambda con, staged: read_on_staged.append(staged) or real(con, staged))
    kept = {}
    for early in (True, False):
        if not early:
            monkeypatch.setattr(warehouse, "_answers_early", lambda staged: None)
        path = tmp_path / str(early) / "cityindex.duckdb"
        build_mod.build(catalogue.load(mini), path)
        kept[early] = json.loads(parts.beside(path, "status").read_text(encoding="utf-8"))["answer"]
        assert not warehouse._early  # taken by the write
    assert read_on_staged and len(read_on_staged) == 1  # only the build whose early read was off
    assert kept[True] == kept[False] and kept[True]["rows"]
    made = {}
    for early in (True, False):
        with parts.connect_read_only(tmp_path / str(early) / "cityindex.duckdb") as con:
            made[early] = {name: sorted(map(repr, con.execute(f"select * from {name}").fetchall()))
                           for name in warehouse.TABLE_ORDER if name != "setting"}
    assert made[True] == made[False] and len(made[True]["component_row"]) > 0
