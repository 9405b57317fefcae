"""Lasting sign-ins (pipelines.sessions): the secret, the token's signature and age, server-side sign-out."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from itsdangerous import URLSafeTimedSerializer

from pipelines import accounts, catalogue, sessions
from pipelines.cli import main

PASSWORD = "a long password 123"  # conftest.PASSWORD


def test_the_secret_is_made_once_private_and_kept(tmp_path: Path) -> None:
    first = sessions.secret(tmp_path)
    path = tmp_path / sessions.SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64 and sessions.secret(tmp_path) == first  # not replaced on the next start


def test_a_token_names_a_live_session_until_sign_out(tmp_path: Path) -> None:
    started = sessions.start("kim", 8, tmp_path)
    found = sessions.resolve(started.token, 8, tmp_path)
    assert found is not None and found.username == "kim" and found.sid == started.sid
    sessions.end(started.sid, tmp_path)
    assert sessions.resolve(started.token, 8, tmp_path) is None


def _tampered(token: str) -> str:
    """One character changed in the middle of the signature (the last base64 character may carry unused bits)."""
    head, sig = token.rsplit(".", 1)
    i = len(sig) // 2
    return f"{head}.{sig[:i]}{'A' if sig[i] != 'A' else 'B'}{sig[i + 1:]}"


def test_tampered_foreign_or_expired_tokens_are_refused(tmp_path: Path) -> None:
    started = sessions.start("kim", 8, tmp_path)
    assert sessions.resolve(_tampered(started.token), 8, tmp_path) is None
    # Signed with another secret (another installation), claiming the same session.
    forged = URLSafeTimedSerializer("x" * 64, salt=sessions.SALT).dumps({"sid": started.sid, "user": "kim"})
    assert sessions.resolve(forged, 8, tmp_path) is None
    # Signed correctly but naming another user than the session's.
    other = URLSafeTimedSerializer(sessions.secret(tmp_path), salt=sessions.SALT).dumps({"sid": started.sid, "user": "root"})
    assert sessions.resolve(other, 8, tmp_path) is None
    # A path in place of a session id never becomes a file name.
    sneaky = URLSafeTimedSerializer(sessions.secret(tmp_path), salt=sessions.SALT).dumps({"sid": "../../accounts", "user": "kim"})
    assert sessions.resolve(sneaky, 8, tmp_path) is None
    assert sessions.resolve(None, 8, tmp_path) is None and sessions.resolve("x" * 5000, 8, tmp_path) is None
    # The server-side session expires with its hours, whatever the token's age.
    later = datetime.now(UTC) + timedelta(hours=8, minutes=1)
    assert not sessions.alive(started.sid, "kim", tmp_path, later)


def test_a_shorter_setting_ends_older_tokens(tmp_path: Path) -> None:
    started = sessions.start("kim", 8, tmp_path)
    assert sessions.resolve(started.token, 8, tmp_path) is not None
    assert sessions.resolve(started.token, -1, tmp_path) is None  # max_age below the token's age


def test_end_all_and_sweep(tmp_path: Path) -> None:
    a, b = sessions.start("kim", 8, tmp_path), sessions.start("kim", 8, tmp_path)
    c = sessions.start("lee", 8, tmp_path)
    assert sessions.end_all("kim", tmp_path) == 2
    assert sessions.resolve(a.token, 8, tmp_path) is None and sessions.resolve(b.token, 8, tmp_path) is None
    assert sessions.resolve(c.token, 8, tmp_path) is not None
    sessions.sweep(tmp_path, datetime.now(UTC) + timedelta(hours=9))
    assert list((tmp_path / sessions.SESSIONS_DIR).glob("*.json")) == []


def test_the_session_length_is_a_catalogue_setting() -> None:
    assert catalogue.load().sign_in.session_hours == 8


# --- the account store ends sign-ins (issue 12): disable, role change, enable ------------------------------------

def _signed_in(*names: str) -> dict[str, sessions.Session]:
    """A live session for each name, in the folder of this test's account file (where the dashboard keeps them)."""
    return {n: sessions.start(n, 8, accounts.accounts_path().parent) for n in names}


def _alive(s: sessions.Session) -> bool:
    return sessions.resolve(s.token, 8, accounts.accounts_path().parent) is not None


def test_disabling_or_changing_a_role_ends_that_accounts_sign_ins_only(test_accounts: Path) -> None:
    live = _signed_in("kim", "park")
    kim_a, park = live["kim"], live["park"]
    kim_b = sessions.start("kim", 8, accounts.accounts_path().parent)
    assert _alive(kim_a) and _alive(kim_b) and _alive(park)
    r = CliRunner().invoke(main, ["user", "disable", "kim", "--as", "root"])
    assert r.exit_code == 0 and "Every sign-in it had open has ended" in r.output, r.output
    assert not _alive(kim_a) and not _alive(kim_b), "a disabled account's cookie still names a live session"
    assert _alive(park), "another account's sign-in ended too"
    assert accounts.read_audit()[-1] | {"at": None} == {"event": "user.disabled", "user": "kim", "by": "root",
                                                        "sessions_ended": 2, "at": None}
    # A role change ends the sign-ins as well: the next click signs in as what the account now is.
    r = CliRunner().invoke(main, ["user", "role", "park", "--role", "analyst", "--as", "root"])
    assert r.exit_code == 0, r.output
    assert not _alive(park)


def test_an_account_enabled_again_signs_in_anew(test_accounts: Path) -> None:
    """The hostile case: kim's cookie from before the disable is replayed after an admin enables kim again."""
    old = _signed_in("kim")["kim"]
    assert CliRunner().invoke(main, ["user", "disable", "kim", "--as", "root"]).exit_code == 0
    r = CliRunner().invoke(main, ["user", "enable", "kim", "--as", "root"])
    assert r.exit_code == 0 and "Account enabled again: kim (department_editor, department tourism_sports)" in r.output
    assert "계정을 다시 사용하게 했습니다" in r.output
    kim = accounts.load_accounts()["kim"]
    assert not kim.disabled and kim.role == "department_editor" and kim.department == "tourism_sports"
    assert [h["active"] for h in kim.history][-2:] == [False, True]
    assert not _alive(old), "the old cookie came back to life with the account"
    assert accounts.authenticate("kim", PASSWORD) is not None, "the account signs in with its password again"
    event = next(e for e in accounts.read_audit() if e["event"] == "user.enabled")
    assert (event["user"], event["by"], event["role"], event["sessions_ended"]) == ("kim", "root", "department_editor", 0)


@pytest.mark.parametrize(("args", "phrase"), [
    (["user", "enable", "kim", "--as", "root"], "is already active"),
    (["user", "enable", "nobody", "--as", "root"], "no such user: nobody"),
    (["user", "enable", "kim", "--as", "kim"], "only an admin manages accounts"),
    (["user", "enable", "kim"], ""),  # no --as: refused (who acts must be said)
])
def test_enable_is_an_admins_and_only_for_a_disabled_account(test_accounts: Path, args: list[str], phrase: str) -> None:
    before = test_accounts.read_bytes()
    r = CliRunner().invoke(main, args)
    assert r.exit_code != 0 and phrase in r.output and "Traceback" not in r.output, r.output
    assert test_accounts.read_bytes() == before
