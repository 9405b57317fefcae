"""Issue 10's attack rows on who may act and on the ledger, each tried as an attacker or a clumsy user would."""

from __future__ import annotations

import json
import os
import shutil
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
from tests.warehouse_files import warehouse_bytes, written_once

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
    ("x" * 300, "a username is 2-40 lowercase letters"),  # 300 characters: a clear message, no traceback
])
def test_upload_as_someone_who_may_not_is_refused_and_writes_nothing(who, phrase, mini: Path, mini_warehouse: Path,
                                                                      upload_file: Path):
    cat = catalogue.load(mini)
    accounts.add_account(cat, "kim-disabled", PASSWORD, "department_editor", "tourism_sports")
    accounts.disable_account("kim-disabled")
    before = warehouse_bytes(mini_warehouse)
    r = _cli("upload", "--catalogue", str(mini), "--department", "tourism_sports", "--as", who, str(upload_file))
    assert r.exit_code == 1, r.output
    assert phrase in r.output and "Traceback" not in r.output
    assert read_receipts(cat) == []
    assert warehouse_bytes(mini_warehouse) == before
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
                                                              "date": "2026-09-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)
    stale = accounts.load_accounts()["park"]
    accounts.disable_account("park")
    with pytest.raises(AccountError, match="is disabled"):
        writes.record_event(cat, stale, "meeting.scheduled", {"meeting_id": "m", "forum_id": "competitiveness_forum",
                                                             "date": "2026-09-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)
    assert read_receipts(cat) == [] and read_events(cat) == []


@pytest.mark.parametrize("who, phrase", [("nobody", "there is no account"), ("reference", "reserved"),
                                         ("kim", "may not do this"), ("ana", "may not do this")])
def test_forum_commands_as_someone_who_may_not_are_refused(who, phrase, mini: Path, mini_warehouse: Path):
    r = _cli("forum", "meeting", "add", "--catalogue", str(mini), "--date", "2026-09-09", "--as", who)
    assert r.exit_code == 1 and phrase in r.output, r.output
    assert read_events(catalogue.load(mini)) == []
    ok = _cli("forum", "meeting", "add", "--catalogue", str(mini), "--date", "2026-09-09", "--as", "park")
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
        # the account file's own replace: the first catalogue or message load of a process also keeps its parsed
        # form in the cache folder by a replace, which is not the account file's (the test failed by test order)
        if Path(dst) == path:
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
                                                                "date": "2026-09-09", "kind": "regular"},
                            warehouse_path=mini_warehouse)


# --- a ledger that shows tampering -----------------------------------------------------------------------------

MEETING = {"meeting_id": "m1", "forum_id": "competitiveness_forum", "date": "2026-09-09", "kind": "regular"}


_LEDGER: dict[str, Path] = {}  # this test process's first written ledger and its warehouse, copied for the others


@pytest.fixture
def ledger(mini: Path, mini_warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    """Three forum events and two uploads, all written through the library (so sealed).

    Written once per test process (five writes, each rebuilding a part of the warehouse), then copied: the ledger
    (with its seal key) and the warehouse are files that name no absolute path, so a copy is that ledger."""
    written_once(_LEDGER, mini, mini_warehouse, tmp_path_factory, lambda: _write_ledger(mini, mini_warehouse))
    return catalogue.load(mini)


def _write_ledger(mini: Path, mini_warehouse: Path) -> None:
    cat = catalogue.load(mini)
    writes.record_event(cat, "park", "meeting.scheduled", MEETING, warehouse_path=mini_warehouse)
    writes.record_event(cat, "park", "meeting.held", {"meeting_id": "m1", "attendees": 20}, warehouse_path=mini_warehouse)
    writes.record_event(cat, "park", "agenda.proposed", {"agenda_id": "a1", "meeting_id": "m1", "title": "관광", "proposer": "서울연구원"},
                        warehouse_path=mini_warehouse)
    writes.commit_upload(cat, UPLOAD, "a.csv", "tourism_sports", "kim", warehouse_path=mini_warehouse)
    writes.commit_upload(cat, "지표코드,기준기간,값\nforeign_tourists,2024,13150000\n".encode(), "b.csv", "tourism_sports", "kim",
                         warehouse_path=mini_warehouse)


def _events(cat) -> list[Path]:
    return sorted((cat.root / "data" / "raw" / "forum").glob("*.json"))


def _uploads(cat) -> list[Path]:
    return sorted((cat.root / "data" / "raw" / "departments" / "tourism_sports").iterdir())


def _fails_everywhere(cat, mini_warehouse: Path, file: str, phrase: str) -> None:
    """`cityidx check`, `cityidx build` and `cityidx verify` all refuse, naming the file; the warehouse is untouched."""
    before = warehouse_bytes(mini_warehouse)
    for command in ("check", "build", "verify"):
        r = _cli(command, "--catalogue", str(cat.path))
        assert r.exit_code == 1, (command, r.output)
        assert file in r.output and phrase in r.output, (command, r.output)
        assert "Traceback" not in r.output
    assert warehouse_bytes(mini_warehouse) == before


def test_a_sealed_ledger_verifies(ledger, mini_warehouse: Path):
    r = _cli("verify", "--catalogue", str(ledger.path))
    assert r.exit_code == 0, r.output
    assert "5 entries" in r.output
    assert all(json.loads(p.read_text())["mac"] for p in _events(ledger))
    key = ledger.root / "data" / "private" / "seal.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700


def test_a_forged_forum_event_fails_check_build_and_verify(ledger, mini_warehouse: Path):
    """`by: mallory, role: analyst`, written by hand into the forum log."""
    forged = _events(ledger)[-1].with_name("20260101T000000000000Z__agenda_decided__mallory.json")
    forged.write_text(json.dumps({"event_id": "e-forged", "type": "agenda.decided", "at": "2026-01-01T00:00:00+00:00",
                                  "by": "mallory", "role": "analyst", "data": {"agenda_id": "a1", "decision": "adopted"}}))
    _fails_everywhere(ledger, mini_warehouse, forged.name, "not sealed")


def test_a_forged_event_with_a_copied_mac_fails(ledger, mini_warehouse: Path):
    first = json.loads(_events(ledger)[0].read_text())
    forged = _events(ledger)[-1].with_name("29990101T000000000000Z__agenda_decided__park.json")
    forged.write_text(json.dumps({**first, "type": "agenda.decided", "data": {"agenda_id": "a1", "decision": "adopted"}}))
    _fails_everywhere(ledger, mini_warehouse, forged.name, "signature (HMAC) does not match")


def test_an_edited_past_event_fails(ledger, mini_warehouse: Path):
    target = _events(ledger)[1]
    target.write_text(target.read_text().replace('"attendees": 20', '"attendees": 200'))
    _fails_everywhere(ledger, mini_warehouse, target.name, "signature (HMAC) does not match")


def test_a_removed_event_breaks_the_chain_at_the_next_one(ledger, mini_warehouse: Path):
    first, second, third = _events(ledger)
    second.unlink()
    _fails_everywhere(ledger, mini_warehouse, third.name, "chain is broken")


def test_the_last_event_removed_is_missed(ledger, mini_warehouse: Path):
    last = _events(ledger)[-1]
    last.unlink()
    _fails_everywhere(ledger, mini_warehouse, last.name, "is missing")


def test_reordered_events_fail(ledger, mini_warehouse: Path):
    first, second, _ = _events(ledger)
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    _fails_everywhere(ledger, mini_warehouse, first.name, "signature (HMAC) does not match")


def test_an_edited_upload_with_its_receipt_sha256_fails(ledger, mini_warehouse: Path):
    folder = _uploads(ledger)[0]
    data = "지표코드,기준기간,값\nforeign_tourists,2025,99999999\n".encode()
    (folder / "upload.csv").write_bytes(data)
    receipt = json.loads((folder / "receipt.json").read_text())
    receipt["sha256"] = __import__("hashlib").sha256(data).hexdigest()
    (folder / "receipt.json").write_text(json.dumps(receipt))
    _fails_everywhere(ledger, mini_warehouse, f"{folder.name}/receipt.json", "signature (HMAC) does not match")
    r = _cli("verify", "--catalogue", str(ledger.path))
    assert r.output.count(f"{folder.name}/receipt.json:") == 2  # one problem for the edited entry, in ko and en


def test_a_forged_upload_folder_dated_2099_fails(ledger, mini_warehouse: Path):
    real = _uploads(ledger)[0]
    forged = real.with_name("20991231T000000000000Z__kim")
    forged.mkdir()
    data = "지표코드,기준기간,값\nforeign_tourists,2025,1\n".encode()
    (forged / "upload.csv").write_bytes(data)
    receipt = {**json.loads((real / "receipt.json").read_text()), "uploaded_at": "2099-12-31T00:00:00+00:00",
               "sha256": __import__("hashlib").sha256(data).hexdigest(), "bytes": len(data)}
    (forged / "receipt.json").write_text(json.dumps(receipt))
    _fails_everywhere(ledger, mini_warehouse, forged.name, "signature (HMAC) does not match")
    r = _cli("verify", "--catalogue", str(ledger.path))
    assert "dated in the future: 2099-12-31" in r.output


def test_an_edited_fetched_snapshot_fails(ledger, mini_warehouse: Path):
    from pipelines.ledger import seal

    root = ledger.root / "data" / "raw" / "fetched" / "mori_gpci"
    root.mkdir(parents=True)
    body = b"rank,city\n1,London\n"
    with seal.appending(ledger):
        entry = seal.stream_of(ledger, root / "20260101T000000000000Z__abc.json")
        receipt = seal.sign(ledger, entry, {"index_id": "mori_gpci", "url": "https://example.org/x.csv", "file": "20260101T000000000000Z__abc.csv",
                                            "sha256": __import__("hashlib").sha256(body).hexdigest(), "fetched_at": "2026-01-01T00:00:00+00:00"})
        (root / "20260101T000000000000Z__abc.csv").write_bytes(body)
        entry.file.write_text(json.dumps(receipt))
        seal.acknowledge(ledger, [entry])
    assert _cli("verify", "--catalogue", str(ledger.path)).exit_code == 0
    (root / "20260101T000000000000Z__abc.csv").write_bytes(b"rank,city\n1,Seoul\n")
    _fails_everywhere(ledger, mini_warehouse, "20260101T000000000000Z__abc.csv", "differs from its receipt")


def test_a_genesis_entry_with_a_broken_time_is_a_problem_not_a_traceback(ledger, tmp_path: Path):

    clone = tmp_path / "clone"
    shutil.copytree(ledger.root, clone, ignore=shutil.ignore_patterns("private", "staging"))
    folder = sorted((clone / "data" / "raw" / "departments" / "tourism_sports").iterdir())[0]
    receipt = json.loads((folder / "receipt.json").read_text())
    (folder / "receipt.json").write_text(json.dumps({**receipt, "uploaded_at": "yesterday"}))
    r = _cli("check", "--catalogue", str(clone / "indicators.yml"))
    assert r.exit_code == 1 and "'uploaded_at' is not an ISO 8601 time" in r.output and "Traceback" not in r.output


def test_an_edited_seal_file_fails(ledger, mini_warehouse: Path):
    path = ledger.root / "data" / "private" / "seal.json"
    body = json.loads(path.read_text())
    body["heads"].pop("forum")
    path.write_text(json.dumps(body))
    r = _cli("check", "--catalogue", str(ledger.path))
    assert r.exit_code == 1 and "seal.json was edited" in r.output


def test_a_fresh_clone_takes_the_ledger_it_finds_as_genesis(ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A clone has the git-tracked entries but no data/private: the first run seals them and the build works."""

    clone = tmp_path / "clone"
    shutil.copytree(ledger.root, clone, ignore=shutil.ignore_patterns("private", "staging"))
    path = tmp_path / "clone.duckdb"
    r = _cli("build", "--catalogue", str(clone / "indicators.yml"), "--warehouse", str(path))
    assert r.exit_code == 0, r.output
    assert (clone / "data" / "private" / "seal.key").is_file()
    genesis = json.loads((clone / "data" / "private" / "seal.json").read_text())["genesis"]
    assert len(genesis["forum"]) == 3 and len(genesis["departments/tourism_sports"]) == 2
    # a new entry chains onto the genesis; an edited genesis entry fails
    cat = catalogue.load(clone / "indicators.yml")
    writes.record_event(cat, "park", "meeting.held", {"meeting_id": "m1", "attendees": 21}, warehouse_path=path)
    assert _cli("verify", "--catalogue", str(cat.path)).exit_code == 0
    first = _events(cat)[0]
    first.write_text(first.read_text().replace("2026-09-09", "2026-12-10"))
    r = _cli("verify", "--catalogue", str(cat.path))
    assert r.exit_code == 1 and first.name in r.output and "changed after it was sealed" in r.output


def test_a_deliberate_correction_is_resealed_by_an_admin(ledger, mini_warehouse: Path):
    target = _events(ledger)[1]
    target.write_text(target.read_text().replace('"attendees": 20', '"attendees": 21'))
    assert _cli("verify", "--catalogue", str(ledger.path)).exit_code == 1
    r = _cli("verify", "--catalogue", str(ledger.path), "--reseal", "--as", "root")
    assert r.exit_code == 2  # a reason is required
    r = _cli("verify", "--catalogue", str(ledger.path), "--reseal", "--reason", "attendance miscounted", "--as", "kim")
    assert r.exit_code == 1 and "only an admin" in r.output
    r = _cli("verify", "--catalogue", str(ledger.path), "--reseal", "--reason", "attendance miscounted", "--as", "root")
    assert r.exit_code == 0, r.output
    assert _cli("verify", "--catalogue", str(ledger.path)).exit_code == 0
    assert _cli("build", "--catalogue", str(ledger.path)).exit_code == 0
    resealed = [e for e in accounts.read_audit(ledger.root / "data" / "private" / "accounts.json") if e["event"] == "seal.resealed"]
    assert resealed and resealed[-1]["by"] == "root" and resealed[-1]["reason"] == "attendance miscounted"


# --- replay re-checks what an entry claims --------------------------------------------------------------------

def _now_stamp() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _signed_event(cat, name: str, content: dict) -> Path:
    """An event written past the library's checks but with this installation's seal (a compromised writer)."""
    from pipelines.ledger import seal

    final = cat.root / "data" / "raw" / "forum" / name
    with seal.appending(cat):
        entry = seal.stream_of(cat, final)
        final.write_text(json.dumps(seal.sign(cat, entry, content)))
        seal.acknowledge(cat, [entry])
    return final


def test_replay_refuses_an_event_its_author_had_no_role_for(ledger, mini_warehouse: Path):
    path = _signed_event(ledger, f"{_now_stamp()}__agenda_decided__kim.json",
                         {"event_id": "e-x", "type": "agenda.decided", "at": "2026-01-01T00:00:00+00:00", "by": "kim",
                          "role": "forum_organizer", "data": {"agenda_id": "a1", "decision": "adopted"}})
    assert _cli("verify", "--catalogue", str(ledger.path)).exit_code == 0  # the seal holds: the claim does not
    r = _cli("check", "--catalogue", str(ledger.path))
    assert r.exit_code == 1 and "kim was not an active 'forum_organizer'" in r.output and path.name in r.output


def test_replay_keeps_an_event_whose_author_has_since_changed_role(ledger, mini_warehouse: Path):
    assert _cli("user", "role", "park", "--role", "analyst", "--as", "root").exit_code == 0
    assert _cli("check", "--catalogue", str(ledger.path)).exit_code == 0  # park was an organizer then


def test_replay_refuses_an_event_by_an_author_disabled_at_the_time(ledger, mini_warehouse: Path):
    accounts.disable_account("park")
    _signed_event(ledger, f"{_now_stamp()}__agenda_decided__park.json",
                  {"event_id": "e-y", "type": "agenda.decided", "at": accounts._now(), "by": "park",
                   "role": "forum_organizer", "data": {"agenda_id": "a1", "decision": "adopted"}})
    r = _cli("check", "--catalogue", str(ledger.path))
    assert r.exit_code == 1 and "park was not an active 'forum_organizer'" in r.output


def test_replay_refuses_an_upload_for_indicators_its_department_does_not_own(ledger, mini_warehouse: Path):
    """A sealed upload of economic_policy_office holding a tourism indicator (written past the library's check)."""
    from pipelines.ledger import seal, uploads

    data = "지표코드,기준기간,값\nforeign_tourists,2025,1\n".encode()
    lee = accounts.load_accounts()["lee"]
    with seal.appending(ledger):
        staged, final, _ = uploads.stage_upload(ledger, data, "x.csv", "economic_policy_office", lee, "utf-8", 1,
                                                __import__("datetime").datetime.now(__import__("datetime").UTC))
        seal.intend(ledger, seal.stream_of(ledger, final / "receipt.json"))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, final)
        seal.acknowledge(ledger, [seal.stream_of(ledger, final / "receipt.json")])
    assert _cli("verify", "--catalogue", str(ledger.path)).exit_code == 0
    r = _cli("check", "--catalogue", str(ledger.path))
    assert r.exit_code == 1 and "owned by" in r.output and final.name in r.output


def test_replay_refuses_an_upload_by_someone_not_allowed_then(ledger, mini_warehouse: Path):
    from pipelines.ledger import seal, uploads

    ana = accounts.load_accounts()["ana"]
    with seal.appending(ledger):
        staged, final, _ = uploads.stage_upload(ledger, UPLOAD, "x.csv", "tourism_sports", ana, "utf-8", 1,
                                                __import__("datetime").datetime.now(__import__("datetime").UTC))
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged, final)
        seal.acknowledge(ledger, [seal.stream_of(ledger, final / "receipt.json")])
    r = _cli("check", "--catalogue", str(ledger.path))
    assert r.exit_code == 1 and "ana was neither an editor of tourism_sports nor an admin" in r.output


# --- a process killed after its commit is reported by the next command ----------------------------------------

KILL_AFTER_COMMIT = """
import sys, time
from pathlib import Path
from pipelines import catalogue
from pipelines.build import warehouse, writes
def stall(a, b):
    print("committed", flush=True)
    time.sleep(60)
warehouse.swap = stall
cat = catalogue.load(sys.argv[1])
writes.commit_upload(cat, "지표코드,기준기간,값\\nforeign_tourists,2025,16370000\\n".encode(), "k.csv",
                     "tourism_sports", "kim", warehouse_path=Path(sys.argv[2]))
"""


def test_an_upload_killed_after_its_commit_is_reported_by_the_next_command(mini: Path, mini_warehouse: Path):
    proc = subprocess.Popen([sys.executable, "-c", KILL_AFTER_COMMIT, str(mini), str(mini_warehouse)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "committed"
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(read_receipts(catalogue.load(mini))) == 1
    r = _cli("check", "--catalogue", str(mini))
    assert r.exit_code == 0, r.output
    assert "the last upload of tourism_sports (by kim" in r.output and "was committed" in r.output
    r = _cli("build", "--catalogue", str(mini))
    assert r.exit_code == 0 and "was committed" in r.output  # said by the command that brings the warehouse up to date
    r = _cli("check", "--catalogue", str(mini))
    assert r.exit_code == 0 and "was committed" not in r.output  # said once


def test_a_writer_still_running_is_not_taken_for_an_interrupted_one(ledger, mini_warehouse: Path):
    from pipelines.ledger import seal

    report = seal.verify(ledger)
    assert report.ok and report.interrupted == []


# --- 40 wrong passwords, then the right one ---------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_40_wrong_passwords_then_the_right_one_is_locked_out(test_accounts: Path):
    clock = Clock()
    rules = catalogue.Accounts()  # the defaults: lock after 10 failures for 15 minutes
    outcomes = []
    for i in range(40):
        clock.now += 31 if i < 10 else 5  # past the longest slow-down, so every try reaches the lock rule
        try:
            outcomes.append(accounts.authenticate("kim", f"wrong guess {i:03d}", rules=rules, clock=clock))
        except AccountError as exc:
            outcomes.append(exc.key)
    assert outcomes[:10] == [None] * 10
    assert outcomes[10:] == ["account.locked"] * 30
    clock.now += 31
    with pytest.raises(AccountError, match="locked; try again in") as caught:
        accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock)
    assert "잠겼습니다" in str(caught.value)  # said in Korean and English
    clock.now += rules.signin_lock_minutes * 60
    assert accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock).username == "kim"
    events = [e["event"] for e in accounts.read_audit()]
    assert events.count("signin.failed") == 10 and events.count("signin.locked") == 1
    assert events.count("signin.refused_locked") == 31 and events[-1] == "signin.ok"


def test_failures_slow_the_next_try_down(test_accounts: Path):
    clock = Clock()
    rules = catalogue.Accounts()
    assert accounts.authenticate("kim", "wrong guess 1", rules=rules, clock=clock) is None
    with pytest.raises(AccountError, match=r"wait 1 s"):
        accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock)  # even the right password waits
    clock.now += 1
    assert accounts.authenticate("kim", "wrong guess 2", rules=rules, clock=clock) is None
    clock.now += 1
    with pytest.raises(AccountError, match=r"wait 1 s"):  # the second failure doubled the wait to 2 s
        accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock)
    clock.now += 1
    assert accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock) is not None
    assert accounts.authenticate("kim", "wrong guess 3", rules=rules, clock=clock) is None  # success forgot the rest
    clock.now += 1
    assert accounts.authenticate("kim", PASSWORD, rules=rules, clock=clock) is not None


def test_failures_from_one_client_lock_that_client_across_accounts(test_accounts: Path):
    clock = Clock()
    rules = catalogue.Accounts(signin_client_lock_after=5)
    for i, name in enumerate(["kim", "lee", "park", "ana", "root"]):
        clock.now += 31
        assert accounts.authenticate(name, f"wrong guess {i}", client="203.0.113.9", rules=rules, clock=clock) is None
    clock.now += 31
    with pytest.raises(AccountError, match="locked"):
        accounts.authenticate("kim", PASSWORD, client="203.0.113.9", rules=rules, clock=clock)
    assert accounts.authenticate("kim", PASSWORD, client="198.51.100.7", rules=rules, clock=clock) is not None


def test_a_disabled_or_unknown_account_never_signs_in_and_is_audited(test_accounts: Path):
    clock = Clock()
    accounts.disable_account("lee")
    assert accounts.authenticate("lee", PASSWORD, clock=clock) is None
    clock.now += 60
    assert accounts.authenticate("nobody", PASSWORD, clock=clock) is None
    failed = [e["user"] for e in accounts.read_audit() if e["event"] == "signin.failed"]
    assert failed == ["lee", "nobody"]


def test_the_dashboard_sign_in_slows_down_and_says_so(mini: Path, mini_warehouse: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    from dashboard.text import t

    # a minute's wait after the first failure: "at once" must hold on a loaded machine too, where one rerun of the
    # app can take longer than the default second
    with open(mini, "a", encoding="utf-8") as handle:
        handle.write("accounts:\n  signin_delay_seconds: 60.0\n")
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()

    def sign_in(password: str) -> None:
        at.text_input(key="auth_username").input("kim")
        at.text_input(key="auth_password").input(password)
        next(b for b in at.button if b.label == t("ui.auth.sign_in", "en")).click()
        at.run()

    sign_in("wrong guess 1")
    assert [e.value for e in at.error] == [t("ui.auth.failed", "en")]
    sign_in(PASSWORD)  # at once: refused without looking at the password
    assert any("wait" in e.value for e in at.error), [e.value for e in at.error]
    assert "account" not in at.session_state or not at.session_state["account"]
    assert [e["event"] for e in accounts.read_audit()] == ["signin.failed"]


def test_fetch_is_a_write_and_names_a_real_account(mini: Path):
    for who, phrase in (("nobody", "there is no account 'nobody'"), ("reference", "reserved for the seed data")):
        r = _cli("fetch", "--catalogue", str(mini), "--as", who)
        assert r.exit_code == 1 and phrase in r.output, r.output
    assert not (mini.parent / "data" / "raw" / "fetched").exists()
