"""Every write to the ledger as one transaction: validate, stage the entry, build with it, commit by rename, swap.

Killed before the rename: nothing changed. Killed after it: the ledger holds the entry and the warehouse
is behind until the next build (`cityidx build`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipelines.accounts import Account
from pipelines.build import collect, forum, warehouse
from pipelines.build.uploads import ParsedUpload, parse_upload
from pipelines.catalogue import Catalogue
from pipelines.ledger import store
from pipelines.ledger.forum import Event, read_events, stage_event
from pipelines.ledger.uploads import Receipt, read_receipts, stage_upload
from pipelines.schemas import ProblemsFound


def commit(cat: Catalogue, path: Path, staged: Path, final: Path, **pending) -> None:
    """Build the warehouse with the staged entry, rename the entry into the ledger (the commit), swap.

    Called inside `store.writing`.
    """
    try:
        store.fsync_tree(staged)
        result = collect(cat, **pending)
        staged_warehouse = warehouse.stage(result.tables, path)
        try:
            store.commit_entry(staged, final)
        except BaseException:
            staged_warehouse.unlink(missing_ok=True)
            raise
    except BaseException:
        store.discard(staged)
        raise
    warehouse.swap(staged_warehouse, path)


def check_upload(cat: Catalogue, data: bytes, filename: str, department: str) -> ParsedUpload:
    """Validate an upload against the catalogue; nothing is written."""
    return parse_upload(data, filename, department, cat)


def commit_upload(
    cat: Catalogue,
    data: bytes,
    filename: str,
    department: str,
    account: str,
    *,
    warehouse_path: Path | None = None,
    lock_timeout: float = store.LOCK_TIMEOUT_SECONDS,
) -> tuple[Receipt, ParsedUpload]:
    """Accept an upload whole or not at all: validated, stored as received with its receipt, rebuilt."""
    path = warehouse_path or warehouse.warehouse_path()
    parsed = check_upload(cat, data, filename, department)
    if not parsed.ok:
        raise ProblemsFound(parsed.problems, "upload.rejected", total=parsed.problem_count)
    with store.writing(cat, path, lock_timeout):
        staged, final, upload_id = stage_upload(cat, data, filename, department, account,
                                                parsed.encoding, len(parsed.rows), datetime.now(UTC))
        commit(cat, path, staged, final, pending=[(staged, upload_id)])
    receipt = next(r for r in read_receipts(cat) if r.path == final)
    return receipt, parsed


def record_event(cat: Catalogue, account: Account, event_type: str, data: dict, *,
                 warehouse_path: Path | None = None, lock_timeout: float = store.LOCK_TIMEOUT_SECONDS) -> Event:
    """Check, authorise and append one forum event; the warehouse is rebuilt with it, or nothing changes."""
    path = warehouse_path or warehouse.warehouse_path()
    with store.writing(cat, path, lock_timeout):
        state = forum.replay(read_events(cat), cat)
        forum.authorise(account, event_type, data, state)
        now = datetime.now(UTC)
        event = Event(event_id=forum.new_id("e"), type=event_type, at=now.isoformat(timespec="microseconds"),
                      by=account.username, role=account.role, data=data)
        forum.apply(state, event, cat)  # raises before anything is written
        staged, final = stage_event(cat, event, now)
        commit(cat, path, staged, final, pending_events=[staged])
    return event
