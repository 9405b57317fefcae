"""The `cityidx` command line: a thin layer over the library."""

from __future__ import annotations

import gc
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click

# Start-up: only light modules here (click, the messages, the error type, the named queries, which load on first
# use, the warehouse's part files, whose DuckDB loads when a session is opened), so that `cityidx --help` starts
# without DuckDB and `cityidx status` about as fast as `import duckdb` (without it, when its answer is kept; on DuckDB's
# engine alone, parts.engine, when it reads the warehouse).
# A command that needs the accounts (argon2), the ledger's seal, the catalogue (pydantic), the build (pandas,
# pandera) or a report imports it in its own body (docs/architecture.md, "Start-up").
from pipelines import sql
from pipelines.analysis import signals  # light: the messages only
from pipelines.errors import CityIdxError, storage_error
from pipelines.messages import DEFAULT_LANG, LANGS, both, t, visible
from pipelines.sql import parts  # light: DuckDB loads when a session is opened

if TYPE_CHECKING:
    from types import ModuleType

    import duckdb

    from pipelines import build
    from pipelines.catalogue import Catalogue

LANG_OPTION = click.option(
    "--lang", type=click.Choice(LANGS), default=DEFAULT_LANG, envvar="CITYIDX_LANG", show_default=True,
    help="Language of tables and labels (problems are always shown in both).",
)
CATALOGUE_OPTION = click.option(
    "--catalogue", "catalogue_path", type=click.Path(path_type=Path), default=None, envvar="CITYIDX_CATALOGUE",
    help="The catalogue file (default: indicators.yml at the project root).",
)


@contextmanager
def _usage_shown_visibly() -> Iterator[None]:
    """Click's own usage errors repeat what was typed (an option, a value, a command name): shown with what would act
    in a terminal written as its escape (messages.visible), as every message of ours is."""
    try:
        yield
    except click.ClickException as exc:
        exc.message = visible(exc.message, keep="\n")
        raise


class Boundary(click.Group):
    """The one error boundary: a CityIdxError from any command is printed in Korean and English, exit code 1.

    Commands raise and never exit themselves (as sqlite-utils turns its errors into ClickException once).
    """

    def make_context(self, *args, **kwargs) -> click.Context:
        with _usage_shown_visibly():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context):
        try:
            with _usage_shown_visibly():
                return super().invoke(ctx)
        except CityIdxError as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)
        except OSError as exc:  # a disk that refused, outside a write that already says so: the path and why
            click.echo(str(storage_error(exc)), err=True)
            ctx.exit(1)


class Words(click.Choice):
    """A choice among words owned by a module the command line loads only when the option is used or its command's
    help is shown (the account roles, the forum log's vocabulary): `cityidx --help` and `status` start without it."""

    def __init__(self, words: Callable[[], tuple[str, ...]]):
        self._words = words
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._words())

    @choices.setter
    def choices(self, value: tuple[str, ...]) -> None:  # click.Choice sets them; they are read from `words`
        pass


def _accounts() -> ModuleType:
    from pipelines import accounts  # argon2 and the sign-in sessions: loaded by the commands that act as someone

    return accounts


def _forum_log() -> ModuleType:
    from pipelines.ledger import forum

    return forum


@contextmanager
def _read_warehouse(path: Path | None = None,
                    connect: Callable[[Path], duckdb.DuckDBPyConnection] = parts.connect_read_only,
                    ) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the warehouse for the duration of a command's read, or the error that says to build
    it first. DuckDB refusing what it reads there (a damaged part, a file that is not DuckDB's, one made without
    the tables and views the command reads) is told as the one error type, naming the file, in Korean and
    English: never a traceback."""
    path = path or parts.warehouse_path()
    if not path.is_file():
        raise CityIdxError("cli.no_warehouse", path=path)
    refused = parts.engine().Error  # the same class as duckdb.Error
    try:
        with connect(path) as con:
            yield con
    except refused as exc:
        raise CityIdxError("cli.bad_warehouse", path=path, detail=str(exc).splitlines()[0][:300]) from exc


def _catalogue(path: Path | None) -> Catalogue:
    """indicators.yml as the typed model (pydantic is loaded here, by the commands that read the catalogue)."""
    from pipelines import catalogue

    return catalogue.load(path)


def _built_catalogue(path: Path | None) -> Catalogue:
    """The catalogue a build reads: as kept when it last passed validation, without pydantic (catalogue_data, issue
    13); else validated here (pydantic), and kept."""
    from pipelines import catalogue_data

    cat = catalogue_data.load_kept(path)
    if cat is None:
        cat = _catalogue(path)
        catalogue_data.keep(cat)
    return cat


def _warn(result: build.BuildResult) -> None:
    for w in result.warnings:
        click.echo(w.both(), err=True)


@click.group(cls=Boundary, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """City competitiveness indices: ledger, warehouse and dashboard.

    \b
    Example:
        cityidx check && cityidx build && cityidx status
    """


@main.command()
@CATALOGUE_OPTION
def check(catalogue_path: Path | None) -> None:
    """Validate the catalogue and every ledger file; write nothing.

    \b
    Example:
        cityidx check
    Exit code 0 when everything is valid, 1 when a problem was found (each names file, row and column).
    """
    from pipelines import build

    result = build.collect(_catalogue(catalogue_path))
    _warn(result)
    c = result.counts
    click.echo(both("cli.check_ok", series=c["series"], rankings=c["ranking_row"],
                    components=c["component_row"], cities=c["city"]))


@main.command()
@CATALOGUE_OPTION
@click.option("--reseal", is_flag=True, help="After a deliberate correction: make the ledger as it is now the new genesis.")
@click.option("--reason", default=None, help="Why (required with --reseal; kept in the audit log).")
@click.option("--as", "as_user", default=None, help="The admin re-sealing (default: $USER).")
def verify(catalogue_path: Path | None, reseal: bool, reason: str | None, as_user: str | None) -> None:
    """Check the whole ledger's seal: every entry's chain link and signature, nothing removed, nothing dated ahead.

    \b
    Example:
        cityidx verify
        cityidx verify --reseal --reason "removed a personal phone number from an upload (ticket 42)" --as root
    Exit code 0 when every chain holds; 1 otherwise, naming each entry that broke its chain.
    """
    from pipelines import accounts
    from pipelines.ledger import seal
    from pipelines.schemas import Problem, ProblemsFound

    cat = _catalogue(catalogue_path)
    if reseal:
        if not reason:
            raise click.UsageError(both("cli.reseal_needs_reason"))
        by = accounts.require_admin(_as(as_user))
        click.echo(both("cli.resealed", entries=seal.reseal(cat, by or "-", reason)))
        return
    report = seal.verify(cat)
    for entry, content in report.interrupted:
        click.echo(seal.interrupted_message(entry, content).both(), err=True)
    if not report.ok:
        raise ProblemsFound([Problem(shown, None, None, m.text("ko"), m.text("en")) for shown, m in report.problems])
    click.echo(both("cli.verify_ok", entries=report.checked, streams=len({e.stream for e, _ in report.sealed + report.genesis})))


def _interrupted(cat) -> None:
    """Say which entries a killed writer committed (the write about to run acknowledges them)."""
    from pipelines.ledger import seal

    for entry, content in seal.verify(cat).interrupted:
        click.echo(seal.interrupted_message(entry, content).both(), err=True)


@main.command("build")
@CATALOGUE_OPTION
@click.option("--warehouse", "warehouse_path", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: $CITYIDX_WAREHOUSE or data/warehouse/cityindex.duckdb).")
def build_(catalogue_path: Path | None, warehouse_path: Path | None) -> None:
    """Rebuild the DuckDB warehouse from data/raw/ and indicators.yml.

    \b
    Example:
        cityidx build
        CITYIDX_WAREHOUSE=/tmp/test.duckdb cityidx build
    The new file is written beside the old one and swapped in atomically: a failed
    build leaves the previous warehouse exactly as it was.
    """
    from pipelines import build

    path = warehouse_path or parts.warehouse_path()
    result = build.build(_built_catalogue(catalogue_path), path)
    _warn(result)
    c = result.counts
    click.echo(both("cli.build_ok", path=path, rankings=c["ranking_row"], components=c["component_row"],
                    seconds=result.seconds))


@main.command("list")
@CATALOGUE_OPTION
@LANG_OPTION
def list_(catalogue_path: Path | None, lang: str) -> None:
    """Print the catalogue: every series with its publisher, office, cadence and components.

    \b
    Example:
        cityidx list --lang en
    """
    cat = _catalogue(catalogue_path)
    for s in cat.series.values():
        office = cat.offices[s.office_id].name.get(lang)
        months = ",".join(str(m) for m in s.release_months)
        click.echo(f"{s.id:<16} {s.title.get(lang)}")
        click.echo(f"{'':<16} {s.publisher} · {office} · {s.cadence} ({months}) · "
                   f"{len(s.components)} {s.component_kind.get(lang)}")
    click.echo(t("cli.list.footer", lang, focus=cat.focus_city, peers=", ".join(cat.peer_cities),
                 target=cat.goal.target_rank, year=cat.goal.by_year))


STATUS_COLUMNS = ("index_id", "editions", "latest_edition", "latest_month", "stale", "latest_status", "latest_rank",
                  "latest_rank_bound", "change_kind", "change_places", "previous_edition", "last_ranked_edition",
                  "last_ranked_rank")


def _standing(path: Path) -> dict:
    """What `cityidx status` reads when no answer is kept for the warehouse as it is today (`parts.standing`): all of
    it lies in the published part, which is attached alone."""
    with _read_warehouse(path, parts.connect_published) as con:
        return parts.standing(con)


@main.command()
@LANG_OPTION
@click.option("--warehouse", "warehouse_path", type=click.Path(path_type=Path),
              default=None, help="The warehouse to read (default: $CITYIDX_WAREHOUSE or data/warehouse/cityindex.duckdb).")
def status(lang: str, warehouse_path: Path | None) -> None:
    """Per series: editions loaded, latest edition and the focus city's latest rank.

    \b
    Example:
        cityidx status --lang en
    """
    path = warehouse_path or parts.warehouse_path()
    # the answer is kept per published part (its file, or its bytes) and month (by the build that made it, or by the
    # first status to read it): a status on a warehouse whose answer is kept runs no DuckDB
    answer = parts.kept("status", lambda: _standing(path), path)
    focus = answer["focus"]
    rows = [dict(zip(STATUS_COLUMNS, r)) for r in answer["rows"]]
    click.echo(f"{t('cli.status.series', lang):<16} {t('cli.status.editions', lang):>8}  "
               f"{t('cli.status.latest', lang):<32} {focus}")
    for rec in rows:
        # the same signals as the overview (view focus_overview): figure, change since the edition before, age
        if rec["latest_status"] == "ranked":
            where = f"#{rec['latest_rank']}"
        else:
            where = signals.figure(rec["latest_status"], rec["latest_rank"], lang, rec["latest_rank_bound"])
            if not signals.blank(rec["last_ranked_rank"]):
                where += " " + t("cli.status.last_ranked", lang, rank=rec["last_ranked_rank"], edition=rec["last_ranked_edition"])
        where = signals.joined([where, signals.change_text(rec, lang),
                                signals.old_edition_label(str(rec["latest_month"])[:4], lang) if rec["stale"] else ""])
        latest = rec["latest_edition"] if isinstance(rec["latest_edition"], str) else "-"
        click.echo(f"{rec['index_id']:<16} {int(rec['editions'] or 0):>8}  {latest:<32} {where}")


@main.command()
@CATALOGUE_OPTION
@click.option("--department", metavar="OFFICE_ID", required=True, help="The department (office id in indicators.yml) the file is for.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--as", "as_user", default=None,
              help="The account the upload is recorded as: the department's editor or an admin (default: $USER).")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def upload(catalogue_path: Path | None, department: str, dry_run: bool, as_user: str | None, file: Path) -> None:
    """Upload a department's indicator values (CSV: UTF-8, UTF-8 BOM or CP949; Korean or English headers).

    \b
    Example:
        cityidx upload --department tourism_sports --as kim.officer values.csv
        cityidx upload --department tourism_sports --dry-run values.csv
    Exit code 0: accepted (or valid, with --dry-run); 1: rejected, every problem printed with its cell;
    2: wrong usage. The file is accepted whole or not at all. --as names an active account allowed for the
    department (its editor, or an admin acting for it, recorded as such).
    """
    from pipelines import accounts
    from pipelines.build import uploads, writes
    from pipelines.build.rankings import display_name
    from pipelines.schemas import ProblemsFound

    cat = _catalogue(catalogue_path)
    if not file.is_file():
        raise click.UsageError(both("cli.no_such_file", file=file))
    if department not in cat.offices:
        raise click.UsageError(both("upload.unknown_department", value=department))
    if too_large := uploads.size_problem(file.name, file.stat().st_size, cat):  # before a byte is read
        raise ProblemsFound([too_large], "upload.rejected")
    data = file.read_bytes()
    if dry_run:
        parsed = writes.check_upload(cat, data, file.name, department)
        if not parsed.ok:
            raise ProblemsFound(parsed.problems, "upload.rejected", total=parsed.problem_count)
        click.echo(both("upload.dry_run_ok", rows=len(parsed.records)))
        _print_flags(cat, parsed, department)
        return
    account = accounts.acting(_as(as_user))
    accounts.may_upload(account, department)
    _interrupted(cat)
    receipt, parsed = writes.commit_upload(cat, data, file.name, department, account)
    name = cat.offices[department].name
    click.echo(both("upload.accepted", rows=len(parsed.records), department=name,
                    user=f"{account.username} ({account.role})", path=display_name(receipt.path, cat.root), sha=receipt.sha256[:12]))


def _print_flags(cat, parsed, department: str) -> None:
    """The upload preview's flags (the same as the My indicators page): rows that change by more than the
    catalogue's ratio from the value in force for their period or, for a new period, the latest earlier one."""
    from pipelines.analysis import preview

    path = parts.warehouse_path()
    if not path.is_file():
        click.echo(both("upload.nothing_to_compare", path=path))
        return
    with parts.connect_read_only(path) as con:
        result = preview.compare(parsed.rows, preview.current_values(con, department), cat.reporting.change_flag_ratio)
    for r in result.rows[result.rows["flagged"]].itertuples(index=False):
        click.echo(both("upload.flagged_row", indicator_id=r.indicator_id, period=r.period, value=f"{r.value:,.10g}",
                        previous=f"{r.previous:,.10g}", compared_period=r.compared_period if isinstance(r.compared_period, str) else r.period,
                        change="—" if math.isnan(r.change) else f"{r.change:+.1%}"))
    if result.flagged:
        click.echo(both("upload.flag_note", n=result.flagged, ratio=result.ratio))


def _as(as_user: str | None) -> str:
    """The --as name, else the operator's login name (which must then be an account)."""
    import getpass

    return as_user or os.environ.get("USER") or getpass.getuser()


ADMIN_OPTION = click.option("--as", "as_user", default=None,
                            help="The admin account doing this (default: $USER; not needed before the first admin exists).")


@main.group()
def user() -> None:
    """Local accounts (password hashes, kept in data/private/accounts.json, outside git).

    \b
    Example:
        cityidx user add kim --role department_editor --department tourism_sports
    """


@user.command("add")
@CATALOGUE_OPTION
@click.argument("username")
@click.option("--role", type=Words(lambda: _accounts().ROLES), required=True)
@click.option("--department", metavar="OFFICE_ID", default=None, help="Office id (required for department editors).")
@click.option("--name", default=None, help="Display name.")
@click.option("--email", default=None, help="E-mail used to match an OpenID Connect login.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@ADMIN_OPTION
def user_add(catalogue_path, username, role, department, name, email, password_stdin, as_user) -> None:
    """Add an account (an admin's command, once the first admin exists).

    \b
    Example:
        cityidx user add root --role admin
        cityidx user add kim --role department_editor --department tourism_sports --as root
        echo 'a long pass phrase' | cityidx user add lee --role analyst --password-stdin --as root
    Passwords: at least 12 characters, not one character repeated, not containing the user name, not on
    the common-password list (pipelines/common_passwords.txt).
    """
    from pipelines import accounts

    cat = _catalogue(catalogue_path)
    by = accounts.require_admin(_as(as_user))
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt(both("cli.password"), hide_input=True, confirmation_prompt=both("cli.password_again"))
    account = accounts.add_account(cat, username, password, role, department, name, email, by=by)
    click.echo(both("cli.user_added", user=account.username, role=account.role, department=account.department or "-"))


@user.command("list")
@LANG_OPTION
def user_list(lang: str) -> None:
    """List accounts (never the hashes).

    \b
    Example:
        cityidx user list
    """
    from pipelines import accounts

    for a in accounts.load_accounts().values():
        state = t("cli.user.disabled" if a.disabled else "cli.user.active", lang)
        click.echo(f"{a.username:<20} {a.role:<18} {a.department or '-':<24} {state:<8} {visible(a.email or '')}")


@user.command("disable")
@click.argument("username")
@ADMIN_OPTION
def user_disable(username: str, as_user: str | None) -> None:
    """Disable an account and end its sign-ins (it stays on record; its uploads keep its name).

    \b
    Example:
        cityidx user disable kim --as root
    """
    from pipelines import accounts

    by = accounts.require_admin(_as(as_user))
    accounts.disable_account(username, by=by)
    click.echo(both("cli.user_disabled", user=username))


@user.command("enable")
@click.argument("username")
@ADMIN_OPTION
def user_enable(username: str, as_user: str | None) -> None:
    """Enable a disabled account again, with the role and department it had (it signs in anew).

    \b
    Example:
        cityidx user enable kim --as root
    """
    from pipelines import accounts

    by = accounts.require_admin(_as(as_user))
    account = accounts.enable_account(username, by=by)
    click.echo(both("cli.user_enabled", user=account.username, role=account.role, department=account.department or "-"))


@user.command("role")
@CATALOGUE_OPTION
@click.argument("username")
@click.option("--role", type=Words(lambda: _accounts().ROLES), required=True)
@click.option("--department", metavar="OFFICE_ID", default=None, help="Office id (required for department editors).")
@ADMIN_OPTION
def user_role(catalogue_path, username: str, role: str, department: str | None, as_user: str | None) -> None:
    """Give an account another role and end its sign-ins (kept in its history and the audit log: past writes keep
    the role they had).

    \b
    Example:
        cityidx user role kim --role forum_organizer --as root
    """
    from pipelines import accounts

    cat = _catalogue(catalogue_path)
    by = accounts.require_admin(_as(as_user))
    account = accounts.set_role(cat, username, role, department, by=by)
    click.echo(both("cli.user_role_changed", user=account.username, role=account.role, department=account.department or "-"))


@main.command()
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--department", metavar="OFFICE_ID", default=None, help="Only this department.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def due(catalogue_path: Path | None, lang: str, department: str | None, today) -> None:
    """Per department: indicators overdue, due and recently updated (by cadence and the last period loaded).

    \b
    Example:
        cityidx due
        cityidx due --department tourism_sports --lang en
    """
    from pipelines.analysis import due

    cat = _catalogue(catalogue_path)
    with _read_warehouse() as con:
        table = due.due_status(con, cat, today.date() if today else None)
    if department:
        table = table[table["office_id"] == department]
    for dept, group in table.groupby("office_id", sort=False):
        counts = group["state"].value_counts()
        click.echo(f"\n{cat.offices[dept].name.get(lang)} ({dept}): "
                   + ", ".join(f"{t('due.' + s, lang)} {counts.get(s, 0)}" for s in due.STATES))
        for rec in group.itertuples():
            recent = " *" if rec.recently_updated else ""
            name = rec.name_ko if lang == "ko" else rec.name_en
            click.echo(f"  {t('due.' + rec.state, lang):<10} {rec.indicator_id:<36} "
                       f"{rec.last_period or '-':>8} -> {rec.expected_period:<8} {name}{recent}")


# --- forum ----------------------------------------------------------------------------------------

AS_OPTION = click.option("--as", "as_user", default=None,
                         help="The account the change is recorded as: an organizer or admin (default: $USER).")


def _component_refs(values: tuple[str, ...]) -> list[dict]:
    """INDEX_ID/COMPONENT_ID options as the forum log's references (a bare INDEX_ID: the whole series)."""
    return [{"index_id": index_id, "component_id": component_id or None}
            for index_id, _, component_id in (v.partition("/") for v in values)]


def _record(catalogue_path, as_user, event_type: str, data: dict) -> None:
    from pipelines import accounts
    from pipelines.build import writes

    cat = _catalogue(catalogue_path)
    account = accounts.acting(_as(as_user))
    _interrupted(cat)
    event = writes.record_event(cat, account, event_type, data)
    key = next((v for k, v in data.items() if k.endswith("_id")), event.event_id)
    click.echo(f"{event.type} {key} ({event.event_id})")


@main.group("forum")
def forum_group() -> None:
    """The competitiveness forum: meetings, agenda items, action items (append-only log in data/raw/forum/).

    \b
    Example:
        cityidx forum next
        cityidx forum meeting add --as park
        cityidx forum suggest
    """


@forum_group.command("next")
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--forum", "forum_id", default=None, help="Forum id (default: the catalogue's default forum).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def forum_next(catalogue_path, lang, forum_id, today) -> None:
    """The next meeting date: a scheduled meeting, else the forum's rule (e.g. second Wednesday of the quarter).

    \b
    Example:
        cityidx forum next
    """
    from pipelines.build import forum
    from pipelines.ledger.forum import read_events

    cat = _catalogue(catalogue_path)
    state = forum.replay(read_events(cat), cat)
    nxt = forum.next_meeting(cat, state, forum_id, today.date() if today else None)
    how = t("cli.next.scheduled", lang, meeting_id=nxt["meeting_id"]) if nxt["scheduled"] else t("cli.next.by_rule", lang)
    click.echo(f"{nxt['forum_id']} {nxt['date'] or '-'} ({how})")


@forum_group.group("meeting")
def forum_meeting() -> None:
    """Meetings.

    \b
    Example:
        cityidx forum meeting add --date 2026-12-09 --kind regular
    """


@forum_meeting.command("add")
@CATALOGUE_OPTION
@AS_OPTION
@click.option("--date", "day", default=None, help="YYYY-MM-DD (default: the next date by the forum's rule).")
@click.option("--kind", type=Words(lambda: _forum_log().MEETING_KINDS), default="regular", show_default=True)
@click.option("--forum", "forum_id", default=None)
@click.option("--place", default=None)
@click.option("--title", default=None)
def forum_meeting_add(catalogue_path, as_user, day, kind, forum_id, place, title) -> None:
    """Schedule a meeting.

    \b
    Example:
        cityidx forum meeting add --as park
        cityidx forum meeting add --date 2026-10-21 --kind ad_hoc --title "GPCI 2026 발표 대응"
    """
    from pipelines.build import forum
    from pipelines.ledger.forum import read_events

    cat = _catalogue(catalogue_path)
    default, _ = forum.forums_from_catalogue(cat)
    forum_id = forum_id or default
    if day is None:
        nxt = forum.next_meeting(cat, forum.replay(read_events(cat), cat), forum_id)
        day = nxt["rule_date"]
        if day is None:
            raise click.UsageError(both("cli.no_schedule_rule", forum_id=forum_id))
    _record(catalogue_path, as_user, "meeting.scheduled",
            {"meeting_id": forum.meeting_id(forum_id, day, kind), "forum_id": forum_id, "date": day, "kind": kind, "place": place, "title": title})


@forum_meeting.command("held")
@CATALOGUE_OPTION
@AS_OPTION
@click.argument("meeting_id")
@click.option("--attendees", type=int, default=None)
@click.option("--summary", default=None)
def forum_meeting_held(catalogue_path, as_user, meeting_id, attendees, summary) -> None:
    """Record that a meeting took place, with attendance and a summary.

    \b
    Example:
        cityidx forum meeting held city_competitiveness_forum-2026-12-09 --attendees 25 --summary "..."
    """
    _record(catalogue_path, as_user, "meeting.held", {"meeting_id": meeting_id, "attendees": attendees, "summary": summary})


@forum_group.group("agenda")
def forum_agenda() -> None:
    """Agenda items.

    \b
    Example:
        cityidx forum agenda add --meeting M --title T --proposer P --weakness mori_gpci/livability
    """


@forum_agenda.command("add")
@CATALOGUE_OPTION
@AS_OPTION
@click.option("--meeting", "meeting_id", required=True)
@click.option("--title", required=True)
@click.option("--proposer", required=True)
@click.option("--description", default=None)
@click.option("--weakness", "weaknesses", multiple=True, help="INDEX_ID/COMPONENT_ID the item addresses (repeatable).")
@click.option("--indicator", "indicators", multiple=True, help="City-managed indicator id (repeatable).")
def forum_agenda_add(catalogue_path, as_user, meeting_id, title, proposer, description, weaknesses, indicators) -> None:
    """Put an item on a meeting's agenda.

    \b
    Example:
        cityidx forum agenda add --meeting city_competitiveness_forum-2026-12-09 \\
            --title "주거 부문 개선" --proposer 서울연구원 --weakness mori_gpci/livability --indicator housing_pir
    """
    from pipelines.build import forum

    _record(catalogue_path, as_user, "agenda.proposed",
            {"agenda_id": forum.new_id("a"), "meeting_id": meeting_id, "title": title, "proposer": proposer,
             "description": description, "weaknesses": _component_refs(weaknesses), "indicators": list(indicators)})


@forum_agenda.command("decide")
@CATALOGUE_OPTION
@AS_OPTION
@click.argument("agenda_id")
@click.option("--decision", type=Words(lambda: _forum_log().DECISIONS), required=True)
@click.option("--note", default=None)
def forum_agenda_decide(catalogue_path, as_user, agenda_id, decision, note) -> None:
    """Record the meeting's decision on an agenda item.

    \b
    Example:
        cityidx forum agenda decide a-1a2b3c4d --decision adopted
    """
    _record(catalogue_path, as_user, "agenda.decided", {"agenda_id": agenda_id, "decision": decision, "note": note})


@forum_group.group("action")
def forum_action() -> None:
    """Action items: create, move through statuses, note progress.

    \b
    Example:
        cityidx forum action status t-1a2b3c4d in_progress
    """


@forum_action.command("add")
@CATALOGUE_OPTION
@AS_OPTION
@click.option("--agenda", "agenda_id", required=True)
@click.option("--title", required=True)
@click.option("--owner", "office_id", metavar="OFFICE_ID", required=True, help="Office id of the owning department.")
@click.option("--due", required=True, help="YYYY-MM-DD")
@click.option("--execution", type=Words(lambda: _forum_log().EXECUTIONS), default="department", show_default=True)
@click.option("--indicator", "indicators", multiple=True)
@click.option("--component", "components", multiple=True, help="INDEX_ID/COMPONENT_ID (repeatable).")
def forum_action_add(catalogue_path, as_user, agenda_id, title, office_id, due, execution, indicators, components) -> None:
    """Create an action item from an adopted agenda item.

    \b
    Example:
        cityidx forum action add --agenda a-1a2b3c4d --title "공공임대 공급 확대" --owner big_data_division --due 2027-06-30
    """
    from pipelines.build import forum

    _record(catalogue_path, as_user, "action.created",
            {"action_id": forum.new_id("t"), "agenda_id": agenda_id, "title": title, "office_id": office_id,
             "due": due, "execution": execution, "linked_indicators": list(indicators), "linked_components": _component_refs(components)})


@forum_action.command("status")
@CATALOGUE_OPTION
@AS_OPTION
@click.argument("action_id")
@click.argument("status", type=Words(lambda: _forum_log().STATUSES))
@click.option("--note", default=None)
def forum_action_status(catalogue_path, as_user, action_id, status, note) -> None:
    """Move an action item to another status.

    \b
    Example:
        cityidx forum action status t-1a2b3c4d accepted --note "부서 수용"
    """
    _record(catalogue_path, as_user, "action.status_changed", {"action_id": action_id, "status": status, "note": note})


@forum_action.command("note")
@CATALOGUE_OPTION
@AS_OPTION
@click.argument("action_id")
@click.argument("text")
def forum_action_note(catalogue_path, as_user, action_id, text) -> None:
    """Add a dated progress note to an action item.

    \b
    Example:
        cityidx forum action note t-1a2b3c4d "1차 TF 회의 개최"
    """
    _record(catalogue_path, as_user, "action.progress_noted", {"action_id": action_id, "note": text})


@forum_group.command("suggest")
@CATALOGUE_OPTION
@LANG_OPTION
def forum_suggest(catalogue_path, lang) -> None:
    """Suggested agenda topics: the strongest weaknesses not yet on an agenda, with their reasons.

    \b
    Example:
        cityidx forum suggest --lang en
    """
    from pipelines.reports.forum import suggestions

    cat = _catalogue(catalogue_path)
    with _read_warehouse() as con:
        table = suggestions(con, cat.forum.suggestions)
    for rec in table.itertuples():
        title = rec.title_ko if lang == "ko" else rec.title_en
        comp = rec.component_ko if lang == "ko" else rec.component
        old = f" · {signals.old_edition_label(rec.year, lang)}" if rec.stale else ""  # after every current one
        click.echo(f"{rec.index_id}/{rec.component_id}  {title} · {comp} ({rec.edition}){old}")
        click.echo(f"    {rec.reason_ko if lang == 'ko' else rec.reason_en}")


@forum_group.command("list")
@click.option("--what", type=click.Choice(["meetings", "agenda", "actions"]), default="actions", show_default=True)
@LANG_OPTION
def forum_list(what, lang) -> None:
    """List meetings, agenda items or action items from the warehouse.

    \b
    Example:
        cityidx forum list --what agenda
    """
    with _read_warehouse() as con:
        rows = sql.rows(con, {"meetings": "meeting_list", "agenda": "agenda_list", "actions": "action_list"}[what])
    for row in rows:
        click.echo("  ".join("" if v is None else visible(str(v)) for v in row))  # titles and notes as typed


@forum_group.command("export")
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--agenda-packet", "meeting_id", default=None, help="Write the agenda packet (HTML) of this meeting.")
@click.option("--progress", is_flag=True, help="Write the proposals-progress table.")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def forum_export(catalogue_path, lang, meeting_id, progress, out) -> None:
    """Export the agenda packet of a meeting (HTML) or the proposals-progress table (xlsx or CSV, by OUT's suffix).

    \b
    Example:
        cityidx forum export --agenda-packet city_competitiveness_forum-2026-12-09 packet.html
        cityidx forum export --progress 건의사항_추진현황.xlsx
    """
    from pipelines.reports import render
    from pipelines.reports.forum import agenda_packet_html, progress_table

    if bool(meeting_id) == progress:
        raise click.UsageError(both("cli.export_one_of"))
    cat = _catalogue(catalogue_path)
    with _read_warehouse() as con:
        if meeting_id:
            data = agenda_packet_html(con, cat, meeting_id, lang).encode("utf-8")
        else:
            if out.suffix.lower() == ".xlsx":
                data = render.xlsx_bytes({t("doc.progress_sheet", lang): progress_table(con, lang)})
            else:  # a CSV is also read by machines: the linked ids ride along after the names
                data = render.csv_bytes(progress_table(con, lang, with_ids=True))
    render.write_bytes_atomic(out, data)
    click.echo(str(out))


# --- ahead of the evaluators ------------------------------------------------------------------------


@main.command()
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--ics", "ics_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write an iCalendar file for personal calendars.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def calendar(catalogue_path, lang, ics_path, today) -> None:
    """The next months' expected releases, the data-collection window before each, and out-of-date city data.

    \b
    Example:
        cityidx calendar
        cityidx calendar --ics releases.ics
    """
    from pipelines.reports import calendar, render

    cat = _catalogue(catalogue_path)
    with _read_warehouse() as con:
        table = calendar.upcoming(cat, con, today.date() if today else None)
    for rec in table.itertuples():
        title = rec.title_ko if lang == "ko" else rec.title_en
        span = rec.month if rec.month == rec.month_end else f"{rec.month}~{rec.month_end}"
        done = " ✓" if rec.published else ""
        click.echo(f"{span:<16} {title}{done}")
        stale = ", ".join(rec.out_of_date[:6]) + (" …" if len(rec.out_of_date) > 6 else "")
        click.echo(f"{'':<16} " + t("cal.line", lang, start=rec.collection_from, indicators=len(rec.indicators),
                                     stale=len(rec.out_of_date), names=stale or "-"))
    if ics_path:
        render.write_bytes_atomic(ics_path, calendar.to_ics(table, cat, lang))
        click.echo(str(ics_path))


@main.command()
@CATALOGUE_OPTION
@click.option("--as", "as_user", default=None, help="The account the snapshots are recorded as: any active account (default: $USER).")
@click.argument("index_ids", metavar="[INDEX_ID]...", nargs=-1)
def fetch(catalogue_path, as_user, index_ids) -> None:
    """Snapshot every machine-readable source the catalogue names (or those of INDEX_ID) into data/raw/fetched/.

    \b
    Example:
        cityidx fetch --as ana
        cityidx fetch zyen_gfci --as ana
    Conditional GET (ETag / Last-Modified), timeouts, retries with back-off; each source bounded by its
    max_bytes (after decompression) and deadline_seconds, redirects only to https on the same host, a
    content type that does not fit its format refused. A changed source becomes a new
    snapshot with its URL, time and SHA-256; nothing is ever overwritten. Offline or on an error: says so,
    changes nothing, exit 1.
    """
    from pipelines import accounts
    from pipelines.build.rankings import display_name
    from pipelines.ledger import fetch

    cat = _catalogue(catalogue_path)
    account = accounts.acting(_as(as_user))  # a snapshot is a ledger entry: written as a real, active account
    unknown = [s for s in index_ids if s not in cat.series]
    if unknown:
        raise click.UsageError(both("check.unknown_series", value=", ".join(unknown)))
    without = [s for s in index_ids if not cat.series[s].fetch]
    for s in without:
        click.echo(both("fetch.none", series=s), err=True)
    chosen = [s for s in index_ids if cat.series[s].fetch] if index_ids else None  # None: every series with sources
    outcomes = fetch.fetch_all(cat, chosen, by=account.username) if chosen is None or chosen else []
    failed = 0
    for o in outcomes:
        if o.state == "stored":
            click.echo(both("fetch.stored", url=o.url, path=display_name(o.path, cat.root), size=o.size, sha=o.sha256[:12]))
        elif o.state == "unchanged":
            click.echo(both("fetch.unchanged", url=o.url, why=o.detail))
        else:
            failed += 1
            click.echo(both("fetch.failed", url=o.url, why=o.detail), err=True)
    if failed or without:
        raise CityIdxError("fetch.incomplete", failed=failed, without=len(without))


@main.command()
@CATALOGUE_OPTION
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
def publish(catalogue_path, out_dir) -> None:
    """Write the open-data folder: one CSV and JSON per indicator and per series, datapackage.json, index.html.

    \b
    Example:
        cityidx publish site/
    The same warehouse always gives the same bytes.
    """
    from pipelines.reports import publish

    cat = _catalogue(catalogue_path)
    with _read_warehouse() as con:
        written = publish.publish(con, cat, out_dir)
    click.echo(both("cli.published", count=len(written), path=out_dir))


@main.command()
@CATALOGUE_OPTION
@LANG_OPTION
@click.argument("index_id")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
def submission(catalogue_path, lang, index_id, out) -> None:
    """Write the submission pack for one series: the latest value of every city indicator it uses (xlsx or CSV).

    \b
    Example:
        cityidx submission mori_gpci gpci-2026-submission.xlsx
    """
    from pipelines.reports import publish, render

    cat = _catalogue(catalogue_path)
    if index_id not in cat.series:
        raise click.UsageError(both("check.unknown_series", value=index_id))
    with _read_warehouse() as con:
        table = publish.submission_pack(con, cat, index_id, lang)
    data = render.xlsx_bytes({index_id: table}) if out.suffix.lower() == ".xlsx" else render.csv_bytes(table)
    render.write_bytes_atomic(out, data)
    click.echo(both("cli.submission_written", count=len(table), path=out))


def _quarter(ctx: click.Context, param: click.Parameter, value: str) -> str:
    """--quarter must read like 2025-Q4: a usage error (exit code 2) otherwise."""
    from pipelines.reports import brief

    try:
        brief.quarter_bounds(value)
    except CityIdxError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@main.command()
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--quarter", required=True, callback=_quarter, help="YYYY-Qn, e.g. 2025-Q4.")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False), required=False)
def brief(catalogue_path, lang, quarter, out) -> None:
    """Write the quarterly brief (HTML, printable to PDF from a browser).

    \b
    Example:
        cityidx brief --quarter 2025-Q4
        cityidx brief --quarter 2025-Q4 --lang en brief-en.html
    """
    from pipelines.reports import brief, render

    cat = _catalogue(catalogue_path)
    out = out or Path(f"brief-{quarter}-{lang}.html")
    with _read_warehouse() as con:
        text = brief.brief_html(con, cat, quarter, lang)
    render.write_bytes_atomic(out, text.encode("utf-8"))
    click.echo(str(out))


def run() -> None:
    """The `cityidx` program (console script and `python -m pipelines.cli`): the command line, with Python's cycle
    collector set for a short-lived process.

    A command that loads pandas, pandera and pydantic holds ~10^6 objects that live until the process ends. The
    collector's full passes walk all of them: two during those imports and one when the interpreter exits, ~0.2 s
    of CPU of a ~1.5 s `cityidx build` (issue 13). So full passes come after 100 passes of the middle generation
    instead of 10 (young objects are still collected as often), and what is left when the command ends is frozen:
    the exit does not walk it again. `main` itself, which tests call in their own process, changes nothing."""
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 100)
    try:
        main()
    finally:
        gc.freeze()


if __name__ == "__main__":
    run()
