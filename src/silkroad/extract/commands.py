"""Click commands `extract` and `review` (registered in silkroad.cli by the lead)."""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import click

from . import pipeline
from .evaluate import evaluate, read_jsonl


def _doc_date(value: str | None) -> str | None:
    if value is None:
        return None
    from silkroad.model import PartialDate

    try:
        return str(PartialDate.parse(value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def read_sources(path: str | Path) -> dict[str, str]:
    """Per-document dates from a sources TSV (``file  lang  doc_date  url`` lines, '#' comments):
    file name -> doc_date, for the documents that give one."""
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) >= 3 and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", cols[2].strip()):
                out[Path(cols[0].strip()).name] = cols[2].strip()
    return out


def sidecar_dates(gold_path: str | None, sources_path: str | None) -> dict[str, str]:
    """Document dates of ``--sources``, else of the ``sources.tsv`` next to the gold file."""
    if sources_path:
        return read_sources(sources_path)
    if gold_path:
        default = Path(gold_path).with_name("sources.tsv")
        if default.is_file():
            return read_sources(default)
    return {}


@click.command("extract")
@click.argument("files", nargs=-1, required=True)
@click.option("--lang", type=click.Choice(["auto", "kk", "ru", "en"]), default="auto", show_default=True,
              help="Language of the documents; auto detects it per paragraph.")
@click.option("--eval", "gold_path", type=click.Path(exists=True, dir_okay=False),
              help="Gold JSONL: print precision, recall, F1, exact year and exact amount instead of candidates.")
@click.option("--doc-date", callback=lambda c, p, v: _doc_date(v),
              help="Publication date of the documents (YYYY[-MM[-DD]]) for 'today', '9 August', 'next year'.")
@click.option("--sources", "sources_path", type=click.Path(exists=True, dir_okay=False),
              help="TSV of 'file<TAB>lang<TAB>doc_date<TAB>url' giving each document's date "
                   "(with --eval, the sources.tsv next to the gold file is read by default).")
@click.option("--min-confidence", type=float, default=pipeline.MIN_CONFIDENCE, show_default=True,
              help="Drop candidates scored below this.")
def extract(files, lang, gold_path, doc_date, sources_path, min_confidence):
    """Propose events found in kk/ru/en documents, one JSON object per line on stdout.

    FILE may be .txt (UTF-8, UTF-16 or cp1251) or .html; '-' reads stdin.  Files that
    cannot be read are reported and skipped; the exit code is 2 if a named file is
    missing, 1 if nothing could be read, else 0.

    Dates without a year ("On November 8", "9 тамызда") take the year of the document date:
    the date the document states in its header or dateline, else --doc-date, else the
    document's line in --sources.

    \b
    Examples:
      silkroad extract news.txt > candidates.jsonl
      cat article.txt | silkroad extract --lang kk --doc-date 2024-08-09 -
      silkroad extract --eval tests/gold/gold.jsonl tests/gold/docs/*.txt
    """
    missing = [name for name in files if name != "-" and not Path(name).is_file()]
    try:
        read_any, all_cands = _run_extract(files, lang, gold_path, doc_date, sources_path, min_confidence)
        if gold_path:
            scores = evaluate(all_cands, read_jsonl(gold_path), docs=files)
            click.echo(scores.report())
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()      # `silkroad extract FILE | head -1`: the reader has gone
    if not read_any:
        click.echo("nothing could be read", err=True)
    if missing:                   # a path that is not there is a usage error (2), as everywhere
        sys.exit(2)
    if not read_any:
        sys.exit(1)


def _quiet_broken_pipe() -> None:
    """The reader of stdout has gone (``| head -1``): stop quietly, exit 0, no traceback and
    no "Broken pipe" message when Python flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    raise SystemExit(0)


def _run_extract(files, lang, gold_path, doc_date, sources_path, min_confidence) -> tuple[bool, list[dict]]:
    read_any = False
    all_cands: list[dict] = []
    out = sys.stdout
    sidecar = sidecar_dates(gold_path, sources_path)
    for name in files:
        try:
            date = doc_date or sidecar.get(Path(name).name)
            for cand in pipeline.extract_file(name, lang=lang, doc_date=date):
                read_any = True
                if cand["confidence"] < min_confidence:
                    continue
                if gold_path:
                    all_cands.append(cand)
                else:
                    out.write(json.dumps(cand, ensure_ascii=False) + "\n")
            read_any = True
        except BrokenPipeError:
            raise                     # stdout closed by its reader, not a file that cannot be read
        except pipeline.ReadError as exc:
            click.echo(f"{name}: {exc}", err=True)
        except FileNotFoundError:
            click.echo(f"{name}: no such file, skipped", err=True)
        except IsADirectoryError:
            click.echo(f"{name}: is a folder, skipped", err=True)
        except (OSError, UnicodeError) as exc:
            click.echo(f"{name}: cannot read ({exc}), skipped", err=True)
    return read_any, all_cands


@click.command("review")
@click.argument("candidates", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--kb", "kb_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Knowledge-base folder (default: the bundled src/silkroad/data/kb).")
@click.option("--out", "out_name", default="extracted.yaml", show_default=True,
              help="File under <kb>/reviewed/ that accepted records are appended to.")
def review(candidates, kb_dir, out_name):
    """Accept, edit or reject extracted candidates, one by one, from the keyboard.

    Keys: a = accept, e = edit then accept, r = reject, s = skip, q = quit.  An accepted
    candidate becomes an event (with its source and evidence) in <kb>/reviewed/<out>; when
    the knowledge base already has an event of the same type, date and countries you are
    offered to add the evidence to it instead.

    \b
    Example:
      silkroad extract news.txt > cands.jsonl
      silkroad review cands.jsonl --kb src/silkroad/data/kb
    """
    from . import review as lib

    kb_dir = kb_dir or lib.default_kb_dir()
    try:
        cands = lib.load_candidates(candidates)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if not cands:
        click.echo("no candidates to review")
        return
    counts = {"accepted": 0, "merged": 0, "rejected": 0, "skipped": 0}
    for i, cand in enumerate(cands, 1):
        click.echo(lib.describe(cand, i, len(cands)))
        key = click.prompt("[a]ccept [e]dit [r]eject [s]kip [q]uit", type=click.Choice(list("aersq")),
                           show_choices=False)
        if key == "q":
            break
        if key == "r":
            counts["rejected"] += 1
            continue
        if key == "s":
            counts["skipped"] += 1
            continue
        edits = {}
        if key == "e" or not cand.get("date"):
            edits["event_type"] = click.prompt("type", default=cand["event_type"],
                                               type=click.Choice(lib.EVENT_TYPES), show_choices=False)
            edits["date"] = click.prompt("date (YYYY[-MM[-DD]])", default=cand.get("date") or "")
            edits["countries"] = click.prompt("countries", default=" ".join(cand.get("countries") or [])).split()
            edits["title"] = click.prompt("title (en)", default=lib.default_title({**cand, **edits}))
        dup = lib.find_duplicates({**cand, **edits}, kb_dir)
        try:
            if dup and click.confirm(f"same type, date and countries as {dup[0]}: add the evidence to it?",
                                     default=True):
                lib.add_evidence(dup[0], {**cand, **edits}, kb_dir)
                counts["merged"] += 1
                click.echo(f"evidence added to {dup[0]}")
                continue
            rid = lib.accept_candidate(cand, kb_dir, edits=edits, out_name=out_name)
        except ValueError as exc:
            click.echo(f"not saved: {exc}", err=True)
            continue
        counts["accepted"] += 1
        click.echo(f"saved {rid}")
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))
