"""`cityidx` commands: exit codes, output and help with examples."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.sql import parts
from tests.warehouse_files import warehouse_bytes


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _walk(command: click.Command, path: tuple[str, ...] = ()):
    """Every command and subcommand of the tree, with the words that invoke it."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, (*path, name))


def test_every_command_has_help_that_opens_with_an_example(runner: CliRunner):
    seen = []
    for path, _ in _walk(main):
        result = runner.invoke(main, [*path, "--help"], prog_name="cityidx", terminal_width=200, max_content_width=200)
        assert result.exit_code == 0, (path, result.output)
        # Usage line, one-line summary, then the example block (sqlite-utils' convention).
        paragraphs = result.output.split("Options:")[0].strip().split("\n\n")
        assert paragraphs[0].startswith(f"Usage: cityidx {' '.join(path)}".rstrip()), (path, paragraphs[0])
        assert len(paragraphs) >= 3 and "\n" not in paragraphs[1].strip(), (path, "a one-line summary first")
        example = paragraphs[2].splitlines()
        assert example[0].strip() == "Example:", (path, paragraphs[2])
        assert example[1].strip().startswith(" ".join(("cityidx", *path))), (path, example[1])
        seen.append(path)
    assert len(seen) > 25, seen
    assert ("forum", "action", "status") in seen and ("user", "disable") in seen


def test_check_writes_nothing(runner: CliRunner, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "never.duckdb"
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(target))
    result = runner.invoke(main, ["check", "--catalogue", str(mini)])
    assert result.exit_code == 0, result.output
    assert "2 series" in result.output and "지수 2개" in result.output
    assert not target.exists()


def test_check_fails_with_cell_in_both_languages(runner: CliRunner, mini: Path):
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,10,", "GFCI 38,Seoul,South Korea,ten,"), encoding="utf-8")
    result = runner.invoke(main, ["check", "--catalogue", str(mini)])
    assert result.exit_code == 1
    assert "data/raw/rankings/zyen_gfci.csv row 6, column 'rank'" in result.output
    assert "data/raw/rankings/zyen_gfci.csv 6행 'rank' 열" in result.output


def test_build_then_status(runner: CliRunner, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "w.duckdb"
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(target))
    built = runner.invoke(main, ["build", "--catalogue", str(mini)])
    assert built.exit_code == 0, built.output
    assert target.is_file()
    status = runner.invoke(main, ["status", "--lang", "en"])
    assert status.exit_code == 0, status.output
    lines = {line.split()[0]: line for line in status.output.splitlines()[1:]}
    assert "#6" in lines["mori_gpci"] and "2025" in lines["mori_gpci"]
    assert "#10" in lines["zyen_gfci"] and "GFCI 38" in lines["zyen_gfci"]


def test_status_without_warehouse(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1 and "cityidx build" in result.output


def test_list_prints_the_catalogue(runner: CliRunner, mini: Path):
    result = runner.invoke(main, ["list", "--catalogue", str(mini), "--lang", "en"])
    assert result.exit_code == 0
    assert "mori_gpci" in result.output and "Mori Global Power City Index" in result.output
    assert "focus: Seoul" in result.output


def test_upload_dry_run_prints_the_flags_the_page_shows(runner: CliRunner, mini: Path, mini_warehouse: Path):
    """The same rule as the My indicators preview (pipelines.analysis.preview): a corrected 2024 figure 52%
    above the value in force, and a new 2025 figure 87.5% below 2024, are flagged; a 0.5% change is not."""
    upload = mini.parent / "fix.csv"
    upload.write_text("지표코드,기준기간,값\nforeign_tourists,2024,\"20,000,000\"\nforeign_tourists,2023,8900000\n"
                      "foreign_tourists,2025,1637000\n", encoding="utf-8")
    before = warehouse_bytes(mini_warehouse)
    result = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports", "--dry-run", str(upload)])
    assert result.exit_code == 0, result.output
    flagged = [line for line in result.output.splitlines() if line.startswith("다시 확인")]
    assert len(flagged) == 2
    assert "foreign_tourists 2024: 20,000,000 ← 2024 값 13,140,000 (+52.2%)" in flagged[0]
    assert "check again: foreign_tourists 2024: 20,000,000 ← 13,140,000 for 2024 (+52.2%)" in flagged[0]
    assert "foreign_tourists 2025: 1,637,000 ← 13,140,000 for 2024 (-87.5%)" in flagged[1]
    assert "2 rows change by more than 30%" in result.output
    assert warehouse_bytes(mini_warehouse) == before


def test_upload_dry_run_without_a_warehouse_says_it_compared_nothing(runner: CliRunner, mini: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    upload = mini.parent / "new.csv"
    upload.write_text("지표코드,기준기간,값\nforeign_tourists,2025,1637000\n", encoding="utf-8")
    result = runner.invoke(main, ["upload", "--catalogue", str(mini), "--department", "tourism_sports", "--dry-run", str(upload)])
    assert result.exit_code == 0, result.output
    assert "not compared" in result.output and "check again" not in result.output
    assert not (tmp_path / "missing.duckdb").exists()


def test_the_program_sets_the_collector_for_a_short_process_and_main_leaves_it(runner: CliRunner,
                                                                               monkeypatch: pytest.MonkeyPatch):
    """`cityidx` (pipelines.cli.run) puts off full collections and freezes what is left at the end (issue 13: ~0.2 s
    of a build's CPU); `main`, which tests and other code call in their own process, changes neither; the program
    keeps main's exit codes."""
    import gc
    import os
    import subprocess
    import sys

    # main calls neither (the freeze count itself is no witness: a frozen object freed meanwhile lowers it)
    called: list[str] = []
    monkeypatch.setattr(gc, "freeze", lambda: called.append("freeze"))
    monkeypatch.setattr(gc, "set_threshold", lambda *limits: called.append(f"set_threshold{limits}"))
    threshold = gc.get_threshold()
    assert runner.invoke(main, ["--help"]).exit_code == 0
    assert runner.invoke(main, ["no-such-command"]).exit_code == 2
    assert called == [] and gc.get_threshold() == threshold
    monkeypatch.undo()
    root = Path(__file__).resolve().parent.parent
    probe = ("import gc, sys\nimport pipelines.cli\nsys.argv = ['cityidx', *sys.argv[1:]]\ntry:\n    pipelines.cli.run()\n"
             "except SystemExit as exc:\n    print('exit', exc.code or 0, gc.get_threshold()[2], gc.get_freeze_count() > 0)")
    for argv, code in ((["--help"], 0), (["no-such-command"], 2), (["status"], 1)):
        env = {**os.environ, "CITYIDX_WAREHOUSE": "/nonexistent/cityindex.duckdb"}
        run = subprocess.run([sys.executable, "-c", probe, *argv], cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert run.stdout.strip().splitlines()[-1] == f"exit {code} 100 True", run.stdout + run.stderr


def _damaged(kind: str, where: Path) -> Path:
    """A warehouse at `where` that DuckDB refuses: random bytes where the published part should be, an empty file, or
    three valid DuckDB files without the warehouse's tables and views (as if made by another program or version)."""
    import os

    import duckdb

    path = where / "cityindex.duckdb"
    if kind == "random bytes":
        path.write_bytes(os.urandom(64 << 10))
    elif kind == "empty file":
        path.write_bytes(b"")
    else:
        for part in parts.files(path).values():
            with duckdb.connect(str(part)) as con:
                con.execute("create table other (x integer)")
    return path


@pytest.mark.parametrize("kind", ["random bytes", "empty file", "no warehouse tables"])
@pytest.mark.parametrize("argv", [["status"], ["forum", "list"], ["due"]], ids=" ".join)
def test_a_warehouse_duckdb_refuses_is_named_in_both_languages_and_left_as_it_was(
        runner: CliRunner, mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, argv: list[str]):
    """A reading command on a warehouse DuckDB cannot read (damaged, not DuckDB's, another version's) says so with
    the file, in Korean and English, and what to do, exit code 1: not a traceback. Nothing is written or kept."""
    path = _damaged(kind, tmp_path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    before = warehouse_bytes(path)
    if argv == ["due"]:
        argv = [*argv, "--catalogue", str(mini)]
    result = runner.invoke(main, argv)
    assert result.exit_code == 1, (result.output, result.exception)
    assert not isinstance(result.exception, duckdb_error()), result.exception
    assert f"웨어하우스 {path}을(를) 읽을 수 없습니다" in result.output
    assert f"The warehouse {path} cannot be read" in result.output and "cityidx build" in result.output
    assert "(DuckDB: " in result.output  # DuckDB's own reason, its first line
    assert warehouse_bytes(path) == before
    assert not list(tmp_path.glob("*.status.json"))


def duckdb_error() -> type:
    return parts.engine().Error
