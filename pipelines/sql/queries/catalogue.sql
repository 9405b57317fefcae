-- The catalogue as the warehouse holds it: settings, series, editions, components, offices, peers,
-- indicators, analysis thresholds. Lowercase keywords; one query per block (pipelines/sql/__init__.py).

-- name: settings()
-- Every setting (`setting` table) as key and value.
select key, value from setting order by key;

-- name: focus_city_id()$
-- The focus city's id (setting `focus_city`).
select value from setting where key = 'focus_city';

-- name: focus_city()
-- The focus city with its Korean name and country (one row).
select c.city, c.city_ko, c.country, c.country_ko
from setting as s join city as c on c.city = s.value
where s.key = 'focus_city';

-- name: city_ko(city)$
-- The Korean name of one city.
select city_ko from city where city = :city;

-- name: series()
-- Every series with its managing office's names, in catalogue order.
select s.*, o.name_ko as office_ko, o.name_en as office_en
from series as s left join office as o on o.office_id = s.office_id
order by s.seq;

-- name: peer_cities()
-- The peer cities with their Korean names, in catalogue order.
select p.city, c.city_ko from peer_city as p join city as c using (city) order by p.seq;

-- name: editions(index_id)
-- Editions in order (of one series, or of all when :index_id is null); `methodology_change` also carries
-- the catalogue's notes that record a change for that edition (methodology_note.is_change), so a change
-- noted in either place is marked.
with noted as (
    select index_id, edition, string_agg(text, ' / ' order by seq) as noted_change
    from methodology_note where is_change and edition is not null
    group by all
)
select e.* replace (coalesce(nullif(e.methodology_change, ''), n.noted_change) as methodology_change)
from edition as e left join noted as n using (index_id, edition)
where :index_id is null or e.index_id = :index_id
order by e.index_id, e.edition_order;

-- name: edition_keys()
-- Which editions are loaded: series, year and publication month of each.
select index_id, year, published from edition;

-- name: first_edition_year()
-- The year of the oldest edition in the warehouse.
select min(year) as year from edition;

-- name: component_catalogue(index_id)
-- Components as the catalogue declares them (of one series, or all), with policy-area names.
select k.*, p.name_ko as policy_area_ko, p.name_en as policy_area_en
from component as k left join policy_area as p using (policy_area)
where :index_id is null or k.index_id = :index_id
order by k.index_id, k.seq;

-- name: methodology_notes(index_id)
-- The catalogue's methodology notes (of one series, or all).
select * from methodology_note where :index_id is null or index_id = :index_id order by index_id, seq;

-- name: analysis_settings()
-- The thresholds the analysis views use (`analysis:` in indicators.yml), as `section.key` and number.
select key, value from analysis_setting order by key;

-- name: policy_areas()
-- Policy areas in catalogue order.
select policy_area, name_ko, name_en from policy_area order by seq;

-- name: offices()
-- Every office (department or agency) with its names.
select office_id, name_ko, name_en, kind, parent from office order by office_id;

-- name: indicators()
-- City-managed indicators with their owning department, in catalogue order.
select indicator_id, name_ko, name_en, unit_ko, unit_en, direction, office_id from indicator order by seq;

-- name: feeding_indicators()
-- Which city-managed indicators feed which component (the lineage behind the weaknesses' owners).
select f.index_id, f.component_id, f.indicator_id, i.office_id
from indicator_feed as f join indicator as i using (indicator_id)
where f.component_id is not null
order by f.index_id, f.component_id, f.indicator_id;
