"""Sign-ins that outlast a page: a signed, expiring token (itsdangerous) in a cookie, naming a server-side session.

The token says which session and whose; the session is a file in data/private/sessions/ (next to the
accounts, never in git) that signing out deletes, so a copied cookie dies with the sign-out and not
only at expiry. The account store ends every session of an account it disables or gives another role
(pipelines.accounts calls end_all), so neither waits for the cookie to expire, and re-enabling an account
revives none of them. The token carries no role: the dashboard reads the role and the disabled flag
from the account store on every run as well.

The store sits below pipelines.accounts (which ends sessions) and imports nothing of the project: every
function takes the folder, the one that holds the account file.

itsdangerous is already installed with Streamlit (it depends on it) and does exactly this: an HMAC
signature with a timestamp checked against a maximum age, with a salt per purpose. The secret is
created on first use, 0600, in data/private/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer


COOKIE = "cityidx_session"
SECRET_FILE = "session_secret"
SESSIONS_DIR = "sessions"
SALT = "cityidx.dashboard.session"
SID_RE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # a session id becomes a file name: only what token_urlsafe makes


@dataclass(frozen=True)
class Session:
    sid: str
    username: str
    token: str
    max_age_seconds: int


def _write_private(path: Path, text: str) -> bool:
    """Create `path` (0600) with `text`; False if it already exists. Never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return True


def secret(folder: Path) -> str:
    """The signing secret, created on first use (two servers starting at once agree: O_EXCL, then read)."""
    path = folder / SECRET_FILE
    _write_private(path, secrets.token_hex(32))
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:  # an empty or truncated file must not sign anything
        raise RuntimeError(f"{path} holds no usable secret; delete it to have a new one made")
    return value


def _serializer(folder: Path) -> URLSafeTimedSerializer:
    from itsdangerous import URLSafeTimedSerializer  # here: a command that only reads accounts never signs (issue 13)

    return URLSafeTimedSerializer(secret(folder), salt=SALT)


def _session_file(sid: str, folder: Path) -> Path | None:
    if not SID_RE.match(sid):
        return None
    return folder / SESSIONS_DIR / f"{sid}.json"


def start(username: str, hours: float, folder: Path, now: datetime | None = None) -> Session:
    """A new session for `username`, lasting `hours`; returns it with the token to put in the cookie."""
    now = now or datetime.now(UTC)
    sweep(folder, now)
    sid = secrets.token_urlsafe(24)
    record = {"username": username, "started_at": now.isoformat(timespec="seconds"),
              "expires_at": (now + timedelta(hours=hours)).isoformat(timespec="seconds")}
    _write_private(_session_file(sid, folder), json.dumps(record))
    token = _serializer(folder).dumps({"sid": sid, "user": username})
    return Session(sid, username, token, int(hours * 3600))


def resolve(token: str | None, hours: float, folder: Path, now: datetime | None = None) -> Session | None:
    """The live session a cookie names: signature good, younger than `hours`, not signed out, not expired."""
    if not token or len(token) > 1024:
        return None
    from itsdangerous import BadSignature  # as _serializer's import

    try:
        claims = _serializer(folder).loads(token, max_age=int(hours * 3600))
    except BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("sid"), str) or not isinstance(claims.get("user"), str):
        return None
    if not alive(claims["sid"], claims["user"], folder, now):
        return None
    return Session(claims["sid"], claims["user"], token, int(hours * 3600))


def alive(sid: str, username: str, folder: Path, now: datetime | None = None) -> bool:
    """True while the session exists on the server for this user and has not expired."""
    path = _session_file(sid, folder)
    if path is None:
        return False
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if record.get("username") != username:
        return False
    return datetime.fromisoformat(record["expires_at"]) > (now or datetime.now(UTC))


def end(sid: str, folder: Path) -> None:
    """Sign-out: the session is gone, so every cookie naming it stops working."""
    path = _session_file(sid, folder)
    if path is not None:
        path.unlink(missing_ok=True)


def end_all(username: str, folder: Path) -> int:
    """Every session of one user ended (the account disabled, given another role or enabled again); returns how many."""
    ended = 0
    for path in (folder / SESSIONS_DIR).glob("*.json"):
        try:
            if json.loads(path.read_text(encoding="utf-8")).get("username") == username:
                path.unlink(missing_ok=True)
                ended += 1
        except (OSError, ValueError):
            continue
    return ended


def sweep(folder: Path, now: datetime | None = None) -> None:
    """Expired sessions removed, so the folder does not grow with every sign-in."""
    now = now or datetime.now(UTC)
    for path in (folder / SESSIONS_DIR).glob("*.json"):
        try:
            if datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["expires_at"]) <= now:
                path.unlink(missing_ok=True)
        except (OSError, ValueError, KeyError):
            path.unlink(missing_ok=True)
