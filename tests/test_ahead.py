"""Ahead of the evaluators: release calendar and .ics, source fetching against a real local server,
the open-data folder as a valid Data Package, submission packs and the quarterly brief."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from urllib3.util.retry import Retry

from pipelines import catalogue
from pipelines.build import writes
from pipelines.cli import main
from pipelines.errors import CityIdxError
from pipelines.ledger import fetch
from pipelines.reports import brief, calendar, publish
from pipelines.sql import parts

ROOT = Path(__file__).resolve().parent.parent


# --- release calendar ------------------------------------------------------------------------


def test_calendar_lists_the_next_releases_with_their_feeding_indicators(mini: Path, mini_warehouse: Path):
    cat = catalogue.load(mini)
    con = parts.connect_read_only(mini_warehouse)
    table = calendar.upcoming(cat, con, date(2026, 11, 24))
    con.close()
    rows = {(r.index_id, r.month): r for r in table.itertuples()}
    # GPCI releases in one window, Nov-Dec; GFCI twice a year, March and September.
    assert ("mori_gpci", "2026-11") in rows and rows[("mori_gpci", "2026-11")].month_end == "2026-12"
    assert {("zyen_gfci", "2027-03"), ("zyen_gfci", "2027-09")} <= set(rows)
    gpci = rows[("mori_gpci", "2026-11")]
    assert gpci.collection_from == "2026-08" and gpci.window_open
    assert set(gpci.indicators) == {"foreign_tourists", "unemployment_rate", "tourists_quarterly", "tourists_monthly"}
    # unemployment_rate's last period is 2022 while 2025 is expected: out of date.
    assert "unemployment_rate" in gpci.out_of_date
    assert all("2026-11" <= m < "2027-11" for m in table["month_end"])


def test_ics_is_valid_icalendar(mini: Path, mini_warehouse: Path):
    cat = catalogue.load(mini)
    con = parts.connect_read_only(mini_warehouse)
    table = calendar.upcoming(cat, con, date(2026, 11, 24))
    con.close()
    data = calendar.to_ics(table, cat, "ko")
    text = data.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2 * len(table) == text.count("END:VEVENT")
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "UID:mori_gpci-2026-11-release@cityidx" in unfolded
    assert "DTSTART;VALUE=DATE:20261101" in unfolded and "DTEND;VALUE=DATE:20270101" in unfolded
    assert "모리기념재단" in unfolded or "Mori" in unfolded


# --- fetching, against a real HTTP server on localhost -----------------------------------------


class _Server:
    """A tiny source server: /stable (ETag), /slow, /broken (500), /changing (new bytes each call)."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.changing = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):  # noqa: N802 - the http.server API
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                if self.path == "/stable":
                    body, etag = "city,rank\nSeoul,10\n".encode(), '"v1"'
                    if self.headers.get("If-None-Match") == etag:
                        self.send_response(304)
                        self.end_headers()
                        return
                    self._send(200, body, {"ETag": etag, "Content-Type": "text/csv"})
                elif self.path == "/slow":
                    time.sleep(2.0)
                    self._send(200, b"late")
                elif self.path == "/broken":
                    self._send(500, b"oops")
                elif self.path == "/changing":
                    server.changing += 1
                    self._send(200, f"version {server.changing}\n".encode())
                else:
                    self._send(404, b"")

            def _send(self, code: int, body: bytes, headers: dict | None = None):
                self.send_response(code)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server()
    yield s
    s.close()


def _with_sources(mini: Path, urls: list[str]) -> catalogue.Catalogue:
    data = yaml.safe_load(mini.read_text(encoding="utf-8"))
    data["series"]["zyen_gfci"]["fetch"] = [{"url": u, "format": "csv"} for u in urls]
    mini.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return catalogue.load(mini)


FAST = fetch.session(Retry(total=2, backoff_factor=0.05, status_forcelist=(500,), allowed_methods=("GET",), raise_on_status=False))


def _snapshots(cat) -> list[Path]:
    root = fetch.snapshot_root(cat, "zyen_gfci")
    return sorted(root.iterdir()) if root.is_dir() else []


def test_a_source_is_stored_once_then_unchanged_by_etag(mini: Path, server: _Server):
    cat = _with_sources(mini, [f"{server.url}/stable"])
    first = fetch.fetch_all(cat, http=FAST)
    assert [o.state for o in first] == ["stored"]
    receipt = json.loads(next(p for p in _snapshots(cat) if p.suffix == ".json").read_text())
    body = next(p for p in _snapshots(cat) if p.suffix == ".csv").read_bytes()
    assert receipt["url"] == f"{server.url}/stable" and receipt["etag"] == '"v1"'
    assert receipt["sha256"] == hashlib.sha256(body).hexdigest() and receipt["fetched_at"]
    second = fetch.fetch_all(cat, http=FAST)
    assert [(o.state, o.detail.key) for o in second] == [("unchanged", "fetch.not_modified")]
    assert len(_snapshots(cat)) == 2  # one data file, one receipt: nothing new


def test_a_changed_source_becomes_a_new_snapshot_and_the_old_one_stays(mini: Path, server: _Server):
    cat = _with_sources(mini, [f"{server.url}/changing"])
    fetch.fetch_all(cat, http=FAST)
    old = {p.name: p.read_bytes() for p in _snapshots(cat)}
    time.sleep(0.01)
    assert [o.state for o in fetch.fetch_all(cat, http=FAST)] == ["stored"]
    now = {p.name: p.read_bytes() for p in _snapshots(cat)}
    assert len(now) == 4 and all(now[name] == data for name, data in old.items())


def test_a_server_error_is_retried_then_reported_and_changes_nothing(mini: Path, server: _Server):
    cat = _with_sources(mini, [f"{server.url}/broken"])
    outcomes = fetch.fetch_all(cat, http=FAST)
    assert [(o.state, o.detail.key) for o in outcomes] == [("failed", "fetch.http_status")]
    assert "HTTP 500" in outcomes[0].detail.ko and "HTTP 500" in outcomes[0].detail.en
    assert server.hits["/broken"] == 3  # the first try and two retries
    assert _snapshots(cat) == []


def test_a_slow_source_times_out_and_changes_nothing(mini: Path, server: _Server):
    cat = _with_sources(mini, [f"{server.url}/slow"])
    outcomes = fetch.fetch_all(cat, http=fetch.session(Retry(total=0)), timeout=(1.0, 0.5))
    assert outcomes[0].state == "failed" and outcomes[0].detail.key == "fetch.timed_out"
    assert "시간 초과" in outcomes[0].detail.ko and "timed out" in outcomes[0].detail.en
    assert _snapshots(cat) == []


def test_offline_says_so_plainly(mini: Path):
    cat = _with_sources(mini, ["http://127.0.0.1:9/nothing-listens-here"])
    runner = CliRunner()
    result = runner.invoke(main, ["fetch", "--catalogue", str(mini), "--as", "ana", "zyen_gfci"])
    assert result.exit_code == 1
    assert "Nothing was changed" in result.output and "아무것도 바뀌지 않았습니다" in result.output
    # the cause in both languages, not an English transport message inside the Korean line
    assert "오프라인이거나 호스트에 연결할 수 없습니다" in result.output and "offline, or the host cannot be reached" in result.output
    assert _snapshots(cat) == []


def test_a_series_without_sources_fetches_nothing(mini: Path, server: _Server):
    _with_sources(mini, [f"{server.url}/stable"])  # GFCI has a source; GPCI has none
    result = CliRunner().invoke(main, ["fetch", "--catalogue", str(mini), "--as", "ana", "mori_gpci"])
    assert result.exit_code == 1 and "no machine-readable source URL" in result.output
    assert server.hits == {}


def test_cli_fetch_reports_stored_and_unchanged(mini: Path, server: _Server):
    _with_sources(mini, [f"{server.url}/stable"])
    runner = CliRunner()
    first = runner.invoke(main, ["fetch", "--catalogue", str(mini), "--as", "ana"])
    assert first.exit_code == 0 and "stored:" in first.output
    second = runner.invoke(main, ["fetch", "--catalogue", str(mini), "--as", "ana"])
    assert second.exit_code == 0 and "unchanged:" in second.output
    assert server.hits["/stable"] == 2
    [receipt] = [json.loads(p.read_text()) for p in (mini.parent / "data" / "raw" / "fetched" / "zyen_gfci").glob("*.json")]
    assert receipt["fetched_by"] == "ana" and receipt["mac"]  # who asked, sealed (issue 10)


# --- open data ----------------------------------------------------------------------------------


def _publish(mini_warehouse: Path, mini: Path, out: Path) -> list[Path]:
    con = parts.connect_read_only(mini_warehouse)
    try:
        return publish.publish(con, catalogue.load(mini), out)
    finally:
        con.close()


def test_publish_is_reproducible_and_neutralised(mini: Path, mini_warehouse: Path, tmp_path: Path):
    cat = catalogue.load(mini)
    writes.commit_upload(cat, "지표코드,기준기간,값,비고\nforeign_tourists,2025,16370000,=1+1\n".encode(), "a.csv",
                          "tourism_sports", "kim", warehouse_path=mini_warehouse)
    a = _publish(mini_warehouse, mini, tmp_path / "a")
    b = _publish(mini_warehouse, mini, tmp_path / "b")
    assert len(a) == 2 * (4 + 2) + 2
    for pa, pb in zip(sorted(a), sorted(b)):
        assert pa.read_bytes() == pb.read_bytes(), pa.name
    body = (tmp_path / "a" / "indicators" / "foreign_tourists.csv").read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {r["period"]: r["note"] for r in rows}["2025"] == "'=1+1"
    index = (tmp_path / "a" / "index.html").read_text(encoding="utf-8")
    assert 'lang="ko"' in index and 'lang="en"' in index and "indicators/foreign_tourists.csv" in index


def test_published_folder_is_a_valid_data_package(mini: Path, mini_warehouse: Path, tmp_path: Path):
    out = tmp_path / "site"
    _publish(mini_warehouse, mini, out)
    descriptor = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["profile"] == "tabular-data-package" and descriptor["licenses"][0]["name"]
    assert len(descriptor["resources"]) == 6
    for res in descriptor["resources"]:
        data = (out / res["path"]).read_bytes()
        assert res["bytes"] == len(data) and res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert header == [f["name"] for f in res["schema"]["fields"]]
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])[:5]


# --- submission pack and brief --------------------------------------------------------------------


def test_submission_pack_has_every_indicator_the_series_uses(mini: Path, mini_warehouse: Path, tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "gpci.xlsx"
    result = runner.invoke(main, ["submission", "--catalogue", str(mini), "mori_gpci", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"foreign_tourists", "unemployment_rate", "tourists_quarterly", "tourists_monthly"}
    assert rows["foreign_tourists"]["기준기간"] == "2024" and rows["foreign_tourists"]["값"] == 13140000
    assert rows["tourists_monthly"]["기준기간"] == "값 없음" and rows["tourists_monthly"]["값"] is None


def test_quarter_bounds():
    assert brief.quarter_bounds("2025-Q4") == (date(2025, 10, 1), date(2025, 12, 31))
    assert brief.quarter_bounds("2026-Q1") == (date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(CityIdxError, match="2025-Q5"):
        brief.quarter_bounds("2025-Q5")


def test_brief_shows_standing_changes_weaknesses_and_actions(mini: Path, mini_warehouse: Path, tmp_path: Path):
    runner = CliRunner()
    out = tmp_path / "brief.html"
    result = runner.invoke(main, ["brief", "--catalogue", str(mini), "--quarter", "2025-Q4", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "분기 브리프 2025-Q4" in text and "<svg" in text
    # GPCI 2025 (published 2025-12) is new this quarter; GFCI 38 (2025-09) is not.
    changes = text[text.index("이번 분기의 변화"):text.index("주요 약점")]
    assert "2025-12" in changes and "GFCI 38" not in changes
    # As of 2025-Q3's end, GPCI's latest edition was 2024: the brief for Q3 must not show 2025.
    q3 = brief.standing(parts.connect_read_only(mini_warehouse), date(2025, 9, 30))
    assert q3.set_index("index_id").loc["mori_gpci", "latest_edition"] == "2024"
    bad = runner.invoke(main, ["brief", "--catalogue", str(mini), "--quarter", "2025Q4"])
    assert bad.exit_code == 2
