"""The analyst's day in Chromium (Korean), against the real server: open a series, compare three cities, follow a
source link; and the overview and weak points at phone width (390 px), where every value must keep its label.

Uses the server of tests/test_browser.py (the real catalogue built into a temporary folder) and the reader tab of
tests/conftest.py. Screenshots go to artifacts/browser/analyst-*.png; external sites are never contacted (a source link opens a
stub page served by the test, and the test checks the address it was sent to).
"""

from __future__ import annotations

import re

import pytest

from dashboard.svg_charts import PHONE_WIDTH
from dashboard.text import t
from tests.test_browser import (  # noqa: F401 - fixtures used by name
    ARTIFACTS,
    MAIN,
    OPENED_AT_390,
    _open,
    _problems,
    server,
)

pytestmark = pytest.mark.browser

IDS = re.compile(r"\b(kearney_gci|kearney_gco|mori_gpci|zyen_gfci|iese_cimi|mercer_qol|planning_office|"
                 r"foreign_tourists|commute_time_avg|crime_per_1000)\b")
PHONE = {"width": 390, "height": 844}


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=\"stApp\"]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]'); }", timeout=60_000, polling=200)
    page.wait_for_timeout(300)


# Whether the page has asked the server for a run since this was evaluated: its websocket sent a BackMsg whose first
# field is rerun_script (field 11, length-delimited: tag byte 0x5a), or stApp's script state was seen "running". The
# state alone misses a quick run: the front end gets "running" and "finished" in one read and draws only the second.
RUN_WATCH_JS = """() => { window.__cityidxRan = false; const app = document.querySelector('[data-testid="stApp"]');
  if (!WebSocket.prototype.__cityidxWatched) {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
        : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
      if (bytes && bytes.length && bytes[0] === 0x5a) window.__cityidxRan = true;
      return send.call(this, data);
    };
    WebSocket.prototype.__cityidxWatched = true;
  }
  new MutationObserver((changes) => {
    if (changes.some(c => c.oldValue === 'running') || app.getAttribute('data-test-script-state') === 'running')
      window.__cityidxRan = true; })
    .observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']}); }"""


def _rerun(page) -> None:
    """The page run again in its session (Streamlit's R key, as a reader's rerun), once that run has finished: the page
    drawn a second time without reloading the app in the tab (a reload costs Chromium ~1.2 s of CPU more). The key
    is pressed again if it asked for no run within 10 s (a key that lands while the app is busy is dropped); fails if
    none did after three presses."""
    page.evaluate(RUN_WATCH_JS)
    for _ in range(3):
        page.locator("body").press("r")
        try:
            page.wait_for_function("() => window.__cityidxRan === true", timeout=10_000, polling=100)
            break
        except Exception as exc:  # noqa: BLE001 - playwright's TimeoutError (playwright is imported only where used)
            if type(exc).__name__ != "TimeoutError":
                raise
    assert page.evaluate("() => window.__cityidxRan"), "the R key asked for no run of the page"
    _settle(page)


# Every closed expander of the main block clicked open in one task of the page; how many were closed.
OPEN_EXPANDERS_JS = f"""() => {{
  const closed = Array.from(document.querySelectorAll('{MAIN} [data-testid="stExpander"] details:not([open]) > summary'));
  closed.forEach(summary => summary.click());
  return closed.length; }}"""
ALL_OPEN_JS = f"""() => document.querySelectorAll('{MAIN} [data-testid="stExpander"] details').length > 0
  && !document.querySelector('{MAIN} [data-testid="stExpander"] details:not([open])')"""


def _open_expanders(page) -> None:
    """Every expander of the main block opened, then one wait for the run that follows, and every one must be open.
    An expander drawn with on_change="rerun" (the sources page's nine series, the tables of the weak points and the
    trends) asks the server for a run when it opens: clicked one by one, the sources page's nine ran the page up to
    nine times, each run drawn by Chromium (~4 s of Chromium's CPU and ~1 s of the server's, against ~1.2 s and
    ~0.1 s for the same page opened by clicks that land together). The clicks are the summaries' own (Streamlit's
    handlers, as a reader's click), all in one task, so their runs reach the server together and become one."""
    if page.evaluate(OPEN_EXPANDERS_JS):
        _settle(page)
        page.wait_for_function(ALL_OPEN_JS, timeout=60_000, polling=200)


# The rank chart (an SVG drawing, dashboard.svg_charts.bump_svg) this screen shows: its wide or its phone drawing.
BUMP = f'{MAIN} svg[data-chart="bump"]'


def _legend(page) -> list[str]:
    return page.evaluate(f"""() => Array.from(document.querySelectorAll('{BUMP}'))
        .filter(s => s.getClientRects().length > 0)
        .flatMap(s => Array.from(s.querySelectorAll('[data-role="legend"]')).map(e => e.textContent.trim()))""")


def _main_text(page) -> str:
    return page.locator(MAIN).first.inner_text()


def test_the_analyst_opens_a_series_compares_three_cities_and_follows_a_source(server: str, reader) -> None:
    page, errors = _open(reader, server + "/")
    # On a wide screen the header row names the overview's columns: its cells carry no heading of their own.
    labels = _cell_labels(page)
    assert len(labels) >= 9 and all(cell == "none" for card in labels for cell in card), labels[:1]
    # Open a series: the trends page from the navigation, then GPCI from the series box.
    page.get_by_role("link", name=re.compile(t("ui.page.trends", "ko"))).first.click()
    _settle(page)
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=t("col.series", "ko")).first
    box.click()
    page.get_by_role("option", name=re.compile("GPCI")).first.click()
    _settle(page)
    assert "Mori Memorial Foundation" in _main_text(page), "the GPCI series is open"
    page.screenshot(path=str(ARTIFACTS / "analyst-1-series.png"), full_page=True)

    # Compare three cities: clear the cities box, choose 서울, 도쿄, 런던.
    cities = page.locator('[data-testid="stMultiSelect"]').filter(has_text=t("ui.trends.cities", "ko")).first
    cities.get_by_role("button", name=re.compile("Clear all|모두 지우기", re.I)).first.click()
    _settle(page)
    for name in ("서울", "도쿄", "런던"):
        cities.locator("input").first.click()
        cities.locator("input").first.fill(name)
        page.get_by_role("option", name=name, exact=True).first.click()
        _settle(page)
    page.keyboard.press("Escape")
    _settle(page)
    legend = _legend(page)
    assert sorted(n for n in legend if n in {"서울", "도쿄", "런던"}) == ["도쿄", "런던", "서울"], legend
    assert not {"파리", "뉴욕", "싱가포르"} & set(legend), f"only the three chosen cities are drawn: {legend}"
    # London keeps its catalogue colour whatever else is chosen (issue 12): same as with every peer.
    colours = page.evaluate(f"""() => Array.from(document.querySelectorAll('{BUMP} [data-role="rank"][data-city="London"]'))
        .filter(e => e.getClientRects().length > 0).map(e => e.getAttribute('fill'))""")
    from dashboard import charts
    from pipelines import catalogue
    assert colours and set(colours) == {charts.city_colour("London", "Seoul", catalogue.load().peer_cities)}, colours
    page.screenshot(path=str(ARTIFACTS / "analyst-2-three-cities.png"), full_page=True)

    page.context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"),
                       lambda route: route.fulfill(status=200, content_type="text/html",
                                                   body="<html><body>source (stub)</body></html>"))
    # A point of the rank chart opens its figure's source in a new tab (what its hover says).
    point = page.locator(f'{BUMP} a:has([data-role="rank"][data-city="Seoul"])').filter(visible=True).last
    point.scroll_into_view_if_needed()
    href = point.get_attribute("href")
    assert href and href.startswith(("http://", "https://")), href
    with page.context.expect_page() as opened:
        point.locator("circle").click()
    source = opened.value
    source.wait_for_load_state()
    assert source.url.rstrip("/") == href.rstrip("/")
    source.close()

    # Follow a source link (a methodology note's 출처): it opens the source's address in a new tab.
    link = page.locator(f"{MAIN} a[href^='http']").filter(has_text=t("ui.source", "ko")).first
    link.scroll_into_view_if_needed()
    href = link.get_attribute("href")
    assert href and href.startswith(("http://", "https://")) and "127.0.0.1" not in href
    with page.context.expect_page() as opened:
        link.click()
    source = opened.value
    source.wait_for_load_state()
    assert source.url.rstrip("/") == href.rstrip("/")
    source.close()
    page.screenshot(path=str(ARTIFACTS / "analyst-3-source.png"), full_page=True)
    assert not IDS.search(_main_text(page)), "names, not ids, on the page"
    assert not errors, errors


OVERVIEW_COLUMNS = ("col.latest_edition", "col.latest_rank", "col.change", "col.best_ever", "col.to_goal", "col.rank_trend")


def _cell_labels(page) -> list[list[str]]:
    """Per series card on the overview: the heading each cell after the first shows above its value (its ::before,
    'none' where it shows none)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('[class*="st-key-ovrow_"]')).map(card =>
        Array.from(card.querySelectorAll('[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]')).slice(1)
             .map(cell => { const b = getComputedStyle(cell, '::before');
                            return b.display === 'none' ? 'none' : b.content; }))""")


def _labels_kept(page, path: str) -> None:
    """At phone width (390 px) on the overview and the weak points, before any expander is opened: every value keeps
    its label and nothing is clipped (the overview's stacked cells, the sparklines' ticks, the heat map's labels)."""
    name = "overview" if path == "/" else "weak-points"
    _tall_screenshot(page, ARTIFACTS / f"phone-390-{name}.png")
    text = _main_text(page)
    # No sideways scrolling of the page itself.
    widths = page.evaluate("""() => { const m = document.querySelector('[data-testid="stMain"]');
                              return [m.scrollWidth, m.clientWidth]; }""")
    assert widths[0] <= widths[1] + 1, f"the page scrolls sideways at 390 px: {widths}"
    assert not IDS.search(text), "names, not ids, on the page"
    if path == "/":
        # every stacked value cell says what it is: each series' card opens every cell after the first with its
        # column's heading (the page's style writes it), and the header row above the cards is hidden
        series = text.count("담당:")
        assert series >= 9, text[:500]
        assert _cell_labels(page) == [[f'"{t(key, "ko", target=5)}"' for key in OVERVIEW_COLUMNS]] * series
        assert page.locator(".st-key-ov_header").is_hidden()
        # the sparklines say which editions they span
        ticks = page.evaluate("""() => Array.from(document.querySelectorAll('svg[data-chart^="spark_"] [data-role="x-tick"]'))
                                  .map(e => e.textContent)""")
        assert any(re.match(r"^\d{4} · \d+위$", x) for x in ticks), ticks
    else:
        # heat-map labels fit their cells: "11위" is never cut to "1위" (each drawn inside its room, as measured by
        # the browser); the grid shown is the phone's drawing, at about its own size
        sizes = page.evaluate("""() => {
            const out = [];
            for (const svg of document.querySelectorAll('svg[data-chart^="heat_"]')) {
              if (!svg.getClientRects().length) continue;
              const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
              for (const t of svg.querySelectorAll('[data-role="cell-text"]'))
                out.push([t.textContent, t.getBBox().width, +t.getAttribute('data-room'), scale]);
            }
            return out; }""")
        assert sizes, "the heat map shows rank labels"
        assert all(w <= room + 1 for _, w, room, _ in sizes), [s for s in sizes if s[1] > s[2] + 1][:5]
        assert all(re.fullmatch(r"\d+위", label) for label, _, _, _ in sizes)
        assert all(scale >= 0.85 for *_, scale in sizes), sizes[:1]
        # the peers chart names its edition
        assert re.search(r"\d{4}년 판 순위", text) or "년 판 순위" in page.content()
        # the peers chart: its phone drawing shown (the wide one hidden), at about its own size, so its text keeps its
        # 11 px; every dot inside the screen
        peers = page.evaluate("""() => Array.from(document.querySelectorAll('svg[data-chart="weak_peers"]'))
            .filter(s => s.getClientRects().length > 0).map(s => ({
              drawn: s.viewBox.baseVal.width, shown: s.getBoundingClientRect().width,
              right: Math.max(...Array.from(s.querySelectorAll('[data-role="rank"]'))
                                  .map(d => d.getBoundingClientRect().right)) }))""")
        assert len(peers) == 1 and peers[0]["drawn"] == PHONE_WIDTH, peers
        assert peers[0]["shown"] >= 0.85 * PHONE_WIDTH and peers[0]["right"] <= 390, peers


# Anything in the main block that scrolls sideways: the page itself, a table's frame or its grid, any scroller.
SIDEWAYS_JS = """() => {
  const out = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > window.innerWidth) out.push(['document', doc.scrollWidth, window.innerWidth]);
  const main = document.querySelector('[data-testid="stMain"]');
  if (main.scrollWidth > main.clientWidth + 1) out.push(['stMain', main.scrollWidth, main.clientWidth]);
  const seen = (el) => el.getClientRects().length > 0 && el.clientWidth > 0;
  for (const el of document.querySelectorAll('[data-testid="stMainBlockContainer"] *')) {
    if (!seen(el)) continue;
    const kind = el.getAttribute('data-testid') || '';
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    const grid = el.classList.contains('dvn-scroller');
    if ((scrolls || grid || kind === 'stTable') && el.scrollWidth > el.clientWidth + 1)
      out.push([kind || el.className.toString().slice(0, 60), el.scrollWidth, el.clientWidth]);
    if ((kind === 'stDataFrame' || kind === 'stTable') && el.getBoundingClientRect().right > window.innerWidth)
      out.push([kind + ' beyond the screen', el.getBoundingClientRect().right, window.innerWidth]);
  }
  return out; }"""
TABLES_JS = """() => Array.from(document.querySelectorAll(
  '[data-testid="stMainBlockContainer"] [data-testid="stDataFrame"], [data-testid="stMainBlockContainer"] .cx-cards'))
  .filter(e => e.getClientRects().length > 0).map(e => e.getAttribute('data-testid') || 'cards')"""


def _tall_screenshot(page, path) -> None:
    """The whole main block: Streamlit scrolls inside stMain, so the window is made as tall as its content."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(int(height), 16_000)})
    page.wait_for_timeout(500)
    page.screenshot(path=str(path))
    page.set_viewport_size(size)


PHONE_PATHS = ["/", "/goal", "/trends", "/weak-points"]


@pytest.mark.parametrize("path", PHONE_PATHS)
def test_at_390_px_no_table_or_page_scrolls_sideways(server: str, reader, path: str) -> None:
    """Issue 12: at phone width (390x844) the goal table and the weak points list stack as cards (each value under
    its column's name), the trends figures keep four columns; nothing on the page scrolls sideways. On the overview
    and the weak points, first (expanders closed), every value keeps its label and nothing is clipped (_labels_kept:
    once a test of its own, which loaded the same two pages at the same width again)."""
    page = reader.page
    page.set_viewport_size(PHONE)
    page.goto(server + path, wait_until="domcontentloaded", timeout=60_000)
    _settle(page)
    if path in ("/", "/weak-points"):
        page.wait_for_timeout(800)
        _settle(page)
        _labels_kept(page, path)
    _open_expanders(page)  # the weak points list as a table lives in an expander
    drawn = {"/goal": ".st-key-phonetable_goal .cx-cards", "/weak-points": ".st-key-phonetable_weak_list .cx-cards",
             "/trends": '.st-key-phonetable_trends [data-testid="stDataFrame"]', "/": 'svg[data-chart="latest_ranks"]'}[path]
    page.locator(drawn).first.wait_for(state="visible", timeout=60_000)  # a busy machine paints late
    page.wait_for_timeout(500)
    name = path.strip("/") or "overview"
    _tall_screenshot(page, ARTIFACTS / f"phone-fit-390-{name}.png")
    sideways = page.evaluate(SIDEWAYS_JS)
    assert not sideways, f"{path} scrolls sideways at 390 px: {sideways}"
    tables = page.evaluate(TABLES_JS)
    text = _main_text(page)
    if path == "/goal":
        assert tables == ["cards"], tables
        series = text.count(t("col.now", "ko"))
        assert series >= 9 and text.count(t("col.editions_left", "ko")) >= series, "every card labels its values"
    elif path == "/trends":
        assert tables == ["stDataFrame"], tables
        grid = page.locator(f'{MAIN} [data-testid="stDataFrame"]').filter(visible=True).first
        assert grid.bounding_box()["width"] <= 390
    elif path == "/weak-points":
        assert "cards" in tables and "stDataFrame" not in tables, tables
        assert text.count(t("col.reason", "ko")) >= 1 and text.count(t("col.departments", "ko")) >= 1
    problems = _problems(page, reader.errors, f"{path} at 390 px", "ko")  # test_browser.OPENED_AT_390 counts on it
    assert not problems, "\n\n".join(problems)


# The other pages' tables, as a signed-out reader sees them (My indicators is read-only then); each page is drawn
# twice, the second time from data.static's replay, which must not break on what display.table emits.
PHONE_PAGES = {
    "/sources": ["phonetable_src_status", "phonetable_src_flags", "phonetable_src_tiers", "phonetable_src_outlets"],
    "/reporting": ["phonetable_due_summary", "phonetable_due_detail"],
    "/calendar": ["phonetable_cal_table", "phonetable_cal_pack", "phonetable_cal_snapshots"],
    "/my-indicators": ["phonetable_mine_indicators", "phonetable_mine_versions"],
}


@pytest.mark.parametrize("path", list(PHONE_PAGES))
def test_at_390_px_the_other_pages_do_not_scroll_sideways(server: str, reader, path: str) -> None:
    """Issue 12: sources, reporting, calendar and My indicators at 390x844 in Korean: each table shows its phone
    view (cards with every value under its column's name, or a few columns), and nothing scrolls sideways."""
    page = reader.page
    page.set_viewport_size(PHONE)
    page.goto(server + path, wait_until="domcontentloaded", timeout=60_000)
    _settle(page)
    page.locator(f"{MAIN} h1").first.wait_for(state="visible", timeout=60_000)
    _rerun(page)  # the second run replays the cached page blocks
    page.locator(f"{MAIN} h1").first.wait_for(state="visible", timeout=60_000)
    _open_expanders(page)  # the catalogue's series on the sources page, each with its own small tables
    page.wait_for_function(f"() => ({TABLES_JS})().length >= {len(PHONE_PAGES[path])}", timeout=60_000)
    page.wait_for_timeout(800)  # a busy machine paints late
    _tall_screenshot(page, ARTIFACTS / f"phone-fit-390-{path.strip('/')}.png")
    assert not page.locator(f'{MAIN} [data-testid="stException"]').count(), "no exception box on a replayed page"
    sideways = page.evaluate(SIDEWAYS_JS)
    assert not sideways, f"{path} scrolls sideways at 390 px: {sideways}"
    for key in PHONE_PAGES[path]:  # each table shows its phone view, not the wide one
        assert page.locator(f".st-key-{key}").first.is_visible(), key
        assert not page.locator(f".st-key-wide{key.removeprefix('phone')}").first.is_visible(), key
    text = _main_text(page)
    phone_text = " ".join(e.inner_text() for e in page.locator('[class*="st-key-phonetable_"]').filter(visible=True).all())
    assert phone_text.strip() and not IDS.search(phone_text), "the phone tables show names, not ids"
    labels = {"/sources": ["col.total", "col.ranked_rows"], "/reporting": ["col.indicator_count", "col.expected"],
              "/calendar": ["col.collect_from", "col.unit"], "/my-indicators": ["col.latest", "col.cadence"]}[path]
    for key in labels:
        assert t(key, "ko") in text, f"{key}: a card value without its label"
    problems = _problems(page, reader.errors, f"{path} at 390 px", "ko")  # test_browser.OPENED_AT_390 counts on it
    assert not problems, "\n\n".join(problems)


def test_every_page_opened_at_390_px_is_one_test_browser_counts_on() -> None:
    """test_every_page_renders[ko] reaches the pages in OPENED_AT_390 from the navigation, because the two tests above
    open them at their own address and check them there: the lists must be the same pages."""
    opened = [*PHONE_PATHS, *PHONE_PAGES]
    assert sorted(opened) == sorted(OPENED_AT_390), opened


def test_on_a_wide_screen_the_tables_stay_tables(server: str, reader) -> None:
    """The phone cards are only for a phone: at 1400 px the goal page shows its st.dataframe and no cards."""
    page = reader.page  # the wide viewport (1400x1000)
    page.goto(server + "/goal", wait_until="domcontentloaded", timeout=60_000)
    _settle(page)
    page.locator('.st-key-widetable_goal [data-testid="stDataFrame"]').wait_for(state="visible", timeout=60_000)
    assert page.evaluate(TABLES_JS) == ["stDataFrame"]
    assert page.locator(".st-key-widetable_goal").is_visible()
    # the CSS that hides the cards comes in an st.html, whose code can load after the table has shown on a busy
    # machine (it failed a landing suite once): wait for it, bounded; cards still shown after 30 s fail here
    page.locator(".st-key-phonetable_goal").wait_for(state="hidden", timeout=30_000)
    assert not page.locator(".st-key-phonetable_goal").is_visible()
