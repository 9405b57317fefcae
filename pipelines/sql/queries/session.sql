-- Statements that set up a read-only session on the warehouse's part files (pipelines/sql/parts.py).

-- name: attach_warehouse(path)!
-- Attach the warehouse file (the published part, with every view), read-only, as `warehouse`.
attach :path as warehouse (read_only);

-- name: attach_values(path)!
-- Attach the values part (uploads, indicator versions), read-only, as `warehouse_values`.
attach :path as warehouse_values (read_only);

-- name: attach_forum(path)!
-- Attach the forum part (the forum log and what it replays to), read-only, as `warehouse_forum`.
attach :path as warehouse_forum (read_only);

-- name: use_warehouse#
-- Make the attached warehouse the default catalogue of this connection or cursor; a table name not in it is
-- looked up in the values part, then the forum part (so the views resolve across the three files).
use warehouse;
set search_path = 'warehouse.main,warehouse_values.main,warehouse_forum.main';

-- name: use_published#
-- Make the attached published part the default catalogue, alone (parts.connect_published: `cityidx status`).
use warehouse;

-- name: stage_open(path)!
-- A write's staged part file (a copy of the schema template, or the file a build's component rows went into),
-- attached read-write as `staged`. No write-ahead log: nothing reads the file before stage_close checkpoints it
-- (then the caller fsyncs and swaps it in), and a write that fails or is killed before then removes it, so
-- logging every append first only wrote each row twice.
attach :path as staged (recovery_mode no_wal_writes);

-- name: stage_create(path)!
-- As stage_open, for a part file made new here (the values and the forum part: a few hundred rows, or tens of
-- thousands at most; and the schema template of a small ledger's published part, build/warehouse.py): in blocks of
-- 16 KiB, not DuckDB's 256 KiB, so the file is ~80 KiB instead of ~800 KiB (the real published part ~1.3 MB, not ~11.5).
attach :path as staged (block_size 16384, recovery_mode no_wal_writes);

-- name: stage_use#
-- Tables and views go into the staged file.
use staged;

-- name: stage_attach_values(path)!
-- While the published part is staged: the staged values part, read-only (its views bind to it).
attach :path as staged_values (read_only);

-- name: stage_attach_forum(path)!
-- While the published part is staged: the staged forum part, read-only.
attach :path as staged_forum (read_only);

-- name: stage_search_path#
-- Names not in the staged published part are looked up in the staged values part, then the forum part.
set search_path = 'staged.main,staged_values.main,staged_forum.main';

-- name: stage_close#
-- Flush the staged file and let it go (the caller then fsyncs and swaps it in).
checkpoint staged;
use memory;
detach staged;

-- name: built_from_attach(path)!
-- A write asks what the published part at :path was built from (build/warehouse.py built_from): that file alone,
-- read-only, as `built_from`, on the process's working DuckDB.
attach :path as built_from (read_only);

-- name: built_from_digest()
-- The digest of the inputs the published part attached by built_from_attach was built from (warehouse.sql,
-- indicators.yml, the published ledger files); NULL if none.
select max(value) from built_from.main.setting where key = 'inputs_sha256';

-- name: built_from_detach#
-- After built_from_digest, whatever it answered: the file let go.
detach database if exists built_from;

-- name: stage_component_rows#
-- The build's component rows, when it gathered them in memory (build/rankings.py, start_components), into the
-- staged published part, as they were gathered: file by file (so each series' rows lie together), each file's
-- rows as it holds them. Sorting 3.24M rows by key cost more than the insert, for no query that needs it.
insert into staged.main.component_row
select * from memory.main.component_row;

-- name: stage_ranking_rows#
-- A large ledger's ranking_row, when the build made it in memory (build/rankings.py, rank_in_duckdb), into the
-- staged published part, in its order (by key).
insert into staged.main.ranking_row
select * from memory.main.ranking_row;

-- name: stage_detach#
-- After staging, on any outcome: the staged files let go (the build's DuckDB may outlive the write).
use memory;
detach database if exists staged;
detach database if exists staged_values;
detach database if exists staged_forum;

-- name: staged_columns()
-- Every table of the staged part with its columns in order (table_name, [column_name, ...]): a build appends
-- each table's rows by position.
select table_name, list(column_name order by column_index) as columns
from duckdb_columns()
where database_name = 'staged' and schema_name = 'main'
group by table_name;

-- name: current_day()
-- The day this session reads as today in the catalogue's time zone (`zone_today()`), ISO 8601, and that zone: an
-- answer kept for a day is checked against today in its zone (pipelines/sql/parts.py, `kept`).
select cast(zone_today() as varchar) as day, (select max(value) from setting where key = 'timezone') as zone;
