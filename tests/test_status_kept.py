"""`cityidx status` keeps its answer per published part and day (issue 13, quick start-up): a repeated status, or the
first after a build (which keeps the answer beside the warehouse), reads no warehouse, and nothing that changes the
answer can leave an old one in place — a rebuild, another day, a write while it reads, a part replaced or touched by
hand, a killed write, a write across midnight, an answer kept for another warehouse, a damaged or missing kept
file, a removed part."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
    assert len(reads) == 1 and len(list(cache_home.glob("status.*.json"))) == 1
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
    assert kept_there["state"] == parts.state("status", mini_warehouse, parts.today())


@pytest.mark.parametrize("write", ["upload", "forum"])
def test_an_upload_or_a_forum_event_keeps_the_answer(mini: Path, mini_warehouse: Path, reads: list[Path], write: str):
    """Status reads the published part alone, which an upload or a forum event does not touch (it swaps in its own
    part): the answer kept for the published part stays, and is the one a read gives."""
    before = _status()
    published = parts.state("status", mini_warehouse, parts.today())
    cat = catalogue.load(mini)
    if write == "upload":
        writes.commit_upload(cat, UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    else:
        writes.record_event(cat, ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    assert parts.version(mini_warehouse) is not None
    assert parts.state("status", mini_warehouse, parts.today()) == published  # the published part as it was
    assert _status() == before
    assert len(reads) == 1
    assert parts.kept("status", lambda: pytest.fail("the answer is kept"), mini_warehouse) == cli._standing(mini_warehouse)


def test_another_day_is_read_again_and_a_day_duckdb_does_not_share_is_never_kept(
        mini_warehouse: Path, reads: list[Path], monkeypatch: pytest.MonkeyPatch, cache_home: Path):
    _status()
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(parts, "today", lambda: tomorrow)
    _status()
    assert len(reads) == 2
    # DuckDB read it on its own today, not on `tomorrow`: that answer is not kept under tomorrow's key
    _status()
    assert len(reads) == 3
    assert len(list(cache_home.glob("status.*.json"))) == 1


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
    (kept,) = cache_home.glob("status.*.json")
    kept.write_text('{"focus": "Seoul", "rows": [["mori_gpci"', encoding="utf-8")
    assert _status() == first
    assert len(reads) == 2
    assert parsed.read(kept) is not parsed.MISSING  # kept again, whole


def test_a_removed_part_is_never_answered_from_what_was_kept(mini_warehouse: Path, reads: list[Path]):
    _status()
    mini_warehouse.unlink()
    result = CliRunner().invoke(cli.main, ["status"])
    assert result.exit_code == 1 and "cityidx build" in result.output
    assert len(reads) == 2


@pytest.mark.parametrize("zone", ["UTC", "Asia/Seoul", "Etc/GMT+12", "Etc/GMT-14", "America/St_Johns"])
def test_duckdb_and_python_read_the_same_day(mini_warehouse: Path, zone: str):
    """The key's day is Python's local date; DuckDB's `current_date` (what the signals age editions to) must be the
    same day in every time zone, the farthest from UTC on either side included."""
    code = ("import datetime, sys\nfrom pathlib import Path\nfrom pipelines import sql\nfrom pipelines.sql import parts\n"
            "con = parts.connect_read_only(Path(sys.argv[1]))\n"
            "print(sql.value(con, 'current_day'), parts.today().isoformat())")
    run = subprocess.run([sys.executable, "-c", code, str(mini_warehouse)], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "TZ": zone}, cwd=Path(__file__).parent.parent)
    assert run.returncode == 0, run.stderr
    duckdb_day, python_day = run.stdout.split()
    assert duckdb_day == python_day


def test_status_reads_the_published_part_alone(mini_warehouse: Path, reads: list[Path], cache_home: Path):
    """Every figure status shows lies in the published part, which it attaches alone (parts.connect_published) and
    which alone keys its answer: with another part missing it answers the same, from the answer kept."""
    whole = _status()
    for part in ("values", "forum"):
        parts.part_path(mini_warehouse, part).unlink()
    assert _status() == whole and _status() == whole
    assert len(reads) == 1 and len(list(cache_home.glob("status.*.json"))) == 1


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


def test_a_published_part_replaced_by_hand_is_read_again(built: Path, reads: list[Path], mini: Path, tmp_path: Path):
    """Another warehouse's published part moved in place (a new inode), or the same file's bytes copied over it in
    place with its old size and mtime (only the ctime tells): the answer kept beside it is not used."""
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and not reads
    other = tmp_path / "other" / "cityindex.duckdb"
    build_mod.build(catalogue.load(mini.parent / "indicators.yml"), other)  # the same ledger: GFCI 38 at #9
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,9,", "GFCI 38,Seoul,South Korea,7,"),
                   encoding="utf-8")
    build_mod.build(catalogue.load(mini.parent / "indicators.yml"), other)  # now #7
    os.replace(other, built)
    assert "#7" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1

    st = built.stat()
    data = built.read_bytes()
    with open(built, "r+b") as f:  # the same inode, size and bytes, its mtime put back: a hand copy with -p
        f.write(data)
    os.utime(built, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert built.stat().st_ino == st.st_ino and built.stat().st_mtime_ns == st.st_mtime_ns
    _status()
    assert len(reads) == 2


def test_a_touched_published_part_is_read_again(built: Path, reads: list[Path]):
    os.utime(built)
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1


def test_the_answer_kept_beside_is_not_used_on_another_day(built: Path, reads: list[Path],
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(parts, "today", lambda: dt.date.today() + dt.timedelta(days=1))
    _status()
    assert len(reads) == 1


def test_a_build_across_midnight_keeps_no_answer_beside(mini: Path, mini_warehouse: Path, reads: list[Path],
                                                         monkeypatch: pytest.MonkeyPatch):
    """The answer was read on the staged file on one day and the file swapped in on the next: not kept (and the one
    kept for the file before is removed)."""
    _rebuild_with_rank(mini, 9)
    assert parts.beside(mini_warehouse, "status").is_file()
    real, day = warehouse.keep_beside, parts.today

    def after_midnight(*args):
        parts.today = lambda: day() + dt.timedelta(days=1)
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


def test_an_answer_kept_beside_another_warehouse_is_not_used(built: Path, reads: list[Path], tmp_path: Path):
    """The answer file copied beside another copy of a warehouse (or the warehouse folder copied whole): its state
    names the file it was read on, not the copy."""
    copy = tmp_path / "copy" / "cityindex.duckdb"
    copy.parent.mkdir()
    for part, f in parts.files(built).items():
        shutil.copy2(f, parts.part_path(copy, part))
    shutil.copy2(parts.beside(built, "status"), parts.beside(copy, "status"))
    _status("--warehouse", str(copy))
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
        kept_there["state"][3][1][1] = kept_there["state"][3][1][1].replace("order by seq", "order by index_id")
        kept_file.write_text(json.dumps(kept_there), encoding="utf-8")
    elif damage == "answer_not_a_dict":
        kept_there["answer"] = [kept_there["answer"]]
        kept_file.write_text(json.dumps(kept_there), encoding="utf-8")
    else:  # the right state, padded past any answer's size: not read at all
        kept_file.write_text(text[:-1] + ', "pad": "' + "x" * parts.KEPT_BESIDE_MAX_BYTES + '"}', encoding="utf-8")
    assert "#9" in _line(_status("--lang", "en"), "zyen_gfci") and len(reads) == 1
