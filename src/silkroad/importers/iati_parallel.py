"""IATI import of a large file on several cores (``silkroad import iati --jobs N``): worker processes
parse and map chunks, this one writes.

It trades memory for time: each worker holds its own chunk trees and rows (about 100 MB each), so the
import as a whole needs more than the serial pass's 300 MB; the serial pass stays the default.

The serial chunked pass (``iati._import_chunked``) overlaps parsing with mapping in one process, but the
mapping is Python and holds the GIL, so it cannot use a second core for itself.  Here the file is cut
into the same chunks of whole ``<iati-activity>`` elements; worker processes each parse a chunk
with the same hardened parser, map its activities with the same code (``iati._activity``) and send back
Arrow tables; this process inserts them in file order (the result does not depend on which worker was
faster) and merges the workers' counts and warnings.

Anything the workers cannot decide alone sends the file back to the serial passes, after this attempt's
rows are deleted (same transaction): a parse error (the streaming pass reports its exact line) and any
duplicate identifier (the chunked pass logs collisions in file order).
"""

from __future__ import annotations

import collections
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import duckdb

from .common import FileInfo, Progress, Summary, Writer, add_source, arrow_table
from . import iati

PARALLEL_MIN_BYTES = 16_000_000     # smaller files: the serial chunked pass (no process start-up)
PARALLEL_CHUNK_BYTES = 1_000_000
IN_FLIGHT = 2                       # chunks queued per worker (bounds memory)


class Fallback(Exception):
    """Use a serial pass; ``parse`` says whether the file failed to parse (streaming pass) or not."""

    def __init__(self, parse: bool):
        super().__init__("parse error" if parse else "duplicate identifiers")
        self.parse = parse


def usable(info: FileInfo) -> bool:
    return info.jobs >= 2 and info.size >= PARALLEL_MIN_BYTES and "fork" in multiprocessing.get_all_start_methods()


# --- in the worker processes (they never touch the database) --------------------------------------------

_CTX: "iati._Context | None" = None
_TYPES: dict = {}


def _init_worker(info: FileInfo, lookups: tuple, types: dict) -> None:
    global _CTX, _TYPES
    signal.signal(signal.SIGINT, signal.SIG_IGN)      # Ctrl-C is the importing process's to handle
    _CTX = iati._Context(None, info, Summary(info), lookups)
    _TYPES = types


def _map_chunk(data: bytes, line_offset: int) -> tuple:
    """Parse and map one chunk; returns ('ok', tables as Arrow IPC bytes, summary fields) or ('error', why)."""
    import pyarrow as pa
    from lxml import etree

    ctx = _CTX
    try:
        root = etree.fromstring(data, iati._chunk_parser())
    except etree.XMLSyntaxError as exc:
        return ("error", str(exc))
    s = ctx.summary = Summary(ctx.info)
    ctx.line_offset = line_offset
    for act in root.iterchildren("iati-activity"):
        iati._activity(ctx, act, act.sourceline + line_offset)
    del root
    tables = {}
    for name, rows in ctx.rows.items():
        if rows:
            table = arrow_table(rows, iati.COLUMNS[name], _TYPES[name])
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            tables[name] = sink.getvalue().to_pybytes()
            rows.clear()
    warnings = [(line, field, message, n) for (field, message), (line, n) in s.warning_keys.items()]
    return ("ok", tables, (s.rows_read, s.rows_imported, dict(s.skipped), warnings, s.warnings_total,
                           s.collisions, s.details.get("transactions", 0)))


# --- in this process ------------------------------------------------------------------------------------

def import_parallel(con: duckdb.DuckDBPyConnection, info: FileInfo, summary: Summary, progress: Progress,
                    header: bytes) -> None:
    import pyarrow as pa
    from lxml import etree

    path = info.path
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(header + iati._ROOT_END, parser)
    except etree.XMLSyntaxError:
        raise Fallback(parse=True) from None
    iati._check_root(root, summary, path)
    add_source(con, info, "IATI activity file", "IATI Standard (http://iatistandard.org/)")
    writer = Writer(con, iati.COLUMNS)
    seen: set[str] = set()
    # forked (measured on a 200 MB file: faster and about 40 MB less in all than workers from a fork server);
    # a worker only parses and maps, it never touches the database, the progress bar or a lock
    # (an executor, not a Pool: a worker that dies, e.g. killed for memory, breaks it with an error
    # instead of leaving its result pending forever)
    pool = ProcessPoolExecutor(info.jobs, mp_context=multiprocessing.get_context("fork"),
                               initializer=_init_worker, initargs=(info, iati._lookups(con), writer.arrow_types()))
    try:
        pending: collections.deque = collections.deque()
        chunks = iati._pieces(path, header, PARALLEL_CHUNK_BYTES)
        exhausted = False
        while pending or not exhausted:
            while not exhausted and len(pending) < info.jobs * IN_FLIGHT:
                try:
                    doc, offset, done = next(chunks)
                except StopIteration:
                    exhausted = True
                    break
                try:
                    pending.append((pool.submit(_map_chunk, doc, offset), done))
                except BrokenProcessPool:
                    raise Fallback(parse=False) from None
            if not pending:
                break
            result, done = pending.popleft()
            try:
                out = result.result()
            except BrokenProcessPool:
                raise Fallback(parse=False) from None     # the serial pass needs no worker
            if out[0] == "error":
                raise Fallback(parse=True)
            _, tables, (read, imported, skipped, warnings, warnings_total, collisions, transactions) = out
            if collisions:
                raise Fallback(parse=False)
            if "project_ids" in tables:
                ids = pa.ipc.open_stream(tables["project_ids"]).read_all().column("value").to_pylist()
                if len(set(ids)) != len(ids) or not seen.isdisjoint(ids):
                    raise Fallback(parse=False)
                seen.update(ids)
            for name, buf in tables.items():
                _silkroad_batch = pa.ipc.open_stream(buf).read_all()  # noqa: F841 - read by the SQL below
                con.execute(f"INSERT INTO {name} ({', '.join(iati.COLUMNS[name])}) SELECT * FROM _silkroad_batch")
                del _silkroad_batch
            summary.rows_read += read
            summary.rows_imported += imported
            for why, n in skipped.items():
                summary.skip(why, n)
            for line, field, message, n in warnings:
                summary.warn(line, field, message, n)
            summary.warnings_total += warnings_total - sum(w[3] for w in warnings)
            summary.details["transactions"] = summary.details.get("transactions", 0) + transactions
            progress(done, info.size)
    finally:
        for worker in list(getattr(pool, "_processes", {}).values()):   # stop at once, even mid-chunk
            worker.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
    if summary.rows_read == 0:
        raise Fallback(parse=True)
