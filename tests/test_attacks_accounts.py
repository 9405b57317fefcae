"""Issue 10's attack rows on who may act and on the ledger, each tried as an attacker or a clumsy user would."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import accounts, catalogue
from pipelines.build import writes
from pipelines.cli import main
from pipelines.errors import AccountError, ForumError
from pipelines.ledger.forum import read_events
from pipelines.ledger.uploads import read_receipts

ROOT = Path(__file__).resolve().parent.parent
UPLOAD = "지표코드,기준기간,값\nforeign_tourists,2025,16370000\n".encode()
PASSWORD = "a long password 123"  # conftest.PASSWORD


def _cli(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, list(args), input=stdin)


@pytest.fixture
def upload_file(tmp_path: Path) -> Path:
    path = tmp_path / "values.csv"
    path.write_bytes(UPLOAD)
    return path


# --- who may act: `cityidx upload --as` a disabled user, a user that does not exist, or `reference` ----------

@pytest.mark.parametrize("who, phrase", [
    ("nobody", "there is no account 'nobody'"),
    ("reference", "reserved for the seed data"),
    ("kim-disabled", "is disabled"),
    ("ana", "may not upload for tourism_sports"),  # an analyst
    ("lee", "may not upload for tourism_sports"),  # another department's editor
    ("park", "may not upload for tourism_sports"),  # a forum organizer
    ("x" * 300, "there is no account"),  # 300 characters: a clear message, no traceback
])
def test_upload_as_someone_who_may_not_is_refused_and_writes_nothing(who, phrase, mini: Path, mini_warehouse: Path,
                                                                      upload_file: Path):
    cat = catalogue.load(mini)
    accounts.add_account(cat, "kim-disabled", PASSWORD, "department_editor", "tourism_sports")
    accounts.disable_account("kim-disabled")
    before = mini_warehouse.read_bytes()
    r = _cli("upload", "--catalogue", str(mini), "--department", "tourism_sports", "--as", who, str(upload_file))
    assert r.exit_code == 1, r.output
    assert phrase in r.output and "Traceback" not in r.output
    assert read_receipts(cat) == []
    assert mini_warehouse.read_bytes() == before
    assert not list((mini.parent / "data" / "staging").glob("*"))


def test_upload_defaults_to_the_login_name_which_must_be_an_account(mini: Path, mini_warehouse: Path, upload_file: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("USER", "mallory")
    r = _cli("upload", "--catalogue", str(mini), "--department", "tourism_sports", str(upload_file))
    assert r.exit_code == 1 and "there is no account 'mallory'" in r.output
    monkeypatch.setenv("USER", "kim")
    r = _cli("upload", "--catalogue", str(mini), "--department", "tourism_sports", str(upload_file))
    assert r.exit_code == 0, r.output


def test_an_admin_acting_for_a_department_is_recorded_as_admin(mini: Path, mini_warehouse: Path, upload_file: Path):
    r = _cli("upload", "--catalogue", str(mini), "--department", "tourism_sports", "--as", "root", str(upload_file))
    assert r.exit_code == 0, r.output
    assert "root (admin)" in r.output
    [receipt] = read_receipts(catalogue.load(mini))
    assert (receipt.uploaded_by, receipt.uploaded_by_role) == ("root", "admin")
    assert json.loads((receipt.path / "receipt.json").read_text())["uploaded_by_role"] == "admin"


def test_the_library_rechecks_the_account_whoever_calls_it(mini: Path, mini_warehouse: Path):
    """The dashboard and the CLI both go through writes: a made-up or stale Account object cannot write."""
    cat = catalogue.load(mini)
    forged = accounts.Account(username="mallory", name="m", role="admin", department=None, email=None,
                              password_hash="", disabled=False, created_at="")
    with pytest.raises(AccountError, match="no account 'mallory'"):
        writes.commit_upload(cat, UPLOAD, "a.csv", "tourism_sports", forged, warehouse_path=mini_warehouse)
    with pytest.raises(AccountError, match="no account 'mallory'"):
        writes.record_event(cat, forged, "meeting.scheduled", {"meeting_id": "m", "forum_id": "competitiveness_forum",
                                                              "date": "2026-12-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)
    stale = accounts.load_accounts()["park"]
    accounts.disable_account("park")
    with pytest.raises(AccountError, match="is disabled"):
        writes.record_event(cat, stale, "meeting.scheduled", {"meeting_id": "m", "forum_id": "competitiveness_forum",
                                                             "date": "2026-12-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)
    assert read_receipts(cat) == [] and read_events(cat) == []


@pytest.mark.parametrize("who, phrase", [("nobody", "there is no account"), ("reference", "reserved"),
                                         ("kim", "may not do this"), ("ana", "may not do this")])
def test_forum_commands_as_someone_who_may_not_are_refused(who, phrase, mini: Path, mini_warehouse: Path):
    r = _cli("forum", "meeting", "add", "--catalogue", str(mini), "--date", "2026-12-09", "--as", who)
    assert r.exit_code == 1 and phrase in r.output, r.output
    assert read_events(catalogue.load(mini)) == []
    ok = _cli("forum", "meeting", "add", "--catalogue", str(mini), "--date", "2026-12-09", "--as", "park")
    assert ok.exit_code == 0, ok.output
    assert [e.by for e in read_events(catalogue.load(mini))] == ["park"]


def test_reference_cannot_be_created():
    r = _cli("user", "add", "reference", "--role", "admin", "--password-stdin", "--as", "root", stdin=PASSWORD + "\n")
    assert r.exit_code == 1 and "reserved for the seed data" in r.output


def test_account_commands_are_an_admins(test_accounts: Path):
    r = _cli("user", "add", "eve", "--role", "admin", "--password-stdin", "--as", "kim", stdin=PASSWORD + "\n")
    assert r.exit_code == 1 and "only an admin manages accounts" in r.output
    r = _cli("user", "disable", "root", "--as", "nobody")
    assert r.exit_code == 1 and "there is no account 'nobody'" in r.output
    assert "eve" not in accounts.load_accounts() and not accounts.load_accounts()["root"].disabled
    r = _cli("user", "role", "kim", "--role", "forum_organizer", "--as", "root")
    assert r.exit_code == 0, r.output
    kim = accounts.load_accounts()["kim"]
    assert kim.role == "forum_organizer" and kim.department is None
    assert [h["role"] for h in kim.history] == ["department_editor", "forum_organizer"]
    events = [(e["event"], e.get("user"), e.get("by")) for e in accounts.read_audit()]
    assert ("user.role_changed", "kim", "root") in events


def test_the_first_admin_needs_no_admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYIDX_ACCOUNTS", str(tmp_path / "fresh" / "accounts.json"))
    r = _cli("user", "add", "boss", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = _cli("user", "add", "kim", "--role", "analyst", "--password-stdin", "--as", "nobody", stdin=PASSWORD + "\n")
    assert r.exit_code == 1 and "there is no account 'nobody'" in r.output


# --- passwords of ten spaces, `aaaaaaaaaa`, equal to the user name ------------------------------------------

@pytest.mark.parametrize("password, phrase", [
    (" " * 10, "at least 12 characters"),
    (" " * 12, "one character repeated"),
    ("aaaaaaaaaa", "at least 12 characters"),
    ("aaaaaaaaaaaaaaaa", "one character repeated"),
    ("kimberly.lee", "may not contain the user name"),
    ("KIMBERLY.LEE-2026", "may not contain the user name"),
    ("qwertyuiop12", "too common"),
    ("Password1234", "too common"),
    ("short", "at least 12 characters"),
])
def test_weak_passwords_are_refused(password: str, phrase: str, mini: Path):
    r = _cli("user", "add", "kimberly.lee", "--catalogue", str(mini), "--role", "analyst", "--password-stdin",
             "--as", "root", stdin=password + "\n")
    assert r.exit_code == 1 and phrase in r.output, r.output
    assert "kimberly.lee" not in accounts.load_accounts()


def test_a_good_password_is_hashed_with_argon2id(mini: Path):
    r = _cli("user", "add", "kimberly.lee", "--catalogue", str(mini), "--role", "analyst", "--password-stdin",
             "--as", "root", stdin="river stone 1987 lantern\n")
    assert r.exit_code == 0, r.output
    assert accounts.load_accounts()["kimberly.lee"].password_hash.startswith("$argon2id$")


def test_the_common_password_list_is_shipped_and_read():
    listed = accounts._common_passwords()
    assert len(listed) > 100 and "password1234" in listed


# --- 8 `cityidx user add` at once (twice); `user disable` racing `user add`; the temp file's mode -----------

def test_16_concurrent_user_adds_and_racing_disables_lose_nothing(test_accounts: Path):
    """Real processes: 16 adds and 4 disables started together; every one lands, every one exits 0."""
    cat = catalogue.load()
    victims = [f"old{i}" for i in range(4)]
    for name in victims:
        accounts.add_account(cat, name, PASSWORD, "analyst")
    env = {**os.environ, "CITYIDX_ACCOUNTS": str(test_accounts), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pipelines.cli"]
    procs = [subprocess.Popen([*cmd, "user", "add", f"new{i:02d}", "--role", "analyst", "--password-stdin", "--as", "root"],
                              cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(16)]
    procs += [subprocess.Popen([*cmd, "user", "disable", name, "--as", "root"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in victims]
    outcomes = [p.communicate(PASSWORD + "\n", timeout=240) + (p.returncode,) for p in procs]
    assert [rc for _, _, rc in outcomes] == [0] * 20, [err for _, err, rc in outcomes if rc]
    held = accounts.load_accounts()
    assert {f"new{i:02d}" for i in range(16)} <= set(held)
    assert all(held[name].disabled for name in victims)
    assert len(held) == 5 + 4 + 16  # the test accounts, the victims, the new ones
    added = [e["user"] for e in accounts.read_audit() if e["event"] == "user.added"]
    assert len(added) == 4 + 16
    assert not [p for p in test_accounts.parent.iterdir() if p.name.endswith(".tmp")]


def test_the_account_file_is_private_from_its_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The temp file is created 0600 (not chmod-ed after being written) in a 0700 folder."""
    folder = tmp_path / "private"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    path = folder / "accounts.json"
    seen: list[int] = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(stat.S_IMODE(os.stat(src).st_mode))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    accounts.add_account(catalogue.load(), "newbie", PASSWORD, "analyst", path=path)
    assert seen == [0o600]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(accounts.audit_path(path).stat().st_mode) == 0o600


def test_forum_author_must_hold_the_role_now(mini: Path, mini_warehouse: Path):
    """A department editor cannot schedule a meeting, whatever Account object the caller builds."""
    cat = catalogue.load(mini)
    kim = accounts.load_accounts()["kim"]
    promoted = accounts.Account(**{**kim.__dict__, "role": "admin"})
    with pytest.raises(ForumError, match="may not do this"):
        writes.record_event(cat, promoted, "meeting.scheduled", {"meeting_id": "m", "forum_id": "competitiveness_forum",
                                                                "date": "2026-12-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)
