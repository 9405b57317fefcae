"""Pages ready in a blink (issue 13): a chart is made once per warehouse version and key, then shared."""

from __future__ import annotations

import re
from pathlib import Path

from dashboard import data
from pipelines import catalogue
from pipelines.accounts import Account
from pipelines.build import writes


def test_a_value_is_made_once_per_key_and_again_after_a_write(mini: Path, mini_warehouse: Path):
    made: list[str] = []

    def make(name: str):
        made.append(name)
        return {"name": name}

    first = data.once(lambda: make("a"), "test-chart", "a", "ko")
    again = data.once(lambda: make("a"), "test-chart", "a", "ko")
    other = data.once(lambda: make("b"), "test-chart", "b", "ko")
    assert made == ["a", "b"] and first is again and other == {"name": "b"}
    # a forum event rewrites the forum part: the warehouse version changes, so every chart is made anew
    organizer = Account(username="park", name="park", role="forum_organizer", department=None, email=None,
                        password_hash="", disabled=False, created_at="")
    writes.record_event(catalogue.load(mini), organizer, "meeting.scheduled",
                        {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-09-09", "kind": "regular"},
                        warehouse_path=mini_warehouse)
    data.once(lambda: make("a"), "test-chart", "a", "ko")
    assert made == ["a", "b", "a"]


def test_a_cached_frame_changed_by_a_page_is_not_changed_for_the_next_reader(mini_warehouse: Path):
    # the frames are shared by every session (st.cache_resource); each reader gets a copy-on-write copy
    first = data.series()
    assert len(first) > 0
    original = first["index_id"].tolist()
    first.loc[first.index[0], "index_id"] = "tampered"
    first["added"] = 1
    del first["title_en"]
    again = data.series()
    assert again["index_id"].tolist() == original
    assert "added" not in again.columns and "title_en" in again.columns


def test_a_report_frame_changed_by_a_page_is_not_changed_for_the_next_reader(mini: Path, mini_warehouse: Path):
    # reports (due status, the calendar, the forum's tables) are shared like query results: a caller gets a
    # copy-on-write copy, so a page that labels or sorts its copy in place leaves the shared one as it was
    cat = catalogue.load(mini)
    today = data.local_today()
    first = data.due_status(cat, today)
    assert len(first) > 0
    column = first.columns[0]
    original = first[column].tolist()
    first.loc[first.index[0], column] = "tampered"
    first["added"] = 1
    again = data.due_status(cat, today)
    assert again[column].tolist() == original and "added" not in again.columns


def test_the_shared_cache_keeps_the_newest_entries_and_releases_the_oldest():
    released: list[str] = []
    shared = data._Shared(2, on_release=released.append)
    made: list[str] = []

    def make(value: str):
        return lambda: made.append(value) or value

    assert shared.get("a", make("a")) == "a" and shared.get("b", make("b")) == "b"
    assert shared.get("a", make("a2")) == "a"  # a hit: not made again, and now the newest
    assert shared.get("c", make("c")) == "c"  # over the limit: the least recently used ("b") goes
    assert made == ["a", "b", "c"] and released == ["b"]
    assert shared.get("b", make("b2")) == "b2" and released == ["b", "a"]


def test_a_setting_is_read_from_the_warehouse_with_its_default_for_a_missing_key(mini_warehouse: Path):
    frame = data.settings()
    assert len(frame) > 0
    for key, value in zip(frame["key"], frame["value"]):
        assert data.setting(key) == value
    assert data.setting("no_such_setting", "fallback") == "fallback"
    assert data.setting("no_such_setting") is None


STATIC_SCRIPT = """
import streamlit as st
from dashboard import data

def draw():
    with open({log!r}, "a", encoding="utf-8") as f:
        f.write("drawn\\n")
    st.markdown("static text")
    with st.expander("details"):
        st.dataframe(data.series()[["index_id"]])

with st.container():
    data.static(draw, "test-static", "ko")
"""


def test_static_elements_are_drawn_once_then_replayed_in_every_session_until_a_write(
        mini: Path, mini_warehouse: Path, tmp_path: Path):
    from streamlit.testing.v1 import AppTest

    log = tmp_path / "drawn.log"
    script = STATIC_SCRIPT.format(log=str(log))

    def session() -> AppTest:
        at = AppTest.from_string(script, default_timeout=60)
        at.run()
        assert not at.exception
        return at

    for at in (session(), session()):  # two sessions: the second replays what the first drew
        assert [m.value for m in at.markdown] == ["static text"]
        assert len(at.expander) == 1 and len(at.dataframe) == 1
        assert len(at.dataframe[0].value) == len(data.series())
    assert log.read_text().splitlines() == ["drawn"]
    # a forum event rewrites the forum part: a new warehouse version, drawn anew
    organizer = Account(username="park", name="park", role="forum_organizer", department=None, email=None,
                        password_hash="", disabled=False, created_at="")
    writes.record_event(catalogue.load(mini), organizer, "meeting.scheduled",
                        {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-12-09", "kind": "regular"},
                        warehouse_path=mini_warehouse)
    session()
    assert log.read_text().splitlines() == ["drawn", "drawn"]


def test_every_page_replays_what_it_drew_in_a_second_session(mini_warehouse: Path):
    # the first session draws and records (data.static); the second replays: a replay that refers to a block made
    # outside the cached part fails only here, never on a first visit
    from streamlit.testing.v1 import AppTest

    app = Path(data.__file__).with_name("app.py")
    seen = 0
    for module in re.findall(r'"(views/\w+\.py)"', app.read_text(encoding="utf-8")):
        shapes = []
        for _ in range(2):
            at = AppTest.from_file(str(app), default_timeout=60)
            at.run()
            at.switch_page(module)
            at.run()
            assert not at.exception, (module, [e.value for e in at.exception])
            shapes.append((len(at.get("plotly_chart")), len(at.dataframe), len(at.markdown), len(at.expander)))
        assert shapes[0] == shapes[1], (module, shapes)
        seen += 1
    assert seen >= 9


def test_cached_reads_turn_at_midnight_in_the_catalogues_zone(mini_warehouse: Path, monkeypatch):
    """The day in every cache key is today in the warehouse's `timezone` (Asia/Seoul), not the server's: a chart
    made on one Seoul day is made again on the next, and not while the day is the same."""
    from datetime import date

    from pipelines.reports import render

    zones: list[str] = []
    day = {"now": date(2026, 11, 29)}
    monkeypatch.setattr(render, "local_today", lambda zone, now=None: zones.append(zone) or day["now"])
    made: list[date] = []
    data.once(lambda: made.append(day["now"]), "midnight-chart")
    data.once(lambda: made.append(day["now"]), "midnight-chart")
    day["now"] = date(2026, 11, 30)
    data.once(lambda: made.append(day["now"]), "midnight-chart")
    assert made == [date(2026, 11, 29), date(2026, 11, 30)]
    assert set(zones) == {"Asia/Seoul"}
