"""The only writer of the DuckDB warehouse: schema from sql/warehouse.sql, each part staged beside its file,
swapped in by one rename.

The warehouse is three files, split by what changes together (pipelines/sql/parts.py): the published part
(catalogue, rankings, components and every view), the values part (uploads) and the forum part. A full build
writes all three; an upload rewrites only the values part and a forum event only the forum part, so a write
costs what it writes, not what the warehouse holds.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines import sql
from pipelines.errors import storage_error
from pipelines.messages import parsed
from pipelines.build.rankings import (appended_early, building, building_columns, let_go_components, staged_in_place,
                                      taken)
from pipelines.schemas import Stored, col, cursor, duckdb, in_duckdb
from pipelines.sql import parts
from pipelines.sql.parts import DEFAULT_WAREHOUSE, connect_read_only, warehouse_path  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    from pipelines.catalogue import Catalogue
    from pipelines.schemas import Problem, Table

SCHEMA_SQL = sql.SCHEMA

# Tables of each part, in load order (foreign keys point backwards, and never across parts).
PART_TABLES = {
    "published": (
        "setting", "analysis_setting", "message", "policy_area", "office", "series", "component",
        "source_tier", "source_domain", "methodology_note",
        "peer_city", "city", "edition", "ranking_row", "component_row",
        "indicator", "indicator_feed",
    ),
    "values": ("ledger_upload", "indicator_version"),
    "forum": ("forum_event", "forum", "meeting", "agenda_item", "agenda_link", "action_item", "action_link", "action_log"),
}
TABLE_ORDER = tuple(name for part in parts.PARTS for name in PART_TABLES[part])
PART_OF = {name: part for part, names in PART_TABLES.items() for name in names}
# the staged file of each other part, attached while the published part (which holds the views) is staged
_STAGE_ATTACH = {"values": "stage_attach_values", "forum": "stage_attach_forum"}
# tables a build holds in the working DuckDB (not in pandas), and the statement that stages each
HELD = {"component_row": "stage_component_rows", "ranking_row": "stage_ranking_rows"}
_CREATE = re.compile(r"^\s*create\s+(table|view|macro)\s+(\w+)", re.I | re.M)


def schema_statements(part: str) -> list[str]:
    """The statements of sql/warehouse.sql that make one part: its tables, and for the published part every view
    and macro (they find the other parts' tables by name when they are read)."""
    return [query for kind, name, query in _schema(SCHEMA_SQL.read_text(encoding="utf-8"))
            if (kind != "table" and part == "published") or (kind == "table" and PART_OF.get(name) == part)]


@functools.lru_cache(maxsize=4)
def _schema(text: str) -> tuple[tuple[str, str, str], ...]:
    """warehouse.sql as its statements (kind, name, text), split once per content of the file and DuckDB version:
    DuckDB's parser takes ~25-30 ms of CPU over it, which every build paid (for the component table's statement)
    although the file rarely changes, so the split is kept as JSON in the user's cache folder, named by the file's
    hash (`pipelines.messages.parsed`, as the messages and the named queries are); `text` is the file's content."""
    def split() -> list[list[str]]:
        out = []
        for statement in duckdb.extract_statements(text):
            found = _CREATE.search(statement.query)
            if found is None:
                raise ValueError(f"{SCHEMA_SQL}: only create table/view/macro statements belong here: {statement.query[:80]!r}")
            out.append([found.group(1).lower(), found.group(2), statement.query])
        return out

    if text != SCHEMA_SQL.read_text(encoding="utf-8"):  # not the file (a test's own text): split here
        return tuple(map(tuple, split()))
    return tuple(map(tuple, parsed.load([SCHEMA_SQL], f"schema-duckdb{duckdb.__version__}", split)))


def table_statement(name: str) -> str:
    """The create statement of one table in sql/warehouse.sql (split once per content, as schema_statements)."""
    for kind, found, query in _schema(SCHEMA_SQL.read_text(encoding="utf-8")):
        if kind == "table" and found == name:
            return query
    raise KeyError(f"{SCHEMA_SQL}: no table {name!r}")


def staged_path(path: Path, part: str) -> Path:
    """Where a write stages one part of the warehouse at `path`: beside its file, named for this process (a
    killed writer's is removed by the next: remove_stale)."""
    target = parts.part_path(path, part)
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def inputs_digest(cat: Catalogue) -> str:
    """What the published part is a function of, as one digest: the schema, the catalogue, and the published
    ledger files by name, size and modification time. A write rebuilds its part alone only when the published part
    was built from the same inputs; otherwise it rebuilds everything. The time is there because a corrected figure
    can keep its file's size (a rank 6 made 4); reading the files' contents instead would make every write cost as
    much as the published ledger is large (hundreds of MB in the synthetic scale run)."""
    h = hashlib.sha256()
    h.update(SCHEMA_SQL.read_bytes())
    h.update(cat.path.read_bytes())
    for f in cat.raw_files():
        try:
            st = f.stat()
            seen = f"{st.st_size}:{st.st_mtime_ns}"
        except FileNotFoundError:
            seen = "-1"
        h.update(f"{f.relative_to(cat.root) if f.is_relative_to(cat.root) else f}:{seen}\n".encode())
    return h.hexdigest()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale(target: Path) -> list[Path]:
    """Staged files of `target` left by killed writers (`.cityindex.duckdb.PID.tmp` whose PID is gone, and their
    .wal): removed by the next writer, which holds the one lock, so no live writer's file is touched."""
    removed = []
    for tmp in target.parent.glob(f".{target.name}.*.tmp*"):
        pid = tmp.name[len(target.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def stage_early(tables: dict[str, Table | duckdb.DuckDBPyRelation],
                checks: dict[str, Callable[[duckdb.DuckDBPyRelation, int], list[Problem]]] | None = None
                ) -> dict[str, list[Problem]]:
    """The published part's tables among `tables` appended to the staged file the build's component rows go into
    (rankings.staged_in_place), while its components files are still read: the write, after the last file, appends
    only the others (issue 13: at 3.24M component rows ranking_row alone was ~0.1 s of CPU of the build's serial end,
    on one core). In PART_TABLES order, so that each table a foreign key names is there first, in one transaction; a
    build that stages no file (a check), or one made without the schema template, appends nothing. A build that
    fails removes the file, whatever went into it (rankings.let_go_components).

    `checks[name](rows, count)`: that table's problems, judged on its rows (with `ROW`, each record's place) as they
    are appended: its records are converted to DuckDB once, by DuckDB's appender straight into the staged table, and
    judged where they lie (`_append_early`); a table its staged table refuses (a NOT NULL, a key twice, a value its
    column cannot hold) or any problem, and everything is taken back and done again as before: each checked table's
    records held on the build's cursor (schemas.Table.held) with their places, judged, and appended from there only
    when it has no problem, so every problem is named as before, never DuckDB's refusal. Returns the problems of each
    table it judged (an empty one is not: no row to hold); when there are any, nothing is appended. A table without
    a check goes in as it is (checked already, or with no model)."""
    con = building()
    if staged_in_place() is None or con is None:
        if con is not None:
            con.close()
        return {}
    done = appended_early()
    try:
        sql.execute(con, "components_use")
        columns = building_columns(con)
        # first each checked table appended straight into its staged table and judged there; a table refused on the
        # way in (a key twice, a value its column cannot hold), or any problem, and everything is taken back and done
        # again as before, which names every problem by its record's place (issue 13)
        for straight in (True, False):
            # one transaction: the file keeps a write-ahead log (rankings.start_components), synced at every commit
            con.begin()
            try:
                appended, judged = _append_early(con, tables, checks or {}, columns, done, straight)
            except duckdb.Error:
                con.rollback()
                if straight:
                    continue
                raise
            if any(judged.values()):
                con.rollback()
                if straight:
                    continue
                return judged
            con.commit()
            done |= appended  # only once they are in: a transaction rolled back appended none of them
            return judged
    finally:
        con.close()  # a transaction left open is rolled back
    return {}


def _append_early(con: duckdb.DuckDBPyConnection, tables: dict[str, Table | duckdb.DuckDBPyRelation],
                  checks: dict[str, Callable[[duckdb.DuckDBPyRelation, int], list[Problem]]],
                  columns: dict[str, list[str]], done: set[str], straight: bool
                  ) -> tuple[set[str], dict[str, list[Problem]]]:
    """stage_early's appends, in its open transaction: the tables appended and the problems of each judged one.
    `straight`: a checked table is appended by DuckDB's appender (Table.append) and judged on the rows as its staged
    table holds them, without holding its records apart first (issue 13: a real build's ranking_row, 1,646 rows, held
    ~26 ms, checked ~6 and appended from there ~3; appended ~9 and judged where it lies ~7): what such a judgement
    finds is only whether there is a problem (the caller then judges again the other way); otherwise its records
    are held on the build's cursor (Table.held, each with its place), judged there and appended from there."""
    appended, judged = set(), {}
    for name in PART_TABLES["published"]:
        # a file made without the schema template holds component_row alone: the write makes the others
        if name in tables and name in columns and name not in done \
                and not in_duckdb(tables[name]):
            table = tables[name]
            table.select(columns[name])  # every column the staged table has (else a KeyError, as a frame's)
            if not len(table):  # by position, as stage_part inserts; nothing to insert or judge
                appended.add(name)
                continue
            if name not in checks:  # by DuckDB's appender (a large table as converted for its check)
                table.append(con, name, columns[name])
            elif straight:
                table.append(con, name, columns[name])
                judged[name] = checks[name](Stored(con, name, list(table.columns)), len(table))
            else:
                rows = table.held(con, row=True)
                judged[name] = checks[name](rows, len(table))
                if not judged[name]:  # a table with a problem is not appended (nothing is): its problems are said, not
                    rows.select(*map(col, columns[name])).insert_into(name)  # a constraint DuckDB refuses it by
            appended.add(name)
    return appended, judged


def stage_part(part: str, tables: dict[str, Table | duckdb.DuckDBPyRelation], path: Path,
               staged: dict[str, Path] | None = None, template: Path | None = None, rows: bool = True,
               small: bool = False) -> Path:
    """Write one part's tables into a new file beside its live file and return it; nothing live is touched.

    The published part holds the views: `staged` names the other parts' staged files, which it attaches
    read-only while the views are created (they bind to the tables there, by name). A new published part starts
    as a copy of `template` when given (`schema_template`: every table, view and macro already made). `rows`:
    False to stage the tables without their rows (what makes the template). `small`: a published part made new here
    (no template, or the template itself) is written in blocks of 16 KiB, as the other parts are (a small ledger's:
    `schema_template`).
    """
    target = parts.part_path(path, part)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        for other in parts.PARTS:  # every part's leftovers, whichever part this write rebuilds
            remove_stale(parts.part_path(path, other))
    except OSError as exc:
        raise storage_error(exc, target) from exc
    tmp = staged_path(path, part)
    # a build may have written its large tables into this very file already (rankings.start_components): then
    # the file only needs the rest
    in_place = any(in_duckdb(tables.get(n)) for n in PART_TABLES[part]) \
        and staged_in_place() == tmp
    early = set(appended_early()) if in_place else set()  # appended by the build already (stage_early)
    if not in_place:
        tmp.unlink(missing_ok=True)
    try:
        if not in_place and template is not None and part == "published":
            from_template(template, tmp)
        elif not in_place and rows and part != "published":  # the part's empty file, kept (a template is rows=False)
            kept = part_template(part)
            if kept is not None:
                from_template(kept, tmp)
        # a build stages every part in its own DuckDB (the large tables it holds there are read in place); a write of
        # one part without a build, on a cursor of the process's working DuckDB (schemas.cursor: a new in-memory
        # database cost ~20 ms of CPU of every upload and forum event, issue 13), one staging at a time there (the
        # staged file is attached under one name)
        con = building()
        shared = con is None
        if shared:
            _SHARED_STAGING.acquire()
            try:
                con = cursor()
                sql.execute(con, "stage_detach")  # whatever an earlier staging there left attached, let go
            except BaseException:
                _SHARED_STAGING.release()
                raise
        try:
            # status's answer, read on the build's file while the other parts were staged (_answers_early)
            read_early = _early.pop(tmp, None) if in_place and part == "published" else None
            answer_early = None if read_early is None else read_early.result()
            whole = (in_place and part == "published" and rows and read_early is not None
                     and all(name in early or in_duckdb(tables.get(name)) for name in PART_TABLES[part]))
            if whole:
                # every table is in the build's file already and status's answer read: the file is written out as it
                # is and let go, not opened again to append nothing (issue 13: ~8 ms of the build's serial end)
                if answer_early is not None:
                    _answers[tmp] = answer_early
                sql.execute(con, "components_checkpoint")
                sql.execute(con, "components_close")
                taken()  # the write's to swap in or remove now
            elif in_place:
                sql.execute(con, "components_close")  # the build's own name for the file, let go
            if not whole:
                # a part made new here is small by nature (uploads, the forum); the published part (the template's copy,
                # or the build's file of component rows) keeps DuckDB's blocks
                new = (part != "published" or small) and not tmp.exists()
                sql.execute(con, "stage_create" if new else "stage_open", path=str(tmp))
                sql.execute(con, "stage_use")
                if part == "published":
                    for other, name in _STAGE_ATTACH.items():
                        sql.execute(con, name, path=str((staged or {})[other]))
                    sql.execute(con, "stage_search_path")
                # the file holds either every table of its part (a copy of the schema template: its views and macros
                # too), or none but the build's held ones (rankings.start_components), or nothing yet (made here: no
                # table to ask for)
                columns = {} if new else dict(sql.rows(con, "staged_columns"))
                if not set(PART_TABLES[part]) <= set(columns):
                    # the missing ones in one round trip (issue 13: a statement each was ~0.5 ms, ten for the forum part)
                    con.execute(";\n".join(statement for statement in schema_statements(part)
                                           if _CREATE.search(statement).group(2) not in columns))
                    columns = dict(sql.rows(con, "staged_columns"))
                for name in PART_TABLES[part] if rows else ():
                    if in_duckdb(tables[name]):  # held in DuckDB: there already, or copied
                        if not in_place:
                            sql.execute(con, HELD[name])
                        continue
                    if name in early:
                        continue
                    # the rows go in by position, so the columns go in the table's order; an empty table is checked
                    # for its columns and not inserted (an insert costs ~2 ms however small)
                    table = tables[name]
                    table.select(columns[name])  # every column the staged table has (else a KeyError, as a frame's)
                    if len(table):  # by DuckDB's appender (a large table as converted for its check: Table.append)
                        table.append(con, name, columns[name])
                if part == "published" and rows and read_early is not None:
                    if answer_early is not None:
                        _answers[tmp] = answer_early
                elif part == "published" and rows:
                    _read_answers(con, tmp)
                sql.execute(con, "stage_close")
                if in_place:
                    taken()  # the write's to swap in or remove now
        finally:
            try:
                sql.execute(con, "stage_detach")  # the working DuckDB outlives the write: it lets the files go
            finally:
                con.close()
                if shared:
                    _SHARED_STAGING.release()
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
    except BaseException as exc:
        _answers.pop(tmp, None)
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        if isinstance(exc, (OSError, duckdb.IOException)):  # the disk refused: say which file and why
            raise storage_error(exc, tmp) from exc
        raise
    return tmp


_SHARED_STAGING = threading.Lock()  # a staging on the working DuckDB (stage_part), one at a time in a process


def from_template(template: Path, target: Path) -> bool:
    """`target` made a copy of the schema `template`; False (and no file) when the copy failed (the template was
    removed meanwhile, the disk refused): the caller then makes the schema itself, as without a template."""
    try:
        shutil.copyfile(template, target)
        return True
    except OSError:
        target.unlink(missing_ok=True)
        return False


def stage(tables: dict[str, Table | duckdb.DuckDBPyRelation], path: Path, only: tuple[str, ...] = parts.PARTS,
          template: Path | None = None, rows: bool = True, small: bool = False) -> dict[str, Path]:
    """Stage the parts named in `only` (default: all) from `tables`; {part: staged file}. On an error nothing
    staged is left behind. `template`, `rows` and `small` as in stage_part."""
    staged: dict[str, Path] = {}
    try:
        # the published part last: its views bind to the others' staged tables
        for part in sorted(only, key=lambda p: p == "published"):
            staged[part] = stage_part(part, tables, path, staged, template, rows, small)
    except BaseException:
        discard(staged)
        raise
    return staged


def discard(staged: dict[str, Path]) -> None:
    for f in staged.values():
        _answers.pop(f, None)
        f.unlink(missing_ok=True)


def swap(staged: dict[str, Path], path: Path) -> Path:
    """Put each staged part in place of its file with one atomic rename; the published part (the views, and
    the file readers look for) last. Each part is whole at every moment; a process killed between two renames
    leaves parts of two consecutive builds, each a pure function of its own ledger, until the next write."""
    swapped = 0
    made = None
    try:
        for part in sorted(staged, key=lambda p: p == "published"):
            if part == "published":
                made = os.stat(staged[part])
            os.replace(staged[part], parts.part_path(path, part))
            swapped += 1
    except BaseException as exc:
        _answers.pop(staged.get("published"), None)
        discard({p: f for p, f in staged.items() if f.exists()})
        if isinstance(exc, OSError):
            error = storage_error(exc, path)
            error.swapped = swapped  # writes.commit takes its entry back out when nothing was swapped
            raise error from exc
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    if made is not None:
        keep_beside(path, staged["published"], made)
    return path


# --- answers kept beside the published part (issue 13, quick start-up) ---------------------------------------------

# what each published part staged in this process answers (parts.KEPT), by its staged file, until it is swapped in
_answers: dict[Path, dict[str, dict]] = {}


def _read_answers(con: duckdb.DuckDBPyConnection, staged: Path) -> None:
    """Read `cityidx status`'s answer on the published part just staged (its default catalogue on `con`), while the
    build's DuckDB has it open: ~20-30 ms of CPU here spares the first status after the write its DuckDB session
    (~60 ms and the import). An answer that cannot be read is not kept (status then reads the warehouse itself)."""
    try:
        _answers[staged] = {"status": parts.standing(con)}
    except duckdb.Error:
        _answers.pop(staged, None)


# status's answer of a build's published part, being read on its own thread while the other parts are staged
# (_answers_early), by the staged file it will be
_early: dict[Path, concurrent.futures.Future] = {}


def _answers_early(staged: Path) -> None:
    """Start reading status's answer (`_read_answers`) on the build's own file (rankings.start_components) on a thread
    of its own, while the write stages the values and forum parts: every table of the published part is in that file
    already (the component rows, and every other table appended early, stage_early), so the answer is the one the
    staged part gives; the staging of the published part takes it (`_early`) before it lets the file go (issue 13:
    ~10 ms of the build's serial end). Nothing is started when a table of the published part is not there yet."""
    con = building()
    if con is None:
        return
    if not set(PART_TABLES["published"]) - {"component_row"} <= appended_early():
        con.close()
        return

    def read() -> dict[str, dict] | None:
        try:
            sql.execute(con, "components_use")
            return {"status": parts.standing(con)}
        except duckdb.Error:
            return None
        finally:
            con.close()

    found: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            found.set_result(read())
        except BaseException as exc:  # noqa: BLE001 - given to the staging, which raises it
            found.set_exception(exc)

    _early[staged] = found
    threading.Thread(target=run, name="cityidx-answers", daemon=True).start()


def keep_beside(path: Path, staged: Path, made: os.stat_result) -> None:
    """After the swap: keep each answer read on the staged published part beside the warehouse (`parts.beside`),
    under the state and the content of the file now in place (`parts.state`: device, inode, size, mtime, ctime;
    `parts.content`: size and SHA-256; each with the queries' SQL), and only when that file is the one staged (same
    inode, size and mtime as before its rename) and the answer is `parts.fresh` (read in this month of its zone). One rename each,
    so a reader finds a whole answer or the one before, which names the file before (a killed write's half is
    `remove_stale`'s); anything else removes the answer there, and none is ever kept for a file this write did not
    make. A disk that refuses changes nothing of the write, which is done: status then reads the warehouse itself."""
    for name, answer in _answers.pop(staged, {}).items():
        target = parts.beside(path, name)
        tmp = staged.with_name(f"{staged.name}.{name}")  # `.cityindex.duckdb.PID.tmp.status`: remove_stale's when killed
        try:
            now = parts.state(name, path)
            same = (now is not None and parts.fresh(answer)
                    and parts.KEPT[name][1] == ("published",)
                    and now[-1][2:5] == [made.st_ino, made.st_size, made.st_mtime_ns])
            text = json.dumps({"state": now, "content": parts.content(name, path, now) if same else None,
                               "answer": answer}, ensure_ascii=False)
            if not same or json.loads(text)["answer"] != answer:
                target.unlink(missing_ok=True)
                continue
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        except (OSError, ValueError, TypeError):
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
                target.unlink(missing_ok=True)


def let_go() -> None:
    """The tables a build held in its own DuckDB, let go once written (or not): their memory back."""
    let_go_components()


def write(tables: dict[str, Table | duckdb.DuckDBPyRelation], path: Path) -> Path:
    """Write every part beside its file, then swap them in; on any error before the swap nothing changes.

    The caller holds `ledger.store.writing` for `path`.
    """
    # the published part the build staged already (its rows went in as they were read) needs no template
    in_place = staged_in_place() == staged_path(path, "published")
    if in_place:
        _answers_early(staged_path(path, "published"))
    try:
        return swap(stage(tables, path, template=None if in_place else schema_template()), path)
    finally:  # a write that failed before it took the answer: its reader done before the build's DuckDB goes
        left = _early.pop(staged_path(path, "published"), None)
        if left is not None:
            concurrent.futures.wait([left])


# --- the published part's schema, made once per warehouse.sql (issue 13) ----------------------------------------

TEMPLATE_FORMAT = "1"  # changed when how the template is made changes: every template made before is then ignored
_TEMPLATE_QUERIES = ("stage_open", "stage_create", "stage_use", "stage_attach_values", "stage_attach_forum", "stage_search_path",
                     "stage_close")


def _template_key(small: bool = False) -> str:
    """Everything the template is a function of: warehouse.sql, which part holds which table, the statements that
    stage a part, the DuckDB that writes the file, and its blocks (`small`)."""
    h = hashlib.sha256(f"{TEMPLATE_FORMAT}\0{duckdb.__version__}\0{sorted(PART_TABLES.items())!r}\0{small}\0".encode())
    h.update(SCHEMA_SQL.read_bytes())
    for name in _TEMPLATE_QUERIES:
        h.update(f"\0{name}\0{sql.text(name)}".encode())
    return h.hexdigest()


def schema_template(small: bool = False) -> Path | None:
    """An empty published part: every table, view and macro of warehouse.sql, no rows; None where none can be kept.

    Creating the views and macros is DuckDB binding each of them (~60-90 ms of CPU of every build, most of the
    write's own work at today's size), and gives the same file every time for one warehouse.sql. So it is made
    once per content of warehouse.sql (and DuckDB version), by the very statements a build runs (`stage` with no
    rows), kept in the user's cache folder beside the parsed messages (pipelines/messages/parsed.py), with its
    SHA-256 beside it; a build's published part starts as a copy of it. A template whose bytes do not match their
    hash is made again; where the folder cannot be written, each build makes the schema itself, as before. The same
    staging makes the values and the forum parts' empty files, kept beside it (`part_template`).

    `small`: the template of a small ledger's published part (the real one: `rankings.small_ledger`), in blocks of
    16 KiB as the values and forum parts are: a table's first block is 16 KiB, not 256, so the real published part
    is ~1.3 MB instead of ~11.5 MB, and the write's checkpoint, its fsync and the status answer's hash of the file
    cost that much less (issue 13: copied, synced and hashed, ~27 ms of wall and ~11 ms of CPU against ~6 and ~2).
    A large ledger's (3.24M component rows) keeps DuckDB's blocks.
    """
    folder = parsed.cache_folder()
    target = folder / f"published-schema.{_template_key(small)[:32]}.duckdb"
    others = {part: _part_template_path(folder, part) for part in _PART_TEMPLATES}
    if _whole(target) and all(map(_whole, others.values())):
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder, prefix=".schema-") as work:
            made = stage({}, Path(work) / "cityindex.duckdb", rows=False, small=small)
            for part, kept in ((p, others.get(p, target)) for p in ("published", *_PART_TEMPLATES)):
                digest = hashlib.sha256(made[part].read_bytes()).hexdigest()
                sidecar = Path(work) / f"{part}.sha256"
                sidecar.write_text(digest, encoding="ascii")
                # the file first, then its hash: a reader finds either no hash, or the hash of the file in place
                os.replace(made[part], kept)
                os.replace(sidecar, kept.with_name(kept.name + ".sha256"))
        for prefix in ("published", *_PART_TEMPLATES):
            for old in sorted(folder.glob(f"{prefix}-schema.*.duckdb"), key=lambda f: f.stat().st_mtime)[:-parsed.KEEP]:
                old.unlink(missing_ok=True)
                old.with_name(old.name + ".sha256").unlink(missing_ok=True)
    except (OSError, duckdb.Error):
        return None
    return target


_PART_TEMPLATES = ("values", "forum")  # the parts every write makes new (stage_create): their empty files kept too


def _whole(kept: Path) -> bool:
    """Whether a kept template's bytes match the hash kept beside it."""
    try:
        return kept.with_name(kept.name + ".sha256").read_text(encoding="ascii") == \
            hashlib.sha256(kept.read_bytes()).hexdigest()
    except OSError:  # not made yet (or half removed)
        return False


def _part_template_path(folder: Path, part: str) -> Path:
    # the values and forum parts are made in blocks of 16 KiB whatever the published part's (`small`)
    return folder / f"{part}-schema.{_template_key(False)[:32]}.duckdb"


def part_template(part: str) -> Path | None:
    """The values or the forum part with every table and no row, as `stage_part` makes it new (`stage_create`, then
    warehouse.sql's statements of that part), kept by `schema_template` beside the published part's template; None
    when none is kept whole (then the part is made as before). A write copies it instead of creating the part's tables
    (issue 13: ~3 ms of CPU for the values part and ~7 for the forum part, of every build, upload and forum event)."""
    kept = _part_template_path(parsed.cache_folder(), part)
    return kept if part in _PART_TEMPLATES and _whole(kept) else None


def built_from(path: Path) -> str | None:
    """The inputs digest of the warehouse at `path`, or None when a part is missing or unreadable (then a write
    rebuilds everything)."""
    if parts.version(path) is None:
        return None
    # the published part alone, read-only, on a cursor of the process's working DuckDB (a session of its own on
    # every part cost ~35 ms of CPU of a write, issue 13), attached under one name: one at a time
    with _SHARED_STAGING:
        con = cursor()
        try:
            sql.execute(con, "built_from_detach")  # left attached by a read that failed half-way: let go
            sql.execute(con, "built_from_attach", path=str(path))
            try:
                return sql.value(con, "built_from_digest")
            finally:
                sql.execute(con, "built_from_detach")
        except duckdb.Error:
            return None
        finally:
            con.close()
