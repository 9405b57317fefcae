"""The competitiveness forum's rules: replaying the event log into meetings, agenda items, action items, progress."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from pipelines.accounts import RESERVED, Account
from pipelines.catalogue_data import WEEKDAY_NAMES
from pipelines.errors import ForumError, Message
from pipelines.messages import TYPED_BREAKS, first_acting, visible
from pipelines.schemas import Table

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue
    import pandas as pd
from pipelines.ledger.forum import DECISIONS, EXECUTIONS, MEETING_KINDS, STATUSES, Event  # noqa: F401 (the vocabulary, re-exported)

# status -> the statuses it may move to
TRANSITIONS = {
    "proposed": ("accepted", "dropped"),
    "accepted": ("in_progress", "done", "dropped"),
    "in_progress": ("done", "dropped"),
    "done": ("in_progress",),
    "dropped": ("proposed",),
}


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


# What an event's data holds, each named to a person by its label in the message's language: an id by the noun of
# what it names (forum.kind.*), every other field by its own label (forum.field.<name>).
LABELLED = ("name_ko", "name_en", "date", "kind", "place", "title", "attendees", "summary", "proposer", "description",
            "weaknesses", "decision", "note", "office_id", "due", "execution", "linked_indicators", "linked_components",
            "status")
FIELD_LABELS = {"forum_id": "forum.kind.forum", "meeting_id": "forum.kind.meeting", "agenda_id": "forum.kind.agenda",
                "action_id": "forum.kind.action", "indicators": "forum.field.linked_indicators",
                **{name: f"forum.field.{name}" for name in LABELLED}}


def field_name(name: str) -> Message | str:
    """A field of an event's data as a message names it: its label (장소 / place), or the key itself if it has none."""
    return Message(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def _need(data: dict, *keys: str) -> dict:
    for key in keys:
        if data.get(key) in (None, ""):
            raise ForumError("forum.missing_field", field=field_name(key))
    return data


def _date(value: str, name: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ForumError("forum.bad_date", field=field_name(name), value=value) from None


def _find(table: dict, key: str, kind: str):
    """The entry `key` of `table`, or the error that names what is missing; `kind` is the message key of its
    noun (`forum.kind.meeting`), said in the reader's language."""
    found = table.get(key)
    if found is None:
        raise ForumError("forum.no_such", kind=Message(kind), value=key)
    return found


def _fresh(table: dict, key: str) -> str:
    """`key`, unless `table` holds it already: an id is given once."""
    if key in table:
        raise ForumError("forum.exists", value=key)
    return key


def _choice(value: object, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ForumError("forum.bad_choice", field=field_name(name), value=value, allowed=", ".join(allowed))
    return value


def _log(event: Event, action_id: str, kind: str, status: str, note: str | None) -> dict:
    return {"action_id": action_id, "event_id": event.event_id, "recorded_at": event.at, "recorded_by": event.by, "kind": kind,
            "status": status, "note": note}


def _component_ref(ref: dict, cat: Catalogue) -> dict:
    series = cat.series.get(ref.get("index_id"))
    if series is None or (ref.get("component_id") and series.component(ref["component_id"]) is None):
        raise ForumError("forum.no_such", kind=Message("forum.kind.component"),
                         value=f"{ref.get('index_id')}/{ref.get('component_id')}")
    return {"index_id": ref["index_id"], "component_id": ref.get("component_id")}


def _indicator_ref(indicator_id: str, cat: Catalogue) -> str:
    _find(cat.indicators, indicator_id, "forum.kind.indicator")
    return indicator_id


# --- one handler per event type: check the event against the state, then change the state ---------------

def _forum_created(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "forum_id", "name_ko", "name_en")
    state.forums[_fresh(state.forums, d["forum_id"])] = {
        "forum_id": d["forum_id"], "name_ko": d["name_ko"], "name_en": d["name_en"], "created_at": event.at,
    }


def _meeting_scheduled(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "meeting_id", "forum_id", "date", "kind")
    _find(state.forums, d["forum_id"], "forum.kind.forum")
    _choice(d["kind"], MEETING_KINDS, "kind")
    state.meetings[_fresh(state.meetings, d["meeting_id"])] = {
        "meeting_id": d["meeting_id"], "forum_id": d["forum_id"], "date": _date(d["date"], "date"),
        "kind": d["kind"], "place": d.get("place"), "title": d.get("title"), "attendees": None, "summary": None,
        "held": False, "scheduled_at": event.at, "scheduled_by": event.by,
    }


def local_day(at: str | datetime, cat: Catalogue) -> date:
    """The calendar day of a ledger time (ISO 8601, UTC) in the catalogue's zone (Seoul): the forum's dates are Seoul dates."""
    return cat.day_of(at)


def local_today(cat: Catalogue) -> date:
    return cat.day_of(datetime.now(UTC))


def _meeting_held(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "meeting_id")
    meeting = _find(state.meetings, d["meeting_id"], "forum.kind.meeting")
    try:
        recorded = local_day(event.at, cat)
    except (TypeError, ValueError):
        raise ForumError("forum.bad_date", field="at", value=event.at) from None
    if date.fromisoformat(meeting["date"]) > recorded:  # a meeting is recorded as held on or after its day
        raise ForumError("forum.meeting_in_future", meeting=meeting["date"], recorded=recorded.isoformat())
    attendees = d.get("attendees")
    if attendees is not None and (not isinstance(attendees, int) or attendees < 0):
        raise ForumError("forum.bad_choice", field=field_name("attendees"), value=attendees, allowed=">= 0")
    meeting.update(held=True, attendees=attendees, summary=d.get("summary"))


def _agenda_proposed(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "agenda_id", "meeting_id", "title", "proposer")
    _find(state.meetings, d["meeting_id"], "forum.kind.meeting")
    agenda_id = _fresh(state.agenda, d["agenda_id"])
    state.agenda[agenda_id] = {
        "agenda_id": agenda_id, "meeting_id": d["meeting_id"], "title": d["title"], "proposer": d["proposer"],
        "description": d.get("description"),
        "weaknesses": [_component_ref(w, cat) for w in d.get("weaknesses") or []],
        "indicators": [_indicator_ref(i, cat) for i in d.get("indicators") or []],
        "decision": None, "decision_note": None, "proposed_at": event.at, "proposed_by": event.by,
        "seq": len(state.agenda) + 1,
    }


def _agenda_decided(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "agenda_id", "decision")
    item = _find(state.agenda, d["agenda_id"], "forum.kind.agenda")
    decision = _choice(d["decision"], DECISIONS, "decision")
    meeting = state.meetings[item["meeting_id"]]
    if not meeting["held"]:  # a decision is taken at a meeting: record the meeting as held first
        raise ForumError("forum.meeting_not_held", meeting=meeting["date"], value=d["agenda_id"])
    item.update(decision=decision, decision_note=d.get("note"), decided_at=event.at)


def _action_created(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "action_id", "agenda_id", "title", "office_id", "due")
    item = _find(state.agenda, d["agenda_id"], "forum.kind.agenda")
    if item["decision"] not in ("adopted", "adopted_with_changes"):
        raise ForumError("forum.not_adopted", value=d["agenda_id"])
    meeting = state.meetings[item["meeting_id"]]
    if not meeting["held"]:  # only a decision taken at a held meeting starts work
        raise ForumError("forum.meeting_not_held", meeting=meeting["date"], value=d["agenda_id"])
    _find(cat.offices, d["office_id"], "forum.kind.department")
    action_id = _fresh(state.actions, d["action_id"])
    execution = _choice(d.get("execution") or "department", EXECUTIONS, "execution")
    state.actions[action_id] = {
        "action_id": action_id, "number": len(state.actions) + 1, "agenda_id": d["agenda_id"],
        "meeting_id": item["meeting_id"], "title": d["title"], "office_id": d["office_id"],
        "due": _date(d["due"], "due"), "execution": execution, "status": "proposed",
        "linked_indicators": [_indicator_ref(i, cat) for i in d.get("linked_indicators") or item["indicators"]],
        "linked_components": [_component_ref(c, cat) for c in d.get("linked_components") or item["weaknesses"]],
        "created_at": event.at, "updated_at": event.at, "accepted_at": None, "done_at": None,
    }
    state.action_log.append(_log(event, action_id, "created", "proposed", d.get("note")))


def _action_status_changed(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "action_id", "status")
    action = _find(state.actions, d["action_id"], "forum.kind.action")
    status = _choice(d["status"], STATUSES, "status")
    if status not in TRANSITIONS[action["status"]]:
        raise ForumError("forum.bad_transition", current=action["status"], value=status,
                         allowed=", ".join(TRANSITIONS[action["status"]]))
    action.update(status=status, updated_at=event.at)
    if status == "accepted" and action["accepted_at"] is None:
        action["accepted_at"] = event.at
    if status == "done":
        action["done_at"] = event.at
    state.action_log.append(_log(event, d["action_id"], "status", status, d.get("note")))


def _action_progress_noted(state: State, event: Event, cat: Catalogue) -> None:
    d = _need(event.data, "action_id", "note")
    action = _find(state.actions, d["action_id"], "forum.kind.action")
    action["updated_at"] = event.at
    state.action_log.append(_log(event, d["action_id"], "progress", action["status"], d["note"]))


HANDLERS = {
    "forum.created": _forum_created,
    "meeting.scheduled": _meeting_scheduled,
    "meeting.held": _meeting_held,
    "agenda.proposed": _agenda_proposed,
    "agenda.decided": _agenda_decided,
    "action.created": _action_created,
    "action.status_changed": _action_status_changed,
    "action.progress_noted": _action_progress_noted,
}
EVENT_TYPES = tuple(HANDLERS)


def apply(state: State, event: Event, cat: Catalogue) -> State:
    """Apply one event to the state, checking that it makes sense; the state is changed in place.

    A handler raises before it changes anything, so a refused event leaves the state as it was.
    """
    handler = HANDLERS.get(event.type)
    if handler is None:
        raise ForumError("forum.unknown_event", value=event.type)
    handler(state, event, cat)
    return state


@dataclass(frozen=True)
class Authors:
    """Who wrote the log: the accounts, and which event files this installation sealed (or is committing).

    An event sealed here must name an account that held its role, active, when it was recorded; an event of
    the genesis (the ledger as it was when this installation's key was made) is checked against an account
    of that name if there is one; the role an event claims must always allow it.
    """

    accounts: dict[str, Account]
    sealed: set[str]
    pending: set[str] = field(default_factory=set)

    def check(self, event: Event, state: State) -> None:
        strict = event.source in self.sealed or event.source in self.pending
        if event.by in RESERVED:
            raise ForumError("forum.author_reserved", user=event.by)
        account = self.accounts.get(event.by)
        if account is None:
            if strict:
                raise ForumError("forum.author_unknown", user=event.by)
            held = {"role": event.role, "department": None, "active": True}
            if event.role == "department_editor" and event.type == "action.progress_noted":
                return  # its department is not on record for an account of another installation
        else:
            held = account.held_at(event.at)
            if held is None or not held.get("active", True) or held["role"] != event.role:
                raise ForumError("forum.author_not_allowed", user=event.by, role=event.role, at=event.at)
        as_then = Account(username=event.by, name=event.by, role=held["role"], department=held.get("department"),
                          email=None, password_hash="", disabled=False, created_at="")
        authorise(as_then, event.type, event.data, state)


def replay(events: list[Event], cat: Catalogue, authors: Authors | None = None) -> State:
    """The state from the catalogue's forums and the log, in order; the same log always gives the same state.

    With `authors` (the build), each event's author is checked too: the role it claims, held at that time."""
    state = State()
    _, forums = forums_from_catalogue(cat)
    for f in forums.values():
        state.forums[f.id] = {"forum_id": f.id, "name_ko": f.name_ko, "name_en": f.name_en, "created_at": None}
    for event in events:
        try:
            if authors is not None:
                authors.check(event, state)
            apply(state, event, cat)
        except ForumError as exc:
            raise ForumError("forum.bad_event_file", file=event.source or event.event_id, detail=exc) from exc
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


def check_text(data: dict, limit: int) -> None:
    """Every text a person typed into a new event (a title, a place, a note, a summary, an id, a reference): at most
    `limit` characters (the catalogue's `forum.max_text_chars`), and no character that would act instead of show
    (messages.visible: a terminal's escape, a bidirectional override, a zero-width character) other than a line break
    or a tab. The log is kept for good, so what it takes is bounded before it is written; a new event only
    (writes.record_event): the log's past events replay as they were written."""
    todo = list(data.items())
    while todo:
        name, value = todo.pop()
        if isinstance(value, dict):
            todo += [(name, v) for v in value.values()]
        elif isinstance(value, list | tuple):
            todo += [(name, v) for v in value]
        elif isinstance(value, str):
            if len(value) > limit:
                raise ForumError("forum.text_too_long", field=field_name(name), limit=limit, length=len(value))
            if (acting := first_acting(value, keep=TYPED_BREAKS)) is not None:
                raise ForumError("forum.text_acting", field=field_name(name), char=visible(acting))


def new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def meeting_id(forum_id: str, day: str, kind: str) -> str:
    """A meeting's id: the forum and the date, marked when the meeting is not a regular one."""
    return f"{forum_id}-{day}" + ("" if kind == "regular" else "-adhoc")


def next_meeting(cat: Catalogue, state: State, forum_id: str | None = None, today: date | None = None) -> dict:
    """The next meeting: one already scheduled on or after today (Seoul's date, not the server's), else the date the
    forum's rule gives."""
    today = today or local_today(cat)
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
    """The forum as warehouse tables (see warehouse.sql), as pandas (loads it: the build writes `table_records`)."""
    import pandas as pd  # only for a caller that wants frames (issue 13: the build loads no pandas)

    return {name: pd.DataFrame(t.records, columns=t.columns) for name, t in table_records(state, events).items()}


def table_records(state: State, events: list[Event]) -> dict[str, Table]:
    """The forum as warehouse tables (see warehouse.sql), made in Python (schemas.Table)."""
    def frame(rows, columns):
        return Table(columns, rows)

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
