"""`make bench`: medians of the real-data build against DuckDB's floor (A, B), start-up against
`python -c "import duckdb"` (S), a SYNTHETIC 3.24M-row scale run (C), writes on the real and the SYNTHETIC
warehouse (W), each dashboard page's server-side render (D) and its page-ready time in real Chromium (P)
against a bare one-chart Streamlit page, and 1, 5 and 10 concurrent Chromium sessions (M), then the same sessions
without their browsers (the server alone, over Streamlit's websocket).

    python -m bench.run                      # everything (about 3-10 minutes on 2 cores)
    python -m bench.run --only browser --sessions none   # section P alone (M's 10 sessions are the heavy part)
    python -m bench.run --only synthetic     # just the 3.24M-row synthetic scale run
    python -m bench.run --only real --only dashboard --runs 3

Not a test: it prints what it measured and whether each target of issue 2 is met; exit code 0 either
way (1 only when a measurement itself could not be taken and --strict is given).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import logging
import math
import os
import platform
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from bench import synthetic

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
BARE_PAGE = Path(__file__).resolve().with_name("bare_page.py")
EMPTY_PAGE = Path(__file__).resolve().with_name("empty_page.py")
MINI_CATALOGUE = ROOT / "tests" / "fixtures" / "mini" / "indicators.yml"
PYTHON = sys.executable
# `cityidx` as the code of this tree runs it (the venv's console script may point at another checkout)
CITYIDX = [PYTHON, "-m", "pipelines.cli"]
GIB = 1024 ** 3

# --- the scripts run in fresh interpreters (so start-up and peak memory are the child's own) ----------

STARTUP_SCRIPT = "import duckdb"

# The floor: every raw file read by DuckDB's own read_csv into a table, nothing else.
FLOOR_SCRIPT = """
import sys, time, json
import duckdb
started = time.perf_counter()
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
files = sys.argv[1:]
rows = 0
for i, f in enumerate(files):
    con.execute(f"create table t{i} as select * from read_csv(?, header = true)", [f])
    rows += con.execute(f"select count(*) from t{i}").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""

# The synthetic comparison: the same component rows, all files in one read_csv into one table.
READ_ALL_SCRIPT = """
import sys, time, json
import duckdb
started = time.perf_counter()
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
con.execute("create table component_rows as select * from read_csv(?, header = true)", [sys.argv[1:]])
rows = con.execute("select count(*) from component_rows").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""

# The build exactly as `cityidx build` does it (pipelines.build.build), with its two phases timed by
# wrapping the functions build() calls, so the measured code is the real code path.
BUILD_SCRIPT = """
import sys, time, json
from pathlib import Path
t0 = time.perf_counter()
from pipelines import build, catalogue
from pipelines.build import warehouse
t1 = time.perf_counter()
phases = {}
def timed(name, fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = time.perf_counter() - started
    return wrapper
build.collect = timed("collect", build.collect)
warehouse.write = timed("write", warehouse.write)
t2 = time.perf_counter()
cat = catalogue.load(sys.argv[1])
t3 = time.perf_counter()
result = build.build(cat, Path(sys.argv[2]))
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t3 - t2, "seconds": t4 - t2, "collect": phases.get("collect"),
                  "write": phases.get("write"), "rows": result.counts}))
"""


# The analysis views computed on a built warehouse (issue 4): every row of each view, materialised.
ANALYSIS_SCRIPT = """
import sys, time, json
import duckdb
from pipelines.sql import parts
con = parts.connect_read_only(__import__("pathlib").Path(sys.argv[1]))
con.execute("set enable_progress_bar = false")
timings = {}
for view in ("weaknesses", "top5_gap", "what_if"):
    started = time.perf_counter()
    rows = con.execute(f"select count(*) from (select * from {view})").fetchone()[0]
    timings[view] = {"seconds": time.perf_counter() - started, "rows": rows}
print(json.dumps({"seconds": sum(v["seconds"] for v in timings.values()), "views": timings}))
"""

# A 10,000-row department upload (issue 3): validated, written to the ledger and the warehouse rebuilt,
# in a SYNTHETIC copy of the mini catalogue with ten monthly indicators (labelled synthetic).
UPLOAD_SCRIPT = """
import os, sys, time, json
from pathlib import Path
from pipelines import accounts, catalogue
from pipelines.build import writes
root, csv_path = Path(sys.argv[1]), Path(sys.argv[2])
cat = catalogue.load(root / "indicators.yml")
os.environ["CITYIDX_ACCOUNTS"] = str(root / "private" / "accounts.json")  # every write needs a real account
if "bench" not in accounts.load_accounts():
    accounts.add_account(cat, "bench", "synthetic load-test pass phrase", "admin")
data = csv_path.read_bytes()
started = time.perf_counter()
checked = writes.check_upload(cat, data, csv_path.name, "tourism_sports")
validate_s = time.perf_counter() - started
assert checked.ok, checked.problems[:3]
started = time.perf_counter()
receipt, parsed = writes.commit_upload(cat, data, csv_path.name, "tourism_sports", "bench",
                                        warehouse_path=root / "warehouse.duckdb")
print(json.dumps({"seconds": time.perf_counter() - started, "validate": validate_s, "rows": len(parsed.rows)}))
"""

# Writes on a built warehouse (issue 13): each run a new 10,000-row upload, then a forum event, timed in-process.
WRITE_SCRIPT = """
import sys, time, json
from pathlib import Path
import os
from pipelines import accounts, catalogue
from pipelines.accounts import Account
from pipelines.build import writes
root, csv_path, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
cat = catalogue.load(root / "indicators.yml")
os.environ["CITYIDX_ACCOUNTS"] = str(root / "private" / "accounts.json")  # every write needs a real account
if "bench" not in accounts.load_accounts():
    accounts.add_account(cat, "bench", "synthetic load-test pass phrase", "admin")
data = csv_path.read_bytes()
organizer = Account(username="bench", name="bench", role="forum_organizer", department=None, email=None,
                    password_hash="", disabled=False, created_at="")
forum_id = next(iter(cat.forum.forums)) if cat.forum.forums else None
uploads, events = [], []
run_id = time.time_ns()  # this process's own meeting ids: the script runs more than once on one ledger
for i in range(runs):
    started = time.perf_counter()
    writes.commit_upload(cat, data, f"bench-{run_id}-{i}.csv", "tourism_sports", "bench", warehouse_path=root / "warehouse.duckdb")
    uploads.append(time.perf_counter() - started)
    started = time.perf_counter()
    writes.record_event(cat, organizer, "meeting.scheduled",
                        {"meeting_id": f"bench-{run_id}-{i}", "forum_id": forum_id, "date": f"2027-{i % 12 + 1:02d}-10", "kind": "ad_hoc"},
                        warehouse_path=root / "warehouse.duckdb")
    events.append(time.perf_counter() - started)
print(json.dumps({"uploads": uploads, "events": events}))
"""

PANDAS_READ_SCRIPT = """
import sys, time, json
import pandas as pd
started = time.perf_counter()
df = pd.read_csv(sys.argv[1], encoding="utf-8-sig")
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(df)}))
"""


@dataclass
class Child:
    wall: float
    peak_rss: int  # bytes
    out: dict
    cpu: float = 0.0  # user + system seconds of the child (less sensitive than wall time to other load)


def run_child(args: list[str], env: dict[str, str] | None = None) -> Child:
    """Run a fresh interpreter; return wall time, its own peak RSS (wait4) and its last stdout line as JSON."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... exited {proc.returncode}:\n{stderr[-2000:] or stdout[-2000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    return Child(wall=wall, peak_rss=usage.ru_maxrss * 1024, out=json.loads(lines[-1]) if lines else {},
                 cpu=usage.ru_utime + usage.ru_stime)


def timed(fn: Callable[[], object], runs: int, warmup: int = 1) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def med(values: list[float]) -> float:
    return statistics.median(values)


# --- reporting ----------------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    measured: float
    limit: float
    unit: str
    detail: str = ""

    @property
    def met(self) -> bool:
        return self.measured <= self.limit


@dataclass
class Report:
    targets: list[Target] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def section(self, title: str) -> None:
        print(f"\n{title}\n{'-' * len(title)}", flush=True)

    def row(self, label: str, value: str, note: str = "") -> None:
        print(f"  {label:<58} {value:>20}  {note}".rstrip(), flush=True)

    def seconds(self, label: str, values: list[float], note: str = "") -> float:
        m = med(values)
        self.row(label, f"{m:.3f} s", f"median of {len(values)}" + (f"; {note}" if note else ""))
        return m

    def skip(self, what: str, why: str) -> None:
        first = why.strip().splitlines()[0] if why.strip() else "?"
        self.skipped.append(f"{what}: {first}")
        print(f"  SKIPPED {what}: {first}", flush=True)

    def summary(self) -> None:
        self.section("Targets (issues 2, 3, 4, 13)")
        for t in self.targets:
            ratio = f"{t.measured / t.limit:.2f} of limit" if t.limit else ""
            verdict = "met" if t.met else "NOT MET"
            print(f"  [{verdict:^7}] {t.name}", flush=True)
            print(f"            measured {t.measured:.3f} {t.unit}, limit {t.limit:.3f} {t.unit} ({ratio})"
                  + (f"; {t.detail}" if t.detail else ""), flush=True)
        for s in self.skipped:
            print(f"  [ n/a  ] {s}", flush=True)


def _rows_in(files: list[Path]) -> int:
    total = 0
    for f in files:
        with open(f, "rb") as handle:
            total += max(sum(1 for _ in handle) - 1, 0)
    return total


def _duckdb_read(files: list[Path]) -> None:
    con = duckdb.connect()
    try:
        con.execute("set enable_progress_bar = false")
        for i, f in enumerate(files):
            con.execute(f"create table t{i} as select * from read_csv(?, header = true)", [str(f)])
    finally:
        con.close()


# --- A + B: the real data against the floor -------------------------------------------------------------


def bench_real(report: Report, runs: int, work: Path) -> Path | None:
    """The full build on the real data, in-process and as `cityidx build`; the DuckDB floor beside it."""
    from pipelines import build, catalogue
    from pipelines.errors import CityIdxError

    report.section("A. Real data: full build (indicators.yml + data/raw/)")
    try:
        cat = catalogue.load()
        warehouse = work / "real" / "cityindex.duckdb"
        build.build(cat, warehouse)  # also the warm-up run
    except CityIdxError as exc:
        report.skip("real-data build (the real catalogue does not build)", str(exc))
        return None
    files = cat.raw_files()
    report.row("raw files / data rows", f"{len(files)} / {_rows_in(files):,}")

    in_process = report.seconds("build in-process (catalogue load + collect + write)",
                                timed(lambda: build.build(catalogue.load(), warehouse), runs, warmup=0),
                                "after one warm-up")
    command = CITYIDX
    sub = [run_child([*command, "build", "--warehouse", str(warehouse)]) for _ in range(runs)]
    cli = report.seconds("`cityidx build` as a fresh process (incl. start-up)", [c.wall for c in sub])
    report.row("  peak RSS of `cityidx build`", f"{max(c.peak_rss for c in sub) / 2**20:.0f} MiB", "max over runs")

    report.section("B. Real data: the floor (DuckDB read_csv of the same raw files)")
    floor = report.seconds("DuckDB read_csv of every raw file, in-process", timed(lambda: _duckdb_read(files), runs))
    startup = report.seconds("interpreter start-up: python -c 'import duckdb'",
                             [run_child([PYTHON, "-c", STARTUP_SCRIPT]).wall for _ in range(runs)])
    floor_sub = report.seconds("the floor as a fresh process (start-up + read_csv)",
                               [run_child([PYTHON, "-c", FLOOR_SCRIPT, *map(str, files)]).wall for _ in range(runs)])
    full_startup = report.seconds("interpreter start-up: import pipelines.build",
                                  [run_child([PYTHON, "-c", "import pipelines.build, pipelines.cli"]).wall
                                   for _ in range(runs)], "for reference")
    report.row("ratio: cityidx build / (floor + start-up)", f"{cli / (floor + startup):.1f}x")
    report.row("ratio: in-process build / in-process floor", f"{in_process / floor:.1f}x")
    report.targets.append(Target(
        "real-data build within 2x of the floor plus interpreter start-up "
        "(`cityidx build` wall time <= 2 x (read_csv floor + python -c 'import duckdb'))",
        cli, 2 * (floor + startup), "s",
        f"floor {floor:.3f} s + start-up {startup:.3f} s; the floor as a process {floor_sub:.3f} s; "
        f"importing the pipeline alone takes {full_startup:.3f} s"))
    return warehouse


# --- S: start-up ------------------------------------------------------------------------------------------


def bench_startup(report: Report, runs: int, warehouse: Path | None) -> None:
    """Issue 13, quick start-up: `cityidx --help` and `cityidx status` against `python -c 'import duckdb'`,
    hyperfine-style: one warm-up each, then the commands interleaved run by run, medians side by side."""
    report.section("S. Start-up: the command line against `python -c 'import duckdb'` (interleaved runs)")
    command = CITYIDX
    env = {"CITYIDX_WAREHOUSE": str(warehouse)} if warehouse is not None else {}
    cases = {"python -c 'import duckdb'": [PYTHON, "-c", STARTUP_SCRIPT], "cityidx --help": [*command, "--help"]}
    # `status` keeps its answer per published part and month (pipelines/sql/parts.py, `kept`): measured as a repeated
    # command (the answer kept), as the first one after a real write of the part it reads (`cityidx build`, untimed,
    # before each run: the build reads the answer on its staged file and keeps it beside the warehouse), as the first
    # after the part was touched by hand (os.utime: a new mtime and ctime, the same bytes, known by their SHA-256), and
    # cold: with no answer kept anywhere (the file beside the warehouse and the status answers in the user's cache
    # removed before each run), so DuckDB reads the warehouse: what the first status on a warehouse costs in a new month,
    # or on one no build of this version made. An upload or a forum event swaps in a part status does not read: its
    # answer stays kept (tests/test_status_kept.py). Every status runs with a cache folder of the bench's own.
    first_after_build = "cityidx status, first after `cityidx build`"
    first_after_touch = "cityidx status, first after a touch (same bytes)"
    cold = "cityidx status, nothing kept (DuckDB reads)"
    status_env = dict(env)
    if warehouse is not None:
        status_env["XDG_CACHE_HOME"] = str(warehouse.parent / "bench-cache")
        cases["cityidx status (real warehouse)"] = [*command, "status"]
        cases[first_after_build] = [*command, "status"]
        cases[first_after_touch] = [*command, "status"]
        cases[cold] = [*command, "status"]
    else:
        report.skip("cityidx status", "no real-data warehouse was built (run with --only real --only startup)")

    def before(name: str) -> None:
        if name == first_after_build:  # a real write of the published part, not timed
            run_child([*command, "build", "--warehouse", str(warehouse)], status_env)  # raises when the build fails
        elif name == first_after_touch:
            os.utime(warehouse)
        elif name == cold:
            (warehouse.parent / f"{warehouse.stem}.status.json").unlink(missing_ok=True)
            for kept in (warehouse.parent / "bench-cache" / "cityidx").glob("status.*.json"):
                kept.unlink()

    seen: dict[str, list[Child]] = {name: [] for name in cases}
    def env_of(name: str) -> dict[str, str]:
        return status_env if name.startswith("cityidx status") else env

    for name, args in cases.items():
        before(name)
        run_child(args, env_of(name))  # warm-up: page cache, .pyc files, the parsed messages and queries
    for _ in range(max(runs, 10)):
        for name, args in cases.items():
            before(name)
            seen[name].append(run_child(args, env_of(name)))
    base = med([c.wall for c in seen["python -c 'import duckdb'"]])
    base_cpu = med([c.cpu for c in seen["python -c 'import duckdb'"]])
    for name, children in seen.items():
        wall, cpu = med([c.wall for c in children]), med([c.cpu for c in children])
        report.row(name, f"{wall:.3f} s", f"median of {len(children)}; {wall / base:.2f}x; CPU {cpu:.3f} s ({cpu / base_cpu:.2f}x)")
        if name != "python -c 'import duckdb'":
            report.targets.append(Target(f"{name} within 1.5x of python -c 'import duckdb' (issue 13)", wall, 1.5 * base, "s",
                                         f"import duckdb {base:.3f} s; ratio {wall / base:.2f}x (CPU {cpu / base_cpu:.2f}x)"))


# --- C: synthetic scale run ------------------------------------------------------------------------------


def bench_synthetic(report: Report, runs: int, work: Path, reuse: Path | None) -> None:
    shape = synthetic.Shape()
    report.section(f"C. SYNTHETIC scale run ({shape.series} series x {shape.components} components, "
                   f"{shape.cities} cities, {shape.editions} editions; generated data, not real)")
    if reuse is not None:
        target = reuse
        gen = synthetic.Generated(
            catalogue=target / "indicators.yml",
            component_files=sorted((target / "data/raw/rankings").glob("*__components.csv")),
            ranking_files=sorted(p for p in (target / "data/raw/rankings").glob("syn_s*.csv") if "__" not in p.name),
            shape=shape)
        report.row("synthetic ledger reused from", str(target))
    else:
        target = work / "synthetic"
        started = time.perf_counter()
        gen = synthetic.generate(target, shape)
        report.row("generate the synthetic ledger (DuckDB COPY)", f"{time.perf_counter() - started:.3f} s",
                   f"once; into {target}")
    comp_rows = _rows_in(gen.component_files)
    rank_rows = _rows_in(gen.ranking_files)
    size = sum(f.stat().st_size for f in gen.component_files)
    report.row("component rows / ranking rows", f"{comp_rows:,} / {rank_rows:,}",
               f"component CSVs {size / 2**20:.0f} MiB")

    warehouse = work / "synthetic-warehouse" / "cityindex.duckdb"
    builds = []
    for i in range(runs):
        builds.append(run_child([PYTHON, "-c", BUILD_SCRIPT, str(gen.catalogue), str(warehouse)]))
        print(f"    build run {i + 1}/{runs}: {builds[-1].out['seconds']:.1f} s, "
              f"peak RSS {builds[-1].peak_rss / 2**20:.0f} MiB", flush=True)
    counts = builds[-1].out["rows"]
    if counts.get("component_row") != comp_rows:
        report.row("WARNING: component rows in the warehouse", f"{counts.get('component_row'):,}", f"expected {comp_rows:,}")
    build_s = report.seconds("full build in a fresh process: load + collect + write", [b.out["seconds"] for b in builds],
                             "excl. interpreter start-up")
    report.seconds("  of which collect (read, validate, harmonise)", [b.out["collect"] for b in builds])
    report.seconds("  of which write (DuckDB insert, checkpoint, swap)", [b.out["write"] for b in builds])
    report.seconds("  wall time incl. start-up and imports", [b.wall for b in builds])
    peak = max(b.peak_rss for b in builds)
    report.row("  peak RSS of the build", f"{peak / 2**20:.0f} MiB", "max over runs (wait4 ru_maxrss)")
    report.row("  component rows per second (build)", f"{comp_rows / build_s:,.0f}")

    reads = [run_child([PYTHON, "-c", READ_ALL_SCRIPT, *map(str, gen.component_files)]) for _ in range(runs)]
    read_s = report.seconds("DuckDB read_csv of the same component rows into a table", [r.out["seconds"] for r in reads],
                            "fresh process, excl. start-up")
    report.row("  peak RSS of the DuckDB read", f"{max(r.peak_rss for r in reads) / 2**20:.0f} MiB")
    report.row("  component rows per second (DuckDB)", f"{comp_rows / read_s:,.0f}")
    report.row("ratio: build / DuckDB read", f"{build_s / read_s:.1f}x")
    # CPU seconds (all threads, start-up included on both sides) move less than wall time when others load the machine
    build_cpu, read_cpu = med([b.cpu for b in builds]), med([r.cpu for r in reads])
    report.row("ratio in CPU time: build / DuckDB read", f"{build_cpu / read_cpu:.1f}x",
               f"{build_cpu:.1f} s / {read_cpu:.1f} s CPU, fresh processes incl. start-up; for a loaded machine")
    report.targets.append(Target("SYNTHETIC 3.24M-row build within 3x of DuckDB reading the same rows",
                                 build_s, 3 * read_s, "s", f"DuckDB read {read_s:.3f} s; ratio {build_s / read_s:.1f}x"))
    report.targets.append(Target("SYNTHETIC 3.24M-row build peak memory under 1 GiB", peak / GIB, 1.0, "GiB",
                                 f"{peak / 2**20:.0f} MiB"))

    analyses = [run_child([PYTHON, "-c", ANALYSIS_SCRIPT, str(warehouse)]) for _ in range(runs)]
    views = analyses[-1].out["views"]
    for view, v in views.items():
        report.seconds(f"  analysis view {view} ({v['rows']:,} rows)", [a.out["views"][view]["seconds"] for a in analyses])
    analysis_s = report.seconds("analysis views on the synthetic warehouse (all three)", [a.out["seconds"] for a in analyses],
                                "fresh process, excl. start-up")
    report.targets.append(Target("analysis views within 2x of the plain build's time for the same rows (issue 4)",
                                 analysis_s, 2 * build_s, "s", f"build {build_s:.3f} s"))


# --- E: a 10,000-row department upload ------------------------------------------------------------------


def synthetic_indicators(feed_series: str) -> dict:
    """Ten SYNTHETIC monthly indicators of the tourism office, feeding `feed_series`: what the upload benches send."""
    return {
        f"synthetic_monthly_{i:02d}": {
            "name": {"ko": f"합성 월간 지표 {i}", "en": f"SYNTHETIC monthly indicator {i}"},
            "definition": {"ko": "벤치마크용 합성 지표", "en": "SYNTHETIC indicator for the benchmark"},
            "unit": {"ko": "건", "en": "count"}, "unit_kind": "count", "direction": "higher_is_better",
            "cadence": "monthly", "office_id": "tourism_sports",
            "source": {"name": "SYNTHETIC", "url": "https://example.org/synthetic"},
            "feeds": [{"series": feed_series, "component": None}],
        }
        for i in range(10)
    }


def bench_upload(report: Report, runs: int, work: Path) -> None:
    """Issue 3: a 10,000-row upload validated and committed, beside pandas reading the same file."""
    import shutil

    import yaml

    report.section("E. Department upload: 10,000 rows (SYNTHETIC monthly indicators in a copy of the mini catalogue)")
    months = 1000  # 10 indicators x 1,000 months (1940-01 .. 2023-04) = 10,000 rows
    sample = work / "upload.csv"
    lines = ["지표코드,기준기간,값,비고"]
    for i in range(10):
        for m in range(months):
            year, month = 1940 + m // 12, m % 12 + 1
            lines.append(f'synthetic_monthly_{i:02d},{year}-{month:02d},"{(i + 1) * 1000 + m:,}",SYNTHETIC')
    sample.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    times, floors, validations = [], [], []
    for run in range(runs):
        root = work / f"upload-{run}"
        shutil.copytree(MINI_CATALOGUE.parent, root)
        data = yaml.safe_load((root / "indicators.yml").read_text(encoding="utf-8"))
        data["reporting"]["max_upload_bytes"] = 5 * 2**20
        data["indicators"].update(synthetic_indicators("mori_gpci"))
        (root / "indicators.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        run_child([PYTHON, "-m", "pipelines.cli", "build", "--catalogue", str(root / "indicators.yml"),
                   "--warehouse", str(root / "warehouse.duckdb")])
        child = run_child([PYTHON, "-c", UPLOAD_SCRIPT, str(root), str(sample)])
        times.append(child.out["seconds"])
        validations.append(child.out["validate"])
        floors.append(run_child([PYTHON, "-c", PANDAS_READ_SCRIPT, str(sample)]).out["seconds"])
    report.row("upload file", f"{len(lines) - 1:,} rows", f"{sample.stat().st_size / 1024:.0f} KiB, UTF-8 BOM, Korean headers")
    report.seconds("validation alone (the same checks the page shows)", validations, "fresh process, excl. start-up")
    up = report.seconds("upload: validate + ledger + warehouse rebuild", times, "fresh process, excl. start-up")
    floor = report.seconds("pandas.read_csv of the same file (the floor)", floors, "fresh process, excl. start-up")
    report.row("ratio: upload / pandas read", f"{up / floor:.1f}x")
    report.targets.append(Target("10,000-row upload within 5x of pandas reading the same file (issue 3)",
                                 up, 5 * floor, "s", f"pandas {floor:.3f} s"))


# --- W: a write costs what it writes --------------------------------------------------------------------


def _upload_file(work: Path) -> Path:
    """10 SYNTHETIC monthly indicators x 1,000 months = 10,000 rows, UTF-8 BOM, Korean headers."""
    sample = work / "upload.csv"
    if not sample.exists():
        lines = ["지표코드,기준기간,값,비고"]
        for i in range(10):
            for m in range(1000):
                year, month = 1940 + m // 12, m % 12 + 1
                lines.append(f'synthetic_monthly_{i:02d},{year}-{month:02d},"{(i + 1) * 1000 + m:,}",SYNTHETIC')
        sample.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    return sample


def _city_side(root: Path) -> None:
    """Give the catalogue at `root` the city side a write needs, the same on every root: 10 SYNTHETIC monthly
    indicators of the tourism office, the real catalogue's forum, an upload limit for 10,000 rows."""
    import yaml

    real = yaml.safe_load((ROOT / "indicators.yml").read_text(encoding="utf-8"))
    data = yaml.safe_load((root / "indicators.yml").read_text(encoding="utf-8"))
    data.setdefault("offices", {}).setdefault("tourism_sports", real["offices"]["tourism_sports"])
    forum = dict(real["forum"])
    forum["forums"] = {k: {**v, "office_id": "tourism_sports"} for k, v in real["forum"]["forums"].items()}
    data["forum"] = forum
    data["reporting"] = {**real["reporting"], "max_upload_bytes": 5 * 2**20}
    feed_series = next(iter(data["series"]))
    data.setdefault("indicators", {})
    data["indicators"].update(synthetic_indicators(feed_series))
    (root / "indicators.yml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    domains = data.get("source_domains_file")
    # example.org is the benchmark's own (SYNTHETIC) source; classify it in this copy only
    if domains and "\nexample.org," not in (root / domains).read_text(encoding="utf-8"):
        with open(root / domains, "a", encoding="utf-8") as handle:
            handle.write('example.org,aggregator,"SYNTHETIC benchmark indicators (bench/run.py), this copy only"\n')


def bench_writes(report: Report, runs: int, work: Path, synthetic_root: Path | None) -> None:
    """Issue 13: a 10,000-row upload and a forum event on a copy of the real ledger and on the SYNTHETIC
    3.24M-row one, with the same city side (indicators, forum) on both; ratios side by side."""
    import shutil

    report.section("W. A write costs what it writes: upload (10,000 rows) and forum event, real vs SYNTHETIC 3.24M rows")
    sample = _upload_file(work)
    real_root = work / "writes-real"
    shutil.copytree(ROOT / "data" / "raw", real_root / "data" / "raw")
    shutil.copy(ROOT / "indicators.yml", real_root / "indicators.yml")
    if synthetic_root is None:
        synthetic_root = work / "synthetic"
        if not (synthetic_root / "indicators.yml").exists():
            synthetic.generate(synthetic_root, synthetic.Shape())
    syn_root = work / "writes-synthetic"
    shutil.copytree(synthetic_root, syn_root, ignore=shutil.ignore_patterns("*.duckdb*"))
    roots = {"real": real_root, "synthetic": syn_root}
    for name, root in roots.items():
        _city_side(root)
        started = time.perf_counter()
        run_child([*CITYIDX, "build", "--catalogue", str(root / "indicators.yml"), "--warehouse", str(root / "warehouse.duckdb")])
        size = sum(f.stat().st_size for f in root.glob("warehouse*.duckdb"))
        report.row(f"full build of the {name} warehouse (set-up)", f"{time.perf_counter() - started:.1f} s",
                   f"{size / 2**20:.0f} MiB on disk")
    found: dict[str, dict[str, list[float]]] = {name: {"uploads": [], "events": []} for name in roots}
    for _ in range(2):  # interleaved, so load from elsewhere falls on both sides alike
        for name, root in roots.items():
            out = run_child([PYTHON, "-c", WRITE_SCRIPT, str(root), str(sample), str(max(runs // 2, 2))]).out
            for kind in ("uploads", "events"):
                found[name][kind] += out[kind]
    up = {name: report.seconds(f"upload 10,000 rows, {name} warehouse", found[name]["uploads"], "in-process")
          for name in roots}
    ev = {name: report.seconds(f"forum event, {name} warehouse", found[name]["events"], "in-process") for name in roots}
    report.row("ratio: upload synthetic / real", f"{up['synthetic'] / up['real']:.2f}x")
    report.row("ratio: forum event synthetic / real", f"{ev['synthetic'] / ev['real']:.2f}x")
    report.targets.append(Target("10,000-row upload on the SYNTHETIC 3.24M-row warehouse within 1.3x of the real one (issue 13)",
                                 up["synthetic"], 1.3 * up["real"], "s", f"real {up['real']:.3f} s; ratio {up['synthetic'] / up['real']:.2f}x"))
    report.targets.append(Target("forum event on the SYNTHETIC 3.24M-row warehouse within 1.3x of the real one (issue 13)",
                                 ev["synthetic"], 1.3 * ev["real"], "s", f"real {ev['real']:.3f} s; ratio {ev['synthetic'] / ev['real']:.2f}x"))
    report.targets.append(Target("forum event in-process within 0.3 s (issue 13; the slower of the two warehouses)",
                                 max(ev.values()), 0.3, "s"))


# --- D: dashboard render ---------------------------------------------------------------------------------


def _dashboard_warehouse(work: Path, real: Path | None) -> tuple[Path, str]:
    if real is not None and real.exists():
        return real, "real data"
    from pipelines import build, catalogue

    path = work / "dashboard" / "cityindex.duckdb"
    try:
        build.build(catalogue.load(), path)
        return path, "real data"
    except Exception:  # noqa: BLE001 - the real ledger may be mid-edit; the fixture keeps the bench going
        build.build(catalogue.load(MINI_CATALOGUE), path)
        return path, "tests/fixtures/mini (the real data did not build)"


@contextlib.contextmanager
def _one_script_cache():
    """AppTest compiles the app and the page anew on every run (each run makes its own ScriptCache), where a
    Streamlit server compiles each script once: its Runtime holds one ScriptCache for every run and session. The
    bench shares one cache across its AppTest runs, so the render measured is what a served run does, not the
    compiling of a long page script (5-7 ms for the longest pages, the bare page's whole render)."""
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    saved = app_test.ScriptCache, local_script_runner.ScriptCache
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = saved


def _render(script: Path, page: str | None, runs: int) -> tuple[float, list[float], list[str]]:
    """Render time of one page: the second run of a fresh AppTest session (the first run opens the
    session on the default page, then switches to `page`); `runs` times after one cold, reported apart.
    Compiled scripts are shared between runs, as on a server (_one_script_cache)."""
    with _one_script_cache():
        return _render_runs(script, page, runs)


def _render_runs(script: Path, page: str | None, runs: int) -> tuple[float, list[float], list[str]]:
    from streamlit.testing.v1 import AppTest

    first, times, errors = 0.0, [], []
    for i in range(runs + 1):
        at = AppTest.from_file(str(script), default_timeout=120)
        at.run()
        if page is not None:
            at.switch_page(page)
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if at.exception:
            errors.append("; ".join(str(e.value)[:200] for e in at.exception))
        if i == 0:
            first = elapsed
        else:
            times.append(elapsed)
    return first, times, errors


def discover_pages() -> list[tuple[str, str]]:
    """(title, path relative to app.py) of every file page the app registers with st.navigation."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    registered = getattr(at, "_registered_pages", None)
    if not registered:
        raise RuntimeError("AppTest registered no st.navigation pages (streamlit internals changed?)")
    pages = []
    for info in registered.values():
        script = info.get("script_path")
        if script:
            pages.append((str(info.get("page_name") or info.get("url_pathname") or script),
                          os.path.relpath(Path(str(script)).resolve(), APP.parent)))
    return pages


def bench_dashboard(report: Report, runs: int, work: Path, real: Path | None) -> None:
    report.section("D. Dashboard: server-side render per page (streamlit.testing AppTest, Korean)")
    if not APP.exists():
        report.skip("dashboard render", f"{APP.relative_to(ROOT)} does not exist yet")
        return
    warehouse, origin = _dashboard_warehouse(work, real)
    os.environ["CITYIDX_WAREHOUSE"] = str(warehouse)
    # AppTest touches Streamlit from the main thread, which logs "missing ScriptRunContext" on every run.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").disabled = True
    report.row("warehouse", origin)
    first, times, errors = _render(BARE_PAGE, None, runs)
    if errors:
        report.skip("bare page", errors[0])
        return
    bare = report.seconds("bare page: one Plotly chart (bench/bare_page.py)", times,
                          f"first run {first:.3f} s, not in the median")
    try:
        pages = discover_pages()
    except Exception as exc:  # noqa: BLE001
        report.skip("dashboard pages", f"could not discover pages: {exc}")
        return
    report.row("pages found in st.navigation", str(len(pages)))
    for title, rel in pages:
        try:
            first, times, errors = _render(APP, rel, runs)
        except Exception as exc:  # noqa: BLE001
            report.skip(f"page {rel}", repr(exc))
            continue
        if errors:
            report.skip(f"page {rel}", f"exception while rendering: {errors[0]}")
            continue
        m = report.seconds(f"page {title} ({rel})", times, f"first run {first:.3f} s; {med(times) / bare:.1f}x bare")
        report.targets.append(Target(f"server render of page {title} ({rel}) within 5x the bare page (issue 13)",
                                     m, 5 * bare, "s", f"bare page {bare:.3f} s; ratio {m / bare:.1f}x"))


# --- P, M: in real Chromium ---------------------------------------------------------------------------------


def _app_paths() -> list[tuple[str, str]]:
    """(url path, title key) of every page in dashboard/app.py's navigation, the default page at '/'."""
    import ast

    tree = ast.parse(APP.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "PAGES" for t in node.targets):
            pages = ast.literal_eval(node.value)
            return [("" if i == 0 else path, module) for i, (module, _, _, path) in enumerate(pages)]
    raise RuntimeError("no PAGES in dashboard/app.py")


def _spread(loads: list) -> tuple[list[float], list[str], float, float]:
    """Of page loads (bench.browser.Load, or bench.sessions.Run without a browser): the times of those that got ready (sorted), the errors of the others, and
    the p50 and p95 of the times (NaN when none got ready)."""
    ok = sorted(x.seconds for x in loads if x.seconds is not None)
    errors = [x.error for x in loads if x.seconds is None]
    p50 = statistics.median(ok) if ok else float("nan")
    p95 = ok[min(len(ok) - 1, math.ceil(0.95 * len(ok)) - 1)] if ok else float("nan")
    return ok, errors, p50, p95


def bench_browser(report: Report, runs: int, work: Path, real: Path | None, sessions: tuple[int, ...]) -> None:
    """Issue 13: every page's time from navigation to its last chart drawn, against the bare one-chart page
    in the same run (section P); then `sessions` (1, 5 and 10 by default; none: M skipped) sessions at once on
    overview and trends (section M)."""
    from bench import browser
    from bench import sessions as sessions_alone

    report.section("P. Pages in Chromium: navigation to the last chart drawn, every page vs the bare page")
    warehouse, origin = _dashboard_warehouse(work, real)
    report.row("warehouse", origin)
    env = {"CITYIDX_WAREHOUSE": str(warehouse)}
    try:
        with browser.streamlit_server(APP, env, work / "app.log") as app, \
                browser.streamlit_server(BARE_PAGE, env, work / "bare.log") as bare_base, \
                browser.streamlit_server(EMPTY_PAGE, env, work / "empty.log") as empty_base:
            paths = _app_paths()
            urls = {f"bare page ({BARE_PAGE.name})": bare_base + "/"}
            urls |= {f"page {module}": f"{app}/{path}" for path, module in paths}
            found = browser.sequential(list(urls.values()), runs)
            by_name = {name: found[url] for name, url in urls.items()}
            bare_name = next(iter(urls))
            bare_ok = [x.seconds for x in by_name[bare_name] if x.seconds is not None]
            if not bare_ok:
                report.skip("pages in Chromium", f"the bare page never got ready: {by_name[bare_name][0].error}")
                return
            bare = med(bare_ok)
            for name, loads in by_name.items():
                ok = [x.seconds for x in loads if x.seconds is not None]
                failed = [x.error for x in loads if x.seconds is None]
                if not ok:
                    report.skip(name, failed[0] if failed else "no load")
                    continue
                m = report.seconds(name, ok, f"{max(x.charts for x in loads)} charts; {med(ok) / bare:.2f}x bare"
                                   + (f"; {len(failed)} failed: {failed[0]}" if failed else ""))
                if name != bare_name:
                    report.targets.append(Target(f"Chromium page-ready of {name} within 1.5x the bare page (issue 13)",
                                                 m, 1.5 * bare, "s", f"bare {bare:.3f} s; ratio {m / bare:.2f}x"))

            if not sessions:
                report.row("M. concurrent sessions", "skipped (--sessions none)")
                return
            report.section("M. Many at once: concurrent Chromium sessions on overview and trends (one server), and the server "
                           "alone")
            pages = ["", "trends"]  # url paths: the overview (the default page) and trends, in turn
            pair = [f"{app}/{page}" for page in pages]
            browser.concurrent(pair, 2)  # the server's first runs fill its caches; sessions after it find them
            browser.concurrent([f"{empty_base}/"], 2)
            # The browsers run on this machine too: the same counts of the bare one-chart page, and of the emptiest
            # Streamlit page (one line of text: Streamlit's own front end and nothing else), show what the machine
            # itself allows, whatever the app does (each fresh context compiles the Plotly bundle anew).
            floor_p95: dict[str, dict[int, float]] = {"bare page": {}, "empty page": {}}
            for n in sessions:
                for label, base, urls in (("overview + trends", app, pair), ("bare page", bare_base, [f"{bare_base}/"]),
                                          ("empty page", empty_base, [f"{empty_base}/"])):
                    server_before = browser.server_cpu(base)
                    with browser.BrowserCpu() as chromium:
                        loads = browser.concurrent(urls, n)
                    server_used = browser.server_cpu(base) - server_before
                    ok, errors, p50, p95 = _spread(loads)
                    report.row(f"{n} sessions at once, {label}: p50 / p95", f"{p50:.2f} / {p95:.2f} s",
                               f"{len(errors)} errors" + (f": {errors[0]}" if errors else "")
                               + f"; CPU: Chromium {chromium.seconds:.1f} s ({chromium.seconds / n:.2f} s a session), "
                               f"server {server_used:.2f} s ({server_used / n:.3f} s a session); {os.cpu_count()} cores")
                    if label in floor_p95:
                        floor_p95[label][n] = p95
                        continue
                    app_p50, app_p95, app_ok, app_errors = p50, p95, ok, errors
                # The same sessions without their browsers: the page's run on the server, from the websocket's
                # opening to the run's end, which is all the server owes a reader whose browser is elsewhere
                server_before = browser.server_cpu(app)
                alone = sessions_alone.concurrent(app, pages, n)
                server_used = browser.server_cpu(app) - server_before
                _, alone_errors, alone_p50, alone_p95 = _spread(alone)
                report.row(f"{n} sessions at once, the server alone (no browser): p50 / p95",
                           f"{alone_p50:.2f} / {alone_p95:.2f} s",
                           f"{len(alone_errors)} errors" + (f": {alone_errors[0]}" if alone_errors else "")
                           + f"; server CPU {server_used:.2f} s ({server_used / n:.3f} s a session)")
                if n == max(sessions):
                    report.targets.append(Target(
                        f"{n} concurrent sessions: p95 page-ready within 3 s (issue 13)",
                        app_p95 if app_ok else float("inf"), 3.0, "s",
                        f"p50 {app_p50:.2f} s; at {n} sessions on the same machine the bare one-chart page has "
                        f"p95 {floor_p95['bare page'][n]:.2f} s ({app_p95 / floor_p95['bare page'][n]:.2f}x), "
                        f"the empty page {floor_p95['empty page'][n]:.2f} s; the server alone (no browser) "
                        f"p95 {alone_p95:.2f} s"))
                    report.targets.append(Target(f"{n} concurrent sessions: no errors (issue 13)", len(app_errors), 0,
                                                 "errors", app_errors[0] if app_errors else ""))
    except Exception as exc:  # noqa: BLE001 - no chromium, no playwright, a server that did not start
        report.skip("pages in Chromium", f"{type(exc).__name__}: {exc}")


# --- main ------------------------------------------------------------------------------------------------


def header() -> None:
    import pandas
    import pandera
    import streamlit

    print("cityidx benchmark (`make bench`)", flush=True)
    print(f"  {time.strftime('%Y-%m-%d %H:%M')} · {platform.platform()} · {os.cpu_count()} CPUs · "
          f"Python {platform.python_version()} · DuckDB {duckdb.__version__} · pandas {pandas.__version__} · "
          f"pandera {pandera.__version__} · Streamlit {streamlit.__version__}", flush=True)
    print("  All times are medians over repeated runs on this machine (n shown per row).", flush=True)


def compile_bytecode() -> None:
    """The project's bytecode written, as installing it leaves it (`make` does the same; pip does it for every
    installed wheel, DuckDB's included): without it, a machine that sets PYTHONDONTWRITEBYTECODE compiles the
    pipeline's modules at every command (~10 ms of `cityidx status`, ~50 ms of `cityidx build`), which the
    `python -c 'import duckdb'` it is compared with never does. Checked by hash: an edited source is compiled again."""
    for package in ("pipelines", "dashboard"):
        compileall.compile_dir(ROOT / package, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    print("  Bytecode of pipelines/ and dashboard/ compiled (checked by hash), as an install leaves it.", flush=True)


def session_counts(text: str) -> tuple[int, ...]:
    """--sessions: "1,5,10" -> (1, 5, 10); "none" -> () (section M skipped). Each count 1..MAX_SESSIONS."""
    from bench.browser import MAX_SESSIONS

    if text.strip().lower() == "none":
        return ()
    try:
        counts = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of counts: {text!r} (e.g. 1,5,10, or none)") from None
    if not counts or any(not 1 <= n <= MAX_SESSIONS for n in counts):
        raise argparse.ArgumentTypeError(f"each count must be from 1 to {MAX_SESSIONS}: {text!r}")
    return tuple(sorted(set(counts)))


SECTIONS = ("real", "startup", "synthetic", "writes", "dashboard", "browser", "upload")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only this part (repeatable)")
    parser.add_argument("--runs", type=int, default=5, help="runs of the small measurements (default 5)")
    parser.add_argument("--large-runs", type=int, default=3, help="runs of the synthetic scale run (default 3)")
    parser.add_argument("--synthetic-dir", type=Path, default=None,
                        help="reuse a ledger made by `python -m bench.synthetic DIR` instead of generating one")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a part could not be measured")
    parser.add_argument("--sessions", type=session_counts, default=(1, 5, 10), metavar="N,N,...|none",
                        help="concurrent Chromium sessions of section M (default 1,5,10; at most "
                             "bench.browser.MAX_SESSIONS); 'none' skips M")
    args = parser.parse_args(argv)
    only = args.only or list(SECTIONS)

    header()
    compile_bytecode()
    report = Report()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cityidx-bench-") as tmp:
        work = Path(tmp)
        real = bench_real(report, args.runs, work) if "real" in only else None
        if "startup" in only:
            bench_startup(report, args.runs, real)
        if "synthetic" in only:
            bench_synthetic(report, args.large_runs, work, args.synthetic_dir)
        if "writes" in only:
            bench_writes(report, args.runs, work, args.synthetic_dir)
        if "dashboard" in only:
            bench_dashboard(report, args.runs, work, real)
        if "browser" in only:
            bench_browser(report, args.runs, work, real, args.sessions)
        if "upload" in only:
            bench_upload(report, min(args.runs, 3), work)
    report.summary()
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)", flush=True)
    return 1 if args.strict and report.skipped else 0


if __name__ == "__main__":
    sys.exit(main())
