"""Ranking files read together (issue 13: one DuckDB pass for every rankings file of the ledger) give exactly what
each file read alone gives: the same rows, types and row numbers, the same problems naming the same file, row and
column, a key unique within its own file (not across files), and a damaged file still named on its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipelines import schemas
from pipelines.build.rankings import RANKING_NUMBERS
from pipelines.schemas import RawRanking, read_validated, read_validated_files

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


def _ranking_files(tmp_path: Path) -> list[tuple[Path, str]]:
    """The real and mini rankings files and every bad one, copied under distinct names."""
    sources = sorted((ROOT / "data" / "raw" / "rankings").glob("*.csv")) + sorted((FIXTURES / "mini" / "data" / "raw" / "rankings").glob("*.csv"))
    sources += sorted((FIXTURES / "bad").glob("*.csv"))
    sources = [s for s in sources if "components" not in s.name and not s.name.startswith(("editions", "cities"))]
    out = []
    for i, source in enumerate(sources):
        target = tmp_path / f"{i:02d}-{source.parent.name}-{source.name}"
        shutil.copy(source, target)
        out.append((target, target.name))
    return out


def _alone(files: list[tuple[Path, str]]):
    return [read_validated(path, display, RANKING_NUMBERS, RawRanking) for path, display in files]


def _same(together, alone, files) -> None:
    assert len(together) == len(alone) == len(files)
    for (raw, typed, problems), (raw1, typed1, problems1), (_, display) in zip(together, alone, files):
        assert sorted(problems) == sorted(problems1), display
        for got, want in ((raw, raw1), (typed, typed1)):
            assert (got is None) == (want is None), display
            if want is not None:
                pd.testing.assert_frame_equal(got, want, check_exact=True, obj=display)


def test_files_read_together_give_what_each_gives_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    files = _ranking_files(tmp_path)
    assert len(files) > 30
    alone = _alone(files)
    assert sum(1 for _, _, p in alone if p) > 15  # the bad fixtures do fail
    assert sum(1 for _, t, p in alone if t is not None and not p) >= 9  # and the real files do not

    read_alone: list[str] = []
    real = schemas.read_validated

    def counting(path, display, numbers, model):
        read_alone.append(display)
        return real(path, display, numbers, model)

    monkeypatch.setattr(schemas, "read_validated", counting)
    together = read_validated_files(files, RANKING_NUMBERS, RawRanking)
    _same(together, alone, files)
    # the probe can fail: the clean files were read together, only files whose header fails were read alone
    clean = {display for (_, display), (_, typed, problems) in zip(files, alone) if typed is not None and not problems}
    assert clean and not clean & set(read_alone), read_alone
    assert len(read_alone) < len(files) / 2


def test_a_key_is_unique_within_its_file_not_across_files(tmp_path: Path):
    """Two copies of one file share every (edition, city): no problem; a file with a key twice: its own problem."""
    source = FIXTURES / "mini" / "data" / "raw" / "rankings" / "mori_gpci.csv"
    files = []
    for name in ("a.csv", "b.csv"):
        shutil.copy(source, tmp_path / name)
        files.append((tmp_path / name, name))
    shutil.copy(FIXTURES / "bad" / "mori_gpci__duplicate_city.csv", tmp_path / "dup.csv")
    files.append((tmp_path / "dup.csv", "dup.csv"))
    together = read_validated_files(files, RANKING_NUMBERS, RawRanking)
    assert not together[0][2] and not together[1][2]
    assert together[2][2] and {p.file for p in together[2][2]} == {"dup.csv"}
    _same(together, _alone(files), files)


def test_a_damaged_file_among_good_ones_is_named_on_its_own(tmp_path: Path):
    """A file whose rows cannot be parsed (bytes that are not UTF-8 past a clean header) makes the read together
    fail: every file is then read alone, and the problem names the damaged file only."""
    source = FIXTURES / "mini" / "data" / "raw" / "rankings" / "mori_gpci.csv"
    shutil.copy(source, tmp_path / "good.csv")
    text = source.read_bytes()
    (tmp_path / "damaged.csv").write_bytes(text + "Seoul,서울,2025\n".encode("cp949"))
    files = [(tmp_path / "good.csv", "good.csv"), (tmp_path / "damaged.csv", "damaged.csv")]
    together = read_validated_files(files, RANKING_NUMBERS, RawRanking)
    assert not together[0][2] and together[0][1] is not None
    assert together[1][0] is None and [p.file for p in together[1][2]] == ["damaged.csv"]
    _same(together, _alone(files), files)


def test_records_give_what_the_frames_give(tmp_path: Path):
    """The build's own reader (`read_checked_files`: records, no pandas) gives the rows, row numbers, problems and
    failures `read_validated_files` gives as frames, for every real, mini and bad rankings file (issue 13)."""
    files = _ranking_files(tmp_path)
    framed = read_validated_files(files, RANKING_NUMBERS, RawRanking)
    checked = schemas.read_checked_files(files, RANKING_NUMBERS, RawRanking)
    assert sum(1 for records, failed, _ in checked if records is not None and not failed) >= 9
    assert sum(1 for _, failed, _ in checked if failed) > 10  # the probe can fail: bad files fail here too
    for (raw, typed, problems), (records, failed, found), (_, display) in zip(framed, checked, files):
        assert sorted(found) == sorted(problems), display
        assert (records is None) == (raw is None) and failed == (typed is None), display
        if raw is None:
            continue
        want = [{schemas.ROW: row, **{c: None if pd.isna(v) else v for c, v in cells.items()}}
                for row, cells in zip(raw.index, raw.to_dict("records"))]
        assert records == want, display
        alone = schemas.read_checked(*files[[d for _, d in files].index(display)], RANKING_NUMBERS, RawRanking)
        assert alone == (records, failed, found), display
