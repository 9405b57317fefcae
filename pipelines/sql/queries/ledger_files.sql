-- Statements that read a ledger CSV into DuckDB, where its rows are checked (pipelines/schemas.py).

-- name: ledger_csv_macro#
-- `ledger_csv(path)`, a table macro of this cursor (it goes when the cursor closes): the CSV at `path` with every
-- cell text, trimmed of spaces, an empty one missing; parsed strictly (a ragged row or bad UTF-8 is an error; a
-- UTF-8 BOM is allowed). Only a cell that starts or ends with a space is trimmed (a trimmed copy of every cell
-- cost a third of the read); the reader already makes an empty cell, quoted or not, missing. How every ledger CSV
-- is read, held (hold_csv) or not (schemas.stream_validated). Read in buffers of 2 MB (the longest line DuckDB
-- reads, its max_line_size), not 32: DuckDB's sniffer looks at the file at every step that names its columns,
-- reading a whole buffer each time (issue 13: ~3 ms less per look, and per read). Told the date and timestamp
-- formats, the sniffer does not look for them: every cell is text (all_varchar), so they change nothing read, and
-- looking for them was half of each look (issue 13: ~3 ms of CPU a file).
create or replace temp macro ledger_csv(path) as table
select if(prefix(columns(*), ' ') or suffix(columns(*), ' '), nullif(trim(columns(*)), ''), columns(*))
from read_csv(path, header = true, all_varchar = true, strict_mode = true, null_padding = false,
              auto_detect = true, sep = ',', quote = '"', escape = '"', buffer_size = 2097152,
              dateformat = '%Y-%m-%d', timestampformat = '%Y-%m-%d %H:%M:%S');
-- `ledger_csv_as(path, cols)`: the same CSV read as ledger_csv reads it, once its sniffer has found a plain one
-- (ledger_csv_sniff: the columns `cols`, every one text; lines that end in `\n`, no rows skipped, no comments): no
-- look at the file each time a step names its columns (~6 ms of CPU each; issue 13). Only for lines that end in
-- `\n`: told `\r\n` with strict_mode, DuckDB 2.0.1 reads no rows at all, silently. The cells are not trimmed here:
-- the caller trims those it needs trimmed (schemas.stream_validated: a column it stores is trimmed afterwards, on
-- the few values that need it).
create or replace temp macro ledger_csv_as(path, cols) as table
select *
from read_csv(path, header = true, columns = cols, new_line = '\n', skip = 0, comment = '', all_varchar = true,
              strict_mode = true, null_padding = false, auto_detect = false, sep = ',', quote = '"', escape = '"',
              buffer_size = 2097152);

-- name: ledger_csv_sniff(path)
-- What ledger_csv's sniffer finds in the CSV at :path, looking once: its line ending, the rows it skips before the
-- header, its comment character (`(empty)`: none), whether it has a header, and its columns (name, type). Told the
-- date formats, as ledger_csv is.
select NewLineDelimiter as new_line, SkipRows as skip, Comment as comment, HasHeader as header,
       list_transform(Columns, lambda c: c.name) as names
from sniff_csv(:path, header = true, all_varchar = true, strict_mode = true, null_padding = false,
               auto_detect = true, sep = ',', quote = '"', escape = '"', buffer_size = 2097152,
               dateformat = '%Y-%m-%d', timestampformat = '%Y-%m-%d %H:%M:%S');

-- name: hold_csv(path)!
-- The CSV at :path as ledger_csv reads it, held as a temporary table `held` of this cursor (it goes when the
-- cursor closes). Its `rowid` is the row's place in the file, from 0.
create or replace temp table held as
select * from ledger_csv(:path);

-- name: held_columns()
-- No row of the cursor's `held` (hold_csv): what a caller reads is the columns as DuckDB names them, in order
-- (schemas._read_scanned: which kept scan judges the file).
select * from held limit 0;

-- name: held_rows()
-- How many rows the cursor's `held` holds (schemas._judged_scanned: a few thousand are judged in one scan).
select count(*) from held;

-- name: components_open(path)!
-- A build that writes its component rows straight into the published part's staged file (build/rankings.py,
-- start_components) opens it as `building`; the write closes it (components_close) and opens it again as
-- `staged`, the name every staging statement uses, while the other parts are staged under that name before it.
attach :path as building;

-- name: components_open_small(path)!
-- components_open for a small ledger's build (build/rankings.py, small_ledger): without a write-ahead log, as the
-- write's staged files (stage_open). A few thousand rows stay in memory until the write checkpoints them once, where
-- with a log every commit (the components' appends, the early tables') wrote its rows there first and synced it;
-- nothing reads the file before, and a failed or killed build removes it. A large ledger's rows (3.24M) go through
-- the log, so they need not stay in memory until the checkpoint.
attach :path as building (recovery_mode no_wal_writes);

-- name: components_use#
-- The published part's staged file, where the build makes `component_row`.
use building;

-- name: components_aside#
-- `component_row` is found in the staged file, while what the build makes for itself (the view over a file's
-- checked rows) stays in memory, out of the warehouse.
use memory;
set search_path = 'memory.main,building.main';

-- name: building_columns()
-- Every table of the published part's staged file while a build holds it (components_open), with its columns in
-- order (table_name, [column_name, ...]): the build appends the tables it has checked by position
-- (build/warehouse.py, stage_early), as staged_columns gives them to the write.
select table_name, list(column_name order by column_index) as columns
from duckdb_columns()
where database_name = 'building' and schema_name = 'main'
group by table_name;

-- name: components_checkpoint#
-- The build's file of the published part written out as it is (every table in it, checked: build/warehouse.py,
-- stage_part), before components_close lets it go: the write then swaps it in without opening it again.
checkpoint building;

-- name: components_close#
-- The write takes the published part's staged file from the build (components_open): closed here, opened
-- again as `staged`.
use memory;
reset search_path;
detach database if exists building;

-- name: components_threads_one#
-- While the components files are read, READERS at a time each on its own thread (build/rankings.py): DuckDB
-- runs each query on the thread that asked for it, with no threads of its own.
set threads = 1;

-- name: small_build_threads#
-- A small ledger's build (build/rankings.py, small_ledger: the real one), the whole build long: DuckDB runs each
-- query on the thread that asks for it, with no threads of its own. Its queries are small, and the build's own two
-- threads (the main one, and the one that reads the rankings and components files) keep both cores busy; DuckDB's
-- worker threads only added their scheduling (issue 13: ~8% of a real build's wall, ~4% of its CPU).
set threads = 1;

-- name: components_threads_reset#
-- After the components files are read: DuckDB's threads as configured again.
reset threads;

-- name: components_insert(index_id, tier)!
-- A components file's rows as they are read (the cursor's `component_source`, schemas.stream_validated: the file
-- itself, never held), straight into `component_row` as the file spells them, each with the source tier :tier
-- (the tier most of the first rows' sources have): the build then judges the rows it inserted, and puts each
-- city, flag and source tier right (components_set_*) or takes them all back (components_take_back;
-- build/rankings.py, _insert_components). A score's source is its own URL.
insert into component_row
select :index_id as index_id, edition, city, component as component_id, rank, score, source_url,
       :tier::varchar as source_tier, case when score is not null then source_url end as score_source_url, flags,
       note, note_ko
from component_source;

-- name: rankings_insert(index_ids, files)!
-- A large ledger's ranking_row (build/rankings.py, rank_in_duckdb): every rankings file's checked rows (the cursor's
-- `ranking_source`: _file, the file's place from 1, _row, the row in its file, then the files' columns) under
-- their series (:index_ids) and file name (:files), the city as the mapping names it (`city_lookup`), the flags as
-- stored (`flag_store`), the tier of the source (`url_tier`); with the focus city's rows of no edition
-- (`ranking_missing`), all by key. The table's primary key refuses two spellings of one city in one edition.
insert into ranking_row by name
select * from (
    select list_extract(:index_ids, s._file) as index_id, s.edition,
           coalesce(c.city, s.city) as city, s.city as source_city, s.country as source_country, s.rank, s.score,
           s.status, s.rank_bound, s.source_url, u.tier as source_tier, s.publication, s.retrieved,
           if(f.flags is null, s.flags, f.stored) as flags, s.note, s.note_ko,
           list_extract(:files, s._file) as source_file, s._row as source_row
    from ranking_source s
    left join city_lookup c on c.source_city = s.city
    left join flag_store f on f.flags = s.flags
    left join url_tier u on u.url = s.source_url
    union all by name
    select * from ranking_missing
)
order by index_id, edition, city;

-- name: components_values(index_id)!
-- The distinct values one file's inserted rows (components_insert) hold in each group of columns the build judges
-- on its values (build/rankings.py COMPONENT_GROUPS), held as this cursor's temporary table `component_values`: a
-- row per distinct value there (a missing one is not: every rule on such a value holds where it is missing, and the
-- missing cells are counted on the rows, schemas.judge_stored), `_group` naming its group (its columns joined by
-- `,`), every other group's columns missing; notes and flags as pairs, with either there. Each column grouped
-- alone: DuckDB then groups its dictionary, not its rows (issue 13: ~6 ms at 360k rows).
create or replace temp table component_values as
select 'component' as _group, * from (
    select distinct component_id as component from component_row
    where index_id = :index_id and component_id is not null)
union all by name
select 'edition' as _group, * from (
    select distinct edition from component_row where index_id = :index_id and edition is not null)
union all by name
select 'city' as _group, * from (
    select distinct city from component_row where index_id = :index_id and city is not null)
union all by name
select 'note,flags' as _group, * from (
    select distinct note, flags from component_row
    where index_id = :index_id and (note is not null or flags is not null))
union all by name
select 'source_url' as _group, * from (
    select distinct source_url from component_row where index_id = :index_id and source_url is not null);

-- name: components_trim(index_id)!
-- The inserted rows of one file (components_insert, the cells of COMPONENT_GROUPS' columns as the file writes them)
-- with a cell that starts or ends with a space: such cells trimmed, as ledger_csv trims every cell, an empty one
-- then missing (refused where component_row needs a value: the file is then held, and says which). A score's source
-- is its row's URL, trimmed alike.
update component_row set
    edition = if(prefix(edition, ' ') or suffix(edition, ' '), nullif(trim(edition), ''), edition),
    city = if(prefix(city, ' ') or suffix(city, ' '), nullif(trim(city), ''), city),
    component_id = if(prefix(component_id, ' ') or suffix(component_id, ' '), nullif(trim(component_id), ''),
                      component_id),
    source_url = if(prefix(source_url, ' ') or suffix(source_url, ' '), nullif(trim(source_url), ''), source_url),
    score_source_url = if(prefix(score_source_url, ' ') or suffix(score_source_url, ' '),
                          nullif(trim(score_source_url), ''), score_source_url),
    flags = if(prefix(flags, ' ') or suffix(flags, ' '), nullif(trim(flags), ''), flags),
    note = if(prefix(note, ' ') or suffix(note, ' '), nullif(trim(note), ''), note)
where index_id = :index_id
  and (prefix(edition, ' ') or suffix(edition, ' ') or prefix(city, ' ') or suffix(city, ' ')
       or prefix(component_id, ' ') or suffix(component_id, ' ') or prefix(source_url, ' ') or suffix(source_url, ' ')
       or prefix(flags, ' ') or suffix(flags, ' ') or prefix(note, ' ') or suffix(note, ' '));

-- name: components_set_city(index_id)!
-- The inserted rows of one file (components_insert) whose city the file spells otherwise than the mapping names
-- it: the canonical name from the cursor's `city_lookup(source_city, city)`.
update component_row set city = c.city
from city_lookup c
where component_row.index_id = :index_id and component_row.city = c.source_city;

-- name: components_set_flags(index_id)!
-- The inserted rows of one file whose `flags` cell is not written as the warehouse stores it: the stored form
-- from the cursor's `flag_store(flags, stored)`.
update component_row set flags = f.stored
from flag_store f
where component_row.index_id = :index_id and component_row.flags = f.flags;

-- name: components_set_other_tier(index_id)!
-- The inserted rows of one file whose URL has another tier than they went in with (the cursor's
-- `url_tier(url, tier)`).
update component_row set source_tier = u.tier
from url_tier u
where component_row.index_id = :index_id and component_row.source_url = u.url;

-- name: components_take_back(index_id)!
-- One file's rows inserted and committed (components_insert) that turned out wrong, or to need the merge: gone
-- again, before the file is held and checked (build/rankings.py).
delete from component_row where index_id = :index_id;

-- name: components_append_unique(index_id)!
-- components_append for a file where no two rows share a key (schemas.repeats), so no row needs another:
-- the same columns, row by row, without the grouping (a quarter of its cost at 3.24M rows). A row's flags
-- are `flag_lookup`'s stored ones (already the union in display order); its score's source is its own URL.
insert into component_row
select :index_id as index_id, s.edition, coalesce(c.city, s.city) as city, s.component as component_id, s.rank,
       s.score, s.source_url, coalesce(u.tier, (select tier::varchar from url_tier_default)) as source_tier,
       case when s.score is not null then s.source_url end as score_source_url, f.stored as flags, s.note, s.note_ko
from component_source s
left join city_lookup c on c.source_city = s.city
left join flag_lookup f on f.note is not distinct from s.note and f.flags is not distinct from s.flags
left join url_tier u on u.url = s.source_url;

-- name: components_append(index_id, flag_order)!
-- One components file's checked rows (the cursor's `component_source`: _row, edition, city, component, rank,
-- score, source_url, flags, note, note_ko) as one row per (edition, city, component): the rank and the score
-- may come from two rows, each keeping the source of its first row; the notes of both, once each, in file
-- order; the union of their flags in :flag_order. Reads the cursor's `city_lookup(source_city, city)`,
-- `flag_lookup(note, flags, stored)` and `url_tier(url, tier)`, each holding only what differs from its default
-- (a city's own name, no flags, `url_tier_default(tier)`): rows that match none join nothing (build/rankings.py).
insert into component_row
with source as (
    select s._row, s.edition, coalesce(c.city, s.city) as city, s.component as component_id, s.rank, s.score,
           s.source_url, s.note, s.note_ko, f.stored as flags
    from component_source s
    left join city_lookup c on c.source_city = s.city
    left join flag_lookup f on f.note is not distinct from s.note and f.flags is not distinct from s.flags
),
grouped as (
    select edition, city, component_id,
           arg_min(rank, _row) filter (where rank is not null) as rank,
           arg_min(source_url, _row) filter (where rank is not null) as rank_url,
           arg_min(score, _row) filter (where score is not null) as score,
           arg_min(source_url, _row) filter (where score is not null) as score_url,
           list(note order by _row) filter (where note is not null) as notes,
           list(note_ko order by _row) filter (where note_ko is not null) as notes_ko,
           flatten(list(string_split(flags, '|')) filter (where flags is not null)) as flag_words
    from source
    group by all
),
final as (
    select :index_id as index_id, g.edition, g.city, g.component_id, g.rank, g.score,
           coalesce(g.rank_url, g.score_url) as source_url,
           coalesce(u.tier, (select tier::varchar from url_tier_default)) as source_tier, g.score_url as score_source_url,
           nullif(array_to_string(list_filter(:flag_order::varchar[],
                  lambda f: list_contains(g.flag_words, f)), '|'), '') as flags,
           -- each note once, where it first appears
           nullif(array_to_string(list_filter(g.notes, lambda n, i: list_position(g.notes, n) = i), ' | '), '') as note,
           nullif(array_to_string(list_filter(g.notes_ko, lambda n, i: list_position(g.notes_ko, n) = i), ' | '), '')
               as note_ko
    from grouped g
    left join url_tier u on u.url = coalesce(g.rank_url, g.score_url)
)
select * from final;


-- name: component_conflicts()
-- The rows of `component_source` whose (edition, city, component) has two different ranks or two different
-- scores, in file order, with which measure disagrees (the first row of each group is not itself a problem).
with spread as (
    select edition, city, component,
           coalesce(min(rank) <> max(rank), false) as rank_clash,
           coalesce(min(score) <> max(score), false) as score_clash
    from component_source
    group by all
    having min(rank) <> max(rank) or min(score) <> max(score)
)
select c._row, c.edition, c.city, c.component, c.rank, c.score, s.rank_clash, s.score_clash
from component_source c
join spread s using (edition, city, component)
order by c._row;

-- name: hold_csvs(paths)!
-- Several CSVs of one kind as one temporary table `held` of this cursor, read as hold_csv reads one (every cell
-- text, trimmed, an empty one missing; parsed strictly), their columns matched by name (a column a file lacks is
-- missing in its rows); `_file` is the file's place in :paths, from 1. Rows keep the files' order, so `rowid`
-- less the first `rowid` of its file is the row's place in its file. As in ledger_csv, only a cell that starts or
-- ends with a space is trimmed (the reader makes an empty one missing): a trimmed copy of every cell was a fifth of
-- the read of the synthetic ledger's rankings files (54,000 rows, issue 13).
create or replace temp table held as
select list_position(:paths, filename) as _file,
       if(prefix(columns(* exclude (filename)), ' ') or suffix(columns(* exclude (filename)), ' '),
          nullif(trim(columns(* exclude (filename))), ''), columns(* exclude (filename)))
from read_csv(:paths, header = true, all_varchar = true, strict_mode = true, null_padding = false, auto_detect = true,
              sep = ',', quote = '"', escape = '"', union_by_name = true, filename = true,
              dateformat = '%Y-%m-%d', timestampformat = '%Y-%m-%d %H:%M:%S');

-- name: python_rows(columns)
-- Rows made in Python (schemas.Table, issue 13: the build's tables without pandas): :columns is a struct of one
-- list per column, all of one length; one row per place in the lists, the columns in the struct's order, each
-- typed as DuckDB reads the list (a column of nothing but missing values has DuckDB's NULL type; an insert casts it).
select unnest(columns(*)) from (select unnest(:columns));

-- name: python_rows_hold(columns)!
-- python_rows held as this cursor's temporary table `python_held` (schemas.Table.held): the Python values converted
-- once, where a relation over python_rows converts them again at every bind and every run (issue 13: a real build's
-- ranking_row, 1,646 rows, was converted four times, ~12 ms each). Each hold replaces the one before.
create or replace temp table python_held as
select unnest(columns(*)) from (select unnest(:columns));

-- name: json_rows(path, columns, largest)
-- Rows made in Python as JSON text (schemas.Columns, issue 13: a large table without pandas, parsed by DuckDB instead
-- of converted value by value): the file at :path holds one JSON object a line, each of one list per column for a run
-- of rows; :columns gives each list's type (`VARCHAR[]`, `BIGINT[]`, `DOUBLE[]`), so nothing is guessed (a text that
-- looks like a time stays text); :largest, the longest line in bytes (the reader's buffer). One row per place in the
-- lists, in the file's order.
select unnest(columns(*))
from read_json(:path, format = 'newline_delimited', columns = :columns, maximum_object_size = :largest);

-- name: hold_typed#
-- The typed rows of files held together (schemas.hold_validated_files and judge_files_held: the cursor's
-- `typed_source`, numbers parsed, each row named by its file and its row) held as this cursor's temporary table
-- `typed_held`: every later query (the rules, the distinct values, the appends, ranking_row's insert) reads them as
-- they are, not parsing and numbering them again.
create or replace temp table typed_held as
select * from typed_source;

-- name: table_columns(table)
-- No row of the table :table (as the connection's search path finds it): what a caller reads is its columns, in order
-- (schemas.Held: component_row, held by the build).
select * from query_table(:table) limit 0;

-- name: table_rows(table)
-- How many rows the table :table holds (schemas.Held: what a build counts of component_row).
select count(*) from query_table(:table);

-- name: focus_notes_without_ko(city)
-- The build's component rows (component_row, held by the build) of the focus city :city with a note but no Korean
-- one, in the order they went in: what the build warns of (Korean mode shows the focus city's notes in Korean).
select index_id, edition, city, note, note_ko
from component_row
where city = :city and note is not null and note_ko is null
order by rowid;

-- name: hold_typed_query(query)!
-- hold_typed of the typed rows the kept SQL :query gives (schemas.held_files_kept: the query a relation over the
-- cursor's `held` rendered once, run here on DuckDB's engine alone), held as this cursor's temporary table `typed_held`.
create or replace temp table typed_held as
select * from query(:query);

-- name: component_source_of_file(file, stride)!
-- The typed rows of the components file :file (its place from 1) among those held together (schemas.held_files_kept:
-- the cursor's `typed_held`), as this cursor's temporary table `component_source` (what components_append and
-- component_conflicts read): `_row`, the row in its file (:stride: schemas.FILE_STRIDE), then the columns the
-- appends read.
create or replace temp table component_source as
select _row - _file::bigint * :stride as _row, edition, city, component, rank, score, source_url, flags, note, note_ko
from typed_held
where _file = :file;

-- name: lookup_city(source_city, city)!
-- The build's look-up of a city as a file spells it (:source_city) and as the mapping names it (:city), one list
-- each, held as this cursor's temporary table `city_lookup` (build/rankings.py, register: what the appends and
-- UPDATEs of the components and rankings join).
create or replace temp table city_lookup as
select unnest(:source_city::varchar[]) as source_city, unnest(:city::varchar[]) as city;

-- name: lookup_flags(note, flags, stored)!
-- The build's look-up of a (note, flags cell) pair and the flags it stores, held as this cursor's temporary table
-- `flag_lookup` (build/rankings.py, register).
create or replace temp table flag_lookup as
select unnest(:note::varchar[]) as note, unnest(:flags::varchar[]) as flags, unnest(:stored::varchar[]) as stored;

-- name: lookup_flag_store(flags, stored)!
-- The build's look-up of a flags cell and the flags it stores, held as this cursor's temporary table `flag_store`
-- (build/rankings.py, register).
create or replace temp table flag_store as
select unnest(:flags::varchar[]) as flags, unnest(:stored::varchar[]) as stored;

-- name: lookup_url_tier(url, tier)!
-- The build's look-up of a source URL and its tier, held as this cursor's temporary table `url_tier`
-- (build/rankings.py, register).
create or replace temp table url_tier as
select unnest(:url::varchar[]) as url, unnest(:tier::varchar[]) as tier;

-- name: lookup_url_tier_default(tier)!
-- The tier a components row whose URL `url_tier` does not hold takes (one row), held as this cursor's temporary
-- table `url_tier_default` (build/rankings.py, register).
create or replace temp table url_tier_default as
select unnest(:tier::varchar[]) as tier;
