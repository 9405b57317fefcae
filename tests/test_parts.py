"""A write costs what it writes (issue 13): the warehouse is three part files, and an upload or a forum event
rewrites only its own part, leaving the others' files untouched, yet the result equals a full rebuild."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines import build, catalogue
from pipelines.accounts import Account
from pipelines.build import warehouse, writes
from pipelines.sql import parts

UPLOAD = (Path(__file__).parent / "fixtures" / "uploads" / "good" / "tourism__utf8_bom_korean_headers.csv").read_bytes()
ORGANIZER = Account(username="park", name="park", role="forum_organizer", department=None, email=None,
                    password_hash="", disabled=False, created_at="")
MEETING = {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-09-09", "kind": "regular"}


def _identity(path: Path) -> dict[str, tuple[int, int, bytes]]:
    out = {}
    for part, f in parts.files(path).items():
        st = os.stat(f)
        out[part] = (st.st_ino, st.st_mtime_ns, f.read_bytes())
    return out


def _tables(path: Path) -> dict[str, list[tuple]]:
    with parts.connect_read_only(path) as con:
        return {name: con.execute(f"select * from {name} order by all").fetchall() for name in warehouse.TABLE_ORDER}


def test_a_build_writes_three_parts_and_every_table_in_its_own(mini_warehouse: Path):
    files = parts.files(mini_warehouse)
    assert sorted(files) == sorted(parts.PARTS) and all(f.is_file() for f in files.values())
    assert files["values"].name == "cityindex.values.duckdb" and files["forum"].name == "cityindex.forum.duckdb"
    assert sorted(warehouse.TABLE_ORDER) == sorted(warehouse.PART_OF)
    with parts.connect_read_only(mini_warehouse) as con:
        where = dict(con.execute("select table_name, database_name from duckdb_tables()").fetchall())
        views = {r[0] for r in con.execute("select view_name from duckdb_views() where not internal").fetchall()}
    alias = {"published": "warehouse", "values": "warehouse_values", "forum": "warehouse_forum"}
    assert {name: where[name] for name in warehouse.TABLE_ORDER} == {n: alias[p] for n, p in warehouse.PART_OF.items()}
    # and nothing else: the build writes its component rows straight into the published part's file (issue 13),
    # where none of its working tables or views may stay behind
    assert set(where) == set(warehouse.TABLE_ORDER)
    declared = [warehouse._CREATE.search(s) for s in warehouse.schema_statements("published")]
    assert views == {m.group(2) for m in declared if m.group(1).lower() == "view"}
    assert {"rankings", "indicator_values", "action_items"} <= views


def test_an_upload_rewrites_only_the_values_part(mini: Path, mini_warehouse: Path):
    cat = catalogue.load(mini)
    before = _identity(mini_warehouse)
    writes.commit_upload(cat, UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    after = _identity(mini_warehouse)
    assert after["published"] == before["published"] and after["forum"] == before["forum"]
    assert after["values"] != before["values"]
    with parts.connect_read_only(mini_warehouse) as con:
        assert con.execute("select count(*) from ledger_upload where upload_id <> 'seed'").fetchone()[0] >= 1


def test_a_forum_event_rewrites_only_the_forum_part(mini: Path, mini_warehouse: Path):
    cat = catalogue.load(mini)
    before = _identity(mini_warehouse)
    writes.record_event(cat, ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    after = _identity(mini_warehouse)
    assert after["published"] == before["published"] and after["values"] == before["values"]
    assert after["forum"] != before["forum"]


def test_writes_part_by_part_give_the_same_tables_as_a_full_rebuild(mini: Path, mini_warehouse: Path, tmp_path: Path):
    cat = catalogue.load(mini)
    writes.commit_upload(cat, UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    writes.record_event(cat, ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    rebuilt = tmp_path / "rebuilt" / "cityindex.duckdb"
    build.build(catalogue.load(mini), rebuilt)
    incremental, full = _tables(mini_warehouse), _tables(rebuilt)
    assert incremental["meeting"] and incremental["indicator_version"]
    assert incremental == full


def test_a_write_after_the_catalogue_changed_rebuilds_everything(mini: Path, mini_warehouse: Path):
    """The published part is a function of the catalogue too: a write on a warehouse built from another
    catalogue rebuilds every part, so the warehouse never mixes two catalogues."""
    text = mini.read_text(encoding="utf-8")
    assert "target_rank: 5" in text
    mini.write_text(text.replace("target_rank: 5", "target_rank: 4"), encoding="utf-8")
    before = _identity(mini_warehouse)
    writes.record_event(catalogue.load(mini), ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    after = _identity(mini_warehouse)
    assert all(after[p] != before[p] for p in parts.PARTS)
    with parts.connect_read_only(mini_warehouse) as con:
        assert con.execute("select value from setting where key = 'target_rank'").fetchone() == ("4",)


def test_a_write_after_a_ranking_was_corrected_in_place_rebuilds_everything(mini: Path, mini_warehouse: Path):
    """A corrected figure keeps its file's size (a rank 6 made 4): the published part is still rebuilt by the next
    write, so the warehouse never keeps a figure the ledger no longer holds."""
    ledger = mini.parent / "data" / "raw" / "rankings" / "mori_gpci.csv"
    text = ledger.read_text(encoding="utf-8")
    row = "2025,Seoul,South Korea,6,1288.1,ranked,"
    assert row in text
    size = ledger.stat().st_size
    ledger.write_text(text.replace(row, row.replace(",6,", ",4,")), encoding="utf-8")
    assert ledger.stat().st_size == size
    before = _identity(mini_warehouse)
    writes.record_event(catalogue.load(mini), ORGANIZER, "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    assert _identity(mini_warehouse)["published"] != before["published"]
    with parts.connect_read_only(mini_warehouse) as con:
        assert con.execute("select rank from ranking_row where index_id = 'mori_gpci' and edition = '2025' "
                           "and city = 'Seoul'").fetchone() == (4,)


def test_a_write_on_a_warehouse_missing_a_part_rebuilds_everything(mini: Path, mini_warehouse: Path):
    parts.part_path(mini_warehouse, "forum").unlink()
    assert warehouse.built_from(mini_warehouse) is None
    writes.commit_upload(catalogue.load(mini), UPLOAD, "t.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    assert parts.version(mini_warehouse) is not None


def test_a_reader_without_every_part_fails_clearly(mini_warehouse: Path):
    parts.part_path(mini_warehouse, "values").unlink()
    with pytest.raises(Exception, match="values"):
        parts.connect_read_only(mini_warehouse)


def test_part_names_are_only_the_three(tmp_path: Path):
    with pytest.raises(ValueError):
        parts.part_path(tmp_path / "w.duckdb", "../../etc/passwd")
