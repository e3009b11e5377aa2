"""The ``silkroad import`` command group."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from . import common
from .common import DATASETS, FileInfo, ImportFailure

err = Console(stderr=True)

EXAMPLES = {
    "iati": "silkroad import iati activities.xml\n  silkroad import iati --dry-run ../shared/data/real/iati_activities/*.xml\n"
            "  silkroad import iati --jobs 2 big-activity-file.xml",
    "crs": "silkroad import crs CRS_2021_data.txt\n  silkroad import crs --dry-run CRS_2020_data.txt CRS_2021_data.txt\n"
           "  silkroad import crs --replace CRS_2021_data.txt    # a new release of a file imported before",
    "aiddata": "silkroad import aiddata AidDatas_GCDF_3.0.csv\n  silkroad import aiddata gcdf3_china_country_year_central_asia_cow.csv",
    "gdelt": "silkroad import gdelt 20160728.export.CSV\n  silkroad import gdelt --dry-run 20240101000000.export.CSV",
}


class _ImportGroup(click.Group):
    def format_epilog(self, ctx, formatter):
        super().format_epilog(ctx, formatter)


@click.group(name="import", cls=_ImportGroup)
def import_() -> None:
    """Import open datasets into the built database, beside the curated records.

    Every file is imported in one transaction: an error leaves the database as
    it was.  Importing the same file again replaces its rows (idempotent); a
    new release of a file (same name, other content) is added beside the old
    one, with a warning, unless --replace is given.
    Imported rows keep their dataset in the `origin` field and cite the file
    (source `import-<dataset>-<sha8>`, locator = file + line).  `silkroad build`
    keeps imports.  Exit codes: 1 bad data, 2 wrong usage (missing file, directory).

    \b
    Examples:
      silkroad import iati ../shared/data/real/iati_activities/dportal_covid19_central_asia_activities_2021.xml
      silkroad import crs --dry-run CRS_2021_data.txt
      silkroad import aiddata ../shared/data/real/aiddata/gcdf3_china_country_year_central_asia_cow.csv
      silkroad import gdelt ../shared/data/real/gdelt/gdelt_v1_events_sample_20160728.tsv
      silkroad import list
      silkroad import remove CRS_2021_data.txt
      silkroad import unlink iati:XM-DAC-41114-PROJECT-00119165
    """


def _make_command(dataset: str):
    helps = {
        "iati": "IATI activity XML (2.01-2.03): one project per <iati-activity>, every transaction kept.",
        "crs": "OECD CRS bulk text files (pipe-delimited, UTF-8 with BOM or UTF-16): one project per row.",
        "aiddata": "AidData GCDF CSV: project-level rows (projects) or the country-year aggregate (aid totals).",
        "gdelt": "GDELT 1.0 / 2.0 event exports (tab-separated, 57, 58 or 61 columns): one event per row.",
    }

    @click.command(name=dataset, help=f"{helps[dataset]}\n\n\b\nExamples:\n  {EXAMPLES[dataset]}")
    @click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option("--dry-run", is_flag=True, help="Parse and report; write nothing.")
    @click.option("--replace", is_flag=True,
                  help="Remove earlier imports of a file with the same name (an older release of it).")
    @click.option("--warnings", "show_warnings", type=int, default=20, show_default=True, metavar="N",
                  help="Print at most N warning lines per file (all are stored in import_warnings).")
    def command(files: tuple[Path, ...], dry_run: bool, replace: bool, show_warnings: int, jobs: int = 1) -> None:
        db_path = click.get_current_context().obj.db_path
        _run(db_path, dataset, files, dry_run, show_warnings, replace, jobs)

    if dataset == "iati":
        command = click.option(
            "--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
            help="Parse and map a large file (16 MB or more) in N worker processes. Faster on machines with more "
                 "than 2 cores (the default pass already parses on a second core); each worker needs about 100 MB "
                 "more memory.")(command)
    return command


def _run(db_path: Path, dataset: str, files, dry_run: bool, show_warnings: int, replace: bool = False,
         jobs: int = 1) -> None:
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        def factory(info: FileInfo) -> common.Progress:
            task = bar.add_task(f"{dataset} {info.name}", total=info.size)

            def update(done: int, total: int | None = None, what: str = "") -> None:
                bar.update(task, completed=done, total=total or info.size,
                           description=f"{dataset} {info.name}{' ' + what if what else ''}")
            return common.Progress(update)

        def report(summary: common.Summary) -> None:
            lines = summary.warning_lines()
            for line in lines[:show_warnings]:
                err.print(line, markup=False, highlight=False, soft_wrap=True)
            if len(lines) > show_warnings:
                err.print(f"... {len(lines) - show_warnings} more warning kinds (table import_warnings)",
                          markup=False)
            click.echo(summary.text(dry_run))

        try:
            summaries = common.run(db_path, dataset, files, dry_run=dry_run, progress_factory=factory,
                                   on_summary=report, replace=replace, jobs=jobs)
        except ImportFailure as exc:
            click.echo(f"error: {exc}", err=True)
            click.echo(f"import stopped; the database at {db_path} was not changed", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"interrupted; the database at {db_path} was not changed", err=True)
            sys.exit(130)
    links = sum(s.details.get("links", 0) for s in summaries)
    if links:
        click.echo(f"{'would link' if dry_run else 'linked'} {links} imported project(s) to a curated or earlier "
                   f"imported copy: each counts once in stats (`silkroad projects --format json` shows "
                   f"linked_to; `silkroad import unlink ID` undoes a link)", err=True)
    if dry_run:
        click.echo(f"dry run: nothing was written to {db_path}", err=True)
    else:
        total = sum(s.rows_imported for s in summaries)
        click.echo(f"done: {total} record(s) from {len(summaries)} file(s) in {db_path}", err=True)


for _ds in DATASETS:
    import_.add_command(_make_command(_ds))


@import_.command(name="list")
@click.pass_context
def list_imports(ctx) -> None:
    """List the imports recorded in the database.

    \b
    Example:
      silkroad import list
    """
    import duckdb

    db_path = ctx.obj.db_path
    if not Path(db_path).is_file():
        click.echo(f"error: no database at {db_path}", err=True)
        sys.exit(2)
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        try:
            rows = con.execute("SELECT import_id, dataset, file_name, rows_read, rows_imported, rows_skipped, "
                               "warnings, collisions FROM imports ORDER BY dataset, file_name").fetchall()
        except duckdb.Error:
            rows = []
    finally:
        con.close()
    click.echo("import_id\tdataset\tfile\tread\timported\tskipped\twarnings\tcollisions")
    for r in rows:
        click.echo("\t".join(str(v) for v in r))


@import_.command(name="remove")
@click.argument("import_or_file")
@click.pass_context
def remove_cmd(ctx, import_or_file: str) -> None:
    """Remove an import (by its import_id or file name, see `silkroad import list`) and all its rows.

    A file name that two imports share (two releases kept side by side) is refused: give the import_id.

    \b
    Examples:
      silkroad import remove crs-1397a188321361a5
      silkroad import remove CRS_2021_data.txt
    """
    from ..store import DatabaseError

    try:
        rows = common.remove_import(ctx.obj.db_path, import_or_file)
    except ImportFailure as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except DatabaseError as exc:          # another build or import holds the writer lock
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    if not rows:
        click.echo(f"error: no import with id or file name {import_or_file!r} (see `silkroad import list`)", err=True)
        sys.exit(2)
    for import_id, name in rows:
        click.echo(f"removed {import_id} ({name})")


@import_.command(name="unlink")
@click.argument("imported_id")
@click.option("--from", "linked_to", metavar="CURATED_ID", help="Only the link to this curated project.")
@click.pass_context
def unlink_cmd(ctx, imported_id: str, linked_to: str | None) -> None:
    """Undo the link between an imported project and a curated one (kept undone on re-import).

    \b
    Example:
      silkroad import unlink iati:XM-DAC-41114-PROJECT-00119165
    """
    import duckdb

    from .linking import unlink

    db_path = ctx.obj.db_path
    if not Path(db_path).is_file():
        click.echo(f"error: no database at {db_path}", err=True)
        sys.exit(2)
    con = duckdb.connect(str(db_path))
    try:
        common.ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        rows = unlink(con, imported_id, linked_to)
        con.execute("COMMIT")
    finally:
        con.close()
    if not rows:
        click.echo(f"error: {imported_id} has no link{' to ' + linked_to if linked_to else ''}", err=True)
        sys.exit(1)
    for pid, target in rows:
        click.echo(f"unlinked {pid} from {target}")
