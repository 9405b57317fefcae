"""The competitiveness forum's rules: replaying the event log into meetings, agenda items, action items, progress."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd

from pipelines.accounts import Account
from pipelines.catalogue import WEEKDAY_NAMES, Catalogue
from pipelines.errors import ForumError
from pipelines.ledger.forum import Event

MEETING_KINDS = ("regular", "ad_hoc")
DECISIONS = ("adopted", "adopted_with_changes", "deferred", "rejected")
STATUSES = ("proposed", "accepted", "in_progress", "done", "dropped")
EXECUTIONS = ("task_force", "advice", "department")
# status -> the statuses it may move to
TRANSITIONS = {
    "proposed": ("accepted", "dropped"),
    "accepted": ("in_progress", "done", "dropped"),
    "in_progress": ("done", "dropped"),
    "done": ("in_progress",),
    "dropped": ("proposed",),
}
EVENT_TYPES = (
    "forum.created", "meeting.scheduled", "meeting.held", "agenda.proposed", "agenda.decided",
    "action.created", "action.status_changed", "action.progress_noted",
)



@dataclass(frozen=True)
class Schedule:
    months: tuple[int, ...]
    weekday: int  # 0 = Monday
    nth: int  # 1-4, or -1 for the last one in the month

    def dates(self, year: int) -> list[date]:
        out = []
        for month in self.months:
            first = date(year, month, 1)
            if self.nth > 0:
                offset = (self.weekday - first.weekday()) % 7
                out.append(first + timedelta(days=offset + 7 * (self.nth - 1)))
            else:
                last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
                out.append(last - timedelta(days=(last.weekday() - self.weekday) % 7))
        return out

    def next_on_or_after(self, day: date) -> date:
        for year in (day.year, day.year + 1):
            for d in self.dates(year):
                if d >= day:
                    return d
        raise AssertionError("a schedule with at least one month always has a next date")


@dataclass(frozen=True)
class ForumDef:
    id: str
    name_ko: str
    name_en: str
    office_id: str | None
    place: str | None
    schedule: Schedule | None


def forums_from_catalogue(cat: Catalogue) -> tuple[str, dict[str, ForumDef]]:
    """The default forum and every forum the catalogue defines (`forum:` in indicators.yml)."""
    forums = {}
    for fid, f in cat.forum.forums.items():
        sched = f.schedule
        forums[fid] = ForumDef(
            id=fid, name_ko=f.name.ko, name_en=f.name.en, office_id=f.office_id, place=f.place,
            schedule=None if sched is None else Schedule(sched.months, WEEKDAY_NAMES.index(sched.weekday), sched.nth),
        )
    return cat.forum.default, forums



@dataclass
class State:
    """The forum as of the last event: rebuilt from nothing by replaying the log."""

    forums: dict[str, dict] = field(default_factory=dict)
    meetings: dict[str, dict] = field(default_factory=dict)
    agenda: dict[str, dict] = field(default_factory=dict)
    actions: dict[str, dict] = field(default_factory=dict)
    action_log: list[dict] = field(default_factory=list)


def _need(data: dict, *keys: str) -> None:
    for key in keys:
        if data.get(key) in (None, ""):
            raise ForumError("forum.missing_field", field=key)


def _date(value: str, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ForumError("forum.bad_date", field=name, value=value) from None


def apply(state: State, event: Event, cat: Catalogue) -> State:
    """Apply one event to the state, checking that it makes sense; the state is changed in place."""
    d = event.data
    t = event.type
    if t not in EVENT_TYPES:
        raise ForumError("forum.unknown_event", value=t)
    if t == "forum.created":
        _need(d, "forum_id", "name_ko", "name_en")
        if d["forum_id"] in state.forums:
            raise ForumError("forum.exists", value=d["forum_id"])
        state.forums[d["forum_id"]] = {"forum_id": d["forum_id"], "name_ko": d["name_ko"], "name_en": d["name_en"],
                                       "created_at": event.at}
    elif t == "meeting.scheduled":
        _need(d, "meeting_id", "forum_id", "date", "kind")
        if d["forum_id"] not in state.forums:
            raise ForumError("forum.no_such", kind="forum", value=d["forum_id"])
        if d["kind"] not in MEETING_KINDS:
            raise ForumError("forum.bad_choice", field="kind", value=d["kind"], allowed=", ".join(MEETING_KINDS))
        if d["meeting_id"] in state.meetings:
            raise ForumError("forum.exists", value=d["meeting_id"])
        state.meetings[d["meeting_id"]] = {
            "meeting_id": d["meeting_id"], "forum_id": d["forum_id"], "date": _date(d["date"], "date"),
            "kind": d["kind"], "place": d.get("place"), "title": d.get("title"), "attendees": None, "summary": None,
            "held": False, "scheduled_at": event.at, "scheduled_by": event.by,
        }
    elif t == "meeting.held":
        _need(d, "meeting_id")
        meeting = state.meetings.get(d["meeting_id"])
        if meeting is None:
            raise ForumError("forum.no_such", kind="meeting", value=d["meeting_id"])
        attendees = d.get("attendees")
        if attendees is not None and (not isinstance(attendees, int) or attendees < 0):
            raise ForumError("forum.bad_choice", field="attendees", value=attendees, allowed=">= 0")
        meeting.update(held=True, attendees=attendees, summary=d.get("summary"))
    elif t == "agenda.proposed":
        _need(d, "agenda_id", "meeting_id", "title", "proposer")
        if d["meeting_id"] not in state.meetings:
            raise ForumError("forum.no_such", kind="meeting", value=d["meeting_id"])
        if d["agenda_id"] in state.agenda:
            raise ForumError("forum.exists", value=d["agenda_id"])
        weaknesses = [_component_ref(w, cat) for w in d.get("weaknesses") or []]
        indicators = [_indicator_ref(i, cat) for i in d.get("indicators") or []]
        state.agenda[d["agenda_id"]] = {
            "agenda_id": d["agenda_id"], "meeting_id": d["meeting_id"], "title": d["title"], "proposer": d["proposer"],
            "description": d.get("description"), "weaknesses": weaknesses, "indicators": indicators,
            "decision": None, "decision_note": None, "proposed_at": event.at, "proposed_by": event.by,
            "seq": len(state.agenda) + 1,
        }
    elif t == "agenda.decided":
        _need(d, "agenda_id", "decision")
        item = state.agenda.get(d["agenda_id"])
        if item is None:
            raise ForumError("forum.no_such", kind="agenda item", value=d["agenda_id"])
        if d["decision"] not in DECISIONS:
            raise ForumError("forum.bad_choice", field="decision", value=d["decision"], allowed=", ".join(DECISIONS))
        item.update(decision=d["decision"], decision_note=d.get("note"), decided_at=event.at)
    elif t == "action.created":
        _need(d, "action_id", "agenda_id", "title", "office_id", "due")
        item = state.agenda.get(d["agenda_id"])
        if item is None:
            raise ForumError("forum.no_such", kind="agenda item", value=d["agenda_id"])
        if item["decision"] not in ("adopted", "adopted_with_changes"):
            raise ForumError("forum.not_adopted", value=d["agenda_id"])
        if d["office_id"] not in cat.offices:
            raise ForumError("forum.no_such", kind="department", value=d["office_id"])
        if d["action_id"] in state.actions:
            raise ForumError("forum.exists", value=d["action_id"])
        execution = d.get("execution") or "department"
        if execution not in EXECUTIONS:
            raise ForumError("forum.bad_choice", field="execution", value=execution, allowed=", ".join(EXECUTIONS))
        state.actions[d["action_id"]] = {
            "action_id": d["action_id"], "number": len(state.actions) + 1, "agenda_id": d["agenda_id"],
            "meeting_id": item["meeting_id"], "title": d["title"], "office_id": d["office_id"],
            "due": _date(d["due"], "due"), "execution": execution, "status": "proposed",
            "linked_indicators": [_indicator_ref(i, cat) for i in d.get("linked_indicators") or item["indicators"]],
            "linked_components": [_component_ref(c, cat) for c in d.get("linked_components") or item["weaknesses"]],
            "created_at": event.at, "updated_at": event.at, "accepted_at": None, "done_at": None,
        }
        state.action_log.append(_log(event, d["action_id"], "created", "proposed", d.get("note")))
    elif t == "action.status_changed":
        _need(d, "action_id", "status")
        action = state.actions.get(d["action_id"])
        if action is None:
            raise ForumError("forum.no_such", kind="action item", value=d["action_id"])
        if d["status"] not in STATUSES:
            raise ForumError("forum.bad_choice", field="status", value=d["status"], allowed=", ".join(STATUSES))
        if d["status"] not in TRANSITIONS[action["status"]]:
            raise ForumError("forum.bad_transition", current=action["status"], value=d["status"],
                             allowed=", ".join(TRANSITIONS[action["status"]]))
        action.update(status=d["status"], updated_at=event.at)
        if d["status"] == "accepted" and action["accepted_at"] is None:
            action["accepted_at"] = event.at
        if d["status"] == "done":
            action["done_at"] = event.at
        state.action_log.append(_log(event, d["action_id"], "status", d["status"], d.get("note")))
    elif t == "action.progress_noted":
        _need(d, "action_id", "note")
        action = state.actions.get(d["action_id"])
        if action is None:
            raise ForumError("forum.no_such", kind="action item", value=d["action_id"])
        action["updated_at"] = event.at
        state.action_log.append(_log(event, d["action_id"], "progress", action["status"], d["note"]))
    return state


def _log(event: Event, action_id: str, kind: str, status: str, note: str | None) -> dict:
    return {"action_id": action_id, "event_id": event.event_id, "recorded_at": event.at, "recorded_by": event.by, "kind": kind,
            "status": status, "note": note}


def _component_ref(ref: dict, cat: Catalogue) -> dict:
    series = cat.series.get(ref.get("index_id"))
    if series is None or (ref.get("component_id") and series.component(ref["component_id"]) is None):
        raise ForumError("forum.no_such", kind="component", value=f"{ref.get('index_id')}/{ref.get('component_id')}")
    return {"index_id": ref["index_id"], "component_id": ref.get("component_id")}


def _indicator_ref(indicator_id: str, cat: Catalogue) -> str:
    if indicator_id not in cat.indicators:
        raise ForumError("forum.no_such", kind="indicator", value=indicator_id)
    return indicator_id


def replay(events: list[Event], cat: Catalogue) -> State:
    """The state from the catalogue's forums and the log, in order; the same log always gives the same state."""
    state = State()
    _, forums = forums_from_catalogue(cat)
    for f in forums.values():
        state.forums[f.id] = {"forum_id": f.id, "name_ko": f.name_ko, "name_en": f.name_en, "created_at": None}
    for event in events:
        try:
            apply(state, event, cat)
        except ForumError as exc:
            raise ForumError("forum.bad_event_file", detail=f"{event.source or event.event_id}: {exc}") from exc
    return state


def authorise(account: Account, event_type: str, data: dict, state: State) -> None:
    """Organizers and admins run the forum; a department editor may note progress on its own items."""
    if account.disabled:
        raise ForumError("forum.not_allowed", user=account.username, action=event_type)
    if account.role in ("forum_organizer", "admin"):
        return
    if event_type == "action.progress_noted" and account.role == "department_editor":
        action = state.actions.get(data.get("action_id"))
        if action is not None and action["office_id"] == account.department:
            return
    raise ForumError("forum.not_allowed", user=account.username, action=event_type)


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def next_meeting(cat: Catalogue, state: State, forum_id: str | None = None, today: date | None = None) -> dict:
    """The next meeting: one already scheduled on or after today, else the date the forum's rule gives."""
    today = today or date.today()
    default, forums = forums_from_catalogue(cat)
    forum_id = forum_id or default
    upcoming = sorted((m for m in state.meetings.values() if m["forum_id"] == forum_id and m["date"] >= today.isoformat()),
                      key=lambda m: m["date"])
    rule = forums.get(forum_id).schedule if forum_id in forums else None
    computed = rule.next_on_or_after(today).isoformat() if rule else None
    if upcoming:
        return {"forum_id": forum_id, "date": upcoming[0]["date"], "meeting_id": upcoming[0]["meeting_id"],
                "scheduled": True, "rule_date": computed}
    return {"forum_id": forum_id, "date": computed, "meeting_id": None, "scheduled": False, "rule_date": computed}


def tables(state: State, events: list[Event]) -> dict[str, pd.DataFrame]:
    """The forum as warehouse tables (see warehouse.sql)."""
    def frame(rows, columns):
        return pd.DataFrame(rows, columns=columns)

    agenda_rows, agenda_links, action_rows, action_links = [], [], [], []
    for a in state.agenda.values():
        agenda_rows.append({k: a.get(k) for k in ("agenda_id", "seq", "meeting_id", "title", "proposer", "description",
                                                   "decision", "decision_note", "proposed_at", "proposed_by")})
        for w in a["weaknesses"]:
            agenda_links.append({"agenda_id": a["agenda_id"], "kind": "component", "index_id": w["index_id"],
                                 "component_id": w["component_id"], "indicator_id": None})
        for i in a["indicators"]:
            agenda_links.append({"agenda_id": a["agenda_id"], "kind": "indicator", "index_id": None,
                                 "component_id": None, "indicator_id": i})
    for a in state.actions.values():
        action_rows.append({k: a[k] for k in ("action_id", "number", "agenda_id", "meeting_id", "title", "office_id",
                                              "due", "execution", "status", "created_at", "updated_at", "accepted_at", "done_at")})
        for w in a["linked_components"]:
            action_links.append({"action_id": a["action_id"], "kind": "component", "index_id": w["index_id"],
                                 "component_id": w["component_id"], "indicator_id": None})
        for i in a["linked_indicators"]:
            action_links.append({"action_id": a["action_id"], "kind": "indicator", "index_id": None,
                                 "component_id": None, "indicator_id": i})
    link_cols = ["index_id", "component_id", "indicator_id"]
    return {
        "forum_event": frame([{"event_id": e.event_id, "type": e.type, "recorded_at": e.at, "recorded_by": e.by, "role": e.role,
                               "data": json.dumps(e.data, ensure_ascii=False, sort_keys=True)} for e in events],
                             ["event_id", "type", "recorded_at", "recorded_by", "role", "data"]),
        "forum": frame(list(state.forums.values()), ["forum_id", "name_ko", "name_en", "created_at"]),
        "meeting": frame(list(state.meetings.values()),
                         ["meeting_id", "forum_id", "date", "kind", "place", "title", "attendees", "summary", "held",
                          "scheduled_at", "scheduled_by"]),
        "agenda_item": frame(agenda_rows, ["agenda_id", "seq", "meeting_id", "title", "proposer", "description", "decision",
                                           "decision_note", "proposed_at", "proposed_by"]),
        "agenda_link": frame(agenda_links, ["agenda_id", "kind", *link_cols]),
        "action_item": frame(action_rows, ["action_id", "number", "agenda_id", "meeting_id", "title", "office_id",
                                           "due", "execution", "status", "created_at", "updated_at", "accepted_at", "done_at"]),
        "action_link": frame(action_links, ["action_id", "kind", *link_cols]),
        "action_log": frame(state.action_log, ["action_id", "event_id", "recorded_at", "recorded_by", "kind", "status", "note"]),
    }
