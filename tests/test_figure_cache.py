"""Pages ready in a blink (issue 13): a chart is made once per warehouse version and key, then shared."""

from __future__ import annotations

from pathlib import Path

from dashboard import data
from pipelines import catalogue
from pipelines.accounts import Account
from pipelines.build import writes


def test_a_figure_is_made_once_per_key_and_again_after_a_write(mini: Path, mini_warehouse: Path):
    made: list[str] = []

    def make(name: str):
        made.append(name)
        return {"name": name}

    first = data.figure(lambda: make("a"), "test-chart", "a", "ko")
    again = data.figure(lambda: make("a"), "test-chart", "a", "ko")
    other = data.figure(lambda: make("b"), "test-chart", "b", "ko")
    assert made == ["a", "b"] and first is again and other == {"name": "b"}
    # a forum event rewrites the forum part: the warehouse version changes, so every chart is made anew
    organizer = Account(username="park", name="park", role="forum_organizer", department=None, email=None,
                        password_hash="", disabled=False, created_at="")
    writes.record_event(catalogue.load(mini), organizer, "meeting.scheduled",
                        {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-12-09", "kind": "regular"},
                        warehouse_path=mini_warehouse)
    data.figure(lambda: make("a"), "test-chart", "a", "ko")
    assert made == ["a", "b", "a"]
