"""The two ways rules are judged give the same problems (issue 13): a small table is scanned row by row at once, a
large one first narrowed to its suspect rules (distinct values per column, a count per key). Both ways run here on
every real, mini and bad rankings and components file, the large way forced by setting its threshold to 0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines import schemas
from pipelines.schemas import RawComponent, RawRanking, read_validated

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
NUMBERS = {"rank": "int", "rank_bound": "int", "score": "float"}


def _files() -> list[tuple[Path, type]]:
    found = sorted((ROOT / "data" / "raw" / "rankings").glob("*.csv")) + sorted((FIXTURES / "mini" / "data" / "raw" / "rankings").glob("*.csv"))
    found += sorted((FIXTURES / "bad").glob("*.csv"))
    out = []
    for f in found:
        if f.name.startswith(("editions", "cities")):
            continue
        out.append((f, RawComponent if "components" in f.name else RawRanking))
    return out


def _read_all(files):
    return [read_validated(f, f.name, {k: v for k, v in NUMBERS.items() if model is RawRanking or k != "rank_bound"}, model)
            for f, model in files]


def test_suspects_first_finds_what_one_scan_finds(monkeypatch: pytest.MonkeyPatch):
    files = _files()
    assert len(files) > 30
    assert schemas.SUSPECTS_FROM_ROWS > 3000  # the real files are judged in one scan
    direct = _read_all(files)
    assert sum(1 for _, _, p in direct if p) > 15

    narrowed: list[int] = []
    real = schemas._suspects

    def counting(rel, found):
        out = real(rel, found)
        narrowed.append(len(found) - len(out))
        return out

    monkeypatch.setattr(schemas, "SUSPECTS_FROM_ROWS", 0)
    monkeypatch.setattr(schemas, "_suspects", counting)
    by_suspects = _read_all(files)
    assert sum(narrowed) > 0  # the probe can fail: the suspects way did leave rules out
    for (f, _), (raw, typed, problems), (raw1, typed1, problems1) in zip(files, direct, by_suspects):
        assert sorted(problems) == sorted(problems1), f.name
        assert (typed is None) == (typed1 is None), f.name
        if raw is not None:
            pd.testing.assert_frame_equal(raw, raw1, obj=f.name)
