"""Sign-in in the page body (issue 12): on a phone the sidebar is folded away, so the pages that write offer it too."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.text import t
from tests.conftest import PASSWORD
from tests.page_reading import run_on

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", ["views/my_indicators.py", "views/forum.py"])
def test_a_signed_out_reader_signs_in_from_the_page_body(page: str, mini: Path, mini_warehouse: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    run_on(at, page)
    assert not at.exception, [e.value for e in at.exception]
    assert [e.label for e in at.expander if e.label == t("ui.auth.sign_in_here", "ko")], "no sign-in box in the page"
    at.text_input(key="page_auth_username").input("kim")
    at.text_input(key="page_auth_password").input(PASSWORD)
    buttons = [b for b in at.button if b.label == t("ui.auth.sign_in", "ko")]
    assert len(buttons) == 2  # the sidebar's and the page's
    next(b for b in buttons if "page_auth" in str(b.form_id)).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["account"] == "kim"
    # signed in: the page no longer offers the box
    assert not [e for e in at.expander if e.label == t("ui.auth.sign_in_here", "ko")]


@pytest.mark.parametrize("live", [True, False])
def test_a_session_looks_at_its_cookie_once(live: bool, mini: Path, mini_warehouse: Path,
                                            monkeypatch: pytest.MonkeyPatch):
    """st.context.cookies are those of the request that opened the session, so a session looks at them on its first
    run only (a signed-out reader's rerun no longer checks a token each time): a live session's cookie signs its
    reader in there and the reader stays signed in; an ended one's is refused there and is not tried again."""
    from streamlit.runtime.context import ContextProxy

    from pipelines import accounts, sessions

    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    folder = accounts.accounts_path().parent
    started = sessions.start("kim", 8, folder)
    if not live:
        sessions.end(started.sid, folder)
    looked = []

    def cookies(self):
        looked.append(started.token)
        return {sessions.COOKIE: started.token}

    monkeypatch.setattr(ContextProxy, "cookies", property(cookies))
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60)
    for _ in range(3):
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state["account"] == "kim" if live else "account" not in at.session_state
    assert len(looked) == 1
    sign_in = [b for b in at.button if b.label == t("ui.auth.sign_in", "ko")]
    assert bool(sign_in) is not live
