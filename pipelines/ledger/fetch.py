"""Snapshot each machine-readable source the catalogue names into the ledger; never overwrite, never guess."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipelines.catalogue import Catalogue, FetchSource
from pipelines.ledger import seal, store

USER_AGENT = "cityidx/0.1 (city competitiveness indices ledger; python-requests)"
TIMEOUT = (5.0, 30.0)  # connect, read (seconds)
RETRIES = Retry(total=3, connect=3, read=2, status=3, backoff_factor=0.5,
                status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET",), raise_on_status=False,
                respect_retry_after_header=True)


@dataclass(frozen=True)
class Outcome:
    series: str
    url: str
    state: str  # stored | unchanged | failed
    detail: str
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
                 timeout: tuple[float, float] = TIMEOUT) -> Outcome:
    """GET the source (conditionally, with the last ETag / Last-Modified) and store a new snapshot if it changed."""
    http = http or session()
    previous = latest_snapshot(cat, index_id, source.url)
    headers = {}
    if previous:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    try:
        response = http.get(source.url, headers=headers, timeout=timeout)
    except requests.Timeout:
        return Outcome(index_id, source.url, "failed", f"timed out after {timeout[1]:g} s (Timeout)")
    except requests.ConnectionError as exc:
        if "timed out" in str(exc):  # a read timeout that used up its retries arrives as a ConnectionError
            return Outcome(index_id, source.url, "failed", f"timed out after {timeout[1]:g} s (Timeout)")
        cause = "offline, or the host cannot be reached" if "Resolution" in str(exc) or "refused" in str(exc) \
            else "the connection failed"
        return Outcome(index_id, source.url, "failed", f"{cause} (ConnectionError)")
    except requests.RequestException as exc:
        return Outcome(index_id, source.url, "failed", f"{type(exc).__name__}: {str(exc)[:160]}")
    if response.status_code == 304:
        return Outcome(index_id, source.url, "unchanged", "304 Not Modified")
    if response.status_code != 200:
        return Outcome(index_id, source.url, "failed", f"HTTP {response.status_code}")
    body = response.content
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
        "sha256": sha, "bytes": len(body), "status": response.status_code,
        "content_type": response.headers.get("Content-Type"), "etag": response.headers.get("ETag"),
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
              timeout: tuple[float, float] = TIMEOUT) -> list[Outcome]:
    chosen = series or [s.id for s in cat.series.values() if s.fetch]
    http = http or session()
    out = []
    for sid in chosen:
        for source in cat.series[sid].fetch:
            out.append(fetch_source(cat, sid, source, http, timeout))
    return out
