"""The forum log: rules, permissions, replay, next meeting, exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from pipelines import build, catalogue
from pipelines.accounts import Account
from pipelines.build import forum, writes
from pipelines.cli import main
from pipelines.errors import CityIdxError, ForumError
from pipelines.ledger.forum import Event, forum_root, read_events
from pipelines.reports import brief, render
from pipelines.reports.forum import agenda_packet_html, progress_table
from pipelines.sql import parts
from tests.warehouse_files import warehouse_bytes, written_once


def _account(role: str, department: str | None = None, name: str = "park") -> Account:
    return Account(username=name, name=name, role=role, department=department, email=None, password_hash="",
                   disabled=False, created_at="")


ORGANIZER = _account("forum_organizer")


_WORLD: dict[str, Path] = {}  # this test process's first written world (fixture copy and warehouse), copied for the others


@pytest.fixture
def world(mini: Path, mini_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """A meeting with an adopted agenda item and one action item owned by the tourism bureau.

    Written through the library once per test process (five sealed events, each rebuilding the forum part), then
    copied: the fixture's folder (ledger and seal key) and the warehouse name no absolute path."""
    written_once(_WORLD, mini, mini_warehouse, tmp_path_factory, lambda: _write_world(mini, mini_warehouse))
    cat = catalogue.load(mini)
    rec = lambda t, d, who=ORGANIZER: writes.record_event(cat, who, t, d, warehouse_path=mini_warehouse)  # noqa: E731
    return cat, rec, mini_warehouse


def _write_world(mini: Path, mini_warehouse: Path) -> None:
    cat = catalogue.load(mini)
    rec = lambda t, d, who=ORGANIZER: writes.record_event(cat, who, t, d, warehouse_path=mini_warehouse)  # noqa: E731
    rec("meeting.scheduled", {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-09-09", "kind": "regular"})
    rec("agenda.proposed", {"agenda_id": "a1", "meeting_id": "m1", "title": "외래관광객 유치", "proposer": "서울연구원",
                            "weaknesses": [{"index_id": "mori_gpci", "component_id": "livability"}],
                            "indicators": ["foreign_tourists"]})
    rec("meeting.held", {"meeting_id": "m1", "attendees": 20})
    rec("agenda.decided", {"agenda_id": "a1", "decision": "adopted"})
    rec("action.created", {"action_id": "t1", "agenda_id": "a1", "title": "=HYPERLINK(\"x\")", "office_id": "tourism_sports",
                           "due": "2027-06-30", "execution": "task_force"})


def _status(path: Path, action_id: str) -> str:
    con = parts.connect_read_only(path)
    try:
        return con.execute("select status from action_items where action_id = ?", [action_id]).fetchone()[0]
    finally:
        con.close()


def test_an_action_moves_through_its_statuses(world):
    cat, rec, path = world
    assert _status(path, "t1") == "proposed"
    for status in ("accepted", "in_progress", "done"):
        rec("action.status_changed", {"action_id": "t1", "status": status})
        assert _status(path, "t1") == status
    with pytest.raises(ForumError, match="cannot move from 'done' to 'accepted'"):
        rec("action.status_changed", {"action_id": "t1", "status": "accepted"})


def test_action_items_view_links_what_it_should_move(world):
    _, _, path = world
    con = parts.connect_read_only(path)
    row = con.execute("select office_id, due, linked_indicators, linked_components, execution from action_items").fetchone()
    con.close()
    assert row == ("tourism_sports", date(2027, 6, 30), ["foreign_tourists"], ["mori_gpci/livability"], "task_force")


def test_only_adopted_items_get_action_items(world):
    cat, rec, _ = world
    rec("agenda.proposed", {"agenda_id": "a2", "meeting_id": "m1", "title": "보류 안건", "proposer": "x"})
    rec("agenda.decided", {"agenda_id": "a2", "decision": "deferred"})
    with pytest.raises(ForumError, match="was not adopted"):
        rec("action.created", {"action_id": "t2", "agenda_id": "a2", "title": "x", "office_id": "tourism_sports",
                               "due": "2027-01-01"})


def test_decisions_and_action_items_wait_for_a_held_meeting(world):
    cat, rec, path = world
    rec("meeting.scheduled", {"meeting_id": "m2", "forum_id": "competitiveness_forum", "date": "2026-10-14", "kind": "regular"})
    rec("agenda.proposed", {"agenda_id": "a3", "meeting_id": "m2", "title": "다음 회의 안건", "proposer": "x"})
    before = parts.connect_read_only(path)
    decided_before = before.execute("select decision from agenda_item where agenda_id = 'a3'").fetchone()
    before.close()
    assert decided_before == (None,), "an item starts undecided"
    with pytest.raises(ForumError, match="not recorded as held"):
        rec("agenda.decided", {"agenda_id": "a3", "decision": "adopted"})
    with pytest.raises(ForumError, match="was not adopted"):
        rec("action.created", {"action_id": "t3", "agenda_id": "a3", "title": "x", "office_id": "tourism_sports",
                               "due": "2027-06-30"})
    # Replaying a log written by hand with an action at an unheld meeting fails the build: the rule is the log's.
    state = forum.replay([], cat)
    state.meetings["m9"] = {"meeting_id": "m9", "date": "2026-10-14", "held": False}
    state.agenda["a9"] = {"agenda_id": "a9", "meeting_id": "m9", "decision": "adopted", "indicators": [], "weaknesses": []}
    event = Event(event_id="e1", type="action.created", at="2027-03-01T00:00:00+00:00", by="park", role="forum_organizer",
                  data={"action_id": "t9", "agenda_id": "a9", "title": "x", "office_id": "tourism_sports", "due": "2027-06-30"})
    with pytest.raises(ForumError, match="not recorded as held"):
        forum.apply(state, event, cat)
    rec("meeting.held", {"meeting_id": "m2"})
    rec("agenda.decided", {"agenda_id": "a3", "decision": "adopted"})
    rec("action.created", {"action_id": "t3", "agenda_id": "a3", "title": "x", "office_id": "tourism_sports", "due": "2027-06-30"})
    assert _status(path, "t3") == "proposed"


def test_a_quarters_brief_shows_only_what_was_recorded_by_its_end(world):
    cat, rec, path = world
    rec("action.status_changed", {"action_id": "t1", "status": "accepted", "note": "착수"})
    today = date.today()
    this_quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    last_year = f"{today.year - 1}-Q{(today.month - 1) // 3 + 1}"
    con = parts.connect_read_only(path)
    try:
        now = brief.brief_html(con, cat, this_quarter, "en")
        before = brief.brief_html(con, cat, last_year, "en")
    finally:
        con.close()
    actions_now = now[now.index("4. "):]
    assert "착수" in actions_now and "<td>accepted</td>" in actions_now
    actions_before = before[before.index("4. "):]
    assert "HYPERLINK" not in actions_before and "착수" not in actions_before, "a later event leaked into an earlier brief"


def test_a_department_editor_notes_progress_only_on_its_own_items(world):
    cat, rec, path = world
    own = _account("department_editor", "tourism_sports", "kim")
    other = _account("department_editor", "economic_policy_office", "lee")
    rec("action.progress_noted", {"action_id": "t1", "note": "1차 TF 회의"}, own)
    with pytest.raises(ForumError, match="may not do this"):
        rec("action.progress_noted", {"action_id": "t1", "note": "남의 과제"}, other)
    with pytest.raises(ForumError, match="may not do this"):
        rec("action.status_changed", {"action_id": "t1", "status": "accepted"}, own)
    with pytest.raises(ForumError, match="may not do this"):
        rec("meeting.scheduled", {"meeting_id": "m9", "forum_id": "competitiveness_forum", "date": "2026-10-14",
                                  "kind": "regular"}, _account("analyst", name="ana"))
    con = parts.connect_read_only(path)
    notes = con.execute("select recorded_by, note from action_log where kind = 'progress'").fetchall()
    con.close()
    assert notes == [("kim", "1차 TF 회의")]


def test_a_refused_event_writes_nothing(world):
    cat, rec, path = world
    before = sorted(p.name for p in forum_root(cat).iterdir())
    warehouse_before = warehouse_bytes(path)
    with pytest.raises(ForumError):
        rec("action.status_changed", {"action_id": "t1", "status": "done"})  # proposed -> done is not allowed
    assert sorted(p.name for p in forum_root(cat).iterdir()) == before
    assert warehouse_bytes(path) == warehouse_before


def test_the_log_replays_to_the_same_state(world, tmp_path: Path):
    cat, rec, path = world
    rec("action.status_changed", {"action_id": "t1", "status": "accepted"})
    rec("action.progress_noted", {"action_id": "t1", "note": "진행"})
    events = read_events(cat)
    assert len(events) == 7 and all(e.source.startswith("data/raw/forum/") for e in events)
    first = forum.tables(forum.replay(events, cat), events)
    second = forum.tables(forum.replay(read_events(cat), cat), read_events(cat))
    for name in first:
        assert first[name].equals(second[name]), name
    rebuilt = tmp_path / "rebuilt.duckdb"
    build.build(cat, rebuilt)
    query = "select * from action_items order by action_id"
    a, b = (parts.connect_read_only(p) for p in (path, rebuilt))
    assert a.execute(query).fetchall() == b.execute(query).fetchall()
    a.close(), b.close()


def test_events_are_files_never_rewritten(world):
    cat, rec, _ = world
    files = {p.name: p.read_bytes() for p in forum_root(cat).iterdir()}
    rec("action.progress_noted", {"action_id": "t1", "note": "추가"})
    after = {p.name: p.read_bytes() for p in forum_root(cat).iterdir()}
    assert len(after) == len(files) + 1
    assert all(after[name] == data for name, data in files.items())


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 11, 24), date(2026, 12, 9)),  # second Wednesday of December 2026
    (date(2026, 12, 10), date(2027, 3, 10)),
    (date(2027, 6, 9), date(2027, 6, 9)),
])
def test_the_next_regular_meeting_follows_the_rule(today, expected):
    cat = catalogue.load()  # the project catalogue: 3, 6, 9, 12, second Wednesday
    nxt = forum.next_meeting(cat, forum.State(), today=today)
    assert nxt["date"] == expected.isoformat() and nxt["scheduled"] is False


def test_the_next_meeting_counts_from_seouls_date_not_the_servers(monkeypatch):
    """9 Dec 2026, 16:00 UTC is already 10 Dec, 01:00 in Seoul: the meeting of the 9th is over, the next is in March
    (a UTC server's date.today() said the 9th)."""
    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 9, 16, 0, tzinfo=UTC).astimezone(tz) if tz else datetime(2026, 12, 9, 16, 0)

    monkeypatch.setattr(forum, "datetime", Clock)
    cat = catalogue.load()
    assert forum.next_meeting(cat, forum.State())["date"] == "2027-03-10"
    assert forum.next_meeting(cat.model_copy(update={"timezone": "UTC"}), forum.State())["date"] == "2026-12-09"


def test_a_scheduled_meeting_is_the_next_one(world):
    cat, _, _ = world
    state = forum.replay(read_events(cat), cat)
    nxt = forum.next_meeting(cat, state, today=date(2026, 8, 24))
    assert nxt["meeting_id"] == "m1" and nxt["scheduled"] is True


def test_exports_neutralise_formulas(world):
    cat, _, path = world
    con = parts.connect_read_only(path)
    table = progress_table(con, "ko")
    packet = agenda_packet_html(con, cat, "m1", "ko")
    con.close()
    rows = list(csv.reader(io.StringIO(render.csv_bytes(table).decode("utf-8-sig"))))
    assert rows[0][:4] == ["번호", "회의일", "안건", "과제"]
    assert rows[1][3] == "'=HYPERLINK(\"x\")"
    sheet = load_workbook(io.BytesIO(render.xlsx_bytes({"p": table}))).active
    assert sheet["D2"].value == "'=HYPERLINK(\"x\")" and sheet["D2"].data_type == "s"
    assert "<svg" in packet and "외래관광객 유치" in packet and "=HYPERLINK(&quot;x&quot;)" in packet


def test_cli_forum_round_trip(mini: Path, mini_warehouse: Path, tmp_path: Path):
    runner = CliRunner()
    cat_args = ["--catalogue", str(mini)]
    r = runner.invoke(main, ["forum", "meeting", "add", *cat_args, "--date", "2026-09-09", "--as", "park"])
    assert r.exit_code == 0, r.output
    meeting_id = "competitiveness_forum-2026-09-09"
    r = runner.invoke(main, ["forum", "agenda", "add", *cat_args, "--meeting", meeting_id, "--title", "관광",
                             "--proposer", "서울연구원", "--indicator", "foreign_tourists"])
    assert r.exit_code == 0, r.output
    agenda_id = r.output.split()[1]
    early = runner.invoke(main, ["forum", "agenda", "decide", *cat_args, agenda_id, "--decision", "adopted"])
    assert early.exit_code == 1 and "not recorded as held" in early.output
    assert runner.invoke(main, ["forum", "meeting", "held", *cat_args, meeting_id, "--attendees", "20"]).exit_code == 0
    assert runner.invoke(main, ["forum", "agenda", "decide", *cat_args, agenda_id, "--decision", "adopted"]).exit_code == 0
    r = runner.invoke(main, ["forum", "action", "add", *cat_args, "--agenda", agenda_id, "--title", "TF",
                             "--owner", "tourism_sports", "--due", "2027-06-30"])
    assert r.exit_code == 0, r.output
    action_id = r.output.split()[1]
    bad = runner.invoke(main, ["forum", "action", "status", *cat_args, action_id, "done"])
    assert bad.exit_code == 1 and "cannot move" in bad.output
    assert runner.invoke(main, ["forum", "action", "status", *cat_args, action_id, "accepted"]).exit_code == 0
    out = tmp_path / "progress.xlsx"
    assert runner.invoke(main, ["forum", "export", *cat_args, "--progress", str(out)]).exit_code == 0
    assert load_workbook(out).active["H2"].value == "수용"
    packet = tmp_path / "packet.html"
    assert runner.invoke(main, ["forum", "export", *cat_args, "--agenda-packet", meeting_id, str(packet)]).exit_code == 0
    assert "관광" in packet.read_text(encoding="utf-8")


def test_the_progress_export_names_what_it_links_and_computes_overdue(world):
    """Issue 12: names (not ids) in the chosen language, the overdue flag against the Seoul date, the update time
    in KST, ids only as the CSV's last columns, an autofilter and a frozen header in xlsx."""
    cat, rec, path = world
    rec("action.created", {"action_id": "t2", "agenda_id": "a1", "title": "관광 TF", "office_id": "tourism_sports",
                           "due": "2027-06-30", "execution": "task_force", "linked_indicators": ["foreign_tourists"],
                           "linked_components": [{"index_id": "mori_gpci", "component_id": "livability"},
                                                 {"index_id": "mori_gpci", "component_id": None}]})
    con = parts.connect_read_only(path)
    try:
        before = progress_table(con, "ko", today=date(2027, 6, 30))
        after = progress_table(con, "ko", today=date(2027, 7, 3))
        english = progress_table(con, "en", today=date(2027, 7, 3))
        machine = progress_table(con, "ko", date(2027, 7, 3), True)
        updated = con.execute("select updated_at from action_items where action_id = 't2'").fetchone()[0]
    finally:
        con.close()
    row = after[after["과제"] == "관광 TF"].iloc[0]
    assert row["관련 지표"] == "서울 방문 외래관광객 수"
    assert row["관련 평가 부문"] == "GPCI · 거주, GPCI"
    assert "foreign_tourists" not in after.to_csv() and "mori_gpci/" not in after.to_csv()
    assert row["기한 경과"] == "예 (3일 경과)"
    assert set(before["기한 경과"]) == {"아니오"}  # due today is not overdue yet; never blank
    erow = english[english["Action item"] == "관광 TF"].iloc[0]
    assert erow["Indicators"] == "International tourists visiting Seoul" and erow["Overdue"] == "yes (3 days)"
    assert erow["Components"] == "GPCI · Livability, GPCI"
    # the update time is the ledger's UTC time shown in Seoul time, and the header says so
    assert row["갱신 시각 (KST)"] == render.local_time(updated, "Asia/Seoul")
    utc = pd.Timestamp(updated)
    assert row["갱신 시각 (KST)"] == (utc.tz_convert("Asia/Seoul") if utc.tzinfo else utc.tz_localize("UTC").tz_convert("Asia/Seoul")).strftime("%Y-%m-%d %H:%M")
    mrow = machine[machine["과제"] == "관광 TF"].iloc[0]
    assert list(machine.columns[-2:]) == ["관련 지표 코드", "관련 평가 부문 코드"]
    assert mrow["관련 지표 코드"] == "foreign_tourists" and mrow["관련 평가 부문 코드"] == "mori_gpci/livability, mori_gpci/*"
    sheet = load_workbook(io.BytesIO(render.xlsx_bytes({"p": after}))).active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(row=1, column=after.shape[1]).column_letter}{len(after) + 1}"


def test_local_time_reads_the_ledger_as_utc():
    assert render.local_time("2026-11-27T23:30:00+00:00", "Asia/Seoul") == "2026-11-28 08:30"
    assert render.local_time("2026-11-27T23:30:00", "Asia/Seoul") == "2026-11-28 08:30"  # no offset: UTC
    assert render.local_time(None, "Asia/Seoul") == "" and render.local_time(float("nan"), "Asia/Seoul") == ""
    from datetime import datetime, timezone
    assert render.local_today("Asia/Seoul", datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)) == date(2026, 11, 28)


def _held_at(at: str, day: str = "2026-09-09") -> list[Event]:
    """A meeting on `day` and a `meeting.held` event recorded at `at` (UTC)."""
    return [Event(event_id="e1", type="meeting.scheduled", at="2026-08-01T00:00:00+00:00", by="park", role="forum_organizer",
                  data={"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": day, "kind": "regular"}),
            Event(event_id="e2", type="meeting.held", at=at, by="park", role="forum_organizer",
                  data={"meeting_id": "m1", "attendees": 3}, source="data/raw/forum/x__meeting_held__park.json")]


def test_a_meeting_is_held_from_its_seoul_day_on(mini: Path):
    """Issue 12: a meeting dated in the future cannot be recorded as held; the day is Seoul's (UTC+9), not UTC's."""
    cat = catalogue.load(mini)
    assert forum.replay(_held_at("2026-09-08T15:00:00+00:00"), cat).meetings["m1"]["held"]  # 09-09 00:00 KST
    with pytest.raises(ForumError) as caught:
        forum.replay(_held_at("2026-09-08T14:59:59+00:00"), cat)  # 09-08 23:59 KST: the day before
    text = caught.value.text("en")
    assert "x__meeting_held__park.json" in text and "had not taken place" in text and "2026-09-08" in text
    assert "아직 열리지 않았으므로" in caught.value.text("ko")


def test_cli_refuses_to_record_a_future_meeting_as_held(mini: Path, mini_warehouse: Path):
    runner = CliRunner()
    cat_args = ["--catalogue", str(mini)]
    day = (date.today() + timedelta(days=400)).isoformat()
    assert runner.invoke(main, ["forum", "meeting", "add", *cat_args, "--date", day, "--as", "park"]).exit_code == 0
    before = warehouse_bytes(mini_warehouse)
    ledger = sorted(forum_root(catalogue.load(mini)).glob("*.json"))
    r = runner.invoke(main, ["forum", "meeting", "held", *cat_args, f"competitiveness_forum-{day}", "--as", "park"])
    assert r.exit_code == 1 and "had not taken place" in r.output and "아직 열리지 않았으므로" in r.output, r.output
    assert "Traceback" not in r.output
    assert sorted(forum_root(catalogue.load(mini)).glob("*.json")) == ledger, "nothing appended"
    assert warehouse_bytes(mini_warehouse) == before


def test_a_sealed_held_event_dated_before_its_meeting_fails_the_build(mini: Path, mini_warehouse: Path, monkeypatch,
                                                                      tmp_path: Path):
    """A `meeting.held` for a future meeting that reached the sealed ledger without the rule (a hand-made or an old
    writer's entry): replaying the ledger refuses it, naming the file, and the warehouse stays as it was."""
    cat = catalogue.load(mini)
    day = (date.today() + timedelta(days=400)).isoformat()
    writes.record_event(cat, ORGANIZER, "meeting.scheduled", {"meeting_id": "m1", "forum_id": "competitiveness_forum",
                                                              "date": day, "kind": "regular"}, warehouse_path=mini_warehouse)
    lenient = lambda state, event, cat: state.meetings[event.data["meeting_id"]].update(held=True)  # noqa: E731
    with monkeypatch.context() as m:
        m.setitem(forum.HANDLERS, "meeting.held", lenient)
        writes.record_event(cat, ORGANIZER, "meeting.held", {"meeting_id": "m1"}, warehouse_path=mini_warehouse)
    forged = sorted(forum_root(cat).glob("*__meeting_held__*.json"))
    assert len(forged) == 1
    before = warehouse_bytes(mini_warehouse)
    with pytest.raises(CityIdxError) as caught:
        build.build(cat, mini_warehouse)
    assert forged[0].name in caught.value.text("en") and "had not taken place" in caught.value.text("en")
    assert warehouse_bytes(mini_warehouse) == before
    r = CliRunner().invoke(main, ["check", "--catalogue", str(mini)])
    assert r.exit_code == 1 and forged[0].name in r.output and "아직 열리지 않았으므로" in r.output, r.output


@pytest.mark.parametrize("machine_zone", ["Etc/GMT+12", "Etc/GMT-14"])
def test_overdue_and_the_signals_day_are_the_catalogues_whatever_the_machines_zone(world, machine_zone: str):
    """An action due yesterday in Seoul is overdue, one due today in Seoul is not, and the signals age editions to
    Seoul's today, on a server whose own date is another day (Etc/GMT+12 is 21 hours behind Seoul, Etc/GMT-14 five
    hours ahead: at any hour one of them is on another date than Seoul)."""
    cat, rec, path = world
    seoul = render.local_today(cat.timezone)
    for action_id, due in (("late", seoul - timedelta(days=1)), ("on_time", seoul)):
        rec("action.created", {"action_id": action_id, "agenda_id": "a1", "title": action_id, "office_id": "tourism_sports",
                               "due": due.isoformat(), "execution": "task_force"})
    con = parts.connect_read_only(path)
    try:
        con.execute(f"set TimeZone = '{machine_zone}'")
        machine_day = con.execute("select current_date").fetchone()[0]
        overdue = dict(con.execute("select action_id, overdue from action_items").fetchall())
        zone_day, signal_day = con.execute("select zone_today(), signal_today()").fetchone()
    finally:
        con.close()
    assert machine_day == datetime.now(ZoneInfo(machine_zone)).date()  # DuckDB's own date follows the machine's zone
    assert overdue["late"] is True and overdue["on_time"] is False
    assert zone_day == seoul
    assert signal_day == (cat.analysis.signals.as_of or seoul)  # the mini catalogue fixes its signals' day
