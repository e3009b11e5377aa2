"""IATI activity XML (standard 2.01-2.03) -> projects, transactions, sectors, recipients.

The file is streamed so memory does not grow with it: a UTF-8 file in chunks of
whole ``<iati-activity>`` elements parsed by two reader threads (see
``_import_chunked``), anything else - and any file with a parse error, to
report it at its exact line - with lxml ``iterparse``, every activity cleared
(and its earlier siblings removed) once read.  The parser is hardened: a DOCTYPE (and so any entity
declaration) is refused before parsing, entities are never resolved, no
network access, no DTD loading, and lxml's huge-tree limits stay on.

One activity becomes one project ``iati:<iati-identifier>``.  Every
transaction is kept in ``transactions`` with its own type, currency and value
date; commitments (type 2) and disbursements (type 3) are also amounts of
kind commitment / disbursement, each on its own row, never added together.
"""

from __future__ import annotations

import itertools
import queue
import re
import sys
import threading
from collections import Counter
from pathlib import Path

import duckdb
from lxml import etree

from .. import money
from . import codes, iati_parallel
from .common import (IMPLAUSIBLE_USD, DataError, FileInfo, Progress, Summary, Writer, add_source, delete_import,
                     register, truncate)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
VERSIONS = ("2.01", "2.02", "2.03")

COLUMNS = {
    "projects": ("id", "title_en", "title_ru", "title_kk", "donor", "agency", "recipient", "sector",
                 "purpose_code", "dac_code", "sector_group", "instrument", "signed", "start_date", "end_date",
                 "year", "status", "initiative", "summary_en", "confidence", "confidence_note", "origin",
                 "import_id"),
    "project_ids": ("project_id", "scheme", "value"),
    "evidence": ("record_kind", "record_id", "seq", "source_id", "locator", "quote", "note"),
    "transactions": ("project_id", "seq", "type_code", "type", "date", "value", "currency", "value_date",
                     "value_usd", "provider_ref", "receiver_ref", "line", "import_id", "year", "usd_rate",
                     "usd_rate_note"),
    "project_recipients": ("project_id", "kind", "code", "vocabulary", "percentage", "import_id"),
    "project_sectors": ("project_id", "vocabulary", "code", "name", "percentage", "import_id"),
    "project_orgs": ("project_id", "role", "ref", "type", "name", "import_id"),
    "import_collisions": ("import_id", "dataset", "identifier", "first_line", "line", "kept_as", "note"),
}

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ORG_COUNTRY = re.compile(r"^([A-Z]{2})-(?:GOV-)?\d+$")


class _CountingReader:
    """A file wrapper that counts the bytes lxml has read (for the progress bar)."""

    def __init__(self, f, progress: Progress, total: int):
        self.f, self.progress, self.total, self.done = f, progress, total, 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.done += len(data)
        self.progress(self.done, self.total)
        return data


PROLOG_LIMIT = 16 * 1024 * 1024


def check_prolog(path: Path) -> None:
    """Refuse a DOCTYPE / ENTITY declaration before the root element (entity expansion, XXE).

    The prolog is read up to the first element start tag, however long its comments
    are (to a limit), so a DOCTYPE cannot hide behind a large comment.
    """
    head = b""
    with path.open("rb") as f:
        while True:
            chunk = f.read(65536)
            head += chunk
            text = head
            if text.startswith((b"\xff\xfe", b"\xfe\xff")):
                text = text.decode("utf-16", errors="replace").encode("utf-8")
            # comments and processing instructions may contain anything, '<a' included
            visible = re.sub(rb"<!--.*?-->|<\?.*?\?>", lambda m: b"\n" * m.group(0).count(b"\n"), text, flags=re.S)
            unclosed = re.search(rb"<!--|<\?", visible)       # a comment or PI that goes on past this chunk
            m = re.search(rb"<[A-Za-z_]", visible[: unclosed.start()] if unclosed else visible)
            if m or not chunk:
                break
            if len(head) > PROLOG_LIMIT:
                raise DataError(f"no root element in the first {PROLOG_LIMIT // 2**20} MB", path, 1, "prolog")
    prolog = visible[: m.start()] if m else visible
    d = _DOCTYPE.search(prolog)
    if d:
        line = prolog[: d.start()].count(b"\n") + 1
        raise DataError("the file declares a DTD (<!DOCTYPE>); DTDs and entity declarations are refused "
                        "(they allow entity-expansion 'billion laughs' and external-entity attacks)",
                        path, line, "DOCTYPE")


def _text(el) -> str | None:
    return el.text.strip() if el is not None and el.text and el.text.strip() else None


def _narratives(el, default_lang: str) -> dict[str, str]:
    """Narratives by (two-letter) language; 1.x-style text directly in the element as a fallback."""
    out: dict[str, str] = {}
    if el is None:
        return out
    for n in el.iterchildren("narrative"):
        t = n.text
        if t:
            t = " ".join(t.split())
            if t:
                lang = n.get(XML_LANG)
                lang = lang.lower()[:2] if lang else default_lang
                if lang not in out:
                    out[lang] = t
    if not out:
        t = el.text
        if t:
            t = " ".join(t.split())
            if t:
                out[default_lang or "en"] = t
    return out


def _first_narrative(el) -> str | None:
    for n in el.iterchildren("narrative"):
        t = n.text
        if t:
            t = " ".join(t.split())
            if t:
                return t
    t = el.text
    if t:
        t = " ".join(t.split())
        if t:
            return t
    return None


def _float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return float(value.strip().replace(",", ""))
    except ValueError:
        return None


_DATES: dict[str, str | None] = {}     # raw attribute -> _date() (files repeat a few thousand dates)


def _date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` (the first ten characters of an ISO date), else None."""
    if not value:
        return None
    try:
        return _DATES[value]
    except KeyError:
        pass
    v = value[:10] if value[0] not in " \t\r\n" else value.strip()[:10]
    if not (len(v) == 10 and v[4] == "-" and v[7] == "-" and (v[:4] + v[5:7] + v[8:]).isdigit() and v.isascii()
            and "01" <= v[5:7] <= "12" and "01" <= v[8:] <= "31"):
        v = None
    if len(_DATES) < 100_000:
        _DATES[value] = v
    return v


def _lookups(con: duckdb.DuckDBPyConnection) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """What the mapping needs from the database: the IATI ids already imported, a state actor per country, and
    the multilateral bodies and agencies of the knowledge base by each of their names (lower case)."""
    existing = {r[0] for r in con.execute("SELECT id FROM projects WHERE origin = 'iati'").fetchall()}
    states: dict[str, str] = {}
    for aid, country in con.execute(
            "SELECT id, country FROM actors WHERE kind = 'state' AND country IS NOT NULL ORDER BY id").fetchall():
        states.setdefault(country, aid)
    bodies: dict[str, str] = {}
    for aid, name in con.execute(
            "SELECT a.id, n.name FROM actors a JOIN actor_names n ON n.actor_id = a.id "
            "WHERE a.kind IN ('multilateral', 'agency') ORDER BY a.id, n.name").fetchall():
        bodies.setdefault(" ".join(name.lower().split()), aid)
    return existing, states, bodies


class _Context:
    """The mapping's state for one file.  Without ``con`` (in a worker process of the parallel pass) rows
    are only collected, and the database lookups come as ``lookups``."""

    def __init__(self, con: duckdb.DuckDBPyConnection | None, info: FileInfo, summary: Summary,
                 lookups: tuple[set[str], dict[str, str], dict[str, str]] | None = None):
        self.con, self.info, self.summary = con, info, summary
        self.iid = info.import_id
        self.w = Writer(con, COLUMNS, BATCH_ROWS) if con is not None else None
        # table -> list of row tuples (flushed in batches)
        self.rows = self.w.rows if self.w else {t: [] for t in COLUMNS}
        self.seen: dict[str, int] = {}       # identifier -> line of first occurrence
        self.existing, self.states, self.bodies = lookups or _lookups(con)
        self.providers = codes.dac_providers()
        self.provider_countries = {r["iso2"]: r["name"] for r in self.providers.values() if r["iso2"]}
        self.countries = codes.countries()
        self.currencies = codes.currencies()
        self.sectors = codes.sectors()
        self.categories = codes.sector_categories()
        self.ttypes = codes.transaction_types()
        self.donor_cache: dict[tuple, str | None] = {}
        self.rates: dict[tuple, tuple] = {}          # (currency, year) -> (rate, note)
        self.sector_names: dict[str | None, str | None] = {}
        self.instruments: dict[tuple, str] = {}
        self.line_offset = 0

    def rate(self, currency: str, year: int | None) -> tuple:
        key = (currency, year)
        r = self.rates.get(key)
        if r is None:
            usd = money.to_usd(1.0, currency, year)
            r = self.rates[key] = (usd.rate, usd.note)
        return r

    def donor(self, ref: str | None, name: str | None = None) -> str | None:
        """The donor of an activity from its reporting organisation: the state actor of the country its
        ref names (``XM-DAC-701-...``, ``JP-...``), else the knowledge base's body of that name (``undp``),
        else the OECD DAC name of that country or organisation (the name the CRS importer shows), else the
        organisation's own name, else its ref."""
        key = (ref, name)
        if key in self.donor_cache:
            return self.donor_cache[key]
        country = dac_name = None
        if ref and ref.startswith("XM-DAC-"):
            provider = self.providers.get(ref.split("-")[2], {})
            country, dac_name = provider.get("iso2") or None, provider.get("name") or None
        elif ref:
            m = _ORG_COUNTRY.match(ref)
            if m and m.group(1) not in ("XM", "XI", "XC"):
                country = m.group(1)
                dac_name = self.provider_countries.get(country)
        keys = (" ".join(n.lower().split()) for n in (name, dac_name) if n)
        body = next((self.bodies[k] for k in keys if k in self.bodies), None)
        out = (self.states.get(country) if country else None) or body or dac_name or name or ref
        self.donor_cache[key] = out
        return out


# the children of <iati-activity> that are read; the rest are skipped without a Python object
_ACTIVITY_TAGS = ("iati-identifier", "title", "description", "reporting-org", "participating-org",
                  "activity-status", "activity-date", "recipient-country", "recipient-region", "sector",
                  "default-finance-type", "default-aid-type", "transaction")


def _activity(ctx: _Context, act, line: int) -> None:
    s, info, rows, iid = ctx.summary, ctx.info, ctx.rows, ctx.iid
    off = ctx.line_offset          # line of the chunk's line 1 in the file, minus 1
    s.rows_read += 1
    default_lang = act.get(XML_LANG)
    default_lang = default_lang.lower()[:2] if default_lang else "en"
    default_currency = act.get("default-currency")
    ident = None
    title: dict[str, str] = {}
    summary_en = None
    reporting = None
    orgs = []
    status = None
    dates: dict[str, str] = {}
    recipients = []
    sectors = []
    finance_type = aid_type = None
    transactions = []
    for child in act.iterchildren(*_ACTIVITY_TAGS):
        tag = child.tag
        if tag == "transaction":
            transactions.append(child)
        elif tag == "sector":
            sectors.append((child.get("vocabulary") or "1", child.get("code"), child.get("percentage"), child))
        elif tag == "participating-org":
            orgs.append((child.get("role"), child.get("ref"), child.get("type"), _first_narrative(child)))
        elif tag == "activity-date":
            raw = child.get("iso-date")
            d = _date(raw)
            if d:
                dates.setdefault(child.get("type") or "", d)
            elif raw:
                s.warn(child.sourceline + off, "activity-date/@iso-date", f"{raw!r} is not a date (left out)")
        elif tag == "iati-identifier":
            ident = _text(child)
        elif tag == "title":
            title = _narratives(child, default_lang)
        elif tag == "description":
            if summary_en is None and child.get("type", "1") == "1":
                d = _narratives(child, default_lang)
                summary_en = d.get("en") or next(iter(d.values()), None)
        elif tag == "reporting-org":
            reporting = (child.get("ref"), child.get("type"), _first_narrative(child))
        elif tag == "activity-status":
            status = child.get("code")
        elif tag == "recipient-country":
            recipients.append(("country", child.get("code"), None, child.get("percentage"), child))
        elif tag == "recipient-region":
            recipients.append(("region", child.get("code"), child.get("vocabulary") or "1",
                               child.get("percentage"), child))
        elif tag == "default-finance-type":
            finance_type = child.get("code")
        elif tag == "default-aid-type":
            aid_type = aid_type or child.get("code")

    if not ident:
        s.skip("activity without iati-identifier")
        s.warn(line, "iati-identifier", "activity has no iati-identifier; skipped")
        return
    pid = f"iati:{ident}"
    if ident in ctx.seen or pid in ctx.existing:
        first = ctx.seen.get(ident)
        n = 2
        while f"{pid}~{n}" in ctx.existing or f"{ident}~{n}" in ctx.seen:
            n += 1
        kept = f"{pid}~{n}"
        note = ("identifier repeated in this file" if first is not None
                else "identifier already imported from another file")
        rows["import_collisions"].append((iid, "iati", ident, first, line, kept, note))
        s.collisions += 1
        if first is not None:
            s.warn(line, "iati-identifier", f"duplicate identifier {ident} ({note}); kept as {kept}")
        else:           # the same activity from another file (e.g. an overlapping download): one warning for all
            s.warn(line, "iati-identifier", "identifier already imported from another file: kept under a new id "
                                            "(iati:<identifier>~N) and linked to the earlier copy, so its money "
                                            "counts once (see import_collisions; `silkroad import unlink` undoes)")
        ctx.seen[f"{ident}~{n}"] = line
        pid = kept
    else:
        ctx.seen[ident] = line

    # recipients
    countries = []
    out = rows["project_recipients"]
    for kind, code, vocab, pct, el in recipients:
        if kind == "country":
            code = (code or "").upper()
            if code not in ctx.countries:
                s.warn(el.sourceline + off, "recipient-country/@code",
                       f"unknown country code {code!r} (row kept)" if code
                       else "recipient-country without a code (row kept)")
            countries.append(code)
        out.append((pid, kind, code, vocab, _float(pct), iid))
    recipient = countries[0] if len(countries) == 1 and countries[0] else None

    # sectors: DAC 5-digit (vocabulary 1) decides the project's purpose code.  IATI 2.x puts them on the
    # activity or, instead, on each transaction: then the activity's are its transactions' (no percentage)
    field = "sector/@code"
    if not sectors and transactions:
        sectors = _transaction_sectors(transactions)
        field = "transaction/sector/@code"
    best = None
    out = rows["project_sectors"]
    for vocab, code, pct, el in sectors:
        pct_f = _float(pct)
        name = None
        if vocab == "1":
            name = ctx.sectors.get(code or "")
            if name is None:
                s.warn(el.sourceline + off, field,
                       f"unknown DAC purpose code {code!r} (row kept)" if code
                       else "sector without a code (row kept)")
            elif best is None or (pct_f or 0) > (best[1] or 0):
                best = (code, pct_f)
        elif vocab == "2":
            name = ctx.categories.get(code or "")
        out.append((pid, vocab, code, name, pct_f, iid))
    purpose = best[0] if best else None
    dac3 = purpose[:3] if purpose else next((c for v, c, _, _ in sectors if v == "2" and c), None)
    key = purpose or dac3
    if key in ctx.sector_names:
        sector = ctx.sector_names[key]
    else:
        sector = ctx.sector_names[key] = codes.sector_name(key)

    out = rows["project_orgs"]
    for role, ref, typ, name in orgs:
        out.append((pid, role, ref, typ, name, iid))
    rep_ref = reporting[0] if reporting else None
    if reporting:
        out.append((pid, "reporting", rep_ref, reporting[1], reporting[2], iid))

    start = dates.get("2") or dates.get("1")
    end = dates.get("4") or dates.get("3")

    # transactions
    first_year = None
    tx_types = {"finance-type": Counter(), "aid-type": Counter()}     # code -> transactions that give it
    if transactions:
        tx_rows = rows["transactions"]
        ttypes, currencies, letters, kinds = ctx.ttypes, ctx.currencies, codes.TRANSACTION_LETTERS, codes.TRANSACTION_KIND
        for seq, t in enumerate(transactions):
            value_el = None
            ttype = tdate = prov = recv = None
            for c in t:             # a handful of children: plain iteration beats a tag filter here
                tag = c.tag
                if tag == "value":
                    value_el = c
                elif tag == "transaction-type":
                    ttype = c.get("code")
                elif tag == "transaction-date":
                    tdate = _date(c.get("iso-date"))
                    if tdate is None and c.get("iso-date"):
                        s.warn(c.sourceline + off, "transaction-date/@iso-date",
                               f"{c.get('iso-date')!r} is not a date (left out)")
                elif tag == "provider-org":
                    prov = c.get("ref")
                elif tag == "receiver-org":
                    recv = c.get("ref")
                elif tag == "finance-type" or tag == "aid-type":    # IATI 2.x: instead of the activity's default
                    code = c.get("code")
                    if code:
                        tx_types[tag][code] += 1
            if value_el is not None:
                raw_value = value_el.text
                currency = value_el.get("currency") or default_currency
                vdate = _date(value_el.get("value-date"))
                tline = (value_el.sourceline or t.sourceline) + off
            else:
                raw_value = vdate = None
                currency = None
                tline = t.sourceline + off
            if ttype in letters:
                ttype = letters[ttype]
            if ttype not in ttypes:
                s.warn(tline, "transaction-type/@code", f"unknown transaction type {ttype!r} (row kept)" if ttype
                       else "transaction without a transaction-type code (row kept)")
            value = _float(raw_value)
            if value is None:
                s.warn(tline, "transaction/value",
                       f"value {truncate(raw_value, 40)!r} is not a number; transaction skipped")
                s.skip("transaction value not a number")
                continue
            # the amount's year is the transaction's; the value date only picks the exchange rate (publishers
            # such as the EC set every value date to the day they published)
            when = tdate or vdate
            year = int(when[:4]) if when else None
            rate_date = vdate or tdate
            rate_year = int(rate_date[:4]) if rate_date else None
            if not currency:
                s.warn(tline, "transaction/value/@currency", "no currency and no default-currency (row kept)")
                rate = note = value_usd = None
            elif currency not in currencies:
                s.warn(tline, "transaction/value/@currency", f"unknown currency code {currency!r} (row kept)")
                rate = note = value_usd = None
            else:
                rate, note = ctx.rate(currency, rate_year)
                value_usd = value * rate if rate is not None else None
            if year is not None and not 1950 <= year <= 2100:
                s.warn(tline, "transaction/transaction-date/@iso-date" if tdate else "transaction/value/@value-date",
                       f"implausible date {when} (row kept)")
            if value_usd is not None and abs(value_usd) > IMPLAUSIBLE_USD:
                s.warn(tline, "transaction/value",
                       f"implausible value {value:,.0f} {currency} (about {value_usd:,.0f} USD) in one "
                       f"{kinds.get(ttype or '', 'transaction')} of {ident}; "
                       f"it may be reported in the wrong currency (e.g. yen as {currency}) (row kept)")
            kind = kinds.get(ttype or "")
            # a commitment or disbursement is also an amount of the project: the all_amounts view reads it here
            tx_rows.append((pid, seq, ttype, kind, tdate, value, currency, vdate, value_usd, prov, recv, tline, iid,
                            year, rate, note))
            if first_year is None and year and (kind == "commitment" or kind == "disbursement"):
                first_year = year
        s.details["transactions"] = s.details.get("transactions", 0) + len(transactions)
    elif "transactions" not in s.details:
        s.details["transactions"] = 0

    year = int(start[:4]) if start else first_year
    title_en = title.get("en") or next(iter(title.values()), None) or ident
    # no default finance or aid type: the one most of the transactions give
    finance_type = finance_type or _commonest(tx_types["finance-type"])
    aid_type = aid_type or _commonest(tx_types["aid-type"])
    ikey = (finance_type, aid_type)
    instrument = ctx.instruments.get(ikey)
    if instrument is None:
        instrument = ctx.instruments[ikey] = codes.instrument(finance_type, aid_type)
    rows["projects"].append((
        pid, title_en, title.get("ru"), title.get("kk"), ctx.donor(rep_ref, reporting[2] if reporting else None),
        rep_ref, recipient, sector,
        purpose, dac3, codes.sector_group(dac3), instrument, None, start, end,
        year, codes.ACTIVITY_STATUS.get(status or "", "unknown"), None, truncate(summary_en, 2000), "medium",
        "imported from IATI as published by the reporting organisation", "iati", iid))
    rows["project_ids"].append((pid, "iati", ident))
    rows["evidence"].append(("project", pid, 0, info.source_id, f"{info.name} line {line}, iati-identifier {ident}",
                             truncate(title_en, 200) or ident, None))
    s.rows_imported += 1


def _commonest(counts: Counter) -> str | None:
    return counts.most_common(1)[0][0] if counts else None


def _transaction_sectors(transactions) -> list[tuple]:
    """The distinct (vocabulary, code) of the transactions' sectors, the most frequent first (so it becomes
    the purpose code), as (vocabulary, code, no percentage, first element)."""
    counts: Counter = Counter()
    first: dict[tuple, object] = {}
    for t in transactions:
        for el in t.iterchildren("sector"):
            key = (el.get("vocabulary") or "1", el.get("code"))
            counts[key] += 1
            first.setdefault(key, el)
    return [(vocab, code, None, first[(vocab, code)]) for (vocab, code), _ in counts.most_common()]


@register("iati")
def import_iati(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress) -> None:
    path = info.path
    check_prolog(path)
    header = _chunk_header(path)
    # bounded memory: a small DuckDB buffer pool (the transaction spills beside the database), one DuckDB
    # thread (the other core parses), allocator caches returned early.  Left set for the rest of the
    # command (the connection is the import's own and is closed after it), except that linking and
    # COMMIT get a larger one (DUCKDB_MEMORY_AFTER): with a large file's rows held by the open
    # transaction, 32 MB is too little for the linking join (seen on 1 GB: "failed to pin block").
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
    con.execute("SET threads = 1")
    con.execute("SET allocator_flush_threshold = '8MB'")
    _import(con, info, summary, progress, header)
    con.execute(f"SET memory_limit = '{DUCKDB_MEMORY_AFTER}'")


def _import(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress,
            header: bytes | None) -> None:
    if header is not None and iati_parallel.usable(info):
        try:
            iati_parallel.import_parallel(con, info, summary, progress, header)
            return
        except iati_parallel.Fallback as fallback:
            delete_import(con, info.import_id)
            summary.restart()
            if fallback.parse:          # the streaming pass finds and reports the error
                header = None
    if header is not None:
        # the reader thread needs the GIL briefly several times per chunk; with Python's default 5 ms
        # switch interval it waits behind the mapping thread that long each time (measured: best of 5,
        # 60 MB file, 2.36 s -> 2.04 s with 1 ms)
        switch = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        try:
            _import_chunked(con, info, summary, progress, header)
            return
        except _Fallback:
            # the file is not well-formed somewhere (or was cut at a wrong place): undo this file's rows
            # and let the streaming parser find (and report) the error with its exact line
            delete_import(con, info.import_id)
            summary.restart()
        finally:
            sys.setswitchinterval(switch)
    _import_streaming(con, info, summary, progress)


def _import_streaming(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary,
                      progress: Progress) -> None:
    """One ``iterparse`` pass, every activity cleared (and dropped from the root) once read."""
    path = info.path
    add_source(con, info, "IATI activity file", "IATI Standard (http://iatistandard.org/)")
    ctx = _Context(con, info, summary)
    w = ctx.w
    root_checked = False
    with path.open("rb") as raw:
        reader = _CountingReader(raw, progress, info.size)
        it = etree.iterparse(reader, events=("end",), tag="iati-activity", resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
                             remove_pis=True)
        try:
            for _, act in it:
                if not root_checked:
                    root_checked = True
                    _check_root(act, summary, path)
                _activity(ctx, act, act.sourceline)
                act.clear(keep_tail=False)
                prev = act.getprevious()
                if prev is not None:
                    parent = act.getparent()
                    while act.getprevious() is not None:
                        del parent[0]
                if w.pending() >= w.batch:
                    w.flush()
            if not root_checked:
                root = it.root if hasattr(it, "root") else None
                tag = root.tag if root is not None else None
                raise DataError(f"no <iati-activity> element found (root element is <{tag}>)", path, 1)
        except etree.XMLSyntaxError as exc:
            line = exc.lineno or (exc.position[0] if getattr(exc, "position", None) else None)
            msg = str(exc.msg if hasattr(exc, "msg") else exc)
            if "encoding" in msg.lower() or "utf-8" in msg.lower() or "not proper" in msg.lower():
                msg = f"wrong encoding: {msg}"
            raise DataError(f"malformed XML: {msg}", path, line, "XML") from None
    w.flush()


# --- the fast path: the file cut into chunks of whole activities, parsed in reader threads ---------------
#
# libxml2 releases the GIL while it parses a chunk held in memory (it does not inside iterparse), so
# READERS reader threads parse the next chunks (alternately) while this thread maps chunk n: the import
# runs about as fast as a bare parse (measured on 200 MB: two readers 9-10 % faster than one, +16 MB).
# Memory stays bounded: per reader at most CHUNK_QUEUE + 2 chunk trees of about CHUNK_BYTES of XML.
# Every chunk is the file's own prolog and root start tag + whole <iati-activity> elements + the root
# end tag, so it is parsed with the same hardened parser and the same namespaces; line numbers are
# shifted back to the file's.  A cut can only fall at a real "</iati-activity>" end tag: one inside a
# comment, CDATA section or processing instruction leaves that chunk unterminated, which is a parse
# error.  Any parse error (or a file that is not UTF-8) falls back to the iterparse pass above, which
# reports the error with its exact line; the rows of the attempt are deleted first (same transaction).

CHUNK_BYTES = 500_000
DUCKDB_MEMORY = "32MB"      # DuckDB's buffer pool during an IATI import (the rest spills to disk)
DUCKDB_MEMORY_AFTER = "96MB"   # ... and for the linking and COMMIT that follow it
BATCH_ROWS = 5_000           # rows buffered per table before an insert
CHUNK_QUEUE = 2
READERS = 2                  # parsing threads; the chunks of one file alternate between them
_ACT_END = b"</iati-activity>"
_ROOT_END = b"</iati-activities>"
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_FIRST_ACTIVITY = re.compile(rb"<iati-activity[\s>/]")


class _Fallback(Exception):
    """The chunked pass cannot be used for this file; use the streaming pass."""


def _chunk_header(path: Path) -> bytes | None:
    """The bytes before the first ``<iati-activity`` when the file suits the chunked pass, else None."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    body = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    m = _ENCODING.match(body)
    if m and m.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8", b"us-ascii", b"ascii"):
        return None
    m = _FIRST_ACTIVITY.search(head)
    if not m:
        return None
    header = head[: m.start()]
    if b"<iati-activities" not in header or b"<![CDATA[" in header or header.count(b"<!--") != header.count(b"-->"):
        return None
    return header


def _chunk_parser() -> etree.XMLParser:
    # whitespace-only text between elements is dropped (no IATI field is whitespace) and xml:id attributes
    # are not indexed: fewer nodes to build and to free, about 10 % of the parse
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True, remove_blank_text=True, collect_ids=False)


def _pieces(path: Path, header: bytes, size: int):
    """(document to parse, line offset, bytes done) for each run of whole activities of about ``size``
    bytes: the file's prolog and root start tag + the activities + the root end tag."""
    header_lines = header.count(b"\n")
    line0 = header_lines + 1          # the file line on which the next piece starts
    done = len(header)
    with path.open("rb") as f:
        f.seek(len(header))
        buf = b""
        while True:
            data = f.read(size)
            if data:
                buf += data
                cut = buf.rfind(_ACT_END)
                if cut < 0:
                    continue
                cut += len(_ACT_END)
                piece, buf = buf[:cut], buf[cut:]
                doc = header + piece + _ROOT_END
            else:
                piece, buf = buf, b""
                doc = header + piece
            done += len(piece)
            yield doc, line0 - header_lines - 1, done
            line0 += piece.count(b"\n")
            if not data:
                return


def _parse_chunks(path: Path, header: bytes, out: "queue.Queue", stop: threading.Event, done_trees: list,
                  part: int = 0, parts: int = 1) -> None:
    """Reader thread: put (root, line offset, bytes done) for each chunk number ``part`` modulo ``parts``,
    then None; or ('error', exc).

    The trees the main thread has mapped come back in ``done_trees`` and are freed here: libxml2 frees a
    tree several times faster in the thread that allocated it (measured on 60 MB: 0.15 s here, 1.0 s
    in the main thread while this one parses)."""
    def put(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        parser = _chunk_parser()
        for n, (doc, offset, done) in enumerate(_pieces(path, header, CHUNK_BYTES)):
            if n % parts != part:
                continue
            done_trees.clear()
            root = etree.fromstring(doc, parser)
            del doc
            if not put((root, offset, done)):
                return
            del root
        put(None)
    except BaseException as exc:     # noqa: BLE001 - handed to the main thread
        put(("error", exc))
    finally:
        done_trees.clear()


def _import_chunked(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress,
                    header: bytes) -> None:
    path = info.path
    add_source(con, info, "IATI activity file", "IATI Standard (http://iatistandard.org/)")
    ctx = _Context(con, info, summary)
    w = ctx.w
    stop = threading.Event()
    # READERS threads parse alternate chunks (libxml2 runs without the GIL); this thread takes them in file
    # order.  Each reader frees the trees it built once they come back through its done_trees list.
    queues = [queue.Queue(maxsize=CHUNK_QUEUE) for _ in range(READERS)]
    done_lists: list[list] = [[] for _ in range(READERS)]
    readers = [threading.Thread(target=_parse_chunks, args=(path, header, queues[k], stop, done_lists[k], k, READERS),
                                daemon=True, name=f"silkroad-iati-reader-{k}") for k in range(READERS)]
    for reader in readers:
        reader.start()
    root_checked = False
    try:
        for n in itertools.count():
            item = queues[n % READERS].get()
            if item is None:            # no chunk n: the file is done
                break
            if item[0] == "error":
                raise _Fallback() from item[1]
            root, offset, done = item
            del item
            ctx.line_offset = offset
            for act in root.iterchildren("iati-activity"):
                if not root_checked:
                    root_checked = True
                    _check_root(act, summary, path)
                _activity(ctx, act, act.sourceline + offset)
            act = None
            done_lists[n % READERS].append(root)     # the last reference: the reader that built it frees it
            del root
            if w.pending() >= w.batch:
                w.flush()
            progress(done, info.size)
        if not root_checked:
            raise _Fallback()
    finally:
        stop.set()
        for reader in readers:
            reader.join()
    w.flush()


def _check_root(element, summary: Summary, path: Path) -> None:
    """The document's DTD (refused) and the version of its root element (a file may also be one
    <iati-activity> without an <iati-activities> around it)."""
    tree = element.getroottree()
    root = tree.getroot()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise DataError("the file declares a DTD; refused", path, 1, "DOCTYPE")
    version = root.get("version") if root is not None else None
    if version and version not in VERSIONS:
        summary.warn(root.sourceline, "iati-activities/@version",
                     f"version {version} is not one of {', '.join(VERSIONS)}; read as 2.0x")
