"""The department pages (My indicators, Reporting status) through AppTest, with real uploads through the upload widget."""

from __future__ import annotations

import fcntl
import io
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from dashboard.text import MESSAGES, t
from pipelines import accounts, catalogue
from pipelines.analysis import due
from pipelines.build import writes
from pipelines.ledger.uploads import read_receipts
from pipelines.sql import parts
from tests.warehouse_files import warehouse_bytes
from tests.page_reading import run_on

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
MINE = "views/my_indicators.py"
DUE = "views/reporting.py"
UPLOADS = Path(__file__).parent / "fixtures" / "uploads"
GOOD = UPLOADS / "good" / "tourism__cp949_korean_headers.csv"
PASSWORD = "a long password 123"

ENGLISH_LABELS = {
    m["en"] for k, m in MESSAGES.items()
    if k.startswith(("ui.", "due.", "cadence.", "status.")) and m["en"] != m["ko"] and isinstance(m["en"], str) and "{" not in m["en"]
}


@pytest.fixture
def site(mini: Path, mini_warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The mini catalogue and warehouse, with an editor of tourism_sports, an analyst and an admin."""
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    accounts_file = tmp_path / "private" / "accounts.json"
    monkeypatch.setenv("CITYIDX_ACCOUNTS", str(accounts_file))
    cat = catalogue.load(mini)
    accounts.add_account(cat, "kim", PASSWORD, "department_editor", "tourism_sports", name="김관광")
    accounts.add_account(cat, "ana", PASSWORD, "analyst")
    accounts.add_account(cat, "root", PASSWORD, "admin")
    return {"cat": cat, "root": mini.parent, "warehouse": mini_warehouse}


def run(page: str, lang: str = "ko", user: str | None = None) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["lang"] = lang
    if user:
        at.session_state["account"] = user
    run_on(at, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


# Each table is known by a column only it has (st.dataframe keys do not reach AppTest's tree).
TABLES = {
    "due_summary": "col.indicator_count", "due_detail": "col.last_period",
    "mine_indicators": "col.expected", "mine_preview": "col.new", "mine_problems": "col.cell",
    "mine_history": "col.file", "mine_versions": "col.status",
}


def shown(text: object) -> object:
    """What Markdown shows of a st.table cell: its backslash escapes undone (st.dataframe shows its text as it is)."""
    return re.sub(r"\\(.)", r"\1", text) if isinstance(text, str) else text


def _tables(at: AppTest, name: str) -> list[pd.DataFrame]:
    marks = {t(TABLES[name], "ko"), t(TABLES[name], "en")}
    drawn = [d.value for d in at.dataframe] + [d.value.rename(columns=shown).map(shown) for d in at.table]
    return [d for d in drawn if marks & {str(c) for c in d.columns}]


def frame(at: AppTest, name: str) -> pd.DataFrame:
    hits = _tables(at, name)
    assert len(hits) == 1, f"{len(hits)} tables {name}: {[list(d.value.columns) for d in at.dataframe]}"
    return hits[0]


def has_frame(at: AppTest, name: str) -> bool:
    return bool(_tables(at, name))


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def current_values(path: Path) -> dict[tuple[str, str], tuple[float, str]]:
    con = parts.connect_read_only(path)
    try:
        return {(i, p): (v, by) for i, p, v, by in con.execute(
            "select indicator_id, period, value, uploaded_by from indicator_values").fetchall()}
    finally:
        con.close()


def ledger_files(root: Path) -> list[str]:
    base = root / "data" / "raw"
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def labels(at: AppTest) -> list[str]:
    out = [e.value for e in (*at.title, *at.subheader)] + [m.label for m in at.metric]
    out += [w.label for w in (*at.selectbox, *at.multiselect, *at.file_uploader, *at.button)]
    out += [w.placeholder for w in at.multiselect if w.placeholder]
    for d in (*at.dataframe, *at.table):
        out += [str(c) for c in d.value.columns]
    return out


# --- both pages, both languages ------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("page", [MINE, DUE])
@pytest.mark.parametrize("user", [None, "kim"])
def test_pages_run_in_both_languages_without_stray_english(site, page, lang, user):
    at = run(page, lang, user)
    assert at.title
    shown = labels(at)
    assert len(shown) > 5
    stray = sorted(set(shown) & ENGLISH_LABELS)
    if lang == "ko":
        assert not stray, f"English labels in Korean mode: {stray}"
        assert any(re.search(r"[\uac00-\ud7a3]", s) for s in shown)
    else:
        assert stray, "English mode shows English labels"


# --- reporting status ----------------------------------------------------------------------------

def test_reporting_lists_every_indicator_with_its_state_overdue_first(site):
    cat = site["cat"]
    con = parts.connect_read_only(site["warehouse"])
    expected = due.due_status(con, cat, date.today()).set_index("indicator_id")
    con.close()
    assert len(expected) == len(cat.indicators) == 4

    at = run(DUE, "ko")
    table = frame(at, "due_detail")
    names = {cat.indicators[i].name.ko: i for i in cat.indicators}
    assert sorted(table["지표"]) == sorted(names), "every catalogue indicator is listed"
    for _, row in table.iterrows():
        ind = names[row["지표"]]
        assert row["제출 상태"] == t(f"due.{expected.at[ind, 'state']}", "ko")
        assert row["기대 기준기간"] == expected.at[ind, "expected_period"]
    order = [t(f"due.{s}", "ko") for s in due.STATES]
    ranks = [order.index(s) for s in table["제출 상태"]]
    assert ranks == sorted(ranks), "overdue first"
    assert {"지연", "제출 예정"} <= set(table["제출 상태"]), "the mini data has both states"
    # unemployment_rate's last value is 2022: several periods behind, no upload yet.
    unemployment = table[table["지표"] == "실업률"].iloc[0]
    assert unemployment["마지막 기준기간"] == "2022" and unemployment["밀린 기간 수"] == str(int(expected.at["unemployment_rate", "periods_behind"]))
    assert unemployment["마지막 업로드"] == t("ui.due.never_uploaded", "ko")

    metrics = {m.label: int(m.value) for m in at.metric}
    for state in due.STATES:
        assert metrics[t(f"ui.due.count.{state}", "ko")] == int((expected["state"] == state).sum())
    summary = frame(at, "due_summary")
    tourism = summary[summary["부서"] == "관광체육국"].iloc[0]
    assert tourism["지표 수"] == 3
    assert tourism["지연"] + tourism["제출 예정"] + tourism["최신"] == 3


def test_reporting_filters_by_department_and_state(site):
    at = run(DUE, "en")
    at.multiselect(key="due_departments").set_value(["economic_policy_office"]).run()
    assert set(frame(at, "due_detail")["Indicator"]) == {"Unemployment rate"}
    at.multiselect(key="due_departments").set_value([]).run()
    at.multiselect(key="due_states").set_value(["due"]).run()
    table = frame(at, "due_detail")
    assert set(table["State"]) == {"due"} and len(table) >= 1
    at.multiselect(key="due_states").set_value(["up_to_date"]).run()
    assert not has_frame(at, "due_detail")
    assert t("ui.due.none_match", "en") in [i.value for i in at.info]


def test_reporting_shows_an_upload_as_recent_and_up_to_date(site):
    writes.commit_upload(site["cat"], GOOD.read_bytes(), "t.csv", "tourism_sports", "kim",
                          warehouse_path=site["warehouse"])
    at = run(DUE, "ko")
    row = frame(at, "due_detail").set_index("지표").loc["서울 방문 외래관광객 수"]
    assert row["제출 상태"] == "최신" and row["마지막 기준기간"] == "2025"
    assert row["마지막 업로드"] == "kim" and bool(row["최근 갱신"]) is True
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row["최근 업로드 시각"])
    # the zone is named once on the page, not in every heading (issue 12)
    zone = [c.value for c in at.caption if "KST" in c.value]
    assert zone == [t("ui.times_in_zone", "ko", zone="KST (Asia/Seoul)")]
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics[t("ui.due.recent", "ko", days=30)] == 1


# --- my indicators: reading ----------------------------------------------------------------------

def test_an_editor_sees_their_departments_indicators_with_due_state(site):
    at = run(MINE, "ko", "kim")
    assert "mine_department" not in [s.key for s in at.selectbox], "an editor's department is their own"
    assert "관광체육국" in [s.value for s in at.subheader]
    table = frame(at, "mine_indicators")
    assert list(table["지표코드"]) == ["foreign_tourists", "tourists_quarterly", "tourists_monthly"]
    first = table.iloc[0]
    assert first["최신 값"] == "13,140,000 명" and first["기준기간"] == "2024"
    assert first["제출 상태"] == "제출 예정" and first["출처"] == "서울관광재단" and first["주기"] == "연간"
    assert set(table["제출 상태"].iloc[1:]) == {"지연"} and set(table["최신 값"].iloc[1:]) == {"값 없음"}
    assert t("ui.mine.no_uploads", "ko") in [c.value for c in at.caption]


def test_signed_out_and_analyst_read_only_choosing_a_department(site):
    for user in (None, "ana"):
        at = run(MINE, "en", user)
        assert t("ui.mine.read_only", "en") in [i.value for i in at.info]
        at.selectbox(key="mine_department").set_value("economic_policy_office").run()
        assert list(frame(at, "mine_indicators")["Code"]) == ["unemployment_rate"]
        assert frame(at, "mine_indicators").iloc[0]["Latest value"] == "3.4%"
        # Checking a file is allowed; confirming is not.
        upload(at, "e.csv", (UPLOADS / "good" / "economy__percent_sign.csv").read_bytes())
        assert has_frame(at, "mine_preview")
        assert at.button(key="mine_confirm").disabled
        assert any("may not upload" in c.value for c in at.caption)


def test_templates_download_in_the_chosen_language(site, monkeypatch):
    served: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            served[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    from openpyxl import load_workbook

    templates = {}
    for lang, header in (("ko", "지표코드"), ("en", "indicator_id")):
        served.clear()
        run(MINE, lang, "kim")
        csv_bytes = templates[lang] = served[f"tourism_sports_template_{lang}.csv"]
        assert csv_bytes.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM for Korean Excel"
        rows = csv_bytes.decode("utf-8-sig").splitlines()
        assert rows[0].split(",")[0] == header and len(rows) == 4
        book = load_workbook(io.BytesIO(served[f"tourism_sports_template_{lang}.xlsx"]))
        sheet = book.active
        cells = [[c.value for c in r] for r in sheet.iter_rows() if any(c.value is not None for c in r)]
        assert cells[0] == rows[0].split(","), "the xlsx has the CSV's columns"
        assert [r[0] for r in cells[1:]] == ["foreign_tourists", "tourists_quarterly", "tourists_monthly"]
        period_col = cells[0].index("기준기간" if lang == "ko" else "period")
        assert sheet.cell(row=2, column=period_col + 1).number_format == "@", "Excel keeps 2024-09 as text"
    assert "서울 방문 외래관광객 수" in templates["ko"].decode("utf-8-sig")
    # The Korean template with every row filled in (period and value) is accepted as it is.
    lines = templates["ko"].decode("utf-8-sig").split("\r\n")
    fills = {"foreign_tourists": ("2025", '"16,370,000"'), "tourists_quarterly": ("2025-Q2", "4100000"),
             "tourists_monthly": ("2025-09", "1500000")}
    body = []
    for line in lines[1:]:
        if line:
            cells = line.split(",")
            cells[3], cells[4] = fills[cells[0]]
            body.append(",".join(cells))
    filled = "\r\n".join([lines[0], *body, ""]).encode("utf-8-sig")
    parsed = writes.check_upload(site["cat"], filled, "filled.csv", "tourism_sports")
    assert parsed.ok, [p.en for p in parsed.problems]
    assert parsed.rows.set_index("indicator_id")["value"].to_dict() == {
        "foreign_tourists": 16370000.0, "tourists_quarterly": 4100000.0, "tourists_monthly": 1500000.0}


# --- my indicators: uploading through the widget ---------------------------------------------------

def test_upload_through_the_widget_previews_then_commits_on_confirm(site):
    root, wh = site["root"], site["warehouse"]
    ledger_before = ledger_files(root)
    at = run(MINE, "ko", "kim")
    upload(at, "관광_2025.csv", GOOD.read_bytes())

    preview = frame(at, "mine_preview")
    assert len(preview) == 1
    row = preview.iloc[0]
    previous = t("col.previous", "ko")
    assert (row["지표코드"], row["기준기간"], row["새 값"]) == ("foreign_tourists", "2025", "16,370,000 명")
    # No 2025 value yet: compared with 2024 (13,140,000), +24.6%, under the 30% threshold.
    assert row[previous] == t("ui.mine.earlier_period", "ko", value="13,140,000 명", period="2024")
    assert row["변화율"] == "+24.6%" and row["확인"] == ""
    assert "cp949" in " ".join(c.value for c in at.caption)
    assert ledger_files(root) == ledger_before, "choosing a file writes nothing"
    assert ("foreign_tourists", "2025") not in current_values(wh)

    confirm = at.button(key="mine_confirm")
    assert not confirm.disabled and confirm.label == "확인하고 올리기 (1행)"
    confirm.click().run()
    assert not at.exception, [e.value for e in at.exception]

    receipts = read_receipts(site["cat"])
    assert len(receipts) == 1
    receipt = receipts[0]
    assert (receipt.uploaded_by, receipt.department, receipt.rows, receipt.encoding) == ("kim", "tourism_sports", 1, "cp949")
    assert receipt.data_file.read_bytes() == GOOD.read_bytes(), "stored exactly as received"
    assert current_values(wh)[("foreign_tourists", "2025")] == (16370000.0, "kim")

    # The receipt says a number and what changed, in words: no ledger path, hash or file name for staff.
    success = re.sub(r"\\(.)", r"\1", " ".join(s.value for s in at.success))
    assert f"접수 번호 {receipt.number}" in success and "1행" in success
    assert "서울 방문 외래관광객 수 2025: 16,370,000 명 (새로 입력)" in success, success
    assert receipt.sha256[:12] not in success and "data/raw" not in success and "관광_2025.csv" not in success
    assert not at.expander or all("관리자" not in e.label for e in at.expander), "the technical detail is for admins"
    # The widget is emptied (no second confirm of the same file) and the page reads the new warehouse.
    assert at.file_uploader[0].value is None and not [b for b in at.button if b.key == "mine_confirm"]
    table = frame(at, "mine_indicators")
    assert table.iloc[0]["최신 값"] == "16,370,000 명" and table.iloc[0]["제출 상태"] == "최신"
    history = frame(at, "mine_history")
    assert list(history["올린 사람"]) == ["kim"] and list(history["파일 이름"]) == ["관광_2025.csv"]
    assert history.iloc[0]["접수 번호"] == receipt.number and "SHA-256 (앞 12자리)" not in history.columns

    # The same file again: the preview says it was already accepted, and by whom.
    upload(at, "관광_2025.csv", GOOD.read_bytes())
    assert any("이미 접수" in w.value and "kim" in w.value for w in at.warning)
    assert frame(at, "mine_preview").iloc[0][previous] == "16,370,000 명"


def test_a_correction_is_flagged_and_both_versions_stay_visible(site):
    at = run(MINE, "en", "kim")
    content = "지표코드,기준기간,값\nforeign_tourists,2024,\"20,000,000\"\nforeign_tourists,2023,8900000\n".encode()
    upload(at, "fix.csv", content)
    preview = frame(at, "mine_preview").set_index("Period")
    assert preview.at["2024", "Current value (or the latest earlier period)"] == "13,140,000 persons"
    assert preview.at["2024", "Change"] == "+52.2%" and preview.at["2024", "Check"] == "check again"
    assert preview.at["2023", "Change"] == "+0.5%" and preview.at["2023", "Check"] == ""
    assert any("1 row changes by more than 30%" in w.value for w in at.warning)

    at.button(key="mine_confirm").click().run()
    assert not at.exception
    assert current_values(site["warehouse"])[("foreign_tourists", "2024")] == (20000000.0, "kim")
    versions = frame(at, "mine_versions")
    v2024 = versions[versions["Period"] == "2024"]
    assert list(v2024["Status"]) == ["● current", "superseded"]
    assert list(v2024["Uploaded by"]) == ["kim", "reference data"]
    assert list(v2024["Value"]) == ["20,000,000 persons", "13,140,000 persons"]


def test_a_new_period_is_compared_with_the_latest_earlier_one(site):
    """A slipped digit in a new year's figure is flagged against the year before."""
    at = run(MINE, "ko", "kim")
    upload(at, "new.csv", "지표코드,기준기간,값\nforeign_tourists,2025,1637000\n".encode())
    preview = frame(at, "mine_preview").set_index(t("col.period", "ko"))
    shown = preview.at["2025", t("col.previous", "ko")]
    assert shown == t("ui.mine.earlier_period", "ko", value="13,140,000 명", period="2024")
    assert preview.at["2025", t("col.change_ratio", "ko")] == "-87.5%"
    assert preview.at["2025", t("col.flag", "ko")] == t("ui.mine.flag", "ko")


def test_a_bad_file_shows_its_cell_and_writes_nothing(site):
    root, wh = site["root"], site["warehouse"]
    ledger_before, warehouse_before = ledger_files(root), warehouse_bytes(wh)
    at = run(MINE, "ko", "kim")
    upload(at, "bad.csv", (UPLOADS / "bad" / "tourism__not_a_number.csv").read_bytes())
    assert [e.value for e in at.error] == [t("upload.rejected", "ko", count=1)]
    problems = frame(at, "mine_problems")
    assert list(problems["셀"]) == ["C2"] and list(problems["열"]) == ["값"]
    assert "숫자가 아닙니다: '약 1637만'" in problems.iloc[0]["문제와 고치는 법"]
    assert not has_frame(at, "mine_preview") and "mine_confirm" not in [b.key for b in at.button]
    assert ledger_files(root) == ledger_before and warehouse_bytes(wh) == warehouse_before

    en = run(MINE, "en", "kim")
    upload(en, "bad.csv", (UPLOADS / "bad" / "tourism__not_a_number.csv").read_bytes())
    assert "not a number: '약 1637만'" in frame(en, "mine_problems").iloc[0]["Problem and how to fix it"]


HOSTILE_MARKDOWN = "![x](https://evil.example/x.png) <img src=x onerror=alert(1)> [go](javascript:alert(1)) **b** :red[r] $x$"


def _live_markdown(frame: pd.DataFrame) -> list[str]:
    """Every cell or column name of a st.table (drawn as Markdown) holding a Markdown- or HTML-active character that
    no backslash escapes."""
    texts = [str(c) for c in frame.columns] + [v for v in frame.to_numpy().ravel() if isinstance(v, str)]
    return [x for x in texts if re.search(r"[\\`*_{}\[\]<|~$:]", re.sub(r"\\.", "", x))]


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_an_uploads_own_text_in_the_problem_and_preview_tables_is_shown_as_typed(site, lang):
    """st.table draws every cell as Markdown: a file's value or note such as ![x](https://…) would be an image the
    browser fetches (seen on the page before escape_frame). Each cell is escaped, and reads as typed."""
    at = run(MINE, lang, "kim")
    bad = f'indicator_id,period,value\nforeign_tourists,2025,"{HOSTILE_MARKDOWN}"\n'
    upload(at, "bad.csv", bad.encode())
    assert [e.value for e in at.error] == [t("upload.rejected", lang, count=1)]
    assert [_live_markdown(d.value) for d in at.table] == [[]]
    assert HOSTILE_MARKDOWN in frame(at, "mine_problems").iloc[0][t("col.problem", lang)]

    at = run(MINE, lang, "kim")
    good = f'indicator_id,period,value,note\nforeign_tourists,2025,"13,500,000","{HOSTILE_MARKDOWN}"\n'
    upload(at, "good.csv", good.encode())
    assert not at.error and len(at.table) == 1
    assert _live_markdown(at.table[0].value) == []
    assert list(frame(at, "mine_preview")[t("col.note", lang)]) == [HOSTILE_MARKDOWN]
    assert read_receipts(site["cat"]) == [], "a check writes nothing"


def test_another_departments_indicator_rejects_the_file_for_an_editor(site):
    at = run(MINE, "en", "kim")
    upload(at, "e.csv", (UPLOADS / "good" / "economy__percent_sign.csv").read_bytes())
    problems = frame(at, "mine_problems")
    assert set(problems["Cell"]) == {"A2", "A3"}
    assert all("owned by Economic Policy Office" in p for p in problems["Problem and how to fix it"])
    assert read_receipts(site["cat"]) == []


def test_an_admin_uploads_for_any_department(site):
    at = run(MINE, "ko", "root")
    at.selectbox(key="mine_department").set_value("economic_policy_office").run()
    upload(at, "e.csv", (UPLOADS / "good" / "economy__percent_sign.csv").read_bytes())
    at.button(key="mine_confirm").click().run()
    assert not at.exception
    values = current_values(site["warehouse"])
    assert values[("unemployment_rate", "2024")] == (3.0, "root")
    assert [r.department for r in read_receipts(site["cat"])] == ["economic_policy_office"]


def test_a_busy_warehouse_asks_to_retry_and_writes_nothing(site, monkeypatch):
    monkeypatch.setitem(writes.commit_upload.__kwdefaults__, "lock_timeout", 0.3)
    wh = site["warehouse"]
    at = run(MINE, "en", "kim")
    upload(at, "t.csv", GOOD.read_bytes())
    with open(wh.with_name(wh.name + ".lock"), "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        at.button(key="mine_confirm").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t("upload.busy", "en")]
    assert read_receipts(site["cat"]) == []
    assert ("foreign_tourists", "2025") not in current_values(wh)
    # Once the lock is free, the same file (still chosen) goes through.
    at.button(key="mine_confirm").click().run()
    assert len(read_receipts(site["cat"])) == 1
