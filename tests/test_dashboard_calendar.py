"""The Release calendar & brief page through AppTest, on the mini catalogue and its warehouse: the calendar
table and its .ics, the submission pack, the quarterly brief and the source snapshots, in Korean and English.
Downloads are checked by the bytes the page hands to Streamlit's media storage."""

from __future__ import annotations

import hashlib
import io
import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
import requests
import yaml
from openpyxl import load_workbook
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from dashboard.text import MESSAGES, t
from pipelines import build, catalogue
from pipelines.analysis import due
from pipelines.ledger import fetch
from pipelines.sql import parts
from tests.page_reading import marks, run_on, svg_charts

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
PAGE = "views/calendar.py"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MINI_FEEDS_GPCI = {"foreign_tourists", "unemployment_rate", "tourists_quarterly", "tourists_monthly"}
# The page's own English labels (placeholders removed): none may show in Korean mode.
ENGLISH_LABELS = {m["en"] for k, m in MESSAGES.items() if k.startswith("ui.cal.") and isinstance(m["en"], str) and "{" not in m["en"] and m["en"] != m["ko"]}


@pytest.fixture
def site(mini: Path, mini_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> catalogue.Catalogue:
    monkeypatch.setenv("CITYIDX_CATALOGUE", str(mini))
    return catalogue.load(mini)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Every download the page offers, by file name."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename:
            files[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files


# The brief names the focus city as its language does (tests/fixtures/mini/data/raw/cities.csv).
CITY_NAMES = {"ko": "서울", "en": "Seoul"}

def open_page(lang: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.query_params["lang"] = lang
    run_on(at, PAGE)
    ok(at)
    return at


def ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def table(at: AppTest, lang: str, marker: str) -> pd.DataFrame:
    """The one table that has the column `marker` (st.dataframe keys do not reach AppTest's tree)."""
    hits = [d.value for d in at.dataframe if marker in map(str, d.value.columns)]
    assert len(hits) == 1, [list(d.value.columns) for d in at.dataframe]
    return hits[0]


def shown_text(at: AppTest) -> list[str]:
    """Every label and text the page shows, table headers included (not table cells: those are data)."""
    out = [e.value for e in (*at.title, *at.subheader, *at.caption, *at.markdown, *at.info)
           if not e.value.startswith("<div><svg")]
    # an SVG chart's markup is not text; its words are (the attribute names and values are the machine's)
    out += [" ".join(chart.itertext()) for chart in svg_charts(at).values()]
    out += [w.label for w in (*at.selectbox, *at.get("download_button"))]
    out += [str(c) for d in at.dataframe for c in d.value.columns]
    return out


def add_months(day: date, months: int) -> date:
    m = day.month - 1 + months
    return date(day.year + m // 12, m % 12 + 1, 1)


def expected_releases(today: date) -> set[tuple[str, str]]:
    """(series, month span) the next twelve months hold for the mini catalogue, worked out from its release months:
    GPCI once a year over November-December, GFCI in March and in September."""
    first = date(today.year, today.month, 1)
    last = add_months(first, 12)
    out = set()
    for year in (today.year, today.year + 1):
        start, end = date(year, 11, 1), date(year, 12, 1)
        if end >= first and start < last:
            out.add(("mori_gpci", f"{year}-11~{year}-12"))
        for m in (3, 9):
            if first <= date(year, m, 1) < last:
                out.add(("zyen_gfci", f"{year}-{m:02d}"))
    return out


def last_complete_quarter(today: date) -> str:
    q = (today.month - 1) // 3 + 1
    return f"{today.year - 1}-Q4" if q == 1 else f"{today.year}-Q{q - 1}"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_page_runs_in_either_language_and_speaks_it(site, lang):
    at = open_page(lang)
    assert at.title[0].value == t("ui.cal.title", lang)
    assert [s.value for s in at.subheader] == [t("ui.cal.timeline", lang, months=12), t("ui.cal.pack", lang),
                                              t("ui.cal.brief", lang), t("ui.cal.snapshots", lang)]
    texts = shown_text(at)
    assert len(texts) > 20
    if lang == "ko":
        leaked = sorted({label for label in ENGLISH_LABELS for text in texts if label in text})
        assert not leaked, leaked
        headers = table(at, lang, t("col.month", lang)).columns
        assert all(HANGUL.search(str(c)) for c in headers), list(headers)
    else:
        assert not [x for x in texts if HANGUL.search(x)], [x for x in texts if HANGUL.search(x)]
    # The timeline is an SVG chart (no Plotly on the page): a slot per month, labelled YYYY-MM in order; per series a
    # collection window before its release month(s); today inside the span.
    assert not at.get("plotly_chart")
    chart = svg_charts(at)["cal_timeline"]
    ticks = [m.get("data-value") for m in marks(chart, "x-tick")]
    assert ticks == sorted(ticks) and all(re.fullmatch(r"\d{4}-\d{2}", m) for m in ticks) and len(set(ticks)) == len(ticks)
    collect, release = marks(chart, "collect"), marks(chart, "release") + marks(chart, "release_loaded")
    assert collect and release
    for bar in collect:  # the window ends the month before one of its series' release months
        follows = str(pd.Period(bar.get("data-to"), "M") + 1)
        assert [r for r in release if r.get("data-series") == bar.get("data-series") and r.get("data-from") == follows]
    (today,) = marks(chart, "today")
    assert ticks[0] <= today.get("data-day")[:7] <= ticks[-1]
    legend = "".join(chart.itertext())
    assert t("ui.cal.collect", lang) in legend and t("ui.cal.today", lang) in legend
    assert all(bar.find("{*}title") is not None for bar in collect + release), "every bar keeps its hover text"
    hover = release[0].find("{*}title").text.split("\n")
    assert len(hover) == 4 and "<br>" not in "".join(hover), "the hover text in lines, no markup of Plotly's"


def bring_up_to_date(mini: Path, warehouse: Path, indicator_id: str) -> None:
    """Give one indicator a value for the period expected today and rebuild the warehouse."""
    cat = catalogue.load(mini)
    ind = cat.indicators[indicator_id]
    period = due.expected_period(ind.cadence, cat.reporting.lag_months[ind.cadence], date.today())
    seed = mini.parent / "data" / "raw" / "indicators" / "seed_values.csv"
    with open(seed, "a", encoding="utf-8", newline="") as fh:
        fh.write(f"{indicator_id},{period},15000000,Test source,https://example.org/x,{date.today()},\n")
    build.build(catalogue.load(mini), warehouse)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_calendar_lists_the_mini_catalogues_releases(mini, mini_warehouse, site, lang):
    today = date.today()
    bring_up_to_date(mini, mini_warehouse, "foreign_tourists")
    at = open_page(lang)
    frame = table(at, lang, t("col.month", lang))
    c = lambda key: t(f"col.{key}", lang)
    titles = {s.title.get(lang): s.id for s in site.series.values()}
    listed = {(titles[s], m) for s, m in zip(frame[c("index")], frame[c("month")])}
    expected = expected_releases(today)
    assert expected and listed == expected
    # GPCI: four city indicators feed it; the unemployment rate (last period 2022) is out of date.
    gpci = frame[frame[c("index")] == site.series["mori_gpci"].title.get(lang)].iloc[0]
    # foreign_tourists has just been brought up to date; the other three have old or no values.
    assert gpci[c("city_indicator_count")] == 4 and gpci[c("stale_count")] == 3
    stale = gpci[c("out_of_date")].split(", ")
    assert sorted(stale) == sorted(site.indicators[i].name.get(lang) for i in MINI_FEEDS_GPCI - {"foreign_tourists"})
    assert gpci[c("office")] == site.offices["planning_office"].name.get(lang)
    start = date.fromisoformat(gpci[c("month")][:7] + "-01")
    assert gpci[c("collect_from")] == add_months(start, -3).strftime("%Y-%m")
    assert bool(gpci[c("window_open")]) == (add_months(start, -3) <= date(today.year, today.month, 1))
    gfci = frame[frame[c("index")] == site.series["zyen_gfci"].title.get(lang)]
    assert len(gfci) == 2 and (gfci[c("city_indicator_count")] == 0).all() and (gfci[c("out_of_date")] == "—").all()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_ics_download_is_an_icalendar_in_the_chosen_language(site, served, lang):
    at = open_page(lang)
    data = served[f"{t('ui.cal.ics_file', lang)}.ics"]
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    text = data.decode("utf-8").replace("\r\n ", "")  # unfold
    rows = len(table(at, lang, t("col.month", lang)))
    assert text.count("BEGIN:VEVENT") == 2 * rows
    title = site.series["mori_gpci"].title.get(lang)
    assert "SUMMARY:" + t("cal.release", lang, title=title) in text


def test_a_rerun_replays_the_calendar_and_the_pack_and_serves_the_same_files(site, served, monkeypatch):
    """The .ics, the pack's CSV and the pack's table follow from the warehouse, the catalogue, the series and the
    language: they are made once and a rerun (another filter, another session) serves the same bytes and replays the
    same table; another language makes them again, in its words (issue 13: the page's rerun)."""
    from pipelines.reports import calendar as calendar_report
    from pipelines.reports import render

    from dashboard import display

    made: list[str] = []
    for module, name in ((calendar_report, "to_ics"), (render, "csv_bytes"), (display, "table")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda *a, _real=real, _name=name, **kw: made.append(
            a[1] if _name == "table" else _name) or _real(*a, **kw))
    at = open_page("ko")
    first = dict(served)
    once = sorted(made)
    assert once == sorted(["to_ics", "csv_bytes", "cal_table", "cal_pack"]), made  # the mini fetches no source
    at.run()
    at.selectbox(key="cal_quarter").set_value("2025-Q4").run()
    ok(at)
    assert sorted(made) == once, "made again on a rerun"
    assert len(table(at, "ko", t("col.month", "ko"))) and len(table(at, "ko", t("col.indicator", "ko")))
    for name in (f"{t('ui.cal.ics_file', 'ko')}.ics", f"mori_gpci_{t('ui.cal.pack_file', 'ko')}.csv"):
        assert served[name] == first[name], name
    at.radio(key="lang").set_value("en").run()
    ok(at)
    assert made.count("to_ics") == 2 and made.count("csv_bytes") == 2 and made.count("cal_pack") == 2
    assert served[f"{t('ui.cal.ics_file', 'en')}.ics"].decode("utf-8").count("BEGIN:VEVENT") == \
        first[f"{t('ui.cal.ics_file', 'ko')}.ics"].decode("utf-8").count("BEGIN:VEVENT")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_brief_download_is_the_chosen_quarter(site, served, mini_warehouse, lang):
    today = date.today()
    at = open_page(lang)
    box = at.selectbox(key="cal_quarter")
    con = parts.connect_read_only(mini_warehouse)
    first_year = con.execute("select min(year) from edition").fetchone()[0]
    con.close()
    current = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assert box.options[0] == t("ui.cal.quarter_current", lang, quarter=current)
    assert box.options[-1] == f"{first_year}-Q1" and len(box.options) == 4 * (today.year - first_year) + int(current[-1])
    default = last_complete_quarter(today)
    assert box.value == default
    brief = served[f"{t('ui.cal.brief_file', lang)}_{default}_{lang}.html"].decode("utf-8")
    assert t("doc.brief.title", lang, city=CITY_NAMES[lang], quarter=default) in brief
    # Another quarter: a new brief with that quarter's title and period.
    box.set_value("2025-Q4").run()
    ok(at)
    brief = served[f"{t('ui.cal.brief_file', lang)}_2025-Q4_{lang}.html"].decode("utf-8")
    assert t("doc.brief.title", lang, city=CITY_NAMES[lang], quarter="2025-Q4") in brief
    assert t("doc.brief.period", lang, start="2025-10-01", end="2025-12-31") in brief
    assert default == "2025-Q4" or default not in brief


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_submission_pack_lists_the_indicators_feeding_the_chosen_series(site, served, lang):
    at = open_page(lang)
    box = at.selectbox(key="cal_pack_series")
    # By default the next release that city data feeds: in the mini catalogue only GPCI has feeding indicators.
    assert box.value == "mori_gpci"
    code = t("col.indicator_id", lang)
    pack = table(at, lang, code)
    assert set(pack[code]) == MINI_FEEDS_GPCI
    names = dict(zip(pack[code], pack[t("col.indicator", lang)]))
    assert names["unemployment_rate"] == site.indicators["unemployment_rate"].name.get(lang)
    values = dict(zip(pack[code], pack[t("col.value", lang)]))
    assert values["unemployment_rate"] == pytest.approx(3.4) and pd.isna(values["tourists_monthly"])
    name = f"mori_gpci_{t('ui.cal.pack_file', lang)}"
    csv = served[f"{name}.csv"]
    assert csv.startswith(b"\xef\xbb\xbf")
    assert {line.split(",")[0] for line in csv.decode("utf-8-sig").splitlines()[1:]} == MINI_FEEDS_GPCI
    sheet = load_workbook(io.BytesIO(served[f"{name}.xlsx"])).active
    assert sheet.cell(row=1, column=1).value == code
    assert {sheet.cell(row=r, column=1).value for r in range(2, sheet.max_row + 1)} == MINI_FEEDS_GPCI
    # GFCI has no city indicator: the page says so and offers no pack.
    served.clear()
    box.set_value("zyen_gfci").run()
    ok(at)
    assert t("ui.cal.pack_empty", lang) in [i.value for i in at.info]
    assert not [d for d in at.dataframe if code in d.value.columns]
    assert not [f for f in served if f.startswith("zyen_gfci_")]


class _Source:
    """A real HTTP server on localhost that serves one file."""

    BODY = b"rank,city\n10,Seoul\n"

    def __init__(self) -> None:
        body = self.BODY

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/gfci.csv"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_source_snapshots_show_the_latest_receipt_and_the_page_never_fetches(mini, site, monkeypatch, lang):
    source = _Source()
    try:
        raw = yaml.safe_load(mini.read_text(encoding="utf-8"))
        raw["series"]["zyen_gfci"]["fetch"] = [{"url": source.url, "format": "csv"}]
        raw["series"]["mori_gpci"]["fetch"] = [{"url": "http://127.0.0.1:9/never.csv", "format": "csv"}]
        mini.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
        cat = catalogue.load(mini)
        outcomes = fetch.fetch_all(cat, ["zyen_gfci"])
        assert [o.state for o in outcomes] == ["stored"]
    finally:
        source.close()
    before = sorted(p.name for p in fetch.snapshot_root(cat, "zyen_gfci").iterdir())

    def no_network(*args, **kwargs):
        raise AssertionError("the page fetched a source")

    monkeypatch.setattr(requests.Session, "request", no_network)
    at = open_page(lang)
    col = lambda key: t(f"col.{key}", lang)
    frame = table(at, lang, col("sha256")).set_index(col("source_url"))
    assert list(frame.index) == ["http://127.0.0.1:9/never.csv", source.url]  # catalogue order: GPCI, then GFCI
    got = frame.loc[source.url]
    assert got[col("index")] == cat.series["zyen_gfci"].title.get(lang)
    assert got[col("sha256")] == hashlib.sha256(_Source.BODY).hexdigest()[:12]
    assert got[col("bytes")] == f"{len(_Source.BODY):,}"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", got[col("fetched_at")])
    never = frame.loc["http://127.0.0.1:9/never.csv"]
    assert never[col("fetched_at")] == t("ui.cal.never_fetched", lang) and never[col("sha256")] == "—"
    # The command is inline code in a caption: a code block would load the 1.5 MB syntax highlighter (issue 13).
    assert any("`cityidx fetch`" in c.value for c in at.caption) and not at.code
    # Nothing new in the ledger; the never-fetched source still has no folder.
    assert sorted(p.name for p in fetch.snapshot_root(cat, "zyen_gfci").iterdir()) == before
    assert not fetch.snapshot_root(cat, "mori_gpci").exists()


def test_a_catalogue_without_fetch_sources_says_so(site):
    at = open_page("ko")
    assert t("ui.cal.no_sources", "ko") in [i.value for i in at.info]


@pytest.mark.parametrize("page", [PAGE, "views/reporting.py"])
def test_the_pages_read_today_in_the_catalogues_zone(site, page: str, monkeypatch: pytest.MonkeyPatch):
    """The calendar says its times are KST; between midnight in Seoul and 09:00 UTC a server's own date is still
    yesterday. The page's today (the calendar's intro and timeline, the reporting page's due states) is the Seoul
    date (`data.local_today`), as the my-indicators page reads it."""
    from dashboard import data

    seoul_day = date(2031, 2, 3)  # far from the server's own date: a page reading date.today() cannot show it
    monkeypatch.setattr(data, "local_today", lambda: seoul_day)
    at = run_on(AppTest.from_file(str(APP), default_timeout=120), page)
    assert not at.exception
    shown = " ".join(c.value for c in at.caption)
    assert "2031-02-03" in shown, shown[:400]
