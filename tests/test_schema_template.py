"""The published part starts as a copy of its schema, made once per warehouse.sql (issue 13, the build's write): the
warehouse is the same as one whose schema each build makes itself — every table, row, column type, constraint,
view and macro — a changed warehouse.sql gets a template of its own, a damaged one is made again, and where the
cache folder cannot be written each build makes its schema as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines import build, catalogue
from pipelines.build import rankings, warehouse
from pipelines.sql import parts


# each test keeps what the commands keep (parsed files, templates, status answers) in a cache folder of its own
pytestmark = pytest.mark.usefixtures("cache_home")


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every template made (a miss of the kept one)."""
    seen: list[Path] = []
    real = warehouse.stage

    def counting(tables, path, only=parts.PARTS, template=None, rows=True, small=False):
        if not rows:
            seen.append(path)
        return real(tables, path, only, template, rows, small)

    monkeypatch.setattr(warehouse, "stage", counting)
    return seen


def _everything(path: Path) -> dict[str, object]:
    """What a reader can see of the warehouse: every table's rows, columns and constraints, every view and macro."""
    with parts.connect_read_only(path) as con:
        out: dict[str, object] = {
            name: con.execute(f"select * from {name} order by all").fetchall() for name in warehouse.TABLE_ORDER}
        out["columns"] = con.execute(
            "select database_name, table_name, column_name, column_index, data_type, is_nullable, column_default "
            "from duckdb_columns() where database_name like 'warehouse%' order by all").fetchall()
        out["constraints"] = con.execute(
            "select database_name, table_name, constraint_type, constraint_text from duckdb_constraints() "
            "where database_name like 'warehouse%' order by all").fetchall()
        out["views"] = con.execute("select database_name, view_name, sql from duckdb_views() "
                                   "where database_name like 'warehouse%' order by all").fetchall()
        out["macros"] = con.execute(
            "select function_name, function_type, macro_definition, parameters from duckdb_functions() "
            "where database_name = 'warehouse' order by all").fetchall()
    return out


def test_a_build_from_the_template_equals_one_that_makes_its_schema(mini: Path, tmp_path: Path, made: list[Path],
                                                                     monkeypatch: pytest.MonkeyPatch):
    templated = tmp_path / "templated" / "cityindex.duckdb"
    build.build(catalogue.load(mini), templated)
    copied: list[Path] = []
    real_copy = warehouse.from_template
    monkeypatch.setattr(warehouse, "from_template", lambda kept, target: copied.append(kept) or real_copy(kept, target))
    build.build(catalogue.load(mini), templated)  # the second build reads the kept templates
    assert len(made) == 1
    # the values and the forum parts start as copies of their kept empty files too
    assert sorted(p.name.split("-")[0] for p in copied) == ["forum", "values"]
    monkeypatch.setattr(warehouse, "schema_template", lambda small=False: None)
    monkeypatch.setattr(warehouse, "part_template", lambda part: None)
    own = tmp_path / "own" / "cityindex.duckdb"
    build.build(catalogue.load(mini), own)
    assert len(made) == 1
    got, want = _everything(templated), _everything(own)
    assert len(want["views"]) > 10 and len(want["macros"]) > 5 and want["ranking_row"] and want["component_row"]
    assert got == want


def test_a_changed_warehouse_sql_gets_a_template_of_its_own(mini: Path, tmp_path: Path, made: list[Path],
                                                            cache_home: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(catalogue.load(mini), path)
    schema = tmp_path / "warehouse.sql"
    schema.write_text(warehouse.SCHEMA_SQL.read_text(encoding="utf-8")
                      + "\ncreate view template_probe as select count(*) as n from series;\n", encoding="utf-8")
    monkeypatch.setattr(warehouse, "SCHEMA_SQL", schema)
    build.build(catalogue.load(mini), path)
    assert len(made) == 2 and len(list(cache_home.glob("published-schema.*.duckdb"))) == 2
    with parts.connect_read_only(path) as con:
        assert con.execute("select n from template_probe").fetchone()[0] > 0


def test_a_damaged_template_is_made_again(mini: Path, tmp_path: Path, made: list[Path], cache_home: Path):
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(catalogue.load(mini), path)
    (template,) = cache_home.glob("published-schema.*.duckdb")
    data = template.read_bytes()
    template.write_bytes(data[: len(data) // 2])
    build.build(catalogue.load(mini), path)
    assert len(made) == 2 and template.read_bytes() != data[: len(data) // 2]
    with parts.connect_read_only(path) as con:
        assert con.execute("select count(*) from focus_overview").fetchone()[0] > 0


def test_without_a_writable_cache_folder_each_build_makes_its_schema(mini: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch, made: list[Path]):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    assert warehouse.schema_template() is None
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(catalogue.load(mini), path)
    with parts.connect_read_only(path) as con:
        assert con.execute("select count(*) from focus_overview").fetchone()[0] > 0
    assert not list(tmp_path.rglob(".schema-*"))  # no half-made template left behind


def test_a_template_that_goes_away_mid_build_only_costs_time(mini: Path, tmp_path: Path, cache_home: Path,
                                                              monkeypatch: pytest.MonkeyPatch):
    """The template named to the build is removed before it is copied (another process pruned the folder): the
    build makes its schema itself, in the components' staged file and in the write alike."""
    gone = tmp_path / "removed-meanwhile.duckdb"
    monkeypatch.setattr(warehouse, "schema_template", lambda small=False: gone)
    path = tmp_path / "w" / "cityindex.duckdb"
    build.build(catalogue.load(mini), path)
    with parts.connect_read_only(path) as con:
        assert con.execute("select count(*) from focus_overview").fetchone()[0] > 0
    assert warehouse.from_template(gone, tmp_path / "copy.duckdb") is False
    assert not (tmp_path / "copy.duckdb").exists()


def test_the_split_of_warehouse_sql_is_kept_and_equals_duckdbs_own(cache_home: Path):
    """warehouse.sql split into its statements once per content (and DuckDB version), kept as JSON: what a later
    process reads back is exactly DuckDB's split, and a damaged kept split is made again."""
    import duckdb

    text = warehouse.SCHEMA_SQL.read_text(encoding="utf-8")
    fresh = [s.query for s in duckdb.extract_statements(text)]
    warehouse._schema.cache_clear()
    first = warehouse._schema(text)
    (kept,) = cache_home.glob("schema-duckdb*.json")
    warehouse._schema.cache_clear()
    assert warehouse._schema(text) == first and [q for _, _, q in first] == fresh and len(fresh) > 20
    assert {kind for kind, _, _ in first} == {"table", "view", "macro"}
    kept.write_text('[["table", "city"', encoding="utf-8")
    warehouse._schema.cache_clear()
    assert warehouse._schema(text) == first
    warehouse._schema.cache_clear()


def _block_size(path: Path) -> int:
    with parts.connect_read_only(path) as con:
        return con.execute("select block_size from pragma_database_size() where database_name = 'warehouse'").fetchone()[0]


def test_a_small_ledgers_published_part_is_written_in_small_blocks(mini: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch):
    """A small ledger (rankings.small_ledger: the real and the mini one) gets a published part in blocks of 16 KiB, a
    tenth of the file (issue 13: its checkpoint, fsync and hash cost that much less); a large one keeps DuckDB's
    blocks. Both hold the same warehouse."""
    small = tmp_path / "small" / "cityindex.duckdb"
    build.build(catalogue.load(mini), small)
    monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", 1)  # every components file now counts as large
    large = tmp_path / "large" / "cityindex.duckdb"
    build.build(catalogue.load(mini), large)
    assert _block_size(small) == 16384 and _block_size(large) == 262144
    assert small.stat().st_size * 4 < large.stat().st_size
    assert _everything(small) == _everything(large)
    real = catalogue.load(Path(__file__).resolve().parent.parent / "indicators.yml")
    monkeypatch.setattr(rankings, "INSERT_FROM_BYTES", 1 << 20)
    assert rankings.small_ledger(real)
    monkeypatch.setattr(rankings, "RANKINGS_IN_DUCKDB_BYTES", 1000)
    assert not rankings.small_ledger(real)
