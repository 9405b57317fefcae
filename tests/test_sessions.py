"""Lasting sign-ins (dashboard.sessions): the secret, the token's signature and age, server-side sign-out."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from itsdangerous import URLSafeTimedSerializer

from dashboard import sessions
from pipelines import catalogue


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
