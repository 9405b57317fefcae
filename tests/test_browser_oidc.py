"""OpenID Connect sign-in (st.login) end to end in Chromium, against a real local provider (oidc-provider-mock).

The provider runs on localhost with one user whose e-mail matches a local account (which holds the role
and department); Streamlit reads an [auth] section from a secrets file in a temporary folder. The test
signs in through the provider's own page, reloads, uploads nothing while disabled, and signs out.
Screenshots: artifacts/oidc/.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from browser_support import (ARTIFACTS, ROOT, RUN_MS, WIDE, free_port, goto, process, settle, sidebar_text, streamlit_server,
                             wait_http)
from pipelines import accounts, catalogue

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "oidc"
EMAIL = "kim@seoul.example"


@pytest.fixture
def site(browser, mini: Path, mini_warehouse: Path, tmp_path: Path):
    if importlib.util.find_spec("oidc_provider_mock") is None or importlib.util.find_spec("authlib") is None:
        pytest.fail("oidc-provider-mock and authlib are needed (pip install -e '.[test]')")
    accounts_file = tmp_path / "private" / "accounts.json"
    cat = catalogue.load(mini)
    accounts.add_account(cat, "kim", "a long password 123", "department_editor", "tourism_sports",
                         name="김관광", email=EMAIL, path=accounts_file)
    idp_port, app_port = free_port(), free_port()
    issuer = f"http://127.0.0.1:{idp_port}"
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "cityidx-test"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n',
        encoding="utf-8")
    env = {"CITYIDX_CATALOGUE": str(mini), "CITYIDX_WAREHOUSE": str(mini_warehouse),
           "CITYIDX_ACCOUNTS": str(accounts_file)}
    idp = [sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port),
           "--user-claims", f'{{"sub": "kim", "email": "{EMAIL}", "name": "Kim"}}']
    with process(idp, {}, SHOTS / "provider.log") as proc:
        wait_http(f"{issuer}/.well-known/openid-configuration", 60, proc, SHOTS / "provider.log")
        with streamlit_server(env, SHOTS / "streamlit.log", port=app_port,
                              args=("--secrets.files", str(secrets_file))) as base:
            yield {"base": base, "env": env}


def test_openid_connect_sign_in_reload_disable_and_sign_out(site, new_context) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    base = site["base"]
    context = new_context(viewport=WIDE, locale="ko-KR")
    page = context.new_page()
    goto(page, base + "/")
    side = page.locator('[data-testid="stSidebar"]')
    assert "김관광" not in sidebar_text(page)
    assert side.get_by_label("비밀번호").count() == 0, "with [auth] configured the local password form is not offered"
    side.get_by_role("button", name="기관 계정으로 로그인").click()
    # The provider's own authorisation page: the predefined user "kim".
    page.wait_for_url("**/oauth2/authorize**", timeout=30_000)
    page.screenshot(path=str(SHOTS / "1-provider.png"))
    page.get_by_role("button", name="kim", exact=True).click()
    page.wait_for_url(f"{base}/**", timeout=30_000)
    settle(page)
    assert "김관광" in sidebar_text(page), "back from the provider but not signed in"
    page.screenshot(path=str(SHOTS / "2-signed-in.png"))

    page.reload(wait_until="domcontentloaded")
    settle(page)
    assert "김관광" in sidebar_text(page), "an OIDC sign-in did not survive a reload"

    # Disabled in another process: the next run no longer knows the account.
    subprocess.run([sys.executable, "-m", "pipelines.cli", "user", "disable", "kim"], cwd=ROOT,
                   env={**os.environ, **site["env"]}, check=True, capture_output=True)
    goto(page, base + "/my-indicators")
    assert "김관광" not in sidebar_text(page)
    assert "관리자에게 문의" in sidebar_text(page)
    page.screenshot(path=str(SHOTS / "3-disabled.png"))

    page.locator('[data-testid="stSidebar"]').get_by_role("button", name="로그아웃").click()
    # Streamlit ends the session, then sends the browser to the provider's end-session page: wait for it to have
    # loaded before leaving it (a navigation started while that redirect is still under way can hang)
    page.wait_for_url("**/oauth2/end_session**", wait_until="domcontentloaded", timeout=RUN_MS)
    goto(page, base + "/")
    assert page.locator('[data-testid="stSidebar"]').get_by_role("button", name="기관 계정으로 로그인").count() == 1
    page.screenshot(path=str(SHOTS / "4-signed-out.png"))
