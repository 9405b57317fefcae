-- The competitiveness forum as the warehouse replays it: meetings, agenda items, action items.

-- name: forums()
-- Every forum with its names.
select forum_id, name_ko, name_en from forum order by forum_id;

-- name: meetings()
-- Every meeting, the date as text, in date order.
select meeting_id, forum_id, cast(date as varchar) as date, kind, place, title, attendees, summary, held,
       scheduled_at, scheduled_by
from meeting order by date, meeting_id;

-- name: meeting_with_forum(meeting_id)
-- One meeting with its forum's names.
select m.*, f.name_ko, f.name_en from meeting as m join forum as f using (forum_id) where meeting_id = :meeting_id;

-- name: forum_agenda(meeting_id)
-- Agenda items (of one meeting, or of all when :meeting_id is null), the meeting date as text.
select * replace (cast(meeting_date as varchar) as meeting_date)
from forum_agenda where :meeting_id is null or meeting_id = :meeting_id order by meeting_date, seq;

-- name: action_items()
-- Every action item (view `action_items`), dates as text, by number.
select * replace (cast(due as varchar) as due, cast(meeting_date as varchar) as meeting_date)
from action_items order by number;

-- name: agenda_actions(agenda_id)
-- The action items of one agenda item, by number.
select number, title, owner_name_ko, owner_name_en, due, status from action_items
where agenda_id = :agenda_id order by number;

-- name: action_statuses(first_day, last_day)
-- The action items as they stood at the end of a period (a brief's quarter): those created by :last_day, the
-- status and last note recorded up to that day, overdue then, and how many entries fell within the period.
-- Later entries do not leak into an earlier brief. Days are the log's UTC dates.
with
up_to as (
    select * from action_log where cast(substr(recorded_at, 1, 10) as date) <= :last_day
),
as_of as (
    select
        action_id,
        arg_max(status, recorded_at) as status,
        arg_max(note, recorded_at) filter (where note is not null) as last_note,
        count(*) filter (where cast(substr(recorded_at, 1, 10) as date) >= :first_day) as entries_in_period
    from up_to
    group by action_id
),
final as (
    select
        t.number, t.title, t.owner_name_ko, t.owner_name_en, t.due, s.status,
        s.status not in ('done', 'dropped') and t.due < :last_day as overdue,
        s.last_note, s.entries_in_period
    from action_items as t
    join as_of as s using (action_id)
)
select * from final
order by number;

-- name: action_progress(today)
-- The proposals-progress table (건의사항 추진현황) as data: one row per action item, by number. Linked indicators
-- and components by name in both languages (a component as '<series short> · <component>', a whole series as its
-- short name) and by id; `overdue` and `days_overdue` against :today (the caller's Seoul date, not the server's).
with
names as (
    select
        l.action_id,
        string_agg(i.name_ko, ', ' order by i.seq) filter (where l.kind = 'indicator') as indicators_ko,
        string_agg(i.name_en, ', ' order by i.seq) filter (where l.kind = 'indicator') as indicators_en,
        string_agg(s.short_ko || coalesce(' · ' || c.name_ko, ''), ', ' order by s.seq, c.seq)
            filter (where l.kind = 'component') as components_ko,
        string_agg(s.short_en || coalesce(' · ' || c.name_en, ''), ', ' order by s.seq, c.seq)
            filter (where l.kind = 'component') as components_en
    from action_link as l
    left join indicator as i on i.indicator_id = l.indicator_id
    left join series as s on s.index_id = l.index_id
    left join component as c on c.index_id = l.index_id and c.component_id = l.component_id
    group by l.action_id
)
select a.number, a.meeting_date, a.agenda_title, a.title, a.owner_name_ko, a.owner_name_en, a.execution, a.due,
       a.status, a.status not in ('done', 'dropped') and a.due < cast(:today as date) as overdue,
       case when a.status not in ('done', 'dropped') and a.due < cast(:today as date)
            then date_diff('day', a.due, cast(:today as date)) end as days_overdue,
       a.last_note, a.updated_at, n.indicators_ko, n.indicators_en, n.components_ko, n.components_en,
       array_to_string(a.linked_indicators, ', ') as indicator_ids,
       array_to_string(a.linked_components, ', ') as component_ids
from action_items as a
left join names as n using (action_id)
order by a.number;

-- name: action_log(action_id)
-- The history of one action item, oldest first.
select recorded_at, recorded_by, kind, status, note from action_log where action_id = :action_id
order by recorded_at, event_id;

-- name: action_trend(action_id)
-- Each indicator linked to one action item, every value marked before or after the action (view `action_trend`).
select indicator_id, name_ko, name_en, direction, period, value, unit, since, phase
from action_trend where action_id = :action_id
order by indicator_id, period;

-- name: suggested_topics(limit)
-- The :limit strongest weaknesses not yet on an agenda, of each series' latest component edition, current ones
-- first; a stale edition (view `weaknesses`.stale, the series' own cadence rule) comes after every current one.
with on_agenda as (
    select distinct index_id, component_id from agenda_link where kind = 'component'
)
select w.index_id, s.title_ko, s.title_en, w.edition, w.year, w.published, w.stale, w.component_id, w.component,
       w.component_ko, w.policy_area, w.reason_ko, w.reason_en, w.evidence, w.indicators, w.departments, w.severity
from weaknesses as w
join series as s using (index_id)
left join on_agenda as a using (index_id, component_id)
where w.is_latest and w.label = 'weakness' and a.index_id is null
order by w.stale, w.severity desc, w.index_id, w.component_id
limit :limit;

-- name: meeting_list()
-- Meetings for the command line: id, date, kind, whether held, attendees.
select meeting_id, date, kind, held, attendees from meeting order by date;

-- name: agenda_list()
-- Agenda items for the command line: id, meeting date, title, decision, number of action items.
select agenda_id, meeting_date, title, decision, action_items from forum_agenda;

-- name: action_list()
-- Action items for the command line: id, title, owner, due date, status, overdue.
select action_id, title, office_id, due, status, overdue from action_items;
