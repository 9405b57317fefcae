-- The analysis views (docs/analysis.md) as the pages and reports read them.

-- name: weaknesses()
-- Every labelled component of every edition (view `weaknesses`), with series and policy-area names.
select w.*, s.title_ko, s.title_en, s.short_ko, s.short_en, s.seq as series_seq,
       p.name_ko as policy_area_ko, p.name_en as policy_area_en
from weaknesses as w
join series as s using (index_id)
left join policy_area as p using (policy_area)
order by s.seq, w.edition_order, w.component_seq;

-- name: latest_weakest(limit)
-- The :limit most severe weaknesses of the latest component editions that are current, then the :limit most
-- severe of those that are stale (an old edition: shown apart, never above a current one), with the series'
-- short names.
select w.*, s.short_ko, s.short_en
from weaknesses as w join series as s using (index_id)
where w.is_latest and w.label = 'weakness'
qualify row_number() over (partition by w.stale order by w.severity desc, w.index_id, w.component_id) <= :limit
order by w.stale, w.severity desc, w.index_id, w.component_id;

-- name: component_judgement(index_id, component_id)
-- The label and reason of one component in its series' latest component edition.
select * from weaknesses where index_id = :index_id and component_id = :component_id and is_latest;

-- name: component_history(index_id, component_id)
-- The focus city's rank in one component and overall, in every edition that has the component.
select c.edition, c.edition_order, c.rank as component_rank, r.rank as overall_rank
from components as c
join setting as s on s.key = 'focus_city' and s.value = c.city
left join rankings as r on r.index_id = c.index_id and r.edition = c.edition and r.city = c.city
where c.index_id = :index_id and c.component_id = :component_id
order by c.edition_order;

-- name: what_if()
-- The what-if estimate (view `what_if`) for the latest component editions.
select w.index_id, w.edition, w.component_id, w.component, w.component_ko, w.label, w.weight, w.weight_note,
       w.component_score, w.score_of_goal_rank_city, w.estimated_overall_change, w.missing, w.missing_figures
from what_if as w
where w.is_latest;

-- name: top5_gap()
-- View `top5_gap` (macro goal_projection as of today), by series.
select g.* from top5_gap as g order by g.seq;

-- name: goal_as_of(as_of)
-- The goal check (macro goal_projection, what view `top5_gap` reads at today's date) as of the date :as_of.
select * from goal_projection(cast(:as_of as date)) order by seq;
