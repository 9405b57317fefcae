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
from collections.abc import Callable, Sequence
from pathlib import Path
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


def connect_published(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the published part alone: the catalogue, editions, rankings and components, and
    the views over them only (a view that reads the values or forum part fails here). What `cityidx status` reads:
    two attachments fewer (~4 ms of CPU of a command that starts in ~0.15 s)."""
    import duckdb  # as in connect_read_only

    con = duckdb.connect()
    try:
        sql.execute(con, ATTACH["published"], path=str(part_path(path or warehouse_path(), "published")))
        sql.execute(con, "use_published")
        return con
    except BaseException:
        con.close()
        raise


# --- answers kept between commands (issue 13, quick start-up) -----------------------------------------------------

KEPT_FORMAT = "2"  # changed when what `kept` keeps changes shape: every answer kept before is then ignored

# Each answer kept, by name: the named queries it runs and the parts it reads. `cityidx status`: the focus city, its
# standing per series and the day DuckDB read them on (the signals age every edition to today), all of it in the
# published part, attached alone (connect_published).
KEPT = {"status": (("focus_city_id", "focus_standing", "current_day"), ("published",))}


def standing(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The answer `status`, read on `con` (the published part its default catalogue: a reader's session, or a build's
    staged file before the swap): plain JSON data (rows as lists, no pandas), with under "day" the day DuckDB read
    it on."""
    return {"focus": sql.value(con, "focus_city_id"),
            "rows": [list(r) for r in sql.rows(con, "focus_standing")],
            "day": sql.value(con, "current_day")}


def today() -> dt.date:
    """The day where the command runs (local time, as DuckDB's `current_date`)."""
    return dt.date.today()


def state(name: str, path: Path, day: dt.date) -> list | None:
    """Everything the answer `name` of the warehouse at `path`, read on `day`, depends on: the identity of each part
    file it reads, its queries' SQL and the day; None when such a part cannot be looked at (the read then says why)."""
    queries, reads = KEPT[name]
    out: list = [KEPT_FORMAT, name, day.isoformat(), [[q, sql.text(q)] for q in queries]]
    for part in reads:
        try:
            st = os.stat(part_path(path, part))
        except OSError:
            return None
        # a write swaps in a new file (a new inode and ctime); size and mtime besides, as version() has them. The
        # ctime also changes with anything done to the file by hand (a copy over it, even with its old mtime, a touch)
        out.append([part, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns])
    return out


def beside(path: Path, name: str) -> Path:
    """Where the write that made the warehouse at `path` keeps the answer `name` (e.g. cityindex.status.json)."""
    return path.with_name(f"{path.stem}.{name}.json")


KEPT_BESIDE_MAX_BYTES = 1 << 20  # an answer of 100 series is ~20 KB: a larger file there is not read


def kept_beside(path: Path, name: str, now: list) -> Any:
    """The answer `name` the last write kept beside the warehouse, when it was kept for exactly the state `now` (the
    part files as they are, the queries' SQL, today); else parsed.MISSING (also for a file larger than any answer)."""
    target = beside(path, name)
    try:
        if target.stat().st_size > KEPT_BESIDE_MAX_BYTES:
            return parsed.MISSING
    except OSError:
        return parsed.MISSING
    found = parsed.read(target)
    if isinstance(found, dict) and found.get("state") == now and isinstance(found.get("answer"), dict):
        return found["answer"]
    return parsed.MISSING


def kept(name: str, read: Callable[[], dict[str, Any]], path: Path | None = None) -> dict[str, Any]:
    """The answer `name`: what `read()` returns, a read of the warehouse at `path` by its named queries (`KEPT`),
    kept between commands, so that `cityidx status` answers without DuckDB when nothing it depends on has changed
    (issue 13, quick start-up).

    Such an answer is a function of the part files it reads (status: the published part alone), the queries' text
    and the day (the signals age every edition to today): it is kept under a key made of exactly these (`state`) —
    each such part file's device, inode, size, mtime and ctime (a build swaps in a new published part, so the key
    changes; an upload or a forum event swaps in another part, which status does not read), the queries' SQL and
    today's date where the command runs. It is found in one of two places:

    - beside the warehouse (`beside`): the write that made the published part read the answer on its own staged file
      before the swap and kept it there with the state of the file it swapped in (build/warehouse.py, `keep_beside`),
      so the first status after a build reads no DuckDB either;
    - in the user's cache folder (`pipelines.messages.parsed`), where an earlier read kept it: `read` returns plain
      JSON data with, under "day", the date DuckDB read it on (ISO: DuckDB's `current_date` and Python's date follow
      the same local time zone); it is kept only when that is the key's day and no part changed while it was read.

    So a kept answer is never one of another warehouse file or another day. A part that is missing is never kept:
    `read` then raises its own error.
    """
    path = path or warehouse_path()
    before = state(name, path, today())
    if before is None:
        return read()
    answer = kept_beside(path, name, before)
    if answer is not parsed.MISSING:
        return answer
    target = parsed.cache_file(name, hashlib.sha256(json.dumps([str(path.absolute()), before]).encode()).hexdigest())
    answer = parsed.read(target)
    if answer is not parsed.MISSING:
        return answer
    answer = read()
    if answer.get("day") == before[2] and state(name, path, today()) == before:
        parsed.keep(target, answer)
    return answer
