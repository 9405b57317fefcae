"""A sign-in that lasts, in Chromium against the real server: reload, new tab, sign-out, revocation, a disabled account.

Screenshots: artifacts/signin/.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, ROOT, WIDE, follow, goto, settle, sidebar_text, sign_in, sign_out
from pipelines import accounts, sessions
from pipelines.ledger.uploads import read_receipts

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "signin"
PASSWORD = "a long password 123"  # conftest.MINI_SITE_PASSWORD
GOOD = Path(__file__).parent / "fixtures" / "uploads" / "good" / "tourism__utf8_bom_korean_headers.csv"


@pytest.fixture
def site(mini_site: dict, mini_site_tab):
    """The mini fixture's server shared with test_browser_journeys.py (conftest.mini_site), whose account file holds
    kim (김관광, tourism); its context's one tab, signed out, with no cookies. The test writes no value (its uploads are
    refused) and leaves kim enabled, as it found it (after a failure halfway too)."""
    yield {**mini_site, "page": mini_site_tab}
    if accounts.load_accounts(mini_site["accounts"])["kim"].disabled:
        accounts.enable_account("kim", mini_site["accounts"])


def signed_in(page) -> bool:
    return "김관광" in sidebar_text(page)


def test_sign_in_lasts_until_sign_out_and_a_disabled_account_cannot_upload(site, new_context) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = site["base"]
    folder = site["accounts"].parent
    context, page = site["context"], site["page"]
    goto(page, base + "/")
    assert not signed_in(page)
    sign_in(page, "kim", PASSWORD)
    assert signed_in(page)
    page.screenshot(path=str(SHOTS / "1-signed-in.png"))

    # The cookie: signed, expiring, not readable as a username, SameSite=Strict.
    cookie = next(c for c in context.cookies() if c["name"] == sessions.COOKIE)
    assert cookie["sameSite"] == "Strict"
    assert 7.9 * 3600 < cookie["expires"] - time.time() <= 8 * 3600 + 5
    assert sessions.resolve(cookie["value"], 8, folder) is not None
    head, sig = cookie["value"].rsplit(".", 1)
    tampered = f"{head}.{sig[:5]}{'A' if sig[5] != 'A' else 'B'}{sig[6:]}"
    assert sessions.resolve(tampered, 8, folder) is None

    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert signed_in(page), "a reload signed the user out"
    page.screenshot(path=str(SHOTS / "2-after-reload.png"))

    tab = context.new_page()
    goto(tab, base + "/my-indicators")
    assert signed_in(tab), "a new tab is not signed in"
    tab.screenshot(path=str(SHOTS / "3-new-tab.png"))
    tab.close()

    # A copy of the cookie in another browser works until sign-out, and not after it.
    other = new_context(viewport=WIDE, locale="ko-KR")
    other.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    copy = other.new_page()
    goto(copy, base + "/")
    assert signed_in(copy)

    sign_out(page)
    assert not signed_in(page)
    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert not signed_in(page), "signed in again after sign-out and reload"
    page.screenshot(path=str(SHOTS / "4-signed-out.png"))
    assert not any(c["name"] == sessions.COOKIE and c["value"] for c in context.cookies())
    copy.reload(wait_until="domcontentloaded")
    settle(copy)
    assert not signed_in(copy), "a copied cookie outlived the sign-out (no server-side revocation)"
    other.close()

    # Signed in again, a file checked; the account is disabled by another process; confirm is refused.
    sign_in(page, "kim", PASSWORD)
    follow(page, "/my-indicators")  # in the app: its loads by address are checked above
    assert signed_in(page)
    before = len(read_receipts(site["cat"]))
    kept = next(c for c in context.cookies() if c["name"] == sessions.COOKIE and c["value"])
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(GOOD))
    settle(page)
    confirm = page.get_by_role("button", name="확인하고 올리기", exact=False)
    confirm.wait_for(timeout=30_000)
    subprocess.run([sys.executable, "-m", "pipelines.cli", "user", "disable", "kim"], cwd=ROOT,
                   env={**os.environ, **site["env"]}, check=True, capture_output=True)
    confirm.click()
    settle(page)
    page.screenshot(path=str(SHOTS / "5-disabled-refused.png"), full_page=True)
    assert len(read_receipts(site["cat"])) == before, "a disabled account's upload was written"
    assert not signed_in(page)

    # The hostile case (issue 12): kim's cookie from before the disable, kept and replayed after an admin
    # enables kim again. Disabling ended the session it names, so the reload stays signed out.
    subprocess.run([sys.executable, "-m", "pipelines.cli", "user", "enable", "kim"], cwd=ROOT,
                   env={**os.environ, **site["env"]}, check=True, capture_output=True)
    assert not accounts.load_accounts(site["accounts"])["kim"].disabled
    context.add_cookies([{k: kept[k] for k in ("name", "value", "domain", "path")}])
    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert not signed_in(page), "a cookie from before the disable signed in again after the enable"
    # a signed-out reader may check a file, never send it: the confirm button is disabled, nothing is written
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(GOOD))
    settle(page)
    confirm = page.get_by_role("button", name="확인하고 올리기", exact=False)
    confirm.wait_for(timeout=30_000)
    assert confirm.is_disabled(), "a signed-out reader can send an upload"
    assert len(read_receipts(site["cat"])) == before
    page.screenshot(path=str(SHOTS / "6-enabled-old-cookie-refused.png"), full_page=True)
    sign_in(page, "kim", PASSWORD)
    assert signed_in(page), "the enabled account signs in anew"
