"""For browser journeys: the real Streamlit server on a free port with a given environment, and pages that wait for its runs.

Debian's `chromium` through the playwright package (no browser download); without either the caller
skips, or fails when CI is set.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
ARTIFACTS = Path(os.environ.get("CITYIDX_ARTIFACTS") or ROOT / "artifacts")
# V8 without its optimizing tiers (TurboFan, Maglev) for the tests: a page of the app runs its scripts for about a
# second and is gone, too short for optimized code to pay back its compiling (on six page loads in one tab, Chromium's
# CPU 6.5 -> 5.9 s, median of 5); the scripts compute the same either way. Not for bench/browser.py,
# which measures what a reader's Chromium does.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--js-flags=--no-opt --no-maglev"]
WIDE = {"width": 1400, "height": 1000}
SERVER_START_S = 90
RUN_MS = 60_000
READY_JS = """
() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  const state = app.getAttribute('data-test-script-state');
  return state === 'notRunning' && !document.querySelector('[data-testid="stStatusWidget"]');
}
"""


class Tab:
    """A browser page and the uncaught errors of the pages it showed (a test empties the list when it opens one)."""

    def __init__(self, page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))


def chromium_or_skip() -> str:
    path = shutil.which("chromium")
    reason = None
    if path is None:
        reason = "Debian's `chromium` is not on PATH (apt-get install chromium fonts-nanum)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "the `playwright` Python package is not installed"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the browser test must run)")
        pytest.skip(reason)
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, seconds: float, proc: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Until `url` answers 200; fails with the log's tail if the process exits or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            pytest.fail(f"{proc.args[:4]} exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            pytest.fail(f"{url} did not answer within {seconds} s:\n{tail}")
        time.sleep(0.25)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when the thread that started it ends


def _ends_with(parent: int):
    """For a child, before it runs its command: SIGTERM when the process that started it is gone (Linux's
    PR_SET_PDEATHSIG; elsewhere nothing), and no start at all when it is gone already. A test process killed
    mid-test (xdist's -x stopping a run, a timeout, kill -9) runs no `finally`: its servers then end with it
    instead of serving on, orphaned, for hours (two were found so after a stopped landing)."""
    def arm() -> None:
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):  # not Linux: the `finally` below is all there is
            return
        if os.getppid() != parent:
            os._exit(1)
    return arm


@contextlib.contextmanager
def process(command: list[str], env: dict[str, str], log_path: Path, cwd: Path = ROOT):
    """A child process in its own group, ended (group-wide, by its id) on exit, or with the test process when that
    is killed (`_ends_with`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(command, cwd=cwd, env={**os.environ, **env}, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=_ends_with(os.getpid()))
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=15)


@contextlib.contextmanager
def streamlit_server(env: dict[str, str], log_path: Path, cwd: Path = ROOT, port: int | None = None,
                     args: tuple[str, ...] = ()):
    """`streamlit run dashboard/app.py` with `env` on `port` (else a free one) and extra `args`; yields the base URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
               "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false", *args]
    with process(command, env, log_path, cwd) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/_stcore/health", SERVER_START_S, proc, log_path)
        yield base


def settle(page) -> None:
    """Wait until the app has finished its run (twice, for a rerun right after the first)."""
    page.wait_for_function(READY_JS, timeout=RUN_MS, polling=250)
    page.wait_for_timeout(500)
    page.wait_for_function(READY_JS, timeout=RUN_MS, polling=250)


def sign_in(page, username: str, password: str) -> None:
    """Sign in through the sidebar form and wait for its result: the sign-in reruns the page once more, and
    on a loaded machine that run can end after settle(), so wait for the sign-out button it brings (a refused
    sign-in fails here by timeout, naming the button)."""
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_label("사용자 이름").fill(username)
    side.get_by_label("비밀번호").fill(password)
    side.get_by_role("button", name="로그인").click()
    side.get_by_role("button", name="로그아웃").wait_for(timeout=RUN_MS)
    settle(page)


def sign_out(page) -> None:
    """Sign out through the sidebar and wait for its result: the sign-in form's button. As with sign_in, the sign-out's
    run can end after settle() on a loaded machine (a landing suite once saw the page still signed in after it)."""
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_role("button", name="로그아웃").click()
    side.get_by_role("button", name="로그인").wait_for(timeout=RUN_MS)
    settle(page)


def goto(page, url: str) -> None:
    page.goto(url, wait_until="domcontentloaded", timeout=RUN_MS)
    settle(page)


def follow(page, path: str) -> None:
    """The sidebar's navigation link to `path` clicked (Streamlit switches pages inside the loaded app, keeping the
    session: no reload, ~1 s of Chromium's CPU less than goto), then wait for the new page's run."""
    page.locator(f'[data-testid="stSidebar"] a[data-testid="stSidebarNavLink"][href$="{path}"]').first.click()
    page.wait_for_function(f"() => location.pathname === {path!r}", timeout=RUN_MS)
    settle(page)


def main_text(page) -> str:
    return page.locator('[data-testid="stMainBlockContainer"]').first.inner_text()


def sidebar_text(page) -> str:
    return page.locator('[data-testid="stSidebar"]').first.inner_text()
