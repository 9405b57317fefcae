"""Who is using the dashboard: a local account (argon2 hashes) or, where configured, OpenID Connect via st.login."""

from __future__ import annotations

import streamlit as st

from dashboard import data
from dashboard.display import show_error
from dashboard.markdown import escape
from dashboard.text import t
from pipelines import accounts
from pipelines.accounts import Account
from pipelines.errors import AccountError, CityIdxError

SESSION_KEY = "account"


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: Streamlit's own st.login is then used."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def current_account() -> Account | None:
    """The signed-in account, re-read from the account store so that a disabled account loses access at once."""
    if oidc_configured():
        if not getattr(st.user, "is_logged_in", False):
            return None
        return accounts.account_for_email(str(st.user.get("email", "")))
    username = st.session_state.get(SESSION_KEY)
    if not username:
        return None
    account = accounts.load_accounts().get(username)
    if account is None or account.disabled:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return account


def _client() -> str | None:
    """The browser's address, so that failures slow down and lock per client as well as per account."""
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):  # no browser connection
        return None
    return address if isinstance(address, str) else None


def _rules():
    """The catalogue's sign-in limits (`accounts:` in indicators.yml); its defaults when the catalogue does not load."""
    try:
        return data.catalogue().accounts
    except (CityIdxError, OSError):  # a broken catalogue is said on every page by app.py; sign-in keeps the defaults
        return None


def sign_in_box(lang: str) -> Account | None:
    """The sidebar's sign-in form (or the signed-in user and a sign-out button); returns the account."""
    account = current_account()
    box = st.sidebar.container(border=True)
    if account is not None:
        box.markdown(f"**{escape(account.name)}** · {t('role.' + account.role, lang)}")
        if box.button(t("ui.auth.sign_out", lang), key="auth_sign_out"):
            if oidc_configured():
                st.logout()
            st.session_state.pop(SESSION_KEY, None)
            st.rerun()
        return account
    if oidc_configured():
        if box.button(t("ui.auth.sign_in_oidc", lang), key="auth_oidc"):
            st.login()
        return None
    with box.form("auth_sign_in", clear_on_submit=False, border=False):
        username = st.text_input(t("ui.auth.username", lang), key="auth_username")
        password = st.text_input(t("ui.auth.password", lang), type="password", key="auth_password")
        submitted = st.form_submit_button(t("ui.auth.sign_in", lang))
    if submitted:
        try:
            found = accounts.authenticate(username, password, client=_client(), rules=_rules())
        except AccountError as exc:  # too soon after a failure, or locked: the password was not even looked at
            show_error(exc, lang)
            return None
        if found is None:
            box.error(t("ui.auth.failed", lang))
        else:
            st.session_state[SESSION_KEY] = found.username
            st.rerun()
    return None
