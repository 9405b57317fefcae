"""Forum events in the ledger: one JSON file per event in `data/raw/forum/`, appended, never rewritten."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import ForumError
from pipelines.ledger import seal, store

if TYPE_CHECKING:  # only a type here; importing it would load pydantic for `cityidx --help`
    from pipelines.catalogue import Catalogue

# What a forum event may say (the rules that use them are in build/forum.py).
MEETING_KINDS = ("regular", "ad_hoc")
DECISIONS = ("adopted", "adopted_with_changes", "deferred", "rejected")
STATUSES = ("proposed", "accepted", "in_progress", "done", "dropped")
EXECUTIONS = ("task_force", "advice", "department")


@dataclass(frozen=True)
class Event:
    event_id: str
    type: str
    at: str  # ISO 8601 UTC
    by: str
    role: str
    data: dict
    source: str = field(default="", compare=False)  # the ledger file it was read from
    prev: str = field(default="", compare=False)  # the seal (pipelines.ledger.seal)
    mac: str = field(default="", compare=False)

    def content(self) -> dict:
        return {"event_id": self.event_id, "type": self.type, "at": self.at, "by": self.by, "role": self.role,
                "data": self.data}

    def to_json(self) -> str:
        sealed = {"prev": self.prev, "mac": self.mac} if self.mac else {}
        return json.dumps({**self.content(), **sealed}, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def forum_root(cat: Catalogue) -> Path:
    return cat.root / "data" / "raw" / "forum"


def read_events(cat: Catalogue, pending: list[Path] | None = None) -> list[Event]:
    files = sorted(forum_root(cat).glob("*.json")) if forum_root(cat).is_dir() else []
    events = []
    for p in [*files, *(pending or [])]:
        shown = f"data/raw/forum/{p.name}"
        try:
            events.append(Event(**json.loads(p.read_text(encoding="utf-8")), source=shown))
        except (ValueError, TypeError) as exc:
            raise ForumError("forum.bad_event_file", file=shown, detail=str(exc)) from exc
    return sorted(events, key=lambda e: (e.at, e.event_id))


def stage_event(cat: Catalogue, event: Event, now: datetime) -> tuple[Path, Path]:
    """Write one event, sealed, into staging; returns it and the ledger file it becomes at the commit.

    Called inside `seal.appending`."""
    store.check_name(event.by, "name.what.account")
    name = f"{now.strftime('%Y%m%dT%H%M%S%fZ')}__{event.type.replace('.', '_')}__{re.sub(r'[^a-z0-9_.-]', '-', event.by)}.json"
    staged = store.staging_root(cat) / name
    final = forum_root(cat) / name
    sealed = seal.sign(cat, seal.stream_of(cat, final), event.content())
    staged.write_text(json.dumps(sealed, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return staged, final
