"""The `silkroad` command line: parses options, calls the library, prints.

Exit codes: 0 success; 1 the data has problems (validation, a failed build,
a database of another schema); 2 wrong usage, or a missing file, folder or database.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from . import __version__, kb, store
from .model import EVENT_TYPES, INSTRUMENTS, SECTORS
from .output import FORMATS, emit, fmt_amount

err = Console(stderr=True)
# piped output is not cut to 80 columns
out = Console() if sys.stdout.isatty() else Console(width=160)


class Context:
    def __init__(self, db: str | None, lang: str = "en"):
        self.db_path = Path(db) if db else store.default_db_path()
        self.lang = lang

    def text(self, texts: dict) -> str | None:
        """A title or summary in the chosen language, else in English."""
        return texts.get(self.lang) or texts.get("en")

    def query(self):
        from .analysis.queries import Query

        try:
            con = store.connect(self.db_path)
        except FileNotFoundError as exc:
            raise MissingFile(str(exc)) from None
        except store.DatabaseError as exc:
            raise click.ClickException(str(exc)) from None
        return Query(con, self.lang)


class MissingFile(click.ClickException):
    """A file, folder or database that the command needs is not there (exit 2)."""

    exit_code = 2


def _fmt_option(f):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                        help="table for reading, csv for spreadsheets, json for scripts (fields + sources).")(f)


def _source_option(f):
    return click.option("--source", metavar="ID", help="Only records citing this source id (see `silkroad sources`).")(f)


def _origin_option(f):
    return click.option("--origin", metavar="NAME",
                        help="curated, or the dataset a record was imported from (iati, crs, aiddata, gdelt).")(f)


def _year_options(f):
    f = click.option("--until", type=int, metavar="YEAR", help="Only records of this year or earlier.")(f)
    return click.option("--since", type=int, metavar="YEAR", help="Only records of this year or later.")(f)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="SILKROAD_DB", type=click.Path(dir_okay=False),
              help="Database file (env SILKROAD_DB; default: the user data directory).")
@click.option("--lang", type=click.Choice(["en", "ru", "kk"]), default="en", envvar="SILKROAD_LANG",
              show_default=True, help="Language of titles and names in tables (env SILKROAD_LANG); "
                                      "English where a record has no text in it.")
@click.version_option(__version__, prog_name="silkroad")
@click.pass_context
def cli(ctx: click.Context, db: str | None, lang: str) -> None:
    """silkroad: a source-cited observatory of Japan's diplomacy and aid in Central Asia.

    \b
    Start with:
      silkroad build                                 # validate and compile the bundled data
      silkroad overview                              # what is in the database
      silkroad events --country UZ --format json     # every Uzbekistan event with its quotes
      silkroad events --type summit --source shadayeva-2026   # the article's Table 1
      silkroad projects --country UZ --sector energy --instrument loan
      silkroad stats --by country,decade
      silkroad --lang kk events --country KZ         # titles and names in Kazakh where recorded
    """
    ctx.obj = Context(db, lang)


# --- validate and build ---------------------------------------------------------

_data_option = click.option(
    "--data", "data_dirs", multiple=True, type=click.Path(exists=True, path_type=Path),
    help="Knowledge-base folder or YAML file to use instead of the bundled one (repeatable).")


@cli.command()
@_data_option
@click.option("--conflicts", is_flag=True, help="Also list every record whose sources disagree.")
def validate(data_dirs: tuple[Path, ...], conflicts: bool) -> None:
    """Check the knowledge base; print one line per problem (file:line: record field: what is wrong).

    Exits 1 when there is any problem, 0 when the data is clean.

    \b
    Example:
      silkroad validate
      silkroad validate --data my-records/ --conflicts
    """
    try:
        base, problems = kb.load(data_dirs or None)
    except FileNotFoundError as exc:
        raise MissingFile(str(exc)) from None
    for p in problems:
        click.echo(str(p))
    if conflicts:
        n = 0
        for kind in ("events", "projects", "initiatives", "aid_totals"):
            for rid, rec in getattr(base, kind).items():
                for c in rec.conflicts:
                    n += 1
                    shown = getattr(rec, c.field, None)
                    if hasattr(shown, "model_dump"):        # e.g. a project's dates: only the fields set
                        shown = {k: str(v) for k, v in shown.model_dump(exclude_none=True).items()}
                    elif isinstance(shown, list):
                        shown = [a.model_dump(exclude_none=True) if hasattr(a, "model_dump") else a for a in shown]
                    sources = ", ".join(dict.fromkeys(e.source for e in rec.evidence))
                    click.echo(f"conflict: {kind}[{rid}] field {c.field}: shown {shown!s} (from {sources}); "
                               f"{c.evidence.source} says {c.value!s} ({c.evidence.locator}: \"{c.evidence.quote}\")")
        click.echo(f"{n} conflict(s)", err=True)
    counts = ", ".join(f"{v} {k}" for k, v in base.counts().items())
    if problems:
        click.echo(f"{len(problems)} problem(s) in {len(base.files)} file(s)", err=True)
        sys.exit(1)
    click.echo(f"ok: {len(base.files)} file(s), {counts}", err=True)


@cli.command()
@_data_option
@click.pass_obj
def build(obj: Context, data_dirs: tuple[Path, ...]) -> None:
    """Validate the knowledge base and compile it into the database, atomically.

    The new database is written beside the old one and renamed over it only
    when complete; an interrupted build leaves the previous database working.

    \b
    Example:
      silkroad build
      silkroad --db /tmp/kb.duckdb build --data src/silkroad/data/kb
    """
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("building", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=f"writing {name}", completed=done, total=total)

        try:
            counts = store.build(obj.db_path, data_dirs or None, progress=step)
        except store.BuildError as exc:
            for p in exc.problems:
                click.echo(str(p))
            click.echo(f"build stopped: {len(exc.problems)} validation problem(s); "
                       f"the database at {obj.db_path} was not changed", err=True)
            sys.exit(1)
        except FileNotFoundError as exc:
            raise MissingFile(str(exc)) from None
        except store.DatabaseError as exc:
            click.echo(f"build stopped: {exc}", err=True)
            sys.exit(1)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("sources", "actors", "initiatives", "events",
                                                       "projects", "aid_totals", "groupings"))
    click.echo(f"built {obj.db_path}: {summary}", err=True)


# --- listings -------------------------------------------------------------------

def _source_ids(row: dict) -> str:
    return ", ".join(dict.fromkeys(s["id"] for s in row["sources"]))


def _names(people: list[dict]) -> str:
    return "; ".join(p.get("name") or p["actor"] for p in people)


@cli.command()
@click.option("--country", metavar="CC", help="ISO 3166 alpha-2 code, e.g. KZ, UZ, KG, TJ, TM, JP.")
@click.option("--type", "type_", type=click.Choice(EVENT_TYPES), help="Event type.")
@_year_options
@click.option("--search", metavar="TEXT", help="Words in the title, summary or a quote (any language).")
@click.option("--initiative", metavar="ID", help="Initiative id, e.g. central-asia-plus-japan.")
@_source_option
@_origin_option
@_fmt_option
@click.pass_obj
def events(obj: Context, country, type_, since, until, search, initiative, source, origin, fmt) -> None:
    """List events: visits, meetings, summits, agreements, loans, grants ...

    \b
    Examples:
      silkroad events --country UZ --format json
      silkroad events --type summit --source shadayeva-2026     # the article's Table 1
      silkroad events --since 2000 --until 2010 --search Koizumi --format csv > koizumi.csv
    """
    rows = obj.query().events(country=country, type=type_, since=since, until=until, search=search,
                              initiative=initiative, source=source, origin=origin)
    emit(rows, fmt, [
        ("date", lambda r: r["date"]), ("type", lambda r: r["type"]),
        ("countries", lambda r: ", ".join(r["countries"])),
        ("title", lambda r: obj.text(r["title"])),
        ("participants", lambda r: _names(r["participants"])),
        ("amounts", lambda r: "; ".join(fmt_amount(a) for a in r["amounts"])),
        ("sources", _source_ids),
    ], title="Events", console=out)


@cli.command()
@click.option("--country", metavar="CC", help="Recipient country, ISO 3166 alpha-2.")
@click.option("--sector", metavar="NAME|CODE", help=f"Sector name ({', '.join(list(SECTORS)[:8])}, ...) "
              "or DAC code prefix (230, 23110).")
@click.option("--instrument", type=click.Choice(INSTRUMENTS), help="Aid instrument.")
@click.option("--donor", metavar="ID", help="Donor actor id, e.g. japan.")
@_year_options
@click.option("--search", metavar="TEXT", help="Words in the title, summary or a quote.")
@_source_option
@_origin_option
@_fmt_option
@click.pass_obj
def projects(obj: Context, country, sector, instrument, donor, since, until, search, source, origin, fmt) -> None:
    """List aid projects: ODA loans, grants, technical cooperation, investments.

    \b
    Examples:
      silkroad projects --country UZ --sector energy --instrument loan
      silkroad projects --since 2010 --format csv > projects.csv
    """
    rows = obj.query().projects(country=country, sector=sector, instrument=instrument, donor=donor,
                                since=since, until=until, search=search, source=source, origin=origin)
    emit(rows, fmt, [
        ("year", lambda r: r["year"]), ("donor", lambda r: r["donor"]), ("recipient", lambda r: r["recipient"]),
        ("instrument", lambda r: r["instrument"]), ("sector", lambda r: r["sector"]["name"]),
        ("title", lambda r: obj.text(r["title"])),
        ("amounts", lambda r: "; ".join(fmt_amount(a) for a in r["amounts"])),
        ("sources", _source_ids),
    ], title="Projects", console=out)


@cli.command()
@click.option("--country", metavar="CC", help="Recipient country, ISO 3166 alpha-2.")
@click.option("--donor", metavar="ID", help="Donor actor id, e.g. japan or china.")
@click.option("--flow", metavar="TEXT", help="Words of the flow, e.g. ODA, OOF, 'JICA programs'.")
@_year_options
@_source_option
@_origin_option
@_fmt_option
@click.pass_obj
def totals(obj: Context, country, donor, flow, since, until, source, origin, fmt) -> None:
    """List aid totals: what a donor gave a recipient in a year, or in all years to one.

    A total is a figure as its source gives it (Japan's cumulative ODA loans to
    Kazakhstan, JICA's programme spending in a fiscal year) or as a dataset
    aggregates it (AidData's Chinese official finance by country and year, one
    row per flow class).  Totals are listed, never added to project amounts or
    to each other; the note of each amount says what it covers.

    \b
    Examples:
      silkroad totals --country KZ
      silkroad totals --donor china --origin aiddata --format csv > china.csv
      silkroad totals --donor japan --since 2010
    """
    rows = obj.query().totals(country=country, donor=donor, flow=flow, since=since, until=until,
                              source=source, origin=origin)
    emit(rows, fmt, [
        ("year", lambda r: f"FY{r['year']}" if r["fiscal_year"] else r["year"]),
        ("donor", lambda r: r["donor"]), ("recipient", lambda r: r["recipient"]),
        ("flow", lambda r: r["flow"]),
        ("amounts", lambda r: "; ".join(fmt_amount(a) for a in r["amounts"])),
        ("note", lambda r: "; ".join(a["note"] for a in r["amounts"] if a.get("note"))),
        ("sources", _source_ids),
    ], title="Aid totals", console=out)


@cli.command()
@click.option("--kind", help="Actor kind: state, person, agency, company, forum ...")
@click.option("--search", metavar="TEXT", help="A name or alias in any language.")
@_fmt_option
@click.pass_obj
def actors(obj: Context, kind, search, fmt) -> None:
    """List actors (states, bodies, people, companies) with their names in en/ru/kk.

    \b
    Example:
      silkroad actors --kind person --search Коидзуми
    """
    rows = obj.query().actors(kind=kind, search=search)
    emit(rows, fmt, [
        ("id", lambda r: r["id"]), ("kind", lambda r: r["kind"]), ("country", lambda r: r["country"]),
        ("en", lambda r: r["names"].get("en")), ("ru", lambda r: r["names"].get("ru")),
        ("kk", lambda r: r["names"].get("kk")),
    ], title="Actors", console=out)


@cli.command()
@click.option("--kind", help="Source kind: article, press_release, news, treaty, dataset, report ...")
@click.option("--search", metavar="TEXT", help="Words in the title or publisher.")
@_fmt_option
@click.pass_obj
def sources(obj: Context, kind, search, fmt) -> None:
    """List the sources cited by the knowledge base, with how many records cite each.

    \b
    Example:
      silkroad sources --kind press_release --format csv
    """
    rows = obj.query().sources(kind=kind, search=search)
    emit(rows, fmt, [
        ("id", lambda r: r["id"]), ("kind", lambda r: r["kind"]), ("publisher", lambda r: r["publisher"]),
        ("title", lambda r: r["title"]), ("url", lambda r: r["url"] or r["citation"]),
        ("records", lambda r: r["records"]),
    ], title="Sources", console=out)


@cli.command()
@_fmt_option
@click.pass_obj
def groupings(obj: Context, fmt: str) -> None:
    """Authors' groupings of the states, e.g. the article's core and distant partners.

    \b
    Example:
      silkroad groupings --format json
    """
    rows = obj.query().groupings()
    emit(rows, fmt, [
        ("id", lambda r: r["id"]), ("title", lambda r: obj.text(r["title"])),
        ("groups", lambda r: "; ".join(f"{k}: {', '.join(v)}" for k, v in r["groups"].items())),
        ("sources", _source_ids),
    ], title="Groupings", console=out)


@cli.command()
@click.option("--by", default="country", show_default=True,
              help="Comma-separated keys: country, year, decade, type, kind, sector, instrument, donor, "
                   "origin, initiative.")
@click.option("--grouping", metavar="ID",
              help="Group countries as a grouping does (see `silkroad groupings`) and allow the key 'group'.")
@click.option("--currency", default="USD", show_default=True,
              help="USD sums amounts converted at yearly ECB rates; another code sums only the amounts "
                   "recorded in that currency.")
@_fmt_option
@click.pass_obj
def stats(obj: Context, by: str, grouping: str | None, currency: str, fmt: str) -> None:
    """Count records, sources and amounts by country, year, type, sector ...

    Amounts are summed by kind (pledge, commitment, disbursement, and investment
    for business deals); cumulative totals are never summed, and an event that
    records a project's signing does not add the project's money twice.  A
    record that concerns several countries counts once in each group it falls
    in.  `unconverted` counts the amounts left out of the sums (no yearly rate,
    e.g. yen before 1999, or another currency than --currency); `left_out`
    those an importer flagged (an IATI transaction above 10 billion US dollars,
    e.g. yen reported as dollars; an AidData row not recommended for
    aggregates, e.g. an umbrella agreement): listed with their record, not
    summed.

    \b
    Examples:
      silkroad stats --by country,type
      silkroad stats --by year --currency JPY --format csv
      silkroad stats --by group,decade --grouping grp-shadayeva-2026-strategic-priority
    """
    from .analysis.queries import UnknownGrouping
    from .model import check_currency

    keys = [k.strip() for k in by.split(",") if k.strip()]
    try:
        check_currency(currency.upper())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--currency") from None
    query = obj.query()
    try:
        rows = query.stats(keys, currency, grouping=grouping)
    except UnknownGrouping as exc:
        raise click.BadParameter(str(exc), param_hint="--grouping") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--by") from None
    columns = [(k, (lambda r, k=k: r[k])) for k in (rows[0].keys() if rows else keys)]
    emit(rows, fmt, columns, title=f"Records by {', '.join(keys)}", console=out)


@cli.command()
@_fmt_option
@click.pass_obj
def overview(obj: Context, fmt: str) -> None:
    """Summarise the database: records by kind, events by type, by country and by decade.

    \b
    Example:
      silkroad overview
    """
    data = obj.query().overview()
    if fmt == "json":
        emit([data], "json", [])
        return
    if fmt == "csv":    # one table for a spreadsheet: a row per (section, key)
        rows = [{"section": "records", "key": k, "count": v} for k, v in data["counts"].items()]
        rows += [{"section": "type", "key": r["type"], "events": r["n"]} for r in data["by_type"]]
        rows += [{"section": section, "key": r[section], "events": r["events"], "projects": r["projects"]}
                 for section, key in (("country", "by_country"), ("decade", "by_decade")) for r in data[key]]
        emit([{"section": r["section"], "key": r["key"], "count": r.get("count"), "events": r.get("events"),
               "projects": r.get("projects")} for r in rows], "csv", [])
        return
    counts = data["counts"]
    emit([counts], fmt, [(k, (lambda r, k=k: r[k])) for k in counts], title="Records", console=out)
    emit(data["by_type"], fmt, [("type", lambda r: r["type"]), ("events", lambda r: r["n"])],
         title="Events by type", console=out)
    emit(data["by_country"], fmt, [("country", lambda r: r["country"]), ("events", lambda r: r["events"]),
                                   ("projects", lambda r: r["projects"])], title="By country", console=out)
    emit(data["by_decade"], fmt, [("decade", lambda r: r["decade"]), ("events", lambda r: r["events"]),
                                  ("projects", lambda r: r["projects"])], title="By decade", console=out)


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Markdown table to this file instead of printing it.")
@click.pass_obj
def coverage(obj: Context, out: Path | None) -> None:
    """Records and sources per country, type and decade, as a Markdown table.

    \b
    Example:
      silkroad coverage --out docs/coverage.md
    """
    from .analysis.coverage import coverage_markdown

    text = coverage_markdown(obj.query())
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


def _add_package_commands() -> None:
    """The commands that live in their own packages: extraction and the importers."""
    from .extract.commands import extract, review
    from .importers.commands import import_

    for command in (extract, review, import_):
        cli.add_command(command)


_add_package_commands()


def main() -> None:
    cli(prog_name="silkroad")


if __name__ == "__main__":
    main()
