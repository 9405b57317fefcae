"""End to end: the real Streamlit server, every page in Debian's headless chromium, in Korean and English.

Starts `streamlit run dashboard/app.py` on a free localhost port against a warehouse built into a
temporary folder (the real catalogue; the mini fixture if the real data does not build), discovers the
pages from the app's own navigation links, and fails on an exception box, an error box, an empty page
or, in Korean, a page without Hangul. Screenshots go to artifacts/browser/ (gitignored; override
with CITYIDX_ARTIFACTS). Without `chromium` on PATH the test skips, unless CI is set: then it fails.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
ARTIFACTS = Path(os.environ.get("CITYIDX_ARTIFACTS") or ROOT / "artifacts") / "browser"

HANGUL = re.compile(r"[\uac00-\ud7a3]")
NAV_LINKS = ('a[data-testid="stSidebarNavLink"], a[data-testid="stTopNavLink"], '
             'a[data-testid="stTopNavDropdownLink"]')
MAIN = '[data-testid="stMainBlockContainer"]'
# Every navigation link as [href, innerText], in the order the app shows them.
NAV_LINKS_JS = f"() => Array.from(document.querySelectorAll({NAV_LINKS!r})).map(a => [a.getAttribute('href') || '', a.innerText])"
PAGE_LOAD_MS = 60_000

# The app has finished a run: stApp says notRunning (it says `initial` before the first run) and
# nothing shows "running". Checked twice with a pause between, so that a rerun right after the first
# run (query-parameter binding, st.rerun) is waited for too.
READY_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const state = app.getAttribute('data-test-script-state');
  if (state === 'compilationError') return true;
  return state === 'notRunning' && !document.querySelector('[data-testid="stStatusWidget"]');
}
"""
HAS_TEXT_JS = """
() => {
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  return !!main && main.innerText.trim().length > 0;
}
"""
# Error boxes (st.error) other than the one an exception box draws around its traceback.
ERROR_BOXES_JS = """
() => Array.from(document.querySelectorAll('[data-testid="stAlertContentError"]'))
  .filter(e => !e.closest('[data-testid="stException"]') && !e.querySelector('[data-testid="stException"]'))
  .map(e => e.innerText.slice(0, 300))
"""


@pytest.fixture(scope="module")
def server(browser, real_site: str) -> str:
    """`streamlit run dashboard/app.py` on the real catalogue's warehouse, built into a temporary folder (the mini
    fixture if the real data does not build): one per test process, shared with test_browser_analyst.py."""
    if not APP.is_file():
        pytest.fail(f"{APP.relative_to(ROOT)} does not exist")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return real_site


def _ran(tab):
    """Once the app has finished its run (twice, for a rerun right after the first) and shows text: (page, the
    page's uncaught errors)."""
    page = tab.page
    page.wait_for_function(READY_JS, timeout=PAGE_LOAD_MS, polling=250)
    page.wait_for_timeout(400)
    page.wait_for_function(READY_JS, timeout=PAGE_LOAD_MS, polling=250)
    try:  # the last elements of a finished run may still be painting
        page.wait_for_function(HAS_TEXT_JS, timeout=3000, polling=100)
    except Exception:  # noqa: BLE001 - an empty page is reported by the caller
        pass
    return page, tab.errors


def _open(tab, url: str):
    """`url` in the test process's reader tab (tests/conftest.py), once the app has finished its run; returns
    (page, the page's uncaught errors)."""
    page = tab.page
    tab.errors.clear()
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_LOAD_MS)
    return _ran(tab)


def _follow(tab, path: str):
    """The navigation link to `path` clicked in the page the reader tab shows (Streamlit switches pages in the
    page already loaded, keeping the session and its language), once the new page's run has finished; returns
    (page, the page's uncaught errors) as _open does."""
    page = tab.page
    tab.errors.clear()
    at = next(i for i, (href, _) in enumerate(page.evaluate(NAV_LINKS_JS)) if (urlsplit(href).path or "/") == path)
    page.locator(NAV_LINKS).nth(at).click()
    page.wait_for_url(lambda url: (urlsplit(url).path or "/") == path, timeout=PAGE_LOAD_MS)
    return _ran(tab)


def _nav_links(page) -> list[tuple[str, str]]:
    """(label, path) of every navigation link, in the order the app shows them."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()
    links = []
    for href, text in page.evaluate(NAV_LINKS_JS):  # one round trip (a locator per link cost ~60 ms of CPU a page)
        text = text.strip().splitlines()  # the icon's ligature name comes first
        links.append((text[-1].strip() if text else "", urlsplit(href).path or "/"))
    return links


@pytest.fixture(scope="module")
def pages(server: str, _reader_tab, _first_page: dict) -> list[tuple[str, str]]:
    """The app's pages as its own navigation lists them (Korean labels), read on the overview opened at its own address
    in Korean; what that page showed is checked once, by test_every_page_renders[ko] (_first_page), instead of the
    overview being loaded a second time for it (~1.2 s of Chromium's CPU)."""
    url = server + "/"
    page, errors = _open(_reader_tab, url)
    found = _nav_links(page)
    assert len(found) >= 3, f"expected at least 3 pages in the navigation, found {found}"
    assert len({path for _, path in found}) == len(found), f"two navigation links share a path: {found}"
    label, path = found[0]
    if path == "/":
        _first_page[url] = _checked(page, errors, label, path, url, "ko")
    return found


@pytest.fixture(scope="module")
def _first_page() -> dict[str, tuple[list[str], list[str]]]:
    """url -> what _checked found on it, for the page `pages` opened (taken once: a second test opens it anew)."""
    return {}


def _slug(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _problems(page, js_errors: list[str], where: str, lang: str) -> list[str]:
    """What is wrong with the page the tab shows (`where` names it in each line): a script that did not compile, an
    exception box, an error box, an empty page, in Korean no Hangul, uncaught errors in the browser."""
    failures = []
    state = page.get_attribute('[data-testid="stApp"]', "data-test-script-state")
    exceptions = [e.inner_text()[:500] for e in page.locator('[data-testid="stException"]').all()]
    error_boxes = page.evaluate(ERROR_BOXES_JS)
    text = page.locator(MAIN).first.inner_text().strip() if page.locator(MAIN).count() else ""
    js_errors = list(js_errors)
    if state == "compilationError":
        failures.append(f"{where}: the script did not compile")
    for e in exceptions:
        failures.append(f"{where}: exception box:\n{e}")
    for e in error_boxes:
        failures.append(f"{where}: error box:\n{e}")
    if not text:
        failures.append(f"{where}: empty page (the main block has no text)")
    elif lang == "ko" and not HANGUL.search(text):
        failures.append(f"{where}: Korean mode but no Hangul on the page:\n{text[:300]}")
    if js_errors:
        failures.append(f"{where}: uncaught errors in the browser: {js_errors[:3]}")
    return failures


def _checked(page, js_errors: list[str], label: str, path: str, url: str, lang: str) -> tuple[list[str], list[str]]:
    """The page the tab shows, reached for `url`, checked: its screenshot taken; (what is wrong with it, the labels of
    its navigation)."""
    shot = ARTIFACTS / f"{lang}-{_slug(path)}.png"
    page.screenshot(path=str(shot), full_page=True)
    failures = _problems(page, js_errors, f"{label or path} [{lang}] {url} (screenshot {shot})", lang)
    return failures, [lbl for lbl, _ in _nav_links(page)]


# The pages that the 390 px tests of test_browser_analyst.py open at their own address in Korean and check for the
# same problems (_problems) there; test_every_page_renders[ko] reaches these from the navigation (a page loaded in the
# tab costs Chromium ~1.8 s of CPU, one reached from the navigation ~0.7 s) and opens every other page at its address.
OPENED_AT_390 = ("/", "/goal", "/trends", "/weak-points", "/sources", "/reporting", "/calendar", "/my-indicators")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_page_renders(server: str, reader, pages: list[tuple[str, str]], _first_page: dict, lang: str) -> None:
    """Every page of the navigation, checked as a reader moves between them (the session, and its language, kept): in
    Korean from the overview that `pages` opened at its own address, each page in OPENED_AT_390 from the navigation
    (the 390 px tests open those at their address) and every other page at its address; in English the first page at
    its address with ?lang=en and every other one from the navigation."""
    failures = []
    labels = []
    loaded = any(server + path in _first_page for _, path in pages)  # the tab shows a finished page of this test
    for label, path in pages:
        url = server + path + ("?lang=en" if lang == "en" else "")
        if url in _first_page:  # opened at this address by `pages` and checked there
            found, seen = _first_page.pop(url)
            failures += found
            labels += seen
            continue
        by_address = not loaded or (lang == "ko" and path not in OPENED_AT_390)
        try:
            page, js_errors = _open(reader, url) if by_address else _follow(reader, path)
            loaded = True
        except Exception as exc:  # noqa: BLE001 - one page timing out must not hide the others
            loaded = False  # the next page is opened at its address
            failures.append(f"{url}: did not finish running ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            continue
        found, seen = _checked(page, js_errors, label, path, url, lang)
        failures += found
        labels += seen
    if lang == "en":
        korean = [label for label, _ in pages]
        if labels and labels[: len(korean)] == korean and any(HANGUL.search(k) for k in korean):
            failures.append(f"?lang=en did not switch the navigation to English: {labels[: len(korean)]}")
    assert not failures, f"{len(failures)} problem(s) on {len(pages)} pages:\n" + "\n\n".join(failures)
