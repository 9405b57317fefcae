-- The warehouse schema: every table with its primary key, and every view the dashboard and the
-- command line read. Tables are filled by pipelines/warehouse.py only; views are the contract.

create table setting (
    key varchar primary key,
    value varchar
);

create table policy_area (
    policy_area varchar primary key,
    name_ko varchar not null,
    name_en varchar not null,
    seq integer not null
);

create table office (
    office_id varchar primary key,
    name_ko varchar not null,
    name_en varchar not null,
    kind varchar not null,
    parent varchar
);

create table series (
    index_id varchar primary key,
    seq integer not null,
    title_ko varchar not null,
    title_en varchar not null,
    short_ko varchar not null,
    short_en varchar not null,
    publisher varchar not null,
    publisher_url varchar not null,
    managing_office varchar not null references office (office_id),
    cadence varchar not null,
    release_months varchar not null,
    cities_covered varchar,
    score_unit_ko varchar not null,
    score_unit_en varchar not null,
    score_scale_ko varchar not null,
    score_scale_en varchar not null,
    score_higher_is_better boolean not null,
    score_comparable boolean not null,
    component_kind_ko varchar not null,
    component_kind_en varchar not null,
    rankings_file varchar not null,
    components_file varchar
);

create table component (
    index_id varchar not null references series (index_id),
    component_id varchar not null,
    seq integer not null,
    name_ko varchar not null,
    name_en varchar not null,
    weight double,
    weight_note varchar,
    policy_area varchar not null references policy_area (policy_area),
    parent varchar,
    primary key (index_id, component_id)
);

create table methodology_note (
    index_id varchar not null references series (index_id),
    seq integer not null,
    text varchar not null,
    source_url varchar not null,
    edition varchar,
    is_change boolean not null,
    primary key (index_id, seq)
);

create table peer_city (
    city varchar primary key,
    seq integer not null
);

create table city (
    city varchar primary key,
    city_ko varchar not null,
    country varchar not null,
    country_ko varchar not null
);

create table edition (
    index_id varchar not null references series (index_id),
    edition varchar not null,
    published varchar,
    year integer not null,
    edition_order integer not null,
    field_size integer,
    methodology_change varchar,
    source_url varchar,
    note varchar,
    primary key (index_id, edition)
);

create table ranking_row (
    index_id varchar not null,
    edition varchar not null,
    city varchar not null references city (city),
    source_city varchar,
    source_country varchar,
    rank integer,
    score double,
    status varchar not null,
    source_url varchar,
    publication varchar,
    retrieved varchar,
    note varchar,
    source_file varchar,
    source_row integer,
    primary key (index_id, edition, city),
    foreign key (index_id, edition) references edition (index_id, edition)
);

create table component_row (
    index_id varchar not null,
    edition varchar not null,
    city varchar not null references city (city),
    component_id varchar not null,
    rank integer,
    score double,
    source_url varchar not null,
    score_source_url varchar,
    note varchar,
    primary key (index_id, edition, city, component_id),
    foreign key (index_id, edition) references edition (index_id, edition),
    foreign key (index_id, component_id) references component (index_id, component_id)
);

-- City-managed indicators (catalogue), what they feed, and every value version from the ledger.
create table indicator (
    indicator_id varchar primary key,
    seq integer not null,
    name_ko varchar not null,
    name_en varchar not null,
    definition_ko varchar not null,
    definition_en varchar not null,
    unit_ko varchar not null,
    unit_en varchar not null,
    unit_kind varchar not null,
    min_value double,
    max_value double,
    direction varchar not null,
    cadence varchar not null,
    department_id varchar not null references office (office_id),
    source varchar not null,
    source_url varchar not null,
    target_2030 double,
    target_source varchar,
    target_source_url varchar,
    note varchar
);

create table indicator_feed (
    indicator_id varchar not null references indicator (indicator_id),
    seq integer not null,
    index_id varchar not null references series (index_id),
    component_id varchar,
    note varchar,
    primary key (indicator_id, seq)
);

create table ledger_upload (
    upload_id varchar primary key,
    department_id varchar not null,
    uploaded_by varchar not null,
    uploaded_at varchar not null,
    sha256 varchar not null,
    original_filename varchar not null,
    encoding varchar,
    bytes bigint not null,
    rows integer not null
);

create table indicator_version (
    indicator_id varchar not null references indicator (indicator_id),
    period varchar not null,
    upload_id varchar not null,
    value double not null,
    department_id varchar not null,
    uploaded_by varchar not null,
    uploaded_at varchar not null,
    source varchar,
    source_url varchar,
    note varchar,
    ledger_file varchar not null,
    ledger_row integer,
    primary key (indicator_id, period, upload_id)
);

-- managed_indicators: the catalogue of city-managed indicators.
create view managed_indicators as
select
    indicator_id, name_ko, name_en, unit_ko as unit, direction, cadence, department_id, source,
    target_2030, unit_en, unit_kind, definition_ko, definition_en, source_url, target_source,
    target_source_url, min_value, max_value, note, seq
from indicator;

-- indicator_history: every version of every value, newest first within a period; `is_current` marks the one in force.
create view indicator_history as
with
versions as (select * from indicator_version),
ranked as (
    select
        *,
        row_number() over (partition by indicator_id, period order by uploaded_at desc, upload_id desc) as version_rank,
        count(*) over (partition by indicator_id, period) as versions
    from versions
),
final as (
    select
        r.indicator_id, r.period, r.value, i.unit_ko as unit, r.department_id, r.uploaded_by, r.uploaded_at,
        r.source, r.source_url, r.note, r.upload_id, r.ledger_file, r.ledger_row,
        r.version_rank = 1 as is_current, r.version_rank, r.versions
    from ranked as r
    join indicator as i using (indicator_id)
)
select * from final;

-- indicator_values: the current value of each indicator and period (a newer upload supersedes an older one).
create view indicator_values as
select indicator_id, period, value, unit, department_id, uploaded_by, uploaded_at, source,
       source_url, note, versions, upload_id
from indicator_history
where is_current;

-- rankings: one row per series, edition and city, with the state of every figure.
create view rankings as
with
ranking_rows as (select * from ranking_row),
editions as (select * from edition),
cities as (select * from city),
final as (
    select
        r.index_id,
        r.edition,
        e.published,
        e.year,
        r.city,
        c.city_ko,
        c.country,
        r.rank,
        r.score,
        e.field_size,
        r.status,
        r.source_url,
        r.note,
        e.edition_order,
        r.publication,
        r.retrieved,
        c.country_ko,
        e.methodology_change,
        r.source_file,
        r.source_row
    from ranking_rows as r
    join editions as e using (index_id, edition)
    join cities as c using (city)
)
select * from final;

-- components: component-level ranks and scores (GPCI functions, CIMI dimensions, GSER factors ...).
create view components as
with
component_rows as (select * from component_row),
catalogue as (select * from component),
editions as (select * from edition),
final as (
    select
        r.index_id,
        r.edition,
        e.year,
        r.city,
        k.name_en as component,
        k.name_ko as component_ko,
        r.rank,
        r.score,
        r.source_url,
        r.component_id,
        e.edition_order,
        k.policy_area,
        k.weight,
        k.parent,
        k.seq as component_seq,
        r.score_source_url,
        r.note
    from component_rows as r
    join editions as e using (index_id, edition)
    join catalogue as k using (index_id, component_id)
)
select * from final;

-- focus_overview: the focus city in every series at a glance (one row per series).
create view focus_overview as
with
focus as (select value as city from setting where key = 'focus_city'),
target as (select cast(value as integer) as target_rank from setting where key = 'target_rank'),
latest_edition as (
    select index_id, max(edition_order) as edition_order, count(*) as editions
    from edition
    group by index_id
),
focus_rows as (
    select r.*
    from rankings as r
    join focus using (city)
),
latest_row as (
    select l.index_id, l.editions, e.edition, e.year, e.published, f.rank, f.score, f.status, f.note, f.source_url, e.field_size
    from latest_edition as l
    join edition as e using (index_id, edition_order)
    left join focus_rows as f using (index_id, edition)
),
ranked as (
    select
        index_id, edition, year, rank, edition_order,
        row_number() over (partition by index_id order by edition_order desc) as recency
    from focus_rows
    where status = 'ranked'
),
best as (
    select index_id, min(rank) as best_rank, count(*) as ranked_editions
    from ranked
    group by index_id
),
best_edition as (
    select index_id, arg_min(edition, rank * 10000 - edition_order) as best_edition
    from ranked
    group by index_id
),
final as (
    select
        s.index_id,
        s.seq,
        s.title_ko,
        s.title_en,
        s.short_ko,
        s.short_en,
        s.managing_office,
        l.editions,
        l.edition as latest_edition,
        l.year as latest_year,
        l.published as latest_published,
        l.field_size as latest_field_size,
        coalesce(l.status, 'not_found') as latest_status,
        l.rank as latest_rank,
        l.score as latest_score,
        l.note as latest_note,
        l.source_url as latest_source_url,
        cur.edition as last_ranked_edition,
        cur.year as last_ranked_year,
        cur.rank as last_ranked_rank,
        prev.edition as previous_ranked_edition,
        prev.rank as previous_ranked_rank,
        prev.rank - cur.rank as change_since_previous,
        b.best_rank,
        be.best_edition,
        b.ranked_editions,
        greatest(cur.rank - t.target_rank, 0) as places_to_target
    from series as s
    cross join target as t
    left join latest_row as l using (index_id)
    left join ranked as cur on cur.index_id = s.index_id and cur.recency = 1
    left join ranked as prev on prev.index_id = s.index_id and prev.recency = 2
    left join best as b on b.index_id = s.index_id
    left join best_edition as be on be.index_id = s.index_id
)
select * from final
order by seq;
