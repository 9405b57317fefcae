-- Statements that read a ledger CSV into DuckDB, where its rows are checked (pipelines/schemas.py).

-- name: hold_csv(path)!
-- The CSV at :path as a temporary table `held` of this cursor (it goes when the cursor closes): every cell
-- text, trimmed, an empty one missing; parsed strictly (a ragged row or bad UTF-8 is an error; a UTF-8 BOM is
-- allowed). Its `rowid` is the row's place in the file, from 0.
create or replace temp table held as
select nullif(trim(columns(*)), '') from read_csv(:path, header = true, all_varchar = true, strict_mode = true, null_padding = false,
                       auto_detect = true, sep = ',', quote = '"', escape = '"');

-- name: components_start#
-- The component rows of a build, gathered file by file in the build's own DuckDB (build/rankings.py), so that
-- they go from the ledger to the warehouse without leaving DuckDB. A plain table, not a temporary one: the write
-- stages it from another cursor of that DuckDB, which is closed once the build is written.
create or replace table building_component_row (
    index_id varchar, edition varchar, city varchar, component_id varchar, rank integer, score double,
    source_url varchar, source_tier varchar, score_source_url varchar, flags varchar, note varchar,
    note_ko varchar
);

-- name: components_append(index_id, flag_order)!
-- One components file's checked rows (the cursor's `component_source`: _row, edition, city, component, rank,
-- score, source_url, flags, note, note_ko) as one row per (edition, city, component): the rank and the score
-- may come from two rows, each keeping the source of its first row; the notes of both, once each, in file
-- order; the union of their flags in :flag_order. Reads the cursor's `city_lookup(source_city, city)`,
-- `flag_lookup(note, flags, stored)` and `url_tier(url, tier)`.
insert into building_component_row
with source as (
    select s._row, s.edition, c.city, s.component as component_id, s.rank, s.score, s.source_url, s.note,
           s.note_ko, f.stored as flags
    from component_source s
    join city_lookup c on c.source_city = s.city
    left join flag_lookup f on f.note is not distinct from s.note and f.flags is not distinct from s.flags
),
ranks as (
    select edition, city, component_id, arg_min(rank, _row) as rank, arg_min(source_url, _row) as rank_url
    from source where rank is not null group by all
),
scores as (
    select edition, city, component_id, arg_min(score, _row) as score, arg_min(source_url, _row) as score_url
    from source where score is not null group by all
),
first_notes as (
    select edition, city, component_id, note, min(_row) as first_row from source where note is not null group by all
),
notes as (
    select edition, city, component_id, string_agg(note, ' | ' order by first_row) as note
    from first_notes group by all
),
first_notes_ko as (
    select edition, city, component_id, note_ko, min(_row) as first_row from source where note_ko is not null group by all
),
notes_ko as (
    select edition, city, component_id, string_agg(note_ko, ' | ' order by first_row) as note_ko
    from first_notes_ko group by all
),
flag_sets as (
    select edition, city, component_id,
           nullif(array_to_string(list_filter(:flag_order::varchar[],
                  lambda f: list_contains(flatten(list(string_split(flags, '|'))), f)), '|'), '') as flags
    from source where flags is not null group by all
),
keys as (select distinct edition, city, component_id from source),
final as (
    select :index_id as index_id, k.edition, k.city, k.component_id, r.rank, s.score,
           coalesce(r.rank_url, s.score_url) as source_url, u.tier as source_tier, s.score_url as score_source_url,
           f.flags, n.note, nk.note_ko
    from keys k
    left join ranks r using (edition, city, component_id)
    left join scores s using (edition, city, component_id)
    left join flag_sets f using (edition, city, component_id)
    left join notes n using (edition, city, component_id)
    left join notes_ko nk using (edition, city, component_id)
    left join url_tier u on u.url = coalesce(r.rank_url, s.score_url)
)
select * from final;

