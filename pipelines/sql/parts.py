"""Where the warehouse lives and how a reader opens it: its part files, attached read-only to a private
in-memory database, the views resolving across them.

The warehouse is split by what changes together, so that a write rebuilds only its own part:

- `published` (the warehouse file itself, e.g. cityindex.duckdb): the catalogue, cities, editions, rankings,
  components, and every view;
- `values` (cityindex.values.duckdb): the department uploads and every version of every city-managed value;
- `forum` (cityindex.forum.duckdb): the forum log and the meetings, agenda and action items it replays to.

Light on purpose: `cityidx status` and the dashboard read through here without loading the build (pandas,
pandera), and DuckDB itself loads only when a session is opened: an answer kept for the warehouse as it is now
(`kept`) is read without it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pipelines import ROOT, sql
from pipelines.messages import parsed

if TYPE_CHECKING:
    import duckdb

DEFAULT_WAREHOUSE = ROOT / "data" / "warehouse" / "cityindex.duckdb"
PARTS = ("published", "values", "forum")
# the part each reading session attaches it as (the published part is the session's default catalogue)
ATTACH = {"published": "attach_warehouse", "values": "attach_values", "forum": "attach_forum"}

Version = tuple[tuple[int, int, int], ...]


def warehouse_path() -> Path:
    """The warehouse file: $CITYIDX_WAREHOUSE, else data/warehouse/cityindex.duckdb."""
    return Path(os.environ.get("CITYIDX_WAREHOUSE") or DEFAULT_WAREHOUSE)


def part_path(path: Path, part: str) -> Path:
    """The file of one part of the warehouse at `path` (the published part is `path` itself)."""
    if part not in PARTS:
        raise ValueError(f"no warehouse part {part!r} (parts: {', '.join(PARTS)})")
    return path if part == "published" else path.with_name(f"{path.stem}.{part}{path.suffix}")


def files(path: Path | None = None) -> dict[str, Path]:
    """Every part's file, by part."""
    path = path or warehouse_path()
    return {part: part_path(path, part) for part in PARTS}


def version(path: Path | None = None) -> Version | None:
    """Identity of the warehouse on disk (every part's mtime, inode and size); None when a part is missing.

    Each write swaps in a new file for its part, so the inode changes with the mtime; both are in the key
    so that a swap within one mtime tick is still seen.
    """
    out = []
    for f in files(path).values():
        try:
            st = os.stat(f)
        except FileNotFoundError:
            return None
        out.append((st.st_mtime_ns, st.st_ino, st.st_size))
    return tuple(out)


def attach(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Attach every part, read-only, to `con` (an in-memory database) and make the warehouse its default."""
    for part, f in files(path).items():
        sql.execute(con, ATTACH[part], path=str(f))
    sql.execute(con, "use_warehouse")
    return con


def connect_read_only(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse.

    The files are attached to a private in-memory database: duckdb.connect(path) would hand back the
    process's cached instance for that path, still reading a file a write has since replaced.
    """
    import duckdb  # here, not at the top: an answer `kept` for this warehouse is read without DuckDB

    con = duckdb.connect()
    try:
        return attach(con, path)
    except BaseException:
        con.close()
        raise


def engine() -> ModuleType:
    """DuckDB's engine, for a command that only runs named queries (`cityidx status`): the C++ extension module
    `_duckdb`, which the `duckdb` package re-exports (`connect`, the connection and the exception classes are the
    same objects), loaded without the package's Python layer. That layer (relations, expressions, Arrow sources,
    and importlib.metadata for the package's version) is ~50 ms of the ~65 ms `import duckdb` takes, and such a
    command uses none of it (issue 13, quick start-up). A DuckDB package laid out otherwise gives `duckdb` itself."""
    try:
        import _duckdb  # here, not at the top, as in connect_read_only
    except ImportError:  # pragma: no cover - a DuckDB package without its extension module at the top level
        import duckdb as _duckdb
    return _duckdb


class Lazy:
    """`duckdb` as the build uses it (issue 13, quick start-up): DuckDB's engine (`engine`: `connect`, the connection,
    the exception classes, `__version__`, `extract_statements`) at once; the package's Python layer (relations,
    expressions: ~50 ms to import) only when a name only it has is asked for (`col`, `DuckDBPyRelation` ...). A build
    whose queries are kept (schemas.kept_sql) never asks for one, so it never loads that layer."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name != "__version__":
            raise AttributeError(name)
        found = getattr(engine(), name, None)
        if found is None:
            import duckdb  # here, not at the top: only what builds a relation needs it

            found = getattr(duckdb, name)
        setattr(self, name, found)  # asked once
        return found


def is_relation(value: object) -> bool:
    """Whether `value` is a DuckDB relation (checked without loading the package's Python layer)."""
    # not there, or still being imported on another thread (no relation class yet, so no relation either)
    kind = getattr(sys.modules.get("duckdb"), "DuckDBPyRelation", None)
    return kind is not None and isinstance(value, kind)


def connect_published(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the published part alone: the catalogue, editions, rankings and components, and
    the views over them only (a view that reads the values or forum part fails here). What `cityidx status` reads:
    two attachments fewer (~4 ms of CPU), on DuckDB's engine alone (`engine`: ~50 ms fewer)."""
    con = engine().connect()
    try:
        sql.execute(con, ATTACH["published"], path=str(part_path(path or warehouse_path(), "published")))
        sql.execute(con, "use_published")
        return con
    except BaseException:
        con.close()
        raise


# --- answers kept between commands (issue 13, quick start-up) -----------------------------------------------------

KEPT_FORMAT = "4"  # changed when what `kept` keeps changes shape: every answer kept before is then ignored

# Each answer kept, by name: the named queries it runs and the parts it reads. `cityidx status`: the focus city, its
# standing per series, and the day DuckDB read them on in the catalogue's time zone with that zone, all of it in the
# published part, attached alone (connect_published). The signals age every edition to today in whole months
# (warehouse.sql, focus_editions: an edition counts from its publication month, `as_of` is read as its month), so the
# answer is one per month of the catalogue's zone, not per day: tests/test_status_kept.py reads the signals on every
# day of several years and holds them to that.
KEPT = {"status": (("focus_city_id", "focus_standing", "current_day"), ("published",))}

# a part file up to this size is also known by its bytes (`content`): the answer kept for a file stays good for the
# same bytes touched, copied or moved by hand. Hashing the real warehouse's published part (11 MB) takes ~8 ms, a
# tenth of a DuckDB read; a larger part (the 3.24M-row scale run's) is known by its file identity alone
KEPT_HASH_MAX_BYTES = 32 << 20


def standing(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The answer `status`, read on `con` (the published part its default catalogue: a reader's session, or a build's
    staged file before the swap): plain JSON data (rows as lists, no pandas), with under "day" the day DuckDB read
    it on in the catalogue's time zone and, under "zone", that zone."""
    ((day, zone),) = sql.rows(con, "current_day")
    return {"focus": sql.value(con, "focus_city_id"),
            "rows": [list(r) for r in sql.rows(con, "focus_standing")],
            "day": day, "zone": zone}


def today(zone: str) -> dt.date:
    """Today in the time zone `zone` (an IANA name, as the catalogue's `timezone`), whatever the machine's zone."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(zone)).date()


def period(day: dt.date) -> str:
    """The period an answer read on `day` holds for: its month (`KEPT`), e.g. '2026-11'."""
    return day.strftime("%Y-%m")


def fresh(answer: dict[str, Any]) -> bool:
    """Whether a kept answer still holds today: read in the month it is now in the answer's own zone (the catalogue's,
    as the warehouse it was read on says: a Seoul month turns at midnight in Seoul, on a server on any zone). An answer
    without a day or with a zone this machine does not know is never fresh."""
    try:
        return str(answer["day"])[:7] == period(today(str(answer["zone"])))
    except (KeyError, TypeError, ValueError):  # zoneinfo's errors are ValueErrors (ZoneInfoNotFoundError included)
        return False


def _head(name: str) -> list:
    queries = KEPT[name][0]
    return [KEPT_FORMAT, name, [[q, sql.text(q)] for q in queries]]


def state(name: str, path: Path) -> list | None:
    """Everything the answer `name` of the warehouse at `path` depends on but the day, as the files are known to the
    file system: the identity of each part file it reads and its queries' SQL; None when such a part cannot be looked
    at (the read then says why)."""
    out = _head(name)
    for part in KEPT[name][1]:
        try:
            st = os.stat(part_path(path, part))
        except OSError:
            return None
        # a write swaps in a new file (a new inode and ctime); size and mtime besides, as version() has them. The
        # ctime also changes with anything done to the file by hand (a copy over it, even with its old mtime, a touch)
        out.append([part, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return out


def content(name: str, path: Path, known: list | None = None) -> list | None:
    """What the answer `name` depends on but the day, as the bytes are: each part file's size and SHA-256 and its
    queries' SQL; None when a part is larger than KEPT_HASH_MAX_BYTES or cannot be read, or when `known` is given (a
    `state`) and a part is no longer the file it names (a write swapped it while it was hashed)."""
    out = _head(name)
    for i, part in enumerate(KEPT[name][1]):
        try:
            with open(part_path(path, part), "rb") as f:
                st = os.fstat(f.fileno())
                if st.st_size > KEPT_HASH_MAX_BYTES:
                    return None
                if known is not None and known[3 + i][1:] != [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
                                                              st.st_ctime_ns]:
                    return None
                digest = hashlib.file_digest(f, "sha256").hexdigest()
        except OSError:
            return None
        out.append([part, st.st_size, digest])
    return out


def beside(path: Path, name: str) -> Path:
    """Where the write that made the warehouse at `path` keeps the answer `name` (e.g. cityindex.status.json)."""
    return path.with_name(f"{path.stem}.{name}.json")


KEPT_BESIDE_MAX_BYTES = 1 << 20  # an answer of 100 series is ~20 KB: a larger file there is not read


def kept_beside(path: Path, name: str) -> dict[str, Any] | None:
    """What the last write kept beside the warehouse for the answer `name`: {"state", "content", "answer"}, or None
    (no file, damaged, or larger than any answer)."""
    target = beside(path, name)
    try:
        if target.stat().st_size > KEPT_BESIDE_MAX_BYTES:
            return None
    except OSError:
        return None
    found = parsed.read(target)
    if isinstance(found, dict) and isinstance(found.get("answer"), dict):
        return found
    return None


def _cache(name: str, key: Any) -> Path:
    return parsed.cache_file(name, hashlib.sha256(json.dumps(key).encode()).hexdigest())


def kept(name: str, read: Callable[[], dict[str, Any]], path: Path | None = None) -> dict[str, Any]:
    """The answer `name`: what `read()` returns, a read of the warehouse at `path` by its named queries (`KEPT`),
    kept between commands, so that `cityidx status` answers without DuckDB when nothing it depends on has changed
    (issue 13, quick start-up).

    Such an answer is a function of the part files it reads (status: the published part alone), the queries' text
    and the month in the catalogue's time zone (the signals age every edition to today in whole months). It is kept
    under a key made of the files and the queries, in two forms: `state` knows each part file by its identity (device, inode, size, mtime, ctime: a build
    swaps in a new published part, so the key changes; an upload or a forum event swaps in another part, which status
    does not read), `content` by its bytes (size and SHA-256, for a part up to KEPT_HASH_MAX_BYTES: the same bytes
    touched, copied or moved by hand still have their answer). A file's identity is looked up first; its bytes are
    hashed only when no answer is kept for its identity. An answer is found in one of two places:

    - beside the warehouse (`beside`): the write that made the published part read the answer on its own staged file
      before the swap and kept it there with the state and content of the file it swapped in (build/warehouse.py,
      `keep_beside`), so the first status after a build reads no DuckDB either;
    - in the user's cache folder (`pipelines.messages.parsed`), where an earlier read kept it under both keys: `read`
      returns plain JSON data with, under "day" and "zone", the date DuckDB read it on in the catalogue's time zone and
      that zone; it is kept only when no part changed while it was read.

    A kept answer is used only while it is `fresh`: its day is in this month of its zone (computed here with Python's
    zoneinfo: the machine's own zone plays no part); else it is read again and kept anew. So a kept answer is never
    one of other bytes or another month. A part that is missing is never kept: `read` then
    raises its own error.
    """
    path = path or warehouse_path()
    before = state(name, path)
    if before is None:
        return read()
    found = kept_beside(path, name)
    if found is not None and not fresh(found["answer"]):
        found = None
    if found is not None and found.get("state") == before:
        return found["answer"]
    by_state = _cache(name, [str(path.absolute()), before])
    answer = parsed.read(by_state)
    if isinstance(answer, dict) and fresh(answer):
        return answer
    known = content(name, path, before)
    if known is not None:
        if found is not None and found.get("content") == known:
            # the next status on this file finds it without hashing; on these bytes, even without the file beside
            parsed.keep(by_state, found["answer"])
            parsed.keep(_cache(name, known), found["answer"])
            return found["answer"]
        answer = parsed.read(_cache(name, known))
        if isinstance(answer, dict) and fresh(answer):
            parsed.keep(by_state, answer)
            return answer
    answer = read()
    if fresh(answer) and state(name, path) == before:
        parsed.keep(by_state, answer)
        if known is not None:
            parsed.keep(_cache(name, known), answer)
    return answer
