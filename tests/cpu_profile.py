"""What the suite costs in CPU, per test and in all: `python -m pytest -p tests.cpu_profile [-n 3]` (issue 13, quick suite).

On a machine that other work shares, wall times say little about the suite; the CPU it spends does not change with
the load. Each test is charged the CPU of its test process and of everything that process started and still holds
(the Streamlit servers, playwright's driver and Chromium's processes, CLI subprocesses and their reaped children),
from the start of its setup to the end of its teardown, read from /proc (Linux). With pytest-xdist each worker
measures its own tests and the summary is printed once, by the controller, at the end of the run: the total, the
browser tests' share, the costliest modules and tests. A process that leaves the tree without being reaped inside it
(a server's grandchild killed with its group) takes its CPU with it: such a test's negative difference counts as 0.
"""

from __future__ import annotations

import os
from collections import defaultdict

import pytest

from bench.browser import processes

KEY, BROWSER = "cpu_s", "browser"


def tree_cpu(root: int | None = None) -> float:
    """Seconds of CPU of `root` (this process) and of its live descendants, each with its reaped children's."""
    root = os.getpid() if root is None else root
    procs = processes()
    children = defaultdict(list)
    for pid, (ppid, *_) in procs.items():
        children[ppid].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in procs:
            total += procs[pid][2] + procs[pid][3]
        todo += children.get(pid, [])
    return total


_started: dict[str, float] = {}


def pytest_runtest_logstart(nodeid: str, location) -> None:
    _started[nodeid] = tree_cpu()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when == "teardown" and item.nodeid in _started:
        report.user_properties.append((KEY, round(max(0.0, tree_cpu() - _started.pop(item.nodeid)), 3)))
        report.user_properties.append((BROWSER, item.get_closest_marker("browser") is not None))


_spent: dict[str, float] = {}
_browser: set[str] = set()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Where the summary is printed (the controller under xdist, else this process), from the teardown's report."""
    if report.when != "teardown":
        return
    for key, value in report.user_properties:
        if key == KEY:
            _spent[report.nodeid] = value
        elif key == BROWSER and value:
            _browser.add(report.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _spent or hasattr(config, "workerinput"):
        return
    by_module: dict[str, float] = defaultdict(float)
    for nodeid, cpu in _spent.items():
        by_module[nodeid.split("::", 1)[0]] += cpu
    total = sum(_spent.values())
    browser = sum(cpu for nodeid, cpu in _spent.items() if nodeid in _browser)
    write = terminalreporter.write_line
    terminalreporter.section("CPU of the tests (process trees, tests.cpu_profile)")
    write(f"{len(_spent)} tests: {total:.1f} s of CPU; browser tests {browser:.1f} s, the others {total - browser:.1f} s")
    write("costliest modules (s of CPU, tests):")
    for module, cpu in sorted(by_module.items(), key=lambda kv: -kv[1])[:15]:
        write(f"  {cpu:7.1f}  {sum(1 for n in _spent if n.startswith(module + '::')):4d}  {module}")
    write("costliest tests (s of CPU):")
    for nodeid, cpu in sorted(_spent.items(), key=lambda kv: -kv[1])[:15]:
        write(f"  {cpu:7.2f}  {nodeid}")
