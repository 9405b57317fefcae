"""The ledger's seal: every entry chained to the previous one of its stream and signed with this installation's key.

A stream is one sequence of entries, ordered by name (each name starts with its UTC time): the forum log
(`forum`), one per department's uploads (`departments/<office_id>`), one per series' fetched snapshots
(`fetched/<index_id>`). Each entry's JSON (event file, `receipt.json`, snapshot receipt) carries
`prev`, the SHA-256 of the previous entry of its stream, and `mac`, an HMAC-SHA256 of its stream, its
name and its own hash, keyed by `data/private/seal.key` (created on first run, 0600, never in git).
`data/private/seal.json` (signed with the same key) holds the genesis, the entries the ledger
held when the key was created (a fresh clone's git-tracked entries: trusted by their hash), and each
stream's head, the last entry whose writer finished: an entry removed from the end is missed; an entry
committed by a writer that was killed before it finished is reported once, then acknowledged.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import accounts
from pipelines.errors import CityIdxError, Message

if TYPE_CHECKING:  # only a type here (`cityidx --help` loads no pydantic)
    from pipelines.catalogue import Catalogue

# the field of each kind of entry that says when it was written
TIME_FIELD = {"forum": "at", "departments": "uploaded_at", "fetched": "fetched_at"}


@dataclass(frozen=True)
class Entry:
    stream: str  # forum | departments/<office_id> | fetched/<index_id>
    name: str  # the file or folder name: its place in the stream
    file: Path  # the JSON that carries prev and mac
    shown: str  # as said to people: data/raw/...

    @property
    def kind(self) -> str:
        return self.stream.split("/")[0]


@dataclass
class Report:
    """What `verify` found: problems (file, message), entries a killed writer committed, how many were checked."""

    problems: list[tuple[str, Message]] = field(default_factory=list)
    interrupted: list[tuple[Entry, dict]] = field(default_factory=list)
    sealed: list[tuple[Entry, dict]] = field(default_factory=list)  # entries signed here (not genesis), with content
    genesis: list[tuple[Entry, dict]] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def private_root(cat: Catalogue) -> Path:
    return cat.root / "data" / "private"


def _audit_beside(cat: Catalogue) -> Path:
    """The seal's events go to the audit log beside its key (data/private/audit.log)."""
    return private_root(cat) / "accounts.json"


def key_path(cat: Catalogue) -> Path:
    return private_root(cat) / "seal.key"


def seal_path(cat: Catalogue) -> Path:
    return private_root(cat) / "seal.json"


def raw_root(cat: Catalogue) -> Path:
    return cat.root / "data" / "raw"


# --- the entries on disk --------------------------------------------------------------------------------------

def entries(cat: Catalogue) -> dict[str, list[Entry]]:
    """Every committed entry of every stream, in stream order."""
    raw = raw_root(cat)
    found: dict[str, list[Entry]] = {}

    def add(stream: str, name: str, file: Path) -> None:
        found.setdefault(stream, []).append(Entry(stream, name, file, file.relative_to(cat.root).as_posix()))

    forum = raw / "forum"
    for f in sorted(forum.glob("*.json")) if forum.is_dir() else []:
        add("forum", f.name, f)
    departments = raw / "departments"
    for receipt in sorted(departments.glob("*/*/receipt.json")) if departments.is_dir() else []:
        folder = receipt.parent
        if not folder.name.startswith(".") and not folder.parent.name.startswith("."):
            add(f"departments/{folder.parent.name}", folder.name, receipt)
    fetched = raw / "fetched"
    for receipt in sorted(fetched.glob("*/*.json")) if fetched.is_dir() else []:
        add(f"fetched/{receipt.parent.name}", receipt.name, receipt)
    for stream in found.values():
        stream.sort(key=lambda e: e.name)
    return found


def stream_of(cat: Catalogue, file: Path) -> Entry:
    """The entry a ledger JSON file will be once committed (used for staged entries)."""
    rel = file.relative_to(raw_root(cat)).parts
    if rel[0] == "departments":
        return Entry(f"departments/{rel[1]}", rel[2], file, file.relative_to(cat.root).as_posix())
    if rel[0] == "fetched":
        return Entry(f"fetched/{rel[1]}", rel[2], file, file.relative_to(cat.root).as_posix())
    return Entry("forum", rel[-1], file, file.relative_to(cat.root).as_posix())


def _canonical(content: dict) -> bytes:
    return json.dumps({k: v for k, v in content.items() if k != "mac"}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def entry_hash(content: dict) -> str:
    """The hash of an entry: everything it says (its `prev` included) but its MAC."""
    return hashlib.sha256(_canonical(content)).hexdigest()


def _mac(key: bytes, stream: str, name: str, digest: str) -> str:
    return hmac.new(key, f"{stream}\n{name}\n{digest}".encode(), hashlib.sha256).hexdigest()


def _read(file: Path) -> dict:
    content = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(content, dict):
        raise ValueError("not a JSON object")
    return content


# --- the key and the seal file ----------------------------------------------------------------------------------

def _seal_mac(key: bytes, body: dict) -> str:
    return hmac.new(key, _canonical(body), hashlib.sha256).hexdigest()


def _write_seal(cat: Catalogue, key: bytes, body: dict) -> None:
    body = {k: v for k, v in body.items() if k != "mac"}
    accounts.write_private(seal_path(cat), json.dumps({**body, "mac": _seal_mac(key, body)}, ensure_ascii=False,
                                                      indent=1, sort_keys=True) + "\n")


def _genesis(cat: Catalogue) -> dict:
    """Every entry the ledger holds now, by hash: the trusted start of each stream."""
    genesis, heads = {}, {}
    for stream, listed in entries(cat).items():
        hashes = {}
        for e in listed:
            try:
                hashes[e.name] = entry_hash(_read(e.file))
            except (OSError, ValueError):
                continue  # an unreadable entry is not trusted: verify reports it
        genesis[stream] = hashes
        if hashes:
            last = max(hashes)
            heads[stream] = {"name": last, "hash": hashes[last]}
    return {"version": 1, "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "genesis": genesis,
            "heads": heads, "pending": {}}


def _load(cat: Catalogue, create: bool = True) -> tuple[bytes, dict]:
    """The key and the seal; on the first run (neither exists) both are made, the ledger as it is the genesis."""
    kpath, spath = key_path(cat), seal_path(cat)
    if not kpath.exists() and not spath.exists():
        if not create:
            return b"", {"genesis": {}, "heads": {}, "pending": {}}
        with accounts.locked(spath):
            if not kpath.exists():
                key = secrets.token_bytes(32)
                body = _genesis(cat)
                _write_seal(cat, key, body)
                fd = os.open(kpath, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(key.hex() + "\n")
                accounts.audit("seal.created", _audit_beside(cat), root=str(cat.root),
                               entries=sum(len(v) for v in body["genesis"].values()))
    if not kpath.exists():
        raise CityIdxError("ledger.no_key", key=_shown(cat, kpath), seal=_shown(cat, spath))
    key = bytes.fromhex(kpath.read_text(encoding="utf-8").strip())
    if not spath.exists():
        raise CityIdxError("ledger.no_seal", key=_shown(cat, kpath), seal=_shown(cat, spath))
    body = json.loads(spath.read_text(encoding="utf-8"))
    if not hmac.compare_digest(str(body.get("mac", "")), _seal_mac(key, {k: v for k, v in body.items() if k != "mac"})):
        raise CityIdxError("ledger.seal_edited", seal=_shown(cat, spath))
    return key, body


def _shown(cat: Catalogue, path: Path) -> str:
    try:
        return path.relative_to(cat.root).as_posix()
    except ValueError:
        return str(path)


# --- writing: sign an entry, say it is about to be committed, acknowledge it -----------------------------------

@contextlib.contextmanager
def appending(cat: Catalogue):
    """Held from signing an entry to acknowledging it, so that two writers never chain onto the same entry."""
    with accounts.locked(private_root(cat) / "seal.append", busy="upload.busy"):
        yield


def sign(cat: Catalogue, entry: Entry, content: dict) -> dict:
    """`content` with `prev` (the hash of the stream's last entry) and `mac`; called inside `appending`."""
    key, _ = _load(cat)
    listed = [e for e in entries(cat).get(entry.stream, []) if e.name < entry.name]
    prev = entry_hash(_read(listed[-1].file)) if listed else ""
    body = {**{k: v for k, v in content.items() if k not in ("prev", "mac")}, "prev": prev}
    return {**body, "mac": _mac(key, entry.stream, entry.name, entry_hash(body))}


def intend(cat: Catalogue, entry: Entry) -> None:
    """Record that this process is about to commit `entry` (so a reader does not take it for an interrupted one)."""
    with accounts.locked(seal_path(cat)):
        key, body = _load(cat)
        body.setdefault("pending", {})[f"{entry.stream}/{entry.name}"] = os.getpid()
        _write_seal(cat, key, body)


def acknowledge(cat: Catalogue, done: list[Entry] = ()) -> None:
    """Move each stream's head to its last entry that is sealed and whose writer finished or died."""
    with accounts.locked(seal_path(cat)):
        key, body = _load(cat)
        before = json.dumps(body, sort_keys=True)
        mine = {f"{e.stream}/{e.name}" for e in done}
        pending = {k: pid for k, pid in body.get("pending", {}).items() if k not in mine and _alive(pid)}
        body["pending"] = pending
        for stream, listed in entries(cat).items():
            for e in listed:
                if f"{stream}/{e.name}" in pending:
                    break  # a live writer's entry, and everything after it, stays unacknowledged
                head = body["heads"].get(stream)
                if head is None or e.name > head["name"]:
                    try:
                        content = _read(e.file)
                    except (OSError, ValueError):
                        break
                    if content.get("mac") != _mac(key, stream, e.name, entry_hash(content)):
                        break  # never acknowledge what verify would refuse
                    body["heads"][stream] = {"name": e.name, "hash": entry_hash(content)}
        # nothing moved (every build of a ledger no killed writer touched): the seal as it is, not written and
        # synced again (two fsyncs, ~10 ms of a build's wall time, issue 13)
        if json.dumps(body, sort_keys=True) != before:
            _write_seal(cat, key, body)


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- verifying ------------------------------------------------------------------------------------------------

def _when(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _data_file(e: Entry, content: dict) -> Path | None:
    """The file whose SHA-256 the entry records (an upload as received, a fetched body), or None."""
    if e.kind == "departments":
        files = sorted(p for p in e.file.parent.iterdir() if p.name.startswith("upload"))
        return files[0] if files else e.file.parent / "upload.csv"
    if e.kind == "fetched":
        name = str(content.get("file") or "")
        return e.file.parent / name if name and "/" not in name and not name.startswith(".") else None
    return None


def _data_shown(e: Entry, content: dict) -> str:
    data = _data_file(e, content)
    return e.shown if data is None else f"{e.shown.rsplit('/', 1)[0]}/{data.name}"


def _data_changed(e: Entry, content: dict) -> bool:
    data = _data_file(e, content)
    if data is None or "sha256" not in content:
        return False
    if not data.is_file():
        return True
    digest = hashlib.sha256()
    with open(data, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest() != content["sha256"]


def _stamp(name: str) -> str | None:
    """The UTC time an entry's name starts with (20260115T093000123456Z__...), as ISO 8601."""
    try:
        return datetime.strptime(name.split("__")[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC).isoformat()
    except ValueError:
        return None


def verify(cat: Catalogue, now: datetime | None = None, create: bool = True, kind: str | None = None) -> Report:
    """Check every stream (or those of one `kind`: forum, departments, fetched): each entry's MAC and its link
    to the one before, the genesis and the heads, the times."""
    key, body = _load(cat, create=create)
    now = now or datetime.now(UTC)
    ahead = now + timedelta(seconds=cat.accounts.clock_skew_seconds)
    report = Report()
    genesis: dict[str, dict[str, str]] = body.get("genesis", {})
    heads: dict[str, dict] = body.get("heads", {})
    pending = body.get("pending", {})
    listed = entries(cat)
    for stream in sorted(set(listed) | set(genesis) | set(heads)):
        if kind is not None and stream.split("/")[0] != kind:
            continue
        trusted = genesis.get(stream, {})
        head = heads.get(stream)
        past_head = head is None
        prev = ""
        present = set()
        for e in listed.get(stream, []):
            report.checked += 1
            present.add(e.name)
            try:
                content = _read(e.file)
            except (OSError, ValueError) as exc:
                report.problems.append((e.shown, Message("ledger.unreadable", {"detail": str(exc)[:160]})))
                prev = ""
                continue
            digest = entry_hash(content)
            if _data_changed(e, content):
                report.problems.append((_data_shown(e, content), Message("ledger.data_changed")))
            if e.name in trusted:
                # trusted by its hash; its own `prev` may point into another installation's chain or, after a
                # re-seal, at the corrected entry's former self: the genesis list fixes names and order instead
                if trusted[e.name] != digest:
                    report.problems.append((e.shown, Message("ledger.changed")))
                else:
                    report.genesis.append((e, content))
            elif "mac" not in content:
                report.problems.append((e.shown, Message("ledger.unsealed")))
            elif not key or not hmac.compare_digest(str(content["mac"]), _mac(key, stream, e.name, digest)):
                report.problems.append((e.shown, Message("ledger.bad_mac")))
            elif content.get("prev") != prev:
                report.problems.append((e.shown, Message("ledger.chain_broken")))
            else:
                report.sealed.append((e, content))
                if past_head and not _alive(pending.get(f"{stream}/{e.name}")):
                    report.interrupted.append((e, content))
            if _when(content.get(TIME_FIELD[e.kind])) is None:
                report.problems.append((e.shown, Message("ledger.bad_time", {"field": TIME_FIELD[e.kind]})))
            for said in (content.get(TIME_FIELD[e.kind]), _stamp(e.name)):
                written = _when(said)
                if written is not None and written > ahead:
                    report.problems.append((e.shown, Message("ledger.in_the_future", {"at": said})))
                    break
            if head is not None and e.name == head["name"]:
                past_head = True
                already = any(shown == e.shown for shown, _ in report.problems)  # one problem an entry is enough
                if head["hash"] != digest and e.name not in trusted and not already:
                    report.problems.append((e.shown, Message("ledger.changed")))
            prev = digest
        for name in sorted(set(trusted) - present):
            report.problems.append((f"data/raw/{stream}/{name}", Message("ledger.removed")))
        if head is not None and head["name"] not in present and head["name"] not in trusted:
            report.problems.append((f"data/raw/{stream}/{head['name']}", Message("ledger.removed")))
    return report


def interrupted_message(entry: Entry, content: dict) -> Message:
    """'The last upload of X was committed': said once, by the next command, for a writer that ended before saying so."""
    if entry.kind == "departments":
        return Message("ledger.interrupted_upload", {"department": content.get("department"), "user": content.get("uploaded_by"),
                                                     "at": content.get("uploaded_at"), "file": entry.shown})
    if entry.kind == "forum":
        return Message("ledger.interrupted_event", {"type": content.get("type"), "user": content.get("by"),
                                                    "at": content.get("at"), "file": entry.shown})
    return Message("ledger.interrupted_snapshot", {"url": content.get("url"), "file": entry.shown})


def reseal(cat: Catalogue, by: str, reason: str) -> int:
    """After a deliberate correction: the ledger as it is now becomes the genesis (recorded in the audit log)."""
    with accounts.locked(seal_path(cat)):
        key = bytes.fromhex(key_path(cat).read_text(encoding="utf-8").strip()) if key_path(cat).exists() else None
        if key is None:
            key = secrets.token_bytes(32)
            fd = os.open(key_path(cat), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(key.hex() + "\n")
        body = _genesis(cat)
        _write_seal(cat, key, body)
    count = sum(len(v) for v in body["genesis"].values())
    accounts.audit("seal.resealed", _audit_beside(cat), root=str(cat.root), by=by, reason=reason, entries=count)
    return count
