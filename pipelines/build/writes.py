"""Every write to the ledger as one transaction: validate, stage the entry, build its part with it, commit by
rename, swap.

A write rebuilds only the warehouse part it changes (an upload: the values part; a forum event: the forum
part; build/warehouse.py), unless the published part was built from other inputs (schema, catalogue, published
ledger files): then it rebuilds everything, as `cityidx build` would.
Killed before the rename: nothing changed. Killed after it: the ledger holds the entry and the warehouse
is behind until the next write or build (`cityidx build`).
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path

from pipelines import accounts
from pipelines.accounts import Account
from pipelines.build import collect, collect_forum, collect_values, forum, warehouse, within_memory
from pipelines.build.uploads import ParsedUpload, check_once, remember
from pipelines.catalogue import Catalogue
from pipelines.ledger import seal, store
from pipelines.ledger.forum import Event, read_events, stage_event
from pipelines.ledger.uploads import Receipt, read_receipts, stage_upload
from pipelines.errors import storage_error
from pipelines.schemas import ProblemsFound


def commit(cat: Catalogue, path: Path, staged: Path, final: Path, entry: seal.Entry, **pending) -> None:
    """Build the warehouse with the staged entry, rename the entry into the ledger (the commit), swap, acknowledge.

    Called inside `store.writing` and `seal.appending`. Killed after the rename but before the
    acknowledgement, the next command reports the entry as committed (`seal.verify`'s `interrupted`).
    """
    try:
        store.fsync_tree(staged)
        changed = _changed_parts(cat, path, **pending)
        with within_memory(cat):
            try:
                staged_parts = warehouse.stage(_part_tables(cat, path, changed, **pending), path, changed)
            finally:
                warehouse.let_go()  # a full rebuild held its component rows in DuckDB: staged now (or failed), let go
        try:
            seal.intend(cat, entry)
            store.commit_entry(staged, final)
        except BaseException:
            warehouse.discard(staged_parts)
            raise
    except BaseException:
        store.discard(staged)
        raise
    warehouse.swap(staged_parts, path)
    seal.acknowledge(cat, [entry])


@contextlib.contextmanager
def on_disk(cat: Catalogue):
    """Inside `store.writing`: an OSError (disk full, permission denied, ...) removes whatever was staged and
    becomes a StorageError naming the path. Before the commit nothing changed; a swap refused after it leaves
    the entry committed and the warehouse behind, which the next command reports (seal's `interrupted`)."""
    try:
        yield
    except OSError as exc:
        store.recover(cat)
        raise storage_error(exc) from exc


def _actor(account: Account | str) -> Account:
    """The account as the account file holds it now: a stale, made-up or disabled account cannot write."""
    return accounts.acting(account if isinstance(account, str) else account.username)


def _changed_parts(cat: Catalogue, path: Path, pending=None, pending_events=None) -> tuple[str, ...]:
    """The part a write rebuilds; every part when the published part is missing or was built from other inputs."""
    if _built_from(path) != warehouse.inputs_digest(cat):
        return warehouse.parts.PARTS
    return ("values",) if pending is not None else ("forum",)


# the inputs digest each published part this process read holds, by the file's identity (an upload or a forum event
# swaps in another part and leaves the published file as it was: its digest is read once, not at every write, ~35 ms
# of CPU for a DuckDB session on the warehouse; issue 13)
_BUILT_FROM: dict[tuple, str] = {}


def _built_from(path: Path) -> str | None:
    """warehouse.built_from, kept per published file: its device, inode, size, mtime and ctime (any write to the
    file, or another file moved in its place, changes one of them; the ctime cannot be set back by hand)."""
    try:
        st = os.stat(path)
    except OSError:
        return warehouse.built_from(path)
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    found = _BUILT_FROM.get(key)
    if found is None or warehouse.parts.version(path) is None:  # a part gone: built_from says None, as always
        found = warehouse.built_from(path)
        if found is not None:
            if len(_BUILT_FROM) > 16:
                _BUILT_FROM.clear()
            _BUILT_FROM[key] = found
    return found


def _part_tables(cat: Catalogue, path: Path, changed: tuple[str, ...], pending=None, pending_events=None) -> dict:
    """The tables of the `changed` parts, validated, with the staged entry in them."""
    if changed == warehouse.parts.PARTS:
        return collect(cat, pending=pending, pending_events=pending_events, path=path).held
    if changed == ("values",):
        return collect_values(cat, pending)
    return collect_forum(cat, pending_events)


def check_upload(cat: Catalogue, data: bytes, filename: str, department: str) -> ParsedUpload:
    """Validate an upload against the catalogue; nothing is written. The same bytes checked again (the page's reruns,
    the commit after its preview) take the last accepted check while it holds (uploads.check_once)."""
    return check_once(data, filename, department, cat)


def commit_upload(
    cat: Catalogue,
    data: bytes,
    filename: str,
    department: str,
    account: Account | str,
    *,
    warehouse_path: Path | None = None,
    lock_timeout: float = store.LOCK_TIMEOUT_SECONDS,
) -> tuple[Receipt, ParsedUpload]:
    """Accept an upload whole or not at all: validated, stored as received with its receipt, rebuilt.

    `account` (or the user name) is re-read from the account file: it must exist, be active and be the
    department's editor or an admin (an admin's upload is recorded with its role).
    """
    path = warehouse_path or warehouse.warehouse_path()
    actor = _actor(account)
    accounts.may_upload(actor, department)
    parsed = check_upload(cat, data, filename, department)
    if not parsed.ok:
        raise ProblemsFound(parsed.problems, "upload.rejected", total=parsed.problem_count)
    remember(parsed, data, cat)  # the rebuild's replay of this upload takes this reading instead of reading it again
    with store.writing(cat, path, lock_timeout), seal.appending(cat), on_disk(cat):
        staged, final, upload_id = stage_upload(cat, data, filename, department, actor,
                                                parsed.encoding, len(parsed.records), datetime.now(UTC))
        commit(cat, path, staged, final, seal.stream_of(cat, final / "receipt.json"), pending=[(staged, upload_id)])
    receipt = next(r for r in read_receipts(cat) if r.path == final)
    return receipt, parsed


def record_event(cat: Catalogue, account: Account, event_type: str, data: dict, *,
                 warehouse_path: Path | None = None, lock_timeout: float = store.LOCK_TIMEOUT_SECONDS) -> Event:
    """Check, authorise and append one forum event; the warehouse is rebuilt with it, or nothing changes."""
    path = warehouse_path or warehouse.warehouse_path()
    account = _actor(account)
    forum.check_text(data, cat.forum.max_text_chars)  # what was typed, before the lock and the log's replay
    with store.writing(cat, path, lock_timeout), seal.appending(cat), on_disk(cat):
        state = forum.replay(read_events(cat), cat)
        forum.authorise(account, event_type, data, state)
        now = datetime.now(UTC)
        event = Event(event_id=forum.new_id("e"), type=event_type, at=now.isoformat(timespec="microseconds"),
                      by=account.username, role=account.role, data=data)
        forum.apply(state, event, cat)  # raises before anything is written
        staged, final = stage_event(cat, event, now)
        commit(cat, path, staged, final, seal.stream_of(cat, final), pending_events=[staged])
    return event
