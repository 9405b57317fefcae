-- City-managed indicators: the departments that own them, their values and every version of each.

-- name: indicator_departments()
-- Offices that own at least one city-managed indicator, in the catalogue order of their first indicator.
select o.office_id, o.name_ko, o.name_en, count(*) as indicators
from managed_indicators as m join office as o on o.office_id = m.office_id
group by all
order by min(m.seq);

-- name: managed_indicator_ids()
-- Ids of the indicators the warehouse was built with, in catalogue order.
select indicator_id from managed_indicators order by seq;

-- name: department_indicators(office_id)
-- One department's indicators with the latest value (view `latest_values`: the newest period) and who loaded it.
select m.indicator_id, m.name_ko, m.name_en, m.unit as unit_ko, m.unit_en, m.unit_kind, m.cadence,
       m.source, m.source_url, m.seq, l.period as latest_period, l.value as latest_value,
       l.uploaded_by, l.uploaded_at, m.target_2030, m.direction
from managed_indicators as m left join latest_values as l using (indicator_id)
where m.office_id = :office_id
order by m.seq;

-- name: department_values(office_id)
-- Current values (indicator_values) of every indicator one department owns, by indicator and period.
select v.indicator_id, v.period, v.value
from indicator_values as v
join managed_indicators as m using (indicator_id)
where m.office_id = :office_id
order by v.indicator_id, v.period;

-- name: department_uploads(office_id)
-- Accepted uploads of one department (ledger_upload), newest first.
select upload_id, uploaded_at, uploaded_by, original_filename, rows, bytes, encoding, sha256
from ledger_upload where office_id = :office_id
order by uploaded_at desc, upload_id desc;

-- name: value_history(indicator_id)
-- Every version of every period of one indicator (indicator_history), newest period and version first.
select period, value, unit, uploaded_by, uploaded_at, source, note, upload_id, ledger_file,
       is_current, version_rank, versions
from indicator_history where indicator_id = :indicator_id
order by period desc, version_rank;

-- name: indicator_series(indicator_id)
-- The current value of every period of one indicator, with unit, source and who loaded it, oldest first.
select period, value, unit, source, uploaded_by, uploaded_at from indicator_values
where indicator_id = :indicator_id order by period;

-- name: indicator_open_data(indicator_id)
-- The current values of one indicator as the open-data CSV carries them, oldest period first.
select indicator_id, period, value, unit, source, source_url, note from indicator_values
where indicator_id = :indicator_id order by period;

-- name: latest_values()
-- Each indicator's value for its newest period, with source and upload time (view `latest_values`).
select indicator_id, period, value, source, source_url, uploaded_at from latest_values;

-- name: last_reports()
-- Per indicator: the newest period loaded, and when and by whom it last uploaded (the seed is no upload).
select indicator_id, max(period) as last_period,
       max(uploaded_at) filter (where upload_id <> 'seed') as last_uploaded_at,
       arg_max(uploaded_by, uploaded_at) filter (where upload_id <> 'seed') as last_uploaded_by
from indicator_values
group by indicator_id;

-- name: uploads_between(first_day, last_day)
-- Every value version uploaded (not seeded) from :first_day to :last_day, with the indicator's names.
select h.indicator_id, i.name_ko, i.name_en, h.period, h.value, h.unit, h.uploaded_by, h.uploaded_at, h.is_current
from indicator_history as h join indicator as i using (indicator_id)
where h.upload_id <> 'seed' and cast(h.uploaded_at as date) between :first_day and :last_day
order by h.uploaded_at;
