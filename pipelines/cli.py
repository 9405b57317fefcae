"""The `cityidx` command line: a thin layer over the library."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from pipelines import build as build_mod
from pipelines import catalogue as catalogue_mod
from pipelines import warehouse
from pipelines.i18n import both, t
from pipelines.rankings import display_name
from pipelines.schemas import ProblemsFound

LANG_OPTION = click.option(
    "--lang", type=click.Choice(["ko", "en"]), default="ko", envvar="CITYIDX_LANG", show_default=True,
    help="Language of tables and labels (problems are always shown in both).",
)
CATALOGUE_OPTION = click.option(
    "--catalogue", "catalogue_path", type=click.Path(path_type=Path), default=None, envvar="CITYIDX_CATALOGUE",
    help="The catalogue file (default: indicators.yml at the project root).",
)


def _load(catalogue_path: Path | None) -> catalogue_mod.Catalogue:
    try:
        return catalogue_mod.load(catalogue_path)
    except catalogue_mod.CatalogueError as exc:
        for p in exc.problems:
            click.echo(p, err=True)
        sys.exit(1)


def _report(exc: ProblemsFound) -> None:
    for p in exc.problems:
        click.echo(f"- {p.both()}", err=True)
    click.echo(both("cli.problems", count=len(exc.problems)), err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    cat = _load(catalogue_path)
    try:
        result = build_mod.collect(cat)
    except ProblemsFound as exc:
        _report(exc)
        sys.exit(1)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    c = result.counts
    click.echo(both("cli.check_ok", series=c["series"], rankings=c["ranking_row"],
                    components=c["component_row"], cities=c["city"]))


@main.command()
@CATALOGUE_OPTION
@click.option("--warehouse", "warehouse_path", type=click.Path(path_type=Path), default=None,
              help="Where to write (default: $CITYIDX_WAREHOUSE or data/warehouse/cityindex.duckdb).")
def build(catalogue_path: Path | None, warehouse_path: Path | None) -> None:
    """Rebuild the DuckDB warehouse from data/raw/ and indicators.yml.

    \b
    Example:
        cityidx build
        CITYIDX_WAREHOUSE=/tmp/test.duckdb cityidx build
    The new file is written beside the old one and swapped in atomically: a failed
    build leaves the previous warehouse exactly as it was.
    """
    cat = _load(catalogue_path)
    path = warehouse_path or warehouse.warehouse_path()
    try:
        result = build_mod.build(cat, path)
    except ProblemsFound as exc:
        _report(exc)
        sys.exit(1)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
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
    cat = _load(catalogue_path)
    for s in cat.series.values():
        office = cat.offices[s.managing_office].name.get(lang)
        months = ",".join(str(m) for m in s.release_months)
        click.echo(f"{s.id:<16} {s.title.get(lang)}")
        click.echo(f"{'':<16} {s.publisher} · {office} · {s.cadence} ({months}) · "
                   f"{len(s.components)} {s.component_kind.get(lang)}")
    click.echo(f"focus: {cat.focus_city} · peers: {', '.join(cat.peer_cities)} · "
               f"goal: TOP {cat.goal.target_rank} by {cat.goal.by_year}")


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
    path = warehouse_path or warehouse.warehouse_path()
    if not path.is_file():
        click.echo(both("cli.no_warehouse", path=path), err=True)
        sys.exit(1)
    con = warehouse.connect_read_only(path)
    try:
        focus = con.execute("select value from setting where key = 'focus_city'").fetchone()[0]
        rows = con.execute(
            "select index_id, editions, latest_edition, latest_status, latest_rank, "
            "last_ranked_edition, last_ranked_rank from focus_overview order by seq"
        ).fetchall()
    finally:
        con.close()
    click.echo(f"{'series':<16} {'editions':>8}  {'latest':<32} {focus}")
    for index_id, editions, latest, status_, rank, last_ed, last_rank in rows:
        if status_ == "ranked":
            where = f"#{rank}"
        else:
            where = t(f"status.{status_}", lang)
            if last_rank is not None:
                where += f" (last #{last_rank}, {last_ed})" if lang == "en" else f" (최근 {last_rank}위, {last_ed})"
        click.echo(f"{index_id:<16} {editions:>8}  {latest:<32} {where}")


@main.command()
@CATALOGUE_OPTION
@click.option("--department", required=True, help="The department (office id in indicators.yml) the file is for.")
@click.option("--dry-run", is_flag=True, help="Validate only; write nothing.")
@click.option("--as", "as_user", default=None, help="Who the upload is recorded as (default: $USER).")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def upload(catalogue_path: Path | None, department: str, dry_run: bool, as_user: str | None, file: Path) -> None:
    """Upload a department's indicator values (CSV: UTF-8, UTF-8 BOM or CP949; Korean or English headers).

    \b
    Example:
        cityidx upload --department tourism_sports --as kim.officer values.csv
        cityidx upload --department tourism_sports --dry-run values.csv
    Exit code 0: accepted (or valid, with --dry-run); 1: rejected, every problem printed with its cell;
    2: wrong usage. The file is accepted whole or not at all. The command line acts with the operator's
    authority; --as records who.
    """
    import getpass

    from pipelines import uploads

    cat = _load(catalogue_path)
    if not file.is_file():
        raise click.UsageError(f"파일이 없습니다 / no such file: {file}")
    if department not in cat.offices:
        raise click.UsageError(both("upload.unknown_department", value=department))
    data = file.read_bytes()
    account = as_user or os.environ.get("USER") or getpass.getuser()
    try:
        if dry_run:
            parsed = uploads.check_upload(cat, data, file.name, department)
            if not parsed.ok:
                raise ProblemsFound(parsed.problems)
            click.echo(both("upload.dry_run_ok", rows=len(parsed.rows)))
            return
        receipt, parsed = uploads.commit_upload(cat, data, file.name, department, account)
    except ProblemsFound as exc:
        for p in exc.problems:
            click.echo(f"- {p.both()}", err=True)
        click.echo(both("upload.rejected", count=len(exc.problems)), err=True)
        sys.exit(1)
    except uploads.Busy as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    name = cat.offices[department].name
    click.echo(both("upload.accepted", rows=len(parsed.rows), department=name.ko, department_en=name.en,
                    user=account, path=display_name(receipt.path, cat.root), sha=receipt.sha256[:12]))


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
@click.option("--role", type=click.Choice(["analyst", "department_editor", "forum_organizer", "admin"]), required=True)
@click.option("--department", default=None, help="Office id (required for department editors).")
@click.option("--name", default=None, help="Display name.")
@click.option("--email", default=None, help="E-mail used to match an OpenID Connect login.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def user_add(catalogue_path, username, role, department, name, email, password_stdin) -> None:
    """Add an account.

    \b
    Example:
        cityidx user add kim --role department_editor --department tourism_sports
        echo 'a long password' | cityidx user add lee --role analyst --password-stdin
    """
    from pipelines import accounts

    cat = _load(catalogue_path)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password / 비밀번호", hide_input=True, confirmation_prompt=True)
    try:
        account = accounts.add_account(cat, username, password, role, department, name, email)
    except accounts.AccountError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{account.username}: {account.role} {account.department or ''}".rstrip())


@user.command("list")
def user_list() -> None:
    """List accounts (never the hashes).

    \b
    Example:
        cityidx user list
    """
    from pipelines import accounts

    for a in accounts.load_accounts().values():
        state = "disabled" if a.disabled else "active"
        click.echo(f"{a.username:<20} {a.role:<18} {a.department or '-':<24} {state:<8} {a.email or ''}")


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account (it stays on record; its uploads keep its name).

    \b
    Example:
        cityidx user disable kim
    """
    from pipelines import accounts

    try:
        accounts.disable_account(username)
    except accounts.AccountError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{username}: disabled")


@main.command()
@CATALOGUE_OPTION
@LANG_OPTION
@click.option("--department", default=None, help="Only this department.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend today is this date.")
def due(catalogue_path: Path | None, lang: str, department: str | None, today) -> None:
    """Per department: indicators overdue, due and recently updated (by cadence and the last period loaded).

    \b
    Example:
        cityidx due
        cityidx due --department tourism_sports --lang en
    """
    from pipelines import reporting

    cat = _load(catalogue_path)
    path = warehouse.warehouse_path()
    if not path.is_file():
        click.echo(both("cli.no_warehouse", path=path), err=True)
        sys.exit(1)
    con = warehouse.connect_read_only(path)
    try:
        table = reporting.due_status(con, cat, today.date() if today else None)
    finally:
        con.close()
    if department:
        table = table[table["department_id"] == department]
    for dept, group in table.groupby("department_id", sort=False):
        counts = group["state"].value_counts()
        click.echo(f"\n{cat.offices[dept].name.get(lang)} ({dept}): "
                   + ", ".join(f"{t('due.' + s, lang)} {counts.get(s, 0)}" for s in reporting.STATES))
        for rec in group.itertuples():
            recent = " *" if rec.recently_updated else ""
            name = rec.name_ko if lang == "ko" else rec.name_en
            click.echo(f"  {t('due.' + rec.state, lang):<10} {rec.indicator_id:<36} "
                       f"{rec.last_period or '-':>8} -> {rec.expected_period:<8} {name}{recent}")


if __name__ == "__main__":
    main()
