"""`cityidx status` keeps its answer per warehouse version and day (issue 13, quick start-up): a repeated status
reads no warehouse, and nothing that changes the answer can leave an old one in place — a rebuild, an upload, a
forum event, another day, a write while it reads, a damaged or missing kept file, a removed part."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import catalogue, cli
from pipelines.accounts import Account
from pipelines.build import writes
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


def test_a_rebuild_changes_the_answer(mini: Path, mini_warehouse: Path, reads: list[Path]):
    assert "#10" in _line(_status("--lang", "en"), "zyen_gfci")
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    text = raw.read_text(encoding="utf-8")
    assert "GFCI 38,Seoul,South Korea,10," in text
    raw.write_text(text.replace("GFCI 38,Seoul,South Korea,10,", "GFCI 38,Seoul,South Korea,9,"), encoding="utf-8")
    built = CliRunner().invoke(cli.main, ["build", "--catalogue", str(mini)])
    assert built.exit_code == 0, built.output
    line = _line(_status("--lang", "en"), "zyen_gfci")
    assert "#9" in line and "#10" not in line
    assert len(reads) == 2


@pytest.mark.parametrize("write", ["upload", "forum"])
def test_an_upload_or_a_forum_event_is_read_again(mini: Path, mini_warehouse: Path, reads: list[Path], write: str):
    """A write to any part gives the warehouse a new version: status reads it again (its answer may not change)."""
    before = _status()
    cat = catalogue.load(mini)
    if write == "upload":
        writes.commit_upload(cat, UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    else:
        writes.record_event(cat, ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    assert _status() == before
    assert len(reads) == 2
    _status()
    assert len(reads) == 2  # and kept again for the new version


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
        if len(calls) == 1:  # a write swaps in a new forum part while status reads
            forum = parts.part_path(path, "forum")
            copy = forum.with_name("forum.copy")
            copy.write_bytes(forum.read_bytes())
            os.replace(copy, forum)
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


def test_status_reads_the_published_part_alone_and_keeps_nothing_while_a_part_is_missing(
        mini_warehouse: Path, reads: list[Path], cache_home: Path):
    """Every figure status shows lies in the published part, which it attaches alone (parts.connect_published);
    with another part missing it still answers the same, but keeps no answer for a warehouse that is not whole."""
    whole = _status()
    for part in ("values", "forum"):
        parts.part_path(mini_warehouse, part).unlink()
    assert _status() == whole and _status() == whole
    assert len(reads) == 3 and len(list(cache_home.glob("status.*.json"))) == 1  # only the whole warehouse's
