"""The browser tests' own support (tests/browser_support.py): what it starts never outlives the test process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _running(pid: int) -> bool:
    """Whether `pid` is a process still running (a zombie waiting to be reaped is not)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_child_ends_with_the_test_process_that_started_it(tmp_path: Path):
    """A test process killed mid-test (kill -9: xdist stopping a run, a timeout) runs no `finally`; the server it
    started (here `sleep`) must end with it, not serve on orphaned."""
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        sys.path.insert(0, {str(ROOT)!r})
        from tests import browser_support
        with browser_support.process(["sleep", "300"], {{}}, Path({str(tmp_path / "child.log")!r})) as proc:
            print(proc.pid, flush=True)
            os.kill(os.getpid(), 9)
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == -signal.SIGKILL, run.stderr
    child = int(run.stdout.split()[0])
    try:
        deadline = time.monotonic() + 10
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), "the child outlived the process that started it"
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)
