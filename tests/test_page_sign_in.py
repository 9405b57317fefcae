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
