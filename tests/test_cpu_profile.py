"""tests/cpu_profile.py charges a test the CPU of the processes it starts, alive or ended (issue 13, quick suite)."""

from __future__ import annotations

import subprocess
import sys

from tests.cpu_profile import tree_cpu

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_a_child_and_its_own_child_are_charged_while_they_run_and_once_reaped():
    before = tree_cpu()
    # a child that starts a grandchild burning 0.4 s of CPU, then waits for it and sleeps on: its CPU is the child's
    # reaped children's while the child lives
    child = subprocess.Popen([sys.executable, "-c", f"import subprocess, sys, time\nsubprocess.run([sys.executable, "
                              f"'-c', {BURN!r}])\nprint('done', flush=True)\ntime.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "done"
        alive = tree_cpu() - before
        assert alive >= 0.35, alive  # the grandchild's 0.4 s, reaped by the child, which is still running
    finally:
        child.kill()
        child.wait()
    assert tree_cpu() - before >= alive - 0.01  # reaped by this process: still counted, not lost
