"""Local accounts: roles, departments and argon2 password hashes, kept outside the ledger and git."""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pipelines import ROOT
from pipelines.errors import AccountError

if TYPE_CHECKING:  # only a type here; importing it would load pydantic for `cityidx --help`
    from pipelines.catalogue import Catalogue

ROLES = ("analyst", "department_editor", "forum_organizer", "admin")
DEFAULT_ACCOUNTS = ROOT / "data" / "private" / "accounts.json"
MIN_PASSWORD = 10
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,39}$")
_hasher = PasswordHasher()


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

    def can_upload_for(self, department: str) -> bool:
        if self.disabled:
            return False
        if self.role == "admin":
            return True
        return self.role == "department_editor" and self.department == department

    @property
    def can_run_forum(self) -> bool:
        return not self.disabled and self.role in ("forum_organizer", "admin")


def accounts_path() -> Path:
    """$CITYIDX_ACCOUNTS, else data/private/accounts.json (git-ignored)."""
    return Path(os.environ.get("CITYIDX_ACCOUNTS") or DEFAULT_ACCOUNTS)


def load_accounts(path: Path | None = None) -> dict[str, Account]:
    path = path or accounts_path()
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {u["username"]: Account(**u) for u in data.get("accounts", [])}


def _save(accounts: dict[str, Account], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    body = {"accounts": [asdict(a) for a in sorted(accounts.values(), key=lambda a: a.username)]}
    tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def add_account(cat: Catalogue, username: str, password: str, role: str, department: str | None = None,
                name: str | None = None, email: str | None = None, path: Path | None = None) -> Account:
    path = path or accounts_path()
    accounts = load_accounts(path)
    if not USERNAME_RE.match(username):
        raise AccountError("account.bad_username", value=username)
    if username in accounts:
        raise AccountError("account.exists", value=username)
    if role not in ROLES:
        raise AccountError("account.bad_role", allowed=", ".join(ROLES))
    if role == "department_editor" and not department:
        raise AccountError("account.needs_department")
    if department and department not in cat.offices:
        raise AccountError("upload.unknown_department", value=department)
    if len(password) < MIN_PASSWORD:
        raise AccountError("account.short_password", minimum=MIN_PASSWORD)
    account = Account(
        username=username, name=name or username, role=role, department=department, email=email,
        password_hash=_hasher.hash(password), disabled=False,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    accounts[username] = account
    _save(accounts, path)
    return account


def disable_account(username: str, path: Path | None = None) -> Account:
    path = path or accounts_path()
    accounts = load_accounts(path)
    if username not in accounts:
        raise AccountError("account.no_such_user", value=username)
    account = accounts[username]
    accounts[username] = Account(**{**asdict(account), "disabled": True})
    _save(accounts, path)
    return accounts[username]


def authenticate(username: str, password: str, path: Path | None = None) -> Account | None:
    """The account if the password matches and the account is active, else None."""
    account = load_accounts(path).get(username.strip().lower())
    if account is None or account.disabled:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return account


def account_for_email(email: str, path: Path | None = None) -> Account | None:
    """With OpenID Connect, the provider's e-mail picks the account that holds the role and department."""
    wanted = email.strip().lower()
    return next((a for a in load_accounts(path).values() if a.email and a.email.lower() == wanted and not a.disabled), None)
