"""Imports flow one way: the import-linter contract in pyproject.toml holds, and a back edge breaks it."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pipelines import build, catalogue

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=120)


def test_the_layers_hold_on_the_tree():
    run = _lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_a_back_edge_breaks_the_contract(tmp_path: Path):
    """The ledger importing the build (the old circle) fails the contract, naming both modules."""
    for name in ("pipelines", "dashboard"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    store = tmp_path / "pipelines" / "ledger" / "store.py"
    store.write_text(store.read_text(encoding="utf-8") + "\nfrom pipelines import build  # noqa\n", encoding="utf-8")
    run = _lint(tmp_path)
    assert run.returncode != 0
    assert "pipelines.ledger.store -> pipelines.build" in run.stdout


# --- one name per thing --------------------------------------------------------------------------------

OLD_NAMES = ("series_id", "department_id", "owner_department", "managing_office")


def _glossary_ids() -> list[str]:
    text = (ROOT / "docs" / "formats.md").read_text(encoding="utf-8")
    section = text.split("## Glossary", 1)[1].split("\n## ", 1)[0]
    return [line.split("`")[1] for line in section.splitlines() if line.startswith("| `")]


def test_every_glossary_id_is_a_warehouse_column():
    """The glossary names what the warehouse calls it: each id is a column of some table or view."""
    ids = _glossary_ids()
    assert len(ids) > 12, ids
    sql = (ROOT / "pipelines" / "sql" / "warehouse.sql").read_text(encoding="utf-8")
    missing = [i for i in ids if not re.search(rf"\b{i}\b", sql)]
    assert not missing, missing


def test_no_old_name_for_a_series_or_an_office_is_left():
    files = [*ROOT.glob("pipelines/**/*.py"), *ROOT.glob("pipelines/**/*.sql"), *ROOT.glob("dashboard/**/*.py"),
             *ROOT.glob("docs/*.md"), ROOT / "README.md", ROOT / "indicators.yml"]
    assert len(files) > 30
    found = [(f.relative_to(ROOT).as_posix(), name) for f in files for name in OLD_NAMES
             if name in f.read_text(encoding="utf-8")]
    assert not found, found


HEAVY = ("pandas", "pandera", "pydantic", "plotly", "streamlit", "pyarrow", "openpyxl")
# what `cityidx --help` does without too (issue 13): DuckDB, the parsers of messages.yml and the query files (their
# parsed form is kept, pipelines/messages/parsed.py), the accounts' argon2
LIGHT_ONLY = ("duckdb", "yaml", "aiosql", "argon2")


def _loaded_after(code: str, *argv: str, warehouse: str = "/nonexistent/cityindex.duckdb",
                  watch: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None) -> set[str]:
    """The libraries of `watch` loaded once `code` has run in a fresh interpreter (with `argv` as sys.argv[1:])."""
    probe = f"import sys\nsys.argv[1:] = {list(argv)!r}\n{code}\nprint('loaded:', *sorted(m for m in {watch!r} if m in sys.modules))"
    env = {**os.environ, "CITYIDX_WAREHOUSE": warehouse, **(env or {})}
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("loaded:"), run.stdout
    return set(last.split()[1:])


def test_the_command_line_starts_without_the_heavy_libraries():
    """`cityidx --help` and `cityidx status` load click and DuckDB only (issue 13, quick start-up): pandas, pandera,
    pydantic, plotly and streamlit load in the commands that use them."""
    assert _loaded_after("import pipelines.cli") == set()
    help_ = "import pipelines.cli\ntry:\n    pipelines.cli.main(['--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(help_) == set()
    status = "import pipelines.cli\ntry:\n    pipelines.cli.main(['status'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(status) == set()  # no warehouse here: the error path is light too


def test_help_starts_without_duckdb_or_any_parser(tmp_path: Path):
    """`cityidx --help` (and a subcommand's list) shows the commands without DuckDB, PyYAML, aiosql or argon2 — even
    with no parsed form kept yet (an empty cache folder): it shows no message and runs no query."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for argv in (["--help"], ["forum", "--help"], ["user", "--help"]):
        code = f"import pipelines.cli\ntry:\n    pipelines.cli.main({argv!r})\nexcept SystemExit:\n    pass"
        assert _loaded_after(code, watch=HEAVY + LIGHT_ONLY, env=env) == set(), argv
    # the probe can fail: a subcommand's own help shows its choices, so the module that owns them loads (the
    # accounts, for the roles; argon2 only once a password is hashed, issue 13)
    code = "import pipelines.cli\ntry:\n    pipelines.cli.main(['user', 'add', '--help'])\nexcept SystemExit:\n    pass"
    assert _loaded_after(code, watch=("pipelines.accounts", "argon2"), env=env) == {"pipelines.accounts"}


def test_status_on_a_built_warehouse_starts_without_the_heavy_libraries(mini, mini_warehouse, tmp_path: Path):
    """`cityidx status` reading a real warehouse (rows as tuples, no frames) loads no pandas either, and once the
    parsed forms of messages.yml and the query files are kept, neither PyYAML nor aiosql (nor argon2); once its
    answer for this published part is kept, not even DuckDB — also the first time after a build, which keeps it
    beside the warehouse, and after a touch by hand (the same bytes, known by their hash); a part with other bytes is
    read again. The probe fails if it prints no table, so a status that broke early cannot pass as light. When it
    reads, it loads DuckDB's engine alone (`_duckdb`, parts.engine), not the `duckdb` package's Python layer."""
    code = ("import pipelines.cli\ntry:\n    pipelines.cli.main(['status'])\nexcept SystemExit as exc:\n"
            "    assert not exc.code, exc.code")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    watch = HEAVY + LIGHT_ONLY + ("_duckdb",)
    first = _loaded_after(code, warehouse=str(mini_warehouse), watch=watch, env=env)
    assert first == {"_duckdb", "yaml", "aiosql"}  # nothing kept yet: both files parsed (and so the probe can fail)
    assert _loaded_after(code, warehouse=str(mini_warehouse), watch=watch, env=env) == set()
    os.utime(mini_warehouse)  # touched by hand: a new mtime and ctime, the same bytes
    assert _loaded_after(code, warehouse=str(mini_warehouse), watch=watch, env=env) == set()
    build.build(catalogue.load(mini), mini_warehouse)  # a real write of the published part: its answer kept beside it
    assert _loaded_after(code, warehouse=str(mini_warehouse), watch=watch, env=env) == set()
    raw = mini.parent / "data" / "raw" / "rankings" / "zyen_gfci.csv"  # a published part with other bytes, moved in
    raw.write_text(raw.read_text(encoding="utf-8").replace("GFCI 38,Seoul,South Korea,10,", "GFCI 38,Seoul,South Korea,9,"),
                   encoding="utf-8")
    build.build(catalogue.load(mini), tmp_path / "other" / "cityindex.duckdb")
    os.replace(tmp_path / "other" / "cityindex.duckdb", mini_warehouse)
    assert _loaded_after(code, warehouse=str(mini_warehouse), watch=watch, env=env) == {"_duckdb"}
    run = subprocess.run([sys.executable, "-m", "pipelines.cli", "status", "--lang", "en"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env={**os.environ, **env, "CITYIDX_WAREHOUSE": str(mini_warehouse)})
    assert run.returncode == 0 and "mori_gpci" in run.stdout, run.stdout + run.stderr


def test_checking_the_ledger_loads_pandera_only_to_read_its_models_once(mini, tmp_path: Path):
    """The rules are pandera models (pipelines/models.py), read as data kept per content (schemas.Model): `cityidx
    check`, which reads and checks every ledger file as a build does, loads pandera the first time (the probe can
    fail) and never again while the models are unchanged (~0.14 s of every build's start-up)."""
    code = (f"import pipelines.cli\ntry:\n    pipelines.cli.main(['check', '--catalogue', {str(mini)!r}])\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code")
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    assert _loaded_after(code, watch=("pandera",), env=env) == {"pandera"}
    assert _loaded_after(code, watch=("pandera",), env=env) == set()


def test_the_build_loads_no_pandas_and_no_pydantic(tmp_path: Path):
    """`cityidx build` of the real ledger (no uploads) loads neither pandas nor numpy nor pyarrow (issue 13, quick
    start-up: ~0.26 s of its start-up): the files are read and checked by DuckDB and go on as records
    (schemas.read_checked_files), the tables are written from records (schemas.Table), and numpy only sorts the
    hashes of a large table (schemas.repeats). Once the models' rules and the validated catalogue are kept as data
    (the first build keeps them), neither pandera nor pydantic loads either (catalogue_data); and once the queries the
    first build made of relations are kept as SQL (schemas.kept_sql, `_scan`), the build runs on DuckDB's engine alone
    (`_duckdb`, parts.engine), never the `duckdb` package's Python layer (relations, expressions: ~50 ms of start-up).
    The probe can fail: the frames a caller asks of a build (`BuildResult.tables`) load pandas."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    warehouse = str(tmp_path / "w" / "cityindex.duckdb")
    code = ("import pipelines.cli\ntry:\n    pipelines.cli.main(['build'])\nexcept SystemExit as exc:\n"
            "    assert not exc.code, exc.code")
    watch = ("pandas", "numpy", "pyarrow", "pandera", "pydantic", "argon2", "itsdangerous", "duckdb", "_duckdb")
    first = _loaded_after(code, warehouse=warehouse, watch=watch, env=env)  # the rules and the catalogue kept as data
    assert {"pydantic", "duckdb"} <= first  # validated the first time; its queries made of relations
    # nor argon2 and itsdangerous: the build reads the accounts, it neither hashes nor signs (issue 13)
    assert _loaded_after(code, warehouse=warehouse, watch=watch, env=env) == {"_duckdb"}
    assert Path(warehouse).is_file()
    frames = ("from pipelines import build, catalogue\n"
              f"assert len(build.collect(catalogue.load({str(ROOT / 'indicators.yml')!r})).tables['ranking_row']) > 1000")
    assert "pandas" in _loaded_after(frames, watch=watch, env=env)


def test_the_build_starts_without_openpyxl():
    """The build reads no workbook: openpyxl (~0.1 s of start-up) loads only when an xlsx upload is read or a
    template written (the probe can fail: reading one loads it)."""
    assert _loaded_after("import pipelines.build, pipelines.cli", watch=("openpyxl",)) == set()
    code = "from pipelines.build import uploads\nuploads._xlsx_lines(b'not a zip', 'x.xlsx', 1000)"
    assert _loaded_after(code, watch=("openpyxl",)) == {"openpyxl"}


def test_a_choice_owned_by_another_module_is_still_checked():
    """The account roles and the forum's words are loaded only when used, and still refuse what they do not know."""
    run = subprocess.run([sys.executable, "-m", "pipelines.cli", "forum", "action", "status", "t-1", "finished"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert "'finished' is not one of" in run.stderr and "'in_progress'" in run.stderr, run.stderr
    run = subprocess.run([sys.executable, "-m", "pipelines.cli", "user", "add", "x", "--role", "owner"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "'department_editor'" in run.stderr, run.stderr


def test_a_command_that_reads_the_catalogue_loads_it():
    """The probe can fail: `cityidx list` needs the catalogue, so pydantic is loaded."""
    code = "import pipelines.cli\ntry:\n    pipelines.cli.main(['list'])\nexcept SystemExit:\n    pass"
    assert "pydantic" in _loaded_after(code)


def _imports_of(*files: Path) -> list[str]:
    """Every import statement of `files` (at any depth: a function's import counts too), as source lines."""
    lines = []
    for file in files:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        lines += [ast.unparse(node) for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                  and getattr(node, "module", None) != "__future__"]
    return list(dict.fromkeys(lines))


def test_the_dashboards_pages_import_no_plotly():
    """Every chart of the dashboard is SVG (dashboard/svg_charts.py): no page, nor anything a page imports, loads
    Plotly (the bench's bare page alone keeps it, as its reference). Streamlit imports Plotly itself when it is installed
    (its theme hook, streamlit/elements/plotly_chart.py), so the probe unloads it after Streamlit and checks that the
    pages' imports (dashboard/app.py, dashboard/views/*.py) do not bring it back. The probe can fail: the bare page's
    imports do."""
    pages = [ROOT / "dashboard" / "app.py", *sorted((ROOT / "dashboard" / "views").glob("*.py"))]
    assert len(pages) > 8
    pages_imports = _imports_of(*pages)
    assert "from dashboard import auth, data, svg_charts" in pages_imports  # what the forum page imports
    probe = ("import sys\nimport streamlit\n"
             "for _m in [m for m in sys.modules if m.split('.')[0] in ('plotly', '_plotly_utils')]:\n"
             "    del sys.modules[_m]\n"
             + "\n".join(pages_imports) + "\nprint('pages:', 'plotly' in sys.modules)\n"
             + "\n".join(_imports_of(ROOT / "bench" / "bare_page.py")) + "\nprint('bare page:', 'plotly' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "CITYIDX_WAREHOUSE": "/nonexistent/cityindex.duckdb"})
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-2:] == ["pages: False", "bare page: True"], run.stdout + run.stderr
