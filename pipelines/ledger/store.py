"""Writing to the ledger: one lock for every writer (ledger and warehouse), staging beside the ledger, one-rename commit."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.errors import Busy, CityIdxError, Message

if TYPE_CHECKING:  # only a type here; importing it would load pydantic for `cityidx --help`
    from pipelines.catalogue import Catalogue

LOCK_TIMEOUT_SECONDS = 30.0


def staging_root(cat: Catalogue) -> Path:
    """Where a new ledger entry is written before its one-rename commit: beside the ledger, never in it."""
    return cat.root / "data" / "staging"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush a staged file, or every file of a staged folder, and the folder itself."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    for f in files:
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    fsync_dir(path if path.is_dir() else path.parent)


def recover(cat: Catalogue) -> list[str]:
    """Remove half-written entries left by a killed process (they were never in the ledger)."""
    removed = []
    root = staging_root(cat)
    for tmp in root.glob("*") if root.is_dir() else []:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        removed.append(str(tmp))
    return removed


@contextlib.contextmanager
def writing(cat: Catalogue, path: Path, timeout: float = LOCK_TIMEOUT_SECONDS):
    """Hold the one writer lock of `path` (the warehouse), waiting up to `timeout` s, then Busy; clear stale staging."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.with_name(path.name + ".lock"), "a+")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                raise Busy() from None
            time.sleep(0.05)
    try:
        recover(cat)
        staging_root(cat).mkdir(parents=True, exist_ok=True)
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def discard(staged: Path) -> None:
    """Remove a staged entry that will not be committed."""
    if staged.is_dir():
        shutil.rmtree(staged, ignore_errors=True)
    else:
        staged.unlink(missing_ok=True)


def commit_entry(staged: Path, final: Path) -> None:
    """The commit: one rename of a staged entry into the ledger, flushed to disk."""
    final.parent.mkdir(parents=True, exist_ok=True)
    os.rename(staged, final)
    fsync_dir(final.parent)


# A name a user gives that becomes part of a file or folder name (an account in an upload folder's name):
# letters, digits, '_', '.', '-', not starting with '.', at most 64 characters.
NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
MAX_NAME = 64


def check_name(value: object, what: str) -> str:
    """`value` when it may become part of a path; else a CityIdxError naming `what` (the message key of the
    kind of name, e.g. "name.what.account"), before anything is written."""
    if isinstance(value, str) and NAME_RE.fullmatch(value):
        return value
    text = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise CityIdxError("name.invalid", what=Message(what), value=text, length=len(str(value)),
                       limit=MAX_NAME)
