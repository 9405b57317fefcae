"""Forum: the next meeting, agenda topics from the weak points, the agenda builder and the action items board.

Every change goes through pipelines.forum.record (an append-only event in data/raw/forum/, then a rebuilt
warehouse); this page only reads the warehouse and asks for events.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from types import MappingProxyType

import pandas as pd
import streamlit as st

from dashboard import auth, data, svg_charts
from dashboard.display import local_time, show_error, zone_note
from dashboard.markdown import escape, say
from dashboard.text import DEFAULT_LANG, t
from pipelines.analysis import signals
from pipelines.analysis.signals import blank
from pipelines.build import forum, writes
from pipelines.catalogue import ForumSection
from pipelines.errors import Busy, CityIdxError
from pipelines.reports.render import csv_bytes, xlsx_bytes

lang = st.session_state.get("lang", DEFAULT_LANG)
data.stop_if_missing()

STATUS_COLOUR = {"proposed": "gray", "accepted": "blue", "in_progress": "orange", "done": "green", "dropped": "red"}
DECISION_COLOUR = {"adopted": "green", "adopted_with_changes": "green", "deferred": "orange", "rejected": "red"}
LABEL_COLOUR = {"weakness": "red", "strength": "green", "neutral": "gray", "no_data": "gray"}
FLASH = "forum_flash"


def as_list(value: object) -> list:
    return [] if value is None or (isinstance(value, float) and pd.isna(value)) else list(value)


def write(event_type: str, payload: dict, done: str, select: dict[str, str] | None = None) -> None:
    """Record one event as the signed-in account; on success say so and redraw, else show why in this language."""
    try:
        writes.record_event(cat, account, event_type, payload, warehouse_path=data.warehouse_file())
    except CityIdxError as exc:  # a refused event, a busy ledger, or a ledger that no longer builds
        show_error(exc, lang, retry=isinstance(exc, Busy))
        return
    st.session_state[FLASH] = done
    for key, value in (select or {}).items():
        st.session_state[f"{key}__next"] = value
    st.rerun()


def select_pending(key: str) -> None:
    """Apply a selection asked for before the rerun (a widget's value can only be set before it is drawn)."""
    pending = st.session_state.pop(f"{key}__next", None)
    if pending is not None:
        st.session_state[key] = pending


def current_select(label: str, options: list, key: str, format_func, default=None, **kwargs):
    """A select box that always shows this run's labels (a meeting's held state, an action's status).

    The browser keeps the label it drew for an unchanged widget even when format_func now says otherwise, so
    the widget's key carries a digest of the labels: a changed label draws a new widget. The chosen value
    lives in st.session_state[key] across those widgets (and `select_pending` may set it before the run)."""
    select_pending(key)
    labels = [format_func(o) for o in options]
    digest = hashlib.blake2b("\x1f".join(labels).encode("utf-8"), digest_size=5).hexdigest()
    chosen = st.session_state.get(key)
    if chosen not in options:
        chosen = default if default in options else options[0]
    value = st.selectbox(label, options, index=options.index(chosen), key=f"{key}__{digest}", format_func=format_func,
                         **kwargs)
    st.session_state[key] = value
    return value


def office_name(office_id: object) -> str:
    return office_names.get(office_id, str(office_id)) if not blank(office_id) else ""


def component_name(ref: str) -> str:
    index_id, _, component_id = ref.partition("/")
    short = series_short.get(index_id, index_id)
    if component_id in ("", "*"):
        return short
    return f"{short} · {component_names.get((index_id, component_id), component_id)}"


def meeting_label(meeting_id: str) -> str:
    m = meetings.loc[meeting_id]
    state = t("ui.forum.held" if bool(m["held"]) else "ui.forum.planned", lang)
    title = f" · {m['title']}" if isinstance(m["title"], str) and m["title"] else ""
    return f"{m['date']} · {t('meeting.' + m['kind'], lang)} ({state}){title}"


def badge(colour: str, text: str) -> str:
    return f":{colour}-badge[{escape(text)}]"


# Load inputs. Without a catalogue (app.py says why) the page still shows the forum, read-only.
cat = data.catalogue() if data.catalogue_error() is None else None
# every typed text (a title, a note, a summary) as long as a forum record takes (forum.check_text refuses longer)
TEXT_MAX = cat.forum.max_text_chars if cat is not None else None
account = auth.current_account()
can_run = cat is not None and account is not None and account.can_run_forum


def lookups() -> tuple:
    """The warehouse's names and keyed tables this page looks things up in; they follow from the warehouse and the
    language alone, so they are made once per warehouse version and language (data.derived), not on every rerun
    (a third of the page's rerun). The dictionaries are shared: the page only reads them."""
    offices = data.offices().set_index("office_id")
    indicators = data.indicators().set_index("indicator_id")
    components = data.component_catalogue()
    meetings = data.meetings().set_index("meeting_id", drop=False)
    return (offices, offices[f"name_{lang}"].to_dict(), indicators, indicators[f"name_{lang}"].to_dict(),
            data.series().set_index("index_id")[f"short_{lang}"].to_dict(),
            {(i, c): name for i, c, name in zip(components["index_id"], components["component_id"],
                                                components[f"name_{lang}"])},
            meetings, {m: {"meeting_id": m, "forum_id": f, "date": d}
                       for m, f, d in zip(meetings["meeting_id"], meetings["forum_id"], meetings["date"])},
            data.forums().set_index("forum_id"))


(offices, office_names, indicators, indicator_names, series_short, component_names, meetings, meeting_dates,
 forum_rows) = data.derived(lookups, "forum-lookups", lang)
feeds = data.feeding_indicators()
actions = data.action_items()

default_forum, forum_defs = forum.forums_from_catalogue(cat) if cat is not None else \
    (forum_rows.index[0] if len(forum_rows) else "", {})
forum_def = forum_defs.get(default_forum)
forum_title = forum_rows.at[default_forum, f"name_{lang}"] if default_forum in forum_rows.index else t("ui.forum.page", lang)

st.title(forum_title)
zone_note(lang)
st.caption(t("ui.forum.intro", lang))
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")
if cat is None:
    st.warning(t("ui.forum.no_catalogue", lang), icon=":material/edit_off:")
if account is None:
    st.info(t("ui.forum.read_only", lang), icon=":material/login:")
    auth.page_sign_in(lang)
elif not can_run:
    who = say("ui.forum.editor_hint", lang, department=office_name(account.department)) \
        if account.role == "department_editor" else t("ui.forum.viewer_hint", lang)
    st.info(who, icon=":material/visibility:")

# --- the next meeting ----------------------------------------------------------------------------
st.subheader(t("ui.forum.next", lang))
state = forum.State(meetings={m: dict(row) for m, row in meeting_dates.items()})
nxt = forum.next_meeting(cat, state, default_forum) if cat is not None else {"date": None, "scheduled": False,
                                                                             "meeting_id": None, "rule_date": None}
c1, c2 = st.columns([1, 3], vertical_alignment="center")
c1.metric(t("ui.forum.next_date", lang), nxt["date"] or "—")
if nxt["scheduled"]:
    c2.markdown(badge("green", t("ui.forum.scheduled", lang)) + " " + escape(meeting_label(nxt["meeting_id"])))
elif nxt["date"]:
    c2.markdown(badge("orange", t("ui.forum.not_scheduled", lang)) + " " + t("ui.forum.by_rule", lang))
else:
    c2.markdown(badge("gray", t("ui.forum.not_scheduled", lang)) + " " + t("ui.forum.no_rule", lang))

if can_run:
    with st.expander(t("ui.forum.schedule", lang), expanded=not nxt["scheduled"], icon=":material/event:"):
        # Offer the rule's next date not yet taken (after the scheduled meeting, if there is one).
        rule = forum_def.schedule if forum_def else None
        after = date.fromisoformat(nxt["date"]) + timedelta(days=1) if nxt["scheduled"] else data.local_today()
        default_day = rule.next_on_or_after(after) if rule else after + timedelta(days=30)
        with st.form("forum_schedule"):
            day = st.date_input(t("ui.forum.date", lang), value=default_day, key="schedule_date")
            kind = st.selectbox(t("ui.forum.kind", lang), forum.MEETING_KINDS, key="schedule_kind",
                                format_func=lambda k: t(f"meeting.{k}", lang))
            place = st.text_input(t("ui.forum.place", lang), max_chars=TEXT_MAX, key="schedule_place")
            title = st.text_input(t("ui.forum.meeting_title", lang), max_chars=TEXT_MAX, key="schedule_title")
            submitted = st.form_submit_button(t("ui.forum.schedule_submit", lang), key="schedule_submit", type="primary")
        if submitted:
            new_meeting = forum.meeting_id(default_forum, day.isoformat(), kind)
            write("meeting.scheduled", {"meeting_id": new_meeting, "forum_id": default_forum, "date": day.isoformat(),
                                        "kind": kind, "place": place or None, "title": title or None},
                  t("ui.forum.done_scheduled", lang, date=day.isoformat()), {"forum_meeting": new_meeting})

# The meeting the agenda builder works on: the next scheduled one unless another is chosen.
st.subheader(t("ui.forum.agenda", lang))
meeting_id = None
if meetings.empty:
    st.info(t("ui.forum.no_meetings", lang))
else:
    options = meetings.sort_values("date", ascending=False)["meeting_id"].tolist()
    meeting_id = current_select(t("ui.forum.meeting", lang), options, "forum_meeting", meeting_label,
                                default=nxt["meeting_id"])

# --- suggested topics ----------------------------------------------------------------------------
limit = cat.forum.suggestions if cat is not None else ForumSection.model_fields["suggestions"].default
suggestions = data.suggestions(limit)
with st.container(border=True):
    st.markdown(f"**{t('ui.forum.suggestions', lang)}**")
    st.caption(t("ui.forum.suggestions_help", lang, n=limit))
    if suggestions.empty:
        st.caption(t("ui.forum.no_suggestions", lang))
    organizer = office_names.get(forum_def.office_id) if forum_def and forum_def.office_id else None
    for i, s in suggestions.iterrows():
        comp = s["component_ko"] if lang == "ko" else s["component"]
        short = series_short.get(s["index_id"], s["index_id"])
        reason = s[f"reason_{lang}"]
        cols = st.columns([5, 1.4], vertical_alignment="center")
        old = f" {badge('gray', signals.old_edition_label(s['year'], lang))}" if bool(s["stale"]) else ""
        cols[0].markdown(f"{badge('red', t('label.weakness', lang))} **{escape(short)} · {escape(comp)}** ({escape(s['edition'])}){old}  \n"
                         f"{escape(reason)}")
        owners = ", ".join(office_name(d) for d in as_list(s["departments"])) or t("ui.none", lang)
        inds = ", ".join(indicator_names.get(x, x) for x in as_list(s["indicators"])) or t("ui.none", lang)
        cols[0].caption(escape(t("ui.forum.lineage", lang, indicators=inds, departments=owners)))
        if can_run:
            if cols[1].button(t("ui.forum.add_suggestion", lang), key=f"suggest_{s['index_id']}_{s['component_id']}",
                              icon=":material/playlist_add:", disabled=meeting_id is None,
                              help=None if meeting_id else t("ui.forum.schedule_first", lang)):
                title = t("ui.forum.suggested_title", lang, series=short, component=comp, reason=reason)
                write("agenda.proposed", {
                    "agenda_id": forum.new_id("a"), "meeting_id": meeting_id, "title": title,
                    "proposer": organizer or account.name,
                    "description": t("ui.forum.suggested_description", lang, edition=s["edition"], reason=reason),
                    "weaknesses": [{"index_id": s["index_id"], "component_id": s["component_id"]}],
                    "indicators": as_list(s["indicators"]),
                }, say("ui.forum.done_agenda", lang, title=title))

# --- the agenda of the chosen meeting -------------------------------------------------------------
if meeting_id:
    meeting_held = bool(meetings.at[meeting_id, "held"])
    agenda = data.forum_agenda(meeting_id)
    st.markdown(f"**{say('ui.forum.items_of', lang, meeting=meeting_label(meeting_id), n=len(agenda))}**")
    if agenda.empty:
        st.caption(t("ui.forum.no_agenda", lang))
    for _, item in agenda.iterrows():
        aid = item["agenda_id"]
        with st.container(border=True):
            decision = item["decision"]
            tag = badge(DECISION_COLOUR.get(decision, "gray"), t(f"decision.{decision}", lang)) if isinstance(decision, str) \
                else badge("gray", t("doc.forum.undecided", lang))
            st.markdown(f"**{int(item['seq'])}. {escape(item['title'])}** {tag}")
            refs = [component_name(c) for c in as_list(item["linked_components"])]
            inds = [indicator_names.get(x, x) for x in as_list(item["linked_indicators"])]
            st.caption(escape(t("ui.forum.item_meta", lang, proposer=item["proposer"], components=", ".join(refs) or "—",
                                indicators=", ".join(inds) or "—", actions=int(item["action_items"]))))
            if isinstance(item["description"], str) and item["description"]:
                st.markdown(escape(item["description"]))
            if isinstance(item["decision_note"], str) and item["decision_note"]:
                st.caption(escape(t("ui.forum.decision_note", lang, note=item["decision_note"])))
            if not can_run:
                continue
            if not meeting_held:  # decisions are taken at the meeting (the pipeline refuses them before)
                st.caption(t("ui.forum.hold_first", lang))
                continue
            # The box shows the recorded decision, or none while undecided; its key carries the decision so a
            # decision recorded elsewhere is what the box shows after the next run.
            with st.form(f"decide_{aid}", border=False):
                c1, c2, c3 = st.columns([1.3, 2.5, 1], vertical_alignment="bottom")
                choice = c1.selectbox(t("col.decision", lang), forum.DECISIONS, key=f"decision_{aid}_{decision or 'none'}",
                                      format_func=lambda d: t(f"decision.{d}", lang),
                                      index=forum.DECISIONS.index(decision) if decision in forum.DECISIONS else None,
                                      placeholder=t("ui.forum.choose_decision", lang))
                note = c2.text_input(t("ui.forum.note", lang), max_chars=TEXT_MAX, key=f"decision_note_{aid}")
                decided = c3.form_submit_button(t("ui.forum.decide", lang), key=f"decide_submit_{aid}")
            if decided and choice is None:
                st.warning(t("ui.forum.choose_decision", lang), icon=":material/rule:")
            elif decided:
                write("agenda.decided", {"agenda_id": aid, "decision": choice, "note": note or None},
                      t("ui.forum.done_decided", lang, decision=t(f"decision.{choice}", lang)))
            if decision not in ("adopted", "adopted_with_changes"):
                continue
            # An action item from an adopted item: linked indicators default to the weaknesses' feeding indicators.
            comps = [tuple(c.split("/", 1)) for c in as_list(item["linked_components"])]
            fed = feeds[[(r["index_id"], r["component_id"]) in comps for _, r in feeds.iterrows()]]
            default_inds = as_list(item["linked_indicators"]) or list(dict.fromkeys(fed["indicator_id"]))
            owners = list(dict.fromkeys(
                [indicators.at[x, "office_id"] for x in default_inds if x in indicators.index] + list(fed["office_id"])))
            office_ids = offices.index.tolist()
            with st.expander(t("ui.forum.new_action", lang), icon=":material/add_task:"):
                with st.form(f"action_{aid}", border=False):
                    a_title = st.text_input(t("ui.forum.action_title", lang), max_chars=TEXT_MAX,
                                            value=item["title"][:TEXT_MAX],  # an item from before the bound
                                            key=f"action_title_{aid}")
                    c1, c2, c3 = st.columns(3)
                    owner = c1.selectbox(t("col.owner", lang), office_ids, format_func=office_name, key=f"action_owner_{aid}",
                                         index=office_ids.index(owners[0]) if owners and owners[0] in office_ids else 0)
                    due = c2.date_input(t("col.due", lang), value=data.local_today() + timedelta(days=180), key=f"action_due_{aid}")
                    execution = c3.selectbox(t("col.execution", lang), forum.EXECUTIONS, key=f"action_execution_{aid}",
                                             format_func=lambda e: t(f"execution.{e}", lang),
                                             index=forum.EXECUTIONS.index("department"))
                    linked = st.multiselect(t("col.indicators", lang), indicators.index.tolist(), default=default_inds,
                                            format_func=lambda x: indicator_names.get(x, x), key=f"action_indicators_{aid}",
                                            placeholder=t("ui.forum.choose", lang))
                    created = st.form_submit_button(t("ui.forum.create_action", lang), key=f"action_submit_{aid}", type="primary")
                if created:
                    action_id = forum.new_id("t")
                    write("action.created", {
                        "action_id": action_id, "agenda_id": aid, "title": a_title, "office_id": owner,
                        "due": due.isoformat(), "execution": execution, "linked_indicators": linked,
                        "linked_components": [{"index_id": c[0], "component_id": None if c[1] in ("", "*") else c[1]}
                                              for c in comps],
                    }, say("ui.forum.done_action", lang, title=a_title), {"forum_action": action_id})

    if can_run:
        with st.expander(t("ui.forum.custom_item", lang), icon=":material/edit_note:"):
            latest = data.weaknesses()
            latest = latest[latest["is_latest"] & (latest["label"] == "weakness")]
            refs = [f"{r['index_id']}/{r['component_id']}" for _, r in latest.iterrows()]
            with st.form("agenda_custom"):
                c_title = st.text_input(t("ui.forum.item_title", lang), max_chars=TEXT_MAX, key="custom_title")
                c_proposer = st.text_input(t("col.proposer", lang), max_chars=TEXT_MAX, value=organizer or account.name,
                                           key="custom_proposer")
                c_description = st.text_area(t("ui.forum.description", lang), max_chars=TEXT_MAX, key="custom_description")
                c_refs = st.multiselect(t("col.components", lang), refs, format_func=component_name, key="custom_refs",
                                        placeholder=t("ui.forum.choose", lang))
                c_inds = st.multiselect(t("col.indicators", lang), indicators.index.tolist(), key="custom_indicators",
                                        format_func=lambda x: indicator_names.get(x, x), placeholder=t("ui.forum.choose", lang))
                added = st.form_submit_button(t("ui.forum.add_item", lang), key="custom_submit")
            if added:
                write("agenda.proposed", {
                    "agenda_id": forum.new_id("a"), "meeting_id": meeting_id, "title": c_title.strip(),
                    "proposer": c_proposer.strip(), "description": c_description.strip() or None,
                    "weaknesses": [{"index_id": r.split("/", 1)[0], "component_id": r.split("/", 1)[1]} for r in c_refs],
                    "indicators": c_inds,
                }, say("ui.forum.done_agenda", lang, title=c_title.strip()))
        m = meetings.loc[meeting_id]
        if not bool(m["held"]) and str(m["date"])[:10] > forum.local_today(cat).isoformat():
            # a meeting is recorded as held from its day on (Seoul date); the pipeline refuses it before
            st.caption(say("ui.forum.held_from_day", lang, date=str(m["date"])[:10]))
        elif not bool(m["held"]):
            with st.expander(t("ui.forum.record_held", lang), icon=":material/how_to_reg:"):
                with st.form("meeting_held"):
                    attendees = st.number_input(t("ui.forum.attendees", lang), min_value=0, step=1, value=0, key="held_attendees")
                    summary = st.text_area(t("ui.forum.summary", lang), max_chars=TEXT_MAX, key="held_summary")
                    held = st.form_submit_button(t("ui.forum.record_held_submit", lang), key="held_submit")
                if held:
                    write("meeting.held", {"meeting_id": meeting_id, "attendees": int(attendees), "summary": summary or None},
                          t("ui.forum.done_held", lang))

# --- the action items board ----------------------------------------------------------------------
st.subheader(t("ui.forum.board", lang))
if actions.empty:
    st.caption(t("ui.forum.no_actions", lang))
else:
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    owners = list(dict.fromkeys(actions["office_id"]))
    chosen_owners = c1.multiselect(t("col.owner", lang), owners, format_func=office_name, key="board_owner",
                                   placeholder=t("ui.all_departments", lang))
    only_overdue = c2.checkbox(t("ui.forum.only_overdue", lang), key="board_overdue")
    board = actions
    if chosen_owners:
        board = board[board["office_id"].isin(chosen_owners)]
    if only_overdue:
        board = board[board["overdue"]]
    columns = st.columns(len(forum.STATUSES))
    for column, status in zip(columns, forum.STATUSES):
        own = board[board["status"] == status]
        column.markdown(f"{badge(STATUS_COLOUR[status], t(f'action.{status}', lang))} **{len(own)}**")
        for _, a in own.iterrows():
            with column.container(border=True):
                late = f" {badge('red', t('col.overdue', lang))}" if bool(a["overdue"]) else ""
                st.markdown(f"**#{int(a['number'])} {escape(a['title'])}**{late}")
                st.caption(escape(t("ui.forum.card", lang, owner=office_name(a["office_id"]), due=a["due"])))
                if isinstance(a["last_note"], str) and a["last_note"]:
                    st.caption(escape(a["last_note"]))
    if board.empty:
        st.caption(t("ui.forum.no_match", lang))

    # One action item: move it, note progress, see its history and its indicators around acceptance.
    st.subheader(t("ui.forum.manage", lang))
    ids = actions["action_id"].tolist()
    by_id = actions.set_index("action_id", drop=False)
    # A department editor starts on an item of its own department; everyone else on the newest item.
    own = [i for i, o in zip(ids, actions["office_id"]) if account is not None and o == account.department]
    action_id = current_select(
        t("ui.forum.action", lang), ids, "forum_action", default=own[-1] if own else ids[-1],
        format_func=lambda i: f"#{int(by_id.at[i, 'number'])} {by_id.at[i, 'title']} · {t('action.' + by_id.at[i, 'status'], lang)}",
    )
    a = by_id.loc[action_id]
    with st.container(border=True):
        st.markdown(f"**#{int(a['number'])} {escape(a['title'])}** "
                    f"{badge(STATUS_COLOUR[a['status']], t('action.' + a['status'], lang))}"
                    + (f" {badge('red', t('col.overdue', lang))}" if bool(a["overdue"]) else ""))
        comps = ", ".join(component_name(c) for c in as_list(a["linked_components"])) or "—"
        inds = ", ".join(indicator_names.get(x, x) for x in as_list(a["linked_indicators"])) or "—"
        st.caption(escape(t("ui.forum.action_meta", lang, agenda=a["agenda_title"], meeting=a["meeting_date"],
                            owner=office_name(a["office_id"]), due=a["due"],
                            execution=t(f"execution.{a['execution']}", lang), components=comps, indicators=inds)))
        own_department = account is not None and account.role == "department_editor" \
            and account.department == a["office_id"]
        if can_run:
            nexts = forum.TRANSITIONS[a["status"]]
            move_note = st.text_input(t("ui.forum.note", lang), max_chars=TEXT_MAX, key=f"move_note_{action_id}")
            buttons = st.container(horizontal=True)
            for target in nexts:
                if buttons.button(t("ui.forum.move_to", lang, status=t(f"action.{target}", lang)),
                                 key=f"move_{action_id}_{target}", type="primary" if target != "dropped" else "secondary"):
                    write("action.status_changed", {"action_id": action_id, "status": target, "note": move_note or None},
                          t("ui.forum.done_moved", lang, status=t(f"action.{target}", lang)))
        elif account is not None and account.role == "department_editor" and not own_department:
            st.info(say("ui.forum.other_department", lang, owner=office_name(a["office_id"]),
                      department=office_name(account.department)), icon=":material/lock:")
        if cat is not None and (can_run or own_department):
            with st.form(f"progress_{action_id}", border=False):
                progress = st.text_area(t("ui.forum.progress_note", lang), max_chars=TEXT_MAX,
                                        key=f"progress_text_{action_id}")
                noted = st.form_submit_button(t("ui.forum.add_note", lang), key=f"progress_submit_{action_id}")
            if noted:
                write("action.progress_noted", {"action_id": action_id, "note": progress.strip()},
                      t("ui.forum.done_noted", lang))

    log = data.action_log(action_id)
    if len(log):
        st.markdown(f"**{t('ui.forum.history', lang)}**")
        st.dataframe(pd.DataFrame({
            t("col.when", lang): [local_time(v) for v in log["recorded_at"]],
            t("col.recorded_by", lang): log["recorded_by"],
            t("col.kind", lang): [t(f"ui.forum.log_{k}", lang) for k in log["kind"]],
            t("col.progress", lang): [t(f"action.{s}", lang) for s in log["status"]],
            t("col.memo", lang): log["note"],
        }), hide_index=True, width="stretch", placeholder="—")

    st.markdown(f"**{t('ui.forum.trend', lang)}**")
    around = data.trend_around(action_id)
    since = local_time(a["accepted_at"] if isinstance(a["accepted_at"], str) else a["created_at"])[:10]
    marker = t("ui.forum.accepted_on" if isinstance(a["accepted_at"], str) else "ui.forum.created_on", lang, date=since)
    if not as_list(a["linked_indicators"]):
        st.caption(t("ui.forum.no_linked", lang))
    elif around.empty:
        st.caption(t("ui.forum.no_values", lang))
    else:
        st.caption(t("ui.forum.trend_help", lang))
        ids_with_values = list(dict.fromkeys(around["indicator_id"]))
        cols = st.columns(min(len(ids_with_values), 2))
        # SVG, as every other chart (no Plotly for the browser or the server to load); each drawing made once per
        # warehouse version, item, indicator and language (data.once), at half width in one of two columns
        wide = svg_charts.HALF_WIDTH if len(cols) > 1 else svg_charts.WIDE
        for i, indicator_id in enumerate(ids_with_values):
            name = indicator_names.get(indicator_id, indicator_id)
            unit = indicators.at[indicator_id, f"unit_{lang}"] if indicator_id in indicators.index else None
            drawings = data.once(lambda: MappingProxyType({w: svg_charts.action_trend_svg(
                around[around["indicator_id"] == indicator_id], lang, marker, unit=unit if isinstance(unit, str) else None,
                key=f"around_{indicator_id}", label=name, width=w) for w in (wide, svg_charts.PHONE_WIDTH)}),
                "forum-trend", action_id, indicator_id, lang, marker, wide)
            with cols[i % len(cols)]:
                st.markdown(escape(name))
                svg_charts.show_fitted(drawings.__getitem__, f"around_{indicator_id}", wide)
        missing = [x for x in as_list(a["linked_indicators"]) if x not in set(ids_with_values)]
        if missing:
            st.caption(escape(t("ui.forum.no_values_for", lang, names=", ".join(indicator_names.get(x, x) for x in missing))))

# --- downloads ------------------------------------------------------------------------------------
st.subheader(t("ui.forum.downloads", lang))
c1, c2 = st.columns(2)
with c1:
    if meetings.empty or cat is None:
        st.caption(t("ui.forum.no_meetings", lang))
    else:
        options = meetings.sort_values("date", ascending=False)["meeting_id"].tolist()
        packet_meeting = current_select(t("ui.forum.packet_meeting", lang), options, "packet_meeting", meeting_label,
                                        default=meeting_id)
        st.download_button(t("ui.forum.packet", lang), data.agenda_packet(cat, packet_meeting, lang).encode("utf-8"),
                           file_name=f"{packet_meeting}_{lang}.html", mime="text/html", key="download_packet",
                           icon=":material/print:")
with c2:
    table = data.progress_table(lang)
    st.caption(t("ui.forum.progress_help", lang, n=len(table)))
    name = t("doc.progress_sheet", lang)
    # the files are made once per warehouse version and local day (data.once), not on every run (~30 ms for the xlsx)
    today = data.local_today()
    st.download_button(t("ui.forum.progress_xlsx", lang),
                       data.once(lambda: xlsx_bytes({name: table}), "progress-xlsx", lang, today), file_name=f"{name}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_xlsx",
                       icon=":material/table_view:")
    st.download_button(t("ui.forum.progress_csv", lang),
                       data.once(lambda: csv_bytes(data.progress_table(lang, with_ids=True)), "progress-csv", lang, today),
                       file_name=f"{name}.csv", mime="text/csv", key="download_csv", icon=":material/download:")
