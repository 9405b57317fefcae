"""Two working days in Chromium (Korean), driving the real server on a copy of the mini fixture.

The department editor signs in, downloads the Excel template, fills it in as Excel would, uploads it,
confirms and sees the new value; the forum organizer schedules a meeting, records it as held, puts a
suggested weakness on the agenda, records the decision, creates an action item, moves it to done and
downloads the agenda packet. Old addresses open the right page. Screenshots: artifacts/journeys/.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import openpyxl
import pytest

from browser_support import ARTIFACTS, RUN_MS, goto, main_text, settle, sidebar_text, sign_in
from dashboard.text import t
from pipelines.build import forum
from pipelines.ledger.forum import read_events
from pipelines.ledger.uploads import read_receipts
from pipelines.sql import parts

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "journeys"
PASSWORD = "a long password 123"  # conftest.MINI_SITE_PASSWORD


@pytest.fixture
def site(mini_site: dict, mini_site_tab, tmp_path: Path):
    """The mini fixture's server shared with test_browser_signin.py (conftest.mini_site: a server start costs seconds;
    the journeys write different things, an upload and forum events, and each checks only its own), and its one tab
    as a new visitor: no cookies, no web storage, signed out."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return {"base": mini_site["base"], "cat": mini_site["cat"], "page": mini_site_tab, "tmp": tmp_path,
            "warehouse": mini_site["warehouse"]}


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def click(page, name: str, exact: bool = False) -> None:
    page.get_by_role("button", name=name, exact=exact).first.click()
    settle(page)


def wait_text(page, text: str, timeout_ms: int = 150_000) -> None:
    """Until `text` shows in the main area (a write rebuilds the warehouse, then the page reruns)."""
    page.locator('[data-testid="stMainBlockContainer"]').get_by_text(text, exact=False).first.wait_for(timeout=timeout_ms)
    settle(page)


def wait_events(cat, n: int, timeout_s: float = 150, page=None) -> list[str]:
    """Until the ledger holds `n` forum events; on a timeout, `page` (when given) is saved to
    artifacts/journeys/failed-at-event-N.png so the failure can be seen, not guessed."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        types = [e.type for e in read_events(cat)]
        if len(types) >= n:
            return types
        time.sleep(0.25)
    if page is not None:
        page.screenshot(path=str(SHOTS / f"failed-at-event-{n}.png"), full_page=True)
    raise AssertionError(f"the ledger did not reach {n} events: {[e.type for e in read_events(cat)]}")


def choose(page, label: str, option: str) -> None:
    """A Streamlit select box: open it by its label, pick the option by its text."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text(label, exact=True)).first
    box.locator("input").first.click()
    page.get_by_role("option", name=option, exact=True).click()


# What a reader sees in the upload drop zone: its visible text plus the CSS-generated words (innerText leaves
# display:none out and generated content out), before and while a file is dragged over it.
DROPZONE_JS = """() => {
  const zone = document.querySelector('[data-testid="stFileUploaderDropzone"]');
  const after = (el) => { if (!el) return ''; const c = getComputedStyle(el, '::after').content;
                          return c && c !== 'none' ? JSON.parse(c) : ''; };
  const overlay = Array.from(zone.children).find(e => e.tagName === 'DIV' && !e.dataset.testid && e.querySelector(':scope > span'));
  return {text: zone.innerText,
          button: after(zone.querySelector('button [data-testid="stMarkdownContainer"]')),
          limits: after(zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] > div')),
          drop: after(overlay)}; }"""
ENGLISH_WIDGET = ("Upload", "per file", "Drag and drop", "Browse", "MB")


def dropzone_words(page, lang: str, limit: str) -> None:
    """Streamlit's English is hidden; our words, with the catalogue's limit, are shown in `lang`."""
    zone = page.locator('[data-testid="stFileUploaderDropzone"]').first
    zone.wait_for()
    seen = page.evaluate(DROPZONE_JS)
    assert seen["button"] == t("ui.mine.dropzone_button", lang)
    assert seen["limits"] == t("ui.mine.dropzone_limit", lang, limit=limit)
    assert not any(word in seen["text"] for word in ENGLISH_WIDGET), seen
    data = page.evaluate_handle("() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'a.csv')); return d; }")
    zone.dispatch_event("dragenter", {"dataTransfer": data})
    page.wait_for_function("() => !!document.querySelector('[data-testid=\"stFileUploaderDropzone\"] > div:not([data-testid]) > span')")
    dragging = page.evaluate(DROPZONE_JS)
    zone.dispatch_event("dragleave", {"dataTransfer": data})
    assert dragging["drop"] == t("ui.mine.dropzone_drop", lang) and "Drag" not in dragging["text"], dragging
    zone.screenshot(path=str(SHOTS / f"editor-dropzone-{lang}.png"))


def test_the_editor_fills_the_excel_template_and_sees_the_new_value(site) -> None:
    page, base = site["page"], site["base"]
    goto(page, base + "/my_indicators")  # an old address opens the page
    assert t("ui.mine.page", "ko") in main_text(page)
    sign_in(page, "kim", PASSWORD)
    assert "김관광" in sidebar_text(page)
    shot(page, "editor-1-signed-in")
    limit = "20 KB"  # the mini catalogue's reporting.max_upload_bytes, as staff read it
    dropzone_words(page, "ko", limit)

    with page.expect_download() as caught:
        page.get_by_role("button", name=t("ui.mine.download_xlsx", "ko")).click()
    assert caught.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(caught.value.path()).read_bytes()))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2) if r[0].value}
    due = rows["foreign_tourists"][header.index("기준기간")].value
    assert due == "2025", "the template names the period now due"
    assert rows["foreign_tourists"][header.index("직전 값(참고)")].value == "13140000 (2024)"
    rows["foreign_tourists"][header.index("값")].value = 16370000  # typed as a number, as in Excel
    filled = site["tmp"] / "관광_2025.xlsx"
    book.save(filled)

    # Over the limit (but under the widget's): our message in Korean, sizes in words, not Streamlit's.
    too_big = site["tmp"] / "too_big.csv"
    too_big.write_bytes(b"indicator_id,period,value\n" + b"x" * (site["cat"].reporting.max_upload_bytes + 10_000))
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(too_big))
    settle(page)
    wait_text(page, "파일이 너무 큽니다")
    assert "20 KB까지" in main_text(page) and "바이트" not in main_text(page)
    shot(page, "editor-2a-too-large")

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(filled))
    wait_text(page, "확인하고 올리기")
    assert "16,370,000 명" in main_text(page)
    shot(page, "editor-2-preview")
    click(page, "확인하고 올리기")
    wait_text(page, "접수 번호")  # the commit rebuilds the warehouse, then the page reruns
    text = main_text(page)
    receipts = read_receipts(site["cat"])
    assert len(receipts) == 1 and receipts[0].encoding == "xlsx"
    assert f"접수 번호 {receipts[0].number}" in text
    assert "서울 방문 외래관광객 수 2025: 16,370,000 명 (새로 입력)" in text
    assert "data/raw" not in text.split("지표별 값 이력")[0] and receipts[0].sha256[:12] not in text
    page.get_by_text("지표별 값 이력").scroll_into_view_if_needed()
    shot(page, "editor-3-accepted")
    # The new point is on the indicator's line (an SVG chart, dashboard.svg_charts): a point at (2025, 16,370,000).
    line = page.locator('svg[data-chart="mine_line_foreign_tourists"]')
    line.wait_for(timeout=30_000)
    on_line = line.evaluate("""svg => Array.from(svg.querySelectorAll('[data-role="value"]')).some(p =>
        p.dataset.period.startsWith('2025') && Number(p.dataset.value) === 16370000)""")
    assert on_line, "the accepted value is not a point on the indicator's line"
    line.scroll_into_view_if_needed()
    shot(page, "editor-4-line")
    # The new value is the indicator's latest in what the page reads (the tables are canvas: see the screenshot).
    con = parts.connect_read_only(site["warehouse"])
    try:
        latest = con.execute("select value, uploaded_by from indicator_values where indicator_id = 'foreign_tourists' "
                             "and period = '2025'").fetchone()
    finally:
        con.close()
    assert latest == (16370000, "kim")
    # In English the drop zone speaks English (ours, with the same limit).
    goto(page, base + "/my-indicators?lang=en")
    dropzone_words(page, "en", limit)


def test_the_organizer_runs_a_meeting_from_agenda_to_done_action(site) -> None:
    page, base = site["page"], site["base"]
    goto(page, base + "/forum")
    sign_in(page, "park", PASSWORD)
    wait_text(page, t("ui.forum.schedule_submit", "ko"))
    shot(page, "organizer-1-forum")

    cat = site["cat"]
    # The meeting is today (Seoul): a meeting is recorded as held from its day on, never before (issue 12).
    today = forum.local_today(cat)
    day = page.locator('[data-testid="stDateInput"]').filter(has=page.get_by_text(t("ui.forum.date", "ko"), exact=True))
    for _ in range(3):  # year, month, day fields: typing moves on; on a loaded machine a key may land early
        day.first.locator('[role="spinbutton"][data-type="year"]').click()
        page.keyboard.type(today.strftime("%Y%m%d"), delay=30)
        if day.first.locator('input[type="date"]').input_value() == today.isoformat():
            break
    assert day.first.locator('input[type="date"]').input_value() == today.isoformat()
    click(page, t("ui.forum.schedule_submit", "ko"))
    wait_events(cat, 1, page=page)
    assert read_events(cat)[0].data["date"] == today.isoformat()
    wait_text(page, t("ui.forum.add_suggestion", "ko"))
    page.get_by_role("button", name=t("ui.forum.add_suggestion", "ko")).first.click()
    wait_events(cat, 2, page=page)
    wait_text(page, t("ui.forum.hold_first", "ko"))
    assert page.get_by_role("button", name=t("ui.forum.decide", "ko")).count() == 0, "no decision before the meeting"
    page.get_by_text(t("ui.forum.hold_first", "ko")).scroll_into_view_if_needed()
    shot(page, "organizer-2-agenda-before-meeting")

    page.get_by_text(t("ui.forum.record_held", "ko"), exact=True).click()
    attendees = page.get_by_label(t("ui.forum.attendees", "ko"))
    attendees.wait_for(state="visible", timeout=RUN_MS)  # the expander has opened
    attendees.fill("24")
    attendees.press("Tab")  # commit the number first: a click on submit that also blurs a dirty input can be lost
    assert attendees.input_value() == "24"
    submit = page.get_by_role("button", name=t("ui.forum.record_held_submit", "ko"), exact=True).first
    submit.wait_for(state="visible", timeout=RUN_MS)
    submit.click()
    wait_events(cat, 3, page=page)
    wait_text(page, t("ui.forum.done_held", "ko"))
    held = f"({t('ui.forum.held', 'ko')})"
    for label in (t("ui.forum.meeting", "ko"), t("ui.forum.packet_meeting", "ko")):  # no drop-down keeps "planned"
        box = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text(label, exact=True)).first
        shown = (box.text_content() or "") + " ".join(i.input_value() for i in box.locator("input").all())
        assert held in shown, (label, shown)

    # The decision box starts undecided; the organizer records an adoption.
    decision = page.locator('[data-testid="stSelectbox"]').filter(has=page.get_by_text(t("col.decision", "ko"), exact=True)).first
    shown = (decision.text_content() or "") + " ".join(
        i.get_attribute("placeholder") or "" for i in decision.locator("input").all())
    assert t("ui.forum.choose_decision", "ko") in shown and t("decision.adopted", "ko") not in shown, shown
    decision.scroll_into_view_if_needed()
    shot(page, "organizer-3-held-undecided")
    choose(page, t("col.decision", "ko"), t("decision.adopted", "ko"))
    click(page, t("ui.forum.decide", "ko"), exact=True)
    wait_events(cat, 4, page=page)
    wait_text(page, t("ui.forum.done_decided", "ko", decision=t("decision.adopted", "ko")))

    page.get_by_text(t("ui.forum.new_action", "ko"), exact=True).click()
    create = page.get_by_role("button", name=t("ui.forum.create_action", "ko"), exact=True).first
    create.wait_for(state="visible", timeout=60_000)
    settle(page)
    create.click()
    settle(page)
    wait_events(cat, 5, page=page)
    wait_text(page, "실행과제를 등록했습니다")
    for n, status in enumerate(("accepted", "in_progress", "done"), start=6):
        click(page, t("ui.forum.move_to", "ko", status=t(f"action.{status}", "ko")))
        wait_events(cat, n, page=page)
        wait_text(page, t("ui.forum.done_moved", "ko", status=t(f"action.{status}", "ko")))
    page.get_by_text(t("ui.forum.board", "ko")).scroll_into_view_if_needed()
    shot(page, "organizer-4-done")
    types = [e.type for e in read_events(cat)]
    assert types == ["meeting.scheduled", "agenda.proposed", "meeting.held", "agenda.decided", "action.created",
                     "action.status_changed", "action.status_changed", "action.status_changed"]

    with page.expect_download() as caught:
        page.get_by_role("button", name=t("ui.forum.packet", "ko")).click()
    packet = Path(caught.value.path()).read_text(encoding="utf-8")
    assert "<svg" in packet or "<table" in packet
    assert "거주" in packet, "the packet carries the agenda item"
    packet_page = page.context.new_page()
    packet_page.set_content(packet)
    packet_page.screenshot(path=str(SHOTS / "organizer-5-packet.png"), full_page=True)
    packet_page.close()


def test_old_addresses_open_the_right_page(site) -> None:
    page, base = site["page"], site["base"]
    for old, title in (("/overview", "ui.page.overview"), ("/weak_points", "ui.weak.page"),
                       ("/my_indicators", "ui.mine.page")):
        goto(page, base + old)
        assert "Page not found" not in page.content()
        current = page.locator('a[data-testid="stSidebarNavLink"][aria-current="page"]')
        current.first.wait_for(timeout=RUN_MS)  # the page switch is a rerun of its own: on a busy machine it ends late
        assert current.count() == 1 and t(title, "ko") in current.inner_text(), old
