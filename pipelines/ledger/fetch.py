"""Snapshot each machine-readable source the catalogue names into the ledger; never overwrite, never guess."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipelines.catalogue import Catalogue, FetchSource
from pipelines.errors import Message
from pipelines.ledger import seal, store

USER_AGENT = "cityidx/0.1 (city competitiveness indices ledger; python-requests)"
TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
RETRIES = Retry(total=3, connect=3, read=2, status=3, backoff_factor=0.5,
                status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False,
                respect_retry_after_header=True)


MAX_REDIRECTS = 5
CHUNK = 64 * 1024
# The content types each declared format may arrive as (a missing Content-Type is recorded as missing).
CONTENT_TYPES = {
    "csv": ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"),
    "json": ("application/json", "text/json", "text/plain"),
    "html": ("text/html", "application/xhtml+xml"),
    "wikitext": ("text/x-wiki", "text/plain"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"),
}


class Refused(Exception):
    """A fetch stopped by one of its bounds; `.detail` says which, in both languages."""

    def __init__(self, detail: Message):
        super().__init__(detail.key)
        self.detail = detail


@dataclass(frozen=True)
class Download:
    status: int
    final_url: str
    content_type: str | None
    headers: dict
    body: bytes = b""


def _follow(http: requests.Session, source: FetchSource, headers: dict, timeout: tuple[float, float],
            deadline: float) -> requests.Response:
    """GET with redirects followed by hand: only to https on the source's own host, at most MAX_REDIRECTS."""
    url, host = source.url, (urlsplit(source.url).hostname or "").lower()
    for _ in range(MAX_REDIRECTS + 1):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Refused(Message("fetch.deadline", {"seconds": source.deadline_seconds}))
        response = http.get(url, headers=headers, timeout=(timeout[0], min(timeout[1], left)), stream=True,
                            allow_redirects=False)
        if not response.is_redirect:
            return response
        target = urljoin(url, response.headers.get("Location", ""))
        response.close()
        parts = urlsplit(target)
        if parts.scheme != "https" or (parts.hostname or "").lower() != host:
            raise Refused(Message("fetch.redirect_refused", {"target": target[:200]}))
        url = target
    raise Refused(Message("fetch.too_many_redirects", {"count": MAX_REDIRECTS}))


def download(http: requests.Session, source: FetchSource, headers: dict, timeout: tuple[float, float]) -> Download:
    """The source's body, streamed and bounded: redirects (same host, https), its content type against the
    declared format, at most `source.max_bytes` after decompression, all within `source.deadline_seconds`."""
    deadline = time.monotonic() + source.deadline_seconds
    response = _follow(http, source, headers, timeout, deadline)
    with response:
        content_type = response.headers.get("Content-Type")
        got = Download(response.status_code, response.url, content_type, dict(response.headers))
        if response.status_code != 200:
            return got
        mime = (content_type or "").split(";")[0].strip().lower()
        allowed = CONTENT_TYPES.get(source.format, ())
        if mime and mime not in allowed:
            raise Refused(Message("fetch.content_type_refused", {"content_type": mime[:80], "format": source.format,
                                                                 "allowed": ", ".join(allowed) or "-"}))
        body = bytearray()
        while True:
            if time.monotonic() > deadline:
                raise Refused(Message("fetch.deadline", {"seconds": source.deadline_seconds}))
            # read1: whatever has arrived (decompressed, at most CHUNK), so a dripping body is checked each time
            chunk = response.raw.read1(CHUNK, decode_content=True)
            if not chunk:
                break
            body += chunk
            if len(body) > source.max_bytes:
                raise Refused(Message("fetch.too_large", {"limit": source.max_bytes}))
    return Download(got.status, got.final_url, got.content_type, got.headers, bytes(body))


@dataclass(frozen=True)
class Outcome:
    series: str
    url: str
    state: str  # stored | unchanged | failed
    detail: Message  # why it failed or was unchanged, in both languages
    path: Path | None = None
    sha256: str | None = None
    size: int = 0


def session(retries: Retry = RETRIES) -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retries)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def snapshot_root(cat: Catalogue, index_id: str) -> Path:
    return cat.root / "data" / "raw" / "fetched" / index_id


def _source_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]


def latest_snapshot(cat: Catalogue, index_id: str, url: str) -> dict | None:
    """The newest receipt for this URL, or None."""
    root = snapshot_root(cat, index_id)
    receipts = sorted(root.glob(f"*__{_source_key(url)}.json")) if root.is_dir() else []
    return json.loads(receipts[-1].read_text(encoding="utf-8")) if receipts else None


def fetch_source(cat: Catalogue, index_id: str, source: FetchSource, http: requests.Session | None = None,
                 timeout: tuple[float, float] = TIMEOUT, by: str | None = None) -> Outcome:
    """GET the source (conditionally, with the last ETag / Last-Modified) and store a new snapshot if it changed;
    `by`, the account that asked, is recorded in the receipt."""
    http = http or session()
    previous = latest_snapshot(cat, index_id, source.url)
    headers = {}
    if previous:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    try:
        response = download(http, source, headers, timeout)
    except Refused as exc:
        return Outcome(index_id, source.url, "failed", exc.detail)
    except requests.Timeout:
        return Outcome(index_id, source.url, "failed", Message("fetch.timed_out", {"seconds": f"{timeout[1]:g}"}))
    except requests.ConnectionError as exc:
        if "timed out" in str(exc):  # a read timeout that used up its retries arrives as a ConnectionError
            return Outcome(index_id, source.url, "failed", Message("fetch.timed_out", {"seconds": f"{timeout[1]:g}"}))
        unreachable = "Resolution" in str(exc) or "refused" in str(exc)
        return Outcome(index_id, source.url, "failed",
                       Message("fetch.unreachable" if unreachable else "fetch.connection_failed", {}))
    except requests.RequestException as exc:
        return Outcome(index_id, source.url, "failed",
                       Message("fetch.transport_error", {"kind": type(exc).__name__, "detail": str(exc)[:160]}))
    if response.status == 304:
        return Outcome(index_id, source.url, "unchanged", Message("fetch.not_modified", {}))
    if response.status != 200:
        return Outcome(index_id, source.url, "failed", Message("fetch.http_status", {"status": response.status}))
    body = response.body
    sha = hashlib.sha256(body).hexdigest()
    if previous and previous.get("sha256") == sha:
        return Outcome(index_id, source.url, "unchanged", "same SHA-256 as the last snapshot", sha256=sha, size=len(body))
    now = datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    ext = {"wikitext": "txt", "csv": "csv", "json": "json", "html": "html", "xlsx": "xlsx"}.get(source.format, "bin")
    name = f"{stamp}__{_source_key(source.url)}"
    root = snapshot_root(cat, index_id)
    root.mkdir(parents=True, exist_ok=True)
    receipt = {
        "index_id": index_id, "url": source.url, "format": source.format, "fetched_at": now.isoformat(timespec="seconds"),
        "fetched_by": by,
        "sha256": sha, "bytes": len(body), "status": response.status,
        "final_url": response.final_url,
        "content_type": response.content_type, "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"), "file": f"{name}.{ext}",
    }
    # The data file first, then its receipt: a snapshot exists once its receipt does (exclusive creates).
    # The receipt is sealed: chained to the series' last snapshot and signed (pipelines.ledger.seal).
    with seal.appending(cat):
        entry = seal.stream_of(cat, root / f"{name}.json")
        receipt = seal.sign(cat, entry, receipt)
        seal.intend(cat, entry)
        for path, data in ((root / f"{name}.{ext}", body),
                           (root / f"{name}.json", (json.dumps(receipt, ensure_ascii=False, indent=2) + "\n").encode())):
            tmp = store.staging_root(cat) / f"fetch-{path.name}"
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            if path.exists():
                tmp.unlink()
                raise FileExistsError(path)
            os.link(tmp, path)  # fails rather than overwrite
            tmp.unlink()
        seal.acknowledge(cat, [entry])
    return Outcome(index_id, source.url, "stored", "200 OK", root / f"{name}.{ext}", sha, len(body))


def fetch_all(cat: Catalogue, series: list[str] | None = None, http: requests.Session | None = None,
              timeout: tuple[float, float] = TIMEOUT, by: str | None = None) -> list[Outcome]:
    chosen = series or [s.id for s in cat.series.values() if s.fetch]
    http = http or session()
    out = []
    for sid in chosen:
        for source in cat.series[sid].fetch:
            out.append(fetch_source(cat, sid, source, http, timeout, by=by))
    return out
