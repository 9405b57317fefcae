"""Who is using the dashboard: a local account (argon2 hashes) or, where configured, OpenID Connect via st.login.

A local sign-in lasts across reloads and tabs through pipelines.sessions (a signed, expiring cookie
naming a server-side session, ended when the account is disabled or given another role); the account
itself is re-read on every run.
"""

from __future__ import annotations

import json

import streamlit as st

from dashboard import data
from dashboard.display import show_error
from dashboard.markdown import escape
from dashboard.text import t
from pipelines import accounts, sessions
from pipelines.accounts import Account
from pipelines.catalogue import SignIn
from pipelines.errors import AccountError, CityIdxError

SESSION_KEY = "account"
SID_KEY = "auth_sid"  # the server-side session behind this sign-in (absent when set by a test)
COOKIE_PENDING_KEY = "auth_cookie"  # the cookie to write on the next run: a token, or "" to clear it
COOKIE_READ_KEY = "auth_cookie_read"  # this Streamlit session has looked at its browser's cookie


def session_hours() -> float:
    """indicators.yml's sign_in.session_hours; the model's default if the catalogue cannot be read."""
    try:
        return data.catalogue().sign_in.session_hours
    except Exception:  # noqa: BLE001 - a broken catalogue is shown by the app; sign-in still works
        return SignIn().session_hours


def _folder():
    """Where the sessions live: beside the account file (data/private/, or beside $CITYIDX_ACCOUNTS)."""
    return accounts.accounts_path().parent


def _write_cookie(token: str, max_age: int) -> None:
    """Set (or with an empty token, clear) the session cookie in the browser; SameSite=Strict, Secure on https."""
    value = json.dumps(f"{sessions.COOKIE}={token}; Max-Age={max_age}; Path=/; SameSite=Strict")
    st.html(f"<script>document.cookie = {value} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
            unsafe_allow_javascript=True)


def _from_cookie() -> str | None:
    """The username of a live session named by this browser's cookie, now remembered in this Streamlit session.

    Looked at once per Streamlit session: st.context.cookies are those of the request that opened the session, so a
    second look finds the same cookie, and a token refused once is refused again (a server-side session that ended,
    or expired, never comes back). A reader who is signed out does not pay for the look on every rerun."""
    if st.session_state.get(COOKIE_READ_KEY):
        return None
    st.session_state[COOKIE_READ_KEY] = True
    try:
        token = st.context.cookies.get(sessions.COOKIE)
    except Exception:  # noqa: BLE001 - no browser (AppTest, bare mode)
        return None
    if not isinstance(token, str):  # no cookie (AppTest hands a mock): no secret to read, no signature to check
        return None
    found = sessions.resolve(token, session_hours(), _folder())
    if found is None:
        return None
    st.session_state[SESSION_KEY] = found.username
    st.session_state[SID_KEY] = found.sid
    return found.username


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
    sid = st.session_state.get(SID_KEY)
    if username and sid and not sessions.alive(sid, username, _folder()):  # signed out elsewhere, expired, or ended
        sign_out_local()
        username = None
    if not username:  # a new page load: a cookie from an earlier sign-in (a revoked one is refused)
        username = _from_cookie()
    if not username:
        return None
    account = accounts.load_accounts().get(username)
    if account is None or account.disabled:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return account


def sign_in_local(account: Account) -> None:
    """Start a lasting session for the account; its cookie is written on the next run."""
    started = sessions.start(account.username, session_hours(), _folder())
    st.session_state[SESSION_KEY] = account.username
    st.session_state[SID_KEY] = started.sid
    st.session_state[COOKIE_PENDING_KEY] = started.token


def sign_out_local() -> None:
    """End the server-side session (every tab and copied cookie with it) and clear the cookie on the next run."""
    sid = st.session_state.pop(SID_KEY, None)
    if sid:
        sessions.end(sid, _folder())
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[COOKIE_PENDING_KEY] = ""


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
    pending = st.session_state.get(COOKIE_PENDING_KEY)
    if pending is not None:
        with box:
            _write_cookie(pending, int(session_hours() * 3600) if pending else 0)
        del st.session_state[COOKIE_PENDING_KEY]
    if account is not None:
        box.markdown(f"**{escape(account.name)}** · {t('role.' + account.role, lang)}")
        if box.button(t("ui.auth.sign_out", lang), key="auth_sign_out"):
            sign_out_local()
            if oidc_configured():
                st.logout()
            st.rerun()
        return account
    return _sign_in_form(box, lang, "auth")


def _sign_in_form(box, lang: str, key: str) -> Account | None:
    """The sign-in itself (the provider's button with OpenID Connect, else user name and password) in `box`;
    `key` keeps two forms on one page apart. Returns None: a successful sign-in reruns the page."""
    if oidc_configured():
        if getattr(st.user, "is_logged_in", False):  # known to the provider, but no active account here
            box.warning(t("ui.auth.no_account", lang, email=escape(str(st.user.get("email", "")))))
            if box.button(t("ui.auth.sign_out", lang), key=f"{key}_sign_out"):
                st.logout()
            return None
        if box.button(t("ui.auth.sign_in_oidc", lang), key=f"{key}_oidc"):
            st.login()
        return None
    with box.form(f"{key}_sign_in", clear_on_submit=False, border=False):
        username = st.text_input(t("ui.auth.username", lang), key=f"{key}_username")
        password = st.text_input(t("ui.auth.password", lang), type="password", key=f"{key}_password")
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
            sign_in_local(found)
            st.rerun()
    return None


def page_sign_in(lang: str) -> None:
    """Sign-in in the page body for a signed-out reader: on a phone the sidebar is folded away."""
    if current_account() is not None:
        return
    with st.expander(t("ui.auth.sign_in_here", lang), icon=":material/login:"):
        _sign_in_form(st.container(), lang, "page_auth")
