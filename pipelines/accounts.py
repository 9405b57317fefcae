"""Local accounts: who may act (roles, departments, argon2id hashes), sign-in limits and the audit log, kept outside git."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import stat
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import ROOT, sessions
from pipelines.errors import AccountError

if TYPE_CHECKING:  # only types here; importing them would load pydantic for `cityidx --help`
    from pipelines.catalogue import Accounts, Catalogue

ROLES = ("analyst", "department_editor", "forum_organizer", "admin")
RESERVED = ("reference",)  # the seed data's author: no person signs in or acts as it
DEFAULT_ACCOUNTS = ROOT / "data" / "private" / "accounts.json"
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
LOCK_TIMEOUT_SECONDS = 30.0


class _Hasher:
    """argon2's PasswordHasher (argon2id, the library's recommended parameters), made on first use: a command that
    only reads the accounts (`cityidx build`, which checks every upload's and forum event's author) never imports
    argon2 (issue 13, quick start-up; the documented exception to imports at the top)."""

    def __init__(self) -> None:
        self._real = None

    def _made(self):
        if self._real is None:
            from argon2 import PasswordHasher  # here, not at the top: see the class

            self._real = PasswordHasher()
        return self._real

    def hash(self, password: str) -> str:
        return self._made().hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._made().verify(password_hash, password)

    def __getattr__(self, name: str):
        return getattr(self._made(), name)


_hasher = _Hasher()


@dataclass(frozen=True)
class Account:
    username: str
    name: str
    role: str
    department: str | None
    email: str | None
    password_hash: str
    disabled: bool
    created_at: str
    # every role the account has held: [{"since": ISO time, "role", "department", "active"}], oldest first
    history: tuple = field(default=(), compare=False)

    def can_upload_for(self, department: str) -> bool:
        if self.disabled:
            return False
        if self.role == "admin":
            return True
        return self.role == "department_editor" and self.department == department

    @property
    def can_run_forum(self) -> bool:
        return not self.disabled and self.role in ("forum_organizer", "admin")

    def held_at(self, at: str) -> dict | None:
        """The role, department and state the account had at ISO time `at` (None before it existed)."""
        history = list(self.history) or [{"since": self.created_at, "role": self.role, "department": self.department,
                                          "active": True}]
        held = None
        for entry in sorted(history, key=lambda h: h["since"]):
            if _instant(entry["since"]) <= _instant(at):
                held = entry
        return held


def _instant(text: str) -> datetime:
    """An ISO time as an aware instant (a time without a zone is UTC), so differently written times compare."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def accounts_path() -> Path:
    """$CITYIDX_ACCOUNTS, else data/private/accounts.json (git-ignored)."""
    return Path(os.environ.get("CITYIDX_ACCOUNTS") or DEFAULT_ACCOUNTS)


def audit_path(path: Path | None = None) -> Path:
    """The audit log beside the account file: data/private/audit.log."""
    return (path or accounts_path()).with_name("audit.log")


def private_dir(folder: Path) -> Path:
    """Create `folder` readable by its owner only (0700); an existing own, non-shared folder is narrowed to 0700."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX:
        os.chmod(folder, 0o700)
    return folder


@contextlib.contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT_SECONDS, busy: str = "account.busy"):
    """Hold the exclusive lock of a private file (its `.NAME.lock` beside it) for a read-modify-write;
    after `timeout` s, the error `busy` (a message key): nothing was changed."""
    private_dir(path.parent)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AccountError(busy) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_private(path: Path, text: str) -> None:
    """Replace `path` by one rename of a temp file created 0600 in its 0700 folder, flushed to disk."""
    folder = private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")  # mkstemp creates it 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def audit(event: str, path: Path | None = None, **details: object) -> None:
    """Append one line to the audit log (created 0600; only ever appended to, one JSON object a line)."""
    target = audit_path(path)
    private_dir(target.parent)
    line = json.dumps({"at": _now(), "event": event, **details}, ensure_ascii=False, sort_keys=True) + "\n"
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))  # one write of one line with O_APPEND: lines never interleave
    finally:
        os.close(fd)


def read_audit(path: Path | None = None) -> list[dict]:
    target = audit_path(path)
    if not target.is_file():
        return []
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_accounts(path: Path | None = None) -> dict[str, Account]:
    path = path or accounts_path()
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {u["username"]: Account(**{**u, "history": tuple(u.get("history") or ())}) for u in data.get("accounts", [])}


def _save(accounts: dict[str, Account], path: Path) -> None:
    body = {"accounts": [{**asdict(a), "history": list(a.history)} for a in sorted(accounts.values(), key=lambda a: a.username)]}
    write_private(path, json.dumps(body, ensure_ascii=False, indent=2) + "\n")


def _default_rules() -> Accounts:
    """The catalogue's defaults for `accounts:` (loaded here, not at import: `cityidx --help` needs no pydantic)."""
    from pipelines.catalogue import Accounts

    return Accounts()


def _common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines() if COMMON_PASSWORDS.is_file() else []
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, username: str, rules: Accounts | None = None) -> None:
    """Refuse a password that is short, one character repeated, the user name, or a common one."""
    rules = rules or _default_rules()
    if len(password) < rules.password_min_length:
        raise AccountError("account.short_password", minimum=rules.password_min_length)
    if len(set(password)) == 1:
        raise AccountError("account.password_one_character")
    folded = password.casefold()
    if username.casefold() in folded:
        raise AccountError("account.password_has_username")
    if folded in _common_passwords() or folded.strip() in _common_passwords():
        raise AccountError("account.password_common")


def _check_name(username: str) -> None:
    if not USERNAME_RE.match(username):
        raise AccountError("account.bad_username", value=username[:64])
    if username in RESERVED:
        raise AccountError("account.reserved", value=username)


def _check_role(cat: Catalogue, role: str, department: str | None) -> None:
    if role not in ROLES:
        raise AccountError("account.bad_role", allowed=", ".join(ROLES))
    if role == "department_editor" and not department:
        raise AccountError("account.needs_department")
    if department and department not in cat.offices:
        raise AccountError("upload.unknown_department", value=department)


def add_account(cat: Catalogue, username: str, password: str, role: str, department: str | None = None,
                name: str | None = None, email: str | None = None, path: Path | None = None,
                by: str | None = None) -> Account:
    """Add an account (under the account file's lock: concurrent adds and disables all land)."""
    path = path or accounts_path()
    _check_name(username)
    _check_role(cat, role, department)
    check_password(password, username, cat.accounts)
    password_hash = _hasher.hash(password)  # before the lock: hashing is the slow part
    with locked(path):
        accounts = load_accounts(path)
        if username in accounts:
            raise AccountError("account.exists", value=username)
        now = _now()
        account = Account(
            username=username, name=name or username, role=role, department=department, email=email,
            password_hash=password_hash, disabled=False, created_at=now,
            history=({"since": now, "role": role, "department": department, "active": True},),
        )
        accounts[username] = account
        _save(accounts, path)
    audit("user.added", path, user=username, role=role, department=department, by=by)
    return account


def _changed(account: Account, **change) -> Account:
    now = _now()
    current = {"role": account.role, "department": account.department, "active": not account.disabled}
    history = list(account.history) or [{"since": account.created_at, **current}]
    state = {**current, **{k: v for k, v in change.items() if k in current}}
    return Account(**{**asdict(account), "role": state["role"], "department": state["department"],
                      "disabled": not state["active"], "history": (*history, {"since": now, **state})})


def _end_sessions(username: str, path: Path) -> int:
    """Every sign-in of the account ended (its sessions live beside the account file): a change of who it may
    be takes effect now, not when a cookie expires, and an account enabled again starts signed out."""
    return sessions.end_all(username, path.parent)


def disable_account(username: str, path: Path | None = None, by: str | None = None) -> Account:
    """Disable an account and end its sign-ins (the audit entry says how many)."""
    path = path or accounts_path()
    with locked(path):
        accounts = load_accounts(path)
        if username not in accounts:
            raise AccountError("account.no_such_user", value=username[:64])
        accounts[username] = _changed(accounts[username], active=False)
        _save(accounts, path)
        ended = _end_sessions(username, path)
    audit("user.disabled", path, user=username, by=by, sessions_ended=ended)
    return accounts[username]


def enable_account(username: str, path: Path | None = None, by: str | None = None) -> Account:
    """Enable a disabled account again, with the role it had; it signs in anew (no earlier sign-in comes back)."""
    path = path or accounts_path()
    with locked(path):
        accounts = load_accounts(path)
        if username not in accounts:
            raise AccountError("account.no_such_user", value=username[:64])
        if not accounts[username].disabled:
            raise AccountError("account.not_disabled", value=username)
        accounts[username] = _changed(accounts[username], active=True)
        _save(accounts, path)
        ended = _end_sessions(username, path)
    audit("user.enabled", path, user=username, role=accounts[username].role, by=by, sessions_ended=ended)
    return accounts[username]


def set_role(cat: Catalogue, username: str, role: str, department: str | None = None, path: Path | None = None,
             by: str | None = None) -> Account:
    """Give an account another role (and department); the change is kept in its history and the audit log, and
    its sign-ins end (it signs in again as what it now is)."""
    path = path or accounts_path()
    _check_role(cat, role, department)
    with locked(path):
        accounts = load_accounts(path)
        if username not in accounts:
            raise AccountError("account.no_such_user", value=username[:64])
        before = accounts[username]
        accounts[username] = _changed(before, role=role, department=department if role == "department_editor" or department else None)
        _save(accounts, path)
        ended = _end_sessions(username, path)
    audit("user.role_changed", path, user=username, role=role, department=department,
          previous_role=before.role, previous_department=before.department, by=by, sessions_ended=ended)
    return accounts[username]


def acting(username: str | None, path: Path | None = None) -> Account:
    """The account a write is recorded as: it must exist and be active (`reference` is the seed data's, no one's)."""
    name = (username or "").strip()
    if name in RESERVED:
        raise AccountError("account.reserved", value=name)
    if not USERNAME_RE.match(name):
        raise AccountError("account.bad_username", value=name[:64] + ("…" if len(name) > 64 else ""))
    account = load_accounts(path).get(name)
    if account is None:
        raise AccountError("account.unknown_actor", value=name[:64])
    if account.disabled:
        raise AccountError("account.disabled", value=name)
    return account


def may_upload(account: Account, department: str) -> None:
    """An upload for `department` needs its editor or an admin (who then acts for the department, recorded as admin)."""
    if not account.can_upload_for(department):
        raise AccountError("account.cannot_upload", user=account.username, role=account.role, department=department)


def require_admin(username: str | None, path: Path | None = None) -> str | None:
    """Account commands are an admin's; until an active admin exists (a new installation) the operator is trusted."""
    path = path or accounts_path()
    if not any(a.role == "admin" and not a.disabled for a in load_accounts(path).values()):
        return username
    account = acting(username, path)
    if account.role != "admin":
        raise AccountError("account.needs_admin", user=account.username)
    return account.username


# --- signing in ---------------------------------------------------------------------------------------------


def _signin_path(path: Path) -> Path:
    return path.with_name("signin.json")


def authenticate(username: str, password: str, path: Path | None = None, *, client: str | None = None,
                 rules: Accounts | None = None, clock=time.time) -> Account | None:
    """The account if the password matches and the account is active, else None.

    Failures slow the next try down (per account and per client) and lock after a limit for a while: a try
    too soon or while locked raises AccountError without looking at the password. Every failure, lock and
    sign-in goes to the audit log.
    """
    path = path or accounts_path()
    rules = rules or _default_rules()
    name = username.strip().lower()
    keys = [f"user:{name}"] + ([f"client:{client}"] if client else [])
    limits = {keys[0]: rules.signin_lock_after, **({keys[1]: rules.signin_client_lock_after} if client else {})}
    state_path = _signin_path(path)
    with locked(state_path):
        now = clock()
        state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
        state = {k: v for k, v in state.items() if now - v.get("last", 0) < rules.signin_lock_minutes * 60
                 or v.get("locked_until", 0) > now}  # forget failures older than a lock period
        for key in keys:
            entry = state.get(key) or {}
            if entry.get("locked_until", 0) > now:
                audit("signin.refused_locked", path, user=name[:64], client=client)
                raise AccountError("account.locked", minutes=math.ceil((entry["locked_until"] - now) / 60))
            failures = entry.get("failures", 0)
            if failures:
                wait = min(rules.signin_delay_seconds * 2 ** (failures - 1), rules.signin_max_delay_seconds)
                if now < entry["last"] + wait:
                    raise AccountError("account.slow_down", seconds=math.ceil(entry["last"] + wait - now))
        from argon2.exceptions import InvalidHashError, VerificationError  # as _Hasher's import

        account = load_accounts(path).get(name)
        ok = False
        if account is None or account.disabled:
            _hasher.hash(password)  # spend the same time whether or not the user exists
        else:
            try:
                ok = _hasher.verify(account.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if ok:
            state.pop(keys[0], None)
        else:
            for key in keys:
                entry = state.setdefault(key, {"failures": 0})
                entry.update(failures=entry["failures"] + 1, last=now)
                if entry["failures"] >= limits[key]:
                    entry.update(failures=0, locked_until=now + rules.signin_lock_minutes * 60)
                    audit("signin.locked", path, who=key[:80], minutes=rules.signin_lock_minutes)
        write_private(state_path, json.dumps(state, sort_keys=True) + "\n")
    audit("signin.ok" if ok else "signin.failed", path, user=name[:64], client=client)
    return account if ok else None


def account_for_email(email: str, path: Path | None = None) -> Account | None:
    """With OpenID Connect, the provider's e-mail picks the account that holds the role and department."""
    wanted = email.strip().lower()
    return next((a for a in load_accounts(path).values() if a.email and a.email.lower() == wanted and not a.disabled), None)
