"""The Forum page through AppTest: an organizer builds an agenda and moves an action item to done;
department editors may note progress on their own items only. Every step is checked in the warehouse
and in the ledger (data/raw/forum/ of the test's own copy of the mini fixture)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import svg_charts as svg_charts_module
from dashboard.text import MESSAGES, t
from pipelines import accounts, catalogue
from pipelines.build import forum, writes
from pipelines.errors import CityIdxError
from pipelines.reports import render
from pipelines.sql import parts
from tests.page_reading import marks, run_on, svg_charts

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
PAGE = "views/forum.py"
PASSWORD = "a long password 123"
MEETING_DAY = date(2026, 9, 9)
HANGUL = re.compile(r"[\uac00-\ud7a3]")
ENGLISH_LABELS = {
    m["en"] for k, m in MESSAGES.items()
    if k.startswith(("ui.", "action.", "decision.", "meeting.", "col.")) and m["en"] != m["ko"] and isinstance(m["en"], str) and "{" not in m["en"]
}


@pytest.fixture
def forum_env(mini, mini_warehouse, tmp_path, monkeypatch) -> dict:
    """The mini catalogue and warehouse, with an organizer and two department editors in a temporary account file."""
    path = tmp_path / "accounts.json"
    monkeypatch.setenv("CITYIDX_ACCOUNTS", str(path))
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    cat = catalogue.load(mini)
    accounts.add_account(cat, "park", PASSWORD, "forum_organizer", path=path)
    accounts.add_account(cat, "kim", PASSWORD, "department_editor", department="tourism_sports", path=path)
    accounts.add_account(cat, "lee", PASSWORD, "department_editor", department="economic_policy_office", path=path)
    return {"cat": cat, "warehouse": mini_warehouse, "ledger": mini.parent / "data" / "raw" / "forum"}


def open_forum(lang: str = "ko", user: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    if user:
        at.session_state["account"] = user
    run_on(at, PAGE)
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def query(path: Path, sql: str) -> pd.DataFrame:
    con = parts.connect_read_only(path)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def ledger_types(folder: Path) -> list[str]:
    files = sorted(folder.glob("*.json"))
    return [json.loads(f.read_text(encoding="utf-8"))["type"] for f in files]


def texts(at: AppTest) -> str:
    out = [e.value for e in (*at.title, *at.subheader, *at.markdown, *at.caption, *at.info, *at.success)]
    return "\n".join(re.sub(r"\\(.)", r"\1", s) for s in out)


def chosen(at: AppTest, key: str):
    """The value of a current_select box (its widget key is `key__<digest of its labels>`)."""
    boxes = [s for s in at.selectbox if s.key and s.key.startswith(key + "__")]
    assert len(boxes) == 1, [s.key for s in at.selectbox]
    return boxes[0].value


def keys(at: AppTest, prefix: str) -> list[str]:
    return [b.key for b in at.button if b.key and b.key.startswith(prefix)]


def status_of(env: dict, action_id: str) -> str:
    return query(env["warehouse"], f"select status from action_items where action_id = '{action_id}'")["status"].iloc[0]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_forum_page_reads_without_an_account(forum_env, lang):
    at = open_forum(lang)
    assert at.title[0].value == t("ui.forum.page", lang) or at.title[0].value in ("도시경쟁력 포럼", "City Competitiveness Forum")
    body = texts(at)
    assert t("ui.forum.read_only", lang) in body
    # Mini GPCI 2025: livability and economy are weaknesses, both suggested, with their reasons.
    reason = {"ko": "구성요소 순위 25위가 종합 순위 6위보다 19계단 낮음", "en": "component rank 25 is 19 places below the overall rank 6"}
    assert reason[lang] in body
    assert not keys(at, "suggest_") and not keys(at, "schedule_submit"), "no writing controls without an account"
    shown = [e.value for e in (*at.title, *at.subheader)] + [w.label for w in at.selectbox]
    if lang == "ko":
        assert not set(shown) & ENGLISH_LABELS
        assert all(HANGUL.search(s) for s in shown)
    assert not forum_env["ledger"].exists()


def test_organizer_builds_an_agenda_and_moves_an_action_item_to_done(forum_env):
    env = forum_env
    at = open_forum("ko", "park")
    assert t("ui.forum.not_scheduled", "ko") in texts(at)

    # 1. Schedule the next meeting (the mini catalogue's forum has no regular rule: the date is chosen).
    at.date_input(key="schedule_date").set_value(MEETING_DAY)
    at.button(key="schedule_submit").click().run()
    ok(at)
    meetings = query(env["warehouse"], "select meeting_id, cast(date as varchar) as date, kind from meeting")
    assert meetings.to_dict("records") == [
        {"meeting_id": "competitiveness_forum-2026-09-09", "date": "2026-09-09", "kind": "regular"}]
    assert t("ui.forum.done_scheduled", "ko", date="2026-09-09") in texts(at)
    assert chosen(at, "forum_meeting") == "competitiveness_forum-2026-09-09"

    # 2. One click adds the suggested weakness as an agenda item, title and links prefilled.
    at.button(key="suggest_mori_gpci_livability").click().run()
    ok(at)
    agenda = query(env["warehouse"], "select * from forum_agenda")
    assert len(agenda) == 1
    item = agenda.iloc[0]
    assert item["title"] == "GPCI 거주 개선: 구성요소 순위 25위가 종합 순위 6위보다 19계단 낮음"
    assert list(item["linked_components"]) == ["mori_gpci/livability"]
    assert list(item["linked_indicators"]) == ["foreign_tourists"]
    aid = item["agenda_id"]
    assert "suggest_mori_gpci_livability" not in keys(at, "suggest_"), "an item on the agenda is no longer suggested"

    # 3. No decision before the meeting is recorded as held; then the box starts undecided.
    assert not keys(at, f"decide_submit_{aid}") and t("ui.forum.hold_first", "ko") in texts(at)
    at.number_input(key="held_attendees").set_value(24)
    at.button(key="held_submit").click().run()
    ok(at)
    assert query(env["warehouse"], "select held from meeting")["held"].tolist() == [True]
    for key in ("forum_meeting", "packet_meeting"):  # every drop-down naming the meeting says it was held
        box = next(b for b in at.selectbox if b.key and b.key.startswith(key + "__"))
        assert f"({t('ui.forum.held', 'ko')})" in box.options[0], box.options
    assert at.selectbox(key=f"decision_{aid}_none").value is None
    at.button(key=f"decide_submit_{aid}").click().run()  # nothing chosen: a warning, nothing written
    assert query(env["warehouse"], "select decision from agenda_item")["decision"].isna().all()
    assert [w.value for w in at.warning] == [t("ui.forum.choose_decision", "ko")]
    at.selectbox(key=f"decision_{aid}_none").set_value("adopted")
    at.button(key=f"decide_submit_{aid}").click().run()
    ok(at)
    assert query(env["warehouse"], "select decision from agenda_item")["decision"].iloc[0] == "adopted"
    assert at.selectbox(key=f"decision_{aid}_adopted").value == "adopted", "the box shows the recorded decision"

    # 4. An action item from the adopted item: owner and indicators default to the weakness's lineage.
    assert at.selectbox(key=f"action_owner_{aid}").value == "tourism_sports"
    assert at.multiselect(key=f"action_indicators_{aid}").value == ["foreign_tourists"]
    at.text_input(key=f"action_title_{aid}").input("외래관광객 유치 확대")
    at.date_input(key=f"action_due_{aid}").set_value(date(2027, 6, 30))
    at.selectbox(key=f"action_execution_{aid}").set_value("task_force")
    at.button(key=f"action_submit_{aid}").click().run()
    ok(at)
    actions = query(env["warehouse"], "select * from action_items")
    assert len(actions) == 1
    action = actions.iloc[0]
    assert action["title"] == "외래관광객 유치 확대" and action["office_id"] == "tourism_sports"
    assert str(action["due"])[:10] == "2027-06-30" and action["execution"] == "task_force"
    assert list(action["linked_indicators"]) == ["foreign_tourists"] and action["status"] == "proposed"
    action_id = action["action_id"]
    assert chosen(at, "forum_action") == action_id

    # 5. Through its statuses, only by the transitions the forum allows.
    assert sorted(keys(at, f"move_{action_id}_")) == sorted(f"move_{action_id}_{s}" for s in forum.TRANSITIONS["proposed"])
    for status in ("accepted", "in_progress", "done"):
        at.button(key=f"move_{action_id}_{status}").click().run()
        ok(at)
        assert status_of(env, action_id) == status
        assert sorted(keys(at, f"move_{action_id}_")) == sorted(f"move_{action_id}_{s}" for s in forum.TRANSITIONS[status])
    assert query(env["warehouse"], f"select accepted_at from action_items where action_id = '{action_id}'")["accepted_at"].notna().all()

    # The ledger got every event, recorded as park.
    assert ledger_types(env["ledger"]) == [
        "meeting.scheduled", "agenda.proposed", "meeting.held", "agenda.decided", "action.created",
        "action.status_changed", "action.status_changed", "action.status_changed",
    ]
    assert {json.loads(f.read_text(encoding="utf-8"))["by"] for f in env["ledger"].glob("*.json")} == {"park"}
    log = query(env["warehouse"], "select kind, status from action_log order by recorded_at")
    assert log.values.tolist() == [["created", "proposed"], ["status", "accepted"], ["status", "in_progress"], ["status", "done"]]

    # The board shows the item under done; the trend chart (SVG, no Plotly) marks the acceptance.
    assert "around_foreign_tourists" in svg_charts(at) and not at.get("plotly_chart")
    assert len(at.get("download_button")) == 3


def test_a_refused_change_shows_the_reason_in_the_page_language(forum_env):
    at = open_forum("en", "park")
    at.date_input(key="schedule_date").set_value(MEETING_DAY)
    at.button(key="schedule_submit").click().run()
    ok(at)
    # The same meeting again: the log refuses it and nothing is written.
    at.date_input(key="schedule_date").set_value(MEETING_DAY)
    at.button(key="schedule_submit").click().run()
    assert not at.exception
    shown = [re.sub(r"\\(.)", r"\1", e.value) for e in at.error]  # errors are escaped Markdown
    assert shown == [t("forum.exists", "en", value="competitiveness_forum-2026-09-09")]
    assert len(list(forum_env["ledger"].glob("*.json"))) == 1


def _one_action(env: dict, owner: str) -> str:
    """An adopted agenda item with one action item owned by `owner`, recorded through the library as an organizer."""
    cat, path = env["cat"], env["warehouse"]
    park = accounts.load_accounts()["park"]
    meeting = f"competitiveness_forum-{MEETING_DAY.isoformat()}"
    writes.record_event(cat, park, "meeting.scheduled", {"meeting_id": meeting, "forum_id": "competitiveness_forum",
                                                 "date": MEETING_DAY.isoformat(), "kind": "regular"}, warehouse_path=path)
    writes.record_event(cat, park, "agenda.proposed", {"agenda_id": "a-test", "meeting_id": meeting, "title": "경제 부문",
                                               "proposer": "서울연구원"}, warehouse_path=path)
    writes.record_event(cat, park, "meeting.held", {"meeting_id": meeting}, warehouse_path=path)
    writes.record_event(cat, park, "agenda.decided", {"agenda_id": "a-test", "decision": "adopted"}, warehouse_path=path)
    writes.record_event(cat, park, "action.created", {"action_id": "t-test", "agenda_id": "a-test", "title": "고용 개선",
                                              "office_id": owner, "due": "2027-06-30"}, warehouse_path=path)
    return "t-test"


def test_an_open_action_items_trend_is_svg_made_once(forum_env, monkeypatch):
    """An accepted item linked to two indicators: each indicator's values as an SVG drawing (one for a wide screen at
    half width, two to a row, one for a phone), the acceptance marked, and no Plotly chart on the page (no bundle for
    the browser to load). The drawings are made once per warehouse version, item and language: a rerun replays them."""
    cat, path = forum_env["cat"], forum_env["warehouse"]
    action_id = _one_action(forum_env, "tourism_sports")
    park = accounts.load_accounts()["park"]
    writes.record_event(cat, park, "action.created", {
        "action_id": "t-open", "agenda_id": "a-test", "title": "관광·고용", "office_id": "tourism_sports",
        "due": "2027-06-30", "linked_indicators": ["foreign_tourists", "unemployment_rate"]}, warehouse_path=path)
    writes.record_event(cat, park, "action.status_changed", {"action_id": "t-open", "status": "accepted"},
                        warehouse_path=path)
    made = []
    draw = svg_charts_module.action_trend_svg
    monkeypatch.setattr(svg_charts_module, "action_trend_svg", lambda *a, **kw: made.append(kw["width"]) or draw(*a, **kw))
    at = open_forum("ko")
    assert chosen(at, "forum_action") == "t-open" != action_id  # the newest item
    assert not at.get("plotly_chart"), "no Plotly chart: the trend is SVG"
    drawn = [ET.fromstring(e.value)[0] for e in at.markdown if e.value.startswith("<div><svg")]
    assert sorted(c.get("data-chart") for c in drawn) == ["around_foreign_tourists"] * 2 + ["around_unemployment_rate"] * 2
    assert sorted(made) == [svg_charts_module.PHONE_WIDTH] * 2 + [svg_charts_module.HALF_WIDTH] * 2
    since = query(path, "select accepted_at from action_items where action_id = 't-open'")["accepted_at"].iloc[0]
    marker = t("ui.forum.accepted_on", "ko", date=render.local_time(since, cat.timezone)[:10])
    tourists = [c for c in drawn if c.get("data-chart") == "around_foreign_tourists"]
    for chart in tourists:
        assert chart.get("aria-label") == "서울 방문 외래관광객 수"
        assert [(p.get("data-period"), float(p.get("data-value")), p.get("data-phase")) for p in marks(chart, "value")] \
            == [("2023", 8860000.0, "before"), ("2024", 13140000.0, "before")], "the fixture's values, before acceptance"
        assert marks(chart, "marker-label")[0].text == marker and [e.text for e in marks(chart, "unit")] == ["명"]
        assert [e.text for e in marks(chart, "x-tick")] == ["2023", "2024"]
    at.run()
    ok(at)
    assert len(made) == 4, "the rerun replays the drawings made once"
    at.radio(key="lang").set_value("en").run()  # in English: drawn again, in its words and units
    ok(at)
    assert len(made) == 8 and not at.get("plotly_chart")
    english = [c for c in svg_charts(at).values() if c.get("data-chart") == "around_foreign_tourists"]
    assert english and english[0].get("aria-label") == "International tourists visiting Seoul"
    assert [e.text for e in marks(english[0], "unit")] == ["persons"]
    assert marks(english[0], "marker-label")[0].text == t("ui.forum.accepted_on", "en", date=marker.split()[-1])
    assert [e.text for e in marks(english[0], "legend")] == [t("ui.forum.phase_before", "en")]


def test_the_pages_lookups_are_made_once_per_warehouse_version_and_language(forum_env, monkeypatch):
    """The names and keyed tables the page looks things up in follow from the warehouse and the language: a rerun
    reuses them; another language, or a write (a new warehouse version), makes them again, the new meeting in them."""
    from dashboard import data as data_module

    made = []
    real = data_module.component_catalogue
    monkeypatch.setattr(data_module, "component_catalogue", lambda: made.append(1) or real())
    at = open_forum("ko")
    at.run()
    ok(at)
    assert len(made) == 1
    at.radio(key="lang").set_value("en").run()
    ok(at)
    assert len(made) == 2
    _one_action(forum_env, "tourism_sports")
    at.run()
    ok(at)
    assert len(made) == 3
    assert at.session_state["forum_meeting"] == f"competitiveness_forum-{MEETING_DAY.isoformat()}"


def test_a_department_editor_cannot_change_another_departments_item(forum_env):
    action_id = _one_action(forum_env, "economic_policy_office")
    before = ledger_types(forum_env["ledger"])
    at = open_forum("ko", "kim")  # tourism_sports
    assert chosen(at, "forum_action") == action_id
    assert not keys(at, f"move_{action_id}_"), "no status buttons"
    assert not keys(at, f"progress_submit_{action_id}"), "no progress note"
    assert not keys(at, "suggest_") and not keys(at, "schedule_submit") and not keys(at, "decide_submit_")
    assert t("ui.forum.other_department", "ko", owner="경제정책실", department="관광체육국") in texts(at)
    assert ledger_types(forum_env["ledger"]) == before


def test_a_department_editor_notes_progress_on_its_own_item(forum_env):
    action_id = _one_action(forum_env, "economic_policy_office")
    at = open_forum("en", "lee")  # economic_policy_office
    assert not keys(at, f"move_{action_id}_"), "status changes stay with the organizers"
    at.text_area(key=f"progress_text_{action_id}").input("1st task-force meeting held")
    at.button(key=f"progress_submit_{action_id}").click().run()
    ok(at)
    row = query(forum_env["warehouse"], f"select progress_notes, last_note from action_items where action_id = '{action_id}'")
    assert row.iloc[0].tolist() == [1, "1st task-force meeting held"]
    assert ledger_types(forum_env["ledger"])[-1] == "action.progress_noted"
    assert "1st task-force meeting held" in texts(at)


def test_the_next_meeting_follows_the_forums_rule(forum_env, mini):
    # Hand-made test catalogue: a regular schedule (second Wednesday of March, June, September, December).
    mini.write_text(mini.read_text(encoding="utf-8") + (
        "forum:\n  default: city_competitiveness_forum\n  forums:\n    city_competitiveness_forum:\n"
        "      name: {ko: 도시경쟁력 포럼, en: City Competitiveness Forum}\n"
        "      schedule: {months: [3, 6, 9, 12], weekday: wednesday, nth: 2}\n  suggestions: 1\n"), encoding="utf-8")
    expected = forum.Schedule((3, 6, 9, 12), 2, 2).next_on_or_after(date.today()).isoformat()
    at = open_forum("en", "park")
    metric = {m.label: m.value for m in at.metric}
    assert metric[t("ui.forum.next_date", "en")] == expected
    assert t("ui.forum.by_rule", "en") in texts(at)
    assert at.date_input(key="schedule_date").value == date.fromisoformat(expected)
    assert len(keys(at, "suggest_")) == 1, "the catalogue limits the suggestions"


def test_a_future_meeting_offers_no_held_record_and_the_write_is_refused(forum_env):
    """Issue 12: a meeting dated after today (Seoul) is not offered for 'record as held'; the write the page would
    make is refused with the reason in the page's language, and nothing is appended."""
    cat, path = forum_env["cat"], forum_env["warehouse"]
    park = accounts.load_accounts()["park"]
    day = (date.today() + timedelta(days=400)).isoformat()
    meeting = f"competitiveness_forum-{day}"
    writes.record_event(cat, park, "meeting.scheduled", {"meeting_id": meeting, "forum_id": "competitiveness_forum",
                                                         "date": day, "kind": "regular"}, warehouse_path=path)
    at = open_forum("ko", "park")
    assert chosen(at, "forum_meeting") == meeting
    assert not keys(at, "held_submit") and not keys(at, "held_attendees")
    assert t("ui.forum.held_from_day", "ko", date=day) in texts(at)
    files = sorted(forum_env["ledger"].glob("*.json"))
    with pytest.raises(CityIdxError) as caught:
        writes.record_event(cat, park, "meeting.held", {"meeting_id": meeting, "attendees": 3}, warehouse_path=path)
    assert day in caught.value.text("ko") and "아직 열리지 않았으므로" in caught.value.text("ko")
    assert sorted(forum_env["ledger"].glob("*.json")) == files
    assert query(path, "select held from meeting")["held"].tolist() == [False]


def test_the_forum_forms_bound_what_is_typed_and_refuse_a_character_that_would_act(forum_env):
    """Every text box of the forum takes at most the catalogue's forum.max_text_chars; a place holding a
    bidirectional override is refused in the reader's language, the character named as its escape, nothing written."""
    env = forum_env
    at = open_forum("ko", "park")
    boxes = [*at.text_input, *at.text_area]
    assert boxes and {box.max_chars for box in boxes} == {env["cat"].forum.max_text_chars}, [b.key for b in boxes]
    at.date_input(key="schedule_date").set_value(MEETING_DAY)
    at.text_input(key="schedule_place").set_value("3층\u202e회의실")
    at.button(key="schedule_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error]
    assert any("'장소'에" in e and "u202e" in e and "\u202e" not in e for e in shown), shown
    assert not env["ledger"].exists() or not list(env["ledger"].glob("*.json"))
