"""A small ledger file read by its one scan kept as SQL (schemas._read_scanned, issue 13) gives what reading it as
hold_validated reads it gives: the same records, whether a rule failed, and the same problems in the same order, in
both languages, for every ledger file of the repository against every model; a file it cannot judge so is read as
before; a damaged or missing kept scan is made again."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import schemas
from pipelines.build.rankings import COMPONENT_NUMBERS, RANKING_NUMBERS
from pipelines.messages import parsed
from pipelines.schemas import (RawCity, RawComponent, RawEdition, RawRanking, RawSeedValue, RawSourceDomain,
                               read_checked)

ROOT = Path(__file__).resolve().parent.parent
MODELS = [(RawCity, {}), (RawEdition, {"year": "int", "field_size": "int"}), (RawSourceDomain, {}),
          (RawSeedValue, {"value": "float"}), (RawRanking, RANKING_NUMBERS), (RawComponent, COMPONENT_NUMBERS)]


@pytest.fixture
def kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The scans kept in a cache folder of this test's own; the files each scan read, in order."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    scanned: list[Path] = []
    real = schemas._read_scanned

    def spy(path, display, numbers, model):
        found = real(path, display, numbers, model)
        if found is not None:
            scanned.append(path)
        return found

    monkeypatch.setattr(schemas, "_read_scanned", spy)
    return scanned


def _both_ways(path: Path, model, numbers: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    scanned = read_checked(path, path.name, numbers, model)
    monkeypatch.setattr(schemas, "SCAN_KEPT", False)
    try:
        held = read_checked(path, path.name, numbers, model)
    finally:
        monkeypatch.setattr(schemas, "SCAN_KEPT", True)
    return scanned, held


def test_every_ledger_file_reads_the_same_by_its_kept_scan(kept: list[Path], monkeypatch: pytest.MonkeyPatch):
    files = sorted([*(ROOT / "data" / "raw").rglob("*.csv"), *(ROOT / "tests" / "fixtures").rglob("*.csv")])
    assert len(files) > 50
    with_problems = 0
    for path in files:
        for model, numbers in MODELS:
            scanned, held = _both_ways(path, model, numbers, monkeypatch)
            assert scanned == held, (path, model.__name__)
            if kept and kept[-1] == path and scanned[2]:
                with_problems += 1
                assert all(p.ko != p.en and p.file == path.name for p in scanned[2])
    # the probe can fail: the kept scan read many files, some of them with problems (a rank of zero, a bad date ...)
    assert len(set(kept)) > 40 and with_problems > 5, (len(set(kept)), with_problems)


def test_hostile_text_and_columns_in_another_order(tmp_path: Path, kept: list[Path], monkeypatch: pytest.MonkeyPatch):
    """Columns in another order, headers with spaces around them, hostile cells: the same as read before; two column
    orders are two scans, each right for its own file."""
    one = tmp_path / "one.csv"
    one.write_text("city_ko,city,country,country_ko,aliases\n"
                   "서울,Seoul,South Korea,대한민국,\n"
                   "\"<img src=x onerror=alert(1)>\",\"Paris'; drop table held; --\",France,프랑스,Paname\n"
                   ",Lyon,France,,\n"
                   "도쿄,Seoul,Japan,일본,\n", encoding="utf-8")
    two = tmp_path / "two.csv"
    two.write_text(" city , city_ko ,country,country_ko,aliases\n Seoul ,서울,South Korea,대한민국,\n", encoding="utf-8")
    for path in (one, two):
        scanned, held = _both_ways(path, RawCity, {}, monkeypatch)
        assert scanned == held
    assert kept == [one, two]
    records, failed, problems = read_checked(one, "one.csv", {}, RawCity)
    assert failed and [(p.row, p.column) for p in problems] == [(2, "city"), (4, "city_ko"), (4, "country_ko"),
                                                                (5, "city")]
    assert records[1]["city"] == "Paris'; drop table held; --"
    assert read_checked(two, "two.csv", {}, RawCity)[0] == [{"_row": 2, "city": "Seoul", "city_ko": "서울",
                                                             "country": "South Korea", "country_ko": "대한민국",
                                                             "aliases": None}]
    assert len(list(parsed.cache_folder().glob("scan-RawCity-*.json"))) == 2


def test_a_damaged_kept_scan_is_made_again(tmp_path: Path, kept: list[Path], monkeypatch: pytest.MonkeyPatch):
    path = ROOT / "data" / "raw" / "rankings" / "editions.csv"
    numbers = {"year": "int", "field_size": "int"}
    first, held = _both_ways(path, RawEdition, numbers, monkeypatch)
    [scan] = parsed.cache_folder().glob("scan-RawEdition-*.json")
    scan.write_text('{"sql": "not json', encoding="utf-8")
    assert read_checked(path, path.name, numbers, RawEdition) == first == held
    assert kept == [path, path] and len(first[0]) > 100


def _ranking_files(tmp_path: Path) -> list[tuple[Path, str]]:
    """The real and mini rankings files and every bad one, copied under distinct names."""
    sources = sorted((ROOT / "data" / "raw" / "rankings").glob("*.csv"))
    sources += sorted((ROOT / "tests" / "fixtures" / "mini" / "data" / "raw" / "rankings").glob("*.csv"))
    sources += sorted((ROOT / "tests" / "fixtures" / "bad").glob("*.csv"))
    sources = [s for s in sources if "components" not in s.name and not s.name.startswith(("editions", "cities"))]
    out = []
    for i, source in enumerate(sources):
        target = tmp_path / f"{i:02d}-{source.parent.name}-{source.name}"
        target.write_bytes(source.read_bytes())
        out.append((target, target.name))
    return out


def test_rankings_files_read_together_by_their_kept_scan_read_as_before(tmp_path: Path, kept: list[Path],
                                                                        monkeypatch: pytest.MonkeyPatch):
    """Every rankings file of the real ledger, of the mini one and every bad one, read together (schemas.
    read_checked_files) by their kept scan and as _judge_together reads them: the same records, failures and problems
    (each naming its own file and row, in both languages); the real ledger's in one scan, the mini ledger's with each
    bad file beside it too."""
    together: list[int] = []
    real = schemas._judged_scanned

    def spy(con, files, numbers, model):
        found = real(con, files, numbers, model)
        together.append(found is not None)
        return found

    monkeypatch.setattr(schemas, "_judged_scanned", spy)
    files = _ranking_files(tmp_path)
    real_ledger = [f for f in files if "-rankings-" in f[1] and "-mini-" not in f[1]]
    mini = [f for f in files if "-rankings-" not in f[1] or "-mini-" in f[1]][:2]
    bad = [f for f in files if "-bad-" in f[1]]
    assert len(real_ledger) >= 9 and len(bad) > 15
    groups = [files, real_ledger, *([*mini, b] for b in bad)]
    with_problems = 0
    for group in groups:
        scanned = schemas.read_checked_files(group, RANKING_NUMBERS, RawRanking)
        monkeypatch.setattr(schemas, "SCAN_KEPT", False)
        held = schemas.read_checked_files(group, RANKING_NUMBERS, RawRanking)
        monkeypatch.setattr(schemas, "SCAN_KEPT", True)
        assert scanned == held, [display for _, display in group]
        with_problems += sum(1 for _, _, problems in scanned if problems and all(p.ko != p.en for p in problems))
    assert together.count(True) > 15 and with_problems > 10, (together, with_problems)
    assert sum(len(records) for records, _, _ in schemas.read_checked_files(real_ledger, RANKING_NUMBERS, RawRanking)) > 1000


def test_rows_a_table_holds_are_judged_by_their_kept_scan_as_by_a_relation(tmp_path: Path, kept: list[Path]):
    """find_problems of a table's rows (schemas.Stored: the early appends' check, issue 13) by the kept scan gives
    the problems a relation over the same rows gives, in the same order and words; a key proven leaves its rule out
    both ways."""
    import duckdb

    from pipelines.build import warehouse
    from pipelines.schemas import RankingTable, Stored, Table, find_problems

    con = duckdb.connect(str(tmp_path / "t.duckdb"))
    con.execute(warehouse.table_statement("ranking_row").replace("primary key (index_id, edition, city)", "id integer"))
    columns = [c for (c,) in con.execute("select column_name from duckdb_columns() where table_name = 'ranking_row' "
                                         "and column_name <> 'id' order by column_index").fetchall()]
    good = {"index_id": "mori_gpci", "edition": "2024", "city": "Seoul", "rank": 6, "status": "ranked"}
    records = [good, {**good, "city": "Paris", "status": "<b>ranked</b>"}, {**good, "city": "Tokyo", "rank": None},
               {**good, "flags": "nota flag; <script>"}, {**good, "city": "Lyon", "status": "not_found"}]
    Table(columns, records).append(con, "ranking_row", columns)
    for proven in (False, True):
        scanned = find_problems(Stored(con, "ranking_row", columns), RankingTable, "warehouse:ranking_row",
                                rows=len(records), key_proven=proven)
        related = find_problems(Stored(con, "ranking_row", columns).relation(), RankingTable, "warehouse:ranking_row",
                                rows=len(records), key_proven=proven)
        assert scanned == related
        assert [(p.row, p.column) for p in scanned] == [(1, "status"), (3, "flags")] if proven else \
            [(0, "city"), (1, "status"), (3, "flags"), (3, "city")]
        assert any(p.column == "flags" for p in scanned) and all(p.ko != p.en for p in scanned)
    assert len(list(parsed.cache_folder().glob("stored-RankingTable-*.json"))) == 2


@pytest.mark.parametrize("kind", ["Table", "Columns"])
def test_a_table_made_in_python_is_judged_by_its_kept_scan_as_by_a_relation(kept: list[Path],
                                                                             monkeypatch: pytest.MonkeyPatch, kind: str):
    """validate_frame of a small table made in Python (the build's values part, its uploads) holds its rows once and
    judges them by a kept scan (schemas.Table.stored: no relation, the build on DuckDB's engine alone): the problems
    a relation over the same rows gives (schemas.SCAN_KEPT off), in the same order and words, hostile text and all;
    a key its maker proved leaves that rule out both ways."""
    from pipelines.schemas import Columns, IndicatorVersionTable, LedgerUploadTable, Table, validate_frame

    good = {"indicator_id": "tourists", "period": "2024", "upload_id": "u-1", "value": 1.5, "office_id": "tourism",
            "uploaded_by": "kim", "uploaded_at": "2025-01-01T00:00:00", "source": None, "source_url": None,
            "note": None, "ledger_file": "data/raw/uploads/x.csv", "ledger_row": 2}
    rows = [good, {**good, "period": "2025", "uploaded_by": None}, {**good, "note": "<script>x</script>"},
            {**good, "office_id": None, "value": None}, {**good, "period": "2025"}]
    columns = list(good)
    model, display = IndicatorVersionTable, "warehouse:indicator_version"
    if kind == "Columns":
        tables = [Columns({c: [r[c] for r in rows] for c in columns}, {"ledger_row": "Int64", "value": "float64"},
                          proven) for proven in (False, True)]
    else:
        tables = [Table(columns, rows, {"ledger_row": "Int64", "value": "float64"})]
        upload = {"upload_id": "u-1", "office_id": "tourism", "uploaded_by": "kim", "uploaded_at": "2025-01-01",
                  "sha256": "0" * 64, "original_filename": "a.csv"}
        upload_columns = [c for c in LedgerUploadTable.to_schema().columns]
        records = [{c: upload.get(c, "x") for c in upload_columns}, {c: upload.get(c, "x") for c in upload_columns}]
        records[1]["sha256"] = "<b>not a hash</b>"
        both = {}
        for scan in (True, False):
            monkeypatch.setattr(schemas, "SCAN_KEPT", scan)
            both[scan] = validate_frame(Table(upload_columns, records), LedgerUploadTable, "warehouse:ledger_upload")
        assert both[True] == both[False] and any(p.row == 1 and p.column == "sha256" for p in both[True])
    for table in tables:
        both = {}
        for scan in (True, False):
            monkeypatch.setattr(schemas, "SCAN_KEPT", scan)
            both[scan] = validate_frame(table, model, display)
        assert both[True] == both[False]
        found = [(p.row, p.column) for p in both[True]]
        assert (1, "uploaded_by") in found and (3, "office_id") in found and (3, "value") in found
        assert ((4, "upload_id") in found) == (not getattr(table, "key_proven", False)), found
        assert all(p.ko != p.en for p in both[True])
    assert list(parsed.cache_folder().glob("stored-IndicatorVersionTable-*.json"))
