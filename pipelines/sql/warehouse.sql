-- The warehouse schema: every table with its primary key, and every view the dashboard and the
-- command line read. Tables are filled by pipelines/build/warehouse.py only; views are the contract.
-- The queries that read them are named blocks in pipelines/sql/queries/*.sql.

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
    office_id varchar not null references office (office_id),
    cadence varchar not null,
    release_months varchar not null,
    cadence_months integer not null,
    stale_after_months integer not null,
    discontinued_after_months integer not null,
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
    text_ko varchar,
    source_url varchar not null,
    source_tier varchar,
    edition varchar,
    is_change boolean not null,
    primary key (index_id, seq)
);

-- Where a figure comes from: the tiers (most direct first) and the domain classification behind them.
create table source_tier (
    tier varchar primary key,
    seq integer not null,
    name_ko varchar not null,
    name_en varchar not null,
    help_ko varchar,
    help_en varchar
);

create table source_domain (
    domain varchar primary key,
    tier varchar not null references source_tier (tier),
    reason varchar not null
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
    source_tier varchar,
    note varchar,
    primary key (index_id, edition)
);

create table ranking_row (
    index_id varchar not null,
    edition varchar not null,
    city varchar not null,
    source_city varchar,
    source_country varchar,
    rank integer,
    score double,
    status varchar not null,
    rank_bound integer,
    source_url varchar,
    source_tier varchar,
    publication varchar,
    retrieved varchar,
    flags varchar,
    note varchar,
    note_ko varchar,
    source_file varchar,
    source_row integer,
    -- No foreign keys on the two large tables: the build checks every edition, city and component
    -- against the catalogue before it writes (and tests/test_build.py checks no row is orphaned);
    -- DuckDB's per-row key checks cost more than the rest of the write at 3 million rows.
    primary key (index_id, edition, city)
);

create table component_row (
    index_id varchar not null,
    edition varchar not null,
    city varchar not null,
    component_id varchar not null,
    rank integer,
    score double,
    source_url varchar not null,
    source_tier varchar,
    score_source_url varchar,
    flags varchar,
    note varchar,
    note_ko varchar
    -- key: (index_id, edition, city, component_id). Not a declared primary key: the build proves it (one row
    -- per key by construction in build/rankings.py, then schemas.ComponentTable's unique key on every build),
    -- and DuckDB's index for it cost 2.7 s and 280 MB of a 306 MB file at 3.24M rows, for no query that uses
    -- it (issue 13). tests/test_build.py holds this key to the model's.
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
    office_id varchar not null references office (office_id),
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
    office_id varchar not null,
    uploaded_by varchar not null,
    uploaded_at varchar not null,
    sha256 varchar not null,
    original_filename varchar not null,
    encoding varchar,
    bytes bigint not null,
    rows integer not null
);

-- indicator_version lives in the values part (its own file): no foreign key across files; the upload and seed
-- checks (check.unknown_indicator, upload.unknown_indicator) hold indicator_id to the catalogue.
create table indicator_version (
    indicator_id varchar not null,
    period varchar not null,
    upload_id varchar not null,
    value double not null,
    office_id varchar not null,
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
    indicator_id, name_ko, name_en, unit_ko as unit, direction, cadence, office_id, source,
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
        r.indicator_id, r.period, r.value, i.unit_ko as unit, r.office_id, r.uploaded_by, r.uploaded_at,
        r.source, r.source_url, r.note, r.upload_id, r.ledger_file, r.ledger_row,
        r.version_rank = 1 as is_current, r.version_rank, r.versions
    from ranked as r
    join indicator as i using (indicator_id)
)
select * from final;

-- indicator_values: the current value of each indicator and period (a newer upload supersedes an older one).
create view indicator_values as
select indicator_id, period, value, unit, office_id, uploaded_by, uploaded_at, source,
       source_url, note, versions, upload_id
from indicator_history
where is_current;

-- latest_values: each indicator's value for its newest period (the value in force for that period), with
-- its source and who loaded it: what a department sees as "latest" and what a submission pack sends.
create view latest_values as
select indicator_id, period, value, unit, office_id, uploaded_by, uploaded_at, source, source_url, note, upload_id
from indicator_values
qualify row_number() over (partition by indicator_id order by period desc) = 1;

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
        r.source_row,
        r.rank_bound,
        -- flags as data (docs/formats.md): derived, inferred, conflict, low_confidence
        coalesce(string_split(r.flags, '|'), []::varchar[]) as flags,
        r.source_tier,
        r.note_ko
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
        r.note,
        coalesce(string_split(r.flags, '|'), []::varchar[]) as flags,
        r.source_tier,
        r.note_ko
    from component_rows as r
    join editions as e using (index_id, edition)
    join catalogue as k using (index_id, component_id)
)
select * from final;

-- ============================================================================================
-- Signals (docs/analysis.md §0): what every page, report and command says about the focus city in a
-- series, computed once. Each is a table macro of the date it is read at (`as_of`): the views below
-- read them at signal_today() (indicators.yml `analysis.signals.as_of`, else today), the quarterly brief at the end of its quarter. An edition counts from its
-- publication month (an edition without one counts from December of its year).
-- ============================================================================================

-- month_index('2025-10') = 2025*12 + 9: months compare and subtract as integers
create macro month_index(ym) as cast(substr(ym, 1, 4) as integer) * 12 + cast(substr(ym, 6, 2) as integer) - 1;

-- today in the catalogue's time zone (indicators.yml `timezone`), whatever the zone of the machine reading it: a
-- Seoul morning is already tomorrow on a server on UTC, and what the pages call today is the same day
create macro zone_today() as cast(timezone((select max(value) from setting where key = 'timezone'), current_timestamp) as date);

-- the day signals measure ages to: indicators.yml `analysis.signals.as_of` if set, else today in the catalogue's zone
create macro signal_today() as coalesce((select max(cast(value as date)) from setting where key = 'as_of'), zone_today());

-- a projected rank rounded: first to 6 decimals (so floating-point noise such as 3.4999999 or 7.5000004 is a
-- half again), then halves up, toward the worse rank: a goal judgement errs on the cautious side
create macro half_up(x) as floor(round(x, 6) + 0.5);

-- the month an edition counts from
create macro edition_month(published, year) as coalesce(published, cast(year as varchar) || '-12');

-- the focus city in every edition published by as_of, newest first, with its age in months
create macro focus_editions(as_of) as table
with
focus as (select value as city from setting where key = 'focus_city'),
known as (
    select
        e.index_id, e.edition, e.year, e.published, e.edition_order, e.field_size,
        edition_month(e.published, e.year) as pub_month
    from edition as e
    where edition_month(e.published, e.year) <= strftime(cast(as_of as date), '%Y-%m')
),
final as (
    select
        k.*,
        row_number() over (partition by k.index_id order by k.edition_order desc) as recency,
        count(*) over (partition by k.index_id) as editions,
        -- a published edition without a row for the focus city: not found in it
        coalesce(r.status, 'not_found') as status,
        r.rank, r.score, r.rank_bound,
        coalesce(r.flags, []::varchar[]) as flags,
        r.source_url, r.source_tier, r.note, r.note_ko,
        month_index(strftime(cast(as_of as date), '%Y-%m')) - month_index(k.pub_month) as age_months,
        s.cadence_months, s.stale_after_months, s.discontinued_after_months
    from known as k
    join series as s using (index_id)
    left join rankings as r on r.index_id = k.index_id and r.edition = k.edition and r.city = (select city from focus)
)
select * from final;

-- focus_signals: one row per series for the focus city as of a date: the latest edition (its age and
-- whether it is stale), the change from the edition before it (status included), the best rank ever
-- with the first edition that reached it, and the last ranked edition.
create macro focus_signals(as_of) as table
with
target as (select cast(value as integer) as target_rank from setting where key = 'target_rank'),
rows as (select * from focus_editions(as_of)),
latest as (select * from rows where recency = 1),
previous as (select * from rows where recency = 2),
ranked as (
    select *, row_number() over (partition by index_id order by edition_order desc) as ranked_recency
    from rows
    where status = 'ranked' and rank is not null
),
best as (
    select
        r.index_id,
        min(r.rank) as best_rank,
        count(*) as ranked_editions
    from ranked as r
    group by r.index_id
),
best_rows as (
    -- every edition at the best rank, oldest first: the first one reached it, the others equalled it
    select
        r.index_id,
        list(r.edition order by r.edition_order) as best_editions,
        list(r.year order by r.edition_order) as best_years,
        -- the flags of the editions named (the first at the best rank and the latest): never shown without them
        list_sort(list_distinct(flatten([arg_min(r.flags, r.edition_order), arg_max(r.flags, r.edition_order)]))) as best_flags
    from ranked as r
    join best as b on b.index_id = r.index_id and r.rank = b.best_rank
    group by r.index_id
),
final as (
    select
        s.index_id,
        s.seq,
        s.title_ko,
        s.title_en,
        s.short_ko,
        s.short_en,
        s.office_id,
        l.editions,
        l.edition as latest_edition,
        l.year as latest_year,
        l.published as latest_published,
        l.pub_month as latest_month,
        l.field_size as latest_field_size,
        coalesce(l.status, 'no_edition') as latest_status,
        l.rank as latest_rank,
        l.score as latest_score,
        l.rank_bound as latest_rank_bound,
        coalesce(l.flags, []::varchar[]) as latest_flags,
        l.note as latest_note,
        l.note_ko as latest_note_ko,
        l.source_url as latest_source_url,
        l.source_tier as latest_source_tier,
        -- age: months from the latest edition's publication to as_of; stale past the series' own rule
        l.age_months,
        s.cadence_months,
        s.stale_after_months,
        s.discontinued_after_months,
        coalesce(l.age_months > s.stale_after_months, false) as stale,
        coalesce(l.age_months > s.discontinued_after_months, false) as discontinued,
        -- change since the previous edition as published, status included
        p.edition as previous_edition,
        p.year as previous_year,
        p.status as previous_status,
        p.rank as previous_rank,
        p.rank_bound as previous_rank_bound,
        case
            when l.edition is null then 'no_edition'
            when p.edition is null then 'first_edition'
            when l.status = 'ranked' and p.status = 'ranked' then
                case when p.rank > l.rank then 'up' when p.rank < l.rank then 'down' else 'no_change' end
            when p.status = 'ranked' and l.status = 'outside_list' then 'fell_out'
            when p.status = 'ranked' then 'no_figure'
            when l.status = 'ranked' then 'entered'
            when l.status = 'outside_list' and p.status = 'outside_list' then 'still_outside'
            else 'unranked'
        end as change_kind,
        case when l.status = 'ranked' and p.status = 'ranked' then p.rank - l.rank end as change_places,
        cur.edition as last_ranked_edition,
        cur.year as last_ranked_year,
        cur.pub_month as last_ranked_month,
        cur.rank as last_ranked_rank,
        cur.age_months as last_ranked_age_months,
        cur.flags as last_ranked_flags,
        coalesce(cur.age_months > s.stale_after_months, false) as last_ranked_stale,
        b.best_rank,
        br.best_editions[1] as best_edition,
        br.best_years[1] as best_year,
        br.best_editions,
        br.best_years,
        coalesce(br.best_flags, []::varchar[]) as best_flags,
        b.ranked_editions,
        case when cur.rank is not null then greatest(cur.rank - t.target_rank, 0) end as places_to_target
    from series as s
    cross join target as t
    left join latest as l using (index_id)
    left join previous as p using (index_id)
    left join ranked as cur on cur.index_id = s.index_id and cur.ranked_recency = 1
    left join best as b on b.index_id = s.index_id
    left join best_rows as br on br.index_id = s.index_id
)
select * from final
order by seq;

-- focus_overview: the focus city in every series at a glance, as of today (one row per series).
create view focus_overview as
select * from focus_signals(signal_today());

-- ============================================================================================
-- Analysis (docs/analysis.md). Thresholds come from indicators.yml (`analysis:`) through
-- analysis_setting; reason texts come from the message catalogue (pipelines/i18n.py) through message.
-- ============================================================================================
create table analysis_setting (
    key varchar primary key,
    value double not null
);

create table message (
    key varchar primary key,
    ko varchar not null,
    en varchar not null
);

-- weaknesses: every component of every edition in which the focus city has component figures,
-- labelled weakness / strength / neutral / no_data, with the reason and the figures it rests on,
-- and the city-managed indicators (and their departments) that feed the component.
create view weaknesses as
with
focus as (select value as city from setting where key = 'focus_city'),
goal as (select cast(value as integer) as target_rank from setting where key = 'target_rank'),
th as (
    select
        max(value) filter (where key = 'weakness.rank_gap_to_overall') as weak_gap,
        cast(max(value) filter (where key = 'weakness.falling_editions') as integer) as falling_n,
        max(value) filter (where key = 'weakness.peer_bottom_share') as bottom_share,
        max(value) filter (where key = 'weakness.min_peers_with_data') as min_peers,
        max(value) filter (where key = 'strength.rank_gap_to_overall') as strong_gap
    from analysis_setting
),
msg as (select * from message),
focus_comp as (
    select r.index_id, r.edition, r.component_id, r.rank as comp_rank, r.score as comp_score, e.edition_order
    from component_row as r
    join focus using (city)
    join edition as e using (index_id, edition)
),
focus_editions as (
    select index_id, edition, any_value(edition_order) as edition_order,
           max(any_value(edition_order)) over (partition by index_id) as latest_order
    from focus_comp
    group by index_id, edition
),
grid as (
    select fe.index_id, fe.edition, fe.edition_order, fe.edition_order = fe.latest_order as is_latest,
           e.year, e.published,
           -- the edition's age today and the series' own staleness rule (focus_signals reads it the same way)
           month_index(strftime(signal_today(), '%Y-%m')) - month_index(edition_month(e.published, e.year)) as age_months,
           month_index(strftime(signal_today(), '%Y-%m')) - month_index(edition_month(e.published, e.year))
               > s.stale_after_months as stale,
           k.component_id, k.name_ko, k.name_en, k.policy_area, k.parent, k.seq as component_seq
    from focus_editions as fe
    join edition as e using (index_id, edition)
    join series as s using (index_id)
    join component as k using (index_id)
),
overall as (
    select r.index_id, r.edition, r.rank as overall_rank
    from ranking_row as r
    join focus using (city)
    where r.status = 'ranked'
),
peer_pos as (
    select
        f.index_id, f.edition, f.component_id,
        count(*) filter (where r.city <> (select city from focus)) as peers_with_data,
        -- no peer with a figure: no position (never 1 by default)
        case when count(*) filter (where r.city <> (select city from focus)) > 0
             then 1 + count(*) filter (where r.rank < f.comp_rank) end as peer_position
    from focus_comp as f
    join component_row as r using (index_id, edition, component_id)
    where f.comp_rank is not null
      and r.rank is not null
      and (r.city in (select city from peer_city) or r.city = (select city from focus))
    group by f.index_id, f.edition, f.component_id
),
fifth as (
    select r.index_id, r.edition, r.component_id, any_value(r.score) as fifth_score
    from component_row as r
    cross join goal
    where r.rank = goal.target_rank and r.score is not null
    group by r.index_id, r.edition, r.component_id
),
history as (
    select
        index_id, edition, component_id,
        list(comp_rank) over (
            partition by index_id, component_id order by edition_order
            rows between 20 preceding and current row
        ) as ranks_so_far
    from focus_comp
    where comp_rank is not null
),
recent as (
    select
        h.index_id, h.edition, h.component_id,
        list_slice(h.ranks_so_far, greatest(len(h.ranks_so_far) - th.falling_n, 1), len(h.ranks_so_far)) as recent_ranks,
        th.falling_n
    from history as h
    cross join th
),
trend as (
    select
        index_id, edition, component_id, recent_ranks,
        len(recent_ranks) = falling_n + 1
            and list_bool_and(list_transform(range(1, falling_n + 1), lambda i: recent_ranks[i + 1] > recent_ranks[i])) as falling,
        len(recent_ranks) = falling_n + 1
            and list_bool_and(list_transform(range(1, falling_n + 1), lambda i: recent_ranks[i + 1] < recent_ranks[i])) as rising,
        falling_n
    from recent
),
joined as (
    select
        g.*,
        f.comp_rank, f.comp_score, o.overall_rank,
        p.peers_with_data, p.peer_position, fi.fifth_score,
        t.recent_ranks, t.falling_n,
        coalesce(t.falling, false) as falling,
        coalesce(t.rising, false) as rising,
        th.weak_gap, th.strong_gap, th.bottom_share, th.min_peers, goal.target_rank
    from grid as g
    cross join th
    cross join goal
    left join focus_comp as f using (index_id, edition, component_id)
    left join overall as o using (index_id, edition)
    left join peer_pos as p using (index_id, edition, component_id)
    left join fifth as fi using (index_id, edition, component_id)
    left join trend as t using (index_id, edition, component_id)
),
signals as (
    select
        *,
        coalesce(comp_rank - overall_rank >= weak_gap, false) as w_gap,
        falling as w_fall,
        coalesce(peers_with_data >= min_peers and peer_position > ceil((peers_with_data + 1) * (1 - bottom_share)), false) as w_peer,
        coalesce(overall_rank - comp_rank >= strong_gap, false) as s_gap,
        coalesce(comp_rank <= target_rank, false) as s_goal,
        rising as s_rise,
        coalesce(peers_with_data >= min_peers and peer_position = 1, false) as s_peer
    from joined
),
labelled as (
    select
        *,
        case
            when comp_rank is null then 'no_data'
            when (w_gap or w_fall or w_peer) and not s_goal then 'weakness'
            when (s_gap or s_goal or s_rise or s_peer) and not (w_gap or w_fall or w_peer) then 'strength'
            else 'neutral'
        end as label,
        array_to_string(list_transform(recent_ranks, lambda x: cast(x as varchar)), '→') as ranks_text
    from signals
),
reasons as (
    select
        l.*,
        list_filter([
            case when w_gap then replace(replace(replace(m_below.ko, '{comp_rank}', comp_rank::varchar), '{overall_rank}', overall_rank::varchar), '{gap}', (comp_rank - overall_rank)::varchar) end,
            case when w_fall then replace(replace(m_fall.ko, '{n}', falling_n::varchar), '{ranks}', ranks_text) end,
            case when w_peer then replace(replace(m_pbot.ko, '{position}', peer_position::varchar), '{peers}', (peers_with_data + 1)::varchar) end,
            case when s_goal then replace(replace(m_goal.ko, '{comp_rank}', comp_rank::varchar), '{target}', target_rank::varchar) end,
            case when s_gap then replace(replace(replace(m_above.ko, '{comp_rank}', comp_rank::varchar), '{overall_rank}', overall_rank::varchar), '{gap}', (overall_rank - comp_rank)::varchar) end,
            case when s_rise then replace(replace(m_rise.ko, '{n}', falling_n::varchar), '{ranks}', ranks_text) end,
            case when s_peer then replace(m_ptop.ko, '{peers}', (peers_with_data + 1)::varchar) end
        ], lambda x: x is not null) as parts_ko,
        list_filter([
            case when w_gap then replace(replace(replace(m_below.en, '{comp_rank}', comp_rank::varchar), '{overall_rank}', overall_rank::varchar), '{gap}', (comp_rank - overall_rank)::varchar) end,
            case when w_fall then replace(replace(m_fall.en, '{n}', falling_n::varchar), '{ranks}', ranks_text) end,
            case when w_peer then replace(replace(m_pbot.en, '{position}', peer_position::varchar), '{peers}', (peers_with_data + 1)::varchar) end,
            case when s_goal then replace(replace(m_goal.en, '{comp_rank}', comp_rank::varchar), '{target}', target_rank::varchar) end,
            case when s_gap then replace(replace(replace(m_above.en, '{comp_rank}', comp_rank::varchar), '{overall_rank}', overall_rank::varchar), '{gap}', (overall_rank - comp_rank)::varchar) end,
            case when s_rise then replace(replace(m_rise.en, '{n}', falling_n::varchar), '{ranks}', ranks_text) end,
            case when s_peer then replace(m_ptop.en, '{peers}', (peers_with_data + 1)::varchar) end
        ], lambda x: x is not null) as parts_en
    from labelled as l
    cross join (select ko, en from msg where key = 'reason.below_overall') as m_below
    cross join (select ko, en from msg where key = 'reason.falling') as m_fall
    cross join (select ko, en from msg where key = 'reason.peer_bottom') as m_pbot
    cross join (select ko, en from msg where key = 'reason.inside_goal') as m_goal
    cross join (select ko, en from msg where key = 'reason.above_overall') as m_above
    cross join (select ko, en from msg where key = 'reason.rising') as m_rise
    cross join (select ko, en from msg where key = 'reason.peer_top') as m_ptop
),
lineage as (
    select
        f.index_id, f.component_id,
        list(distinct f.indicator_id order by f.indicator_id) as indicators,
        list(distinct i.office_id order by i.office_id) as departments
    from indicator_feed as f
    join indicator as i using (indicator_id)
    where f.component_id is not null
    group by f.index_id, f.component_id
),
final as (
    select
        r.index_id,
        r.edition,
        r.name_en as component,
        r.label,
        case
            when r.label = 'no_data' then nd.ko
            when len(r.parts_ko) = 0 then replace(replace(nr.ko, '{comp_rank}', r.comp_rank::varchar), '{overall_rank}', coalesce(r.overall_rank::varchar, '-'))
            else array_to_string(r.parts_ko, '; ')
        end as reason_ko,
        case
            when r.label = 'no_data' then nd.en
            when len(r.parts_en) = 0 then replace(replace(nr.en, '{comp_rank}', r.comp_rank::varchar), '{overall_rank}', coalesce(r.overall_rank::varchar, '-'))
            else array_to_string(r.parts_en, '; ')
        end as reason_en,
        to_json({
            component_rank: r.comp_rank, overall_rank: r.overall_rank, recent_ranks: r.recent_ranks,
            peer_position: case when r.peers_with_data > 0 then r.peer_position end,
            cities_compared: case when r.peers_with_data > 0 then r.peers_with_data + 1 end,
            score: r.comp_score, score_of_goal_rank_city: r.fifth_score
        }) as evidence,
        r.component_id,
        r.name_ko as component_ko,
        r.policy_area,
        r.parent,
        r.component_seq,
        r.year,
        r.edition_order,
        r.is_latest,
        r.published,
        r.age_months,
        r.stale,
        r.comp_rank as component_rank,
        r.overall_rank,
        r.comp_rank - r.overall_rank as gap_to_overall,
        r.recent_ranks,
        r.peer_position,
        r.peers_with_data,
        r.comp_score as component_score,
        r.fifth_score as score_of_goal_rank_city,
        r.w_gap, r.w_fall, r.w_peer, r.s_gap, r.s_goal, r.s_rise, r.s_peer,
        coalesce(li.indicators, []) as indicators,
        coalesce(li.departments, []) as departments,
        (case r.label when 'weakness' then 1000 when 'neutral' then 0 when 'strength' then -1000 else -2000 end)
            + 100 * (r.w_gap::int + r.w_fall::int + r.w_peer::int)
            + coalesce(r.comp_rank - r.overall_rank, 0) as severity
    from reasons as r
    cross join (select ko, en from msg where key = 'reason.no_data') as nd
    cross join (select ko, en from msg where key = 'reason.no_rule') as nr
    left join lineage as li using (index_id, component_id)
)
select * from final;

-- goal_projection: per series, as of a date, where the focus city is, where it must be, and whether the
-- trend gets it there. Rule (docs/analysis.md §2): the trend is the Theil-Sen slope (the median of the
-- slopes between every pair) of rank over publication time, over the last `goal.trend_editions` ranked
-- editions; its range is the lower and upper quartile of those pairwise slopes. Each slope projects a
-- rank for December of the goal year (the median of every edition's rank carried along it), kept
-- between 1 and the field size, rounded half up (toward the worse rank) after rounding to 6 decimals so
-- floating-point noise cannot move a half. on_course: the pessimistic end of the range meets the goal;
-- at_risk: the range straddles it; off_course: even the optimistic end misses it; unknown, with the
-- reason: never ranked, no edition for more than the series' discontinued_after_months, a last rank
-- older than its stale_after_months, or fewer than `goal.min_trend_editions` ranked editions.
create macro goal_projection(as_of) as table
with
goal as (
    select
        cast(max(value) filter (where key = 'target_rank') as integer) as target_rank,
        cast(max(value) filter (where key = 'target_year') as integer) as target_year
    from setting
),
th as (
    select
        cast(max(value) filter (where key = 'goal.trend_editions') as integer) as trend_n,
        cast(max(value) filter (where key = 'goal.min_trend_editions') as integer) as min_n
    from analysis_setting
),
rows as (
    select
        f.*,
        -- publication time in years: the month where known, else the middle of the year
        case
            when f.published is not null
            then cast(substr(f.published, 1, 4) as integer) + (cast(substr(f.published, 6, 2) as integer) - 1) / 12.0
            else f.year + 0.5
        end as x
    from focus_editions(as_of) as f
),
ranked as (
    select *, row_number() over (partition by index_id order by edition_order desc) as ranked_recency
    from rows
    where status = 'ranked' and rank is not null
),
recent as (
    select r.* from ranked as r cross join th where r.ranked_recency <= th.trend_n
),
pairs as (
    select a.index_id, (b.rank - a.rank) / (b.x - a.x) as slope
    from recent as a
    join recent as b on a.index_id = b.index_id and a.edition_order < b.edition_order and b.x > a.x
),
slopes as (
    select
        index_id,
        median(slope) as slope,
        quantile_cont(slope, 0.25) as slope_low,
        quantile_cont(slope, 0.75) as slope_high,
        count(*) as pairs
    from pairs
    group by index_id
),
trend as (
    select
        index_id,
        count(*) as trend_points,
        list(rank order by edition_order) as trend_ranks,
        list(edition order by edition_order) as trend_editions,
        list(round(x, 2) order by edition_order) as trend_years,
        list_sort(list_distinct(flatten(list(flags)))) as trend_flags,
        min(edition_order) as first_order,
        max(edition_order) as last_order
    from recent
    group by index_id
),
gaps as (
    -- editions inside the trend's span without a rank: the line passes over them, the page names them
    select
        w.index_id,
        list(w.edition order by w.edition_order) as gap_editions,
        list(w.status order by w.edition_order) as gap_statuses
    from rows as w
    join trend as t on t.index_id = w.index_id and w.edition_order between t.first_order and t.last_order
    where w.status <> 'ranked' or w.rank is null
    group by w.index_id
),
field as (
    select index_id, arg_max(field_size, edition_order) filter (where field_size is not null) as field_size
    from rows
    group by index_id
),
carried as (
    -- every recent rank carried along each slope to December of the goal year; the median is the projection
    select
        r.index_id,
        median(r.rank + sl.slope * (g.target_year + 11 / 12.0 - r.x)) as raw_mid,
        median(r.rank + sl.slope_low * (g.target_year + 11 / 12.0 - r.x)) as raw_low,
        median(r.rank + sl.slope_high * (g.target_year + 11 / 12.0 - r.x)) as raw_high
    from recent as r
    join slopes as sl using (index_id)
    cross join goal as g
    group by r.index_id
),
base as (
    select
        o.*,
        g.target_rank, g.target_year, th.min_n,
        sl.slope, sl.slope_low, sl.slope_high,
        t.trend_points, t.trend_ranks, t.trend_editions, t.trend_years, t.trend_flags,
        coalesce(gp.gap_editions, []::varchar[]) as gap_editions,
        coalesce(gp.gap_statuses, []::varchar[]) as gap_statuses,
        fs.field_size,
        c.raw_mid, c.raw_low, c.raw_high,
        case
            when o.discontinued then 0
            when o.latest_month is null then null
            else greatest((month_index(g.target_year || '-12') - month_index(o.latest_month)) // o.cadence_months, 0)
        end as editions_left
    from focus_signals(as_of) as o
    cross join goal as g
    cross join th
    left join slopes as sl using (index_id)
    left join trend as t using (index_id)
    left join gaps as gp using (index_id)
    left join field as fs using (index_id)
    left join carried as c using (index_id)
),
projected as (
    select
        *,
        case
            when last_ranked_rank is null then 'no_rank'
            when discontinued then 'discontinued'
            when last_ranked_stale then 'stale'
            when coalesce(trend_points, 0) < min_n then 'too_few'
        end as unknown_reason,
        -- half_up (above); never past rank 1 or the field size
        least(greatest(half_up(raw_mid), 1), coalesce(field_size, 2147483647))::integer as proj_mid,
        least(greatest(half_up(raw_low), 1), coalesce(field_size, 2147483647))::integer as proj_low,
        least(greatest(half_up(raw_high), 1), coalesce(field_size, 2147483647))::integer as proj_high,
        raw_mid < 1 or raw_mid > coalesce(field_size, 2147483647) as clamped
    from base
),
final as (
    select
        *,
        case
            when unknown_reason is not null then 'unknown'
            when proj_high <= target_rank then 'on_course'
            when proj_low <= target_rank then 'at_risk'
            else 'off_course'
        end as status
    from projected
)
select
    index_id, title_ko, title_en, latest_edition, latest_status, last_ranked_edition, last_ranked_year,
    last_ranked_rank as latest_rank, best_rank, best_edition, target_rank, target_year, places_to_target,
    slope as trend_places_per_year, trend_points, trend_ranks, trend_editions, editions_left,
    -- no projection where the status is unknown: it would rest on too little or too old
    case when status <> 'unknown' then proj_mid end as projected_rank,
    status, seq, short_ko, short_en, office_id,
    case when status <> 'unknown' then proj_low end as projected_low,
    case when status <> 'unknown' then proj_high end as projected_high,
    case when status <> 'unknown' then proj_mid - target_rank end as projected_gap,
    case when status <> 'unknown' then clamped end as clamped,
    raw_mid as projected_unrounded,
    slope_low as trend_low, slope_high as trend_high, trend_years, trend_flags, gap_editions, gap_statuses,
    unknown_reason, field_size, latest_month, last_ranked_month, cadence_months, discontinued, stale,
    age_months, best_editions, best_years, best_flags, last_ranked_flags, min_n as min_trend_editions
from final
order by seq;

-- top5_gap: goal_projection as of today.
create view top5_gap as
select * from goal_projection(signal_today());

-- what_if: where the catalogue has a component weight and both the focus city's component score and
-- the score of the city at the goal rank are published, how far the overall score would move if the
-- focus city's component score rose to that level. An estimate: weight x score gap, nothing more.
create view what_if as
with
w as (
    select
        index_id, edition, component_id, component, component_ko, label, component_score,
        score_of_goal_rank_city, is_latest, k.weight, k.weight_note
    from weaknesses
    join component as k using (index_id, component_id)
),
final as (
    select
        *,
        case
            when weight is not null and component_score is not null and score_of_goal_rank_city is not null
            then weight * greatest(score_of_goal_rank_city - component_score, 0)
        end as estimated_overall_change,
        -- what is missing first, as a code (the Weak points page names every missing figure itself)
        case
            when weight is null then 'no_weight'
            when component_score is null then 'no_focus_score'
            when score_of_goal_rank_city is null then 'no_goal_rank_score'
        end as missing,
        -- every figure that is missing, in the same order (empty when the estimate exists)
        [code for code in [
            case when weight is null then 'no_weight' end,
            case when component_score is null then 'no_focus_score' end,
            case when score_of_goal_rank_city is null then 'no_goal_rank_score' end
        ] if code is not null] as missing_figures
    from w
)
select * from final;

-- ============================================================================================
-- The forum: the event log as received (data/raw/forum/), and the state it replays to.
-- ============================================================================================
create table forum_event (
    event_id varchar primary key,
    type varchar not null,
    recorded_at varchar not null,
    recorded_by varchar not null,
    role varchar not null,
    data json not null
);

create table forum (
    forum_id varchar primary key,
    name_ko varchar not null,
    name_en varchar not null,
    created_at varchar
);

create table meeting (
    meeting_id varchar primary key,
    forum_id varchar not null references forum (forum_id),
    date date not null,
    kind varchar not null,
    place varchar,
    title varchar,
    attendees integer,
    summary varchar,
    held boolean not null,
    scheduled_at varchar not null,
    scheduled_by varchar not null
);

create table agenda_item (
    agenda_id varchar primary key,
    seq integer not null,
    meeting_id varchar not null references meeting (meeting_id),
    title varchar not null,
    proposer varchar not null,
    description varchar,
    decision varchar,
    decision_note varchar,
    proposed_at varchar not null,
    proposed_by varchar not null
);

create table agenda_link (
    agenda_id varchar not null references agenda_item (agenda_id),
    kind varchar not null,
    index_id varchar,
    component_id varchar,
    indicator_id varchar
);

create table action_item (
    action_id varchar primary key,
    number integer not null,
    agenda_id varchar not null references agenda_item (agenda_id),
    meeting_id varchar not null,
    title varchar not null,
    office_id varchar not null,  -- forum part, its own file: forum.apply checks the office against the catalogue
    due date not null,
    execution varchar not null,
    status varchar not null,
    created_at varchar not null,
    updated_at varchar not null,
    accepted_at varchar,
    done_at varchar
);

create table action_link (
    action_id varchar not null references action_item (action_id),
    kind varchar not null,
    index_id varchar,
    component_id varchar,
    indicator_id varchar
);

create table action_log (
    action_id varchar not null references action_item (action_id),
    event_id varchar not null,
    recorded_at varchar not null,
    recorded_by varchar not null,
    kind varchar not null,
    status varchar not null,
    note varchar,
    primary key (event_id)
);

-- forum_links: what each agenda item and each action item is meant to move, as two lists: indicators, and
-- series/component (`*` for a whole series).
create view forum_links as
with
links as (
    select 'agenda' as item_kind, agenda_id as item_id, kind, index_id, component_id, indicator_id from agenda_link
    union all
    select 'action' as item_kind, action_id as item_id, kind, index_id, component_id, indicator_id from action_link
),
final as (
    select
        item_kind, item_id,
        list(indicator_id order by indicator_id) filter (where kind = 'indicator') as linked_indicators,
        list(index_id || '/' || coalesce(component_id, '*') order by index_id, component_id) filter (where kind = 'component') as linked_components
    from links
    group by item_kind, item_id
)
select * from final;

-- forum_agenda: every agenda item with its meeting and what it addresses.
create view forum_agenda as
with
links as (
    select item_id as agenda_id, linked_indicators, linked_components from forum_links where item_kind = 'agenda'
),
final as (
    select
        a.agenda_id, a.seq, a.meeting_id, m.date as meeting_date, m.kind as meeting_kind, m.forum_id,
        a.title, a.proposer, a.description, a.decision, a.decision_note,
        coalesce(l.linked_indicators, []) as linked_indicators,
        coalesce(l.linked_components, []) as linked_components,
        a.proposed_at, a.proposed_by,
        (select count(*) from action_item as t where t.agenda_id = a.agenda_id) as action_items
    from agenda_item as a
    join meeting as m using (meeting_id)
    left join links as l using (agenda_id)
)
select * from final
order by meeting_date, seq;

-- action_items: the current state of every action item, with what it is meant to move.
create view action_items as
with
links as (
    select item_id as action_id, linked_indicators, linked_components from forum_links where item_kind = 'action'
),
notes as (
    select action_id, count(*) filter (where kind = 'progress') as progress_notes,
           arg_max(note, recorded_at) filter (where note is not null) as last_note
    from action_log
    group by action_id
),
final as (
    select
        t.action_id, t.title, t.office_id, t.due, t.status, t.updated_at,
        coalesce(l.linked_indicators, []) as linked_indicators,
        coalesce(l.linked_components, []) as linked_components,
        t.number, t.agenda_id, a.title as agenda_title, t.meeting_id, m.date as meeting_date, t.execution,
        t.created_at, t.accepted_at, t.done_at,
        t.status not in ('done', 'dropped') and t.due < zone_today() as overdue,
        coalesce(n.progress_notes, 0) as progress_notes, n.last_note,
        o.name_ko as owner_name_ko, o.name_en as owner_name_en
    from action_item as t
    join agenda_item as a using (agenda_id)
    join meeting as m on m.meeting_id = t.meeting_id
    join office as o on o.office_id = t.office_id
    left join links as l using (action_id)
    left join notes as n using (action_id)
)
select * from final
order by number;

-- action_trend: each indicator linked to an action item, every value of it, marked `before` or `after` the
-- action was accepted (or created, if not yet accepted). Periods compare by year: a value for the acceptance
-- year itself counts as `after` (the year the work started in); a quarter or month keeps its year prefix.
create view action_trend as
with
started as (
    select action_id, coalesce(accepted_at, created_at) as since from action_item
),
links as (
    select l.action_id, l.indicator_id, s.since
    from action_link as l join started as s using (action_id)
    where l.kind = 'indicator'
)
select l.action_id, v.indicator_id, i.name_ko, i.name_en, i.direction, v.period, v.value, v.unit, l.since,
       case when v.period < substr(l.since, 1, 4) then 'before' else 'after' end as phase
from links as l
join indicator_values as v using (indicator_id)
join indicator as i using (indicator_id);
