-- Rankings and components as published: the focus city, its peers, every city of a series.

-- name: overview()
-- focus_overview (one row per series for the focus city) with the managing office's names and the names of the
-- latest figure's source tier.
select f.*, o.name_ko as office_ko, o.name_en as office_en,
       st.name_ko as latest_tier_ko, st.name_en as latest_tier_en, st.help_ko as latest_tier_help_ko,
       st.help_en as latest_tier_help_en
from focus_overview as f
left join office as o on o.office_id = f.office_id
left join source_tier as st on st.tier = f.latest_source_tier
order by f.seq;

-- name: focus_history()
-- The focus city in every edition of every series (for sparklines).
select r.index_id, r.edition, r.edition_order, r.year, r.rank, r.score, r.status
from rankings as r join setting as s on s.key = 'focus_city' and r.city = s.value
order by r.index_id, r.edition_order;

-- name: focus_ranks()
-- The focus city's rank in every edition of every series, with the edition's publication month (goal charts).
select r.index_id, r.edition, r.edition_order, r.year, r.published, r.rank, r.status
from rankings as r join setting as s on s.key = 'focus_city' and r.city = s.value
order by r.index_id, r.edition_order;

-- name: series_rankings(index_id)
-- Every row of one series, all cities, all editions, with its flags, bound, Korean note and source tier (names).
select r.index_id, r.edition, r.edition_order, r.published, r.year, r.city, r.city_ko, r.country, r.country_ko,
       r.rank, r.score, r.field_size, r.status, r.source_url, r.publication, r.retrieved, r.note, r.methodology_change,
       r.flags, r.rank_bound, r.note_ko, r.source_tier, st.name_ko as tier_ko, st.name_en as tier_en
from rankings as r
left join source_tier as st on st.tier = r.source_tier
where r.index_id = :index_id
order by r.edition_order, r.rank nulls last, r.city;

-- name: series_cities(index_id)
-- Cities that appear in a series, most often ranked first.
select city, any_value(city_ko) as city_ko, count(rank) as ranked, min(rank) as best_rank
from rankings where index_id = :index_id
group by city
order by ranked desc, best_rank nulls last, city;

-- name: series_components(index_id)
-- Component ranks and scores of one series, every city that has them, with policy-area and Korean city names.
select c.*, p.name_ko as policy_area_ko, p.name_en as policy_area_en, y.city_ko
from components as c
left join policy_area as p using (policy_area)
left join city as y using (city)
where c.index_id = :index_id
order by c.edition_order, c.component_seq, c.city;

-- name: focus_and_peer_rankings(index_id)
-- One series for the focus city and its peers, every edition (the open-data CSV of a series).
select r.index_id, r.edition, r.published, r.year, r.city, r.city_ko, r.country, r.rank, r.score,
       r.field_size, r.status, r.source_url, r.note
from rankings as r
where r.index_id = :index_id
  and (r.city = (select value from setting where key = 'focus_city') or r.city in (select city from peer_city))
order by r.edition_order, r.rank nulls last, r.city;

-- name: status_counts()
-- Rows per series and status.
select index_id, status, count(*) as rows
from rankings group by all order by index_id, status;

-- name: publication_counts()
-- Which outlets the figures rest on: rows per series and publication.
select index_id, coalesce(publication, '') as publication, count(*) as rows,
       count(*) filter (where status = 'ranked') as ranked_rows
from rankings group by all order by index_id, rows desc, publication;

-- name: flag_counts()
-- Rows per series carrying each flag (the `flags` column, docs/formats.md), all cities and the focus city alone.
select r.index_id, f.flag, count(*) as rows,
       count(*) filter (where r.city = (select value from setting where key = 'focus_city')) as focus_rows
from rankings as r, unnest(r.flags) as f(flag)
group by all
order by r.index_id, f.flag;

-- name: tier_counts()
-- Rows per series by the tier of their source (source_domains.csv).
select index_id, coalesce(source_tier, '') as tier, count(*) as rows
from rankings group by all order by index_id, tier;

-- name: source_tiers()
-- The source tiers, most direct first, with their names and one-line help.
select tier, name_ko, name_en, help_ko, help_en from source_tier order by seq;

-- name: standing_as_of(as_of)
-- Per series, the focus city as of the date :as_of (macro `focus_signals`, the same signals the overview reads
-- at today's date): the latest edition published by then, its age and staleness, the change from the edition
-- before it (status included), the best rank and the last ranked edition.
select * from focus_signals(cast(:as_of as date)) order by seq;

-- name: focus_editions_published(first_month, last_month)
-- Editions published from :first_month to :last_month ('YYYY-MM'), with the focus city's rank and status in each.
select r.index_id, s.title_ko, s.title_en, r.edition, r.published, r.rank, r.status
from rankings as r
join series as s using (index_id)
where r.city = (select value from setting where key = 'focus_city')
  and r.published between :first_month and :last_month
order by r.published, s.seq;

-- name: city_ranks_as_of(index_id, city, cutoff)
-- One city's rank in every edition of one series published by :cutoff ('YYYY-MM').
select edition, rank from rankings
where index_id = :index_id and city = :city and coalesce(published, year || '-12') <= :cutoff
order by edition_order;

-- name: focus_standing()
-- Per series, for the command line: editions loaded, the latest edition (its month, whether it is stale) with the
-- focus city's status and rank in it, the change from the edition before it, and its last ranked edition and
-- rank (view `focus_overview`).
select index_id, editions, latest_edition, latest_month, stale, latest_status, latest_rank, latest_rank_bound,
       change_kind, change_places, previous_edition, last_ranked_edition, last_ranked_rank
from focus_overview order by seq;
