"""The `cityidx` command line: a thin layer over the library."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pipelines import build as build_mod
from pipelines import catalogue as catalogue_mod
from pipelines import warehouse
from pipelines.i18n import both, t
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


if __name__ == "__main__":
    main()
