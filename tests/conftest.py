"""Shared fixtures: a copy of the tiny real-data catalogue in a temporary folder, and its warehouse."""

from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from streamlit.components.v2 import manifest_scanner

try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # without pytest-xdist the suite runs in one process
    LoadScopeScheduling = None

from pipelines import accounts, build, catalogue
from pipelines.sql import parts
from tests import browser_support

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent


PASSWORD = "a long password 123"
# The accounts every test may act as (tests/fixtures/mini's offices): name -> (role, department)
TEST_ACCOUNTS = {
    "park": ("forum_organizer", None),
    "kim": ("department_editor", "tourism_sports"),
    "lee": ("department_editor", "economic_policy_office"),
    "ana": ("analyst", None),
    "root": ("admin", None),
}


class _RememberingHasher:
    """The product's argon2id hasher with the same parameters, remembering what it computed in this test process.

    Hashing and verifying are deliberately slow (~0.2 s of CPU and 64 MiB each); the suite adds the same few
    accounts with the same password hundreds of times. A password hashed before gets its earlier hash (a
    valid argon2id hash of that password, only its salt is shared), and a (hash, password) pair verified
    before gets its earlier answer (verification is a pure function of the two). Processes the tests start
    (the CLI, the Streamlit server) use the real hasher on these real hashes."""

    def __init__(self, real: PasswordHasher) -> None:
        self._real = real
        self._hashes: dict[str, str] = {}
        self._verified: dict[tuple[str, str], bool | VerificationError] = {}

    def hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = self._real.hash(password)
        return self._hashes[password]

    def verify(self, password_hash: str, password: str) -> bool:
        key = (password_hash, password)
        if key not in self._verified:
            try:
                self._verified[key] = self._real.verify(password_hash, password)
            except VerificationError as exc:  # a mismatch: raised again, as the real one would
                self._verified[key] = exc
        answer = self._verified[key]
        if isinstance(answer, VerificationError):
            raise type(answer)(*answer.args)
        return answer

    def __getattr__(self, name: str):
        return getattr(self._real, name)


_scan_component_manifests = manifest_scanner.scan_component_manifests


@cache
def _component_manifests() -> list:
    return _scan_component_manifests()


@pytest.fixture(autouse=True, scope="session")
def _fast_repeats():
    """Work the suite would repeat identically: argon2 hashes (above), and Streamlit's scan of every installed
    package for components, which each AppTest run repeats (~0.6 s of CPU; the installed packages do not
    change during a test session)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(accounts, "_hasher", _RememberingHasher(accounts._hasher))
        mp.setattr(manifest_scanner, "scan_component_manifests", lambda max_workers=None: list(_component_manifests()))
        yield


@cache
def _password_hash() -> str:
    return accounts._hasher.hash(PASSWORD)  # one argon2 hash for the whole session


@pytest.fixture(autouse=True)
def test_accounts(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test acts with its own account file ($CITYIDX_ACCOUNTS), never the developer's, holding TEST_ACCOUNTS."""
    path = tmp_path_factory.mktemp("private") / "accounts.json"
    since = "2000-01-01T00:00:00+00:00"
    path.write_text(json.dumps({"accounts": [
        {"username": name, "name": name, "role": role, "department": dept, "email": None,
         "password_hash": _password_hash(), "disabled": False, "created_at": since,
         "history": [{"since": since, "role": role, "department": dept, "active": True}]}
        for name, (role, dept) in TEST_ACCOUNTS.items()]}), encoding="utf-8")
    monkeypatch.setenv("CITYIDX_ACCOUNTS", str(path))
    return path


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own ($XDG_CACHE_HOME): what the commands keep there (parsed files, schema
    templates, status answers) starts empty; returns the folder cityidx uses inside it."""
    home = tmp_path / "cache-home"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "cityidx"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/mini; returns the path of its indicators.yml."""
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    return target / "indicators.yml"


def _tree_digest(root: Path) -> str:
    """Every file under `root`, by relative name and content."""
    h = hashlib.sha256()
    skip = {"__pycache__", "private", "staging"}  # not inputs: the seal's key (random per copy), half-written entries
    for f in sorted(p for p in root.rglob("*") if p.is_file() and not skip & set(p.relative_to(root).parts)):
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _built_once(factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """Folder `name` made by `make(folder)` once per test run, whatever the number of xdist workers: in the folder
    the workers of one run share (the parent of each one's base temp), under a file lock; a worker that comes second
    waits for the first and takes its result. A failed `make` leaves nothing, so the next one tries again (and
    fails the same way, with its own error)."""
    base = factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"built-once-{name}"
    with open(shared / f"built-once-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not (folder / ".done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            make(folder)
            (folder / ".done").touch()
    return folder


@pytest.fixture(scope="session")
def _pristine_mini_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The mini fixture's warehouse, built once per test run (a build takes seconds; a copy milliseconds) and only
    ever copied from. The tables hold no absolute path, so a copy beside another copy of the fixture is that copy's
    warehouse."""
    def make(folder: Path) -> None:
        shutil.copytree(FIXTURES / "mini", folder / "mini")
        build.build(catalogue.load(folder / "mini" / "indicators.yml"), folder / "warehouse" / "cityindex.duckdb")

    folder = _built_once(tmp_path_factory, "mini", make)
    return _tree_digest(folder / "mini"), folder / "warehouse" / "cityindex.duckdb"


def _copy_warehouse(source: Path, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    for part, file in parts.files(source).items():
        shutil.copy2(file, parts.part_path(path, part))


@pytest.fixture(scope="module")
def module_mini(tmp_path_factory: pytest.TempPathFactory, _pristine_mini_warehouse) -> tuple[Path, Path]:
    """A copy of the mini fixture and of its warehouse for all the tests of one module (a browser module's
    server reads them): (indicators.yml, warehouse)."""
    root = tmp_path_factory.mktemp("module-mini") / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    path = root.parent / "warehouse" / "cityindex.duckdb"
    _copy_warehouse(_pristine_mini_warehouse[1], path)
    return root / "indicators.yml", path


@pytest.fixture
def mini_warehouse(mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _pristine_mini_warehouse) -> Path:
    """A warehouse built from the mini catalogue; CITYIDX_WAREHOUSE points at it.

    While the test's copy of the fixture is untouched, the warehouse is a copy of the one built once per
    process; a test that changed its copy first gets a build of its own."""
    digest, pristine = _pristine_mini_warehouse
    path = tmp_path / "warehouse" / "cityindex.duckdb"
    if _tree_digest(mini.parent) == digest:
        _copy_warehouse(pristine, path)
    else:
        build.build(catalogue.load(mini), path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    return path


@pytest.fixture
def built_mini(mini: Path, _pristine_mini_warehouse) -> Callable[[Path], Path]:
    """built_mini(path): the test's copy of the mini fixture as a build leaves it, its warehouse at `path` and its
    ledger sealed, made by copying the build done once per run (a build costs ~0.45 s of CPU, a copy milliseconds).
    For a test whose first build only sets the stage (a warehouse that a later build must fail on, or be killed on,
    without changing it); the builds the test is about stay builds. Fails when the test changed its copy of the
    fixture before: that warehouse is not the one built once."""
    digest, pristine = _pristine_mini_warehouse

    def at(path: Path) -> Path:
        assert _tree_digest(mini.parent) == digest, "the mini fixture was changed before built_mini: build it instead"
        _copy_warehouse(pristine, path)
        sealed = pristine.parent.parent / "mini" / "data" / "private"
        (mini.parent / "data" / "private").mkdir(mode=0o700, exist_ok=True)
        for name in ("seal.json", "seal.key"):  # what the build wrote into the ledger (its seal, its key)
            shutil.copy2(sealed / name, mini.parent / "data" / "private" / name)
        return path

    return at


@pytest.fixture
def read_mini_warehouse(module_mini: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """The module's copy of the mini warehouse (module_mini) for a test that only reads it; CITYIDX_WAREHOUSE points
    at it. The pages' caches (dashboard/data.py, keyed on the file's path and identity) carry over from one such test
    to the next, as from one reader to the next on a server, instead of every page being drawn again on a fresh copy
    (~0.25 s of CPU for each first AppTest run). The test fails if the warehouse changed: a test that writes, or that
    reads with a changed catalogue, takes `mini_warehouse`."""
    path = module_mini[1]
    before = parts.version(path)
    monkeypatch.setenv("CITYIDX_WAREHOUSE", str(path))
    yield path
    assert parts.version(path) == before, "the shared mini warehouse was written: take mini_warehouse"


@pytest.fixture(scope="session")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real catalogue's warehouse, built once per test run (_built_once) and copied into each test process, for the
    tests that only read it (tests/test_real_data.py, test_signals.py, the real site below): open it with
    parts.connect_read_only."""
    def make(folder: Path) -> None:
        build.build(catalogue.load(ROOT / "indicators.yml"), folder / "cityindex.duckdb")

    built = _built_once(tmp_path_factory, "real", make) / "cityindex.duckdb"
    path = tmp_path_factory.mktemp("real") / "cityindex.duckdb"
    _copy_warehouse(built, path)
    return path


@pytest.fixture(scope="session")
def real_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real catalogue's warehouse served by `streamlit run`, started at most once per test process and shared
    by the browser tests that only read it (tests/test_browser.py, test_browser_analyst.py); its base URL. When the
    real data does not build (its own tests say why), the pages are checked on the mini fixture's warehouse."""
    try:
        warehouse = request.getfixturevalue("real_warehouse")
    except Exception as exc:  # noqa: BLE001 - reported by the tests of the build; the browser tests check the pages
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        warnings.warn(f"browser test: the real data did not build ({first}); using tests/fixtures/mini")
        warehouse = tmp_path_factory.mktemp("real-site") / "cityindex.duckdb"
        build.build(catalogue.load(FIXTURES / "mini" / "indicators.yml"), warehouse)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with browser_support.streamlit_server({"CITYIDX_WAREHOUSE": str(warehouse)},
                                          browser_support.ARTIFACTS / "browser" / f"streamlit-{worker}.log") as base:
        yield base


MINI_SITE_PASSWORD = "a long password 123"


@pytest.fixture(scope="session")
def mini_site(browser, tmp_path_factory: pytest.TempPathFactory, _pristine_mini_warehouse) -> dict:
    """A copy of the mini fixture and of its warehouse served by `streamlit run`, started at most once per test process
    and shared by the browser tests that sign in and write through it (tests/test_browser_journeys.py,
    test_browser_signin.py; each checks only what it did itself), with kim (김관광, tourism) and park (박포럼, forum
    organizer) in an account file of its own; and one browser context for their tabs, whose caches of the app's
    scripts stay warm (a new context's first pages cost Chromium ~1.5 s of CPU more each; a server start with its
    first page runs ~2 s). Keys: base, cat, warehouse, env, accounts, context."""
    root = tmp_path_factory.mktemp("mini-site")
    shutil.copytree(FIXTURES / "mini", root / "mini")
    mini, warehouse = root / "mini" / "indicators.yml", root / "warehouse" / "cityindex.duckdb"
    _copy_warehouse(_pristine_mini_warehouse[1], warehouse)
    accounts_file = root / "private" / "accounts.json"
    cat = catalogue.load(mini)
    accounts.add_account(cat, "kim", MINI_SITE_PASSWORD, "department_editor", "tourism_sports", name="김관광",
                         path=accounts_file)
    accounts.add_account(cat, "park", MINI_SITE_PASSWORD, "forum_organizer", name="박포럼", path=accounts_file)
    env = {"CITYIDX_CATALOGUE": str(mini), "CITYIDX_WAREHOUSE": str(warehouse), "CITYIDX_ACCOUNTS": str(accounts_file)}
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with browser_support.streamlit_server(env, browser_support.ARTIFACTS / "mini-site" / f"streamlit-{worker}.log") as base:
        context = browser.new_context(viewport=browser_support.WIDE, locale="ko-KR", accept_downloads=True)
        try:
            yield {"base": base, "cat": cat, "warehouse": warehouse, "env": env, "accounts": accounts_file,
                   "context": context}
        finally:
            context.close()


@pytest.fixture(scope="session")
def _mini_site_tab(mini_site: dict) -> list:
    return [mini_site["context"].new_page()]


@pytest.fixture
def mini_site_tab(mini_site: dict, _mini_site_tab: list):
    """The one tab of mini_site's context, kept across tests (a new tab starts a renderer and parses the app's
    scripts again: ~1.2 s of CPU more than a page loaded in a tab that showed the app before). Each test starts as a
    new visitor, signed out: no cookies, no web storage; every other tab it opened is closed after it."""
    context = mini_site["context"]
    page = _mini_site_tab[0]
    try:
        if page.url.startswith("http"):
            page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
        page.goto("about:blank")
    except Exception:  # noqa: BLE001 - closed, crashed, or left mid-navigation by a failed test: a new tab
        if not page.is_closed():
            page.close()
        page = _mini_site_tab[0] = context.new_page()
    context.clear_cookies()
    try:
        yield page
    finally:
        for tab in context.pages:
            if tab is not page:
                tab.close()
        context.clear_cookies()


# --- one Chromium per test process --------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, launched once per test process and shared by every browser test (a launch costs about a
    second of CPU; two playwright drivers cannot run in one thread). Tests that need their own cookies open their own
    context on it (browser.new_context()); pages that only read use `reader` below. Skips without chromium or
    playwright, fails when CI is set (browser_support.chromium_or_skip)."""
    path = browser_support.chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=browser_support.CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def new_context(browser):
    """browser.new_context(**options) for one test; every context it opened is closed at its end, passed or failed."""
    opened = []

    def new(**options):
        opened.append(browser.new_context(**options))
        return opened[-1]

    try:
        yield new
    finally:
        for context in opened:
            context.close()


@pytest.fixture(scope="session")
def _reader_tab(browser):
    # A reader who prefers reduced motion (Streamlit then draws its elements without their entering animations and
    # transitions): the same pages and text, fewer frames for Chromium to draw. test_browser.py with
    # test_browser_analyst.py: 82.6 -> 77.4 and 69.2 -> 63.2 s of CPU (two pairs, alternated, tests.cpu_profile).
    context = browser.new_context(viewport=browser_support.WIDE, locale="ko-KR", reduced_motion="reduce")
    tab = browser_support.Tab(context.new_page())
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def reader(_reader_tab) -> browser_support.Tab:
    """One tab per test process for the pages a signed-out reader opens (tests/test_browser.py and
    test_browser_analyst.py), kept across tests: a new tab starts a renderer and parses the app's scripts again,
    about twice the CPU of loading a page in a tab that has shown the app before (~3 s against ~1.5 s per page).
    Each test starts as a new reader: no cookies, no web storage, no routes, the wide viewport, no errors."""
    tab = _reader_tab
    context = tab.page.context
    try:
        if tab.page.url.startswith("http"):
            tab.page.evaluate("() => { localStorage.clear(); sessionStorage.clear(); }")
    except Exception:  # noqa: BLE001 - closed, crashed, or left mid-navigation by a failed test: a new tab
        if not tab.page.is_closed():
            tab.page.close()
        tab.__init__(context.new_page())
    context.clear_cookies()
    tab.page.set_viewport_size(browser_support.WIDE)
    tab.errors.clear()
    try:
        yield tab
    finally:
        tab.page.context.unroute_all(behavior="ignoreErrors")
        for other in tab.page.context.pages:
            if other is not tab.page:
                other.close()


# --- the order of the suite on several workers (pytest -n) ---------------------------------------------------------

# Browser tests that share a server go to one worker together (module -> unit): each server is started once per
# worker (`real_site`, `mini_site`), so the modules of one unit on one worker start it once (the real site builds the
# real warehouse once too), and its page caches serve them all.
SHARED_SERVERS = {"tests/test_browser_journeys.py": "mini site", "tests/test_browser_signin.py": "mini site",
                  "tests/test_browser.py": "real site", "tests/test_browser_analyst.py": "real site"}
# The other modules that drive Chromium join the mini site's unit: they use the Chromium its worker has launched
# (`browser`, one per test process) instead of launching one more on a worker that had none (a launch, its driver and
# a first page cost ~3 s of CPU).
OTHER_CHROMIUM = {"tests/test_browser_oidc.py": "mini site", "tests/test_attacks_inputs.py": "mini site"}


def _unit(nodeid: str) -> str:
    """What goes to one worker as a whole: a SHARED_SERVERS or OTHER_CHROMIUM unit, else the test's module."""
    module = nodeid.split("::", 1)[0]
    return SHARED_SERVERS.get(module) or OTHER_CHROMIUM.get(module, module)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests first: they take the longest (a server, a browser, waits on both), so with -n each worker
    starts on one at once and the quick tests fill in around them, instead of one browser test running alone at
    the end. The longest first: the tests of a shared server (SHARED_SERVERS), then the other browser tests; then
    the other modules, the largest first (by number of tests), so that the last ones given out are small and the
    workers end together. Within a module the tests keep their order."""
    size: dict[str, int] = {}
    for item in items:
        size[_unit(item.nodeid)] = size.get(_unit(item.nodeid), 0) + 1
    browser_units = {_unit(item.nodeid) for item in items if item.get_closest_marker("browser") is not None}

    def order(item: pytest.Item) -> tuple[bool, bool, int, str]:
        unit = _unit(item.nodeid)
        return unit not in browser_units, unit not in SHARED_SERVERS.values(), -size[unit], unit

    items.sort(key=order)


def pytest_collection_finish(session: pytest.Session) -> None:
    """What every test process holds for its whole run once the tests are collected (the modules of the product, of
    Streamlit, DuckDB and pytest, the collected tests: ~170,000 objects) is collected once and then frozen, so the
    cycle collector's full passes during the tests walk only what the tests made (its CPU on six modules' 165 tests:
    1.34 s -> 0.82 s). Garbage the tests make is collected as before; the frozen objects were alive anyway."""
    gc.collect()
    gc.freeze()


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (`make test`): one worker more than the CPUs this process may use. The browser tests spend much of
    their time waiting (a server's run, a page's paint, the pauses of browser_support.settle: ~40 s over the
    suite), and a worker that waits leaves its CPU idle; a third worker on two CPUs fills those waits."""
    return len(os.sched_getaffinity(0)) + 1


if LoadScopeScheduling is not None:
    class _ModuleServers(LoadScopeScheduling):
        """pytest-xdist's load scheduling by module (`--dist loadfile`), in the collection order above, except that
        the modules of one SHARED_SERVERS unit go to one worker together (their server is started once). A module
        runs on one worker: its module-scoped fixtures (test_attacks_inputs' poisoned ledger: a build and seven
        writes; each module's copy of the mini warehouse and the page caches its AppTests warm) are made once, not
        once on each worker. `--dist loadgroup` would say this with a mark, but it does not group on pytest 9.2
        (pytest-xdist issue 1386)."""

        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_make_scheduler(config: pytest.Config, log):
        if config.getvalue("dist") != "load":  # another --dist asked for on the command line
            return None
        config.option.loadscopereorder = False  # keep the collection order above (the default sorts by unit size)
        return _ModuleServers(config, log)
