"""Page-ready time in real Chromium (`make bench`, sections P and M): from navigation until the app has
finished its run and every Plotly chart on the page is drawn.

A Streamlit server runs on 127.0.0.1 only, on a free port; Debian's `chromium` is driven by playwright's async
API, so N sessions load at once from one browser. Every wait is bounded (PAGE_TIMEOUT_S), and so are the
session counts (MAX_SESSIONS).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_S = 90
PAGE_TIMEOUT_S = 60
MAX_SESSIONS = 10

# Ready: the run is over (stApp notRunning, no running indicator), the page shows text, and every chart
# element holds a graph Plotly has drawn. A page can look ready for a moment between two runs (the app's first
# run, then the page's), so ready must hold for STABLE_MS on end; the time is when that last stretch began,
# from the browser's own navigation start (performance.now()).
STABLE_MS = 1000
READY_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return null;
  if (document.querySelector('[data-testid="stStatusWidget"]')) return null;
  // a chart whose code is still loading shows a skeleton in its place
  if (document.querySelector('[data-testid="stSkeleton"]')) return null;
  const main = document.querySelector('[data-testid="stMainBlockContainer"]');
  if (!main || main.innerText.trim().length === 0) return null;
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  for (const c of charts) {  // Plotly sets _fullLayout on the graph div once it has drawn it
    const gd = c.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.querySelector('.main-svg')) return null;
  }
  return {charts: charts.length};
}
"""
STABLE_JS = "(stableMs) => new Promise(resolve => {\n  const ready = " + READY_JS.strip() + """;
  let since = null;
  const tick = () => {
    const r = ready(), now = performance.now();
    if (r === null) { since = null; }
    else {
      if (since === null || r.charts !== since.charts) since = {t: now, charts: r.charts};
      if (now - since.t >= stableMs) { resolve(since); return; }
    }
    setTimeout(tick, 20);
  };
  tick();
})"""


SERVER_PIDS: dict[str, int] = {}  # base URL -> process (group) id of the streamlit server serving it


def processes() -> dict[int, tuple[int, int, float, float]]:
    """Every process on the machine: pid -> (parent pid, process group, CPU seconds so far, CPU seconds of its
    children it has reaped), from /proc (Linux). Also what the suite's CPU profile reads (tests/cpu_profile.py)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii", errors="replace") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        out[int(name)] = (int(fields[1]), int(fields[2]), (int(fields[11]) + int(fields[12])) / tick,
                          (int(fields[13]) + int(fields[14])) / tick)
    return out


def server_cpu(base: str) -> float:
    """CPU seconds used so far by the streamlit server at `base` (its whole process group)."""
    group = SERVER_PIDS[base]
    return sum(cpu for _, pgid, cpu, _ in processes().values() if pgid == group)


class BrowserCpu:
    """CPU seconds of this process's descendants that are not a streamlit server (Chromium and playwright's
    driver), sampled every 0.2 s while running: Chromium's processes end with the browser, before anyone reads
    their rusage."""

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        procs, me = processes(), os.getpid()
        servers = set(SERVER_PIDS.values())
        for pid, (_, pgid, cpu, _) in procs.items():
            if pgid in servers:
                continue
            up, hops = pid, 0
            while up in procs and up != me and hops < 64:
                up, hops = procs[up][0], hops + 1
            if up == me and pid != me:
                self.seen[pid] = max(self.seen.get(pid, 0.0), cpu)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(0.2)

    def __enter__(self) -> BrowserCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(script: Path, env: dict[str, str], log: Path):
    """`streamlit run script` on 127.0.0.1 and a free port; yields the base URL; the process group ends after."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}: {log.read_text(errors='replace')[-1000:]}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not answer within {SERVER_START_S} s")
            time.sleep(0.25)
        SERVER_PIDS[base] = proc.pid
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@dataclass
class Load:
    url: str
    seconds: float | None  # None: did not get ready (error or timeout)
    charts: int = 0
    error: str = ""


async def _load(browser, url: str) -> Load:
    """One fresh browser context: navigate, wait until ready for STABLE_MS; the time from the browser's navigation
    start to the start of that stretch."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ko-KR")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        await page.goto(url, wait_until="commit", timeout=PAGE_TIMEOUT_S * 1000)
        ready = await asyncio.wait_for(page.evaluate(STABLE_JS, STABLE_MS), PAGE_TIMEOUT_S)
        exception = await page.query_selector('[data-testid="stException"]')
        if exception is not None or errors:
            return Load(url, None, ready["charts"], (errors[0] if errors else "exception box on the page")[:200])
        return Load(url, ready["t"] / 1000, int(ready["charts"]))
    except Exception as exc:  # noqa: BLE001 - a failed load is a measured error, not a crash of the bench
        # a timeout has no message: its type is the error
        return Load(url, None, 0, f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]}")
    finally:
        await context.close()


async def _with_browser(fn):
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("Debian's `chromium` is not on PATH")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            return await fn(browser)
        finally:
            await browser.close()


def sequential(urls: list[str], runs: int) -> dict[str, list[Load]]:
    """Each URL loaded `runs` times, one after another, interleaved URL by URL (after one warm-up load each)."""
    async def go(browser):
        out: dict[str, list[Load]] = {u: [] for u in urls}
        for u in urls:
            await _load(browser, u)
        for i in range(runs):
            for u in urls:
                out[u].append(await _load(browser, u))
            print(f"    Chromium round {i + 1}/{runs}: " + ", ".join(
                "err" if out[u][-1].seconds is None else f"{out[u][-1].seconds:.2f}" for u in urls), flush=True)
        return out
    return asyncio.run(_with_browser(go))


def concurrent(urls: list[str], sessions: int) -> list[Load]:
    """`sessions` fresh contexts at once (at most MAX_SESSIONS), each loading urls[i % len(urls)]."""
    sessions = min(sessions, MAX_SESSIONS)

    async def go(browser):
        return await asyncio.gather(*(_load(browser, urls[i % len(urls)]) for i in range(sessions)))
    return asyncio.run(_with_browser(go))
